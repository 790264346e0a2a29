package sqlite

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/smsgw/smsgw/smsgw"
	"github.com/smsgw/smsgw/store/sqlstore"
)

// insertMO writes an MO whose dedup key is key.
func insertMO(tx smsgw.Tx, key string) error {
	m := &smsgw.Message{MSISDN: "628110000001", ShortCode: "3355", Text: "****", Keyword: "PIN_REPLY",
		DedupKey: key, SMSCIDs: []string{key}}
	return tx.InsertMO(m, nil)
}

// stored reports whether the MO with dedup key key is in the database.
func stored(t *testing.T, s *Store, key string) bool {
	t.Helper()
	var n int
	if err := s.r.QueryRowContext(t.Context(), "SELECT count(*) FROM sms_log WHERE dedup_key = ?", key).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n > 0
}

// hold starts an Update whose fn blocks until release is called, so that
// the calls made meanwhile queue behind it and form the next group.
func hold(t *testing.T, s *Store) (release func()) {
	t.Helper()
	key := fmt.Sprint("hold:", holds.Add(1))
	started, rel, done := make(chan struct{}), make(chan struct{}), make(chan error, 1)
	go func() {
		done <- s.Update(context.Background(), func(tx smsgw.Tx) error {
			close(started)
			<-rel
			return insertMO(tx, key)
		})
	}()
	<-started
	return func() {
		close(rel)
		if err := <-done; err != nil {
			t.Errorf("holding Update = %v", err)
		}
	}
}

var holds atomic.Int64

// waitQueued waits until n Update calls wait for the writer.
func waitQueued(t *testing.T, s *Store, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for s.Stats().Queued < n {
		if time.Now().After(deadline) {
			t.Fatalf("Queued = %d, want %d", s.Stats().Queued, n)
		}
		time.Sleep(time.Millisecond)
	}
	time.Sleep(20 * time.Millisecond) // from counted to parked in the queue
}

// group runs fns concurrently as Update calls queued behind one held
// Update, so that they are committed as one group, and returns their
// results in order.
func group(t *testing.T, s *Store, fns ...func(smsgw.Tx) error) []error {
	t.Helper()
	release := hold(t, s)
	errs := make([]error, len(fns))
	var wg sync.WaitGroup
	for i, fn := range fns {
		wg.Go(func() { errs[i] = s.Update(t.Context(), fn) })
	}
	waitQueued(t, s, len(fns))
	release()
	wg.Wait()
	return errs
}

func TestGroupCommitCoalesces(t *testing.T) {
	s := MustOpen(t, tempDB(t), Options{})
	const n = 50
	fns := make([]func(smsgw.Tx) error, n)
	for i := range fns {
		fns[i] = func(tx smsgw.Tx) error { return insertMO(tx, fmt.Sprint("k", i)) }
	}
	for i, err := range group(t, s, fns...) {
		if err != nil {
			t.Errorf("Update %d = %v", i, err)
		}
	}
	for i := range n {
		if !stored(t, s, fmt.Sprint("k", i)) {
			t.Errorf("MO %d not stored", i)
		}
	}
	st := s.Stats()
	if st.Batched != n+1 || st.Commits >= st.Batched || st.MaxBatch < 2 || st.Retried != 0 {
		t.Errorf("Stats() = %+v, want %d calls in fewer commits, none retried", st, n+1)
	}
	t.Logf("Stats() = %+v", st)

	// Many writers without orchestration: all commit, and they share commits.
	var wg sync.WaitGroup
	var failed atomic.Int64
	for g := range 16 {
		wg.Go(func() {
			for i := range 20 {
				if err := s.Update(t.Context(), func(tx smsgw.Tx) error { return insertMO(tx, fmt.Sprint("g", g, ":", i)) }); err != nil {
					t.Errorf("Update = %v", err)
					failed.Add(1)
				}
			}
		})
	}
	wg.Wait()
	if st := s.Stats(); st.Batched != n+1+16*20 || st.Commits >= st.Batched {
		t.Errorf("Stats() = %+v, want %d calls in fewer commits", st, n+1+16*20)
	}
}

