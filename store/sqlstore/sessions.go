package sqlstore

import (
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/smsgw/smsgw/domain"
	"github.com/smsgw/smsgw/smsgw"
)

const sessionCols = `id, msisdn, account, amount, state, attempts, channel, request_message_id, pin_message_id,
	transfer_id, created_at, expires_at, resolved_at`

func scanSession(row scanner) (*smsgw.Session, error) {
	var (
		s                      smsgw.Session
		request, pin, transfer sql.NullInt64
		created, expires       int64
		resolved               sql.NullInt64
	)
	if err := row.Scan(&s.ID, &s.MSISDN, &s.Account, &s.Amount, &s.State, &s.Attempts, &s.Channel,
		&request, &pin, &transfer, &created, &expires, &resolved); err != nil {
		return nil, err
	}
	s.RequestMessage, s.PINMessage, s.TransferID = request.Int64, pin.Int64, transfer.Int64
	s.CreatedAt, s.ExpiresAt, s.ResolvedAt = decTime(created), decTime(expires), decTimePtr(resolved)
	return &s, nil
}

// CreateSession inserts s as awaiting_pin; CreatedAt defaults to now and
// ExpiresAt is required. A second open session of the same MSISDN is
// EBusy: the unique index of open sessions by MSISDN refuses it, or, with
// Dialect.OpenSlots, the unique open_msisdn the session holds, which this
// first frees from a session of the MSISDN that is no longer open (an
// expired one keeps it).
func (t *Tx) CreateSession(s *smsgw.Session) error {
	if s.ExpiresAt.IsZero() {
		return smsgw.Errorf(smsgw.EInvalid, "session needs an expiry time")
	}
	s.CreatedAt = t.orNow(s.CreatedAt)
	args := []any{string(s.MSISDN), string(s.Account), int64(s.Amount), string(smsgw.StateAwaitingPIN), s.Attempts, s.Channel,
		nullID(s.RequestMessage), encTime(s.CreatedAt), encTime(s.ExpiresAt)}
	if t.d.OpenSlots {
		if _, err := t.exec(freeSlot, string(s.MSISDN)); err != nil {
			return t.mapErr("create session", err)
		}
		args = append(args, string(s.MSISDN)) // open_msisdn
	}
	err := t.insertID(&s.ID, `INSERT INTO sessions
		(msisdn, account, amount, state, attempts, channel, request_message_id, created_at, expires_at`+t.slotCol(", open_msisdn")+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?`+t.slotCol(", ?")+`) RETURNING id`, args...)
	if t.isUnique(err) {
		return smsgw.Errorf(smsgw.EBusy, "a session already awaits a PIN from this MSISDN")
	} else if err != nil {
		return t.mapErr("create session", err)
	}
	s.State, s.PINMessage, s.TransferID, s.ResolvedAt = smsgw.StateAwaitingPIN, 0, 0, nil
	return nil
}

// freeSlot frees an MSISDN's open_msisdn from a session that is no longer
// open (Dialect.OpenSlots).
const freeSlot = `UPDATE sessions SET open_msisdn = NULL WHERE open_msisdn = ? AND state <> 'awaiting_pin'`

// slotCol returns sql with Dialect.OpenSlots, else "".
func (t *Tx) slotCol(sql string) string {
	if t.d.OpenSlots {
		return sql
	}
	return ""
}

// Session returns a session by ID.
func (t *Tx) Session(id int64) (*smsgw.Session, error) {
	return t.session("session", `id = ?`, id)
}

// OpenSession returns the awaiting_pin session of msisdn.
func (t *Tx) OpenSession(msisdn domain.MSISDN) (*smsgw.Session, error) {
	col := "msisdn"
	if t.d.OpenSlots {
		col = "open_msisdn"
	}
	return t.session("open session", col+` = ? AND state = 'awaiting_pin'`, string(msisdn))
}

func (t *Tx) session(op, where string, arg any) (*smsgw.Session, error) {
	s, err := scanSession(t.queryRow(`SELECT `+sessionCols+` FROM sessions WHERE `+where, arg))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("session not found")
	} else if err != nil {
		return nil, fmt.Errorf("store: %s: %w", op, err)
	}
	return s, nil
}

// ResolveSession moves an awaiting_pin session to the final state s.State
// with a conditional UPDATE; ResolvedAt defaults to now.
func (t *Tx) ResolveSession(s *smsgw.Session) error {
	if s.State == smsgw.StateAwaitingPIN || s.State == "" {
		return smsgw.Errorf(smsgw.EInvalid, "session must be resolved to a final state")
	}
	resolved := t.orNow(derefTime(s.ResolvedAt))
	res, err := t.exec(`UPDATE sessions SET state = ?, attempts = ?, resolved_at = ?, pin_message_id = ?, transfer_id = ?`+
		t.slotCol(", open_msisdn = NULL")+` WHERE id = ? AND state = 'awaiting_pin'`,
		string(s.State), s.Attempts, encTime(resolved), nullID(s.PINMessage), nullID(s.TransferID), s.ID)
	if err != nil {
		return t.mapErr("resolve session", err)
	}
	if err := expectOne(res, "resolve session", func() error { return t.notOpen(s.ID) }); err != nil {
		return err
	}
	s.ResolvedAt = &resolved
	return nil
}

// SetSessionAttempts stores the wrong-PIN counter of an open session.
func (t *Tx) SetSessionAttempts(id int64, attempts int) error {
	res, err := t.exec(`UPDATE sessions SET attempts = ? WHERE id = ? AND state = 'awaiting_pin'`, attempts, id)
	if err != nil {
		return t.mapErr("set session attempts", err)
	}
	return expectOne(res, "set session attempts", func() error { return t.notOpen(id) })
}

// notOpen explains why session id is not awaiting_pin: ENotFound when it
// does not exist, EConflict when it is already resolved.
func (t *Tx) notOpen(id int64) error {
	return t.sessionConflict(id, func(state string) string { return "session already " + state })
}

// sessionConflict explains a conditional update of session id that
// changed nothing: ENotFound when the session does not exist, else
// EConflict with the message conflict gives for its state.
func (t *Tx) sessionConflict(id int64, conflict func(state string) string) error {
	var state string
	err := t.queryRow(`SELECT state FROM sessions WHERE id = ?`, id).Scan(&state)
	if errors.Is(err, sql.ErrNoRows) {
		return notFound("session not found")
	} else if err != nil {
		return fmt.Errorf("store: session state: %w", err)
	}
	return smsgw.Errorf(smsgw.EConflict, "%s", conflict(state))
}

// ExpireSessions moves up to limit awaiting_pin sessions with ExpiresAt <=
// now, the longest expired first, to expired, resolved at now and owing
// their customer the expiry notice (see ExpiryNoticesDue). It returns how
// many it moved.
func (t *Tx) ExpireSessions(now time.Time, limit int) (int, error) {
	// The open sessions are read through their partial index by expiry:
	// without statistics SQLite prefers sessions_state and then sorts every
	// open session for each chunk. The outer condition on the state keeps
	// the update conditional whatever the engine reads first; a session
	// another transaction resolves meanwhile makes one of the two conflict
	// on PostgreSQL (SERIALIZABLE), which runs it again. With
	// Dialect.OpenSlots the sessions keep holding their MSISDN
	// (open_msisdn) until its next session frees it, so that the update
	// changes no index keyed by MSISDN.
	at := encTime(now)
	res, err := t.exec(`UPDATE sessions SET state = 'expired', resolved_at = ?, notice_due = 1
		WHERE id IN (SELECT id FROM sessions`+t.d.indexedBy("sessions_expiry")+`
			WHERE state = 'awaiting_pin' AND expires_at <= ? ORDER BY expires_at, id LIMIT ?)
		AND state = 'awaiting_pin'`, at, at, limitOf(limit))
	if err != nil {
		return 0, t.mapErr("expire sessions", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("store: expire sessions: %w", err)
	}
	return int(n), nil
}

// ExpiryNoticesDue lists up to limit expired sessions after ID after whose
// notice is still owed, in ID order.
func (t *Tx) ExpiryNoticesDue(after int64, limit int) ([]smsgw.Session, error) {
	rows, err := t.query(`SELECT `+sessionCols+` FROM sessions`+t.d.indexedBy("sessions_notice")+`
		WHERE notice_due = 1 AND id > ? ORDER BY id LIMIT ?`, after, limitOf(limit))
	if err != nil {
		return nil, fmt.Errorf("store: expiry notices due: %w", err)
	}
	return collect(rows, "expiry notices due", scanSession)
}

// TakeExpiryNotice clears the owed expiry notice of session id, with a
// conditional update: EConflict when none is owed (another transaction took
// it), ENotFound when the session does not exist.
func (t *Tx) TakeExpiryNotice(id int64) error {
	res, err := t.exec(`UPDATE sessions SET notice_due = 0 WHERE id = ? AND notice_due = 1`, id)
	if err != nil {
		return t.mapErr("take expiry notice", err)
	}
	return expectOne(res, "take expiry notice", func() error {
		return t.sessionConflict(id, func(state string) string {
			return fmt.Sprintf("session %d (%s) owes no expiry notice", id, state)
		})
	})
}

// Sessions lists sessions matching f, newest first. Since is inclusive and
// Until exclusive, both on CreatedAt.
func (t *Tx) Sessions(f smsgw.SessionFilter) ([]smsgw.Session, error) {
	var c conds
	from, order := "sessions", "id DESC"
	c.eq("msisdn", string(f.MSISDN))
	switch {
	case f.State == "" || f.MSISDN != "":
		// One customer's sessions are few: read through sessions_msisdn.
		c.eq("state", string(f.State))
	case f.State == smsgw.StateAwaitingPIN:
		// Through their partial index by expiry, in its order, a page at
		// a time: neither every session read nor every open one sorted
		// (there may be a million during a burst).
		from += t.d.indexedBy("sessions_expiry")
		order = "expires_at DESC, id DESC"
		c.add("state = 'awaiting_pin'")
	default:
		// The term of sessions_state, which holds the final states only.
		c.add("state = ? AND state <> 'awaiting_pin'", string(f.State))
	}
	c.span("created_at", f.Since, f.Until)
	q := `SELECT ` + sessionCols + ` FROM ` + from + c.clause() + ` ORDER BY ` + order + ` LIMIT ? OFFSET ?`
	rows, err := t.query(q, c.page(f.Limit, f.Offset)...)
	if err != nil {
		return nil, fmt.Errorf("store: sessions: %w", err)
	}
	return collect(rows, "sessions", scanSession)
}

// conds builds the WHERE clause of a filtered list from fixed condition
// fragments; values are always bound as parameters, never spliced into the
// text. The args of conditions that come before the WHERE clause (in a
// subquery) may be set first.
type conds struct {
	where []string
	args  []any
}

func (c *conds) add(cond string, args ...any) {
	c.where = append(c.where, cond)
	c.args = append(c.args, args...)
}

// eq adds col = v unless v is empty.
func (c *conds) eq(col, v string) {
	if v != "" {
		c.add(col+" = ?", v)
	}
}

// id adds col = v unless v is 0.
func (c *conds) id(col string, v int64) {
	if v != 0 {
		c.add(col+" = ?", v)
	}
}

// in adds col IN (vs...) unless vs is empty.
func (c *conds) in(col string, vs []string) {
	if len(vs) == 0 {
		return
	}
	list, args := inList(vs)
	c.add(col+" IN "+list, args...)
}

// inList returns the parenthesised placeholder list "(?, ?, ...)" for vs
// and vs as statement arguments. vs must not be empty.
func inList[T any](vs []T) (string, []any) {
	args := make([]any, len(vs))
	for i, v := range vs {
		args[i] = v
	}
	return "(" + strings.TrimSuffix(strings.Repeat("?, ", len(vs)), ", ") + ")", args
}

// span adds since <= col < until for the bounds that are set.
func (c *conds) span(col string, since, until time.Time) {
	if !since.IsZero() {
		c.add(col+" >= ?", encTime(since))
	}
	if !until.IsZero() {
		c.add(col+" < ?", encTime(until))
	}
}

// clause is " WHERE ..." or "" without conditions.
func (c *conds) clause() string {
	if len(c.where) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(c.where, " AND ")
}

// page returns the args followed by those of "LIMIT ? OFFSET ?".
func (c *conds) page(limit, offset int) []any {
	return append(c.args, limitOf(limit), max(offset, 0))
}

func derefTime(tm *time.Time) time.Time {
	if tm == nil {
		return time.Time{}
	}
	return *tm
}
