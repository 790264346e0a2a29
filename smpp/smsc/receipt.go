package smsc

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/smsgw/smsgw/smpp/pdu"
	"github.com/smsgw/smsgw/smpp/text"
)

// MessageState is a message_state value (§5.2.28).
type MessageState uint8

// Message states.
const (
	StateEnroute       MessageState = 1
	StateDelivered     MessageState = 2
	StateExpired       MessageState = 3
	StateDeleted       MessageState = 4
	StateUndeliverable MessageState = 5
	StateAccepted      MessageState = 6
	StateUnknown       MessageState = 7
	StateRejected      MessageState = 8
)

// Stat returns the 7-character stat word of the receipt text (Appendix B),
// e.g. "DELIVRD".
func (s MessageState) Stat() string {
	switch s {
	case StateEnroute:
		return "ENROUTE"
	case StateDelivered:
		return "DELIVRD"
	case StateExpired:
		return "EXPIRED"
	case StateDeleted:
		return "DELETED"
	case StateUndeliverable:
		return "UNDELIV"
	case StateAccepted:
		return "ACCEPTD"
	case StateRejected:
		return "REJECTD"
	}
	return "UNKNOWN"
}

// String returns the spec name, e.g. "DELIVERED".
func (s MessageState) String() string {
	switch s {
	case StateEnroute:
		return "ENROUTE"
	case StateDelivered:
		return "DELIVERED"
	case StateExpired:
		return "EXPIRED"
	case StateDeleted:
		return "DELETED"
	case StateUndeliverable:
		return "UNDELIVERABLE"
	case StateAccepted:
		return "ACCEPTED"
	case StateUnknown:
		return "UNKNOWN"
	case StateRejected:
		return "REJECTED"
	}
	return fmt.Sprintf("MessageState(%d)", uint8(s))
}

// Final reports whether s is a final state (everything but ENROUTE and
// ACCEPTED, which an SMSC may still change).
func (s MessageState) Final() bool { return s != StateEnroute && s != StateAccepted }

// Failed reports whether s is a final state other than DELIVERED.
func (s MessageState) Failed() bool { return s.Final() && s != StateDelivered }

// receiptErrorCode is the err: value and GSM network error code the server
// reports for a failed message (MAP error 1, unknown subscriber).
const receiptErrorCode = 1

// receiptTextLen is how many characters of the message a receipt quotes.
const receiptTextLen = 20

// HexToDecimal converts a hexadecimal message id to decimal, for
// Server.ReceiptID: an SMSC that answers submit_sm with hex ids and writes
// decimal ones in receipts (notes §8). Ids that are not hexadecimal are
// returned unchanged.
func HexToDecimal(id string) string {
	n, err := strconv.ParseUint(id, 16, 64)
	if err != nil {
		return id
	}
	return strconv.FormatUint(n, 10)
}

// formatTime formats t as an absolute SMPP time (§7.1.1),
// "YYMMDDhhmmsstnnp".
func formatTime(t time.Time) string {
	_, off := t.Zone()
	sign := '+'
	if off < 0 {
		sign, off = '-', -off
	}
	return fmt.Sprintf("%s%d%02d%c", t.Format("060102150405"), t.Nanosecond()/1e8, off/900, sign)
}

// ReceiptText returns the Appendix B receipt text the server writes for a
// message in state, done at done:
//
//	id:IIII sub:001 dlvrd:DDD submit date:YYMMDDhhmm done date:YYMMDDhhmm stat:SSSSSSS err:EEE text:TTTT
//
// with the first 20 characters of the message (characters the connection's
// default alphabet lacks become '?', control characters spaces).
func (s *Server) ReceiptText(sub Submission, state MessageState, done time.Time) string {
	dlvrd, errCode := 0, 0
	if state == StateDelivered {
		dlvrd = 1
	}
	if state.Failed() {
		errCode = receiptErrorCode
	}
	return fmt.Sprintf("id:%s sub:001 dlvrd:%03d submit date:%s done date:%s stat:%s err:%03d text:%s",
		s.receiptID(sub.MessageID), dlvrd, sub.Time.Format("0601021504"), done.Format("0601021504"),
		state.Stat(), errCode, s.quote(sub))
}

// receiptID maps a message id for receipts.
func (s *Server) receiptID(id string) string {
	if f := s.cfg.receiptID; f != nil {
		return f(id)
	}
	return id
}

// quote returns the start of the message text as a receipt can carry it.
func (s *Server) quote(sub Submission) string {
	t, err := sub.Text()
	if err != nil {
		return ""
	}
	var b strings.Builder
	n := 0
	for _, r := range t {
		if n == receiptTextLen {
			break
		}
		n++
		switch {
		case r < 0x20 || r == 0x7F:
			r = ' '
		case r >= utf8.RuneSelf:
			if dcs, _, err := text.Encode(string(r), s.cfg.text); err != nil || dcs != text.CodingDefault {
				r = '?'
			}
		}
		b.WriteRune(r)
	}
	return b.String()
}

