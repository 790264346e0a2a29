package main

import (
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// A second admin of the console for the maker-checker test (demo data like
// the demo user).
const (
	checkerUser     = "checker"
	checkerPassword = "smsgw-checker"
)

// TestBrowserCorrectionApproval tops up a wallet from the web phone; the
// demo admin asks for a reversal of part of it on the transaction's page
// in the console, logs out; a second admin logs in and approves it on the
// corrections page. The wallet (smsgw wallet show) and the audit trail
// (smsgw audit trail) show the result. Gated like the other browser tests
// (SMSGW_BROWSER).
func TestBrowserCorrectionApproval(t *testing.T) {
	b := startBrowserWith(t, "\n[[console.users]]\nname = \""+checkerUser+"\"\nrole = \"admin\"\ndemo_password = \""+checkerPassword+"\"\n")
	css := func(sel string) chromedp.CSS { return chromedp.CSS(sel) }
	poll := func(js string) chromedp.Action[chromedp.Void] {
		return chromedp.Poll[chromedp.Void](js, chromedp.WithPollingTimeout(30*time.Second))
	}
	// The console asks for confirmation before admin actions; the test
	// answers yes.
	confirmYes := chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := chromedp.Evaluate[bool](`(window.confirm = () => true, true)`)(ctx, tg)
		return err
	})
	mtWith := func(code, text string) chromedp.Action[chromedp.Void] {
		return poll(`[...document.querySelectorAll('#thread li.msg.mt[data-code="` + code + `"]')].some(e => e.textContent.includes("` + text + `"))`)
	}
	login := func(step, user, password string) {
		b.do(step,
			chromedp.Navigate(b.base+"/console/login"),
			chromedp.WaitVisible(css("#login-form")),
			chromedp.SendKeys(css("#username"), user),
			chromedp.SendKeys(css("#password"), password),
			chromedp.Click(css("#login-submit")),
			chromedp.WaitVisible(css("#binds")),
		)
	}

	before := b.walletBalance(browserPayer)
	b.do("top-up from the phone",
		chromedp.Navigate(b.base+"/phone?msisdn="+browserPayer),
		chromedp.WaitVisible(css("#msisdn")),
		chromedp.SetValue(css("#to"), "9779"),
		chromedp.SetValue(css("#text"), "IM2PAY "+browserPayer+" 50000"),
		chromedp.Click(css("#send")),
		mtWith("3355", "PIN"),
		chromedp.SetValue(css("#to"), "3355"),
		chromedp.SetValue(css("#text"), browserPIN),
		chromedp.Click(css("#send")),
		mtWith("3355", "BERHASIL"),
	)
	if got := b.walletBalance(browserPayer); got != before+50_000 {
		t.Fatalf("balance after the top-up = %d, want %d", got, before+50_000)
	}

	// The maker: the transaction's page, a reversal of 20.000.
	login("maker login", consoleDemoUser, consoleDemoPassword)
	b.do("maker requests a reversal",
		chromedp.Navigate(b.base+"/console/sms?msisdn="+browserPayer),
		chromedp.WaitVisible(css("#sms-table")),
		chromedp.Click(css("#sms-table a.tx-link")),
		chromedp.WaitVisible(css("#corrections")),
		poll(`document.querySelector('#correction-remaining').textContent.includes('50.000')`),
		chromedp.SendKeys(css("#correction-amount"), "20000"),
		chromedp.SendKeys(css("#correction-reason"), "customer paid twice"),
		b.shot("correction-1-request"),
		confirmYes,
		chromedp.Click(css("#correction-submit")),
		chromedp.WaitVisible(css("#flash")),
		poll(`document.querySelector('#correction-open').textContent.includes('20.000') &&
			document.querySelector('#transfer-corrections tr.correction-row[data-state="requested"]') !== null`),
		chromedp.Navigate(b.base+"/console/corrections?state=requested"),
		chromedp.WaitVisible(css("#corrections-table")),
		poll(`[...document.querySelectorAll('#corrections-table tr.correction-row[data-state="requested"] .waiting.mine')].length === 1 &&
			document.querySelectorAll('#corrections-table button.approve').length === 0`),
		b.shot("correction-2-maker-waits"),
		chromedp.Click(css("#logout-submit")),
		chromedp.WaitVisible(css("#login-form")),
	)
	if got := b.walletBalance(browserPayer); got != before+50_000 {
		t.Fatalf("balance after the request = %d, want %d (nothing moves before the approval)", got, before+50_000)
	}

	// The checker approves it.
	login("checker login", checkerUser, checkerPassword)
	b.do("checker approves",
		chromedp.Click(css("#nav-corrections")),
		chromedp.WaitVisible(css("#corrections-table")),
		chromedp.WaitVisible(css(`#corrections-table tr.correction-row[data-state="requested"] button.approve`)),
		b.shot("correction-3-checker"),
		confirmYes,
		chromedp.Click(css(`#corrections-table tr.correction-row[data-state="requested"] button.approve`)),
		chromedp.WaitVisible(css("#flash")),
		poll(`(() => {
			const r = document.querySelector('#corrections-table tr.correction-row');
			return r && r.dataset.state === 'approved' && r.querySelector('.checker').textContent.trim() === '`+checkerUser+`' &&
				r.querySelector('.maker').textContent.trim() === '`+consoleDemoUser+`';
		})()`),
		b.shot("correction-4-approved"),
	)
	if got := b.walletBalance(browserPayer); got != before+30_000 {
		t.Errorf("balance after the approval = %d, want %d", got, before+30_000)
	}

	// Both steps are in the audit trail, each by its admin.
	trail := b.cli("audit", "trail", "-format", "csv")
	var request, approve bool
	for _, line := range strings.Split(trail, "\n") {
		switch {
		case strings.Contains(line, "ledger.correction_request") && strings.Contains(line, ","+consoleDemoUser+","):
			request = true
		case strings.Contains(line, "ledger.correction_approve") && strings.Contains(line, ","+checkerUser+","):
			approve = true
		}
	}
	if !request || !approve {
		t.Errorf("audit trail: request by %s %v, approval by %s %v\n%s", consoleDemoUser, request, checkerUser, approve, trail)
	}
}

// cli runs a command of the daemon's binary on its config and returns its
// output.
func (b *browserRun) cli(args ...string) string {
	b.t.Helper()
	cmd := exec.Command(b.bin, append(args, "-config", b.config)...)
	cmd.Dir, cmd.Env = b.dir, browserEnv()
	out, err := cmd.CombinedOutput()
	if err != nil {
		b.t.Fatalf("smsgw %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}
