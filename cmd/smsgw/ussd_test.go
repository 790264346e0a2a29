package main

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/smsgw/smsgw/smpp/pdu"
	"github.com/smsgw/smsgw/smpp/smpptest"
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

// TestE2EUSSDOverSMPP runs the real daemon bound to the test SMSC, which
// plays the network side of a USSD session: each screen comes back as a
// USSD submit_sm on the bind, the top-up is credited, the result SMS
// follows, and /metrics counts the SMPP screens.
func TestE2EUSSDOverSMPP(t *testing.T) {
	e := newE2E(t, "")
	base := "http://" + e.listenHTTP()
	e.start()
	info := &pdu.ITSSessionInfo{Session: 4}
	var sms []string // SMS submitted between screens ("code|text")
	screen := func(op uint8, text, want string, end bool) {
		t.Helper()
		ctx, cancel := context.WithTimeout(t.Context(), 15*time.Second)
		defer cancel()
		st, err := e.smsc.DeliverUSSD(ctx, smpptest.USSD{From: e2ePayer, To: "9779", Text: text, Op: op, Session: info})
		if err != nil || st != pdu.StatusOK {
			t.Fatalf("deliver USSD: %v %v", st, err)
		}
		// The screen is sent once the input is acknowledged; an SMS the
		// input caused (the result SMS) may reach the SMSC first.
		var s smpptest.Submission
		for s.SubmitSM == nil || s.SubmitSM.ServiceType != "USSD" {
			subs, err := e.smsc.WaitSubmitted(ctx, e.seen+1)
			if err != nil {
				t.Fatalf("no screen after %q: %v\n%s", text, err, e.stderr.String())
			}
			s = subs[e.seen]
			e.seen++
			if s.SubmitSM != nil && s.SubmitSM.ServiceType != "USSD" {
				txt, _ := s.Text()
				sms = append(sms, s.Source()+"|"+txt)
			}
		}
		txt, _ := s.Text()
		got, _ := s.TLVs().ITSSessionInfo()
		if s.SubmitSM.ServiceType != "USSD" || !strings.Contains(txt, want) || got.End != end || got.Session != 4 {
			t.Fatalf("after %q: screen %q (service type %q, session info %+v), want %q end=%v", text, txt, s.SubmitSM.ServiceType, got, want, end)
		}
		info.Sequence += 2
	}
	screen(smpptest.USSDOpPSSRIndication, "*9779#", "1 Isi saldo", false)
	screen(smpptest.USSDOpUSSRConfirm, "1", "Account-ID", false)
	screen(smpptest.USSDOpUSSRConfirm, e2eAccount, "Pilih nominal", false)
	screen(smpptest.USSDOpUSSRConfirm, "2", "Rp75.000", false)
	screen(smpptest.USSDOpUSSRConfirm, e2ePIN, "BERHASIL", true)
	if !slices.ContainsFunc(sms, func(m string) bool { return strings.HasPrefix(m, "3355|") && strings.Contains(m, "BERHASIL") }) {
		e.reply("3355", "BERHASIL") // the result SMS, after the last screen
	}
	if got := e.balance(e2eAccount); got != "75.000" {
		t.Errorf("balance = %s, want 75.000", got)
	}
	res, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	for _, want := range []string{`smsgw_ussd_screens_total{channel="smpp",outcome="continue"} 4`, `smsgw_ussd_screens_total{channel="smpp",outcome="end"} 1`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if strings.Contains(e.stderr.String(), e2ePIN) {
		t.Errorf("PIN in the daemon's log")
	}
}
