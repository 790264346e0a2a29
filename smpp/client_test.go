package smpp

import (
	"bytes"
	"context"
	"errors"
	"net"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/smsgw/smsgw/smpp/pdu"
	"github.com/smsgw/smsgw/smpp/text"
)

// pipeDialer hands the server end of a net.Pipe to the test for every dial.
type pipeDialer struct {
	conns chan net.Conn
}

func (d *pipeDialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	c1, c2 := net.Pipe()
	select {
	case d.conns <- c2:
		return c1, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// clientHarness runs a Client over pipeDialer inside a synctest bubble.
type clientHarness struct {
	t      *testing.T
	c      *Client
	d      *pipeDialer
	cancel context.CancelFunc
	done   chan error
	events chan Event
}

func startClient(t *testing.T, opts ClientOptions) *clientHarness {
	t.Helper()
	h := &clientHarness{t: t, d: &pipeDialer{conns: make(chan net.Conn)}, done: make(chan error, 1), events: make(chan Event, 1000)}
	opts.Addr = "smsc.test:2775"
	if opts.SystemID == "" {
		opts.SystemID = "esme"
		opts.Password = "s3cr3t"
	}
	opts.Dialer = h.d
	if opts.Logger == nil {
		opts.Logger, _ = testLogger(t)
	}
	opts.OnEvent = func(e Event) { h.events <- e }
	c, err := NewClient(opts)
	if err != nil {
		t.Fatalf("NewClient() = %v", err)
	}
	c.jitter = func(n int64) int64 { return n - 1 } // the upper bound: deterministic
	h.c = c
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel = cancel
	go func() { h.done <- c.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		<-h.done
	})
	return h
}

// accept takes the next connection and returns its peer, unbound.
func (h *clientHarness) accept() *peer {
	h.t.Helper()
	return newPeer(h.t, <-h.d.conns)
}

// acceptBind takes the next connection and answers its bind with status.
func (h *clientHarness) acceptBind(status pdu.Status) (*peer, *pdu.Bind) {
	h.t.Helper()
	p := h.accept()
	req, ok := p.next().(*pdu.Bind)
	if !ok {
		h.t.Fatal("first PDU is not a bind")
	}
	p.respond(req, status, "")
	return p, req
}

// nextEvent returns the next event in state st, skipping others.
func (h *clientHarness) nextEvent(st ClientState) Event {
	h.t.Helper()
	for {
		e := <-h.events
		if e.State == st {
			return e
		}
	}
}

// stop cancels Run and answers its unbind on p.
func (h *clientHarness) stop(p *peer) {
	h.t.Helper()
	synctest.Wait() // let the client finish what the peer answered
	h.cancel()
	if p != nil {
		p.respond(p.nextID(pdu.UnbindID), pdu.StatusOK, "")
	}
	if err := <-h.done; err != nil {
		h.t.Errorf("Run() = %v, want nil", err)
	}
	h.done <- nil // for the cleanup
}

type clientSubmit struct {
	resp *pdu.SubmitSMResp
	err  error
}

func (h *clientHarness) submitAsync(ctx context.Context, dst string) <-chan clientSubmit {
	ch := make(chan clientSubmit, 1)
	go func() {
		r, err := h.c.Submit(ctx, testSM(dst))
		ch <- clientSubmit{r, err}
	}()
	return ch
}

func TestNewClientValidates(t *testing.T) {
	tests := []struct {
		name string
		opts ClientOptions
	}{
		{"NoAddr", ClientOptions{SystemID: "x"}},
		{"NoSystemID", ClientOptions{Addr: "a:1"}},
		{"BadMode", ClientOptions{Addr: "a:1", SystemID: "x", Mode: 9}},
		{"NegativeRate", ClientOptions{Addr: "a:1", SystemID: "x", Rate: -1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := NewClient(tt.opts); err == nil {
				t.Errorf("NewClient(%+v) = nil error, want an error", tt.opts)
			}
		})
	}
}

func TestClientSubmitAndStop(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := startClient(t, ClientOptions{})
		p, bind := h.acceptBind(pdu.StatusOK)
		if bind.ID != pdu.BindTransceiverID || bind.SystemID != "esme" {
			t.Errorf("bind = %v %q, want bind_transceiver esme", bind.ID, bind.SystemID)
		}
		h.nextEvent(ClientBound)
		if !h.c.Bound() {
			t.Error("Bound() = false, want true")
		}
		ch := h.submitAsync(t.Context(), "1")
		p.respond(p.nextID(pdu.SubmitSMID), pdu.StatusOK, "m1")
		if r := <-ch; r.err != nil || r.resp.MessageID != "m1" {
			t.Fatalf("Submit() = %v, %v; want m1", r.resp, r.err)
		}
		if st := h.c.Stats(); st.Submitted != 1 || st.Binds != 1 || st.Session.PDUsOut != 2 {
			t.Errorf("Stats() = %+v, want Submitted 1, Binds 1, Session.PDUsOut 2", st)
		}
		h.stop(p)
		p.closed()
		if st := h.c.State(); st != ClientStopped {
			t.Errorf("State() = %v, want %v", st, ClientStopped)
		}
		if _, err := h.c.Submit(t.Context(), testSM("2")); !errors.Is(err, ErrClosed) {
			t.Errorf("Submit() after Run returned = %v, want ErrClosed", err)
		}
		if err := h.c.Run(t.Context()); err == nil {
			t.Error("second Run() = nil, want an error")
		}
	})
}

