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
		err := s.syncWAL()
		for _, c := range pending {
			c.answer(err)
		}
		clear(pending)
	}
}

// syncWAL syncs the write-ahead log file. The file stays open between
// syncs (SQLite keeps it while any connection is open, so it is never
// replaced under the store); on an error it is opened afresh and synced
// once more before the failure counts (see errLogSync). Only the syncer
// calls it, and Open before the syncer starts.
func (s *Store) syncWAL() error {
	if err := s.syncFailed(); err != nil {
		return err
	}
	var err error
	if s.beforeSync != nil {
		err = s.beforeSync()
	}
	if err == nil {
		err = s.syncWALFile()
		if err != nil && s.walf != nil {
			s.closeWAL()
			err = s.syncWALFile()
		}
	}
	if err != nil {
		err = fmt.Errorf("%w: %w", errLogSync, err)
		s.syncErr.CompareAndSwap(nil, &err)
		s.log.Error("syncing the write-ahead log failed; every write is refused until the store is reopened", "err", err)
		return err
	}
	s.stats.syncs.Add(1)
	return nil
}

// syncWALFile syncs the log file, opening it first if need be. No file
// yet means nothing written to sync.
func (s *Store) syncWALFile() error {
	if s.walf == nil {
		f, err := os.Open(s.path + "-wal")
		if errors.Is(err, os.ErrNotExist) {
			return nil
		} else if err != nil {
			return err
		}
		s.walf = f
	}
	return datasync(s.walf)
}

// closeWAL closes the syncer's handle on the log file.
func (s *Store) closeWAL() {
	if s.walf != nil {
		s.walf.Close()
		s.walf = nil
	}
}

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
