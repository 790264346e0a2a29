package sqlstore

import (
	"fmt"
	"strconv"
	"sync"

	"github.com/smsgw/smsgw/smsgw"
)

// Constraint is the kind of constraint a failed statement violated.
type Constraint int

// The constraint kinds a Dialect tells apart.
const (
	ConstraintNone   Constraint = iota
	ConstraintUnique            // UNIQUE or PRIMARY KEY
	ConstraintCheck             // CHECK or NOT NULL
	ConstraintForeignKey
)

// Dialect is what differs between the SQL engines a Tx runs on. The
// statements of this package are written with ? placeholders and SQL both
// engines accept; a Dialect supplies the rest.
type Dialect struct {
	// Constraint classifies a driver error (ConstraintNone for anything
	// that is not a constraint violation).
	Constraint func(err error) Constraint
	// Placeholder, when set, is the engine's placeholder for argument n
	// (from 1), which replaces each ? in order.
	Placeholder func(n int) string
	// SMSCIDs is an expression giving the SMSC ids of the SMS log row l as
	// a JSON array of strings in part order, '[]' when there is none.
	SMSCIDs string
	// FoldEq returns a condition that col equals the next argument in any
	// ASCII letter case.
	FoldEq func(col string) string
	// Conflict, when set, reports whether a driver error says that the
	// transaction conflicted with a concurrent one (and must be run
	// again): such errors are wrapped with smsgw.ErrTxConflict.
	Conflict func(err error) bool
	// SkipLocked ends the subquery that picks rows to claim: rows another
	// transaction has locked are skipped rather than waited for (empty
	// where one writer runs at a time).
	SkipLocked string
	// StatementRollback is set for an engine where a failed statement
	// aborts the whole transaction (PostgreSQL): each write then runs in a
	// savepoint of its own, so that a refused write (a duplicate, a
	// check) leaves the transaction usable, as in SQLite.
	StatementRollback bool
	// IndexedBy, when set, names the index a statement must read table
	// through (SQLite's "INDEXED BY"), where the engine's planner would
	// otherwise pick a worse one; "" leaves the choice to the planner
	// (PostgreSQL, which keeps statistics).
	IndexedBy func(index string) string
	// OpenSlots is set for an engine whose schema keeps one open session
	// per MSISDN in sessions.open_msisdn (SQLite, sessions_slot), which an
	// expired session keeps holding until its MSISDN opens the next one:
	// the expiry then changes no index keyed by MSISDN, where it would
	// delete entries at random places in one. Unset (PostgreSQL, whose
	// updates write a new entry in every index anyway), the partial unique
	// index sessions_open on the open sessions' MSISDN keeps the rule.
	OpenSlots bool
	// LastInsertID is set for an engine that reports the rowid of a plain
	// INSERT (SQLite): insertID then runs the statement without its
	// RETURNING id, which SQLite executes through a temporary table, at
	// several times the cost of the insert itself.
	LastInsertID bool
	// MigrationLock, when set, is a statement that makes concurrent
	// migrations of one database take turns (Migrate runs it first in
	// each migration transaction).
	MigrationLock string
	// ForeignKeysOff and ForeignKeysOn, when set, switch a connection's
	// foreign key enforcement off and on outside a transaction, and
	// ForeignKeyCheck (a format of one table name) lists the table's rows
	// whose references do not resolve (table name first): Migrate runs a
	// Migration.ForeignKeysOff between them. An engine without them cannot
	// run such a migration.
	ForeignKeysOff, ForeignKeysOn, ForeignKeyCheck string

	rebound sync.Map // query → query with the engine's placeholders
}

// rebind returns query with the engine's placeholders.
func (d *Dialect) rebind(query string) string {
	if d.Placeholder == nil {
		return query
	}
	if q, ok := d.rebound.Load(query); ok {
		return q.(string)
	}
	out := make([]byte, 0, len(query)+16)
	n := 0
	inString := false
	for i := 0; i < len(query); i++ {
		c := query[i]
		switch {
		case c == '\'':
			inString = !inString
		case c == '?' && !inString:
			// ?NNN names argument NNN (SQLite's numbered form); a bare ?
			// is the next one.
			j := i + 1
			for j < len(query) && query[j] >= '0' && query[j] <= '9' {
				j++
			}
			if j > i+1 {
				k, _ := strconv.Atoi(query[i+1 : j])
				out = append(out, d.Placeholder(k)...)
				i = j - 1
				continue
			}
			n++
			out = append(out, d.Placeholder(n)...)
			continue
		}
		out = append(out, c)
	}
	q := string(out)
	d.rebound.Store(query, q)
	return q
}

// mapErr turns a driver error of operation op into a domain error by its
// constraint: unique → EConflict, CHECK and NOT NULL → EInvalid, foreign
// key → ENotFound. Anything else, including a trigger's refusal, is
// internal and wrapped.
func (t *Tx) mapErr(op string, err error) error {
	switch t.d.Constraint(err) {
	case ConstraintUnique:
		return smsgw.Errorf(smsgw.EConflict, "%s: already exists", op)
	case ConstraintCheck:
		return smsgw.Errorf(smsgw.EInvalid, "%s: value out of range", op)
	case ConstraintForeignKey:
		return smsgw.Errorf(smsgw.ENotFound, "%s: referenced row does not exist", op)
	}
	return fmt.Errorf("store: %s: %w", op, err)
}

// isUnique reports whether err violates a UNIQUE or PRIMARY KEY constraint.
func (t *Tx) isUnique(err error) bool { return t.d.Constraint(err) == ConstraintUnique }

// conflict wraps err with smsgw.ErrTxConflict when the engine says the
// transaction conflicted with another one.
func (d *Dialect) conflict(err error) error {
	if err != nil && d.Conflict != nil && d.Conflict(err) {
		return fmt.Errorf("%w: %w", smsgw.ErrTxConflict, err)
	}
	return err
}

// indexedBy returns the clause that makes a statement read its table
// through index, or "" when the engine chooses alone.
func (d *Dialect) indexedBy(index string) string {
	if d.IndexedBy == nil {
		return ""
	}
	return d.IndexedBy(index)
}
