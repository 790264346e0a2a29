package sqlite

import (
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"smsgw/smsgw"
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
// ExpiresAt is required. The partial unique index sessions_open turns a
// second open session of the same MSISDN into EBusy.
func (t *tx) CreateSession(s *smsgw.Session) error {
	if s.ExpiresAt.IsZero() {
		return smsgw.Errorf(smsgw.EInvalid, "session needs an expiry time")
	}
	s.CreatedAt = t.orNow(s.CreatedAt)
	err := t.queryRow(`INSERT INTO sessions
		(msisdn, account, amount, state, attempts, channel, request_message_id, created_at, expires_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		string(s.MSISDN), string(s.Account), int64(s.Amount), string(smsgw.StateAwaitingPIN), s.Attempts, s.Channel,
		nullID(s.RequestMessage), encTime(s.CreatedAt), encTime(s.ExpiresAt)).Scan(&s.ID)
	if isUnique(err) {
		return smsgw.Errorf(smsgw.EBusy, "a session already awaits a PIN from this MSISDN")
	} else if err != nil {
		return mapErr("create session", err)
	}
	s.State, s.PINMessage, s.TransferID, s.ResolvedAt = smsgw.StateAwaitingPIN, 0, 0, nil
	return nil
}

// Session returns a session by ID.
func (t *tx) Session(id int64) (*smsgw.Session, error) {
	return t.session("session", `id = ?`, id)
}

// OpenSession returns the awaiting_pin session of msisdn.
func (t *tx) OpenSession(msisdn smsgw.MSISDN) (*smsgw.Session, error) {
	return t.session("open session", `msisdn = ? AND state = 'awaiting_pin'`, string(msisdn))
}

func (t *tx) session(op, where string, arg any) (*smsgw.Session, error) {
	s, err := scanSession(t.queryRow(`SELECT `+sessionCols+` FROM sessions WHERE `+where, arg))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("session not found")
	} else if err != nil {
		return nil, fmt.Errorf("sqlite: %s: %w", op, err)
	}
	return s, nil
}

// ResolveSession moves an awaiting_pin session to the final state s.State
// with a conditional UPDATE; ResolvedAt defaults to now.
func (t *tx) ResolveSession(s *smsgw.Session) error {
	if s.State == smsgw.StateAwaitingPIN || s.State == "" {
		return smsgw.Errorf(smsgw.EInvalid, "session must be resolved to a final state")
	}
	resolved := t.orNow(derefTime(s.ResolvedAt))
	res, err := t.exec(`UPDATE sessions SET state = ?, attempts = ?, resolved_at = ?, pin_message_id = ?, transfer_id = ?
		WHERE id = ? AND state = 'awaiting_pin'`,
		string(s.State), s.Attempts, encTime(resolved), nullID(s.PINMessage), nullID(s.TransferID), s.ID)
	if err != nil {
		return mapErr("resolve session", err)
	}
	if err := expectOne(res, "resolve session", func() error { return t.notOpen(s.ID) }); err != nil {
		return err
	}
	s.ResolvedAt = &resolved
	return nil
}

// SetSessionAttempts stores the wrong-PIN counter of an open session.
func (t *tx) SetSessionAttempts(id int64, attempts int) error {
	res, err := t.exec(`UPDATE sessions SET attempts = ? WHERE id = ? AND state = 'awaiting_pin'`, attempts, id)
	if err != nil {
		return mapErr("set session attempts", err)
	}
	return expectOne(res, "set session attempts", func() error { return t.notOpen(id) })
}

// notOpen explains why session id is not awaiting_pin: ENotFound when it
// does not exist, EConflict when it is already resolved.
func (t *tx) notOpen(id int64) error {
	var state string
	err := t.queryRow(`SELECT state FROM sessions WHERE id = ?`, id).Scan(&state)
	if errors.Is(err, sql.ErrNoRows) {
		return notFound("session not found")
	} else if err != nil {
		return fmt.Errorf("sqlite: session state: %w", err)
	}
	return smsgw.Errorf(smsgw.EConflict, "session already %s", state)
}

// ExpiredSessions lists awaiting_pin sessions with ExpiresAt <= now, the
// longest expired first.
func (t *tx) ExpiredSessions(now time.Time, limit int) ([]smsgw.Session, error) {
	rows, err := t.query(`SELECT `+sessionCols+` FROM sessions
		WHERE state = 'awaiting_pin' AND expires_at <= ? ORDER BY expires_at, id LIMIT ?`, encTime(now), limitOf(limit))
	if err != nil {
		return nil, fmt.Errorf("sqlite: expired sessions: %w", err)
	}
	return collect(rows, "expired sessions", scanSession)
}

// Sessions lists sessions matching f, newest first. Since is inclusive and
// Until exclusive, both on CreatedAt.
func (t *tx) Sessions(f smsgw.SessionFilter) ([]smsgw.Session, error) {
	var (
		where []string
		args  []any
	)
	if f.MSISDN != "" {
		where, args = append(where, "msisdn = ?"), append(args, string(f.MSISDN))
	}
	if f.State != "" {
		where, args = append(where, "state = ?"), append(args, string(f.State))
	}
	if !f.Since.IsZero() {
		where, args = append(where, "created_at >= ?"), append(args, encTime(f.Since))
	}
	if !f.Until.IsZero() {
		where, args = append(where, "created_at < ?"), append(args, encTime(f.Until))
	}
	q := `SELECT ` + sessionCols + ` FROM sessions` + whereClause(where) + ` ORDER BY id DESC LIMIT ? OFFSET ?`
	rows, err := t.query(q, append(args, limitOf(f.Limit), max(f.Offset, 0))...)
	if err != nil {
		return nil, fmt.Errorf("sqlite: sessions: %w", err)
	}
	return collect(rows, "sessions", scanSession)
}

// whereClause joins fixed condition fragments; values are always bound as
// parameters, never spliced into the text.
func whereClause(conds []string) string {
	if len(conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(conds, " AND ")
}

func derefTime(tm *time.Time) time.Time {
	if tm == nil {
		return time.Time{}
	}
	return *tm
}
