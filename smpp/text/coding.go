package text

import "fmt"

// data_coding values of SMPP v3.4 §5.2.19. Values from 0x10 up follow the
// GSM 03.38 data coding scheme groups; see [AlphabetOf].
const (
	CodingDefault   = 0x00 // SMSC default alphabet (normally GSM 03.38; see Options.DefaultAlphabet)
	CodingIA5       = 0x01 // IA5 (CCITT T.50) / ASCII
	CodingBinary    = 0x02 // 8-bit binary
	CodingLatin1    = 0x03 // ISO-8859-1
	CodingBinary8   = 0x04 // 8-bit binary
	CodingJIS       = 0x05 // JIS (X 0208-1990)
	CodingCyrillic  = 0x06 // ISO-8859-5
	CodingHebrew    = 0x07 // ISO-8859-8
	CodingUCS2      = 0x08 // UCS2 (ISO/IEC-10646), sent as UTF-16BE
	CodingPictogram = 0x09 // pictogram encoding
	CodingISO2022JP = 0x0A // ISO-2022-JP (music codes)
	CodingKanji     = 0x0D // extended Kanji JIS (X 0212-1990)
	CodingKSC5601   = 0x0E // KS C 5601
	CodingGSM7USSD  = 0x0F // GSM 7-bit, language unspecified (common on USSD gateways)
	CodingFlashGSM7 = 0xF0 // GSM 7-bit, message class 0 (flash)
	CodingFlash8Bit = 0xF4 // 8-bit data, message class 0 (flash)
)

// Alphabet is the character set of a message's user data, as implied by its
// data_coding.
type Alphabet uint8

// Alphabets. The zero value, Unsupported, stands for reserved values,
// compressed text and national character sets this package does not decode.
const (
	Unsupported Alphabet = iota
	GSM7                 // GSM 03.38 default alphabet with the extension table
	Binary               // 8-bit data, not text
	UCS2                 // UCS-2 / UTF-16BE
	Latin1               // ISO-8859-1
	IA5                  // IA5 / US-ASCII
)

// String returns the alphabet's name.
func (a Alphabet) String() string {
	switch a {
	case GSM7:
		return "GSM7"
	case Binary:
		return "8-bit"
	case UCS2:
		return "UCS2"
	case Latin1:
		return "Latin-1"
	case IA5:
		return "IA5"
	case Unsupported:
		return "unsupported"
	}
	return fmt.Sprintf("Alphabet(%d)", uint8(a))
}

// AlphabetOf classifies a data_coding value with 0x00 meaning the GSM 03.38
// default alphabet. It is Options{}.AlphabetOf(dcs).
func AlphabetOf(dcs uint8) Alphabet { return Options{}.AlphabetOf(dcs) }

// AlphabetOf classifies a data_coding value from the whole byte:
//
//	0x00              o.DefaultAlphabet (GSM7 unless configured otherwise)
//	0x01              IA5
//	0x02, 0x04        Binary
//	0x03              Latin1
//	0x08              UCS2
//	0x0F              GSM7 (language unspecified, USSD)
//	0x05-0x07, 0x09-0x0E  Unsupported (national character sets)
//	0x10-0x7F         GSM 03.38 general and automatic-deletion groups: bit 5
//	                  set (compressed) is Unsupported, else bits 3-2 give
//	                  GSM7 (00), Binary (01), UCS2 (10), Unsupported (11)
//	0x80-0xBF         Unsupported (reserved groups)
//	0xC0-0xDF         GSM7 (message waiting indication, discard or store)
//	0xE0-0xEF         UCS2 (message waiting indication, store)
//	0xF0-0xFF         message class group: bit 2 set is Binary, else GSM7
func (o Options) AlphabetOf(dcs uint8) Alphabet {
	switch {
	case dcs == CodingDefault:
		return o.defaultAlphabet()
	case dcs == CodingIA5:
		return IA5
	case dcs == CodingBinary, dcs == CodingBinary8:
		return Binary
	case dcs == CodingLatin1:
		return Latin1
	case dcs == CodingUCS2:
		return UCS2
	case dcs == CodingGSM7USSD:
		return GSM7
	case dcs < 0x10:
		return Unsupported
	case dcs < 0x80:
		if dcs&0x20 != 0 { // compressed
			return Unsupported
		}
		switch dcs & 0x0C {
		case 0x00:
			return GSM7
		case 0x04:
			return Binary
		case 0x08:
			return UCS2
		}
		return Unsupported
	case dcs < 0xC0:
		return Unsupported
	case dcs < 0xE0:
		return GSM7
	case dcs < 0xF0:
		return UCS2
	case dcs&0x04 != 0:
		return Binary
	default:
		return GSM7
	}
}

// Options are the per-connection text settings. The zero value is the usual
// SMPP setup: 0x00 means GSM 03.38, text travels unpacked, Latin-1 is never
// chosen, ç is not folded to Ç, a trailing zero septet in packed data is kept.
type Options struct {
	// DefaultAlphabet is what data_coding 0x00 means on this connection:
	// GSM7, Latin1 or IA5. The zero value (Unsupported) means GSM7.
	DefaultAlphabet Alphabet

	// AllowLatin1 lets Encode and Split choose data_coding 0x03 for a text
	// the default alphabet cannot carry but Latin-1 can. Only set it if the
	// SMSC is known to support Latin-1.
	AllowLatin1 bool

	// LossyCedilla lets the GSM 7-bit encoder send ç (U+00E7) as 0x09, which
	// decodes as Ç (U+00C7) under 3GPP TS 23.038.
	LossyCedilla bool

	// Packed means GSM 7-bit user data travels packed (8 septets in 7
	// octets) instead of one septet per octet. It applies to Encode, Split
	// and Decode.
	Packed bool

	// DropZeroPad makes unpacking drop a trailing 0x00 septet that fills the
	// last octet exactly. Such a septet is either padding from a sender that
	// did not use CR or a real '@'; by default it is kept as '@'.
	DropZeroPad bool
}

// Validate reports whether the options are consistent.
func (o Options) Validate() error {
	switch o.DefaultAlphabet {
	case Unsupported, GSM7, Latin1, IA5:
		return nil
	}
	return fmt.Errorf("text: default alphabet %v: must be GSM7, Latin-1 or IA5", o.DefaultAlphabet)
}

// defaultAlphabet returns what data_coding 0x00 means; anything invalid
// falls back to GSM7.
func (o Options) defaultAlphabet() Alphabet {
	switch o.DefaultAlphabet {
	case Latin1, IA5:
		return o.DefaultAlphabet
	}
	return GSM7
}