func TestClientSubmitWaitsForBind(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := startClient(t, ClientOptions{})
		ctx, cancel := context.WithTimeout(t.Context(), time.Second)
		defer cancel()
		early := h.submitAsync(ctx, "0")
		p := h.accept() // bind not answered yet
		if r := <-early; !errors.Is(r.err, context.DeadlineExceeded) {
			t.Fatalf("Submit() with no bind = %v, want context.DeadlineExceeded", r.err)
		}
		ch := h.submitAsync(t.Context(), "1")
		p.respond(p.nextID(pdu.BindTransceiverID), pdu.StatusOK, "")
		p.respond(p.nextID(pdu.SubmitSMID), pdu.StatusOK, "m1")
		if r := <-ch; r.err != nil {
			t.Fatalf("Submit() = %v, want nil", r.err)
		}
		h.stop(p)
	})
}

func TestClientBindRefused(t *testing.T) {
	for _, st := range []pdu.Status{pdu.StatusInvPassword, pdu.StatusInvSysID, pdu.StatusBindFail, pdu.StatusAlreadyBound} {
		t.Run(st.Name(), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				logger, logs := testLogger(t)
				h := startClient(t, ClientOptions{BackoffBase: time.Second, BackoffCap: 45 * time.Second, Logger: logger})
				h.acceptBind(st)
				e := h.nextEvent(ClientWaiting)
				var got pdu.Status
				if !errors.As(e.Err, &got) || got != st {
					t.Errorf("event error = %v, want %v", e.Err, st)
				}
				if e.Retry != 45*time.Second {
					t.Errorf("retry after %v, want the cap 45s", e.Retry)
				}
				start := time.Now()
				p, _ := h.acceptBind(pdu.StatusOK)
				if d := time.Since(start); d != 45*time.Second {
					t.Errorf("re-dialled after %v, want 45s", d)
				}
				if !strings.Contains(logs.String(), "level=ERROR") || strings.Contains(logs.String(), "s3cr3t") {
					t.Errorf("want an ERROR log without the password, got:\n%s", logs)
				}
				h.stop(p)
			})
		})
	}
}

func TestClientBindTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := startClient(t, ClientOptions{BindTimeout: 3 * time.Second})
		start := time.Now()
		p := h.accept()
		p.nextID(pdu.BindTransceiverID) // never answered
		e := h.nextEvent(ClientWaiting)
		if !errors.Is(e.Err, context.DeadlineExceeded) {
			t.Errorf("event error = %v, want context.DeadlineExceeded", e.Err)
		}
		if d := time.Since(start); d != 3*time.Second {
			t.Errorf("bind gave up after %v, want 3s", d)
		}
		p.closed()
		if st := h.c.Stats(); st.BindFailures != 1 {
			t.Errorf("Stats().BindFailures = %d, want 1", st.BindFailures)
		}
	})
}

