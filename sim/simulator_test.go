package sim_test

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/smsgw/smsgw/sim"
	"github.com/smsgw/smsgw/smpp"
	"github.com/smsgw/smsgw/smpp/pdu"
	"github.com/smsgw/smsgw/smpp/smpptest"
	"github.com/smsgw/smsgw/smpp/text"
)

// echoGateway is a minimal gateway bound to the simulator: it answers every
// MO from the short code it was sent to with reply(text), or refuses it
// with refuse when that is set.
type echoGateway struct {
	c      *smpp.Client
	reply  func(text string) string
	refuse pdu.Status
}

// startSimulator starts an SMSC with a Simulator; with gw, a gateway binds
// to it and the call returns once it is bound.
func startSimulator(t *testing.T, o sim.Options, gw *echoGateway) *sim.Simulator {
	t.Helper()
	srv := smpptest.NewUnstartedServer()
	srv.Logger = slog.New(slog.DiscardHandler)
	ps := sim.New(srv, o)
	srv.Start()
	t.Cleanup(srv.Close)
	if gw == nil {
		return ps
	}
	if gw.reply == nil {
		gw.reply = func(s string) string { return "ok: " + s }
	}
	ctx, cancel := context.WithCancel(context.Background())
	c, err := smpp.NewClient(smpp.ClientOptions{
		Addr: srv.Addr(), SystemID: "gw", Logger: slog.New(slog.DiscardHandler),
		Concat: text.ConcatUDH8,
		Handler: smpp.HandlerFunc(func(_ context.Context, p pdu.PDU) error {
			d, ok := p.(*pdu.DeliverSM)
			if !ok || d.ESMClass.IsReceipt() {
				return nil
			}
			if gw.refuse != pdu.StatusOK {
				return gw.refuse
			}
			msg, err := text.Decode(d.DataCoding, d.ShortMessage, text.Options{})
			if err != nil {
				return pdu.StatusXRAppn
			}
			from, to := d.DestinationAddr, d.SourceAddr
			go func() {
				tmpl := &pdu.SubmitSM{MessageFields: pdu.MessageFields{SourceAddr: from, DestinationAddr: to}}
				if _, err := gw.c.SubmitText(ctx, tmpl, gw.reply(msg)); err != nil && ctx.Err() == nil {
					t.Errorf("echo gateway: submit reply: %v", err)
				}
			}()
			return nil
		}),
	})
	if err != nil {
		t.Fatal(err)
	}
	gw.c = c
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	wctx, wcancel := context.WithTimeout(ctx, 5*time.Second)
	defer wcancel()
	if _, err := srv.WaitBound(wctx, "gw"); err != nil {
		t.Fatal(err)
	}
	return ps
}

// waitThread waits until the thread of msisdn after the cursor holds a
// message matching ok, and returns it.
func waitThread(t *testing.T, ps *sim.Simulator, after int64, msisdn string, ok func(sim.Message) bool) sim.Message {
	t.Helper()
	timeout := time.After(5 * time.Second)
	for {
		msgs, _, changed := ps.Thread(after, msisdn)
		for _, m := range msgs {
			if ok(m) {
				return m
			}
		}
		select {
		case <-changed:
		case <-timeout:
			t.Fatalf("no matching message for %s within 5s; thread: %+v", msisdn, msgs)
		}
	}
}

func isMT(m sim.Message) bool { return m.Dir == sim.DirMT }

func TestSimulatorSendAndReply(t *testing.T) {
	ps := startSimulator(t, sim.Options{}, &echoGateway{})
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	mo, err := ps.Send(ctx, "08110000001", "9779", "SALDO")
	if err != nil {
		t.Fatalf("Send() = %v", err)
	}
	if mo.Dir != sim.DirMO || mo.Code != "9779" || mo.Text != "SALDO" || mo.Status != sim.StatusDelivered || mo.Failed() {
		t.Errorf("Send() = %+v, want a delivered MO to 9779", mo)
	}
	// The reply is addressed as the gateway wrote it; the thread matches
	// every form of the number.
	mt := waitThread(t, ps, 0, "628110000001", isMT)
	if mt.Code != "9779" || mt.Text != "ok: SALDO" || mt.MessageID == "" || mt.ID <= mo.ID {
		t.Errorf("reply = %+v, want from 9779, text %q, after the MO", mt, "ok: SALDO")
	}
	// In the order of their last change: the MO's status may come after
	// the reply.
	msgs, cursor, _ := ps.Thread(0, "+628110000001")
	if len(msgs) != 2 || msgs[0].Rev >= msgs[1].Rev {
		t.Fatalf("Thread() = %+v, want the MO and the reply by revision", msgs)
	}
	if msgs[1].Rev != cursor {
		t.Errorf("cursor %d, last change %d", cursor, msgs[1].Rev)
	}
	if others, _, _ := ps.Thread(0, "08110000002"); len(others) != 0 {
		t.Errorf("Thread(other number) = %+v, want none", others)
	}
	if later, _, _ := ps.Thread(cursor, "08110000001"); len(later) != 0 {
		t.Errorf("Thread(after the cursor) = %+v, want none", later)
	}
}

