package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/smsgw/smsgw/smsgw"
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
func h2hPost(t *testing.T, client *http.Client, base, path, key, body, nonce string) (int, map[string]any) {
	t.Helper()
	status, out, err := h2hDo(t.Context(), client, base, path, key, body, nonce)
	if err != nil {
		t.Fatal(err)
	}
	return status, out
}

// h2hDo sends a signed JSON request, as a partner does, and decodes the
// answer.
func h2hDo(ctx context.Context, client *http.Client, base, path, key, body, nonce string) (int, map[string]any, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+path, strings.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	m := hmac.New(sha256.New, []byte(key))
	m.Write([]byte("POST\n" + path + "\n" + ts + "\n" + nonce + "\n" + body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Timestamp", ts)
	req.Header.Set("X-Nonce", nonce)
	req.Header.Set("X-Signature", hex.EncodeToString(m.Sum(nil)))
	resp, err := client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return resp.StatusCode, nil, fmt.Errorf("%s: answer is not JSON: %w", path, err)
	}
	return resp.StatusCode, out, nil
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
	addr := e.listenHTTP()
	e.cli("balance Rp500.000", "partner", "deposit", "reseller", "500.000", "-ref", "TRF-1")
	e.cli("balance Rp500.000", "partner", "deposit", "reseller", "500000", "-ref", "TRF-1") // idempotent
	e.start()
	base := "http://" + addr

	// Immediate top-up: credited, the customer told, the partner called back.
	status, resp := h2hPost(t, http.DefaultClient, base, "/h2h/trx", h2hSecret,
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
	_, again := h2hPost(t, http.DefaultClient, base, "/h2h/trx", h2hSecret,
		`{"memberid":"reseller","product":"IP50","dest":"`+e2eAccount+`","refid":"INV-1"}`, "nonce-2")
	if again["trxid"] != resp["trxid"] || again["resent"] != true {
		t.Errorf("resend = %v, want the original", again)
	}
	if status, r := h2hPost(t, http.DefaultClient, base, "/h2h/balance", h2hSecret, `{"memberid":"reseller"}`, "nonce-2"); status != http.StatusConflict || r["rc"] != "23" {
		t.Errorf("replayed nonce = %d %v, want 409 rc 23", status, r)
	}
	// A bad signature creates nothing.
	if status, r := h2hPost(t, http.DefaultClient, base, "/h2h/trx", "not-the-secret-000000",
		`{"memberid":"reseller","product":"IP50","dest":"`+e2eAccount+`","refid":"INV-2"}`, "nonce-3"); status != http.StatusUnauthorized || r["rc"] != "21" {
		t.Errorf("bad signature = %d %v, want 401 rc 21", status, r)
	}

	// Customer confirmation: PIN prompt from 3355, PIN by SMS, callback.
	status, resp = h2hPost(t, http.DefaultClient, base, "/h2h/trx", h2hConfSecret,
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
	mresp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	mbody, _ := io.ReadAll(mresp.Body)
	mresp.Body.Close()
	for _, want := range []string{`smsgw_h2h_requests_total{endpoint="trx",partner="reseller",rc="00"}`,
		`smsgw_h2h_callbacks_total{partner="reseller",result="delivered"}`} {
		if !bytes.Contains(mbody, []byte(want)) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
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
	const otomax = "signature = \"otomax\"\npin_env = \"P\"\npassword_env = \"W\"\nformat = \"text\"\n"
	for _, c := range []struct{ body, want string }{
		{base, "h2h.partner: at least one"},
		{base + "cutoff = \"23:30\"\n" + p, "h2h.cutoff"},
		{base + "max_skew = \"1s\"\n" + p, "h2h.max_skew"},
		{base + "duplicate_action = \"drop\"\n" + p, "h2h.duplicate_action"},
		{base + "recheck = \"sometimes\"\n" + p, "h2h.recheck"},
		{base + "reconcile = \"daily at 1\"\n" + p, "h2h.reconcile: bad schedule"},
		{base + "reconcile_dir = \" recon\"\n" + p, "h2h.reconcile_dir: must not start or end with spaces"},
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
		{base + p + "report = \"soap\"\n", "h2h.partner[0].report"},
		{base + p + "http_status = \"201\"\n", "h2h.partner[0].http_status"},
		{base + p + "legacy_plain_pin = true\n", "h2h.partner[0].legacy_plain_pin: needs signature = \"otomax\""},
		{base + p + otomax + "legacy_plain_pin = true\n", "h2h.partner[0].legacy_plain_pin: the clear-text pin form needs TLS"},
		{base + p + "max_addresses = -1\n", "h2h.partner[0].max_addresses"},
		{base + p + "max_addresses = 1\n", "h2h.partner[0].allow: 10.0.0.0/8 is a range"},
		{base + strings.Replace(p, `allow = ["10.0.0.0/8"]`, `allow = ["10.0.0.1", "10.0.0.2"]`, 1) + "max_addresses = 1\n",
			"h2h.partner[0].allow: at most 1 address"},
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
		h.PendingMax.Duration != 15*time.Minute || h.Partners[0].Mode != "immediate" || h.Partners[0].Signature != "hmac" ||
		h.Reconcile != "30 1 * * *" || h.ReconcileDir != "" || h.Partners[0].Report != "json" || h.Partners[0].HTTPStatus != "codes" ||
		h.Partners[0].LegacyPlainPIN || h.Partners[0].MaxAddresses != 0 {
		t.Errorf("defaults = %+v", h)
	}
	if w := cfg.Warnings(); len(w) != 0 {
		t.Errorf("warnings = %q, want none", w)
	}
	// A text or OtomaX partner gets the seeds' report and 200 answers.
	if err := os.WriteFile(path, []byte(base+p+otomax), 0o600); err != nil {
		t.Fatal(err)
	}
	if cfg, err = LoadConfig(path); err != nil {
		t.Fatal(err)
	}
	if q := cfg.H2H.Partners[0]; q.Report != "query" || q.HTTPStatus != "200" {
		t.Errorf("text partner defaults: report %q, http_status %q; want query, 200", q.Report, q.HTTPStatus)
	}
}

// TestH2HLegacyPlainPINWarning: a partner with the clear-text pin form,
// from its one address, is accepted with a warning that check-config
// prints and that names the key.
func TestH2HLegacyPlainPINWarning(t *testing.T) {
	body := "[[bind]]\nname = \"a\"\nhost = \"h\"\nport = 1\nsystem_id = \"x\"\n[h2h]\nenabled = true\n" +
		"[[h2h.partner]]\nid = \"kios\"\nsecret_env = \"S\"\nallow = [\"203.0.113.7\"]\nmax_addresses = 1\n" +
		"callback_url = \"https://kios.example/report\"\nsignature = \"otomax\"\npin_env = \"P\"\npassword_env = \"W\"\n" +
		"format = \"text\"\nlegacy_plain_pin = true\n"
	path := t.TempDir() + "/c.toml"
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := cmdCheckConfig([]string{"-config", path}, &out); err != nil {
		t.Fatal(err)
	}
	want := path + ": warning: h2h.partner[0].legacy_plain_pin: partner \"kios\" may send its pin and password in clear " +
		"(the kiosAMPM form); use the signed form when its software allows\n" + path + ": ok\n"
	if out.String() != want {
		t.Errorf("check-config printed\n%s\nwant\n%s", out.String(), want)
	}
}

// selfSigned writes a certificate for 127.0.0.1 and its key as PEM files.
func selfSigned(t *testing.T, dir string) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "h2h test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600); err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

// TestH2HOwnTLSListener: with h2h.listen and a certificate, the API is
// served over TLS on its own listener and not on the [http] mux.
func TestH2HOwnTLSListener(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile, pool := selfSigned(t, dir)
	const secret = "tls-test-secret-0123456789"
	t.Setenv("H2H_TLS_TEST_SECRET", secret)
	t.Setenv("SMSGW_PIN_KEY", e2eKey)
	body := fmt.Sprintf(`[database]
path = "gw.db"
[[bind]]
name = "a"
host = "127.0.0.1"
port = 1
system_id = "x"
[h2h]
enabled = true
listen = "127.0.0.1:0"
tls_cert_file = %q
tls_key_file = %q
[[h2h.partner]]
id = "p"
secret_env = "H2H_TLS_TEST_SECRET"
allow = ["127.0.0.1/32"]
callback_url = "https://partner.example/cb"
`, certFile, keyFile)
	path := filepath.Join(dir, "config.toml")
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := LoadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	st, err := openStore(t.Context(), &cfg, log, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	noSend := smsgw.SenderFunc(func(context.Context, smsgw.MT) ([]string, error) { return nil, fmt.Errorf("no SMSC") })
	gw, err := newGateway(&cfg, st, noSend, log, time.Now, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := gw.Init(t.Context()); err != nil {
		t.Fatal(err)
	}
	a := &App{Config: cfg, Logger: log, Now: time.Now, gw: gw}
	mux := http.NewServeMux()
	if err := a.mountH2H(mux); err != nil {
		t.Fatal(err)
	}
	defer a.stopH2H(t.Context())
	if jobs := a.h2hJobs(); len(jobs) != 3 {
		t.Errorf("h2hJobs = %d jobs, want 3", len(jobs))
	}
	w := httptest.NewRecorder()
	mux.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/h2h/balance", nil))
	if w.Code != http.StatusNotFound {
		t.Errorf("[http] mux serves /h2h/ (%d) although the API has its own listener", w.Code)
	}
	base := "https://" + a.h2h.ownL.Addr().String()
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	status, resp := h2hPost(t, client, base, "/h2h/balance", secret, `{"memberid":"p"}`, "tls-1")
	if status != http.StatusOK || resp["rc"] != "00" || resp["balance"] != float64(0) {
		t.Errorf("balance over TLS = %d %v", status, resp)
	}
	plain, err := http.Post("http://"+a.h2h.ownL.Addr().String()+"/h2h/balance", "application/json", strings.NewReader("{}"))
	if err == nil {
		plain.Body.Close()
		if plain.StatusCode != http.StatusBadRequest {
			t.Errorf("plain HTTP to the TLS listener = %d, want refused", plain.StatusCode)
		}
	}
}

// With [h2h] listen set, the partner API is served on its own listener
// also when [http] listen is empty.
func TestE2EPartnerAPIOwnListener(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	site := &h2hSite{fresh: make(chan struct{}, 1)}
	partner := httptest.NewServer(site)
	defer partner.Close()
	t.Setenv("E2E_H2H_SECRET", h2hSecret)
	e := newE2E(t, fmt.Sprintf(`
[h2h]
enabled = true
listen = %q
cutoff = "off"
callbacks = "@every 1s"
[[h2h.partner]]
id = "reseller"
secret_env = "E2E_H2H_SECRET"
allow = ["127.0.0.1/32"]
callback_url = %q
`, addr, partner.URL+"/report"))
	e.cli("balance Rp500.000", "partner", "deposit", "reseller", "500000", "-ref", "TRF-1")
	e.start()
	status, resp := h2hPost(t, http.DefaultClient, "http://"+addr, "/h2h/trx", h2hSecret,
		`{"memberid":"reseller","product":"IP50","dest":"`+e2eAccount+`","refid":"OWN-1"}`, "nonce-own-1")
	if status != http.StatusOK || resp["rc"] != "00" {
		t.Fatalf("top-up on the h2h listener = %d %v", status, resp)
	}
	e.reply("9779", "BERHASIL")
	if cb := site.wait(t, 1); cb["status"] != float64(20) || cb["refid"] != "OWN-1" {
		t.Errorf("callback = %v, want status 20 for OWN-1", cb)
	}
}

// TestE2EPartnerSimulate: `smsgw partner simulate` plays a kiosAMPM partner
// (OtomaX sign, text answers, the clear-text pin form from its one address)
// against the real daemon: every seed format passes; the daemon warns about
// the clear-text form and never logs the pin or password.
func TestE2EPartnerSimulate(t *testing.T) {
	const pin, password = "e2e-kios-pin-4321", "e2e-kios-pass-8765"
	t.Setenv("E2E_KIOS_SECRET", h2hSecret)
	t.Setenv("E2E_KIOS_PIN", pin)
	t.Setenv("E2E_KIOS_PASSWORD", password)
	report := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	e := newE2E(t, fmt.Sprintf(`
[h2h]
enabled = true
cutoff = "off"
callbacks = "@every 1s"
[[h2h.partner]]
id = "kios"
signature = "otomax"
secret_env = "E2E_KIOS_SECRET"
pin_env = "E2E_KIOS_PIN"
password_env = "E2E_KIOS_PASSWORD"
legacy_plain_pin = true
allow = ["127.0.0.1"]
max_addresses = 1
format = "text"
callback_url = "http://%s/report"
`, report))
	addr := e.listenHTTP()
	e.cli("warning: h2h.partner[0].legacy_plain_pin", "check-config")
	e.cli("balance Rp500.000", "partner", "deposit", "kios", "500000", "-ref", "TRF-K")
	e.start()
	out := e.cli("", "partner", "simulate", "kios", "-url", "http://"+addr, "-dest", e2eAccount, "-wait", "20s")
	var lines []string
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		f := strings.Fields(l)
		if len(f) < 4 {
			t.Fatalf("simulate line %q", l)
		}
		lines = append(lines, f[0]+" "+f[2]+" "+f[3])
	}
	want := "PASS 004 success,PASS 004 double,PASS 004 status,PASS 004 failed,PASS 004 request,PASS 002 report,PASS 002 report,PASS 002 report"
	if strings.Join(lines, ",") != want {
		t.Errorf("simulate printed\n%s\nwant %s", out, want)
	}
	for _, s := range []string{pin, password} {
		if strings.Contains(out, s) {
			t.Errorf("simulate output holds %q", s)
		}
	}
	e.stop()
	logs := e.stderr.String()
	if !strings.Contains(logs, "legacy_plain_pin") {
		t.Error("the daemon did not warn about the clear-text pin form")
	}
	for _, s := range []string{pin, password, h2hSecret} {
		if strings.Contains(logs, s) {
			t.Errorf("daemon log holds %q", s)
		}
	}
	// Nor does the database (or any file the daemon wrote).
	err := filepath.WalkDir(e.dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, s := range []string{pin, password} {
			if bytes.Contains(b, []byte(s)) && !strings.HasSuffix(path, ".toml") {
				t.Errorf("%s holds %q", path, s)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
