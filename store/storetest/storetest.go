package storetest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/smsgw/smsgw/smsgw"
)

// Run runs the contract of smsgw.Store and smsgw.Tx as subtests. open must
// return a new, empty store each time it is called and close it when the
// test ends (t.Cleanup). Subtests do not run in parallel.
func Run(t *testing.T, open func(t *testing.T) smsgw.Store) {
	tests := []struct {
		name string
		fn   func(*testing.T, smsgw.Store)
	}{
		{"Customer/CreateGet", testCustomerCreateGet},
		{"Customer/Conflict", testCustomerConflict},
		{"Customer/NotFound", testCustomerNotFound},
		{"Customer/Update", testCustomerUpdate},
		{"Customer/List", testCustomerList},
		{"Customer/UnlockDue", testUnlockDue},
		{"Account/CreateGet", testAccountCreateGet},
		{"Transfer/Posts", testTransferPosts},
		{"Transfer/Idempotency", testTransferIdempotency},
		{"Transfer/Funds", testTransferFunds},
		{"Transfer/Invalid", testTransferInvalid},
		{"Transfer/ListAndEntries", testTransferListEntries},
		{"Session/OnePerMSISDN", testSessionOnePerMSISDN},
		{"Session/Resolve", testSessionResolve},
		{"Session/Attempts", testSessionAttempts},
		{"Session/Expired", testSessionExpired},
		{"Session/Filter", testSessionFilter},
		{"MO/InsertPending", testMOInsertPending},
		{"MO/Redelivery", testMORedelivery},
		{"MO/Finish", testMOFinish},
		{"MO/PurgeDedup", testPurgeDedup},
		{"MT/Outbox", testOutbox},
		{"MT/OutboxDepth", testOutboxDepth},
		{"MT/DLR", testDLR},
		{"Message/Filter", testMessageFilter},
		{"Summary", testSummary},
		{"Flow/PINTopUp", testFlowPINTopUp},
		{"Tx/RollbackOnError", testRollbackOnError},
		{"Tx/RollbackOnPanic", testRollbackOnPanic},
		{"Tx/ViewCannotWrite", testViewCannotWrite},
		{"Tx/Canceled", testCanceled},
		{"Concurrent/Transfers", testConcurrentTransfers},
		{"Concurrent/ReadModifyWrite", testConcurrentReadModifyWrite},
	}
	tests = append(tests, auditTests()...)
	tests = append(tests, partTests...)
	tests = append(tests, partnerTests...)
	tests = append(tests, moStatusTests...)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, open(t)) })
	}
}

// t0 is the reference time of every test. Times are whole seconds so that
// stores with microsecond precision compare equal.
var t0 = time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)

func at(d time.Duration) time.Time { return t0.Add(d) }

func ptr[T any](v T) *T { return &v }

const (
	settlement = smsgw.AccountID("settlement:bank")
	deposit    = smsgw.AccountID("deposit:partner")
	walletA    = smsgw.AccountID("wallet:628110000001")
	walletB    = smsgw.AccountID("wallet:628110000002")
	msisdnA    = smsgw.MSISDN("628110000001")
	msisdnB    = smsgw.MSISDN("628110000002")
	msisdnC    = smsgw.MSISDN("628110000003")
)

// MustUpdate runs fn in s.Update and fails the test on error.
func MustUpdate(t *testing.T, s smsgw.Store, fn func(smsgw.Tx) error) {
	t.Helper()
	if err := s.Update(t.Context(), fn); err != nil {
		t.Fatalf("Update: %v", err)
	}
}

// MustView runs fn in s.View and fails the test on error.
func MustView(t *testing.T, s smsgw.Store, fn func(smsgw.Tx) error) {
	t.Helper()
	if err := s.View(t.Context(), fn); err != nil {
		t.Fatalf("View: %v", err)
	}
}

// wantCode reports an error unless err carries the domain code want ("" for
// nil).
func wantCode(t *testing.T, call string, err error, want string) {
	t.Helper()
	if got := smsgw.ErrorCode(err); got != want {
		t.Errorf("%s = %v (code %q), want code %q", call, err, got, want)
	}
}

// same reports an error unless got and want are deeply equal after
// normalising their times.
func same(t *testing.T, call string, got, want any) {
	t.Helper()
	if !reflect.DeepEqual(normalize(got), normalize(want)) {
		t.Errorf("%s =\n\t%+v\nwant\n\t%+v", call, got, want)
	}
}

// normalize returns a copy of v with every time.Time (also behind pointers,
// in slices and in structs) in UTC without monotonic reading.
func normalize(v any) any {
	if v == nil {
		return nil
	}
	rv := reflect.ValueOf(v)
	out := reflect.New(rv.Type()).Elem()
	normValue(out, rv)
	return out.Interface()
}

var timeType = reflect.TypeFor[time.Time]()

func normValue(dst, src reflect.Value) {
	if src.Type() == timeType {
		dst.Set(reflect.ValueOf(src.Interface().(time.Time).Round(0).UTC()))
		return
	}
	switch src.Kind() {
	case reflect.Pointer:
		if src.IsNil() {
			return
		}
		p := reflect.New(src.Type().Elem())
		normValue(p.Elem(), src.Elem())
		dst.Set(p)
	case reflect.Slice:
		if src.IsNil() {
			return
		}
		s := reflect.MakeSlice(src.Type(), src.Len(), src.Len())
		for i := range src.Len() {
			normValue(s.Index(i), src.Index(i))
		}
		dst.Set(s)
	case reflect.Struct:
		for i := range src.NumField() {
			if !dst.Field(i).CanSet() {
				dst.Set(src) // unexported fields: copy as is
				return
			}
			normValue(dst.Field(i), src.Field(i))
		}
	default:
		dst.Set(src)
	}
}

func ids[T any](xs []T, id func(T) int64) []int64 {
	out := make([]int64, 0, len(xs))
	for _, x := range xs {
		out = append(out, id(x))
	}
	return out
}

func msgIDs(ms []smsgw.Message) []int64 { return ids(ms, func(m smsgw.Message) int64 { return m.ID }) }

func sessionIDs(ss []smsgw.Session) []int64 {
	return ids(ss, func(s smsgw.Session) int64 { return s.ID })
}

// seedAccounts creates the settlement, deposit and two wallet accounts.
func seedAccounts(t *testing.T, s smsgw.Store) {
	t.Helper()
	MustUpdate(t, s, func(tx smsgw.Tx) error {
		for _, a := range []smsgw.Account{
			{ID: settlement, Kind: smsgw.KindSettlement, CreatedAt: t0},
			{ID: deposit, Kind: smsgw.KindDeposit, CreatedAt: t0},
			{ID: walletA, Kind: smsgw.KindWallet, Owner: msisdnA, CreatedAt: t0},
			{ID: walletB, Kind: smsgw.KindWallet, Owner: msisdnB, CreatedAt: t0},
		} {
			if err := tx.CreateAccount(&a); err != nil {
				return fmt.Errorf("create account %s: %w", a.ID, err)
			}
		}
		return nil
	})
}

func newTransfer(key string, from, to smsgw.AccountID, amount smsgw.Amount) *smsgw.Transfer {
	return &smsgw.Transfer{
		IdempotencyKey: key, RequestHash: "hash:" + key, Kind: smsgw.TransferBankVA,
		From: from, To: to, Amount: amount, Reference: "ref:" + key, CreatedAt: t0,
	}
}

// mustTransfer posts one transfer in its own transaction.
func mustTransfer(t *testing.T, s smsgw.Store, tr *smsgw.Transfer) {
	t.Helper()
	MustUpdate(t, s, func(tx smsgw.Tx) error { return tx.Transfer(tr) })
}

func balances(t *testing.T, s smsgw.Store, ids ...smsgw.AccountID) []smsgw.Amount {
	t.Helper()
	out := make([]smsgw.Amount, len(ids))
	MustView(t, s, func(tx smsgw.Tx) error {
		for i, id := range ids {
			a, err := tx.Account(id)
			if err != nil {
				return fmt.Errorf("account %s: %w", id, err)
			}
			out[i] = a.Balance
		}
		return nil
	})
	return out
}

func newCustomer(m smsgw.MSISDN) *smsgw.Customer {
	return &smsgw.Customer{
		MSISDN: m, Name: "Customer " + string(m), Account: m,
		PINHash: []byte("hash-" + string(m)), PINSalt: []byte("salt-" + string(m)),
		CreatedAt: t0, UpdatedAt: t0,
	}
}

func newSession(m smsgw.MSISDN, amount smsgw.Amount, created time.Time) *smsgw.Session {
	return &smsgw.Session{
		MSISDN: m, Account: m, Amount: amount, Channel: smsgw.ChannelSMS,
		CreatedAt: created, ExpiresAt: created.Add(5 * time.Minute),
	}
}

func newMO(m smsgw.MSISDN, key, text string, created time.Time) *smsgw.Message {
	return &smsgw.Message{
		Direction: smsgw.DirIn, Channel: smsgw.ChannelSMS, ShortCode: "9779", MSISDN: m, Text: text,
		Keyword: "IM2PAY", DedupKey: key, Status: smsgw.MsgReceived, CreatedAt: created, UpdatedAt: created,
	}
}