func TestGroupCommitMaxBatch(t *testing.T) {
	s := MustOpen(t, tempDB(t), Options{MaxBatch: 4})
	fns := make([]func(smsgw.Tx) error, 10)
	for i := range fns {
		fns[i] = func(tx smsgw.Tx) error { return insertMO(tx, fmt.Sprint("k", i)) }
	}
	for i, err := range group(t, s, fns...) {
		if err != nil {
			t.Errorf("Update %d = %v", i, err)
		}
	}
	if st := s.Stats(); st.Batched != 11 || st.MaxBatch != 4 {
		t.Errorf("Stats() = %+v, want 11 calls, at most 4 per commit", st)
	}
}

func TestGroupCommitFailingCall(t *testing.T) {
	s := MustOpen(t, tempDB(t), Options{})
	abort := errors.New("abort")
	errs := group(t, s,
		func(tx smsgw.Tx) error { return insertMO(tx, "a") },
		func(tx smsgw.Tx) error {
			if err := insertMO(tx, "bad"); err != nil {
				return err
			}
			return abort
		},
		func(tx smsgw.Tx) error { return insertMO(tx, "b") },
		func(tx smsgw.Tx) error { return insertMO(tx, "c") },
	)
	if errs[1] != abort {
		t.Errorf("failing Update = %v, want fn's error unchanged", errs[1])
	}
	for _, i := range []int{0, 2, 3} {
		if errs[i] != nil {
			t.Errorf("Update %d = %v, want nil", i, errs[i])
		}
	}
	for _, k := range []string{"a", "b", "c"} {
		if !stored(t, s, k) {
			t.Errorf("MO %s not stored", k)
		}
	}
	if stored(t, s, "bad") {
		t.Error("the failing Update's MO was stored")
	}
	if st := s.Stats(); st.Commits != 2 || st.Batched != 4 || st.Retried != 0 {
		t.Errorf("Stats() = %+v, want the held call and one group of 3", st)
	}
}

func TestGroupCommitPanickingCall(t *testing.T) {
	s := MustOpen(t, tempDB(t), Options{})
	release := hold(t, s)
	var wg sync.WaitGroup
	errs := make([]error, 3)
	got := make(chan any, 1)
	for i, k := range []string{"a", "bad", "b"} {
		wg.Go(func() {
			if k != "bad" {
				errs[i] = s.Update(t.Context(), func(tx smsgw.Tx) error { return insertMO(tx, k) })
				return
			}
			defer func() { got <- recover() }()
			errs[i] = s.Update(t.Context(), func(tx smsgw.Tx) error {
				if err := insertMO(tx, k); err != nil {
					return err
				}
				panic("boom")
			})
			t.Error("Update returned after fn panicked")
		})
		waitQueued(t, s, i+1)
	}
	release()
	wg.Wait()
	if r := <-got; r != "boom" {
		t.Errorf("recovered %v from Update, want fn's panic", r)
	}
	if errs[0] != nil || errs[2] != nil {
		t.Errorf("other Updates = %v, want nil", errs)
	}
	for k, want := range map[string]bool{"a": true, "b": true, "bad": false} {
		if stored(t, s, k) != want {
			t.Errorf("MO %s stored = %v, want %v", k, !want, want)
		}
	}
	if st := s.Stats(); st.Commits != 2 || st.Batched != 3 {
		t.Errorf("Stats() = %+v, want the held call and one group of 2", st)
	}
	// The writer goroutine survived.
	if err := s.Update(t.Context(), func(tx smsgw.Tx) error { return insertMO(tx, "c") }); err != nil {
		t.Errorf("Update after a panic = %v", err)
	}
}

