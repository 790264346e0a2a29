package text_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/smsgw/smsgw/smpp/text"
)

// joinParts reassembles the text of msg as a receiver would.
func joinParts(t testing.TB, msg text.Message, o text.SplitOptions) string {
	t.Helper()
	var data []byte
	for _, p := range msg.Parts {
		d := p.Data
		if msg.Alphabet == text.GSM7 && o.Packed {
			d = text.UnpackUserData(p.ShortMessage(), len(p.UDH))
		}
		data = append(data, d...)
	}
	unpacked := o.Options
	unpacked.Packed = false
	s, err := text.Decode(msg.DataCoding, data, unpacked)
	if err != nil {
		t.Fatalf("Decode(%#x, %X) error %v", msg.DataCoding, data, err)
	}
	return s
}

// partUnits returns the size of each part in the alphabet's units.
func partUnits(t testing.TB, msg text.Message, o text.SplitOptions) []int {
	t.Helper()
	var out []int
	for _, p := range msg.Parts {
		switch {
		case msg.Alphabet == text.GSM7 && o.Packed:
			out = append(out, len(text.UnpackUserData(p.ShortMessage(), len(p.UDH))))
		case msg.Alphabet == text.UCS2:
			out = append(out, len(p.Data)/2)
		default:
			out = append(out, len(p.Data))
		}
	}
	return out
}

