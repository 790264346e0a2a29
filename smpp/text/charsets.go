package text

import (
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// EncodeLatin1 encodes s in ISO-8859-1 (data_coding 0x03), one octet per
// character. It fails with an *EncodeError for the first character above
// U+00FF.
func EncodeLatin1(s string) ([]byte, error) {
	return appendByteCharset(make([]byte, 0, len(s)), s, Latin1, 0xFF)
}

// DecodeLatin1 decodes ISO-8859-1 octets; every octet is a character.
func DecodeLatin1(b []byte) string {
	var sb strings.Builder
	sb.Grow(len(b))
	for _, c := range b {
		sb.WriteRune(rune(c))
	}
	return sb.String()
}

// EncodeIA5 encodes s in IA5 / US-ASCII (data_coding 0x01). It fails with an
// *EncodeError for the first character above U+007F.
func EncodeIA5(s string) ([]byte, error) {
	return appendByteCharset(make([]byte, 0, len(s)), s, IA5, 0x7F)
}

// DecodeIA5 decodes IA5 / US-ASCII octets; octets above 0x7F yield U+FFFD.
func DecodeIA5(b []byte) string {
	var sb strings.Builder
	sb.Grow(len(b))
	for _, c := range b {
		if c >= utf8.RuneSelf {
			sb.WriteRune(utf8.RuneError)
			continue
		}
		sb.WriteByte(c)
	}
	return sb.String()
}

// appendByteCharset appends s in a one-octet charset whose characters are
// U+0000..maxRune.
func appendByteCharset(dst []byte, s string, a Alphabet, maxRune rune) ([]byte, error) {
	for i, r := range s {
		if r > maxRune { // invalid UTF-8 arrives as U+FFFD, above max too
			return nil, &EncodeError{Alphabet: a, Rune: r, Offset: i}
		}
		dst = append(dst, byte(r))
	}
	return dst, nil
}

// EncodeUCS2 encodes s as UTF-16BE (data_coding 0x08): characters outside the
// Basic Multilingual Plane become surrogate pairs. Invalid UTF-8 is encoded
// as U+FFFD.
func EncodeUCS2(s string) []byte {
	return appendUCS2(make([]byte, 0, 2*len(s)), s)
}

func appendUCS2(dst []byte, s string) []byte {
	for _, r := range s {
		dst = appendUCS2Rune(dst, r)
	}
	return dst
}

// appendUCS2Rune appends r as UTF-16BE; r comes from ranging over a string,
// so it is never a surrogate.
func appendUCS2Rune(dst []byte, r rune) []byte {
	if r > 0xFFFF {
		r1, r2 := utf16.EncodeRune(r)
		return append(dst, byte(r1>>8), byte(r1), byte(r2>>8), byte(r2))
	}
	return append(dst, byte(r>>8), byte(r))
}

// ucs2Units returns the number of UTF-16 code units r takes.
func ucs2Units(r rune) int {
	if r > 0xFFFF {
		return 2
	}
	return 1
}

// UCS2Len returns the number of UTF-16 code units EncodeUCS2 produces for s
// (half its octet count).
func UCS2Len(s string) int {
	n := 0
	for _, r := range s {
		n += ucs2Units(r)
	}
	return n
}

// DecodeUCS2 decodes UTF-16BE. An unpaired surrogate and an odd trailing
// octet each yield U+FFFD.
func DecodeUCS2(b []byte) string {
	var sb strings.Builder
	sb.Grow(len(b))
	n := len(b) / 2
	for i := 0; i < n; i++ {
		u := rune(b[2*i])<<8 | rune(b[2*i+1])
		if utf16.IsSurrogate(u) && u < 0xDC00 && i+1 < n {
			u2 := rune(b[2*i+2])<<8 | rune(b[2*i+3])
			if r := utf16.DecodeRune(u, u2); r != utf8.RuneError {
				sb.WriteRune(r)
				i++
				continue
			}
		}
		if utf16.IsSurrogate(u) {
			u = utf8.RuneError
		}
		sb.WriteRune(u)
	}
	if len(b)%2 != 0 {
		sb.WriteRune(utf8.RuneError)
	}
	return sb.String()
}
