package sqlstore

import (
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/smsgw/smsgw/domain"
	"github.com/smsgw/smsgw/smsgw"
)

// CreateAccount inserts a with balance 0; CreatedAt defaults to now. EInvalid
// if the kind is unknown or the ID empty.
func (t *Tx) CreateAccount(a *smsgw.Account) error {
	a.Balance = 0
	a.CreatedAt = t.orNow(a.CreatedAt)
	_, err := t.exec(`INSERT INTO accounts (id, kind, owner, balance, created_at) VALUES (?, ?, ?, 0, ?)`,
		string(a.ID), a.Kind, string(a.Owner), encTime(a.CreatedAt))
	if err != nil {
		return t.mapErr("create account", err)
	}
	return nil
}

// Account returns an account by ID.
func (t *Tx) Account(id domain.AccountID) (*smsgw.Account, error) {
	var (
		a       smsgw.Account
		aid     string
		owner   string
		created int64
	)
	err := t.queryRow(`SELECT id, kind, owner, balance, created_at FROM accounts WHERE id = ?`, string(id)).
		Scan(&aid, &a.Kind, &owner, &a.Balance, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("account not found")
	} else if err != nil {
		return nil, fmt.Errorf("store: account: %w", err)
	}
	a.ID, a.Owner, a.CreatedAt = domain.AccountID(aid), domain.MSISDN(owner), decTime(created)
	return &a, nil
}

