package keywords_test

import (
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/smsgw/smsgw/domain"
	"github.com/smsgw/smsgw/keywords"
)

// mustTable builds a Table or fails the test.
func mustTable(tb testing.TB, cfg keywords.TableConfig) *keywords.Table {
	tb.Helper()
	tab, err := keywords.NewTable(cfg)
	if err != nil {
		tb.Fatalf("NewTable() error = %v", err)
	}
	return tab
}

var pay50k = keywords.Pay{Account: "628110000002", Amount: 50_000}

// parseCases are messages the default table accepts; they also seed
// FuzzParse.
var parseCases = []struct {
	in   string
	want keywords.Command
}{
	// IM2PAY, the example of the product sheet, and its variants.
	{"IM2PAY 08110000002 50000", pay50k},
	{"im2pay 0811-0000-002 50.000", pay50k},
	{"Im2Pay 08110000002 50,000", pay50k},
	{"IM2PAY#08110000002#50000", pay50k},
	{"IM2PAY.08110000002.50rb", pay50k},
	{"  IM2PAY   08110000002   50000  ", pay50k},
	{"IM2PAY*08110000002*50000", pay50k},
	{"IM2PAY,08110000002,50000", pay50k},
	{"IM2PAY;08110000002;50000", pay50k},
	{"IM2PAY/08110000002/50000", pay50k},
	{"IM2PAY:08110000002:50000", pay50k},
	{"IM2PAY_08110000002_50000", pay50k},
	{"IM2PAY\t08110000002\n50000", pay50k},
	{"IM2PAY\u00a008110000002\u00a050000", pay50k},
	{"IM2PAY 08110000002 Rp50.000", pay50k},
	{"IM2PAY 08110000002 Rp 50.000", pay50k},
	{"IM2PAY 08110000002 Rp. 50.000,-", pay50k},
	{"IM2PAY 08110000002 IDR50000", pay50k},
	{"IM2PAY 08110000002 50.000,-", pay50k},
	{"IM2PAY 08110000002 50.000,00", pay50k},
	{"IM2PAY 08110000002 50 rb", pay50k},
	{"IM2PAY 08110000002 50ribu", pay50k},
	{"IM2PAY 08110000002 50k", pay50k},
	{"IM2PAY 08110000002 50K", pay50k},
	{"IM2PAY 628110000002 50000", pay50k},
	{"IM2PAY +628110000002 50000", pay50k},
	{"IM2PAY+628110000002 50000", pay50k},
	{"IM2PAY +62-811-0000-002 50000", pay50k},
	{"IM2PAY 08110000002 50000.", pay50k},
	{"IM2PAY 08110000002 50000#", pay50k},
	{"IM2PAY..08110000002..50.000", pay50k},
	{"#IM2PAY#08110000002#50000#", pay50k},
	{"IM2PAY 08110000002 500rb", keywords.Pay{Account: "628110000002", Amount: 500_000}},
	{"IM2PAY 08110000002 0,5jt", keywords.Pay{Account: "628110000002", Amount: 500_000}},
	{"IM2PAY 08110000002 0.15jt", keywords.Pay{Account: "628110000002", Amount: 150_000}},
	{"IM2PAY 08571234567 150.000", keywords.Pay{Account: "628571234567", Amount: 150_000}},
	{"ISI 08110000002 50000", pay50k},
	{"topup 08110000002 50000", pay50k},
	// PIN replies and PIN changes.
	{"123456", keywords.PINReply{PIN: "123456"}},
	{" 123456 ", keywords.PINReply{PIN: "123456"}},
	{"123456.", keywords.PINReply{PIN: "123456"}},
	{"PIN 123456", keywords.PINReply{PIN: "123456"}},
	{"pin#123456", keywords.PINReply{PIN: "123456"}},
	{"PIN 123456 654321", keywords.ChangePIN{Old: "123456", New: "654321"}},
	{"PIN*123456*654321", keywords.ChangePIN{Old: "123456", New: "654321"}},
	{"pin 000000 000000", keywords.ChangePIN{Old: "000000", New: "000000"}},
	// Commands without arguments ignore trailing text.
	{"SALDO", keywords.Balance{}},
	{"saldo", keywords.Balance{}},
	{"SALDO?", keywords.Balance{}},
	{"CEK SALDO", keywords.Balance{}},
	{"cek", keywords.Balance{}},
	{"BAL", keywords.Balance{}},
	{"SALDO 123456", keywords.Balance{}},
	{"RIWAYAT", keywords.History{}},
	{"history", keywords.History{}},
	{"BATAL", keywords.Cancel{}},
	{"batal ya", keywords.Cancel{}},
	{"CANCEL", keywords.Cancel{}},
	{"BANTUAN", keywords.Help{}},
	{"HELP", keywords.Help{}},
	{"info", keywords.Help{}},
	{"Bantuan IM2PAY", keywords.Help{}},
	{"\r\nHELP!\r\n", keywords.Help{}},
}

