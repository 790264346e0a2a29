package pdu

import (
	"bytes"
	"encoding/binary"
	"io"
	"unsafe"
)

// DefaultMaxLength is the default cap on command_length. The spec sets no
// limit; 64 KiB holds any PDU with a full message_payload.
const DefaultMaxLength = 65536

// smallFrame is the buffer ReadFrame starts with; longer frames get their
// own.
const smallFrame = 256

// inlineTLVs is the number of TLVs decoded without a separate allocation.
const inlineTLVs = 4

// Field sizes (C-Octet String maxima include the NUL).
const (
	maxServiceType = 6
	maxAddr21      = 21
	maxAddr65      = 65
	maxSystemID    = 16
	maxPassword    = 9
	maxSystemType  = 13
	maxAddrRange   = 41
	maxMessageID   = 65
	maxTime        = 17
	timeLen        = 16
	maxSMLength    = 254
	maxDests       = 254
	maxUnsuccess   = 255
)

// ReadFrame reads one whole PDU from r and returns it in a fresh buffer the
// caller owns. maxLength caps command_length; 0 or less means
// DefaultMaxLength. It is also the memory bound per frame: the buffer is
// allocated from command_length before the body arrives.
//
// It returns io.EOF only when r ends cleanly before the first octet of a
// PDU and io.ErrUnexpectedEOF when it ends inside one. A command_length
// below 16 or above maxLength gives a *DecodeError with Status
// StatusInvCmdLen and Err ErrBadLength (with the command_id and sequence
// number when the length was at least 16, so they could be read): framing is
// lost, the caller should send generic_nack and close the connection.
func ReadFrame(r io.Reader, maxLength int) ([]byte, error) {
	if maxLength <= 0 {
		maxLength = DefaultMaxLength
	}
	// The length octets are read straight into the buffer most frames
	// will use, so a typical PDU costs one allocation.
	buf := make([]byte, 4, smallFrame)
	if _, err := io.ReadFull(r, buf); err != nil {
		return nil, err
	}
	n := binary.BigEndian.Uint32(buf)
	if n < HeaderLen || uint64(n) > uint64(maxLength) {
		de := &DecodeError{Status: StatusInvCmdLen, Err: ErrBadLength}
		if n >= HeaderLen {
			rest := buf[4:HeaderLen]
			if _, err := io.ReadFull(r, rest); err == nil {
				de.ID = CommandID(binary.BigEndian.Uint32(rest[0:]))
				de.Seq = binary.BigEndian.Uint32(rest[8:])
			}
		}
		return nil, de
	}
	if n <= smallFrame {
		buf = buf[:n]
	} else {
		buf = append(make([]byte, 0, n), buf...)[:n]
	}
	if _, err := io.ReadFull(r, buf[4:]); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	return buf, nil
}

