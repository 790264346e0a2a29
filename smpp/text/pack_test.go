package text_test

import (
	"bytes"
	"testing"

	"github.com/smsgw/smsgw/smpp/text"
)

func TestFillBits(t *testing.T) {
	tests := []struct{ udhLen, want int }{
		{0, 0}, {1, 6}, {2, 5}, {3, 4}, {4, 3}, {5, 2}, {6, 1}, {7, 0}, {8, 6}, {12, 2}, {13, 1}, {14, 0},
	}
	for _, tt := range tests {
		if got := text.FillBits(tt.udhLen); got != tt.want {
			t.Errorf("FillBits(%d) = %d, want %d", tt.udhLen, got, tt.want)
		}
	}
}

func TestPack7(t *testing.T) {
	tests := []struct {
		name    string
		septets []byte
		fill    int
		want    []byte
	}{
		{"empty", nil, 0, []byte{}},
		{"empty with fill", nil, 1, []byte{}},
		{"one", []byte{'A'}, 0, []byte{0x41}},
		{"one with fill 1", []byte{'A'}, 1, []byte{0x82}},
		{"two", []byte{'A', 'B'}, 0, []byte{0x41, 0x21}},
		// 7 fill bits are never used: 7 is taken as 0.
		{"fill 7 is 0", []byte{'A'}, 7, []byte{0x41}},
		{"high bit ignored", []byte{0xC1}, 0, []byte{0x41}},
		// 2 fill bits + 7 bits leave 7 spare bits: CR pad.
		{"CR pad after fill", []byte{'A'}, 2, []byte{0x04, 0x1B}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := text.Pack7(tt.septets, tt.fill); !bytes.Equal(got, tt.want) {
				t.Errorf("Pack7(%X, %d) = %X, want %X", tt.septets, tt.fill, got, tt.want)
			}
		})
	}
}

func TestPack7Length(t *testing.T) {
	for fill := 0; fill < 7; fill++ {
		for n := 1; n <= 20; n++ {
			septets := bytes.Repeat([]byte{'x'}, n)
			got := len(text.Pack7(septets, fill))
			if want := (fill + 7*n + 7) / 8; got != want {
				t.Errorf("len(Pack7(%d septets, %d)) = %d, want %d", n, fill, got, want)
			}
		}
	}
}

func TestPackRoundTrip(t *testing.T) {
	for fill := 0; fill < 7; fill++ {
		for n := 0; n <= 24; n++ {
			septets := make([]byte, n)
			for i := range septets {
				septets[i] = byte(0x7F - (i*13)%0x7F) // no CR, no zero at the end
			}
			packed := text.Pack7(septets, fill)
			if got := text.Unpack7(packed, fill); !bytes.Equal(got, septets) {
				t.Errorf("Unpack7(Pack7(%X, %d)) = %X, want %X", septets, fill, got, septets)
			}
		}
	}
}

// TestUnpack7CRAmbiguity documents the one case Unpack7 cannot invert: a CR
// that is the last septet and ends exactly on an octet boundary reads as
// padding.
func TestUnpack7CRAmbiguity(t *testing.T) {
	septets := []byte("1234567\r")
	packed := text.Pack7(septets, 0)
	if got, want := text.Unpack7(packed, 0), []byte("1234567"); !bytes.Equal(got, want) {
		t.Errorf("Unpack7(Pack7(%X)) = %X, want %X", septets, got, want)
	}
	// A CR that does not end on a boundary survives.
	septets = []byte("123456\r")
	packed = text.Pack7(septets, 0)
	if got := text.Unpack7(packed, 0); !bytes.Equal(got, septets) {
		t.Errorf("Unpack7(Pack7(%X)) = %X, want %X", septets, got, septets)
	}
}

func TestUnpack7Short(t *testing.T) {
	tests := []struct {
		name   string
		packed []byte
		fill   int
		want   []byte
	}{
		{"empty", nil, 0, []byte{}},
		{"one octet", []byte{0x41}, 0, []byte{'A'}},
		{"one octet fill 1", []byte{0x82}, 1, []byte{'A'}},
		{"one octet fill 2 holds no septet", []byte{0xFF}, 2, []byte{}},
		{"lone CR pad", []byte{0x1A}, 1, []byte{}},
		{"CR pad after fill", []byte{0x04, 0x1B}, 2, []byte{'A'}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := text.Unpack7(tt.packed, tt.fill); !bytes.Equal(got, tt.want) {
				t.Errorf("Unpack7(%X, %d) = %X, want %X", tt.packed, tt.fill, got, tt.want)
			}
		})
	}
}

func TestUnpackUserData(t *testing.T) {
	// After a 6-octet UDH and 1 fill bit, one octet holds exactly one
	// septet: here 0x00, a real '@' or zero padding.
	ud := []byte{0x05, 0x00, 0x03, 0x01, 0x02, 0x01, 0x00}
	tests := []struct {
		name   string
		o      text.Options
		udhLen int
		want   []byte
	}{
		{"zero kept", text.Options{}, 6, []byte{0x00}},
		{"zero dropped", text.Options{DropZeroPad: true}, 6, []byte{}},
		{"udhLen beyond data", text.Options{}, 9, []byte{}},
		{"negative udhLen", text.Options{}, -1, []byte{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.o.UnpackUserData(ud, tt.udhLen); !bytes.Equal(got, tt.want) {
				t.Errorf("%+v.UnpackUserData(%X, %d) = %X, want %X", tt.o, ud, tt.udhLen, got, tt.want)
			}
		})
	}
	if got := text.UnpackUserData(ud, 6); !bytes.Equal(got, []byte{0x00}) {
		t.Errorf("UnpackUserData(%X, 6) = %X, want 00", ud, got)
	}
	cr := []byte{0x05, 0x00, 0x03, 0x01, 0x02, 0x01, 0x1A}
	if got := text.UnpackUserData(cr, 6); len(got) != 0 {
		t.Errorf("UnpackUserData(%X, 6) = %X, want no septets (CR pad)", cr, got)
	}
}