func TestParse(t *testing.T) {
	tab := mustTable(t, keywords.TableConfig{})
	for _, tc := range parseCases {
		t.Run(tc.in, func(t *testing.T) {
			got, err := tab.Parse(tc.in)
			if err != nil || !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Parse(%q) = %#v, %v, want %#v, nil", tc.in, got, err, tc.want)
			}
		})
	}
}

// errKey holds the comparable fields of a keywords.Error.
type errKey struct {
	Kind    keywords.ErrorKind
	Keyword string
	Word    string
	Arg     string
	Err     error
}

// parseErrorCases are messages the default table rejects.
var parseErrorCases = []struct {
	in   string
	want errKey
}{
	{"", errKey{Kind: keywords.Empty}},
	{"   ", errKey{Kind: keywords.Empty}},
	{"#*.,", errKey{Kind: keywords.Empty}},
	{"XYZ 08110000002 50000", errKey{Kind: keywords.UnknownKeyword, Word: "XYZ"}},
	{"im3pay 08110000002 50000", errKey{Kind: keywords.UnknownKeyword, Word: "IM3PAY"}},
	{"SALDOKU", errKey{Kind: keywords.UnknownKeyword, Word: "SALDOKU"}},
	{"IM2PAY08110000002 50000", errKey{Kind: keywords.UnknownKeyword}}, // many digits: not echoed
	{"PIN123456", errKey{Kind: keywords.UnknownKeyword}},
	{"+628110000002 50000", errKey{Kind: keywords.UnknownKeyword}},
	{"?", errKey{Kind: keywords.UnknownKeyword}},
	{"ÍSI 08110000002 50000", errKey{Kind: keywords.UnknownKeyword}},
	{"IM2PAY", errKey{Kind: keywords.MissingArgument, Keyword: "IM2PAY", Arg: keywords.ArgAccount}},
	{"IM2PAY #", errKey{Kind: keywords.MissingArgument, Keyword: "IM2PAY", Arg: keywords.ArgAccount}},
	{"IM2PAY 08110000002", errKey{Kind: keywords.MissingArgument, Keyword: "IM2PAY", Arg: keywords.ArgAmount}},
	{"IM2PAY 08110000002 ", errKey{Kind: keywords.MissingArgument, Keyword: "IM2PAY", Arg: keywords.ArgAmount}},
	{"IM2PAY 9779 50000", errKey{Kind: keywords.BadAccount, Keyword: "IM2PAY", Arg: keywords.ArgAccount, Err: keywords.ErrMSISDNPrefix}},
	{"IM2PAY 50000 08110000002", errKey{Kind: keywords.BadAccount, Keyword: "IM2PAY", Arg: keywords.ArgAccount, Err: keywords.ErrMSISDNPrefix}},
	{"IM2PAY 0811 0000 002 50000", errKey{Kind: keywords.BadAccount, Keyword: "IM2PAY", Arg: keywords.ArgAccount, Err: keywords.ErrMSISDNLength}},
	{"IM2PAY 0811.0000.002 50000", errKey{Kind: keywords.BadAccount, Keyword: "IM2PAY", Arg: keywords.ArgAccount, Err: keywords.ErrMSISDNLength}},
	{"IM2PAY 62 8110000002 50000", errKey{Kind: keywords.BadAccount, Keyword: "IM2PAY", Arg: keywords.ArgAccount, Err: keywords.ErrMSISDNPrefix}},
	{"IM2PAY 0811abc0002 50000", errKey{Kind: keywords.BadAccount, Keyword: "IM2PAY", Arg: keywords.ArgAccount, Err: keywords.ErrMSISDNSyntax}},
	{"IM2PAY-08110000002 50000", errKey{Kind: keywords.BadAccount, Keyword: "IM2PAY", Arg: keywords.ArgAccount, Err: keywords.ErrMSISDNSyntax}},
	{"IM2PAY 08110000002 -50000", errKey{Kind: keywords.BadAmount, Keyword: "IM2PAY", Arg: keywords.ArgAmount, Err: keywords.ErrAmountNegative}},
	{"IM2PAY 08110000002 50000,5", errKey{Kind: keywords.BadAmount, Keyword: "IM2PAY", Arg: keywords.ArgAmount, Err: keywords.ErrAmountFraction}},
	{"IM2PAY 08110000002 1.500jt", errKey{Kind: keywords.BadAmount, Keyword: "IM2PAY", Arg: keywords.ArgAmount, Err: keywords.ErrAmountAmbiguous}},
	{"IM2PAY 08110000002 0.075jt", errKey{Kind: keywords.BadAmount, Keyword: "IM2PAY", Arg: keywords.ArgAmount, Err: keywords.ErrAmountAmbiguous}},
	{"IM2PAY 08110000002 99999999999999999999", errKey{Kind: keywords.BadAmount, Keyword: "IM2PAY", Arg: keywords.ArgAmount, Err: keywords.ErrAmountRange}},
	{"IM2PAY 08110000002 lima puluh ribu", errKey{Kind: keywords.BadAmount, Keyword: "IM2PAY", Arg: keywords.ArgAmount, Err: keywords.ErrAmountSyntax}},
	{"IM2PAY 08110000002 50000x", errKey{Kind: keywords.BadAmount, Keyword: "IM2PAY", Arg: keywords.ArgAmount, Err: keywords.ErrAmountSyntax}},
	{"IM2PAY 08110000002 050000", errKey{Kind: keywords.BadAmount, Keyword: "IM2PAY", Arg: keywords.ArgAmount, Err: keywords.ErrAmountSyntax}},
	{"IM2PAY 08110000002 50000 123456", errKey{Kind: keywords.TooManyArguments, Keyword: "IM2PAY"}},
	{"IM2PAY 08110000002 50.000 lagi", errKey{Kind: keywords.TooManyArguments, Keyword: "IM2PAY"}},
	{"IM2PAY 08110000002 50 000", errKey{Kind: keywords.TooManyArguments, Keyword: "IM2PAY"}},
	{"IM2PAY 08110000002 50000#123456", errKey{Kind: keywords.TooManyArguments, Keyword: "IM2PAY"}},
	{"IM2PAY 08110000002 60000", errKey{Kind: keywords.AmountNotAllowed, Keyword: "IM2PAY", Arg: keywords.ArgAmount}},
	{"IM2PAY 08110000002 0", errKey{Kind: keywords.AmountNotAllowed, Keyword: "IM2PAY", Arg: keywords.ArgAmount}},
	{"IM2PAY 08110000002 1jt", errKey{Kind: keywords.AmountNotAllowed, Keyword: "IM2PAY", Arg: keywords.ArgAmount}},
	{"IM2PAY 08110000002 50", errKey{Kind: keywords.AmountNotAllowed, Keyword: "IM2PAY", Arg: keywords.ArgAmount}},
	{"12345", errKey{Kind: keywords.BadPIN, Keyword: "PIN", Arg: keywords.ArgPIN, Err: keywords.ErrPINLength}},
	{"1234567", errKey{Kind: keywords.BadPIN, Keyword: "PIN", Arg: keywords.ArgPIN, Err: keywords.ErrPINLength}},
	{"9779", errKey{Kind: keywords.BadPIN, Keyword: "PIN", Arg: keywords.ArgPIN, Err: keywords.ErrPINLength}},
	{"123456!", errKey{Kind: keywords.BadPIN, Keyword: "PIN", Arg: keywords.ArgPIN, Err: keywords.ErrPINSyntax}},
	{"123 456", errKey{Kind: keywords.TooManyArguments, Keyword: "PIN"}},
	{"08110000002 50000", errKey{Kind: keywords.TooManyArguments, Keyword: "PIN"}},
	{"PIN", errKey{Kind: keywords.MissingArgument, Keyword: "PIN", Arg: keywords.ArgPIN}},
	{"PIN 12345a", errKey{Kind: keywords.BadPIN, Keyword: "PIN", Arg: keywords.ArgPIN, Err: keywords.ErrPINSyntax}},
	{"PIN 12345 654321", errKey{Kind: keywords.BadPIN, Keyword: "PIN", Arg: keywords.ArgOldPIN, Err: keywords.ErrPINLength}},
	{"PIN 123456 6543210", errKey{Kind: keywords.BadPIN, Keyword: "PIN", Arg: keywords.ArgNewPIN, Err: keywords.ErrPINLength}},
	{"PIN 123456 65432x", errKey{Kind: keywords.BadPIN, Keyword: "PIN", Arg: keywords.ArgNewPIN, Err: keywords.ErrPINSyntax}},
	{"PIN 123456 654321 654321", errKey{Kind: keywords.TooManyArguments, Keyword: "PIN"}},
}