// Decode decodes one whole PDU (header included), as returned by ReadFrame,
// into its concrete type (*SubmitSM, *DeliverSM, ...). It never panics.
//
// Aliasing: Decode does not retain frame; it copies the body once into a
// private buffer. Strings of the result point into that buffer (it is never
// written to), ShortMessage and TLV values are sub-slices of it with their
// capacity cut at their own end, so appending to one never overwrites
// another. Writing into those slices in place is allowed and affects only
// that field.
//
// On failure the error is a *DecodeError carrying the header's command_id
// and sequence number whenever 16 octets were present (unknown command ids
// included), and the PDU is nil, with one exception: when only the TLV part
// is broken (ErrTLVStream) the PDU is returned too, holding the mandatory
// fields and the TLVs before the broken one, so that a client can still use
// a receipt or a response; a server answers a request with
// ESME_RINVOPTPARSTREAM instead.
//
// A known TLV with a length §5.3.2 does not allow fails a request with
// ErrTLVLength (ESME_RINVPARLEN); in responses, delivery receipts and
// alert_notification it is kept raw (the typed accessors then report it as
// absent).
func Decode(frame []byte) (PDU, error) {
	if len(frame) < HeaderLen {
		de := &DecodeError{Status: StatusInvCmdLen, Err: ErrTruncated}
		if len(frame) >= 8 {
			de.ID = CommandID(binary.BigEndian.Uint32(frame[4:]))
		}
		return nil, de
	}
	h := Header{
		Length: binary.BigEndian.Uint32(frame[0:]),
		ID:     CommandID(binary.BigEndian.Uint32(frame[4:])),
		Status: Status(binary.BigEndian.Uint32(frame[8:])),
		Seq:    binary.BigEndian.Uint32(frame[12:]),
	}
	if uint64(h.Length) != uint64(len(frame)) {
		return nil, &DecodeError{ID: h.ID, Seq: h.Seq, Status: StatusInvCmdLen, Err: ErrBadLength}
	}
	d := decoder{id: h.ID, strict: !h.ID.IsResponse() && h.ID != AlertNotificationID}
	if len(frame) > HeaderLen {
		d.buf = bytes.Clone(frame[HeaderLen:])
	}
	// Each case calls decodeBody statically so that d stays on the stack:
	// the allocations are the body copy and the PDU (with its inline TLVs).
	var p PDU
	switch h.ID {
	case GenericNackID:
		x := &GenericNack{h}
		x.decodeBody(&d)
		p = x
	case BindReceiverID, BindTransmitterID, BindTransceiverID:
		x := &Bind{Header: h}
		x.decodeBody(&d)
		p = x
	case BindReceiverRespID, BindTransmitterRespID, BindTransceiverRespID:
		x := withTLVSpace[BindResp](&d)
		x.Header = h
		x.decodeBody(&d)
		p = x
	case OutbindID:
		x := &Outbind{Header: h}
		x.decodeBody(&d)
		p = x
	case UnbindID:
		x := &Unbind{h}
		x.decodeBody(&d)
		p = x
	case UnbindRespID:
		x := &UnbindResp{h}
		x.decodeBody(&d)
		p = x
	case EnquireLinkID:
		x := &EnquireLink{h}
		x.decodeBody(&d)
		p = x
	case EnquireLinkRespID:
		x := &EnquireLinkResp{h}
		x.decodeBody(&d)
		p = x
	case SubmitSMID:
		x := withTLVSpace[SubmitSM](&d)
		x.Header = h
		x.decodeBody(&d)
		p = x
	case DeliverSMID:
		x := withTLVSpace[DeliverSM](&d)
		x.Header = h
		x.decodeBody(&d)
		p = x
	case SubmitSMRespID:
		x := withTLVSpace[SubmitSMResp](&d)
		x.Header = h
		x.decodeBody(&d)
		p = x
	case DeliverSMRespID:
		x := &DeliverSMResp{Header: h}
		x.decodeBody(&d)
		p = x
	case DataSMID:
		x := withTLVSpace[DataSM](&d)
		x.Header = h
		x.decodeBody(&d)
		p = x
	case DataSMRespID:
		x := withTLVSpace[DataSMResp](&d)
		x.Header = h
		x.decodeBody(&d)
		p = x
	case QuerySMID:
		x := &QuerySM{Header: h}
		x.decodeBody(&d)
		p = x
	case QuerySMRespID:
		x := &QuerySMResp{Header: h}
		x.decodeBody(&d)
		p = x
	case CancelSMID:
		x := &CancelSM{Header: h}
		x.decodeBody(&d)
		p = x
	case CancelSMRespID:
		x := &CancelSMResp{h}
		x.decodeBody(&d)
		p = x
	case ReplaceSMID:
		x := &ReplaceSM{Header: h}
		x.decodeBody(&d)
		p = x
	case ReplaceSMRespID:
		x := &ReplaceSMResp{h}
		x.decodeBody(&d)
		p = x
	case SubmitMultiID:
		x := withTLVSpace[SubmitMulti](&d)
		x.Header = h
		x.decodeBody(&d)
		p = x
	case SubmitMultiRespID:
		x := &SubmitMultiResp{Header: h}
		x.decodeBody(&d)
		p = x
	case AlertNotificationID:
		x := withTLVSpace[AlertNotification](&d)
		x.Header = h
		x.decodeBody(&d)
		p = x
	default:
		return nil, &DecodeError{ID: h.ID, Seq: h.Seq, Status: StatusInvCmdID, Err: ErrUnknownCommand}
	}
	if d.err != nil {
		de := &DecodeError{ID: h.ID, Seq: h.Seq, Field: d.field, Status: d.status, Err: d.err}
		if d.err == ErrTLVStream {
			return p, de
		}
		return nil, de
	}
	return p, nil
}

// Marshal encodes p into a new buffer; see Append.
func Marshal(p PDU) ([]byte, error) {
	return Append(make([]byte, 0, sizeHint(p)), p)
}

