package console_test

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/smsgw/smsgw/console"
	"github.com/smsgw/smsgw/smsgw"
	"github.com/smsgw/smsgw/store/storetest"
)

// The store contract checks the console's logins through an interface of
// its own; it must keep every method of console.LoginStore.
var _ console.LoginStore = storetest.LoginStore(nil)

// pagePaths are GET pages and exports of the console, for the tests that
// must cover every one of them.
func (h *harness) pagePaths() []string {
	return []string{
		"/console/",
		"/console/?minutes=180",
		"/console/sms",
		"/console/sms?msisdn=" + payerA,
		"/console/sms?format=csv",
		"/console/sms?format=json",
		"/console/sms/1",
		fmt.Sprintf("/console/tx/%d", h.sessA),
		fmt.Sprintf("/console/tx/%d?format=json", h.sessA),
		fmt.Sprintf("/console/tx/%d?format=csv", h.sessA),
		fmt.Sprintf("/console/transfers/%d", h.transferBank),
		"/console/sessions",
		"/console/sessions?format=csv",
		"/console/customers",
		"/console/customers?format=json",
		"/console/customers/" + payerAN,
		"/console/ledger",
		"/console/ledger?account=" + payerA,
		"/console/ledger?account=settlement:bank&format=csv",
		"/console/audit",
		"/console/audit?format=json",
		"/console/partners",
		"/console/partners?format=csv",
		"/console/callbacks?status=dead",
		"/console/callbacks?format=json",
		"/console/blocked",
	}
}

// adminActions are the admin POST endpoints with valid form values.
func adminActions() map[string]url.Values {
	return map[string]url.Values{
		"/console/customers/" + payerBN + "/lock":      {"duration": {"forever"}},
		"/console/customers/" + payerBN + "/unlock":    {},
		"/console/customers/" + payerBN + "/reset-pin": {"new_pin": {"135790"}, "confirm_pin": {"135790"}},
		"/console/binds/smsc1/suspend":                 {},
		"/console/binds/smsc1/resume":                  {},
		"/console/callbacks/1/resend":                  {},
		"/console/blocked/" + payerBN + "/unblock":     {},
	}
}

func TestNoPageWithoutLogin(t *testing.T) {
	h := newHarness(t)
	c := h.client()
	for _, p := range h.pagePaths() {
		res := c.get(p)
		if res.status != http.StatusSeeOther {
			t.Errorf("GET %s without login = %d, want 303 to the login page", p, res.status)
			continue
		}
		want := "/console/login?next=" + url.QueryEscape(p)
		if loc := res.header.Get("Location"); loc != want {
			t.Errorf("GET %s without login redirects to %q, want %q", p, loc, want)
		}
		if strings.Contains(res.body, "IM2PAY") || strings.Contains(res.body, "Rp") || strings.Contains(res.body, "Ani") {
			t.Errorf("GET %s without login leaks data:\n%s", p, res.body)
		}
	}
	for p, form := range adminActions() {
		form.Set("csrf", "guess")
		if res := c.post(p, form); res.status != http.StatusUnauthorized {
			t.Errorf("POST %s without login = %d, want 401", p, res.status)
		}
	}
	if res := c.post("/console/logout", url.Values{"csrf": {"guess"}}); res.status != http.StatusUnauthorized {
		t.Errorf("POST /console/logout without login = %d, want 401", res.status)
	}
	// A forged cookie is no session.
	forged := h.client()
	u, _ := url.Parse(h.srv.URL + "/console/")
	forged.http.Jar.SetCookies(u, []*http.Cookie{{Name: "smsgw_console", Value: "forged", Path: "/console"}})
	if res := forged.get("/console/"); res.status != http.StatusSeeOther {
		t.Errorf("GET /console/ with a forged cookie = %d, want 303", res.status)
	}
	if c := h.customer(payerBN); c.LockedUntil != nil || len(h.binds.calls) != 0 || len(h.audit()) != 0 {
		t.Errorf("refused POSTs changed something: lock %v, bind calls %v, audit %+v", c.LockedUntil, h.binds.calls, h.audit())
	}
	// The assets of the login page need no login.
	for _, p := range []string{"/console/static/console.css", "/console/static/console.js"} {
		if res := c.get(p); res.status != http.StatusOK {
			t.Errorf("GET %s = %d, want 200", p, res.status)
		}
	}
	if res := c.get("/console/static/"); res.status != http.StatusNotFound {
		t.Errorf("GET /console/static/ = %d, want 404 (no listing)", res.status)
	}
}

