package sqlstore

import (
	"cmp"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/smsgw/smsgw/domain"
	"github.com/smsgw/smsgw/smsgw"
)

// messageColsBase selects an SMS log row aliased l; messageCols adds its
// SMSC ids as a JSON array in part order.
const messageColsBase = `l.id, l.direction, l.channel, l.short_code, l.msisdn, l.text, l.keyword, l.template, l.addr, l.addr_ton, l.addr_npi, l.dedup_key,
	l.status, l.dlr_state, l.dlr_error, l.attempts, l.next_attempt, l.last_error, l.session_id, l.transfer_id,
	l.ussd_session, l.route, l.created_at, l.updated_at, `

// messageCols selects an SMS log row aliased l, with its SMSC ids.
func (t *Tx) messageCols() string { return messageColsBase + t.d.SMSCIDs }

func scanMessage(row scanner) (*smsgw.Message, error) {
	m, _, err := scanMessageWith(row)
	return m, err
}

// scanMessageWith scans messageCols followed by extra destinations.
func scanMessageWith(row scanner, extra ...any) (*smsgw.Message, []any, error) {
	var (
		m                 smsgw.Message
		next              sql.NullInt64
		session, transfer sql.NullInt64
		created, updated  int64
		ids               string
	)
	dest := append([]any{&m.ID, &m.Direction, &m.Channel, &m.ShortCode, &m.MSISDN, &m.Text, &m.Keyword, &m.Template, &m.Addr.Value, &m.Addr.TON, &m.Addr.NPI, &m.DedupKey,
		&m.Status, &m.DLRState, &m.DLRError, &m.Attempts, &next, &m.LastError, &session, &transfer,
		&m.USSDSession, &m.Route, &created, &updated, &ids}, extra...)
	if err := row.Scan(dest...); err != nil {
		return nil, nil, err
	}
	if err := json.Unmarshal([]byte(ids), &m.SMSCIDs); err != nil {
		return nil, nil, fmt.Errorf("decode SMSC ids of message %d: %w", m.ID, err)
	}
	if len(m.SMSCIDs) == 0 {
		m.SMSCIDs = nil
	}
	m.NextAttempt = decTimeZero(next)
	m.SessionID, m.TransferID = session.Int64, transfer.Int64
	m.CreatedAt, m.UpdatedAt = decTime(created), decTime(updated)
	return &m, extra, nil
}