// runtime.Goexit in a call's function (t.Fatal in a test) ends its caller
// as it would without the store; the calls grouped with it are run again and
// committed, and the store goes on serving Updates and closes cleanly.
func TestGroupCommitGoexitInCall(t *testing.T) {
	s := MustOpen(t, tempDB(t), Options{})
	release := hold(t, s)
	var wg sync.WaitGroup
	errs := make([]error, 4)
	returned := make(chan bool, 1)
	for i, k := range []string{"a", "exit", "bad", "b"} {
		wg.Go(func() {
			switch k {
			case "exit":
				ended := true
				defer func() { returned <- !ended }()
				_ = s.Update(t.Context(), func(tx smsgw.Tx) error {
					if err := insertMO(tx, k); err != nil {
						return err
					}
					runtime.Goexit()
					return nil
				})
				ended = false
			case "bad":
				errs[i] = s.Update(t.Context(), func(tx smsgw.Tx) error {
					if err := insertMO(tx, k); err != nil {
						return err
					}
					return errors.New("refused")
				})
			default:
				errs[i] = s.Update(t.Context(), func(tx smsgw.Tx) error { return insertMO(tx, k) })
			}
		})
		waitQueued(t, s, i+1)
	}
	release()
	wg.Wait()
	if <-returned {
		t.Error("Update returned after fn called runtime.Goexit")
	}
	if errs[0] != nil || errs[3] != nil || errs[2] == nil {
		t.Errorf("other Updates = %v, want nil, -, refused, nil", errs)
	}
	for k, want := range map[string]bool{"a": true, "b": true, "exit": false, "bad": false} {
		if stored(t, s, k) != want {
			t.Errorf("MO %s stored = %v, want %v", k, !want, want)
		}
	}
	// A new writer goroutine took over.
	if err := s.Update(t.Context(), func(tx smsgw.Tx) error { return insertMO(tx, "c") }); err != nil {
		t.Errorf("Update after a Goexit = %v", err)
	}
	if !stored(t, s, "c") {
		t.Error("MO c not stored after a Goexit")
	}
	if err := s.Close(); err != nil {
		t.Errorf("Close() = %v", err)
	}
}

// failFirstGroupCommit makes the first commit of a group of more than one
// call fail, once.
func failFirstGroupCommit(s *Store) {
	var once atomic.Bool
	s.beforeCommit = func(n int) error {
		if n > 1 && once.CompareAndSwap(false, true) {
			return errors.New("injected commit failure")
		}
		return nil
	}
}

// goexits runs Update with fn in a goroutine and reports whether the call
// ended its goroutine (runtime.Goexit) rather than returning.
func goexits(s *Store, fn func(smsgw.Tx) error) <-chan bool {
	ended := make(chan bool, 1)
	go func() {
		returned := false
		defer func() { ended <- !returned }()
		_ = s.Update(context.Background(), fn)
		returned = true
	}()
	return ended
}

// A call that calls runtime.Goexit when its group is run again alone (after
// the group's commit failed) ends its caller; the calls committed alone
// before it are not run again, the calls after it still run.
func TestGroupCommitGoexitInRetry(t *testing.T) {
	s := MustOpen(t, tempDB(t), Options{})
	failFirstGroupCommit(s)
	release := hold(t, s)
	var runs [3]atomic.Int64
	var wg sync.WaitGroup
	errs := make([]error, 3)
	wg.Go(func() {
		errs[0] = s.Update(t.Context(), func(tx smsgw.Tx) error { runs[0].Add(1); return insertMO(tx, "a") })
	})
	waitQueued(t, s, 1)
	exit := goexits(s, func(tx smsgw.Tx) error {
		if runs[1].Add(1) == 2 {
			runtime.Goexit()
		}
		return insertMO(tx, "exit")
	})
	waitQueued(t, s, 2)
	wg.Go(func() {
		errs[2] = s.Update(t.Context(), func(tx smsgw.Tx) error { runs[2].Add(1); return insertMO(tx, "b") })
	})
	waitQueued(t, s, 3)
	release()
	wg.Wait()
	if !<-exit {
		t.Error("Update returned after fn called runtime.Goexit")
	}
	if errs[0] != nil || errs[2] != nil {
		t.Errorf("other Updates = %v, want nil", errs)
	}
	for i, want := range []int64{2, 2, 2} {
		if got := runs[i].Load(); got != want {
			t.Errorf("fn %d ran %d times, want %d (once in the group, once alone)", i, got, want)
		}
	}
	for k, want := range map[string]bool{"a": true, "b": true, "exit": false} {
		if stored(t, s, k) != want {
			t.Errorf("MO %s stored = %v, want %v", k, !want, want)
		}
	}
	if err := s.Close(); err != nil {
		t.Errorf("Close() = %v", err)
	}
}

