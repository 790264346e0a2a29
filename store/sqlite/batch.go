package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"runtime"
	"runtime/debug"
	"sync/atomic"

	"github.com/smsgw/smsgw/smsgw"
	"github.com/smsgw/smsgw/store/sqlstore"
)

// DefaultMaxBatch is the largest number of Update calls one group commit
// holds when Options.MaxBatch is 0.
const DefaultMaxBatch = 128

// ErrClosed is returned by Update once Close has been called.
var ErrClosed = errors.New("sqlite: store is closed")

// bgEvery is how many batches of other calls the writer runs, at most,
// while a call of background work waits (see next).
const bgEvery = 4

// memberSavepoint encloses the writes of one Update call inside a group
// transaction. The savepoints of tx.atomic are nested inside it and have
// other names.
const memberSavepoint = "update_call"

// Stats counts the write transactions of a Store since Open. Batched /
// Commits is the average number of Update calls per commit; Syncs counts
// the syncs of the log, each of which may serve several commits.
type Stats struct {
	Commits  uint64 // write transactions Update committed
	Batched  uint64 // Update calls whose writes those commits hold
	MaxBatch int    // most Update calls held by one commit
	Retried  uint64 // calls run again alone after their group transaction failed
	Queued   int    // Update calls waiting for the writer now
	// Checkpoints counts the checkpointer's runs (checkpoint.go).
	Checkpoints uint64
	// Syncs counts the syncer's syncs of the log (logsync.go); under load
	// one serves several commits.
	Syncs uint64
}

// writeStats are the counters behind Stats; the writer goroutine updates
// them, any goroutine reads them.
type writeStats struct {
	commits, batched, retried, checkpoints, syncs atomic.Uint64
	maxBatch, queued                              atomic.Int64
}

// Stats returns the write counters. It is safe for concurrent use.
func (s *Store) Stats() Stats {
	return Stats{
		Commits:  s.stats.commits.Load(),
		Batched:  s.stats.batched.Load(),
		MaxBatch: int(s.stats.maxBatch.Load()),
		Retried:  s.stats.retried.Load(),
		Queued:   int(s.stats.queued.Load()),

		Checkpoints: s.stats.checkpoints.Load(),
		Syncs:       s.stats.syncs.Load(),
	}
}

// committed records one commit holding n Update calls.
func (s *Store) committed(n int) {
	s.stats.commits.Add(1)
	s.stats.batched.Add(uint64(n))
	if int64(n) > s.stats.maxBatch.Load() {
		s.stats.maxBatch.Store(int64(n)) // only the writer goroutine stores
	}
}

// call is one Update waiting for, or being run by, the writer goroutine.
//
// fn runs on the writer goroutine, which holds the write connection:
// handing the transaction to the caller's goroutine and back cost two
// goroutine switches per call on the one path every write goes through
// (about a tenth of the SALDO throughput on two cores). How fn ends is
// still the caller's: a panic in fn is recovered by the writer, which rolls
// back what fn wrote and panics again in the caller with the same value;
// runtime.Goexit in fn (t.Fatal in a test) ends the writer goroutine, whose
// last act is to roll back, start a new writer (see exec) and make the
// caller call runtime.Goexit too. Closing done gives the caller its result.
type call struct {
	ctx  context.Context
	fn   func(smsgw.Tx) error
	bg   bool          // background work (smsgw.Background): run alone, after the others
	done chan struct{} // closed by answer
	err  error         // the result; written before done is closed
	end  *abnormalEnd  // fn did not return; written before done is closed

	// Only the goroutine running the call's transaction (the writer) and,
	// once the writer has handed it over (durable), the syncer touch these.
	answered bool // answer was called
	handed   bool // committed and handed to the syncer, which answers it
	failed   bool // fn failed on its own in a group: answered when the transaction ends
}

// abnormalEnd is how a fn that did not return ended.
type abnormalEnd struct {
	goexit bool // runtime.Goexit; else a panic with value
	value  any
}

// outcome is how one run of fn ended.
type outcome struct {
	err      error
	abnormal bool // fn panicked
}

// answer gives the caller its result. The writer goroutine calls it, or
// the syncer for the calls the writer handed it (durable), never both.
func (c *call) answer(err error) {
	c.err = err
	c.answered = true
	close(c.done)
}

