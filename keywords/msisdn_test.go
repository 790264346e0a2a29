package keywords_test

import (
	"errors"
	"testing"

	"github.com/smsgw/smsgw/keywords"
)

// msisdnCases are accepted MSISDNs; they also seed FuzzNormalizeMSISDN.
var msisdnCases = []struct {
	in   string
	want string
}{
	{"08110000002", "628110000002"},
	{"628110000002", "628110000002"},
	{"+628110000002", "628110000002"},
	{"62 8110000002", "628110000002"},
	{"+62 811 0000 002", "628110000002"},
	{"0811-0000-002", "628110000002"},
	{"0811.0000.002", "628110000002"},
	{"+62-811-0000-002", "628110000002"},
	{"0811 - 0000 - 002", "628110000002"},
	{"  08110000002  ", "628110000002"},
	{"0812345678", "62812345678"},         // 9 national digits
	{"0812345678901", "62812345678901"},   // 12 national digits
	{"+62812345678901", "62812345678901"}, // 12 national digits
	{"08571234567", "628571234567"},
}

// badMSISDNCases are rejected MSISDNs with their reason.
var badMSISDNCases = []struct {
	in   string
	want error
}{
	{"", keywords.ErrEmptyValue},
	{"  ", keywords.ErrEmptyValue},
	{"9779", keywords.ErrMSISDNPrefix}, // short code
	{"3355", keywords.ErrMSISDNPrefix}, // short code
	{"8110000002", keywords.ErrMSISDNPrefix},
	{"0218765432", keywords.ErrMSISDNPrefix},     // Jakarta fixed line
	{"+6521234567", keywords.ErrMSISDNPrefix},    // Singapore
	{"+08110000002", keywords.ErrMSISDNPrefix},   // '+' needs 62
	{"620811000002", keywords.ErrMSISDNPrefix},   // trunk 0 after 62
	{"00628110000002", keywords.ErrMSISDNPrefix}, // international prefix
	{"62", keywords.ErrMSISDNPrefix},
	{"0", keywords.ErrMSISDNPrefix},
	{"08", keywords.ErrMSISDNLength},
	{"08110000", keywords.ErrMSISDNLength},       // 8 national digits
	{"08123456789012", keywords.ErrMSISDNLength}, // 13 national digits
	{"62812345678901234567", keywords.ErrMSISDNLength},
	{"0811abc0002", keywords.ErrMSISDNSyntax},
	{"0811_0000_002", keywords.ErrMSISDNSyntax},
	{"-08110000002", keywords.ErrMSISDNSyntax},
	{"08110000002-", keywords.ErrMSISDNSyntax},
	{"+", keywords.ErrMSISDNSyntax},
	{"++628110000002", keywords.ErrMSISDNSyntax},
	{"+ 628110000002", keywords.ErrMSISDNSyntax},
	{"62+8110000002", keywords.ErrMSISDNSyntax},
	{"(0811) 0000002", keywords.ErrMSISDNSyntax},
	{"０８１１００００００２", keywords.ErrMSISDNSyntax},
}

func TestNormalizeMSISDN(t *testing.T) {
	for _, tc := range msisdnCases {
		t.Run(tc.in, func(t *testing.T) {
			got, err := keywords.NormalizeMSISDN(tc.in)
			if err != nil || string(got) != tc.want {
				t.Errorf("NormalizeMSISDN(%q) = %q, %v, want %q, nil", tc.in, got, err, tc.want)
			}
		})
	}
}

func TestNormalizeMSISDNErrors(t *testing.T) {
	for _, tc := range badMSISDNCases {
		t.Run(tc.in, func(t *testing.T) {
			got, err := keywords.NormalizeMSISDN(tc.in)
			if !errors.Is(err, tc.want) || keywords.KindOf(err) != keywords.BadAccount {
				t.Errorf("NormalizeMSISDN(%q) = %q, %v, want error %v (kind %v)", tc.in, got, err, tc.want, keywords.BadAccount)
			}
			if got != "" {
				t.Errorf("NormalizeMSISDN(%q) = %q on error, want \"\"", tc.in, got)
			}
		})
	}
}

func TestCanonicalPrefix(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"0811", "62811"}, {"62811", "62811"}, {"+62811", "62811"}, {"08150000009", "628150000009"},
		{"", ""}, {"08a1", ""}, {"+0811", ""}, {"0", ""}, {"+", ""},
	} {
		got, err := keywords.CanonicalPrefix(tc.in)
		if got != tc.want || (err == nil) != (tc.want != "") {
			t.Errorf("CanonicalPrefix(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}