// Transfer records tr, its two ledger entries and both balance changes in
// one savepoint, so a failure writes nothing. Balances are computed by
// SQLite (balance = balance ± amount); the accounts table's CHECK constraint
// rejects a negative wallet or deposit balance, which becomes EFunds.
func (t *Tx) Transfer(tr *smsgw.Transfer) error {
	switch {
	case tr.Amount <= 0:
		return smsgw.Errorf(smsgw.EInvalid, "transfer amount must be positive")
	case tr.IdempotencyKey == "":
		return smsgw.Errorf(smsgw.EInvalid, "transfer needs an idempotency key")
	case tr.From == tr.To:
		return smsgw.Errorf(smsgw.EInvalid, "transfer to the same account")
	}
	created := t.orNow(tr.CreatedAt)
	var id int64
	err := t.atomic("transfer", func() error {
		err := t.insertID(&id, `INSERT INTO transfers
			(idempotency_key, request_hash, kind, from_account, to_account, amount, session_id, message_id, reference, created_at, reverses_id)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			tr.IdempotencyKey, tr.RequestHash, tr.Kind, string(tr.From), string(tr.To), int64(tr.Amount),
			nullID(tr.SessionID), nullID(tr.MessageID), tr.Reference, encTime(created), nullID(tr.ReversesID))
		if t.isUnique(err) {
			return smsgw.Errorf(smsgw.EConflict, "transfer idempotency key already used")
		} else if err != nil {
			return t.mapErr("insert transfer", err)
		}
		if err := t.post(id, tr.From, -int64(tr.Amount), created); err != nil {
			return err
		}
		return t.post(id, tr.To, int64(tr.Amount), created)
	})
	if err != nil {
		return err
	}
	tr.ID, tr.CreatedAt = id, created
	return nil
}

// post changes the balance of account by amount and appends the entry.
func (t *Tx) post(transferID int64, account domain.AccountID, amount int64, created time.Time) error {
	var after int64
	err := t.queryRow(`UPDATE accounts SET balance = balance + ? WHERE id = ? RETURNING balance`,
		amount, string(account)).Scan(&after)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return notFound("account %s not found", account)
	case t.d.Constraint(err) == ConstraintCheck:
		return smsgw.Errorf(smsgw.EFunds, "balance of %s would go negative", account)
	case err != nil:
		return fmt.Errorf("store: post to %s: %w", account, err)
	}
	if _, err := t.exec(`INSERT INTO ledger_entries (transfer_id, account, amount, balance_after, created_at)
		VALUES (?, ?, ?, ?, ?)`, transferID, string(account), amount, after, encTime(created)); err != nil {
		return t.mapErr("insert ledger entry", err)
	}
	return nil
}

const transferCols = `t.id, t.idempotency_key, t.request_hash, t.kind, t.from_account, t.to_account, t.amount,
	t.session_id, t.message_id, t.reference, t.created_at, t.reverses_id`

func scanTransfer(row scanner) (*smsgw.Transfer, error) {
	var (
		tr               smsgw.Transfer
		from, to         string
		session, message sql.NullInt64
		reverses         sql.NullInt64
		created          int64
	)
	if err := row.Scan(&tr.ID, &tr.IdempotencyKey, &tr.RequestHash, &tr.Kind, &from, &to, &tr.Amount,
		&session, &message, &tr.Reference, &created, &reverses); err != nil {
		return nil, err
	}
	tr.From, tr.To = domain.AccountID(from), domain.AccountID(to)
	tr.SessionID, tr.MessageID, tr.ReversesID = session.Int64, message.Int64, reverses.Int64
	tr.CreatedAt = decTime(created)
	return &tr, nil
}

func (t *Tx) transfer(op, where string, arg any) (*smsgw.Transfer, error) {
	tr, err := scanTransfer(t.queryRow(`SELECT `+transferCols+` FROM transfers t WHERE `+where, arg))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("transfer not found")
	} else if err != nil {
		return nil, fmt.Errorf("store: %s: %w", op, err)
	}
	return tr, nil
}

// TransferByKey returns the transfer with this idempotency key.
func (t *Tx) TransferByKey(key string) (*smsgw.Transfer, error) {
	return t.transfer("transfer by key", "t.idempotency_key = ?", key)
}

// TransferByID returns a transfer.
func (t *Tx) TransferByID(id int64) (*smsgw.Transfer, error) {
	return t.transfer("transfer by id", "t.id = ?", id)
}

// Transfers lists the transfers touching account, newest first. Each
// transfer has exactly one entry on each of its two accounts, so the join
// yields every transfer once.
func (t *Tx) Transfers(account domain.AccountID, limit int) ([]smsgw.Transfer, error) {
	rows, err := t.query(`SELECT `+transferCols+` FROM ledger_entries e JOIN transfers t ON t.id = e.transfer_id
		WHERE e.account = ? ORDER BY e.id DESC LIMIT ?`, string(account), limitOf(limit))
	if err != nil {
		return nil, fmt.Errorf("store: transfers: %w", err)
	}
	return collect(rows, "transfers", scanTransfer)
}

// Entries lists the ledger entries of account after entry afterID, oldest
// first.
func (t *Tx) Entries(account domain.AccountID, afterID int64, limit int) ([]smsgw.Entry, error) {
	rows, err := t.query(`SELECT `+entryCols+` FROM ledger_entries
		WHERE account = ? AND id > ? ORDER BY id LIMIT ?`, string(account), afterID, limitOf(limit))
	if err != nil {
		return nil, fmt.Errorf("store: entries: %w", err)
	}
	return collect(rows, "entries", scanEntry)
}

// entryCols are the ledger_entries columns scanEntry reads.
const entryCols = `id, transfer_id, account, amount, balance_after, created_at`

func scanEntry(row scanner) (*smsgw.Entry, error) {
	var (
		e       smsgw.Entry
		acct    string
		created int64
	)
	if err := row.Scan(&e.ID, &e.TransferID, &acct, &e.Amount, &e.BalanceAfter, &created); err != nil {
		return nil, err
	}
	e.Account, e.CreatedAt = domain.AccountID(acct), decTime(created)
	return &e, nil
}

// LedgerSum returns the sum of all ledger entries.
func (t *Tx) LedgerSum() (int64, error) {
	var sum int64
	if err := t.queryRow(`SELECT coalesce(sum(amount), 0) FROM ledger_entries`).Scan(&sum); err != nil {
		return 0, fmt.Errorf("store: ledger sum: %w", err)
	}
	return sum, nil
}
