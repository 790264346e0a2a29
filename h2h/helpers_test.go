package h2h_test

import (
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/smsgw/smsgw/domain"
	"github.com/smsgw/smsgw/h2h"
	"github.com/smsgw/smsgw/partner"
	"github.com/smsgw/smsgw/smsgw"
	"github.com/smsgw/smsgw/smsgw/smsgwtest"
	"github.com/smsgw/smsgw/store/sqlite"
	"github.com/smsgw/smsgw/store/sqlite/sqlitetest"
)

// Secrets of the test partners. Tests assert that none of them reaches a
// log line.
const (
	demoKey     = "demo-secret-0123456789abcdef"
	mitraKey    = "mitra-secret-0123456789abcd"
	bankKey     = "bank-secret-0123456789abcdef"
	bankBasic   = "basic-pass-0123456789"
	kiosKey     = "kios-callback-key-000111"
	kiosPIN     = "kios-pin-8642"
	kiosPass    = "rahasia-kios"
	textKey     = "text-secret-0123456789abcd"
	payer       = "08110000002"
	payerPIN    = "246810"
	wallet      = "08110000009"
	walletCanon = domain.MSISDN("628110000009")
)

var secrets = []string{demoKey, mitraKey, bankKey, bankBasic, kiosKey, kiosPIN, kiosPass, textKey, payerPIN}

// env is a gateway with the partner API over a temporary SQLite store.
type env struct {
	t     testing.TB
	store *sqlite.Store
	gw    *smsgw.Gateway
	svc   *partner.Service
	srv   *h2h.Server
	ntf   *h2h.Notifier
	clk   *smsgwtest.Clock
	logs  *smsgwtest.LogBuffer
	out   *smsgwtest.Sender
	auth  []h2h.Partner
	// dbPath is the SQLite file (with its -wal and -shm beside it).
	dbPath string
}

var (
	loopback = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}
	wibZone  = time.FixedZone("WIB", 7*3600)
)

// newEnv builds the environment; callbackURL is where every partner's
// callbacks go.
func newEnv(t testing.TB, callbackURL string) *env {
	t.Helper()
	return newEnvWith(t, callbackURL, nil)
}

// newEnvWith is newEnv with edit applied to the partner options.
func newEnvWith(t testing.TB, callbackURL string, edit func(*partner.Options)) *env {
	t.Helper()
	return newEnvAuth(t, callbackURL, edit, nil)
}