// Append appends the encoding of p to dst. It computes command_length and
// stores it in p.Hdr().Length too. When Header.ID is zero and p's type has
// one command_id it is filled in; Bind and BindResp need it set.
//
// Every C-Octet String is checked against its maximum (ErrStringTooLong;
// nothing is ever truncated), times must be empty or 16 characters,
// short_message may not exceed 254 octets (ErrShortMessageTooLong), and in
// requests known TLVs must have a length §5.3.2 allows (ErrTLVLength). The
// sequence number and command_status are written as given. On error dst is
// returned unchanged (same length) with an *EncodeError.
//
// With enough capacity in dst, Append does not allocate.
func Append(dst []byte, p PDU) ([]byte, error) {
	if p == nil {
		return dst, &EncodeError{Err: ErrInvalidValue, Field: "pdu"}
	}
	h := p.Hdr()
	if err := checkID(p, h); err != nil {
		return dst, err
	}
	start := len(dst)
	e := encoder{id: h.ID, dst: dst, strict: !h.ID.IsResponse() && h.ID != AlertNotificationID}
	e.dst = binary.BigEndian.AppendUint32(e.dst, 0)
	e.dst = binary.BigEndian.AppendUint32(e.dst, uint32(h.ID))
	e.dst = binary.BigEndian.AppendUint32(e.dst, uint32(h.Status))
	e.dst = binary.BigEndian.AppendUint32(e.dst, h.Seq)
	// A static call per type keeps e on the stack (checkID has rejected
	// any other type).
	switch x := p.(type) {
	case *GenericNack, *Unbind, *UnbindResp, *EnquireLink, *EnquireLinkResp, *CancelSMResp, *ReplaceSMResp:
	case *Bind:
		x.appendBody(&e)
	case *BindResp:
		x.appendBody(&e)
	case *Outbind:
		x.appendBody(&e)
	case *SubmitSM:
		x.appendBody(&e)
	case *DeliverSM:
		x.appendBody(&e)
	case *SubmitSMResp:
		x.appendBody(&e)
	case *DeliverSMResp:
		x.appendBody(&e)
	case *DataSM:
		x.appendBody(&e)
	case *DataSMResp:
		x.appendBody(&e)
	case *QuerySM:
		x.appendBody(&e)
	case *QuerySMResp:
		x.appendBody(&e)
	case *CancelSM:
		x.appendBody(&e)
	case *ReplaceSM:
		x.appendBody(&e)
	case *SubmitMulti:
		x.appendBody(&e)
	case *SubmitMultiResp:
		x.appendBody(&e)
	case *AlertNotification:
		x.appendBody(&e)
	}
	if e.err != nil {
		return dst[:start], &EncodeError{ID: h.ID, Field: e.field, Err: e.err}
	}
	n := len(e.dst) - start
	if uint64(n) > 0xFFFFFFFF {
		return dst[:start], &EncodeError{ID: h.ID, Err: ErrBadLength}
	}
	binary.BigEndian.PutUint32(e.dst[start:], uint32(n))
	h.Length = uint32(n)
	return e.dst, nil
}

// checkID fills in or checks Header.ID against the Go type of p.
func checkID(p PDU, h *Header) error {
	var want CommandID
	switch p.(type) {
	case *Bind:
		switch h.ID {
		case BindReceiverID, BindTransmitterID, BindTransceiverID:
			return nil
		}
		return &EncodeError{ID: h.ID, Err: ErrWrongCommand}
	case *BindResp:
		switch h.ID {
		case BindReceiverRespID, BindTransmitterRespID, BindTransceiverRespID:
			return nil
		}
		return &EncodeError{ID: h.ID, Err: ErrWrongCommand}
	case *GenericNack:
		want = GenericNackID
	case *Outbind:
		want = OutbindID
	case *Unbind:
		want = UnbindID
	case *UnbindResp:
		want = UnbindRespID
	case *EnquireLink:
		want = EnquireLinkID
	case *EnquireLinkResp:
		want = EnquireLinkRespID
	case *SubmitSM:
		want = SubmitSMID
	case *DeliverSM:
		want = DeliverSMID
	case *SubmitSMResp:
		want = SubmitSMRespID
	case *DeliverSMResp:
		want = DeliverSMRespID
	case *DataSM:
		want = DataSMID
	case *DataSMResp:
		want = DataSMRespID
	case *QuerySM:
		want = QuerySMID
	case *QuerySMResp:
		want = QuerySMRespID
	case *CancelSM:
		want = CancelSMID
	case *CancelSMResp:
		want = CancelSMRespID
	case *ReplaceSM:
		want = ReplaceSMID
	case *ReplaceSMResp:
		want = ReplaceSMRespID
	case *SubmitMulti:
		want = SubmitMultiID
	case *SubmitMultiResp:
		want = SubmitMultiRespID
	case *AlertNotification:
		want = AlertNotificationID
	default:
		return &EncodeError{ID: h.ID, Err: ErrWrongCommand}
	}
	if h.ID == 0 {
		h.ID = want
	}
	if h.ID != want {
		return &EncodeError{ID: h.ID, Err: ErrWrongCommand}
	}
	return nil
}

