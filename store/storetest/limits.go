package storetest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/smsgw/smsgw/domain"
	"github.com/smsgw/smsgw/smsgw"
)

// TestLimits is the contract of smsgw.LimitStore: rate buckets by key with
// an optional refusal, the distinct accounts of a sender, and their purge.
func TestLimits(t *testing.T, open func(t *testing.T) smsgw.Store) { run(t, open, limitTests) }

var limitTests = []test{
	{"Limits/RateBucket", testRateBucket},
	{"Limits/RateBlock", testRateBlock},
	{"Limits/RateConcurrent", testRateConcurrent},
	{"Limits/Accounts", testUseAccount},
	{"Limits/Purge", testPurgeLimits},
	{"Limits/Invalid", testLimitsInvalid},
}

func take(t *testing.T, s smsgw.Store, key string, r smsgw.Rate, at time.Time) smsgw.RateVerdict {
	t.Helper()
	var v smsgw.RateVerdict
	MustUpdate(t, s, func(tx smsgw.Tx) (err error) {
		v, err = tx.TakeRate(key, r, at)
		return err
	})
	return v
}

// A bucket of 3 refilled one per 20 s: three at once, then one every 20 s;
// a refused event uses nothing up; keys are independent.
func testRateBucket(t *testing.T, s smsgw.Store) {
	r := smsgw.Rate{Interval: 20 * time.Second, Burst: 3}
	for i := range 3 {
		if v := take(t, s, "k", r, t0); !v.OK {
			t.Fatalf("event %d of the burst refused: %+v", i+1, v)
		}
	}
	v := take(t, s, "k", r, t0)
	same(t, "4th event at once", v, smsgw.RateVerdict{Until: at(20 * time.Second)})
	if v := take(t, s, "k", r, at(10*time.Second)); v.OK {
		t.Errorf("event 10 s later allowed")
	}
	if v := take(t, s, "other", r, t0); !v.OK {
		t.Errorf("another key is limited too")
	}
	if v := take(t, s, "k", r, at(20*time.Second)); !v.OK {
		t.Errorf("event 20 s later refused: refused events used the bucket up")
	}
	if v := take(t, s, "k", r, at(20*time.Second)); v.OK {
		t.Errorf("two events allowed 20 s later")
	}
	// After a long pause the bucket is full again, and no fuller.
	for i := range 3 {
		if v := take(t, s, "k", r, at(time.Hour)); !v.OK {
			t.Errorf("event %d after an hour refused", i+1)
		}
	}
	if v := take(t, s, "k", r, at(time.Hour)); v.OK {
		t.Errorf("a 4th event after an hour allowed: the bucket holds more than its burst")
	}
}

// With Block, the first event over the bucket starts a refusal (Started,
// once), every event until its end is refused, and the bucket serves again
// afterwards.
func testRateBlock(t *testing.T, s smsgw.Store) {
	r := smsgw.Rate{Interval: 10 * time.Second, Burst: 2, Block: 5 * time.Minute}
	take(t, s, "m", r, t0)
	take(t, s, "m", r, t0)
	v := take(t, s, "m", r, at(time.Second))
	same(t, "first event over the bucket", v, smsgw.RateVerdict{Started: true, Until: at(time.Second + 5*time.Minute)})
	v = take(t, s, "m", r, at(time.Minute))
	same(t, "event during the refusal", v, smsgw.RateVerdict{Until: at(time.Second + 5*time.Minute)})
	if v := take(t, s, "m", r, at(5*time.Minute)); v.OK || v.Started {
		t.Errorf("event before the refusal ends = %+v, want refused, not started", v)
	}
	if v := take(t, s, "m", r, at(time.Second+5*time.Minute)); !v.OK {
		t.Errorf("event as the refusal ends refused: %+v", v)
	}
}

