package console

import (
	"bytes"
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/smsgw/smsgw/domain"
	"github.com/smsgw/smsgw/esme"
	"github.com/smsgw/smsgw/partner"
	"github.com/smsgw/smsgw/report"
	"github.com/smsgw/smsgw/smsgw"
)

//go:embed templates/*.html
var templateFiles embed.FS

//go:embed static
var staticFiles embed.FS

// Admin performs the audited admin actions; *smsgw.Gateway implements it.
// Each call writes its audit entry in the transaction of its change.
type Admin interface {
	LockCustomer(ctx context.Context, who smsgw.Actor, msisdn string, until time.Time) error
	UnlockCustomer(ctx context.Context, who smsgw.Actor, msisdn string) error
	ResetCustomerPIN(ctx context.Context, who smsgw.Actor, msisdn string, pin domain.PIN) error
	RecordAudit(ctx context.Context, who smsgw.Actor, action, target, detail string) error

	// Maker-checker corrections of the ledger: one admin requests a
	// reversal or refund, another approves or rejects it (see the
	// Gateway's methods for the rules and error codes).
	RequestCorrection(ctx context.Context, who smsgw.Actor, req smsgw.CorrectionRequest) (*smsgw.Correction, error)
	ApproveCorrection(ctx context.Context, who smsgw.Actor, id int64) (*smsgw.Correction, error)
	RejectCorrection(ctx context.Context, who smsgw.Actor, id int64, note string) (*smsgw.Correction, error)
	// Refundable reports whether a transfer of kind may be refunded (the
	// credit of a partner request, for one).
	Refundable(transferKind string) bool
}

// PartnerAdmin performs the audited actions on the host-to-host partner
// API and lists its blocked destinations; *partner.Service implements it.
// Each action writes its audit entry in the transaction of its change.
type PartnerAdmin interface {
	ResendCallback(ctx context.Context, who smsgw.Actor, id int64) error
	Unblock(ctx context.Context, who smsgw.Actor, dest string) error
	Blocked(ctx context.Context, limit int) ([]partner.Destination, error)
	List() []partner.Partner
}

// Binds reports and controls the SMPP binds; *esme.ESME implements it.
type Binds interface {
	Status() []esme.BindStatus
	// Routes reports the operators (routes) the binds are grouped in.
	Routes() []esme.RouteStatus
	Suspend(name string) error
	Resume(name string) error
}

// Options configure a Console.
type Options struct {
	Store smsgw.Store // read by every page and export
	Admin Admin       // admin actions and the audit trail
	Binds Binds       // bind status and suspend/resume; nil shows no binds
	// Partners resends callbacks and unblocks destinations of the partner
	// API; nil when the API is off: its requests and callbacks are still
	// shown, without actions and without the blocked destinations.
	Partners PartnerAdmin
	Users    []User

	// Location is the zone of the times shown, of filter times and of
	// "today" on the dashboard (default UTC).
	Location *time.Location
	// PartnerLocation is the zone of the partners' days, which the
	// reconciliation page compares (h2h.timezone; default Location).
	PartnerLocation *time.Location
	// MaxSettlement bounds an uploaded settlement file in bytes (default
	// 8 MiB).
	MaxSettlement int64
	// SessionLifetime bounds a login (default 8h); IdleTimeout ends a
	// session not used for that long (default 30m).
	SessionLifetime time.Duration
	IdleTimeout     time.Duration
	// SecureCookies marks cookies Secure on every request, for a console
	// behind a TLS-terminating proxy. Requests that arrive over TLS get
	// Secure cookies anyway.
	SecureCookies bool
	// LoginAttempts per LoginWindow are allowed for one user name from one
	// client address, and four times as many from one address whatever the
	// names (default 5 per minute). Attempts from other addresses never
	// use up an operator's own allowance: an attacker cannot lock a user
	// out. An IPv6 address counts by its /64 prefix.
	LoginAttempts int
	LoginWindow   time.Duration
	// PageSize is the number of rows per page (default 50).
	PageSize int
	// ExportRows bounds one export (default report.DefaultExportRows).
	ExportRows int
	// LockDurations are the lock lengths offered to admins (default 30m,
	// 2h, 24h), besides "until unlocked".
	LockDurations []time.Duration
	// Warnings are shown on every page to logged-in users: settings that
	// weaken security (such as a partner's clear-text pin form).
	Warnings []string

	Now    func() time.Time
	Logger *slog.Logger
}

