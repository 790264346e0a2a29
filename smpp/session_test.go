package smpp

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/smsgw/smsgw/smpp/pdu"
)

func TestBind(t *testing.T) {
	tests := []struct {
		name   string
		mode   BindMode
		wantID pdu.CommandID
		status pdu.Status
	}{
		{"TransceiverOK", Transceiver, pdu.BindTransceiverID, pdu.StatusOK},
		{"TransmitterOK", Transmitter, pdu.BindTransmitterID, pdu.StatusOK},
		{"ReceiverOK", Receiver, pdu.BindReceiverID, pdu.StatusOK},
		{"InvalidPassword", Transceiver, pdu.BindTransceiverID, pdu.StatusInvPassword},
		{"AlreadyBound", Transmitter, pdu.BindTransmitterID, pdu.StatusAlreadyBound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				logger, logs := testLogger(t)
				s, p := newPipeSession(t, SessionOptions{Logger: logger})
				type res struct {
					r   *pdu.BindResp
					err error
				}
				ch := make(chan res, 1)
				go func() {
					r, err := s.Bind(t.Context(), tt.mode, testParams)
					ch <- res{r, err}
				}()
				req := p.nextID(tt.wantID).(*pdu.Bind)
				if req.SystemID != "esme" || req.Password != "s3cr3t" || req.SystemType != "test" || req.InterfaceVersion != 0x34 {
					t.Errorf("bind = %+v, want system_id esme, password s3cr3t, system_type test, version 0x34", req)
				}
				if req.Seq != 1 {
					t.Errorf("bind seq = %d, want 1", req.Seq)
				}
				p.respond(req, tt.status, "")
				got := <-ch
				if tt.status == pdu.StatusOK {
					if got.err != nil {
						t.Fatalf("Bind() = %v, want nil", got.err)
					}
					if got.r == nil || got.r.SystemID != "SMSC" {
						t.Errorf("Bind() resp = %+v, want system_id SMSC", got.r)
					}
					if st := s.State(); st != boundState(tt.mode) {
						t.Errorf("State() = %v, want %v", st, boundState(tt.mode))
					}
				} else {
					var st pdu.Status
					if !errors.As(got.err, &st) || st != tt.status {
						t.Fatalf("Bind() = %v, want status %v", got.err, tt.status)
					}
					if got.r == nil || got.r.Status != tt.status {
						t.Errorf("Bind() resp = %+v, want the response with status %v", got.r, tt.status)
					}
					if st := s.State(); st != StateOpen {
						t.Errorf("State() = %v, want %v", st, StateOpen)
					}
				}
				if strings.Contains(logs.String(), "s3cr3t") {
					t.Errorf("logs contain the password:\n%s", logs)
				}
			})
		})
	}
}

func TestBindTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s, p := newPipeSession(t, SessionOptions{ResponseTimeout: time.Hour})
		ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
		defer cancel()
		start := time.Now()
		errc := make(chan error, 1)
		go func() {
			_, err := s.Bind(ctx, Transceiver, testParams)
			errc <- err
		}()
		p.nextID(pdu.BindTransceiverID) // never answered
		err := <-errc
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Bind() = %v, want context.DeadlineExceeded", err)
		}
		if d := time.Since(start); d != 10*time.Second {
			t.Errorf("Bind() returned after %v, want 10s", d)
		}
	})
}

func TestBindResponseTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s, p := newPipeSession(t, SessionOptions{ResponseTimeout: 2 * time.Second})
		errc := make(chan error, 1)
		go func() {
			_, err := s.Bind(t.Context(), Transceiver, testParams)
			errc <- err
		}()
		p.nextID(pdu.BindTransceiverID)
		err := <-errc
		if !errors.Is(err, ErrTimeout) || !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Bind() = %v, want ErrTimeout and context.DeadlineExceeded", err)
		}
	})
}

func TestBindTwice(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s, _ := bindPipe(t, Transceiver, SessionOptions{})
		if _, err := s.Bind(t.Context(), Transceiver, testParams); err == nil {
			t.Fatal("second Bind() = nil, want an error")
		}
		if _, err := s.Bind(t.Context(), TransmitterReceiver, testParams); err == nil {
			t.Fatal("Bind(TransmitterReceiver) = nil, want an error")
		}
	})
}

func TestSubmitRoundTrip(t *testing.T) {
	tests := []struct {
		name   string
		status pdu.Status
	}{
		{"OK", pdu.StatusOK},
		{"InvalidDestination", pdu.StatusInvDstAddr},
		{"Throttled", pdu.StatusThrottled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				s, p := bindPipe(t, Transceiver, SessionOptions{})
				ch := submitAsync(t.Context(), s, "447700900123")
				req := p.nextID(pdu.SubmitSMID).(*pdu.SubmitSM)
				if req.DestinationAddr != "447700900123" || string(req.ShortMessage) != "hello" {
					t.Errorf("submit_sm = %+v, want dest 447700900123 text hello", req.MessageFields)
				}
				if req.Seq != 2 {
					t.Errorf("submit_sm seq = %d, want 2", req.Seq)
				}
				p.respond(req, tt.status, "msg-1")
				got := <-ch
				if got.resp == nil {
					t.Fatalf("Submit() resp = nil, err %v; want a response", got.err)
				}
				if tt.status == pdu.StatusOK {
					if got.err != nil || got.resp.MessageID != "msg-1" {
						t.Fatalf("Submit() = %+v, %v; want message_id msg-1, nil", got.resp, got.err)
					}
					return
				}
				var st pdu.Status
				if !errors.As(got.err, &st) || st != tt.status || got.resp.Status != tt.status {
					t.Fatalf("Submit() = %+v, %v; want the response and %v", got.resp, got.err, tt.status)
				}
				if errors.Is(got.err, ErrUnknownOutcome) {
					t.Errorf("Submit() = %v, must not be ErrUnknownOutcome", got.err)
				}
			})
		})
	}
}

