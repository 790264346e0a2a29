package dlr

import (
	"errors"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"

	"github.com/smsgw/smsgw/smpp/pdu"
)

// ErrNoID means a receipt text carries no id: field (or an empty one).
var ErrNoID = errors.New("dlr: receipt has no message id")

// Receipt is a parsed delivery receipt.
type Receipt struct {
	// ID is the SMSC message id: the receipted_message_id TLV when present,
	// else the id: field, as received (see NormalizeReceiptID).
	ID string
	// Sub and Dlvrd are the sub: and dlvrd: fields as received.
	Sub, Dlvrd string
	// SubmitDate and DoneDate are the submit date: and done date: fields
	// (YYMMDDhhmm or YYMMDDhhmmss) in Options.Location; zero when absent or
	// malformed.
	SubmitDate, DoneDate time.Time
	// Stat is the stat: word as received, upper-cased.
	Stat string
	// State is the message_state TLV when present, else ParseState(Stat).
	State State
	// Err is the error code: the network_error_code TLV's code in decimal
	// when present, else the err: field as received.
	Err string
	// NetworkType is the network_error_code TLV's network type (pdu.NetworkGSM
	// ...), 0 without the TLV.
	NetworkType uint8
	// Text is the text: field: everything after "text:" to the end.
	Text string
}

// ErrorCode returns Err as a number: decimal when it is all digits, hex
// when it has a 0x prefix or hex letters ("0B4", "0x1f"). ok is false when
// Err is empty or neither.
func (r Receipt) ErrorCode() (code uint64, ok bool) {
	s := strings.TrimSpace(r.Err)
	if v, ok := parseUint(s, 10); ok {
		return v, true
	}
	if len(s) > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X') {
		s = s[2:]
	}
	return parseUint(s, 16)
}

// Options configure receipt parsing. The zero value reads dates as UTC.
type Options struct {
	// Location is the time zone of the receipt dates (the SMSC's local
	// time); nil means UTC.
	Location *time.Location
}

// Parse parses a receipt text with dates in UTC; see Options.Parse.
func Parse(text string) (Receipt, error) { return Options{}.Parse(text) }

// FromDeliverSM reads a receipt from a deliver_sm with dates in UTC; see
// Options.FromDeliverSM.
func FromDeliverSM(p *pdu.DeliverSM) (Receipt, bool) { return Options{}.FromDeliverSM(p) }

// FromDataSM reads a receipt from a data_sm with dates in UTC; see
// Options.FromDataSM.
func FromDataSM(p *pdu.DataSM) (Receipt, bool) { return Options{}.FromDataSM(p) }

// Parse parses the text of a receipt (SMPP v3.4 Appendix B) by key, not by
// position: the keys id, sub, dlvrd, submit date, done date, stat and err
// are matched case-insensitively at the start of a word (submit_date and
// done_date too), each takes the next whitespace-free token, the first
// occurrence counts, and text: takes the rest of the string. Fields may be
// missing or in any order, but an id is required (ErrNoID).
func (o Options) Parse(text string) (Receipt, error) {
	r := o.parse(text)
	if r.ID == "" {
		return r, ErrNoID
	}
	return r, nil
}

// FromDeliverSM reads the receipt in a deliver_sm. ok is false when the
// esm_class message type is not a receipt (0x04 SMSC delivery receipt, 0x08
// SME acknowledgement, 0x20 intermediate notification) or no message id is
// found. The text comes from short_message, or from message_payload when
// short_message is empty; then the receipted_message_id, message_state and
// network_error_code TLVs override id:, stat: and err:.
func (o Options) FromDeliverSM(p *pdu.DeliverSM) (Receipt, bool) {
	if p == nil || !p.ESMClass.IsReceipt() {
		return Receipt{}, false
	}
	data := p.ShortMessage
	if len(data) == 0 {
		data, _ = p.TLVs.Get(pdu.TagMessagePayload)
	}
	return o.fromPDU(data, p.DataCoding, p.TLVs)
}

// FromDataSM reads the receipt in a data_sm, as FromDeliverSM does; the
// text comes from message_payload.
func (o Options) FromDataSM(p *pdu.DataSM) (Receipt, bool) {
	if p == nil || !p.ESMClass.IsReceipt() {
		return Receipt{}, false
	}
	data, _ := p.TLVs.Get(pdu.TagMessagePayload)
	return o.fromPDU(data, p.DataCoding, p.TLVs)
}

func (o Options) fromPDU(data []byte, dcs uint8, tlvs pdu.TLVs) (Receipt, bool) {
	r := o.parse(receiptText(data, dcs))
	if id, ok := tlvs.CString(pdu.TagReceiptedMessageID); ok && strings.TrimSpace(id) != "" {
		r.ID = id
	}
	if v, ok := tlvs.Uint8(pdu.TagMessageState); ok {
		r.State = StateOf(v)
	}
	if n, ok := tlvs.NetworkErrorCode(); ok {
		r.Err = strconv.Itoa(int(n.Code))
		r.NetworkType = n.Type
	}
	return r, r.ID != ""
}