// Console is the operator console: an http.Handler for everything under
// /console/. It is safe for concurrent use.
type Console struct {
	o        Options
	users    map[string]*user
	decoy    *passwordHash // verified for unknown users, so timing does not tell
	sessions *sessionStore
	byIP     *limiter      // per client address (IPv6: /64)
	byUser   *limiter      // per user name and client address
	verify   chan struct{} // bounds concurrent password hashing (argon2id memory)
	pages    map[string]*template.Template
	log      *slog.Logger
	handler  http.Handler
}

var userName = regexp.MustCompile(`^[A-Za-z0-9._@-]{1,64}$`)

// New checks the options and parses the templates. It does no I/O.
func New(o Options) (*Console, error) {
	if o.Store == nil || o.Admin == nil {
		return nil, errors.New("console: Store and Admin are required")
	}
	if o.Location == nil {
		o.Location = time.UTC
	}
	if o.PartnerLocation == nil {
		o.PartnerLocation = o.Location
	}
	if o.MaxSettlement <= 0 {
		o.MaxSettlement = 8 << 20
	}
	if o.SessionLifetime <= 0 {
		o.SessionLifetime = 8 * time.Hour
	}
	if o.IdleTimeout <= 0 {
		o.IdleTimeout = 30 * time.Minute
	}
	if o.LoginAttempts <= 0 {
		o.LoginAttempts = 5
	}
	if o.LoginWindow <= 0 {
		o.LoginWindow = time.Minute
	}
	if o.PageSize <= 0 {
		o.PageSize = 50
	}
	if o.ExportRows <= 0 {
		o.ExportRows = report.DefaultExportRows
	}
	if len(o.LockDurations) == 0 {
		o.LockDurations = []time.Duration{30 * time.Minute, 2 * time.Hour, 24 * time.Hour}
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	c := &Console{
		o:      o,
		users:  map[string]*user{},
		byIP:   newLimiter(o.Store, "console-ip:", o.LoginAttempts*4, o.LoginWindow),
		byUser: newLimiter(o.Store, "console-user:", o.LoginAttempts, o.LoginWindow),
		verify: make(chan struct{}, 2),
		log:    o.Logger.With("component", "console"),
	}
	if len(o.Users) == 0 {
		return nil, errors.New("console: no users")
	}
	for i, u := range o.Users {
		if !userName.MatchString(u.Name) {
			return nil, fmt.Errorf("console: users[%d]: name must be 1-64 letters, digits or ._@-", i)
		}
		if u.Role != RoleViewer && u.Role != RoleAdmin {
			return nil, fmt.Errorf("console: user %q: role must be viewer or admin, got %q", u.Name, u.Role)
		}
		key := strings.ToLower(u.Name)
		if _, dup := c.users[key]; dup {
			return nil, fmt.Errorf("console: user %q is defined twice", u.Name)
		}
		h, err := parseHash(u.PasswordHash)
		if err != nil {
			return nil, fmt.Errorf("console: user %q: %w", u.Name, err)
		}
		c.users[key] = &user{name: u.Name, role: u.Role, hash: h}
		if c.decoy == nil {
			c.decoy = h
		}
	}
	c.sessions = &sessionStore{store: o.Store, users: c.users, lifetime: o.SessionLifetime, idle: o.IdleTimeout}
	var err error
	if c.pages, err = parsePages(); err != nil {
		return nil, err
	}
	c.handler = c.routes()
	return c, nil
}

// ServeHTTP serves the console under /console/.
func (c *Console) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "+
		"form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "same-origin")
	c.handler.ServeHTTP(w, r)
}

