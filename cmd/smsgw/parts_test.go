package main

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/smsgw/smsgw/smpp/pdu"
	"github.com/smsgw/smsgw/smpp/smpptest"
	"github.com/smsgw/smsgw/smpp/text"
	"github.com/smsgw/smsgw/smsgw"
	"github.com/smsgw/smsgw/store/sqlite"
)

// TestE2EConcatenatedMOSurvivesKill kills the daemon between the parts of a
// long MO. The parts it acknowledged were stored, so after a restart the
// last part completes the message, which is processed exactly once.
func TestE2EConcatenatedMOSurvivesKill(t *testing.T) {
	e := newE2E(t, "")
	e.start()
	ctx := t.Context()
	body := "SALDO tolong kirimkan saldo i-Pay saya yang terbaru, karena kemarin saya sudah isi ulang " +
		"lewat SMS ke 9779 tetapi belum menerima konfirmasi apa pun. Saya khawatir transaksinya gagal atau " +
		"terkirim dua kali. Nomor yang saya isi adalah nomor saya sendiri dan juga nomor istri saya. " +
		"Mohon dibantu secepatnya, terima kasih banyak atas perhatian dan bantuannya."
	parts, err := e.smsc.TextPDUs(e2ePayer, "9779", body, &smpptest.TextOptions{
		Concat: text.ConcatUDH8, SourceTON: 1, SourceNPI: 1,
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(parts) != 3 {
		t.Fatalf("the MO went in %d parts, want 3", len(parts))
	}
	deliver := func(p *pdu.DeliverSM) {
		t.Helper()
		dctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		st, err := e.smsc.Deliver(dctx, p)
		if err != nil || st != pdu.StatusOK {
			t.Fatalf("deliver part = %v, %v; want ESME_ROK\n%s", st, err, e.stderr.String())
		}
	}
	deliver(parts[0])
	deliver(parts[1])
	e.kill()

	e.start()
	deliver(parts[2])
	e.reply("9779", "Saldo i-Pay")
	// The SMSC sends the last part again (as after a lost response): it
	// does not complete the message a second time.
	deliver(parts[2])
	e.quiet(1500 * time.Millisecond)
	e.stop()

	st, err := sqlite.Open(ctx, filepath.Join(e.dir, "gw.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	err = st.View(ctx, func(tx smsgw.Tx) error {
		ms, err := tx.Messages(smsgw.MessageFilter{Direction: smsgw.DirIn, Limit: 10})
		if err != nil {
			return err
		}
		if len(ms) != 1 || ms[0].Text != body || ms[0].Status != smsgw.MsgProcessed || ms[0].Keyword != "SALDO" {
			t.Errorf("inbound SMS log = %+v, want the whole MO once, processed as SALDO", ms)
		}
		// Only the repeated last part waits (it expires later).
		n, err := tx.MOPartMessages()
		if n != 1 {
			t.Errorf("messages waiting for parts = %d, want 1 (the repeated last part)", n)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}