func TestClientReconnectBackoff(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := startClient(t, ClientOptions{BackoffBase: time.Second, BackoffCap: 8 * time.Second, StableAfter: time.Minute, EnquireLinkInterval: -1})
		// Each bind is dropped at once: the waits double up to the cap.
		want := []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 8 * time.Second}
		p, _ := h.acceptBind(pdu.StatusOK)
		for i, w := range want {
			synctest.Wait() // bound
			p.conn.Close()
			e := h.nextEvent(ClientWaiting)
			if e.Retry != w {
				t.Errorf("wait %d = %v, want %v", i, e.Retry, w)
			}
			start := time.Now()
			p, _ = h.acceptBind(pdu.StatusOK)
			if d := time.Since(start); d != w {
				t.Errorf("re-dial %d after %v, want %v", i, d, w)
			}
		}
		// A bind that stays up for StableAfter resets the backoff.
		time.Sleep(time.Minute)
		p.writeHex("0000001000000015000000000000000D") // keep the link busy
		p.nextID(pdu.EnquireLinkRespID)
		p.conn.Close()
		if e := h.nextEvent(ClientWaiting); e.Retry != time.Second {
			t.Errorf("wait after a stable bind = %v, want 1s", e.Retry)
		}
		p, _ = h.acceptBind(pdu.StatusOK)
		synctest.Wait()
		if st := h.c.Stats(); st.Reconnects != 6 || st.Binds != 7 {
			t.Errorf("Stats() = %+v, want Reconnects 6, Binds 7", st)
		}
		h.stop(p)
	})
}

func TestClientPeerUnbindReconnects(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := startClient(t, ClientOptions{})
		p, _ := h.acceptBind(pdu.StatusOK)
		h.nextEvent(ClientBound)
		p.write(&pdu.Unbind{Header: pdu.Header{ID: pdu.UnbindID, Seq: 9}})
		p.nextID(pdu.UnbindRespID)
		p.closed()
		e := h.nextEvent(ClientWaiting)
		if !errors.Is(e.Err, ErrPeerUnbind) {
			t.Errorf("event error = %v, want ErrPeerUnbind", e.Err)
		}
		p, _ = h.acceptBind(pdu.StatusOK)
		ch := h.submitAsync(t.Context(), "1")
		p.respond(p.nextID(pdu.SubmitSMID), pdu.StatusOK, "m")
		if r := <-ch; r.err != nil {
			t.Fatalf("Submit() after a reconnect = %v", r.err)
		}
		h.stop(p)
	})
}

func TestClientUnknownOutcome(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := startClient(t, ClientOptions{})
		p, _ := h.acceptBind(pdu.StatusOK)
		ch := h.submitAsync(t.Context(), "1")
		p.nextID(pdu.SubmitSMID)
		p.conn.Close() // lost before the response
		r := <-ch
		if !errors.Is(r.err, ErrUnknownOutcome) {
			t.Fatalf("Submit() = %v, want ErrUnknownOutcome", r.err)
		}
		p2, _ := h.acceptBind(pdu.StatusOK)
		synctest.Wait()
		p2.none() // never resent
		if st := h.c.Stats(); st.Unknown != 1 {
			t.Errorf("Stats().Unknown = %d, want 1", st.Unknown)
		}
		h.stop(p2)
	})
}

func TestClientThrottle(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := startClient(t, ClientOptions{ThrottleBase: time.Second, ThrottleCap: 3 * time.Second})
		p, _ := h.acceptBind(pdu.StatusOK)
		chA := h.submitAsync(t.Context(), "A")
		reqA := p.nextID(pdu.SubmitSMID)
		start := time.Now()
		p.respond(reqA, pdu.StatusThrottled, "")

		// A new submit during the pause waits, and goes after the retry.
		time.Sleep(500 * time.Millisecond)
		chB := h.submitAsync(t.Context(), "B")
		synctest.Wait()
		p.none()

		// Pauses: 1s, then 2s, then 3s (cap); the same PDU each time.
		for i, want := range []time.Duration{time.Second, 3 * time.Second, 6 * time.Second} {
			r := p.nextID(pdu.SubmitSMID).(*pdu.SubmitSM)
			if r.DestinationAddr != "A" {
				t.Fatalf("retry %d went to %q, want A first", i, r.DestinationAddr)
			}
			if d := time.Since(start); d != want {
				t.Errorf("retry %d at %v, want %v", i, d, want)
			}
			if i < 2 {
				p.respond(r, pdu.StatusThrottled, "")
			} else {
				p.respond(r, pdu.StatusOK, "mA")
			}
		}
		if r := <-chA; r.err != nil || r.resp.MessageID != "mA" {
			t.Fatalf("Submit(A) = %v, %v; want mA", r.resp, r.err)
		}
		rB := p.nextID(pdu.SubmitSMID).(*pdu.SubmitSM)
		if rB.DestinationAddr != "B" {
			t.Fatalf("next submit to %q, want B", rB.DestinationAddr)
		}
		// The pause starts again from ThrottleBase after an OK.
		mark := time.Now()
		p.respond(rB, pdu.StatusMsgQFull, "")
		rB = p.nextID(pdu.SubmitSMID).(*pdu.SubmitSM)
		if d := time.Since(mark); d != time.Second {
			t.Errorf("pause after an OK then ESME_RMSGQFUL = %v, want 1s", d)
		}
		p.respond(rB, pdu.StatusOK, "mB")
		if r := <-chB; r.err != nil || r.resp.MessageID != "mB" {
			t.Fatalf("Submit(B) = %v, %v; want mB", r.resp, r.err)
		}
		if st := h.c.Stats(); st.Throttled != 4 || st.Retried != 4 || st.Submitted != 2 || st.Failed != 0 {
			t.Errorf("Stats() = %+v, want Throttled 4, Retried 4, Submitted 2, Failed 0", st)
		}
		h.stop(p)
	})
}

