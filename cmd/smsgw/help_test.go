package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// TestHelpListsEveryCommand checks that `smsgw help` names every command
// dispatch runs, so a new command cannot be left out of the help.
func TestHelpListsEveryCommand(t *testing.T) {
	var out, errb bytes.Buffer
	if got := Main(context.Background(), []string{"help"}, strings.NewReader(""), &out, &errb); got != 0 {
		t.Fatalf("smsgw help = %d, want 0\n%s", got, errb.String())
	}
	help := out.String()
	names := []string{"version", "help"}
	for _, c := range commands {
		names = append(names, c.name)
	}
	for _, name := range names {
		if !strings.Contains(help, "\n  "+name+" ") {
			t.Errorf("smsgw help does not list %q:\n%s", name, help)
		}
	}
	if !strings.Contains(help, "\n  partner ") {
		t.Errorf("smsgw help does not list partner:\n%s", help)
	}
	if strings.Count(help, "usage:") != 1 {
		t.Errorf("smsgw help says usage: %d times, want once:\n%s", strings.Count(help, "usage:"), help)
	}
}

// TestHelpUsageOnce checks that usage errors start with one "usage:".
func TestHelpUsageOnce(t *testing.T) {
	for _, args := range [][]string{
		nil, {"nosuch"}, {"run", "x"}, {"customer"}, {"wallet"}, {"audit"}, {"partner"}, {"partner", "nosuch"},
		{"console"}, {"sim"}, {"migrate", "-nosuch"},
	} {
		var out, errb bytes.Buffer
		if got := Main(context.Background(), args, strings.NewReader(""), &out, &errb); got != 2 {
			t.Errorf("smsgw %q = %d, want 2\n%s", args, got, errb.String())
			continue
		}
		msg := errb.String()
		if !strings.HasPrefix(msg, "usage: ") || strings.Contains(msg, "usage: usage:") {
			t.Errorf("smsgw %q printed %q, want one leading \"usage: \"", args, msg)
		}
	}
}