// A call run again after a Goexit in its group that calls runtime.Goexit
// too does not strand the calls still to be run after it.
func TestGroupCommitGoexitTwice(t *testing.T) {
	s := MustOpen(t, tempDB(t), Options{})
	release := hold(t, s)
	var runs atomic.Int64
	first := goexits(s, func(tx smsgw.Tx) error {
		if runs.Add(1) == 2 {
			runtime.Goexit() // on its run alone, after the group's Goexit
		}
		return insertMO(tx, "a")
	})
	waitQueued(t, s, 1)
	second := goexits(s, func(tx smsgw.Tx) error { runtime.Goexit(); return nil })
	waitQueued(t, s, 2)
	var err error
	done := make(chan struct{})
	go func() {
		defer close(done)
		err = s.Update(t.Context(), func(tx smsgw.Tx) error { return insertMO(tx, "b") })
	}()
	waitQueued(t, s, 3)
	release()
	<-done
	if !<-first || !<-second {
		t.Error("an Update returned after its fn called runtime.Goexit")
	}
	if err != nil || !stored(t, s, "b") || stored(t, s, "a") {
		t.Errorf("Update(b) = %v, stored a %v b %v; want nil, false, true", err, stored(t, s, "a"), stored(t, s, "b"))
	}
	if err := s.Close(); err != nil {
		t.Errorf("Close() = %v", err)
	}
}

// A panic recovered inside fn while a runtime.Goexit unwinds it does not
// stop the Goexit: the caller still ends, and the writer goes on.
func TestGroupCommitPanicDuringGoexit(t *testing.T) {
	s := MustOpen(t, tempDB(t), Options{Logger: discard})
	ended := goexits(s, func(tx smsgw.Tx) error {
		defer func() { panic("while unwinding") }()
		runtime.Goexit()
		return nil
	})
	if !<-ended {
		t.Error("Update returned after fn called runtime.Goexit")
	}
	if err := s.Update(t.Context(), func(tx smsgw.Tx) error { return insertMO(tx, "c") }); err != nil || !stored(t, s, "c") {
		t.Errorf("Update after the Goexit = %v, stored %v; want nil, true", err, stored(t, s, "c"))
	}
	if err := s.Close(); err != nil {
		t.Errorf("Close() = %v", err)
	}
}

// A group whose COMMIT fails runs each of its calls again alone.
func TestGroupCommitFailureRetriesAlone(t *testing.T) {
	s := MustOpen(t, tempDB(t), Options{})
	failFirstGroupCommit(s)
	abort := errors.New("abort")
	runs := make([]atomic.Int64, 4)
	errs := group(t, s,
		func(tx smsgw.Tx) error { runs[0].Add(1); return insertMO(tx, "a") },
		func(tx smsgw.Tx) error { runs[1].Add(1); insertMO(tx, "bad"); return abort },
		func(tx smsgw.Tx) error { runs[2].Add(1); return insertMO(tx, "b") },
		func(tx smsgw.Tx) error { runs[3].Add(1); return insertMO(tx, "c") },
	)
	if errs[0] != nil || errs[2] != nil || errs[3] != nil || errs[1] != abort {
		t.Errorf("Updates = %v, want nil, abort, nil, nil", errs)
	}
	for i, want := range []int64{2, 1, 2, 2} {
		if got := runs[i].Load(); got != want {
			t.Errorf("fn %d ran %d times, want %d", i, got, want)
		}
	}
	for k, want := range map[string]bool{"a": true, "b": true, "c": true, "bad": false} {
		if stored(t, s, k) != want {
			t.Errorf("MO %s stored = %v, want %v", k, !want, want)
		}
	}
	if st := s.Stats(); st.Retried != 3 || st.Commits != 4 {
		t.Errorf("Stats() = %+v, want 3 calls retried, each committed alone", st)
	}
}

// A call that ends the shared transaction behind the store's back breaks
// the group; the others are run again alone and commit, it fails alone.
func TestGroupCommitBrokenTransaction(t *testing.T) {
	s := MustOpen(t, tempDB(t), Options{})
	errs := group(t, s,
		func(tx smsgw.Tx) error { return insertMO(tx, "a") },
		func(stx smsgw.Tx) error {
			if err := insertMO(stx, "bad"); err != nil {
				return err
			}
			_, err := stx.(*sqlstore.Tx).Exec("ROLLBACK")
			return err
		},
		func(tx smsgw.Tx) error { return insertMO(tx, "b") },
	)
	if errs[0] != nil || errs[2] != nil {
		t.Errorf("Updates = %v, want the others to commit", errs)
	}
	if errs[1] == nil {
		t.Error("the breaking Update = nil, want an error")
	}
	for k, want := range map[string]bool{"a": true, "b": true, "bad": false} {
		if stored(t, s, k) != want {
			t.Errorf("MO %s stored = %v, want %v", k, !want, want)
		}
	}
	if st := s.Stats(); st.Retried != 3 {
		t.Errorf("Stats() = %+v, want 3 calls retried", st)
	}
	if err := s.Update(t.Context(), func(tx smsgw.Tx) error { return insertMO(tx, "d") }); err != nil {
		t.Errorf("Update after a broken group = %v", err)
	}
}