// exec runs fn on t on the writer goroutine and returns how it ended. A
// panic in fn is recovered (the caller panics again, see update). When fn
// calls runtime.Goexit this goroutine cannot go on writing: the deferred
// function rolls the transaction back, answers the calls of the batch that
// cannot run again, and starts a new writer goroutine with the others
// before this one ends.
func (s *Store) exec(c *call, t *sqlstore.Tx) outcome {
	returned := false
	defer func() {
		if !returned {
			// runtime.Goexit: also after a panic that runFn recovered
			// while the Goexit unwound fn (a recovered panic does not
			// stop a Goexit), so this check is outside runFn's recover.
			s.goexit(c)
		}
	}()
	o := s.runFn(c, t)
	returned = true
	return o
}

// runFn runs c's function and recovers a panic in it.
func (s *Store) runFn(c *call, t *sqlstore.Tx) (o outcome) {
	defer func() {
		if v := recover(); v != nil {
			s.log.Error("an update function panicked; its writes are rolled back", "panic", v, "stack", string(debug.Stack()))
			c.end = &abnormalEnd{value: v}
			o = outcome{abnormal: true}
		}
	}()
	return outcome{err: c.fn(t)}
}

// goexit takes over after c's fn called runtime.Goexit on the writer
// goroutine (see exec): the open transaction is rolled back, c's caller is
// told to end the same way, the calls of the batch that had failed on
// their own get their errors, and the others are run again, each alone, by
// a new writer goroutine, which then goes on serving the queue.
func (s *Store) goexit(c *call) {
	if s.wc != nil {
		s.rollback(s.wc)
	}
	c.end = &abnormalEnd{goexit: true}
	c.answer(nil)
	var again []*call
	for _, o := range s.running {
		switch {
		case o.handed, o.answered: // handed: the syncer answers it (and may be doing so now)
		case o.failed:
			o.answer(o.err)
		default:
			again = append(again, o)
		}
	}
	s.running = nil
	go s.writeLoop(again)
}

