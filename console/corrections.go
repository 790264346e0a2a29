package console

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/smsgw/smsgw/domain"
	"github.com/smsgw/smsgw/keywords"
	"github.com/smsgw/smsgw/report"
	"github.com/smsgw/smsgw/smsgw"
)

// Ledger corrections with maker-checker: an admin asks for a reversal (or
// a refund of a partner request's credit) on a transfer's page, another
// admin approves or rejects it on the corrections page. The Gateway checks
// the rules (never the maker as checker, never more than what remains,
// decided once, expiry) and writes each step with its audit entry; the
// console shows its refusals.

// correctionKind is the correction the console offers for a transfer of
// kind: a refund for a refundable credit (a partner request's, by bank
// virtual account or host-to-host), a reversal for an SMS top-up, "" for a
// transfer that cannot be corrected (a reversal or refund itself, a
// deposit).
func (c *Console) correctionKind(transferKind string) string {
	switch {
	case transferKind == smsgw.TransferSMSTopUp:
		return smsgw.CorrectionReversal
	case c.o.Admin.Refundable(transferKind):
		return smsgw.CorrectionRefund
	}
	return ""
}

// maxCorrectionRows bounds the corrections shown on a transfer's page.
const maxCorrectionRows = 50

// correctionPanel is the corrections section of a transfer's page.
type correctionPanel struct {
	TransferID int64
	Kind       string // the correction offered; "" when none can be
	Reverses   int64  // for a reversal or refund: the transfer it undoes
	Amount     domain.Amount
	Done       domain.Amount // moved back by approved corrections
	Open       domain.Amount // asked for by requests waiting for a decision
	Remaining  domain.Amount
	CanRequest bool // something remains to correct
	Rows       []*report.CorrectionRecord
	Key        string // idempotency key of the form (one per rendered form)
	Next       string // the page the form returns to
	// Values typed into the form, shown again after a refusal.
	FormAmount, FormReason string
}

// correctionPanel loads the corrections section of transfer tr.
func (c *Console) correctionPanel(tx smsgw.Tx, tr *smsgw.Transfer, next string) (*correctionPanel, error) {
	p := &correctionPanel{TransferID: tr.ID, Kind: c.correctionKind(tr.Kind), Reverses: tr.ReversesID, Amount: tr.Amount, Next: next}
	if p.Kind == "" {
		return p, nil
	}
	done, open, err := tx.Reversed(tr.ID)
	if err != nil {
		return nil, fmt.Errorf("corrections of transfer %d: %w", tr.ID, err)
	}
	p.Done, p.Open = done, open
	p.Remaining = max(tr.Amount-done-open, 0)
	p.CanRequest = p.Remaining > 0
	cs, err := tx.Corrections(smsgw.CorrectionFilter{TransferID: tr.ID, Limit: maxCorrectionRows})
	if err != nil {
		return nil, fmt.Errorf("corrections of transfer %d: %w", tr.ID, err)
	}
	now := c.o.Now()
	for i := range cs {
		p.Rows = append(p.Rows, report.NewCorrectionRecord(&cs[i], now, c.o.Location))
	}
	if p.Key, err = randomToken(); err != nil {
		return nil, err
	}
	return p, nil
}

// correctionError maps a refused correction step to an HTTP status and an
// operator's message; ok is false for an internal error.
func correctionError(err error, what string) (status int, msg string, ok bool) {
	m := domainMessage(err)
	switch smsgw.ErrorCode(err) {
	case smsgw.EInvalid:
		return http.StatusBadRequest, what + ": " + m + ".", true
	case smsgw.ENotFound:
		return http.StatusNotFound, what + ": " + m + ".", true
	case smsgw.EConflict:
		return http.StatusConflict, what + ": " + m + ".", true
	case smsgw.EExpired:
		return http.StatusGone, what + ": " + m + " before anyone decided it. Ask for it again if it is still needed.", true
	case smsgw.EFunds:
		return http.StatusUnprocessableEntity, what + ": " + m + ", spent since the transfer. The request stays open: " +
			"approve it once the account holds enough, or reject it.", true
	}
	return 0, "", false
}

