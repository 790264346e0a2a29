package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/smsgw/smsgw/domain"
	"github.com/smsgw/smsgw/smsgw"
)

// txTests are the contract of smsgw.Store's transactions: a whole PIN top-up
// in one Update, rollback on error and panic, no writes in View, cancelled
// contexts, and concurrent Update calls (no lost update, every snapshot
// balanced).
var txTests = []test{
	{"Flow/PINTopUp", testFlowPINTopUp},
	{"Tx/RollbackOnError", testRollbackOnError},
	{"Tx/RollbackOnPanic", testRollbackOnPanic},
	{"Tx/ViewCannotWrite", testViewCannotWrite},
	{"Tx/Canceled", testCanceled},
	{"Concurrent/Transfers", testConcurrentTransfers},
	{"Concurrent/ReadModifyWrite", testConcurrentReadModifyWrite},
	{"Jobs/OncePerTick", testJobOncePerTick},
	{"Jobs/RunNotJoined", testJobRunNotJoined},
}

// TestTx runs txTests as subtests; see Run for open.
func TestTx(t *testing.T, open func(t *testing.T) smsgw.Store) { run(t, open, txTests) }

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
			From: settlement, To: domain.WalletID(open.Account), Amount: open.Amount,
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
	same(t, "balances(settlement, walletB)", balances(t, s, settlement, walletB), []domain.Amount{-50_000, 50_000})
	MustView(t, s, func(tx smsgw.Tx) error {
		got, err := tx.Session(sess.ID)
		if err != nil {
			return err
		}
		if got.State != smsgw.StateConfirmed || got.TransferID != tr.ID || got.PINMessage != pin.ID || got.RequestMessage != request.ID {
			t.Errorf("Session = %+v, want confirmed with transfer %d, PIN message %d, request %d", got, tr.ID, pin.ID, request.ID)
		}
		due, err := tx.DueMTs(at(time.Hour), nil, 10)
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
	same(t, "balances after rollback", balances(t, s, settlement, walletA), []domain.Amount{0, 0})
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
	same(t, "balances after View writes", balances(t, s, settlement, walletA), []domain.Amount{0, 0})
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
		for _, m := range []domain.MSISDN{msisdnA, msisdnB} {
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
					var total domain.Amount
					for _, id := range []domain.AccountID{settlement, walletA, walletB} {
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
				tr := newTransfer(fmt.Sprintf("c:%d:%d", w, i), settlement, to, domain.Amount(w+1))
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
	var wantA, wantB domain.Amount
	for w := range workers {
		if w%2 == 1 {
			wantB += domain.Amount((w + 1) * each)
		} else {
			wantA += domain.Amount((w + 1) * each)
		}
	}
	same(t, "balances(settlement, A, B)", balances(t, s, settlement, walletA, walletB), []domain.Amount{-(wantA + wantB), wantA, wantB})
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
		var running domain.Amount
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

// testJobOncePerTick: of the nodes that claim a job's tick, one gets it,
// also when they claim at once.
func testJobOncePerTick(t *testing.T, s smsgw.Store) {
	claim := func(job string, tick time.Time, node string) bool {
		t.Helper()
		var ok bool
		MustUpdate(t, s, func(tx smsgw.Tx) (err error) {
			ok, err = tx.ClaimJobRun(job, tick, node, tick)
			return err
		})
		return ok
	}
	if !claim("expire", t0, "a") {
		t.Error("first claim of a tick = false, want true")
	}
	if claim("expire", t0, "b") || claim("expire", t0, "a") {
		t.Error("second claim of the same tick = true, want false")
	}
	if !claim("expire", at(time.Second), "b") || !claim("unlock", t0, "b") {
		t.Error("claim of another tick or job = false, want true")
	}
	// Many nodes at once: one wins each tick.
	var wins atomic.Int64
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var ok bool
			err := s.Update(t.Context(), func(tx smsgw.Tx) (err error) {
				ok, err = tx.ClaimJobRun("race", t0, fmt.Sprint("n", i), t0)
				return err
			})
			if err != nil {
				t.Errorf("ClaimJobRun: %v", err)
			} else if ok {
				wins.Add(1) // counted once committed (fn may run again)
			}
		}()
	}
	wg.Wait()
	if n := wins.Load(); n != 1 {
		t.Errorf("%d of 8 concurrent claims of one tick won, want 1", n)
	}
	MustUpdate(t, s, func(tx smsgw.Tx) error {
		_, err := tx.ClaimJobRun("", t0, "a", t0)
		wantCode(t, "ClaimJobRun(no job)", err, smsgw.EInvalid)
		wantCode(t, "FinishJobRun(no run)", tx.FinishJobRun("expire", at(time.Hour)), smsgw.ENotFound)
		return nil
	})
}

// testJobRunNotJoined: while a run is unfinished and before its deadline,
// no later tick of the job is run; once it is finished, or its deadline
// has passed (its node died), the next tick runs.
func testJobRunNotJoined(t *testing.T, s smsgw.Store) {
	claim := func(job string, tick time.Time, node string, deadline time.Time) bool {
		t.Helper()
		var ok bool
		MustUpdate(t, s, func(tx smsgw.Tx) (err error) {
			ok, err = tx.ClaimJobRun(job, tick, node, deadline)
			return err
		})
		return ok
	}
	if !claim("callbacks", t0, "a", at(time.Minute)) {
		t.Fatal("first claim = false")
	}
	if claim("callbacks", at(10*time.Second), "b", at(70*time.Second)) {
		t.Error("a tick claimed while the run of an earlier one goes on")
	}
	if !claim("other", at(10*time.Second), "b", at(70*time.Second)) {
		t.Error("another job held back by a running one")
	}
	if !claim("callbacks", at(time.Minute), "b", at(2*time.Minute)) {
		t.Error("a tick after the running one's deadline (its node died) = false")
	}
	MustUpdate(t, s, func(tx smsgw.Tx) error { return tx.FinishJobRun("callbacks", at(time.Minute)) })
	if !claim("callbacks", at(70*time.Second), "a", at(130*time.Second)) {
		t.Error("a tick after the run finished = false")
	}
}
