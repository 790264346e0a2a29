package report

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/smsgw/smsgw/domain"
	"github.com/smsgw/smsgw/partner"
	"github.com/smsgw/smsgw/smsgw"
)

// Partner requests and callbacks of the host-to-host API, as listings.

// partnerReads are the partner records the listings read.
type partnerReads interface {
	partner.RequestStore
	partner.CallbackStore
}

// partnerRecords returns the partner records of src, or an error naming
// its type when the store does not hold them (as partner.TxOf does).
func partnerRecords(src Source) (partnerReads, error) {
	r, ok := src.(partnerReads)
	if !ok {
		return nil, fmt.Errorf("partner: store transaction %T does not implement partner.RequestStore and partner.CallbackStore", src)
	}
	return r, nil
}

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

// PartnerQuery filters the host-to-host partner requests (view
// "partners"). With TrxID it selects that one request, if it matches the
// other fields.
type PartnerQuery struct {
	Partner string
	RefID   string
	TrxID   int64
	MSISDN  domain.MSISDN   // the destination
	States  []partner.State // any of them
	Since   time.Time
	Until   time.Time
}

// ParsePartnerQuery reads the partner request filters
// (Filters(ViewPartners)).
func ParsePartnerQuery(v Values, e Env) (*PartnerQuery, error) {
	var (
		q   = &PartnerQuery{}
		err error
	)
	e = e.norm()
	if q.Partner, err = parseText("partner", v["partner"]); err != nil {
		return nil, err
	}
	if q.RefID, err = parseText("refid", v["refid"]); err != nil {
		return nil, err
	}
	if q.TrxID, err = parseID("trxid", v["trxid"]); err != nil {
		return nil, err
	}
	if q.MSISDN, err = parseMSISDN("msisdn", v["msisdn"]); err != nil {
		return nil, err
	}
	if q.States, err = parsePartnerStatus(v["status"]); err != nil {
		return nil, err
	}
	if q.Since, q.Until, err = parseRange(v, e); err != nil {
		return nil, err
	}
	return q, nil
}

// View is ViewPartners.
func (q *PartnerQuery) View() string { return ViewPartners }

// Columns names the cells of a PartnerRecord.
func (q *PartnerQuery) Columns() []string {
	return []string{"trxid", "time", "partner", "refid", "kind", "mode", "product", "msisdn", "amount", "price",
		"status", "state", "reason", "message", "sn", "transfer_id", "session_id", "inquiry_id", "reverses", "duplicate",
		"balance_before", "balance_after", "paid_at", "resolved", "updated"}
}

func (q *PartnerQuery) filter() partner.RequestFilter {
	return partner.RequestFilter{Partner: q.Partner, RefID: q.RefID, Dest: q.MSISDN, States: q.States,
		Since: q.Since, Until: q.Until}
}

// Fetch reads a page of *PartnerRecord, newest first. src must hold the
// partner requests and callbacks (partner.RequestStore and
// partner.CallbackStore).
func (q *PartnerQuery) Fetch(src Source, e Env, limit, offset int) ([]Record, error) {
	e = e.norm()
	tx, err := partnerRecords(src)
	if err != nil {
		return nil, err
	}
	if q.TrxID != 0 {
		// One request by its trxid, if it matches the other filters.
		if offset > 0 {
			return nil, nil
		}
		r, err := tx.PartnerRequest(q.TrxID)
		if smsgw.ErrorCode(err) == smsgw.ENotFound || (err == nil && !q.matches(r)) {
			return nil, nil
		} else if err != nil {
			return nil, err
		}
		return []Record{NewPartnerRecord(r, e.Location)}, nil
	}
	f := q.filter()
	f.Limit, f.Offset = limit, offset
	rs, err := tx.PartnerRequests(f)
	if err != nil {
		return nil, err
	}
	out := make([]Record, len(rs))
	for i := range rs {
		out[i] = NewPartnerRecord(&rs[i], e.Location)
	}
	return out, nil
}

// matches applies the filter to one request, as PartnerRequests would.
func (q *PartnerQuery) matches(r *partner.Request) bool {
	f := q.filter()
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

// PartnerRecord is one host-to-host partner request as operators see and
// export it. It carries no secret: signatures, keys and the request hash
// are never part of it. Status is the code the partner sees (20 success,
// 40 failed, 10 pending or unknown); Reason is the failure reason of a
// failed request.
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
	Reverses      int64      `json:"reverses"` // a VA reversal: the trxid of the payment
	Duplicate     bool       `json:"duplicate"`
	BalanceBefore int64      `json:"balance_before"`
	BalanceAfter  int64      `json:"balance_after"`
	PaidAt        *time.Time `json:"paid_at"`
	Resolved      *time.Time `json:"resolved"`
	Updated       time.Time  `json:"updated"`
}

