package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// The browser test drives the real daemon, started with the repository's
// own config.toml (simulator, web phone, demo customers and the demo
// console user), from headless Chromium: a top-up from the web phone, then
// the operator's audit of it in the console. scripts/test sets
// SMSGW_BROWSER=1, which turns a missing Chromium into a failure; without
// it the test is skipped when Chromium is not installed. Screenshots go to
// $SMSGW_ARTIFACTS (default <repo>/artifacts/browser).

const (
	browserPayer = "08110000002"
	browserPIN   = "654321" // demo data of config.toml
)

func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, name := range []string{os.Getenv("SMSGW_CHROMIUM"), "chromium", "chromium-browser", "google-chrome"} {
		if name == "" {
			continue
		}
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("SMSGW_BROWSER") == "1" {
		t.Fatal("SMSGW_BROWSER=1 but no Chromium found (bash scripts/install-peers installs Debian's chromium)")
	}
	t.Skip("no Chromium (set SMSGW_BROWSER=1 to require it)")
	return ""
}

// repoConfig is the repository's config.toml with its loopback ports moved
// to free ones and extra appended, in dir (so data/ lands there too).
func repoConfig(t *testing.T, dir, extra string) (path string, httpAddr string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "config.toml"))
	if err != nil {
		t.Fatal(err)
	}
	cfg := string(b)
	httpAddr = "127.0.0.1:" + strconv.Itoa(freePort(t))
	smpp, smpp2 := freePort(t), freePort(t)
	for old, repl := range map[string]string{
		`listen = "127.0.0.1:8080"`: fmt.Sprintf("listen = %q", httpAddr),
		`listen = "127.0.0.1:2775"`: fmt.Sprintf(`listen = "127.0.0.1:%d"`, smpp),
		"port = 2775":               fmt.Sprintf("port = %d", smpp),
		`listen = "127.0.0.1:2776"`: fmt.Sprintf(`listen = "127.0.0.1:%d"`, smpp2), // the second operator's SMSC
		"port = 2776":               fmt.Sprintf("port = %d", smpp2),
	} {
		if !strings.Contains(cfg, old) {
			t.Fatalf("config.toml no longer has %s", old)
		}
		cfg = strings.ReplaceAll(cfg, old, repl)
	}
	path = filepath.Join(dir, "config.toml")
	if err := os.WriteFile(path, []byte(cfg+extra), 0o600); err != nil {
		t.Fatal(err)
	}
	return path, httpAddr
}

func artifactsDir(t *testing.T) string {
	dir := os.Getenv("SMSGW_ARTIFACTS")
	if dir == "" {
		dir = filepath.Join("..", "..", "artifacts")
	}
	dir = filepath.Join(dir, "browser")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// browserRun is the daemon, started on the repository's config.toml, and a
// headless Chromium to drive its pages.
type browserRun struct {
	t      *testing.T
	base   string // the daemon's HTTP base URL
	dir    string // the daemon's working directory (data/ is there)
	config string // the config file it runs with
	bin    string
	logs   *syncBuffer
	ctx    context.Context // the browser tab, bounded by 90s
	shots  string          // where screenshots go
}

// startBrowser starts the daemon and Chromium; both stop when the test
// ends, the daemon's log shown if it failed.
func startBrowser(t *testing.T) *browserRun {
	t.Helper()
	return startBrowserWith(t, "")
}

// startBrowserWith is startBrowser with extra appended to the config.
func startBrowserWith(t *testing.T, extra string) *browserRun {
	t.Helper()
	if testing.Short() {
		t.Skip("browser test")
	}
	chrome := chromiumPath(t)
	bin := daemonBinary(t)
	dir := t.TempDir()
	config, addr := repoConfig(t, dir, extra)
	base := "http://" + addr

	proc := exec.Command(bin, "run", "-config", config)
	proc.Dir = dir
	// The config's key file, created on first start, unless the environment
	// brings a key.
	proc.Env = browserEnv()
	logs := &syncBuffer{}
	proc.Stdout, proc.Stderr = logs, logs
	if err := proc.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { _ = proc.Wait(); close(exited) }()
	t.Cleanup(func() {
		_ = proc.Process.Signal(os.Interrupt)
		select {
		case <-exited:
		case <-time.After(20 * time.Second):
			_ = proc.Process.Kill()
			<-exited
		}
		if t.Failed() {
			t.Logf("daemon log:\n%s", logs.String())
		}
	})
	waitReady(t, base+"/readyz", exited)

	alloc, cancelAlloc := chromedp.NewExecAllocator(t.Context(),
		chromedp.ExecPath(chrome),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true), // small /dev/shm in containers
		chromedp.WindowSize(1280, 900),
		chromedp.UserDataDir(filepath.Join(dir, "chromium")),
	)
	t.Cleanup(cancelAlloc)
	ctx, cancelCtx := chromedp.NewContext(alloc)
	t.Cleanup(cancelCtx)
	ctx, cancel := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(cancel)
	return &browserRun{t: t, base: base, dir: dir, config: config, bin: bin, logs: logs, ctx: ctx, shots: artifactsDir(t)}
}

