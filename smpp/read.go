package smpp

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"runtime/debug"
	"time"

	"github.com/smsgw/smsgw/smpp/pdu"
)

// readBufSize is the size of the reader's bufio.Reader.
const readBufSize = 32 << 10

// readLoop is the session's only reader. It frames PDUs, completes pending
// requests with their responses, answers enquire_link and unbind at once
// and hands deliveries to the workers. It runs no application code.
func (s *Session) readLoop() {
	br := bufio.NewReaderSize(s.conn, readBufSize)
	for {
		frame, err := pdu.ReadFrame(br, s.opts.MaxPDULength)
		if err != nil {
			var de *pdu.DecodeError
			if errors.As(err, &de) {
				// Framing is lost: nack and close (§3.3).
				s.stats.malformed.Add(1)
				s.log.Warn("smpp: invalid command_length, answering generic_nack and closing",
					logKeyCommand, de.ID.String(), logKeySeq, de.Seq, logKeyErr, de.Err.Error())
				s.replyAndClose(pdu.NewGenericNack(de.Status, de.Seq), fmt.Errorf("%w: %w", ErrProtocol, err))
				return
			}
			s.fail(fmt.Errorf("smpp: read: %w", err))
			return
		}
		s.lastRecv.Store(int64(time.Since(s.epoch)))
		s.stats.pdusIn.Add(1)
		p, err := pdu.Decode(frame)
		if err != nil {
			if !s.decodeFailed(frame, p, err) {
				return
			}
			continue
		}
		s.m.PDUIn(p.Hdr().ID)
		if !s.dispatch(p) {
			return
		}
	}
}

// dispatch handles one decoded PDU. It returns false when the reader must
// stop.
func (s *Session) dispatch(p pdu.PDU) bool {
	h := p.Hdr()
	if h.ID.IsResponse() {
		s.handleResponse(p)
		return true
	}
	switch x := p.(type) {
	case *pdu.EnquireLink:
		s.reply(pdu.Response(x, pdu.StatusOK))
	case *pdu.Unbind:
		s.log.Info("smpp: unbind received, answering and closing")
		s.mu.Lock()
		if s.state != StateClosed {
			s.state = StateUnbinding
			s.stopLocked()
		}
		s.mu.Unlock()
		s.replyAndClose(pdu.Response(x, pdu.StatusOK), ErrPeerUnbind)
		return false
	case *pdu.DeliverSM, *pdu.DataSM:
		s.inbound(p)
	case *pdu.AlertNotification:
		// No response (§4.12).
		if s.opts.OnAlert != nil {
			s.inbound(p)
		}
	case *pdu.Outbind:
		// No response (§4.1.7); this session is already connected.
		s.log.Info("smpp: outbind ignored", logKeySeq, h.Seq)
	default:
		// A request an SMSC does not send to an ESME (bind, submit_sm...).
		s.log.Warn("smpp: unexpected request, answering ESME_RINVBNDSTS",
			logKeyCommand, h.ID.String(), logKeySeq, h.Seq)
		if r := pdu.Response(p, pdu.StatusInvBindStatus); r != nil {
			s.reply(r)
		}
	}
	return true
}

// handleResponse completes the pending request p answers. A response with an
// unknown sequence number or a command_id that does not match the request
// is logged and dropped; a generic_nack completes its request with its
// status.
func (s *Session) handleResponse(p pdu.PDU) {
	h := p.Hdr()
	e := s.claim(h.Seq, h.ID, h.Status == pdu.StatusOK)
	if e == nil {
		return
	}
	s.m.RoundTrip(e.id, time.Since(e.start))
	// Any answer, with an error status too, shows that the SMSC has read
	// everything written before the request. A generic_nack may answer a
	// malformed response of ours under the SMSC's own sequence number, so
	// it confirms nothing.
	if off, ok := s.w.offset(e); ok && h.ID != pdu.GenericNackID {
		s.acks.confirm(off)
	}
	var err error
	switch {
	case h.ID == pdu.GenericNackID:
		s.stats.nacks.Add(1)
		if h.Status == pdu.StatusOK {
			err = fmt.Errorf("smpp: %v seq %d: generic_nack without an error status", e.id, h.Seq)
		} else {
			err = fmt.Errorf("smpp: %v seq %d: generic_nack: %w", e.id, h.Seq, h.Status)
		}
		p = nil
	case h.Status != pdu.StatusOK:
		err = h.Status
	}
	e.ch <- result{p: p, err: err}
}

