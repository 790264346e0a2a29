package sqlstore

import (
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/smsgw/smsgw/domain"
	"github.com/smsgw/smsgw/smsgw"
)

const correctionCols = `id, kind, transfer_id, amount, reason, idempotency_key, state, maker, checker, note,
	result_transfer_id, created_at, expires_at, decided_at`

func scanCorrection(row scanner) (*smsgw.Correction, error) {
	var (
		c                smsgw.Correction
		result, decided  sql.NullInt64
		created, expires int64
	)
	if err := row.Scan(&c.ID, &c.Kind, &c.TransferID, &c.Amount, &c.Reason, &c.IdempotencyKey, &c.State, &c.Maker,
		&c.Checker, &c.Note, &result, &created, &expires, &decided); err != nil {
		return nil, err
	}
	c.ResultTransferID = result.Int64
	c.CreatedAt, c.ExpiresAt, c.DecidedAt = decTime(created), decTime(expires), decTimePtr(decided)
	return &c, nil
}

// CreateCorrection inserts c as requested.
func (t *Tx) CreateCorrection(c *smsgw.Correction) error {
	switch {
	case c.Kind != smsgw.CorrectionReversal && c.Kind != smsgw.CorrectionRefund:
		return smsgw.Errorf(smsgw.EInvalid, "correction kind %q", c.Kind)
	case c.Amount <= 0 || c.Reason == "" || c.IdempotencyKey == "" || c.Maker == "" || c.ExpiresAt.IsZero():
		return smsgw.Errorf(smsgw.EInvalid, "correction needs an amount, a reason, a key, a maker and an expiry")
	}
	c.CreatedAt = t.orNow(c.CreatedAt)
	err := t.insertID(&c.ID, `INSERT INTO corrections (kind, transfer_id, amount, reason, idempotency_key, state, maker, created_at, expires_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`, c.Kind, c.TransferID, int64(c.Amount), c.Reason, c.IdempotencyKey,
		smsgw.CorrectionRequested, c.Maker, encTime(c.CreatedAt), encTime(c.ExpiresAt))
	if t.isUnique(err) {
		return smsgw.Errorf(smsgw.EConflict, "correction idempotency key already used")
	} else if err != nil {
		return t.mapErr("create correction", err)
	}
	c.State, c.Checker, c.Note, c.ResultTransferID, c.DecidedAt = smsgw.CorrectionRequested, "", "", 0, nil
	return nil
}

func (t *Tx) correction(op, where string, arg any) (*smsgw.Correction, error) {
	c, err := scanCorrection(t.queryRow(`SELECT `+correctionCols+` FROM corrections WHERE `+where, arg))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("correction not found")
	} else if err != nil {
		return nil, fmt.Errorf("store: %s: %w", op, err)
	}
	return c, nil
}

// Correction returns a correction by id.
func (t *Tx) Correction(id int64) (*smsgw.Correction, error) {
	return t.correction("correction", "id = ?", id)
}

// CorrectionByKey returns the correction with this idempotency key.
func (t *Tx) CorrectionByKey(key string) (*smsgw.Correction, error) {
	return t.correction("correction by key", "idempotency_key = ?", key)
}

// Corrections lists corrections, newest first.
func (t *Tx) Corrections(f smsgw.CorrectionFilter) ([]smsgw.Correction, error) {
	var c conds
	c.eq("state", f.State)
	c.id("transfer_id", f.TransferID)
	rows, err := t.query(`SELECT `+correctionCols+` FROM corrections`+c.clause()+` ORDER BY id DESC LIMIT ? OFFSET ?`,
		c.page(f.Limit, f.Offset)...)
	if err != nil {
		return nil, fmt.Errorf("store: corrections: %w", err)
	}
	return collect(rows, "corrections", scanCorrection)
}

// DecideCorrection moves a requested correction to its final state.
func (t *Tx) DecideCorrection(c *smsgw.Correction) error {
	switch c.State {
	case smsgw.CorrectionApproved, smsgw.CorrectionRejected, smsgw.CorrectionExpired:
	default:
		return smsgw.Errorf(smsgw.EInvalid, "a correction cannot be decided as %q", c.State)
	}
	decided := t.orNow(time.Time{})
	if c.DecidedAt != nil {
		decided = *c.DecidedAt
	}
	res, err := t.exec(`UPDATE corrections SET state = ?, checker = ?, note = ?, result_transfer_id = ?, decided_at = ?
		WHERE id = ? AND state = ?`, c.State, c.Checker, c.Note, nullID(c.ResultTransferID), encTime(decided),
		c.ID, smsgw.CorrectionRequested)
	if err != nil {
		return t.mapErr("decide correction", err)
	}
	if err := expectOne(res, "decide correction", func() error {
		return smsgw.Errorf(smsgw.EConflict, "correction %d is not waiting for a decision", c.ID)
	}); err != nil {
		return err
	}
	c.DecidedAt = &decided
	return nil
}

// Reversed sums the transfers reversing transfer id, and the open
// corrections of it.
func (t *Tx) Reversed(id int64) (done, open domain.Amount, err error) {
	err = t.queryRow(`SELECT
		(SELECT coalesce(sum(amount), 0) FROM transfers WHERE reverses_id = ?),
		(SELECT coalesce(sum(amount), 0) FROM corrections WHERE transfer_id = ? AND state = ?)`,
		id, id, smsgw.CorrectionRequested).Scan(&done, &open)
	if err != nil {
		return 0, 0, fmt.Errorf("store: reversed: %w", err)
	}
	return done, open, nil
}

// DueCorrections lists requested corrections past their expiry.
func (t *Tx) DueCorrections(now time.Time, limit int) ([]smsgw.Correction, error) {
	rows, err := t.query(`SELECT `+correctionCols+` FROM corrections WHERE state = ? AND expires_at <= ?
		ORDER BY expires_at LIMIT ?`, smsgw.CorrectionRequested, encTime(now), limitOf(limit))
	if err != nil {
		return nil, fmt.Errorf("store: due corrections: %w", err)
	}
	return collect(rows, "due corrections", scanCorrection)
}
