package sqlite

import (
	"context"
	"fmt"
)

// ledgerInvariants are the rules the ledger holds at every commit, each a
// query counting the rows that break it.
var ledgerInvariants = []struct{ rule, query string }{
	{"the entries sum to zero", `SELECT coalesce(sum(amount), 0) <> 0 FROM ledger_entries`},
	{"every transfer has exactly two entries",
		`SELECT count(*) FROM transfers t WHERE (SELECT count(*) FROM ledger_entries e WHERE e.transfer_id = t.id) <> 2`},
	{"a transfer's entries debit its source and credit its destination by its amount", `SELECT count(*) FROM transfers t WHERE
		NOT EXISTS (SELECT 1 FROM ledger_entries e WHERE e.transfer_id = t.id AND e.account = t.from_account AND e.amount = -t.amount)
		OR NOT EXISTS (SELECT 1 FROM ledger_entries e WHERE e.transfer_id = t.id AND e.account = t.to_account AND e.amount = t.amount)`},
	{"each balance equals the sum of its entries",
		`SELECT count(*) FROM accounts a WHERE a.balance <> (SELECT coalesce(sum(amount), 0) FROM ledger_entries e WHERE e.account = a.id)`},
	{"each entry's balance_after is the running balance", `SELECT count(*) FROM (
		SELECT balance_after, sum(amount) OVER (PARTITION BY account ORDER BY id) AS running FROM ledger_entries
	) WHERE balance_after <> running`},
	{"no wallet or deposit is negative", `SELECT count(*) FROM accounts WHERE kind <> 'settlement' AND balance < 0`},
	{"no wallet or deposit was ever negative", `SELECT count(*) FROM ledger_entries e JOIN accounts a ON a.id = e.account
		WHERE a.kind <> 'settlement' AND e.balance_after < 0`},
}

// CheckLedger checks the ledger's invariants and returns one line per
// rule broken (with how many rows break it); none when the ledger is sound.
func (s *Store) CheckLedger(ctx context.Context) ([]string, error) {
	var broken []string
	for _, inv := range ledgerInvariants {
		var n int64
		if err := s.r.QueryRowContext(ctx, inv.query).Scan(&n); err != nil {
			return nil, fmt.Errorf("sqlite: check ledger (%s): %w", inv.rule, err)
		}
		if n != 0 {
			broken = append(broken, fmt.Sprintf("%s: broken by %d rows", inv.rule, n))
		}
	}
	return broken, nil
}
