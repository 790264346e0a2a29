package esme_test

import (
	"context"
	"errors"
	"testing"

	"github.com/smsgw/smsgw/esme"
	"github.com/smsgw/smsgw/smpp/pdu"
	"github.com/smsgw/smsgw/smpp/smpptest"
	"github.com/smsgw/smsgw/smpp/text"
	"github.com/smsgw/smsgw/smsgw"
)

// An MO's sender address reaches the gateway with its TON and NPI, and a
// reply goes back to that address in the same form (an SMSC that routes by
// the original address delivers nothing else), unless the bind normalises
// replies; an MT that answers no MO goes to the canonical number.
func TestReplyAddressAsReceived(t *testing.T) {
	srv := newSMSC(t, text.Options{})
	rec := &moRecorder{}
	asIs := bindTo(srv, "as-is")
	asIs.DestTON, asIs.DestNPI = 1, 1
	e, stop := runESME(t, srv, &fakeGateway{mo: rec.handle}, esme.Options{Binds: []esme.BindOptions{asIs}})

	ds, err := srv.TextPDUs("08120000000", request, "SALDO", nil)
	if err != nil {
		t.Fatal(err)
	}
	ds[0].SourceAddrTON, ds[0].SourceAddrNPI = 0, 1
	if st := deliver(t, srv, ds[0]); st != 0 {
		t.Fatalf("deliver = %v", st)
	}
	mos := rec.all()
	if len(mos) != 1 || mos[0].From != "08120000000" || mos[0].FromTON != 0 || mos[0].FromNPI != 1 {
		t.Fatalf("MOs = %+v, want one from 08120000000 TON 0 NPI 1", mos)
	}

	reply := smsgw.MT{ID: 1, From: request, To: "628120000000", Text: "Saldo",
		ToAddr: smsgw.Address{Value: "08120000000", TON: 0, NPI: 1}}
	notice := smsgw.MT{ID: 2, From: pinCode, To: "628120000000", Text: "Kedaluwarsa"}
	for _, m := range []smsgw.MT{reply, notice} {
		if _, err := e.Send(t.Context(), m); err != nil {
			t.Fatal(err)
		}
	}
	stop()

	// The same with a bind that normalises replies.
	norm := bindTo(srv, "norm")
	norm.DestTON, norm.DestNPI, norm.NormalizeReplies = 1, 1, true
	e2, _ := runESME(t, srv, &fakeGateway{}, esme.Options{Binds: []esme.BindOptions{norm}})
	if _, err := e2.Send(t.Context(), reply); err != nil {
		t.Fatal(err)
	}

	type addr struct {
		dest     string
		ton, npi uint8
	}
	var got []addr
	for _, s := range srv.Submitted() {
		got = append(got, addr{s.SubmitSM.DestinationAddr, s.SubmitSM.DestAddrTON, s.SubmitSM.DestAddrNPI})
	}
	want := []addr{{"08120000000", 0, 1}, {"628120000000", 1, 1}, {"628120000000", 1, 1}}
	if len(got) != len(want) {
		t.Fatalf("submitted %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("submit %d to %+v, want %+v", i, got[i], want[i])
		}
	}
}

// A link that drops while a submit_sm waits for its answer leaves the
// outcome unknown: Send's error says "try again" (the outbox retries),
// even though the reset connection's own error calls itself permanent.
func TestSendOverDroppedLinkIsTemporary(t *testing.T) {
	srv := smpptest.NewUnstartedServer()
	srv.Handler = func(ctx context.Context, c *smpptest.Conn, req pdu.PDU) pdu.PDU {
		if _, ok := req.(*pdu.SubmitSM); ok {
			c.Close() // no answer: the link is gone
			return nil
		}
		return srv.HandleDefault(ctx, c, req)
	}
	srv.Start()
	t.Cleanup(srv.Close)
	e, _ := runESME(t, srv, &fakeGateway{}, esme.Options{Binds: []esme.BindOptions{bindTo(srv, "a")}})
	_, err := e.Send(t.Context(), smsgw.MT{ID: 1, From: request, To: "628120000000", Text: "Saldo"})
	var tmp interface{ Temporary() bool }
	if err == nil || !errors.As(err, &tmp) || !tmp.Temporary() {
		t.Fatalf("Send over a dropped link = %v, want an error whose Temporary() is true", err)
	}
}