func TestSubmitNotBound(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s, _ := newPipeSession(t, SessionOptions{})
		if _, err := s.Submit(t.Context(), testSM("1")); !errors.Is(err, ErrNotBound) {
			t.Errorf("Submit() before Bind = %v, want ErrNotBound", err)
		}
	})
	synctest.Test(t, func(t *testing.T) {
		s, _ := bindPipe(t, Receiver, SessionOptions{})
		if _, err := s.Submit(t.Context(), testSM("1")); !errors.Is(err, ErrNotBound) {
			t.Errorf("Submit() on a receiver = %v, want ErrNotBound", err)
		}
	})
	synctest.Test(t, func(t *testing.T) {
		s, _ := bindPipe(t, Transceiver, SessionOptions{})
		s.Close()
		if _, err := s.Submit(t.Context(), testSM("1")); !errors.Is(err, ErrClosed) || errors.Is(err, ErrUnknownOutcome) {
			t.Errorf("Submit() after Close = %v, want ErrClosed only", err)
		}
	})
}

func TestSendRejectsNonRequests(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s, _ := bindPipe(t, Transceiver, SessionOptions{})
		for _, x := range []pdu.PDU{&pdu.SubmitSMResp{}, &pdu.Unbind{}, &pdu.DeliverSM{}, pdu.New(pdu.BindTransceiverID)} {
			if _, err := s.Send(t.Context(), x); err == nil {
				t.Errorf("Send(%T) = nil, want an error", x)
			}
		}
	})
}

func TestSendEncodeError(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s, p := bindPipe(t, Transceiver, SessionOptions{Window: 1})
		sm := testSM(strings.Repeat("9", 30)) // destination_addr max 20
		_, err := s.Submit(t.Context(), sm)
		var ee *pdu.EncodeError
		if !errors.As(err, &ee) {
			t.Fatalf("Submit(long address) = %v, want *pdu.EncodeError", err)
		}
		// The window slot was returned: the next submit goes out.
		ch := submitAsync(t.Context(), s, "1")
		p.respond(p.nextID(pdu.SubmitSMID), pdu.StatusOK, "ok")
		if r := <-ch; r.err != nil {
			t.Fatalf("Submit() = %v, want nil", r.err)
		}
	})
}

func TestSendQueryAndDataSM(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s, p := bindPipe(t, Transceiver, SessionOptions{})
		type res struct {
			p   pdu.PDU
			err error
		}
		ch := make(chan res, 1)
		go func() {
			r, err := s.Send(t.Context(), &pdu.QuerySM{MessageID: "abc", SourceAddr: "INFO"})
			ch <- res{r, err}
		}()
		q := p.nextID(pdu.QuerySMID)
		r := pdu.Response(q, pdu.StatusOK).(*pdu.QuerySMResp)
		r.MessageID, r.MessageState = "abc", 2
		p.write(r)
		got := <-ch
		qr, ok := got.p.(*pdu.QuerySMResp)
		if got.err != nil || !ok || qr.MessageState != 2 {
			t.Fatalf("Send(query_sm) = %v, %v; want query_sm_resp state 2", got.p, got.err)
		}

		go func() {
			r, err := s.Send(t.Context(), &pdu.EnquireLink{})
			ch <- res{r, err}
		}()
		p.respond(p.nextID(pdu.EnquireLinkID), pdu.StatusOK, "")
		if got := <-ch; got.err != nil {
			t.Fatalf("Send(enquire_link) = %v, want nil", got.err)
		}
	})
}

func TestWindow(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s, p := bindPipe(t, Transceiver, SessionOptions{Window: 2})
		ch1 := submitAsync(t.Context(), s, "1")
		r1 := p.nextID(pdu.SubmitSMID)
		ch2 := submitAsync(t.Context(), s, "2")
		r2 := p.nextID(pdu.SubmitSMID)

		ch3 := submitAsync(t.Context(), s, "3")
		ctx4, cancel4 := context.WithCancel(t.Context())
		ch4 := submitAsync(ctx4, s, "4")
		synctest.Wait()
		p.none() // the window is full: 3 and 4 wait
		if got := s.Stats().Pending; got != 2 {
			t.Errorf("Stats().Pending = %d, want 2", got)
		}

		cancel4()
		r := <-ch4
		if !errors.Is(r.err, context.Canceled) || errors.Is(r.err, ErrUnknownOutcome) {
			t.Errorf("Submit() cancelled while waiting for the window = %v, want context.Canceled and not ErrUnknownOutcome", r.err)
		}

		p.respond(r2, pdu.StatusOK, "m2")
		if r := <-ch2; r.err != nil || r.resp.MessageID != "m2" {
			t.Errorf("Submit(2) = %v, %v; want m2", r.resp, r.err)
		}
		r3 := p.nextID(pdu.SubmitSMID) // a slot was freed
		if d := r3.(*pdu.SubmitSM).DestinationAddr; d != "3" {
			t.Errorf("third submit_sm to %q, want 3", d)
		}
		p.respond(r1, pdu.StatusOK, "m1")
		p.respond(r3, pdu.StatusOK, "m3")
		if r := <-ch1; r.err != nil || r.resp.MessageID != "m1" {
			t.Errorf("Submit(1) = %v, %v; want m1", r.resp, r.err)
		}
		if r := <-ch3; r.err != nil || r.resp.MessageID != "m3" {
			t.Errorf("Submit(3) = %v, %v; want m3", r.resp, r.err)
		}
	})
}

func TestResponseTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s, p := bindPipe(t, Transceiver, SessionOptions{ResponseTimeout: 3 * time.Second, Window: 1})
		start := time.Now()
		ch := submitAsync(t.Context(), s, "1")
		req := p.nextID(pdu.SubmitSMID)
		r := <-ch
		if !errors.Is(r.err, ErrTimeout) || !errors.Is(r.err, context.DeadlineExceeded) || !errors.Is(r.err, ErrUnknownOutcome) {
			t.Fatalf("Submit() = %v, want ErrTimeout, context.DeadlineExceeded and ErrUnknownOutcome", r.err)
		}
		if d := time.Since(start); d != 3*time.Second {
			t.Errorf("Submit() timed out after %v, want 3s", d)
		}
		st := s.Stats()
		if st.Pending != 0 || st.Timeouts != 1 {
			t.Errorf("Stats() = %+v, want Pending 0, Timeouts 1", st)
		}
		// A late response is dropped, and the window slot is free again.
		p.respond(req, pdu.StatusOK, "late")
		ch = submitAsync(t.Context(), s, "2")
		req2 := p.nextID(pdu.SubmitSMID)
		p.respond(req2, pdu.StatusOK, "m2")
		if r := <-ch; r.err != nil || r.resp.MessageID != "m2" {
			t.Fatalf("Submit() after a timeout = %v, %v; want m2", r.resp, r.err)
		}
		if got := s.Stats().Dropped; got != 1 {
			t.Errorf("Stats().Dropped = %d, want 1 (the late response)", got)
		}
	})
}

func TestConsecutiveTimeoutsKillLink(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s, p := bindPipe(t, Transceiver, SessionOptions{ResponseTimeout: time.Second, MaxTimeouts: 2, EnquireLinkInterval: -1})
		for i := range 2 {
			ch := submitAsync(t.Context(), s, fmt.Sprint(i))
			p.nextID(pdu.SubmitSMID)
			if r := <-ch; !errors.Is(r.err, ErrTimeout) {
				t.Fatalf("Submit(%d) = %v, want ErrTimeout", i, r.err)
			}
		}
		<-s.Done()
		if err := s.Err(); !errors.Is(err, ErrLinkDead) {
			t.Fatalf("Err() = %v, want ErrLinkDead", err)
		}
		p.closed()
	})
}

func TestTimeoutCounterResetByResponse(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s, p := bindPipe(t, Transceiver, SessionOptions{ResponseTimeout: time.Second, MaxTimeouts: 2, EnquireLinkInterval: -1})
		step := func(answer bool) {
			ch := submitAsync(t.Context(), s, "1")
			req := p.nextID(pdu.SubmitSMID)
			if answer {
				p.respond(req, pdu.StatusOK, "x")
			}
			<-ch
		}
		step(false)
		step(true)
		step(false)
		synctest.Wait()
		if st := s.State(); st != StateBoundTRX {
			t.Fatalf("State() = %v after timeout, answer, timeout; want %v", st, StateBoundTRX)
		}
	})
}

func TestGenericNackCompletesRequest(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s, p := bindPipe(t, Transceiver, SessionOptions{})
		ch := submitAsync(t.Context(), s, "1")
		req := p.nextID(pdu.SubmitSMID)
		p.write(pdu.NewGenericNack(pdu.StatusInvCmdLen, req.Hdr().Seq))
		r := <-ch
		var st pdu.Status
		if !errors.As(r.err, &st) || st != pdu.StatusInvCmdLen {
			t.Fatalf("Submit() = %v, want status %v", r.err, pdu.StatusInvCmdLen)
		}
		if got := s.Stats().GenericNacks; got != 1 {
			t.Errorf("Stats().GenericNacks = %d, want 1", got)
		}
		synctest.Wait()
		p.none() // a generic_nack is never answered
	})
}

func TestOutOfOrderResponses(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s, p := bindPipe(t, Transceiver, SessionOptions{})
		var chans []<-chan submitResult
		var reqs []pdu.PDU
		for i := range 5 {
			chans = append(chans, submitAsync(t.Context(), s, fmt.Sprint(i)))
			reqs = append(reqs, p.nextID(pdu.SubmitSMID))
		}
		for i := len(reqs) - 1; i >= 0; i-- {
			sm := reqs[i].(*pdu.SubmitSM)
			p.respond(sm, pdu.StatusOK, "id-"+sm.DestinationAddr)
		}
		for i, ch := range chans {
			r := <-ch
			if want := fmt.Sprintf("id-%d", i); r.err != nil || r.resp.MessageID != want {
				t.Errorf("Submit(%d) = %v, %v; want %s", i, r.resp, r.err, want)
			}
		}
	})
}

func TestUnexpectedResponsesDropped(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		logger, logs := testLogger(t)
		s, p := bindPipe(t, Transceiver, SessionOptions{Logger: logger})
		ch := submitAsync(t.Context(), s, "1")
		req := p.nextID(pdu.SubmitSMID)

		// Unknown sequence number.
		p.write(&pdu.SubmitSMResp{Header: pdu.Header{ID: pdu.SubmitSMRespID, Seq: 999}, MessageID: "x"})
		// Known sequence number, wrong command.
		p.write(&pdu.QuerySMResp{Header: pdu.Header{ID: pdu.QuerySMRespID, Seq: req.Hdr().Seq}})
		synctest.Wait()
		select {
		case r := <-ch:
			t.Fatalf("Submit() completed by a mismatched response: %v, %v", r.resp, r.err)
		default:
		}
		p.respond(req, pdu.StatusOK, "good")
		if r := <-ch; r.err != nil || r.resp.MessageID != "good" {
			t.Fatalf("Submit() = %v, %v; want good", r.resp, r.err)
		}
		if got := s.Stats().Dropped; got != 2 {
			t.Errorf("Stats().Dropped = %d, want 2", got)
		}
		p.none() // responses are never answered
		if n := strings.Count(logs.String(), "dropped"); n != 2 {
			t.Errorf("logged %d drops, want 2:\n%s", n, logs)
		}
	})
}

