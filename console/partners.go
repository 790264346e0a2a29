package console

import (
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/smsgw/smsgw/partner"
	"github.com/smsgw/smsgw/report"
	"github.com/smsgw/smsgw/smsgw"
)

// Pages and actions of the host-to-host partner API: a request with its
// transfer and callbacks, callback resends, blocked destinations and the
// dashboard panel. The lists of requests and callbacks are listings
// (partner_views.go) served by listPage.

// partnerIDs lists the configured partners, for the filter forms.
func (c *Console) partnerIDs() []string {
	if c.o.Partners == nil {
		return nil
	}
	var ids []string
	for _, p := range c.o.Partners.List() {
		ids = append(ids, p.ID)
	}
	return ids
}

// partnerStateLabel names a partner request state with the status code
// the partner sees.
func partnerStateLabel(state string) string {
	switch partner.State(state) {
	case partner.Success:
		return "20 success"
	case partner.Failed:
		return "40 failed"
	case partner.Pending:
		return "pending"
	case partner.Unknown:
		return "unknown (reconcile)"
	}
	return state
}

// Dashboard panel.

type partnerPanel struct {
	States    []outcome // requests created today, by state
	Total     int
	Dead      int  // dead letters, whenever created
	Queued    int  // callbacks waiting for their next attempt
	Available bool // the partner API is on (actions possible)
}

// partnerPanel counts today's partner requests and the queued and dead
// callbacks. It returns nil when the API is off and there is nothing to
// show.
func (c *Console) partnerPanel(stx smsgw.Tx, today, now time.Time) (*partnerPanel, error) {
	tx, ok := stx.(partner.Tx)
	if !ok {
		return nil, nil // a store without the partner records
	}
	sum, err := tx.PartnerSummary(today, now.Add(time.Nanosecond))
	if err != nil {
		return nil, err
	}
	p := &partnerPanel{Available: c.o.Partners != nil, Dead: sum.Callbacks[partner.CallbackDead],
		Queued: sum.Callbacks[partner.CallbackQueued]}
	callbacks := 0
	for _, n := range sum.Callbacks {
		callbacks += n
	}
	for _, st := range report.Choices(report.ViewPartners, "status") {
		n := sum.Requests[partner.State(st)]
		p.Total += n
		p.States = append(p.States, outcome{State: st, Label: partnerStateLabel(st), Count: n})
	}
	if !p.Available && p.Total == 0 && callbacks == 0 {
		return nil, nil
	}
	return p, nil
}

// Request detail.

type partnerBody struct {
	Request   *report.PartnerRecord
	Transfer  *report.TransferJSON
	Entries   []report.EntryJSON
	Callbacks []*report.CallbackRecord
	Audit     []*report.AuditRecord // resends of its callbacks
	CanAct    bool
	Self      string // this page, to come back to after a resend
	SMS       string // the SMS log of its transaction
	CSV, JSON string // exports of the request and of its callbacks
	CbCSV     string
	CbJSON    string
	Corr      *correctionPanel // corrections of its transfer
}

// Bounds of the request page: callbacks (a request has one) and the
// resend audit entries shown per callback.
const (
	maxRequestCallbacks = 10
	maxResendAudit      = 20
)

func (c *Console) partnerPage(w http.ResponseWriter, r *http.Request, s *session) {
	id, ok := pathID(r)
	if !ok {
		c.fail(w, r, s, http.StatusNotFound, "No such partner request.")
		return
	}
	loc := c.o.Location
	b := &partnerBody{CanAct: c.o.Partners != nil, Self: r.URL.Path}
	err := c.o.Store.View(r.Context(), func(stx smsgw.Tx) error {
		tx, err := partner.TxOf(stx)
		if err != nil {
			return err
		}
		pr, err := tx.PartnerRequest(id)
		if err != nil {
			return err
		}
		b.Request = report.NewPartnerRecord(pr, loc)
		if pr.TransferID != 0 {
			tr, err := tx.TransferByID(pr.TransferID)
			if err != nil {
				return fmt.Errorf("transfer of partner request %d: %w", id, err)
			}
			b.Transfer = report.NewTransferJSON(tr, loc)
			if b.Corr, err = c.correctionPanel(stx, tr, r.URL.Path); err != nil {
				return err
			}
			es, err := tx.TransferEntries(tr.ID)
			if err != nil {
				return fmt.Errorf("entries of transfer %d: %w", tr.ID, err)
			}
			for i := range es {
				b.Entries = append(b.Entries, report.NewEntryJSON(&es[i]))
			}
		}
		cs, err := tx.Callbacks(partner.CallbackFilter{RequestID: id, Limit: maxRequestCallbacks})
		if err != nil {
			return fmt.Errorf("callbacks of partner request %d: %w", id, err)
		}
		for i := range cs {
			b.Callbacks = append(b.Callbacks, report.NewCallbackRecord(&cs[i], pr, loc))
			es, err := tx.AuditTrail(smsgw.AuditFilter{Action: partner.ActionCallbackResend,
				Target: callbackTarget(cs[i].ID), Limit: maxResendAudit})
			if err != nil {
				return fmt.Errorf("audit of callback %d: %w", cs[i].ID, err)
			}
			for j := range es {
				b.Audit = append(b.Audit, report.NewAuditRecord(&es[j], loc))
			}
		}
		return nil
	})
	if c.lookupFailed(w, r, s, err, "No such partner request.") {
		return
	}
	switch {
	case b.Request.SessionID != 0:
		b.SMS = "/console/sms?session=" + itoa(b.Request.SessionID)
	case b.Request.TransferID != 0:
		b.SMS = "/console/sms?transfer=" + itoa(b.Request.TransferID)
	}
	q := url.Values{"trxid": {itoa(id)}}
	b.CSV, b.JSON = exportURL("/console/partners", q, report.FormatCSV), exportURL("/console/partners", q, report.FormatJSON)
	b.CbCSV, b.CbJSON = exportURL("/console/callbacks", q, report.FormatCSV), exportURL("/console/callbacks", q, report.FormatJSON)
	d := c.data(s, fmt.Sprintf("Partner request %d", id), report.ViewPartners, b)
	d.Flash = flashes[r.URL.Query().Get("done")]
	c.render(w, r, http.StatusOK, "partner", d)
}

