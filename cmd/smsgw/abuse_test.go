package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/smsgw/smsgw/smsgw"
)

// The [abuse] keys: bad values are errors naming the key, the defaults
// and the repository's config.toml turn both limits on, and 0 turns each
// off; buildRules hands them to the gateway.
func TestAbuseConfig(t *testing.T) {
	const bind = "[[bind]]\nname = \"a\"\nhost = \"h\"\nport = 1\nsystem_id = \"x\"\n"
	write := func(body string) string {
		p := filepath.Join(t.TempDir(), "c.toml")
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	for _, c := range []struct{ body, want string }{
		{"[abuse]\nmo_per_minute = -1\n", "abuse.mo_per_minute"},
		{"[abuse]\nmo_per_minute = 6001\n", "abuse.mo_per_minute"},
		{"[abuse]\nmo_burst = 0\n", "abuse.mo_burst"},
		{"[abuse]\nmo_block = \"10s\"\n", "abuse.mo_block"},
		{"[abuse]\nmo_block = \"soon\"\n", "mo_block"},
		{"[abuse]\nmax_accounts = -2\n", "abuse.max_accounts"},
		{"[abuse]\naccount_window = \"30s\"\n", "abuse.account_window"},
		{"[abuse]\nmax_acounts = 3\n", "max_acounts"},
	} {
		_, err := LoadConfig(write(bind + c.body))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("LoadConfig(%q) = %v, want an error naming %q", c.body, err, c.want)
		}
	}

	cfg, err := LoadConfig(write(bind))
	if err != nil {
		t.Fatal(err)
	}
	r, err := buildRules(&cfg)
	if err != nil {
		t.Fatal(err)
	}
	want := smsgw.AbuseRules{MOPerMinute: 6, MOBurst: 10, MOBlock: 5 * time.Minute, MaxAccounts: 5, AccountWindow: time.Hour}
	if r.Abuse != want {
		t.Errorf("default abuse rules = %+v, want %+v", r.Abuse, want)
	}
	repo, err := LoadConfig("../../config.toml")
	if err != nil {
		t.Fatal(err)
	}
	if repo.Abuse != cfg.Abuse {
		t.Errorf("config.toml [abuse] = %+v, want the defaults %+v", repo.Abuse, cfg.Abuse)
	}

	// 0 turns a limit off; the other keys are then not checked.
	cfg, err = LoadConfig(write(bind + "[abuse]\nmo_per_minute = 0\nmo_burst = 0\nmax_accounts = 0\naccount_window = \"1s\"\n"))
	if err != nil {
		t.Fatalf("LoadConfig(limits off) = %v", err)
	}
	if r, err = buildRules(&cfg); err != nil {
		t.Fatal(err)
	}
	if r.Abuse.MOPerMinute != 0 || r.Abuse.MaxAccounts != 0 {
		t.Errorf("abuse rules with limits off = %+v", r.Abuse)
	}
}
