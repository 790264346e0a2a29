package smsgw

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/smsgw/smsgw/domain"
	"github.com/smsgw/smsgw/keywords"
)

// RequestKind says what an MO asks for.
type RequestKind string

// Request kinds.
const (
	RequestPay            RequestKind = "pay"            // IM2PAY <account> <amount>
	RequestBalance        RequestKind = "balance"        // SALDO
	RequestHistory        RequestKind = "history"        // RIWAYAT
	RequestPINReply       RequestKind = "pin_reply"      // text sent to the PIN short code, the answer to a prompt
	RequestChangePIN      RequestKind = "change_pin"     // PIN <old> <new>, well formed or not
	RequestCancel         RequestKind = "cancel"         // BATAL
	RequestHelp           RequestKind = "help"           // BANTUAN
	RequestPINMisdirected RequestKind = "pin_wrong_code" // a bare PIN sent to the request short code
	RequestInvalid        RequestKind = "invalid"        // text that is no command; Error says why
)

// Request is what an MO asks for, decided once, when the MO is stored
// (Rules.Classify), and stored with it: processing reads the Request and
// never parses the text again. A Request holds no PIN; the PIN verifiers
// of a PIN reply or change are the MO's secret.
type Request struct {
	Kind    RequestKind   `json:"kind"`
	Account domain.MSISDN `json:"account,omitempty"` // RequestPay: the account to top up, canonical
	Amount  domain.Amount `json:"amount,omitempty"`  // RequestPay; RequestInvalid: the amount refused (amount_not_allowed)
	// Error is the reason of a RequestInvalid, as keywords names it
	// (ErrorName): "unknown_keyword", "bad_amount", ...
	Error string `json:"error,omitempty"`
}

// Encode returns r as stored with its MO.
func (r Request) Encode() string {
	b, err := json.Marshal(r)
	if err != nil { // a struct of strings and an integer always marshals
		panic(err)
	}
	return string(b)
}

// DecodeRequest parses a Request stored by Encode.
func DecodeRequest(s string) (Request, error) {
	var r Request
	if err := json.Unmarshal([]byte(s), &r); err != nil {
		return Request{}, fmt.Errorf("decode request: %w", err)
	}
	if r.Kind == "" {
		return Request{}, errors.New("decode request: no kind")
	}
	return r, nil
}

// Invalid-request reasons, stored in Request.Error.
const (
	InvalidEmpty            = "empty"
	InvalidUnknownKeyword   = "unknown_keyword"
	InvalidBadAmount        = "bad_amount"
	InvalidAmountNotAllowed = "amount_not_allowed"
	InvalidFormat           = "bad_format" // missing or extra arguments, a bad account
)

// Intake is an MO text classified once, at ingest: the request it makes,
// the keyword the SMS log records, the text as the SMS log keeps it (no PIN
// left in it) and the PINs it carries, which only become verifiers (see
// Gateway.storeMO) and are never stored.
type Intake struct {
	Request Request
	Keyword string
	Text    string
	PIN     domain.PIN // RequestPINReply with a well-formed PIN; RequestChangePIN: the old PIN
	NewPIN  domain.PIN // RequestChangePIN, well formed
}