// insertMessage writes m to the SMS log with its SMSC ids and sets m.ID.
func (t *Tx) insertMessage(m *smsgw.Message) error {
	err := t.insertID(&m.ID, `INSERT INTO sms_log
		(direction, channel, short_code, msisdn, text, keyword, template, addr, addr_ton, addr_npi, dedup_key, status,
		 dlr_state, dlr_error, session_id, transfer_id, attempts, next_attempt, last_error, ussd_session, route, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		m.Direction, m.Channel, m.ShortCode, string(m.MSISDN), m.Text, m.Keyword, m.Template,
		m.Addr.Value, m.Addr.TON, m.Addr.NPI, m.DedupKey, m.Status,
		m.DLRState, m.DLRError, nullID(m.SessionID), nullID(m.TransferID), m.Attempts, encTimeZero(m.NextAttempt),
		m.LastError, m.USSDSession, m.Route, encTime(m.CreatedAt), encTime(m.UpdatedAt))
	if err != nil {
		return t.mapErr("insert message", err)
	}
	return t.insertSMSCIDs(m.ID, m.SMSCIDs)
}

// insertSMSCIDs stores one row per part; empty ids match no receipt and are
// skipped, keeping the part numbers of the others.
func (t *Tx) insertSMSCIDs(smsID int64, ids []string) error {
	for part, id := range ids {
		if id == "" {
			continue
		}
		if _, err := t.exec(`INSERT INTO sms_smsc_ids (sms_id, part, smsc_id) VALUES (?, ?, ?)`, smsID, part, id); err != nil {
			return t.mapErr("insert SMSC id", err)
		}
	}
	return nil
}

// InsertMO stores an inbound message in the SMS log and the inbox and sets
// m.ID; with a DedupKey it is also recorded for redelivery matching.
// Direction defaults to "in", Status to "received", CreatedAt (which also
// dates the redelivery record) to now.
func (t *Tx) InsertMO(m *smsgw.Message, secret []byte) error {
	return t.insertMO(m, secret, true)
}

// InsertMONow stores an inbound message that the caller processes in this
// same transaction: its SMS log row and redelivery record as InsertMO, but
// no inbox row (nor secret): FinishMO marks it processed. Should the
// processing fail, the transaction rolls the message back with it.
func (t *Tx) InsertMONow(m *smsgw.Message) error {
	return t.insertMO(m, nil, false)
}

func (t *Tx) insertMO(m *smsgw.Message, secret []byte, inbox bool) error {
	if m.Direction == "" {
		m.Direction = smsgw.DirIn
	}
	if m.Direction != smsgw.DirIn {
		return smsgw.Errorf(smsgw.EInvalid, "InsertMO needs an inbound message")
	}
	if m.Channel == "" {
		m.Channel = smsgw.ChannelSMS
	}
	if m.Status == "" {
		m.Status = smsgw.MsgReceived
	}
	m.CreatedAt = t.orNow(m.CreatedAt)
	if m.UpdatedAt.IsZero() {
		m.UpdatedAt = m.CreatedAt
	}
	var id int64
	err := t.atomic("insert_mo", func() error {
		if err := t.insertMessage(m); err != nil {
			return err
		}
		id = m.ID
		if m.DedupKey != "" {
			if _, err := t.exec(`INSERT INTO mo_redelivery (sms_id, key, created_at, link) VALUES (?, ?, ?, ?)`,
				m.ID, m.DedupKey, encTime(m.CreatedAt), m.Link); err != nil {
				return t.mapErr("insert redelivery record", err)
			}
		}
		if !inbox {
			return nil
		}
		if _, err := t.exec(`INSERT INTO inbox (sms_id, secret, request) VALUES (?, ?, ?)`, m.ID, nullBlob(secret), m.Request); err != nil {
			return t.mapErr("insert inbox row", err)
		}
		return nil
	})
	if err != nil {
		m.ID = 0
		return err
	}
	m.ID = id
	return nil
}

// RedeliveryCandidates lists the recorded MOs with key, recorded at or
// after since, oldest first. The rows come in the key index's order and
// are put in id order here: a key has a handful of rows, and sorting them
// in SQL took a temporary b-tree on every MO.
func (t *Tx) RedeliveryCandidates(key string, since time.Time) ([]smsgw.RedeliveryRecord, error) {
	rows, err := t.queryAll(`SELECT sms_id, key, created_at, link, lost FROM mo_redelivery
		WHERE key = ? AND created_at >= ?`, key, encTime(since))
	if err != nil {
		return nil, fmt.Errorf("store: redelivery candidates: %w", err)
	}
	out, err := collect(rows, "redelivery candidates", func(r scanner) (*smsgw.RedeliveryRecord, error) {
		var (
			u       smsgw.RedeliveryRecord
			created int64
		)
		err := r.Scan(&u.SMSID, &u.Key, &created, &u.Link, &u.Lost)
		u.CreatedAt = decTime(created)
		return &u, err
	})
	slices.SortFunc(out, func(a, b smsgw.RedeliveryRecord) int { return cmp.Compare(a.SMSID, b.SMSID) })
	return out, err
}

// RelinkRedelivery sets the link of smsID's redelivery record and clears
// its lost mark.
func (t *Tx) RelinkRedelivery(smsID int64, link string) error {
	res, err := t.exec(`UPDATE mo_redelivery SET link = ?, lost = 0 WHERE sms_id = ?`, link, smsID)
	if err != nil {
		return fmt.Errorf("store: relink redelivery: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("store: relink redelivery: %w", err)
	} else if n == 0 {
		return smsgw.Errorf(smsgw.ENotFound, "no redelivery record for MO %d", smsID)
	}
	return nil
}

// MarkMOsLost marks lost the redelivery records of recs still on the link
// given and returns how many it marked.
func (t *Tx) MarkMOsLost(recs []smsgw.RedeliveryRecord) (int64, error) {
	args := make([][]any, len(recs))
	for i, r := range recs {
		args[i] = []any{r.SMSID, r.Link}
	}
	return t.eachRedelivery("mark MO lost", `UPDATE mo_redelivery SET lost = 1 WHERE sms_id = ? AND link = ?`, args)
}

// ForgetMOs deletes the redelivery records of ids and returns how many
// there were.
func (t *Tx) ForgetMOs(ids []int64) (int64, error) {
	args := make([][]any, len(ids))
	for i, id := range ids {
		args[i] = []any{id}
	}
	return t.eachRedelivery("forget MO", `DELETE FROM mo_redelivery WHERE sms_id = ?`, args)
}

// eachRedelivery runs stmt with each set of args and returns the rows
// affected.
func (t *Tx) eachRedelivery(op, stmt string, args [][]any) (int64, error) {
	var n int64
	for _, a := range args {
		res, err := t.exec(stmt, a...)
		if err != nil {
			return n, fmt.Errorf("store: %s: %w", op, err)
		}
		k, err := res.RowsAffected()
		if err != nil {
			return n, fmt.Errorf("store: %s: %w", op, err)
		}
		n += k
	}
	return n, nil
}

// PendingMOCount counts the unprocessed MOs of sender msisdn. A received MO
// is unprocessed until FinishMO, which changes its status and its inbox
// row (if any) together, so the log's partial index answers alone (a join
// with the inbox made the planner read the inbox first, several times
// slower).
func (t *Tx) PendingMOCount(msisdn domain.MSISDN) (int, error) {
	var n int
	err := t.queryRow(`SELECT count(*) FROM sms_log l
		WHERE l.msisdn = ? AND l.direction = 'in' AND l.status = 'received'`, string(msisdn)).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("store: pending MO count: %w", err)
	}
	return n, nil
}

// MOPending reports whether inbox row id is not processed yet.
func (t *Tx) MOPending(id int64) (bool, error) {
	var processed sql.NullInt64
	err := t.queryRow(`SELECT processed_at FROM inbox WHERE sms_id = ?`, id).Scan(&processed)
	if errors.Is(err, sql.ErrNoRows) {
		return false, notFound("inbox message %d not found", id)
	} else if err != nil {
		return false, fmt.Errorf("store: MO pending: %w", err)
	}
	return !processed.Valid, nil
}

// PendingMOs lists unprocessed inbox rows in arrival order.
func (t *Tx) PendingMOs(limit int) ([]smsgw.InboundMO, error) {
	rows, err := t.query(`SELECT `+t.messageCols()+`, i.secret, i.request FROM inbox i JOIN sms_log l ON l.id = i.sms_id
		WHERE i.processed_at IS NULL ORDER BY i.sms_id LIMIT ?`, limitOf(limit))
	if err != nil {
		return nil, fmt.Errorf("store: pending MOs: %w", err)
	}
	return collect(rows, "pending MOs", func(row scanner) (*smsgw.InboundMO, error) {
		var (
			secret  []byte
			request string
		)
		m, _, err := scanMessageWith(row, &secret, &request)
		if err != nil {
			return nil, err
		}
		m.Request = request
		if len(secret) == 0 {
			secret = nil
		}
		return &smsgw.InboundMO{Message: *m, Secret: secret}, nil
	})
}

// FinishMO marks received MO id processed and links its log row; its inbox
// row, if it has one, is marked done and its secret erased. ENotFound if id
// is no inbound message, EConflict if it was already processed.
func (t *Tx) FinishMO(id int64, keyword string, sessionID, transferID int64) error {
	now := encTime(t.now())
	return t.atomic("finish_mo", func() error {
		// The log row's status says whether the MO waits: received until
		// processed, whether it waits in the inbox or is processed in the
		// transaction that stored it (InsertMONow, no inbox row).
		res, err := t.exec(`UPDATE sms_log SET status = ?, keyword = ?, session_id = ?, transfer_id = ?, updated_at = ?
			WHERE id = ? AND direction = ? AND status = ?`, smsgw.MsgProcessed, keyword, nullID(sessionID), nullID(transferID), now,
			id, smsgw.DirIn, smsgw.MsgReceived)
		if err != nil {
			return t.mapErr("finish MO", err)
		}
		if err := expectOne(res, "finish MO", func() error {
			var n int
			if err := t.queryRow(`SELECT count(*) FROM sms_log WHERE id = ? AND direction = ?`, id, smsgw.DirIn).Scan(&n); err != nil {
				return fmt.Errorf("store: finish MO: %w", err)
			}
			if n == 0 {
				return notFound("inbound message not found")
			}
			return smsgw.Errorf(smsgw.EConflict, "message already processed")
		}); err != nil {
			return err
		}
		if _, err := t.exec(`UPDATE inbox SET processed_at = ?, secret = NULL, request = '' WHERE sms_id = ? AND processed_at IS NULL`, now, id); err != nil {
			return t.mapErr("finish MO", err)
		}
		return nil
	})
}

// EnqueueMT stores an outbound message (status queued) in the SMS log and
// the outbox. Direction defaults to "out", NextAttempt and CreatedAt to now.
func (t *Tx) EnqueueMT(m *smsgw.Message) error {
	if m.Direction == "" {
		m.Direction = smsgw.DirOut
	}
	if m.Direction != smsgw.DirOut {
		return smsgw.Errorf(smsgw.EInvalid, "EnqueueMT needs an outbound message")
	}
	if m.Channel == "" {
		m.Channel = smsgw.ChannelSMS
	}
	m.Status, m.Attempts = smsgw.MsgQueued, 0
	m.CreatedAt = t.orNow(m.CreatedAt)
	if m.UpdatedAt.IsZero() {
		m.UpdatedAt = m.CreatedAt
	}
	if m.NextAttempt.IsZero() {
		m.NextAttempt = m.CreatedAt
	}
	var id int64
	err := t.atomic("enqueue_mt", func() error {
		if err := t.insertMessage(m); err != nil {
			return err
		}
		id = m.ID
		bulk := 0
		if m.Bulk {
			bulk = 1
		}
		if _, err := t.exec(`INSERT INTO outbox (sms_id, next_attempt, bulk) VALUES (?, ?, ?)`, m.ID, encTime(m.NextAttempt), bulk); err != nil {
			return t.mapErr("insert outbox row", err)
		}
		return nil
	})
	if err != nil {
		m.ID = 0
		return err
	}
	m.ID = id
	return nil
}

// DueMTs lists queued messages whose next attempt is due, in queue order,
// leaving out those routed through one of skip.
func (t *Tx) DueMTs(now time.Time, skip []string, limit int) ([]smsgw.Message, error) {
	not, skipArgs := t.notRoutes(skip)
	args := append([]any{encTime(now)}, skipArgs...)
	rows, err := t.query(`SELECT `+t.messageCols()+`, o.bulk FROM outbox o JOIN sms_log l ON l.id = o.sms_id
		WHERE o.next_attempt <= ?`+not+` ORDER BY o.bulk, o.sms_id LIMIT ?`, append(args, limitOf(limit))...)
	if err != nil {
		return nil, fmt.Errorf("store: due MTs: %w", err)
	}
	return collect(rows, "due MTs", scanQueued)
}

// scanQueued scans an outbox row: the SMS log columns and then o.bulk.
func scanQueued(r scanner) (*smsgw.Message, error) {
	var bulk int
	m, _, err := scanMessageWith(r, &bulk)
	if m != nil {
		m.Bulk = bulk == 1
	}
	return m, err
}

// notRoutes is the condition that leaves out the rows of sms_log l routed
// through one of skip ("" when skip is empty), with its arguments.
func (t *Tx) notRoutes(skip []string) (string, []any) {
	if len(skip) == 0 {
		return "", nil
	}
	list, args := inList(skip)
	return ` AND l.route NOT IN ` + list, args
}

// ClaimDueMTs takes due, unheld MTs for owner until until, leaving out
// those routed through one of skip (see smsgw.Tx).
func (t *Tx) ClaimDueMTs(owner string, now, until time.Time, skip []string, limit int) ([]smsgw.Message, error) {
	if owner == "" {
		return nil, smsgw.Errorf(smsgw.EInvalid, "claim MTs: owner required")
	}
	n, u := encTime(now), encTime(until)
	not, skipArgs := t.notRoutes(skip)
	rows, err := t.query(`UPDATE outbox SET claimed_by = ?, claim_until = ? WHERE sms_id IN (
		SELECT o.sms_id FROM outbox o JOIN sms_log l ON l.id = o.sms_id
		WHERE o.next_attempt <= ? AND (o.claimed_by = '' OR o.claim_until < ?)`+not+`
			AND NOT EXISTS (SELECT 1 FROM outbox o2 JOIN sms_log l2 ON l2.id = o2.sms_id
				WHERE l2.msisdn = l.msisdn AND o2.sms_id < o.sms_id
					AND o2.claimed_by NOT IN ('', ?) AND o2.claim_until >= ?)
		ORDER BY o.bulk, o.sms_id LIMIT ?`+t.d.SkipLocked+`) RETURNING sms_id`,
		append(append([]any{owner, u, n, n}, skipArgs...), owner, n, limitOf(limit))...)
	if err != nil {
		return nil, t.mapErr("claim MTs", err)
	}
	claimed, err := collect(rows, "claim MTs", func(r scanner) (*int64, error) {
		var id int64
		return &id, r.Scan(&id)
	})
	if err != nil || len(claimed) == 0 {
		return nil, err
	}
	list, args := inList(claimed)
	rows, err = t.query(`SELECT `+t.messageCols()+`, o.bulk FROM outbox o JOIN sms_log l ON l.id = o.sms_id
		WHERE o.sms_id IN `+list+` ORDER BY o.bulk, o.sms_id`, args...)
	if err != nil {
		return nil, fmt.Errorf("store: claim MTs: %w", err)
	}
	return collect(rows, "claim MTs", scanQueued)
}

// LastRoute returns the route of the newest MO from msisdn that has one
// ("" when none has).
func (t *Tx) LastRoute(msisdn domain.MSISDN) (string, error) {
	var route string
	err := t.queryRow(`SELECT route FROM sms_log WHERE msisdn = ? AND direction = 'in' AND route <> ''
		ORDER BY id DESC LIMIT 1`, string(msisdn)).Scan(&route)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	} else if err != nil {
		return "", fmt.Errorf("store: last route: %w", err)
	}
	return route, nil
}

// ReleaseMTs frees owner's claims on the queued MTs ids (all of owner's
// when ids is nil).
func (t *Tx) ReleaseMTs(owner string, ids []int64) error {
	q, args := `UPDATE outbox SET claimed_by = '', claim_until = NULL WHERE claimed_by = ?`, []any{owner}
	if ids != nil {
		if len(ids) == 0 {
			return nil
		}
		list, idArgs := inList(ids)
		q += ` AND sms_id IN ` + list
		args = append(args, idArgs...)
	}
	if _, err := t.exec(q, args...); err != nil {
		return t.mapErr("release MTs", err)
	}
	return nil
}

// dequeue removes id from the outbox; ENotFound if it is not queued.
func (t *Tx) dequeue(id int64, op string) error {
	res, err := t.exec(`DELETE FROM outbox WHERE sms_id = ?`, id)
	if err != nil {
		return t.mapErr(op, err)
	}
	return expectOne(res, op, func() error { return notFound("message %d is not queued", id) })
}

// MarkMTSent records the SMSC ids of a sent MT, one row per part, counts
// the attempt and removes it from the outbox. ENotFound unless queued.
func (t *Tx) MarkMTSent(id int64, smscIDs []string, now time.Time) error {
	return t.atomic("mark_sent", func() error {
		if err := t.dequeue(id, "mark MT sent"); err != nil {
			return err
		}
		if _, err := t.exec(`UPDATE sms_log SET status = ?, attempts = attempts + 1, next_attempt = NULL, updated_at = ?
			WHERE id = ?`, smsgw.MsgSent, encTime(now), id); err != nil {
			return t.mapErr("mark MT sent", err)
		}
		return t.insertSMSCIDs(id, smscIDs)
	})
}

// MarkMTRetry counts a failed attempt and schedules the next one. ENotFound
// unless queued.
func (t *Tx) MarkMTRetry(id int64, errText string, next time.Time) error {
	return t.atomic("mark_retry", func() error {
		res, err := t.exec(`UPDATE outbox SET next_attempt = ?, claimed_by = '', claim_until = NULL WHERE sms_id = ?`, encTime(next), id)
		if err != nil {
			return t.mapErr("mark MT retry", err)
		}
		if err := expectOne(res, "mark MT retry", func() error { return notFound("message %d is not queued", id) }); err != nil {
			return err
		}
		if _, err := t.exec(`UPDATE sms_log SET attempts = attempts + 1, last_error = ?, next_attempt = ?, updated_at = ?
			WHERE id = ?`, errText, encTime(next), encTime(t.now()), id); err != nil {
			return t.mapErr("mark MT retry", err)
		}
		return nil
	})
}

// MarkMTFailed counts the last attempt, gives the MT up and removes it from
// the outbox. ENotFound unless queued.
func (t *Tx) MarkMTFailed(id int64, errText string, now time.Time) error {
	return t.atomic("mark_failed", func() error {
		if err := t.dequeue(id, "mark MT failed"); err != nil {
			return err
		}
		if _, err := t.exec(`UPDATE sms_log SET status = ?, attempts = attempts + 1, last_error = ?, next_attempt = NULL,
			updated_at = ? WHERE id = ?`, smsgw.MsgFailed, errText, encTime(now), id); err != nil {
			return t.mapErr("mark MT failed", err)
		}
		return nil
	})
}

// UpdateDLR applies a receipt to the part whose SMSC id equals smscID
// exactly (the newest MT if an id was reused) and to its message: DLRState
// and DLRError take the receipt's values, and Status becomes undelivered as
// soon as one part is undelivered, delivered when every part is.
func (t *Tx) UpdateDLR(smscID string, state string, errCode string, at time.Time) error {
	var smsID int64
	err := t.queryRow(`SELECT p.sms_id FROM sms_smsc_ids p JOIN sms_log l ON l.id = p.sms_id
		WHERE p.smsc_id = ? AND l.direction = 'out' ORDER BY p.sms_id DESC LIMIT 1`, smscID).Scan(&smsID)
	if errors.Is(err, sql.ErrNoRows) {
		return notFound("no MT with this SMSC message id")
	} else if err != nil {
		return fmt.Errorf("store: update DLR: %w", err)
	}
	ts := encTime(at)
	return t.atomic("update_dlr", func() error {
		if _, err := t.exec(`UPDATE sms_smsc_ids SET dlr_state = ?, dlr_error = ?, dlr_at = ? WHERE sms_id = ? AND smsc_id = ?`,
			state, errCode, ts, smsID, smscID); err != nil {
			return t.mapErr("update DLR", err)
		}
		// The literals are smsgw.MsgSent, MsgDelivered and MsgUndeliv
		// (a test keeps them in step).
		if _, err := t.exec(`UPDATE sms_log SET dlr_state = ?1, dlr_error = ?2, updated_at = ?3,
			status = CASE
				WHEN status NOT IN ('sent', 'delivered', 'undelivered') THEN status
				WHEN EXISTS (SELECT 1 FROM sms_smsc_ids WHERE sms_id = ?4 AND dlr_state = 'undelivered') THEN 'undelivered'
				WHEN NOT EXISTS (SELECT 1 FROM sms_smsc_ids WHERE sms_id = ?4 AND dlr_state <> 'delivered') THEN 'delivered'
				ELSE status END
			WHERE id = ?4`, state, errCode, ts, smsID); err != nil {
			return t.mapErr("update DLR", err)
		}
		return nil
	})
}

// Message returns one SMS log row.
func (t *Tx) Message(id int64) (*smsgw.Message, error) {
	m, err := scanMessage(t.queryRow(`SELECT `+t.messageCols()+` FROM sms_log l WHERE l.id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("message not found")
	} else if err != nil {
		return nil, fmt.Errorf("store: message: %w", err)
	}
	return m, nil
}

