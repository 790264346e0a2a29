package main

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

const (
	h2hSecret     = "e2e-partner-secret-0123456789"
	h2hConfSecret = "e2e-confirm-secret-9876543210"
)

// h2hSite is the partner's callback endpoint.
type h2hSite struct {
	mu    sync.Mutex
	got   []map[string]any
	fresh chan struct{}
	bad   []string
}

func (s *h2hSite) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	ts, nonce := r.Header.Get("X-Timestamp"), r.Header.Get("X-Nonce")
	key := h2hSecret
	if strings.Contains(string(body), `"refid":"CONF-`) {
		key = h2hConfSecret
	}
	m := hmac.New(sha256.New, []byte(key))
	m.Write([]byte("POST\n" + r.URL.RequestURI() + "\n" + ts + "\n" + nonce + "\n" + string(body)))
	var cb map[string]any
	err := json.Unmarshal(body, &cb)
	s.mu.Lock()
	if hex.EncodeToString(m.Sum(nil)) != r.Header.Get("X-Signature") || err != nil {
		s.bad = append(s.bad, string(body))
	} else {
		s.got = append(s.got, cb)
	}
	s.mu.Unlock()
	io.WriteString(w, "OK")
	select {
	case s.fresh <- struct{}{}:
	default:
	}
}

// wait returns the n-th callback (from 1).
func (s *h2hSite) wait(t *testing.T, n int) map[string]any {
	t.Helper()
	deadline := time.After(20 * time.Second)
	for {
		s.mu.Lock()
		if len(s.bad) > 0 {
			t.Fatalf("callback with a bad signature: %q", s.bad)
		}
		if len(s.got) >= n {
			cb := s.got[n-1]
			s.mu.Unlock()
			return cb
		}
		s.mu.Unlock()
		select {
		case <-s.fresh:
		case <-time.After(200 * time.Millisecond):
		case <-deadline:
			t.Fatalf("no callback #%d", n)
		}
	}
}

