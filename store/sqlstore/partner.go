package sqlstore

import (
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/smsgw/smsgw/domain"
	"github.com/smsgw/smsgw/partner"
	"github.com/smsgw/smsgw/smsgw"
)

// UseNonce records (partner, nonce); the primary key turns a second use
// into EDuplicate.
func (t *Tx) UseNonce(partner, nonce string, at time.Time) error {
	if partner == "" || nonce == "" {
		return smsgw.Errorf(smsgw.EInvalid, "nonce needs a partner and a value")
	}
	_, err := t.exec(`INSERT INTO partner_nonces (partner, nonce, created_at) VALUES (?, ?, ?)`,
		partner, nonce, encTime(t.orNow(at)))
	if t.isUnique(err) {
		return smsgw.Errorf(smsgw.EDuplicate, "nonce already used")
	} else if err != nil {
		return t.mapErr("use nonce", err)
	}
	return nil
}

// PurgeNonces deletes nonces recorded before t.
func (t *Tx) PurgeNonces(before time.Time) (int64, error) {
	return t.affected("purge nonces")(t.exec(`DELETE FROM partner_nonces WHERE created_at < ?`, encTime(before)))
}

const partnerRequestCols = `id, partner, refid, kind, mode, product, dest, amount, price, state, code, message,
	request_hash, transfer_key, session_id, transfer_id, inquiry_id, sn, balance_before, balance_after, duplicate,
	paid_at, created_at, updated_at, resolved_at, reverses_id`

func scanPartnerRequest(row scanner) (*partner.Request, error) {
	var (
		p                            partner.Request
		dest, state                  string
		session, transfer, inquiry   sql.NullInt64
		paid, resolved, reverses     sql.NullInt64
		created, updated, duplicated int64
	)
	if err := row.Scan(&p.ID, &p.Partner, &p.RefID, &p.Kind, &p.Mode, &p.Product, &dest, &p.Amount, &p.Price,
		&state, &p.Code, &p.Message, &p.RequestHash, &p.TransferKey, &session, &transfer, &inquiry, &p.SN,
		&p.BalanceBefore, &p.BalanceAfter, &duplicated, &paid, &created, &updated, &resolved, &reverses); err != nil {
		return nil, err
	}
	p.Dest, p.State = domain.MSISDN(dest), partner.State(state)
	p.SessionID, p.TransferID, p.InquiryID, p.ReversesID = session.Int64, transfer.Int64, inquiry.Int64, reverses.Int64
	p.Duplicate = duplicated != 0
	p.PaidAt = decTimeZero(paid)
	p.CreatedAt, p.UpdatedAt, p.ResolvedAt = decTime(created), decTime(updated), decTimePtr(resolved)
	return &p, nil
}