func TestParseErrors(t *testing.T) {
	tab := mustTable(t, keywords.TableConfig{})
	for _, tc := range parseErrorCases {
		t.Run(tc.in, func(t *testing.T) {
			got, err := tab.Parse(tc.in)
			var e *keywords.Error
			if !errors.As(err, &e) {
				t.Fatalf("Parse(%q) = %#v, %v, want *Error %v", tc.in, got, err, tc.want.Kind)
			}
			if got != nil {
				t.Errorf("Parse(%q) = %#v on error, want nil", tc.in, got)
			}
			gotKey := errKey{Kind: e.Kind, Keyword: e.Keyword, Word: e.Word, Arg: e.Arg, Err: e.Err}
			if gotKey != tc.want {
				t.Errorf("Parse(%q) error = %#v, want %#v", tc.in, gotKey, tc.want)
			}
			if !errors.Is(err, tc.want.Kind) {
				t.Errorf("errors.Is(Parse(%q), %v) = false, want true", tc.in, tc.want.Kind)
			}
			if tc.want.Err != nil && !errors.Is(err, tc.want.Err) {
				t.Errorf("errors.Is(Parse(%q), %v) = false, want true", tc.in, tc.want.Err)
			}
			if run := longDigitRun(err.Error()); run != "" {
				t.Errorf("Parse(%q) error %q contains the digits %q of the message", tc.in, err, run)
			}
		})
	}
}

