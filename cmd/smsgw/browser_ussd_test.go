package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/smsgw/smsgw/sim"
)

// Demo data of config.toml: the USSD payer tops up the other demo
// customer's wallet.
const (
	ussdPayer   = "08110000001"
	ussdPIN     = "123456"
	ussdAccount = "08110000002"
)

// TestBrowserUSSDTopUp dials *9779# on the web phone's dial pad, walks the
// menu (1 Isi saldo, the account, the first nominal, the PIN) to the
// BERHASIL screen, and checks the wallet (smsgw wallet show), the result
// SMS in the phone's thread and no USSD screen in it; then hangs up a
// session and dials a code that is not the gateway's. Gated like the
// other browser test (SMSGW_BROWSER).
func TestBrowserUSSDTopUp(t *testing.T) {
	b := startBrowser(t)
	css := func(sel string) chromedp.CSS { return chromedp.CSS(sel) }
	before := b.walletBalance(ussdAccount)

	// screen waits until the USSD dialog shows a screen in state with text.
	screen := func(state, text string) chromedp.Action[chromedp.Void] {
		return chromedp.Poll[chromedp.Void](fmt.Sprintf(`(() => {
			const d = document.querySelector('#ussd');
			return d.open && d.dataset.state === %q && document.querySelector('#ussd-text').textContent.includes(%q);
		})()`, state, text), chromedp.WithPollingTimeout(20*time.Second))
	}
	answer := func(text string) []chromedp.Action[chromedp.Void] {
		return []chromedp.Action[chromedp.Void]{chromedp.SetValue(css("#ussd-input"), text), chromedp.Click(css("#ussd-send"))}
	}
	var steps []chromedp.Action[chromedp.Void]
	steps = append(steps,
		chromedp.Navigate(b.base+"/phone?msisdn="+ussdPayer),
		chromedp.WaitVisible(css("#dialer")),
	)
	for _, k := range []string{"*", "9", "7", "7", "9", "#"} {
		steps = append(steps, chromedp.Click(css(fmt.Sprintf(`button.key[data-key=%q]`, k))))
	}
	steps = append(steps,
		chromedp.Poll[chromedp.Void](`document.querySelector('#dial').value === '*9779#'`, chromedp.WithPollingTimeout(5*time.Second)),
		chromedp.Click(css("#call")),
		screen("open", "1 Isi saldo"),
		b.shot("ussd-1-menu"),
	)
	b.do("dial *9779#", steps...)
	b.do("choose 1 Isi saldo", append(answer("1"), screen("open", "Account-ID"))...)
	b.do("type the account", append(answer(ussdAccount), screen("open", "Pilih nominal"))...)
	b.do("choose the nominal", append(answer("1"), screen("open", "Masukkan PIN"))...)
	b.do("type the PIN", append(answer(ussdPIN), screen("end", "BERHASIL"), chromedp.WaitVisible(css("#ussd-close")), b.shot("ussd-2-result"))...)
	result, err := chromedp.Run(b.ctx, chromedp.Text(css("#ussd-text")))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(result, "Rp50.000") || !strings.Contains(result, ussdAccount) {
		t.Errorf("result screen %q, want the account and Rp50.000", result)
	}
	b.do("close the result",
		chromedp.Click(css("#ussd-close")),
		chromedp.Poll[chromedp.Void](`!document.querySelector('#ussd').open && document.querySelector('#ussd').dataset.state === 'closed'`,
			chromedp.WithPollingTimeout(5*time.Second)),
	)

	// The result SMS reaches the phone's thread; the USSD screens do not.
	b.do("result SMS",
		chromedp.Poll[chromedp.Void](`[...document.querySelectorAll('#thread li.msg.mt')].some(e => e.textContent.includes('BERHASIL'))`,
			chromedp.WithPollingTimeout(30*time.Second)),
		b.shot("ussd-3-sms"),
	)
	thread, err := chromedp.Run(b.ctx, chromedp.TextContent(css("#thread")))
	if err != nil {
		t.Fatal(err)
	}
	for _, screenText := range []string{"Isi saldo i-Pay", "Pilih nominal", "Masukkan PIN", "Bukti transaksi"} {
		if strings.Contains(thread, screenText) {
			t.Errorf("the SMS thread shows the USSD screen text %q:\n%s", screenText, thread)
		}
	}

	// The ledger: the account's wallet is credited once.
	if after := b.walletBalance(ussdAccount); after != before+50000 {
		t.Errorf("wallet of %s: Rp%d after the USSD top-up, want Rp%d", ussdAccount, after, before+50000)
	}

	// Hanging up: the dialog closes and the network released the session.
	b.do("hang up",
		chromedp.Click(css("#hangup")), // the pad's Cancel clears what was typed
		chromedp.Poll[chromedp.Void](`document.querySelector('#dial').value === ''`, chromedp.WithPollingTimeout(5*time.Second)),
		chromedp.Click(css("#call")), // empty: dials the placeholder, *9779#
		screen("open", "1 Isi saldo"),
		chromedp.Click(css("#ussd-cancel")),
		chromedp.Poll[chromedp.Void](`!document.querySelector('#ussd').open`, chromedp.WithPollingTimeout(5*time.Second)),
	)
	deadline := time.Now().Add(5 * time.Second)
	for {
		sc := b.ussdState(ussdPayer)
		if sc.End && sc.Reason == sim.USSDCancelled {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after Cancel the session is %+v, want ended by the subscriber", sc)
		}
		time.Sleep(50 * time.Millisecond)
	}

	// A code that is not the gateway's is refused with the reason.
	b.do("wrong code",
		chromedp.SetValue(css("#dial"), "*123#"),
		chromedp.Click(css("#call")),
		chromedp.Poll[chromedp.Void](`document.querySelector('#ussd-error').textContent.includes('not a USSD service of this gateway')`,
			chromedp.WithPollingTimeout(10*time.Second)),
		chromedp.WaitVisible(css("#ussd-close")),
		b.shot("ussd-4-wrong-code"),
		chromedp.Click(css("#ussd-close")),
	)

	if strings.Contains(b.logs.String(), ussdPIN) {
		t.Error("the daemon log holds the PIN")
	}
}

// walletBalance is the balance `smsgw wallet show` prints for account, in
// rupiah.
func (b *browserRun) walletBalance(account string) int64 {
	b.t.Helper()
	cmd := exec.Command(b.bin, "wallet", "show", account, "-config", b.config)
	cmd.Dir, cmd.Env = b.dir, browserEnv()
	out, err := cmd.CombinedOutput()
	if err != nil {
		b.t.Fatalf("smsgw wallet show %s: %v\n%s", account, err, out)
	}
	m := balanceRE.FindStringSubmatch(string(out))
	if m == nil {
		b.t.Fatalf("smsgw wallet show %s printed no balance:\n%s", account, out)
	}
	var n int64
	if _, err := fmt.Sscan(strings.ReplaceAll(m[1], ".", ""), &n); err != nil {
		b.t.Fatalf("balance %q: %v", m[1], err)
	}
	return n
}

// ussdState is the simulator's last USSD screen of msisdn.
func (b *browserRun) ussdState(msisdn string) sim.USSDScreen {
	b.t.Helper()
	res, err := http.Get(b.base + "/sim/ussd?msisdn=" + msisdn)
	if err != nil {
		b.t.Fatal(err)
	}
	defer res.Body.Close()
	var r sim.USSDResponse
	if err := json.NewDecoder(res.Body).Decode(&r); err != nil || r.Screen == nil {
		b.t.Fatalf("GET /sim/ussd = %d: %+v %v", res.StatusCode, r, err)
	}
	return *r.Screen
}