// sizeHint estimates the encoded size of p so Marshal allocates once: the
// largest mandatory part (data_sm, 175 octets with the header) plus the
// variable parts.
func sizeHint(p PDU) int {
	n := 192
	var ts TLVs
	switch x := p.(type) {
	case *SubmitSM:
		n += len(x.ShortMessage)
		ts = x.TLVs
	case *DeliverSM:
		n += len(x.ShortMessage)
		ts = x.TLVs
	case *ReplaceSM:
		n += len(x.ShortMessage)
	case *DataSM:
		ts = x.TLVs
	case *DataSMResp:
		ts = x.TLVs
	case *SubmitSMResp:
		ts = x.TLVs
	case *DeliverSMResp:
		ts = x.TLVs
	case *BindResp:
		ts = x.TLVs
	case *SubmitMulti:
		n += len(x.ShortMessage) + len(x.Dests)*25
		ts = x.TLVs
	case *SubmitMultiResp:
		n += len(x.Unsuccess) * 28
	case *AlertNotification:
		ts = x.TLVs
	}
	for _, t := range ts {
		n += 4 + len(t.Value)
	}
	return n
}

// tlvBox is a PDU allocated together with room for its first TLVs.
type tlvBox[T any] struct {
	p   T
	tlv [inlineTLVs]TLV
}

// withTLVSpace allocates a zero T with inline TLV storage and points
// d.space at it, so decoding up to inlineTLVs TLVs costs no extra allocation.
func withTLVSpace[T any](d *decoder) *T {
	b := new(tlvBox[T])
	d.space = b.tlv[:0]
	return &b.p
}

// decoder reads fields from a private copy of a PDU body. The first error
// sticks: later reads return zero values, so bodies decode straight-line.
type decoder struct {
	id     CommandID
	buf    []byte
	off    int
	strict bool  // known TLVs with a bad length fail the PDU
	space  []TLV // inline storage for TLVs (len 0)
	err    error
	field  string
	status Status
}

func (d *decoder) fail(field string, st Status, err error) {
	if d.err == nil {
		d.err, d.field, d.status = err, field, st
	}
}

// empty reports whether the body is absent (error responses).
func (d *decoder) empty() bool { return len(d.buf) == 0 }

// end fails the PDU when octets are left after the last field.
func (d *decoder) end() {
	if d.err == nil && d.off != len(d.buf) {
		d.fail("", StatusInvCmdLen, ErrTrailingData)
	}
}

func (d *decoder) u8(field string) uint8 {
	if d.err != nil {
		return 0
	}
	if d.off >= len(d.buf) {
		d.fail(field, StatusInvCmdLen, ErrTruncated)
		return 0
	}
	v := d.buf[d.off]
	d.off++
	return v
}

func (d *decoder) u32(field string) uint32 {
	if d.err != nil {
		return 0
	}
	if len(d.buf)-d.off < 4 {
		d.fail(field, StatusInvCmdLen, ErrTruncated)
		return 0
	}
	v := binary.BigEndian.Uint32(d.buf[d.off:])
	d.off += 4
	return v
}

// cstr reads a C-Octet String of at most max octets including the NUL. The
// result aliases d.buf, which nobody writes to.
func (d *decoder) cstr(field string, max int, st Status) string {
	if d.err != nil {
		return ""
	}
	rest := d.buf[d.off:]
	lim := rest
	if len(lim) > max {
		lim = lim[:max]
	}
	i := bytes.IndexByte(lim, 0)
	if i < 0 {
		if len(lim) == max {
			d.fail(field, st, ErrStringTooLong)
		} else {
			d.fail(field, StatusInvCmdLen, ErrTruncated)
		}
		return ""
	}
	var s string
	if i > 0 {
		s = unsafe.String(&rest[0], i)
	}
	d.off += i + 1
	return s
}