// browserEnv is the environment of the daemon and its CLI: the config's
// key file, unless the environment brings a key.
func browserEnv() []string {
	return slices.DeleteFunc(os.Environ(), func(kv string) bool { return strings.HasPrefix(kv, "SMSGW_PIN_KEY=") })
}

// shot saves a screenshot as name.png.
func (b *browserRun) shot(name string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		png, err := chromedp.FullScreenshot(100)(ctx, tg)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(b.shots, name+".png"), png, 0o644)
	})
}

// do runs the actions of one step; on failure it saves a screenshot and
// fails the test.
func (b *browserRun) do(step string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, actions...); err != nil {
		_ = chromedp.Do(b.ctx, b.shot("failed-"+step))
		b.t.Fatalf("%s: %v", step, err)
	}
}

func TestBrowserTopUpAndConsoleAudit(t *testing.T) {
	b := startBrowser(t)
	base, logs, ctx, shots, shot, do := b.base, b.logs, b.ctx, b.shots, b.shot, b.do

	var pages []string // every console page as rendered
	keepPage := chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		html, err := chromedp.OuterHTML(chromedp.CSS("html"))(ctx, tg)
		pages = append(pages, html)
		return err
	})
	text := func(sel string, into *string) chromedp.Action[chromedp.Void] {
		return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) (err error) {
			*into, err = chromedp.Text(chromedp.CSS(sel))(ctx, tg)
			return err
		})
	}
	// mtWith waits until the phone's thread holds a reply from code with text.
	mtWith := func(code, text string) chromedp.Action[chromedp.Void] {
		return chromedp.Poll[chromedp.Void](fmt.Sprintf(`[...document.querySelectorAll('#thread li.msg.mt[data-code="%s"]')]
			.some(e => e.textContent.includes(%q))`, code, text), chromedp.WithPollingTimeout(30*time.Second))
	}
	css := func(sel string) chromedp.CSS { return chromedp.CSS(sel) }

	// The customer: IM2PAY to 9779, the PIN prompt from 3355, the PIN to 3355.
	do("phone request",
		chromedp.Navigate(base+"/phone"),
		chromedp.WaitVisible(css("#msisdn")),
		chromedp.SetValue(css("#msisdn"), browserPayer),
		chromedp.SetValue(css("#to"), "9779"),
		chromedp.SetValue(css("#text"), "IM2PAY "+browserPayer+" 50000"),
		chromedp.Click(css("#send")),
		mtWith("3355", "PIN"),
	)
	do("phone PIN",
		chromedp.SetValue(css("#to"), "3355"),
		chromedp.SetValue(css("#text"), browserPIN),
		chromedp.Click(css("#send")),
		mtWith("3355", "BERHASIL"),
		shot("1-phone"),
	)
	// The short-code select shows its longest label whole, and a thread
	// longer than its box opens scrolled to the newest message (on the
	// other demo number, so that the console below sees only the top-up).
	const other = "08110000001"
	do("phone layout",
		chromedp.SetValue(css("#to"), "9779"),
		chromedp.Poll[chromedp.Void](`(() => {
			const s = document.querySelector('#to'), c = document.createElement('canvas').getContext('2d');
			c.font = getComputedStyle(s).font;
			return [...s.options].every(o => c.measureText(o.text).width + 32 <= s.clientWidth);
		})()`, chromedp.WithPollingTimeout(5*time.Second)),
		chromedp.Navigate(base+"/phone?msisdn="+other),
		chromedp.WaitVisible(css("#thread")),
		chromedp.SetValue(css("#to"), "9779"),
		chromedp.SetValue(css("#text"), "BANTUAN"),
		chromedp.Click(css("#send")),
		mtWith("9779", ""),
		chromedp.SetValue(css("#text"), "RIWAYAT"),
		chromedp.Click(css("#send")),
		chromedp.Poll[chromedp.Void](`document.querySelectorAll('#thread li.msg.mt').length >= 2`, chromedp.WithPollingTimeout(30*time.Second)),
		chromedp.SetValue(css("#text"), "BANTUAN"),
		chromedp.Click(css("#send")),
		chromedp.Poll[chromedp.Void](`document.querySelectorAll('#thread li.msg.mt').length >= 3`, chromedp.WithPollingTimeout(30*time.Second)),
		chromedp.Navigate(base+"/phone?msisdn="+other),
		chromedp.WaitVisible(css("#thread")),
		chromedp.Poll[chromedp.Void](`(() => {
			const t = document.querySelector('#thread');
			return t.scrollHeight > t.clientHeight && t.scrollTop + t.clientHeight >= t.scrollHeight - 2;
		})()`, chromedp.WithPollingTimeout(5*time.Second)),
	)

	// The operator: log in, find the SMS, open its transaction, the ledger.
	do("console login",
		chromedp.Navigate(base+"/console/login"),
		chromedp.WaitVisible(css("#login-form")),
		chromedp.SendKeys(css("#username"), consoleDemoUser),
		chromedp.SendKeys(css("#password"), consoleDemoPassword),
		chromedp.Click(css("#login-submit")),
		chromedp.WaitVisible(css("#binds")),
		keepPage,
		shot("2-dashboard"),
	)
	var amount string
	do("console SMS log and transaction",
		chromedp.Navigate(base+"/console/sms?msisdn="+browserPayer),
		chromedp.WaitVisible(css("#sms-table")),
		keepPage,
		shot("3-sms-log"),
		chromedp.Click(css("#sms-table a.tx-link")),
		chromedp.WaitVisible(css("#timeline")),
		chromedp.WaitVisible(css("#entries")),
		text("#transfer-amount", &amount),
		keepPage,
		shot("4-transaction"),
	)
	if !strings.Contains(amount, "50.000") {
		t.Errorf("transfer amount on the transaction page = %q, want 50.000", amount)
	}
	steps, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](
		`[...document.querySelectorAll('#timeline li.step')].map(e => e.dataset.step)`))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"mo", "pin_prompt", "pin", "transfer", "result"} {
		if !slices.Contains(steps, want) {
			t.Errorf("timeline steps %v lack %q", steps, want)
		}
	}

	var ledger string
	do("console ledger",
		chromedp.Navigate(base+"/console/ledger?account="+browserPayer),
		chromedp.WaitVisible(css("#ledger-table")),
		text("#ledger-table", &ledger),
		keepPage,
		shot("5-ledger"),
	)
	if !strings.Contains(ledger, "50.000") {
		t.Errorf("ledger of %s does not show the 50.000 credit:\n%s", browserPayer, ledger)
	}

	// The other views of the same customer, and the exports, as the
	// browser receives them.
	for _, path := range []string{"/console/sessions?msisdn=" + browserPayer, "/console/customers/" + browserPayer,
		"/console/audit", "/console/partners"} {
		do("console "+path, chromedp.Navigate(base+path), chromedp.WaitVisible(css("main")), keepPage)
	}
	client := newConsoleClient(t, base) // the exports are downloads, which the browser would not show
	client.login(consoleDemoUser, consoleDemoPassword)
	for _, path := range []string{"/console/sms?format=json", "/console/sms?format=csv", "/console/sessions?format=csv",
		"/console/ledger?account=" + browserPayer + "&format=json"} {
		body := client.body(path)
		if !strings.Contains(body, "IM2PAY") && !strings.Contains(body, "50000") {
			t.Errorf("export %s lacks the top-up:\n%.300s", path, body)
		}
		pages = append(pages, body)
	}

	// The PIN appears nowhere in what the console rendered or exported, nor
	// in the daemon's log.
	for i, html := range pages {
		if strings.Contains(html, browserPIN) {
			t.Errorf("console page or export %d shows the PIN %s", i, browserPIN)
		}
	}
	if strings.Contains(logs.String(), browserPIN) {
		t.Error("the daemon log holds the PIN")
	}
	t.Logf("screenshots in %s", shots)
}

// waitReady polls url until it answers 200, failing if the daemon exits.
func waitReady(t *testing.T, url string, exited <-chan struct{}) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			t.Fatal("daemon exited before it was ready")
		default:
		}
		resp, err := http.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("%s not ready within 30s", url)
}
