package main

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/smsgw/smsgw/domain"
	"github.com/smsgw/smsgw/partner"
	"github.com/smsgw/smsgw/smsgw"
	"github.com/smsgw/smsgw/smsgw/smsgwtest"
	"github.com/smsgw/smsgw/store/postgres"
	"github.com/smsgw/smsgw/store/postgres/pgtest"
	"github.com/smsgw/smsgw/store/sqlite"
	"github.com/smsgw/smsgw/store/storecopy"
)

// copyInstallation builds a SQLite installation the way a daemon fills
// one: customers, SMS top-ups (one confirmed, one refused for a wrong PIN,
// one waiting for its PIN), a concatenated MO half received, a partner
// deposit, top-up and VA payment with their callbacks, and operator
// actions in the audit trail. It returns the config and the database file.
func copyInstallation(t *testing.T) (cfg, db string) {
	t.Helper()
	ctx := t.Context()
	t.Setenv("SMSGW_PIN_KEY", e2eKey)
	cfg = writeConfig(t, fmt.Sprintf(consoleBase, false)+"[database]\npath = \"gw.db\"\n")
	db = filepath.Join(filepath.Dir(cfg), "gw.db")
	gw, closeStore, err := adminGateway(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer closeStore()
	const other = "08110000001"
	for _, c := range []struct{ msisdn, account, name, pin string }{
		{e2ePayer, e2ePayer, "Ani", e2ePIN},
		{other, e2eAccount, "Budi \u00e9\u4e2d", "135791"},
		{"08110000003", "08110000003", "Citra", "864200"},
	} {
		if err := gw.AddCustomer(ctx, c.msisdn, c.account, c.name, domain.PIN(c.pin)); err != nil {
			t.Fatal(err)
		}
	}
	n := 0
	mo := func(from, to, text string) {
		t.Helper()
		n++
		if err := gw.HandleMO(ctx, smsgw.MO{From: from, To: to, Text: text, SMSCID: "smsc-" + strconv.Itoa(n),
			Channel: smsgw.ChannelSMS, Link: "smsc#1"}); err != nil {
			t.Fatal(err)
		}
		if _, err := gw.ProcessInbox(ctx); err != nil {
			t.Fatal(err)
		}
	}
	mo(e2ePayer, "9779", "IM2PAY "+e2eAccount+" 50000")
	mo(e2ePayer, "3355", e2ePIN)
	mo(e2ePayer, "9779", "IM2PAY "+e2eAccount+" 75000")
	mo(e2ePayer, "3355", e2ePIN)
	mo(other, "9779", "IM2PAY "+e2ePayer+" 100000")
	mo(other, "3355", "000000")
	mo("08110000003", "9779", "IM2PAY "+e2eAccount+" 50000")
	mo("08129999999", "9779", "SALDO")
	if err := gw.HandleMOPart(ctx, smsgw.MOPart{Key: "08110000003/9779/7", Seq: 1, Total: 2, Data: []byte("IM2PAY 0811"),
		From: "08110000003", To: "9779", SMSCID: "p1", Link: "smsc#1"}, func(ps []smsgw.MOPart) string { return "" }); err != nil {
		t.Fatal(err)
	}
	// A long MO goes through the inbox (its parts are stored first), so
	// the copy has an inbox row too.
	for i, d := range []string{"SAL", "DO"} {
		if err := gw.HandleMOPart(ctx, smsgw.MOPart{Key: other + "/9779/8", Seq: i + 1, Total: 2, Data: []byte(d),
			From: other, To: "9779", SMSCID: "q" + strconv.Itoa(i), Link: "smsc#1"}, smsgwtest.JoinText); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := gw.ProcessInbox(ctx); err != nil {
		t.Fatal(err)
	}

	svc, err := partner.New(gw, partner.Options{
		Partners: []partner.Partner{{ID: "reseller"}, {ID: "bank", VA: true}},
		Notifier: partner.NotifierFunc(func(_ context.Context, r partner.Request) error {
			if r.Partner == "bank" {
				return deadLetter{}
			}
			return nil
		}),
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.Init(ctx); err != nil {
		t.Fatal(err)
	}
	admin := smsgw.Actor{Name: "cli:test", Role: "admin", Remote: "127.0.0.1"}
	if _, err := svc.Deposit(ctx, admin, "reseller", 500_000, "TRF-1"); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.TopUp(ctx, partner.TopUpRequest{Partner: "reseller", RefID: "INV-1", Product: "IP50", Dest: e2ePayer}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.PayVA(ctx, partner.VAPayment{Partner: "bank", VA: "0138877" + e2ePayer, Amount: 100_000, BankRef: "BR-1"}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.SendCallbacks(ctx); err != nil {
		t.Fatal(err)
	}
	if err := gw.LockCustomer(ctx, admin, "08110000003", time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := gw.RecordAudit(ctx, admin, "test.note", e2ePayer, "moved to PostgreSQL"); err != nil {
		t.Fatal(err)
	}
	return cfg, db
}

// storeContents is what an operator sees of a database through the
// store's own API.
type storeContents struct {
	Customers []smsgw.Customer
	Accounts  map[domain.AccountID]smsgw.Account
	Ledger    []smsgw.LedgerLine
	LedgerSum int64
	Sessions  []smsgw.Session
	Messages  []smsgw.Message
	Audit     []smsgw.AuditEntry
}

func readContents(t *testing.T, st smsgw.Store) storeContents {
	t.Helper()
	var c storeContents
	err := st.View(t.Context(), func(tx smsgw.Tx) error {
		var err error
		if c.Customers, err = tx.CustomerList(smsgw.CustomerFilter{Limit: 500}); err != nil {
			return err
		}
		if c.LedgerSum, err = tx.LedgerSum(); err != nil {
			return err
		}
		// Every account reached from a customer's wallet through
		// transfers, with its ledger lines.
		c.Accounts = map[domain.AccountID]smsgw.Account{}
		var todo []domain.AccountID
		for _, cu := range c.Customers {
			todo = append(todo, domain.AccountID("wallet:"+string(cu.Account)))
		}
		for len(todo) > 0 {
			id := todo[0]
			todo = todo[1:]
			if _, ok := c.Accounts[id]; ok {
				continue
			}
			a, err := tx.Account(id)
			if err != nil {
				return fmt.Errorf("account %s: %w", id, err)
			}
			c.Accounts[id] = *a
			lines, err := tx.Ledger(smsgw.LedgerFilter{Account: id, Limit: 500})
			if err != nil {
				return err
			}
			c.Ledger = append(c.Ledger, lines...)
			for _, l := range lines {
				es, err := tx.TransferEntries(l.TransferID)
				if err != nil {
					return err
				}
				for _, e := range es {
					todo = append(todo, e.Account)
				}
			}
		}
		if c.Sessions, err = tx.Sessions(smsgw.SessionFilter{Limit: 500}); err != nil {
			return err
		}
		if c.Messages, err = tx.Messages(smsgw.MessageFilter{Limit: 500}); err != nil {
			return err
		}
		c.Audit, err = tx.AuditTrail(smsgw.AuditFilter{Limit: 500})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// lastEntry returns the highest ledger entry id of c.
func lastEntry(c storeContents) int64 {
	var id int64
	for _, l := range c.Ledger {
		id = max(id, l.ID)
	}
	return id
}

// storeCopy runs `smsgw store <args>` and returns its exit status, stdout
// and stderr.
func storeCopy(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Main(t.Context(), append([]string{"store"}, args...), strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

// TestStoreCopy moves an installation to PostgreSQL and checks through the
// PostgreSQL store that everything arrived, then keeps using it.
func TestStoreCopy(t *testing.T) {
	_, db := copyInstallation(t)
	dsn := pgtest.DSN(t)
	code, out, errOut := storeCopy(t, "copy", "--from", db, "--to", dsn)
	if code != 0 {
		t.Fatalf("store copy = %d\n%s\n%s", code, out, errOut)
	}
	for _, want := range []string{"copied sms_log:", "copied ledger_entries:", "verifying"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("progress on stderr lacks %q:\n%s", want, errOut)
		}
	}
	for _, want := range []string{"\nverified: ", "customers", "audit_log", "partner_requests", "ledger: 10 entries in 5 transfers sum to 0"} {
		if !strings.Contains(out, want) {
			t.Errorf("summary lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "schema_version") {
		t.Errorf("summary lists the migration bookkeeping:\n%s", out)
	}
	t.Log(out)

	src, err := sqlite.Open(t.Context(), db, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := readContents(t, src)
	src.Close()
	dst, err := postgres.Open(t.Context(), dsn, postgres.Options{})
	if err != nil {
		t.Fatal(err)
	}
	got := readContents(t, dst)
	dst.Close()
	if len(want.Customers) != 3 || len(want.Sessions) != 4 || len(want.Messages) < 15 || len(want.Audit) < 3 ||
		want.Accounts["wallet:628110000009"].Balance != 125_000 || want.LedgerSum != 0 {
		t.Fatalf("the installation is not what the test built: %d customers, %d sessions, %d messages, %d audit rows, wallet %d",
			len(want.Customers), len(want.Sessions), len(want.Messages), len(want.Audit), want.Accounts["wallet:628110000009"].Balance)
	}
	for name, pair := range map[string][2]any{
		"customers": {want.Customers, got.Customers}, "accounts": {want.Accounts, got.Accounts},
		"ledger": {want.Ledger, got.Ledger}, "ledger sum": {want.LedgerSum, got.LedgerSum},
		"sessions": {want.Sessions, got.Sessions}, "SMS log": {want.Messages, got.Messages}, "audit trail": {want.Audit, got.Audit},
	} {
		if !reflect.DeepEqual(pair[0], pair[1]) {
			t.Errorf("%s differs after the copy:\nSQLite:     %+v\nPostgreSQL: %+v", name, pair[0], pair[1])
		}
	}

	// `store verify` agrees, and says so without writing.
	if code, out, errOut := storeCopy(t, "verify", "-from", db, "-to", dsn); code != 0 || !strings.Contains(out, "\nverified: ") {
		t.Errorf("store verify = %d\n%s\n%s", code, out, errOut)
	}

	// A daemon configured for the copy carries on: new rows get new ids,
	// the PIN set in SQLite still works, the wallet keeps its money.
	t.Setenv("COPY_DATABASE_URL", dsn)
	pgCfg := writeConfig(t, fmt.Sprintf(consoleBase, false)+"[database]\ndriver = \"postgres\"\ndsn_env = \"COPY_DATABASE_URL\"\n")
	gw, closeStore, err := adminGateway(t.Context(), pgCfg)
	if err != nil {
		t.Fatal(err)
	}
	defer closeStore()
	for i, m := range []smsgw.MO{
		{From: e2ePayer, To: "9779", Text: "IM2PAY " + e2eAccount + " 50000", SMSCID: "pg-1"},
		{From: e2ePayer, To: "3355", Text: e2ePIN, SMSCID: "pg-2"},
	} {
		m.Channel, m.Link = smsgw.ChannelSMS, "smsc#2"
		if err := gw.HandleMO(t.Context(), m); err != nil {
			t.Fatalf("MO %d on the copy: %v", i, err)
		}
		if _, err := gw.ProcessInbox(t.Context()); err != nil {
			t.Fatalf("MO %d on the copy: %v", i, err)
		}
	}
	if err := gw.RecordAudit(t.Context(), smsgw.Actor{Name: "cli:test", Role: "admin"}, "test.after", e2ePayer, ""); err != nil {
		t.Fatal(err)
	}
	a, _, err := gw.Wallet(t.Context(), e2eAccount, 1)
	if err != nil || a.Balance != 175_000 {
		t.Fatalf("wallet after a top-up on the copy = %+v, %v; want 175000", a, err)
	}
	after := readContents(t, gw.Store())
	if len(after.Messages) != len(want.Messages)+4 || after.Messages[0].ID <= want.Messages[0].ID ||
		after.Sessions[0].ID <= want.Sessions[0].ID || after.Audit[0].ID <= want.Audit[0].ID ||
		lastEntry(after) <= lastEntry(want) || after.LedgerSum != 0 {
		t.Errorf("rows written on the copy: %d messages (had %d), newest ids: message %d (was %d), session %d (was %d), audit %d (was %d), entry %d (was %d); ledger sum %d",
			len(after.Messages), len(want.Messages), after.Messages[0].ID, want.Messages[0].ID, after.Sessions[0].ID, want.Sessions[0].ID,
			after.Audit[0].ID, want.Audit[0].ID, lastEntry(after), lastEntry(want), after.LedgerSum)
	}

	// The database now holds rows: a second copy is refused and changes
	// nothing.
	before := countRows(t, dsn)
	code, out, errOut = storeCopy(t, "copy", "-from", db, "-to", dsn)
	if code != 1 || !strings.Contains(errOut, "refused") || !strings.Contains(errOut, "not empty") || !strings.Contains(errOut, "sms_log") {
		t.Errorf("copy into a database in use = %d\n%s\n%s", code, out, errOut)
	}
	if now := countRows(t, dsn); !reflect.DeepEqual(now, before) {
		t.Errorf("a refused copy changed the target: %v, was %v", now, before)
	}
	// And verify names a table that differs.
	if code, _, errOut := storeCopy(t, "verify", "-from", db, "-to", dsn); code != 1 || !strings.Contains(errOut, "verification failed: table ") {
		t.Errorf("store verify after new rows = %d\n%s", code, errOut)
	}
}

// countRows counts the rows of every table of the database at dsn.
func countRows(t *testing.T, dsn string) map[string]int64 {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	rows, err := conn.Query(t.Context(), "SELECT tablename::text FROM pg_tables WHERE schemaname = current_schema()")
	if err != nil {
		t.Fatal(err)
	}
	tables, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	counts := map[string]int64{}
	for _, tb := range tables {
		var n int64
		if err := conn.QueryRow(t.Context(), "SELECT count(*) FROM "+pgx.Identifier{tb}.Sanitize()).Scan(&n); err != nil {
			t.Fatal(err)
		}
		counts[tb] = n
	}
	return counts
}

// TestStoreCopyVerifyCatchesChanges changes single values in a verified
// copy: verification names the table.
func TestStoreCopyVerifyCatchesChanges(t *testing.T) {
	_, db := copyInstallation(t)
	dsn := pgtest.DSN(t)
	if _, err := storecopy.Copy(t.Context(), db, dsn, storecopy.Options{}); err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	for _, c := range []struct{ table, change, undo string }{
		// A name one letter off, a PIN salt one byte off, a time one
		// nanosecond off, a NULL for an empty string: none changes a count.
		{"customers", "UPDATE customers SET name = 'ani' WHERE name = 'Ani'", "UPDATE customers SET name = 'Ani' WHERE name = 'ani'"},
		{"customers", "UPDATE customers SET pin_salt = set_byte(pin_salt, 0, get_byte(pin_salt, 0) # 1) WHERE msisdn = '628110000002'",
			"UPDATE customers SET pin_salt = set_byte(pin_salt, 0, get_byte(pin_salt, 0) # 1) WHERE msisdn = '628110000002'"},
		{"sessions", "UPDATE sessions SET created_at = created_at + 1 WHERE id = 1", "UPDATE sessions SET created_at = created_at - 1 WHERE id = 1"},
		{"inbox", "UPDATE inbox SET secret = '' WHERE secret IS NULL AND sms_id = (SELECT min(sms_id) FROM inbox)",
			"UPDATE inbox SET secret = NULL WHERE sms_id = (SELECT min(sms_id) FROM inbox)"},
	} {
		if tag, err := conn.Exec(t.Context(), c.change); err != nil || tag.RowsAffected() != 1 {
			t.Fatalf("%s: %v (%d rows)", c.change, err, tag.RowsAffected())
		}
		_, err := storecopy.Verify(t.Context(), db, dsn)
		var mm *storecopy.MismatchError
		if !errors.As(err, &mm) || mm.Table != c.table || !strings.Contains(mm.What, "checksum") {
			t.Errorf("after %q: Verify = %v, want a checksum mismatch in %s", c.change, err, c.table)
		}
		if _, err := conn.Exec(t.Context(), c.undo); err != nil {
			t.Fatal(err)
		}
		if _, err := storecopy.Verify(t.Context(), db, dsn); err != nil {
			t.Fatalf("after undoing %q: %v", c.change, err)
		}
	}
	// A wallet's balance moved without an entry (triggers keep the ledger
	// itself append-only).
	if _, err := conn.Exec(t.Context(), "UPDATE accounts SET balance = balance + 1 WHERE id = 'wallet:628110000009'"); err != nil {
		t.Fatal(err)
	}
	_, err = storecopy.Verify(t.Context(), db, dsn)
	var mm *storecopy.MismatchError
	if !errors.As(err, &mm) || mm.Table != "accounts" {
		t.Errorf("after a balance change: Verify = %v, want a mismatch in accounts", err)
	}
	if _, err := conn.Exec(t.Context(), "UPDATE accounts SET balance = balance - 1 WHERE id = 'wallet:628110000009'"); err != nil {
		t.Fatal(err)
	}
	// A missing row.
	if _, err := conn.Exec(t.Context(), "DELETE FROM mo_parts"); err != nil {
		t.Fatal(err)
	}
	if _, err = storecopy.Verify(t.Context(), db, dsn); !errors.As(err, &mm) || mm.Table != "mo_parts" || mm.What != "row count" {
		t.Errorf("after deleting rows: Verify = %v, want a row count mismatch", err)
	}
}

// TestStoreCopySourceSchema refuses a source that is not at this
// program's schema, before touching the target.
func TestStoreCopySourceSchema(t *testing.T) {
	_, db := copyInstallation(t)
	raw, err := sql.Open("sqlite3", db)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	dsn := pgtest.DSN(t)
	for _, c := range []struct{ change, undo, want string }{
		{"DELETE FROM schema_version WHERE version = (SELECT max(version) FROM schema_version)",
			"INSERT INTO schema_version (version, applied_at) VALUES ((SELECT max(version) FROM schema_version) + 1, 0)",
			"run `smsgw migrate`"},
		{"INSERT INTO schema_version (version, applied_at) VALUES (9999, 0)",
			"DELETE FROM schema_version WHERE version = 9999",
			"does not know"},
	} {
		if _, err := raw.Exec(c.change); err != nil {
			t.Fatal(err)
		}
		code, out, errOut := storeCopy(t, "copy", "-from", db, "-to", dsn)
		if code != 1 || !strings.Contains(errOut, "refused") || !strings.Contains(errOut, c.want) {
			t.Errorf("copy of an out-of-date source = %d, want 1 and %q\n%s\n%s", code, c.want, out, errOut)
		}
		if _, err := raw.Exec(c.undo); err != nil {
			t.Fatal(err)
		}
	}
	if n := countRows(t, dsn); len(n) != 0 {
		t.Errorf("a refused copy created tables in the target: %v", n)
	}
}

// TestStoreCopyUsage checks the command line, and that a DSN's password
// appears in no output, also when the connection fails.
func TestStoreCopyUsage(t *testing.T) {
	for _, args := range [][]string{nil, {"nosuch"}, {"copy"}, {"copy", "-from", "x.db"}, {"copy", "-to", "postgres://h/db"},
		{"copy", "-from", "x.db", "-to", "postgres://h/db", "extra"}, {"copy", "-nosuch"}} {
		code, _, errOut := storeCopy(t, args...)
		if code != 2 || !strings.HasPrefix(errOut, "usage: ") || strings.Contains(errOut, "usage: usage:") {
			t.Errorf("smsgw store %q = %d, want 2 and one usage:\n%s", args, code, errOut)
		}
	}
	code, out, _ := storeCopy(t, "copy", "-h")
	if code != 0 || !strings.Contains(out, "PGPASSWORD") || !strings.Contains(out, "~/.pgpass") {
		t.Errorf("smsgw store copy -h = %d, want the synopsis naming PGPASSWORD and .pgpass:\n%s", code, out)
	}
	missing := filepath.Join(t.TempDir(), "missing.db")
	code, _, errOut := storeCopy(t, "copy", "-from", missing, "-to", "postgres://smsgw:s3cret-pw@127.0.0.1:1/x")
	if code != 1 || !strings.Contains(errOut, "missing.db") {
		t.Errorf("copy from a missing file = %d\n%s", code, errOut)
	}
	if _, err := os.Stat(missing); err == nil {
		t.Error("copy from a missing file created it")
	}

	_, db := copyInstallation(t)
	for _, dsn := range []string{"postgres://smsgw:s3cret-pw@127.0.0.1:1/x?connect_timeout=2",
		"host=127.0.0.1 port=1 user=smsgw password=s3cret-pw dbname=x connect_timeout=2", "postgres://smsgw:s3cret-pw@[::1/x"} {
		code, out, errOut := storeCopy(t, "copy", "-from", db, "-to", dsn)
		if code != 1 || strings.Contains(out+errOut, "s3cret-pw") {
			t.Errorf("copy to an unreachable %q = %d, want 1 without the password:\n%s\n%s", dsn, code, out, errOut)
		}
	}
}

// TestStoreCopyWhileRunning copies a database a daemon keeps writing to:
// the copy is one snapshot, so it verifies, and holds a prefix of the
// writes.
func TestStoreCopyWhileRunning(t *testing.T) {
	cfg, db := copyInstallation(t)
	dsn := pgtest.DSN(t)
	gw, closeStore, err := adminGateway(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer closeStore()
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan int)
	go func() {
		n := 0
		for ctx.Err() == nil {
			if err := gw.RecordAudit(ctx, smsgw.Actor{Name: "cli:writer", Role: "admin"}, "test.write", strconv.Itoa(n), ""); err != nil {
				break
			}
			n++
		}
		done <- n
	}()
	time.Sleep(50 * time.Millisecond)
	res, err := storecopy.Copy(t.Context(), db, dsn, storecopy.Options{})
	cancel()
	written := <-done
	if err != nil {
		t.Fatalf("copy of a database in use: %v", err)
	}
	var audit int64
	for _, tb := range res.Tables {
		if tb.Name == "audit_log" {
			audit = tb.Rows
		}
	}
	t.Logf("%d audit rows written during the test, %d copied", written, audit)
	if audit < 3 || audit > int64(3+written) {
		t.Errorf("copied %d audit rows; the writer wrote %d after the 3 there were", audit, written)
	}
}

// TestStoreCopyLarge measures a copy of SMSGW_STORECOPY_ROWS SMS log rows
// (e.g. 1000000), with as many ids, receipts and audit rows.
func TestStoreCopyLarge(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("SMSGW_STORECOPY_ROWS"))
	if n <= 0 {
		t.Skip("set SMSGW_STORECOPY_ROWS to the number of SMS log rows to copy")
	}
	_, db := copyInstallation(t)
	raw, err := sql.Open("sqlite3", db)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	for _, q := range []string{
		`INSERT INTO sms_log (id, direction, channel, short_code, msisdn, text, keyword, status, created_at, updated_at)
		 WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < ?)
		 SELECT 1000 + i, 'in', 'sms', '9779', '6281' || (100000000 + i % 50000), 'SALDO', 'SALDO', 'processed', 1700000000000000000 + i * 1000, 1700000000000000000 + i * 1000 FROM s`,
		`INSERT INTO sms_smsc_ids (sms_id, part, smsc_id, dlr_at)
		 WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < ?)
		 SELECT 1000 + i, 0, 'smsc-' || i, 1700000000000000000 + i FROM s`,
		`INSERT INTO audit_log (at, actor, action, target, detail)
		 WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < ? / 10)
		 SELECT 1700000000000000000 + i, 'cli:load', 'test.load', 'x' || i, 'detail of row ' || i FROM s`,
	} {
		if _, err := raw.Exec(q, n); err != nil {
			t.Fatal(err)
		}
	}
	raw.Close()
	fi, _ := os.Stat(db)
	t.Logf("built %d SMS log rows (%d MB) in %s", n, fi.Size()>>20, time.Since(start).Round(time.Millisecond))
	var progress bytes.Buffer
	res, err := storecopy.Copy(t.Context(), db, pgtest.DSN(t), storecopy.Options{Progress: &progress})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("copied and verified %d rows in %s\n%s", res.Rows(), res.Elapsed.Round(time.Millisecond), progress.String())
}
