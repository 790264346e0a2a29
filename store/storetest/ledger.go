package storetest

import (
	"fmt"
	"testing"

	"github.com/smsgw/smsgw/domain"
	"github.com/smsgw/smsgw/smsgw"
)

// ledgerTests are the contract of smsgw.LedgerStore: accounts, transfers
// with their ledger entries, idempotency and funds checks.
var ledgerTests = []test{
	{"Account/CreateGet", testAccountCreateGet},
	{"Transfer/Posts", testTransferPosts},
	{"Transfer/Idempotency", testTransferIdempotency},
	{"Transfer/Funds", testTransferFunds},
	{"Transfer/Invalid", testTransferInvalid},
	{"Transfer/ListAndEntries", testTransferListEntries},
}

// TestLedger runs ledgerTests as subtests; see Run for open.
func TestLedger(t *testing.T, open func(t *testing.T) smsgw.Store) { run(t, open, ledgerTests) }

func testAccountCreateGet(t *testing.T, s smsgw.Store) {
	a := &smsgw.Account{ID: walletA, Kind: domain.KindWallet, Owner: msisdnA, Balance: 999, CreatedAt: t0}
	MustUpdate(t, s, func(tx smsgw.Tx) error { return tx.CreateAccount(a) })
	if a.Balance != 0 {
		t.Errorf("CreateAccount set Balance = %d, want 0", a.Balance)
	}
	MustView(t, s, func(tx smsgw.Tx) error {
		got, err := tx.Account(walletA)
		if err != nil {
			return err
		}
		same(t, "Account(walletA)", got, &smsgw.Account{ID: walletA, Kind: domain.KindWallet, Owner: msisdnA, CreatedAt: t0})
		_, err = tx.Account("wallet:none")
		wantCode(t, "Account(unknown)", err, smsgw.ENotFound)
		return nil
	})
	err := s.Update(t.Context(), func(tx smsgw.Tx) error {
		return tx.CreateAccount(&smsgw.Account{ID: walletA, Kind: domain.KindWallet, CreatedAt: t0})
	})
	wantCode(t, "CreateAccount(existing)", err, smsgw.EConflict)
	err = s.Update(t.Context(), func(tx smsgw.Tx) error {
		return tx.CreateAccount(&smsgw.Account{ID: "bogus:1", Kind: "bogus", CreatedAt: t0})
	})
	wantCode(t, "CreateAccount(kind bogus)", err, smsgw.EInvalid)
}

func testTransferPosts(t *testing.T, s smsgw.Store) {
	seedAccounts(t, s)
	tr := newTransfer("bank:1", settlement, walletA, 50_000)
	mustTransfer(t, s, tr)
	if tr.ID == 0 || tr.CreatedAt.IsZero() {
		t.Fatalf("Transfer set ID %d, CreatedAt %v; want both set", tr.ID, tr.CreatedAt)
	}
	same(t, "balances(settlement, walletA)", balances(t, s, settlement, walletA), []domain.Amount{-50_000, 50_000})
	MustView(t, s, func(tx smsgw.Tx) error {
		byKey, err := tx.TransferByKey("bank:1")
		if err != nil {
			return err
		}
		same(t, "TransferByKey(bank:1)", byKey, tr)
		byID, err := tx.TransferByID(tr.ID)
		if err != nil {
			return err
		}
		same(t, "TransferByID", byID, tr)
		_, err = tx.TransferByKey("bank:none")
		wantCode(t, "TransferByKey(unknown)", err, smsgw.ENotFound)
		_, err = tx.TransferByID(tr.ID + 100)
		wantCode(t, "TransferByID(unknown)", err, smsgw.ENotFound)

		for _, c := range []struct {
			account domain.AccountID
			amount  domain.Amount
		}{{settlement, -50_000}, {walletA, 50_000}} {
			es, err := tx.Entries(c.account, 0, 10)
			if err != nil {
				return err
			}
			if len(es) != 1 {
				t.Fatalf("Entries(%s) = %d entries, want 1", c.account, len(es))
			}
			e := es[0]
			if e.ID == 0 || e.TransferID != tr.ID || e.Account != c.account || e.Amount != c.amount || e.BalanceAfter != c.amount {
				t.Errorf("Entries(%s)[0] = %+v, want transfer %d, amount %d, balance after %d", c.account, e, tr.ID, c.amount, c.amount)
			}
		}
		sum, err := tx.LedgerSum()
		if err != nil {
			return err
		}
		if sum != 0 {
			t.Errorf("LedgerSum() = %d, want 0", sum)
		}
		return nil
	})
	// Balances after: a wallet-to-wallet transfer.
	mustTransfer(t, s, newTransfer("bank:2", walletA, walletB, 20_000))
	same(t, "balances(settlement, A, B)", balances(t, s, settlement, walletA, walletB), []domain.Amount{-50_000, 30_000, 20_000})
	MustView(t, s, func(tx smsgw.Tx) error {
		es, err := tx.Entries(walletA, 0, 10)
		if err != nil {
			return err
		}
		got := []domain.Amount{}
		for _, e := range es {
			got = append(got, e.Amount, e.BalanceAfter)
		}
		same(t, "Entries(walletA) amounts and balances", got, []domain.Amount{50_000, 50_000, -20_000, 30_000})
		return nil
	})
}