// longDigitRun returns the first run of four or more ASCII digits in s, or
// "". Error strings must have none: a PIN has at least four digits, and
// amounts are printed in groups of three.
func longDigitRun(s string) string {
	start := -1
	for i := 0; i <= len(s); i++ {
		if i < len(s) && '0' <= s[i] && s[i] <= '9' {
			if start < 0 {
				start = i
			}
			continue
		}
		if start >= 0 && i-start >= 4 {
			return s[start:i]
		}
		start = -1
	}
	return ""
}

func TestParseAmountNotAllowedDetails(t *testing.T) {
	tab := mustTable(t, keywords.TableConfig{})
	_, err := tab.Parse("IM2PAY 08110000002 60.000")
	var e *keywords.Error
	if !errors.As(err, &e) {
		t.Fatalf("Parse() error = %v, want *Error", err)
	}
	def := keywords.DefaultRules()
	if e.Amount != 60_000 || !slices.Equal(e.Allowed, def.Allowed) || e.Min != def.Min || e.Max != def.Max {
		t.Errorf("Parse() error = %+v, want Amount 60000 and the default rules %+v", e, def)
	}
	const want = "IM2PAY: amount Rp60.000 not allowed: allowed amounts are Rp50.000, Rp75.000, Rp100.000, Rp150.000, Rp300.000, Rp500.000"
	if got := err.Error(); got != want {
		t.Errorf("Parse().Error() = %q, want %q", got, want)
	}
	// The error holds a copy of the rules.
	e.Allowed[0] = 1
	if err := tab.CheckAmount(50_000); err != nil {
		t.Errorf("CheckAmount(50000) after mutating an error = %v, want nil", err)
	}
}