func TestLogin(t *testing.T) {
	h := newHarness(t)
	t.Run("form", func(t *testing.T) {
		res := h.client().get("/console/login")
		for _, want := range []string{`id="login-form"`, `name="username"`, `name="password"`, `type="password"`, `type="submit"`, `name="csrf"`} {
			if !strings.Contains(res.body, want) {
				t.Errorf("login page lacks %s", want)
			}
		}
		if csp := res.header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "frame-ancestors 'none'") {
			t.Errorf("Content-Security-Policy = %q", csp)
		}
	})
	t.Run("wrong password", func(t *testing.T) {
		res := h.client().tryLogin(adminName, "not-the-password")
		if res.status != http.StatusUnauthorized || !strings.Contains(res.body, "Wrong user name or password") {
			t.Errorf("wrong password: %d\n%s", res.status, res.body)
		}
		if strings.Contains(res.body, "not-the-password") {
			t.Errorf("the login page shows the password typed")
		}
	})
	t.Run("unknown user", func(t *testing.T) {
		if res := h.client().tryLogin("mallory", adminPass); res.status != http.StatusUnauthorized {
			t.Errorf("unknown user: %d, want 401", res.status)
		}
	})
	t.Run("no login token", func(t *testing.T) {
		res := h.client().post("/console/login", url.Values{"username": {adminName}, "password": {adminPass}})
		if res.status != http.StatusForbidden {
			t.Errorf("login without CSRF token: %d, want 403", res.status)
		}
	})
	t.Run("token of another browser", func(t *testing.T) {
		other := h.client().get("/console/login")
		tok := csrfField.FindStringSubmatch(other.body)[1]
		c := h.client()
		c.get("/console/login") // its own cookie, another token
		res := c.post("/console/login", url.Values{"username": {adminName}, "password": {adminPass}, "csrf": {tok}})
		if res.status != http.StatusForbidden {
			t.Errorf("login with another browser's token: %d, want 403", res.status)
		}
	})
	t.Run("success", func(t *testing.T) {
		c := h.client()
		res := c.tryLogin("ANA", adminPass) // names ignore case
		if res.status != http.StatusSeeOther || res.header.Get("Location") != "/console/" {
			t.Fatalf("login: %d to %q, want 303 to /console/", res.status, res.header.Get("Location"))
		}
		ck := findCookie(res, "smsgw_console")
		if ck == nil {
			t.Fatalf("login set no session cookie: %v", res.header["Set-Cookie"])
		}
		if !ck.HttpOnly || ck.SameSite != http.SameSiteStrictMode || ck.Path != "/console" || ck.Secure {
			t.Errorf("session cookie = %+v, want HttpOnly, SameSite=Strict, Path=/console, not Secure over plain HTTP", ck)
		}
		if page := c.get("/console/"); page.status != http.StatusOK || !strings.Contains(page.body, `id="whoami">ana (admin)`) {
			t.Errorf("dashboard after login: %d\n%s", page.status, page.body)
		}
		es := h.audit()
		if len(es) == 0 || es[0].Action != smsgw.ActionLogin || es[0].Actor != adminName || es[0].Remote != "127.0.0.1" {
			t.Errorf("audit after login = %+v, want a console.login entry by ana from 127.0.0.1", es)
		}
	})
	t.Run("next", func(t *testing.T) {
		for next, want := range map[string]string{
			"/console/sms?msisdn=0811": "/console/sms?msisdn=0811",
			"//evil.example/":          "/console/",
			"https://evil.example/":    "/console/",
			"/console/../admin":        "/console/",
			"/elsewhere":               "/console/",
		} {
			h.clk.Add(time.Minute) // stay under the login rate limit
			c := h.client()
			page := c.get("/console/login?next=" + url.QueryEscape(next))
			tok := csrfField.FindStringSubmatch(page.body)[1]
			res := c.post("/console/login", url.Values{"username": {adminName}, "password": {adminPass}, "csrf": {tok}, "next": {next}})
			if got := res.header.Get("Location"); got != want {
				t.Errorf("login with next=%q redirects to %q, want %q", next, got, want)
			}
		}
	})
}

