package sqlstore

import (
	"bytes"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/smsgw/smsgw/domain"
	"github.com/smsgw/smsgw/smsgw"
)

const customerCols = `msisdn, name, account, pin_hash, pin_salt, pin_failures, locked_until, created_at, updated_at`

type scanner interface{ Scan(dest ...any) error }

func scanCustomer(row scanner) (*smsgw.Customer, error) {
	var (
		c                smsgw.Customer
		locked           sql.NullInt64
		created, updated int64
		msisdn, account  string
	)
	if err := row.Scan(&msisdn, &c.Name, &account, &c.PINHash, &c.PINSalt, &c.PINFailures, &locked, &created, &updated); err != nil {
		return nil, err
	}
	c.MSISDN, c.Account = domain.MSISDN(msisdn), domain.MSISDN(account)
	c.LockedUntil = decTimePtr(locked)
	c.CreatedAt, c.UpdatedAt = decTime(created), decTime(updated)
	return &c, nil
}

// CreateCustomer inserts c; CreatedAt and UpdatedAt default to now.
func (t *Tx) CreateCustomer(c *smsgw.Customer) error {
	c.CreatedAt = t.orNow(c.CreatedAt)
	if c.UpdatedAt.IsZero() {
		c.UpdatedAt = c.CreatedAt
	}
	_, err := t.exec(`INSERT INTO customers (`+customerCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		string(c.MSISDN), c.Name, string(c.Account), c.PINHash, c.PINSalt, c.PINFailures,
		encTimePtr(c.LockedUntil), encTime(c.CreatedAt), encTime(c.UpdatedAt))
	if err != nil {
		return t.mapErr("create customer", err)
	}
	return nil
}

// Customer returns the customer registered with msisdn. The last customer
// read is kept for the rest of the transaction until any statement writes
// the customers table (see Tx.customer): an MO's PIN is checked against
// the customer row its storing read a moment before, in the same
// transaction.
func (t *Tx) Customer(msisdn domain.MSISDN) (*smsgw.Customer, error) {
	if c := t.customer; c != nil && c.MSISDN == msisdn {
		return copyCustomer(c), nil
	}
	c, err := scanCustomer(t.queryRow(`SELECT `+customerCols+` FROM customers WHERE msisdn = ?`, string(msisdn)))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("customer not found")
	} else if err != nil {
		return nil, fmt.Errorf("store: customer: %w", err)
	}
	t.customer = copyCustomer(c)
	return c, nil
}

// copyCustomer returns a copy of c that shares nothing with it.
func copyCustomer(c *smsgw.Customer) *smsgw.Customer {
	cp := *c
	cp.PINHash, cp.PINSalt = bytes.Clone(c.PINHash), bytes.Clone(c.PINSalt)
	if c.LockedUntil != nil {
		u := *c.LockedUntil
		cp.LockedUntil = &u
	}
	return &cp
}

// UpdateCustomer writes the PIN hash and salt, failure counter, lock and
// UpdatedAt (default now) of c.
func (t *Tx) UpdateCustomer(c *smsgw.Customer) error {
	c.UpdatedAt = t.orNow(c.UpdatedAt)
	res, err := t.exec(`UPDATE customers SET pin_hash = ?, pin_salt = ?, pin_failures = ?, locked_until = ?, updated_at = ?
		WHERE msisdn = ?`,
		c.PINHash, c.PINSalt, c.PINFailures, encTimePtr(c.LockedUntil), encTime(c.UpdatedAt), string(c.MSISDN))
	if err != nil {
		return t.mapErr("update customer", err)
	}
	return expectOne(res, "update customer", func() error { return notFound("customer not found") })
}

// Customers lists customers by MSISDN after the given one.
func (t *Tx) Customers(after domain.MSISDN, limit int) ([]smsgw.Customer, error) {
	rows, err := t.query(`SELECT `+customerCols+` FROM customers WHERE msisdn > ? ORDER BY msisdn LIMIT ?`,
		string(after), limitOf(limit))
	if err != nil {
		return nil, fmt.Errorf("store: customers: %w", err)
	}
	return collect(rows, "customers", scanCustomer)
}

// UnlockDue clears the lock and the failure counter of customers whose lock
// ended at or before now, and returns their MSISDNs in order.
func (t *Tx) UnlockDue(now time.Time) ([]domain.MSISDN, error) {
	rows, err := t.query(`UPDATE customers SET locked_until = NULL, pin_failures = 0, updated_at = ?
		WHERE locked_until <= ? RETURNING msisdn`, encTime(now), encTime(now))
	if err != nil {
		return nil, fmt.Errorf("store: unlock due: %w", err)
	}
	ms, err := collect(rows, "unlock due", func(row scanner) (*domain.MSISDN, error) {
		var m domain.MSISDN
		return &m, row.Scan(&m)
	})
	if err != nil {
		return nil, err
	}
	slices.Sort(ms)
	return ms, nil
}

// collect scans every row with scan and closes rows.
func collect[T any](rows *sql.Rows, op string, scan func(scanner) (*T, error)) ([]T, error) {
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, fmt.Errorf("store: %s: %w", op, err)
		}
		out = append(out, *v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: %s: %w", op, err)
	}
	return out, nil
}

// affected returns a function that turns the result of a statement into
// the number of rows it changed, with errors named after op.
func (t *Tx) affected(op string) func(sql.Result, error) (int64, error) {
	return func(res sql.Result, err error) (int64, error) {
		if err != nil {
			return 0, t.mapErr(op, err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return 0, t.mapErr(op, err)
		}
		return n, nil
	}
}

// expectOne returns missing() when res affected no row.
func expectOne(res sql.Result, op string, missing func() error) error {
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("store: %s: %w", op, err)
	}
	if n == 0 {
		return missing()
	}
	return nil
}
