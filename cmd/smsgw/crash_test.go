package main

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/smsgw/smsgw/domain"
	"github.com/smsgw/smsgw/keywords"
	"github.com/smsgw/smsgw/smpp/pdu"
	"github.com/smsgw/smsgw/smpp/smpptest"
	"github.com/smsgw/smsgw/smpp/text"
	"github.com/smsgw/smsgw/store/sqlite"
)

// The crash test runs the real daemon against an SMSC in the test process
// (it outlives every daemon) while simulated customers run top-up flows and
// partners send signed requests, and kills the daemon with SIGKILL at
// seeded random moments. The SMSC keeps the status of every deliver_sm it
// sent, so the test knows which MOs were acknowledged; after a final clean
// stop it checks the database against that: nothing acknowledged is lost,
// money moved exactly once, and no PIN is anywhere in clear.
//
// Environment (all optional):
//
//	SMSGW_CRASH_SEED     seed of the plan and the kill schedule (printed; set it to replay a run)
//	SMSGW_CRASH_FLOWS    top-up flows to run (default 5000; the long run uses 20000): SMS top-ups,
//	                     partner top-ups and bank payments, with SALDO, RIWAYAT and cancelled
//	                     requests mixed in on top (about 1 flow in 4)
//	SMSGW_CRASH_KILLS    SIGKILLs during the run (default 25; the long run uses 100)
//	SMSGW_CRASH_MSISDNS  registered customers (default 500)
//	SMSGW_CRASH_WORKERS  customers served at the same time (default 24)
//	SMSGW_CRASH_KEEP     a directory where a failed run leaves the daemon's log and database
//
// The default run takes about 80 s with -race on two cores (much longer
// while MOs are dropped, as every customer then waits for its answer in
// vain); a longer one:
//
//	SMSGW_CRASH_FLOWS=20000 SMSGW_CRASH_KILLS=100 go test -race -timeout 30m -run TestCrash ./cmd/smsgw/
const (
	crashDefaultFlows   = 5000
	crashDefaultKills   = 25
	crashDefaultMSISDNs = 500
	crashDefaultWorkers = 24

	crashReplyWait = 10 * time.Second // how long a customer waits for an answer
	crashMOGiveUp  = 60 * time.Second // how long the SMSC keeps redelivering one MO
)

type crashParams struct {
	seed                           uint64
	flows, kills, msisdns, workers int
}

func crashEnvInt(t *testing.T, name string, def, min int) int {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < min {
		t.Fatalf("%s = %q: want an integer >= %d", name, v, min)
	}
	return n
}

func crashParamsFromEnv(t *testing.T) crashParams {
	t.Helper()
	p := crashParams{
		flows:   crashEnvInt(t, "SMSGW_CRASH_FLOWS", crashDefaultFlows, 1),
		kills:   crashEnvInt(t, "SMSGW_CRASH_KILLS", crashDefaultKills, 0),
		msisdns: crashEnvInt(t, "SMSGW_CRASH_MSISDNS", crashDefaultMSISDNs, 2),
		workers: crashEnvInt(t, "SMSGW_CRASH_WORKERS", crashDefaultWorkers, 1),
		seed:    uint64(time.Now().UnixNano()),
	}
	if v := os.Getenv("SMSGW_CRASH_SEED"); v != "" {
		s, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			t.Fatalf("SMSGW_CRASH_SEED = %q: %v", v, err)
		}
		p.seed = s
	}
	return p
}

// Flow kinds, with their share of the plan in percent.
type crashKind int

const (
	crashTopUp         crashKind = iota // IM2PAY, PIN prompt, PIN, result
	crashTopUpWrongPIN                  // the same with one wrong PIN first
	crashCancel                         // IM2PAY, PIN prompt, BATAL
	crashBalance                        // SALDO
	crashHistory                        // RIWAYAT
	crashPartnerTopUp                   // /h2h/trx from a reseller (immediate)
	crashBankPayment                    // /h2h/va/payment from a bank
	crashKinds
)

// topUp reports whether k credits a wallet when all goes well.
func (k crashKind) topUp() bool {
	return k == crashTopUp || k == crashTopUpWrongPIN || k == crashPartnerTopUp || k == crashBankPayment
}

var crashKindNames = [crashKinds]string{"top-up", "top-up with a wrong PIN", "cancel", "SALDO", "RIWAYAT",
	"partner top-up", "bank payment"}

var crashKindShare = [crashKinds]int{45, 5, 5, 15, 5, 17, 8}

var crashNominals = []int64{50000, 75000, 100000, 150000, 300000, 500000}

type crashFlow struct {
	kind     crashKind
	payer    int // the customer who sends the SMS
	account  int // the customer whose i-pay account is credited
	amount   int64
	wrongPIN string // crashTopUpWrongPIN
	ref      string // partner refid or bank reference
}

// crashPhone is one customer's handset: it sends MOs through the SMSC and
// collects the MTs the SMSC accepted for its number.
type crashPhone struct {
	msisdn string // as the SMSC sends it
	norm   string // as the gateway stores it
	pin    string

	mu     sync.Mutex
	mts    []crashMT
	seen   int
	signal chan struct{}
}

type crashMT struct{ from, to, text string }

// crashMO is one MO as the SMSC saw it: every attempt at delivering it and
// whether one was acknowledged with ESME_ROK.
type crashMO struct {
	n          int
	phone      *crashPhone
	code, text string
	pin        bool // text is a PIN (right or wrong)
	first, end time.Time
	acked      bool
	link       uint64   // the SMSC connection that got the ESME_ROK
	attempts   []string // "link N: status" for every attempt
	lost       int      // attempts that got no response (the daemon died)
}

func (m *crashMO) shown() string {
	if m.pin {
		return "<PIN>"
	}
	return m.text
}

