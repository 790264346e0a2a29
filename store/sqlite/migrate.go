package sqlite

import (
	"context"
	"database/sql"
	"embed"
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

//go:embed migrations/*.sql
var migrationFiles embed.FS

// ErrNewerSchema is returned by Open and Migrate when the database was
// migrated by a newer version of this package: running against a schema it
// does not know could corrupt data, so the store refuses.
var ErrNewerSchema = errors.New("sqlite: database schema is newer than this program")

// migration is one numbered SQL script.
type migration struct {
	version int
	name    string
	sql     string
}

// migrateAll applies the embedded migrations the database has not seen, in
// order, each in its own write transaction together with its row in
// schema_version. It is idempotent and safe against a concurrent migration
// by another process. Open calls it, before the writer goroutine takes the
// write connection.
func (s *Store) migrateAll(ctx context.Context) error {
	sub, err := embeddedMigrations()
	if err != nil {
		return fmt.Errorf("sqlite: migrate: %w", err)
	}
	return migrate(ctx, s.w, sub, s.log, s.now)
}

// embeddedMigrations returns the migrations directory compiled into the
// program.
func embeddedMigrations() (fs.FS, error) { return fs.Sub(migrationFiles, "migrations") }

// SchemaVersion returns the highest migration applied to the database.
func (s *Store) SchemaVersion(ctx context.Context) (int, error) {
	var v int
	err := s.r.QueryRowContext(ctx, "SELECT coalesce(max(version), 0) FROM schema_version").Scan(&v)
	if err != nil {
		return 0, fmt.Errorf("sqlite: schema version: %w", err)
	}
	return v, nil
}

// loadMigrations reads files named NNNN_name.sql from fsys, sorted by
// version; versions must be positive and distinct. Gaps are allowed:
// changes developed side by side reserve their numbers and may land in
// either order (see migrate).
func loadMigrations(fsys fs.FS) ([]migration, error) {
	names, err := fs.Glob(fsys, "*.sql")
	if err != nil {
		return nil, err
	}
	ms := make([]migration, 0, len(names))
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
		ms = append(ms, migration{version: v, name: name, sql: string(b)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	for i := 1; i < len(ms); i++ {
		if ms[i].version == ms[i-1].version {
			return nil, fmt.Errorf("migration %s: version %d repeats %s", ms[i].name, ms[i].version, ms[i-1].name)
		}
	}
	return ms, nil
}

func migrate(ctx context.Context, db *sql.DB, fsys fs.FS, log *slog.Logger, now func() time.Time) error {
	ms, err := loadMigrations(fsys)
	if err != nil {
		return fmt.Errorf("sqlite: migrate: %w", err)
	}
	known := make(map[int]bool, len(ms))
	for _, m := range ms {
		known[m.version] = true
	}
	if _, err := db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_version (
		version    INTEGER NOT NULL PRIMARY KEY,
		applied_at INTEGER NOT NULL
	)`); err != nil {
		return fmt.Errorf("sqlite: migrate: create schema_version: %w", err)
	}
	for _, m := range ms {
		applied, err := apply(ctx, db, m, known, now)
		if err != nil {
			return err
		}
		if applied {
			log.Info("schema migrated", "version", m.version, "migration", m.name)
		}
	}
	// Also refuses a newer schema when there was nothing to apply.
	_, err = apply(ctx, db, migration{}, known, now)
	return err
}

// apply runs m in one transaction unless the database already has it. A
// zero m only checks the schema. Each migration is applied by its own
// version, not by the highest one applied, so one that landed after a
// higher-numbered one still runs. A database holding a version this
// program does not know was migrated by a newer program: ErrNewerSchema.
func apply(ctx context.Context, db *sql.DB, m migration, known map[int]bool, now func() time.Time) (applied bool, err error) {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return false, fmt.Errorf("sqlite: migrate: begin: %w", err)
	}
	defer func() {
		if !applied {
			tx.Rollback()
		}
	}()
	done, err := appliedVersions(ctx, tx)
	if err != nil {
		return false, err
	}
	for v := range done {
		if !known[v] {
			return false, fmt.Errorf("%w: database has version %d, which this program does not know", ErrNewerSchema, v)
		}
	}
	if m.version == 0 || done[m.version] {
		return false, nil
	}
	if _, err := tx.ExecContext(ctx, m.sql); err != nil {
		return false, fmt.Errorf("sqlite: migrate %s: %w", m.name, err)
	}
	if _, err := tx.ExecContext(ctx, "INSERT INTO schema_version (version, applied_at) VALUES (?, ?)",
		m.version, now().UnixNano()); err != nil {
		return false, fmt.Errorf("sqlite: migrate %s: record version: %w", m.name, err)
	}
	if err := tx.Commit(); err != nil {
		return false, fmt.Errorf("sqlite: migrate %s: commit: %w", m.name, err)
	}
	return true, nil
}

// appliedVersions returns the versions recorded in schema_version.
func appliedVersions(ctx context.Context, tx *sql.Tx) (map[int]bool, error) {
	rows, err := tx.QueryContext(ctx, "SELECT version FROM schema_version")
	if err != nil {
		return nil, fmt.Errorf("sqlite: migrate: read versions: %w", err)
	}
	defer rows.Close()
	done := map[int]bool{}
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			return nil, fmt.Errorf("sqlite: migrate: read versions: %w", err)
		}
		done[v] = true
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: migrate: read versions: %w", err)
	}
	return done, nil
}
