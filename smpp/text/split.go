package text

import (
	"errors"
	"fmt"
)

// Concat is how the parts of a long message are tied together.
type Concat uint8

// Concatenation methods.
const (
	// ConcatUDH8 prefixes each part with the UDH 05 00 03 RR TT NN
	// (8-bit reference); the caller sets esm_class UDHI. The default.
	ConcatUDH8 Concat = iota
	// ConcatUDH16 prefixes each part with the UDH 06 08 04 RH RL TT NN
	// (16-bit reference); the caller sets esm_class UDHI.
	ConcatUDH16
	// ConcatSAR leaves the parts without UDH; the caller sends
	// sar_msg_ref_num, sar_total_segments and sar_segment_seqnum TLVs with
	// the part's Ref, Total and Seq. Parts are sized as for ConcatUDH16,
	// since the SMSC may need a 16-bit reference on the air.
	ConcatSAR
	// ConcatPayload keeps the whole text in one part, meant for the
	// message_payload TLV (with an empty short_message).
	ConcatPayload
)

// String returns the method's name.
func (c Concat) String() string {
	switch c {
	case ConcatUDH8:
		return "udh8"
	case ConcatUDH16:
		return "udh16"
	case ConcatSAR:
		return "sar"
	case ConcatPayload:
		return "payload"
	}
	return fmt.Sprintf("Concat(%d)", uint8(c))
}

// Limits of Split.
const (
	// MaxParts is the most parts a concatenated message can have.
	MaxParts = 255
	// MaxPayload is the most octets the message_payload TLV carries.
	MaxPayload = 0xFFFF
)

// Errors returned by Split.
var (
	// ErrTooManyParts means the text needs more parts than allowed.
	ErrTooManyParts = errors.New("text: too many parts")
	// ErrTooLong means the text exceeds MaxPayload octets in one payload.
	ErrTooLong = errors.New("text: too long for message_payload")
)

// SplitOptions configure Split.
type SplitOptions struct {
	// Options are the connection's text settings: they choose the
	// encoding (as Encode does) and whether GSM 7-bit data is packed.
	Options
	// Concat is the concatenation method; the zero value is ConcatUDH8.
	Concat Concat
	// Ref is the concatenation reference number, chosen by the caller
	// (for example a counter per destination). ConcatUDH8 takes 0..255.
	Ref uint16
	// MaxParts caps the number of parts, 1..255; 0 means 255.
	MaxParts int
}

// Message is a text prepared for sending.
type Message struct {
	DataCoding uint8    // data_coding of every part
	Alphabet   Alphabet // the alphabet DataCoding means
	Parts      []Part   // at least one
}

// Part is one short message of a Message.
type Part struct {
	// UDH is the user data header with its UDHL octet, nil if none. When
	// set, the caller sets esm_class UDHI (0x40).
	UDH []byte
	// Data is the encoded user data after the UDH. Packed GSM 7-bit data
	// starts after the fill bits that align it on a septet boundary.
	Data []byte
	// Ref, Total and Seq are the concatenation values (Seq counts from
	// 1). A message of one part has Ref 0, Total 1, Seq 1 and needs no
	// sar_* TLVs.
	Ref        uint16
	Total, Seq uint8
}

// ShortMessage returns UDH followed by Data: the short_message field.
func (p Part) ShortMessage() []byte {
	out := make([]byte, 0, len(p.UDH)+len(p.Data))
	out = append(out, p.UDH...)
	return append(out, p.Data...)
}

// UDHI reports whether the part carries a UDH, so esm_class needs 0x40.
func (p Part) UDHI() bool { return len(p.UDH) > 0 }

// capacity is the size of one message in the alphabet's units (septets,
// UTF-16 code units, octets): alone, after an 8-bit-reference UDH, after a
// 16-bit-reference UDH (3GPP TS 23.040 §9.2.3.24.1 on 140 octets).
type capacity struct{ single, udh8, udh16 int }

var capacities = map[Alphabet]capacity{
	GSM7:   {160, 153, 152},
	UCS2:   {70, 67, 66},
	Latin1: {140, 134, 133},
	IA5:    {140, 134, 133},
}