// requestCorrection asks for a reversal or refund of transfer ID: field
// kind (default the one the transfer's kind allows), amount (rupiah, empty
// for all that remains), reason, key (the form's idempotency key) and
// next (the page to return to, default the transfer's).
func (c *Console) requestCorrection(w http.ResponseWriter, r *http.Request, s *session) {
	id, ok := pathID(r)
	if !ok {
		c.fail(w, r, s, http.StatusNotFound, "No such transfer.")
		return
	}
	f := r.PostForm
	req := smsgw.CorrectionRequest{TransferID: id, Kind: f.Get("kind"), Reason: strings.TrimSpace(f.Get("reason"))}
	var err error
	if a := strings.TrimSpace(f.Get("amount")); a != "" {
		if req.Amount, err = keywords.ParseAmount(a); err != nil || req.Amount <= 0 {
			err = smsgw.Errorf(smsgw.EInvalid, "amount %q: want whole rupiah, e.g. 20000, or leave it empty for all that remains", a)
		}
	}
	if k := strings.TrimSpace(f.Get("key")); err == nil && k != "" {
		if len(k) > 64 {
			err = smsgw.Errorf(smsgw.EInvalid, "bad form key")
		}
		req.Key = "console:" + k
	}
	var corr *smsgw.Correction
	if err == nil {
		corr, err = c.o.Admin.RequestCorrection(r.Context(), actor(r, s), req)
	}
	if err == nil {
		c.log.Info("console correction request", "correction", corr.ID, "kind", corr.Kind, "transfer", id, "user", s.user.name)
		http.Redirect(w, r, withDone(f.Get("next"), "/console/transfers/"+itoa(id), "correction_requested"), http.StatusSeeOther)
		return
	}
	status, msg, ok := correctionError(err, "The correction was not requested")
	if !ok {
		c.internal(w, r, s, fmt.Errorf("request correction of transfer %d: %w", id, err))
		return
	}
	c.log.Warn("console correction request refused", "transfer", id, "user", s.user.name, "err", err)
	if status == http.StatusNotFound {
		c.fail(w, r, s, status, "No such transfer.")
		return
	}
	b, err := c.transactionBody(r, id, true)
	if c.lookupFailed(w, r, s, err, "No such transfer.") {
		return
	}
	if b.Corr != nil {
		b.Corr.FormAmount, b.Corr.FormReason = f.Get("amount"), f.Get("reason")
		if n := f.Get("next"); n != "" {
			b.Corr.Next = safeNext(n)
		}
	}
	c.renderTransaction(w, r, s, b, true, status, msg)
}

// The corrections page.

type correctionsBody struct {
	Rows     []*correctionRow
	States   []string
	State    string
	Transfer string
	Offset   int
	Prev     string
	Next     string
	CSV      string
	JSON     string
	Self     string // this page, to return to after a decision
}

type correctionRow struct {
	*report.CorrectionRecord
	Mine bool // requested by the viewing user: they cannot decide it
}

// correctionFilter reads the page's filters: state and transfer.
func correctionFilter(q url.Values) (smsgw.CorrectionFilter, error) {
	var f smsgw.CorrectionFilter
	switch st := q.Get("state"); st {
	case "", smsgw.CorrectionRequested, smsgw.CorrectionApproved, smsgw.CorrectionRejected, smsgw.CorrectionExpired:
		f.State = st
	default:
		return f, fmt.Errorf("state: want one of %s", strings.Join(report.CorrectionStates(), ", "))
	}
	if t := strings.TrimSpace(q.Get("transfer")); t != "" {
		id, err := strconv.ParseInt(t, 10, 64)
		if err != nil || id <= 0 {
			return f, fmt.Errorf("transfer: want a transfer id")
		}
		f.TransferID = id
	}
	return f, nil
}

func (c *Console) correctionsPage(w http.ResponseWriter, r *http.Request, s *session) {
	q := r.URL.Query()
	d := c.correctionsData(w, r, s, q, q.Get("format"))
	if d == nil {
		return
	}
	d.Flash = flashes[q.Get("done")]
	c.render(w, r, http.StatusOK, "corrections", d)
}