// receiptText turns receipt user data into a string: UTF-16BE for
// data_coding 0x08, else one character per octet (ASCII, which GSM 7-bit
// digits and letters share, extended as Latin-1). Trailing NULs are dropped.
func receiptText(data []byte, dcs uint8) string {
	if dcs == 0x08 {
		u := make([]uint16, len(data)/2)
		for i := range u {
			u[i] = uint16(data[2*i])<<8 | uint16(data[2*i+1])
		}
		return strings.TrimRight(string(utf16.Decode(u)), "\x00")
	}
	for len(data) > 0 && data[len(data)-1] == 0 {
		data = data[:len(data)-1]
	}
	var b strings.Builder
	b.Grow(len(data))
	for _, c := range data {
		b.WriteRune(rune(c))
	}
	return b.String()
}

// field keys.
const (
	keyID = iota
	keySub
	keyDlvrd
	keySubmitDate
	keyDoneDate
	keyStat
	keyErr
	keyText
	numKeys
)

// keyWords are the keys as matched; a space in a key also matches '_'.
var keyWords = [numKeys]string{
	keyID: "id", keySub: "sub", keyDlvrd: "dlvrd", keySubmitDate: "submit date",
	keyDoneDate: "done date", keyStat: "stat", keyErr: "err", keyText: "text",
}

// parse extracts the fields without requiring an id.
func (o Options) parse(s string) Receipt {
	var (
		vals [numKeys]string
		seen [numKeys]bool
	)
	for i := 0; i < len(s); {
		if i > 0 && isWordByte(s[i-1]) {
			i++
			continue
		}
		k, n := keyAt(s[i:])
		if k < 0 {
			i++
			continue
		}
		i += n
		if k == keyText {
			if !seen[keyText] {
				vals[keyText], seen[keyText] = s[i:], true
			}
			break
		}
		v, next := valueAt(s, i)
		if !seen[k] {
			vals[k], seen[k] = v, true
		}
		i = next
	}
	loc := o.Location
	if loc == nil {
		loc = time.UTC
	}
	stat := strings.ToUpper(vals[keyStat])
	return Receipt{
		ID:         vals[keyID],
		Sub:        vals[keySub],
		Dlvrd:      vals[keyDlvrd],
		SubmitDate: parseDate(vals[keySubmitDate], loc),
		DoneDate:   parseDate(vals[keyDoneDate], loc),
		Stat:       stat,
		State:      ParseState(stat),
		Err:        vals[keyErr],
		Text:       vals[keyText],
	}
}

// keyAt returns the key that s starts with, followed by ':', and the length
// matched including the colon; -1 if none.
func keyAt(s string) (key, n int) {
	for k, w := range keyWords {
		if len(s) <= len(w) || s[len(w)] != ':' {
			continue
		}
		if matchKey(s[:len(w)], w) {
			return k, len(w) + 1
		}
	}
	return -1, 0
}

// matchKey compares a candidate with a key word ignoring ASCII case, a
// space in the word also matching '_'.
func matchKey(s, w string) bool {
	for i := 0; i < len(w); i++ {
		c := s[i]
		if w[i] == ' ' {
			if c != ' ' && c != '_' {
				return false
			}
			continue
		}
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != w[i] {
			return false
		}
	}
	return true
}

// valueAt returns the token that starts at s[i] and the index after it.
// When the colon is followed by spaces, the next token is taken unless it
// is itself a key.
func valueAt(s string, i int) (string, int) {
	j := i
	for j < len(s) && isSpace(s[j]) {
		j++
	}
	if j > i {
		if k, _ := keyAt(s[j:]); k >= 0 || j == len(s) {
			return "", j
		}
	}
	end := j
	for end < len(s) && !isSpace(s[end]) {
		end++
	}
	return s[j:end], end
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v'
}

func isWordByte(c byte) bool {
	return c == '_' || '0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
}

// parseDate reads YYMMDDhhmm or YYMMDDhhmmss (years 2000-2099) in loc; the
// zero time when s is empty or malformed.
func parseDate(s string, loc *time.Location) time.Time {
	if len(s) != 10 && len(s) != 12 {
		return time.Time{}
	}
	var f [6]int
	for i := 0; i < len(s)/2; i++ {
		v, ok := parseUint(s[2*i:2*i+2], 10)
		if !ok {
			return time.Time{}
		}
		f[i] = int(v)
	}
	t := time.Date(2000+f[0], time.Month(f[1]), f[2], f[3], f[4], f[5], 0, loc)
	if f[1] < 1 || f[1] > 12 || t.Day() != f[2] || t.Month() != time.Month(f[1]) ||
		f[3] > 23 || f[4] > 59 || f[5] > 59 {
		return time.Time{}
	}
	return t
}

// parseUint parses a non-empty string of digits in base 10 or 16 without
// sign or prefix.
func parseUint(s string, base int) (uint64, bool) {
	if s == "" || s[0] == '+' || s[0] == '-' {
		return 0, false
	}
	v, err := strconv.ParseUint(s, base, 64)
	return v, err == nil
}
