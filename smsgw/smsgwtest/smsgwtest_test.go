package smsgwtest_test

import (
	"bytes"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/smsgw/smsgw/domain"
	"github.com/smsgw/smsgw/keywords"
	"github.com/smsgw/smsgw/smsgw"
	"github.com/smsgw/smsgw/smsgw/smsgwtest"
	"github.com/smsgw/smsgw/store/sqlite/sqlitetest"
)

var t0 = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)

func TestClock(t *testing.T) {
	c := smsgwtest.NewClock(t0)
	if got := c.Now(); !got.Equal(t0) {
		t.Fatalf("Now() = %v, want %v", got, t0)
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 100 {
				c.Add(time.Second)
				_ = c.Now()
			}
		})
	}
	wg.Wait()
	if got, want := c.Now(), t0.Add(800*time.Second); !got.Equal(want) {
		t.Errorf("Now() after 800 concurrent Add(1s) = %v, want %v", got, want)
	}
	c.Set(t0.Add(-time.Hour))
	if got, want := c.Now(), t0.Add(-time.Hour); !got.Equal(want) {
		t.Errorf("Now() after Set = %v, want %v", got, want)
	}
}

func TestSender(t *testing.T) {
	var s smsgwtest.Sender
	ctx := t.Context()
	for i, want := range []string{"mt-1", "mt-2"} {
		ids, err := s.Send(ctx, smsgw.MT{Text: want})
		if err != nil || len(ids) != 1 || ids[0] != want {
			t.Fatalf("Send #%d = %q, %v; want [%s]", i+1, ids, err, want)
		}
	}
	down := errors.New("link down")
	s.SetError(down)
	if ids, err := s.Send(ctx, smsgw.MT{Text: "lost"}); !errors.Is(err, down) || ids != nil {
		t.Errorf("Send while failing = %q, %v; want nil, %v", ids, err, down)
	}
	s.SetError(nil)
	if ids, err := s.Send(ctx, smsgw.MT{Text: "mt-3"}); err != nil || ids[0] != "mt-3" {
		t.Errorf("Send after SetError(nil) = %q, %v; want [mt-3]", ids, err)
	}
	got := s.Take()
	if len(got) != 3 || got[0].Text != "mt-1" || got[1].Text != "mt-2" || got[2].Text != "mt-3" {
		t.Errorf("Take() = %+v, want the three accepted MTs in order", got)
	}
	if got := s.Take(); len(got) != 0 {
		t.Errorf("second Take() = %+v, want none", got)
	}
}

func TestLogBufferConcurrent(t *testing.T) {
	var b smsgwtest.LogBuffer
	log := smsgwtest.NewLogger(&b)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 50 {
				log.Debug("tick")
			}
		})
	}
	wg.Wait()
	if got := strings.Count(b.String(), "msg=tick"); got != 200 {
		t.Errorf("%d debug records in the buffer, want 200", got)
	}
}

