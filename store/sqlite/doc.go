// Package sqlite implements smsgw.Store on a single SQLite database file
// (github.com/mattn/go-sqlite3, cgo).
//
// # What it owns
//
// The SQL schema and its embedded, numbered migrations (migrations/NNNN_*.sql,
// recorded in schema_version, each applied in its own transaction by
// Migrate, which Open runs; numbers may have gaps and a migration numbered
// below one already applied still runs, so changes developed side by side
// land in either order; a database holding a version the program does not
// know is refused with ErrNewerSchema), the file modes of the database
// (FileMode: owner only, which SQLite copies to -wal and -shm), the
// transactions behind Store.Update and Store.View, and
// the mapping of driver errors to smsgw error codes. It does not know the
// flows: no keyword, PIN or reply logic lives here.
//
// # Connections and transactions
//
// Open creates two database/sql pools on the same file:
//
//   - a writer with exactly one connection, DSN _txlock=immediate, so every
//     Update starts with BEGIN IMMEDIATE and takes SQLite's write lock at
//     once. Update calls of this process queue for that connection in Go
//     (honouring their context) rather than failing with SQLITE_BUSY, and a
//     read-modify-write inside one Update can never lose an update.
//   - readers (up to GOMAXPROCS, at least 4) with PRAGMA query_only, used by
//     View. In WAL mode each View sees one consistent snapshot and does not
//     block, nor is blocked by, the writer. A write inside View fails.
//
// Every connection sets foreign_keys=on, busy_timeout (Options.BusyTimeout,
// for locks held by other processes), secure_delete=on (erased PIN
// verifiers are overwritten in the file) and synchronous=FULL: with WAL,
// FULL syncs the log on every commit, so an MO acknowledged after Update
// returns survives a power cut; NORMAL could lose the last commits. The
// price is one fsync per Update: on the development VM BenchmarkTransfer
// and BenchmarkInsertMO measure about 230 µs per commit with FULL against
// 90-110 µs with NORMAL; on storage without a write cache the fsync (often
// 1-10 ms) dominates and bounds the MO intake of one process. Batch work
// into fewer Update calls, not weaker durability, if that ever matters.
//
// Update must not be called from inside another Update or View of the same
// Store: with one writer connection it would wait for itself.
//
// # Data representation
//
// Timestamps are INTEGER Unix nanoseconds (UTC): they sort and compare as
// numbers and keep full precision; they are returned in UTC, and times
// outside 1678..2262 are clamped. Amounts are INTEGER whole rupiah. A zero
// id in the domain (no session, no transfer) is NULL, so foreign keys hold.
// Texts are stored as given: callers redact PINs before InsertMO; the PIN
// verifiers passed as secret are kept in the inbox only until FinishMO.
// Parts of concatenated MOs (mo_parts) hold user data the gateway sealed
// before InsertMOPart; they are deleted when their message is stored or
// expired.
//
// # Invariants enforced by SQLite
//
// Wallet and deposit balances are never negative and always INTEGER (CHECK
// constraints; a violation in Transfer is EFunds). Transfer updates both
// balances with balance = balance ± amount and appends the two ledger
// entries inside one savepoint, so a refused transfer writes nothing even if
// the caller commits. Ledger entries and transfers are append-only: triggers
// RAISE(ABORT) on UPDATE and DELETE. Idempotency keys are UNIQUE
// (EConflict); at most one awaiting_pin session per MSISDN is enforced by a
// partial unique index (EBusy); resolving a session is a conditional UPDATE
// (EConflict when already resolved). Driver errors are mapped by extended
// code (sqlite3.ErrConstraintUnique, ErrConstraintCheck,
// ErrConstraintForeignKey...), never by message text.
//
// List methods treat a limit <= 0 as DefaultLimit. Filters build SQL from
// fixed fragments; every value is a bound parameter.
//
// # Concurrency
//
// Store is safe for concurrent use. A Tx belongs to one Update or View call
// and must not be used by several goroutines or after the call returns.
package sqlite
