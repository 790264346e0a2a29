package console_test

import (
	"bytes"
	"fmt"
	"html"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/smsgw/smsgw/console"
	"github.com/smsgw/smsgw/domain"
	"github.com/smsgw/smsgw/esme"
	"github.com/smsgw/smsgw/partner"
	"github.com/smsgw/smsgw/smsgw"
	"github.com/smsgw/smsgw/smsgw/smsgwtest"
	"github.com/smsgw/smsgw/store/sqlite"
	"github.com/smsgw/smsgw/store/sqlite/sqlitetest"
)

// The customers of the test data and their PINs. The PINs are digit
// strings that appear nowhere else in the data, so a search for them in a
// page finds only a leak.
const (
	payerA   = "08110000002"
	payerAN  = "628110000002"
	pinA     = "975312"
	wrongA   = "864209"
	payerB   = "08110000001"
	payerBN  = "628110000001"
	pinB     = "317953"
	payerC   = "08110000003"
	payerCN  = "628110000003"
	pinC     = "420864"
	request  = "9779"
	pinCode  = "3355"
	pageSize = 4
)

// Console users of the tests (bcrypt at the minimum cost keeps them fast).
const (
	adminName  = "ana"
	adminPass  = "ana-password-1"
	viewerName = "vic"
	viewerPass = "vic-password-1"
)

// t0 is the start of the test data: 10:00 in Jakarta.
var (
	t0  = time.Date(2025, 3, 1, 3, 0, 0, 0, time.UTC)
	wib = time.FixedZone("WIB", 7*3600)
)

// binds is a fake set of SMPP binds.
type binds struct {
	mu        sync.Mutex
	suspended map[string]bool
	calls     []string
}

func (b *binds) Status() []esme.BindStatus {
	b.mu.Lock()
	defer b.mu.Unlock()
	return []esme.BindStatus{
		{Name: "smsc1", Route: "tsel", Bound: !b.suspended["smsc1"], Suspended: b.suspended["smsc1"], Window: 10, InUse: 2, MOPerMinute: 3, MTPerMinute: 4},
		{Name: "smsc2", Route: "isat", Bound: false, Throttled: true},
	}
}

func (b *binds) Routes() []esme.RouteStatus {
	b.mu.Lock()
	defer b.mu.Unlock()
	up := 0
	if !b.suspended["smsc1"] {
		up = 1
	}
	return []esme.RouteStatus{
		{Name: "tsel", Binds: 1, Up: up, Default: true, Held: up == 0, MOPerMinute: 3, MTPerMinute: 4},
		{Name: "isat", Binds: 1, Held: true},
	}
}

func (b *binds) set(name string, v bool) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if name != "smsc1" && name != "smsc2" {
		return fmt.Errorf("%w %q", esme.ErrUnknownBind, name)
	}
	b.suspended[name] = v
	b.calls = append(b.calls, fmt.Sprintf("%s:%v", name, v))
	return nil
}

func (b *binds) Suspend(name string) error { return b.set(name, true) }
func (b *binds) Resume(name string) error  { return b.set(name, false) }

// harness is a console over a real SQLite store holding a few finished
// and open top-ups.
type harness struct {
	t     *testing.T
	clk   *smsgwtest.Clock
	store *sqlite.Store
	gw    *smsgw.Gateway
	binds *binds
	con   *console.Console
	srv   *httptest.Server
	logs  *smsgwtest.LogBuffer

	// Ids of the test data.
	sessA, sessB, sessC int64
	transferA           int64
	transferBank        int64
}

type harnessOption func(*console.Options)

func newHarness(t *testing.T, opts ...harnessOption) *harness {
	t.Helper()
	h := &harness{t: t, clk: smsgwtest.NewClock(t0), binds: &binds{suspended: map[string]bool{}}, logs: new(smsgwtest.LogBuffer)}
	logger := smsgwtest.NewLogger(h.logs)
	h.store, h.gw = sqlitetest.Open(t, smsgwtest.WithClock(h.clk), smsgwtest.WithLogger(logger),
		smsgwtest.WithCodes(request, pinCode), smsgwtest.WithPINKey(bytes.Repeat([]byte{9}, 32)))
	st := h.store
	partner.Register(h.gw) // as the daemon does: partner credits are refundable
	h.seed()

	o := console.Options{
		Store: st, Admin: h.gw, Binds: h.binds,
		Users: []console.User{
			{Name: adminName, Role: console.RoleAdmin, PasswordHash: mustBcrypt(t, adminPass)},
			{Name: viewerName, Role: console.RoleViewer, PasswordHash: mustBcrypt(t, viewerPass)},
		},
		Location: wib, PageSize: pageSize, Now: h.clk.Now, Logger: logger,
	}
	for _, opt := range opts {
		opt(&o)
	}
	con, err := console.New(o)
	if err != nil {
		t.Fatalf("console.New: %v", err)
	}
	h.con = con
	h.srv = httptest.NewServer(h.con)
	t.Cleanup(h.srv.Close)
	return h
}

