package keywords_test

import (
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/smsgw/smsgw/domain"
	"github.com/smsgw/smsgw/keywords"
)

// extraSeeds are inputs beyond the table cases that reach corners of the
// tokenizer.
var extraSeeds = []string{
	"IM2PAY\u3000081100000002\u300050000", // ideographic space
	"IM2PAY\u0085 08110000002 50000",      // NEL
	"IM2PAY \xff 50000",                   // invalid UTF-8
	"IM2PAY 08110000002 Rp",
	"IM2PAY 08110000002 1.1.1.1.1.1.1.1.1",
	"PIN \xc2\x85123456\xc2\x85",
	strings.Repeat("9", 40),
	strings.Repeat("IM2PAY ", 20),
}

// seedStrings returns the inputs of every table case.
func seedStrings() []string {
	var s []string
	for _, tc := range parseCases {
		s = append(s, tc.in)
	}
	for _, tc := range parseErrorCases {
		s = append(s, tc.in)
	}
	for _, tc := range amountCases {
		s = append(s, tc.in, "IM2PAY 08110000002 "+tc.in)
	}
	for _, tc := range badAmountCases {
		s = append(s, tc.in, "IM2PAY 08110000002 "+tc.in)
	}
	for _, tc := range msisdnCases {
		s = append(s, tc.in, "IM2PAY "+tc.in+" 50000")
	}
	for _, tc := range badMSISDNCases {
		s = append(s, tc.in, "IM2PAY "+tc.in+" 50000")
	}
	return append(s, extraSeeds...)
}

func FuzzParse(f *testing.F) {
	for _, s := range seedStrings() {
		f.Add(s)
	}
	tables := []*keywords.Table{
		mustTable(f, keywords.TableConfig{}),
		mustTable(f, keywords.TableConfig{
			Rules:     keywords.Rules{Min: 1, Max: domain.MaxAmount},
			PINMinLen: keywords.MinPINLength,
			PINMaxLen: keywords.MaxPINLength,
		}),
	}
	f.Fuzz(func(t *testing.T, text string) {
		for _, tab := range tables {
			cmd, err := tab.Parse(text)
			cmd2, err2 := tab.Parse(text)
			if !reflect.DeepEqual(cmd, cmd2) || fmt.Sprint(err) != fmt.Sprint(err2) {
				t.Fatalf("Parse(%q) = %#v, %v then %#v, %v, want the same result", text, cmd, err, cmd2, err2)
			}
			if (cmd == nil) == (err == nil) {
				t.Fatalf("Parse(%q) = %#v, %v, want exactly one of command and error", text, cmd, err)
			}
			if err != nil {
				checkParseError(t, text, err)
				continue
			}
			checkCommand(t, tab, text, cmd)
		}
	})
}

// checkParseError checks the invariants of a Parse error.
func checkParseError(t *testing.T, text string, err error) {
	t.Helper()
	var e *keywords.Error
	if !errors.As(err, &e) || e.Kind < keywords.Empty || e.Kind > keywords.BadPIN {
		t.Fatalf("Parse(%q) error = %#v, want an *Error of a known kind", text, err)
	}
	if run := longDigitRun(err.Error()); run != "" {
		t.Fatalf("Parse(%q) error %q contains the digits %q of the message", text, err, run)
	}
	if len(e.Word) > 32 || !isUpperAlnum(e.Word) {
		t.Fatalf("Parse(%q) error Word = %q, want at most 32 upper-case letters and digits", text, e.Word)
	}
	if countASCIIDigits(e.Word) >= keywords.MinPINLength {
		t.Fatalf("Parse(%q) error Word = %q, has enough digits to hide a PIN", text, e.Word)
	}
}

// checkCommand checks the invariants of a parsed command.
func checkCommand(t *testing.T, tab *keywords.Table, text string, cmd keywords.Command) {
	t.Helper()
	switch c := cmd.(type) {
	case keywords.Pay:
		if canon, err := keywords.NormalizeMSISDN(string(c.Account)); err != nil || canon != c.Account {
			t.Fatalf("Parse(%q) = %#v: NormalizeMSISDN(account) = %q, %v, want the account itself", text, c, canon, err)
		}
		if err := tab.CheckAmount(c.Amount); err != nil {
			t.Fatalf("Parse(%q) = %#v: CheckAmount() = %v, want nil", text, c, err)
		}
		canonical := "IM2PAY " + c.Account.Local() + " " + c.Amount.Grouped()
		if again, err := tab.Parse(canonical); err != nil || again != cmd {
			t.Fatalf("Parse(%q) = %#v, %v, want %#v (from Parse(%q))", canonical, again, err, cmd, text)
		}
	case keywords.PINReply:
		checkPIN(t, tab, text, c.PIN)
		checkNoPINText(t, text, cmd, c.PIN)
	case keywords.ChangePIN:
		checkPIN(t, tab, text, c.Old)
		checkPIN(t, tab, text, c.New)
		checkNoPINText(t, text, cmd, c.Old)
		checkNoPINText(t, text, cmd, c.New)
	case keywords.Balance, keywords.History, keywords.Cancel, keywords.Help:
	default:
		t.Fatalf("Parse(%q) = %#v, a type outside the closed set", text, cmd)
	}
}