// Receipt builds the delivery receipt for a message (§4.6.1, Appendix B):
// a deliver_sm from the message's destination to its source with esm_class
// 0x04, the ReceiptText in short_message (message_payload if longer than
// 254 octets) and the TLVs receipted_message_id and message_state, plus
// network_error_code for a failed message.
func (s *Server) Receipt(sub Submission, state MessageState, done time.Time) (*pdu.DeliverSM, error) {
	var srcTON, srcNPI, dstTON, dstNPI uint8
	switch {
	case sub.SubmitSM != nil:
		srcTON, srcNPI = sub.SubmitSM.SourceAddrTON, sub.SubmitSM.SourceAddrNPI
		dstTON, dstNPI = sub.SubmitSM.DestAddrTON, sub.SubmitSM.DestAddrNPI
	case sub.DataSM != nil:
		srcTON, srcNPI = sub.DataSM.SourceAddrTON, sub.DataSM.SourceAddrNPI
		dstTON, dstNPI = sub.DataSM.DestAddrTON, sub.DataSM.DestAddrNPI
	}
	dcs, data, err := text.Encode(s.ReceiptText(sub, state, done), s.cfg.text)
	if err != nil {
		return nil, fmt.Errorf("smsc: receipt for %s: %w", sub.MessageID, err)
	}
	d := &pdu.DeliverSM{Header: pdu.Header{ID: pdu.DeliverSMID}}
	d.SourceAddrTON, d.SourceAddrNPI, d.SourceAddr = dstTON, dstNPI, sub.Destination()
	d.DestAddrTON, d.DestAddrNPI, d.DestinationAddr = srcTON, srcNPI, sub.Source()
	d.ESMClass = pdu.ESMTypeReceipt
	d.DataCoding = dcs
	if len(data) <= 254 {
		d.ShortMessage = data
	} else {
		d.TLVs.Set(pdu.TagMessagePayload, data)
	}
	d.TLVs.SetCString(pdu.TagReceiptedMessageID, s.receiptID(sub.MessageID))
	d.TLVs.SetUint8(pdu.TagMessageState, uint8(state))
	if state.Failed() {
		d.TLVs.SetNetworkErrorCode(pdu.NetworkErrorCode{Type: pdu.NetworkGSM, Code: receiptErrorCode})
	}
	if _, err := pdu.Marshal(d); err != nil {
		return nil, fmt.Errorf("smsc: receipt for %s: %w", sub.MessageID, err)
	}
	return d, nil
}

// wantsReceipt applies registered_delivery bits 1-0 (§5.2.17): 01 (and
// the reserved 11) ask for a receipt on any outcome, 10 on failure only.
func wantsReceipt(rd uint8, state MessageState) bool {
	switch rd & 0x03 {
	case 0x01, 0x03:
		return true
	case 0x02:
		return state.Failed()
	}
	return false
}

// scheduleReceipt sends the automatic receipt of a just-accepted message
// if it asks for one: right after the response on the same connection
// when ReceiptDelay is zero and the connection can receive, else from a
// timer goroutine.
func (s *Server) scheduleReceipt(c *Conn, m *message, onReader bool) {
	state, done, _ := s.rec.finalOf(m)
	if !wantsReceipt(m.sub.RegisteredDelivery(), state) {
		return
	}
	if s.cfg.receiptDelay > 0 || !onReader || !c.Mode().CanReceive() {
		s.spawn(func() { s.autoReceipt(m) })
		return
	}
	d, err := s.Receipt(m.sub, state, done)
	if err != nil {
		c.log.Error("cannot build receipt", logKeyMessageID, m.sub.MessageID, logKeyErr, err)
		return
	}
	seq, ch, err := c.start(pdu.DeliverSMID, 0, mustMarshal(d), true, false)
	if err != nil {
		c.log.Warn("receipt not sent", logKeyMessageID, m.sub.MessageID, logKeyErr, err)
		return
	}
	if !s.spawn(func() {
		resp, err := c.await(s.ctx, pdu.DeliverSMID, seq, ch)
		s.logReceipt(c, m.sub.MessageID, state, resp, err)
	}) {
		c.forget(seq, ch)
	}
}

