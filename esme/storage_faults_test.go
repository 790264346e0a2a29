package esme_test

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"net/url"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/mattn/go-sqlite3"

	"github.com/smsgw/smsgw/domain"
	"github.com/smsgw/smsgw/keywords"
	"github.com/smsgw/smsgw/smpp"
	"github.com/smsgw/smsgw/smpp/pdu"
	"github.com/smsgw/smsgw/smsgw"
)

// The storage fault tests break the database under a running gateway: a
// write lock held by another connection beyond busy_timeout, a full disk
// (PRAGMA max_page_count: SQLITE_FULL), a read-only database (PRAGMA
// query_only on the store's own writer connection: SQLITE_READONLY, as
// after a read-only remount; chmod would not do, the tests may run as
// root). Each time an MO must get ESME_RX_T_APPN (the SMSC keeps it and
// delivers it again), nothing acknowledged may be lost, and the gateway
// must recover by itself when the fault clears.
//
// The pragmas must run on the store's writer connection (they are per
// connection), so TestMain installs a ConnectHook on the sqlite3 driver
// that hands a test the first connection opened to the database file it
// names (the store opens its single writer first).

func TestMain(m *testing.M) {
	db, err := sql.Open("sqlite3", ":memory:")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	db.Driver().(*sqlite3.SQLiteDriver).ConnectHook = captureHook
	db.Close()
	os.Exit(m.Run())
}

// capture is the armed capture, if any.
var capture struct {
	mu sync.Mutex
	c  *writerConn
}

// writerConn is a store's writer connection, captured: conn is set when
// ready is closed.
type writerConn struct {
	path  string // the database file
	ready chan struct{}
	conn  *sqlite3.SQLiteConn
}

// captureWriter arms the capture of the first connection opened to path.
func captureWriter(t *testing.T, path string) *writerConn {
	t.Helper()
	capture.mu.Lock()
	defer capture.mu.Unlock()
	if capture.c != nil {
		t.Fatal("a capture is already armed")
	}
	w := &writerConn{path: path, ready: make(chan struct{})}
	capture.c = w
	t.Cleanup(func() {
		capture.mu.Lock()
		defer capture.mu.Unlock()
		if capture.c == w {
			capture.c = nil
		}
	})
	return w
}

// wait waits until the connection is captured.
func (w *writerConn) wait(t *testing.T) {
	t.Helper()
	select {
	case <-w.ready:
	case <-time.After(10 * time.Second):
		t.Fatal("the store's writer connection was not captured")
	}
}

// exec runs a pragma on the captured connection. The connection is in use
// by the store meanwhile; SQLite serialises the calls (the driver opens it
// with SQLITE_OPEN_FULLMUTEX) and the statement takes no arguments, so the
// driver keeps no state of its own for it.
func (w *writerConn) exec(t *testing.T, stmt string) {
	t.Helper()
	if _, err := w.conn.Exec(stmt, nil); err != nil {
		t.Fatalf("%s: %v", stmt, err)
	}
}

// captureHook hands the first connection to the armed path to its test.
func captureHook(c *sqlite3.SQLiteConn) error {
	capture.mu.Lock()
	defer capture.mu.Unlock()
	w := capture.c
	if w == nil || mainFile(c) != w.path {
		return nil
	}
	w.conn = c
	close(w.ready)
	capture.c = nil
	return nil
}

// mainFile returns the file of c's main database.
func mainFile(c *sqlite3.SQLiteConn) string {
	rows, err := c.Query("PRAGMA database_list", nil)
	if err != nil {
		return ""
	}
	defer rows.Close()
	vals := make([]driver.Value, len(rows.Columns()))
	for {
		if err := rows.Next(vals); err != nil {
			return "" // io.EOF: no main database
		}
		if name, _ := vals[1].(string); name == "main" {
			file, _ := vals[2].(string)
			return file
		}
	}
}

// probe is an MO from an unregistered number: it is stored and answered
// with a reply of its own, and each probe has its own sender.
type probe struct {
	from  string
	canon string
}