func (c *Console) routes() http.Handler {
	mux := http.NewServeMux()
	static, _ := fs.Sub(staticFiles, "static")
	mux.Handle("GET /console/static/", http.StripPrefix("/console/static/", staticHandler(static)))
	mux.HandleFunc("GET /console/login", c.loginPage)
	mux.HandleFunc("POST /console/login", c.login)
	mux.Handle("POST /console/logout", c.post(RoleViewer, c.logout))

	mux.Handle("GET /console/{$}", c.page(c.dashboard))
	mux.Handle("GET /console/sms", c.page(c.listPage(report.ViewSMS)))
	mux.Handle("GET /console/sms/{id}", c.page(c.messagePage))
	mux.Handle("GET /console/tx/{id}", c.page(c.transactionPage))
	mux.Handle("GET /console/transfers/{id}", c.page(c.transferPage))
	mux.Handle("GET /console/sessions", c.page(c.listPage(report.ViewSessions)))
	mux.Handle("GET /console/customers", c.page(c.listPage(report.ViewCustomers)))
	mux.Handle("GET /console/customers/{msisdn}", c.page(c.customerPage))
	mux.Handle("GET /console/ledger", c.page(c.listPage(report.ViewLedger)))
	mux.Handle("GET /console/audit", c.page(c.listPage(report.ViewAudit)))
	mux.Handle("GET /console/partners", c.page(c.listPage(report.ViewPartners)))
	mux.Handle("GET /console/partners/{id}", c.page(c.partnerPage))
	mux.Handle("GET /console/partners/reconcile", c.page(c.reconcilePage))
	mux.Handle("GET /console/callbacks", c.page(c.listPage(report.ViewCallbacks)))
	mux.Handle("GET /console/blocked", c.page(c.blockedPage))
	mux.Handle("GET /console/corrections", c.page(c.correctionsPage))

	mux.Handle("POST /console/customers/{msisdn}/lock", c.post(RoleAdmin, c.lockCustomer))
	mux.Handle("POST /console/customers/{msisdn}/unlock", c.post(RoleAdmin, c.unlockCustomer))
	mux.Handle("POST /console/customers/{msisdn}/reset-pin", c.post(RoleAdmin, c.resetPIN))
	mux.Handle("POST /console/binds/{name}/suspend", c.post(RoleAdmin, c.bindAction(true)))
	mux.Handle("POST /console/binds/{name}/resume", c.post(RoleAdmin, c.bindAction(false)))
	mux.Handle("POST /console/callbacks/{id}/resend", c.post(RoleAdmin, c.resendCallback))
	mux.Handle("POST /console/blocked/{msisdn}/unblock", c.post(RoleAdmin, c.unblockDestination))
	// Reconciling only reads: viewers may upload a settlement file.
	mux.Handle("POST /console/partners/reconcile", c.upload(RoleViewer, c.reconcilePage))
	mux.Handle("POST /console/transfers/{id}/corrections", c.post(RoleAdmin, c.requestCorrection))
	mux.Handle("POST /console/corrections/{id}/approve", c.post(RoleAdmin, c.decideCorrection(true)))
	mux.Handle("POST /console/corrections/{id}/reject", c.post(RoleAdmin, c.decideCorrection(false)))

	mux.Handle("/console/", c.page(func(w http.ResponseWriter, r *http.Request, s *session) {
		c.fail(w, r, s, http.StatusNotFound, "No such page.")
	}))
	// Browsers refuse cross-origin POSTs here (Sec-Fetch-Site / Origin), in
	// addition to the CSRF tokens of every form.
	return http.NewCrossOriginProtection().Handler(mux)
}

func staticHandler(fsys fs.FS) http.Handler {
	files := http.FileServerFS(fsys)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "" || strings.HasSuffix(r.URL.Path, "/") {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Cache-Control", "public, max-age=3600")
		files.ServeHTTP(w, r)
	})
}

// handlerFunc is a console handler with the caller's session.
type handlerFunc func(w http.ResponseWriter, r *http.Request, s *session)

// current returns the request's live session, if any.
func (c *Console) current(r *http.Request) *session {
	ck, err := r.Cookie(sessionCookie)
	if err != nil {
		return nil
	}
	s, err := c.sessions.get(r.Context(), ck.Value, c.o.Now())
	if err != nil {
		c.log.Error("console session lookup failed", "err", err)
	}
	return s
}

// page serves a GET page to any logged-in user; others are sent to the
// login page and come back afterwards.
func (c *Console) page(h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := c.current(r)
		if s == nil {
			http.Redirect(w, r, "/console/login?next="+urlQueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		h(w, r, s)
	})
}

// post serves a form POST: it needs a session, the session's CSRF token
// in the form, and the role.
func (c *Console) post(role Role, h handlerFunc) http.Handler {
	return c.postForm(role, 64<<10, false, h)
}

// upload serves a multipart form POST with a file of up to MaxSettlement
// bytes, checked as post checks a form.
func (c *Console) upload(role Role, h handlerFunc) http.Handler {
	return c.postForm(role, c.o.MaxSettlement+64<<10, true, h)
}

