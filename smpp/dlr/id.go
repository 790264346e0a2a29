package dlr

import (
	"fmt"
	"math/big"
	"strings"
)

// IDMode says how the message ids in submit_sm_resp and in receipts relate
// on a connection, like Kannel's msg-id-type. Ids often differ in form:
// hex in the response and decimal in the receipt, other letter case, or
// leading zeros.
type IDMode uint8

// ID modes.
const (
	// IDAuto (the default) folds letter case and leading zeros on both
	// sides; Match also accepts a hex id equal in value to a decimal one.
	IDAuto IDMode = iota
	// IDExact compares ids byte for byte.
	IDExact
	// IDHexToDec: submit_sm_resp ids are hex, receipt ids decimal.
	IDHexToDec
	// IDDecToHex: submit_sm_resp ids are decimal, receipt ids hex.
	IDDecToHex
)

// String returns the mode's configuration name.
func (m IDMode) String() string {
	switch m {
	case IDAuto:
		return "auto"
	case IDExact:
		return "exact"
	case IDHexToDec:
		return "hex_to_dec"
	case IDDecToHex:
		return "dec_to_hex"
	}
	return fmt.Sprintf("IDMode(%d)", uint8(m))
}

// NormalizeID returns the lookup key of a message id from a submit_sm_resp;
// NormalizeReceiptID gives the key of a receipt's id, and the keys are equal
// when the ids match under mode:
//
//   - IDExact: the id unchanged.
//   - IDAuto: surrounding spaces trimmed and letters lower-cased; an id of
//     hex digits (decimal digits included) also loses its leading zeros, so
//     "05F3A9C01" and "5f3a9c01" share the key "5f3a9c01".
//   - IDHexToDec: a hex id becomes its decimal value ("5F3A9C01" →
//     "1597676545"); NormalizeReceiptID reads the receipt id as decimal.
//   - IDDecToHex: a decimal id becomes its decimal value without leading
//     zeros; NormalizeReceiptID converts the receipt's hex id to decimal.
//
// In the numeric modes an id that is not a number in the expected base
// (a UUID, say) gets the IDAuto key.
func NormalizeID(id string, mode IDMode) string {
	switch mode {
	case IDHexToDec:
		return numericKey(id, 16)
	case IDDecToHex:
		return numericKey(id, 10)
	}
	return key(id, mode)
}

// NormalizeReceiptID returns the lookup key of a receipt's message id; see
// NormalizeID. For IDExact and IDAuto it equals NormalizeID.
func NormalizeReceiptID(id string, mode IDMode) string {
	switch mode {
	case IDHexToDec:
		return numericKey(id, 10)
	case IDDecToHex:
		return numericKey(id, 16)
	}
	return key(id, mode)
}

// ReceiptKeys returns the lookup keys under which a receipt's message id
// may have been stored with NormalizeID, most likely first. In every mode
// but IDAuto that is the single NormalizeReceiptID key. In IDAuto a submit
// id was stored under its IDAuto key while the receipt may give the same
// value in the other base, so a receipt id that reads as a number also
// yields the IDAuto key of that value written in the other base: the
// decimal "1597676545" gives "1597676545" and "5f3a9c01". Like Match,
// numeric candidates can pair ids that merely look alike; a store lookup
// of the keys in order takes the first that exists.
func ReceiptKeys(id string, mode IDMode) []string {
	if mode != IDAuto {
		return []string{NormalizeReceiptID(id, mode)}
	}
	id = strings.TrimSpace(id)
	keys := []string{key(id, IDAuto)}
	add := func(k string) {
		for _, have := range keys {
			if have == k {
				return
			}
		}
		keys = append(keys, k)
	}
	if v, ok := parseBig(id, 10); ok {
		add(v.Text(16))
	}
	if v, ok := parseBig(id, 16); ok {
		add(v.Text(10))
	}
	return keys
}

// Match reports whether a receipt's id refers to the message submit_sm_resp
// identified as submitID. In every mode but IDAuto this is equality of
// NormalizeID(submitID) and NormalizeReceiptID(receiptID). IDAuto tries, in
// order: exact equality, equality ignoring case, then numeric equality with
// leading zeros ignored, reading each id as decimal or as hex (so the hex
// "5F3A9C01" matches the decimal "1597676545"). Numeric matching across
// bases can pair ids that merely look alike ("10" and "16"); configure
// IDHexToDec or IDDecToHex when the SMSC's habit is known. An empty (or
// blank) id matches nothing.
func Match(submitID, receiptID string, mode IDMode) bool {
	s, r := strings.TrimSpace(submitID), strings.TrimSpace(receiptID)
	if s == "" || r == "" {
		return false
	}
	if mode != IDAuto {
		return NormalizeID(submitID, mode) == NormalizeReceiptID(receiptID, mode)
	}
	if submitID == receiptID || strings.EqualFold(s, r) {
		return true
	}
	for _, sb := range [...]int{10, 16} {
		sv, ok := parseBig(s, sb)
		if !ok {
			continue
		}
		for _, rb := range [...]int{10, 16} {
			if rv, ok := parseBig(r, rb); ok && sv.Cmp(rv) == 0 {
				return true
			}
		}
	}
	return false
}

// key is the IDExact or IDAuto key.
func key(id string, mode IDMode) string {
	if mode == IDExact {
		return id
	}
	k := strings.ToLower(strings.TrimSpace(id))
	if isDigits(k, 16) {
		if t := strings.TrimLeft(k, "0"); t != "" {
			return t
		}
		return "0"
	}
	return k
}

// numericKey is the decimal value of id read in base, or its IDAuto key
// when it is not a number in that base.
func numericKey(id string, base int) string {
	if v, ok := parseBig(strings.TrimSpace(id), base); ok {
		return v.String()
	}
	return key(id, IDAuto)
}

// parseBig reads a non-empty string of digits in base 10 or 16 (no sign,
// prefix or separators), of any length.
func parseBig(s string, base int) (*big.Int, bool) {
	if !isDigits(s, base) {
		return nil, false
	}
	return new(big.Int).SetString(s, base)
}

// isDigits reports whether s is non-empty and all digits of base 10 or 16.
func isDigits(s string, base int) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case '0' <= c && c <= '9':
		case base == 16 && ('a' <= c && c <= 'f' || 'A' <= c && c <= 'F'):
		default:
			return false
		}
	}
	return true
}
