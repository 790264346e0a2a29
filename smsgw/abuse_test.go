package smsgw_test

import (
	"bytes"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/smsgw/smsgw/domain"
	"github.com/smsgw/smsgw/keywords"
	"github.com/smsgw/smsgw/smsgw"
	"github.com/smsgw/smsgw/smsgw/smsgwtest"
	"github.com/smsgw/smsgw/store/sqlite/sqlitetest"
)

// refusals is an Observer that records the abuse refusals it is told of.
type refusals struct {
	smsgw.Observer
	mu      sync.Mutex
	reasons []string
}

func (r *refusals) Refused(reason string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.reasons = append(r.reasons, reason)
}

func (r *refusals) count(reason string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, x := range r.reasons {
		if x == reason {
			n++
		}
	}
	return n
}

// nopObs implements smsgw.Observer and nothing else.
type nopObs struct{}

func (nopObs) MO(string, string)               {}
func (nopObs) MT(string, string, string)       {}
func (nopObs) Session(smsgw.SessionState)      {}
func (nopObs) PINFailure()                     {}
func (nopObs) Credit(string, domain.Amount)    {}
func (h *harness) setAbuse(a smsgw.AbuseRules) { h.t.Helper(); setAbuse(h.t, h.gw, a) }

func setAbuse(t *testing.T, gw *smsgw.Gateway, a smsgw.AbuseRules) {
	t.Helper()
	r := gw.Rules()
	r.Abuse = a
	if err := gw.SetRules(r); err != nil {
		t.Fatal(err)
	}
}

// newAbuseHarness is newHarness with an Observer that records refusals.
func newAbuseHarness(t *testing.T) (*harness, *refusals) {
	t.Helper()
	ctx := t.Context()
	obs := &refusals{Observer: nopObs{}}
	clk := smsgwtest.NewClock(time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC))
	logs := new(smsgwtest.LogBuffer)
	out := &smsgwtest.Sender{}
	st, gw := sqlitetest.Open(t, smsgwtest.WithClock(clk), smsgwtest.WithSender(out),
		smsgwtest.WithLogger(smsgwtest.NewLogger(logs)), smsgwtest.WithCodes(request, pinCode),
		smsgwtest.WithPINKey(bytes.Repeat([]byte{7}, 32)),
		smsgwtest.WithOptions(func(o *smsgw.Options) { o.Observer = obs }))
	if err := gw.AddCustomer(ctx, payer, payer, "Payer", domain.PIN(pin)); err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"08110000009", "08110000011", "08110000012", "08110000013"} {
		if err := gw.AddWallet(ctx, w); err != nil {
			t.Fatal(err)
		}
	}
	return &harness{t: t, gw: gw, store: st, clk: clk, out: out, logs: logs}, obs
}

// mosOf returns the MOs of msisdn in the SMS log, oldest first.
func (h *harness) mosOf(msisdn domain.MSISDN) []smsgw.Message {
	h.t.Helper()
	var ms []smsgw.Message
	err := h.store.View(h.t.Context(), func(tx smsgw.Tx) (err error) {
		ms, err = tx.Messages(smsgw.MessageFilter{Direction: smsgw.DirIn, MSISDN: msisdn, Limit: 1000})
		return err
	})
	if err != nil {
		h.t.Fatal(err)
	}
	for i, j := 0, len(ms)-1; i < j; i, j = i+1, j-1 {
		ms[i], ms[j] = ms[j], ms[i]
	}
	return ms
}

func statuses(ms []smsgw.Message) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.Status
	}
	return out
}