// Messages lists SMS log rows matching f, newest first. Since is inclusive
// and Until exclusive, both on CreatedAt.
func (t *Tx) Messages(f smsgw.MessageFilter) ([]smsgw.Message, error) {
	var c conds
	c.eq("l.msisdn", string(f.MSISDN))
	c.eq("l.short_code", f.ShortCode)
	c.eq("l.keyword", f.Keyword)
	c.eq("l.template", f.Template)
	c.eq("l.direction", f.Direction)
	c.eq("l.status", f.Status)
	c.span("l.created_at", f.Since, f.Until)
	c.id("l.session_id", f.SessionID)
	c.id("l.transfer_id", f.TransferID)
	q := `SELECT ` + t.messageCols() + ` FROM sms_log l` + c.clause() + ` ORDER BY l.id DESC LIMIT ? OFFSET ?`
	rows, err := t.query(q, c.page(f.Limit, f.Offset)...)
	if err != nil {
		return nil, fmt.Errorf("store: messages: %w", err)
	}
	return collect(rows, "messages", scanMessage)
}

// PurgeDedup deletes redelivery records created before before.
func (t *Tx) PurgeDedup(before time.Time) (int64, error) {
	return t.affected("purge dedup")(t.exec(`DELETE FROM mo_redelivery WHERE created_at < ?`, encTime(before)))
}