func testTransferIdempotency(t *testing.T, s smsgw.Store) {
	seedAccounts(t, s)
	first := newTransfer("session:1", settlement, walletA, 50_000)
	mustTransfer(t, s, first)
	for _, tc := range []struct {
		name string
		tr   *smsgw.Transfer
	}{
		{"same request", newTransfer("session:1", settlement, walletA, 50_000)},
		{"other request", newTransfer("session:1", settlement, walletB, 75_000)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			MustUpdate(t, s, func(tx smsgw.Tx) error {
				wantCode(t, "Transfer(reused key)", tx.Transfer(tc.tr), smsgw.EConflict)
				return nil // commit: the failed Transfer must have written nothing
			})
			same(t, "balances(settlement, A, B)", balances(t, s, settlement, walletA, walletB), []domain.Amount{-50_000, 50_000, 0})
			MustView(t, s, func(tx smsgw.Tx) error {
				got, err := tx.TransferByKey("session:1")
				if err != nil {
					return err
				}
				same(t, "TransferByKey(session:1)", got, first)
				ts, err := tx.Transfers(settlement, 10)
				if err != nil {
					return err
				}
				if len(ts) != 1 {
					t.Errorf("Transfers(settlement) = %d transfers, want 1", len(ts))
				}
				return nil
			})
		})
	}
}

func testTransferFunds(t *testing.T, s smsgw.Store) {
	seedAccounts(t, s)
	mustTransfer(t, s, newTransfer("fund:A", settlement, walletA, 10_000))
	mustTransfer(t, s, newTransfer("fund:dep", settlement, deposit, 5_000))
	tests := []struct {
		name     string
		tr       *smsgw.Transfer
		wantCode string
	}{
		{"wallet overdraft", newTransfer("t:1", walletA, walletB, 10_001), smsgw.EFunds},
		{"empty wallet", newTransfer("t:2", walletB, walletA, 1), smsgw.EFunds},
		{"deposit overdraft", newTransfer("t:3", deposit, walletA, 5_001), smsgw.EFunds},
		{"whole wallet", newTransfer("t:4", walletA, walletB, 10_000), ""},
		{"settlement may go negative", newTransfer("t:5", settlement, walletA, 1_000_000), ""},
	}
	want := map[domain.AccountID]domain.Amount{settlement: -15_000, deposit: 5_000, walletA: 10_000, walletB: 0}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			MustUpdate(t, s, func(tx smsgw.Tx) error {
				wantCode(t, "Transfer", tx.Transfer(tc.tr), tc.wantCode)
				return nil
			})
			if tc.wantCode == "" {
				want[tc.tr.From] -= tc.tr.Amount
				want[tc.tr.To] += tc.tr.Amount
			}
			ids := []domain.AccountID{settlement, deposit, walletA, walletB}
			wantBal := []domain.Amount{want[settlement], want[deposit], want[walletA], want[walletB]}
			same(t, "balances", balances(t, s, ids...), wantBal)
			MustView(t, s, func(tx smsgw.Tx) error {
				_, err := tx.TransferByKey(tc.tr.IdempotencyKey)
				if tc.wantCode != "" {
					wantCode(t, "TransferByKey(refused)", err, smsgw.ENotFound)
				} else if err != nil {
					return err
				}
				sum, err := tx.LedgerSum()
				if err != nil {
					return err
				}
				if sum != 0 {
					t.Errorf("LedgerSum() = %d, want 0", sum)
				}
				return nil
			})
		})
	}
	MustView(t, s, func(tx smsgw.Tx) error {
		es, err := tx.Entries(walletB, 0, 10)
		if err != nil {
			return err
		}
		if len(es) != 1 {
			t.Errorf("Entries(walletB) = %d entries, want 1 (refused transfers write none)", len(es))
		}
		return nil
	})
}