func TestUpdateCanceledWhileQueued(t *testing.T) {
	s := MustOpen(t, tempDB(t), Options{})
	for range 20 { // the cancellation races with the writer taking the call
		release := hold(t, s)
		ctx, cancel := context.WithCancel(t.Context())
		var ran atomic.Bool
		done := make(chan error, 1)
		go func() {
			done <- s.Update(ctx, func(tx smsgw.Tx) error { ran.Store(true); return insertMO(tx, "x") })
		}()
		waitQueued(t, s, 1)
		cancel()
		release()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Errorf("Update(ctx canceled while queued) = %v, want context.Canceled", err)
		}
		if ran.Load() {
			t.Error("fn ran after its ctx was canceled in the queue")
		}
	}
	if stored(t, s, "x") {
		t.Error("canceled Update wrote")
	}
}

// A call whose ctx ends while its fn runs in a group is rolled back and
// gets ctx.Err(); the others commit.
func TestGroupCommitCanceledInFn(t *testing.T) {
	s := MustOpen(t, tempDB(t), Options{})
	ctx, cancel := context.WithCancel(t.Context())
	release := hold(t, s)
	var wg sync.WaitGroup
	var canceled, other error
	wg.Go(func() {
		canceled = s.Update(ctx, func(tx smsgw.Tx) error {
			err := insertMO(tx, "bad")
			cancel()
			return err
		})
	})
	waitQueued(t, s, 1)
	wg.Go(func() { other = s.Update(t.Context(), func(tx smsgw.Tx) error { return insertMO(tx, "a") }) })
	waitQueued(t, s, 1)
	release()
	wg.Wait()
	if !errors.Is(canceled, context.Canceled) || other != nil {
		t.Errorf("Updates = %v, %v; want context.Canceled, nil", canceled, other)
	}
	if stored(t, s, "bad") || !stored(t, s, "a") {
		t.Error("want the canceled call's MO rolled back and the other stored")
	}
}

func TestCloseWaitsForWriter(t *testing.T) {
	s, err := Open(t.Context(), tempDB(t), Options{Logger: discard})
	if err != nil {
		t.Fatal(err)
	}
	release := hold(t, s)
	queued := make(chan error, 1)
	go func() { queued <- s.Update(t.Context(), func(tx smsgw.Tx) error { return insertMO(tx, "q") }) }()
	waitQueued(t, s, 1)
	closed := make(chan error, 1)
	go func() { closed <- s.Close() }()
	select {
	case err := <-closed:
		t.Fatalf("Close() = %v while an Update runs, want it to wait", err)
	case <-time.After(50 * time.Millisecond):
	}
	release()
	if err := <-closed; err != nil {
		t.Errorf("Close() = %v", err)
	}
	// The queued call either made it into the last group or was refused.
	if err := <-queued; err != nil && !errors.Is(err, ErrClosed) {
		t.Errorf("Update queued at Close = %v, want nil or ErrClosed", err)
	}
	ran := false
	if err := s.Update(t.Context(), func(smsgw.Tx) error { ran = true; return nil }); !errors.Is(err, ErrClosed) || ran {
		t.Errorf("Update after Close = %v (fn ran: %v), want ErrClosed without running fn", err, ran)
	}
}

// BenchmarkUpdateParallel inserts MOs from many goroutines with
// synchronous=FULL: with group commit they share fsyncs. batch=1 commits
// every Update alone, as before group commit.
func BenchmarkUpdateParallel(b *testing.B) {
	for _, batch := range []int{1, DefaultMaxBatch} {
		b.Run(fmt.Sprint("batch=", batch), func(b *testing.B) {
			s := MustOpen(b, tempDB(b), Options{Synchronous: "FULL", MaxBatch: batch})
			secret := make([]byte, 33)
			var n atomic.Int64
			b.SetParallelism(16) // 16 × GOMAXPROCS goroutines, like concurrent MO intake
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					i := n.Add(1)
					m := &smsgw.Message{MSISDN: "628110000001", ShortCode: "3355", Text: "****", Keyword: "PIN_REPLY",
						DedupKey: fmt.Sprint("smsc:628110000001:", i), SMSCIDs: []string{fmt.Sprint(i)}}
					if err := s.Update(context.Background(), func(tx smsgw.Tx) error { return tx.InsertMO(m, secret) }); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.StopTimer()
			st := s.Stats()
			b.ReportMetric(float64(st.Commits)/float64(b.N), "commits/op")
			b.ReportMetric(float64(st.Batched)/float64(max(st.Commits, 1)), "calls/commit")
		})
	}
}

