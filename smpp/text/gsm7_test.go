package text_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/smsgw/smsgw/smpp/text"
)

// gsmBaseWant is the GSM 03.38 default alphabet as code points, septet
// 0x00..0x7F in order, typed from the table in 3GPP TS 23.038 §6.2.1
// (-1 marks the escape septet).
var gsmBaseWant = [128]rune{
	0x0040, 0x00A3, 0x0024, 0x00A5, 0x00E8, 0x00E9, 0x00F9, 0x00EC, 0x00F2, 0x00C7, 0x000A, 0x00D8, 0x00F8, 0x000D, 0x00C5, 0x00E5,
	0x0394, 0x005F, 0x03A6, 0x0393, 0x039B, 0x03A9, 0x03A0, 0x03A8, 0x03A3, 0x0398, 0x039E, -1, 0x00C6, 0x00E6, 0x00DF, 0x00C9,
	0x0020, 0x0021, 0x0022, 0x0023, 0x00A4, 0x0025, 0x0026, 0x0027, 0x0028, 0x0029, 0x002A, 0x002B, 0x002C, 0x002D, 0x002E, 0x002F,
	0x0030, 0x0031, 0x0032, 0x0033, 0x0034, 0x0035, 0x0036, 0x0037, 0x0038, 0x0039, 0x003A, 0x003B, 0x003C, 0x003D, 0x003E, 0x003F,
	0x00A1, 0x0041, 0x0042, 0x0043, 0x0044, 0x0045, 0x0046, 0x0047, 0x0048, 0x0049, 0x004A, 0x004B, 0x004C, 0x004D, 0x004E, 0x004F,
	0x0050, 0x0051, 0x0052, 0x0053, 0x0054, 0x0055, 0x0056, 0x0057, 0x0058, 0x0059, 0x005A, 0x00C4, 0x00D6, 0x00D1, 0x00DC, 0x00A7,
	0x00BF, 0x0061, 0x0062, 0x0063, 0x0064, 0x0065, 0x0066, 0x0067, 0x0068, 0x0069, 0x006A, 0x006B, 0x006C, 0x006D, 0x006E, 0x006F,
	0x0070, 0x0071, 0x0072, 0x0073, 0x0074, 0x0075, 0x0076, 0x0077, 0x0078, 0x0079, 0x007A, 0x00E4, 0x00F6, 0x00F1, 0x00FC, 0x00E0,
}

// gsmExtWant is the extension table (3GPP TS 23.038 §6.2.1.1).
var gsmExtWant = map[byte]rune{
	0x0A: 0x000C, 0x14: 0x005E, 0x28: 0x007B, 0x29: 0x007D, 0x2F: 0x005C,
	0x3C: 0x005B, 0x3D: 0x007E, 0x3E: 0x005D, 0x40: 0x007C, 0x65: 0x20AC,
}

func TestGSM7BaseTable(t *testing.T) {
	for s, r := range gsmBaseWant {
		if r < 0 {
			continue
		}
		septet := []byte{byte(s)}
		str := string(r)
		t.Run(str, func(t *testing.T) {
			got, err := text.EncodeGSM7(str)
			if err != nil || !bytes.Equal(got, septet) {
				t.Errorf("EncodeGSM7(%q) = % X, %v, want % X", str, got, err, septet)
			}
			if got := text.DecodeGSM7(septet); got != str {
				t.Errorf("DecodeGSM7(% X) = %q, want %q", septet, got, str)
			}
			if n, ok := text.GSM7Len(str); n != 1 || !ok {
				t.Errorf("GSM7Len(%q) = %d, %v, want 1, true", str, n, ok)
			}
		})
	}
}

func TestGSM7ExtensionTable(t *testing.T) {
	for s, r := range gsmExtWant {
		pair := []byte{0x1B, s}
		str := string(r)
		t.Run(str, func(t *testing.T) {
			got, err := text.EncodeGSM7(str)
			if err != nil || !bytes.Equal(got, pair) {
				t.Errorf("EncodeGSM7(%q) = % X, %v, want % X", str, got, err, pair)
			}
			if got := text.DecodeGSM7(pair); got != str {
				t.Errorf("DecodeGSM7(% X) = %q, want %q", pair, got, str)
			}
			if n, ok := text.GSM7Len(str); n != 2 || !ok {
				t.Errorf("GSM7Len(%q) = %d, %v, want 2, true", str, n, ok)
			}
		})
	}
}