func TestSplit(t *testing.T) {
	a := func(n int) string { return strings.Repeat("a", n) }
	d := func(n int) string { return strings.Repeat("д", n) }
	ê := func(n int) string { return strings.Repeat("ê", n) }
	tests := []struct {
		name      string
		in        string
		opts      text.SplitOptions
		wantDCS   uint8
		wantUnits []int
		wantUDH   bool
	}{
		{"single short", "Halo", text.SplitOptions{}, 0x00, []int{4}, false},
		{"empty", "", text.SplitOptions{}, 0x00, []int{0}, false},
		{"gsm7 exactly 160", a(160), text.SplitOptions{}, 0x00, []int{160}, false},
		{"gsm7 161", a(161), text.SplitOptions{}, 0x00, []int{153, 8}, true},
		{"gsm7 306", a(306), text.SplitOptions{}, 0x00, []int{153, 153}, true},
		{"gsm7 307", a(307), text.SplitOptions{}, 0x00, []int{153, 153, 1}, true},
		{"gsm7 161 udh16", a(161), text.SplitOptions{Concat: text.ConcatUDH16}, 0x00, []int{152, 9}, true},
		{"gsm7 161 sar", a(161), text.SplitOptions{Concat: text.ConcatSAR}, 0x00, []int{152, 9}, false},
		{"gsm7 payload", a(1000), text.SplitOptions{Concat: text.ConcatPayload}, 0x00, []int{1000}, false},
		{"gsm7 158 + escape is 160", a(158) + "€", text.SplitOptions{}, 0x00, []int{160}, false},
		{"gsm7 159 + escape is 161", a(159) + "€", text.SplitOptions{}, 0x00, []int{153, 8}, true},
		{"escape at 153 boundary", a(152) + "€" + a(10), text.SplitOptions{}, 0x00, []int{152, 12}, true},
		{"escape just fits 153", a(151) + "€" + a(10), text.SplitOptions{}, 0x00, []int{153, 10}, true},
		{"escape at 152 boundary udh16", a(151) + "€" + a(10), text.SplitOptions{Concat: text.ConcatUDH16}, 0x00, []int{151, 12}, true},
		{"gsm7 packed 160", a(160), text.SplitOptions{Options: text.Options{Packed: true}}, 0x00, []int{160}, false},
		{"gsm7 packed 161", a(161), text.SplitOptions{Options: text.Options{Packed: true}}, 0x00, []int{153, 8}, true},
		{"gsm7 packed 161 udh16", a(161), text.SplitOptions{Options: text.Options{Packed: true}, Concat: text.ConcatUDH16}, 0x00, []int{152, 9}, true},
		{"packed CR at 153 boundary moves", a(152) + "\r" + a(10), text.SplitOptions{Options: text.Options{Packed: true}}, 0x00, []int{152, 11}, true},
		{"packed CR CR at 153 boundary", a(151) + "\r\r" + a(10), text.SplitOptions{Options: text.Options{Packed: true}}, 0x00, []int{152, 11}, true},
		{"packed CR at 152 boundary udh16", a(151) + "\r" + a(10), text.SplitOptions{Options: text.Options{Packed: true}, Concat: text.ConcatUDH16}, 0x00, []int{151, 11}, true},
		{"packed CR not at boundary stays", a(150) + "\r€" + a(10), text.SplitOptions{Options: text.Options{Packed: true}, Concat: text.ConcatUDH16}, 0x00, []int{151, 12}, true},
		{"unpacked CR at 153 boundary stays", a(152) + "\r" + a(10), text.SplitOptions{}, 0x00, []int{153, 10}, true},
		{"ucs2 exactly 70", d(70), text.SplitOptions{}, 0x08, []int{70}, false},
		{"ucs2 71", d(71), text.SplitOptions{}, 0x08, []int{67, 4}, true},
		{"ucs2 71 udh16", d(71), text.SplitOptions{Concat: text.ConcatUDH16}, 0x08, []int{66, 5}, true},
		{"ucs2 emoji fits 70", d(68) + "👋", text.SplitOptions{}, 0x08, []int{70}, false},
		{"emoji at 67 boundary", d(66) + "👋" + d(10), text.SplitOptions{}, 0x08, []int{66, 12}, true},
		{"emoji just fits 67", d(65) + "👋" + d(10), text.SplitOptions{}, 0x08, []int{67, 10}, true},
		{"emoji at 66 boundary udh16", d(65) + "👋" + d(10), text.SplitOptions{Concat: text.ConcatUDH16}, 0x08, []int{65, 12}, true},
		{"ucs2 packed ignored", d(71), text.SplitOptions{Options: text.Options{Packed: true}}, 0x08, []int{67, 4}, true},
		{"latin1 exactly 140", ê(140), text.SplitOptions{Options: text.Options{AllowLatin1: true}}, 0x03, []int{140}, false},
		{"latin1 141", ê(141), text.SplitOptions{Options: text.Options{AllowLatin1: true}}, 0x03, []int{134, 7}, true},
		{"latin1 141 sar", ê(141), text.SplitOptions{Options: text.Options{AllowLatin1: true}, Concat: text.ConcatSAR}, 0x03, []int{133, 8}, false},
		{"max parts exactly", a(153 * 3), text.SplitOptions{MaxParts: 3}, 0x00, []int{153, 153, 153}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msg, err := text.Split(tt.in, tt.opts)
			if err != nil {
				t.Fatalf("Split(%q) error %v", tt.in, err)
			}
			if msg.DataCoding != tt.wantDCS {
				t.Errorf("Split(%q).DataCoding = %#x, want %#x", tt.in, msg.DataCoding, tt.wantDCS)
			}
			if got := partUnits(t, msg, tt.opts); !equalInts(got, tt.wantUnits) {
				t.Errorf("Split(%q) part sizes = %v, want %v", tt.in, got, tt.wantUnits)
			}
			if got := joinParts(t, msg, tt.opts); got != tt.in {
				t.Errorf("joined Split(%q) = %q, want the input", tt.in, got)
			}
			n := len(msg.Parts)
			for i, p := range msg.Parts {
				if p.UDHI() != tt.wantUDH {
					t.Errorf("part %d UDHI() = %v, want %v", i+1, p.UDHI(), tt.wantUDH)
				}
				wantRef := tt.opts.Ref
				if n == 1 {
					wantRef = 0
				}
				if int(p.Total) != n || int(p.Seq) != i+1 || p.Ref != wantRef {
					t.Errorf("part %d Ref/Total/Seq = %d/%d/%d, want %d/%d/%d", i+1, p.Ref, p.Total, p.Seq, wantRef, n, i+1)
				}
				if sm := p.ShortMessage(); tt.opts.Concat != text.ConcatPayload && len(sm) > 254 {
					t.Errorf("part %d short_message has %d octets", i+1, len(sm))
				}
				if tt.opts.Packed || msg.Alphabet != text.GSM7 {
					if sm := p.ShortMessage(); tt.opts.Concat != text.ConcatPayload && len(sm) > 140 {
						t.Errorf("part %d user data has %d octets, want <= 140", i+1, len(sm))
					}
				}
			}
		})
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestSplitUDHBytes(t *testing.T) {
	long := strings.Repeat("x", 200)
	tests := []struct {
		name string
		opts text.SplitOptions
		want [][]byte
	}{
		{"udh8", text.SplitOptions{Ref: 0xA7}, [][]byte{
			{0x05, 0x00, 0x03, 0xA7, 0x02, 0x01},
			{0x05, 0x00, 0x03, 0xA7, 0x02, 0x02},
		}},
		{"udh16", text.SplitOptions{Concat: text.ConcatUDH16, Ref: 0x1234}, [][]byte{
			{0x06, 0x08, 0x04, 0x12, 0x34, 0x02, 0x01},
			{0x06, 0x08, 0x04, 0x12, 0x34, 0x02, 0x02},
		}},
		{"sar", text.SplitOptions{Concat: text.ConcatSAR, Ref: 0x1234}, [][]byte{nil, nil}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msg, err := text.Split(long, tt.opts)
			if err != nil {
				t.Fatalf("Split error %v", err)
			}
			if len(msg.Parts) != len(tt.want) {
				t.Fatalf("Split made %d parts, want %d", len(msg.Parts), len(tt.want))
			}
			for i, p := range msg.Parts {
				if !bytes.Equal(p.UDH, tt.want[i]) || (p.UDH == nil) != (tt.want[i] == nil) {
					t.Errorf("part %d UDH = %X, want %X", i+1, p.UDH, tt.want[i])
				}
				if sm := p.ShortMessage(); !bytes.HasPrefix(sm, p.UDH) || !bytes.Equal(sm[len(p.UDH):], p.Data) {
					t.Errorf("part %d ShortMessage() = %X, want UDH %X + data %X", i+1, sm, p.UDH, p.Data)
				}
				if p.Ref != tt.opts.Ref {
					t.Errorf("part %d Ref = %#x, want %#x", i+1, p.Ref, tt.opts.Ref)
				}
			}
		})
	}
}