// claim removes and returns the pending request seq when id answers it, or
// logs and returns nil. An OK bind response moves the session to bound
// before the reader reads on, so deliveries right after it are accepted.
func (s *Session) claim(seq uint32, id pdu.CommandID, ok bool) *pending {
	s.mu.Lock()
	e := s.pending[seq]
	if e == nil || (id != pdu.GenericNackID && id != e.id.Response()) {
		s.mu.Unlock()
		s.stats.dropped.Add(1)
		if e == nil {
			s.log.Warn("smpp: response with unknown sequence number dropped",
				logKeyCommand, id.String(), logKeySeq, seq)
		} else {
			s.log.Warn("smpp: response does not match its request, dropped",
				logKeyCommand, id.String(), logKeySeq, seq, logKeyRequest, e.id.String())
		}
		return nil
	}
	delete(s.pending, seq)
	if e.bind && ok && id != pdu.GenericNackID && s.state == StateBinding {
		s.state = boundState(e.mode)
	}
	s.mu.Unlock()
	e.timer.Stop()
	if e.window {
		s.release()
	}
	s.timeouts.Store(0)
	return e
}

// decodeFailed handles a frame Decode rejected (SMPP v3.4 §2.8, §3.3). It
// returns false when the reader must stop.
func (s *Session) decodeFailed(frame []byte, p pdu.PDU, err error) bool {
	s.stats.malformed.Add(1)
	var de *pdu.DecodeError
	if !errors.As(err, &de) {
		s.fail(fmt.Errorf("smpp: decode: %w", err))
		return false
	}
	attrs := []any{logKeyCommand, de.ID.String(), logKeySeq, de.Seq, logKeyField, de.Field, logKeyErr, de.Err.Error()}

	if de.ID.IsResponse() {
		attrs = append(attrs, logKeyStatus, pdu.Status(binary.BigEndian.Uint32(frame[8:12])).Name())
		// Never answer a response, nor a generic_nack.
		if p != nil {
			s.log.Warn("smpp: response with a broken TLV block, keeping the fields decoded", attrs...)
			s.m.PDUIn(de.ID)
			s.handleResponse(p)
			return true
		}
		s.log.Warn("smpp: malformed response", attrs...)
		s.malformedResponse(frame, de)
		return true
	}
	attrs = append(attrs, logKeyAnswer, de.Status.Name())
	switch de.ID {
	case pdu.OutbindID, pdu.AlertNotificationID:
		s.log.Warn("smpp: malformed request dropped, it takes no response", attrs...)
		return true
	}
	if p != nil && isReceipt(p) {
		// §3.3: keep what decoded of a receipt rather than have it resent.
		s.log.Warn("smpp: delivery receipt with a broken TLV block, keeping the fields decoded", attrs...)
		s.m.PDUIn(de.ID)
		return s.dispatch(p)
	}
	req := pdu.New(de.ID)
	if req == nil {
		s.log.Warn("smpp: unknown command, answering generic_nack", attrs...)
		s.reply(pdu.NewGenericNack(pdu.StatusInvCmdID, de.Seq))
		return true
	}
	req.Hdr().Seq = de.Seq
	resp := pdu.Response(req, de.Status)
	if resp == nil {
		resp = pdu.NewGenericNack(de.Status, de.Seq)
	}
	s.log.Warn("smpp: malformed request, answering its error", attrs...)
	s.reply(resp)
	return true
}

// malformedResponse completes the request a response that could not be
// decoded answers: with its status when that is an error, otherwise with
// an error saying the request was probably accepted.
func (s *Session) malformedResponse(frame []byte, de *pdu.DecodeError) {
	st := pdu.Status(binary.BigEndian.Uint32(frame[8:12]))
	e := s.claim(de.Seq, de.ID, false)
	if e == nil {
		return
	}
	var err error
	if st != pdu.StatusOK {
		err = st
	} else {
		err = fmt.Errorf("smpp: %v seq %d: malformed response with ESME_ROK: %w: %w", e.id, de.Seq, ErrUnknownOutcome, de)
	}
	e.ch <- result{err: err}
}

func isReceipt(p pdu.PDU) bool {
	switch x := p.(type) {
	case *pdu.DeliverSM:
		return x.ESMClass.IsReceipt()
	case *pdu.DataSM:
		return x.ESMClass.IsReceipt()
	}
	return false
}

