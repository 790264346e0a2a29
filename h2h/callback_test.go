package h2h_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/smsgw/smsgw/h2h"
	"github.com/smsgw/smsgw/partner"
	"github.com/smsgw/smsgw/smsgw"
)

// partnerSite is a partner's callback endpoint. answer decides the reply
// to the n-th callback (from 1).
type partnerSite struct {
	t      *testing.T
	mu     sync.Mutex
	got    []received
	answer func(n int) (int, string)
	srv    *httptest.Server
}

type received struct {
	method string
	header http.Header
	uri    string
	body   string
}

func newPartnerSite(t *testing.T, answer func(n int) (int, string)) *partnerSite {
	p := &partnerSite{t: t, answer: answer}
	p.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		p.mu.Lock()
		p.got = append(p.got, received{r.Method, r.Header.Clone(), r.URL.RequestURI(), string(body)})
		n := len(p.got)
		answer := p.answer
		p.mu.Unlock()
		status, text := answer(n)
		w.WriteHeader(status)
		io.WriteString(w, text)
	}))
	t.Cleanup(p.srv.Close)
	return p
}

func (p *partnerSite) calls() []received {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]received(nil), p.got...)
}

func (p *partnerSite) setAnswer(f func(n int) (int, string)) {
	p.mu.Lock()
	p.answer = f
	p.mu.Unlock()
}

// verify checks a callback's signature as a partner would, with the
// standard library only.
func verify(t *testing.T, key string, c received) {
	t.Helper()
	ts, nonce, sig := c.header.Get("X-Timestamp"), c.header.Get("X-Nonce"), c.header.Get("X-Signature")
	if ts == "" || nonce == "" || sig == "" {
		t.Fatalf("callback headers %v lack the signature", c.header)
	}
	if want := hmacHex(key, c.method+"\n"+c.uri+"\n"+ts+"\n"+nonce+"\n"+c.body); sig != want {
		t.Errorf("callback signature %s, want %s", sig, want)
	}
}

