package smsc

import (
	"context"
	"crypto/subtle"
	"runtime/debug"

	"github.com/smsgw/smsgw/smpp/pdu"
)

// dispatch collects work HandleDefault wants done after the response to the
// current request has been queued (OnSubmit, a receipt sent right after the
// submit_sm_resp). It travels in the context given to the Handler.
type dispatch struct {
	after []func()
}

type dispatchKey struct{}

func withDispatch(ctx context.Context, d *dispatch) context.Context {
	return context.WithValue(ctx, dispatchKey{}, d)
}

// later runs f after the current response is queued when called within a
// dispatch on the reader goroutine, else in a goroutine of its own. onReader
// tells f which case applies.
func (s *Server) later(ctx context.Context, f func(onReader bool)) {
	if d, ok := ctx.Value(dispatchKey{}).(*dispatch); ok {
		d.after = append(d.after, func() { f(true) })
		return
	}
	s.spawn(func() { f(false) })
}

// runAfter runs the deferred work of a dispatch, turning a panic (in
// OnSubmit, say) into a log entry.
func (c *Conn) runAfter(d *dispatch) {
	for _, f := range d.after {
		func() {
			defer func() {
				if r := recover(); r != nil {
					c.log.Error("panic after response", "panic", r, "stack", string(debug.Stack()))
				}
			}()
			f()
		}()
	}
}

// HandleDefault is the server's own request handling, used when Handler is
// nil; a Handler may call it for the requests it does not script. It must
// be called on the Handler's goroutine before the Handler returns, with the
// ctx the Handler received, so that follow-up work (OnSubmit, an immediate
// receipt) runs after the response is queued.
//
//   - bind_*: ESME_RALYBND when already bound; ESME_RINVSYSID or
//     ESME_RINVPASWD when Credentials reject it; else bind_*_resp with
//     SystemID and sc_interface_version 0x34.
//   - enquire_link, unbind: answered with ESME_ROK in any state.
//   - submit_sm (transmitter, transceiver) and data_sm (any bound mode):
//     the submit faults apply (FailNext, SubmitStatus, ThrottleEvery); an
//     accepted message gets a message id, is recorded, and gets a receipt
//     when registered_delivery asks for one. Other states: ESME_RINVBNDSTS.
//   - query_sm: the state of a recorded message (ESME_RQUERYFAIL if
//     unknown); cancel_sm: deletes a recorded message not yet final
//     (ESME_RCANCELFAIL otherwise). Both need a transmitter or transceiver.
//   - any other request: ESME_RINVBNDSTS before bind, else its response
//     with ESME_RINVCMDID (replace_sm, submit_multi and deliver_sm are not
//     served).
func (s *Server) HandleDefault(ctx context.Context, c *Conn, req pdu.PDU) pdu.PDU {
	switch p := req.(type) {
	case *pdu.Bind:
		return s.handleBind(c, p)
	case *pdu.Unbind, *pdu.EnquireLink:
		return pdu.Response(req, pdu.StatusOK)
	}

	c.mu.Lock()
	mode, unbinding := c.mode, c.unbinding
	c.mu.Unlock()
	if unbinding {
		mode = BindNone
	}
	switch p := req.(type) {
	case *pdu.SubmitSM:
		if !mode.CanSubmit() {
			return pdu.Response(req, pdu.StatusInvBindStatus)
		}
		return s.acceptMessage(ctx, c, req, Submission{SubmitSM: p})
	case *pdu.DataSM:
		if mode == BindNone {
			return pdu.Response(req, pdu.StatusInvBindStatus)
		}
		return s.acceptMessage(ctx, c, req, Submission{DataSM: p})
	case *pdu.QuerySM:
		if !mode.CanSubmit() {
			return pdu.Response(req, pdu.StatusInvBindStatus)
		}
		return s.query(p)
	case *pdu.CancelSM:
		if !mode.CanSubmit() {
			return pdu.Response(req, pdu.StatusInvBindStatus)
		}
		return s.cancelMessage(c, p)
	}
	if mode == BindNone {
		return pdu.Response(req, pdu.StatusInvBindStatus)
	}
	return pdu.Response(req, pdu.StatusInvCmdID)
}