func TestSecureCookies(t *testing.T) {
	h := newHarness(t, func(o *console.Options) { o.SecureCookies = true })
	res := h.client().tryLogin(adminName, adminPass)
	if ck := findCookie(res, "smsgw_console"); ck == nil || !ck.Secure {
		t.Errorf("session cookie with SecureCookies = %+v, want Secure", ck)
	}
}

func findCookie(res response, name string) *http.Cookie {
	for _, ck := range (&http.Response{Header: res.header}).Cookies() {
		if ck.Name == name {
			return ck
		}
	}
	return nil
}

func TestLoginRateLimit(t *testing.T) {
	h := newHarness(t, func(o *console.Options) { o.LoginAttempts, o.LoginWindow = 3, time.Minute })
	c := h.client()
	for i := range 3 {
		if res := c.tryLogin(adminName, "wrong"); res.status != http.StatusUnauthorized {
			t.Fatalf("attempt %d: %d, want 401", i+1, res.status)
		}
	}
	res := c.tryLogin(adminName, adminPass)
	if res.status != http.StatusTooManyRequests || res.header.Get("Retry-After") == "" {
		t.Fatalf("4th attempt (right password) = %d, Retry-After %q; want 429 with Retry-After", res.status, res.header.Get("Retry-After"))
	}
	if !strings.Contains(res.body, "Too many login attempts") {
		t.Errorf("429 page does not explain:\n%s", res.body)
	}
	// Another user from the same address still gets in (the per-address
	// limit is wider than the per-user one).
	h.client().login(viewerName, viewerPass)
	// One attempt comes back after window/attempts.
	h.clk.Add(21 * time.Second)
	if res := c.tryLogin(adminName, adminPass); res.status != http.StatusSeeOther {
		t.Errorf("login after waiting = %d, want 303", res.status)
	}
	// The address limit: 4 x 3 attempts per minute from one address.
	h2 := newHarness(t, func(o *console.Options) { o.LoginAttempts, o.LoginWindow = 3, time.Minute })
	c2 := h2.client()
	limited := false
	for i := range 13 {
		res := c2.tryLogin(fmt.Sprintf("user%d", i), "wrong")
		if res.status == http.StatusTooManyRequests {
			limited = i == 12
			break
		}
	}
	if !limited {
		t.Errorf("13 attempts with different names from one address were not limited at the 13th")
	}
}

