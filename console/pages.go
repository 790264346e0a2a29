package console

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/smsgw/smsgw/domain"
	"github.com/smsgw/smsgw/esme"
	"github.com/smsgw/smsgw/keywords"
	"github.com/smsgw/smsgw/report"
	"github.com/smsgw/smsgw/smsgw"
)

func (c *Console) env() report.Env { return report.Env{Now: c.o.Now(), Location: c.o.Location} }

// filterValues are the filters of view in the query string q.
func filterValues(view string, q url.Values) report.Values {
	v := report.Values{}
	for _, name := range report.Filters(view) {
		if s := q.Get(name); s != "" {
			v[name] = s
		}
	}
	return v
}

func (c *Console) cookie(r *http.Request, name, value string, maxAge int) *http.Cookie {
	return &http.Cookie{
		Name: name, Value: value, Path: cookiePath, MaxAge: maxAge,
		HttpOnly: true, SameSite: http.SameSiteStrictMode,
		Secure: c.o.SecureCookies || r.TLS != nil,
	}
}

// Login and logout.

type loginBody struct {
	Next  string
	Token string
	User  string
}

func (c *Console) loginPage(w http.ResponseWriter, r *http.Request) {
	if c.current(r) != nil {
		http.Redirect(w, r, safeNext(r.URL.Query().Get("next")), http.StatusSeeOther)
		return
	}
	c.renderLogin(w, r, http.StatusOK, "", "")
}

// renderLogin shows the login form with a fresh login CSRF token.
func (c *Console) renderLogin(w http.ResponseWriter, r *http.Request, status int, name, msg string) {
	token, err := randomToken()
	if err != nil {
		c.internal(w, r, nil, err)
		return
	}
	http.SetCookie(w, c.cookie(r, loginCookie, token, 3600))
	w.Header().Set("Cache-Control", "no-store")
	next := r.URL.Query().Get("next")
	if r.Method == http.MethodPost {
		next = r.PostForm.Get("next")
	}
	d := c.data(nil, "Log in", "", &loginBody{Next: safeNext(next), Token: token, User: name})
	d.Error = msg
	c.render(w, r, status, "login", d)
}

func (c *Console) login(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil {
		c.fail(w, r, nil, http.StatusBadRequest, "Bad form.")
		return
	}
	ck, err := r.Cookie(loginCookie)
	if err != nil || !tokensEqual(ck.Value, r.PostForm.Get("csrf")) {
		c.log.Warn("console login without a valid CSRF token", "remote", clientIP(r))
		c.renderLogin(w, r, http.StatusForbidden, "", "The login form has expired. Try again.")
		return
	}
	name := strings.TrimSpace(r.PostForm.Get("username"))
	password := r.PostForm.Get("password")
	now := c.o.Now()
	ip := clientIP(r)
	addr := addressKey(ip)
	okIP, waitIP, err := c.byIP.allow(r.Context(), addr, now)
	if err != nil {
		c.internal(w, r, nil, err)
		return
	}
	okUser, waitUser := okIP, time.Duration(0)
	if okIP {
		// A name is limited per address: guesses from elsewhere never
		// lock its owner out of their own address. Only attempts the
		// address limit let through count, and a name key is at most as
		// long as a user name can be: refused floods cannot grow the table.
		key := strings.ToLower(name)
		if len(key) > 64 {
			key = key[:64]
		}
		if okUser, waitUser, err = c.byUser.allow(r.Context(), key+" "+addr, now); err != nil {
			c.internal(w, r, nil, err)
			return
		}
	}
	if !okIP || !okUser {
		wait := max(waitIP, waitUser)
		c.log.Warn("console login rate limited", "remote", ip)
		w.Header().Set("Retry-After", strconv.Itoa(int(wait.Seconds())+1))
		c.renderLogin(w, r, http.StatusTooManyRequests, name,
			fmt.Sprintf("Too many login attempts. Try again in %d seconds.", int(wait.Seconds())+1))
		return
	}
	u := c.checkPassword(name, password)
	if u == nil {
		c.log.Warn("console login failed", "remote", ip)
		c.renderLogin(w, r, http.StatusUnauthorized, name, "Wrong user name or password.")
		return
	}
	token, sess, err := c.sessions.create(r.Context(), u, now)
	if err != nil {
		c.internal(w, r, nil, err)
		return
	}
	if err := c.o.Admin.RecordAudit(r.Context(), actor(r, sess), smsgw.ActionLogin, "", "logged in"); err != nil {
		if derr := c.sessions.delete(r.Context(), token); derr != nil {
			c.log.Error("ending an unaudited console login failed", "user", u.name, "err", derr)
		}
		c.internal(w, r, nil, fmt.Errorf("record login: %w", err))
		return
	}
	c.log.Info("console login", "user", u.name, "role", u.role, "remote", ip)
	http.SetCookie(w, c.cookie(r, sessionCookie, token, int(c.o.SessionLifetime/time.Second)))
	http.SetCookie(w, c.cookie(r, loginCookie, "", -1))
	http.Redirect(w, r, safeNext(r.PostForm.Get("next")), http.StatusSeeOther)
}

