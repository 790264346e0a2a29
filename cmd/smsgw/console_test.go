package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/smsgw/smsgw/console"
	"github.com/smsgw/smsgw/report"
)

// The demo console user of the repository's config.toml (public demo
// data, like the demo customers' PINs).
const (
	consoleDemoUser     = "demo"
	consoleDemoPassword = "smsgw-demo"
)

// consoleBase is a config that passes validation, for the [console] cases.
const consoleBase = `
[simulator]
enabled = %v
[[bind]]
name = "smsc"
host = "127.0.0.1"
port = 2775
system_id = "smsgw"
`

func writeConfig(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "config.toml")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestConsoleConfig(t *testing.T) {
	good, err := console.HashPassword("a-good-password")
	if err != nil {
		t.Fatal(err)
	}
	user := func(fields string) string {
		return "[[console.users]]\nname = \"ana\"\nrole = \"admin\"\n" + fields + "\n"
	}
	for _, tc := range []struct {
		sim  bool
		body string
		want string // "" for valid
	}{
		{false, "[console]\nenabled = false\n", ""},
		{false, "[console]\nenabled = true\n" + user(fmt.Sprintf("password_hash = %q", good)), ""},
		{false, "[console]\nenabled = true\n" + user(`password_hash_env = "SOME_VAR"`), ""},
		{true, "[console]\nenabled = true\n" + user(`demo_password = "demo-pass"`), ""},
		{false, "[console]\nenabled = true\n", "console.users: at least one user"},
		{false, user(`demo_password = "demo-pass"`), "console.users[0].demo_password: demo users are only allowed with simulator.enabled = true"},
		{true, user(`demo_password = "short"`), "console.users[0].demo_password: must have at least 8"},
		{false, user(`password_hash = "plain"`), "console.users[0].password_hash: console: password hash must be"},
		{false, user(""), "console.users[0].password_hash: set exactly one"},
		{false, user(fmt.Sprintf("password_hash = %q\npassword_hash_env = \"X\"", good)), "set exactly one"},
		{false, "[[console.users]]\nname = \"ana\"\nrole = \"root\"\npassword_hash_env = \"X\"\n", "console.users[0].role: must be viewer or admin"},
		{false, "[[console.users]]\nrole = \"admin\"\npassword_hash_env = \"X\"\n", "console.users[0].name: required"},
		{false, user(`password_hash_env = "X"`) + "[[console.users]]\nname = \"ANA\"\nrole = \"viewer\"\npassword_hash_env = \"Y\"\n", "console.users[1].name: duplicate"},
		{false, "[console]\nsession_lifetime = \"1s\"\n", "console.session_lifetime: must be at least 1m"},
		{false, "[console]\nidle_timeout = \"10s\"\n", "console.idle_timeout: must be at least 1m"},
		{false, "[console]\nlogin_attempts = -1\n", "console.login_attempts"},
		{false, "[console]\npage_size = 5000\n", "console.page_size"},
		{false, "[console]\nexport_rows = -5\n", "console.export_rows"},
		{false, "[console]\nlock_durations = [\"10s\"]\n", "console.lock_durations[0]: must be at least 1m"},
		{false, "[console]\nlogin_window = \"x\"\n", "console.login_window): not a duration"},
		{false, "[http]\nlisten = \"\"\n[console]\nenabled = true\n" + user(`password_hash_env = "X"`), "console.enabled: the console needs http.listen"},
		{false, "[console]\ncolour = \"blue\"\n", "unknown key console.colour"},
	} {
		_, err := LoadConfig(writeConfig(t, fmt.Sprintf(consoleBase, tc.sim)+tc.body))
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("config %q: %v", tc.body, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("config %q = %v, want an error containing %q", tc.body, err, tc.want)
		}
	}
	// The repository's config enables the console with the demo user.
	cfg, err := LoadConfig(filepath.Join("..", "..", "config.toml"))
	if err != nil {
		t.Fatalf("repository config.toml: %v", err)
	}
	if !cfg.Console.Enabled || len(cfg.Console.Users) != 1 || cfg.Console.Users[0].Name != consoleDemoUser ||
		cfg.Console.Users[0].DemoPassword != consoleDemoPassword {
		t.Errorf("repository console config = %+v, want the demo user", cfg.Console)
	}
}