func TestCSRF(t *testing.T) {
	h := newHarness(t)
	c := h.admin()
	other := h.admin()
	before := len(h.audit())
	lock := "/console/customers/" + payerBN + "/lock"
	for name, form := range map[string]url.Values{
		"missing": {"duration": {"forever"}},
		"wrong":   {"duration": {"forever"}, "csrf": {"x" + c.csrf}},
		"empty":   {"duration": {"forever"}, "csrf": {""}},
	} {
		if res := c.post(lock, form); res.status != http.StatusForbidden {
			t.Errorf("lock with %s CSRF token = %d, want 403", name, res.status)
		}
	}
	// Another session's token does not work either.
	if res := c.post(lock, url.Values{"duration": {"forever"}, "csrf": {other.csrf}}); res.status != http.StatusForbidden {
		t.Errorf("lock with another session's token = %d, want 403", res.status)
	}
	// A cross-site browser request is refused even with the token.
	res := c.post(lock, url.Values{"duration": {"forever"}, "csrf": {c.csrf}}, "Sec-Fetch-Site", "cross-site")
	if res.status != http.StatusForbidden {
		t.Errorf("cross-site lock = %d, want 403", res.status)
	}
	res = c.post(lock, url.Values{"duration": {"forever"}, "csrf": {c.csrf}}, "Origin", "https://evil.example")
	if res.status != http.StatusForbidden {
		t.Errorf("lock from another origin = %d, want 403", res.status)
	}
	if res := c.post("/console/binds/smsc1/suspend", url.Values{}); res.status != http.StatusForbidden {
		t.Errorf("suspend without token = %d, want 403", res.status)
	}
	if res := c.post("/console/logout", url.Values{}); res.status != http.StatusForbidden {
		t.Errorf("logout without token = %d, want 403", res.status)
	}
	if cu := h.customer(payerBN); cu.LockedUntil != nil {
		t.Errorf("customer locked by a refused POST until %v", cu.LockedUntil)
	}
	if len(h.binds.calls) != 0 || len(h.audit()) != before {
		t.Errorf("refused POSTs acted: bind calls %v, audit %+v", h.binds.calls, h.audit())
	}
	// The right token works.
	if res := c.postCSRF(lock, url.Values{"duration": {"forever"}}); res.status != http.StatusSeeOther {
		t.Errorf("lock with the token = %d, want 303\n%s", res.status, res.body)
	}
}

func TestViewerCannotAct(t *testing.T) {
	h := newHarness(t)
	v := h.viewer()
	before := h.audit()
	for p, form := range adminActions() {
		res := v.postCSRF(p, form)
		if res.status != http.StatusForbidden || !strings.Contains(res.body, "admin role") {
			t.Errorf("viewer POST %s = %d, want 403\n%s", p, res.status, res.body)
		}
	}
	if c := h.customer(payerBN); c.LockedUntil != nil || c.PINFailures != 0 {
		t.Errorf("viewer changed customer: %+v", c)
	}
	if len(h.binds.calls) != 0 {
		t.Errorf("viewer reached the binds: %v", h.binds.calls)
	}
	if after := h.audit(); len(after) != len(before) {
		t.Errorf("viewer actions were audited as done: %+v", after[:len(after)-len(before)])
	}
	// Viewers see the pages, without the admin forms.
	page := v.get("/console/customers/" + payerBN)
	if page.status != http.StatusOK || strings.Contains(page.body, "reset-pin-form") || strings.Contains(page.body, "lock-form") {
		t.Errorf("viewer's customer page: %d, admin forms shown: %v", page.status, strings.Contains(page.body, "reset-pin-form"))
	}
	if dash := v.get("/console/"); strings.Contains(dash.body, "/suspend") {
		t.Errorf("viewer's dashboard offers suspend")
	}
	// The admin does see them.
	if page := h.admin().get("/console/customers/" + payerBN); !strings.Contains(page.body, `id="reset-pin-form"`) {
		t.Errorf("admin's customer page lacks the reset PIN form")
	}
}

