package keywords_test

import (
	"errors"
	"math"
	"testing"

	"github.com/smsgw/smsgw/domain"
	"github.com/smsgw/smsgw/keywords"
)

// amountCases are the well-formed amounts; they also seed FuzzParseAmount.
var amountCases = []struct {
	in   string
	want domain.Amount
}{
	{"0", 0},
	{"50000", 50_000},
	{"50.000", 50_000},
	{"50,000", 50_000},
	{"50rb", 50_000},
	{"50 rb", 50_000},
	{"50RB", 50_000},
	{"50ribu", 50_000},
	{"50 Ribu", 50_000},
	{"50k", 50_000},
	{"50K", 50_000},
	{"1jt", 1_000_000},
	{"1 juta", 1_000_000},
	{"1JT", 1_000_000},
	{"1,5jt", 1_500_000},
	{"1.5jt", 1_500_000},
	{"1.25jt", 1_250_000},
	{"1,50 jt", 1_500_000},
	{"0.5jt", 500_000},
	{"2.5k", 2_500},
	{"1.0000jt", 1_000_000},
	{"Rp50.000", 50_000},
	{"Rp 50.000", 50_000},
	{"rp50000", 50_000},
	{"Rp. 50.000", 50_000},
	{"Rp.50.000,-", 50_000},
	{"RP 75rb", 75_000},
	{"IDR50000", 50_000},
	{"idr 50.000", 50_000},
	{"50.000,-", 50_000},
	{"50000,-", 50_000},
	{"50000.-", 50_000},
	{"50.000-", 50_000},
	{"Rp 50.000,-", 50_000},
	{"50.000,00", 50_000},
	{"50,000.00", 50_000},
	{"50000.00", 50_000},
	{"50000,0", 50_000},
	{"0,00", 0},
	{"1.500.000", 1_500_000},
	{"5,000,000", 5_000_000},
	{"  150000  ", 150_000},
	{"\t300.000\n", 300_000},
	{"999", 999},
	{"1.000.000.000.000.000", domain.MaxAmount},
	{"1000000000000000", domain.MaxAmount},
	{"1000000000jt", domain.MaxAmount},
	{"999999999999rb", 999_999_999_999_000},
	{"999.999.999.999.999,00", 999_999_999_999_999},
}

// badAmountCases are rejected by ParseAmount with the given reason.
var badAmountCases = []struct {
	in   string
	want error
}{
	{"", keywords.ErrEmptyValue},
	{"   ", keywords.ErrEmptyValue},
	{"-50000", keywords.ErrAmountNegative},
	{"-50.000", keywords.ErrAmountNegative},
	{"Rp-50.000", keywords.ErrAmountNegative},
	{"Rp -50000", keywords.ErrAmountNegative},
	{"50000,5", keywords.ErrAmountFraction},
	{"50.000,50", keywords.ErrAmountFraction},
	{"1.5", keywords.ErrAmountFraction},
	{"1,2345rb", keywords.ErrAmountFraction},
	{"1.0001k", keywords.ErrAmountFraction},
	{"1.0000001jt", keywords.ErrAmountFraction},
	{"1.500jt", keywords.ErrAmountAmbiguous},
	{"1,500rb", keywords.ErrAmountAmbiguous},
	{"1.000.000jt", keywords.ErrAmountAmbiguous},
	{"1.000,000", keywords.ErrAmountAmbiguous},
	{"1,000.000", keywords.ErrAmountAmbiguous},
	{"1000000000000001", keywords.ErrAmountRange},
	{"1.000.000.000.000.001", keywords.ErrAmountRange},
	{"9223372036854775807", keywords.ErrAmountRange},
	{"99999999999999999999999999", keywords.ErrAmountRange},
	{"1000000001jt", keywords.ErrAmountRange},
	{"1000000000001rb", keywords.ErrAmountRange},
	{"abc", keywords.ErrAmountSyntax},
	{"Rp", keywords.ErrAmountSyntax},
	{"IDR", keywords.ErrAmountSyntax},
	{"rb", keywords.ErrAmountSyntax},
	{"50000abc", keywords.ErrAmountSyntax},
	{"50rbx", keywords.ErrAmountSyntax},
	{"50kg", keywords.ErrAmountSyntax},
	{"50 000", keywords.ErrAmountSyntax},
	{"050000", keywords.ErrAmountSyntax},
	{"05jt", keywords.ErrAmountSyntax},
	{"0.000", keywords.ErrAmountSyntax},
	{"50.00.000", keywords.ErrAmountSyntax},
	{"50000.000", keywords.ErrAmountSyntax},
	{"1.000.00", keywords.ErrAmountSyntax},
	{"1.000,000,000", keywords.ErrAmountSyntax},
	{"50.000.", keywords.ErrAmountSyntax},
	{"50..000", keywords.ErrAmountSyntax},
	{"+50000", keywords.ErrAmountSyntax},
	{"50000 123456", keywords.ErrAmountSyntax},
	{"50rb,-", keywords.ErrAmountSyntax},
	{"１２３", keywords.ErrAmountSyntax},
	{"1.1.1.1.1.1.1.1.1", keywords.ErrAmountSyntax},
	{"5e4", keywords.ErrAmountSyntax},
	{"0x10", keywords.ErrAmountSyntax},
}