func TestCheckAmount(t *testing.T) {
	tests := []struct {
		name  string
		rules keywords.Rules
		ok    []domain.Amount
		bad   []domain.Amount
		msg   string // Error() for bad[0]
	}{
		{
			name:  "default",
			rules: keywords.Rules{},
			ok:    []domain.Amount{50_000, 75_000, 100_000, 150_000, 300_000, 500_000},
			bad:   []domain.Amount{0, 49_999, 60_000, 1_000_000, 5_000_000, -50_000},
			msg:   "amount Rp0 not allowed: allowed amounts are Rp50.000, Rp75.000, Rp100.000, Rp150.000, Rp300.000, Rp500.000",
		},
		{
			name:  "range",
			rules: keywords.Rules{Min: 50_000, Max: 5_000_000},
			ok:    []domain.Amount{50_000, 60_000, 1_234_567, 5_000_000},
			bad:   []domain.Amount{49_999, 5_000_001, 0},
			msg:   "amount Rp49.999 below minimum Rp50.000",
		},
		{
			name:  "above",
			rules: keywords.Rules{Min: 1, Max: 1_000},
			ok:    []domain.Amount{1, 1_000},
			bad:   []domain.Amount{1_001},
			msg:   "amount Rp1.001 above maximum Rp1.000",
		},
		{
			name:  "unsorted allowed",
			rules: keywords.Rules{Allowed: []domain.Amount{20_000, 10_000}, Max: 20_000},
			ok:    []domain.Amount{10_000, 20_000},
			bad:   []domain.Amount{15_000},
			msg:   "amount Rp15.000 not allowed: allowed amounts are Rp10.000, Rp20.000",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tab := mustTable(t, keywords.TableConfig{Rules: tc.rules})
			for _, a := range tc.ok {
				if err := tab.CheckAmount(a); err != nil {
					t.Errorf("CheckAmount(%v) = %v, want nil", a, err)
				}
			}
			for i, a := range tc.bad {
				err := tab.CheckAmount(a)
				if !errors.Is(err, keywords.AmountNotAllowed) {
					t.Errorf("CheckAmount(%v) = %v, want %v", a, err, keywords.AmountNotAllowed)
					continue
				}
				if i == 0 && err.Error() != tc.msg {
					t.Errorf("CheckAmount(%v).Error() = %q, want %q", a, err.Error(), tc.msg)
				}
			}
		})
	}
}

func TestNewTableAliases(t *testing.T) {
	tab := mustTable(t, keywords.TableConfig{
		Aliases: map[string][]string{
			"im2pay":  {"Beli", "KIRIM2"},
			"SALDO":   {"sisa"},
			"PIN":     {"KODE"},
			"BANTUAN": {},
		},
	})
	tests := []struct {
		in   string
		want keywords.Command
	}{
		{"beli 08110000002 50000", pay50k},
		{"KIRIM2 08110000002 50000", pay50k},
		{"IM2PAY 08110000002 50000", pay50k},
		{"SISA", keywords.Balance{}},
		{"kode 123456", keywords.PINReply{PIN: "123456"}},
		{"BANTUAN", keywords.Help{}},
	}
	for _, tc := range tests {
		got, err := tab.Parse(tc.in)
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("Parse(%q) = %#v, %v, want %#v, nil", tc.in, got, err, tc.want)
		}
	}
	// A non-nil map replaces the default aliases.
	for _, in := range []string{"ISI 08110000002 50000", "CEK", "HELP"} {
		if _, err := tab.Parse(in); !errors.Is(err, keywords.UnknownKeyword) {
			t.Errorf("Parse(%q) error = %v, want %v", in, err, keywords.UnknownKeyword)
		}
	}
	// An empty map means no aliases.
	none := mustTable(t, keywords.TableConfig{Aliases: map[string][]string{}})
	if _, err := none.Parse("HELP"); !errors.Is(err, keywords.UnknownKeyword) {
		t.Errorf("Parse(%q) error = %v, want %v", "HELP", err, keywords.UnknownKeyword)
	}
}