// update is Update: it queues the call for the writer goroutine and waits
// for its answer.
func (s *Store) update(ctx context.Context, fn func(smsgw.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := s.syncFailed(); err != nil {
		return err
	}
	c := &call{ctx: ctx, fn: fn, done: make(chan struct{}), bg: smsgw.IsBackground(ctx)}
	q := s.queue
	if c.bg {
		q = s.bgQueue
	}
	s.stats.queued.Add(1)
	select {
	case q <- c:
		s.stats.queued.Add(-1)
	case <-ctx.Done():
		// Not taken by the writer: fn never runs.
		s.stats.queued.Add(-1)
		return ctx.Err()
	case <-s.closing:
		s.stats.queued.Add(-1)
		return ErrClosed
	}
	// Taken by the writer: wait for the result whatever ctx does, so that
	// the caller never returns before it knows whether fn committed (the
	// writer skips calls whose ctx has ended before running them).
	<-c.done
	if e := c.end; e != nil {
		if e.goexit {
			runtime.Goexit()
		}
		panic(e.value)
	}
	return c.err
}

// writer is the goroutine behind Update, started by Open and stopped by
// Close.
func (s *Store) writer() { s.writeLoop(nil) }

// writeLoop runs the calls of again (calls of a batch cut short, see
// goexit), each alone, then takes the first queued call and every call
// queued at that moment, up to maxBatch, and commits them together, until
// Close. A call of background work runs alone, when no other call waits or
// after bgEvery batches of them (see next).
func (s *Store) writeLoop(again []*call) {
	stopped := false
	defer func() {
		if !stopped {
			return // runtime.Goexit in an fn: another writer goroutine has taken over
		}
		s.dropConn()
		close(s.syncq) // the writer is its only sender: the syncer ends
		close(s.writerDone)
	}()
	for i, c := range again {
		s.stats.retried.Add(1)
		s.running = again[i:] // what a Goexit in c leaves to run
		s.alone(c)
	}
	s.running = nil
	batch := make([]*call, 0, s.maxBatch)
	ran := 0 // batches run since the last call of background work
	for {
		c := s.next(&ran)
		if c == nil {
			stopped = true
			return
		}
		batch = append(batch[:0], c)
		if c.bg {
			// Alone: its transaction is large, and grouped with others
			// it would make them wait for it.
			ran = 0
		} else {
			ran++
		fill:
			for len(batch) < s.maxBatch {
				select {
				case c := <-s.queue:
					batch = append(batch, c)
				default:
					break fill
				}
			}
		}
		s.running = batch
		s.commitBatch(batch)
		s.running = nil
		clear(batch)
	}
}

// next waits for the next call to run, nil once Close is called. Calls of
// background work (the expiry of sessions, say: large transactions nobody
// waits for) come after the others, which are the MOs' and their replies',
// unless they have waited through bgEvery batches (*ran counts the batches
// run since a background call last ran or was last looked for), so that
// they still progress under a load that never lets the queue empty.
func (s *Store) next(ran *int) *call {
	if *ran >= bgEvery {
		select {
		case c := <-s.bgQueue:
			return c
		default:
			*ran = 0 // none waits: count afresh
		}
	}
	select {
	case c := <-s.queue:
		return c
	default:
	}
	select {
	case c := <-s.queue:
		return c
	case c := <-s.bgQueue:
		return c
	case <-s.closing:
		return nil
	}
}

// commitBatch runs the calls of one batch and answers every one of them.
func (s *Store) commitBatch(batch []*call) {
	live := make([]*call, 0, len(batch))
	for _, c := range batch {
		if err := c.ctx.Err(); err != nil {
			c.answer(err)
			continue
		}
		live = append(live, c)
	}
	switch len(live) {
	case 0:
		return
	case 1:
		s.alone(live[0])
		return
	}
	err := s.group(live)
	if err == nil {
		return
	}
	// The group transaction is gone: run every call that did not fail on
	// its own again, each in its own transaction, so that one call that
	// breaks the transaction cannot fail the others.
	s.log.Warn("group commit failed; running its updates one by one", "updates", len(live), "err", err)
	for i, c := range live {
		if !c.answered {
			s.stats.retried.Add(1)
			s.running = live[i:] // the calls before are answered or handed to the syncer
			s.alone(c)
		}
	}
}

// alone runs c in a transaction of its own, with c's context (a
// cancellation interrupts only c's own transaction), and answers it.
func (s *Store) alone(c *call) {
	if err := c.ctx.Err(); err != nil {
		c.answer(err)
		return
	}
	w, err := s.begin(c.ctx)
	if err != nil {
		c.answer(err)
		return
	}
	o := s.exec(c, sqlstore.NewTx(c.ctx, w, dialect, s.now))
	if o.err == nil && !o.abnormal {
		o.err = c.ctx.Err()
	}
	if o.err != nil || o.abnormal {
		s.rollback(w)
		c.answer(o.err)
		return
	}
	if err := s.commit(w); err != nil {
		c.answer(err)
		return
	}
	s.committed(1)
	s.durable([]*call{c})
}

// group runs the calls of live one after the other in one transaction,
// each inside its own savepoint, and commits once. A call whose fn fails
// (error, panic, or its context ended) has its savepoint rolled back and
// gets its own error; the others are answered only after the commit. When
// the transaction itself fails (a savepoint statement fails, SQLite rolled
// it back on its own, COMMIT fails) group rolls back and returns the error
// with the calls that did not fail on their own left unanswered.
//
// Statements run with context.WithoutCancel of the call's context: a
// cancelled statement interrupts the connection, which could roll back the
// whole shared transaction. Contexts are checked between calls instead.
func (s *Store) group(live []*call) error {
	bg := context.Background()
	w, err := s.begin(bg)
	if err != nil {
		// Nothing ran: every call gets the error, as it would alone.
		for _, c := range live {
			c.answer(err)
		}
		return nil
	}
	var (
		failed []*call // failed on their own; answered once the transaction ends
		n      int     // calls whose writes are in the transaction
		gerr   error   // the transaction failed
	)
	sp := func(stmt string) error {
		if _, err := w.ExecContext(bg, stmt); err != nil {
			return fmt.Errorf("sqlite: %s: %w", stmt, err)
		}
		return nil
	}
	for _, c := range live {
		if err := c.ctx.Err(); err != nil {
			c.err, c.failed = err, true
			failed = append(failed, c)
			continue
		}
		if gerr = sp("SAVEPOINT " + memberSavepoint); gerr != nil {
			break
		}
		o := s.exec(c, sqlstore.NewTx(context.WithoutCancel(c.ctx), w, dialect, s.now))
		if o.err == nil && !o.abnormal {
			o.err = c.ctx.Err()
		}
		if o.err != nil || o.abnormal {
			c.err, c.failed = o.err, true
			failed = append(failed, c)
			if gerr = sp("ROLLBACK TO " + memberSavepoint); gerr != nil {
				break
			}
			if gerr = sp("RELEASE " + memberSavepoint); gerr != nil {
				break
			}
			continue
		}
		if gerr = sp("RELEASE " + memberSavepoint); gerr != nil {
			break
		}
		n++
	}
	if gerr == nil && s.beforeCommit != nil {
		gerr = s.beforeCommit(n)
	}
	if gerr == nil {
		gerr = s.commit(w)
	} else {
		s.rollback(w)
	}
	for _, c := range failed {
		c.answer(c.err)
	}
	if gerr != nil {
		return gerr
	}
	if n > 0 {
		s.committed(n)
	}
	ok := make([]*call, 0, n)
	for _, c := range live {
		if !c.answered {
			ok = append(ok, c)
		}
	}
	if len(ok) > 0 {
		s.durable(ok)
	}
	return nil
}

// begin starts a write transaction (BEGIN IMMEDIATE) on the writer
// connection, taking it from the pool the first time (see writerConn).
func (s *Store) begin(ctx context.Context) (*writerConn, error) {
	if s.wc == nil {
		conn, err := s.w.Conn(ctx)
		if err != nil {
			return nil, fmt.Errorf("sqlite: begin update: %w", err)
		}
		// Savepoints (one per Update call in a group, and the store's
		// own) keep the pages they change in a sub-journal, which
		// otherwise spills to a temporary file: in memory, an SMS log
		// insert costs a third less.
		if _, err := conn.ExecContext(ctx, "PRAGMA temp_store = MEMORY"); err != nil {
			conn.Close()
			return nil, fmt.Errorf("sqlite: begin update: %w", err)
		}
		// Checkpoints are the checkpointer's (checkpoint.go) unless the
		// log grows past walHardLimit.
		if _, err := conn.ExecContext(ctx, fmt.Sprintf("PRAGMA wal_autocheckpoint = %d", walHardLimit)); err != nil {
			conn.Close()
			return nil, fmt.Errorf("sqlite: begin update: %w", err)
		}
		s.wc = &writerConn{conn: conn, stmts: map[string]*sql.Stmt{}}
	}
	if _, err := s.wc.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		// Take a fresh connection next time, in case this one is broken.
		s.dropConn()
		return nil, fmt.Errorf("sqlite: begin update: %w", err)
	}
	return s.wc, nil
}

// commit commits the transaction on w. When COMMIT fails SQLite may leave
// the transaction open; commit then rolls it back (SQLite's advice) so that
// the connection serves the next transaction.
func (s *Store) commit(w *writerConn) error {
	_, err := w.ExecContext(context.Background(), "COMMIT")
	if err == nil {
		return nil
	}
	s.rollback(w)
	return fmt.Errorf("sqlite: commit update: %w", err)
}

// rollback rolls the transaction on w back. SQLite may have done it already
// (after some errors it does); a connection left inside a transaction is
// given up, so that the next one starts clean.
func (s *Store) rollback(w *writerConn) {
	_, err := w.conn.ExecContext(context.Background(), "ROLLBACK")
	if err == nil || !w.inTx() {
		return
	}
	s.log.Warn("rollback failed", "op", "update", "err", err)
	s.dropConn()
}

// dropConn gives the writer connection back to the pool, which closes it
// if it is broken. Only the writer goroutine calls it.
func (s *Store) dropConn() {
	if s.wc == nil {
		return
	}
	if err := s.wc.close(); err != nil {
		s.log.Debug("writer connection closed", "err", err)
	}
	s.wc = nil
}
