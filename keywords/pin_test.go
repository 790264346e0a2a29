package keywords_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/smsgw/smsgw/domain"
	"github.com/smsgw/smsgw/keywords"
)

// secret is the PIN used by the redaction tests; no output may contain it
// or any four of its digits in a row.
const secret = "482915"

// assertNoPIN fails if out contains a run of secret's digits.
func assertNoPIN(t *testing.T, what, out string) {
	t.Helper()
	for i := 0; i+4 <= len(secret); i++ {
		if strings.Contains(out, secret[i:i+4]) {
			t.Errorf("%s = %q, contains PIN digits %q", what, out, secret[i:i+4])
			return
		}
	}
	if !strings.Contains(out, "****") {
		t.Errorf("%s = %q, want the redacted form ****", what, out)
	}
}

func TestPINRedactionFmt(t *testing.T) {
	p := domain.PIN(secret)
	verbs := []string{
		"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "% x", "%d", "%10s", "%-10v", "%.2s", "%08v", "%U", "%c",
	}
	values := map[string]any{
		"PIN":        p,
		"*PIN":       &p,
		"PINReply":   keywords.PINReply{PIN: p},
		"ChangePIN":  keywords.ChangePIN{Old: p, New: p},
		"*ChangePIN": &keywords.ChangePIN{Old: p, New: p},
		"[]PIN":      []domain.PIN{p, p},
		"map":        map[string]domain.PIN{"pin": p},
		"Command":    []keywords.Command{keywords.PINReply{PIN: p}},
	}
	for name, v := range values {
		for _, verb := range verbs {
			assertNoPIN(t, fmt.Sprintf("Sprintf(%q, %s)", verb, name), fmt.Sprintf(verb, v))
		}
		assertNoPIN(t, "Sprint("+name+")", fmt.Sprint(v))
		assertNoPIN(t, "Sprintln("+name+")", fmt.Sprintln(v))
	}
	if got, want := p.String(), "****"; got != want {
		t.Errorf("PIN.String() = %q, want %q", got, want)
	}
	if got, want := p.GoString(), `domain.PIN("****")`; got != want {
		t.Errorf("PIN.GoString() = %q, want %q", got, want)
	}
	if got, want := fmt.Sprintf("%q", p), `"****"`; got != want {
		t.Errorf("Sprintf(%%q, PIN) = %q, want %q", got, want)
	}
	if got := p.Reveal(); got != secret {
		t.Errorf("PIN.Reveal() = %q, want %q", got, secret)
	}
}

func TestPINRedactionMarshal(t *testing.T) {
	p := domain.PIN(secret)
	text, err := p.MarshalText()
	if err != nil {
		t.Fatalf("MarshalText() error = %v", err)
	}
	assertNoPIN(t, "MarshalText()", string(text))
	for name, v := range map[string]any{
		"PIN":       p,
		"ChangePIN": keywords.ChangePIN{Old: p, New: p},
		"map":       map[string]domain.PIN{"pin": p},
	} {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatalf("json.Marshal(%s) error = %v", name, err)
		}
		assertNoPIN(t, "json.Marshal("+name+")", string(b))
	}
}

func TestPINRedactionSlog(t *testing.T) {
	p := domain.PIN(secret)
	// The time is dropped: its digits could match the PIN by chance.
	opts := &slog.HandlerOptions{ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
		if a.Key == slog.TimeKey && len(groups) == 0 {
			return slog.Attr{}
		}
		return a
	}}
	handlers := map[string]func(*bytes.Buffer) slog.Handler{
		"json": func(b *bytes.Buffer) slog.Handler { return slog.NewJSONHandler(b, opts) },
		"text": func(b *bytes.Buffer) slog.Handler { return slog.NewTextHandler(b, opts) },
	}
	for name, newHandler := range handlers {
		t.Run(name, func(t *testing.T) {
			var buf bytes.Buffer
			log := slog.New(newHandler(&buf))
			log.Info("pin", "pin", p)
			log.Info("ptr", "pin", &p)
			log.Info("any", slog.Any("pin", p))
			log.Info("reply", "cmd", keywords.PINReply{PIN: p})
			log.Info("change", "cmd", keywords.ChangePIN{Old: p, New: p})
			log.Info("command", "cmd", keywords.Command(keywords.ChangePIN{Old: p, New: p}))
			log.Info("group", slog.Group("g", "pin", p))
			log.With("pin", p).Info("with")
			log.Info("slice", "pins", []domain.PIN{p})
			for _, line := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
				assertNoPIN(t, name+" handler output", line)
			}
		})
	}
}