// TestSplitPackedFill checks that a packed part after a 6-octet UDH starts
// with one fill bit and fills 140 octets exactly.
func TestSplitPackedFill(t *testing.T) {
	msg, err := text.Split(strings.Repeat("a", 200), text.SplitOptions{Options: text.Options{Packed: true}, Ref: 1})
	if err != nil {
		t.Fatalf("Split error %v", err)
	}
	p := msg.Parts[0]
	if got := len(p.ShortMessage()); got != 140 {
		t.Errorf("len(part 1) = %d, want 140", got)
	}
	if want := text.Pack7(bytes.Repeat([]byte{'a'}, 153), 1); !bytes.Equal(p.Data, want) {
		t.Errorf("part 1 data = %X, want %X", p.Data, want)
	}
}

func TestSplitNoBrokenPairs(t *testing.T) {
	// Every position of the escape pair and the surrogate pair around the
	// part boundaries.
	for pad := 140; pad < 160; pad++ {
		in := strings.Repeat("a", pad) + strings.Repeat("€", 20)
		msg, err := text.Split(in, text.SplitOptions{})
		if err != nil {
			t.Fatalf("Split error %v", err)
		}
		for i, p := range msg.Parts {
			if n := len(p.Data); n > 0 && p.Data[n-1] == 0x1B {
				t.Errorf("pad %d: part %d ends with an escape", pad, i+1)
			}
		}
		if got := joinParts(t, msg, text.SplitOptions{}); got != in {
			t.Errorf("pad %d: joined parts = %q, want input", pad, got)
		}
	}
	for pad := 60; pad < 70; pad++ {
		in := strings.Repeat("д", pad) + strings.Repeat("👋", 10)
		msg, err := text.Split(in, text.SplitOptions{})
		if err != nil {
			t.Fatalf("Split error %v", err)
		}
		for i, p := range msg.Parts {
			if n := len(p.Data); n >= 2 && p.Data[n-2]&0xFC == 0xD8 {
				t.Errorf("pad %d: part %d ends with a high surrogate", pad, i+1)
			}
			if len(p.Data) > 134 {
				t.Errorf("pad %d: part %d has %d octets, want <= 134", pad, i+1, len(p.Data))
			}
		}
		if got := joinParts(t, msg, text.SplitOptions{}); got != in {
			t.Errorf("pad %d: joined parts = %q, want input", pad, got)
		}
	}
}

func TestSplitErrors(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		opts    text.SplitOptions
		wantErr error
	}{
		{"more than max parts", strings.Repeat("a", 153*3+1), text.SplitOptions{MaxParts: 3}, text.ErrTooManyParts},
		{"more than 255 parts", strings.Repeat("a", 153*255+1), text.SplitOptions{}, text.ErrTooManyParts},
		{"payload too long", strings.Repeat("д", 40000), text.SplitOptions{Concat: text.ConcatPayload}, text.ErrTooLong},
		{"max parts above 255", "a", text.SplitOptions{MaxParts: 256}, nil},
		{"negative max parts", "a", text.SplitOptions{MaxParts: -1}, nil},
		{"ref too big for udh8", "a", text.SplitOptions{Ref: 256}, nil},
		{"unknown method", "a", text.SplitOptions{Concat: 9}, nil},
		{"bad options", "a", text.SplitOptions{Options: text.Options{DefaultAlphabet: text.UCS2}}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msg, err := text.Split(tt.in, tt.opts)
			if err == nil {
				t.Fatalf("Split(%d runes, %+v) = %d parts, nil, want error", len([]rune(tt.in)), tt.opts, len(msg.Parts))
			}
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Errorf("Split error = %v, want %v", err, tt.wantErr)
			}
		})
	}
	// 255 parts exactly are allowed.
	msg, err := text.Split(strings.Repeat("a", 153*255), text.SplitOptions{})
	if err != nil || len(msg.Parts) != 255 {
		t.Errorf("Split(153*255 septets) = %d parts, %v, want 255, nil", len(msg.Parts), err)
	}
	// A 16-bit reference is fine with the 16-bit UDH.
	if _, err := text.Split("a", text.SplitOptions{Concat: text.ConcatUDH16, Ref: 0xFFFF}); err != nil {
		t.Errorf("Split with 16-bit ref 0xFFFF error %v", err)
	}
}

func TestConcatString(t *testing.T) {
	for c, want := range map[text.Concat]string{
		text.ConcatUDH8: "udh8", text.ConcatUDH16: "udh16", text.ConcatSAR: "sar",
		text.ConcatPayload: "payload", 7: "Concat(7)",
	} {
		if got := c.String(); got != want {
			t.Errorf("Concat(%d).String() = %q, want %q", uint8(c), got, want)
		}
	}
}