// Concurrent events on one key take exactly the burst.
func testRateConcurrent(t *testing.T, s smsgw.Store) {
	r := smsgw.Rate{Interval: time.Hour, Burst: 5}
	var (
		wg sync.WaitGroup
		mu sync.Mutex
		ok int
	)
	for range 20 {
		wg.Go(func() {
			var v smsgw.RateVerdict
			err := s.Update(t.Context(), func(tx smsgw.Tx) (err error) {
				v, err = tx.TakeRate("c", r, t0)
				return err
			})
			if err != nil {
				t.Errorf("TakeRate: %v", err)
				return
			}
			if v.OK {
				mu.Lock()
				ok++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if ok != 5 {
		t.Errorf("%d of 20 concurrent events allowed, want the burst of 5", ok)
	}
}

func testUseAccount(t *testing.T, s smsgw.Store) {
	use := func(account string, when time.Time) (bool, time.Time) {
		t.Helper()
		var (
			ok    bool
			until time.Time
		)
		MustUpdate(t, s, func(tx smsgw.Tx) (err error) {
			ok, until, err = tx.UseAccount(msisdnA, domain.MSISDN(account), when, time.Hour, 2)
			return err
		})
		return ok, until
	}
	if ok, _ := use("628110000010", t0); !ok {
		t.Fatal("first account refused")
	}
	if ok, _ := use("628110000011", at(10*time.Minute)); !ok {
		t.Fatal("second account refused")
	}
	ok, until := use("628110000012", at(20*time.Minute))
	if ok || !until.Equal(at(time.Hour)) {
		t.Errorf("third account = %v until %v, want refused until %v", ok, until, at(time.Hour))
	}
	if ok, _ := use("628110000010", at(30*time.Minute)); !ok {
		t.Errorf("an account asked for within the window refused")
	}
	// The first account was asked for again at 30 min: at 61 min only the
	// second (10 min) has left the window.
	if ok, _ := use("628110000012", at(71*time.Minute)); !ok {
		t.Errorf("a new account once one left the window refused")
	}
	if ok, _ := use("628110000013", at(72*time.Minute)); ok {
		t.Errorf("a third account within the window allowed")
	}
	// Another sender has a window of its own.
	MustUpdate(t, s, func(tx smsgw.Tx) error {
		ok, _, err := tx.UseAccount(msisdnB, "628110000013", at(72*time.Minute), time.Hour, 2)
		if !ok {
			t.Errorf("another sender's account refused")
		}
		return err
	})
}

func testPurgeLimits(t *testing.T, s smsgw.Store) {
	r := smsgw.Rate{Interval: time.Minute, Burst: 1, Block: time.Hour}
	take(t, s, "full", r, t0)    // the bucket is full again at t0+1m
	take(t, s, "blocked", r, t0) // allowed
	take(t, s, "blocked", r, t0) // starts a refusal until t0+1h
	MustUpdate(t, s, func(tx smsgw.Tx) error {
		_, _, err := tx.UseAccount(msisdnA, msisdnB, t0, time.Hour, 5)
		return err
	})
	var n int64
	MustUpdate(t, s, func(tx smsgw.Tx) (err error) {
		n, err = tx.PurgeLimits(at(2*time.Minute), time.Hour)
		return err
	})
	if n != 1 {
		t.Errorf("purge at 2 min removed %d rows, want 1 (the full bucket)", n)
	}
	if v := take(t, s, "blocked", r, at(3*time.Minute)); v.OK {
		t.Errorf("purge forgot a refusal still running")
	}
	MustUpdate(t, s, func(tx smsgw.Tx) (err error) {
		n, err = tx.PurgeLimits(at(2*time.Hour), time.Hour)
		return err
	})
	if n != 2 {
		t.Errorf("purge at 2 h removed %d rows, want 2 (the refusal over, the account out of the window)", n)
	}
}

func testLimitsInvalid(t *testing.T, s smsgw.Store) {
	MustUpdate(t, s, func(tx smsgw.Tx) error {
		_, err := tx.TakeRate("", smsgw.Rate{Interval: time.Second, Burst: 1}, t0)
		wantCode(t, "TakeRate(no key)", err, smsgw.EInvalid)
		_, err = tx.TakeRate("k", smsgw.Rate{Burst: 1}, t0)
		wantCode(t, "TakeRate(no interval)", err, smsgw.EInvalid)
		_, _, err = tx.UseAccount(msisdnA, msisdnB, t0, time.Hour, 0)
		wantCode(t, "UseAccount(max 0)", err, smsgw.EInvalid)
		return nil
	})
}

// TestLogins is the contract of the operator console's logins
// (console.LoginStore) on the store's transaction type.
func TestLogins(t *testing.T, open func(t *testing.T) smsgw.Store) { run(t, open, loginTests) }

var loginTests = []test{
	{"Logins/Lifecycle", testLoginLifecycle},
}

// LoginStore is what TestLogins checks of the store's transaction type:
// the console's logins (the methods of console.LoginStore, declared here
// so that the contract does not depend on the console).
type LoginStore interface {
	// CreateLogin records a login of user at at (EConflict if tokenHash
	// is recorded already).
	CreateLogin(tokenHash, user string, at time.Time) error
	// Login returns the user, start and last use of a login (ENotFound).
	Login(tokenHash string) (user string, created, seen time.Time, err error)
	// TouchLogin records a use of a login (ENotFound).
	TouchLogin(tokenHash string, seen time.Time) error
	// DeleteLogin ends a login (ENotFound).
	DeleteLogin(tokenHash string) error
	// PurgeLogins removes logins started before createdBefore or last
	// used before seenBefore; returns the count.
	PurgeLogins(createdBefore, seenBefore time.Time) (int64, error)
}

func logins(t *testing.T, tx smsgw.Tx) LoginStore {
	t.Helper()
	ls, ok := tx.(LoginStore)
	if !ok {
		t.Fatalf("store transaction %T does not implement the console's LoginStore", tx)
	}
	return ls
}

func testLoginLifecycle(t *testing.T, s smsgw.Store) {
	MustUpdate(t, s, func(tx smsgw.Tx) error {
		ls := logins(t, tx)
		for i, h := range []string{"h1", "h2", "h3"} {
			if err := ls.CreateLogin(h, fmt.Sprint("user", i), at(time.Duration(i)*time.Minute)); err != nil {
				return err
			}
		}
		wantCode(t, "CreateLogin(again)", ls.CreateLogin("h1", "x", t0), smsgw.EConflict)
		return nil
	})
	MustUpdate(t, s, func(tx smsgw.Tx) error {
		ls := logins(t, tx)
		if err := ls.TouchLogin("h1", at(10*time.Minute)); err != nil {
			return err
		}
		if err := ls.TouchLogin("h1", at(5*time.Minute)); err != nil { // never back
			return err
		}
		wantCode(t, "TouchLogin(unknown)", ls.TouchLogin("nope", t0), smsgw.ENotFound)
		wantCode(t, "DeleteLogin(unknown)", ls.DeleteLogin("nope"), smsgw.ENotFound)
		return ls.DeleteLogin("h2")
	})
	MustView(t, s, func(tx smsgw.Tx) error {
		ls := logins(t, tx)
		user, created, seen, err := ls.Login("h1")
		if err != nil {
			return err
		}
		same(t, "Login(h1)", []any{user, created, seen}, []any{"user0", t0, at(10 * time.Minute)})
		_, _, _, err = ls.Login("h2")
		wantCode(t, "Login(deleted)", err, smsgw.ENotFound)
		return nil
	})
	// h1: created t0, seen 10m; h3: created and seen 2m. Purge those
	// created before 1m or seen before 3m: both go.
	MustUpdate(t, s, func(tx smsgw.Tx) error {
		n, err := logins(t, tx).PurgeLogins(at(time.Minute), at(3*time.Minute))
		if n != 2 {
			t.Errorf("PurgeLogins removed %d, want 2", n)
		}
		return err
	})
}
