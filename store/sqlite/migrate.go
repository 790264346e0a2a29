package sqlite

import (
	"context"
	"embed"
	"fmt"
	"io/fs"

	"github.com/smsgw/smsgw/store/sqlstore"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// ErrNewerSchema is returned by Open when the database was migrated by a
// newer version of this package: running against a schema it does not know
// could corrupt data, so the store refuses.
var ErrNewerSchema = sqlstore.ErrNewerSchema

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
	return sqlstore.Migrate(ctx, s.w, sub, dialect, s.log, s.now)
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