func newMT(m smsgw.MSISDN, text string, next time.Time) *smsgw.Message {
	return &smsgw.Message{
		Direction: smsgw.DirOut, Channel: smsgw.ChannelSMS, ShortCode: "9779", MSISDN: m, Text: text,
		Keyword: "REPLY", Status: smsgw.MsgQueued, NextAttempt: next, CreatedAt: next, UpdatedAt: next,
	}
}

// Customers.

func testCustomerCreateGet(t *testing.T, s smsgw.Store) {
	c := newCustomer(msisdnA)
	c.PINFailures = 2
	c.LockedUntil = ptr(at(time.Hour))
	MustUpdate(t, s, func(tx smsgw.Tx) error { return tx.CreateCustomer(c) })
	MustView(t, s, func(tx smsgw.Tx) error {
		got, err := tx.Customer(msisdnA)
		if err != nil {
			return err
		}
		same(t, "Customer(A)", got, c)
		return nil
	})
}

func testCustomerConflict(t *testing.T, s smsgw.Store) {
	MustUpdate(t, s, func(tx smsgw.Tx) error { return tx.CreateCustomer(newCustomer(msisdnA)) })
	c := newCustomer(msisdnA)
	c.Name = "Someone else"
	err := s.Update(t.Context(), func(tx smsgw.Tx) error { return tx.CreateCustomer(c) })
	wantCode(t, "CreateCustomer(existing)", err, smsgw.EConflict)
	MustView(t, s, func(tx smsgw.Tx) error {
		got, err := tx.Customer(msisdnA)
		if err != nil {
			return err
		}
		if got.Name != "Customer "+string(msisdnA) {
			t.Errorf("Customer(A).Name = %q after conflicting create, want the first", got.Name)
		}
		return nil
	})
}

func testCustomerNotFound(t *testing.T, s smsgw.Store) {
	MustUpdate(t, s, func(tx smsgw.Tx) error {
		_, err := tx.Customer(msisdnA)
		wantCode(t, "Customer(unknown)", err, smsgw.ENotFound)
		wantCode(t, "UpdateCustomer(unknown)", tx.UpdateCustomer(newCustomer(msisdnA)), smsgw.ENotFound)
		return nil
	})
}

func testCustomerUpdate(t *testing.T, s smsgw.Store) {
	MustUpdate(t, s, func(tx smsgw.Tx) error {
		if err := tx.CreateCustomer(newCustomer(msisdnA)); err != nil {
			return err
		}
		return tx.CreateCustomer(newCustomer(msisdnB))
	})
	tests := []struct {
		name string
		edit func(*smsgw.Customer)
	}{
		{"lock", func(c *smsgw.Customer) { c.PINFailures, c.LockedUntil = 3, ptr(at(30*time.Minute)) }},
		{"new PIN", func(c *smsgw.Customer) {
			c.PINHash, c.PINSalt, c.PINFailures, c.LockedUntil = []byte("new-hash"), []byte("new-salt"), 0, nil
		}},
		{"one failure", func(c *smsgw.Customer) { c.PINFailures = 1 }},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var want *smsgw.Customer
			MustUpdate(t, s, func(tx smsgw.Tx) error {
				c, err := tx.Customer(msisdnA)
				if err != nil {
					return err
				}
				tc.edit(c)
				c.UpdatedAt = at(time.Duration(i+1) * time.Minute)
				want = c
				return tx.UpdateCustomer(c)
			})
			MustView(t, s, func(tx smsgw.Tx) error {
				got, err := tx.Customer(msisdnA)
				if err != nil {
					return err
				}
				same(t, "Customer(A)", got, want)
				other, err := tx.Customer(msisdnB)
				if err != nil {
					return err
				}
				same(t, "Customer(B)", other, newCustomer(msisdnB))
				return nil
			})
		})
	}
}

func testCustomerList(t *testing.T, s smsgw.Store) {
	all := []smsgw.MSISDN{"628110000005", "628110000001", "628110000004", "628110000002", "628110000003"}
	MustUpdate(t, s, func(tx smsgw.Tx) error {
		for _, m := range all {
			if err := tx.CreateCustomer(newCustomer(m)); err != nil {
				return err
			}
		}
		return nil
	})
	var got []smsgw.MSISDN
	after := smsgw.MSISDN("")
	for page := 0; page < 10; page++ {
		var cs []smsgw.Customer
		MustView(t, s, func(tx smsgw.Tx) (err error) {
			cs, err = tx.Customers(after, 2)
			return err
		})
		if len(cs) > 2 {
			t.Fatalf("Customers(%q, 2) returned %d rows", after, len(cs))
		}
		if len(cs) == 0 {
			break
		}
		for _, c := range cs {
			got = append(got, c.MSISDN)
		}
		after = cs[len(cs)-1].MSISDN
	}
	want := slices.Clone(all)
	slices.Sort(want)
	same(t, "Customers pages", got, want)
}

func testUnlockDue(t *testing.T, s smsgw.Store) {
	now := at(time.Hour)
	customers := map[smsgw.MSISDN]*time.Time{
		"628110000001": ptr(now.Add(-time.Minute)), // lock over
		"628110000002": ptr(now),                   // ends exactly now
		"628110000003": ptr(now.Add(time.Second)),  // still locked
		"628110000004": nil,                        // never locked
	}
	MustUpdate(t, s, func(tx smsgw.Tx) error {
		for m, until := range customers {
			c := newCustomer(m)
			c.LockedUntil = until
			if until != nil {
				c.PINFailures = 3
			}
			if err := tx.CreateCustomer(c); err != nil {
				return err
			}
		}
		return nil
	})
	var got []smsgw.MSISDN
	MustUpdate(t, s, func(tx smsgw.Tx) (err error) {
		got, err = tx.UnlockDue(now)
		return err
	})
	same(t, "UnlockDue(now)", got, []smsgw.MSISDN{"628110000001", "628110000002"})
	MustView(t, s, func(tx smsgw.Tx) error {
		for m, until := range customers {
			c, err := tx.Customer(m)
			if err != nil {
				return err
			}
			unlocked := until != nil && !until.After(now)
			switch {
			case unlocked && (c.LockedUntil != nil || c.PINFailures != 0):
				t.Errorf("Customer(%s) after UnlockDue = locked %v, failures %d; want unlocked, 0", m, c.LockedUntil, c.PINFailures)
			case !unlocked && until != nil && (c.LockedUntil == nil || !c.LockedUntil.Equal(*until) || c.PINFailures != 3):
				t.Errorf("Customer(%s) after UnlockDue = locked %v, failures %d; want %v, 3", m, c.LockedUntil, c.PINFailures, *until)
			}
		}
		return nil
	})
	MustUpdate(t, s, func(tx smsgw.Tx) (err error) {
		got, err = tx.UnlockDue(now)
		return err
	})
	if len(got) != 0 {
		t.Errorf("second UnlockDue(now) = %v, want none", got)
	}
}

// Accounts and ledger.