func TestConsoleUsersFromEnv(t *testing.T) {
	good, err := console.HashPassword("a-good-password")
	if err != nil {
		t.Fatal(err)
	}
	c := ConsoleConfig{Users: []ConsoleUser{{Name: "ana", Role: "admin", PasswordHashEnv: "SMSGW_TEST_CONSOLE_HASH"}}}
	if _, err := c.consoleUsers(); err == nil || !strings.Contains(err.Error(), "console.users[0].password_hash_env: $SMSGW_TEST_CONSOLE_HASH is not set") {
		t.Errorf("consoleUsers without the variable = %v", err)
	}
	t.Setenv("SMSGW_TEST_CONSOLE_HASH", "not-a-hash")
	if _, err := c.consoleUsers(); err == nil || !strings.Contains(err.Error(), "password_hash_env") {
		t.Errorf("consoleUsers with a bad hash = %v", err)
	}
	t.Setenv("SMSGW_TEST_CONSOLE_HASH", good+"\n")
	users, err := c.consoleUsers()
	if err != nil || len(users) != 1 || users[0].PasswordHash != good || users[0].Role != console.RoleAdmin {
		t.Errorf("consoleUsers = %+v, %v", users, err)
	}
	demo := ConsoleConfig{Users: []ConsoleUser{{Name: "demo", Role: "viewer", DemoPassword: "demo-password"}}}
	users, err = demo.consoleUsers()
	if err != nil || len(users) != 1 || console.CheckHash(users[0].PasswordHash) != nil || strings.Contains(users[0].PasswordHash, "demo-password") {
		t.Errorf("demo user = %+v, %v; want a hash of the demo password", users, err)
	}
}

func TestConsoleHashPassword(t *testing.T) {
	var out, errb bytes.Buffer
	code := Main(t.Context(), []string{"console", "hash-password"}, strings.NewReader("a long password\n"), &out, &errb)
	h := strings.TrimSpace(out.String())
	if code != 0 || !strings.HasPrefix(h, "$argon2id$v=19$") || console.CheckHash(h) != nil {
		t.Fatalf("console hash-password = %d %q %q", code, out.String(), errb.String())
	}
	if strings.Contains(out.String()+errb.String(), "a long password") {
		t.Errorf("hash-password echoes the password")
	}
	// The hash logs in.
	cfg := fmt.Sprintf(consoleBase, false) + "[http]\nlisten = \"127.0.0.1:1\"\n[console]\nenabled = true\n[[console.users]]\nname = \"ana\"\nrole = \"viewer\"\npassword_hash = " + fmt.Sprintf("%q", h) + "\n"
	if _, err := LoadConfig(writeConfig(t, cfg)); err != nil {
		t.Errorf("config with the new hash: %v", err)
	}
	for _, tc := range []struct {
		args  []string
		stdin string
		code  int
	}{
		{[]string{"console", "hash-password"}, "short\n", 1},
		{[]string{"console", "hash-password", "secret-in-argv"}, "a long password\n", 2},
		{[]string{"console"}, "", 2},
		{[]string{"console", "hash-password"}, "", 1},
	} {
		out.Reset()
		errb.Reset()
		if got := Main(t.Context(), tc.args, strings.NewReader(tc.stdin), &out, &errb); got != tc.code {
			t.Errorf("smsgw %v = %d, want %d (%s)", tc.args, got, tc.code, errb.String())
		}
	}
}

func TestAuditUsage(t *testing.T) {
	cfg := writeConfig(t, fmt.Sprintf(consoleBase, false)+"[database]\npath = \"gw.db\"\n")
	for _, args := range [][]string{
		{"audit"},
		{"audit", "nope"},
		{"audit", "sms", "extra"},
		{"audit", "sms", "-format", "xml"},
		{"audit", "sms", "-limit", "0"},
		{"audit", "sms", "-state", "open"}, // not a filter of the SMS log
		{"audit", "tx"},
		{"audit", "tx", "abc"},
		{"audit", "sms", "-msisdn", "abc", "-config", cfg},
		{"audit", "ledger", "-config", cfg}, // the account is required
	} {
		var out, errb bytes.Buffer
		if got := Main(t.Context(), args, strings.NewReader(""), &out, &errb); got != 2 {
			t.Errorf("smsgw %v = %d, want 2 (usage)\n%s", args, got, errb.String())
		}
	}
	var out, errb bytes.Buffer
	if got := Main(t.Context(), []string{"audit", "tx", "42", "-config", cfg}, strings.NewReader(""), &out, &errb); got != 1 ||
		!strings.Contains(errb.String(), "audit tx 42: not found") {
		t.Errorf("audit tx of an unknown session = %d %q", got, errb.String())
	}
	out.Reset()
	if got := Main(t.Context(), []string{"audit", "sms", "-config", cfg, "-format", "json"}, strings.NewReader(""), &out, &errb); got != 0 || strings.TrimSpace(out.String()) != "[]" {
		t.Errorf("audit sms of an empty store = %d %q", got, out.String())
	}
}