func testTransferInvalid(t *testing.T, s smsgw.Store) {
	seedAccounts(t, s)
	tests := []struct {
		name string
		tr   *smsgw.Transfer
		want string
	}{
		{"zero amount", newTransfer("i:1", settlement, walletA, 0), smsgw.EInvalid},
		{"negative amount", newTransfer("i:2", settlement, walletA, -5), smsgw.EInvalid},
		{"no key", newTransfer("", settlement, walletA, 5), smsgw.EInvalid},
		{"same account", newTransfer("i:3", walletA, walletA, 5), smsgw.EInvalid},
		{"unknown source", newTransfer("i:4", "settlement:none", walletA, 5), smsgw.ENotFound},
		{"unknown target", newTransfer("i:5", settlement, "wallet:none", 5), smsgw.ENotFound},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			MustUpdate(t, s, func(tx smsgw.Tx) error {
				wantCode(t, "Transfer", tx.Transfer(tc.tr), tc.want)
				return nil
			})
		})
	}
	same(t, "balances", balances(t, s, settlement, walletA), []domain.Amount{0, 0})
	MustView(t, s, func(tx smsgw.Tx) error {
		for _, a := range []domain.AccountID{settlement, walletA} {
			ts, err := tx.Transfers(a, 10)
			if err != nil {
				return err
			}
			es, err := tx.Entries(a, 0, 10)
			if err != nil {
				return err
			}
			if len(ts) != 0 || len(es) != 0 {
				t.Errorf("account %s has %d transfers and %d entries after refused transfers, want none", a, len(ts), len(es))
			}
		}
		return nil
	})
}

func testTransferListEntries(t *testing.T, s smsgw.Store) {
	seedAccounts(t, s)
	var trs []*smsgw.Transfer
	for i := range 5 {
		tr := newTransfer(fmt.Sprintf("l:%d", i), settlement, walletA, domain.Amount(1000*(i+1)))
		if i == 3 {
			tr = newTransfer("l:3", settlement, walletB, 7)
		}
		mustTransfer(t, s, tr)
		trs = append(trs, tr)
	}
	out := newTransfer("l:out", walletA, walletB, 500)
	mustTransfer(t, s, out)
	MustView(t, s, func(tx smsgw.Tx) error {
		got, err := tx.Transfers(walletA, 10)
		if err != nil {
			return err
		}
		want := []int64{out.ID, trs[4].ID, trs[2].ID, trs[1].ID, trs[0].ID}
		same(t, "Transfers(walletA, 10) ids", ids(got, func(tr smsgw.Transfer) int64 { return tr.ID }), want)
		if len(got) > 0 {
			same(t, "Transfers(walletA)[0]", got[0], *out)
		}
		got, err = tx.Transfers(walletA, 2)
		if err != nil {
			return err
		}
		same(t, "Transfers(walletA, 2) ids", ids(got, func(tr smsgw.Transfer) int64 { return tr.ID }), want[:2])

		all, err := tx.Entries(walletA, 0, 100)
		if err != nil {
			return err
		}
		if len(all) != 5 {
			t.Fatalf("Entries(walletA) = %d entries, want 5", len(all))
		}
		var running domain.Amount
		for i, e := range all {
			running += e.Amount
			if e.BalanceAfter != running {
				t.Errorf("Entries(walletA)[%d].BalanceAfter = %d, want %d", i, e.BalanceAfter, running)
			}
			if i > 0 && e.ID <= all[i-1].ID {
				t.Errorf("Entries(walletA) not oldest first: id %d after %d", e.ID, all[i-1].ID)
			}
		}
		page, err := tx.Entries(walletA, all[1].ID, 2)
		if err != nil {
			return err
		}
		same(t, "Entries(walletA, after second, 2)", page, all[2:4])
		return nil
	})
}