func (c *Console) postForm(role Role, limit int64, multipart bool, h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, limit)
		s := c.current(r)
		if s == nil {
			c.fail(w, r, nil, http.StatusUnauthorized, "Your session has ended. Log in again.")
			return
		}
		var err error
		if multipart {
			err = r.ParseMultipartForm(1 << 20)
		} else {
			err = r.ParseForm()
		}
		if err != nil {
			var tooLarge *http.MaxBytesError
			if errors.As(err, &tooLarge) {
				c.fail(w, r, s, http.StatusRequestEntityTooLarge, fmt.Sprintf("The upload is larger than %d bytes.", limit))
				return
			}
			c.fail(w, r, s, http.StatusBadRequest, "Bad form.")
			return
		}
		if r.MultipartForm != nil {
			defer r.MultipartForm.RemoveAll()
		}
		if !tokensEqual(r.PostForm.Get("csrf"), s.csrf) {
			c.log.Warn("console POST without a valid CSRF token", "user", s.user.name, "path", r.URL.Path, "remote", clientIP(r))
			c.fail(w, r, s, http.StatusForbidden, "The form has expired. Reload the page and try again.")
			return
		}
		if role == RoleAdmin && s.user.role != RoleAdmin {
			c.log.Warn("console action refused: not an admin", "user", s.user.name, "path", r.URL.Path, "remote", clientIP(r))
			c.fail(w, r, s, http.StatusForbidden, "This action needs the admin role.")
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		h(w, r, s)
	})
}

// actor is the audit identity of a session's user.
func actor(r *http.Request, s *session) smsgw.Actor {
	return smsgw.Actor{Name: s.user.name, Role: string(s.user.role), Remote: clientIP(r)}
}

// pageData is what every page template gets.
type pageData struct {
	Title    string
	Nav      string // active menu entry
	User     string
	Role     Role
	IsAdmin  bool
	CSRF     string
	Flash    string
	Error    string
	Zone     string
	Warnings []string
	Body     any
}

func (c *Console) data(s *session, title, nav string, body any) *pageData {
	d := &pageData{Title: title, Nav: nav, Body: body, Zone: c.o.Location.String()}
	if s != nil {
		d.User, d.Role, d.IsAdmin, d.CSRF = s.user.name, s.user.role, s.user.role == RoleAdmin, s.csrf
		d.Warnings = c.o.Warnings
	}
	return d
}

// render executes page into a buffer and writes it with status.
func (c *Console) render(w http.ResponseWriter, r *http.Request, status int, page string, d *pageData) {
	t, ok := c.pages[page]
	if !ok {
		c.log.Error("console template missing", "page", page)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", d); err != nil {
		c.log.Error("console render failed", "page", page, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = buf.WriteTo(w)
}

// fail renders an error page.
func (c *Console) fail(w http.ResponseWriter, r *http.Request, s *session, status int, msg string) {
	d := c.data(s, http.StatusText(status), "", nil)
	d.Error = msg
	c.render(w, r, status, "error", d)
}

// internal logs err and renders a generic error page.
func (c *Console) internal(w http.ResponseWriter, r *http.Request, s *session, err error) {
	c.log.Error("console request failed", "path", r.URL.Path, "err", err)
	c.fail(w, r, s, http.StatusInternalServerError, "Something went wrong; the error is in the gateway log.")
}

// pageNames are the templates that are pages (each with the layout).
var pageNames = []string{"login", "error", "dashboard", "sms", "message", "tx", "sessions", "customers", "customer", "ledger", "audit",
	"partners", "partner", "callbacks", "blocked", "reconcile", "corrections"}

func parsePages() (map[string]*template.Template, error) {
	funcs := template.FuncMap{
		"time":     func(t time.Time) string { return fmtTimeShort(t) },
		"timeptr":  func(t *time.Time) string { return fmtTimePtrShort(t) },
		"rupiah":   rupiah,
		"local":    localMSISDN,
		"step":     report.StepLabel,
		"dur":      fmtDuration,
		"state":    stateLabel,
		"negative": func(n int64) bool { return n < 0 },
		"pstate":   partnerStateLabel,
		"txurl":    txURL,
		"purl":     partnerURL,
	}
	layout, err := template.New("layout").Funcs(funcs).ParseFS(templateFiles, "templates/layout.html", "templates/transfer.html")
	if err != nil {
		return nil, fmt.Errorf("console: parse layout: %w", err)
	}
	pages := map[string]*template.Template{}
	for _, name := range pageNames {
		t, err := layout.Clone()
		if err != nil {
			return nil, fmt.Errorf("console: %w", err)
		}
		if _, err := t.ParseFS(templateFiles, "templates/"+name+".html"); err != nil {
			return nil, fmt.Errorf("console: parse %s: %w", name, err)
		}
		pages[name] = t
	}
	return pages, nil
}
