package text

import (
	"strings"
	"unicode/utf8"
)

// escape is the GSM 03.38 escape septet that selects the extension table.
const escape = 0x1B

// gsmBase maps a septet of the GSM 03.38 default alphabet to its character
// (3GPP TS 23.038 §6.2.1). The entry for 0x1B (escape) is never used as a
// character.
var gsmBase = [128]rune{
	'@', '£', '$', '¥', 'è', 'é', 'ù', 'ì', 'ò', 'Ç', '\n', 'Ø', 'ø', '\r', 'Å', 'å',
	'Δ', '_', 'Φ', 'Γ', 'Λ', 'Ω', 'Π', 'Ψ', 'Σ', 'Θ', 'Ξ', 0x1B, 'Æ', 'æ', 'ß', 'É',
	' ', '!', '"', '#', '¤', '%', '&', '\'', '(', ')', '*', '+', ',', '-', '.', '/',
	'0', '1', '2', '3', '4', '5', '6', '7', '8', '9', ':', ';', '<', '=', '>', '?',
	'¡', 'A', 'B', 'C', 'D', 'E', 'F', 'G', 'H', 'I', 'J', 'K', 'L', 'M', 'N', 'O',
	'P', 'Q', 'R', 'S', 'T', 'U', 'V', 'W', 'X', 'Y', 'Z', 'Ä', 'Ö', 'Ñ', 'Ü', '§',
	'¿', 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o',
	'p', 'q', 'r', 's', 't', 'u', 'v', 'w', 'x', 'y', 'z', 'ä', 'ö', 'ñ', 'ü', 'à',
}

// gsmExt maps the septet that follows an escape to its character
// (3GPP TS 23.038 §6.2.1.1); zero means undefined.
var gsmExt = [128]rune{
	0x0A: '\f',
	0x14: '^',
	0x28: '{',
	0x29: '}',
	0x2F: '\\',
	0x3C: '[',
	0x3D: '~',
	0x3E: ']',
	0x40: '|',
	0x65: '€',
}

// gsmCode is the encoding of one character: the septet, and whether it is
// preceded by an escape.
type gsmCode struct {
	septet uint8
	ext    bool
}

var (
	// gsmASCII maps ASCII characters to septets; -1 means not encodable.
	gsmASCII [128]int16
	// gsmOther maps the non-ASCII characters of both tables.
	gsmOther = map[rune]gsmCode{}
)

func init() {
	for i := range gsmASCII {
		gsmASCII[i] = -1
	}
	add := func(r rune, c gsmCode) {
		if r < utf8.RuneSelf {
			v := int16(c.septet)
			if c.ext {
				v |= 0x100
			}
			gsmASCII[r] = v
			return
		}
		gsmOther[r] = c
	}
	for s, r := range gsmBase {
		if s != escape {
			add(r, gsmCode{septet: uint8(s)})
		}
	}
	for s, r := range gsmExt {
		if r != 0 {
			add(r, gsmCode{septet: uint8(s), ext: true})
		}
	}
}

// gsmLookup returns the encoding of r in the GSM 03.38 tables. With lossy
// set, ç is encoded as Ç.
func gsmLookup(r rune, lossy bool) (gsmCode, bool) {
	if r >= 0 && r < utf8.RuneSelf {
		v := gsmASCII[r]
		if v < 0 {
			return gsmCode{}, false
		}
		return gsmCode{septet: uint8(v), ext: v&0x100 != 0}, true
	}
	if lossy && r == 'ç' {
		r = 'Ç'
	}
	c, ok := gsmOther[r]
	return c, ok
}

// septets returns the number of septets the encoding takes.
func (c gsmCode) septets() int {
	if c.ext {
		return 2
	}
	return 1
}

// appendTo appends the encoding to dst.
func (c gsmCode) appendTo(dst []byte) []byte {
	if c.ext {
		dst = append(dst, escape)
	}
	return append(dst, c.septet)
}

// EncodeGSM7 encodes s in the GSM 03.38 default alphabet, one septet per
// octet (unpacked); extension characters take two septets (0x1B, septet). It
// fails with an *EncodeError naming the first character neither table holds;
// ç is not accepted (see Options.LossyCedilla).
func EncodeGSM7(s string) ([]byte, error) {
	return appendGSM7(make([]byte, 0, len(s)), s, false)
}

// appendGSM7 appends the unpacked septets of s to dst.
func appendGSM7(dst []byte, s string, lossy bool) ([]byte, error) {
	for i, r := range s {
		c, ok := gsmLookup(r, lossy)
		if !ok {
			return nil, &EncodeError{Alphabet: GSM7, Rune: r, Offset: i}
		}
		dst = c.appendTo(dst)
	}
	return dst, nil
}

// GSM7Len returns the number of septets EncodeGSM7 would produce for s, and
// false if s holds a character it cannot encode.
func GSM7Len(s string) (septets int, ok bool) {
	return gsm7Len(s, false)
}

func gsm7Len(s string, lossy bool) (int, bool) {
	n := 0
	for _, r := range s {
		c, ok := gsmLookup(r, lossy)
		if !ok {
			return 0, false
		}
		n += c.septets()
	}
	return n, true
}

// DecodeGSM7 decodes unpacked GSM 03.38 septets. An escape followed by a
// septet the extension table does not define yields that septet's
// default-alphabet character; two escapes in a row and a trailing lone
// escape yield a space (3GPP TS 23.038 §6.2.1.1). Octets above 0x7F are not
// septets and yield U+FFFD.
func DecodeGSM7(septets []byte) string {
	var b strings.Builder
	b.Grow(len(septets))
	for i := 0; i < len(septets); i++ {
		s := septets[i]
		switch {
		case s >= 0x80:
			b.WriteRune(utf8.RuneError)
		case s != escape:
			b.WriteRune(gsmBase[s])
		case i+1 == len(septets):
			b.WriteByte(' ')
		default:
			i++
			n := septets[i]
			switch {
			case n >= 0x80:
				b.WriteRune(utf8.RuneError)
			case n == escape:
				b.WriteByte(' ')
			case gsmExt[n] != 0:
				b.WriteRune(gsmExt[n])
			default:
				b.WriteRune(gsmBase[n])
			}
		}
	}
	return b.String()
}
