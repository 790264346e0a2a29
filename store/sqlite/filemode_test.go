package sqlite

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/smsgw/smsgw/domain"
	"github.com/smsgw/smsgw/smsgw"
)

// withUmask runs the test under umask 022, the usual default, under which
// SQLite alone would create 0644 files.
func withUmask(t *testing.T) {
	t.Helper()
	old := syscall.Umask(0o022)
	t.Cleanup(func() { syscall.Umask(old) })
}

func assertMode(t *testing.T, path string, want os.FileMode) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatalf("stat %s: %v", filepath.Base(path), err)
	}
	if got := fi.Mode().Perm(); got != want {
		t.Errorf("mode of %s = %#o, want %#o", filepath.Base(path), got, want)
	}
}

// The database, its -wal and -shm files (which SQLite creates with the
// database's mode) and backups are readable by the owner only.
func TestFileModes(t *testing.T) {
	withUmask(t)
	path := filepath.Join(t.TempDir(), "gw.db")
	s := MustOpen(t, path, Options{})
	err := s.Update(t.Context(), func(tx smsgw.Tx) error {
		return tx.CreateAccount(&smsgw.Account{ID: "wallet:08110000002", Kind: domain.KindWallet})
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		assertMode(t, p, FileMode)
	}
	backup := filepath.Join(t.TempDir(), "backup.db")
	if err := s.Backup(t.Context(), backup); err != nil {
		t.Fatalf("Backup() = %v", err)
	}
	assertMode(t, backup, FileMode)
	b := MustOpen(t, backup, Options{})
	err = b.View(t.Context(), func(tx smsgw.Tx) error {
		_, err := tx.Account("wallet:08110000002")
		return err
	})
	if err != nil {
		t.Errorf("backup: %v", err)
	}
}

// An existing database left readable by others (an older version, a
// restored copy) is made owner-only on open, with a warning.
func TestFileModesTightened(t *testing.T) {
	withUmask(t)
	path := filepath.Join(t.TempDir(), "gw.db")
	s := MustOpen(t, path, Options{})
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		if err := os.WriteFile(p, nil, 0o644); err != nil && !os.IsExist(err) {
			t.Fatal(err)
		}
	}
	// WriteFile keeps an existing file's mode: set the modes explicitly.
	if err := os.Chmod(path, 0o664); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{path + "-wal", path + "-shm"} {
		if err := os.Chmod(p, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var logs bytes.Buffer
	s2, err := Open(t.Context(), path, Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatalf("Open() = %v", err)
	}
	defer s2.Close()
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		assertMode(t, p, FileMode)
	}
	if got := strings.Count(logs.String(), "readable by others"); got != 3 {
		t.Errorf("%d warnings about open modes, want 3; logs:\n%s", got, logs.String())
	}
}