// crashPartnerReq is one partner request with its retries.
type crashPartnerReq struct {
	partner, ref string
	amount       int64
	attempts     int
	status       int
	rc           string
	resent       bool
	err          string
}

type crashRun struct {
	t       *testing.T
	e       *e2e
	p       crashParams
	phones  []*crashPhone
	byNorm  map[string]*crashPhone
	h2hBase string
	client  *http.Client
	ctx     context.Context

	flows    []crashFlow
	done     atomic.Int64  // flows finished
	progress chan struct{} // a flow finished
	nonces   atomic.Int64

	mu       sync.Mutex
	mos      []*crashMO
	partner  []*crashPartnerReq
	problems []string // what customers noticed (no answer in time, ...)

	// SMSC side, filled by OnSubmit.
	subMu       sync.Mutex
	submissions int
	partial     map[string][]string
	sent        []crashMT
	stray       int // MTs to numbers that are not customers
}

// onSubmit records every MT the SMSC accepted, assembling concatenated
// parts, and hands it to the customer's phone. It runs on the SMSC's reader
// goroutine and does not block.
func (c *crashRun) onSubmit(s smpptest.Submission) {
	txt, err := s.Text()
	if err != nil {
		txt = "<undecodable: " + err.Error() + ">"
	}
	c.subMu.Lock()
	c.submissions++
	if s.ESMClass().UDHI() {
		if h, _, err := text.ParseUDH(s.UserData()); err == nil {
			if ref, total, seq, ok := h.Concat(); ok && total > 1 && seq >= 1 && seq <= total {
				key := fmt.Sprintf("%s|%s|%d", s.Source(), s.Destination(), ref)
				parts := c.partial[key]
				if parts == nil {
					parts = make([]string, total)
				}
				parts[seq-1] = txt
				c.partial[key] = parts
				if slices.Contains(parts, "") {
					c.subMu.Unlock()
					return
				}
				delete(c.partial, key)
				txt = strings.Join(parts, "")
			}
		}
	}
	mt := crashMT{from: s.Source(), to: s.Destination(), text: txt}
	c.sent = append(c.sent, mt)
	norm, _ := keywords.NormalizeMSISDN(mt.to)
	ph := c.byNorm[string(norm)]
	if ph == nil {
		c.stray++
	}
	c.subMu.Unlock()
	if ph != nil {
		ph.mu.Lock()
		ph.mts = append(ph.mts, mt)
		ph.mu.Unlock()
		select {
		case ph.signal <- struct{}{}:
		default:
		}
	}
}

// crashWant is an answer a customer waits for: from code, containing text.
type crashWant struct{ code, text string }

// await waits for the next MT to ph that matches one of wants and returns
// the index of that want, or -1 after crashReplyWait. Other MTs (partner
// notices, repeats of earlier replies) are passed over.
func (c *crashRun) await(ph *crashPhone, after *crashMO, wants ...crashWant) int {
	deadline := time.NewTimer(crashReplyWait)
	defer deadline.Stop()
	for {
		ph.mu.Lock()
		for ph.seen < len(ph.mts) {
			mt := ph.mts[ph.seen]
			ph.seen++
			if strings.Contains(mt.text, "Terlalu banyak SMS") { // over the sender's MO rate
				ph.mu.Unlock()
				c.problem("%s: refused for its MO rate after MO #%d %s %q", ph.msisdn, after.n, after.code, after.shown())
				return -1
			}
			for i, w := range wants {
				if mt.from == w.code && strings.Contains(mt.text, w.text) {
					ph.mu.Unlock()
					return i
				}
			}
		}
		ph.mu.Unlock()
		select {
		case <-ph.signal:
		case <-deadline.C:
			c.problem("%s: no answer %v to MO #%d %s %q (acked %v) within %v",
				ph.msisdn, wants, after.n, after.code, after.shown(), after.acked, crashReplyWait)
			return -1
		case <-c.ctx.Done():
			return -1
		}
	}
}

func (c *crashRun) problem(format string, args ...any) {
	c.mu.Lock()
	c.problems = append(c.problems, fmt.Sprintf(format, args...))
	c.mu.Unlock()
}