// A sender over the MO rate: its MOs are stored and acknowledged, shown
// as rate-limited and not processed; the first one gets one polite
// answer, the rest of the window none; after the window it is served
// again, and a new flood gets a new answer. Other senders are not touched.
func TestMORateLimit(t *testing.T) {
	h, obs := newAbuseHarness(t)
	h.setAbuse(smsgw.AbuseRules{MOPerMinute: 2, MOBurst: 3, MOBlock: 5 * time.Minute})
	// Distinct texts: the same text again at once would be taken for a
	// redelivery.
	for _, text := range []string{"SALDO", "CEK", "BAL"} {
		one(t, h.send(payer, request, text), request, "Saldo i-Pay")
	}
	notice := one(t, h.send(payer, request, "saldo"), request, "Terlalu banyak SMS")
	if !strings.Contains(notice.Text, "5 menit") {
		t.Errorf("notice = %q, want it to say 5 menit", notice.Text)
	}
	h.clk.Add(time.Minute)
	for _, text := range []string{"cek", "IM2PAY 08110000009 50000", "RIWAYAT"} {
		if got := h.send(payer, request, text); len(got) != 0 {
			t.Fatalf("reply to %q within the refusal: %+v, want none", text, got)
		}
	}
	// A PIN sent while refused is kept redacted and never checked.
	if got := h.send(payer, pinCode, wrong); len(got) != 0 {
		t.Fatalf("reply to a PIN within the refusal: %+v, want none", got)
	}
	// Others are served.
	one(t, h.send(other, request, "SALDO"), request, "belum terdaftar")

	ms := h.mosOf(payerN)
	want := []string{"processed", "processed", "processed", "rate_limited", "rate_limited", "rate_limited", "rate_limited", "rate_limited"}
	if got := statuses(ms); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("SMS log statuses = %v, want %v", got, want)
	}
	if ms[7].Text != "****" || ms[7].Keyword != "PIN_REPLY" {
		t.Errorf("refused PIN reply logged as %q (%s), want **** PIN_REPLY", ms[7].Text, ms[7].Keyword)
	}
	err := h.store.View(t.Context(), func(tx smsgw.Tx) error {
		if _, err := tx.OpenSession(payerN); smsgw.ErrorCode(err) != smsgw.ENotFound {
			t.Errorf("OpenSession after a refused IM2PAY = %v, want ENotFound", err)
		}
		c, err := tx.Customer(payerN)
		if err != nil {
			return err
		}
		if c.PINFailures != 0 {
			t.Errorf("PINFailures = %d after a refused PIN, want 0", c.PINFailures)
		}
		pending, err := tx.PendingMOs(10)
		if err != nil {
			return err
		}
		if len(pending) != 0 {
			t.Errorf("%d MOs left in the inbox, want 0", len(pending))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := obs.count(smsgw.RefusedRateLimited); got != 5 {
		t.Errorf("observer told of %d rate-limited MOs, want 5", got)
	}
	if got := strings.Count(h.logs.String(), "over the MO rate"); got != 1 {
		t.Errorf("%d log lines about the refusal, want 1", got)
	}

	// After the window the sender is served again; a new flood gets one
	// new answer.
	h.clk.Add(4 * time.Minute)
	one(t, h.send(payer, request, "Saldo"), request, "Saldo i-Pay")
	one(t, h.send(payer, request, "Cek"), request, "Saldo i-Pay")
	one(t, h.send(payer, request, "Bal"), request, "Saldo i-Pay")
	one(t, h.send(payer, request, "sAldo"), request, "Terlalu banyak SMS")
	if got := h.send(payer, request, "cEk"); len(got) != 0 {
		t.Errorf("second MO of the new refusal answered: %+v", got)
	}
}

// The limit applies at the time an MO was received: a backlog processed
// at once after a restart or an outage is not taken for a flood.
func TestMORateLimitUsesReceivedTime(t *testing.T) {
	h, _ := newAbuseHarness(t)
	h.setAbuse(smsgw.AbuseRules{MOPerMinute: 1, MOBurst: 1, MOBlock: 5 * time.Minute})
	start := h.clk.Now()
	for i, text := range []string{"SALDO", "CEK", "BAL", "RIWAYAT"} {
		mo := smsgw.MO{From: payer, To: request, Text: text, ReceivedAt: start.Add(time.Duration(i) * time.Minute)}
		if err := h.gw.HandleMO(t.Context(), mo); err != nil {
			t.Fatal(err)
		}
	}
	h.clk.Add(10 * time.Minute)
	h.flush()
	if got := len(h.out.Take()); got != 4 {
		t.Errorf("%d replies to 4 MOs received a minute apart, want 4", got)
	}
	for _, m := range h.mosOf(payerN) {
		if m.Status != smsgw.MsgProcessed {
			t.Errorf("MO %q status %s, want processed", m.Text, m.Status)
		}
	}
}

// One sender asking for top-ups of many distinct accounts, existing or
// not, is refused after MaxAccounts within the window: it cannot probe
// which accounts exist nor open PIN prompts for many. Its own account and
// accounts it already asked for stay allowed; the window frees them.
func TestTooManyAccounts(t *testing.T) {
	h, obs := newAbuseHarness(t)
	h.setAbuse(smsgw.AbuseRules{MaxAccounts: 3, AccountWindow: time.Hour})
	step := func() { h.clk.Add(3 * time.Minute) } // past the de-duplication window
	one(t, h.send(payer, request, "IM2PAY 08110000077 50000"), request, "tidak terdaftar")
	step()
	one(t, h.send(payer, request, "IM2PAY 08110000009 50000"), pinCode, "Balas SMS ini dengan PIN")
	step()
	one(t, h.send(payer, request, "BATAL"), request, "dibatalkan")
	step()
	one(t, h.send(payer, request, "IM2PAY 08110000011 50000"), pinCode, "Balas SMS ini dengan PIN")
	step()
	one(t, h.send(payer, request, "BATAL"), request, "dibatalkan")
	step()
	// A fourth account, existing or not, is refused with the same answer.
	for _, acct := range []string{"08110000012", "08110000078"} {
		r := one(t, h.send(payer, request, "IM2PAY "+acct+" 50000"), request, "terlalu banyak Account-ID")
		if strings.Contains(r.Text, acct) {
			t.Errorf("refusal %q names the account", r.Text)
		}
		step()
	}
	// An account already asked for, and the sender's own, are allowed.
	one(t, h.send(payer, request, "IM2PAY 08110000009 75000"), pinCode, "Balas SMS ini dengan PIN")
	step()
	one(t, h.send(payer, request, "BATAL"), request, "dibatalkan")
	step()
	one(t, h.send(payer, request, "IM2PAY "+payer+" 50000"), pinCode, "Balas SMS ini dengan PIN")
	step()
	one(t, h.send(payer, request, "BATAL"), request, "dibatalkan")
	// Once the first account leaves the window, a new one may be asked for.
	h.clk.Add(40 * time.Minute)
	one(t, h.send(payer, request, "IM2PAY 08110000012 50000"), pinCode, "Balas SMS ini dengan PIN")

	refused := 0
	for _, m := range h.mosOf(payerN) {
		if m.Status == smsgw.MsgRefused {
			refused++
			if m.Keyword != keywords.KeywordPay {
				t.Errorf("refused MO keyword %q, want IM2PAY", m.Keyword)
			}
		}
	}
	if refused != 2 {
		t.Errorf("%d MOs with status refused, want 2", refused)
	}
	if got := obs.count(smsgw.RefusedTooManyAccounts); got != 2 {
		t.Errorf("observer told of %d refusals, want 2", got)
	}
	logs := h.logs.String()
	if got := strings.Count(logs, "too many distinct accounts"); got != 2 {
		t.Errorf("%d log lines about the refusal, want 2", got)
	}
	if strings.Contains(logs, "8110000078") || strings.Contains(logs, string(payerN)) {
		t.Error("the refusal log names an account or the sender in clear")
	}
}

// Wrong PINs count per sender whatever the account: cancelling and asking
// for another account does not give fresh attempts.
func TestWrongPINsAcrossAccountsLock(t *testing.T) {
	h, _ := newAbuseHarness(t)
	accounts := []string{"08110000009", "08110000011", "08110000012"}
	for i, acct := range accounts {
		one(t, h.send(payer, request, "IM2PAY "+acct+" 50000"), pinCode, "Balas SMS ini dengan PIN")
		h.clk.Add(3 * time.Minute)
		if i < len(accounts)-1 {
			one(t, h.send(payer, pinCode, wrong), pinCode, "PIN salah")
			h.clk.Add(3 * time.Minute)
			one(t, h.send(payer, request, "BATAL"), request, "dibatalkan")
			h.clk.Add(3 * time.Minute)
			continue
		}
		one(t, h.send(payer, pinCode, wrong), pinCode, "diblokir")
	}
	h.clk.Add(3 * time.Minute)
	one(t, h.send(payer, request, "IM2PAY 08110000013 50000"), request, "diblokir")
}

// The abuse limits live in the store: a second gateway on it (another
// daemon) sees the MOs the first one counted, and the refusal the first
// one started; so does a gateway started anew (a restart).
func TestAbuseLimitsSharedByGateways(t *testing.T) {
	h, _ := newAbuseHarness(t)
	rules := smsgw.AbuseRules{MOPerMinute: 2, MOBurst: 3, MOBlock: 5 * time.Minute, MaxAccounts: 1, AccountWindow: time.Hour}
	h.setAbuse(rules)
	for _, text := range []string{"SALDO", "CEK"} {
		one(t, h.send(payer, request, text), request, "Saldo i-Pay")
	}
	one(t, h.send(payer, request, "IM2PAY 08110000009 50000"), pinCode, "")

	second := &harness{t: t, gw: newPartGateway(t, h, 7), store: h.store, clk: h.clk, out: h.out, logs: h.logs}
	setAbuse(t, second.gw, rules)
	one(t, second.send(payer, request, "BAL"), request, "Terlalu banyak SMS")
	if got := h.send(payer, request, "cek"); len(got) != 0 {
		t.Errorf("the first gateway answered within a refusal the second started: %+v", got)
	}
	// After the refusal, the account limit counts what the first gateway
	// let through: a second account is refused on the second gateway.
	h.clk.Add(6 * time.Minute)
	one(t, second.send(payer, pinCode, "BATAL"), request, "dibatalkan")
	one(t, second.send(payer, request, "IM2PAY 08110000011 50000"), request, "")
	ms := h.mosOf(payerN)
	if last := ms[len(ms)-1]; last.Status != smsgw.MsgRefused {
		t.Errorf("a second account within the window on the other gateway: MO status %q, want %q", last.Status, smsgw.MsgRefused)
	}
}