// callbackTarget is the audit target of callback id, as the partner
// service records it.
func callbackTarget(id int64) string { return "callback:" + itoa(id) }

// resendCallback queues a dead-lettered (or acknowledged) callback again
// through the partner service, which writes the audit entry. It returns
// to the page named by the form's "next" field (default the outbox).
func (c *Console) resendCallback(w http.ResponseWriter, r *http.Request, s *session) {
	if c.o.Partners == nil {
		c.fail(w, r, s, http.StatusNotFound, "The partner API is not enabled.")
		return
	}
	id, ok := pathID(r)
	if !ok {
		c.fail(w, r, s, http.StatusNotFound, "No such callback.")
		return
	}
	err := c.o.Partners.ResendCallback(r.Context(), actor(r, s), id)
	switch smsgw.ErrorCode(err) {
	case "":
	case smsgw.ENotFound:
		c.fail(w, r, s, http.StatusNotFound, "No such callback.")
		return
	case smsgw.EConflict:
		c.fail(w, r, s, http.StatusConflict, "The callback was not queued again: "+domainMessage(err)+
			". It is still being retried.")
		return
	default:
		c.internal(w, r, s, fmt.Errorf("resend callback %d: %w", id, err))
		return
	}
	c.log.Info("console callback resend", "callback", id, "user", s.user.name)
	http.Redirect(w, r, withDone(r.PostForm.Get("next"), "/console/callbacks", "resent"), http.StatusSeeOther)
}

// withDone returns the console page next (or def when next is empty or
// not a console page) with done=flash in its query.
func withDone(next, def, flash string) string {
	target := def
	if next != "" {
		if n := safeNext(next); n != "/console/" || next == "/console/" {
			target = n
		}
	}
	u, err := url.Parse(target)
	if err != nil {
		u = &url.URL{Path: def}
	}
	q := u.Query()
	q.Set("done", flash)
	u.RawQuery = q.Encode()
	return u.RequestURI()
}

// Blocked destinations.

type blockedBody struct {
	Available bool // the partner API is on
	Rows      []*report.DestinationRecord
	Limit     int
	More      bool
	CSV, JSON string
}

// blockedRows is the most destinations the page lists.
const blockedRows = 1000

func (c *Console) blockedPage(w http.ResponseWriter, r *http.Request, s *session) {
	b := &blockedBody{Available: c.o.Partners != nil, Limit: blockedRows}
	format := r.URL.Query().Get("format")
	limit := blockedRows + 1
	if format != "" {
		limit = c.o.ExportRows
	}
	if b.Available {
		ds, err := c.o.Partners.Blocked(r.Context(), limit)
		if err != nil {
			c.internal(w, r, s, fmt.Errorf("blocked destinations: %w", err))
			return
		}
		for i := range ds {
			b.Rows = append(b.Rows, report.NewDestinationRecord(&ds[i], c.o.Location))
		}
	}
	if format != "" {
		rows := make([]report.Record, len(b.Rows))
		for i, d := range b.Rows {
			rows[i] = d
		}
		c.exportRecords(w, s, "blocked", format, report.DestinationColumns(), rows)
		return
	}
	if len(b.Rows) > blockedRows {
		b.Rows, b.More = b.Rows[:blockedRows], true
	}
	b.CSV, b.JSON = "/console/blocked?format=csv", "/console/blocked?format=json"
	d := c.data(s, "Blocked destinations", report.ViewPartners, b)
	d.Flash = flashes[r.URL.Query().Get("done")]
	c.render(w, r, http.StatusOK, "blocked", d)
}

// exportRecords writes rows already loaded as CSV or JSON.
func (c *Console) exportRecords(w http.ResponseWriter, s *session, view, format string, columns []string, rows []report.Record) {
	f, ok := exportFormat(w, format)
	if !ok {
		return
	}
	c.attachView(w, view, f)
	if err := report.WriteRecords(w, f, columns, rows); err != nil {
		c.log.Error("console export failed", "view", view, "user", s.user.name, "err", err)
		return
	}
	c.log.Info("console export", "view", view, "format", f, "rows", len(rows), "user", s.user.name)
}

// unblockDestination clears a destination's failure count through the
// partner service, which writes the audit entry.
func (c *Console) unblockDestination(w http.ResponseWriter, r *http.Request, s *session) {
	if c.o.Partners == nil {
		c.fail(w, r, s, http.StatusNotFound, "The partner API is not enabled.")
		return
	}
	dest := r.PathValue("msisdn")
	err := c.o.Partners.Unblock(r.Context(), actor(r, s), dest)
	switch smsgw.ErrorCode(err) {
	case "":
	case partner.EDestination, smsgw.EInvalid:
		c.fail(w, r, s, http.StatusBadRequest, "The destination was not unblocked: "+domainMessage(err)+".")
		return
	default:
		c.internal(w, r, s, fmt.Errorf("unblock destination: %w", err))
		return
	}
	c.log.Info("console destination unblock", "user", s.user.name)
	http.Redirect(w, r, "/console/blocked?done=dest_unblocked", http.StatusSeeOther)
}