func TestEnquireLinkAnswered(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		_, p := bindPipe(t, Transceiver, SessionOptions{})
		p.writeHex("0000001000000015000000000000000D") // enquire_link seq 13
		r := p.nextID(pdu.EnquireLinkRespID)
		if r.Hdr().Seq != 13 || r.Hdr().Status != pdu.StatusOK {
			t.Fatalf("enquire_link_resp = %+v, want seq 13 ESME_ROK", r.Hdr())
		}
	})
}

func TestEnquireLinkAnsweredWithFullWindow(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s, p := bindPipe(t, Transceiver, SessionOptions{Window: 1})
		ch := submitAsync(t.Context(), s, "1")
		req := p.nextID(pdu.SubmitSMID)
		p.write(&pdu.EnquireLink{Header: pdu.Header{ID: pdu.EnquireLinkID, Seq: 0}})
		if r := p.nextID(pdu.EnquireLinkRespID); r.Hdr().Seq != 0 {
			t.Fatalf("enquire_link_resp seq = %d, want 0", r.Hdr().Seq)
		}
		p.respond(req, pdu.StatusOK, "m")
		<-ch
	})
}

func TestKeepalive(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s, p := bindPipe(t, Transceiver, SessionOptions{EnquireLinkInterval: 30 * time.Second, EnquireLinkTimeout: 10 * time.Second})
		start := time.Now()
		el := p.nextID(pdu.EnquireLinkID)
		if d := time.Since(start); d != 30*time.Second {
			t.Errorf("enquire_link after %v of silence, want 30s", d)
		}
		p.respond(el, pdu.StatusOK, "")

		// Traffic from the peer postpones the next one.
		time.Sleep(20 * time.Second)
		p.writeHex("00000010000000150000000000000007")
		p.nextID(pdu.EnquireLinkRespID)
		mark := time.Now()
		el = p.nextID(pdu.EnquireLinkID)
		if d := time.Since(mark); d != 30*time.Second {
			t.Errorf("enquire_link %v after the last PDU received, want 30s", d)
		}

		// Unanswered: the link is dead after EnquireLinkTimeout.
		mark = time.Now()
		<-s.Done()
		if d := time.Since(mark); d != 10*time.Second {
			t.Errorf("closed %v after an unanswered enquire_link, want 10s", d)
		}
		if err := s.Err(); !errors.Is(err, ErrLinkDead) {
			t.Fatalf("Err() = %v, want ErrLinkDead", err)
		}
		p.closed()
	})
}

func TestDeliverHandled(t *testing.T) {
	errDB := errors.New("database down")
	tests := []struct {
		name string
		err  error
		pnc  bool
		want pdu.Status
	}{
		{"OK", nil, false, pdu.StatusOK},
		{"Status", pdu.StatusXPAppn, false, pdu.StatusXPAppn},
		{"WrappedStatus", fmt.Errorf("bad source: %w", pdu.StatusInvSrcAddr), false, pdu.StatusInvSrcAddr},
		{"OtherError", errDB, false, pdu.StatusXTAppn},
		{"Panic", nil, true, pdu.StatusXTAppn},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				release := make(chan struct{})
				got := make(chan pdu.PDU, 1)
				h := HandlerFunc(func(ctx context.Context, p pdu.PDU) error {
					got <- p
					<-release
					if tt.pnc {
						panic("handler bug")
					}
					return tt.err
				})
				logger, logs := testLogger(t)
				s, p := bindPipe(t, Transceiver, SessionOptions{Handler: h, Logger: logger})
				p.write(&pdu.DeliverSM{
					Header:        pdu.Header{ID: pdu.DeliverSMID, Seq: 42},
					MessageFields: pdu.MessageFields{SourceAddr: "447700900123", DestinationAddr: "4242", ShortMessage: []byte("PIN 9876")},
				})
				mo := (<-got).(*pdu.DeliverSM)
				if string(mo.ShortMessage) != "PIN 9876" {
					t.Errorf("handler got %q, want PIN 9876", mo.ShortMessage)
				}
				synctest.Wait()
				p.none() // not acknowledged before the handler returns
				close(release)
				r := p.nextID(pdu.DeliverSMRespID)
				if r.Hdr().Seq != 42 || r.Hdr().Status != tt.want {
					t.Fatalf("deliver_sm_resp = seq %d %v, want seq 42 %v", r.Hdr().Seq, r.Hdr().Status, tt.want)
				}
				if got := s.Stats().Handled; got != 1 {
					t.Errorf("Stats().Handled = %d, want 1", got)
				}
				if strings.Contains(logs.String(), "9876") {
					t.Errorf("logs contain the message text:\n%s", logs)
				}
			})
		})
	}
}

func TestDataSMHandled(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := HandlerFunc(func(ctx context.Context, p pdu.PDU) error {
			if _, ok := p.(*pdu.DataSM); !ok {
				return errors.New("not data_sm")
			}
			return nil
		})
		_, p := bindPipe(t, Transceiver, SessionOptions{Handler: h})
		ds := &pdu.DataSM{Header: pdu.Header{ID: pdu.DataSMID, Seq: 5}, SourceAddr: "1", DestinationAddr: "2"}
		ds.TLVs.Set(pdu.TagMessagePayload, []byte("hi"))
		p.write(ds)
		if r := p.nextID(pdu.DataSMRespID); r.Hdr().Seq != 5 || r.Hdr().Status != pdu.StatusOK {
			t.Fatalf("data_sm_resp = %+v, want seq 5 ESME_ROK", r.Hdr())
		}
	})
}

