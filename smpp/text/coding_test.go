package text_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/smsgw/smsgw/smpp/text"
)

func TestAlphabetOf(t *testing.T) {
	tests := []struct {
		dcs  uint8
		want text.Alphabet
	}{
		{0x00, text.GSM7},
		{0x01, text.IA5},
		{0x02, text.Binary},
		{0x03, text.Latin1},
		{0x04, text.Binary},
		{0x05, text.Unsupported},
		{0x06, text.Unsupported},
		{0x07, text.Unsupported},
		{0x08, text.UCS2},
		{0x09, text.Unsupported},
		{0x0A, text.Unsupported},
		{0x0B, text.Unsupported},
		{0x0C, text.Unsupported},
		{0x0D, text.Unsupported},
		{0x0E, text.Unsupported},
		{0x0F, text.GSM7},
		// General data coding group, class bits set.
		{0x10, text.GSM7},
		{0x11, text.GSM7},
		{0x14, text.Binary},
		{0x15, text.Binary},
		{0x18, text.UCS2},
		{0x19, text.UCS2},
		{0x1C, text.Unsupported},
		// Compressed.
		{0x20, text.Unsupported},
		{0x38, text.Unsupported},
		// Automatic deletion group.
		{0x40, text.GSM7},
		{0x44, text.Binary},
		{0x48, text.UCS2},
		{0x4C, text.Unsupported},
		{0x60, text.Unsupported},
		// Reserved.
		{0x80, text.Unsupported},
		{0xBF, text.Unsupported},
		// Message waiting indication.
		{0xC0, text.GSM7},
		{0xCB, text.GSM7},
		{0xD0, text.GSM7},
		{0xD8, text.GSM7},
		{0xDF, text.GSM7},
		{0xE0, text.UCS2},
		{0xE8, text.UCS2},
		{0xEF, text.UCS2},
		// Message class group: never read as dcs & 0x0F.
		{0xF0, text.GSM7},
		{0xF1, text.GSM7},
		{0xF2, text.GSM7},
		{0xF3, text.GSM7},
		{0xF4, text.Binary},
		{0xF5, text.Binary},
		{0xF7, text.Binary},
		{0xF8, text.GSM7},
		{0xFB, text.GSM7},
		{0xFC, text.Binary},
		{0xFF, text.Binary},
	}
	for _, tt := range tests {
		if got := text.AlphabetOf(tt.dcs); got != tt.want {
			t.Errorf("AlphabetOf(%#02x) = %v, want %v", tt.dcs, got, tt.want)
		}
	}
}

func TestDefaultAlphabetOption(t *testing.T) {
	tests := []struct {
		def  text.Alphabet
		want text.Alphabet
	}{
		{text.Unsupported, text.GSM7},
		{text.GSM7, text.GSM7},
		{text.Latin1, text.Latin1},
		{text.IA5, text.IA5},
	}
	for _, tt := range tests {
		o := text.Options{DefaultAlphabet: tt.def}
		if got := o.AlphabetOf(0); got != tt.want {
			t.Errorf("Options{DefaultAlphabet: %v}.AlphabetOf(0) = %v, want %v", tt.def, got, tt.want)
		}
		if err := o.Validate(); err != nil {
			t.Errorf("Options{DefaultAlphabet: %v}.Validate() = %v, want nil", tt.def, err)
		}
		if got := o.AlphabetOf(0xF0); got != text.GSM7 {
			t.Errorf("Options{DefaultAlphabet: %v}.AlphabetOf(0xF0) = %v, want GSM7", tt.def, got)
		}
	}
	for _, bad := range []text.Alphabet{text.UCS2, text.Binary, 42} {
		o := text.Options{DefaultAlphabet: bad}
		if err := o.Validate(); err == nil {
			t.Errorf("Options{DefaultAlphabet: %v}.Validate() = nil, want error", bad)
		}
		if _, _, err := text.Encode("x", o); err == nil {
			t.Errorf("Encode with DefaultAlphabet %v: error nil, want error", bad)
		}
	}
}

func TestAlphabetString(t *testing.T) {
	for a, want := range map[text.Alphabet]string{
		text.Unsupported: "unsupported", text.GSM7: "GSM7", text.Binary: "8-bit",
		text.UCS2: "UCS2", text.Latin1: "Latin-1", text.IA5: "IA5", 9: "Alphabet(9)",
	} {
		if got := a.String(); got != want {
			t.Errorf("Alphabet(%d).String() = %q, want %q", uint8(a), got, want)
		}
	}
}