// TestE2EConsoleAndAudit runs the daemon with the console enabled: a top-up
// with a wrong PIN first, the operator's audit of it in the console, bind
// suspend and resume, then the same data through `smsgw audit`.
func TestE2EConsoleAndAudit(t *testing.T) {
	e := newE2E(t, "")
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	body, err := os.ReadFile(e.config)
	if err != nil {
		t.Fatal(err)
	}
	adminHash, err := console.HashPassword("admin-password")
	if err != nil {
		t.Fatal(err)
	}
	viewerHash, err := bcrypt.GenerateFromPassword([]byte("viewer-password"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("SMSGW_TEST_ADMIN_HASH", adminHash)
	cfg := strings.Replace(string(body), "listen = \"\"", fmt.Sprintf("listen = %q", addr), 1) + fmt.Sprintf(`
[console]
enabled = true
page_size = 100
[[console.users]]
name = "ana"
role = "admin"
password_hash_env = "SMSGW_TEST_ADMIN_HASH"
[[console.users]]
name = "vic"
role = "viewer"
password_hash = %q
`, viewerHash)
	if err := os.WriteFile(e.config, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	const wrongPIN = "975310"
	e.start()
	e.mo(e2ePayer, "9779", "IM2PAY "+e2eAccount+" 50000")
	e.reply("3355", "Balas SMS ini dengan PIN")
	e.mo(e2ePayer, "3355", wrongPIN)
	e.reply("3355", "PIN salah")
	e.mo(e2ePayer, "3355", e2ePIN)
	e.reply("3355", "BERHASIL")

	base := "http://" + addr
	var seen []string // every page and export body, checked for PINs at the end
	c := newConsoleClient(t, base)
	if res := c.get("/console"); res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/console/" {
		t.Errorf("GET /console = %d to %q", res.StatusCode, res.Header.Get("Location"))
	}
	if res := c.get("/console/sms"); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("SMS log without login = %d, want 303", res.StatusCode)
	}
	c.login("ana", "admin-password")
	page := c.body("/console/sms?msisdn=" + e2ePayer)
	seen = append(seen, page)
	m := regexp.MustCompile(`class="tx-link" href="(/console/tx/\d+)"`).FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("SMS log has no transaction link:\n%s", page)
	}
	tx := c.body(m[1])
	seen = append(seen, tx)
	for _, want := range []string{`data-state="confirmed"`, `id="transfer-amount">Rp50.000<`, `data-step="mo"`, `data-step="pin_prompt"`,
		`data-step="pin"`, `data-step="transfer"`, `data-step="result"`} {
		if !strings.Contains(tx, want) {
			t.Errorf("transaction page lacks %s", want)
		}
	}
	ledger := c.body("/console/ledger?account=" + e2eAccount)
	seen = append(seen, ledger, c.body("/console/"), c.body("/console/sessions"), c.body("/console/customers"),
		c.body("/console/sms?format=csv"), c.body("/console/sms?format=json"), c.body(m[1]+"?format=json"))
	if !strings.Contains(ledger, `id="balance">Rp50.000<`) || !strings.Contains(ledger, `data-sound="true"`) {
		t.Errorf("ledger page lacks the balance:\n%s", ledger)
	}

	// Suspend the bind from the console: /readyz goes down, then resume.
	res := c.post("/console/binds/smsc/suspend")
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("suspend = %d", res.StatusCode)
	}
	if !strings.Contains(c.body("/console/"), `id="bind-smsc" data-bound="false" data-suspended="true"`) {
		t.Errorf("dashboard does not show the bind suspended")
	}
	waitStatus(t, base+"/readyz", http.StatusServiceUnavailable)
	if res := c.post("/console/binds/smsc/resume"); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("resume = %d", res.StatusCode)
	}
	waitStatus(t, base+"/readyz", http.StatusOK)
	v := newConsoleClient(t, base)
	v.login("vic", "viewer-password")
	if res := v.post("/console/binds/smsc/suspend"); res.StatusCode != http.StatusForbidden {
		t.Errorf("viewer suspend = %d, want 403", res.StatusCode)
	}
	e.stop()

	// The same data from the command line, with the daemon stopped.
	out := e.cli("", "audit", "sms", "-msisdn", e2ePayer, "-format", "csv")
	seen = append(seen, out)
	recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil || len(recs) != 7 { // header + 3 MOs + 3 MTs
		t.Errorf("audit sms csv = %d records, %v\n%s", len(recs), err, out)
	}
	out = e.cli("", "audit", "sessions", "-state", "confirmed", "-format", "json")
	seen = append(seen, out)
	var sessions []report.SessionRecord
	if err := json.Unmarshal([]byte(out), &sessions); err != nil || len(sessions) != 1 || sessions[0].Amount != 50_000 || sessions[0].Attempts != 1 {
		t.Fatalf("audit sessions json = %+v, %v\n%s", sessions, err, out)
	}
	out = e.cli("", "audit", "tx", fmt.Sprint(sessions[0].ID))
	seen = append(seen, out)
	for _, want := range []string{"STEP", "pin_prompt", "transfer", "result", "****"} {
		if !strings.Contains(out, want) {
			t.Errorf("audit tx lacks %s:\n%s", want, out)
		}
	}
	out = e.cli("", "audit", "transfer", fmt.Sprint(sessions[0].TransferID), "-format", "json")
	seen = append(seen, out)
	var txr report.TransactionRecord
	if err := json.Unmarshal([]byte(out), &txr); err != nil || txr.Session == nil || txr.Session.ID != sessions[0].ID {
		t.Errorf("audit transfer json = %+v, %v", txr, err)
	}
	out = e.cli("", "audit", "ledger", "-account", e2eAccount)
	seen = append(seen, out)
	if !strings.Contains(out, "50000") || !strings.Contains(out, "sms_topup") {
		t.Errorf("audit ledger:\n%s", out)
	}
	out = e.cli("", "audit", "trail", "-actor", "ana")
	seen = append(seen, out)
	for _, want := range []string{"console.login", "bind.suspend", "bind.resume", "smsc"} {
		if !strings.Contains(out, want) {
			t.Errorf("audit trail lacks %s:\n%s", want, out)
		}
	}
	if strings.Contains(out, "bind.suspend") && strings.Count(out, "bind.suspend") != 1 {
		t.Errorf("the viewer's refused suspend was audited:\n%s", out)
	}
	cmd := exec.Command(e.bin, "audit", "sms", "-status", "lost", "-config", e.config)
	cmd.Env = e.env()
	if out, err := cmd.CombinedOutput(); err == nil || cmd.ProcessState.ExitCode() != 2 || !strings.Contains(string(out), "-status: want one of") {
		t.Errorf("audit with a bad filter = %v %q, want exit 2 naming -status", err, out)
	}
	for i, s := range seen {
		for _, pin := range []string{e2ePIN, wrongPIN} {
			if strings.Contains(s, pin) {
				t.Errorf("output %d shows a PIN", i)
			}
		}
	}
}

