package keywords

import (
	"errors"
	"strings"
)

// Errors of ParseDial.
var (
	ErrDialSyntax = errors.New("not a USSD dial string: want *CODE# or *CODE*ARG*...#")
	ErrDialLength = errors.New("USSD dial string too long")
)

// MaxDialLen bounds a dial string (GSM 02.90 allows 182 characters).
const MaxDialLen = 182

// Dial is a parsed USSD dial string: "*9779*08110000002*50000#" is service
// code "9779" with arguments "08110000002" and "50000".
type Dial struct {
	Code string
	Args []string
}

// ParseDial parses a USSD dial string: a '*', the service code (digits),
// then optional arguments each after a '*', and a final '#'. Arguments are
// digits; an empty argument (two '*' in a row) is an error. White space
// around the string is ignored. A string without the leading '*' or the
// final '#' is accepted when it is only digits and '*' (some aggregators
// strip them), so "9779" and "9779*1" parse too.
func ParseDial(s string) (Dial, error) {
	s = strings.TrimPrefix(strings.TrimSpace(s), "*")
	s = strings.TrimSuffix(s, "#")
	if len(s)+2 > MaxDialLen { // its canonical form, "*" s "#", must fit
		return Dial{}, ErrDialLength
	}
	fields := strings.Split(s, "*")
	for _, f := range fields {
		if f == "" || !allDigits(f) {
			return Dial{}, ErrDialSyntax
		}
	}
	d := Dial{Code: fields[0]}
	if len(fields) > 1 {
		d.Args = fields[1:]
	}
	return d, nil
}

// String returns the dial string of d, e.g. "*9779*1#".
func (d Dial) String() string {
	return "*" + strings.Join(append([]string{d.Code}, d.Args...), "*") + "#"
}

// SplitUSSDInputs splits what a subscriber typed on the screens of one USSD
// session, in the aggregator convention (each screen's input joined by
// '*', "" before the first input): "1*08110000002*2" is three inputs.
// Inputs are trimmed; an empty input (the subscriber sent an empty screen)
// is kept as "". More than max inputs is an error (nobody types that
// many screens; the chain is replayed on every screen).
func SplitUSSDInputs(text string, max int) ([]string, error) {
	if len(text) > 4*MaxDialLen {
		return nil, ErrDialLength
	}
	if strings.TrimSpace(text) == "" {
		return nil, nil
	}
	in := strings.Split(text, "*")
	if len(in) > max {
		return nil, ErrDialLength
	}
	for i := range in {
		in[i] = strings.TrimSpace(in[i])
	}
	return in, nil
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