// TestClientThrottleWindow checks that a window of throttled answers pauses
// once, not once per answer.
func TestClientThrottleWindow(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := startClient(t, ClientOptions{ThrottleBase: time.Second, ThrottleCap: 30 * time.Second})
		p, _ := h.acceptBind(pdu.StatusOK)
		var chans []<-chan clientSubmit
		var reqs []pdu.PDU
		for _, d := range []string{"1", "2", "3"} {
			chans = append(chans, h.submitAsync(t.Context(), d))
			reqs = append(reqs, p.nextID(pdu.SubmitSMID))
		}
		start := time.Now()
		for _, r := range reqs {
			p.respond(r, pdu.StatusThrottled, "")
		}
		for range reqs {
			r := p.nextID(pdu.SubmitSMID)
			if d := time.Since(start); d != time.Second {
				t.Errorf("retry after %v, want 1s", d)
			}
			p.respond(r, pdu.StatusOK, "ok")
		}
		for _, ch := range chans {
			if r := <-ch; r.err != nil {
				t.Errorf("Submit() = %v, want nil", r.err)
			}
		}
		h.stop(p)
	})
}

func TestClientSubmitError(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := startClient(t, ClientOptions{})
		p, _ := h.acceptBind(pdu.StatusOK)
		ch := h.submitAsync(t.Context(), "1")
		p.respond(p.nextID(pdu.SubmitSMID), pdu.StatusInvDstAddr, "")
		r := <-ch
		var st pdu.Status
		if !errors.As(r.err, &st) || st != pdu.StatusInvDstAddr || r.resp == nil {
			t.Fatalf("Submit() = %v, %v; want the response and ESME_RINVDSTADR", r.resp, r.err)
		}
		if got := h.c.Stats().Failed; got != 1 {
			t.Errorf("Stats().Failed = %d, want 1", got)
		}
		h.stop(p)
	})
}

func TestClientRateLimit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := startClient(t, ClientOptions{Rate: 10, Burst: 1})
		p, _ := h.acceptBind(pdu.StatusOK)
		start := time.Now()
		var times []time.Duration
		done := make(chan struct{})
		go func() {
			defer close(done)
			for range 5 {
				if _, err := h.c.Submit(t.Context(), testSM("1")); err != nil {
					t.Errorf("Submit() = %v", err)
					return
				}
			}
		}()
		for range 5 {
			r := p.nextID(pdu.SubmitSMID)
			times = append(times, time.Since(start))
			p.respond(r, pdu.StatusOK, "m")
		}
		<-done
		for i, d := range times {
			if want := time.Duration(i) * 100 * time.Millisecond; d != want {
				t.Errorf("submit %d sent at %v, want %v", i, d, want)
			}
		}
		h.stop(p)
	})
}

