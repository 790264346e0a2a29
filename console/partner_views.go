package console

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/smsgw/smsgw/partner"
	"github.com/smsgw/smsgw/report"
	"github.com/smsgw/smsgw/smsgw"
)

// Partner requests and callbacks of the host-to-host API, as listings.

// partnerRecords returns the partner records of src, or an error naming
// its type when the store does not hold them (as partner.TxOf does).
func partnerRecords(src report.Source) (partner.Records, error) {
	r, ok := src.(partner.Records)
	if !ok {
		return nil, fmt.Errorf("partner: store transaction %T does not implement partner.Records", src)
	}
	return r, nil
}

// View names of the partner API.
const (
	ViewPartners  = "partners"
	ViewCallbacks = "callbacks"
)

var (
	partnerStates = []string{string(partner.Pending), string(partner.Success), string(partner.Failed),
		string(partner.Unknown)}
	callbackStatuses = []string{partner.CallbackQueued, partner.CallbackSent, partner.CallbackDead}
)

// Status codes of partner requests as the partner API reports them.
const (
	partnerCodeSuccess = "20"
	partnerCodeFailed  = "40"
	partnerCodeOpen    = "10" // pending or unknown
)

// partnerCode is the status code a partner sees for state.
func partnerCode(state partner.State) string {
	switch state {
	case partner.Success:
		return partnerCodeSuccess
	case partner.Failed:
		return partnerCodeFailed
	}
	return partnerCodeOpen
}

// parsePartnerStatus reads the status filter: a state, a status code (20,
// 40, or 10 for pending and unknown) or "open".
func parsePartnerStatus(s string) ([]partner.State, error) {
	switch s = strings.ToLower(strings.TrimSpace(s)); s {
	case "":
		return nil, nil
	case partnerCodeSuccess:
		return []partner.State{partner.Success}, nil
	case partnerCodeFailed:
		return []partner.State{partner.Failed}, nil
	case partnerCodeOpen, "open":
		return []partner.State{partner.Pending, partner.Unknown}, nil
	}
	st, err := oneOf("status", s, partnerStates...)
	if err != nil {
		return nil, filterErr("status", "want one of %s, 20, 40, 10 or open, got %q", strings.Join(partnerStates, ", "), s)
	}
	return []partner.State{partner.State(st)}, nil
}

// parseText reads a free-text filter: trimmed, at most 64 characters.
func parseText(field, s string) (string, error) {
	s = strings.TrimSpace(s)
	if len(s) > 64 {
		return "", filterErr(field, "at most 64 characters")
	}
	return s, nil
}

type partnerListing struct {
	f     partner.RequestFilter
	trxid int64
	loc   *time.Location
}

func parsePartners(q url.Values, e env) (listing, error) {
	var (
		l   = &partnerListing{loc: e.loc}
		err error
	)
	if l.f.Partner, err = parseText("partner", q.Get("partner")); err != nil {
		return nil, err
	}
	if l.f.RefID, err = parseText("refid", q.Get("refid")); err != nil {
		return nil, err
	}
	if l.trxid, err = parseID("trxid", q.Get("trxid")); err != nil {
		return nil, err
	}
	if l.f.Dest, err = parseMSISDN("msisdn", q.Get("msisdn")); err != nil {
		return nil, err
	}
	if l.f.States, err = parsePartnerStatus(q.Get("status")); err != nil {
		return nil, err
	}
	if l.f.Since, l.f.Until, err = parseRange(q, e); err != nil {
		return nil, err
	}
	return l, nil
}

func (l *partnerListing) columns() []string {
	return []string{"trxid", "time", "partner", "refid", "kind", "mode", "product", "msisdn", "amount", "price",
		"status", "state", "reason", "message", "sn", "transfer_id", "session_id", "inquiry_id", "duplicate",
		"balance_before", "balance_after", "paid_at", "resolved", "updated"}
}

func (l *partnerListing) fetch(src report.Source, limit, offset int) ([]record, error) {
	tx, err := partnerRecords(src)
	if err != nil {
		return nil, err
	}
	if l.trxid != 0 {
		// One request by its trxid, if it matches the other filters.
		if offset > 0 {
			return nil, nil
		}
		r, err := tx.PartnerRequest(l.trxid)
		if smsgw.ErrorCode(err) == smsgw.ENotFound || (err == nil && !l.matches(r)) {
			return nil, nil
		} else if err != nil {
			return nil, err
		}
		return []record{newPartnerRecord(r, l.loc)}, nil
	}
	f := l.f
	f.Limit, f.Offset = limit, offset
	rs, err := tx.PartnerRequests(f)
	if err != nil {
		return nil, err
	}
	out := make([]record, len(rs))
	for i := range rs {
		out[i] = newPartnerRecord(&rs[i], l.loc)
	}
	return out, nil
}