// mo plays the SMSC delivering one MO: it sends the same deliver_sm again,
// as an SMSC redelivers, until the gateway acknowledges it with ESME_ROK
// (or crashMOGiveUp passes). Every attempt's outcome is kept.
func (c *crashRun) mo(ph *crashPhone, code, msg string, pin bool) *crashMO {
	m := &crashMO{phone: ph, code: code, text: msg, pin: pin}
	c.mu.Lock()
	m.n = len(c.mos) + 1
	c.mos = append(c.mos, m)
	c.mu.Unlock()
	ds, err := c.e.smsc.TextPDUs(ph.msisdn, code, msg, &smpptest.TextOptions{SourceTON: 1, SourceNPI: 1})
	if err != nil || len(ds) != 1 {
		c.problem("MO #%d: build deliver_sm: %v (%d parts)", m.n, err, len(ds))
		return m
	}
	m.first = time.Now()
	giveUp := m.first.Add(crashMOGiveUp)
	for c.ctx.Err() == nil && time.Now().Before(giveUp) {
		conn := c.boundConn()
		if conn == nil {
			// Nobody bound: the SMSC keeps the message and tries later.
			time.Sleep(50 * time.Millisecond)
			continue
		}
		ctx, cancel := context.WithTimeout(c.ctx, 10*time.Second)
		st, err := conn.Deliver(ctx, ds[0])
		cancel()
		m.end = time.Now()
		switch {
		case errors.Is(err, smpptest.ErrNotBound):
			time.Sleep(50 * time.Millisecond)
			continue
		case err != nil:
			m.attempts = append(m.attempts, fmt.Sprintf("link %d: %v", conn.ID(), err))
			m.lost++
		default:
			m.attempts = append(m.attempts, fmt.Sprintf("link %d: %v", conn.ID(), st))
			if st == pdu.StatusOK {
				m.acked, m.link = true, conn.ID()
				return m
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	c.problem("MO #%d from %s to %s %q never acknowledged: %v", m.n, ph.msisdn, code, m.shown(), m.attempts)
	return m
}

// boundConn returns the SMSC's connection to the daemon, nil while there
// is none.
func (c *crashRun) boundConn() *smpptest.Conn {
	for _, conn := range c.e.smsc.Conns() {
		if conn.Mode().CanReceive() {
			return conn
		}
	}
	return nil
}

// partnerPost sends a signed partner request and, like a partner after a
// timeout, sends it again (new nonce, same refid) until it is answered.
func (c *crashRun) partnerPost(r *crashPartnerReq, path, body string) {
	c.mu.Lock()
	c.partner = append(c.partner, r)
	c.mu.Unlock()
	giveUp := time.Now().Add(crashMOGiveUp)
	for c.ctx.Err() == nil && time.Now().Before(giveUp) {
		r.attempts++
		nonce := fmt.Sprintf("crash-%d", c.nonces.Add(1))
		ctx, cancel := context.WithTimeout(c.ctx, 10*time.Second)
		status, out, err := h2hDo(ctx, c.client, c.h2hBase, path, h2hSecret, body, nonce)
		cancel()
		if err == nil && status < 500 {
			r.status, r.err = status, ""
			r.rc, _ = out["rc"].(string)
			r.resent, _ = out["resent"].(bool)
			if r.rc != "00" {
				c.problem("partner %s %s: answered %d %v", r.partner, r.ref, status, out)
			}
			return
		}
		if err != nil {
			r.err = err.Error()
		} else {
			r.err = fmt.Sprintf("HTTP %d %v", status, out)
		}
		time.Sleep(100 * time.Millisecond)
	}
	c.problem("partner %s %s: no answer after %d attempts: %s", r.partner, r.ref, r.attempts, r.err)
}

func grouped(n int64) string {
	s := strconv.FormatInt(n, 10)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "." + s[i:]
	}
	return s
}

// run plays one flow.
func (c *crashRun) run(f crashFlow) {
	ph := c.phones[f.payer]
	acct := c.phones[f.account].msisdn
	switch f.kind {
	case crashTopUp, crashTopUpWrongPIN, crashCancel:
		req := fmt.Sprintf("IM2PAY %s %d", acct, f.amount)
		prompt := crashWant{"3355", "sebesar Rp" + grouped(f.amount) + ". Balas SMS ini dengan PIN"}
		busy := crashWant{"9779", "masih memiliki permintaan"}
		refused := crashWant{"9779", "IM2PAY GAGAL"}
		m := c.mo(ph, "9779", req, false)
		got := c.await(ph, m, prompt, busy, refused)
		if got == 1 { // an earlier request still waits (its PIN answer was lost)
			b := c.mo(ph, "9779", "BATAL", false)
			c.await(ph, b, crashWant{"9779", "dibatalkan"}, crashWant{"9779", "Tidak ada permintaan"})
			m = c.mo(ph, "9779", req, false)
			got = c.await(ph, m, prompt, busy, refused)
		}
		if got != 0 {
			return
		}
		if f.kind == crashCancel {
			b := c.mo(ph, "9779", "BATAL", false)
			c.await(ph, b, crashWant{"9779", "dibatalkan"})
			return
		}
		if f.kind == crashTopUpWrongPIN {
			w := c.mo(ph, "3355", f.wrongPIN, true)
			if c.await(ph, w, crashWant{"3355", "PIN salah"}) != 0 {
				return
			}
		}
		p := c.mo(ph, "3355", ph.pin, true)
		c.await(ph, p, crashWant{"3355", "Rp" + grouped(f.amount) + " BERHASIL"})
	case crashBalance:
		m := c.mo(ph, "9779", "SALDO", false)
		c.await(ph, m, crashWant{"9779", "Saldo i-Pay"})
	case crashHistory:
		m := c.mo(ph, "9779", "RIWAYAT", false)
		c.await(ph, m, crashWant{"9779", "Transaksi terakhir i-Pay"}, crashWant{"9779", "Belum ada transaksi"})
	case crashPartnerTopUp:
		r := &crashPartnerReq{partner: "reseller", ref: f.ref, amount: f.amount}
		c.partnerPost(r, "/h2h/trx", fmt.Sprintf(`{"memberid":"reseller","product":"IP%d","dest":%q,"refid":%q}`,
			f.amount/1000, acct, f.ref))
	case crashBankPayment:
		r := &crashPartnerReq{partner: "bank", ref: f.ref, amount: f.amount}
		c.partnerPost(r, "/h2h/va/payment", fmt.Sprintf(`{"memberid":"bank","va":%q,"amount":%d,"bank_ref":%q}`,
			"0138877"+acct, f.amount, f.ref))
	}
}

// crashPlan makes the customers (with distinct PINs) and the flows; it also
// returns the digit strings the files hold anyway (MSISDNs, accounts,
// nominals).
func crashPlan(p crashParams) ([]*crashPhone, []crashFlow, map[string]bool, []string) {
	rng := rand.New(rand.NewPCG(p.seed, 0x5eed))
	phones := make([]*crashPhone, p.msisdns)
	var known []string // digit strings that are in the database or logs anyway
	for i := range phones {
		ms := fmt.Sprintf("08137%06d", i)
		n, _ := keywords.NormalizeMSISDN(ms)
		norm := string(n)
		phones[i] = &crashPhone{msisdn: ms, norm: norm, signal: make(chan struct{}, 1)}
		known = append(known, ms, norm, "0138877"+ms, "8877"+ms)
	}
	for _, n := range crashNominals {
		known = append(known, strconv.FormatInt(n, 10))
	}
	known = append(known, e2ePayer, e2eAccount, "08110000001", "123456", "654321", e2ePIN, "9779", "3355")
	// Numbers stored next to each other (an MSISDN and an account in one
	// row) make digit strings across the junction: a PIN must not be a
	// suffix of one followed by a prefix of another.
	heads, tails, quads := map[string]bool{}, map[string]bool{}, map[string]bool{}
	for _, k := range known {
		for n := 1; n < 6 && n <= len(k); n++ {
			heads[k[:n]], tails[k[len(k)-n:]] = true, true
		}
		for i := 0; i+4 <= len(k); i++ {
			quads[k[i:i+4]] = true
		}
	}
	innocent := func(pin string) bool {
		if strings.Contains(pin, "00") || slices.ContainsFunc(known, func(k string) bool { return strings.Contains(k, pin) }) {
			return true
		}
		// A short code stored in an index page is followed by record
		// bytes that can read as digits ("9779" then the row id 0x3539
		// reads "977959"), so a PIN must not hold a whole short string.
		if slices.ContainsFunc(known, func(k string) bool { return len(k) < 6 && strings.Contains(pin, k) }) {
			return true
		}
		// A freed cell in a database page keeps the start or the end of
		// an MSISDN beside bytes that can read as digits ("62813" then
		// "13"), so a PIN must not start like a known string or end
		// like one either.
		for n := 3; n < 6; n++ {
			if heads[pin[:n]] || tails[pin[6-n:]] {
				return true
			}
		}
		for n := 1; n < 6; n++ {
			if tails[pin[:n]] && heads[pin[n:]] {
				return true
			}
		}
		// Freed cells also keep pieces of MSISDNs with a digit or two of
		// record bytes between them ("28137" "02" "8137000449" holds
		// "702813"), so a PIN must not hold four digits in a row of a
		// known string either.
		for i := 0; i+4 <= 6; i++ {
			if quads[pin[i:i+4]] {
				return true
			}
		}
		return false
	}
	pins := map[string]bool{}
	// newPIN returns a PIN no other customer has and that cannot show up in
	// the files for another reason, so finding it in the bytes means it
	// leaked.
	newPIN := func() string {
		for {
			pin := fmt.Sprintf("%06d", 100000+rng.IntN(900000))
			if !pins[pin] && !innocent(pin) {
				pins[pin] = true
				return pin
			}
		}
	}
	for _, ph := range phones {
		ph.pin = newPIN()
	}
	total := 0
	for _, s := range crashKindShare {
		total += s
	}
	var flows []crashFlow
	for i, topUps := 0, 0; topUps < p.flows; i++ {
		f := crashFlow{payer: rng.IntN(p.msisdns)}
		f.account = f.payer
		if n := rng.IntN(8); n < 2 { // a top-up for one of two family members
			f.account = (f.payer + 1 + n*p.msisdns/2) % p.msisdns
		}
		for r := rng.IntN(total); ; f.kind++ {
			if r -= crashKindShare[f.kind]; r < 0 {
				break
			}
		}
		f.amount = crashNominals[rng.IntN(len(crashNominals))]
		switch f.kind {
		case crashTopUpWrongPIN:
			f.wrongPIN = newPIN()
		case crashPartnerTopUp:
			f.amount = crashNominals[rng.IntN(3)] // IP50, IP75, IP100
			f.ref = fmt.Sprintf("INV-%d", i+1)
			f.payer = f.account // the customer told of the credit
		case crashBankPayment:
			f.amount = crashNominals[rng.IntN(3)]
			f.ref = fmt.Sprintf("ATM-%d", i+1)
			f.payer = f.account
		}
		if f.kind.topUp() {
			topUps++
		}
		flows = append(flows, f)
	}
	return phones, flows, pins, known
}

// crashName is a customer's name: letters only, so that no digits are
// stored next to its MSISDN.
func crashName(i int) string {
	b := []byte("aaa")
	for j := 2; j >= 0; j-- {
		b[j] += byte(i % 26)
		i /= 26
	}
	return strings.ToUpper(string(b[:1])) + string(b[1:])
}

// TestCrash is the crash storm of the reliability guarantees (README
// "Guarantees"): see the comment at the top of this file.
func TestCrash(t *testing.T) {
	p := crashParamsFromEnv(t)
	t.Logf("seed %d (replay: SMSGW_CRASH_SEED=%d SMSGW_CRASH_FLOWS=%d SMSGW_CRASH_KILLS=%d SMSGW_CRASH_MSISDNS=%d SMSGW_CRASH_WORKERS=%d)",
		p.seed, p.seed, p.flows, p.kills, p.msisdns, p.workers)
	started := time.Now()
	phones, flows, pins, known := crashPlan(p)
	c := &crashRun{t: t, p: p, phones: phones, flows: flows, byNorm: map[string]*crashPhone{}, partial: map[string][]string{},
		progress: make(chan struct{}, 1), client: &http.Client{Timeout: 10 * time.Second}}
	for _, ph := range phones {
		c.byNorm[ph.norm] = ph
	}
	site := &h2hSite{fresh: make(chan struct{}, 1)}
	partnerSite := httptest.NewServer(site)
	defer partnerSite.Close()
	t.Setenv("E2E_H2H_SECRET", h2hSecret)
	t.Setenv("SMSGW_PIN_KEY", e2eKey)
	t.Setenv("E2E_BIND_PASSWORD", "e2epw")
	e := newE2EWith(t, fmt.Sprintf(`
[h2h]
enabled = true
cutoff = "off"
[[h2h.partner]]
id = "reseller"
secret_env = "E2E_H2H_SECRET"
allow = ["127.0.0.1/32"]
callback_url = %q
[[h2h.partner]]
id = "bank"
va = true
secret_env = "E2E_H2H_SECRET"
allow = ["127.0.0.1/32"]
callback_url = %q
`, partnerSite.URL+"/report", partnerSite.URL+"/report"), func(s *smpptest.Server) { s.OnSubmit = c.onSubmit })
	c.e = e
	c.h2hBase = "http://" + e.listenHTTP()
	dbPath := filepath.Join(e.dir, "gw.db")

	// Register the customers through the gateway, as `customer add` does.
	gw, closeGW, err := adminGateway(t.Context(), e.config)
	if err != nil {
		t.Fatal(err)
	}
	for i, ph := range phones {
		if err := gw.AddCustomer(t.Context(), ph.msisdn, ph.msisdn, "Pelanggan "+crashName(i), domain.PIN(ph.pin)); err != nil {
			t.Fatal(err)
		}
	}
	closeGW()
	e.cli("", "partner", "deposit", "reseller", "1000000000", "-ref", "CRASH-FUND")
	t.Logf("%d customers registered in %v", len(phones), time.Since(started).Round(time.Millisecond))

	// The kill schedule: after a seeded random number of finished flows,
	// a seeded random delay, then SIGKILL and, after a short outage, a
	// restart.
	krng := rand.New(rand.NewPCG(p.seed, 0xdead))
	points := make([]int64, p.kills)
	for i := range points {
		points[i] = int64(len(flows)/20 + krng.IntN(max(1, len(flows)*85/100)))
	}
	slices.Sort(points)

	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Minute)
	defer cancel()
	c.ctx = ctx
	e.start()
	work := make([][]crashFlow, p.workers)
	for _, f := range flows {
		w := f.payer % p.workers
		work[w] = append(work[w], f)
	}
	var wg sync.WaitGroup
	for _, fs := range work {
		wg.Go(func() {
			for _, f := range fs {
				c.run(f)
				c.done.Add(1)
				select {
				case c.progress <- struct{}{}:
				default:
				}
			}
		})
	}
	finished := make(chan struct{})
	go func() { wg.Wait(); close(finished) }()
	defer func() { cancel(); <-finished }() // customers stop with the test

	scan := newPINScan(pins, known)
	var logs bytes.Buffer
	kills := 0
	for _, pt := range points {
	wait:
		for c.done.Load() < pt {
			select {
			case <-c.progress:
			case <-finished:
				break wait
			}
		}
		time.Sleep(time.Duration(krng.IntN(400)) * time.Millisecond)
		e.kill()
		kills++
		logs.WriteString(e.stderr.String())
		// What a crash leaves on disk: the database and its WAL.
		for _, suffix := range []string{"", "-wal"} {
			scan.file(t, fmt.Sprintf("gw.db%s after kill %d", suffix, kills), dbPath+suffix)
		}
		time.Sleep(time.Duration(krng.IntN(300)) * time.Millisecond)
		e.start()
	}
	select {
	case <-finished:
	case <-ctx.Done():
		t.Fatalf("flows did not finish: %d of %d done", c.done.Load(), len(flows))
	}
	flowsDone := time.Since(started)

	// Let it drain: every stored MO processed, every MT sent.
	drainStart := time.Now()
	for {
		pending, queued, err := crashPending(dbPath)
		if err == nil && pending == 0 && queued == 0 {
			break
		}
		if time.Since(drainStart) > time.Minute {
			t.Errorf("not drained after a minute: %d MOs unprocessed, %d MTs queued (%v)", pending, queued, err)
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	time.Sleep(500 * time.Millisecond) // the last submit_sm_resps and receipts
	e.stop()
	logs.WriteString(e.stderr.String())
	for _, suffix := range []string{"", "-wal", "-shm"} {
		scan.file(t, "gw.db"+suffix+" after the final stop", dbPath+suffix)
	}
	scan.bytes("daemon logs", logs.Bytes())

	c.check(dbPath, kills, &logs)
	scan.report(t)
	t.Logf("run took %v (flows %v, drain %v)", time.Since(started).Round(time.Millisecond),
		flowsDone.Round(time.Millisecond), time.Since(drainStart).Round(time.Millisecond))
	if t.Failed() {
		if dir := os.Getenv("SMSGW_CRASH_KEEP"); dir != "" {
			_ = os.WriteFile(filepath.Join(dir, "crash-daemon.log"), logs.Bytes(), 0o600)
			if b, err := os.ReadFile(dbPath); err == nil {
				_ = os.WriteFile(filepath.Join(dir, "crash-gw.db"), b, 0o600)
			}
		}
	}
}

// crashDB opens the daemon's database read-only.
func crashDB(path string) (*sql.DB, error) {
	return sql.Open("sqlite3", "file:"+path+"?mode=ro&_busy_timeout=5000")
}

// crashPending counts unprocessed MOs and queued MTs.
func crashPending(path string) (pending, queued int, err error) {
	db, err := crashDB(path)
	if err != nil {
		return 0, 0, err
	}
	defer db.Close()
	if err := db.QueryRow(`SELECT count(*) FROM sms_log WHERE direction = 'in' AND status = 'received'`).Scan(&pending); err != nil {
		return 0, 0, err
	}
	err = db.QueryRow(`SELECT count(*) FROM outbox`).Scan(&queued)
	return pending, queued, err
}

type crashDBMO struct {
	id                 int64
	msisdn, code, text string
	keyword, status    string
	created, processed int64
	matched            int // test MOs matched to it
	answers            int // MTs its processing queued
}

type crashDBMT struct {
	id                         int64
	msisdn, code, text, status string
	keyword                    string
	session                    int64
	created                    int64
}

// check reads the database after the final stop and asserts the
// guarantees against what the SMSC and the partners saw.
func (c *crashRun) check(path string, kills int, logs *bytes.Buffer) {
	t := c.t
	db, err := crashDB(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	query := func(q string, scan func(*sql.Rows) error) {
		t.Helper()
		rows, err := db.Query(q)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		defer rows.Close()
		for rows.Next() {
			if err := scan(rows); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		if err := rows.Err(); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	one := func(what, q string, want int64) {
		t.Helper()
		var got int64
		if err := db.QueryRow(q).Scan(&got); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if got != want {
			t.Errorf("%s = %d, want %d", what, got, want)
		}
	}

	// The SMS log.
	moByMSISDN := map[string][]*crashDBMO{}
	// An MO processed in the transaction that stored it has no inbox row:
	// its processing time is the log row's, which FinishMO sets.
	query(`SELECT l.id, l.msisdn, l.short_code, l.text, l.keyword, l.status, l.created_at,
			coalesce(i.processed_at, CASE WHEN l.status <> 'received' THEN l.updated_at ELSE 0 END)
		FROM sms_log l LEFT JOIN inbox i ON i.sms_id = l.id WHERE l.direction = 'in' ORDER BY l.id`, func(r *sql.Rows) error {
		m := &crashDBMO{}
		err := r.Scan(&m.id, &m.msisdn, &m.code, &m.text, &m.keyword, &m.status, &m.created, &m.processed)
		moByMSISDN[m.msisdn] = append(moByMSISDN[m.msisdn], m)
		return err
	})
	var mts []*crashDBMT
	query(`SELECT id, msisdn, short_code, text, template, status, coalesce(session_id, 0), created_at
		FROM sms_log WHERE direction = 'out' ORDER BY id`, func(r *sql.Rows) error {
		m := &crashDBMT{}
		mts = append(mts, m)
		return r.Scan(&m.id, &m.msisdn, &m.code, &m.text, &m.keyword, &m.status, &m.session, &m.created)
	})

	// An MT is the answer to the MO whose processing queued it: processing
	// one MO is one transaction that queues the reply and then marks the MO
	// processed, and a customer's MOs are processed one after the other,
	// so the answer to an MO is created after the previous MO of that
	// customer was processed and no later than this one. The apology for an
	// MO given up after repeated failures is queued just after it is marked
	// processed. Expiry notices (cron) and partner credit notices (no PIN
	// session) are not answers.
	orphans := 0
	for _, mt := range mts {
		if mt.keyword == "expired" || (mt.keyword == "success" && mt.session == 0) {
			continue
		}
		var done []*crashDBMO
		for _, m := range moByMSISDN[mt.msisdn] {
			if m.processed != 0 {
				done = append(done, m)
			}
		}
		sort.Slice(done, func(i, j int) bool { return done[i].processed < done[j].processed })
		i := sort.Search(len(done), func(i int) bool { return done[i].processed >= mt.created })
		if mt.keyword == "unavailable" {
			i = sort.Search(len(done), func(i int) bool { return done[i].processed > mt.created }) - 1
		}
		if i < 0 || i == len(done) {
			orphans++
			continue
		}
		done[i].answers++
	}

	// Every acknowledged MO is stored once, processed and answered.
	var acked, stored, answered, notAcked, storedAgain, rateLimited int
	var drops []string
	dropKinds, dropWhy := map[string]int{}, map[string]int{}
	for _, m := range c.mos {
		if m.first.IsZero() {
			continue
		}
		var rows []*crashDBMO
		for _, r := range moByMSISDN[m.phone.norm] {
			if r.code == m.code && r.created >= m.first.UnixNano() && r.created <= m.end.UnixNano() {
				rows = append(rows, r)
				r.matched++
			}
		}
		if !m.acked {
			notAcked++
			continue
		}
		acked++
		// A delivery whose response was lost with a killed daemon may have
		// been stored; the SMSC's redelivery is then stored and processed
		// again (docs/reliability.md: the daemon cannot learn the fate of
		// its last acknowledgements). Any other copy is a bug.
		if len(rows) > 1 {
			storedAgain++
			if len(rows) > 1+m.lost {
				t.Errorf("MO #%d from %s to %s %q (attempts %v) is stored %d times", m.n, m.phone.msisdn, m.code, m.shown(), m.attempts, len(rows))
			}
		}
		var why string
		switch {
		case len(rows) == 0:
			why = "acknowledged but NOT STORED"
		case rows[0].status == "rate_limited":
			// Kept, logged and deliberately not processed: the sender was
			// over its MO rate (only the first such MO is answered).
			stored++
			rateLimited++
			continue
		case rows[0].processed == 0:
			stored++
			why = fmt.Sprintf("stored as sms_log %d but never processed", rows[0].id)
		case rows[0].answers == 0:
			stored++
			why = fmt.Sprintf("stored as sms_log %d, processed (keyword %q) but NOT ANSWERED", rows[0].id, rows[0].keyword)
		default:
			stored++
			answered++
			continue
		}
		drops = append(drops, fmt.Sprintf("MO #%d %s → %s %q sent %s, acked %s after attempts %v: %s%s",
			m.n, m.phone.msisdn, m.code, m.shown(), m.first.Format("15:04:05.000"), m.end.Format("15:04:05.000"),
			m.attempts, why, c.earlier(m)))
		dropKinds[m.code+" "+strings.Fields(m.shown())[0]]++
		dropWhy[strings.SplitN(why, " as sms_log", 2)[0]]++
	}
	unmatched := 0
	for _, ms := range moByMSISDN {
		for _, r := range ms {
			if r.matched == 0 {
				unmatched++
				if unmatched <= 10 {
					t.Errorf("sms_log %d (%s → %s %q) matches no MO the SMSC sent", r.id, r.msisdn, r.code, r.text)
				}
			}
		}
	}
	if len(drops) > 0 {
		const show = 60
		t.Errorf("%d of %d acknowledged MOs silently dropped, by MO %v, by fate %v; the first %d:\n%s",
			len(drops), acked, dropKinds, dropWhy, min(show, len(drops)), strings.Join(drops[:min(show, len(drops))], "\n"))
		t.Logf("daemon log lines \"redelivered MO ignored\": %d", bytes.Count(logs.Bytes(), []byte("redelivered MO ignored")))
	}

	// Every confirmed session has exactly one transfer and one result SMS;
	// no other session has a transfer.
	one("confirmed sessions without exactly one transfer", `SELECT count(*) FROM sessions s WHERE s.state = 'confirmed'
		AND (s.transfer_id IS NULL OR (SELECT count(*) FROM transfers t WHERE t.session_id = s.id) <> 1
		OR NOT EXISTS (SELECT 1 FROM transfers t WHERE t.id = s.transfer_id AND t.session_id = s.id))`, 0)
	one("confirmed sessions without exactly one result SMS", `SELECT count(*) FROM sessions s WHERE s.state = 'confirmed'
		AND (SELECT count(*) FROM sms_log l WHERE l.direction = 'out' AND l.session_id = s.id AND l.template = 'success') <> 1`, 0)
	one("sessions not confirmed but with a transfer", `SELECT count(*) FROM sessions s WHERE s.state <> 'confirmed'
		AND (s.transfer_id IS NOT NULL OR EXISTS (SELECT 1 FROM transfers t WHERE t.session_id = s.id))`, 0)
	one("sessions still waiting for a PIN with a request SMS the customer never got answered", `SELECT count(*) FROM sessions s
		WHERE s.state = 'awaiting_pin' AND NOT EXISTS (SELECT 1 FROM sms_log l WHERE l.direction = 'out' AND l.session_id = s.id)`, 0)

	// Every partner refid is credited at most once, and exactly once when
	// the partner was told it succeeded.
	credits := map[string]int{}
	query(`SELECT idempotency_key FROM transfers WHERE idempotency_key LIKE 'h2h:%' OR idempotency_key LIKE 'va:%'`, func(r *sql.Rows) error {
		var k string
		err := r.Scan(&k)
		credits[strings.ToLower(k)]++
		return err
	})
	one("partner requests credited more than once (refid compared case-insensitively)", `SELECT count(*) FROM (
		SELECT 1 FROM partner_requests r JOIN transfers t ON t.idempotency_key = r.transfer_key
		GROUP BY r.partner, lower(r.refid) HAVING count(DISTINCT t.id) > 1)`, 0)
	var partnerOK, partnerRetried, partnerResent int
	for _, r := range c.partner {
		key := "h2h:" + r.partner + ":" + r.ref
		if r.partner == "bank" {
			key = "va:" + r.partner + ":" + r.ref
		}
		n := credits[strings.ToLower(key)]
		if r.attempts > 1 {
			partnerRetried++
		}
		if r.resent {
			partnerResent++
		}
		switch {
		case n > 1:
			t.Errorf("partner %s %s credited %d times", r.partner, r.ref, n)
		case r.rc == "00" && n != 1:
			t.Errorf("partner %s %s answered success (after %d attempts) but credited %d times", r.partner, r.ref, r.attempts, n)
		case r.rc == "00":
			partnerOK++
		}
	}

	// The ledger.
	st, err := sqlite.Open(t.Context(), path, sqlite.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if broken, err := st.CheckLedger(t.Context()); err != nil {
		t.Fatal(err)
	} else if len(broken) > 0 {
		t.Errorf("ledger: %s", strings.Join(broken, "; "))
	}

	// Every MT reached the SMSC (at least once); count the repeats.
	byStatus := map[string]int{}
	want := map[string]int{}
	for _, mt := range mts {
		byStatus[mt.status]++
		want[mt.msisdn+"\x00"+mt.code+"\x00"+mt.text]++
	}
	if byStatus["queued"]+byStatus["failed"] > 0 {
		t.Errorf("MTs not sent after the drain: %v", byStatus)
	}
	c.subMu.Lock()
	got := map[string]int{}
	for _, s := range c.sent {
		norm, _ := keywords.NormalizeMSISDN(s.to)
		got[string(norm)+"\x00"+s.from+"\x00"+s.text]++
	}
	submissions, sent, stray, partial := c.submissions, len(c.sent), c.stray, len(c.partial)
	c.subMu.Unlock()
	dupMTs, missing := 0, 0
	var dupKinds []string
	for k, n := range got {
		if n > want[k] {
			dupMTs += n - want[k]
			if len(dupKinds) < 10 {
				f := strings.SplitN(k, "\x00", 3)
				dupKinds = append(dupKinds, fmt.Sprintf("%s from %s %.50q… ×%d (stored %d)", f[0], f[1], f[2], n, want[k]))
			}
		}
	}
	for k, n := range want {
		if n > got[k] {
			missing += n - got[k]
			if missing <= 10 {
				f := strings.SplitN(k, "\x00", 3)
				t.Errorf("MT to %s from %s %q is in the SMS log %d times but reached the SMSC %d times", f[0], f[1], f[2], n, got[k])
			}
		}
	}
	if missing > 0 {
		t.Errorf("%d MTs in the SMS log never reached the SMSC", missing)
	}
	if dupMTs > 0 {
		t.Logf("MTs sent more than once (at-least-once after a kill): %s", strings.Join(dupKinds, "; "))
	}
	// The outbox has at most inbox.workers MTs between the SMSC's answer
	// and the commit that records it, so a crash repeats at most that many
	// (docs/reliability.md, "When a reply can be sent twice").
	if perKill := DefaultConfig().Inbox.Workers; dupMTs > kills*perKill {
		t.Errorf("%d MTs sent more than once after %d kills, want at most %d per kill", dupMTs, kills, perKill)
	}

	var confirmed, transfers int64
	_ = db.QueryRow(`SELECT count(*) FROM sessions WHERE state = 'confirmed'`).Scan(&confirmed)
	_ = db.QueryRow(`SELECT count(*) FROM transfers`).Scan(&transfers)
	kinds := make([]int, crashKinds)
	for _, f := range c.flows {
		kinds[f.kind]++
	}
	var mix []string
	for k, n := range kinds {
		mix = append(mix, fmt.Sprintf("%s %d", crashKindNames[k], n))
	}
	t.Logf("seed %d: %d flows, %d of them top-ups (%s), over %d MSISDNs, %d kills",
		c.p.seed, len(c.flows), c.p.flows, strings.Join(mix, ", "), len(c.phones), kills)
	t.Logf("MOs: %d sent, %d acked, %d stored, %d answered, %d dropped, %d kept unprocessed by the sender's rate limit, %d never acked, %d stored again after a lost response, %d log rows matching no MO",
		len(c.mos), acked, stored, answered, len(drops), rateLimited, notAcked, storedAgain, unmatched)
	t.Logf("MTs: %d in the SMS log %v, %d sent to the SMSC (%d submit_sm, %d to other numbers, %d incomplete), %d duplicate, %d missing, %d not caused by an MO",
		len(mts), byStatus, sent, submissions, stray, partial, dupMTs, missing, orphans)
	t.Logf("money: %d confirmed sessions, %d transfers; partner requests: %d, %d answered success, %d sent again after an error (%d answered as a resend)",
		confirmed, transfers, len(c.partner), partnerOK, partnerRetried, partnerResent)
	if len(c.problems) > 0 {
		t.Logf("what customers and partners noticed (%d):\n%s", len(c.problems), strings.Join(c.problems[:min(40, len(c.problems))], "\n"))
	}
}

// earlier describes the MOs the same customer sent with the same text to
// the same short code in the minutes before m: a genuine repeat taken for
// an SMSC redelivery of one of them is the usual cause of a drop.
func (c *crashRun) earlier(m *crashMO) string {
	var out []string
	for _, o := range c.mos {
		if o == m || o.phone != m.phone || o.code != m.code || o.text != m.text || !o.acked ||
			!o.first.Before(m.first) || m.first.Sub(o.end) > 5*time.Minute {
			continue
		}
		out = append(out, fmt.Sprintf("#%d acked on link %d %v before", o.n, o.link, m.first.Sub(o.end).Round(time.Millisecond)))
	}
	if len(out) == 0 {
		return ""
	}
	return "; the same text earlier: " + strings.Join(out[max(0, len(out)-3):], ", ")
}

// pinScan looks for PINs in clear in raw bytes.
type pinScan struct {
	pins    map[string]bool
	known   []string // digit strings stored anyway
	leaks   []string
	benign  int
	scanned int64
}

func newPINScan(pins map[string]bool, known []string) *pinScan {
	return &pinScan{pins: pins, known: known}
}

// overlapsKnown reports whether the six digits at b[s:] run into a known
// digit string: they start inside one that ends within them, or end inside
// one that starts within them (an MSISDN followed by record bytes that
// happen to be digits). A PIN stored next to an MSISDN does not overlap
// it, so this never hides one.
func (s *pinScan) overlapsKnown(b []byte, at int) bool {
	for _, k := range s.known {
		for n := 1; n < 6 && n < len(k); n++ {
			if end := at + n; end-len(k) >= 0 && string(b[end-len(k):end]) == k {
				return true
			}
			if start := at + 6 - n; start+len(k) <= len(b) && string(b[start:start+len(k)]) == k {
				return true
			}
		}
	}
	return false
}

func (s *pinScan) file(t *testing.T, name, path string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	s.bytes(name, b)
}

func isHex(c byte) bool { return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' }

// bytes records every PIN found in b. A match inside a long hex string
// (a MAC, a hash, an id), in a de-duplication key, overlapping a digit
// string stored anyway, in a partner serial number (H2H and a transfer id)
// or in the fraction of a logged duration is a coincidence and only
// counted.
func (s *pinScan) bytes(name string, b []byte) {
	s.scanned += int64(len(b))
	run := 0
	for i, ch := range b {
		if ch < '0' || ch > '9' {
			run = 0
			continue
		}
		if run++; run < 6 || !s.pins[string(b[i-5:i+1])] {
			continue
		}
		lo, hi := i-5, i+1
		for lo > 0 && isHex(b[lo-1]) {
			lo--
		}
		for hi < len(b) && isHex(b[hi]) {
			hi++
		}
		if hi-lo >= 16 && bytes.ContainsAny(bytes.ToLower(b[lo:hi]), "abcdef") ||
			bytes.HasSuffix(b[:lo], []byte("text:")) || // a de-duplication MAC, maybe cut short in a page
			s.overlapsKnown(b, i-5) {
			s.benign++
			continue
		}
		// The fraction of a logged duration, as in "duration=4.123456ms".
		ds, de := i-run+1, i+1
		if ds >= 3 && string(b[ds-3:ds]) == "H2H" {
			s.benign++ // a partner serial number: "H2H" and a transfer id
			continue
		}
		for de < len(b) && b[de] >= '0' && b[de] <= '9' {
			de++
		}
		if ds > 1 && b[ds-1] == '.' && b[ds-2] >= '0' && b[ds-2] <= '9' && de < len(b) && bytes.IndexByte([]byte("mnsh\xc2"), b[de]) >= 0 {
			s.benign++
			continue
		}
		ctx := bytes.Map(func(r rune) rune {
			if r < 0x20 || r > 0x7e {
				return '.'
			}
			return r
		}, b[max(0, i-45):min(len(b), i+40)])
		s.leaks = append(s.leaks, fmt.Sprintf("%s offset %d: %q", name, i-5, ctx))
	}
}

func (s *pinScan) report(t *testing.T) {
	t.Helper()
	if len(s.leaks) > 0 {
		t.Errorf("PIN in clear found %d times (PIN at the middle of each excerpt):\n%s", len(s.leaks),
			strings.Join(s.leaks[:min(20, len(s.leaks))], "\n"))
	}
	t.Logf("PIN search: %d PINs over %d bytes of database, WAL and logs: %d in clear, %d inside hex strings or durations (coincidence)",
		len(s.pins), s.scanned, len(s.leaks), s.benign)
}