// Split encodes s as Encode does and cuts it into parts that each fit one
// short message: 160/153/152 GSM 7-bit septets (single, 8-bit-reference UDH,
// 16-bit-reference UDH or SAR), 70/67/66 UTF-16 units for UCS2, 140/134/133
// octets for Latin-1 and IA5. Parts are filled greedily and never split a
// GSM escape pair or a UTF-16 surrogate pair. A text that fits one message
// is one part without UDH. With ConcatPayload the whole text is one part.
func Split(s string, o SplitOptions) (Message, error) {
	if err := o.Validate(); err != nil {
		return Message{}, err
	}
	maxParts := o.MaxParts
	switch {
	case maxParts == 0:
		maxParts = MaxParts
	case maxParts < 0 || maxParts > MaxParts:
		return Message{}, fmt.Errorf("text: max parts %d outside 1..%d", o.MaxParts, MaxParts)
	}
	if o.Concat > ConcatPayload {
		return Message{}, fmt.Errorf("text: unknown concatenation method %v", o.Concat)
	}
	if o.Concat == ConcatUDH8 && o.Ref > 0xFF {
		return Message{}, fmt.Errorf("text: reference %d does not fit the 8-bit UDH", o.Ref)
	}

	a, dcs := o.choose(s)
	msg := Message{DataCoding: dcs, Alphabet: a}
	if o.Concat == ConcatPayload {
		p, err := o.part(s, a, nil)
		if err != nil {
			return Message{}, err
		}
		if len(p.Data) > MaxPayload {
			return Message{}, fmt.Errorf("text: %d octets: %w", len(p.Data), ErrTooLong)
		}
		msg.Parts = []Part{p}
		return msg, nil
	}

	c := capacities[a]
	per := c.udh16
	if o.Concat == ConcatUDH8 {
		per = c.udh8
	}
	segs, total := o.segment(s, a, c.single, per)
	if segs == nil {
		p, err := o.part(s, a, nil)
		if err != nil {
			return Message{}, err
		}
		msg.Parts = []Part{p}
		return msg, nil
	}
	if len(segs) > maxParts {
		return Message{}, fmt.Errorf("text: %d units need %d parts, limit %d: %w", total, len(segs), maxParts, ErrTooManyParts)
	}
	n := uint8(len(segs))
	msg.Parts = make([]Part, len(segs))
	for i, seg := range segs {
		seq := uint8(i + 1)
		var udh []byte
		switch o.Concat {
		case ConcatUDH8:
			udh = []byte{0x05, IEConcat8, 0x03, byte(o.Ref), n, seq}
		case ConcatUDH16:
			udh = []byte{0x06, IEConcat16, 0x04, byte(o.Ref >> 8), byte(o.Ref), n, seq}
		}
		p, err := o.part(seg, a, udh)
		if err != nil {
			return Message{}, err
		}
		p.Ref, p.Total, p.Seq = o.Ref, n, seq
		msg.Parts[i] = p
	}
	return msg, nil
}

// segment cuts s into pieces of at most per units each, on character
// boundaries. It returns nil if s fits single units, and the total units.
//
// Packed GSM 7-bit pieces other than the last never end with a CR that
// fills their last octet exactly: the receiver would take it for padding
// (Unpack7), so such a CR moves to the next piece.
func (o SplitOptions) segment(s string, a Alphabet, single, per int) ([]string, int) {
	total := 0
	for _, r := range s {
		u, _ := o.units(r, a)
		total += u
	}
	if total <= single {
		return nil, total
	}
	fill := -1 // no CR check
	if a == GSM7 && o.Packed {
		fill = 0
		if o.Concat == ConcatUDH8 {
			fill = FillBits(6)
		}
	}
	var segs []string
	start, used := 0, 0
	last, lastRune := 0, rune(0) // byte offset and value of the piece's last rune
	for i, r := range s {
		u, _ := o.units(r, a)
		if used+u > per {
			if fill >= 0 && lastRune == '\r' && (fill+7*used)%8 == 0 {
				segs = append(segs, s[start:last])
				start, used = last, 1
			} else {
				segs = append(segs, s[start:i])
				start, used = i, 0
			}
		}
		used += u
		last, lastRune = i, r
	}
	return append(segs, s[start:]), total
}

// part encodes one piece of text after udh.
func (o SplitOptions) part(s string, a Alphabet, udh []byte) (Part, error) {
	data, err := o.encodeIn(nil, s, a)
	if err != nil {
		// choose checked every character; this is a bug.
		return Part{}, fmt.Errorf("encode as %v: %w", a, err)
	}
	if a == GSM7 && o.Packed {
		data = Pack7(data, FillBits(len(udh)))
	}
	return Part{UDH: udh, Data: data, Total: 1, Seq: 1}, nil
}