// checkPassword returns the user whose name and password match, or nil.
// An unknown name costs the same hashing as a known one.
func (c *Console) checkPassword(name, password string) *user {
	c.verify <- struct{}{}
	defer func() { <-c.verify }()
	u, ok := c.users[strings.ToLower(name)]
	if !ok || password == "" {
		c.decoy.verify(password + "\x00decoy")
		return nil
	}
	if !u.hash.verify(password) {
		return nil
	}
	return u
}

func (c *Console) logout(w http.ResponseWriter, r *http.Request, s *session) {
	if ck, err := r.Cookie(sessionCookie); err == nil {
		if err := c.sessions.delete(r.Context(), ck.Value); err != nil {
			c.internal(w, r, s, err)
			return
		}
	}
	if err := c.o.Admin.RecordAudit(r.Context(), actor(r, s), smsgw.ActionLogout, "", "logged out"); err != nil {
		c.log.Error("record console logout failed", "user", s.user.name, "err", err)
	}
	http.SetCookie(w, c.cookie(r, sessionCookie, "", -1))
	http.Redirect(w, r, "/console/login", http.StatusSeeOther)
}

// Flash messages after a successful action (POST, redirect, GET).
var flashes = map[string]string{
	"locked":    "Customer locked.",
	"unlocked":  "Customer unlocked.",
	"pin_reset": "PIN replaced. The new PIN is neither shown nor stored in clear; the customer uses the PIN they chose.",
	"suspended": "Bind suspended.",
	"resumed":   "Bind resumed.",

	"resent":         "Callback queued again with a fresh 24-hour retry window; the gateway sends it within seconds.",
	"dest_unblocked": "Destination unblocked: partner requests to it are accepted again.",

	"correction_requested": "Correction requested. Another admin must approve it on the Corrections page before it expires; nothing moves until then.",
	"correction_approved":  "Correction approved: the money was moved back; a customer whose wallet was corrected is told by SMS.",
	"correction_rejected":  "Correction rejected.",
}

// Dashboard.

type dashboardBody struct {
	Binds     []esme.BindStatus
	Routes    []routeRow
	Chart     *chart
	Minutes   int
	Ranges    []int
	Outcomes  []outcome
	Credited  domain.Amount
	Credits   []smsgw.CreditTotal
	Outbox    int
	Today     string
	UpdatedAt time.Time
	Partner   *partnerPanel // nil when the partner API is off and has no data
	// Corrections counts the ledger corrections waiting for a decision.
	Corrections int
}

// routeRow is an operator on the dashboard, with its outbox backlog.
type routeRow struct {
	esme.RouteStatus
	Backlog int
}

// routeRows joins the operators' state with the outbox backlog per route;
// MTs without a route, or with one no bind serves, count under the
// default operator, which carries them.
func routeRows(routes []esme.RouteStatus, backlog map[string]int) []routeRow {
	rows := make([]routeRow, len(routes))
	def := -1
	for i, r := range routes {
		rows[i] = routeRow{RouteStatus: r}
		if r.Default {
			def = i
		}
	}
	for route, n := range backlog {
		i := slices.IndexFunc(rows, func(r routeRow) bool { return r.Name == route })
		if i < 0 {
			i = def
		}
		if i >= 0 {
			rows[i].Backlog += n
		}
	}
	return rows
}

type outcome struct {
	State string
	Label string
	Count int
}

var chartRanges = []int{60, 180, 720}