func TestSimulatorLongReplyJoined(t *testing.T) {
	long := strings.Repeat("Isi ulang berhasil. ", 20) // 400 characters: 3 parts
	ps := startSimulator(t, sim.Options{}, &echoGateway{reply: func(string) string { return long }})
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	if _, err := ps.Send(ctx, "08110000001", "9779", "x"); err != nil {
		t.Fatal(err)
	}
	mt := waitThread(t, ps, 0, "08110000001", isMT)
	if mt.Text != long {
		t.Errorf("reply text = %q, want the %d characters joined", mt.Text, len(long))
	}
	msgs, _, _ := ps.Thread(0, "")
	if len(msgs) != 2 {
		t.Errorf("%d messages, want the MO and one joined MT", len(msgs))
	}
}

func TestSimulatorRedactsMO(t *testing.T) {
	ps := startSimulator(t, sim.Options{Redact: func(code, s string) string {
		if code == "3355" {
			return sim.MaskDigits(s)
		}
		return s
	}}, &echoGateway{})
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	mo, err := ps.Send(ctx, "08110000001", "3355", "654321")
	if err != nil {
		t.Fatal(err)
	}
	if mo.Text != "••••••" {
		t.Errorf("MO text = %q, want it masked", mo.Text)
	}
	// The gateway got the real text.
	mt := waitThread(t, ps, 0, "08110000001", isMT)
	if mt.Text != "ok: 654321" {
		t.Errorf("reply = %q, want the gateway to have seen the PIN", mt.Text)
	}
	msgs, _, _ := ps.Thread(0, "")
	for _, m := range msgs {
		if m.Dir == sim.DirMO && strings.Contains(m.Text, "654321") {
			t.Errorf("kept MO %+v shows the PIN", m)
		}
	}
}

func TestSimulatorSendFailures(t *testing.T) {
	t.Run("NoGateway", func(t *testing.T) {
		ps := startSimulator(t, sim.Options{}, nil)
		mo, err := ps.Send(t.Context(), "08110000001", "9779", "SALDO")
		if !errors.Is(err, sim.ErrNoGateway) {
			t.Fatalf("Send() = %v, want ErrNoGateway", err)
		}
		if !mo.Failed() || mo.Status != sim.ErrNoGateway.Error() {
			t.Errorf("MO = %+v, want failed with the reason", mo)
		}
		msgs, _, _ := ps.Thread(0, "08110000001")
		if len(msgs) != 1 || msgs[0].Status != mo.Status {
			t.Errorf("Thread() = %+v, want the failed MO", msgs)
		}
	})
	t.Run("Refused", func(t *testing.T) {
		ps := startSimulator(t, sim.Options{}, &echoGateway{refuse: pdu.StatusXTAppn})
		ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
		defer cancel()
		mo, err := ps.Send(ctx, "08110000001", "9779", "SALDO")
		var refused *sim.RefusedError
		if !errors.As(err, &refused) || refused.Status != pdu.StatusXTAppn {
			t.Fatalf("Send() = %v, want a RefusedError with ESME_RX_T_APPN", err)
		}
		if mo.Status != "ESME_RX_T_APPN" || !mo.Failed() {
			t.Errorf("MO = %+v, want status ESME_RX_T_APPN", mo)
		}
	})
}

func TestSimulatorKeepsRecent(t *testing.T) {
	ps := startSimulator(t, sim.Options{Keep: 3}, nil)
	for range 5 {
		_, _ = ps.Send(t.Context(), "08110000001", "9779", "x")
	}
	msgs, cursor, _ := ps.Thread(0, "")
	if len(msgs) != 3 || msgs[0].ID != 3 {
		t.Errorf("Thread() kept %d messages from id %d, want 3 from id 3", len(msgs), msgs[0].ID)
	}
	if cursor != 10 { // each MO: recorded, then its status
		t.Errorf("cursor = %d, want 10", cursor)
	}
}

func TestMaskDigits(t *testing.T) {
	for in, want := range map[string]string{
		"123456":            "••••••",
		"PIN 123456 654321": "PIN •••••• ••••••",
		"BATAL":             "BATAL",
		"٢٤٦٨٠٥":            "••••••",
		"PIN ２４６８０５":        "PIN ••••••",
		"۱۲۳۴۵۶ x":          "•••••• x",
	} {
		if got := sim.MaskDigits(in); got != want {
			t.Errorf("MaskDigits(%q) = %q, want %q", in, got, want)
		}
	}
}