// Classify parses an MO text sent to short code code, once. A text to the
// PIN short code is a PIN reply unless it is a cancel; any other code is
// read as the request code (processing refuses a wrong short code).
//
// The text is redacted so that no PIN is left in it: a reply to the PIN
// short code becomes "****" (a cancel keeps its words); a PIN change "PIN
// **** ****"; a PIN sent to the request code "****"; a well-formed top-up
// request stays as it is; in any other text (an unknown keyword, a request
// with a stray PIN appended, "SALDO 123456") every run of digits as long as
// a PIN is starred out.
func (r *Rules) Classify(code, text string) Intake {
	minLen, maxLen := r.pinBounds()
	cmd, err := r.Keywords.Parse(text)
	if code == r.PINCode {
		if _, ok := cmd.(keywords.Cancel); ok && err == nil {
			return Intake{Request: Request{Kind: RequestCancel}, Keyword: keywords.KeywordCancel, Text: maskDigitRuns(text, minLen, maxLen)}
		}
		in := Intake{Request: Request{Kind: RequestPINReply}, Keyword: KeywordPINReply, Text: redactedPIN}
		if pin, err := keywords.ParsePIN(text, r.PINMinLen, r.PINMaxLen); err == nil {
			in.PIN = pin
		}
		return in
	}
	if err != nil {
		return r.invalid(text, err, minLen, maxLen)
	}
	in := Intake{Keyword: cmd.Keyword(), Text: maskDigitRuns(text, minLen, maxLen)}
	switch c := cmd.(type) {
	case keywords.Pay:
		in.Request = Request{Kind: RequestPay, Account: domain.MSISDN(c.Account), Amount: c.Amount}
		in.Text = text
	case keywords.Balance:
		in.Request.Kind = RequestBalance
	case keywords.History:
		in.Request.Kind = RequestHistory
	case keywords.Cancel:
		in.Request.Kind = RequestCancel
	case keywords.Help:
		in.Request.Kind = RequestHelp
	case keywords.PINReply:
		// A PIN sent to the request short code: never kept, never used.
		in.Request.Kind, in.Keyword, in.Text = RequestPINMisdirected, KeywordPINMisdirected, redactedPIN
	case keywords.ChangePIN:
		in.Request.Kind = RequestChangePIN
		in.Text = c.Keyword() + " " + redactedPIN + " " + redactedPIN
		in.PIN, in.NewPIN = c.Old, c.New
	default:
		in.Request.Kind = RequestHelp
	}
	return in
}

// invalid classifies a text the keyword table refused.
func (r *Rules) invalid(text string, err error, minLen, maxLen int) Intake {
	in := Intake{Request: Request{Kind: RequestInvalid, Error: InvalidFormat}, Text: maskDigitRuns(text, minLen, maxLen)}
	var ke *keywords.Error
	if !errors.As(err, &ke) {
		return in
	}
	if strings.EqualFold(ke.Keyword, keywords.KeywordPIN) {
		// A malformed PIN change: answered as a failed change, and its
		// digits hidden like a change's.
		in.Request = Request{Kind: RequestChangePIN}
		in.Keyword, in.Text = keywords.KeywordPIN, keywords.KeywordPIN+" "+redactedPIN
		return in
	}
	in.Keyword = strings.ToUpper(ke.Keyword)
	switch ke.Kind {
	case keywords.Empty:
		in.Request.Error = InvalidEmpty
	case keywords.UnknownKeyword:
		in.Request.Error = InvalidUnknownKeyword
	case keywords.BadAmount:
		in.Request.Error = InvalidBadAmount
	case keywords.AmountNotAllowed:
		in.Request.Error, in.Request.Amount = InvalidAmountNotAllowed, ke.Amount
	}
	return in
}

// pinBounds returns the PIN length bounds with their defaults.
func (r *Rules) pinBounds() (minLen, maxLen int) {
	minLen, maxLen = r.PINMinLen, r.PINMaxLen
	if minLen <= 0 {
		minLen = keywords.DefaultPINLength
	}
	if maxLen < minLen {
		maxLen = minLen
	}
	return minLen, maxLen
}

// Redact returns an MO text as the SMS log keeps it and every view shows
// it: Classify(code, text).Text.
func (r *Rules) Redact(code, text string) string { return r.Classify(code, text).Text }

// maskDigitRuns stars out every maximal run of decimal digits whose length
// in digits is within [minLen, maxLen]. A digit is any Unicode decimal
// digit (category Nd: ASCII, Arabic-Indic ٠-٩, Extended Arabic-Indic,
// full-width ０-９, Devanagari, ...), and a run may mix scripts: a PIN typed
// on a phone with another keyboard is still a PIN. Each digit of a masked
// run becomes one '*'.
func maskDigitRuns(s string, minLen, maxLen int) string {
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		c, w := utf8.DecodeRuneInString(s[i:])
		if !unicode.IsDigit(c) {
			b.WriteString(s[i : i+w]) // bytes as they were, even invalid UTF-8
			i += w
			continue
		}
		j, n := i, 0 // the run is s[i:j], n digits long
		for j < len(s) {
			c, w := utf8.DecodeRuneInString(s[j:])
			if !unicode.IsDigit(c) {
				break
			}
			j += w
			n++
		}
		if n >= minLen && n <= maxLen {
			b.WriteString(strings.Repeat("*", n))
		} else {
			b.WriteString(s[i:j])
		}
		i = j
	}
	return b.String()
}
