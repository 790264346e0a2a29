package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"

	"github.com/smsgw/smsgw/store/sqlstore"
)

// OpenReadOnly opens the database file at path for reading only (SQLite's
// mode=ro, PRAGMA query_only): it neither creates the file nor applies
// migrations, and it may be used while a daemon writes to the database (in
// WAL mode a read transaction sees one consistent snapshot). The caller
// closes the returned pool. Reading a WAL database needs its -shm file,
// which SQLite creates beside the database if it is missing.
func OpenReadOnly(ctx context.Context, path string) (*sql.DB, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %q: %w", path, err)
	}
	fi, err := os.Stat(abs)
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", abs, err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("sqlite: open %s: not a regular file", abs)
	}
	q := url.Values{}
	q.Set("mode", "ro")
	q.Set("_busy_timeout", strconv.FormatInt(DefaultBusyTimeout.Milliseconds(), 10))
	q.Set("_query_only", "on")
	q.Set("_txlock", "deferred")
	u := url.URL{Scheme: "file", Path: filepath.ToSlash(abs), RawQuery: q.Encode()}
	db, err := sql.Open("sqlite3", u.String())
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", abs, err)
	}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", abs, err)
	}
	return db, nil
}

// SchemaVersions returns the versions of the migrations compiled into this
// program, in ascending order: a database is up to date when it has
// applied exactly these.
func SchemaVersions() ([]int, error) {
	sub, err := embeddedMigrations()
	if err != nil {
		return nil, err
	}
	ms, err := sqlstore.LoadMigrations(sub)
	if err != nil {
		return nil, err
	}
	if len(ms) == 0 {
		return nil, errors.New("sqlite: no migrations compiled in")
	}
	vs := make([]int, len(ms))
	for i, m := range ms {
		vs[i] = m.Version
	}
	return vs, nil
}
