package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/smsgw/smsgw/smpp/pdu"
	"github.com/smsgw/smsgw/smpp/smpptest"
	"github.com/smsgw/smsgw/store/postgres/pgtest"
)

// TestCluster runs three daemons on one PostgreSQL database, all bound to
// one SMSC that delivers each MO to any of them. Customers top up their
// wallets while one daemon is killed (SIGKILL) and, later, another is
// restarted. Afterwards: every flow was answered, each confirmed session
// has exactly one transfer and one result SMS, the ledger sums to zero,
// every wallet holds what its customer paid, and each abandoned session
// was expired (and its customer told) once.
//
// Meanwhile a reseller sends signed top-ups over the partner API to any
// daemon (a load balancer), moving to another when one does not answer and
// sending some again through another daemon: each refid is credited once,
// its wallet holds it, and the reseller hears of each by a callback.
//
// SMSGW_CLUSTER_TOPUPS sets the number of top-ups (default 2000, over 200
// customers; a tenth as many partner top-ups).
func TestCluster(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test")
	}
	topups := 2000
	if v, err := strconv.Atoi(os.Getenv("SMSGW_CLUSTER_TOPUPS")); err == nil && v > 0 {
		topups = v
	}
	const customers = 200
	perCustomer := max(1, topups/customers)
	dsn := pgtest.DSN(t)
	c := newCluster(t, dsn)
	// The partner top-ups go to wallets of their own, past the customers'.
	c.cli("load", "seed", "-msisdns", strconv.Itoa(customers+clusterPartnerDests), "-pin", clusterPIN)
	c.cli("partner", "deposit", "reseller", "1000000000", "-ref", "CLUSTER-FUND")
	for i := range c.nodes {
		c.start(i)
	}

	var done, abandoned atomic.Int64
	total := customers * perCustomer
	var wg sync.WaitGroup
	for i := range customers {
		wg.Go(func() {
			m := loadMSISDN(i)
			for k := range perCustomer {
				c.topUp(m, 50000)
				done.Add(1)
				_ = k
			}
			// The last request of every tenth customer is left to expire.
			if i%10 == 0 {
				c.deliver(m, "9779", "IM2PAY "+m+" 50000")
				c.await(m, "3355", "PIN")
				abandoned.Add(1)
			}
		})
	}
	partnerReqs := max(1, total/10)
	wg.Go(func() { c.partnerTopUps(partnerReqs, customers, &done, total) })
	// One daemon killed a third of the way, another restarted at two
	// thirds, the killed one back after that.
	c.waitProgress(&done, total/3)
	c.kill(0)
	c.waitProgress(&done, 2*total/3)
	c.restart(1)
	c.start(0)
	wg.Wait()
	if t.Failed() {
		c.diagnose()
		return
	}
	// Abandoned sessions expire: ttl 60s (longer than the 30s a dead
	// daemon's claims on MTs last), the expiry job every second.
	deadline := time.Now().Add(120 * time.Second)
	// Their notices follow the expiry: wait until none is owed or queued.
	for c.count(`SELECT count(*) FROM sessions WHERE state = 'awaiting_pin' OR notice_due = 1`)+
		c.count(`SELECT count(*) FROM outbox`) > 0 {
		if time.Now().After(deadline) {
			t.Fatal("sessions still open, notices owed or MTs queued 120s after the last flow")
		}
		time.Sleep(200 * time.Millisecond)
	}
	c.checkCallbacks(partnerReqs)
	for i := range c.nodes {
		c.stop(i)
	}

	defer func() {
		if t.Failed() {
			c.diagnose()
		}
	}()
	confirmed := c.count(`SELECT count(*) FROM sessions WHERE state = 'confirmed'`)
	if confirmed != int64(total) {
		t.Errorf("%d confirmed sessions, want %d (one per top-up)", confirmed, total)
	}
	for _, q := range []struct{ what, sql string }{
		{"MOs never processed", `SELECT count(*) FROM sms_log WHERE direction = 'in' AND status = 'received'`},
		{"confirmed sessions without exactly one transfer", `SELECT count(*) FROM sessions s WHERE state = 'confirmed'
			AND (SELECT count(*) FROM transfers WHERE session_id = s.id) <> 1`},
		{"confirmed sessions without exactly one result SMS", `SELECT count(*) FROM sessions s WHERE state = 'confirmed'
			AND (SELECT count(*) FROM sms_log WHERE session_id = s.id AND direction = 'out' AND template = 'success') <> 1`},
		{"expired sessions without exactly one expiry SMS", `SELECT count(*) FROM sessions s WHERE state = 'expired'
			AND (SELECT count(*) FROM sms_log WHERE session_id = s.id AND direction = 'out' AND template = 'expired') <> 1`},
		{"MTs still queued", `SELECT count(*) FROM outbox`},
		{"ledger sum", `SELECT coalesce(sum(amount), 0) FROM ledger_entries`},
		{"wallets not holding what their customer and the reseller paid", `SELECT count(*) FROM accounts a WHERE kind = 'wallet'
			AND balance <> 50000 * (SELECT count(*) FROM sessions WHERE state = 'confirmed' AND account = a.owner)
				+ (SELECT coalesce(sum(amount), 0) FROM partner_requests WHERE state = 'success' AND dest = a.owner)`},
		{"partner refids not credited exactly once", `SELECT count(*) FROM partner_requests r WHERE state <> 'success'
			OR (SELECT count(*) FROM transfers WHERE idempotency_key = r.transfer_key) <> 1`},
	} {
		if n := c.count(q.sql); n != 0 {
			t.Errorf("%s: %d, want 0", q.what, n)
		}
	}
	if n := c.count(`SELECT count(*) FROM partner_requests`); n != int64(partnerReqs) {
		t.Errorf("%d partner requests recorded, want the %d sent", n, partnerReqs)
	}
	if n := c.count(`SELECT coalesce(sum(amount), 0) FROM partner_requests WHERE state = 'success'`); n != int64(partnerReqs)*50000 {
		t.Errorf("partner top-ups credited Rp%d, want Rp%d", n, int64(partnerReqs)*50000)
	}
	if n := c.count(`SELECT count(*) FROM sessions WHERE state = 'expired'`); n != abandoned.Load() {
		t.Errorf("%d expired sessions, want the %d abandoned", n, abandoned.Load())
	}
	// MTs the SMSC accepted that the SMS log does not know: sent again
	// after a kill (at-least-once), never credited again.
	known := map[string]bool{}
	rows, err := c.db.Query(t.Context(), `SELECT smsc_id FROM sms_smsc_ids`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id string
		_ = rows.Scan(&id)
		known[strings.TrimLeft(strings.ToLower(id), "0")] = true
	}
	rows.Close()
	c.mu.Lock()
	var unknown []string
	for k, ids := range c.subIDs {
		for _, id := range ids {
			mid, _, _ := strings.Cut(id, "@")
			if !known[strings.TrimLeft(strings.ToLower(mid), "0")] {
				unknown = append(unknown, k)
			}
		}
	}
	c.mu.Unlock()
	if len(unknown) > 0 {
		t.Logf("%d MTs sent but not in the SMS log (sent again after the kill), e.g. %q", len(unknown), unknown[0])
	}
	// At most what the killed daemon had handed to the SMSC and not yet
	// recorded: each of its inbox.workers senders waits for the record of
	// one accepted MT before it sends the next, and records given up on
	// after repeated conflicts wait in memory for the next pass; one page
	// of claims bounds them both here.
	if len(unknown) > outboxClaimPage {
		t.Errorf("%d MTs sent again, more than one page of claims (%d) for one kill", len(unknown), outboxClaimPage)
	}
	// Each daemon ran the expiry job for some ticks, never two for one.
	nodes := c.count(`SELECT count(DISTINCT node) FROM job_runs WHERE job = 'cron.expire_sessions'`)
	t.Logf("%d top-ups over %d customers, %d abandoned; the SMSC took %d MTs, %d of them unknown to the SMS log; expiry ticks run by %d daemons",
		total, customers, abandoned.Load(), c.submitted.Load(), len(unknown), nodes)
}