func TestSessionEnds(t *testing.T) {
	h := newHarness(t, func(o *console.Options) { o.IdleTimeout, o.SessionLifetime = 10*time.Minute, time.Hour })
	c := h.admin()
	for range 5 { // used every 9 minutes: stays alive until the lifetime ends
		h.clk.Add(9 * time.Minute)
		if res := c.get("/console/sms"); res.status != http.StatusOK {
			t.Fatalf("active session ended early: %d", res.status)
		}
	}
	h.clk.Add(16 * time.Minute) // 61 minutes after login
	if res := c.get("/console/sms"); res.status != http.StatusSeeOther {
		t.Errorf("session past its lifetime: %d, want 303 to login", res.status)
	}
	c = h.admin()
	h.clk.Add(11 * time.Minute)
	if res := c.get("/console/"); res.status != http.StatusSeeOther {
		t.Errorf("idle session: %d, want 303 to login", res.status)
	}
	c = h.admin()
	if res := c.postCSRF("/console/logout", nil); res.status != http.StatusSeeOther || res.header.Get("Location") != "/console/login" {
		t.Errorf("logout = %d to %q", res.status, res.header.Get("Location"))
	}
	if res := c.get("/console/"); res.status != http.StatusSeeOther {
		t.Errorf("page after logout: %d, want 303", res.status)
	}
	if es := h.audit(); es[0].Action != smsgw.ActionLogout || es[0].Actor != adminName {
		t.Errorf("newest audit entry after logout = %+v, want console.logout by ana", es[0])
	}
}

func TestNewRejects(t *testing.T) {
	h := newHarness(t)
	good := mustBcrypt(t, "password-1")
	for name, users := range map[string][]console.User{
		"no users":  nil,
		"bad role":  {{Name: "a", Role: "root", PasswordHash: good}},
		"bad name":  {{Name: "a b", Role: console.RoleAdmin, PasswordHash: good}},
		"duplicate": {{Name: "a", Role: console.RoleAdmin, PasswordHash: good}, {Name: "A", Role: console.RoleViewer, PasswordHash: good}},
		"bad hash":  {{Name: "a", Role: console.RoleAdmin, PasswordHash: "plain-text"}},
	} {
		if _, err := console.New(console.Options{Store: h.store, Admin: h.gw, Users: users}); err == nil {
			t.Errorf("New with %s = nil error", name)
		}
	}
}

// Guessing a user's password from another address never locks the user
// out of their own address; the guesser is throttled, per name and per
// address.
func TestLoginRateLimitPerAddress(t *testing.T) {
	h := newHarness(t, func(o *console.Options) { o.LoginAttempts, o.LoginWindow = 3, time.Minute })
	attacker := h.clientFrom("127.0.0.2")
	for i := range 3 {
		if res := attacker.tryLogin(adminName, "wrong"); res.status != http.StatusUnauthorized {
			t.Fatalf("guess %d: %d, want 401", i+1, res.status)
		}
	}
	for i := range 5 {
		if res := attacker.tryLogin(adminName, "wrong"); res.status != http.StatusTooManyRequests {
			t.Fatalf("guess %d after the limit: %d, want 429", i+4, res.status)
		}
	}
	// Even the right password is refused to the throttled address.
	if res := attacker.tryLogin(adminName, adminPass); res.status != http.StatusTooManyRequests {
		t.Errorf("right password from the throttled address = %d, want 429", res.status)
	}
	// The operator, from their own address, logs in at once.
	h.clientFrom("127.0.0.3").login(adminName, adminPass)
	// Other names from the attacker's address share its wider cap: 4 x 3
	// attempts a minute, every attempt counted (9 above, refused ones too).
	limited := 0
	for i := range 12 {
		if res := attacker.tryLogin(fmt.Sprintf("user%d", i), "wrong"); res.status == http.StatusTooManyRequests {
			limited = i + 1
			break
		}
	}
	if limited != 4 {
		t.Errorf("the address cap refused attempt %d with other names, want the 4th (12 a minute, 9 used)", limited)
	}
	// The operator is still not affected.
	h.clientFrom("127.0.0.3").login(adminName, adminPass)
}

