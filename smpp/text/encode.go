package text

import (
	"errors"
	"fmt"
)

// Errors returned by Decode.
var (
	// ErrBinary means the data_coding marks 8-bit binary data, which has no
	// text form. Callers that must show it can hex-encode it themselves.
	ErrBinary = errors.New("text: 8-bit binary data is not text")
	// ErrUnsupported means the data_coding is reserved, compressed, or a
	// national character set this package does not decode.
	ErrUnsupported = errors.New("text: unsupported data_coding")
)

// EncodeError reports a character that an alphabet cannot represent.
type EncodeError struct {
	Alphabet Alphabet
	Rune     rune // U+FFFD for invalid UTF-8
	Offset   int  // byte offset of the character in the string
}

// Error implements error.
func (e *EncodeError) Error() string {
	return fmt.Sprintf("text: %U at byte %d is not in the %v alphabet", e.Rune, e.Offset, e.Alphabet)
}

// Encode encodes s with the smallest encoding that carries it on a
// connection with options o, and returns the data_coding and the user data:
//
//  1. the alphabet data_coding 0x00 means on the connection (GSM7 unless
//     o.DefaultAlphabet says otherwise), if every character encodes in it;
//     GSM 7-bit data is packed when o.Packed;
//  2. else Latin-1 (0x03), if o.AllowLatin1 and every character is in it;
//  3. else UCS2 (0x08, UTF-16BE), which carries any text.
//
// Encode does not limit the length; see Split. It fails only for invalid
// options.
func Encode(s string, o Options) (dcs uint8, data []byte, err error) {
	if err := o.Validate(); err != nil {
		return 0, nil, err
	}
	a, dcs := o.choose(s)
	data, err = o.encodeIn(nil, s, a)
	if err != nil {
		// choose checked every character; this is a bug.
		return 0, nil, fmt.Errorf("encode as %v: %w", a, err)
	}
	if a == GSM7 && o.Packed {
		data = Pack7(data, 0)
	}
	return dcs, data, nil
}

// choose picks the alphabet and data_coding for s (see Encode).
func (o Options) choose(s string) (Alphabet, uint8) {
	def := o.defaultAlphabet()
	if o.fits(s, def) {
		return def, CodingDefault
	}
	if o.AllowLatin1 && def != Latin1 && o.fits(s, Latin1) {
		return Latin1, CodingLatin1
	}
	return UCS2, CodingUCS2
}

// fits reports whether every character of s encodes in a.
func (o Options) fits(s string, a Alphabet) bool {
	for _, r := range s {
		if _, ok := o.units(r, a); !ok {
			return false
		}
	}
	return true
}

// units returns the size of r in a: septets for GSM7, UTF-16 code units
// for UCS2, octets otherwise.
func (o Options) units(r rune, a Alphabet) (int, bool) {
	switch a {
	case GSM7:
		c, ok := gsmLookup(r, o.LossyCedilla)
		return c.septets(), ok
	case UCS2:
		return ucs2Units(r), true
	case Latin1:
		return 1, r <= 0xFF
	case IA5:
		return 1, r <= 0x7F
	}
	return 0, false
}

// encodeIn appends s encoded in a to dst; GSM 7-bit stays unpacked.
func (o Options) encodeIn(dst []byte, s string, a Alphabet) ([]byte, error) {
	switch a {
	case GSM7:
		return appendGSM7(dst, s, o.LossyCedilla)
	case UCS2:
		return appendUCS2(dst, s), nil
	case Latin1:
		return appendByteCharset(dst, s, Latin1, 0xFF)
	case IA5:
		return appendByteCharset(dst, s, IA5, 0x7F)
	}
	return nil, fmt.Errorf("encode as %v: %w", a, ErrUnsupported)
}

// Decode decodes user data (without a UDH) sent with data_coding dcs on a
// connection with options o. GSM 7-bit data is unpacked first when o.Packed
// (Unpack7, or Unpack7DropZero when o.DropZeroPad). Malformed data never
// fails: undecodable units become U+FFFD. It fails with ErrBinary for 8-bit
// data and ErrUnsupported for data_coding values it cannot decode.
func Decode(dcs uint8, data []byte, o Options) (string, error) {
	switch a := o.AlphabetOf(dcs); a {
	case GSM7:
		if o.Packed {
			data = unpack7(data, 0, o.DropZeroPad)
		}
		return DecodeGSM7(data), nil
	case UCS2:
		return DecodeUCS2(data), nil
	case Latin1:
		return DecodeLatin1(data), nil
	case IA5:
		return DecodeIA5(data), nil
	case Binary:
		return "", fmt.Errorf("decode data_coding 0x%02X: %w", dcs, ErrBinary)
	default:
		return "", fmt.Errorf("decode data_coding 0x%02X: %w", dcs, ErrUnsupported)
	}
}
