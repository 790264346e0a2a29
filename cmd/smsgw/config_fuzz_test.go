package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzConfig feeds arbitrary TOML to the config loader: it must never panic,
// and a config it accepts must also build the reloadable rules.
func FuzzConfig(f *testing.F) {
	repo, err := os.ReadFile("../../config.toml")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(string(repo))
	f.Add("[[bind]]\nname = \"a\"\nhost = \"h\"\nport = 1\nsystem_id = \"x\"\n")
	f.Add("[nominal]\nallowed = [1, 2]\n")
	f.Add("[log\n")
	f.Add("[messages]\nhelp = \"{{.Nope\"\n")
	dir := f.TempDir()
	path := filepath.Join(dir, "c.toml")
	f.Fuzz(func(t *testing.T, body string) {
		if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		cfg, err := LoadConfig(path)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "config ") {
				t.Fatalf("error %q does not say it is about the config", err)
			}
			return
		}
		_, _ = buildRules(&cfg)
	})
}