func (c *Console) dashboard(w http.ResponseWriter, r *http.Request, s *session) {
	now := c.o.Now()
	local := now.In(c.o.Location)
	today := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, c.o.Location)
	minutes := 60
	if m, err := strconv.Atoi(r.URL.Query().Get("minutes")); err == nil && slices.Contains(chartRanges, m) {
		minutes = m
	}
	end := now.Truncate(time.Minute).Add(time.Minute)
	from := end.Add(-time.Duration(minutes) * time.Minute)
	b := &dashboardBody{Minutes: minutes, Ranges: chartRanges, Today: today.Format("2006-01-02"), UpdatedAt: local}
	var (
		summary smsgw.Summary
		traffic []smsgw.TrafficPoint
		backlog map[string]int
	)
	err := c.o.Store.View(r.Context(), func(tx smsgw.Tx) error {
		var err error
		if summary, err = tx.Summary(today, now.Add(time.Nanosecond)); err != nil {
			return err
		}
		if b.Credits, err = tx.Credits(today, now.Add(time.Nanosecond)); err != nil {
			return err
		}
		if traffic, err = tx.Traffic(from, end); err != nil {
			return err
		}
		if b.Outbox, err = tx.OutboxDepth(); err != nil {
			return err
		}
		if backlog, err = tx.OutboxByRoute(); err != nil {
			return err
		}
		if b.Corrections, err = waitingCorrections(tx, now); err != nil {
			return err
		}
		b.Partner, err = c.partnerPanel(tx, today, now)
		return err
	})
	if err != nil {
		c.internal(w, r, s, err)
		return
	}
	for _, cr := range b.Credits {
		b.Credited += cr.Amount
	}
	for _, st := range []smsgw.SessionState{smsgw.StateConfirmed, smsgw.StateLocked, smsgw.StateExpired,
		smsgw.StateCancelled, smsgw.StateFailed, smsgw.StateAwaitingPIN} {
		b.Outcomes = append(b.Outcomes, outcome{State: string(st), Label: stateLabel(string(st)), Count: summary.ByState[st]})
	}
	b.Chart = newChart(traffic, from, minutes, c.o.Location)
	if c.o.Binds != nil {
		b.Binds = c.o.Binds.Status()
		b.Routes = routeRows(c.o.Binds.Routes(), backlog)
	}
	d := c.data(s, "Dashboard", "dashboard", b)
	d.Flash = flashes[r.URL.Query().Get("done")]
	c.render(w, r, http.StatusOK, "dashboard", d)
}

func (c *Console) bindAction(suspend bool) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request, s *session) {
		name := r.PathValue("name")
		if c.o.Binds == nil {
			c.fail(w, r, s, http.StatusNotFound, "No binds are configured.")
			return
		}
		action, done, verb := smsgw.ActionBindResume, "resumed", c.o.Binds.Resume
		if suspend {
			action, done, verb = smsgw.ActionBindSuspend, "suspended", c.o.Binds.Suspend
		}
		if err := verb(name); err != nil {
			status := http.StatusConflict
			if errors.Is(err, esme.ErrUnknownBind) {
				status = http.StatusNotFound
			}
			c.log.Warn("console bind action failed", "action", action, "bind", name, "user", s.user.name, "err", err)
			c.fail(w, r, s, status, "The bind could not be "+done+": "+err.Error())
			return
		}
		if err := c.o.Admin.RecordAudit(r.Context(), actor(r, s), action, name, "bind "+done); err != nil {
			c.internal(w, r, s, fmt.Errorf("record %s: %w", action, err))
			return
		}
		c.log.Info("console bind action", "action", action, "bind", name, "user", s.user.name)
		http.Redirect(w, r, "/console/?done="+done, http.StatusSeeOther)
	}
}

// Filtered lists: SMS log, sessions, customers, ledger, audit trail.

type listBody struct {
	View    string
	Q       url.Values
	Rows    []report.Record
	Offset  int
	Prev    string
	Next    string
	CSV     string
	JSON    string
	Account *smsgw.Account // ledger: the account shown
	// Sound is false when a ledger line's stored balance differs from the
	// recomputed running sum, or the newest balance from the account's.
	Sound bool

	Directions, Statuses, States, Actions, Keywords, Templates []string
	// Partner views: request states, callback statuses, configured
	// partners; CanAct is true when partner actions are available.
	PartnerStates, CallbackStatuses, Partners []string
	CanAct                                    bool
}

var listTitles = map[string]string{
	report.ViewSMS: "SMS log", report.ViewSessions: "Sessions", report.ViewCustomers: "Customers", report.ViewLedger: "Ledger", report.ViewAudit: "Audit trail",
	report.ViewPartners: "Partner requests", report.ViewCallbacks: "Partner callbacks",
}

