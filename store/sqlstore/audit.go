package sqlstore

import (
	"database/sql"
	"fmt"
	"time"

	"github.com/smsgw/smsgw/domain"
	"github.com/smsgw/smsgw/partner"
	"github.com/smsgw/smsgw/smsgw"
)

// AppendAudit appends e to the audit trail (append-only: triggers refuse
// UPDATE and DELETE) and sets e.ID; At defaults to now.
func (t *Tx) AppendAudit(e *smsgw.AuditEntry) error {
	if e.Actor == "" || e.Action == "" {
		return smsgw.Errorf(smsgw.EInvalid, "audit entry needs an actor and an action")
	}
	e.At = t.orNow(e.At)
	err := t.insertID(&e.ID, `INSERT INTO audit_log (at, actor, role, action, target, detail, remote)
		VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		encTime(e.At), e.Actor, e.Role, e.Action, e.Target, e.Detail, e.Remote)
	if err != nil {
		return t.mapErr("append audit entry", err)
	}
	return nil
}

// AuditTrail lists audit entries matching f, newest first.
func (t *Tx) AuditTrail(f smsgw.AuditFilter) ([]smsgw.AuditEntry, error) {
	var c conds
	c.eq("actor", f.Actor)
	c.eq("action", f.Action)
	c.eq("target", f.Target)
	c.span("at", f.Since, f.Until)
	rows, err := t.query(`SELECT id, at, actor, role, action, target, detail, remote FROM audit_log`+
		c.clause()+` ORDER BY id DESC LIMIT ? OFFSET ?`, c.page(f.Limit, f.Offset)...)
	if err != nil {
		return nil, fmt.Errorf("store: audit trail: %w", err)
	}
	return collect(rows, "audit trail", func(row scanner) (*smsgw.AuditEntry, error) {
		var (
			e  smsgw.AuditEntry
			at int64
		)
		if err := row.Scan(&e.ID, &at, &e.Actor, &e.Role, &e.Action, &e.Target, &e.Detail, &e.Remote); err != nil {
			return nil, err
		}
		e.At = decTime(at)
		return &e, nil
	})
}

// CustomerList lists customers matching f by MSISDN.
func (t *Tx) CustomerList(f smsgw.CustomerFilter) ([]smsgw.Customer, error) {
	var c conds
	if f.MSISDNPrefix != "" {
		// substr, not LIKE: the prefix is matched literally.
		c.add("substr(msisdn, 1, length(?)) = ?", f.MSISDNPrefix, f.MSISDNPrefix)
	}
	if !f.LockedAt.IsZero() {
		c.add("locked_until > ?", encTime(f.LockedAt))
	}
	rows, err := t.query(`SELECT `+customerCols+` FROM customers`+c.clause()+` ORDER BY msisdn LIMIT ? OFFSET ?`,
		c.page(f.Limit, f.Offset)...)
	if err != nil {
		return nil, fmt.Errorf("store: customer list: %w", err)
	}
	return collect(rows, "customer list", scanCustomer)
}

// minuteNanos is one minute in the timestamp unit.
const minuteNanos = int64(time.Minute)

// Traffic counts MOs and MTs per minute of created_at in [from, to).
func (t *Tx) Traffic(from, to time.Time) ([]smsgw.TrafficPoint, error) {
	rows, err := t.query(`SELECT created_at / ?1 AS minute,
			sum(CASE WHEN direction = 'in' THEN 1 ELSE 0 END), sum(CASE WHEN direction = 'out' THEN 1 ELSE 0 END)
		FROM sms_log WHERE created_at >= ?2 AND created_at < ?3
		GROUP BY minute ORDER BY minute`, minuteNanos, encTime(from), encTime(to))
	if err != nil {
		return nil, fmt.Errorf("store: traffic: %w", err)
	}
	return collect(rows, "traffic", func(row scanner) (*smsgw.TrafficPoint, error) {
		var (
			p      smsgw.TrafficPoint
			minute int64
		)
		if err := row.Scan(&minute, &p.MO, &p.MT); err != nil {
			return nil, err
		}
		p.Minute = decTime(minute * minuteNanos)
		return &p, nil
	})
}

// Credits sums transfers into wallet accounts created in [from, to) by
// transfer kind.
func (t *Tx) Credits(from, to time.Time) ([]smsgw.CreditTotal, error) {
	rows, err := t.query(`SELECT tr.kind, count(*), sum(tr.amount)
		FROM transfers tr JOIN accounts a ON a.id = tr.to_account
		WHERE a.kind = 'wallet' AND tr.created_at >= ? AND tr.created_at < ?
		GROUP BY tr.kind ORDER BY tr.kind`, encTime(from), encTime(to))
	if err != nil {
		return nil, fmt.Errorf("store: credits: %w", err)
	}
	return collect(rows, "credits", func(row scanner) (*smsgw.CreditTotal, error) {
		var c smsgw.CreditTotal
		return &c, row.Scan(&c.Kind, &c.Count, &c.Amount)
	})
}

// MessageParts lists the SMSC ids of message id with their receipts.
func (t *Tx) MessageParts(id int64) ([]smsgw.MessagePart, error) {
	rows, err := t.query(`SELECT part, smsc_id, dlr_state, dlr_error, dlr_at FROM sms_smsc_ids
		WHERE sms_id = ? ORDER BY part`, id)
	if err != nil {
		return nil, fmt.Errorf("store: message parts: %w", err)
	}
	return collect(rows, "message parts", func(row scanner) (*smsgw.MessagePart, error) {
		var (
			p  smsgw.MessagePart
			at sql.NullInt64
		)
		if err := row.Scan(&p.Part, &p.SMSCID, &p.DLRState, &p.DLRError, &at); err != nil {
			return nil, err
		}
		p.DLRAt = decTimePtr(at)
		return &p, nil
	})
}

// TransferEntries lists the entries of transfer id, debit first.
func (t *Tx) TransferEntries(id int64) ([]smsgw.Entry, error) {
	rows, err := t.query(`SELECT `+entryCols+` FROM ledger_entries
		WHERE transfer_id = ? ORDER BY amount, id`, id)
	if err != nil {
		return nil, fmt.Errorf("store: transfer entries: %w", err)
	}
	return collect(rows, "transfer entries", scanEntry)
}

// Ledger lists the entries of f.Account with their transfers, newest
// first. The running sum is a window over all of the account's entries,
// computed before the time filter and the page are applied.
func (t *Tx) Ledger(f smsgw.LedgerFilter) ([]smsgw.LedgerLine, error) {
	if f.Account == "" {
		return nil, smsgw.Errorf(smsgw.EInvalid, "ledger needs an account")
	}
	c := conds{args: []any{string(f.Account)}} // the subquery's account comes first
	c.span("x.created_at", f.Since, f.Until)
	rows, err := t.query(`SELECT x.id, x.transfer_id, x.account, x.amount, x.balance_after, x.created_at, x.running,
			tr.kind, tr.reference,
			CASE WHEN tr.from_account = x.account THEN tr.to_account ELSE tr.from_account END,
			tr.session_id, tr.message_id
		FROM (SELECT e.*, sum(e.amount) OVER (ORDER BY e.id ROWS UNBOUNDED PRECEDING) AS running
			FROM ledger_entries e WHERE e.account = ?) x
		JOIN transfers tr ON tr.id = x.transfer_id`+c.clause()+`
		ORDER BY x.id DESC LIMIT ? OFFSET ?`, c.page(f.Limit, f.Offset)...)
	if err != nil {
		return nil, fmt.Errorf("store: ledger: %w", err)
	}
	return collect(rows, "ledger", func(row scanner) (*smsgw.LedgerLine, error) {
		var (
			l                smsgw.LedgerLine
			acct, other      string
			created          int64
			session, message sql.NullInt64
		)
		if err := row.Scan(&l.ID, &l.TransferID, &acct, &l.Amount, &l.BalanceAfter, &created, &l.RunningSum,
			&l.Kind, &l.Reference, &other, &session, &message); err != nil {
			return nil, err
		}
		l.Account, l.Counterparty = domain.AccountID(acct), domain.AccountID(other)
		l.CreatedAt = decTime(created)
		l.SessionID, l.MessageID = session.Int64, message.Int64
		return &l, nil
	})
}

// PartnerRequestByTransfer returns the request whose credit is transfer
// id (transfer_id is unique).
func (t *Tx) PartnerRequestByTransfer(transferID int64) (*partner.Request, error) {
	return t.partnerRequest("partner request by transfer", `transfer_id = ?`, transferID)
}

// PartnerSummary counts the requests created in [from, to) by state and
// the queued and dead callbacks. Acknowledged callbacks, the bulk of the
// table, are left out so that the count stays an index range scan.
func (t *Tx) PartnerSummary(from, to time.Time) (partner.Summary, error) {
	s := partner.Summary{Requests: map[partner.State]int{}, Callbacks: map[string]int{}}
	rows, err := t.query(`SELECT state, count(*) FROM partner_requests
		WHERE created_at >= ? AND created_at < ? GROUP BY state`, encTime(from), encTime(to))
	if err != nil {
		return s, fmt.Errorf("store: partner summary: %w", err)
	}
	type count struct {
		key string
		n   int
	}
	scan := func(row scanner) (*count, error) {
		var c count
		return &c, row.Scan(&c.key, &c.n)
	}
	states, err := collect(rows, "partner summary", scan)
	if err != nil {
		return s, err
	}
	for _, c := range states {
		s.Requests[partner.State(c.key)] = c.n
	}
	rows, err = t.query(`SELECT status, count(*) FROM partner_callbacks
		WHERE status IN ('queued', 'dead') GROUP BY status`)
	if err != nil {
		return s, fmt.Errorf("store: callback summary: %w", err)
	}
	statuses, err := collect(rows, "callback summary", scan)
	if err != nil {
		return s, err
	}
	for _, c := range statuses {
		s.Callbacks[c.key] = c.n
	}
	return s, nil
}