func TestNewTableErrors(t *testing.T) {
	tests := []struct {
		name string
		cfg  keywords.TableConfig
		want error
	}{
		{"alias of unknown keyword", keywords.TableConfig{Aliases: map[string][]string{"TRANSFER": {"TF"}}}, keywords.ErrNotAKeyword},
		{"keyword listed twice", keywords.TableConfig{Aliases: map[string][]string{"SALDO": {"CEK"}, "saldo": {"BAL"}}}, keywords.ErrAliasCollision},
		{"alias equals keyword", keywords.TableConfig{Aliases: map[string][]string{"SALDO": {"BATAL"}}}, keywords.ErrAliasCollision},
		{"alias equals own keyword", keywords.TableConfig{Aliases: map[string][]string{"SALDO": {"saldo"}}}, keywords.ErrAliasCollision},
		{"alias on two keywords", keywords.TableConfig{Aliases: map[string][]string{"SALDO": {"CEK"}, "RIWAYAT": {"cek"}}}, keywords.ErrAliasCollision},
		{"alias twice", keywords.TableConfig{Aliases: map[string][]string{"SALDO": {"CEK", "Cek"}}}, keywords.ErrAliasCollision},
		{"empty alias", keywords.TableConfig{Aliases: map[string][]string{"SALDO": {""}}}, keywords.ErrBadName},
		{"alias with space", keywords.TableConfig{Aliases: map[string][]string{"SALDO": {"CEK SALDO"}}}, keywords.ErrBadName},
		{"alias with dash", keywords.TableConfig{Aliases: map[string][]string{"IM2PAY": {"TOP-UP"}}}, keywords.ErrBadName},
		{"alias of digits", keywords.TableConfig{Aliases: map[string][]string{"SALDO": {"123"}}}, keywords.ErrBadName},
		{"alias starting with digit", keywords.TableConfig{Aliases: map[string][]string{"SALDO": {"1CEK"}}}, keywords.ErrBadName},
		{"non-ASCII alias", keywords.TableConfig{Aliases: map[string][]string{"SALDO": {"SÁLDO"}}}, keywords.ErrBadName},
		{"alias too long", keywords.TableConfig{Aliases: map[string][]string{"SALDO": {strings.Repeat("A", 21)}}}, keywords.ErrBadName},
		{"max zero", keywords.TableConfig{Rules: keywords.Rules{Min: 10}}, keywords.ErrBadRules},
		{"min above max", keywords.TableConfig{Rules: keywords.Rules{Min: 10, Max: 5}}, keywords.ErrBadRules},
		{"negative min", keywords.TableConfig{Rules: keywords.Rules{Min: -1, Max: 5}}, keywords.ErrBadRules},
		{"max above MaxAmount", keywords.TableConfig{Rules: keywords.Rules{Max: domain.MaxAmount + 1}}, keywords.ErrBadRules},
		{"allowed below min", keywords.TableConfig{Rules: keywords.Rules{Allowed: []domain.Amount{1}, Min: 10, Max: 100}}, keywords.ErrBadRules},
		{"allowed above max", keywords.TableConfig{Rules: keywords.Rules{Allowed: []domain.Amount{101}, Max: 100}}, keywords.ErrBadRules},
		{"allowed zero", keywords.TableConfig{Rules: keywords.Rules{Allowed: []domain.Amount{0}, Max: 100}}, keywords.ErrBadRules},
		{"allowed twice", keywords.TableConfig{Rules: keywords.Rules{Allowed: []domain.Amount{50, 50}, Max: 100}}, keywords.ErrBadRules},
		{"allowed without max", keywords.TableConfig{Rules: keywords.Rules{Allowed: []domain.Amount{50}}}, keywords.ErrBadRules},
		{"PIN too short", keywords.TableConfig{PINMinLen: 3}, keywords.ErrBadPINLength},
		{"PIN too long", keywords.TableConfig{PINMaxLen: 13}, keywords.ErrBadPINLength},
		{"PIN min above max", keywords.TableConfig{PINMinLen: 8, PINMaxLen: 7}, keywords.ErrBadPINLength},
		{"PIN min above default max", keywords.TableConfig{PINMinLen: 8}, keywords.ErrBadPINLength},
		{"PIN negative", keywords.TableConfig{PINMinLen: -1}, keywords.ErrBadPINLength},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tab, err := keywords.NewTable(tc.cfg)
			if !errors.Is(err, tc.want) || tab != nil {
				t.Errorf("NewTable(%+v) = %v, %v, want nil, %v", tc.cfg, tab, err, tc.want)
			}
		})
	}
}

func TestDefaultTableConfig(t *testing.T) {
	a := mustTable(t, keywords.DefaultTableConfig())
	b := mustTable(t, keywords.TableConfig{})
	if !reflect.DeepEqual(a, b) {
		t.Errorf("NewTable(DefaultTableConfig()) = %+v, want NewTable(TableConfig{}) = %+v", a, b)
	}
	if lo, hi := a.PINLength(); lo != keywords.DefaultPINLength || hi != keywords.DefaultPINLength {
		t.Errorf("PINLength() = %d, %d, want %d, %d", lo, hi, keywords.DefaultPINLength, keywords.DefaultPINLength)
	}
	r := a.Rules()
	r.Allowed[0] = 1 // a copy
	if got := a.Rules().Allowed[0]; got != 50_000 {
		t.Errorf("Rules().Allowed[0] = %v after mutating a copy, want Rp50.000", got)
	}
}

