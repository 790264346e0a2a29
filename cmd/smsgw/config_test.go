package main

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestConfigDisplayTimezone checks that display.timezone is the zone of
// times shown to people: WIB by default, validated, and handed to the SMS
// rules (the console and the CLI take the same Config.location).
func TestConfigDisplayTimezone(t *testing.T) {
	at := time.Date(2026, 11, 23, 9, 30, 0, 0, time.UTC)
	for _, tc := range []struct {
		body string
		want string // the time as shown, or the error
	}{
		{"", "16:30 WIB"},
		{"[display]\ntimezone = \"Asia/Makassar\"\n", "17:30 WITA"},
		{"[display]\ntimezone = \"Mars/Olympus\"\n", "display.timezone"},
		{"[display]\ntimezone = \"\"\n", "display.timezone"},
	} {
		cfg, err := LoadConfig(writeConfig(t, fmt.Sprintf(consoleBase, false)+tc.body))
		if err != nil {
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("config %q: %v, want %q", tc.body, err, tc.want)
			}
			continue
		}
		rules, err := buildRules(&cfg)
		if err != nil {
			t.Fatalf("buildRules(%q): %v", tc.body, err)
		}
		if got := at.In(rules.Location).Format("15:04 MST"); got != tc.want {
			t.Errorf("config %q shows %s as %q, want %q", tc.body, at, got, tc.want)
		}
	}
	// The repository's config shows WIB.
	cfg, err := LoadConfig(filepath.Join("..", "..", "config.toml"))
	if err != nil {
		t.Fatal(err)
	}
	if loc, err := cfg.location(); err != nil || loc.String() != "Asia/Jakarta" {
		t.Errorf("repository config.toml display zone = %v, %v; want Asia/Jakarta", loc, err)
	}
}

// TestConfigValidatesRules checks that LoadConfig refuses reply templates
// and keyword aliases the daemon could not build, naming the section.
func TestConfigValidatesRules(t *testing.T) {
	for _, tc := range []struct{ body, want string }{
		{"[messages]\nsuccess = \"{{.Nope}}\"\n", "messages: reply \"success\""},
		{"[messages]\nno_such_reply = \"x\"\n", "messages: reply \"no_such_reply\""},
	} {
		_, err := LoadConfig(writeConfig(t, fmt.Sprintf(consoleBase, false)+tc.body))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("config %q = %v, want an error containing %q", tc.body, err, tc.want)
		}
	}
}

// The performance keys are checked and errors name them:
// the store's synchronous mode, a bind's workers and reply address.
func TestConfigPerformanceKeys(t *testing.T) {
	base := fmt.Sprintf(consoleBase, false)
	for _, tc := range []struct{ body, want string }{
		{"[database]\nsynchronous = \"off\"\n", "database.synchronous"},
		{"workers = 0\n", ""}, // 0 takes the default
		{"workers = 5000\n", "bind[0].workers"},
		{"reply_address = \"e164\"\n", "bind[0].reply_address"},
		{"reply_address = \"international\"\n", ""},
		{"[database]\nsynchronous = \"NORMAL\"\n", ""},
		{"[inbox]\nmax_backlog = -1\n", "inbox.max_backlog"},
		{"[inbox]\nbacklog_wait = \"1m\"\n", "inbox.backlog_wait"},
		{"[inbox]\nworkers = 0\n", "inbox.workers"},
		{"[inbox]\nmax_backlog = 0\ndefer_processing = true\n", ""},
	} {
		body := base + tc.body
		if strings.HasPrefix(tc.body, "[") {
			body = tc.body + base
		}
		_, err := LoadConfig(writeConfig(t, body))
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("config %q = %v, want it accepted", tc.body, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("config %q = %v, want an error naming %q", tc.body, err, tc.want)
		}
	}
}

// simulator.ussd_timeout defaults to 180s and is checked when the
// simulator runs.
func TestConfigSimulatorUSSDTimeout(t *testing.T) {
	cfg, err := LoadConfig(writeConfig(t, fmt.Sprintf(consoleBase, true)))
	if err != nil || cfg.Simulator.USSDTimeout.Duration != 180*time.Second {
		t.Fatalf("default ussd_timeout = %v, %v; want 180s", cfg.Simulator.USSDTimeout, err)
	}
	for body, want := range map[string]string{
		"[simulator]\nenabled = true\nussd_timeout = \"30s\"\n": "",
		"[simulator]\nenabled = true\nussd_timeout = \"0s\"\n":  "simulator.ussd_timeout",
		"[simulator]\nenabled = true\nussd_timeout = \"1h\"\n":  "simulator.ussd_timeout",
	} {
		_, err := LoadConfig(writeConfig(t, body+strings.SplitN(fmt.Sprintf(consoleBase, true), "enabled = true\n", 2)[1]))
		switch {
		case want == "" && err != nil:
			t.Errorf("config %q = %v, want it accepted", body, err)
		case want != "" && (err == nil || !strings.Contains(err.Error(), want)):
			t.Errorf("config %q = %v, want an error naming %q", body, err, want)
		}
	}
}
