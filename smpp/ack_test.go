package smpp

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"github.com/smsgw/smsgw/smpp/pdu"
)

// ackHandler registers an OnAck callback for every delivery and returns
// err; the fates arrive on the returned channel.
func ackHandler(err error) (Handler, <-chan bool) {
	fates := make(chan bool, 16)
	return HandlerFunc(func(ctx context.Context, p pdu.PDU) error {
		OnAck(ctx, func(confirmed bool) { fates <- confirmed })
		return err
	}), fates
}

func testDeliver(seq uint32) *pdu.DeliverSM {
	return &pdu.DeliverSM{
		Header:        pdu.Header{ID: pdu.DeliverSMID, Seq: seq},
		MessageFields: pdu.MessageFields{SourceAddr: "628110000001", DestinationAddr: "9779", ShortMessage: []byte("SALDO")},
	}
}

// noFate fails the test when a fate was told. Call it after synctest.Wait.
func noFate(t *testing.T, fates <-chan bool) {
	t.Helper()
	select {
	case f := <-fates:
		t.Fatalf("fate told too early: confirmed=%v", f)
	default:
	}
}

func TestAckConfirmedByLaterResponse(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h, fates := ackHandler(nil)
		s, p := bindPipe(t, Transceiver, SessionOptions{Handler: h, AckProbeDelay: -1})
		p.write(testDeliver(7))
		p.nextID(pdu.DeliverSMRespID)
		synctest.Wait()
		noFate(t, fates)

		res := submitAsync(t.Context(), s, "628110000001") // written after the ack
		req := p.nextID(pdu.SubmitSMID)
		synctest.Wait()
		noFate(t, fates) // sent, not yet answered
		p.respond(req, pdu.StatusOK, "m1")
		if r := within(t, res, time.Second); r.err != nil {
			t.Fatal(r.err)
		}
		if got := within(t, fates, time.Second); !got {
			t.Fatal("fate = unconfirmed, want confirmed once a later request was answered")
		}
	})
}

func TestAckNotConfirmedByEarlierRequest(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h, fates := ackHandler(nil)
		s, p := bindPipe(t, Transceiver, SessionOptions{Handler: h, AckProbeDelay: -1})
		res := submitAsync(t.Context(), s, "628110000001") // written before the ack
		req := p.nextID(pdu.SubmitSMID)
		p.write(testDeliver(7))
		p.nextID(pdu.DeliverSMRespID)
		p.respond(req, pdu.StatusOK, "m1")
		if r := within(t, res, time.Second); r.err != nil {
			t.Fatal(r.err)
		}
		synctest.Wait()
		noFate(t, fates)
		// The link dies before anything confirms the ack.
		p.conn.Close()
		if got := within(t, fates, time.Second); got {
			t.Fatal("fate = confirmed, want unconfirmed: the link died first")
		}
	})
}

func TestAckConfirmedByErrorResponse(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h, fates := ackHandler(nil)
		s, p := bindPipe(t, Transceiver, SessionOptions{Handler: h, AckProbeDelay: -1})
		p.write(testDeliver(7))
		p.nextID(pdu.DeliverSMRespID)
		res := submitAsync(t.Context(), s, "628110000001")
		req := p.nextID(pdu.SubmitSMID)
		p.respond(req, pdu.StatusThrottled, "")
		if r := within(t, res, time.Second); !errors.Is(r.err, pdu.StatusThrottled) {
			t.Fatalf("submit = %v, want ESME_RTHROTTLED", r.err)
		}
		if got := within(t, fates, time.Second); !got {
			t.Fatal("fate = unconfirmed, want confirmed: an error answer also shows the ack was read")
		}
	})
}

