package text_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/smsgw/smsgw/smpp/text"
)

// FuzzGSM7 decodes arbitrary septets: the text must encode, and decoding the
// encoding must give the same text.
func FuzzGSM7(f *testing.F) {
	f.Add([]byte("Price: \x1be5 \x1b(promo\x1b) \x00shop"))
	f.Add([]byte{0x1B})
	f.Add([]byte{0x1B, 0x1B, 0x1B})
	f.Add([]byte{0x1B, 0x41, 0x09, 0x80, 0xFF})
	f.Fuzz(func(t *testing.T, in []byte) {
		s := text.DecodeGSM7(in) // must not panic on any octets
		septets := make([]byte, len(in))
		for i, b := range in {
			septets[i] = b & 0x7F
		}
		s = text.DecodeGSM7(septets)
		enc, err := text.EncodeGSM7(s)
		if err != nil {
			t.Fatalf("EncodeGSM7(DecodeGSM7(%X) = %q) error %v", septets, s, err)
		}
		if n, ok := text.GSM7Len(s); n != len(enc) || !ok {
			t.Errorf("GSM7Len(%q) = %d, %v, want %d, true", s, n, ok, len(enc))
		}
		if got := text.DecodeGSM7(enc); got != s {
			t.Errorf("DecodeGSM7(EncodeGSM7(%q)) = %q", s, got)
		}
	})
}

// FuzzPack checks Unpack7(Pack7(x)) == x for septets, except the documented
// case of a final CR on an octet boundary, which reads as padding.
func FuzzPack(f *testing.F) {
	f.Add([]byte("hellohello"), uint8(0))
	f.Add([]byte("1234567"), uint8(0))
	f.Add([]byte("Hello"), uint8(1))
	f.Add([]byte("1234567\r"), uint8(0))
	f.Fuzz(func(t *testing.T, in []byte, fill uint8) {
		fb := int(fill % 7)
		septets := make([]byte, len(in))
		for i, b := range in {
			septets[i] = b & 0x7F
		}
		packed := text.Pack7(septets, fb)
		if want := (fb + 7*len(septets) + 7) / 8; len(septets) > 0 && len(packed) != want {
			t.Fatalf("len(Pack7(%X, %d)) = %d, want %d", septets, fb, len(packed), want)
		}
		want := septets
		if n := len(septets); n > 0 && septets[n-1] == 0x0D && (fb+7*n)%8 == 0 {
			want = septets[:n-1]
		}
		if got := text.Unpack7(packed, fb); !bytes.Equal(got, want) {
			t.Errorf("Unpack7(Pack7(%X, %d) = %X) = %X, want %X", septets, fb, packed, got, want)
		}
		text.Unpack7(in, int(fill)) // arbitrary input must not panic
		text.Unpack7DropZero(in, int(fill))
	})
}

// FuzzSplit splits arbitrary text with every method and checks that the
// parts fit and join back to the text.
func FuzzSplit(f *testing.F) {
	f.Add("Halo", uint8(0), false, false)
	f.Add(strings.Repeat("a", 152)+"€"+strings.Repeat("b", 20), uint8(0), false, false)
	f.Add(strings.Repeat("д", 66)+"👋"+strings.Repeat("д", 10), uint8(1), false, false)
	f.Add(strings.Repeat("ê", 150), uint8(2), false, true)
	f.Add(strings.Repeat("x\r", 100), uint8(0), true, false)
	f.Fuzz(func(t *testing.T, s string, method uint8, packed, latin1 bool) {
		o := text.SplitOptions{
			Options:  text.Options{Packed: packed, AllowLatin1: latin1},
			Concat:   text.Concat(method % 4),
			Ref:      uint16(method),
			MaxParts: 255,
		}
		msg, err := text.Split(s, o)
		if errors.Is(err, text.ErrTooManyParts) || errors.Is(err, text.ErrTooLong) {
			return
		}
		if err != nil {
			t.Fatalf("Split(%q, %+v) error %v", s, o, err)
		}
		want := string([]rune(s)) // invalid UTF-8 becomes U+FFFD
		for i, p := range msg.Parts {
			if o.Concat != text.ConcatPayload && len(p.ShortMessage()) > 254 {
				t.Errorf("part %d has %d octets", i+1, len(p.ShortMessage()))
			}
			if (msg.Alphabet != text.GSM7 || packed) && o.Concat != text.ConcatPayload && len(p.ShortMessage()) > 140 {
				t.Errorf("part %d has %d octets of user data, want <= 140", i+1, len(p.ShortMessage()))
			}
		}
		got := joinParts(t, msg, o)
		if got != want && !(packed && msg.Alphabet == text.GSM7 && got+"\r" == want) {
			// Only a final CR on an octet boundary may be lost (Pack7).
			t.Errorf("joined Split(%q, %+v) = %q, want %q", s, o, got, want)
		}
		if got2 := receive(t, msg, o); got2 != got {
			t.Errorf("received Split(%q, %+v) = %q, want %q", s, o, got2, got)
		}
	})
}

