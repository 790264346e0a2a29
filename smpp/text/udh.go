package text

import (
	"errors"
	"fmt"
)

// Information element identifiers of the User Data Header
// (3GPP TS 23.040 §9.2.3.24).
const (
	IEConcat8  = 0x00 // concatenated SM, 8-bit reference: ref, total, seq
	IEPorts8   = 0x04 // application port addressing, 8-bit: dst, src
	IEPorts16  = 0x05 // application port addressing, 16-bit: dst, src
	IEConcat16 = 0x08 // concatenated SM, 16-bit reference: ref (2), total, seq
)

// ErrBadUDH is wrapped by every ParseUDH error: the header is empty, its
// length exceeds the user data, or an information element overruns it.
var ErrBadUDH = errors.New("text: malformed user data header")

// IE is one information element of a UDH.
type IE struct {
	ID   uint8
	Data []byte
}

// UDH is a User Data Header as its list of information elements, in wire
// order.
type UDH []IE

// ParseUDH parses the UDH at the start of user data ud (a short_message sent
// with esm_class UDHI): the UDHL octet, then IEI, IEDL and data repeated over
// UDHL octets. It returns the header and the user data that follows it. The
// IE data alias ud. Unknown IEs are kept. Errors wrap ErrBadUDH.
func ParseUDH(ud []byte) (UDH, []byte, error) {
	if len(ud) == 0 {
		return nil, nil, fmt.Errorf("no UDHL octet: %w", ErrBadUDH)
	}
	udhl := int(ud[0])
	if 1+udhl > len(ud) {
		return nil, nil, fmt.Errorf("UDHL %d exceeds %d octets of user data: %w", udhl, len(ud)-1, ErrBadUDH)
	}
	hdr := ud[1 : 1+udhl]
	h := UDH{}
	for off := 0; off < len(hdr); {
		if len(hdr)-off < 2 {
			return nil, nil, fmt.Errorf("IE header at offset %d cut by UDHL %d: %w", 1+off, udhl, ErrBadUDH)
		}
		id, n := hdr[off], int(hdr[off+1])
		off += 2
		if n > len(hdr)-off {
			return nil, nil, fmt.Errorf("IE 0x%02X length %d exceeds UDHL %d: %w", id, n, udhl, ErrBadUDH)
		}
		h = append(h, IE{ID: id, Data: hdr[off : off+n : off+n]})
		off += n
	}
	return h, ud[1+udhl:], nil
}

// Len returns the encoded length of h, UDHL octet included.
func (h UDH) Len() int {
	n := 1
	for _, ie := range h {
		n += 2 + len(ie.Data)
	}
	return n
}

// Bytes encodes h with its UDHL octet. It fails if an IE holds more than 255
// octets or the header more than 255.
func (h UDH) Bytes() ([]byte, error) {
	if h.Len()-1 > 0xFF {
		return nil, fmt.Errorf("text: UDH of %d octets exceeds 255", h.Len()-1)
	}
	out := make([]byte, 1, h.Len())
	out[0] = byte(h.Len() - 1)
	for _, ie := range h {
		if len(ie.Data) > 0xFF {
			return nil, fmt.Errorf("text: IE 0x%02X of %d octets exceeds 255", ie.ID, len(ie.Data))
		}
		out = append(out, ie.ID, byte(len(ie.Data)))
		out = append(out, ie.Data...)
	}
	return out, nil
}

// Concat returns the concatenation values of the last IE 0x00 (8-bit
// reference) or 0x08 (16-bit reference) in h (3GPP TS 23.040 says a repeated
// IE's last occurrence counts). ok is false when there is none, its length is
// wrong, or total or seq is 0 or seq exceeds total (such an IE is ignored
// under §9.2.3.24.1).
func (h UDH) Concat() (ref uint16, total, seq uint8, ok bool) {
	for i := len(h) - 1; i >= 0; i-- {
		ie := h[i]
		switch {
		case ie.ID == IEConcat8 && len(ie.Data) == 3:
			ref, total, seq = uint16(ie.Data[0]), ie.Data[1], ie.Data[2]
		case ie.ID == IEConcat16 && len(ie.Data) == 4:
			ref, total, seq = uint16(ie.Data[0])<<8|uint16(ie.Data[1]), ie.Data[2], ie.Data[3]
		default:
			continue
		}
		if total == 0 || seq == 0 || seq > total {
			return 0, 0, 0, false
		}
		return ref, total, seq, true
	}
	return 0, 0, 0, false
}

// Ports returns the application ports of the last IE 0x05 (16-bit) or 0x04
// (8-bit) in h.
func (h UDH) Ports() (dst, src uint16, ok bool) {
	for i := len(h) - 1; i >= 0; i-- {
		ie := h[i]
		switch {
		case ie.ID == IEPorts16 && len(ie.Data) == 4:
			return uint16(ie.Data[0])<<8 | uint16(ie.Data[1]), uint16(ie.Data[2])<<8 | uint16(ie.Data[3]), true
		case ie.ID == IEPorts8 && len(ie.Data) == 2:
			return uint16(ie.Data[0]), uint16(ie.Data[1]), true
		}
	}
	return 0, 0, false
}
