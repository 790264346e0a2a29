package sqlite

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/smsgw/smsgw/smsgw"
)

// TestCheckpointer: the log is copied back into the database file by the
// checkpointer, not by the commits, which would only do so at walHardLimit
// pages.
func TestCheckpointer(t *testing.T) {
	path := tempDB(t)
	s := MustOpen(t, path, Options{})
	size := func() int64 {
		t.Helper()
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		return fi.Size()
	}
	before := size()
	// Far fewer pages than walHardLimit, far more than the file held.
	for i := range 200 {
		if err := s.Update(context.Background(), func(tx smsgw.Tx) error {
			return insertMO(tx, fmt.Sprintf("ck:%d", i))
		}); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for size() <= before || s.Stats().Checkpoints == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("database file %d bytes (was %d), %d checkpoints: the log was not copied back", size(), before, s.Stats().Checkpoints)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestUpdateWaitsForLogSync: with Synchronous FULL an Update returns only
// after the log holding its commit is synced, while the commit is already
// readable and the writer goes on; with NORMAL nothing is synced.
func TestUpdateWaitsForLogSync(t *testing.T) {
	s := MustOpen(t, tempDB(t), Options{})
	release := make(chan struct{})
	s.beforeSync = func() error { <-release; return nil }
	done := make(chan error, 1)
	go func() {
		done <- s.Update(context.Background(), func(tx smsgw.Tx) error { return insertMO(tx, "sync:1") })
	}()
	for !stored(t, s, "sync:1") {
		time.Sleep(5 * time.Millisecond)
	}
	// Committed and readable, but not synced: the caller still waits.
	select {
	case err := <-done:
		t.Fatalf("Update returned (%v) before the log was synced", err)
	case <-time.After(100 * time.Millisecond):
	}
	// The writer is free meanwhile: the next commit needs no sync to run.
	go func() {
		_ = s.Update(context.Background(), func(tx smsgw.Tx) error { return insertMO(tx, "sync:2") })
	}()
	for !stored(t, s, "sync:2") {
		time.Sleep(5 * time.Millisecond)
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatalf("Update = %v", err)
	}
	if st := s.Stats(); st.Syncs == 0 {
		t.Errorf("Stats() = %+v, want syncs", st)
	}

	n := MustOpen(t, tempDB(t), Options{Synchronous: "NORMAL"})
	n.beforeSync = func() error { t.Error("NORMAL synced the log"); return nil }
	if err := n.Update(context.Background(), func(tx smsgw.Tx) error { return insertMO(tx, "normal") }); err != nil {
		t.Fatal(err)
	}
	if st := n.Stats(); st.Syncs != 0 {
		t.Errorf("NORMAL: Stats() = %+v, want no syncs", st)
	}
}

// TestLogSyncFailure: a failed sync fails the Update it served and every
// later one; nothing is reported written that may not be on disk.
func TestLogSyncFailure(t *testing.T) {
	s := MustOpen(t, tempDB(t), Options{})
	fail := errors.New("I/O error")
	s.beforeSync = func() error { return fail }
	err := s.Update(context.Background(), func(tx smsgw.Tx) error { return insertMO(tx, "fail:1") })
	if !errors.Is(err, errLogSync) || !errors.Is(err, fail) {
		t.Fatalf("Update = %v, want the sync failure", err)
	}
	select {
	case <-s.Broken():
	default:
		t.Error("Broken() not closed after a failed sync")
	}
	ran := false
	err = s.Update(context.Background(), func(tx smsgw.Tx) error { ran = true; return nil })
	if !errors.Is(err, errLogSync) || ran {
		t.Fatalf("Update after a failed sync = %v (fn ran: %v), want errLogSync without running", err, ran)
	}
}

// TestLogSyncThroughSymlink: a database opened through a symbolic link has
// its log next to the file SQLite opened; the syncer syncs that one, and
// fails rather than syncing nothing.
func TestLogSyncThroughSymlink(t *testing.T) {
	dir := t.TempDir()
	real := filepath.Join(dir, "real", "gw.db")
	if err := os.MkdirAll(filepath.Dir(real), 0o700); err != nil {
		t.Fatal(err)
	}
	// A database moved to another disk and linked from where the
	// configuration names it.
	if err := os.WriteFile(real, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "gw.db")
	if err := os.Symlink(real, link); err != nil {
		t.Skipf("no symbolic links here: %v", err)
	}
	s := MustOpen(t, link, Options{})
	if want := real + "-wal"; s.walPath != want {
		t.Errorf("log synced: %s, want %s", s.walPath, want)
	}
	if err := s.Update(context.Background(), func(tx smsgw.Tx) error { return insertMO(tx, "link") }); err != nil {
		t.Fatal(err)
	}
	if st := s.Stats(); st.Syncs == 0 {
		t.Errorf("Stats() = %+v, want the log synced", st)
	}
	select {
	case <-s.Broken():
		t.Error("store broken after a good sync")
	default:
	}
}