// correctionsData loads the corrections page for the filters in q, or
// writes the export (format) or the error and returns nil.
func (c *Console) correctionsData(w http.ResponseWriter, r *http.Request, s *session, q url.Values, format string) *pageData {
	b := &correctionsBody{States: report.CorrectionStates(), State: q.Get("state"), Transfer: q.Get("transfer")}
	d := c.data(s, "Corrections", "corrections", b)
	f, ferr := correctionFilter(q)
	if ferr != nil {
		if format != "" {
			http.Error(w, ferr.Error(), http.StatusBadRequest)
			return nil
		}
		d.Error = ferr.Error()
		c.render(w, r, http.StatusBadRequest, "corrections", d)
		return nil
	}
	now := c.o.Now()
	if format != "" {
		f.Limit = c.o.ExportRows
	} else {
		b.Offset = min(max(atoiOr(q.Get("offset"), 0), 0), 1_000_000)
		f.Limit, f.Offset = c.o.PageSize+1, b.Offset
	}
	var cs []smsgw.Correction
	err := c.o.Store.View(r.Context(), func(tx smsgw.Tx) (err error) {
		cs, err = tx.Corrections(f)
		return err
	})
	if err != nil {
		c.internal(w, r, s, fmt.Errorf("corrections: %w", err))
		return nil
	}
	if format != "" {
		rows := make([]report.Record, len(cs))
		for i := range cs {
			rows[i] = report.NewCorrectionRecord(&cs[i], now, c.o.Location)
		}
		c.exportRecords(w, s, "corrections", format, report.CorrectionColumns(), rows)
		return nil
	}
	const path = "/console/corrections"
	if len(cs) > c.o.PageSize {
		cs = cs[:c.o.PageSize]
		b.Next = pageURL(path, q, b.Offset+c.o.PageSize)
	}
	if b.Offset > 0 {
		b.Prev = pageURL(path, q, max(b.Offset-c.o.PageSize, 0))
	}
	for i := range cs {
		b.Rows = append(b.Rows, &correctionRow{CorrectionRecord: report.NewCorrectionRecord(&cs[i], now, c.o.Location),
			Mine: strings.EqualFold(cs[i].Maker, s.user.name)})
	}
	b.CSV, b.JSON = exportURL(path, q, report.FormatCSV), exportURL(path, q, report.FormatJSON)
	self := cloneValues(q)
	self.Del("done")
	self.Del("format")
	b.Self = path
	if len(self) > 0 {
		b.Self += "?" + self.Encode()
	}
	return d
}

// decideCorrection approves or rejects correction ID (field note for a
// rejection; next, the page to return to). A refusal shows the
// corrections page again with the reason.
func (c *Console) decideCorrection(approve bool) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request, s *session) {
		id, ok := pathID(r)
		if !ok {
			c.fail(w, r, s, http.StatusNotFound, "No such correction.")
			return
		}
		var (
			err        error
			done, verb = "correction_rejected", "rejected"
		)
		if approve {
			done, verb = "correction_approved", "approved"
			_, err = c.o.Admin.ApproveCorrection(r.Context(), actor(r, s), id)
		} else {
			_, err = c.o.Admin.RejectCorrection(r.Context(), actor(r, s), id, r.PostForm.Get("note"))
		}
		next := r.PostForm.Get("next")
		if err == nil {
			c.log.Info("console correction "+verb, "correction", id, "user", s.user.name)
			http.Redirect(w, r, withDone(next, "/console/corrections", done), http.StatusSeeOther)
			return
		}
		status, msg, ok := correctionError(err, fmt.Sprintf("Correction %d was not %s", id, verb))
		if !ok {
			c.internal(w, r, s, fmt.Errorf("%s correction %d: %w", verb, id, err))
			return
		}
		if approve && status != http.StatusGone {
			msg += " Nothing was moved."
		}
		c.log.Warn("console correction decision refused", "correction", id, "approve", approve, "user", s.user.name, "err", err)
		q := url.Values{}
		if u, perr := url.Parse(safeNext(next)); perr == nil && u.Path == "/console/corrections" {
			q = u.Query()
		}
		d := c.correctionsData(w, r, s, q, "")
		if d == nil {
			return
		}
		d.Error = msg
		c.render(w, r, status, "corrections", d)
	}
}

// waitingCorrections counts the requests waiting for a decision that have
// not expired, for the dashboard.
func waitingCorrections(tx smsgw.Tx, now time.Time) (int, error) {
	cs, err := tx.Corrections(smsgw.CorrectionFilter{State: smsgw.CorrectionRequested, Limit: 1000})
	if err != nil {
		return 0, err
	}
	n := 0
	for i := range cs {
		if now.Before(cs[i].ExpiresAt) {
			n++
		}
	}
	return n, nil
}