// TestGSM7EscapeUndefined checks that an escape before a septet the
// extension table does not define yields the base character.
func TestGSM7EscapeUndefined(t *testing.T) {
	for s := byte(0); s < 0x80; s++ {
		if _, ok := gsmExtWant[s]; ok || s == 0x1B {
			continue
		}
		in := []byte{0x1B, s}
		want := string(gsmBaseWant[s])
		if got := text.DecodeGSM7(in); got != want {
			t.Errorf("DecodeGSM7(% X) = %q, want %q", in, got, want)
		}
	}
}

func TestDecodeGSM7(t *testing.T) {
	tests := []struct {
		name string
		in   []byte
		want string
	}{
		{"empty", nil, ""},
		{"trailing lone escape", []byte{'A', 0x1B}, "A "},
		{"only escape", []byte{0x1B}, " "},
		{"escape escape", []byte{0x1B, 0x1B, 'A'}, " A"},
		{"high octet", []byte{'A', 0x80, 'B'}, "A\uFFFDB"},
		{"escape high octet", []byte{0x1B, 0xC1}, "\uFFFD"},
		{"at sign inside", []byte{'a', 0x00, 'b'}, "a@b"},
		{"cedilla", []byte{0x09}, "Ç"},
		{"mixed", []byte{0x1B, 0x65, '5', ' ', 0x1B, 0x28, 'x', 0x1B, 0x29}, "€5 {x}"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := text.DecodeGSM7(tt.in); got != tt.want {
				t.Errorf("DecodeGSM7(% X) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestEncodeGSM7Errors(t *testing.T) {
	tests := []struct {
		in     string
		rune   rune
		offset int
	}{
		{"ç", 'ç', 0},
		{"ab€cдe", 'д', 6},
		{"back`tick", '`', 4},
		{"emoji 👋", '👋', 6},
		{"bad \xff utf8", 0xFFFD, 4},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := text.EncodeGSM7(tt.in)
			var ee *text.EncodeError
			if !errors.As(err, &ee) {
				t.Fatalf("EncodeGSM7(%q) = % X, %v, want *EncodeError", tt.in, got, err)
			}
			if ee.Rune != tt.rune || ee.Offset != tt.offset || ee.Alphabet != text.GSM7 {
				t.Errorf("EncodeGSM7(%q) error = %+v, want rune %U at %d", tt.in, *ee, tt.rune, tt.offset)
			}
			if n, ok := text.GSM7Len(tt.in); ok {
				t.Errorf("GSM7Len(%q) = %d, true, want false", tt.in, n)
			}
		})
	}
}

func TestGSM7Len(t *testing.T) {
	tests := []struct {
		in   string
		want int
	}{
		{"", 0},
		{"Halo", 4},
		{"€", 2},
		{"Price: €5 {promo} @shop", 26},
		{"[]\\^~|{}\f", 18},
		{"ΔΦΓΛΩΠΨΣΘΞ", 10},
	}
	for _, tt := range tests {
		if got, ok := text.GSM7Len(tt.in); got != tt.want || !ok {
			t.Errorf("GSM7Len(%q) = %d, %v, want %d, true", tt.in, got, ok, tt.want)
		}
	}
}

func TestLossyCedilla(t *testing.T) {
	dcs, data, err := text.Encode("ça", text.Options{LossyCedilla: true})
	if err != nil || dcs != text.CodingDefault || !bytes.Equal(data, []byte{0x09, 'a'}) {
		t.Errorf("Encode(%q, lossy) = %#x, % X, %v, want 0x0, 09 61, nil", "ça", dcs, data, err)
	}
	dcs, data, err = text.Encode("ça", text.Options{})
	if err != nil || dcs != text.CodingUCS2 {
		t.Errorf("Encode(%q) = %#x, % X, %v, want UCS2", "ça", dcs, data, err)
	}
}