// handleBind checks a bind request (§4.1).
func (s *Server) handleBind(c *Conn, p *pdu.Bind) pdu.PDU {
	if c.Mode() != BindNone {
		c.log.Info("bind refused: already bound", logKeySystemID, p.SystemID)
		return pdu.Response(p, pdu.StatusAlreadyBound)
	}
	if st := s.faults.bindVerdict(); st != pdu.StatusOK {
		c.log.Warn("bind refused by fault", logKeySystemID, p.SystemID, logKeyStatus, st)
		return pdu.Response(p, st)
	}
	if creds := s.cfg.credentials; len(creds) > 0 {
		want, ok := creds[p.SystemID]
		if !ok {
			c.log.Warn("bind refused: unknown system_id", logKeySystemID, p.SystemID)
			return pdu.Response(p, pdu.StatusInvSysID)
		}
		if subtle.ConstantTimeCompare([]byte(want), []byte(p.Password)) != 1 {
			c.log.Warn("bind refused: wrong password", logKeySystemID, p.SystemID)
			return pdu.Response(p, pdu.StatusInvPassword)
		}
	}
	resp := pdu.Response(p, pdu.StatusOK).(*pdu.BindResp)
	resp.SystemID = s.cfg.systemID
	resp.TLVs.SetUint8(pdu.TagSCInterfaceVersion, InterfaceVersion)
	return resp
}

// acceptMessage applies the submit faults to a submit_sm or data_sm, then
// records it and answers with a new message id.
func (s *Server) acceptMessage(ctx context.Context, c *Conn, req pdu.PDU, sub Submission) pdu.PDU {
	h := req.Hdr()
	if st := s.faults.verdict(); st != pdu.StatusOK {
		c.log.Warn("message refused by fault", logKeyCommand, h.ID, logKeySeq, h.Seq, logKeyStatus, st)
		return pdu.Response(req, st)
	}
	now := s.now()
	sub.MessageID = s.cfg.messageID(s.idSeq.Add(1))
	sub.SystemID = c.SystemID()
	sub.Time = now
	sub.text = s.cfg.text
	m := &message{sub: sub, origin: c, doneAt: now.Add(s.cfg.receiptDelay), final: s.cfg.receiptState}
	s.rec.add(m)
	c.log.Debug("message accepted", logKeyCommand, h.ID, logKeySeq, h.Seq, logKeyMessageID, sub.MessageID)

	resp := pdu.Response(req, pdu.StatusOK)
	switch r := resp.(type) {
	case *pdu.SubmitSMResp:
		r.MessageID = sub.MessageID
	case *pdu.DataSMResp:
		r.MessageID = sub.MessageID
	}
	s.later(ctx, func(onReader bool) {
		if f := s.cfg.onSubmit; f != nil {
			f(sub)
		}
		s.scheduleReceipt(c, m, onReader)
	})
	return resp
}

// query answers query_sm (§4.8) from the records.
func (s *Server) query(p *pdu.QuerySM) pdu.PDU {
	state, done, ok := s.rec.stateOf(p.MessageID, s.now())
	if !ok {
		return pdu.Response(p, pdu.StatusQueryFail)
	}
	resp := pdu.Response(p, pdu.StatusOK).(*pdu.QuerySMResp)
	resp.MessageID = p.MessageID
	resp.MessageState = uint8(state)
	if state.Final() {
		resp.FinalDate = formatTime(done)
		if state.Failed() {
			resp.ErrorCode = receiptErrorCode
		}
	}
	return resp
}

// cancelMessage answers cancel_sm (§4.9) for one recorded message.
func (s *Server) cancelMessage(c *Conn, p *pdu.CancelSM) pdu.PDU {
	if !s.rec.cancel(p.MessageID, s.now()) {
		return pdu.Response(p, pdu.StatusCancelFail)
	}
	c.log.Debug("message canceled", logKeyMessageID, p.MessageID)
	return pdu.Response(p, pdu.StatusOK)
}
