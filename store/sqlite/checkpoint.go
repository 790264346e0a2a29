package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// Checkpoints. SQLite's default moves the write-ahead log back into the
// database file on the commit that makes the log reach 1,000 pages, inside
// that commit: the writer copies the pages and syncs the database file
// while every Update queued behind it waits, a pause of several
// milliseconds every second or so at a few thousand messages a second,
// which is what the latency's 99th percentile showed. So the writer
// connection checkpoints only when the log reaches walHardLimit pages, and
// a goroutine checkpoints every checkpointEvery on a connection of its own
// (PASSIVE: it copies what no reader still needs and never blocks the
// writer). What makes a commit durable, the sync of the log, is not
// changed by this (logsync.go); only the copy into the database file moves
// out of the commits.
//
// When the checkpointer falls behind (a long-lived reader, a slow disk),
// the log grows; at walHardLimit pages the writer checkpoints inline again,
// so the log stays bounded whatever happens.
const (
	// checkpointEvery is how often the checkpointer copies the log back.
	// With nothing to copy a checkpoint reads the log's index only. Often,
	// so that each copy and sync of the database file is small: while a
	// million sessions expired, MO p99 was 43 ms with a checkpoint every
	// 100 ms and 13 ms at every 25 ms (top-up and SALDO throughput the
	// same).
	checkpointEvery = 25 * time.Millisecond
	// walHardLimit is the log size (pages) at which the writer checkpoints
	// inline (PRAGMA wal_autocheckpoint on the writer connection).
	walHardLimit = 16 * 1024
)

// checkpointer copies the write-ahead log into the database file until
// Close. It runs on its own connection (roleCheckpoint).
func (s *Store) checkpointer(db *sql.DB) {
	defer close(s.ckDone)
	t := time.NewTicker(checkpointEvery)
	defer t.Stop()
	failing := false // said once, until a checkpoint works again
	for {
		select {
		case <-s.closing:
			return
		case <-t.C:
		}
		err := s.checkpoint(db)
		switch {
		case err != nil && !failing:
			s.log.Warn("checkpoint failed; the write-ahead log grows until one works", "err", err)
		case err == nil && failing:
			s.log.Info("checkpoints work again")
		}
		failing = err != nil
	}
}

// checkpoint runs a PASSIVE checkpoint on db and counts it.
func (s *Store) checkpoint(db *sql.DB) error {
	if _, err := db.ExecContext(context.Background(), "PRAGMA wal_checkpoint(PASSIVE)"); err != nil {
		return fmt.Errorf("sqlite: checkpoint: %w", err)
	}
	s.stats.checkpoints.Add(1)
	return nil
}