func newProbe(t *testing.T, i int) probe {
	t.Helper()
	p := probe{from: fmt.Sprintf("0813%07d", i)}
	canon, err := keywords.NormalizeMSISDN(p.from)
	if err != nil {
		t.Fatal(err)
	}
	p.canon = string(canon)
	return p
}

// deliverProbe delivers probe p once and returns the status.
func (r *faultRig) deliverProbe(p probe) pdu.Status {
	r.t.Helper()
	st, err := r.deliverOnce(r.t.Context(), p.from, request, "SALDO")
	if err != nil {
		r.t.Fatalf("deliver probe %s: %v", p.from, err)
	}
	return st
}

// recoverProbes redelivers the refused probes until acknowledged, as the
// SMSC does, and waits until every probe of answered has its answer: the
// gateway stores, processes and sends again.
func (r *faultRig) recoverProbes(refused, answered []probe) {
	r.t.Helper()
	ctx, cancel := context.WithTimeout(r.t.Context(), flowDeadline)
	defer cancel()
	for _, p := range refused {
		if err := r.deliverUntilOK(ctx, p.from, request, "SALDO"); err != nil {
			r.t.Fatalf("probe %s after the fault: %v", p.from, err)
		}
	}
	for _, p := range answered {
		if err := r.mts.waitFunc(ctx, func(ms []sentMT) bool {
			return slices.ContainsFunc(ms, func(m sentMT) bool { return m.to == p.canon })
		}); err != nil {
			r.t.Fatalf("no answer to probe %s: %v", p.from, err)
		}
	}
}

