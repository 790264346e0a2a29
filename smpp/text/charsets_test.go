package text_test

import (
	"bytes"
	"errors"
	"testing"
	"unicode/utf8"

	"github.com/smsgw/smsgw/smpp/text"
)

func TestLatin1AllOctets(t *testing.T) {
	all := make([]byte, 256)
	for i := range all {
		all[i] = byte(i)
	}
	s := text.DecodeLatin1(all)
	if n := utf8.RuneCountInString(s); n != 256 {
		t.Fatalf("DecodeLatin1(0..255) has %d runes, want 256", n)
	}
	for i, r := range []rune(s) {
		if r != rune(i) {
			t.Errorf("DecodeLatin1(%#x) = %U, want %U", i, r, rune(i))
		}
	}
	got, err := text.EncodeLatin1(s)
	if err != nil || !bytes.Equal(got, all) {
		t.Errorf("EncodeLatin1(DecodeLatin1(0..255)) = %X, %v, want 00..FF", got, err)
	}
}

func TestIA5(t *testing.T) {
	all := make([]byte, 128)
	for i := range all {
		all[i] = byte(i)
	}
	s := text.DecodeIA5(all)
	got, err := text.EncodeIA5(s)
	if err != nil || !bytes.Equal(got, all) {
		t.Errorf("EncodeIA5(DecodeIA5(0..127)) = %X, %v, want 00..7F", got, err)
	}
	if got := text.DecodeIA5([]byte{'a', 0xE9, 'b'}); got != "a\uFFFDb" {
		t.Errorf("DecodeIA5(61 E9 62) = %q, want %q", got, "a\uFFFDb")
	}
}

func TestByteCharsetErrors(t *testing.T) {
	tests := []struct {
		name   string
		encode func(string) ([]byte, error)
		a      text.Alphabet
		in     string
		rune   rune
		offset int
	}{
		{"latin1 euro", text.EncodeLatin1, text.Latin1, "5 €", '€', 2},
		{"latin1 A macron", text.EncodeLatin1, text.Latin1, "Ā", 'Ā', 0},
		{"latin1 invalid utf8", text.EncodeLatin1, text.Latin1, "a\xe9", utf8.RuneError, 1},
		{"ia5 e acute", text.EncodeIA5, text.IA5, "café", 'é', 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.encode(tt.in)
			var ee *text.EncodeError
			if !errors.As(err, &ee) {
				t.Fatalf("encode(%q) = %X, %v, want *EncodeError", tt.in, got, err)
			}
			want := text.EncodeError{Alphabet: tt.a, Rune: tt.rune, Offset: tt.offset}
			if *ee != want {
				t.Errorf("encode(%q) error = %+v, want %+v", tt.in, *ee, want)
			}
		})
	}
}

func TestUCS2(t *testing.T) {
	tests := []struct {
		name string
		text string
		hex  string
	}{
		{"empty", "", ""},
		{"ascii", "Hi", "00480069"},
		{"cyrillic and emoji", "Привет 👋", "041F044004380432043504420020D83DDC4B"},
		{"max BMP", "\uFFFF", "FFFF"},
		{"max rune", "\U0010FFFF", "DBFFDFFF"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := mustHex(t, tt.hex)
			if got := text.EncodeUCS2(tt.text); !bytes.Equal(got, want) {
				t.Errorf("EncodeUCS2(%q) = %X, want %X", tt.text, got, want)
			}
			if got := text.DecodeUCS2(want); got != tt.text {
				t.Errorf("DecodeUCS2(%X) = %q, want %q", want, got, tt.text)
			}
			if got, want := text.UCS2Len(tt.text), len(want)/2; got != want {
				t.Errorf("UCS2Len(%q) = %d, want %d", tt.text, got, want)
			}
		})
	}
}

func TestDecodeUCS2Malformed(t *testing.T) {
	tests := []struct {
		name string
		hex  string
		want string
	}{
		{"odd trailing octet", "004100", "A\uFFFD"},
		{"single octet", "41", "\uFFFD"},
		{"high surrogate then letter", "D83D0041", "\uFFFDA"},
		{"high surrogate at end", "0041D83D", "A\uFFFD"},
		{"lone low surrogate", "DC4B0041", "\uFFFDA"},
		{"two high surrogates then low", "D83DD83DDC4B", "\uFFFD👋"},
		{"reversed pair", "DC4BD83D", "\uFFFD\uFFFD"},
		{"high surrogate and odd octet", "D83DDC", "\uFFFD\uFFFD"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := mustHex(t, tt.hex)
			if got := text.DecodeUCS2(in); got != tt.want {
				t.Errorf("DecodeUCS2(%X) = %q, want %q", in, got, tt.want)
			}
		})
	}
}

func TestEncodeUCS2InvalidUTF8(t *testing.T) {
	got := text.EncodeUCS2("a\xffb")
	if want := mustHex(t, "0061FFFD0062"); !bytes.Equal(got, want) {
		t.Errorf("EncodeUCS2(%q) = %X, want %X", "a\xffb", got, want)
	}
}