func (c *Console) listPage(view string) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request, s *session) {
		q := r.URL.Query()
		b := &listBody{
			View: view, Q: q, Sound: true,
			Directions: report.Choices(report.ViewSMS, "direction"), Statuses: report.Choices(report.ViewSMS, "status"),
			States: report.Choices(report.ViewSessions, "state"), Actions: report.Choices(report.ViewAudit, "action"),
			Keywords:      report.Choices(report.ViewSMS, "keyword"),
			Templates:     report.Choices(report.ViewSMS, "template"),
			PartnerStates: report.Choices(report.ViewPartners, "status"), CallbackStatuses: report.Choices(report.ViewCallbacks, "status"),
			Partners: c.partnerIDs(), CanAct: c.o.Partners != nil,
		}
		d := c.data(s, listTitles[view], view, b)
		format := q.Get("format")
		e := c.env()
		l, err := report.ParseQuery(view, filterValues(view, q), e)
		var fe *report.FilterError
		switch {
		case errors.As(err, &fe) && format != "":
			http.Error(w, fe.Error(), http.StatusBadRequest)
			return
		case errors.As(err, &fe) && view == report.ViewLedger && q.Get("account") == "":
			c.render(w, r, http.StatusOK, view, d) // the ledger's account form
			return
		case errors.As(err, &fe):
			d.Error = fe.Error()
			c.render(w, r, http.StatusBadRequest, view, d)
			return
		case err != nil:
			c.internal(w, r, s, err)
			return
		}
		if format != "" {
			c.export(w, r, s, l, e, format)
			return
		}
		b.Offset = min(max(atoiOr(q.Get("offset"), 0), 0), 1_000_000)
		var rows []report.Record
		err = c.o.Store.View(r.Context(), func(tx smsgw.Tx) error {
			var err error
			if rows, err = l.Fetch(tx, e, c.o.PageSize+1, b.Offset); err != nil {
				return err
			}
			if lq, ok := l.(*report.LedgerQuery); ok {
				b.Account, err = tx.Account(lq.Account)
				if smsgw.ErrorCode(err) == smsgw.ENotFound {
					return nil
				}
			}
			return err
		})
		if err != nil {
			c.internal(w, r, s, err)
			return
		}
		if len(rows) > c.o.PageSize {
			rows = rows[:c.o.PageSize]
			b.Next = pageURL(r.URL.Path, q, b.Offset+c.o.PageSize)
		}
		if b.Offset > 0 {
			b.Prev = pageURL(r.URL.Path, q, max(b.Offset-c.o.PageSize, 0))
		}
		b.Rows = rows
		b.CSV, b.JSON = exportURL(r.URL.Path, q, report.FormatCSV), exportURL(r.URL.Path, q, report.FormatJSON)
		if view == report.ViewLedger {
			b.Sound = ledgerSound(rows, b.Account, b.Offset == 0 && q.Get("until") == "")
			if b.Account == nil {
				d.Error = "No such account."
			}
		}
		d.Flash = flashes[q.Get("done")]
		c.render(w, r, http.StatusOK, view, d)
	}
}

// ledgerSound checks the lines shown: each stored balance equals the
// recomputed running sum, and (on the newest page) the newest balance is
// the account's balance.
func ledgerSound(rows []report.Record, acct *smsgw.Account, newest bool) bool {
	for _, r := range rows {
		if !r.(*report.LedgerRecord).Consistent() {
			return false
		}
	}
	if newest && acct != nil && len(rows) > 0 && rows[0].(*report.LedgerRecord).BalanceAfter != int64(acct.Balance) {
		return false
	}
	return true
}

// exportFormat reads an export's ?format and sets its Content-Type; an
// unknown format is answered 400 and ok is false.
func exportFormat(w http.ResponseWriter, format string) (f report.Format, ok bool) {
	switch f = report.Format(strings.ToLower(format)); f {
	case report.FormatCSV:
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	case report.FormatJSON:
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
	default:
		http.Error(w, "format: want csv or json", http.StatusBadRequest)
		return f, false
	}
	return f, true
}

// attachView names the download of a list view, stamped with the time.
func (c *Console) attachView(w http.ResponseWriter, view string, f report.Format) {
	name := fmt.Sprintf("smsgw-%s-%s.%s", view, c.o.Now().In(c.o.Location).Format("20060102-150405"), f)
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
}