// h2hPost sends a signed request to the daemon.
func h2hPost(t *testing.T, base, path, key, body, nonce string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, base+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	m := hmac.New(sha256.New, []byte(key))
	m.Write([]byte("POST\n" + path + "\n" + ts + "\n" + nonce + "\n" + body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Timestamp", ts)
	req.Header.Set("X-Nonce", nonce)
	req.Header.Set("X-Signature", hex.EncodeToString(m.Sum(nil)))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatalf("%s: answer is not JSON: %v", path, err)
	}
	return resp.StatusCode, out
}

// TestE2EPartnerAPI runs the real daemon with two partners: an immediate
// top-up funded from a deposit, a customer-confirmed one answered by PIN
// over SMPP, signed callbacks to an httptest partner, refusals that
// create nothing, and the partner CLI.
func TestE2EPartnerAPI(t *testing.T) {
	site := &h2hSite{fresh: make(chan struct{}, 1)}
	partner := httptest.NewServer(site)
	defer partner.Close()
	t.Setenv("E2E_H2H_SECRET", h2hSecret)
	t.Setenv("E2E_H2H_CONF_SECRET", h2hConfSecret)
	e := newE2E(t, fmt.Sprintf(`
[h2h]
enabled = true
cutoff = "off"
callbacks = "@every 1s"
[[h2h.partner]]
id = "reseller"
secret_env = "E2E_H2H_SECRET"
allow = ["127.0.0.1/32"]
callback_url = %q
[[h2h.partner]]
id = "mitra"
mode = "confirm"
secret_env = "E2E_H2H_CONF_SECRET"
allow = ["127.0.0.1/32"]
callback_url = %q
`, partner.URL+"/report", partner.URL+"/report"))
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
	cfg := strings.Replace(string(body), `listen = ""`, fmt.Sprintf("listen = %q", addr), 1)
	if err := os.WriteFile(e.config, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	e.cli("balance Rp500.000", "partner", "deposit", "reseller", "500.000", "-ref", "TRF-1")
	e.cli("balance Rp500.000", "partner", "deposit", "reseller", "500000", "-ref", "TRF-1") // idempotent
	e.start()
	base := "http://" + addr

	// Immediate top-up: credited, the customer told, the partner called back.
	status, resp := h2hPost(t, base, "/h2h/trx", h2hSecret,
		`{"memberid":"reseller","product":"IP50","dest":"`+e2eAccount+`","refid":"INV-1"}`, "nonce-1")
	if status != http.StatusOK || resp["rc"] != "00" || resp["sn"] == "" {
		t.Fatalf("top-up = %d %v", status, resp)
	}
	e.reply("9779", "BERHASIL")
	cb := site.wait(t, 1)
	if cb["status"] != float64(20) || cb["refid"] != "INV-1" || cb["trxid"] != resp["trxid"] || cb["sn"] != resp["sn"] ||
		cb["balance"] != float64(450000) {
		t.Errorf("callback = %v, want status 20 for INV-1 with trxid, SN and balance 450000", cb)
	}
	if got := e.balance(e2eAccount); got != "50.000" {
		t.Errorf("balance = %s, want 50.000", got)
	}
	// Resent: the original answer; replayed nonce: refused.
	_, again := h2hPost(t, base, "/h2h/trx", h2hSecret,
		`{"memberid":"reseller","product":"IP50","dest":"`+e2eAccount+`","refid":"INV-1"}`, "nonce-2")
	if again["trxid"] != resp["trxid"] || again["resent"] != true {
		t.Errorf("resend = %v, want the original", again)
	}
	if status, r := h2hPost(t, base, "/h2h/balance", h2hSecret, `{"memberid":"reseller"}`, "nonce-2"); status != http.StatusConflict || r["rc"] != "23" {
		t.Errorf("replayed nonce = %d %v, want 409 rc 23", status, r)
	}
	// A bad signature creates nothing.
	if status, r := h2hPost(t, base, "/h2h/trx", "not-the-secret-000000",
		`{"memberid":"reseller","product":"IP50","dest":"`+e2eAccount+`","refid":"INV-2"}`, "nonce-3"); status != http.StatusUnauthorized || r["rc"] != "21" {
		t.Errorf("bad signature = %d %v, want 401 rc 21", status, r)
	}

	// Customer confirmation: PIN prompt from 3355, PIN by SMS, callback.
	status, resp = h2hPost(t, base, "/h2h/trx", h2hConfSecret,
		`{"memberid":"mitra","product":"IP75","dest":"`+e2ePayer+`","refid":"CONF-1"}`, "nonce-4")
	if status != http.StatusOK || resp["rc"] != "01" {
		t.Fatalf("confirm-mode top-up = %d %v, want pending", status, resp)
	}
	e.reply("3355", "Rp75.000")
	e.mo(e2ePayer, "3355", e2ePIN)
	e.reply("3355", "BERHASIL")
	cb = site.wait(t, 2)
	if cb["status"] != float64(20) || cb["refid"] != "CONF-1" {
		t.Errorf("confirm callback = %v, want status 20 for CONF-1", cb)
	}

	// The CLI sees it all; a sent callback can be sent again.
	out := e.cli("INV-1", "partner", "list")
	if !strings.Contains(out, "CONF-1") || strings.Contains(out, "INV-2") {
		t.Errorf("partner list =\n%s", out)
	}
	e.cli("state     success", "partner", "status", "mitra", "CONF-1")
	out = e.cli("sent", "partner", "callbacks")
	id := strings.Fields(strings.Split(out, "\n")[1])[0]
	e.cli("queued", "partner", "resend", id)
	site.wait(t, 3)
	e.cli("balance  Rp450.000", "partner", "balance", "reseller")
	e.stop()
	for _, s := range []string{h2hSecret, h2hConfSecret} {
		if bytes.Contains([]byte(e.stderr.String()), []byte(s)) {
			t.Error("daemon log contains a partner secret")
		}
	}
}

func TestH2HConfigErrors(t *testing.T) {
	const base = "[[bind]]\nname = \"a\"\nhost = \"h\"\nport = 1\nsystem_id = \"x\"\n[h2h]\nenabled = true\n"
	const p = "[[h2h.partner]]\nid = \"p\"\nsecret_env = \"S\"\nallow = [\"10.0.0.0/8\"]\ncallback_url = \"https://partner.example/cb\"\n"
	for _, c := range []struct{ body, want string }{
		{base, "h2h.partner: at least one"},
		{base + "cutoff = \"23:30\"\n" + p, "h2h.cutoff"},
		{base + "max_skew = \"1s\"\n" + p, "h2h.max_skew"},
		{base + "duplicate_action = \"drop\"\n" + p, "h2h.duplicate_action"},
		{base + "recheck = \"sometimes\"\n" + p, "h2h.recheck"},
		{base + "tls_cert_file = \"c.pem\"\n" + p, "h2h.tls_cert_file"},
		{base + p + "allow = [\"10.0.0.0/33\"]\n", "allow"},
		{base + strings.Replace(p, `allow = ["10.0.0.0/8"]`, `allow = ["10.0.0.0/8", "nope"]`, 1), "h2h.partner[0].allow[1]"},
		{base + strings.Replace(p, `secret_env = "S"`, `secret = "inline"`, 1), "h2h.partner.secret"},
		{base + strings.Replace(p, `secret_env = "S"`, ``, 1), "h2h.partner[0].secret_env"},
		{base + strings.Replace(p, `secret_env = "S"`, `secret_env = "lower"`, 1), "h2h.partner[0].secret_env"},
		{base + p + "signature = \"otomax\"\n", "h2h.partner[0].pin_env"},
		{base + p + "signature = \"md5\"\n", "h2h.partner[0].signature"},
		{base + p + "mode = \"later\"\n", "h2h.partner[0].mode"},
		{base + p + "format = \"xml\"\n", "h2h.partner[0].format"},
		{base + p + "basic_user = \"u\"\n", "h2h.partner[0].basic_user"},
		{base + p + "deposit = \"wallet:x\"\n", "h2h.partner[0].deposit"},
		{base + strings.Replace(p, "https://partner.example/cb", "partner.example/cb", 1), "h2h.partner[0].callback_url"},
		{base + p + p, "h2h.partner[1].id"},
	} {
		dir := t.TempDir()
		path := dir + "/c.toml"
		if err := os.WriteFile(path, []byte(c.body), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := LoadConfig(path)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("LoadConfig(%q) = %v, want an error naming %q", c.body, err, c.want)
		}
	}
	// The defaults of a minimal section.
	path := t.TempDir() + "/c.toml"
	if err := os.WriteFile(path, []byte(base+p), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := LoadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	h := cfg.H2H
	if h.MaxSkew.Duration != 5*time.Minute || h.BlockAfter != 5 || h.Cutoff != "23:30-00:30" || h.Recheck != "@every 30s" ||
		h.PendingMax.Duration != 15*time.Minute || h.Partners[0].Mode != "immediate" || h.Partners[0].Signature != "hmac" {
		t.Errorf("defaults = %+v", h)
	}
}