// CreatePartnerRequest inserts p. The unique keys (partner, refid) with
// refid compared case-insensitively, transfer_id and inquiry_id turn a
// second request for the same thing into EConflict.
func (t *Tx) CreatePartnerRequest(p *partner.Request) error {
	p.CreatedAt = t.orNow(p.CreatedAt)
	if p.UpdatedAt.IsZero() {
		p.UpdatedAt = p.CreatedAt
	}
	dup := 0
	if p.Duplicate {
		dup = 1
	}
	err := t.insertID(&p.ID, `INSERT INTO partner_requests
		(partner, refid, kind, mode, product, dest, amount, price, state, code, message, request_hash,
		 transfer_key, session_id, transfer_id, inquiry_id, sn, balance_before, balance_after, duplicate,
		 paid_at, created_at, updated_at, resolved_at, reverses_id)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		p.Partner, p.RefID, p.Kind, p.Mode, p.Product, string(p.Dest), int64(p.Amount), int64(p.Price),
		string(p.State), p.Code, p.Message, p.RequestHash, p.TransferKey, nullID(p.SessionID), nullID(p.TransferID),
		nullID(p.InquiryID), p.SN, int64(p.BalanceBefore), int64(p.BalanceAfter), dup, encTimeZero(p.PaidAt),
		encTime(p.CreatedAt), encTime(p.UpdatedAt), encTimePtr(p.ResolvedAt), nullID(p.ReversesID))
	if err != nil {
		return t.mapErr("create partner request", err)
	}
	return nil
}

func (t *Tx) partnerRequest(op, where string, args ...any) (*partner.Request, error) {
	p, err := scanPartnerRequest(t.queryRow(`SELECT `+partnerRequestCols+` FROM partner_requests WHERE `+where, args...))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("partner request not found")
	} else if err != nil {
		return nil, fmt.Errorf("store: %s: %w", op, err)
	}
	return p, nil
}

// PartnerRequest returns a request by ID.
func (t *Tx) PartnerRequest(id int64) (*partner.Request, error) {
	return t.partnerRequest("partner request", `id = ?`, id)
}

// PartnerRequestByRef returns the request of partner with refid, in any
// letter case (the partial unique index partner_requests_refid_nocase).
func (t *Tx) PartnerRequestByRef(partner, refid string) (*partner.Request, error) {
	return t.partnerRequest("partner request by ref", `partner = ? AND `+t.d.FoldEq("refid")+` AND refid_dup = 0`,
		partner, refid)
}

// PartnerRequestBySession returns the request tied to a PIN session.
func (t *Tx) PartnerRequestBySession(sessionID int64) (*partner.Request, error) {
	return t.partnerRequest("partner request by session", `session_id = ?`, sessionID)
}

// RequestsOfExpiredSessions lists open requests after ID after whose PIN
// session expired and owes its notice. It reads the few open requests
// (partner_requests_open) and looks each one's session up, rather than the
// expired sessions, which may be a million.
func (t *Tx) RequestsOfExpiredSessions(after int64, limit int) ([]partner.Request, error) {
	rows, err := t.query(`SELECT `+partnerRequestCols+` FROM partner_requests`+t.d.indexedBy("partner_requests_open")+`
		WHERE state IN ('pending', 'unknown') AND id > ? AND session_id IS NOT NULL
		AND EXISTS (SELECT 1 FROM sessions s WHERE s.id = partner_requests.session_id AND s.state = 'expired' AND s.notice_due = 1)
		ORDER BY id LIMIT ?`, after, limitOf(limit))
	if err != nil {
		return nil, fmt.Errorf("store: requests of expired sessions: %w", err)
	}
	return collect(rows, "requests of expired sessions", scanPartnerRequest)
}

// PartnerRequestByInquiry returns the request that paid an inquiry.
func (t *Tx) PartnerRequestByInquiry(inquiryID int64) (*partner.Request, error) {
	return t.partnerRequest("partner request by inquiry", `inquiry_id = ?`, inquiryID)
}

// ResolvePartnerRequest is a conditional UPDATE from pending (to any other
// state) or from unknown (to a final state).
func (t *Tx) ResolvePartnerRequest(p *partner.Request) error {
	switch p.State {
	case partner.Success, partner.Failed, partner.Unknown:
	default:
		return smsgw.Errorf(smsgw.EInvalid, "partner request cannot move to %q", p.State)
	}
	p.UpdatedAt = t.orNow(p.UpdatedAt)
	var resolved any
	if p.State.Final() {
		at := t.orNow(derefTime(p.ResolvedAt))
		p.ResolvedAt = &at
		resolved = encTime(at)
	} else {
		p.ResolvedAt = nil
	}
	res, err := t.exec(`UPDATE partner_requests SET state = ?, code = ?, message = ?, transfer_id = ?, sn = ?,
		balance_after = ?, updated_at = ?, resolved_at = ?
		WHERE id = ? AND (state = 'pending' OR (state = 'unknown' AND ? <> 'unknown'))`,
		string(p.State), p.Code, p.Message, nullID(p.TransferID), p.SN, int64(p.BalanceAfter), encTime(p.UpdatedAt), resolved,
		p.ID, string(p.State))
	if err != nil {
		return t.mapErr("resolve partner request", err)
	}
	return expectOne(res, "resolve partner request", func() error {
		var state string
		err := t.queryRow(`SELECT state FROM partner_requests WHERE id = ?`, p.ID).Scan(&state)
		if errors.Is(err, sql.ErrNoRows) {
			return notFound("partner request not found")
		} else if err != nil {
			return fmt.Errorf("store: partner request state: %w", err)
		}
		return smsgw.Errorf(smsgw.EConflict, "partner request already %s", state)
	})
}

// PartnerRequests lists requests matching f, newest first. Since is
// inclusive and Until exclusive, both on CreatedAt.
func (t *Tx) PartnerRequests(f partner.RequestFilter) ([]partner.Request, error) {
	var c conds
	c.eq("partner", f.Partner)
	if f.RefID != "" { // in any case, the marked duplicates of 0006 included
		c.add(t.d.FoldEq("refid"), f.RefID)
	}
	c.eq("dest", string(f.Dest))
	states := make([]string, len(f.States))
	for i, s := range f.States {
		states[i] = string(s)
	}
	c.in("state", states)
	c.span("created_at", f.Since, f.Until)
	q := `SELECT ` + partnerRequestCols + ` FROM partner_requests` + c.clause() + ` ORDER BY id DESC LIMIT ? OFFSET ?`
	rows, err := t.query(q, c.page(f.Limit, f.Offset)...)
	if err != nil {
		return nil, fmt.Errorf("store: partner requests: %w", err)
	}
	return collect(rows, "partner requests", scanPartnerRequest)
}

// LastPartnerRequest returns the newest request of partner for product and
// dest created at or after since.
func (t *Tx) LastPartnerRequest(partner, product, dest string, since time.Time) (*partner.Request, error) {
	return t.partnerRequest("last partner request",
		`partner = ? AND product = ? AND dest = ? AND created_at >= ?
		 AND NOT (state = 'failed' AND session_id IS NULL) ORDER BY created_at DESC, id DESC LIMIT 1`,
		partner, product, dest, encTime(since))
}

// CreateInquiry inserts q.
func (t *Tx) CreateInquiry(q *partner.Inquiry) error {
	if q.ExpiresAt.IsZero() {
		return smsgw.Errorf(smsgw.EInvalid, "inquiry needs an expiry time")
	}
	q.CreatedAt = t.orNow(q.CreatedAt)
	err := t.insertID(&q.ID, `INSERT INTO partner_inquiries (partner, product, dest, amount, name, created_at, expires_at)
		VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`, q.Partner, q.Product, string(q.Dest), int64(q.Amount), q.Name,
		encTime(q.CreatedAt), encTime(q.ExpiresAt))
	if err != nil {
		return t.mapErr("create inquiry", err)
	}
	return nil
}

// Inquiry returns an inquiry by ID.
func (t *Tx) Inquiry(id int64) (*partner.Inquiry, error) {
	var (
		q                partner.Inquiry
		dest             string
		created, expires int64
	)
	err := t.queryRow(`SELECT id, partner, product, dest, amount, name, created_at, expires_at
		FROM partner_inquiries WHERE id = ?`, id).
		Scan(&q.ID, &q.Partner, &q.Product, &dest, &q.Amount, &q.Name, &created, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("inquiry not found")
	} else if err != nil {
		return nil, fmt.Errorf("store: inquiry: %w", err)
	}
	q.Dest, q.CreatedAt, q.ExpiresAt = domain.MSISDN(dest), decTime(created), decTime(expires)
	return &q, nil
}

func scanDestination(row scanner) (*partner.Destination, error) {
	var (
		d       partner.Destination
		dest    string
		last    sql.NullInt64
		updated int64
	)
	if err := row.Scan(&dest, &d.Failures, &last, &updated); err != nil {
		return nil, err
	}
	d.Dest, d.LastFailure, d.UpdatedAt = domain.MSISDN(dest), decTimePtr(last), decTime(updated)
	return &d, nil
}

// Destination returns the counter of dest, zero when never seen.
func (t *Tx) Destination(dest string) (*partner.Destination, error) {
	d, err := scanDestination(t.queryRow(`SELECT dest, failures, last_failure, updated_at
		FROM partner_destinations WHERE dest = ?`, dest))
	if errors.Is(err, sql.ErrNoRows) {
		return &partner.Destination{Dest: domain.MSISDN(dest)}, nil
	} else if err != nil {
		return nil, fmt.Errorf("store: destination: %w", err)
	}
	return d, nil
}

// SetDestination upserts d.
func (t *Tx) SetDestination(d *partner.Destination) error {
	d.UpdatedAt = t.orNow(d.UpdatedAt)
	_, err := t.exec(`INSERT INTO partner_destinations (dest, failures, last_failure, updated_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (dest) DO UPDATE SET failures = excluded.failures, last_failure = excluded.last_failure,
		updated_at = excluded.updated_at`,
		string(d.Dest), d.Failures, encTimePtr(d.LastFailure), encTime(d.UpdatedAt))
	if err != nil {
		return t.mapErr("set destination", err)
	}
	return nil
}

// Destinations lists destinations with at least minFailures failures.
func (t *Tx) Destinations(minFailures int, limit int) ([]partner.Destination, error) {
	rows, err := t.query(`SELECT dest, failures, last_failure, updated_at FROM partner_destinations
		WHERE failures >= ? ORDER BY failures DESC, dest LIMIT ?`, max(minFailures, 1), limitOf(limit))
	if err != nil {
		return nil, fmt.Errorf("store: destinations: %w", err)
	}
	return collect(rows, "destinations", scanDestination)
}

const callbackCols = `id, request_id, partner, status, attempts, next_attempt, deadline, last_error, created_at,
	updated_at, sent_at`

func scanCallback(row scanner) (*partner.Callback, error) {
	var (
		c                                partner.Callback
		next, deadline, created, updated int64
		sent                             sql.NullInt64
	)
	if err := row.Scan(&c.ID, &c.RequestID, &c.Partner, &c.Status, &c.Attempts, &next, &deadline, &c.LastError,
		&created, &updated, &sent); err != nil {
		return nil, err
	}
	c.NextAttempt, c.Deadline = decTime(next), decTime(deadline)
	c.CreatedAt, c.UpdatedAt, c.SentAt = decTime(created), decTime(updated), decTimePtr(sent)
	return &c, nil
}

// EnqueueCallback inserts c as queued.
func (t *Tx) EnqueueCallback(c *partner.Callback) error {
	if c.Deadline.IsZero() {
		return smsgw.Errorf(smsgw.EInvalid, "callback needs a deadline")
	}
	c.CreatedAt = t.orNow(c.CreatedAt)
	if c.UpdatedAt.IsZero() {
		c.UpdatedAt = c.CreatedAt
	}
	if c.NextAttempt.IsZero() {
		c.NextAttempt = c.CreatedAt
	}
	c.Status, c.Attempts, c.SentAt = partner.CallbackQueued, 0, nil
	err := t.insertID(&c.ID, `INSERT INTO partner_callbacks
		(request_id, partner, status, attempts, next_attempt, deadline, last_error, created_at, updated_at)
		VALUES (?, ?, 'queued', 0, ?, ?, ?, ?, ?) RETURNING id`,
		c.RequestID, c.Partner, encTime(c.NextAttempt), encTime(c.Deadline), c.LastError,
		encTime(c.CreatedAt), encTime(c.UpdatedAt))
	if err != nil {
		return t.mapErr("enqueue callback", err)
	}
	return nil
}

// Callback returns a callback by ID.
func (t *Tx) Callback(id int64) (*partner.Callback, error) {
	c, err := scanCallback(t.queryRow(`SELECT `+callbackCols+` FROM partner_callbacks WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("callback not found")
	} else if err != nil {
		return nil, fmt.Errorf("store: callback: %w", err)
	}
	return c, nil
}

// DueCallbacks lists queued callbacks due at now.
func (t *Tx) DueCallbacks(now time.Time, limit int) ([]partner.Callback, error) {
	rows, err := t.query(`SELECT `+callbackCols+` FROM partner_callbacks
		WHERE status = 'queued' AND next_attempt <= ? ORDER BY next_attempt, id LIMIT ?`, encTime(now), limitOf(limit))
	if err != nil {
		return nil, fmt.Errorf("store: due callbacks: %w", err)
	}
	return collect(rows, "due callbacks", scanCallback)
}

// markCallback updates a queued callback.
func (t *Tx) markCallback(op string, id int64, set string, args ...any) error {
	res, err := t.exec(`UPDATE partner_callbacks SET `+set+` WHERE id = ? AND status = 'queued'`, append(args, id)...)
	if err != nil {
		return t.mapErr(op, err)
	}
	return expectOne(res, op, func() error { return notFound("callback %d is not queued", id) })
}

// MarkCallbackSent records the acknowledgement.
func (t *Tx) MarkCallbackSent(id int64, now time.Time) error {
	at := encTime(t.orNow(now))
	return t.markCallback("mark callback sent", id,
		`status = 'sent', attempts = attempts + 1, last_error = '', sent_at = ?, updated_at = ?`, at, at)
}

// MarkCallbackRetry records a failed attempt and the next one.
func (t *Tx) MarkCallbackRetry(id int64, errText string, now, next time.Time) error {
	return t.markCallback("mark callback retry", id,
		`attempts = attempts + 1, last_error = ?, next_attempt = ?, updated_at = ?`,
		errText, encTime(next), encTime(t.orNow(now)))
}

// MarkCallbackDead dead-letters the callback.
func (t *Tx) MarkCallbackDead(id int64, errText string, now time.Time) error {
	return t.markCallback("mark callback dead", id,
		`status = 'dead', attempts = attempts + 1, last_error = ?, updated_at = ?`, errText, encTime(t.orNow(now)))
}

// RequeueCallback queues a dead or sent callback again.
func (t *Tx) RequeueCallback(id int64, now, deadline time.Time) error {
	at := encTime(t.orNow(now))
	res, err := t.exec(`UPDATE partner_callbacks SET status = 'queued', attempts = 0, next_attempt = ?, deadline = ?,
		sent_at = NULL, updated_at = ? WHERE id = ? AND status IN ('dead', 'sent')`, at, encTime(deadline), at, id)
	if err != nil {
		return t.mapErr("requeue callback", err)
	}
	return expectOne(res, "requeue callback", func() error {
		if _, err := t.Callback(id); err != nil {
			return err
		}
		return smsgw.Errorf(smsgw.EConflict, "callback %d is already queued", id)
	})
}

// Callbacks lists callbacks matching f, newest first.
func (t *Tx) Callbacks(f partner.CallbackFilter) ([]partner.Callback, error) {
	var c conds
	c.eq("partner", f.Partner)
	c.eq("status", f.Status)
	c.id("request_id", f.RequestID)
	q := `SELECT ` + callbackCols + ` FROM partner_callbacks` + c.clause() + ` ORDER BY id DESC LIMIT ? OFFSET ?`
	rows, err := t.query(q, c.page(f.Limit, f.Offset)...)
	if err != nil {
		return nil, fmt.Errorf("store: callbacks: %w", err)
	}
	return collect(rows, "callbacks", scanCallback)
}
