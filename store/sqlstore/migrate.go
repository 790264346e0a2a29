package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"
)

// ErrNewerSchema is returned by Migrate when the database was migrated by a
// newer program: running against a schema it does not know could corrupt
// data, so the store refuses.
var ErrNewerSchema = errors.New("store: database schema is newer than this program")

// Migration is one numbered SQL script.
type Migration struct {
	Version int
	Name    string
	SQL     string
}

// LoadMigrations reads files named NNNN_name.sql from fsys, sorted by
// version; versions must be positive and distinct. Gaps are allowed:
// changes developed side by side reserve their numbers and may land in
// either order (see migrate).
func LoadMigrations(fsys fs.FS) ([]Migration, error) {
	names, err := fs.Glob(fsys, "*.sql")
	if err != nil {
		return nil, err
	}
	ms := make([]Migration, 0, len(names))
	for _, name := range names {
		prefix, _, ok := strings.Cut(path.Base(name), "_")
		v, err := strconv.Atoi(prefix)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("migration %s: name must start with a positive version and an underscore", name)
		}
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, err
		}
		ms = append(ms, Migration{Version: v, Name: name, SQL: string(b)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].Version < ms[j].Version })
	for i := 1; i < len(ms); i++ {
		if ms[i].Version == ms[i-1].Version {
			return nil, fmt.Errorf("migration %s: version %d repeats %s", ms[i].Name, ms[i].Version, ms[i-1].Name)
		}
	}
	return ms, nil
}

// Migrate applies the migrations in fsys (files NNNN_name.sql) that the
// database db has not seen, in order, each in its own transaction together
// with its row in schema_version, which it creates. It is idempotent. A
// database holding a version fsys does not know was migrated by a newer
// program: ErrNewerSchema. d.MigrationLock, when set, runs first in each
// transaction, so that processes migrating at once take turns.
func Migrate(ctx context.Context, db *sql.DB, fsys fs.FS, d *Dialect, log *slog.Logger, now func() time.Time) error {
	ms, err := LoadMigrations(fsys)
	if err != nil {
		return fmt.Errorf("store: migrate: %w", err)
	}
	known := make(map[int]bool, len(ms))
	for _, m := range ms {
		known[m.Version] = true
	}
	if _, err := db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_version (
		version    BIGINT NOT NULL PRIMARY KEY,
		applied_at BIGINT NOT NULL
	)`); err != nil {
		return fmt.Errorf("store: migrate: create schema_version: %w", err)
	}
	for _, m := range ms {
		applied, err := apply(ctx, db, d, m, known, now)
		if err != nil {
			return err
		}
		if applied {
			log.Info("schema migrated", "version", m.Version, "migration", m.Name)
		}
	}
	// Also refuses a newer schema when there was nothing to apply.
	_, err = apply(ctx, db, d, Migration{}, known, now)
	return err
}

// apply runs m in one transaction unless the database already has it. A
// zero m only checks the schema. Each migration is applied by its own
// version, not by the highest one applied, so one that landed after a
// higher-numbered one still runs. A database holding a version this
// program does not know was migrated by a newer program: ErrNewerSchema.
func apply(ctx context.Context, db *sql.DB, d *Dialect, m Migration, known map[int]bool, now func() time.Time) (applied bool, err error) {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return false, fmt.Errorf("store: migrate: begin: %w", err)
	}
	defer func() {
		if !applied {
			tx.Rollback()
		}
	}()
	if d.MigrationLock != "" {
		if _, err := tx.ExecContext(ctx, d.MigrationLock); err != nil {
			return false, fmt.Errorf("store: migrate: lock: %w", err)
		}
	}
	done, err := appliedVersions(ctx, tx)
	if err != nil {
		return false, err
	}
	for v := range done {
		if !known[v] {
			return false, fmt.Errorf("%w: database has version %d, which this program does not know", ErrNewerSchema, v)
		}
	}
	if m.Version == 0 || done[m.Version] {
		return false, nil
	}
	if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
		return false, fmt.Errorf("store: migrate %s: %w", m.Name, err)
	}
	if _, err := tx.ExecContext(ctx, d.rebind("INSERT INTO schema_version (version, applied_at) VALUES (?, ?)"),
		m.Version, now().UnixNano()); err != nil {
		return false, fmt.Errorf("store: migrate %s: record version: %w", m.Name, err)
	}
	if err := tx.Commit(); err != nil {
		return false, fmt.Errorf("store: migrate %s: commit: %w", m.Name, err)
	}
	return true, nil
}

// appliedVersions returns the versions recorded in schema_version.
func appliedVersions(ctx context.Context, tx *sql.Tx) (map[int]bool, error) {
	rows, err := tx.QueryContext(ctx, "SELECT version FROM schema_version")
	if err != nil {
		return nil, fmt.Errorf("store: migrate: read versions: %w", err)
	}
	defer rows.Close()
	done := map[int]bool{}
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			return nil, fmt.Errorf("store: migrate: read versions: %w", err)
		}
		done[v] = true
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: migrate: read versions: %w", err)
	}
	return done, nil
}
