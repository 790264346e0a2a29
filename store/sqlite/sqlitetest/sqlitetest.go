// Package sqlitetest opens the SQLite store for tests of code built on
// package smsgw: a database file in the test's temporary directory with an
// initialised smsgw.Gateway on it, configured by the smsgwtest options.
// It is meant for tests only, and imports downwards: store/sqlite and
// smsgw/smsgwtest, never the other way round.
package sqlitetest

import (
	"path/filepath"
	"testing"

	"github.com/smsgw/smsgw/smsgw"
	"github.com/smsgw/smsgw/smsgw/smsgwtest"
	"github.com/smsgw/smsgw/store/sqlite"
)

// Open opens an SQLite store, in a new file in tb.TempDir() unless
// smsgwtest.WithPath names one, and returns it with a gateway on it (built
// as smsgwtest.New does) whose Init has run. The store is closed when the
// test ends. The returned store is the SQLite store itself, not a wrapper
// set with smsgwtest.WithOptions. Any failure ends the test.
func Open(tb testing.TB, opts ...smsgwtest.Option) (*sqlite.Store, *smsgw.Gateway) {
	tb.Helper()
	set := smsgwtest.Store(opts...)
	path := set.Path
	if path == "" {
		path = filepath.Join(tb.TempDir(), "gw.db")
	}
	st, err := sqlite.Open(tb.Context(), path, sqlite.Options{Now: set.Now, Logger: set.Logger})
	if err != nil {
		tb.Fatalf("open store: %v", err)
	}
	tb.Cleanup(func() { st.Close() })
	gw := smsgwtest.New(tb, st, opts...)
	if err := gw.Init(tb.Context()); err != nil {
		tb.Fatalf("init gateway: %v", err)
	}
	return st, gw
}