func TestDeliverWithoutHandler(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		_, p := bindPipe(t, Transceiver, SessionOptions{})
		p.write(&pdu.DeliverSM{Header: pdu.Header{ID: pdu.DeliverSMID, Seq: 3}})
		if r := p.nextID(pdu.DeliverSMRespID); r.Hdr().Status != pdu.StatusXTAppn {
			t.Fatalf("deliver_sm_resp status = %v, want %v", r.Hdr().Status, pdu.StatusXTAppn)
		}
	})
}

// TestHandlerSaturation checks that busy handlers do not stop the reader:
// responses and enquire_link are still processed while every worker is
// blocked and deliveries queue up.
func TestHandlerSaturation(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		h := HandlerFunc(func(ctx context.Context, p pdu.PDU) error {
			<-release
			return nil
		})
		s, p := bindPipe(t, Transceiver, SessionOptions{Handler: h, Workers: 2, QueueSize: 4})
		for i := range 6 { // 2 running + 4 queued
			p.write(&pdu.DeliverSM{Header: pdu.Header{ID: pdu.DeliverSMID, Seq: uint32(100 + i)}})
		}
		ch := submitAsync(t.Context(), s, "1")
		req := p.nextID(pdu.SubmitSMID)
		p.respond(req, pdu.StatusOK, "m")
		if r := <-ch; r.err != nil {
			t.Fatalf("Submit() with saturated handlers = %v, want nil", r.err)
		}
		p.writeHex("00000010000000150000000000000009")
		p.nextID(pdu.EnquireLinkRespID)
		close(release)
		seen := map[uint32]bool{}
		for range 6 {
			seen[p.nextID(pdu.DeliverSMRespID).Hdr().Seq] = true
		}
		if len(seen) != 6 {
			t.Errorf("answered %d distinct deliver_sm, want 6", len(seen))
		}
	})
}

func TestUnknownCommand(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s, p := bindPipe(t, Transceiver, SessionOptions{})
		p.writeHex("000000100000009900000000000000AB") // command_id 0x99, seq 0xAB
		r := p.nextID(pdu.GenericNackID)
		if r.Hdr().Seq != 0xAB || r.Hdr().Status != pdu.StatusInvCmdID {
			t.Fatalf("generic_nack = %+v, want seq 0xAB ESME_RINVCMDID", r.Hdr())
		}
		// An unknown response is dropped, not nacked.
		p.writeHex("000000108000009900000000000000AC")
		// The session goes on.
		p.writeHex("0000001000000015000000000000000D")
		p.nextID(pdu.EnquireLinkRespID)
		if st := s.State(); st != StateBoundTRX {
			t.Errorf("State() = %v, want %v", st, StateBoundTRX)
		}
		if got := s.Stats().Malformed; got != 2 {
			t.Errorf("Stats().Malformed = %d, want 2", got)
		}
	})
}

func TestUnexpectedRequest(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		_, p := bindPipe(t, Transceiver, SessionOptions{})
		p.write(&pdu.SubmitSM{Header: pdu.Header{ID: pdu.SubmitSMID, Seq: 8}})
		if r := p.nextID(pdu.SubmitSMRespID); r.Hdr().Seq != 8 || r.Hdr().Status != pdu.StatusInvBindStatus {
			t.Fatalf("submit_sm_resp = %+v, want seq 8 ESME_RINVBNDSTS", r.Hdr())
		}
	})
}

func TestBadCommandLength(t *testing.T) {
	tests := []struct {
		name    string
		hex     string
		wantSeq uint32
	}{
		{"TooShort", "0000000800000004", 0},
		{"TooLong", "0001000100000004000000000000002A", 0x2A},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				s, p := bindPipe(t, Transceiver, SessionOptions{MaxPDULength: 4096})
				ch := submitAsync(t.Context(), s, "1")
				p.nextID(pdu.SubmitSMID)
				p.writeHex(tt.hex)
				r := p.nextID(pdu.GenericNackID)
				if r.Hdr().Seq != tt.wantSeq || r.Hdr().Status != pdu.StatusInvCmdLen {
					t.Fatalf("generic_nack = %+v, want seq %d ESME_RINVCMDLEN", r.Hdr(), tt.wantSeq)
				}
				p.closed()
				<-s.Done()
				if err := s.Err(); !errors.Is(err, ErrProtocol) {
					t.Errorf("Err() = %v, want ErrProtocol", err)
				}
				if r := <-ch; !errors.Is(r.err, ErrClosed) || !errors.Is(r.err, ErrUnknownOutcome) {
					t.Errorf("pending Submit() = %v, want ErrClosed and ErrUnknownOutcome", r.err)
				}
			})
		})
	}
}

func TestMalformedDeliver(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		called := make(chan struct{}, 1)
		h := HandlerFunc(func(ctx context.Context, p pdu.PDU) error { called <- struct{}{}; return nil })
		logger, logs := testLogger(t)
		s, p := bindPipe(t, Transceiver, SessionOptions{Handler: h, Logger: logger})
		frame, err := pdu.Marshal(&pdu.DeliverSM{
			Header:        pdu.Header{ID: pdu.DeliverSMID, Seq: 77},
			MessageFields: pdu.MessageFields{SourceAddr: "1", DestinationAddr: "2", ShortMessage: []byte("PIN 4321")},
		})
		if err != nil {
			t.Fatal(err)
		}
		// Make sm_length claim more octets than there are.
		smLen := len(frame) - len("PIN 4321") - 1
		frame[smLen] = 200
		_, derr := pdu.Decode(frame)
		var de *pdu.DecodeError
		if !errors.As(derr, &de) {
			t.Fatalf("Decode(corrupt deliver_sm) = %v, want a *pdu.DecodeError", derr)
		}
		p.writeRaw(frame)
		r := p.nextID(pdu.DeliverSMRespID)
		if r.Hdr().Seq != 77 || r.Hdr().Status != de.Status || de.Status == pdu.StatusOK {
			t.Fatalf("deliver_sm_resp = %+v, want seq 77 %v", r.Hdr(), de.Status)
		}
		synctest.Wait()
		select {
		case <-called:
			t.Error("handler called for a malformed deliver_sm")
		default:
		}
		if s.State() != StateBoundTRX {
			t.Errorf("State() = %v, want %v", s.State(), StateBoundTRX)
		}
		if strings.Contains(logs.String(), "4321") {
			t.Errorf("logs contain the message text:\n%s", logs)
		}
	})
}