// newEnvAuth is newEnvWith with editAuth applied to the partners' transport
// settings (by id) as well.
func newEnvAuth(t testing.TB, callbackURL string, edit func(*partner.Options), editAuth func(id string, p *h2h.Partner)) *env {
	t.Helper()
	if callbackURL == "" {
		callbackURL = "http://127.0.0.1:1/report"
	}
	clk := smsgwtest.NewClock(time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC))
	logs := &smsgwtest.LogBuffer{}
	log := smsgwtest.NewLogger(logs)
	out := &smsgwtest.Sender{}
	dbPath := filepath.Join(t.TempDir(), "gw.db")
	st, gw := sqlitetest.Open(t, smsgwtest.WithPath(dbPath), smsgwtest.WithClock(clk), smsgwtest.WithSender(out), smsgwtest.WithLogger(log),
		smsgwtest.WithStoreLogger(log), smsgwtest.WithCodes("9779", "3355"))
	ctx := t.Context()
	if err := gw.AddCustomer(ctx, payer, payer, "Budi Santoso", domain.PIN(payerPIN)); err != nil {
		t.Fatal(err)
	}
	if err := gw.AddWallet(ctx, wallet); err != nil {
		t.Fatal(err)
	}
	auth := []h2h.Partner{
		{ID: "demo", Scheme: h2h.SchemeHMAC, Keys: []h2h.Secret{demoKey}, Allow: append(loopback,
			netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("2001:db8::/32")), Format: h2h.FormatJSON},
		{ID: "mitra", Scheme: h2h.SchemeHMAC, Keys: []h2h.Secret{mitraKey}, Allow: loopback, Format: h2h.FormatJSON},
		{ID: "bank", Scheme: h2h.SchemeHMAC, Keys: []h2h.Secret{bankKey}, BasicUser: "bank", BasicPassword: bankBasic,
			Allow: loopback, Format: h2h.FormatJSON},
		{ID: "kios", Scheme: h2h.SchemeOtomaX, Keys: []h2h.Secret{kiosKey}, PIN: kiosPIN, Password: kiosPass,
			Allow: loopback, Format: h2h.FormatText},
		{ID: "text", Scheme: h2h.SchemeHMAC, Keys: []h2h.Secret{textKey}, Allow: loopback, Format: h2h.FormatText},
	}
	for i := range auth {
		auth[i].CallbackURL = callbackURL
		if editAuth != nil {
			editAuth(auth[i].ID, &auth[i])
		}
	}
	ntf, err := h2h.NewNotifier(h2h.NotifierOptions{Partners: auth, Now: clk.Now, Location: wibZone, Timeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	opts := partner.Options{
		Partners: []partner.Partner{
			{ID: "demo", Mode: partner.ModeImmediate},
			{ID: "mitra", Mode: partner.ModeConfirm},
			{ID: "bank", Mode: partner.ModeImmediate, VA: true},
			{ID: "kios", Mode: partner.ModeImmediate},
			{ID: "text", Mode: partner.ModeImmediate},
		},
		Cutoff:   partner.Cutoff{Start: 23*time.Hour + 30*time.Minute, End: 30 * time.Minute, Location: wibZone},
		Notifier: ntf,
		Logger:   log,
	}
	if edit != nil {
		edit(&opts)
	}
	svc, err := partner.New(gw, opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.Init(ctx); err != nil {
		t.Fatal(err)
	}
	srv, err := h2h.New(h2h.Options{Partners: auth, Service: svc, Now: clk.Now, Location: wibZone, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, store: st, gw: gw, svc: svc, srv: srv, ntf: ntf, clk: clk, logs: logs, out: out, auth: auth, dbPath: dbPath}
	t.Cleanup(e.checkLogs)
	return e
}

// with returns e reporting to t (a subtest).
func (e *env) with(t *testing.T) *env {
	c := *e
	c.t = t
	return &c
}

// checkLogs fails the test if a secret reached the log output.
func (e *env) checkLogs() {
	logs := e.logs.String()
	for _, s := range secrets {
		// Delimited, so that a PIN's digits inside a duration or a
		// timestamp do not count.
		re := regexp.MustCompile(`(^|[^0-9A-Za-z])` + regexp.QuoteMeta(s) + `($|[^0-9A-Za-z])`)
		if re.MatchString(logs) {
			e.t.Errorf("log output contains the secret %q", s)
		}
	}
}

func (e *env) deposit(partner string, amount domain.Amount) {
	e.t.Helper()
	if _, err := e.svc.Deposit(e.t.Context(), smsgw.Actor{Name: "test"}, partner, amount, fmt.Sprint("dep-", partner, "-", amount, "-", time.Now().UnixNano())); err != nil {
		e.t.Fatal(err)
	}
}

// req is a request to send.
type req struct {
	method, uri string
	body        string
	ctype       string
	remote      string
	key         string // HMAC key; "" sends no signature headers
	ts          string // default: the clock
	nonce       string // default: a fresh one
	sig         string // override the signature
	user, pass  string
	tls         bool // the request arrived over TLS
}

var nonces atomic.Int64

// build makes the HTTP request.
func (e *env) build(r req) *http.Request {
	if r.method == "" {
		r.method = http.MethodPost
	}
	var body io.Reader
	if r.body != "" {
		body = strings.NewReader(r.body)
	}
	hr := httptest.NewRequestWithContext(e.t.Context(), r.method, r.uri, body)
	if r.remote == "" {
		r.remote = "127.0.0.1:40000"
	}
	hr.RemoteAddr = r.remote
	if r.ctype == "" && r.body != "" {
		r.ctype = "application/json"
		if !strings.HasPrefix(r.body, "{") {
			r.ctype = "application/x-www-form-urlencoded"
		}
	}
	if r.ctype != "" {
		hr.Header.Set("Content-Type", r.ctype)
	}
	if r.key != "" {
		if r.ts == "" {
			r.ts = strconv.FormatInt(e.clk.Now().Unix(), 10)
		}
		if r.nonce == "" {
			r.nonce = fmt.Sprint("nonce-", nonces.Add(1))
		}
		if r.sig == "" {
			r.sig = h2h.Sign(h2h.Secret(r.key), r.method, hr.URL.RequestURI(), r.ts, r.nonce, []byte(r.body))
		}
		hr.Header.Set(h2h.HeaderTimestamp, r.ts)
		hr.Header.Set(h2h.HeaderNonce, r.nonce)
		hr.Header.Set(h2h.HeaderSignature, r.sig)
	}
	if r.user != "" {
		hr.SetBasicAuth(r.user, r.pass)
	}
	if r.tls {
		hr.TLS = &tls.ConnectionState{HandshakeComplete: true, Version: tls.VersionTLS13}
	}
	return hr
}

// do serves r and returns the recorder.
func (e *env) do(r req) *httptest.ResponseRecorder {
	e.t.Helper()
	w := httptest.NewRecorder()
	e.srv.ServeHTTP(w, e.build(r))
	return w
}

// json serves r and decodes a JSON answer, checking HTTP status and rc.
func (e *env) json(r req, status int, rc string) h2h.Response {
	e.t.Helper()
	w := e.do(r)
	var resp h2h.Response
	if err := json.Unmarshal(w.Body.Bytes(), &resp); err != nil {
		e.t.Fatalf("%s %s: answer %q is not JSON: %v", r.method, r.uri, w.Body.String(), err)
	}
	if w.Code != status || resp.RC != rc {
		e.t.Fatalf("%s %s = HTTP %d rc %s (%s), want HTTP %d rc %s", r.method, r.uri, w.Code, resp.RC, resp.Message, status, rc)
	}
	return resp
}

// trxBody is a JSON top-up body.
func trxBody(member, product, dest, refid string) string {
	b, _ := json.Marshal(map[string]string{"memberid": member, "product": product, "dest": dest, "refid": refid})
	return string(b)
}

// request returns the partner's request with refid.
func (e *env) request(partnerID, refid string) partner.Request {
	e.t.Helper()
	rs, err := e.svc.Requests(e.t.Context(), partner.RequestFilter{Partner: partnerID, RefID: refid})
	if err != nil || len(rs) != 1 {
		e.t.Fatalf("request %s/%s: %v, %v", partnerID, refid, rs, err)
	}
	return rs[0]
}

// requests returns every partner request.
func (e *env) requests() []partner.Request {
	e.t.Helper()
	rs, err := e.svc.Requests(e.t.Context(), partner.RequestFilter{Limit: 1000})
	if err != nil {
		e.t.Fatal(err)
	}
	return rs
}

func (e *env) balance(account string) domain.Amount {
	e.t.Helper()
	a, _, err := e.gw.Wallet(e.t.Context(), account, 1)
	if err != nil {
		e.t.Fatal(err)
	}
	return a.Balance
}

func (e *env) credits(account domain.MSISDN) int {
	e.t.Helper()
	var n int
	err := e.store.View(e.t.Context(), func(tx smsgw.Tx) error {
		ts, err := tx.Transfers(domain.WalletID(account), 1000)
		n = len(ts)
		return err
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return n
}