func TestParsePIN(t *testing.T) {
	tests := []struct {
		in       string
		min, max int
		want     string
	}{
		{"123456", 6, 6, "123456"},
		{" 123456 ", 6, 6, "123456"},
		{"\n123456\t", 6, 6, "123456"},
		{"PIN 123456", 6, 6, "123456"},
		{"pin 123456", 6, 6, "123456"},
		{"Pin:123456", 6, 6, "123456"},
		{"123456.", 6, 6, "123456"},
		{"1234", 4, 6, "1234"},
		{"000000", 6, 6, "000000"},
		{"123456789012", 4, 12, "123456789012"},
	}
	for _, tc := range tests {
		got, err := keywords.ParsePIN(tc.in, tc.min, tc.max)
		if err != nil || got.Reveal() != tc.want {
			t.Errorf("ParsePIN(%q, %d, %d) = %q, %v, want %q, nil", tc.in, tc.min, tc.max, got.Reveal(), err, tc.want)
		}
	}
}

func TestParsePINErrors(t *testing.T) {
	tests := []struct {
		in       string
		min, max int
		want     error
	}{
		{"", 6, 6, keywords.ErrEmptyValue},
		{"  ", 6, 6, keywords.ErrEmptyValue},
		{"PIN", 6, 6, keywords.ErrEmptyValue},
		{"12345", 6, 6, keywords.ErrPINLength},
		{"1234567", 6, 6, keywords.ErrPINLength},
		{"123", 4, 6, keywords.ErrPINLength},
		{"12 3456", 6, 6, keywords.ErrPINSyntax},
		{"12a456", 6, 6, keywords.ErrPINSyntax},
		{"-123456", 6, 6, keywords.ErrPINSyntax},
		{"１２３４５６", 6, 6, keywords.ErrPINSyntax},
		// A PIN is ASCII digits: other scripts' digits are refused, never
		// read as a PIN (the gateway asks for the PIN again).
		{"٢٤٦٨٠٥", 6, 6, keywords.ErrPINSyntax},
		{"۲۴۶۸۰۵", 6, 6, keywords.ErrPINSyntax},
		{"PIN ٢٤٦٨٠٥", 6, 6, keywords.ErrPINSyntax},
		{"24٦٨05", 6, 6, keywords.ErrPINSyntax},
		{"PIN 123456 654321", 6, 6, keywords.ErrPINSyntax},
		{"PINK", 6, 6, keywords.ErrPINSyntax},
		{"PIN123456", 6, 6, keywords.ErrPINSyntax},
	}
	for _, tc := range tests {
		got, err := keywords.ParsePIN(tc.in, tc.min, tc.max)
		if !errors.Is(err, tc.want) || !errors.Is(err, keywords.BadPIN) {
			t.Errorf("ParsePIN(%q, %d, %d) = %q, %v, want error %v", tc.in, tc.min, tc.max, got.Reveal(), err, tc.want)
		}
		if err != nil && strings.Contains(err.Error(), "123") {
			t.Errorf("ParsePIN(%q, %d, %d) error %q contains PIN digits", tc.in, tc.min, tc.max, err)
		}
	}
	for _, b := range [][2]int{{0, 6}, {3, 6}, {6, 5}, {6, 13}} {
		if _, err := keywords.ParsePIN("123456", b[0], b[1]); keywords.KindOf(err) != keywords.BadPIN {
			t.Errorf("ParsePIN(%q, %d, %d) error = %v, want kind %v", "123456", b[0], b[1], err, keywords.BadPIN)
		}
	}
}
