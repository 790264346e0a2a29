package smsgw_test

import (
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/smsgw/smsgw/keywords"
	"github.com/smsgw/smsgw/smsgw/smsgwtest"
	"github.com/smsgw/smsgw/store/sqlite/sqlitetest"
)

// FuzzRedact checks that no run of decimal digits (any script) as long as
// a PIN survives Rules.Redact, except in a well-formed top-up request,
// which is kept as it is (its amount may have six digits).
func FuzzRedact(f *testing.F) {
	for _, s := range []string{
		"123456", "SALDO 123456", "PIN 123456 654321", "PIN123456", "IM2PAY 08110000009 50000",
		"IM2PAY 08110000009 50000 123456", "BATAL 123456", "٢٤٦٨٠٥", "۲۴۶۸۰۵", "２４６８０５", "24٦٨05",
		"SALDO ٢٤٦٨٠٥", "x\xff١٢٣٤٥٦", "1234567", "12345",
	} {
		f.Add(true, s)
		f.Add(false, s)
	}
	_, gw := sqlitetest.Open(f, smsgwtest.WithCodes("9779", "3355"))
	r := gw.Rules()
	f.Fuzz(func(t *testing.T, toPINCode bool, text string) {
		code := r.RequestCode
		if toPINCode {
			code = r.PINCode
		}
		got := r.Redact(code, text)
		if !toPINCode {
			if _, ok := mustParse(r.Keywords, text).(keywords.Pay); ok {
				if got != text {
					t.Fatalf("Redact(%q, %q) = %q, want a top-up request unchanged", code, text, got)
				}
				return
			}
		}
		if n := longestPINRun(got, r.PINMinLen, r.PINMaxLen); n > 0 {
			t.Fatalf("Redact(%q, %q) = %q keeps a run of %d digits", code, text, got, n)
		}
	})
}

func mustParse(t *keywords.Table, text string) keywords.Command {
	cmd, err := t.Parse(text)
	if err != nil {
		return nil
	}
	return cmd
}

// longestPINRun returns the length of a run of decimal digits in s whose
// length is within [minLen, maxLen], or 0 if there is none.
func longestPINRun(s string, minLen, maxLen int) int {
	n := 0
	check := func() int {
		if n >= minLen && n <= maxLen {
			return n
		}
		return 0
	}
	for len(s) > 0 {
		c, w := utf8.DecodeRuneInString(s)
		s = s[w:]
		if unicode.IsDigit(c) {
			n++
			continue
		}
		if k := check(); k > 0 {
			return k
		}
		n = 0
	}
	return check()
}