func testAccountCreateGet(t *testing.T, s smsgw.Store) {
	a := &smsgw.Account{ID: walletA, Kind: smsgw.KindWallet, Owner: msisdnA, Balance: 999, CreatedAt: t0}
	MustUpdate(t, s, func(tx smsgw.Tx) error { return tx.CreateAccount(a) })
	if a.Balance != 0 {
		t.Errorf("CreateAccount set Balance = %d, want 0", a.Balance)
	}
	MustView(t, s, func(tx smsgw.Tx) error {
		got, err := tx.Account(walletA)
		if err != nil {
			return err
		}
		same(t, "Account(walletA)", got, &smsgw.Account{ID: walletA, Kind: smsgw.KindWallet, Owner: msisdnA, CreatedAt: t0})
		_, err = tx.Account("wallet:none")
		wantCode(t, "Account(unknown)", err, smsgw.ENotFound)
		return nil
	})
	err := s.Update(t.Context(), func(tx smsgw.Tx) error {
		return tx.CreateAccount(&smsgw.Account{ID: walletA, Kind: smsgw.KindWallet, CreatedAt: t0})
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
	same(t, "balances(settlement, walletA)", balances(t, s, settlement, walletA), []smsgw.Amount{-50_000, 50_000})
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
			account smsgw.AccountID
			amount  smsgw.Amount
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
	same(t, "balances(settlement, A, B)", balances(t, s, settlement, walletA, walletB), []smsgw.Amount{-50_000, 30_000, 20_000})
	MustView(t, s, func(tx smsgw.Tx) error {
		es, err := tx.Entries(walletA, 0, 10)
		if err != nil {
			return err
		}
		got := []smsgw.Amount{}
		for _, e := range es {
			got = append(got, e.Amount, e.BalanceAfter)
		}
		same(t, "Entries(walletA) amounts and balances", got, []smsgw.Amount{50_000, 50_000, -20_000, 30_000})
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
			same(t, "balances(settlement, A, B)", balances(t, s, settlement, walletA, walletB), []smsgw.Amount{-50_000, 50_000, 0})
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
	want := map[smsgw.AccountID]smsgw.Amount{settlement: -15_000, deposit: 5_000, walletA: 10_000, walletB: 0}
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
			ids := []smsgw.AccountID{settlement, deposit, walletA, walletB}
			wantBal := []smsgw.Amount{want[settlement], want[deposit], want[walletA], want[walletB]}
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
	same(t, "balances", balances(t, s, settlement, walletA), []smsgw.Amount{0, 0})
	MustView(t, s, func(tx smsgw.Tx) error {
		for _, a := range []smsgw.AccountID{settlement, walletA} {
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
		tr := newTransfer(fmt.Sprintf("l:%d", i), settlement, walletA, smsgw.Amount(1000*(i+1)))
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
		var running smsgw.Amount
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

// Sessions.

func testSessionOnePerMSISDN(t *testing.T, s smsgw.Store) {
	first := newSession(msisdnA, 50_000, t0)
	MustUpdate(t, s, func(tx smsgw.Tx) error { return tx.CreateSession(first) })
	if first.ID == 0 || first.State != smsgw.StateAwaitingPIN {
		t.Fatalf("CreateSession set ID %d, State %q; want an ID and awaiting_pin", first.ID, first.State)
	}
	second := newSession(msisdnA, 75_000, at(time.Minute))
	MustUpdate(t, s, func(tx smsgw.Tx) error {
		wantCode(t, "CreateSession(second open)", tx.CreateSession(second), smsgw.EBusy)
		return nil
	})
	other := newSession(msisdnB, 75_000, at(time.Minute))
	MustUpdate(t, s, func(tx smsgw.Tx) error { return tx.CreateSession(other) })
	MustView(t, s, func(tx smsgw.Tx) error {
		got, err := tx.OpenSession(msisdnA)
		if err != nil {
			return err
		}
		same(t, "OpenSession(A)", got, first)
		got, err = tx.Session(other.ID)
		if err != nil {
			return err
		}
		same(t, "Session(other)", got, other)
		_, err = tx.OpenSession(msisdnC)
		wantCode(t, "OpenSession(none)", err, smsgw.ENotFound)
		_, err = tx.Session(other.ID + 100)
		wantCode(t, "Session(unknown)", err, smsgw.ENotFound)
		all, err := tx.Sessions(smsgw.SessionFilter{MSISDN: msisdnA})
		if err != nil {
			return err
		}
		if len(all) != 1 {
			t.Errorf("Sessions(A) = %d sessions, want 1 (the refused one is not written)", len(all))
		}
		return nil
	})
	// Once resolved, the MSISDN may open a new session.
	MustUpdate(t, s, func(tx smsgw.Tx) error {
		first.State, first.ResolvedAt = smsgw.StateCancelled, ptr(at(2*time.Minute))
		if err := tx.ResolveSession(first); err != nil {
			return err
		}
		return tx.CreateSession(second)
	})
	MustView(t, s, func(tx smsgw.Tx) error {
		got, err := tx.OpenSession(msisdnA)
		if err != nil {
			return err
		}
		if got.ID != second.ID {
			t.Errorf("OpenSession(A).ID = %d, want %d", got.ID, second.ID)
		}
		return nil
	})
}

func testSessionResolve(t *testing.T, s smsgw.Store) {
	seedAccounts(t, s)
	sess := newSession(msisdnA, 50_000, t0)
	pinMO := newMO(msisdnA, "k:pin", "****", at(time.Minute))
	MustUpdate(t, s, func(tx smsgw.Tx) error {
		if err := tx.CreateSession(sess); err != nil {
			return err
		}
		return tx.InsertMO(pinMO, nil)
	})
	tr := newTransfer("session:x", settlement, walletA, 50_000)
	tr.SessionID = sess.ID
	MustUpdate(t, s, func(tx smsgw.Tx) error {
		if err := tx.Transfer(tr); err != nil {
			return err
		}
		sess.State = smsgw.StateConfirmed
		sess.Attempts = 1
		sess.ResolvedAt = ptr(at(2 * time.Minute))
		sess.PINMessage = pinMO.ID
		sess.TransferID = tr.ID
		return tx.ResolveSession(sess)
	})
	MustView(t, s, func(tx smsgw.Tx) error {
		got, err := tx.Session(sess.ID)
		if err != nil {
			return err
		}
		same(t, "Session(resolved)", got, sess)
		_, err = tx.OpenSession(msisdnA)
		wantCode(t, "OpenSession(A) after resolve", err, smsgw.ENotFound)
		return nil
	})
	tests := []struct {
		name  string
		state smsgw.SessionState
		id    int64
		want  string
	}{
		{"again", smsgw.StateExpired, sess.ID, smsgw.EConflict},
		{"same state again", smsgw.StateConfirmed, sess.ID, smsgw.EConflict},
		{"unknown", smsgw.StateExpired, sess.ID + 100, smsgw.ENotFound},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			MustUpdate(t, s, func(tx smsgw.Tx) error {
				again := *sess
				again.ID, again.State, again.ResolvedAt, again.TransferID = tc.id, tc.state, ptr(at(3*time.Minute)), 0
				wantCode(t, "ResolveSession", tx.ResolveSession(&again), tc.want)
				return nil
			})
		})
	}
	MustView(t, s, func(tx smsgw.Tx) error {
		got, err := tx.Session(sess.ID)
		if err != nil {
			return err
		}
		same(t, "Session after refused resolves", got, sess)
		return nil
	})
}

func testSessionAttempts(t *testing.T, s smsgw.Store) {
	sess := newSession(msisdnA, 50_000, t0)
	MustUpdate(t, s, func(tx smsgw.Tx) error { return tx.CreateSession(sess) })
	MustUpdate(t, s, func(tx smsgw.Tx) error { return tx.SetSessionAttempts(sess.ID, 2) })
	MustView(t, s, func(tx smsgw.Tx) error {
		got, err := tx.Session(sess.ID)
		if err != nil {
			return err
		}
		if got.Attempts != 2 || got.State != smsgw.StateAwaitingPIN {
			t.Errorf("Session after SetSessionAttempts(2) = attempts %d, state %q; want 2, awaiting_pin", got.Attempts, got.State)
		}
		return nil
	})
	MustUpdate(t, s, func(tx smsgw.Tx) error {
		wantCode(t, "SetSessionAttempts(unknown)", tx.SetSessionAttempts(sess.ID+100, 1), smsgw.ENotFound)
		sess.State, sess.Attempts, sess.ResolvedAt = smsgw.StateLocked, 3, ptr(at(time.Minute))
		if err := tx.ResolveSession(sess); err != nil {
			return err
		}
		wantCode(t, "SetSessionAttempts(resolved)", tx.SetSessionAttempts(sess.ID, 9), smsgw.EConflict)
		return nil
	})
	MustView(t, s, func(tx smsgw.Tx) error {
		got, err := tx.Session(sess.ID)
		if err != nil {
			return err
		}
		same(t, "Session(locked)", got, sess)
		return nil
	})
}

func testSessionExpired(t *testing.T, s smsgw.Store) {
	mk := func(m smsgw.MSISDN, expires time.Duration) *smsgw.Session {
		sess := newSession(m, 10_000, t0)
		sess.ExpiresAt = at(expires)
		return sess
	}
	s1 := mk("628110000001", time.Minute)
	s2 := mk("628110000002", 5*time.Minute)
	s3 := mk("628110000003", 3*time.Minute)
	s4 := mk("628110000004", 2*time.Minute) // resolved below
	MustUpdate(t, s, func(tx smsgw.Tx) error {
		for _, sess := range []*smsgw.Session{s1, s2, s3, s4} {
			if err := tx.CreateSession(sess); err != nil {
				return err
			}
		}
		s4.State, s4.ResolvedAt = smsgw.StateCancelled, ptr(at(30*time.Second))
		return tx.ResolveSession(s4)
	})
	tests := []struct {
		now   time.Time
		limit int
		want  []int64
	}{
		{t0, 10, nil},
		{at(time.Minute), 10, []int64{s1.ID}},
		{at(3 * time.Minute), 10, []int64{s1.ID, s3.ID}},
		{at(10 * time.Minute), 10, []int64{s1.ID, s2.ID, s3.ID}},
		{at(10 * time.Minute), 2, nil}, // any two of them
	}
	for _, tc := range tests {
		var got []smsgw.Session
		MustView(t, s, func(tx smsgw.Tx) (err error) {
			got, err = tx.ExpiredSessions(tc.now, tc.limit)
			return err
		})
		gotIDs := sessionIDs(got)
		slices.Sort(gotIDs)
		if tc.want == nil && tc.limit == 2 {
			if len(got) != 2 {
				t.Errorf("ExpiredSessions(%v, 2) = %v, want two sessions", tc.now, gotIDs)
			}
			continue
		}
		if len(gotIDs) == 0 {
			gotIDs = nil
		}
		same(t, fmt.Sprintf("ExpiredSessions(%v, %d) ids", tc.now, tc.limit), gotIDs, tc.want)
	}
}

func testSessionFilter(t *testing.T, s smsgw.Store) {
	// Sessions, oldest first: A open, B expired, A cancelled, C confirmed(no transfer needed).
	var ss []*smsgw.Session
	MustUpdate(t, s, func(tx smsgw.Tx) error {
		mk := func(m smsgw.MSISDN, created time.Duration, final smsgw.SessionState) error {
			sess := newSession(m, 10_000, at(created))
			if err := tx.CreateSession(sess); err != nil {
				return err
			}
			if final != "" {
				sess.State, sess.ResolvedAt = final, ptr(at(created+time.Minute))
				if err := tx.ResolveSession(sess); err != nil {
					return err
				}
			}
			ss = append(ss, sess)
			return nil
		}
		if err := mk(msisdnA, 0, smsgw.StateCancelled); err != nil {
			return err
		}
		if err := mk(msisdnB, time.Minute, smsgw.StateExpired); err != nil {
			return err
		}
		if err := mk(msisdnA, 2*time.Minute, ""); err != nil {
			return err
		}
		return mk(msisdnC, 3*time.Minute, smsgw.StateFailed)
	})
	id := func(i int) int64 { return ss[i].ID }
	tests := []struct {
		name string
		f    smsgw.SessionFilter
		want []int64
	}{
		{"all", smsgw.SessionFilter{}, []int64{id(3), id(2), id(1), id(0)}},
		{"msisdn", smsgw.SessionFilter{MSISDN: msisdnA}, []int64{id(2), id(0)}},
		{"state", smsgw.SessionFilter{State: smsgw.StateExpired}, []int64{id(1)}},
		{"open", smsgw.SessionFilter{State: smsgw.StateAwaitingPIN}, []int64{id(2)}},
		{"since inclusive", smsgw.SessionFilter{Since: at(time.Minute)}, []int64{id(3), id(2), id(1)}},
		{"until exclusive", smsgw.SessionFilter{Until: at(2 * time.Minute)}, []int64{id(1), id(0)}},
		{"window", smsgw.SessionFilter{Since: at(time.Minute), Until: at(3 * time.Minute)}, []int64{id(2), id(1)}},
		{"limit", smsgw.SessionFilter{Limit: 2}, []int64{id(3), id(2)}},
		{"offset", smsgw.SessionFilter{Limit: 2, Offset: 1}, []int64{id(2), id(1)}},
		{"combined", smsgw.SessionFilter{MSISDN: msisdnA, State: smsgw.StateCancelled}, []int64{id(0)}},
		{"none", smsgw.SessionFilter{MSISDN: "628119999999"}, []int64{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []smsgw.Session
			MustView(t, s, func(tx smsgw.Tx) (err error) {
				got, err = tx.Sessions(tc.f)
				return err
			})
			same(t, fmt.Sprintf("Sessions(%+v) ids", tc.f), sessionIDs(got), tc.want)
		})
	}
	MustView(t, s, func(tx smsgw.Tx) error {
		got, err := tx.Sessions(smsgw.SessionFilter{State: smsgw.StateExpired})
		if err != nil {
			return err
		}
		if len(got) == 1 {
			same(t, "Sessions(expired)[0]", got[0], *ss[1])
		}
		return nil
	})
}

// SMS log, inbox and outbox.

func testMOInsertPending(t *testing.T, s smsgw.Store) {
	pin := newMO(msisdnA, "smsc:628110000001:abc", "****", t0)
	pin.ShortCode, pin.Keyword, pin.SMSCIDs = "3355", "PIN_REPLY", []string{"abc"}
	secret := []byte{1, 2, 3, 0, 255}
	ussd := newMO(msisdnB, "text:ussd", "IM2PAY 0811 50000", at(time.Second))
	ussd.Channel, ussd.USSDSession = smsgw.ChannelUSSD, "ussd-42"
	MustUpdate(t, s, func(tx smsgw.Tx) error {
		if err := tx.InsertMO(pin, secret); err != nil {
			return err
		}
		return tx.InsertMO(ussd, nil)
	})
	if pin.ID == 0 || ussd.ID == 0 || pin.ID == ussd.ID {
		t.Fatalf("InsertMO set IDs %d and %d, want two distinct IDs", pin.ID, ussd.ID)
	}
	MustView(t, s, func(tx smsgw.Tx) error {
		got, err := tx.Message(pin.ID)
		if err != nil {
			return err
		}
		same(t, "Message(pin)", got, pin)
		got, err = tx.Message(ussd.ID)
		if err != nil {
			return err
		}
		same(t, "Message(ussd)", got, ussd)
		_, err = tx.Message(ussd.ID + 100)
		wantCode(t, "Message(unknown)", err, smsgw.ENotFound)

		pending, err := tx.PendingMOs(10)
		if err != nil {
			return err
		}
		same(t, "PendingMOs(10)", pending, []smsgw.InboundMO{{Message: *pin, Secret: secret}, {Message: *ussd}})
		pending, err = tx.PendingMOs(1)
		if err != nil {
			return err
		}
		same(t, "PendingMOs(1) ids", ids(pending, func(m smsgw.InboundMO) int64 { return m.ID }), []int64{pin.ID})
		return nil
	})
}

func testMORedelivery(t *testing.T, s smsgw.Store) {
	const key = "text:k"
	insert := func(m smsgw.MSISDN, key, link string, when time.Time) *smsgw.Message {
		t.Helper()
		mo := newMO(m, key, "SALDO", when)
		mo.Link = link
		MustUpdate(t, s, func(tx smsgw.Tx) error { return tx.InsertMO(mo, nil) })
		return mo
	}
	candidates := func(key string, since time.Time) []smsgw.RedeliveryRecord {
		t.Helper()
		var got []smsgw.RedeliveryRecord
		MustView(t, s, func(tx smsgw.Tx) (err error) {
			got, err = tx.RedeliveryCandidates(key, since)
			return err
		})
		return got
	}
	// Every MO is stored, the same key or not: deciding what is a
	// redelivery is the gateway's business.
	a := insert(msisdnA, key, "L1", t0)
	b := insert(msisdnA, key, "L1", at(time.Second))
	c := insert(msisdnA, key, "L2", at(2*time.Second))
	insert(msisdnA, "text:other", "L1", at(3*time.Second))
	noKey := insert(msisdnB, "", "L1", at(4*time.Second))
	if a.ID == b.ID || b.ID == c.ID {
		t.Fatalf("IDs %d, %d, %d; want distinct", a.ID, b.ID, c.ID)
	}
	MustView(t, s, func(tx smsgw.Tx) error {
		ps, err := tx.PendingMOs(10)
		if len(ps) != 5 {
			t.Errorf("PendingMOs() = %d rows, want 5", len(ps))
		}
		return err
	})
	want := []smsgw.RedeliveryRecord{
		{SMSID: a.ID, Key: key, Link: "L1", CreatedAt: t0},
		{SMSID: b.ID, Key: key, Link: "L1", CreatedAt: at(time.Second)},
		{SMSID: c.ID, Key: key, Link: "L2", CreatedAt: at(2 * time.Second)},
	}
	same(t, "RedeliveryCandidates(all)", candidates(key, t0), want)
	same(t, "RedeliveryCandidates(since t0+1s)", candidates(key, at(time.Second)), want[1:])
	if got := candidates("", t0); len(got) != 0 {
		t.Errorf("RedeliveryCandidates(\"\") = %+v, want none: an MO without key is not recorded", got)
	}
	_ = noKey

	// Lost marks the records whose link ended unconfirmed.
	var n int64
	MustUpdate(t, s, func(tx smsgw.Tx) (err error) {
		n, err = tx.MarkMOsLost([]smsgw.RedeliveryRecord{
			{SMSID: b.ID, Link: "L1"}, {SMSID: c.ID, Link: "L2"},
			{SMSID: a.ID, Link: "L2"}, // another link: a's record is on L1
			{SMSID: noKey.ID, Link: "L1"},
		})
		return err
	})
	if n != 2 {
		t.Errorf("MarkMOsLost() = %d, want 2", n)
	}
	want[1].Lost, want[2].Lost = true, true
	same(t, "RedeliveryCandidates(after lost)", candidates(key, t0), want)

	// Relink follows a redelivery to its new link, open again; a late mark
	// for the old link leaves it open.
	MustUpdate(t, s, func(tx smsgw.Tx) error { return tx.RelinkRedelivery(b.ID, "L3") })
	MustUpdate(t, s, func(tx smsgw.Tx) (err error) {
		n, err = tx.MarkMOsLost([]smsgw.RedeliveryRecord{{SMSID: b.ID, Link: "L1"}})
		return err
	})
	if n != 0 {
		t.Errorf("MarkMOsLost(old link after relink) = %d, want 0", n)
	}
	want[1].Link, want[1].Lost = "L3", false
	same(t, "RedeliveryCandidates(after relink)", candidates(key, t0), want)
	MustUpdate(t, s, func(tx smsgw.Tx) error {
		wantCode(t, "RelinkRedelivery(unknown)", tx.RelinkRedelivery(noKey.ID, "L3"), smsgw.ENotFound)
		return nil
	})

	// Forget drops records (confirmed acknowledgements), not messages.
	MustUpdate(t, s, func(tx smsgw.Tx) (err error) {
		n, err = tx.ForgetMOs([]int64{a.ID, c.ID, noKey.ID, c.ID + 1000})
		return err
	})
	if n != 2 {
		t.Errorf("ForgetMOs() = %d, want 2", n)
	}
	same(t, "RedeliveryCandidates(after forget)", candidates(key, t0), want[1:2])
	MustView(t, s, func(tx smsgw.Tx) error {
		got, err := tx.Message(a.ID)
		if err != nil {
			return err
		}
		wantMsg := *a
		wantMsg.Link = "" // the link is not part of the SMS log
		same(t, "Message(forgotten)", got, &wantMsg)
		return nil
	})

	// A rolled back insert leaves no record.
	rb := newMO(msisdnB, "text:rolled-back", "HELP", t0)
	rb.Link = "L1"
	err := s.Update(t.Context(), func(tx smsgw.Tx) error {
		if err := tx.InsertMO(rb, nil); err != nil {
			return err
		}
		return errors.New("abort")
	})
	if err == nil {
		t.Fatal("Update() = nil, want the abort error")
	}
	if got := candidates("text:rolled-back", t0); len(got) != 0 {
		t.Errorf("RedeliveryCandidates(rolled back) = %+v, want none", got)
	}
}

func testMOFinish(t *testing.T, s smsgw.Store) {
	seedAccounts(t, s)
	mo := newMO(msisdnA, "k:1", "****", t0)
	other := newMO(msisdnB, "k:2", "HELP", at(time.Second))
	sess := newSession(msisdnA, 50_000, t0)
	tr := newTransfer("session:f", settlement, walletA, 50_000)
	MustUpdate(t, s, func(tx smsgw.Tx) error {
		if err := tx.InsertMO(mo, []byte("verifier")); err != nil {
			return err
		}
		if err := tx.InsertMO(other, nil); err != nil {
			return err
		}
		if err := tx.CreateSession(sess); err != nil {
			return err
		}
		return tx.Transfer(tr)
	})
	MustUpdate(t, s, func(tx smsgw.Tx) error { return tx.FinishMO(mo.ID, "PIN_REPLY", sess.ID, tr.ID) })
	MustView(t, s, func(tx smsgw.Tx) error {
		got, err := tx.Message(mo.ID)
		if err != nil {
			return err
		}
		if got.Status != smsgw.MsgProcessed || got.Keyword != "PIN_REPLY" || got.SessionID != sess.ID || got.TransferID != tr.ID {
			t.Errorf("Message after FinishMO = status %q keyword %q session %d transfer %d; want %q %q %d %d",
				got.Status, got.Keyword, got.SessionID, got.TransferID, smsgw.MsgProcessed, "PIN_REPLY", sess.ID, tr.ID)
		}
		if got.Text != mo.Text || got.MSISDN != mo.MSISDN {
			t.Errorf("Message after FinishMO = text %q msisdn %q, want them unchanged", got.Text, got.MSISDN)
		}
		ps, err := tx.PendingMOs(10)
		if err != nil {
			return err
		}
		same(t, "PendingMOs ids after FinishMO", ids(ps, func(m smsgw.InboundMO) int64 { return m.ID }), []int64{other.ID})
		return nil
	})
	// Zero links stay empty.
	MustUpdate(t, s, func(tx smsgw.Tx) error { return tx.FinishMO(other.ID, "HELP", 0, 0) })
	MustView(t, s, func(tx smsgw.Tx) error {
		got, err := tx.Message(other.ID)
		if err != nil {
			return err
		}
		if got.SessionID != 0 || got.TransferID != 0 || got.Status != smsgw.MsgProcessed {
			t.Errorf("Message(other) after FinishMO(0, 0) = session %d transfer %d status %q", got.SessionID, got.TransferID, got.Status)
		}
		ps, err := tx.PendingMOs(10)
		if err != nil {
			return err
		}
		if len(ps) != 0 {
			t.Errorf("PendingMOs() = %d rows, want none", len(ps))
		}
		return nil
	})
	mt := newMT(msisdnA, "hello", t0)
	MustUpdate(t, s, func(tx smsgw.Tx) error { return tx.EnqueueMT(mt) })
	tests := []struct {
		name string
		id   int64
		want string
	}{
		{"again", mo.ID, smsgw.EConflict},
		{"unknown", mt.ID + 100, smsgw.ENotFound},
		{"an MT", mt.ID, smsgw.ENotFound},
	}
	for _, tc := range tests {
		MustUpdate(t, s, func(tx smsgw.Tx) error {
			wantCode(t, "FinishMO("+tc.name+")", tx.FinishMO(tc.id, "X", 0, 0), tc.want)
			return nil
		})
	}
	MustView(t, s, func(tx smsgw.Tx) error {
		got, err := tx.Message(mo.ID)
		if err != nil {
			return err
		}
		if got.Keyword != "PIN_REPLY" || got.SessionID != sess.ID {
			t.Errorf("Message after refused FinishMO = keyword %q session %d, want unchanged", got.Keyword, got.SessionID)
		}
		return nil
	})
}

func testPurgeDedup(t *testing.T, s smsgw.Store) {
	old := newMO(msisdnA, "k:old", "HELP", t0)
	recent := newMO(msisdnA, "k:recent", "HELP", at(10*time.Minute))
	MustUpdate(t, s, func(tx smsgw.Tx) error {
		if err := tx.InsertMO(old, nil); err != nil {
			return err
		}
		return tx.InsertMO(recent, nil)
	})
	var n int64
	MustUpdate(t, s, func(tx smsgw.Tx) (err error) {
		n, err = tx.PurgeDedup(at(10 * time.Minute))
		return err
	})
	if n != 1 {
		t.Errorf("PurgeDedup(t0+10m) = %d, want 1 (created before is exclusive)", n)
	}
	MustView(t, s, func(tx smsgw.Tx) error {
		got, err := tx.RedeliveryCandidates("k:old", time.Time{})
		if len(got) != 0 {
			t.Errorf("RedeliveryCandidates(purged) = %+v, want none", got)
		}
		if err != nil {
			return err
		}
		if got, err = tx.RedeliveryCandidates("k:recent", time.Time{}); len(got) != 1 {
			t.Errorf("RedeliveryCandidates(kept) = %+v, want one", got)
		}
		if err != nil {
			return err
		}
		m, err := tx.Message(old.ID)
		if err != nil {
			return err
		}
		same(t, "Message(old) after purge", m, old)
		return nil
	})
	MustUpdate(t, s, func(tx smsgw.Tx) (err error) {
		n, err = tx.PurgeDedup(at(time.Hour))
		return err
	})
	if n != 1 {
		t.Errorf("PurgeDedup(t0+1h) = %d, want 1", n)
	}
}

func testOutbox(t *testing.T, s smsgw.Store) {
	m1 := newMT(msisdnA, "one", t0)
	m2 := newMT(msisdnB, "two", at(10*time.Second))
	m3 := newMT(msisdnA, "three", t0)
	m3.Channel, m3.USSDSession = smsgw.ChannelUSSD, "ussd-1"
	MustUpdate(t, s, func(tx smsgw.Tx) error {
		for _, m := range []*smsgw.Message{m1, m2, m3} {
			if err := tx.EnqueueMT(m); err != nil {
				return err
			}
		}
		return nil
	})
	due := func(now time.Time, limit int) []smsgw.Message {
		t.Helper()
		var ms []smsgw.Message
		MustView(t, s, func(tx smsgw.Tx) (err error) {
			ms, err = tx.DueMTs(now, limit)
			return err
		})
		return ms
	}
	msg := func(id int64) *smsgw.Message {
		t.Helper()
		var m *smsgw.Message
		MustView(t, s, func(tx smsgw.Tx) (err error) {
			m, err = tx.Message(id)
			return err
		})
		return m
	}
	same(t, "DueMTs(t0)", due(t0, 10), []smsgw.Message{*m1, *m3})
	same(t, "DueMTs(t0, 1) ids", msgIDs(due(t0, 1)), []int64{m1.ID})
	same(t, "DueMTs(t0+10s) ids", msgIDs(due(at(10*time.Second), 10)), []int64{m1.ID, m2.ID, m3.ID})
	same(t, "DueMTs(t0-1s) ids", msgIDs(due(at(-time.Second), 10)), []int64{})

	MustUpdate(t, s, func(tx smsgw.Tx) error { return tx.MarkMTRetry(m1.ID, "throttled", at(time.Minute)) })
	got := msg(m1.ID)
	if got.Status != smsgw.MsgQueued || got.Attempts != 1 || got.LastError != "throttled" || !got.NextAttempt.Equal(at(time.Minute)) {
		t.Errorf("Message after MarkMTRetry = status %q attempts %d error %q next %v; want queued, 1, throttled, %v",
			got.Status, got.Attempts, got.LastError, got.NextAttempt, at(time.Minute))
	}
	same(t, "DueMTs(t0+10s) ids after retry", msgIDs(due(at(10*time.Second), 10)), []int64{m2.ID, m3.ID})
	same(t, "DueMTs(t0+1m) ids after retry", msgIDs(due(at(time.Minute), 10)), []int64{m1.ID, m2.ID, m3.ID})

	MustUpdate(t, s, func(tx smsgw.Tx) error {
		return tx.MarkMTSent(m2.ID, []string{"smsc-2a", "smsc-2b"}, at(20*time.Second))
	})
	got = msg(m2.ID)
	if got.Status != smsgw.MsgSent || got.Attempts != 1 || !slices.Equal(got.SMSCIDs, []string{"smsc-2a", "smsc-2b"}) {
		t.Errorf("Message after MarkMTSent = status %q attempts %d SMSC ids %q; want sent, 1, [smsc-2a smsc-2b]",
			got.Status, got.Attempts, got.SMSCIDs)
	}
	if !got.UpdatedAt.Equal(at(20 * time.Second)) {
		t.Errorf("Message after MarkMTSent UpdatedAt = %v, want %v", got.UpdatedAt, at(20*time.Second))
	}

	MustUpdate(t, s, func(tx smsgw.Tx) error { return tx.MarkMTFailed(m3.ID, "invalid destination", at(30*time.Second)) })
	got = msg(m3.ID)
	if got.Status != smsgw.MsgFailed || got.Attempts != 1 || got.LastError != "invalid destination" {
		t.Errorf("Message after MarkMTFailed = status %q attempts %d error %q; want failed, 1, invalid destination",
			got.Status, got.Attempts, got.LastError)
	}
	same(t, "DueMTs(t0+1h) ids", msgIDs(due(at(time.Hour), 10)), []int64{m1.ID})

	tests := []struct {
		name string
		call func(smsgw.Tx) error
	}{
		{"MarkMTSent(sent)", func(tx smsgw.Tx) error { return tx.MarkMTSent(m2.ID, []string{"x"}, t0) }},
		{"MarkMTRetry(sent)", func(tx smsgw.Tx) error { return tx.MarkMTRetry(m2.ID, "x", t0) }},
		{"MarkMTFailed(sent)", func(tx smsgw.Tx) error { return tx.MarkMTFailed(m2.ID, "x", t0) }},
		{"MarkMTSent(failed)", func(tx smsgw.Tx) error { return tx.MarkMTSent(m3.ID, []string{"x"}, t0) }},
		{"MarkMTRetry(unknown)", func(tx smsgw.Tx) error { return tx.MarkMTRetry(m3.ID+100, "x", t0) }},
		{"MarkMTFailed(unknown)", func(tx smsgw.Tx) error { return tx.MarkMTFailed(m3.ID+100, "x", t0) }},
	}
	for _, tc := range tests {
		MustUpdate(t, s, func(tx smsgw.Tx) error {
			wantCode(t, tc.name, tc.call(tx), smsgw.ENotFound)
			return nil
		})
	}
	if got := msg(m2.ID); got.Status != smsgw.MsgSent || got.Attempts != 1 || len(got.SMSCIDs) != 2 {
		t.Errorf("Message(m2) after refused marks = status %q attempts %d ids %q, want unchanged", got.Status, got.Attempts, got.SMSCIDs)
	}
}

func testDLR(t *testing.T, s smsgw.Store) {
	long := newMT(msisdnA, "a long reply in two parts", t0)
	short := newMT(msisdnB, "short", t0)
	in := newMO(msisdnA, "k:in", "HELP", t0)
	in.SMSCIDs = []string{"in-1"}
	MustUpdate(t, s, func(tx smsgw.Tx) error {
		if err := tx.EnqueueMT(long); err != nil {
			return err
		}
		if err := tx.EnqueueMT(short); err != nil {
			return err
		}
		if err := tx.InsertMO(in, nil); err != nil {
			return err
		}
		if err := tx.MarkMTSent(long.ID, []string{"Part-1", "Part-2"}, t0); err != nil {
			return err
		}
		return tx.MarkMTSent(short.ID, []string{"Short-1"}, t0)
	})
	steps := []struct {
		smscID, state, errCode string
		want                   string // error code of UpdateDLR
		id                     int64
		wantStatus, wantDLR    string
	}{
		{"Part-2", smsgw.MsgDelivered, "000", "", long.ID, smsgw.MsgSent, smsgw.MsgDelivered},
		{"Part-1", "enroute", "", "", long.ID, smsgw.MsgSent, "enroute"},
		{"Part-1", smsgw.MsgDelivered, "000", "", long.ID, smsgw.MsgDelivered, smsgw.MsgDelivered},
		{"Short-1", smsgw.MsgUndeliv, "001", "", short.ID, smsgw.MsgUndeliv, smsgw.MsgUndeliv},
		{"part-1", smsgw.MsgDelivered, "", smsgw.ENotFound, 0, "", ""}, // exact match only
		{"in-1", smsgw.MsgDelivered, "", smsgw.ENotFound, 0, "", ""},   // an MO is not an MT
		{"nope", smsgw.MsgDelivered, "", smsgw.ENotFound, 0, "", ""},
	}
	for i, st := range steps {
		when := at(time.Duration(i+1) * time.Minute)
		MustUpdate(t, s, func(tx smsgw.Tx) error {
			wantCode(t, fmt.Sprintf("UpdateDLR(%q, %q)", st.smscID, st.state), tx.UpdateDLR(st.smscID, st.state, st.errCode, when), st.want)
			return nil
		})
		if st.id == 0 {
			continue
		}
		MustView(t, s, func(tx smsgw.Tx) error {
			got, err := tx.Message(st.id)
			if err != nil {
				return err
			}
			if got.Status != st.wantStatus || got.DLRState != st.wantDLR || got.DLRError != st.errCode {
				t.Errorf("after UpdateDLR(%q, %q): Message = status %q, DLR %q/%q; want %q, %q/%q",
					st.smscID, st.state, got.Status, got.DLRState, got.DLRError, st.wantStatus, st.wantDLR, st.errCode)
			}
			return nil
		})
	}
	MustView(t, s, func(tx smsgw.Tx) error {
		got, err := tx.Message(in.ID)
		if err != nil {
			return err
		}
		if got.DLRState != "" || got.Status != smsgw.MsgReceived {
			t.Errorf("Message(MO) = DLR %q status %q, want untouched", got.DLRState, got.Status)
		}
		return nil
	})
}

func testMessageFilter(t *testing.T, s smsgw.Store) {
	seedAccounts(t, s)
	var m [4]*smsgw.Message
	var sess *smsgw.Session
	var tr *smsgw.Transfer
	MustUpdate(t, s, func(tx smsgw.Tx) error {
		m[0] = newMO(msisdnA, "k:0", "IM2PAY 0811 50000", t0)
		if err := tx.InsertMO(m[0], nil); err != nil {
			return err
		}
		sess = newSession(msisdnA, 50_000, t0)
		sess.RequestMessage = m[0].ID
		if err := tx.CreateSession(sess); err != nil {
			return err
		}
		m[1] = newMT(msisdnA, "PIN?", at(time.Minute))
		m[1].Keyword, m[1].SessionID = "PIN_PROMPT", sess.ID
		if err := tx.EnqueueMT(m[1]); err != nil {
			return err
		}
		m[2] = newMO(msisdnB, "k:2", "****", at(2*time.Minute))
		m[2].ShortCode, m[2].Keyword = "3355", "PIN_REPLY"
		if err := tx.InsertMO(m[2], nil); err != nil {
			return err
		}
		tr = newTransfer("k:t", settlement, walletB, 10_000)
		if err := tx.Transfer(tr); err != nil {
			return err
		}
		m[3] = newMT(msisdnB, "OK", at(3*time.Minute))
		m[3].ShortCode, m[3].Keyword, m[3].TransferID = "3355", "SUCCESS", tr.ID
		return tx.EnqueueMT(m[3])
	})
	id := func(i int) int64 { return m[i].ID }
	tests := []struct {
		name string
		f    smsgw.MessageFilter
		want []int64
	}{
		{"all", smsgw.MessageFilter{}, []int64{id(3), id(2), id(1), id(0)}},
		{"msisdn", smsgw.MessageFilter{MSISDN: msisdnA}, []int64{id(1), id(0)}},
		{"short code", smsgw.MessageFilter{ShortCode: "3355"}, []int64{id(3), id(2)}},
		{"keyword", smsgw.MessageFilter{Keyword: "PIN_REPLY"}, []int64{id(2)}},
		{"direction", smsgw.MessageFilter{Direction: smsgw.DirOut}, []int64{id(3), id(1)}},
		{"status", smsgw.MessageFilter{Status: smsgw.MsgReceived}, []int64{id(2), id(0)}},
		{"since inclusive", smsgw.MessageFilter{Since: at(time.Minute)}, []int64{id(3), id(2), id(1)}},
		{"until exclusive", smsgw.MessageFilter{Until: at(2 * time.Minute)}, []int64{id(1), id(0)}},
		{"session", smsgw.MessageFilter{SessionID: sess.ID}, []int64{id(1)}},
		{"transfer", smsgw.MessageFilter{TransferID: tr.ID}, []int64{id(3)}},
		{"limit", smsgw.MessageFilter{Limit: 2}, []int64{id(3), id(2)}},
		{"offset", smsgw.MessageFilter{Limit: 2, Offset: 1}, []int64{id(2), id(1)}},
		{"combined", smsgw.MessageFilter{MSISDN: msisdnB, Direction: smsgw.DirIn}, []int64{id(2)}},
		{"none", smsgw.MessageFilter{Keyword: "NOPE"}, []int64{}},
		{"quote in value", smsgw.MessageFilter{Keyword: "x' OR '1'='1"}, []int64{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []smsgw.Message
			MustView(t, s, func(tx smsgw.Tx) (err error) {
				got, err = tx.Messages(tc.f)
				return err
			})
			same(t, fmt.Sprintf("Messages(%+v) ids", tc.f), msgIDs(got), tc.want)
		})
	}
	MustView(t, s, func(tx smsgw.Tx) error {
		got, err := tx.Messages(smsgw.MessageFilter{TransferID: tr.ID})
		if err != nil {
			return err
		}
		same(t, "Messages(transfer)", got, []smsgw.Message{*m[3]})
		return nil
	})
}

func testSummary(t *testing.T, s smsgw.Store) {
	seedAccounts(t, s)
	from, to := t0, at(24*time.Hour)
	type spec struct {
		msisdn  smsgw.MSISDN
		created time.Duration
		state   smsgw.SessionState
		amount  smsgw.Amount
	}
	specs := []spec{
		{"628110000001", -time.Hour, smsgw.StateConfirmed, 10_000}, // before the window
		{"628110000002", 0, smsgw.StateConfirmed, 50_000},          // first instant
		{"628110000003", time.Hour, smsgw.StateConfirmed, 75_000},
		{"628110000004", 2 * time.Hour, smsgw.StateExpired, 20_000},
		{"628110000005", 3 * time.Hour, smsgw.StateLocked, 20_000},
		{"628110000006", 4 * time.Hour, smsgw.StateExpired, 20_000},
		{"628110000007", 5 * time.Hour, "", 20_000},                    // still open
		{"628110000008", 24 * time.Hour, smsgw.StateConfirmed, 30_000}, // the window's end is exclusive
	}
	MustUpdate(t, s, func(tx smsgw.Tx) error {
		for i, sp := range specs {
			sess := newSession(sp.msisdn, sp.amount, at(sp.created))
			if err := tx.CreateSession(sess); err != nil {
				return err
			}
			if sp.state == "" {
				continue
			}
			if sp.state == smsgw.StateConfirmed {
				tr := newTransfer(fmt.Sprintf("session:%d", sess.ID), settlement, walletA, sp.amount)
				tr.SessionID = sess.ID
				if err := tx.Transfer(tr); err != nil {
					return err
				}
				sess.TransferID = tr.ID
			}
			sess.State, sess.ResolvedAt = sp.state, ptr(at(sp.created+time.Minute))
			if err := tx.ResolveSession(sess); err != nil {
				return fmt.Errorf("resolve %d: %w", i, err)
			}
		}
		msgs := []*smsgw.Message{
			newMO(msisdnA, "s:1", "x", at(-time.Second)),
			newMO(msisdnA, "s:2", "x", t0),
			newMO(msisdnA, "s:3", "x", at(time.Hour)),
			newMT(msisdnA, "x", at(time.Hour)),
			newMT(msisdnA, "x", at(24*time.Hour)),
		}
		for _, m := range msgs {
			var err error
			if m.Direction == smsgw.DirIn {
				err = tx.InsertMO(m, nil)
			} else {
				err = tx.EnqueueMT(m)
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
	var got smsgw.Summary
	MustView(t, s, func(tx smsgw.Tx) (err error) {
		got, err = tx.Summary(from, to)
		return err
	})
	want := smsgw.Summary{
		From: from, To: to,
		ByState: map[smsgw.SessionState]int{
			smsgw.StateConfirmed: 2, smsgw.StateExpired: 2, smsgw.StateLocked: 1, smsgw.StateAwaitingPIN: 1,
		},
		Credited: 125_000, CreditedCount: 2, MOs: 2, MTs: 1,
	}
	same(t, "Summary(t0, t0+24h)", got, want)
	MustView(t, s, func(tx smsgw.Tx) (err error) {
		got, err = tx.Summary(at(-48*time.Hour), at(-24*time.Hour))
		return err
	})
	same(t, "Summary(empty window)", got, smsgw.Summary{From: at(-48 * time.Hour), To: at(-24 * time.Hour), ByState: map[smsgw.SessionState]int{}})
}

// testFlowPINTopUp runs the transaction of a confirmed PIN the way the
// gateway does: everything in one Update, every link pointing at real rows.
func testFlowPINTopUp(t *testing.T, s smsgw.Store) {
	seedAccounts(t, s)
	MustUpdate(t, s, func(tx smsgw.Tx) error { return tx.CreateCustomer(newCustomer(msisdnA)) })
	request := newMO(msisdnA, "smsc:1", "IM2PAY 08110000002 50000", t0)
	var sess *smsgw.Session
	MustUpdate(t, s, func(tx smsgw.Tx) error { return tx.InsertMO(request, nil) })
	MustUpdate(t, s, func(tx smsgw.Tx) error {
		sess = newSession(msisdnA, 50_000, at(time.Second))
		sess.Account, sess.RequestMessage = msisdnB, request.ID
		if err := tx.CreateSession(sess); err != nil {
			return err
		}
		prompt := newMT(msisdnA, "PIN?", at(time.Second))
		prompt.SessionID = sess.ID
		if err := tx.EnqueueMT(prompt); err != nil {
			return err
		}
		return tx.FinishMO(request.ID, "IM2PAY", sess.ID, 0)
	})
	pin := newMO(msisdnA, "smsc:2", "****", at(time.Minute))
	pin.ShortCode, pin.Keyword = "3355", "PIN_REPLY"
	MustUpdate(t, s, func(tx smsgw.Tx) error { return tx.InsertMO(pin, []byte("verifier")) })
	var tr *smsgw.Transfer
	MustUpdate(t, s, func(tx smsgw.Tx) error {
		ps, err := tx.PendingMOs(10)
		if err != nil {
			return err
		}
		if len(ps) != 1 || ps[0].ID != pin.ID || string(ps[0].Secret) != "verifier" {
			return fmt.Errorf("PendingMOs() = %+v, want the PIN MO with its secret", ps)
		}
		open, err := tx.OpenSession(msisdnA)
		if err != nil {
			return err
		}
		tr = &smsgw.Transfer{
			IdempotencyKey: fmt.Sprintf("session:%d", open.ID), RequestHash: "h", Kind: smsgw.TransferSMSTopUp,
			From: settlement, To: smsgw.WalletID(open.Account), Amount: open.Amount,
			SessionID: open.ID, MessageID: open.RequestMessage, Reference: "SMS1",
		}
		if err := tx.Transfer(tr); err != nil {
			return err
		}
		c, err := tx.Customer(msisdnA)
		if err != nil {
			return err
		}
		c.PINFailures = 0
		if err := tx.UpdateCustomer(c); err != nil {
			return err
		}
		open.State, open.PINMessage, open.TransferID, open.ResolvedAt = smsgw.StateConfirmed, pin.ID, tr.ID, ptr(at(time.Minute))
		if err := tx.ResolveSession(open); err != nil {
			return err
		}
		reply := newMT(msisdnA, "OK", at(time.Minute))
		reply.ShortCode, reply.SessionID, reply.TransferID = "3355", open.ID, tr.ID
		if err := tx.EnqueueMT(reply); err != nil {
			return err
		}
		return tx.FinishMO(pin.ID, "PIN_REPLY", open.ID, tr.ID)
	})
	same(t, "balances(settlement, walletB)", balances(t, s, settlement, walletB), []smsgw.Amount{-50_000, 50_000})
	MustView(t, s, func(tx smsgw.Tx) error {
		got, err := tx.Session(sess.ID)
		if err != nil {
			return err
		}
		if got.State != smsgw.StateConfirmed || got.TransferID != tr.ID || got.PINMessage != pin.ID || got.RequestMessage != request.ID {
			t.Errorf("Session = %+v, want confirmed with transfer %d, PIN message %d, request %d", got, tr.ID, pin.ID, request.ID)
		}
		due, err := tx.DueMTs(at(time.Hour), 10)
		if err != nil {
			return err
		}
		if len(due) != 2 {
			t.Errorf("DueMTs() = %d messages, want the prompt and the reply", len(due))
		}
		ms, err := tx.Messages(smsgw.MessageFilter{SessionID: sess.ID})
		if err != nil {
			return err
		}
		if len(ms) != 4 {
			t.Errorf("Messages(session) = %d messages, want 4 (request, prompt, PIN, reply)", len(ms))
		}
		ps, err := tx.PendingMOs(10)
		if err != nil {
			return err
		}
		if len(ps) != 0 {
			t.Errorf("PendingMOs() = %d rows, want none", len(ps))
		}
		return nil
	})
}

// Transactions.

var errAbort = errors.New("storetest: abort")

func testRollbackOnError(t *testing.T, s smsgw.Store) {
	seedAccounts(t, s)
	mo := newMO(msisdnA, "k:rb", "HELP", t0)
	err := s.Update(t.Context(), func(tx smsgw.Tx) error {
		if err := tx.CreateCustomer(newCustomer(msisdnA)); err != nil {
			return err
		}
		if err := tx.Transfer(newTransfer("rb:1", settlement, walletA, 100)); err != nil {
			return err
		}
		if err := tx.InsertMO(mo, nil); err != nil {
			return err
		}
		return fmt.Errorf("wrapped: %w", errAbort)
	})
	if !errors.Is(err, errAbort) {
		t.Fatalf("Update(fn failing) = %v, want fn's error", err)
	}
	assertEmpty(t, s, mo)
}

func testRollbackOnPanic(t *testing.T, s smsgw.Store) {
	seedAccounts(t, s)
	mo := newMO(msisdnA, "k:panic", "HELP", t0)
	func() {
		defer func() {
			if r := recover(); r != errAbort {
				t.Errorf("recover() = %v, want the panic value of fn", r)
			}
		}()
		_ = s.Update(t.Context(), func(tx smsgw.Tx) error {
			if err := tx.CreateCustomer(newCustomer(msisdnA)); err != nil {
				return err
			}
			if err := tx.Transfer(newTransfer("rb:1", settlement, walletA, 100)); err != nil {
				return err
			}
			if err := tx.InsertMO(mo, nil); err != nil {
				return err
			}
			panic(errAbort)
		})
	}()
	assertEmpty(t, s, mo)
	// The store is still usable: the transaction was released.
	MustUpdate(t, s, func(tx smsgw.Tx) error { return tx.CreateCustomer(newCustomer(msisdnB)) })
}

// assertEmpty checks that nothing of the rolled back transactions above is
// visible.
func assertEmpty(t *testing.T, s smsgw.Store, mo *smsgw.Message) {
	t.Helper()
	MustView(t, s, func(tx smsgw.Tx) error {
		_, err := tx.Customer(msisdnA)
		wantCode(t, "Customer(rolled back)", err, smsgw.ENotFound)
		_, err = tx.TransferByKey("rb:1")
		wantCode(t, "TransferByKey(rolled back)", err, smsgw.ENotFound)
		ms, err := tx.Messages(smsgw.MessageFilter{})
		if err != nil {
			return err
		}
		if len(ms) != 0 {
			t.Errorf("Messages() = %d rows after rollback, want none", len(ms))
		}
		return nil
	})
	same(t, "balances after rollback", balances(t, s, settlement, walletA), []smsgw.Amount{0, 0})
	// The rolled back key is free.
	MustUpdate(t, s, func(tx smsgw.Tx) error { return tx.InsertMO(newMO(msisdnA, mo.DedupKey, "HELP", t0), nil) })
}

func testViewCannotWrite(t *testing.T, s smsgw.Store) {
	seedAccounts(t, s)
	writes := []struct {
		name string
		call func(smsgw.Tx) error
	}{
		{"CreateCustomer", func(tx smsgw.Tx) error { return tx.CreateCustomer(newCustomer(msisdnA)) }},
		{"Transfer", func(tx smsgw.Tx) error { return tx.Transfer(newTransfer("v:1", settlement, walletA, 100)) }},
		{"InsertMO", func(tx smsgw.Tx) error { return tx.InsertMO(newMO(msisdnA, "k:v", "HELP", t0), nil) }},
		{"EnqueueMT", func(tx smsgw.Tx) error { return tx.EnqueueMT(newMT(msisdnA, "x", t0)) }},
		{"CreateSession", func(tx smsgw.Tx) error { return tx.CreateSession(newSession(msisdnA, 100, t0)) }},
	}
	for _, w := range writes {
		t.Run(w.name, func(t *testing.T) {
			err := s.View(t.Context(), w.call)
			if err == nil {
				t.Errorf("View(%s) = nil, want an error", w.name)
			}
		})
	}
	MustView(t, s, func(tx smsgw.Tx) error {
		_, err := tx.Customer(msisdnA)
		wantCode(t, "Customer after View write", err, smsgw.ENotFound)
		_, err = tx.TransferByKey("v:1")
		wantCode(t, "TransferByKey after View write", err, smsgw.ENotFound)
		ms, err := tx.Messages(smsgw.MessageFilter{})
		if err != nil {
			return err
		}
		ss, err := tx.Sessions(smsgw.SessionFilter{})
		if err != nil {
			return err
		}
		if len(ms) != 0 || len(ss) != 0 {
			t.Errorf("after writes in View: %d messages, %d sessions; want none", len(ms), len(ss))
		}
		return nil
	})
	same(t, "balances after View writes", balances(t, s, settlement, walletA), []smsgw.Amount{0, 0})
}

func testCanceled(t *testing.T, s smsgw.Store) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	called := false
	err := s.Update(ctx, func(tx smsgw.Tx) error {
		called = true
		return tx.CreateCustomer(newCustomer(msisdnA))
	})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Update(canceled ctx) = %v, want context.Canceled", err)
	}
	if called {
		t.Errorf("Update(canceled ctx) called fn")
	}
	ctx, cancel = context.WithCancel(t.Context())
	err = s.Update(ctx, func(tx smsgw.Tx) error {
		if err := tx.CreateCustomer(newCustomer(msisdnB)); err != nil {
			return err
		}
		cancel()
		return nil
	})
	if err == nil {
		t.Errorf("Update(ctx canceled inside fn) = nil, want an error")
	}
	MustView(t, s, func(tx smsgw.Tx) error {
		for _, m := range []smsgw.MSISDN{msisdnA, msisdnB} {
			_, err := tx.Customer(m)
			wantCode(t, fmt.Sprintf("Customer(%s) after canceled Update", m), err, smsgw.ENotFound)
		}
		return nil
	})
}

// Concurrency.

func testConcurrentTransfers(t *testing.T, s smsgw.Store) {
	seedAccounts(t, s)
	const workers, each = 20, 10
	var wg sync.WaitGroup
	errs := make(chan error, workers*each+workers)
	stop := make(chan struct{})
	var readers sync.WaitGroup
	// Readers check that every snapshot balances while writers run.
	for r := range 2 {
		readers.Add(1)
		go func() {
			defer readers.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				err := s.View(t.Context(), func(tx smsgw.Tx) error {
					var total smsgw.Amount
					for _, id := range []smsgw.AccountID{settlement, walletA, walletB} {
						a, err := tx.Account(id)
						if err != nil {
							return err
						}
						total += a.Balance
					}
					if total != 0 {
						return fmt.Errorf("reader %d: balances sum to %d in one snapshot, want 0", r, total)
					}
					return nil
				})
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			to := walletA
			if w%2 == 1 {
				to = walletB
			}
			for i := range each {
				tr := newTransfer(fmt.Sprintf("c:%d:%d", w, i), settlement, to, smsgw.Amount(w+1))
				if err := s.Update(t.Context(), func(tx smsgw.Tx) error { return tx.Transfer(tr) }); err != nil {
					errs <- fmt.Errorf("worker %d transfer %d: %w", w, i, err)
				}
			}
		}()
	}
	wg.Wait()
	close(stop)
	readers.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	var wantA, wantB smsgw.Amount
	for w := range workers {
		if w%2 == 1 {
			wantB += smsgw.Amount((w + 1) * each)
		} else {
			wantA += smsgw.Amount((w + 1) * each)
		}
	}
	same(t, "balances(settlement, A, B)", balances(t, s, settlement, walletA, walletB), []smsgw.Amount{-(wantA + wantB), wantA, wantB})
	MustView(t, s, func(tx smsgw.Tx) error {
		sum, err := tx.LedgerSum()
		if err != nil {
			return err
		}
		if sum != 0 {
			t.Errorf("LedgerSum() = %d, want 0", sum)
		}
		es, err := tx.Entries(settlement, 0, workers*each+1)
		if err != nil {
			return err
		}
		if len(es) != workers*each {
			t.Errorf("Entries(settlement) = %d, want %d", len(es), workers*each)
		}
		var running smsgw.Amount
		for _, e := range es {
			running += e.Amount
			if e.BalanceAfter != running {
				t.Fatalf("entry %d BalanceAfter = %d, want %d", e.ID, e.BalanceAfter, running)
			}
		}
		return nil
	})
}

// testConcurrentReadModifyWrite increments a counter read in Go from many
// goroutines: Update transactions must be serialisable, so none is lost.
func testConcurrentReadModifyWrite(t *testing.T, s smsgw.Store) {
	MustUpdate(t, s, func(tx smsgw.Tx) error { return tx.CreateCustomer(newCustomer(msisdnA)) })
	const workers, each = 20, 5
	var wg sync.WaitGroup
	errs := make(chan error, workers*each)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range each {
				err := s.Update(t.Context(), func(tx smsgw.Tx) error {
					c, err := tx.Customer(msisdnA)
					if err != nil {
						return err
					}
					c.PINFailures++
					return tx.UpdateCustomer(c)
				})
				if err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	MustView(t, s, func(tx smsgw.Tx) error {
		c, err := tx.Customer(msisdnA)
		if err != nil {
			return err
		}
		if c.PINFailures != workers*each {
			t.Errorf("PINFailures after %d increments = %d", workers*each, c.PINFailures)
		}
		return nil
	})
}
