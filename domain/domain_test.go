package domain_test

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/smsgw/smsgw/domain"
)

func TestMSISDNLocal(t *testing.T) {
	tests := []struct{ in, want string }{
		{"628110000002", "08110000002"},
		{"62812345678901", "0812345678901"},
		{"9779", "9779"},
		{"62", "62"},
		{"", ""},
	}
	for _, tc := range tests {
		if got := domain.MSISDN(tc.in).Local(); got != tc.want {
			t.Errorf("MSISDN(%q).Local() = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestMSISDNLogValue(t *testing.T) {
	tests := []struct{ in, want string }{
		{"628110000002", "62811****002"},
		{"9779", "***"},
	}
	for _, tc := range tests {
		if got := domain.MSISDN(tc.in).LogValue().String(); got != tc.want {
			t.Errorf("MSISDN(%q).LogValue() = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestAmountFormat(t *testing.T) {
	tests := []struct {
		a            domain.Amount
		str, grouped string
	}{
		{0, "Rp0", "0"},
		{50_000, "Rp50.000", "50.000"},
		{1_500_000, "Rp1.500.000", "1.500.000"},
		{-5_000, "-Rp5.000", "-5.000"},
		{domain.MaxAmount, "Rp1.000.000.000.000.000", "1.000.000.000.000.000"},
		{-9223372036854775808, "-Rp9.223.372.036.854.775.808", "-9.223.372.036.854.775.808"},
	}
	for _, tc := range tests {
		if got := tc.a.String(); got != tc.str {
			t.Errorf("Amount(%d).String() = %q, want %q", int64(tc.a), got, tc.str)
		}
		if got := tc.a.Grouped(); got != tc.grouped {
			t.Errorf("Amount(%d).Grouped() = %q, want %q", int64(tc.a), got, tc.grouped)
		}
	}
	if got, want := domain.FormatAmounts([]domain.Amount{50_000, 75_000, 100_000}), "50.000, 75.000 dan 100.000"; got != want {
		t.Errorf("FormatAmounts = %q, want %q", got, want)
	}
	if got := domain.FormatAmounts(nil); got != "" {
		t.Errorf("FormatAmounts(nil) = %q, want \"\"", got)
	}
}

// A PIN never shows its digits, whatever prints it.
func TestPINRedacted(t *testing.T) {
	p := domain.PIN("246810")
	var log strings.Builder
	slog.New(slog.NewTextHandler(&log, nil)).Info("x", "pin", p, "s", struct{ P domain.PIN }{p})
	js, _ := json.Marshal(struct{ P domain.PIN }{p})
	for _, s := range []string{
		fmt.Sprint(p), fmt.Sprintf("%v %+v %#v %s %q %x %d %10s", p, p, p, p, p, p, p, p),
		fmt.Sprintf("%v %+v", struct{ P domain.PIN }{p}, struct{ P domain.PIN }{p}), log.String(), string(js),
	} {
		if strings.Contains(s, "246810") || strings.Contains(s, "3234363831") {
			t.Errorf("PIN shown: %s", s)
		}
	}
	if p.Reveal() != "246810" {
		t.Errorf("Reveal() = %q", p.Reveal())
	}
}
