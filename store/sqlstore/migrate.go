package sqlstore

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"path"
	"slices"
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
	// ForeignKeysOff is set by a line
	//
	//	-- migrate: foreign keys off; check TABLE...
	//
	// in the script: it rebuilds a table that other tables refer to
	// (SQLite's way to change a column's constraint), so it runs with
	// foreign key enforcement off and commits only if the tables named
	// (the rebuilt one and those referring to it) hold no row whose
	// reference does not resolve.
	ForeignKeysOff bool
	CheckTables    []string
}

// foreignKeysOff starts the line that marks a Migration.ForeignKeysOff.
const foreignKeysOff = "-- migrate: foreign keys off; check"

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
		m := Migration{Version: v, Name: name, SQL: string(b)}
		for _, line := range strings.Split(m.SQL, "\n") {
			tables, ok := strings.CutPrefix(strings.TrimSpace(line), foreignKeysOff)
			if !ok {
				continue
			}
			m.ForeignKeysOff, m.CheckTables = true, strings.Fields(tables)
			if len(m.CheckTables) == 0 || slices.ContainsFunc(m.CheckTables, badName) {
				return nil, fmt.Errorf("migration %s: %q must name the tables to check, plain names only", name, foreignKeysOff+" TABLE...")
			}
		}
		ms = append(ms, m)
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
// transaction, so that processes migrating at once take turns. All of it
// runs on one connection of db, so that a migration's connection settings
// (Migration.ForeignKeysOff) hold for its transaction.
func Migrate(ctx context.Context, db *sql.DB, fsys fs.FS, d *Dialect, log *slog.Logger, now func() time.Time) error {
	ms, err := LoadMigrations(fsys)
	if err != nil {
		return fmt.Errorf("store: migrate: %w", err)
	}
	known := make(map[int]bool, len(ms))
	for _, m := range ms {
		known[m.Version] = true
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("store: migrate: %w", err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_version (
		version    BIGINT NOT NULL PRIMARY KEY,
		applied_at BIGINT NOT NULL
	)`); err != nil {
		return fmt.Errorf("store: migrate: create schema_version: %w", err)
	}
	for _, m := range ms {
		applied, err := applyOn(ctx, conn, d, m, known, now)
		if err != nil {
			return err
		}
		if applied {
			log.Info("schema migrated", "version", m.Version, "migration", m.Name)
		}
	}
	// Also refuses a newer schema when there was nothing to apply.
	_, err = apply(ctx, conn, d, Migration{}, known, now)
	return err
}

// applyOn runs apply, with foreign key enforcement of conn off around it
// for a migration that asks for it.
func applyOn(ctx context.Context, conn *sql.Conn, d *Dialect, m Migration, known map[int]bool, now func() time.Time) (bool, error) {
	if !m.ForeignKeysOff {
		return apply(ctx, conn, d, m, known, now)
	}
	if d.ForeignKeysOff == "" {
		return false, fmt.Errorf("store: migrate %s: this engine cannot run a migration with foreign keys off", m.Name)
	}
	if _, err := conn.ExecContext(ctx, d.ForeignKeysOff); err != nil {
		return false, fmt.Errorf("store: migrate %s: foreign keys off: %w", m.Name, err)
	}
	applied, err := apply(ctx, conn, d, m, known, now)
	if _, onErr := conn.ExecContext(context.WithoutCancel(ctx), d.ForeignKeysOn); onErr != nil {
		// The connection must not go back to the pool without its checks.
		conn.Raw(func(any) error { return driver.ErrBadConn })
		if err == nil {
			err = fmt.Errorf("store: migrate %s: foreign keys on: %w", m.Name, onErr)
		}
	}
	return applied, err
}

// apply runs m in one transaction unless the database already has it. A
// zero m only checks the schema. Each migration is applied by its own
// version, not by the highest one applied, so one that landed after a
// higher-numbered one still runs. A database holding a version this
// program does not know was migrated by a newer program: ErrNewerSchema.
func apply(ctx context.Context, conn *sql.Conn, d *Dialect, m Migration, known map[int]bool, now func() time.Time) (applied bool, err error) {
	tx, err := conn.BeginTx(ctx, nil)
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
	if m.ForeignKeysOff {
		if err := foreignKeyCheck(ctx, tx, d, m); err != nil {
			return false, err
		}
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

// badName reports whether s is no plain table name.
func badName(s string) bool {
	for _, r := range s {
		if (r < 'a' || r > 'z') && (r < '0' || r > '9') && r != '_' {
			return true
		}
	}
	return s == ""
}

// foreignKeyCheck fails when migration m, run with foreign keys off, left
// a row of the tables it names whose reference does not resolve.
func foreignKeyCheck(ctx context.Context, tx *sql.Tx, d *Dialect, m Migration) error {
	for _, t := range m.CheckTables {
		if err := foreignKeyCheckTable(ctx, tx, d, m, t); err != nil {
			return err
		}
	}
	return nil
}

func foreignKeyCheckTable(ctx context.Context, tx *sql.Tx, d *Dialect, m Migration, table string) error {
	rows, err := tx.QueryContext(ctx, fmt.Sprintf(d.ForeignKeyCheck, table))
	if err != nil {
		return fmt.Errorf("store: migrate %s: foreign key check of %s: %w", m.Name, table, err)
	}
	defer rows.Close()
	if rows.Next() {
		var table string
		cols, _ := rows.Columns()
		vals := make([]any, len(cols))
		vals[0] = &table
		for i := 1; i < len(vals); i++ {
			vals[i] = new(any)
		}
		if err := rows.Scan(vals...); err != nil {
			return fmt.Errorf("store: migrate %s: foreign key check: %w", m.Name, err)
		}
		return fmt.Errorf("store: migrate %s: leaves a row of %s whose reference does not resolve", m.Name, table)
	}
	return rows.Err()
}
