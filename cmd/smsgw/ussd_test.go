package main

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestE2EUSSDOverHTTP runs the real daemon with the aggregator channel on
// and tops up through the USSD menu screen by screen: credited once, the
// result shown on the screen and sent by SMS through the SMSC, the screens
// counted in /metrics.
func TestE2EUSSDOverHTTP(t *testing.T) {
	e := newE2E(t, "[ussd]\nhttp = true\n")
	base := "http://" + e.listenHTTP()
	e.start()
	post := func(text string) (int, string) {
		t.Helper()
		form := url.Values{"sessionId": {"ATUid_1"}, "serviceCode": {"*9779#"}, "phoneNumber": {"+62" + e2ePayer[1:]}, "text": {text}}
		res, err := http.PostForm(base+"/ussd", form)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	for _, step := range []struct{ text, want string }{
		{"", "CON i-Pay"},
		{"1", "CON Isi saldo"},
		{"1*" + e2eAccount, "CON Isi saldo " + e2eAccount},
		{"1*" + e2eAccount + "*1", "CON Isi saldo " + e2eAccount + " Rp50.000"},
		{"1*" + e2eAccount + "*1*" + e2ePIN, "END Isi saldo " + e2eAccount + " Rp50.000 BERHASIL"},
	} {
		if status, body := post(step.text); status != http.StatusOK || !strings.HasPrefix(body, step.want) {
			t.Fatalf("screen after %q: %d %q, want 200 %q…", step.text, status, body, step.want)
		}
	}
	e.reply("3355", "BERHASIL")
	if got := e.balance(e2eAccount); got != "50.000" {
		t.Errorf("balance = %s, want 50.000", got)
	}
	res, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	for _, want := range []string{`smsgw_ussd_screens_total{channel="http",outcome="continue"} 4`, `smsgw_ussd_screens_total{channel="http",outcome="end"} 1`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if log := e.stderr.String(); strings.Contains(log, e2ePIN) {
		t.Errorf("PIN in the daemon's log")
	}
}