// NewPartnerRecord converts r with its times in loc.
func NewPartnerRecord(r *partner.Request, loc *time.Location) *PartnerRecord {
	p := &PartnerRecord{
		TrxID: r.ID, Time: r.CreatedAt.In(loc), Partner: r.Partner, RefID: r.RefID, Kind: r.Kind, Mode: r.Mode,
		Product: r.Product, MSISDN: string(r.Dest), Amount: int64(r.Amount), Price: int64(r.Price),
		Status: partnerCode(r.State), State: string(r.State), Reason: r.Code, Message: r.Message, SN: r.SN,
		TransferID: r.TransferID, SessionID: r.SessionID, InquiryID: r.InquiryID, Reverses: r.ReversesID, Duplicate: r.Duplicate,
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

// Cells gives the CSV and table values in column order.
func (r *PartnerRecord) Cells() []string {
	return []string{itoa(r.TrxID), fmtTime(r.Time), r.Partner, r.RefID, r.Kind, r.Mode, r.Product, r.MSISDN,
		itoa(r.Amount), itoa(r.Price), r.Status, r.State, r.Reason, r.Message, r.SN, idOrEmpty(r.TransferID),
		idOrEmpty(r.SessionID), idOrEmpty(r.InquiryID), idOrEmpty(r.Reverses), strconv.FormatBool(r.Duplicate), itoa(r.BalanceBefore),
		itoa(r.BalanceAfter), fmtTimePtr(r.PaidAt), fmtTimePtr(r.Resolved), fmtTime(r.Updated)}
}

// Callback outbox.

// CallbackQuery filters the callback outbox (view "callbacks").
type CallbackQuery struct {
	Partner string
	Status  string // partner.CallbackQueued, CallbackSent or CallbackDead
	TrxID   int64  // the callbacks of this request
}

// ParseCallbackQuery reads the callback filters (Filters(ViewCallbacks)).
func ParseCallbackQuery(v Values) (*CallbackQuery, error) {
	var (
		q   = &CallbackQuery{}
		err error
	)
	if q.Partner, err = parseText("partner", v["partner"]); err != nil {
		return nil, err
	}
	status := strings.ToLower(strings.TrimSpace(v["status"]))
	if status == "dead_letter" || status == "dead-letter" {
		status = partner.CallbackDead
	}
	if q.Status, err = oneOf("status", status, callbackStatuses...); err != nil {
		return nil, err
	}
	if q.TrxID, err = parseID("trxid", v["trxid"]); err != nil {
		return nil, err
	}
	return q, nil
}

// View is ViewCallbacks.
func (q *CallbackQuery) View() string { return ViewCallbacks }

// Columns names the cells of a CallbackRecord.
func (q *CallbackQuery) Columns() []string {
	return []string{"id", "trxid", "partner", "refid", "msisdn", "request_state", "status", "attempts",
		"next_attempt", "deadline", "last_error", "created", "updated", "sent"}
}

// Fetch reads a page of *CallbackRecord, newest first. src must hold the
// partner requests and callbacks (partner.RequestStore and
// partner.CallbackStore).
func (q *CallbackQuery) Fetch(src Source, e Env, limit, offset int) ([]Record, error) {
	e = e.norm()
	tx, err := partnerRecords(src)
	if err != nil {
		return nil, err
	}
	cs, err := tx.Callbacks(partner.CallbackFilter{Partner: q.Partner, Status: q.Status, RequestID: q.TrxID,
		Limit: limit, Offset: offset})
	if err != nil {
		return nil, err
	}
	out := make([]Record, len(cs))
	for i := range cs {
		r, err := tx.PartnerRequest(cs[i].RequestID)
		if err != nil && smsgw.ErrorCode(err) != smsgw.ENotFound {
			return nil, err
		}
		out[i] = NewCallbackRecord(&cs[i], r, e.Location)
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

// NewCallbackRecord converts c with its times in loc; r is its request,
// nil if unknown.
func NewCallbackRecord(c *partner.Callback, r *partner.Request, loc *time.Location) *CallbackRecord {
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

// Cells gives the CSV and table values in column order.
func (r *CallbackRecord) Cells() []string {
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

// DestinationColumns names the cells of a DestinationRecord.
func DestinationColumns() []string { return []string{"msisdn", "failures", "last_failure", "updated"} }

// NewDestinationRecord converts d with its times in loc.
func NewDestinationRecord(d *partner.Destination, loc *time.Location) *DestinationRecord {
	r := &DestinationRecord{MSISDN: string(d.Dest), Failures: d.Failures, Updated: d.UpdatedAt.In(loc)}
	if d.LastFailure != nil {
		t := d.LastFailure.In(loc)
		r.LastFailure = &t
	}
	return r
}

// Cells gives the CSV and table values in column order.
func (r *DestinationRecord) Cells() []string {
	return []string{r.MSISDN, strconv.Itoa(r.Failures), fmtTimePtr(r.LastFailure), fmtTime(r.Updated)}
}