// receive plays the receiving side: it reads the concatenation values from
// each part's UDH (or from Ref/Total/Seq, as sar_* TLVs would carry them),
// unpacks packed septets, feeds the parts to a Reassembler last part first,
// and decodes the result.
func receive(t *testing.T, msg text.Message, o text.SplitOptions) string {
	t.Helper()
	r := text.NewReassembler(text.ReassemblerOptions{})
	key := text.Key{Source: "447700900123", Dest: "12345"}
	var full []byte
	done := false
	for i := len(msg.Parts) - 1; i >= 0; i-- {
		p := msg.Parts[i]
		sm := p.ShortMessage()
		ud, udhLen := sm, 0
		ref, total, seq := p.Ref, p.Total, p.Seq
		if p.UDHI() {
			h, rest, err := text.ParseUDH(sm)
			if err != nil {
				t.Fatalf("ParseUDH(part %d %X) error %v", i+1, sm, err)
			}
			var ok bool
			if ref, total, seq, ok = h.Concat(); !ok {
				t.Fatalf("part %d UDH %X has no concatenation IE", i+1, p.UDH)
			}
			ud, udhLen = rest, len(sm)-len(rest)
		}
		if msg.Alphabet == text.GSM7 && o.Packed {
			ud = text.UnpackUserData(sm, udhLen)
		}
		if done {
			t.Fatalf("message complete before part %d", i+1)
		}
		got, ok, err := r.Add(t0, key, ref, total, seq, msg.DataCoding, ud)
		if err != nil {
			t.Fatalf("Add(part %d) error %v", i+1, err)
		}
		full, done = got, ok
	}
	if !done {
		t.Fatalf("message of %d parts never completed", len(msg.Parts))
	}
	plain := o.Options
	plain.Packed = false
	s, err := text.Decode(msg.DataCoding, full, plain)
	if err != nil {
		t.Fatalf("Decode(%#x, %X) error %v", msg.DataCoding, full, err)
	}
	return s
}

// FuzzParseUDH parses arbitrary user data: no panic, and a header that
// parses re-encodes to the same octets.
func FuzzParseUDH(f *testing.F) {
	f.Add([]byte{0x05, 0x00, 0x03, 0xA7, 0x02, 0x01, 'H', 'i'})
	f.Add([]byte{0x06, 0x08, 0x04, 0x12, 0x34, 0x02, 0x01})
	f.Add([]byte{0x0B, 0x05, 0x04, 0x15, 0x8A, 0x00, 0x00, 0x00, 0x03, 0x01, 0x02, 0x01})
	f.Add([]byte{0xFF})
	f.Fuzz(func(t *testing.T, ud []byte) {
		h, rest, err := text.ParseUDH(ud)
		if err != nil {
			if !errors.Is(err, text.ErrBadUDH) {
				t.Fatalf("ParseUDH(%X) error %v, want ErrBadUDH", ud, err)
			}
			return
		}
		b, err := h.Bytes()
		if err != nil || !bytes.Equal(b, ud[:len(ud)-len(rest)]) {
			t.Errorf("ParseUDH(%X).Bytes() = %X, %v, want %X", ud, b, err, ud[:len(ud)-len(rest)])
		}
		if ref, total, seq, ok := h.Concat(); ok && (seq == 0 || seq > total) {
			t.Errorf("Concat() = %d, %d, %d, true: invalid values accepted", ref, total, seq)
		}
		h.Ports()
	})
}

// FuzzReassembly cuts data into parts, feeds them in a fuzzed order with
// duplicates (and parts of another message in between): the message must
// complete exactly once, when its last part arrives, with the data.
func FuzzReassembly(f *testing.F) {
	f.Add([]byte("Hello from part one and two"), uint8(2), []byte{1, 1, 0})
	f.Add([]byte("abc"), uint8(3), []byte{2, 0, 2, 1})
	f.Add([]byte{}, uint8(5), []byte{})
	f.Fuzz(func(t *testing.T, data []byte, total uint8, order []byte) {
		n := int(total%20) + 1
		parts := make([][]byte, n)
		for i := range parts {
			lo, hi := i*len(data)/n, (i+1)*len(data)/n
			parts[i] = data[lo:hi]
		}
		r := text.NewReassembler(text.ReassemblerOptions{MaxPending: 2})
		seen := make([]bool, n)
		missing := n
		feed := func(seq int) {
			if _, _, err := r.Add(t0, bob, 9, uint8(n), 1, 0, []byte("noise")); err != nil && n > 1 {
				t.Fatalf("Add(noise) error %v", err)
			}
			got, done, err := r.Add(t0, alice, 9, uint8(n), uint8(seq+1), 0, parts[seq])
			if err != nil {
				t.Fatalf("Add(seq %d of %d) error %v", seq+1, n, err)
			}
			if !seen[seq] {
				seen[seq] = true
				missing--
			}
			if done != (missing == 0 && got != nil) || (done && !bytes.Equal(got, data)) {
				t.Fatalf("Add(seq %d of %d) = %X, %v with %d missing, want %X when complete", seq+1, n, got, done, missing, data)
			}
			if done {
				missing = -1 // a later part starts a new message
			}
		}
		for _, o := range order {
			if missing < 0 {
				break
			}
			feed(int(o) % n)
		}
		for seq := 0; seq < n && missing >= 0; seq++ {
			if !seen[seq] {
				feed(seq)
			}
		}
		if missing != -1 {
			t.Fatalf("message never completed")
		}
	})
}
