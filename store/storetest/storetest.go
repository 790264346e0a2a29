package storetest

import (
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/smsgw/smsgw/domain"
	"github.com/smsgw/smsgw/partner"
	"github.com/smsgw/smsgw/smsgw"
)

// Run runs the whole contract of smsgw.Store, smsgw.Tx, partner.Records
// and console.LoginStore as subtests: every area suite below, in this
// order. open must return a new, empty store each time it is called and
// close it when the test ends (t.Cleanup). Subtests do not run in parallel.
//
// A store being brought up area by area calls the area suites it
// implements instead (TestCustomers, TestLedger, ...); each takes the same
// open and names its subtests as Run does.
func Run(t *testing.T, open func(t *testing.T) smsgw.Store) {
	for _, suite := range suites {
		suite(t, open)
	}
}

// suites are the area suites Run runs.
var suites = []func(*testing.T, func(*testing.T) smsgw.Store){
	TestCustomers,
	TestLedger,
	TestSessions,
	TestMessages,
	TestParts,
	TestAudit,
	TestReports,
	TestTx,
	TestPartners,
	TestLimits,
	TestLogins,
	TestCorrections,
}

// test is one contract test; fn gets a new, empty store.
type test struct {
	name string
	fn   func(*testing.T, smsgw.Store)
}

// run runs tests as subtests of t, each on a store of its own.
func run(t *testing.T, open func(t *testing.T) smsgw.Store, tests []test) {
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
	settlement = domain.AccountID("settlement:bank")
	deposit    = domain.AccountID("deposit:partner")
	walletA    = domain.AccountID("wallet:628110000001")
	walletB    = domain.AccountID("wallet:628110000002")
	msisdnA    = domain.MSISDN("628110000001")
	msisdnB    = domain.MSISDN("628110000002")
	msisdnC    = domain.MSISDN("628110000003")
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
			{ID: settlement, Kind: domain.KindSettlement, CreatedAt: t0},
			{ID: deposit, Kind: domain.KindDeposit, CreatedAt: t0},
			{ID: walletA, Kind: domain.KindWallet, Owner: msisdnA, CreatedAt: t0},
			{ID: walletB, Kind: domain.KindWallet, Owner: msisdnB, CreatedAt: t0},
		} {
			if err := tx.CreateAccount(&a); err != nil {
				return fmt.Errorf("create account %s: %w", a.ID, err)
			}
		}
		return nil
	})
}

func newTransfer(key string, from, to domain.AccountID, amount domain.Amount) *smsgw.Transfer {
	return &smsgw.Transfer{
		IdempotencyKey: key, RequestHash: "hash:" + key, Kind: partner.TransferBankVA,
		From: from, To: to, Amount: amount, Reference: "ref:" + key, CreatedAt: t0,
	}
}

// mustTransfer posts one transfer in its own transaction.
func mustTransfer(t *testing.T, s smsgw.Store, tr *smsgw.Transfer) {
	t.Helper()
	MustUpdate(t, s, func(tx smsgw.Tx) error { return tx.Transfer(tr) })
}

func balances(t *testing.T, s smsgw.Store, ids ...domain.AccountID) []domain.Amount {
	t.Helper()
	out := make([]domain.Amount, len(ids))
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

func newCustomer(m domain.MSISDN) *smsgw.Customer {
	return &smsgw.Customer{
		MSISDN: m, Name: "Customer " + string(m), Account: m,
		PINHash: []byte("hash-" + string(m)), PINSalt: []byte("salt-" + string(m)),
		CreatedAt: t0, UpdatedAt: t0,
	}
}

func newSession(m domain.MSISDN, amount domain.Amount, created time.Time) *smsgw.Session {
	return &smsgw.Session{
		MSISDN: m, Account: m, Amount: amount, Channel: smsgw.ChannelSMS,
		CreatedAt: created, ExpiresAt: created.Add(5 * time.Minute),
	}
}

func newMO(m domain.MSISDN, key, text string, created time.Time) *smsgw.Message {
	return &smsgw.Message{
		Direction: smsgw.DirIn, Channel: smsgw.ChannelSMS, ShortCode: "9779", MSISDN: m, Text: text,
		Keyword: "IM2PAY", DedupKey: key, Status: smsgw.MsgReceived, CreatedAt: created, UpdatedAt: created,
	}
}

func newMT(m domain.MSISDN, text string, next time.Time) *smsgw.Message {
	return &smsgw.Message{
		Direction: smsgw.DirOut, Channel: smsgw.ChannelSMS, ShortCode: "9779", MSISDN: m, Text: text,
		Template: "REPLY", Status: smsgw.MsgQueued, NextAttempt: next, CreatedAt: next, UpdatedAt: next,
	}
}