func TestParseAmount(t *testing.T) {
	for _, tc := range amountCases {
		t.Run(tc.in, func(t *testing.T) {
			got, err := keywords.ParseAmount(tc.in)
			if err != nil || got != tc.want {
				t.Errorf("ParseAmount(%q) = %v, %v, want %v, nil", tc.in, got, err, tc.want)
			}
		})
	}
}

func TestParseAmountErrors(t *testing.T) {
	for _, tc := range badAmountCases {
		t.Run(tc.in, func(t *testing.T) {
			got, err := keywords.ParseAmount(tc.in)
			if !errors.Is(err, tc.want) || !errors.Is(err, keywords.BadAmount) {
				t.Errorf("ParseAmount(%q) = %v, %v, want error %v (kind %v)", tc.in, got, err, tc.want, keywords.BadAmount)
			}
			if got != 0 {
				t.Errorf("ParseAmount(%q) = %v on error, want 0", tc.in, got)
			}
		})
	}
}

func TestAmountString(t *testing.T) {
	tests := []struct {
		in           domain.Amount
		str, grouped string
	}{
		{0, "Rp0", "0"},
		{5, "Rp5", "5"},
		{999, "Rp999", "999"},
		{1_000, "Rp1.000", "1.000"},
		{50_000, "Rp50.000", "50.000"},
		{150_000, "Rp150.000", "150.000"},
		{1_500_000, "Rp1.500.000", "1.500.000"},
		{domain.MaxAmount, "Rp1.000.000.000.000.000", "1.000.000.000.000.000"},
		{-5_000, "-Rp5.000", "-5.000"},
		{math.MaxInt64, "Rp9.223.372.036.854.775.807", "9.223.372.036.854.775.807"},
		{math.MinInt64, "-Rp9.223.372.036.854.775.808", "-9.223.372.036.854.775.808"},
	}
	for _, tc := range tests {
		if got := tc.in.String(); got != tc.str {
			t.Errorf("Amount(%d).String() = %q, want %q", int64(tc.in), got, tc.str)
		}
		if got := tc.in.Grouped(); got != tc.grouped {
			t.Errorf("Amount(%d).Grouped() = %q, want %q", int64(tc.in), got, tc.grouped)
		}
	}
}

func TestAmountRoundTrip(t *testing.T) {
	for _, a := range []domain.Amount{0, 1, 999, 1_000, 50_000, 75_000, 1_234_567, domain.MaxAmount} {
		for _, s := range []string{a.String(), a.Grouped(), a.String() + ",-"} {
			got, err := keywords.ParseAmount(s)
			if err != nil || got != a {
				t.Errorf("ParseAmount(%q) = %v, %v, want %v, nil", s, got, err, a)
			}
		}
	}
}

func TestFormatAmounts(t *testing.T) {
	tests := []struct {
		in   []domain.Amount
		want string
	}{
		{nil, ""},
		{[]domain.Amount{50_000}, "50.000"},
		{[]domain.Amount{50_000, 75_000}, "50.000 dan 75.000"},
		{keywords.DefaultRules().Allowed, "50.000, 75.000, 100.000, 150.000, 300.000 dan 500.000"},
	}
	for _, tc := range tests {
		if got := domain.FormatAmounts(tc.in); got != tc.want {
			t.Errorf("FormatAmounts(%v) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