func TestAlertAndOutbindNotAnswered(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		alerts := make(chan *pdu.AlertNotification, 1)
		_, p := bindPipe(t, Transceiver, SessionOptions{OnAlert: func(a *pdu.AlertNotification) { alerts <- a }})
		p.write(&pdu.AlertNotification{Header: pdu.Header{ID: pdu.AlertNotificationID, Seq: 4}, SourceAddr: "447700900123", ESMEAddr: "4242"})
		if a := <-alerts; a.SourceAddr != "447700900123" {
			t.Errorf("alert source = %q, want 447700900123", a.SourceAddr)
		}
		p.write(&pdu.Outbind{Header: pdu.Header{ID: pdu.OutbindID, Seq: 5}, SystemID: "smsc"})
		synctest.Wait()
		p.none()
	})
}

func TestPeerUnbind(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s, p := bindPipe(t, Transceiver, SessionOptions{})
		ch := submitAsync(t.Context(), s, "1")
		p.nextID(pdu.SubmitSMID)
		p.write(&pdu.Unbind{Header: pdu.Header{ID: pdu.UnbindID, Seq: 31}})
		r := p.nextID(pdu.UnbindRespID)
		if r.Hdr().Seq != 31 || r.Hdr().Status != pdu.StatusOK {
			t.Fatalf("unbind_resp = %+v, want seq 31 ESME_ROK", r.Hdr())
		}
		p.closed()
		<-s.Done()
		if err := s.Err(); !errors.Is(err, ErrPeerUnbind) {
			t.Errorf("Err() = %v, want ErrPeerUnbind", err)
		}
		if r := <-ch; !errors.Is(r.err, ErrClosed) || !errors.Is(r.err, ErrUnknownOutcome) {
			t.Errorf("pending Submit() = %v, want ErrClosed and ErrUnknownOutcome", r.err)
		}
	})
}

func TestUnbind(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s, p := bindPipe(t, Transceiver, SessionOptions{})
		ch := submitAsync(t.Context(), s, "1")
		req := p.nextID(pdu.SubmitSMID)

		errc := make(chan error, 1)
		go func() { errc <- s.Unbind(t.Context()) }()
		synctest.Wait()
		if st := s.State(); st != StateUnbinding {
			t.Fatalf("State() = %v, want %v", st, StateUnbinding)
		}
		if _, err := s.Submit(t.Context(), testSM("2")); !errors.Is(err, ErrNotBound) {
			t.Errorf("Submit() while unbinding = %v, want ErrNotBound", err)
		}
		p.none() // unbind waits for the outstanding submit
		p.respond(req, pdu.StatusOK, "m1")
		if r := <-ch; r.err != nil {
			t.Errorf("outstanding Submit() = %v, want nil", r.err)
		}
		u := p.nextID(pdu.UnbindID)
		p.respond(u, pdu.StatusOK, "")
		if err := <-errc; err != nil {
			t.Fatalf("Unbind() = %v, want nil", err)
		}
		p.closed()
		if st := s.State(); st != StateClosed {
			t.Errorf("State() = %v, want %v", st, StateClosed)
		}
	})
}

// TestUnbindPeerHangsUp checks that a peer closing the link during our
// unbind (many SMSCs answer unbind_resp and hang up at once) is logged as
// the end of a clean unbind, without a warning.
func TestUnbindPeerHangsUp(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		logger, logs := testLogger(t)
		s, p := bindPipe(t, Transceiver, SessionOptions{Logger: logger})
		errc := make(chan error, 1)
		go func() { errc <- s.Unbind(t.Context()) }()
		p.nextID(pdu.UnbindID)
		p.conn.Close()
		if err := <-errc; err != nil {
			t.Fatalf("Unbind() = %v, want nil", err)
		}
		if out := logs.String(); strings.Contains(out, "level=WARN") {
			t.Errorf("a clean unbind logged a warning:\n%s", out)
		}
	})
}

func TestUnbindBounded(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s, p := bindPipe(t, Transceiver, SessionOptions{UnbindTimeout: 2 * time.Second, ResponseTimeout: time.Minute})
		ch := submitAsync(t.Context(), s, "1")
		p.nextID(pdu.SubmitSMID) // never answered
		start := time.Now()
		errc := make(chan error, 1)
		go func() { errc <- s.Unbind(t.Context()) }()
		p.nextID(pdu.UnbindID) // never answered either
		err := <-errc
		if d := time.Since(start); d != 4*time.Second {
			t.Errorf("Unbind() took %v, want 4s (2s drain + 2s unbind_resp)", d)
		}
		if !errors.Is(err, ErrTimeout) {
			t.Errorf("Unbind() = %v, want ErrTimeout", err)
		}
		if r := <-ch; !errors.Is(r.err, ErrUnknownOutcome) {
			t.Errorf("pending Submit() = %v, want ErrUnknownOutcome", r.err)
		}
		p.closed()
	})
}