// Two consoles on one store (two daemons behind a load balancer) share
// logins: a login on one works on the other, a logout on either ends it,
// and the store holds only the hash of the cookie.
func TestLoginsSharedByConsoles(t *testing.T) {
	h := newHarness(t)
	second, err := console.New(console.Options{
		Store: h.store, Admin: h.gw, Now: h.clk.Now,
		Users: []console.User{{Name: adminName, Role: console.RoleAdmin, PasswordHash: mustBcrypt(t, adminPass)}},
	})
	if err != nil {
		t.Fatal(err)
	}
	srv2 := httptest.NewServer(second)
	t.Cleanup(srv2.Close)
	get2 := func(c *client, path string) response {
		t.Helper()
		req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, srv2.URL+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		return c.do(req)
	}

	admin := h.admin()
	if res := get2(admin, "/console/sms"); res.status != http.StatusOK {
		t.Fatalf("login on the first console, page on the second: %d, want 200", res.status)
	}
	// The CSRF token of the session is the same on both.
	if page := get2(admin, "/console/"); !strings.Contains(page.body, `value="`+admin.csrf+`"`) {
		t.Errorf("the second console's forms carry another CSRF token")
	}
	// The viewer is not a user of the second console: its login is not
	// honoured there.
	viewer := h.viewer()
	if res := get2(viewer, "/console/sms"); res.status != http.StatusSeeOther {
		t.Errorf("a login of a user the second console does not know: %d, want 303 to login", res.status)
	}

	// The store holds the hash of the cookie, never the cookie.
	u, _ := url.Parse(h.srv.URL + "/console/")
	var token string
	for _, ck := range admin.http.Jar.Cookies(u) {
		if ck.Name == "smsgw_console" {
			token = ck.Value
		}
	}
	if token == "" {
		t.Fatal("no session cookie")
	}
	err = h.store.View(t.Context(), func(tx smsgw.Tx) error {
		ls := tx.(console.LoginStore)
		if _, _, _, err := ls.Login(token); smsgw.ErrorCode(err) != smsgw.ENotFound {
			t.Errorf("the store finds a login by the clear cookie value (err %v)", err)
		}
		sum := sha256.Sum256([]byte(token))
		if name, _, _, err := ls.Login(hex.EncodeToString(sum[:])); err != nil || name != adminName {
			t.Errorf("login by the cookie's hash = %q, %v; want %s", name, err, adminName)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	// A logout on the second console ends the login on the first.
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, srv2.URL+"/console/logout",
		strings.NewReader(url.Values{"csrf": {admin.csrf}}.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if res := admin.do(req); res.status != http.StatusSeeOther {
		t.Fatalf("logout on the second console: %d", res.status)
	}
	if res := admin.get("/console/sms"); res.status != http.StatusSeeOther {
		t.Errorf("page on the first console after a logout on the second: %d, want 303", res.status)
	}
}

// Login attempts are counted in the store: attempts on one console use up
// the allowance on another, so a load balancer spreading guesses over
// daemons does not multiply them.
func TestLoginLimitSharedByConsoles(t *testing.T) {
	h := newHarness(t, func(o *console.Options) { o.LoginAttempts, o.LoginWindow = 2, time.Minute })
	second, err := console.New(console.Options{
		Store: h.store, Admin: h.gw, Now: h.clk.Now, LoginAttempts: 2, LoginWindow: time.Minute,
		Users: []console.User{{Name: adminName, Role: console.RoleAdmin, PasswordHash: mustBcrypt(t, adminPass)}},
	})
	if err != nil {
		t.Fatal(err)
	}
	srv2 := httptest.NewServer(second)
	t.Cleanup(srv2.Close)
	c := h.client()
	for range 2 {
		if res := c.tryLogin(adminName, "wrong"); res.status != http.StatusUnauthorized {
			t.Fatalf("wrong password: %d, want 401", res.status)
		}
	}
	// The third attempt, on the other console, is over the limit.
	c2 := h.client()
	c2.h = &harness{t: t, srv: srv2}
	if res := c2.tryLogin(adminName, adminPass); res.status != http.StatusTooManyRequests {
		t.Errorf("third attempt on the second console: %d, want 429", res.status)
	}
}