// consoleClient is a browser for the daemon's console.
type consoleClient struct {
	t    *testing.T
	base string
	c    *http.Client
	csrf string
}

func newConsoleClient(t *testing.T, base string) *consoleClient {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &consoleClient{t: t, base: base, c: &http.Client{
		Jar: jar, Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

var consoleCSRF = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func (c *consoleClient) get(path string) *http.Response {
	c.t.Helper()
	res, err := c.c.Get(c.base + path)
	if err != nil {
		c.t.Fatal(err)
	}
	return res
}

func (c *consoleClient) body(path string) string {
	c.t.Helper()
	res := c.get(path)
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	if res.StatusCode != http.StatusOK {
		c.t.Fatalf("GET %s = %d\n%s", path, res.StatusCode, b)
	}
	return string(b)
}

func (c *consoleClient) post(path string) *http.Response {
	c.t.Helper()
	res, err := c.c.PostForm(c.base+path, url.Values{"csrf": {c.csrf}})
	if err != nil {
		c.t.Fatal(err)
	}
	res.Body.Close()
	return res
}

func (c *consoleClient) login(name, password string) {
	c.t.Helper()
	m := consoleCSRF.FindStringSubmatch(c.body("/console/login"))
	if m == nil {
		c.t.Fatal("login page has no CSRF token")
	}
	res, err := c.c.PostForm(c.base+"/console/login", url.Values{"username": {name}, "password": {password}, "csrf": {m[1]}})
	if err != nil {
		c.t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther {
		c.t.Fatalf("login as %s = %d", name, res.StatusCode)
	}
	m = consoleCSRF.FindStringSubmatch(c.body("/console/"))
	if m == nil {
		c.t.Fatal("dashboard has no CSRF token")
	}
	c.csrf = m[1]
}

// waitStatus polls url until it answers with status.
func waitStatus(t *testing.T, url string, status int) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		res, err := http.Get(url)
		if err == nil {
			res.Body.Close()
			if res.StatusCode == status {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not answer %d within 20s", url, status)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