func TestCloseWhileSubmitBlocked(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s, p := bindPipe(t, Transceiver, SessionOptions{Window: 1})
		inflight := submitAsync(t.Context(), s, "1")
		p.nextID(pdu.SubmitSMID)
		waiting := submitAsync(t.Context(), s, "2") // blocked on the window
		synctest.Wait()

		closed := make(chan struct{})
		go func() {
			s.Close()
			close(closed)
		}()
		<-closed
		if r := <-inflight; !errors.Is(r.err, ErrClosed) || !errors.Is(r.err, ErrUnknownOutcome) {
			t.Errorf("in-flight Submit() = %v, want ErrClosed and ErrUnknownOutcome", r.err)
		}
		if r := <-waiting; !errors.Is(r.err, ErrClosed) || errors.Is(r.err, ErrUnknownOutcome) {
			t.Errorf("waiting Submit() = %v, want ErrClosed only (never sent)", r.err)
		}
		p.closed()
	})
}

// TestCloseUnsent checks that requests still queued for the writer when the
// connection closes are reported as not sent.
func TestCloseUnsent(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c1, c2 := net.Pipe()
		defer c2.Close()
		logger, _ := testLogger(t)
		s := NewSession(c1, SessionOptions{Logger: logger})
		defer s.Close()
		// Bind by hand: the test reads the bind, then stops reading so
		// the writer blocks in Write on the pipe.
		errc := make(chan error, 1)
		go func() {
			_, err := s.Bind(t.Context(), Transceiver, testParams)
			errc <- err
		}()
		br := bufio.NewReader(c2)
		frame, err := pdu.ReadFrame(br, 0)
		if err != nil {
			t.Fatal(err)
		}
		req, _ := pdu.Decode(frame)
		b, _ := pdu.Marshal(pdu.Response(req, pdu.StatusOK))
		c2.Write(b)
		if err := <-errc; err != nil {
			t.Fatal(err)
		}
		first := submitAsync(t.Context(), s, "1")
		synctest.Wait() // the writer is blocked writing the first submit
		second := submitAsync(t.Context(), s, "2")
		synctest.Wait() // queued behind it
		s.Close()
		if r := <-first; !errors.Is(r.err, ErrUnknownOutcome) {
			t.Errorf("Submit(being written) = %v, want ErrUnknownOutcome", r.err)
		}
		if r := <-second; !errors.Is(r.err, ErrClosed) || errors.Is(r.err, ErrUnknownOutcome) {
			t.Errorf("Submit(queued) = %v, want ErrClosed only", r.err)
		}
	})
}

func TestSequenceWrap(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s, p := bindPipe(t, Transceiver, SessionOptions{})
		s.mu.Lock()
		s.seq = 0 // next is 1
		s.mu.Unlock()
		chA := submitAsync(t.Context(), s, "A")
		reqA := p.nextID(pdu.SubmitSMID) // seq 1, left pending
		s.mu.Lock()
		s.seq = maxSeq - 1
		s.mu.Unlock()
		var got []uint32
		var chans []<-chan submitResult
		for _, d := range []string{"B", "C", "D"} {
			chans = append(chans, submitAsync(t.Context(), s, d))
			r := p.nextID(pdu.SubmitSMID)
			got = append(got, r.Hdr().Seq)
			p.respond(r, pdu.StatusOK, d)
			<-chans[len(chans)-1]
		}
		want := []uint32{maxSeq, 2, 3} // 1 is still pending: skipped
		if reqA.Hdr().Seq != 1 || fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("sequence numbers = %d then %v, want 1 then %v", reqA.Hdr().Seq, got, want)
		}
		p.respond(reqA, pdu.StatusOK, "A")
		if r := <-chA; r.err != nil || r.resp.MessageID != "A" {
			t.Errorf("Submit(A) = %v, %v; want A", r.resp, r.err)
		}
	})
}

func TestCloseIdempotent(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s, _ := newPipeSession(t, SessionOptions{})
		s.Close() // never started
		s.Close()
		if err := s.Err(); !errors.Is(err, ErrClosed) {
			t.Errorf("Err() = %v, want ErrClosed", err)
		}
		if _, err := s.Bind(t.Context(), Transceiver, testParams); !errors.Is(err, ErrClosed) {
			t.Errorf("Bind() after Close = %v, want ErrClosed", err)
		}
	})
}

// countMetrics records Metrics calls.
type countMetrics struct {
	mu        sync.Mutex
	in, out   map[pdu.CommandID]int
	maxWindow int
	rtts      map[pdu.CommandID]int
	bound     []bool
}

func newCountMetrics() *countMetrics {
	return &countMetrics{in: map[pdu.CommandID]int{}, out: map[pdu.CommandID]int{}, rtts: map[pdu.CommandID]int{}}
}

func (m *countMetrics) PDUIn(id pdu.CommandID)  { m.mu.Lock(); m.in[id]++; m.mu.Unlock() }
func (m *countMetrics) PDUOut(id pdu.CommandID) { m.mu.Lock(); m.out[id]++; m.mu.Unlock() }
func (m *countMetrics) Window(n int)            { m.mu.Lock(); m.maxWindow = max(m.maxWindow, n); m.mu.Unlock() }
func (m *countMetrics) RoundTrip(id pdu.CommandID, d time.Duration) {
	m.mu.Lock()
	m.rtts[id]++
	m.mu.Unlock()
}
func (m *countMetrics) Reconnect()    {}
func (m *countMetrics) Bound(up bool) { m.mu.Lock(); m.bound = append(m.bound, up); m.mu.Unlock() }