func (c *Console) export(w http.ResponseWriter, r *http.Request, s *session, l report.Query, e report.Env, format string) {
	f, ok := exportFormat(w, format)
	if !ok {
		return
	}
	view := l.View()
	c.attachView(w, view, f)
	n, err := report.Export(r.Context(), c.o.Store, l, f, w, report.ExportOptions{Location: e.Location, Now: e.Now, MaxRows: c.o.ExportRows})
	if err != nil {
		// The status is sent; the truncated file is all we can do.
		c.log.Error("console export failed", "view", view, "rows", n, "user", s.user.name, "err", err)
		return
	}
	c.log.Info("console export", "view", view, "format", f, "rows", n, "user", s.user.name)
}

func pageURL(path string, q url.Values, offset int) string {
	v := cloneValues(q)
	v.Del("format")
	v.Del("done")
	if offset > 0 {
		v.Set("offset", strconv.Itoa(offset))
	} else {
		v.Del("offset")
	}
	return path + "?" + v.Encode()
}

func exportURL(path string, q url.Values, f report.Format) string {
	v := cloneValues(q)
	v.Del("offset")
	v.Del("done")
	v.Set("format", string(f))
	return path + "?" + v.Encode()
}

func cloneValues(q url.Values) url.Values {
	v := url.Values{}
	for k, vs := range q {
		if len(vs) > 0 && vs[0] != "" {
			v.Set(k, vs[0])
		}
	}
	return v
}

func atoiOr(s string, def int) int {
	n, err := strconv.Atoi(s)
	if err != nil {
		return def
	}
	return n
}

// Message, transaction and transfer pages.

type messageBody struct {
	Message *report.SMSRecord
	Parts   []smsgw.MessagePart
}

func pathID(r *http.Request) (int64, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	return id, err == nil && id > 0
}

func (c *Console) messagePage(w http.ResponseWriter, r *http.Request, s *session) {
	id, ok := pathID(r)
	if !ok {
		c.fail(w, r, s, http.StatusNotFound, "No such message.")
		return
	}
	var b messageBody
	err := c.o.Store.View(r.Context(), func(tx smsgw.Tx) error {
		m, err := tx.Message(id)
		if err != nil {
			return err
		}
		b.Message = report.NewSMSRecord(m, c.o.Location)
		b.Parts, err = tx.MessageParts(id)
		return err
	})
	if c.lookupFailed(w, r, s, err, "No such message.") {
		return
	}
	if b.Message.SessionID != 0 || b.Message.TransferID != 0 {
		http.Redirect(w, r, txURL(b.Message), http.StatusSeeOther)
		return
	}
	c.render(w, r, http.StatusOK, "message", c.data(s, fmt.Sprintf("SMS %d", id), report.ViewSMS, &b))
}

// lookupFailed renders the page for a failed lookup and reports whether
// there was one.
func (c *Console) lookupFailed(w http.ResponseWriter, r *http.Request, s *session, err error, notFound string) bool {
	switch smsgw.ErrorCode(err) {
	case "":
		return false
	case smsgw.ENotFound:
		c.fail(w, r, s, http.StatusNotFound, notFound)
	default:
		c.internal(w, r, s, err)
	}
	return true
}

type txBody struct {
	Tx   *report.TransactionRecord
	ID   int64
	CSV  string
	JSON string
	// Corr is the corrections section of the transaction's transfer (nil
	// when it has none).
	Corr *correctionPanel
}

func (c *Console) transactionPage(w http.ResponseWriter, r *http.Request, s *session) {
	c.showTransaction(w, r, s, false)
}

func (c *Console) transferPage(w http.ResponseWriter, r *http.Request, s *session) {
	c.showTransaction(w, r, s, true)
}