func TestClientTransmitterReceiver(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		got := make(chan string, 1)
		handler := HandlerFunc(func(ctx context.Context, p pdu.PDU) error {
			got <- p.(*pdu.DeliverSM).SourceAddr
			return nil
		})
		h := startClient(t, ClientOptions{Mode: TransmitterReceiver, Handler: handler})
		tx, b1 := h.acceptBind(pdu.StatusOK)
		rx, b2 := h.acceptBind(pdu.StatusOK)
		if b1.ID != pdu.BindTransmitterID || b2.ID != pdu.BindReceiverID {
			t.Fatalf("binds = %v, %v; want bind_transmitter, bind_receiver", b1.ID, b2.ID)
		}
		ch := h.submitAsync(t.Context(), "1")
		tx.respond(tx.nextID(pdu.SubmitSMID), pdu.StatusOK, "m")
		if r := <-ch; r.err != nil {
			t.Fatalf("Submit() = %v", r.err)
		}
		rx.write(&pdu.DeliverSM{Header: pdu.Header{ID: pdu.DeliverSMID, Seq: 1}, MessageFields: pdu.MessageFields{SourceAddr: "447700900123"}})
		if src := <-got; src != "447700900123" {
			t.Errorf("handler got source %q", src)
		}
		rx.nextID(pdu.DeliverSMRespID)

		// Losing the receiver drops the pair; both are bound again.
		rx.conn.Close()
		tx.respond(tx.nextID(pdu.UnbindID), pdu.StatusOK, "")
		tx.closed()
		h.nextEvent(ClientWaiting)
		tx, _ = h.acceptBind(pdu.StatusOK)
		rx, _ = h.acceptBind(pdu.StatusOK)
		synctest.Wait()
		h.cancel()
		for _, p := range []*peer{tx, rx} {
			p.respond(p.nextID(pdu.UnbindID), pdu.StatusOK, "")
		}
		if err := <-h.done; err != nil {
			t.Errorf("Run() = %v", err)
		}
		h.done <- nil
	})
}

func TestClientReceiverOnlySubmitWaits(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := startClient(t, ClientOptions{Mode: Receiver})
		p, b := h.acceptBind(pdu.StatusOK)
		if b.ID != pdu.BindReceiverID {
			t.Fatalf("bind = %v, want bind_receiver", b.ID)
		}
		ctx, cancel := context.WithTimeout(t.Context(), time.Second)
		defer cancel()
		if _, err := h.c.Submit(ctx, testSM("1")); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Submit() on a receiver-only client = %v, want context.DeadlineExceeded", err)
		}
		h.stop(p)
	})
}