func TestMetrics(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := newCountMetrics()
		s, p := bindPipe(t, Transceiver, SessionOptions{Metrics: m})
		ch1 := submitAsync(t.Context(), s, "1")
		r1 := p.nextID(pdu.SubmitSMID)
		ch2 := submitAsync(t.Context(), s, "2")
		r2 := p.nextID(pdu.SubmitSMID)
		p.respond(r1, pdu.StatusOK, "a")
		p.respond(r2, pdu.StatusOK, "b")
		<-ch1
		<-ch2
		s.Close()
		m.mu.Lock()
		defer m.mu.Unlock()
		if m.out[pdu.SubmitSMID] != 2 || m.in[pdu.SubmitSMRespID] != 2 || m.rtts[pdu.SubmitSMID] != 2 || m.maxWindow != 2 {
			t.Errorf("metrics out %v in %v rtt %v max window %d; want 2 submits, 2 responses, 2 round trips, window 2", m.out, m.in, m.rtts, m.maxWindow)
		}
		if fmt.Sprint(m.bound) != "[true false]" {
			t.Errorf("Bound calls = %v, want [true false]", m.bound)
		}
	})
}

func TestMalformedResponse(t *testing.T) {
	tests := []struct {
		name    string
		status  string
		wantErr func(error) bool
	}{
		{"OKStatus", "00000000", func(err error) bool { return errors.Is(err, ErrUnknownOutcome) }},
		{"ErrorStatus", "00000045", func(err error) bool { return errors.Is(err, pdu.StatusSubmitFail) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				s, p := bindPipe(t, Transceiver, SessionOptions{})
				ch := submitAsync(t.Context(), s, "1")
				req := p.nextID(pdu.SubmitSMID)
				// submit_sm_resp whose message_id lacks its NUL.
				p.writeHex(fmt.Sprintf("0000001380000004%s%08X616263", tt.status, req.Hdr().Seq))
				r := <-ch
				if !tt.wantErr(r.err) {
					t.Fatalf("Submit() = %v", r.err)
				}
				synctest.Wait()
				p.none() // responses are never answered
				if got := s.Stats().Malformed; got != 1 {
					t.Errorf("Stats().Malformed = %d, want 1", got)
				}
			})
		})
	}
}

func TestBrokenTLVBlock(t *testing.T) {
	tests := []struct {
		name    string
		esm     pdu.ESMClass
		handled bool
		want    pdu.Status
	}{
		{"Receipt", pdu.ESMTypeReceipt, true, pdu.StatusOK},
		{"Message", 0, false, pdu.StatusInvOptParStream},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				called := make(chan struct{}, 1)
				h := HandlerFunc(func(ctx context.Context, p pdu.PDU) error { called <- struct{}{}; return nil })
				_, p := bindPipe(t, Transceiver, SessionOptions{Handler: h})
				frame, err := pdu.Marshal(&pdu.DeliverSM{
					Header:        pdu.Header{ID: pdu.DeliverSMID, Seq: 12},
					MessageFields: pdu.MessageFields{ESMClass: tt.esm, ShortMessage: []byte("id:1 stat:DELIVRD")},
				})
				if err != nil {
					t.Fatal(err)
				}
				frame = append(frame, 0x00, 0x1E) // half a TLV header
				binary.BigEndian.PutUint32(frame, uint32(len(frame)))
				p.writeRaw(frame)
				r := p.nextID(pdu.DeliverSMRespID)
				if r.Hdr().Seq != 12 || r.Hdr().Status != tt.want {
					t.Fatalf("deliver_sm_resp = %+v, want seq 12 %v", r.Hdr(), tt.want)
				}
				synctest.Wait()
				if got := len(called) == 1; got != tt.handled {
					t.Errorf("handler called = %v, want %v", got, tt.handled)
				}
			})
		})
	}
}

func TestDeliverBeforeBind(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := HandlerFunc(func(ctx context.Context, p pdu.PDU) error { return errors.New("must not be called") })
		s, p := newPipeSession(t, SessionOptions{Handler: h, ResponseTimeout: time.Second})
		errc := make(chan error, 1)
		go func() {
			_, err := s.Bind(t.Context(), Receiver, testParams)
			errc <- err
		}()
		bind := p.nextID(pdu.BindReceiverID)
		p.write(&pdu.DeliverSM{Header: pdu.Header{ID: pdu.DeliverSMID, Seq: 6}})
		if r := p.nextID(pdu.DeliverSMRespID); r.Hdr().Status != pdu.StatusInvBindStatus {
			t.Fatalf("deliver_sm_resp before bind = %v, want %v", r.Hdr().Status, pdu.StatusInvBindStatus)
		}
		p.respond(bind, pdu.StatusOK, "")
		if err := <-errc; err != nil {
			t.Fatal(err)
		}
	})
}

func TestUnbindWaitsForHandlers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		started := make(chan struct{})
		h := HandlerFunc(func(ctx context.Context, p pdu.PDU) error {
			close(started)
			<-release
			return nil
		})
		s, p := bindPipe(t, Transceiver, SessionOptions{Handler: h})
		p.write(&pdu.DeliverSM{Header: pdu.Header{ID: pdu.DeliverSMID, Seq: 70}})
		<-started
		errc := make(chan error, 1)
		go func() { errc <- s.Unbind(t.Context()) }()
		synctest.Wait()
		p.none() // neither the deliver_sm_resp nor the unbind yet
		close(release)
		p.nextID(pdu.DeliverSMRespID)
		p.respond(p.nextID(pdu.UnbindID), pdu.StatusOK, "")
		if err := <-errc; err != nil {
			t.Fatalf("Unbind() = %v", err)
		}
	})
}

func TestConcurrentUnbind(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s, p := bindPipe(t, Transceiver, SessionOptions{})
		errc := make(chan error, 2)
		for range 2 {
			go func() { errc <- s.Unbind(t.Context()) }()
		}
		p.respond(p.nextID(pdu.UnbindID), pdu.StatusOK, "")
		for range 2 {
			if err := <-errc; err != nil {
				t.Errorf("Unbind() = %v, want nil", err)
			}
		}
		p.closed()
	})
}