// matches applies the filter to one request, as PartnerRequests would.
func (l *partnerListing) matches(r *partner.Request) bool {
	f := l.f
	switch {
	case f.Partner != "" && r.Partner != f.Partner,
		f.RefID != "" && r.RefID != f.RefID,
		f.Dest != "" && r.Dest != f.Dest,
		!f.Since.IsZero() && r.CreatedAt.Before(f.Since),
		!f.Until.IsZero() && !r.CreatedAt.Before(f.Until):
		return false
	}
	if len(f.States) == 0 {
		return true
	}
	for _, s := range f.States {
		if r.State == s {
			return true
		}
	}
	return false
}

// PartnerRecord is one host-to-host partner request as the console shows
// and exports it. It carries no secret: signatures, keys and the request
// hash are never part of it. Status is the code the partner sees (20
// success, 40 failed, 10 pending or unknown); Reason is the failure
// reason of a failed request.
type PartnerRecord struct {
	TrxID         int64      `json:"trxid"`
	Time          time.Time  `json:"time"`
	Partner       string     `json:"partner"`
	RefID         string     `json:"refid"`
	Kind          string     `json:"kind"`
	Mode          string     `json:"mode"`
	Product       string     `json:"product"`
	MSISDN        string     `json:"msisdn"`
	Amount        int64      `json:"amount"`
	Price         int64      `json:"price"`
	Status        string     `json:"status"`
	State         string     `json:"state"`
	Reason        string     `json:"reason"`
	Message       string     `json:"message"`
	SN            string     `json:"sn"`
	TransferID    int64      `json:"transfer_id"`
	SessionID     int64      `json:"session_id"`
	InquiryID     int64      `json:"inquiry_id"`
	Duplicate     bool       `json:"duplicate"`
	BalanceBefore int64      `json:"balance_before"`
	BalanceAfter  int64      `json:"balance_after"`
	PaidAt        *time.Time `json:"paid_at"`
	Resolved      *time.Time `json:"resolved"`
	Updated       time.Time  `json:"updated"`
}

func newPartnerRecord(r *partner.Request, loc *time.Location) *PartnerRecord {
	p := &PartnerRecord{
		TrxID: r.ID, Time: r.CreatedAt.In(loc), Partner: r.Partner, RefID: r.RefID, Kind: r.Kind, Mode: r.Mode,
		Product: r.Product, MSISDN: string(r.Dest), Amount: int64(r.Amount), Price: int64(r.Price),
		Status: partnerCode(r.State), State: string(r.State), Reason: r.Code, Message: r.Message, SN: r.SN,
		TransferID: r.TransferID, SessionID: r.SessionID, InquiryID: r.InquiryID, Duplicate: r.Duplicate,
		BalanceBefore: int64(r.BalanceBefore), BalanceAfter: int64(r.BalanceAfter), Updated: r.UpdatedAt.In(loc),
	}
	if !r.PaidAt.IsZero() {
		t := r.PaidAt.In(loc)
		p.PaidAt = &t
	}
	if r.ResolvedAt != nil {
		t := r.ResolvedAt.In(loc)
		p.Resolved = &t
	}
	return p
}

func (r *PartnerRecord) cells() []string {
	return []string{itoa(r.TrxID), fmtTime(r.Time), r.Partner, r.RefID, r.Kind, r.Mode, r.Product, r.MSISDN,
		itoa(r.Amount), itoa(r.Price), r.Status, r.State, r.Reason, r.Message, r.SN, idOrEmpty(r.TransferID),
		idOrEmpty(r.SessionID), idOrEmpty(r.InquiryID), strconv.FormatBool(r.Duplicate), itoa(r.BalanceBefore),
		itoa(r.BalanceAfter), fmtTimePtr(r.PaidAt), fmtTimePtr(r.Resolved), fmtTime(r.Updated)}
}

// URL is the request's page.
func (r *PartnerRecord) URL() string { return "/console/partners/" + itoa(r.TrxID) }

// TxURL is the page of the request's transaction: its PIN session in
// confirmation mode, else its transfer; "" while it has neither.
func (r *PartnerRecord) TxURL() string {
	switch {
	case r.SessionID != 0:
		return "/console/tx/" + itoa(r.SessionID)
	case r.TransferID != 0:
		return "/console/transfers/" + itoa(r.TransferID)
	}
	return ""
}

// Callback outbox.

type callbackListing struct {
	f   partner.CallbackFilter
	loc *time.Location
}

func parseCallbacks(q url.Values, e env) (listing, error) {
	var (
		l   = &callbackListing{loc: e.loc}
		err error
	)
	if l.f.Partner, err = parseText("partner", q.Get("partner")); err != nil {
		return nil, err
	}
	status := strings.ToLower(strings.TrimSpace(q.Get("status")))
	if status == "dead_letter" || status == "dead-letter" {
		status = partner.CallbackDead
	}
	if l.f.Status, err = oneOf("status", status, callbackStatuses...); err != nil {
		return nil, err
	}
	if l.f.RequestID, err = parseID("trxid", q.Get("trxid")); err != nil {
		return nil, err
	}
	return l, nil
}

