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

// TestPartnerUsage checks that `smsgw partner` formats its synopsis as the
// other commands do: one "usage: " in front, then the command, also for an
// unknown subcommand; -h prints the synopsis alone.
func TestPartnerUsage(t *testing.T) {
	for _, args := range [][]string{{"partner"}, {"partner", "nosuch"}, {"partner", "list", "extra"}} {
		var out, errb bytes.Buffer
		if got := Main(context.Background(), args, strings.NewReader(""), &out, &errb); got != 2 {
			t.Fatalf("smsgw %q = %d, want 2\n%s", args, got, errb.String())
		}
		msg := errb.String()
		if n := strings.Count(msg, "usage:"); n != 1 {
			t.Errorf("smsgw %q says usage: %d times, want once:\n%s", args, n, msg)
		}
		if !strings.Contains(msg, "\n"+partnerUsage) && !strings.HasPrefix(msg, "usage: "+partnerUsage) {
			t.Errorf("smsgw %q does not print the partner synopsis:\n%s", args, msg)
		}
	}
	var out, errb bytes.Buffer
	if got := Main(context.Background(), []string{"partner"}, strings.NewReader(""), &out, &errb); got != 2 ||
		errb.String() != "usage: "+partnerUsage+"\n" {
		t.Errorf("smsgw partner = %d %q, want usage: and the synopsis", got, errb.String())
	}
	out.Reset()
	if got := Main(context.Background(), []string{"partner", "list", "-h"}, strings.NewReader(""), &out, &errb); got != 0 ||
		out.String() != partnerUsage+"\n" {
		t.Errorf("smsgw partner list -h = %d %q, want the synopsis on stdout", got, out.String())
	}
	if !strings.HasPrefix(partnerUsage, "partner ") {
		t.Errorf("partnerUsage = %q, want it to start with the command like the others", partnerUsage)
	}
}