func TestEncode(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		opts    text.Options
		wantDCS uint8
		wantHex string
	}{
		{"ascii", "Halo", text.Options{}, 0x00, "48616C6F"},
		{"empty", "", text.Options{}, 0x00, ""},
		{"gsm escapes", "€{}", text.Options{}, 0x00, "1B651B281B29"},
		{"gsm accent", "é", text.Options{}, 0x00, "05"},
		{"not gsm", "ê", text.Options{}, 0x08, "00EA"},
		{"latin1 allowed", "ê", text.Options{AllowLatin1: true}, 0x03, "EA"},
		{"latin1 allowed but gsm fits", "é", text.Options{AllowLatin1: true}, 0x00, "05"},
		{"latin1 allowed but not enough", "ê€", text.Options{AllowLatin1: true}, 0x08, "00EA20AC"},
		{"cyrillic", "дa", text.Options{}, 0x08, "04340061"},
		{"packed", "1234567", text.Options{Packed: true}, 0x00, "31D98C56B3DD1A"},
		{"packed ucs2 unaffected", "д", text.Options{Packed: true}, 0x08, "0434"},
		{"default latin1", "ê", text.Options{DefaultAlphabet: text.Latin1}, 0x00, "EA"},
		{"default latin1 euro", "€", text.Options{DefaultAlphabet: text.Latin1}, 0x08, "20AC"},
		{"default latin1 packed ignored", "ab", text.Options{DefaultAlphabet: text.Latin1, Packed: true}, 0x00, "6162"},
		{"default ia5", "a@", text.Options{DefaultAlphabet: text.IA5}, 0x00, "6140"},
		{"default ia5 latin1", "é", text.Options{DefaultAlphabet: text.IA5, AllowLatin1: true}, 0x03, "E9"},
		{"default ia5 no latin1", "é", text.Options{DefaultAlphabet: text.IA5}, 0x08, "00E9"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := mustHex(t, tt.wantHex)
			dcs, data, err := text.Encode(tt.in, tt.opts)
			if err != nil || dcs != tt.wantDCS || !bytes.Equal(data, want) {
				t.Errorf("Encode(%q, %+v) = %#x, %X, %v, want %#x, %X", tt.in, tt.opts, dcs, data, err, tt.wantDCS, want)
			}
			got, err := text.Decode(dcs, data, tt.opts)
			if err != nil || got != tt.in {
				t.Errorf("Decode(%#x, %X, %+v) = %q, %v, want %q", dcs, data, tt.opts, got, err, tt.in)
			}
		})
	}
}

func TestDecode(t *testing.T) {
	tests := []struct {
		name    string
		dcs     uint8
		hex     string
		opts    text.Options
		want    string
		wantErr error
	}{
		{"gsm7", 0x00, "48616C6F", text.Options{}, "Halo", nil},
		{"gsm7 flash", 0xF0, "48616C6F", text.Options{}, "Halo", nil},
		{"gsm7 class 1 packed", 0xF1, "C8329BFD06", text.Options{Packed: true}, "Hello", nil},
		{"gsm7 mwi", 0xC8, "4869", text.Options{}, "Hi", nil},
		{"ussd", 0x0F, "2A31323323", text.Options{}, "*123#", nil},
		{"ucs2 mwi", 0xE0, "0434", text.Options{}, "д", nil},
		{"ucs2 general group", 0x18, "0434", text.Options{}, "д", nil},
		{"latin1", 0x03, "EA", text.Options{}, "ê", nil},
		{"ia5", 0x01, "6140", text.Options{}, "a@", nil},
		{"default latin1", 0x00, "EA", text.Options{DefaultAlphabet: text.Latin1}, "ê", nil},
		{"binary", 0x04, "0102", text.Options{}, "", text.ErrBinary},
		{"binary 0x02", 0x02, "0102", text.Options{}, "", text.ErrBinary},
		{"binary class", 0xF5, "0102", text.Options{}, "", text.ErrBinary},
		{"jis", 0x05, "0102", text.Options{}, "", text.ErrUnsupported},
		{"compressed", 0x20, "0102", text.Options{}, "", text.ErrUnsupported},
		{"reserved", 0x90, "0102", text.Options{}, "", text.ErrUnsupported},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := mustHex(t, tt.hex)
			got, err := text.Decode(tt.dcs, data, tt.opts)
			if got != tt.want || !errors.Is(err, tt.wantErr) {
				t.Errorf("Decode(%#x, %X, %+v) = %q, %v, want %q, %v", tt.dcs, data, tt.opts, got, err, tt.want, tt.wantErr)
			}
		})
	}
}