// time reads a C(1 or 17) time: empty or exactly 16 characters.
func (d *decoder) time(field string, st Status) string {
	s := d.cstr(field, maxTime, st)
	if d.err == nil && len(s) != 0 && len(s) != timeLen {
		d.fail(field, st, ErrBadLength)
		return ""
	}
	return s
}

// shortMessage reads sm_length and short_message.
func (d *decoder) shortMessage() []byte {
	n := int(d.u8("sm_length"))
	if d.err != nil {
		return nil
	}
	if n > maxSMLength {
		d.fail("sm_length", StatusInvMsgLen, ErrBadLength)
		return nil
	}
	if len(d.buf)-d.off < n {
		d.fail("short_message", StatusInvMsgLen, ErrTruncated)
		return nil
	}
	if n == 0 {
		return nil
	}
	b := d.buf[d.off : d.off+n : d.off+n]
	d.off += n
	return b
}

// tlvs reads TLVs up to the end of the body, appending to d.space.
func (d *decoder) tlvs() TLVs {
	if d.err != nil || d.off == len(d.buf) {
		return nil
	}
	ts := d.space
	for d.off < len(d.buf) {
		rest := d.buf[d.off:]
		if len(rest) < 4 {
			d.fail("tlv", StatusInvOptParStream, ErrTLVStream)
			break
		}
		tag := Tag(binary.BigEndian.Uint16(rest))
		n := int(binary.BigEndian.Uint16(rest[2:]))
		if len(rest)-4 < n {
			d.fail("tlv "+tag.String(), StatusInvOptParStream, ErrTLVStream)
			break
		}
		if d.strict && !tag.ValidLength(n) {
			d.fail("tlv "+tag.String(), StatusInvParLen, ErrTLVLength)
			return nil
		}
		var v []byte
		if n > 0 {
			v = rest[4 : 4+n : 4+n]
		}
		ts = append(ts, TLV{Tag: tag, Value: v})
		d.off += 4 + n
	}
	if len(ts) == 0 {
		return nil
	}
	return ts
}

// encoder appends fields to dst. The first error sticks.
type encoder struct {
	id     CommandID
	dst    []byte
	strict bool
	err    error
	field  string
}

func (e *encoder) fail(field string, err error) {
	if e.err == nil {
		e.err, e.field = err, field
	}
}

func (e *encoder) u8(v uint8) { e.dst = append(e.dst, v) }

func (e *encoder) u32(v uint32) { e.dst = binary.BigEndian.AppendUint32(e.dst, v) }

// cstr appends s and a NUL after checking it fits max octets including the
// NUL and holds no NUL of its own.
func (e *encoder) cstr(field, s string, max int) {
	if e.err != nil {
		return
	}
	if len(s) > max-1 {
		e.fail(field, ErrStringTooLong)
		return
	}
	if len(s) > 0 && bytes.IndexByte(unsafe.Slice(unsafe.StringData(s), len(s)), 0) >= 0 {
		e.fail(field, ErrInvalidValue)
		return
	}
	e.dst = append(e.dst, s...)
	e.dst = append(e.dst, 0)
}

// time appends a C(1 or 17) time.
func (e *encoder) time(field, s string) {
	if e.err == nil && len(s) != 0 && len(s) != timeLen {
		e.fail(field, ErrBadLength)
		return
	}
	e.cstr(field, s, maxTime)
}

func (e *encoder) shortMessage(b []byte) {
	if e.err != nil {
		return
	}
	if len(b) > maxSMLength {
		e.fail("short_message", ErrShortMessageTooLong)
		return
	}
	e.dst = append(e.dst, byte(len(b)))
	e.dst = append(e.dst, b...)
}

func (e *encoder) tlvs(ts TLVs) {
	for _, t := range ts {
		if e.err != nil {
			return
		}
		n := len(t.Value)
		if n > 0xFFFF || (e.strict && !t.Tag.ValidLength(n)) {
			e.fail("tlv "+t.Tag.String(), ErrTLVLength)
			return
		}
		e.dst = binary.BigEndian.AppendUint16(e.dst, uint16(t.Tag))
		e.dst = binary.BigEndian.AppendUint16(e.dst, uint16(n))
		e.dst = append(e.dst, t.Value...)
	}
}