// BenchmarkDiskSync times what every commit with synchronous=FULL waits
// for at least once: writing a page to a file next to the database and
// fsync'ing it. Its p99 is the floor under the p99 of an MO's reply.
func BenchmarkDiskSync(b *testing.B) {
	f, err := os.Create(filepath.Join(b.TempDir(), "sync"))
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	page := make([]byte, 4096)
	var took []time.Duration
	var off int64
	for b.Loop() {
		start := time.Now()
		if _, err := f.WriteAt(page, off); err != nil {
			b.Fatal(err)
		}
		if err := f.Sync(); err != nil {
			b.Fatal(err)
		}
		took = append(took, time.Since(start))
		off = (off + 4096) % (1 << 20)
	}
	slices.Sort(took)
	for _, q := range []struct {
		name string
		p    float64
	}{{"p50-ns", 0.50}, {"p99-ns", 0.99}, {"max-ns", 1}} {
		b.ReportMetric(float64(took[min(len(took)-1, int(q.p*float64(len(took))))]), q.name)
	}
}

// Calls of background work wait for the others queued with them, and run
// alone: an expiry chunk neither delays the MOs queued beside it nor shares
// their commit.
func TestBackgroundAfterOthers(t *testing.T) {
	s := MustOpen(t, tempDB(t), Options{})
	var (
		mu    sync.Mutex
		order []string
		wg    sync.WaitGroup
	)
	run := func(ctx context.Context, name string) {
		defer wg.Done()
		err := s.Update(ctx, func(tx smsgw.Tx) error {
			mu.Lock()
			order = append(order, name)
			mu.Unlock()
			return insertMO(tx, name)
		})
		if err != nil {
			t.Errorf("Update(%s) = %v", name, err)
		}
	}
	release := hold(t, s)
	wg.Add(1)
	go run(smsgw.Background(t.Context()), "bg")
	waitQueued(t, s, 1)
	for i := range 3 {
		wg.Add(1)
		go run(t.Context(), fmt.Sprint("mo", i))
	}
	waitQueued(t, s, 4)
	before := s.Stats()
	release()
	wg.Wait()
	if len(order) != 4 || order[3] != "bg" {
		t.Errorf("order = %v, want the three MOs, then bg", order)
	}
	after := s.Stats()
	// The held call's commit, the MOs' group, then bg alone.
	if got := after.Commits - before.Commits; got != 3 {
		t.Errorf("%d commits, want 3 (the held call, the MOs together, bg alone)", got)
	}
}

// next takes other calls first, but a waiting call of background work
// after bgEvery batches of them.
func TestNextBackgroundNotStarved(t *testing.T) {
	s := &Store{queue: make(chan *call), bgQueue: make(chan *call), closing: make(chan struct{})}
	fg, bg := &call{}, &call{bg: true}
	offer := func() {
		go func() { s.queue <- fg }()
		go func() { s.bgQueue <- bg }()
		time.Sleep(20 * time.Millisecond) // both senders parked
	}
	offer()
	ran := bgEvery - 1
	if c := s.next(&ran); c != fg {
		t.Fatalf("next after %d batches took the background call, want the other first", bgEvery-1)
	}
	ran = bgEvery
	if c := s.next(&ran); c != bg {
		t.Fatalf("next after %d batches took the other call, want the background one", bgEvery)
	}
	offer()
	ran = 0
	if c := s.next(&ran); c != fg {
		t.Fatal("next took the background call first, want the other")
	}
	if c := s.next(&ran); c != bg {
		t.Fatal("next did not take the background call once alone")
	}
	// With no background call waiting, the count starts afresh.
	go func() { s.queue <- fg }()
	time.Sleep(20 * time.Millisecond)
	ran = bgEvery + 3
	if c := s.next(&ran); c != fg || ran != 0 {
		t.Errorf("next after %d batches, none in the background = %p with the count at %d; want the other call and 0", bgEvery+3, c, ran)
	}
	close(s.closing)
	if c := s.next(&ran); c != nil {
		t.Errorf("next after Close = %p, want nil", c)
	}
}