func TestCallbackRetriesAgainstFlakyPartner(t *testing.T) {
	// 500, then a 200 without the agreed ack, then a timeout-like 503,
	// then the ack.
	site := newPartnerSite(t, func(n int) (int, string) {
		switch n {
		case 1:
			return http.StatusInternalServerError, "oops"
		case 2:
			return http.StatusOK, "received"
		case 3:
			return http.StatusServiceUnavailable, ""
		default:
			return http.StatusOK, " OK\n"
		}
	})
	e := newEnv(t, site.srv.URL+"/report?token=url-marker-77")
	e.deposit("demo", 100000)
	resp := e.json(req{uri: "/h2h/trx", body: trxBody("demo", "IP50", wallet, "CB-1"), key: demoKey}, http.StatusOK, h2h.RCSuccess)
	ctx := t.Context()
	for i := range 4 {
		sent, err := e.svc.SendCallbacks(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if want := i == 3; (sent == 1) != want {
			t.Fatalf("attempt %d: sent = %d", i+1, sent)
		}
		cs, _ := e.svc.Callbacks(ctx, partner.CallbackFilter{})
		if i < 3 {
			// Not due again before its backoff.
			before := len(site.calls())
			if _, err := e.svc.SendCallbacks(ctx); err != nil || len(site.calls()) != before {
				t.Fatalf("callback retried before its backoff")
			}
			if cs[0].Status != partner.CallbackQueued || cs[0].Attempts != i+1 {
				t.Fatalf("callback after attempt %d = %+v", i+1, cs[0])
			}
			e.clk.Set(cs[0].NextAttempt)
		} else if cs[0].Status != partner.CallbackSent {
			t.Fatalf("callback after the ack = %+v", cs[0])
		}
	}
	calls := site.calls()
	if len(calls) != 4 {
		t.Fatalf("partner got %d callbacks, want 4", len(calls))
	}
	for _, c := range calls {
		verify(t, demoKey, c)
		if c.uri != "/report?token=url-marker-77" || !strings.HasPrefix(c.header.Get("Content-Type"), "application/json") {
			t.Errorf("callback to %s as %s", c.uri, c.header.Get("Content-Type"))
		}
	}
	if calls[0].header.Get("X-Nonce") == calls[1].header.Get("X-Nonce") {
		t.Error("two attempts share a nonce")
	}
	var cb h2h.Response
	if err := json.Unmarshal([]byte(calls[3].body), &cb); err != nil {
		t.Fatal(err)
	}
	if cb.Status != 20 || cb.TrxID != resp.TrxID || cb.RefID != "CB-1" || cb.SN != resp.SN || cb.Balance == nil || *cb.Balance != 50000 {
		t.Errorf("callback body = %+v, want status 20 with trxid, refid, SN and balance", cb)
	}
	// The last error of a failed attempt is kept, without the URL.
	e.checkLogs()
	if strings.Contains(e.logs.String(), "url-marker-77") {
		t.Errorf("log output contains the callback URL:\n%s", e.logs.String())
	}
}

func TestCallbackDeadLetterAndResend(t *testing.T) {
	site := newPartnerSite(t, func(int) (int, string) { return http.StatusBadGateway, "" })
	e := newEnv(t, site.srv.URL+"/cb")
	e.deposit("demo", 100000)
	e.json(req{uri: "/h2h/trx", body: trxBody("demo", "IP50", wallet, "DL-1"), key: demoKey}, http.StatusOK, h2h.RCSuccess)
	ctx := t.Context()
	start := e.clk.Now()
	for range 100 {
		cs, err := e.svc.Callbacks(ctx, partner.CallbackFilter{})
		if err != nil {
			t.Fatal(err)
		}
		if cs[0].Status != partner.CallbackQueued {
			break
		}
		e.clk.Set(cs[0].NextAttempt)
		if _, err := e.svc.SendCallbacks(ctx); err != nil {
			t.Fatal(err)
		}
	}
	cs, _ := e.svc.Callbacks(ctx, partner.CallbackFilter{Status: partner.CallbackDead})
	if len(cs) != 1 || cs[0].LastError != "callback answered HTTP 502" {
		t.Fatalf("dead letters = %+v, want one with the last error", cs)
	}
	if span := e.clk.Now().Sub(start); span != partner.CallbackTTL {
		t.Errorf("dead-lettered after %s, want %s", span, partner.CallbackTTL)
	}
	n := len(site.calls())
	if n < 20 || n > 40 {
		t.Errorf("%d attempts in 24h, want exponential backoff capped at 1h", n)
	}
	site.setAnswer(func(int) (int, string) { return http.StatusOK, "OK" })
	e.clk.Add(48 * time.Hour)
	if sent, _ := e.svc.SendCallbacks(ctx); sent != 0 {
		t.Fatal("a dead letter was sent without a resend")
	}
	if err := e.svc.ResendCallback(ctx, smsgw.Actor{Name: "test"}, cs[0].ID); err != nil {
		t.Fatal(err)
	}
	if sent, err := e.svc.SendCallbacks(ctx); err != nil || sent != 1 {
		t.Fatalf("SendCallbacks after resend = %d, %v", sent, err)
	}
	if got := len(site.calls()); got != n+1 {
		t.Errorf("partner got %d callbacks, want %d", got, n+1)
	}
}

// TestCallbackForm: report = "form" posts the fields of the OtomaX report,
// then sn and balance, as a form body.
func TestCallbackForm(t *testing.T) {
	site := newPartnerSite(t, func(int) (int, string) { return http.StatusOK, "OK" })
	e := newEnvAuth(t, site.srv.URL+"/report", nil, func(id string, p *h2h.Partner) {
		if id == "kios" {
			p.Report = h2h.ReportForm
		}
	})
	e.deposit("kios", 100000)
	sign := h2h.OtomaXSign("kios", "IP50", wallet, "64525223", kiosPIN, kiosPass)
	w := e.do(req{method: http.MethodGet, uri: "/h2h/trx?memberid=kios&product=IP50&dest=" + wallet + "&refid=64525223&sign=" + url.QueryEscape(sign)})
	if w.Code != http.StatusOK {
		t.Fatalf("trx = %d %s", w.Code, w.Body.String())
	}
	if sent, err := e.svc.SendCallbacks(t.Context()); err != nil || sent != 1 {
		t.Fatalf("SendCallbacks = %d, %v", sent, err)
	}
	c := site.calls()[0]
	verify(t, kiosKey, c)
	r := e.requests()[0]
	line := strings.TrimSuffix(w.Body.String(), "\n")
	want := fmt.Sprintf("t=%d&refid=64525223&status=20&price=50000&message=%s&sn=%s&balance=50000", r.ID, url.QueryEscape(line), r.SN)
	if c.method != http.MethodPost || c.uri != "/report" || c.body != want || c.header.Get("Content-Type") != "application/x-www-form-urlencoded" {
		t.Errorf("form callback =\n%s %s %s %q\nwant POST /report form\n%q", c.method, c.uri, c.header.Get("Content-Type"), c.body, want)
	}
}

func TestCallbackFailedConfirmation(t *testing.T) {
	site := newPartnerSite(t, func(int) (int, string) { return http.StatusOK, "OK" })
	e := newEnv(t, site.srv.URL+"/report")
	e.json(req{uri: "/h2h/trx", body: trxBody("mitra", "IP50", payer, "EXP-1"), key: mitraKey}, http.StatusOK, h2h.RCPending)
	if sent, _ := e.svc.SendCallbacks(t.Context()); sent != 0 {
		t.Fatal("callback for a pending request")
	}
	e.clk.Add(6 * time.Minute)
	if _, err := e.gw.ExpirePending(t.Context(), e.clk.Now()); err != nil {
		t.Fatal(err)
	}
	if _, err := e.gw.QueueExpiryNotices(t.Context()); err != nil {
		t.Fatal(err)
	}
	if sent, err := e.svc.SendCallbacks(t.Context()); err != nil || sent != 1 {
		t.Fatalf("SendCallbacks = %d, %v", sent, err)
	}
	var cb h2h.Response
	if err := json.Unmarshal([]byte(site.calls()[0].body), &cb); err != nil {
		t.Fatal(err)
	}
	if cb.Status != 40 || cb.RefID != "EXP-1" || cb.Reason != partner.ReasonExpired {
		t.Errorf("callback = %+v, want status 40 expired", cb)
	}
}

// A callback answered with a redirect is not delivered, and the signed POST
// is not re-sent to the address the redirect names.
func TestCallbackRedirectNotFollowed(t *testing.T) {
	var elsewhere atomic.Int32
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		elsewhere.Add(1)
		fmt.Fprint(w, "OK")
	}))
	defer other.Close()
	redirect := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+"/report", http.StatusTemporaryRedirect)
	}))
	defer redirect.Close()
	e := newEnv(t, redirect.URL+"/report")
	e.deposit("kios", 100000)
	sign := h2h.OtomaXSign("kios", "IP50", wallet, "64525224", kiosPIN, kiosPass)
	w := e.do(req{method: http.MethodGet, uri: "/h2h/trx?memberid=kios&product=IP50&dest=" + wallet + "&refid=64525224&sign=" + url.QueryEscape(sign)})
	if w.Code != http.StatusOK {
		t.Fatalf("trx = %d %s", w.Code, w.Body.String())
	}
	if sent, err := e.svc.SendCallbacks(t.Context()); err != nil || sent != 0 {
		t.Errorf("SendCallbacks = %d, %v; want 0 delivered", sent, err)
	}
	if n := elsewhere.Load(); n != 0 {
		t.Errorf("the redirect target got %d callbacks", n)
	}
}