// roundTrip sends an MO to gw, processes it and returns the replies.
func roundTrip(t *testing.T, gw *smsgw.Gateway, out *smsgwtest.Sender, from, to, text string) []smsgw.MT {
	t.Helper()
	ctx := t.Context()
	if err := gw.HandleMO(ctx, smsgw.MO{From: from, To: to, Text: text}); err != nil {
		t.Fatalf("HandleMO(%q): %v", text, err)
	}
	if _, err := gw.ProcessInbox(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := gw.SendDue(ctx); err != nil {
		t.Fatal(err)
	}
	return out.Take()
}

func TestOpenDefaults(t *testing.T) {
	out := &smsgwtest.Sender{}
	clk := smsgwtest.NewClock(t0)
	st, gw := sqlitetest.Open(t, smsgwtest.WithSender(out), smsgwtest.WithClock(clk))
	if err := gw.AddCustomer(t.Context(), "08110000002", "08110000002", "Ani", domain.PIN("246810")); err != nil {
		t.Fatal(err)
	}
	mts := roundTrip(t, gw, out, "08110000002", smsgwtest.RequestCode, "IM2PAY 08110000002 50000")
	if len(mts) != 1 || mts[0].From != smsgwtest.PINCode {
		t.Fatalf("replies = %+v, want one PIN prompt from %s", mts, smsgwtest.PINCode)
	}
	mts = roundTrip(t, gw, out, "08110000002", smsgwtest.PINCode, "246810")
	if len(mts) != 1 || !strings.Contains(mts[0].Text, "BERHASIL") {
		t.Fatalf("replies = %+v, want one success", mts)
	}
	// Init ran: the settlement account exists; the store keeps the clock's time.
	err := st.View(t.Context(), func(tx smsgw.Tx) error {
		if _, err := tx.Account(gw.Settlement()); err != nil {
			return err
		}
		ms, err := tx.Messages(smsgw.MessageFilter{Limit: 10})
		if err != nil {
			return err
		}
		for _, m := range ms {
			if !m.CreatedAt.Equal(t0) {
				t.Errorf("message %d at %v, want the clock's %v", m.ID, m.CreatedAt, t0)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if r := gw.Rules(); r.PINMinLen != 6 || r.PINMaxLen != 6 {
		t.Errorf("PIN length %d..%d, want 6..6", r.PINMinLen, r.PINMaxLen)
	}
}

func TestOpenOptions(t *testing.T) {
	out := &smsgwtest.Sender{}
	logs := &smsgwtest.LogBuffer{}
	clk := smsgwtest.NewClock(t0)
	var edited bool
	path := filepath.Join(t.TempDir(), "own.db")
	st, gw := sqlitetest.Open(t, smsgwtest.WithSender(out), smsgwtest.WithPath(path), smsgwtest.WithClock(clk),
		smsgwtest.WithCodes("1111", "2222"),
		smsgwtest.WithKeywords(keywords.TableConfig{Aliases: map[string][]string{"SALDO": {"CEK"}}}),
		smsgwtest.WithPINLength(4, 4),
		smsgwtest.WithLogger(smsgwtest.NewLogger(logs)), smsgwtest.WithStoreLogger(smsgwtest.NewLogger(logs)),
		smsgwtest.WithPINKey(bytes.Repeat([]byte{1}, 32)),
		smsgwtest.WithOptions(func(o *smsgw.Options) { edited = true; o.Settlement = "settlement:test" }))
	if !edited || gw.Settlement() != "settlement:test" {
		t.Errorf("WithOptions edit not applied: settlement %q", gw.Settlement())
	}
	if !strings.Contains(logs.String(), "own.db") {
		t.Errorf("store log does not name the database at the given path:\n%s", logs.String())
	}
	ctx := t.Context()
	if err := gw.AddCustomer(ctx, "08110000002", "08110000002", "Ani", domain.PIN("246810")); smsgw.ErrorCode(err) != smsgw.EInvalid {
		t.Errorf("AddCustomer(6-digit PIN) = %v, want invalid", err)
	}
	if err := gw.AddCustomer(ctx, "08110000002", "08110000002", "Ani", domain.PIN("2468")); err != nil {
		t.Fatal(err)
	}
	if mts := roundTrip(t, gw, out, "08110000002", "1111", "CEK"); len(mts) != 1 || mts[0].From != "1111" || !strings.Contains(mts[0].Text, "Saldo") {
		t.Fatalf("CEK replies = %+v, want a balance from 1111", mts)
	}
	roundTrip(t, gw, out, "08110000002", "1111", "IM2PAY 08110000002 50000")
	if mts := roundTrip(t, gw, out, "08110000002", "2222", "2468"); len(mts) != 1 || !strings.Contains(mts[0].Text, "BERHASIL") {
		t.Fatalf("4-digit PIN replies = %+v, want one success", mts)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}

	// The same file opened again holds the customer; a gateway with
	// another PIN key cannot check the PIN. (The clock moves past the
	// de-duplication window of the repeated texts.)
	clk.Add(time.Hour)
	out2 := &smsgwtest.Sender{}
	_, gw2 := sqlitetest.Open(t, smsgwtest.WithSender(out2), smsgwtest.WithPath(path), smsgwtest.WithClock(clk),
		smsgwtest.WithCodes("1111", "2222"), smsgwtest.WithPINLength(4, 4),
		smsgwtest.WithOptions(func(o *smsgw.Options) { o.Settlement = "settlement:test" }))
	if a, _, err := gw2.Wallet(ctx, "08110000002", 1); err != nil || a.Balance != 50000 {
		t.Fatalf("Wallet after reopening = %+v, %v; want balance 50000", a, err)
	}
	roundTrip(t, gw2, out2, "08110000002", "1111", "IM2PAY 08110000002 50000")
	if mts := roundTrip(t, gw2, out2, "08110000002", "2222", "2468"); len(mts) != 1 || !strings.Contains(mts[0].Text, "PIN salah") {
		t.Errorf("PIN under another key: replies = %+v, want a wrong-PIN answer", mts)
	}
}

func TestNew(t *testing.T) {
	st, gw := sqlitetest.Open(t)
	out := &smsgwtest.Sender{}
	gw2 := smsgwtest.New(t, st, smsgwtest.WithSender(out))
	if err := gw.AddCustomer(t.Context(), "08110000002", "08110000002", "Ani", domain.PIN("246810")); err != nil {
		t.Fatal(err)
	}
	// The second gateway shares the store and, with the same default key,
	// the PINs.
	roundTrip(t, gw2, out, "08110000002", smsgwtest.RequestCode, "IM2PAY 08110000002 50000")
	if mts := roundTrip(t, gw2, out, "08110000002", smsgwtest.PINCode, "246810"); len(mts) != 1 || !strings.Contains(mts[0].Text, "BERHASIL") {
		t.Errorf("replies = %+v, want one success", mts)
	}
}