func (l *callbackListing) columns() []string {
	return []string{"id", "trxid", "partner", "refid", "msisdn", "request_state", "status", "attempts",
		"next_attempt", "deadline", "last_error", "created", "updated", "sent"}
}

func (l *callbackListing) fetch(src report.Source, limit, offset int) ([]record, error) {
	tx, err := partnerRecords(src)
	if err != nil {
		return nil, err
	}
	f := l.f
	f.Limit, f.Offset = limit, offset
	cs, err := tx.Callbacks(f)
	if err != nil {
		return nil, err
	}
	out := make([]record, len(cs))
	for i := range cs {
		r, err := tx.PartnerRequest(cs[i].RequestID)
		if err != nil && smsgw.ErrorCode(err) != smsgw.ENotFound {
			return nil, err
		}
		out[i] = newCallbackRecord(&cs[i], r, l.loc)
	}
	return out, nil
}

// CallbackRecord is one callback of the outbox with the request it
// reports. Status is queued (NextAttempt is when it is tried next), sent
// (acknowledged at Sent) or dead (a dead letter, after Attempts failed
// attempts; LastError is the last one's error, which never holds the URL
// or a secret).
type CallbackRecord struct {
	ID           int64      `json:"id"`
	TrxID        int64      `json:"trxid"`
	Partner      string     `json:"partner"`
	RefID        string     `json:"refid"`
	MSISDN       string     `json:"msisdn"`
	RequestState string     `json:"request_state"`
	Status       string     `json:"status"`
	Attempts     int        `json:"attempts"`
	NextAttempt  *time.Time `json:"next_attempt"`
	Deadline     time.Time  `json:"deadline"`
	LastError    string     `json:"last_error"`
	Created      time.Time  `json:"created"`
	Updated      time.Time  `json:"updated"`
	Sent         *time.Time `json:"sent"`
}

// newCallbackRecord converts c; r is its request, nil if unknown.
func newCallbackRecord(c *partner.Callback, r *partner.Request, loc *time.Location) *CallbackRecord {
	cr := &CallbackRecord{
		ID: c.ID, TrxID: c.RequestID, Partner: c.Partner, Status: c.Status, Attempts: c.Attempts,
		Deadline: c.Deadline.In(loc), LastError: c.LastError, Created: c.CreatedAt.In(loc), Updated: c.UpdatedAt.In(loc),
	}
	if r != nil {
		cr.RefID, cr.MSISDN, cr.RequestState = r.RefID, string(r.Dest), string(r.State)
	}
	if c.Status == partner.CallbackQueued {
		t := c.NextAttempt.In(loc)
		cr.NextAttempt = &t
	}
	if c.SentAt != nil {
		t := c.SentAt.In(loc)
		cr.Sent = &t
	}
	return cr
}

func (r *CallbackRecord) cells() []string {
	return []string{itoa(r.ID), itoa(r.TrxID), r.Partner, r.RefID, r.MSISDN, r.RequestState, r.Status,
		strconv.Itoa(r.Attempts), fmtTimePtr(r.NextAttempt), fmtTime(r.Deadline), r.LastError, fmtTime(r.Created),
		fmtTime(r.Updated), fmtTimePtr(r.Sent)}
}

// Resendable reports whether an operator may queue the callback again: a
// dead letter, or one the partner acknowledged and asks for again. A
// queued callback is still being retried.
func (r *CallbackRecord) Resendable() bool {
	return r.Status == partner.CallbackDead || r.Status == partner.CallbackSent
}

// Retrying reports a queued callback that has failed at least once.
func (r *CallbackRecord) Retrying() bool { return r.Status == partner.CallbackQueued && r.Attempts > 0 }

// Blocked destinations.

// DestinationRecord is a destination blocked after consecutive failed
// partner requests.
type DestinationRecord struct {
	MSISDN      string     `json:"msisdn"`
	Failures    int        `json:"failures"`
	LastFailure *time.Time `json:"last_failure"`
	Updated     time.Time  `json:"updated"`
}

var destinationColumns = []string{"msisdn", "failures", "last_failure", "updated"}

func newDestinationRecord(d *partner.Destination, loc *time.Location) *DestinationRecord {
	r := &DestinationRecord{MSISDN: string(d.Dest), Failures: d.Failures, Updated: d.UpdatedAt.In(loc)}
	if d.LastFailure != nil {
		t := d.LastFailure.In(loc)
		r.LastFailure = &t
	}
	return r
}

func (r *DestinationRecord) cells() []string {
	return []string{r.MSISDN, strconv.Itoa(r.Failures), fmtTimePtr(r.LastFailure), fmtTime(r.Updated)}
}
