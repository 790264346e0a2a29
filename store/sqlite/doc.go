// Package sqlite implements smsgw.Store on a single SQLite database file
// (github.com/mattn/go-sqlite3, cgo).
//
// # What it owns
//
// The SQL schema and its embedded, numbered migrations (migrations/NNNN_*.sql,
// recorded in schema_version, each applied in its own transaction when
// Open runs; numbers may have gaps and a migration numbered
// below one already applied still runs, so changes developed side by side
// land in either order; a database holding a version the program does not
// know is refused with ErrNewerSchema), the file modes of the database
// (FileMode: owner only, which SQLite copies to -wal and -shm), the
// transactions behind Store.Update and Store.View, and
// SQLite's Dialect for package sqlstore, which holds the statements of every
// smsgw.Tx and partner.Tx method. It does not know the flows: no keyword,
// PIN or reply logic lives here.
//
// # Connections and transactions
//
// Open creates two database/sql pools on the same file:
//
//   - a writer with exactly one connection, DSN _txlock=immediate, so every
//     write transaction starts with BEGIN IMMEDIATE and takes SQLite's write
//     lock at once. Update calls of this process queue in Go (honouring
//     their context) for the writer goroutine that owns that connection
//     (see Group commit) rather than failing with SQLITE_BUSY, and a
//     read-modify-write inside one Update can never lose an update. Once
//     Open has migrated, the writer goroutine holds the connection and
//     runs BEGIN IMMEDIATE and COMMIT on it itself, with its statements
//     compiled once (writerConn): a sql.Tx would start a goroutine for
//     every query.
//   - readers (up to GOMAXPROCS, at least 4) with PRAGMA query_only, used by
//     View. In WAL mode each View sees one consistent snapshot and does not
//     block, nor is blocked by, the writer. A write inside View fails.
//   - a checkpointer with one connection of its own, which copies the
//     write-ahead log back into the database file every 25 ms (PASSIVE),
//     so that commits do not (the writer checkpoints itself only if the
//     log reaches 16,384 pages); see checkpoint.go.
//
// Every connection sets foreign_keys=on, busy_timeout (Options.BusyTimeout,
// for locks held by other processes), secure_delete=on (erased PIN
// verifiers are overwritten in the file) and synchronous=NORMAL; the writer
// also keeps savepoint journals in memory (temp_store). Durability is the
// store's own: with Options.Synchronous "FULL" (the default) an Update
// returns only once the write-ahead log holding its commit is synced, so an
// MO acknowledged after Update returns survives a power cut. SQLite's FULL
// would sync inside every COMMIT while the one writer waits; instead a
// syncer goroutine syncs the log after each commit, and one sync covers
// every commit written before it, while the writer already runs the next
// group (logsync.go). "NORMAL" skips that sync: the last commits can be
// lost to a power cut or an OS crash, never to a killed process.
//
// Update must not be called from inside another Update or View of the same
// Store: with one writer it would wait for itself.
//
// # Group commit
//
// Open starts one writer goroutine; Close stops it after the group in
// progress and waits for it (calls it has not taken, and later calls, get
// ErrClosed).
// The writer takes the first queued Update call and every other call
// queued at that moment, up to Options.MaxBatch (DefaultMaxBatch, 128; 1
// turns grouping off), and runs them one after the other in ONE
// transaction, each inside its own SAVEPOINT, then commits once. There is
// no artificial delay: a call alone is committed at once, and calls that
// arrive while a group commits form the next group, so under load N
// concurrent writers cost about one fsync per group instead of N
// (BenchmarkUpdateParallel: about 16 calls per commit and 3-5 times the
// throughput with 32 writers on 2 cores). Stats reports commits, calls
// committed (Batched / Commits is the average group size), the largest
// group and retries.
//
// A call whose context is marked by smsgw.Background (the expiry of
// sessions and its notices: large transactions nobody waits for) is never
// grouped: it runs alone once no other call waits, or after bgEvery (4)
// groups of other calls while it waits, so that an MO queued beside it
// waits for at most one such transaction and background work still
// progresses under a load that never lets the queue empty.
//
// The guarantees are those of one Update per transaction:
//
//   - Update returns nil only after the COMMIT holding fn's writes and,
//     with Synchronous FULL, the sync of the log that holds it: an MO is
//     acknowledged only once it is durable.
//   - fn runs on the writer goroutine, which holds the connection (handing
//     the transaction to the caller's goroutine and back cost two goroutine
//     switches per call). A panic in fn is recovered there, its writes are
//     rolled back, and the caller panics with the same value; runtime.Goexit
//     in fn (t.Fatal in a test) makes the caller call runtime.Goexit too,
//     while a new writer goroutine runs the rest of the batch again (each
//     call alone) and takes over the queue.
//   - fn returning an error, panicking, or finding its ctx ended when it
//     returns: ROLLBACK TO its savepoint; the caller gets fn's error
//     unchanged, the panic, or ctx.Err(); the other calls of the group are
//     unaffected and commit.
//   - A group whose transaction fails (a savepoint statement fails, SQLite
//     rolled the whole transaction back on its own, e.g. SQLITE_FULL or
//     IOERR, or COMMIT fails) is rolled back, and every call that had not
//     failed on its own runs again ALONE in a transaction of its own, so
//     one call cannot fail the others. fn may therefore run twice
//     (smsgw.Store.Update documents this); a call that fails alone gets its
//     own error.
//   - A call whose ctx ends while it waits in the queue returns ctx.Err()
//     and its fn never runs; once the writer has taken a call, its caller
//     waits for the outcome whatever its ctx does, and the writer skips a
//     call whose ctx has ended before its turn. Inside a group, statements
//     run with context.WithoutCancel of the call's ctx, because a
//     cancelled statement interrupts the connection and could roll back
//     the whole shared transaction; ctx is checked between calls instead.
//     A call alone in its transaction runs with its ctx as is.
//   - Calls of a group see the writes of the calls before them in the same
//     group, exactly as if they had committed one after the other in that
//     order; View (the reader pool) sees a group only once it is committed.
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
// (EConflict); at most one awaiting_pin session per MSISDN is enforced by
// the unique open_msisdn a session holds until it is resolved (EBusy; an
// expired one holds it until the MSISDN's next session frees it, so that
// the expiry changes no index keyed by MSISDN: migration 0018,
// sqlstore.Dialect.OpenSlots); resolving a session is a conditional UPDATE
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