const clusterPIN = "135790"

// clusterPartnerDests is how many wallets the reseller's top-ups go to.
const clusterPartnerDests = 20

// partnerTopUps sends n signed top-ups of Rp50.000 from the reseller to
// the wallets of customers firstDest and after,
// spread over the daemons' partner APIs as they go along with the
// customers' flows (done of total). A request not answered by one daemon
// (killed, restarting) goes to the next with the same refid and a new
// nonce; every fifth one is sent again through another daemon once
// answered, and must be answered as the same request.
func (c *cluster) partnerTopUps(n, firstDest int, done *atomic.Int64, total int) {
	client := &http.Client{Timeout: 10 * time.Second}
	var nonce atomic.Int64
	for k := range n {
		// Keep pace with the SMS flows, so that the kill and the restart
		// fall among the partner requests too.
		for done.Load()*int64(n) < int64(k)*int64(total) && !c.t.Failed() {
			time.Sleep(10 * time.Millisecond)
		}
		refid := fmt.Sprintf("CL-%04d", k)
		body := fmt.Sprintf(`{"memberid":"reseller","product":"IP50","dest":%q,"refid":%q}`,
			loadMSISDN(firstDest+k%clusterPartnerDests), refid)
		var first map[string]any
		for try, node := 0, k%len(c.nodes); ; try, node = try+1, (node+1)%len(c.nodes) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			status, out, err := h2hDo(ctx, client, c.nodes[node].http, "/h2h/trx", h2hSecret, body, fmt.Sprint("cl-", nonce.Add(1)))
			cancel()
			if err == nil && status < 500 {
				if out["rc"] != "00" {
					c.t.Errorf("partner %s through node%d: %d %v", refid, node+1, status, out)
				}
				first = out
				break
			}
			c.partnerFailovers.Add(1)
			if try > 100 {
				c.t.Errorf("partner %s: no answer from any daemon: %d %v %v", refid, status, out, err)
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
		if k%5 != 0 {
			continue
		}
		for try, node := 0, (k+1)%len(c.nodes); try < 100; try, node = try+1, (node+1)%len(c.nodes) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			status, out, err := h2hDo(ctx, client, c.nodes[node].http, "/h2h/trx", h2hSecret, body, fmt.Sprint("cl-", nonce.Add(1)))
			cancel()
			if err == nil && status < 500 {
				if out["trxid"] != first["trxid"] {
					c.t.Errorf("partner %s sent again through node%d: trxid %v, first answer %v", refid, node+1, out["trxid"], first["trxid"])
				}
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
}

// checkCallbacks waits for a success callback of each of the n partner
// refids; one delivered twice (the daemon sending it died before
// recording it) is counted, never a failure or a refid not sent.
func (c *cluster) checkCallbacks(n int) {
	deadline := time.Now().Add(60 * time.Second)
	for {
		seen, dup := map[string]bool{}, 0
		c.site.mu.Lock()
		for _, cb := range c.site.got {
			ref, _ := cb["refid"].(string)
			if cb["status"] != float64(20) || !strings.HasPrefix(ref, "CL-") {
				c.t.Errorf("unexpected callback %v", cb)
			}
			if seen[ref] {
				dup++
			}
			seen[ref] = true
		}
		bad := len(c.site.bad)
		c.site.mu.Unlock()
		if bad > 0 {
			c.t.Errorf("%d callbacks with a bad signature", bad)
		}
		if len(seen) == n || time.Now().After(deadline) || c.t.Failed() {
			if len(seen) != n {
				c.t.Errorf("callbacks for %d of %d partner refids after 60s", len(seen), n)
			}
			c.t.Logf("partner: %d refids, each answered and credited once (%d times a daemon did not answer and the next one did); %d callbacks, %d of them repeated",
				n, c.partnerFailovers.Load(), len(seen)+dup, dup)
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// outboxClaimPage is how many MTs a daemon claims at a time (the
// gateway's outboxPage).
const outboxClaimPage = 200

// cluster is three daemons on one database and one SMSC, and the
// customers' phones.
type cluster struct {
	t         *testing.T
	bin, dsn  string
	smsc      *smpptest.Server
	nodes     []*clusterNode
	mu        sync.Mutex
	inbox     map[string]*phone   // MTs by destination address
	subIDs    map[string][]string // SMSC message ids by destination and text
	submitted atomic.Int64
	db        *pgx.Conn
	site      *h2hSite // the reseller's report URL
	// partnerFailovers counts partner requests a daemon did not answer
	// (sent again to the next one).
	partnerFailovers atomic.Int64
}

type clusterNode struct {
	config string
	http   string // base URL of its partner API
	proc   *exec.Cmd
	exited chan struct{}
	log    *syncBuffer
}

func newCluster(t *testing.T, dsn string) *cluster {
	c := &cluster{t: t, bin: daemonBinary(t), dsn: dsn, inbox: map[string]*phone{}, subIDs: map[string][]string{}}
	c.smsc = smpptest.NewUnstartedServer()
	c.smsc.Credentials = map[string]string{"smsgw": "e2epw"}
	c.smsc.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	c.smsc.OnSubmit = func(s smpptest.Submission) {
		c.submitted.Add(1)
		txt, _ := s.Text()
		c.mu.Lock()
		c.subIDs[s.Destination()+"|"+txt] = append(c.subIDs[s.Destination()+"|"+txt], s.MessageID+"@"+s.Time.Format("05.000"))
		c.mu.Unlock()
		c.box(s.Destination()).put(txt) // never blocks the SMSC
	}
	c.smsc.Start()
	t.Cleanup(c.smsc.Close)
	c.site = &h2hSite{fresh: make(chan struct{}, 1)}
	report := httptest.NewServer(c.site)
	t.Cleanup(report.Close)
	host, port, _ := net.SplitHostPort(c.smsc.Addr())
	dir := t.TempDir()
	for i := range 3 {
		httpPort := freePort(t)
		cfg := fmt.Sprintf(`
[log]
level = "info"
[database]
driver = "postgres"
dsn_env = "E2E_DATABASE_URL"
max_conns = 12
node = "node%d"
[http]
listen = "127.0.0.1:%d"
[h2h]
enabled = true
cutoff = "off"
callbacks = "@every 1s"
[[h2h.partner]]
id = "reseller"
secret_env = "E2E_H2H_SECRET"
allow = ["127.0.0.1/32"]
callback_url = %q
[simulator]
enabled = false
[[bind]]
name = "smsc"
host = %q
port = %s
system_id = "smsgw"
password_env = "E2E_BIND_PASSWORD"
enquire_link = "5s"
response_timeout = "15s"
[session]
ttl = "60s"
[abuse]
mo_per_minute = 0
[cron]
expire_sessions = "@every 1s"
[outbox]
poll = "200ms"
retry_base = "200ms"
`, i+1, httpPort, report.URL+"/report", host, port)
		path := filepath.Join(dir, fmt.Sprintf("node%d.toml", i+1))
		if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
			t.Fatal(err)
		}
		c.nodes = append(c.nodes, &clusterNode{config: path, http: fmt.Sprintf("http://127.0.0.1:%d", httpPort)})
	}
	t.Cleanup(func() {
		for i := range c.nodes {
			c.stop(i)
		}
	})
	db, err := pgx.Connect(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close(context.Background()) })
	c.db = db
	return c
}

func (c *cluster) env() []string {
	return append(os.Environ(), "SMSGW_PIN_KEY="+e2eKey, "E2E_BIND_PASSWORD=e2epw", "E2E_DATABASE_URL="+c.dsn,
		"E2E_H2H_SECRET="+h2hSecret)
}

// cli runs a command of the daemon's binary with the first node's config.
func (c *cluster) cli(args ...string) {
	c.t.Helper()
	cmd := exec.Command(c.bin, append(args, "-config", c.nodes[0].config)...)
	cmd.Env = c.env()
	if out, err := cmd.CombinedOutput(); err != nil {
		c.t.Fatalf("smsgw %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

func (c *cluster) start(i int) {
	c.t.Helper()
	n := c.nodes[i]
	n.proc = exec.Command(c.bin, "run", "-config", n.config)
	n.proc.Env = c.env()
	n.log = &syncBuffer{}
	n.proc.Stderr = n.log
	if err := n.proc.Start(); err != nil {
		c.t.Fatal(err)
	}
	n.exited = make(chan struct{})
	go func(p *exec.Cmd, done chan struct{}) { _ = p.Wait(); close(done) }(n.proc, n.exited)
	waitForLog(c.t, n.log, `msg="smsgw ready"`, 20*time.Second)
}

// kill ends node i with SIGKILL: no unbind, no cleanup.
func (c *cluster) kill(i int) {
	n := c.nodes[i]
	_ = n.proc.Process.Kill()
	<-n.exited
	n.proc = nil
}

// restart stops node i with SIGTERM and starts it again.
func (c *cluster) restart(i int) {
	c.stop(i)
	c.start(i)
}

func (c *cluster) stop(i int) {
	n := c.nodes[i]
	if n.proc == nil {
		return
	}
	_ = n.proc.Process.Signal(syscall.SIGTERM)
	// A daemon stops once its in-flight submits are answered (up to the
	// 15s response timeout here) and what the SMSC took is recorded; on a
	// loaded CI machine that takes a while.
	start := time.Now()
	select {
	case <-n.exited:
		c.t.Logf("node%d stopped in %v", i+1, time.Since(start).Round(time.Millisecond))
	case <-time.After(60 * time.Second):
		_ = n.proc.Process.Kill()
		<-n.exited
		c.t.Errorf("node%d did not stop within 60s of SIGTERM:\n%s", i+1, lastLines(n.log.String(), 20))
	}
	if n.proc.ProcessState != nil && !n.proc.ProcessState.Success() {
		c.t.Errorf("node%d exit: %v\n%s", i+1, n.proc.ProcessState, n.log.String())
	}
	n.proc = nil
}

func (c *cluster) box(addr string) *phone {
	c.mu.Lock()
	defer c.mu.Unlock()
	b, ok := c.inbox[addr]
	if !ok {
		b = &phone{arrived: make(chan struct{}, 1)}
		c.inbox[addr] = b
	}
	return b
}

// phone holds the MTs one customer has received and not read yet.
type phone struct {
	mu      sync.Mutex
	unread  []string
	arrived chan struct{} // capacity 1: an MT arrived
}

func (p *phone) put(text string) {
	p.mu.Lock()
	p.unread = append(p.unread, text)
	p.mu.Unlock()
	select {
	case p.arrived <- struct{}{}:
	default:
	}
}

// take reads the unread MTs up to the first containing want, and reports
// whether there was one.
func (p *phone) take(want string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	for i, txt := range p.unread {
		if strings.Contains(txt, want) {
			p.unread = p.unread[i+1:]
			return true
		}
	}
	p.unread = p.unread[:0]
	return false
}

// deliver hands one MO to the SMSC until a daemon acknowledges it: a
// daemon that dies first may not have stored it, and the SMSC delivers it
// again (to another one).
func (c *cluster) deliver(from, to, text string) {
	deadline := time.Now().Add(120 * time.Second)
	for {
		// Generous: an SMSC waits long for an acknowledgement, and one
		// delivered again is a new message for a daemon that has not
		// confirmed the first (only a lost one is matched).
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		sts, err := c.smsc.DeliverText(ctx, from, to, text, &smpptest.TextOptions{SourceTON: 1, SourceNPI: 1})
		cancel()
		if err == nil && len(sts) == 1 && sts[0] == pdu.StatusOK {
			return
		}
		if time.Now().After(deadline) {
			c.t.Errorf("MO %q from %s not acknowledged in 120s: %v %v", text, from, sts, err)
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// await waits for an MT to addr from code containing want, skipping
// others (a reply sent again after a kill).
func (c *cluster) await(addr, code, want string) bool {
	timeout := time.After(90 * time.Second) // a dead daemon's claims on MTs end after 30s
	p := c.box(addr)
	for {
		if p.take(want) {
			return true
		}
		select {
		case <-p.arrived:
		case <-timeout:
			c.t.Errorf("%s: no MT containing %q in 90s", addr, want)
			return false
		}
	}
}

// topUp runs one top-up of the customer's own wallet: IM2PAY, the PIN
// prompt, the PIN, the result.
func (c *cluster) topUp(m string, amount int) {
	c.deliver(m, "9779", fmt.Sprintf("IM2PAY %s %d", m, amount))
	if !c.await(m, "3355", "PIN") {
		return
	}
	c.deliver(m, "3355", clusterPIN)
	c.await(m, "3355", "BERHASIL")
}

func (c *cluster) waitProgress(done *atomic.Int64, n int) {
	for done.Load() < int64(n) && !c.t.Failed() {
		time.Sleep(20 * time.Millisecond)
	}
}

func (c *cluster) count(sql string) int64 {
	c.t.Helper()
	var n int64
	if err := c.db.QueryRow(c.t.Context(), sql).Scan(&n); err != nil {
		c.t.Fatalf("%s: %v", sql, err)
	}
	return n
}

// diagnose logs the store's state and the daemons' warnings after a
// failure.
func (c *cluster) diagnose() {
	for _, q := range []string{
		`SELECT count(*) FROM sessions WHERE state = 'awaiting_pin'`,
		`SELECT count(*) FROM sessions WHERE state = 'confirmed'`,
		`SELECT count(*) FROM sms_log WHERE direction = 'in' AND status = 'received'`,
		`SELECT count(*) FROM outbox`,
		`SELECT count(*) FROM outbox WHERE claimed_by <> ''`,
		`SELECT count(*) FROM sessions`,
		`SELECT count(*) FROM sms_log WHERE direction = 'in'`,
		`SELECT count(*) FROM sms_log WHERE direction = 'out'`,
	} {
		c.t.Logf("%s: %d", q, c.count(q))
	}
	var last string
	if err := c.db.QueryRow(c.t.Context(), `SELECT addr FROM sms_log WHERE direction = 'in' ORDER BY id DESC LIMIT 1`).Scan(&last); err == nil {
		c.logRows(last)
	}
	for i, n := range c.nodes {
		var lines []string
		if n.log == nil {
			continue
		}
		for _, l := range strings.Split(n.log.String(), "\n") {
			if strings.Contains(l, "level=WARN") || strings.Contains(l, "level=ERROR") {
				lines = append(lines, l)
			}
		}
		c.t.Logf("node%d: %d warnings and errors, the first: %s", i+1, len(lines), strings.Join(lines[:min(len(lines), 8)], "\n"))
	}
}

// logRows logs the SMS log of the customer at addr.
func (c *cluster) logRows(addr string) {
	rows, err := c.db.Query(c.t.Context(), `SELECT l.id, direction, short_code, status, keyword, template, attempts, left(text, 30),
			coalesce((SELECT string_agg(smsc_id, ',') FROM sms_smsc_ids WHERE sms_id = l.id), '')
		FROM sms_log l WHERE addr = $1 ORDER BY id`, addr)
	if err != nil {
		c.t.Log(err)
		return
	}
	defer rows.Close()
	for rows.Next() {
		var id, att int64
		var a, b, st, kw, tp, tx, ids string
		_ = rows.Scan(&id, &a, &b, &st, &kw, &tp, &att, &tx, &ids)
		c.t.Logf("  #%d %s %s %s %s %s attempts %d %q smsc %s", id, a, b, st, kw, tp, att, tx, ids)
	}
}

// lastLines returns the last n lines of s.
func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}