// queueUnsent has the gateway answer probe p while the bind is
// suspended, so that the answer waits in the outbox: once the bind is
// resumed under a storage fault, the SMSC accepts it and the store cannot
// record that.
func (r *faultRig) queueUnsent(p probe) {
	t := r.t
	t.Helper()
	if err := r.e.Suspend("a"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the bind suspended", 30*time.Second, func() bool { return r.client().State() == smpp.ClientSuspended })
	if err := r.gw.HandleMO(t.Context(), smsgw.MO{From: p.from, To: request, Text: "SALDO"}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the answer queued", 30*time.Second, func() bool {
		var ms []smsgw.Message
		if err := r.db.View(t.Context(), func(tx smsgw.Tx) (err error) {
			ms, err = tx.Messages(smsgw.MessageFilter{MSISDN: domain.MSISDN(p.canon), Direction: smsgw.DirOut, Status: smsgw.MsgQueued})
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return len(ms) == 1
	})
}

// resumeUnrecorded resumes the bind and waits until the SMSC has accepted
// the answer to p queued by queueUnsent: under the fault, the store cannot
// record that it was sent.
func (r *faultRig) resumeUnrecorded(p probe) {
	r.t.Helper()
	if err := r.e.Resume("a"); err != nil {
		r.t.Fatal(err)
	}
	waitFor(r.t, "the queued answer sent", 30*time.Second, func() bool { return r.mts.count(p.canon, "") >= 1 })
}

// checkOnce asserts that the answer to each probe reached the SMSC
// exactly once: no submit had an unknown outcome in these tests, and an
// answer sent while the store could not record it is not sent again.
func (r *faultRig) checkOnce(ps ...probe) {
	r.t.Helper()
	for _, p := range ps {
		if n := r.mts.count(p.canon, ""); n != 1 {
			r.t.Errorf("the answer to %s reached the SMSC %d times, want once", p.from, n)
		}
	}
}

// TestStorageFaultDatabaseLocked holds the database's write lock from
// another connection, beyond the store's busy_timeout, in the middle of a
// run.
func TestStorageFaultDatabaseLocked(t *testing.T) {
	r := newFaultRig(t, rigOptions{busy: 100 * time.Millisecond})
	first, second := halves(r.addPayers(1100, 10))
	wait1 := r.startFlows(first)
	r.waitPrompts(3)
	queued := newProbe(t, 1100)
	r.queueUnsent(queued)

	q := url.Values{}
	q.Set("_txlock", "immediate")
	q.Set("_busy_timeout", "10000")
	other, err := sql.Open("sqlite3", (&url.URL{Scheme: "file", Path: r.path, RawQuery: q.Encode()}).String())
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	lock, err := other.BeginTx(t.Context(), nil) // BEGIN IMMEDIATE: the write lock
	if err != nil {
		t.Fatal(err)
	}
	r.resumeUnrecorded(queued)
	wait2 := r.startFlows(second)
	p := newProbe(t, 1101)
	if st := r.deliverProbe(p); st != pdu.StatusXTAppn {
		t.Errorf("MO while the database is locked = %v, want ESME_RX_T_APPN", st)
	}
	waitFor(t, "MOs of the flows refused", 30*time.Second, func() bool { return r.status(pdu.StatusXTAppn) >= 4 })
	if err := lock.Rollback(); err != nil {
		t.Fatal(err)
	}
	r.recoverProbes([]probe{p}, []probe{p, queued})
	wait1()
	wait2()
	r.checkFlows(slices.Concat(first, second), r.maxDupMTs())
	r.checkOnce(p, queued)
}

// TestStorageFaultDiskFull fills the database (no page may be added) in the
// middle of a run, until MOs cannot be stored, then frees space.
func TestStorageFaultDiskFull(t *testing.T) {
	r := newFaultRig(t, rigOptions{capture: true})
	first, second := halves(r.addPayers(1200, 10))
	wait1 := r.startFlows(first)
	r.waitPrompts(3)
	queued := newProbe(t, 1200)
	r.queueUnsent(queued)

	r.conn.exec(t, "PRAGMA max_page_count = 1") // never below the current size: full now
	if err := r.e.Resume("a"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the bind resumed", 30*time.Second, r.client().Bound)
	probes := []probe{queued}
	var refused []probe
	for i := 0; len(refused) == 0; i++ {
		if i == 500 {
			t.Fatal("500 MOs stored on a full database: the fault did not bite")
		}
		p := newProbe(t, 1201+i)
		probes = append(probes, p)
		switch st := r.deliverProbe(p); st {
		case pdu.StatusXTAppn:
			refused = append(refused, p)
		case pdu.StatusOK:
		default:
			t.Fatalf("MO while the disk fills = %v, want ESME_ROK or ESME_RX_T_APPN", st)
		}
	}
	wait2 := r.startFlows(second)
	waitFor(t, "MOs of the flows refused", 30*time.Second, func() bool { return r.status(pdu.StatusXTAppn) >= 4 })
	r.conn.exec(t, "PRAGMA max_page_count = 1073741823")
	r.recoverProbes(refused, probes)
	wait1()
	wait2()
	r.checkFlows(slices.Concat(first, second), r.maxDupMTs())
	r.checkOnce(probes...)
}

// TestStorageFaultReadOnly makes the database read-only for the store in
// the middle of a run, then writable again.
func TestStorageFaultReadOnly(t *testing.T) {
	r := newFaultRig(t, rigOptions{capture: true})
	first, second := halves(r.addPayers(1300, 10))
	wait1 := r.startFlows(first)
	r.waitPrompts(3)
	queued := newProbe(t, 1300)
	r.queueUnsent(queued)

	r.conn.exec(t, "PRAGMA query_only = 1")
	r.resumeUnrecorded(queued)
	wait2 := r.startFlows(second)
	var refused []probe
	for i := range 3 {
		p := newProbe(t, 1301+i)
		refused = append(refused, p)
		if st := r.deliverProbe(p); st != pdu.StatusXTAppn {
			t.Errorf("MO while the database is read-only = %v, want ESME_RX_T_APPN", st)
		}
	}
	waitFor(t, "MOs of the flows refused", 30*time.Second, func() bool { return r.status(pdu.StatusXTAppn) >= 6 })
	r.conn.exec(t, "PRAGMA query_only = 0")
	r.recoverProbes(refused, append(refused, queued))
	wait1()
	wait2()
	r.checkFlows(slices.Concat(first, second), r.maxDupMTs())
	r.checkOnce(append(refused, queued)...)
}