// autoReceipt waits for ReceiptDelay and sends the receipt unless the
// message was canceled meanwhile.
func (s *Server) autoReceipt(m *message) {
	if d := s.cfg.receiptDelay; d > 0 {
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-s.ctx.Done():
			t.Stop()
			return
		}
		s.rec.reach(m)
	}
	state, done, manual := s.rec.finalOf(m)
	if manual || state == StateDeleted || !wantsReceipt(m.sub.RegisteredDelivery(), state) {
		return
	}
	d, err := s.Receipt(m.sub, state, done)
	if err != nil {
		s.log.Error("cannot build receipt", logKeyMessageID, m.sub.MessageID, logKeyErr, err)
		return
	}
	c, err := s.receiptConn(m)
	if err != nil {
		s.queueReceipt(m.sub.SystemID, m.sub.MessageID, d)
		return
	}
	st, err := c.Deliver(s.ctx, d)
	if errors.Is(err, ErrConnClosed) || errors.Is(err, ErrNotBound) {
		s.queueReceipt(m.sub.SystemID, m.sub.MessageID, d)
		return
	}
	s.logReceipt(c, m.sub.MessageID, state, statusPDU(st), err)
}

// statusPDU wraps a status in a response for logReceipt.
func statusPDU(st pdu.Status) pdu.PDU {
	return &pdu.DeliverSMResp{Header: pdu.Header{ID: pdu.DeliverSMRespID, Status: st}}
}

// logReceipt logs the outcome of a receipt delivery.
func (s *Server) logReceipt(c *Conn, id string, state MessageState, resp pdu.PDU, err error) {
	switch {
	case err != nil:
		if s.ctx.Err() == nil {
			c.log.Warn("receipt unanswered", logKeyMessageID, id, logKeyErr, err)
		}
	case resp.Hdr().Status != pdu.StatusOK:
		c.log.Warn("receipt refused by ESME", logKeyMessageID, id, logKeyStatus, resp.Hdr().Status)
	default:
		c.log.Debug("receipt delivered", logKeyMessageID, id, logKeyState, state)
	}
}

// receiptConn picks the connection for a message's receipt: the one it
// came on if that can receive, else a receiver bound with the same
// system_id.
func (s *Server) receiptConn(m *message) (*Conn, error) {
	if c := m.origin; c != nil && c.Mode().CanReceive() {
		return c, nil
	}
	return s.pick(m.sub.SystemID, true)
}

// queueReceipt keeps a receipt until a receiver of systemID binds.
func (s *Server) queueReceipt(systemID, id string, d *pdu.DeliverSM) {
	if s.ctx.Err() != nil {
		return
	}
	if s.cfg.maxQueuedReceipts < 0 {
		s.log.Warn("receipt dropped: no receiver bound", logKeySystemID, systemID, logKeyMessageID, id)
		return
	}
	if n := s.rec.queue(systemID, d, s.cfg.maxQueuedReceipts); n > 0 {
		s.log.Warn("receipt queue full, oldest dropped", logKeySystemID, systemID, "dropped", n)
	}
	s.log.Debug("receipt queued: no receiver bound", logKeySystemID, systemID, logKeyMessageID, id)
	// A receiver may have bound between the pick and the queueing.
	if c, err := s.pick(systemID, true); err == nil {
		s.flushReceipts(c)
	}
}

// flushReceipts delivers the receipts queued for a newly bound receiver.
func (s *Server) flushReceipts(c *Conn) {
	mode, systemID := c.state()
	if !mode.CanReceive() {
		return
	}
	ds := s.rec.take(systemID)
	if len(ds) == 0 {
		return
	}
	if !s.spawn(func() {
		for i, d := range ds {
			st, err := c.Deliver(s.ctx, d)
			if errors.Is(err, ErrConnClosed) || errors.Is(err, ErrNotBound) {
				s.rec.requeue(systemID, ds[i:])
				return
			}
			id, _ := d.TLVs.CString(pdu.TagReceiptedMessageID)
			state, _ := d.TLVs.Uint8(pdu.TagMessageState)
			s.logReceipt(c, id, MessageState(state), statusPDU(st), err)
		}
	}) {
		s.rec.requeue(systemID, ds)
	}
}

// SendReceipt sends a delivery receipt for sub with the given state now,
// whatever its registered_delivery, and returns the status of the ESME's
// deliver_sm_resp. A recorded message takes that state (query_sm reports
// it). The receipt goes to the connection the message came on if it can
// receive, else to a receiver bound with the same system_id; ErrNotBound if
// there is none.
func (s *Server) SendReceipt(ctx context.Context, sub Submission, state MessageState) (pdu.Status, error) {
	now := s.now()
	m := s.rec.lookup(sub.MessageID)
	if m == nil {
		m = &message{sub: sub, doneAt: now, final: state}
	} else {
		s.rec.settle(m, state, now)
	}
	d, err := s.Receipt(sub, state, now)
	if err != nil {
		return 0, err
	}
	c, err := s.receiptConn(m)
	if err != nil {
		return 0, err
	}
	return c.Deliver(ctx, d)
}