// inbound queues a deliver_sm, data_sm or alert_notification for the
// workers. It blocks while the queue is full (backpressure).
func (s *Session) inbound(p pdu.PDU) {
	if _, alert := p.(*pdu.AlertNotification); !alert {
		h := p.Hdr()
		s.mu.Lock()
		st := s.state
		s.mu.Unlock()
		switch {
		case st == StateClosed:
			return
		case !st.canReceive():
			s.log.Warn("smpp: delivery before bind, answering ESME_RINVBNDSTS",
				logKeyCommand, h.ID.String(), logKeySeq, h.Seq)
			s.reply(pdu.Response(p, pdu.StatusInvBindStatus))
			return
		case s.opts.Handler == nil:
			s.log.Warn("smpp: no handler, answering ESME_RX_T_APPN",
				logKeyCommand, h.ID.String(), logKeySeq, h.Seq)
			s.reply(pdu.Response(p, pdu.StatusXTAppn))
			return
		}
	}
	s.mo.add()
	select {
	case s.moq <- p:
	case <-s.done:
		s.mo.done()
	}
}

// worker runs the Handler for queued deliveries.
func (s *Session) worker() {
	for {
		select {
		case p := <-s.moq:
			s.handleInbound(p)
		case <-s.done:
			return
		}
	}
}

// handleInbound calls the Handler and only then writes the response.
func (s *Session) handleInbound(p pdu.PDU) {
	defer s.mo.done()
	if a, ok := p.(*pdu.AlertNotification); ok {
		s.callAlert(a)
		return
	}
	hc := &inboundCtx{Context: s.hctx}
	st := s.callHandler(hc, p)
	fns, after := hc.finish()
	defer func() {
		for _, fn := range after {
			fn()
		}
	}()
	s.stats.handled.Add(1)
	if st != pdu.StatusOK {
		s.stats.handlerErrors.Add(1)
	}
	if s.hctx.Err() != nil {
		// Closed meanwhile: the answer cannot be written; the SMSC will
		// deliver the message again.
		tell(fns, false)
		return
	}
	end, ok := s.reply(pdu.Response(p, st))
	s.acked(fns, end, ok && st == pdu.StatusOK)
}

// callHandler runs the Handler, turning its error or panic into a status.
func (s *Session) callHandler(ctx context.Context, p pdu.PDU) (st pdu.Status) {
	h := p.Hdr()
	defer func() {
		if r := recover(); r != nil {
			s.log.Error("smpp: handler panic, answering ESME_RX_T_APPN",
				logKeyCommand, h.ID.String(), logKeySeq, h.Seq, logKeyPanic, fmt.Sprint(r), logKeyStack, string(debug.Stack()))
			st = pdu.StatusXTAppn
		}
	}()
	err := s.opts.Handler.Handle(ctx, p)
	st = statusOf(err)
	if err != nil {
		s.log.Warn("smpp: handler failed", logKeyCommand, h.ID.String(), logKeySeq, h.Seq,
			logKeyStatus, st.Name(), logKeyErr, err.Error())
	}
	return st
}

func (s *Session) callAlert(a *pdu.AlertNotification) {
	defer func() {
		if r := recover(); r != nil {
			s.log.Error("smpp: alert callback panic", logKeyPanic, fmt.Sprint(r), logKeyStack, string(debug.Stack()))
		}
	}()
	s.opts.OnAlert(a)
}

// reply queues a response (or generic_nack) and returns the queue offset
// just past it; ok is false when it could not be queued. Responses take no
// window slot.
func (s *Session) reply(p pdu.PDU) (end uint64, ok bool) {
	end, err := s.w.enqueue(p, nil)
	if err != nil {
		s.log.Debug("smpp: response not sent", logKeyCommand, p.Hdr().ID.String(), logKeySeq, p.Hdr().Seq, logKeyErr, err.Error())
		return 0, false
	}
	s.stats.pdusOut.Add(1)
	s.m.PDUOut(p.Hdr().ID)
	return end, true
}

// replyAndClose queues p, waits until it is written (bounded by the write
// timeout) and closes the session with cause.
func (s *Session) replyAndClose(p pdu.PDU, cause error) {
	if end, err := s.w.enqueue(p, nil); err == nil {
		s.stats.pdusOut.Add(1)
		s.m.PDUOut(p.Hdr().ID)
		_ = s.w.waitWritten(end)
	}
	s.fail(cause)
}
