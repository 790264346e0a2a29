package report

import (
	"strings"
	"testing"
	"time"

	"github.com/smsgw/smsgw/domain"
	"github.com/smsgw/smsgw/smsgw"
)

func TestSpreadsheetSafe(t *testing.T) {
	for in, want := range map[string]string{
		"":             "",
		"SALDO":        "SALDO",
		"=1+1":         "'=1+1",
		"+628110":      "+628110",
		"+1+1":         "'+1+1",
		"-150000":      "-150000",
		"-1+2":         "'-1+2",
		"@SUM(A1)":     "'@SUM(A1)",
		"\tx":          "'\tx",
		"IM2PAY =1+1":  "IM2PAY =1+1",
		"628110000002": "628110000002",
	} {
		if got := spreadsheetSafe(in); got != want {
			t.Errorf("spreadsheetSafe(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestParseTime(t *testing.T) {
	wib := time.FixedZone("WIB", 7*3600)
	now := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	e := Env{Now: now, Location: wib}
	for in, want := range map[string]time.Time{
		"":                          {},
		"24h":                       now.Add(-24 * time.Hour),
		"90m":                       now.Add(-90 * time.Minute),
		"2025-03-01T10:00":          time.Date(2025, 3, 1, 10, 0, 0, 0, wib),
		"2025-03-01T10:00:30":       time.Date(2025, 3, 1, 10, 0, 30, 0, wib),
		"2025-03-01 10:00":          time.Date(2025, 3, 1, 10, 0, 0, 0, wib),
		"2025-03-01":                time.Date(2025, 3, 1, 0, 0, 0, 0, wib),
		"2025-03-01T10:00:00Z":      time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC),
		"2025-03-01T10:00:00+07:00": time.Date(2025, 3, 1, 3, 0, 0, 0, time.UTC),
	} {
		got, err := parseTime("since", in, e)
		if err != nil || !got.Equal(want) {
			t.Errorf("parseTime(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"yesterday", "-5m", "2025-13-01", "10:00"} {
		if _, err := parseTime("since", bad, e); err == nil || !strings.HasPrefix(err.Error(), "since: ") {
			t.Errorf("parseTime(%q) = %v, want an error naming since", bad, err)
		}
	}
}

func TestParseAccount(t *testing.T) {
	for in, want := range map[string]domain.AccountID{
		"08110000002":         "wallet:628110000002",
		"wallet:08110000002":  "wallet:628110000002",
		"wallet:628110000002": "wallet:628110000002",
		"settlement:bank":     "settlement:bank",
		"deposit:partner-1":   "deposit:partner-1",
		" +62 811 0000 002 ":  "wallet:628110000002",
		"":                    "",
	} {
		if got, err := parseAccount("account", in); err != nil || got != want {
			t.Errorf("parseAccount(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"settlement:", "bank", "wallet:abc", "other:x"} {
		if _, err := parseAccount("account", bad); err == nil {
			t.Errorf("parseAccount(%q) = nil error", bad)
		}
	}
}

func TestRedactedText(t *testing.T) {
	for _, tc := range []struct {
		m    smsgw.Message
		want string
	}{
		{smsgw.Message{Direction: smsgw.DirIn, Keyword: "PIN_REPLY", Text: "123456"}, "****"},
		{smsgw.Message{Direction: smsgw.DirIn, Keyword: "PIN_WRONG_CODE", Text: "123456"}, "****"},
		{smsgw.Message{Direction: smsgw.DirIn, Keyword: "PIN", Text: "PIN 123456 654321"}, "PIN ****"},
		{smsgw.Message{Direction: smsgw.DirIn, Keyword: "PIN", Text: "PIN **** ****"}, "PIN **** ****"},
		{smsgw.Message{Direction: smsgw.DirIn, Keyword: "SALDO", Text: "SALDO"}, "SALDO"},
		{smsgw.Message{Direction: smsgw.DirOut, Keyword: "wrong_pin", Text: "PIN salah."}, "PIN salah."},
	} {
		if got := redactedText(&tc.m); got != tc.want {
			t.Errorf("redactedText(%+v) = %q, want %q", tc.m, got, tc.want)
		}
	}
}

func TestTableCellDefusesTerminalControls(t *testing.T) {
	for in, want := range map[string]string{
		"IM2PAY 0811 50000":   "IM2PAY 0811 50000",
		"a\tb\nc\rd":          "a b c d",
		"x\x1b[2Jy":           "x\uFFFD[2Jy",
		"bell\x07 del\x7f":    "bell\uFFFD del\uFFFD",
		"c1 \u009b31m csi":    "c1 \uFFFD31m csi",
		"Rp50.000 BERHASIL ✓": "Rp50.000 BERHASIL ✓",
	} {
		if got := tableCell(in); got != want {
			t.Errorf("tableCell(%q) = %q, want %q", in, got, want)
		}
	}
}