func TestClientSubmitText(t *testing.T) {
	long := strings.Repeat("0123456789", 20) // 200 GSM characters: 2 parts
	tests := []struct {
		name   string
		concat text.Concat
		parts  int
		check  func(t *testing.T, i int, sm *pdu.SubmitSM)
	}{
		{"UDH8", text.ConcatUDH8, 2, func(t *testing.T, i int, sm *pdu.SubmitSM) {
			if !sm.ESMClass.UDHI() || !bytes.HasPrefix(sm.ShortMessage, []byte{5, 0, 3}) {
				t.Errorf("part %d: esm_class %#x short_message % x, want UDHI and 05 00 03", i, sm.ESMClass, sm.ShortMessage[:3])
			}
		}},
		{"UDH16", text.ConcatUDH16, 2, func(t *testing.T, i int, sm *pdu.SubmitSM) {
			if !sm.ESMClass.UDHI() || !bytes.HasPrefix(sm.ShortMessage, []byte{6, 8, 4}) {
				t.Errorf("part %d: esm_class %#x, want UDHI and 06 08 04", i, sm.ESMClass)
			}
		}},
		{"SAR", text.ConcatSAR, 2, func(t *testing.T, i int, sm *pdu.SubmitSM) {
			total, _ := sm.TLVs.Uint8(pdu.TagSarTotalSegments)
			seq, _ := sm.TLVs.Uint8(pdu.TagSarSegmentSeqnum)
			if sm.ESMClass.UDHI() || total != 2 || int(seq) != i+1 || !sm.TLVs.Has(pdu.TagSarMsgRefNum) {
				t.Errorf("part %d: esm_class %#x sar %d/%d, want no UDHI and %d/2", i, sm.ESMClass, seq, total, i+1)
			}
		}},
		{"Payload", text.ConcatPayload, 1, func(t *testing.T, i int, sm *pdu.SubmitSM) {
			payload, ok := sm.TLVs.Get(pdu.TagMessagePayload)
			if len(sm.ShortMessage) != 0 || !ok || string(payload) != long {
				t.Errorf("part %d: short_message %d octets, payload %d octets; want 0 and the whole text", i, len(sm.ShortMessage), len(payload))
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				h := startClient(t, ClientOptions{Concat: tt.concat})
				p, _ := h.acceptBind(pdu.StatusOK)
				tmpl := &pdu.SubmitSM{MessageFields: pdu.MessageFields{SourceAddr: "INFO", SourceAddrTON: 5, DestinationAddr: "447700900123", RegisteredDelivery: 1}}
				type res struct {
					ids []string
					err error
				}
				ch := make(chan res, 1)
				go func() {
					ids, err := h.c.SubmitText(t.Context(), tmpl, long)
					ch <- res{ids, err}
				}()
				var joined strings.Builder
				for i := range tt.parts {
					sm := p.nextID(pdu.SubmitSMID).(*pdu.SubmitSM)
					if sm.SourceAddr != "INFO" || sm.SourceAddrTON != 5 || sm.RegisteredDelivery != 1 || sm.DataCoding != 0 {
						t.Errorf("part %d fields = %+v, want the template's", i, sm.MessageFields)
					}
					tt.check(t, i, sm)
					if sm.ESMClass.UDHI() {
						joined.Write(sm.ShortMessage[sm.ShortMessage[0]+1:])
					} else {
						joined.Write(sm.ShortMessage)
					}
					p.respond(sm, pdu.StatusOK, "id"+string(rune('A'+i)))
				}
				r := <-ch
				if r.err != nil || len(r.ids) != tt.parts || r.ids[0] != "idA" {
					t.Fatalf("SubmitText() = %v, %v; want %d ids", r.ids, r.err, tt.parts)
				}
				if tt.concat != text.ConcatPayload && joined.String() != long {
					t.Errorf("parts joined = %q, want the text", joined.String())
				}
				if len(tmpl.TLVs) != 0 || tmpl.ESMClass != 0 {
					t.Errorf("template modified: %+v", tmpl.MessageFields)
				}
				h.stop(p)
			})
		})
	}
}

func TestClientSubmitTextPartialFailure(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := startClient(t, ClientOptions{})
		p, _ := h.acceptBind(pdu.StatusOK)
		var mu sync.Mutex
		var ids []string
		var err error
		done := make(chan struct{})
		go func() {
			defer close(done)
			got, e := h.c.SubmitText(t.Context(), &pdu.SubmitSM{MessageFields: pdu.MessageFields{DestinationAddr: "1"}}, strings.Repeat("x", 400))
			mu.Lock()
			ids, err = got, e
			mu.Unlock()
		}()
		p.respond(p.nextID(pdu.SubmitSMID), pdu.StatusOK, "p1")
		p.respond(p.nextID(pdu.SubmitSMID), pdu.StatusInvDstAddr, "")
		<-done
		synctest.Wait()
		p.none() // the third part is not sent
		mu.Lock()
		defer mu.Unlock()
		var st pdu.Status
		if len(ids) != 1 || ids[0] != "p1" || !errors.As(err, &st) || st != pdu.StatusInvDstAddr {
			t.Fatalf("SubmitText() = %v, %v; want [p1] and ESME_RINVDSTADR", ids, err)
		}
		h.stop(p)
	})
}

func TestClientSend(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := startClient(t, ClientOptions{})
		p, _ := h.acceptBind(pdu.StatusOK)
		type res struct {
			p   pdu.PDU
			err error
		}
		ch := make(chan res, 1)
		go func() {
			ds := &pdu.DataSM{SourceAddr: "4242", DestinationAddr: "447700900123"}
			ds.TLVs.Set(pdu.TagMessagePayload, []byte("hi"))
			r, err := h.c.Send(t.Context(), ds)
			ch <- res{r, err}
		}()
		req := p.nextID(pdu.DataSMID)
		r := pdu.Response(req, pdu.StatusOK).(*pdu.DataSMResp)
		r.MessageID = "d1"
		p.write(r)
		got := <-ch
		if dr, ok := got.p.(*pdu.DataSMResp); got.err != nil || !ok || dr.MessageID != "d1" {
			t.Fatalf("Send(data_sm) = %v, %v; want data_sm_resp d1", got.p, got.err)
		}
		h.stop(p)
	})
}