func TestAckProbe(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h, fates := ackHandler(nil)
		_, p := bindPipe(t, Transceiver, SessionOptions{Handler: h, AckProbeDelay: 300 * time.Millisecond, EnquireLinkInterval: -1})
		p.write(testDeliver(7))
		p.nextID(pdu.DeliverSMRespID)
		start := time.Now()
		el := p.nextID(pdu.EnquireLinkID)
		if d := time.Since(start); d != 300*time.Millisecond {
			t.Errorf("probe after %v, want 300ms", d)
		}
		synctest.Wait()
		noFate(t, fates)
		p.respond(el, pdu.StatusOK, "")
		if got := within(t, fates, time.Second); !got {
			t.Fatal("fate = unconfirmed, want confirmed by the probe's answer")
		}
		// Nothing waits any more: no further probe.
		time.Sleep(time.Second)
		synctest.Wait()
		p.none()
	})
}

func TestAckProbeUnansweredLinkDies(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h, fates := ackHandler(nil)
		s, p := bindPipe(t, Transceiver, SessionOptions{Handler: h, AckProbeDelay: 100 * time.Millisecond,
			EnquireLinkInterval: -1, EnquireLinkTimeout: 2 * time.Second})
		p.write(testDeliver(7))
		p.write(testDeliver(8))
		p.nextID(pdu.DeliverSMRespID)
		p.nextID(pdu.DeliverSMRespID)
		p.nextID(pdu.EnquireLinkID) // never answered: the link is dead
		for range 2 {
			if got := within(t, fates, 3*time.Second); got {
				t.Fatal("fate = confirmed, want unconfirmed")
			}
		}
		<-s.Done()
		if err := s.Err(); !errors.Is(err, ErrLinkDead) {
			t.Errorf("Err() = %v, want ErrLinkDead", err)
		}
	})
}

func TestAckNotConfirmedByGenericNack(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h, fates := ackHandler(nil)
		s, p := bindPipe(t, Transceiver, SessionOptions{Handler: h, AckProbeDelay: -1})
		p.write(testDeliver(7))
		p.nextID(pdu.DeliverSMRespID)
		res := submitAsync(t.Context(), s, "628110000001")
		req := p.nextID(pdu.SubmitSMID)
		p.write(pdu.NewGenericNack(pdu.StatusSysErr, req.Hdr().Seq))
		within(t, res, time.Second)
		synctest.Wait()
		noFate(t, fates)
	})
}

func TestAckRefusedIsUnconfirmed(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h, fates := ackHandler(errors.New("store down"))
		_, p := bindPipe(t, Transceiver, SessionOptions{Handler: h, AckProbeDelay: 100 * time.Millisecond})
		p.write(testDeliver(7))
		if r := p.nextID(pdu.DeliverSMRespID); r.Hdr().Status != pdu.StatusXTAppn {
			t.Fatalf("deliver_sm_resp = %v, want ESME_RX_T_APPN", r.Hdr().Status)
		}
		if got := within(t, fates, time.Second); got {
			t.Fatal("fate of a refused message = confirmed, want unconfirmed")
		}
		synctest.Wait()
		p.none() // no probe for a refusal
	})
}

func TestAckConfirmedByUnbind(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h, fates := ackHandler(nil)
		s, p := bindPipe(t, Transceiver, SessionOptions{Handler: h, AckProbeDelay: -1})
		p.write(testDeliver(7))
		p.nextID(pdu.DeliverSMRespID)
		errc := make(chan error, 1)
		go func() { errc <- s.Unbind(t.Context()) }()
		p.respond(p.nextID(pdu.UnbindID), pdu.StatusOK, "")
		if err := within(t, errc, time.Second); err != nil {
			t.Fatal(err)
		}
		if got := within(t, fates, time.Second); !got {
			t.Fatal("fate = unconfirmed, want confirmed by unbind_resp")
		}
	})
}

func TestOnAckOutsideHandler(t *testing.T) {
	var got []bool
	if OnAck(context.Background(), func(c bool) { got = append(got, c) }) {
		t.Error("OnAck outside a handler = true, want false")
	}
	if len(got) != 1 || got[0] {
		t.Errorf("fates = %v, want [false] at once", got)
	}
}