func checkPIN(t *testing.T, tab *keywords.Table, text string, p domain.PIN) {
	t.Helper()
	lo, hi := tab.PINLength()
	d := p.Reveal()
	if len(d) < lo || len(d) > hi || countASCIIDigits(d) != len(d) {
		t.Fatalf("Parse(%q) gave PIN of %d characters, want %d..%d digits", text, len(d), lo, hi)
	}
}

func checkNoPINText(t *testing.T, text string, cmd keywords.Command, p domain.PIN) {
	t.Helper()
	for _, out := range []string{fmt.Sprint(cmd), fmt.Sprintf("%+v", cmd), fmt.Sprintf("%#v", cmd)} {
		if strings.Contains(out, p.Reveal()) {
			t.Fatalf("Parse(%q): printing the command gives %q, which holds the PIN", text, out)
		}
	}
}

func isUpperAlnum(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('A' <= c && c <= 'Z' || '0' <= c && c <= '9') {
			return false
		}
	}
	return true
}

func countASCIIDigits(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		if '0' <= s[i] && s[i] <= '9' {
			n++
		}
	}
	return n
}

func FuzzParseAmount(f *testing.F) {
	for _, tc := range amountCases {
		f.Add(tc.in)
	}
	for _, tc := range badAmountCases {
		f.Add(tc.in)
	}
	anyAmount := mustTable(f, keywords.TableConfig{Rules: keywords.Rules{Max: domain.MaxAmount}})
	f.Fuzz(func(t *testing.T, s string) {
		a, err := keywords.ParseAmount(s)
		if err != nil {
			if a != 0 || keywords.KindOf(err) != keywords.BadAmount {
				t.Fatalf("ParseAmount(%q) = %v, %v, want 0 and a BadAmount error", s, a, err)
			}
			return
		}
		if a < 0 || a > domain.MaxAmount {
			t.Fatalf("ParseAmount(%q) = %v, want 0..MaxAmount", s, a)
		}
		for _, form := range []string{a.String(), a.Grouped(), strconv.FormatInt(int64(a), 10)} {
			if got, err := keywords.ParseAmount(form); err != nil || got != a {
				t.Fatalf("ParseAmount(%q) = %v, %v, want %v, nil (from ParseAmount(%q))", form, got, err, a, s)
			}
		}
		// Inside a message the amount reads the same.
		msg := "IM2PAY 08110000002 " + s
		cmd, err := anyAmount.Parse(msg)
		if err != nil || cmd != (keywords.Pay{Account: "628110000002", Amount: a}) {
			t.Fatalf("Parse(%q) = %#v, %v, want Pay with amount %v", msg, cmd, err, a)
		}
	})
}

func FuzzNormalizeMSISDN(f *testing.F) {
	for _, tc := range msisdnCases {
		f.Add(tc.in)
	}
	for _, tc := range badMSISDNCases {
		f.Add(tc.in)
	}
	tab := mustTable(f, keywords.TableConfig{})
	f.Fuzz(func(t *testing.T, s string) {
		m, err := keywords.NormalizeMSISDN(s)
		c := string(m)
		if err != nil {
			if c != "" || keywords.KindOf(err) != keywords.BadAccount {
				t.Fatalf("NormalizeMSISDN(%q) = %q, %v, want \"\" and a BadAccount error", s, c, err)
			}
			return
		}
		if len(c) < 11 || len(c) > 14 || !strings.HasPrefix(c, "628") || countASCIIDigits(c) != len(c) {
			t.Fatalf("NormalizeMSISDN(%q) = %q, want 628 and 8 to 11 more digits", s, c)
		}
		for _, form := range []string{c, "+" + c, m.Local()} {
			if got, err := keywords.NormalizeMSISDN(form); err != nil || got != m {
				t.Fatalf("NormalizeMSISDN(%q) = %q, %v, want %q, nil (from NormalizeMSISDN(%q))", form, got, err, c, s)
			}
		}
		// Inside a message, an account without spaces or dots reads the same.
		if !strings.ContainsAny(strings.TrimSpace(s), " .") {
			msg := "IM2PAY " + s + " 50000"
			if cmd, err := tab.Parse(msg); err != nil || cmd != (keywords.Pay{Account: m, Amount: 50_000}) {
				t.Fatalf("Parse(%q) = %#v, %v, want Pay with account %q", msg, cmd, err, c)
			}
		}
	})
}