func TestTablePINLength(t *testing.T) {
	tab := mustTable(t, keywords.TableConfig{PINMinLen: 4, PINMaxLen: 8})
	for _, in := range []string{"1234", "12345678", "PIN 1234 87654321"} {
		if _, err := tab.Parse(in); err != nil {
			t.Errorf("Parse(%q) error = %v, want nil", in, err)
		}
	}
	for _, in := range []string{"123", "123456789", "PIN 1234 123"} {
		if _, err := tab.Parse(in); !errors.Is(err, keywords.ErrPINLength) {
			t.Errorf("Parse(%q) error = %v, want %v", in, err, keywords.ErrPINLength)
		}
	}
	if p, err := tab.ParsePIN("PIN 12345"); err != nil || p.Reveal() != "12345" {
		t.Errorf("ParsePIN(%q) = %v, %v, want 12345, nil", "PIN 12345", p, err)
	}
}

func TestKeyword(t *testing.T) {
	tests := []struct {
		cmd  keywords.Command
		want string
	}{
		{keywords.Pay{}, "IM2PAY"},
		{keywords.Balance{}, "SALDO"},
		{keywords.History{}, "RIWAYAT"},
		{keywords.PINReply{}, "PIN"},
		{keywords.ChangePIN{}, "PIN"},
		{keywords.Cancel{}, "BATAL"},
		{keywords.Help{}, "BANTUAN"},
	}
	for _, tc := range tests {
		if got := tc.cmd.Keyword(); got != tc.want {
			t.Errorf("%T.Keyword() = %q, want %q", tc.cmd, got, tc.want)
		}
	}
}

func TestErrorKind(t *testing.T) {
	if got := keywords.KindOf(nil); got != 0 {
		t.Errorf("KindOf(nil) = %v, want 0", got)
	}
	if got := keywords.KindOf(errors.New("x")); got != 0 {
		t.Errorf("KindOf(other) = %v, want 0", got)
	}
	_, err := keywords.ParseAmount("-1")
	wrapped := errors.Join(errors.New("context"), err)
	if got := keywords.KindOf(wrapped); got != keywords.BadAmount {
		t.Errorf("KindOf(wrapped) = %v, want %v", got, keywords.BadAmount)
	}
	if errors.Is(err, keywords.BadAccount) {
		t.Errorf("errors.Is(%v, BadAccount) = true, want false", err)
	}
	if got, want := keywords.ErrorKind(99).String(), "ErrorKind(99)"; got != want {
		t.Errorf("ErrorKind(99).String() = %q, want %q", got, want)
	}
	if got, want := keywords.BadPIN.Error(), "bad PIN"; got != want {
		t.Errorf("BadPIN.Error() = %q, want %q", got, want)
	}
}

func TestErrorMessages(t *testing.T) {
	tab := mustTable(t, keywords.TableConfig{})
	tests := []struct{ in, want string }{
		{"", "empty message"},
		{"xyz", `unknown keyword "XYZ"`},
		{"PIN123456", "unknown keyword"},
		{"IM2PAY 08110000002", "IM2PAY: missing amount"},
		{"IM2PAY 9779 50000", "IM2PAY: bad account: not an Indonesian mobile number"},
		{"IM2PAY 08110000002 -1", "IM2PAY: bad amount: negative amount"},
		{"IM2PAY 08110000002 50000 1", "IM2PAY: too many arguments"},
		{"PIN 123456 12345", "PIN: bad new PIN: invalid PIN length"},
		{"12345", "PIN: bad PIN: invalid PIN length"},
	}
	for _, tc := range tests {
		_, err := tab.Parse(tc.in)
		if err == nil || err.Error() != tc.want {
			t.Errorf("Parse(%q) error = %v, want %q", tc.in, err, tc.want)
		}
	}
}

func BenchmarkParse(b *testing.B) {
	tab := mustTable(b, keywords.TableConfig{})
	msgs := []string{
		"IM2PAY 08110000002 50000",
		"im2pay 0811-0000-002 Rp 50.000,-",
		"IM2PAY.08110000002.50rb",
		"123456",
		"SALDO",
		"XYZ",
	}
	for _, m := range msgs {
		b.Run(m, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := tab.Parse(m); err != nil && m != "XYZ" {
					b.Fatal(err)
				}
			}
		})
	}
}