func (c *Console) showTransaction(w http.ResponseWriter, r *http.Request, s *session, byTransfer bool) {
	id, ok := pathID(r)
	if !ok {
		c.fail(w, r, s, http.StatusNotFound, "No such transaction.")
		return
	}
	if f := r.URL.Query().Get("format"); f != "" {
		format, ok := exportFormat(w, f)
		if !ok {
			return
		}
		// Write to a buffer first so that a missing transaction is a 404.
		var buf strings.Builder
		err := report.ExportTransaction(r.Context(), c.o.Store, id, byTransfer, format, &buf, c.o.Location)
		if smsgw.ErrorCode(err) == smsgw.ENotFound {
			http.Error(w, "no such transaction", http.StatusNotFound)
			return
		} else if err != nil {
			c.log.Error("console transaction export failed", "id", id, "err", err)
			http.Error(w, "internal error", http.StatusInternalServerError)
			return
		}
		kind := "tx"
		if byTransfer {
			kind = "transfer"
		}
		w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="smsgw-%s-%d.%s"`, kind, id, format))
		_, _ = w.Write([]byte(buf.String()))
		return
	}
	b, err := c.transactionBody(r, id, byTransfer)
	if c.lookupFailed(w, r, s, err, "No such transaction.") {
		return
	}
	if byTransfer && b.Tx.Session != nil {
		http.Redirect(w, r, "/console/tx/"+itoa(b.Tx.Session.ID), http.StatusSeeOther)
		return
	}
	c.renderTransaction(w, r, s, b, byTransfer, http.StatusOK, "")
}

// transactionBody loads the transaction of session id, or of transfer id
// when byTransfer, with the corrections of its transfer.
func (c *Console) transactionBody(r *http.Request, id int64, byTransfer bool) (*txBody, error) {
	var (
		t    *report.Transaction
		corr *correctionPanel
	)
	err := c.o.Store.View(r.Context(), func(tx smsgw.Tx) (err error) {
		if byTransfer {
			t, err = report.LoadTransferTransaction(tx, id)
		} else {
			t, err = report.LoadTransaction(tx, id)
		}
		if err != nil || t.Transfer == nil {
			return err
		}
		next := "/console/tx/" + itoa(id)
		if t.Session == nil {
			next = "/console/transfers/" + itoa(t.Transfer.ID)
		} else if byTransfer {
			next = "/console/tx/" + itoa(t.Session.ID)
		}
		corr, err = c.correctionPanel(tx, t.Transfer, next)
		return err
	})
	if err != nil {
		return nil, err
	}
	b := &txBody{Tx: report.NewTransactionRecord(t, c.o.Location), ID: id, Corr: corr}
	if byTransfer && t.Session != nil {
		b.ID = t.Session.ID
	}
	return b, nil
}

// renderTransaction shows a transaction page (with msg as its error when
// status is not 200).
func (c *Console) renderTransaction(w http.ResponseWriter, r *http.Request, s *session, b *txBody, byTransfer bool, status int, msg string) {
	base := "/console/tx/" + itoa(b.ID)
	title := fmt.Sprintf("Transaction %d", b.ID)
	if byTransfer && b.Tx.Session == nil {
		base, title = "/console/transfers/"+itoa(b.ID), fmt.Sprintf("Transfer %d", b.ID)
	}
	b.CSV, b.JSON = base+"?format=csv", base+"?format=json"
	d := c.data(s, title, report.ViewSessions, b)
	d.Error = msg
	if status == http.StatusOK {
		d.Flash = flashes[r.URL.Query().Get("done")]
	}
	c.render(w, r, status, "tx", d)
}

// Customers.

type customerBody struct {
	Customer  *report.CustomerRecord
	Wallet    *smsgw.Account
	Sessions  []*report.SessionRecord
	Audit     []*report.AuditRecord
	Durations []lockChoice
	PINLen    string
}

type lockChoice struct {
	Value string
	Label string
}

// customerBody loads the customer page of msisdn.
func (c *Console) customerBody(r *http.Request, msisdn string) (*customerBody, error) {
	m, err := keywords.NormalizeMSISDN(msisdn)
	if err != nil {
		return nil, smsgw.Errorf(smsgw.ENotFound, "no such customer")
	}
	b := &customerBody{}
	for _, d := range c.o.LockDurations {
		b.Durations = append(b.Durations, lockChoice{Value: d.String(), Label: "for " + fmtDuration(d)})
	}
	b.Durations = append(b.Durations, lockChoice{Value: "forever", Label: "until unlocked"})
	now := c.o.Now()
	err = c.o.Store.View(r.Context(), func(tx smsgw.Tx) error {
		cu, err := tx.Customer(domain.MSISDN(m))
		if err != nil {
			return err
		}
		b.Customer = report.NewCustomerRecord(cu, now, c.o.Location)
		b.Wallet, err = tx.Account(domain.WalletID(cu.Account))
		if smsgw.ErrorCode(err) == smsgw.ENotFound {
			b.Wallet, err = nil, nil
		}
		if err != nil {
			return err
		}
		ss, err := tx.Sessions(smsgw.SessionFilter{MSISDN: cu.MSISDN, Limit: 10})
		if err != nil {
			return err
		}
		for i := range ss {
			b.Sessions = append(b.Sessions, report.NewSessionRecord(&ss[i], c.o.Location))
		}
		es, err := tx.AuditTrail(smsgw.AuditFilter{Target: string(cu.MSISDN), Limit: 10})
		if err != nil {
			return err
		}
		for i := range es {
			b.Audit = append(b.Audit, report.NewAuditRecord(&es[i], c.o.Location))
		}
		return nil
	})
	return b, err
}

func (c *Console) customerPage(w http.ResponseWriter, r *http.Request, s *session) {
	b, err := c.customerBody(r, r.PathValue("msisdn"))
	if c.lookupFailed(w, r, s, err, "No such customer.") {
		return
	}
	d := c.data(s, "Customer "+localMSISDN(b.Customer.MSISDN), report.ViewCustomers, b)
	d.Flash = flashes[r.URL.Query().Get("done")]
	c.render(w, r, http.StatusOK, "customer", d)
}

// actionDone redirects to the customer page after a successful action, or
// shows it again with the error.
func (c *Console) actionDone(w http.ResponseWriter, r *http.Request, s *session, err error, done string) {
	msisdn := r.PathValue("msisdn")
	if err == nil {
		m, _ := keywords.NormalizeMSISDN(msisdn)
		http.Redirect(w, r, "/console/customers/"+url.PathEscape(string(m))+"?done="+done, http.StatusSeeOther)
		return
	}
	status, msg := http.StatusInternalServerError, ""
	switch smsgw.ErrorCode(err) {
	case smsgw.ENotFound:
		c.fail(w, r, s, http.StatusNotFound, "No such customer.")
		return
	case smsgw.EInvalid:
		status, msg = http.StatusBadRequest, domainMessage(err)
	default:
		c.internal(w, r, s, err)
		return
	}
	b, lerr := c.customerBody(r, msisdn)
	if c.lookupFailed(w, r, s, lerr, "No such customer.") {
		return
	}
	d := c.data(s, "Customer "+localMSISDN(b.Customer.MSISDN), report.ViewCustomers, b)
	d.Error = msg
	c.render(w, r, status, "customer", d)
}

// domainMessage is the operator-safe message of a domain error.
func domainMessage(err error) string {
	var e *smsgw.Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "The action failed."
}

func (c *Console) lockCustomer(w http.ResponseWriter, r *http.Request, s *session) {
	choice := r.PostForm.Get("duration")
	until := smsgw.LockForever
	if choice != "forever" {
		d, err := time.ParseDuration(choice)
		if err != nil || !slices.Contains(c.o.LockDurations, d) {
			c.actionDone(w, r, s, smsgw.Errorf(smsgw.EInvalid, "choose a lock duration from the list"), "")
			return
		}
		until = c.o.Now().Add(d)
	}
	c.actionDone(w, r, s, c.o.Admin.LockCustomer(r.Context(), actor(r, s), r.PathValue("msisdn"), until), "locked")
}

func (c *Console) unlockCustomer(w http.ResponseWriter, r *http.Request, s *session) {
	c.actionDone(w, r, s, c.o.Admin.UnlockCustomer(r.Context(), actor(r, s), r.PathValue("msisdn")), "unlocked")
}

// resetPIN sets the PIN the customer chose, typed twice by the admin. The
// PIN travels only in this form post: it is hashed at once and never shown,
// logged, or put back into a page.
func (c *Console) resetPIN(w http.ResponseWriter, r *http.Request, s *session) {
	pin, confirm := domain.PIN(r.PostForm.Get("new_pin")), domain.PIN(r.PostForm.Get("confirm_pin"))
	r.PostForm.Del("new_pin")
	r.PostForm.Del("confirm_pin")
	if pin.Reveal() == "" || !tokensEqual(pin.Reveal(), confirm.Reveal()) {
		c.actionDone(w, r, s, smsgw.Errorf(smsgw.EInvalid, "the two PINs differ"), "")
		return
	}
	c.actionDone(w, r, s, c.o.Admin.ResetCustomerPIN(r.Context(), actor(r, s), r.PathValue("msisdn"), pin), "pin_reset")
}
