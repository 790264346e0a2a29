package sqlite

import (
	"errors"
	"fmt"
	"os"
)

// Syncing the write-ahead log off the writer's path.
//
// With synchronous=FULL SQLite syncs the log inside every COMMIT, and the
// writer connection waits for the disk: no statement of the next group can
// run meanwhile, so the one writer is idle for the whole fsync of every
// commit. With Options.Synchronous "FULL" (the default) the store keeps the
// same promise differently: its connections run at synchronous=NORMAL
// (a commit writes its pages to the log without syncing it, and SQLite
// still syncs around every checkpoint), and a goroutine of the store, the
// syncer, syncs the log file after each commit and only then lets the
// commit's Update calls return. The writer meanwhile runs the next group.
// One fsync covers every commit written before it started, so under load a
// sync serves several groups.
//
// What a crash costs is unchanged: an Update that returned is on disk (the
// log is appended to in order, and a sync of the file covers every frame
// written before it); a power cut can lose only commits whose Update had
// not returned yet, as with FULL. The difference is that another
// connection may read a commit a little before it is synced: work that is
// started from what it read (an MT sent, a status answered) may then have
// to be done again after a power cut, which the at-least-once rules of the
// outbox and of partner requests already allow for (docs/reliability.md).
//
// A failed sync leaves the state of the log on disk unknown: the calls it
// served get the error, and so does every later Update (errLogSync); the
// store must be reopened (the daemon restarted), as PostgreSQL does after a
// failed fsync.

// syncQueue is how many committed groups may wait for the syncer before
// the writer waits for it: back-pressure when the disk falls behind.
const syncQueue = 64

// durable answers the calls of a committed transaction: at once without a
// syncer, else once the log holding them is synced. Only the writer
// goroutine calls it.
func (s *Store) durable(cs []*call) {
	for _, c := range cs {
		c.handed = true // before the syncer can see it
	}
	if !s.syncLog {
		for _, c := range cs {
			c.answer(nil)
		}
		return
	}
	s.syncq <- cs
}

// syncer syncs the log for the committed calls the writer hands it and
// answers them, until the writer has stopped and syncq is closed.
func (s *Store) syncer() {
	defer close(s.syncDone)
	defer s.closeWAL()
	var pending []*call
	for cs := range s.syncq {
		pending = append(pending[:0], cs...)
	more:
		for {
			select {
			case cs, ok := <-s.syncq:
				if !ok {
					break more
				}
				pending = append(pending, cs...)
			default:
				break more
			}
		}
		err := s.syncWAL(false)
		for _, c := range pending {
			c.answer(err)
		}
		clear(pending)
	}
}

// syncWAL syncs the write-ahead log file. The file stays open between
// syncs: SQLite keeps it while any connection is open, so it is never
// replaced under the store. A failed sync is never tried again: the kernel
// may already have dropped the pages it could not write, and a second sync
// would report success for data that is not on disk; the failure sticks
// (see errLogSync). Only the syncer calls it, and Open before the syncer
// starts (first: no log file yet is then nothing to sync; afterwards a
// missing log is a failure).
func (s *Store) syncWAL(first bool) error {
	if err := s.syncFailed(); err != nil {
		return err
	}
	var err error
	if s.beforeSync != nil {
		err = s.beforeSync()
	}
	if err == nil && s.walf == nil {
		var f *os.File
		f, err = os.Open(s.walPath)
		if first && errors.Is(err, os.ErrNotExist) {
			return nil
		}
		s.walf = f
	}
	if err == nil {
		err = datasync(s.walf)
	}
	if err != nil {
		err = fmt.Errorf("%w: %w", errLogSync, err)
		if s.syncErr.CompareAndSwap(nil, &err) {
			close(s.broken)
		}
		s.log.Error("syncing the write-ahead log failed; every write is refused until the store is reopened", "err", err)
		return err
	}
	s.stats.syncs.Add(1)
	return nil
}

// closeWAL closes the syncer's handle on the log file.
func (s *Store) closeWAL() {
	if s.walf != nil {
		s.walf.Close()
		s.walf = nil
	}
}

// Broken is closed when the store can no longer promise that what it
// commits is on disk (a failed sync of the log): every later Update fails,
// and the process should stop and be restarted (the daemon does).
func (s *Store) Broken() <-chan struct{} { return s.broken }

// errLogSync is the error of every Update after the log could not be
// synced.
var errLogSync = errors.New("sqlite: the write-ahead log could not be synced; reopen the store")

// syncFailed returns the error of a failed log sync, if there was one.
func (s *Store) syncFailed() error {
	if p := s.syncErr.Load(); p != nil {
		return *p
	}
	return nil
}