func mustBcrypt(t *testing.T, pw string) string {
	t.Helper()
	b, err := bcrypt.GenerateFromPassword([]byte(pw), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// mo delivers one MO at the clock's time and processes it.
func (h *harness) mo(from, to, text string) {
	h.t.Helper()
	ctx := h.t.Context()
	if err := h.gw.HandleMO(ctx, smsgw.MO{From: from, To: to, Text: text}); err != nil {
		h.t.Fatalf("HandleMO(%s): %v", to, err)
	}
	h.flush()
}

func (h *harness) flush() {
	h.t.Helper()
	if _, err := h.gw.ProcessInbox(h.t.Context()); err != nil {
		h.t.Fatalf("ProcessInbox: %v", err)
	}
	if _, err := h.gw.SendDue(h.t.Context()); err != nil {
		h.t.Fatalf("SendDue: %v", err)
	}
}

// seed records: A confirms a top-up after one wrong PIN (the result SMS is
// delivered); B asks for a balance, then lets a request expire; C has an
// open request; a bank transfer credits C's wallet without a session.
func (h *harness) seed() {
	t := h.t
	ctx := t.Context()
	for _, c := range []struct{ msisdn, pin, name string }{{payerA, pinA, "Ani"}, {payerB, pinB, "Budi"}, {payerC, pinC, "Citra"}} {
		if err := h.gw.AddCustomer(ctx, c.msisdn, c.msisdn, c.name, domain.PIN(c.pin)); err != nil {
			t.Fatal(err)
		}
	}
	h.mo(payerA, request, "IM2PAY "+payerA+" 50000")
	h.clk.Add(time.Minute)
	h.mo(payerA, pinCode, wrongA)
	h.clk.Add(time.Minute)
	h.mo(payerA, pinCode, pinA)
	h.clk.Add(10 * time.Second)
	h.must(h.gw.HandleReceipt(ctx, smsgw.Receipt{SMSCID: "mt-3", State: smsgw.MsgDelivered, Error: "000"}))
	h.clk.Add(time.Minute)
	h.mo(payerB, request, "SALDO")
	h.clk.Add(time.Minute)
	h.mo(payerB, request, "IM2PAY "+payerB+" 75000")
	h.clk.Add(6 * time.Minute)
	if _, err := h.gw.ExpirePending(ctx, h.clk.Now()); err != nil {
		t.Fatal(err)
	}
	if _, err := h.gw.QueueExpiryNotices(ctx); err != nil {
		t.Fatal(err)
	}
	h.flush()
	h.clk.Add(time.Minute)
	h.mo(payerC, request, "IM2PAY "+payerC+" 100000")
	h.clk.Add(time.Minute)
	h.must(h.store.Update(ctx, func(tx smsgw.Tx) error {
		tr := &smsgw.Transfer{IdempotencyKey: "bank:VA-1", Kind: partner.TransferBankVA, From: h.gw.Settlement(),
			To: domain.WalletID(payerCN), Amount: 150_000, Reference: "VA-1"}
		if err := tx.Transfer(tr); err != nil {
			return err
		}
		h.transferBank = tr.ID
		return nil
	}))
	h.clk.Add(time.Minute)
	h.must(h.store.View(ctx, func(tx smsgw.Tx) error {
		for _, p := range []struct {
			msisdn domain.MSISDN
			id     *int64
		}{{payerAN, &h.sessA}, {payerBN, &h.sessB}, {payerCN, &h.sessC}} {
			ss, err := tx.Sessions(smsgw.SessionFilter{MSISDN: p.msisdn})
			if err != nil {
				return err
			}
			if len(ss) != 1 {
				return fmt.Errorf("%s has %d sessions, want 1", p.msisdn, len(ss))
			}
			*p.id = ss[0].ID
			if p.msisdn == payerAN {
				h.transferA = ss[0].TransferID
			}
		}
		return nil
	}))
	if h.transferA == 0 {
		t.Fatal("A's top-up was not confirmed")
	}
}

func (h *harness) must(err error) {
	h.t.Helper()
	if err != nil {
		h.t.Fatal(err)
	}
}

// messages returns the whole SMS log, newest first.
func (h *harness) messages() []smsgw.Message {
	h.t.Helper()
	var ms []smsgw.Message
	h.must(h.store.View(h.t.Context(), func(tx smsgw.Tx) (err error) {
		ms, err = tx.Messages(smsgw.MessageFilter{Limit: 10_000})
		return err
	}))
	return ms
}

// audit returns the audit trail, newest first.
func (h *harness) audit() []smsgw.AuditEntry {
	h.t.Helper()
	var es []smsgw.AuditEntry
	h.must(h.store.View(h.t.Context(), func(tx smsgw.Tx) (err error) {
		es, err = tx.AuditTrail(smsgw.AuditFilter{Limit: 10_000})
		return err
	}))
	return es
}

func (h *harness) customer(m domain.MSISDN) *smsgw.Customer {
	h.t.Helper()
	var c *smsgw.Customer
	h.must(h.store.View(h.t.Context(), func(tx smsgw.Tx) (err error) {
		c, err = tx.Customer(m)
		return err
	}))
	return c
}

// client is a browser: a cookie jar, no automatic redirects.
type client struct {
	t    *testing.T
	h    *harness
	http *http.Client
	csrf string // the session's form token, once logged in
}

func (h *harness) client() *client {
	jar, err := cookiejar.New(nil)
	if err != nil {
		h.t.Fatal(err)
	}
	return &client{t: h.t, h: h, http: &http.Client{
		Jar:           jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// clientFrom is a client whose connections come from the loopback address
// ip (any 127.0.0.0/8 address), so that tests can play several machines.
func (h *harness) clientFrom(ip string) *client {
	c := h.client()
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}}
	c.http.Transport = &http.Transport{DialContext: d.DialContext}
	h.t.Cleanup(c.http.CloseIdleConnections)
	return c
}

// response is a finished request.
type response struct {
	status int
	header http.Header
	body   string
}

func (c *client) do(req *http.Request) response {
	c.t.Helper()
	res, err := c.http.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	return response{status: res.StatusCode, header: res.Header, body: string(b)}
}

func (c *client) get(path string) response {
	c.t.Helper()
	req, err := http.NewRequestWithContext(c.t.Context(), http.MethodGet, c.h.srv.URL+path, nil)
	if err != nil {
		c.t.Fatal(err)
	}
	return c.do(req)
}

func (c *client) post(path string, form url.Values, header ...string) response {
	c.t.Helper()
	req, err := http.NewRequestWithContext(c.t.Context(), http.MethodPost, c.h.srv.URL+path, strings.NewReader(form.Encode()))
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return c.do(req)
}

// postCSRF posts form with the session's CSRF token.
func (c *client) postCSRF(path string, form url.Values) response {
	c.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	form.Set("csrf", c.csrf)
	return c.post(path, form)
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// tryLogin fetches the login form and posts name and password.
func (c *client) tryLogin(name, password string) response {
	c.t.Helper()
	page := c.get("/console/login")
	m := csrfField.FindStringSubmatch(page.body)
	if m == nil {
		c.t.Fatalf("login page has no CSRF field:\n%s", page.body)
	}
	return c.post("/console/login", url.Values{"username": {name}, "password": {password}, "csrf": {m[1]}})
}

// login logs in or fails the test, and keeps the session's CSRF token.
func (c *client) login(name, password string) *client {
	c.t.Helper()
	res := c.tryLogin(name, password)
	if res.status != http.StatusSeeOther {
		c.t.Fatalf("login as %s: status %d, want 303\n%s", name, res.status, res.body)
	}
	page := c.get("/console/")
	m := csrfField.FindStringSubmatch(page.body)
	if m == nil {
		c.t.Fatalf("dashboard has no CSRF field:\n%s", page.body)
	}
	c.csrf = m[1]
	return c
}

func (h *harness) admin() *client  { return h.client().login(adminName, adminPass) }
func (h *harness) viewer() *client { return h.client().login(viewerName, viewerPass) }

// rowIDs returns the numbers of the elements with id="PREFIX-N" in body,
// in document order.
func rowIDs(body, prefix string) []int64 {
	re := regexp.MustCompile(`id="` + regexp.QuoteMeta(prefix) + `-(\d+)"`)
	var out []int64
	for _, m := range re.FindAllStringSubmatch(body, -1) {
		var n int64
		fmt.Sscan(m[1], &n)
		out = append(out, n)
	}
	return out
}

var nextLink = regexp.MustCompile(`id="next" href="([^"]+)"`)

// allRows follows the pages of a list from path and collects the row ids.
func (c *client) allRows(path, prefix string) []int64 {
	c.t.Helper()
	var ids []int64
	for range 100 {
		res := c.get(path)
		if res.status != http.StatusOK {
			c.t.Fatalf("GET %s = %d\n%s", path, res.status, res.body)
		}
		ids = append(ids, rowIDs(res.body, prefix)...)
		m := nextLink.FindStringSubmatch(res.body)
		if m == nil {
			return ids
		}
		path = htmlUnescape(m[1])
	}
	c.t.Fatalf("more than 100 pages at %s", path)
	return nil
}

func htmlUnescape(s string) string { return html.UnescapeString(s) }
