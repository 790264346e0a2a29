package metrics_test

import (
	"context"
	"errors"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/smsgw/smsgw/domain"
	"github.com/smsgw/smsgw/metrics"
	"github.com/smsgw/smsgw/partner"
	"github.com/smsgw/smsgw/smpp"
	"github.com/smsgw/smsgw/smpp/pdu"
	"github.com/smsgw/smsgw/smpp/smpptest"
	"github.com/smsgw/smsgw/smsgw"
	"github.com/smsgw/smsgw/smsgw/smsgwtest"
	"github.com/smsgw/smsgw/store/sqlite"
	"github.com/smsgw/smsgw/store/sqlite/sqlitetest"
)

// compare checks the named metrics of reg against the exposition text want.
func compare(t *testing.T, reg prometheus.Gatherer, want string, names ...string) {
	t.Helper()
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), names...); err != nil {
		t.Error(err)
	}
}

// sampleCount returns the observation count of the histogram series name
// with the given label values, or -1 if there is no such series.
func sampleCount(t *testing.T, reg prometheus.Gatherer, name string, labels map[string]string) int {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	next:
		for _, m := range mf.GetMetric() {
			for _, lp := range m.GetLabel() {
				if v, ok := labels[lp.GetName()]; ok && v != lp.GetValue() {
					continue next
				}
			}
			return int(m.GetHistogram().GetSampleCount())
		}
	}
	return -1
}

func TestNewRegistersEveryCollector(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := metrics.New(reg)
	// Touch one series of each vector so that every family is exported.
	m.MO("9779", "IM2PAY")
	m.MT("3355", "pin_prompt", "sent")
	m.Session(smsgw.StateConfirmed)
	m.PINFailure()
	m.Refused(smsgw.RefusedRateLimited)
	m.Credit(smsgw.TransferSMSTopUp, 1)
	b := m.Bind("smsc")
	b.PDUIn(pdu.DeliverSMID)
	b.Window(1)
	b.RoundTrip(pdu.SubmitSMID, time.Millisecond)
	b.Reconnect()
	b.Bound(true)
	_ = m.Store(nopStore{}).View(t.Context(), func(smsgw.Tx) error { return nil })
	m.OutboxDepth(reg, func() float64 { return 0 })
	m.Inbox(reg, func() float64 { return 3 }, func() float64 { return 1 })
	m.GroupCommit(reg, func() float64 { return 2 }, func() float64 { return 50 })
	m.H2HRequest("trx", "bank", "00", 200, time.Millisecond)
	m.H2HCallback("bank", true, time.Millisecond)
	for _, name := range []string{
		"smsgw_mo_total", "smsgw_mt_total", "smsgw_session_outcomes_total", "smsgw_pin_failures_total",
		"smsgw_credits_total", "smsgw_credited_rupiah_total", "smsgw_smpp_pdus_total", "smsgw_smpp_window_in_use",
		"smsgw_smpp_roundtrip_seconds", "smsgw_smpp_reconnects_total", "smsgw_smpp_bound", "smsgw_db_seconds",
		"smsgw_outbox_depth", "smsgw_h2h_requests_total", "smsgw_h2h_request_seconds", "smsgw_h2h_callbacks_total",
		"smsgw_mo_refused_total", "smsgw_inbox_backlog", "smsgw_mo_throttled_total", "smsgw_store_commits_total",
		"smsgw_store_commit_calls_total",
	} {
		if n, err := testutil.GatherAndCount(reg, name); err != nil || n != 1 {
			t.Errorf("GatherAndCount(%s) = %d, %v; want 1 series", name, n, err)
		}
	}
	if problems, err := testutil.GatherAndLint(reg); err != nil || len(problems) > 0 {
		t.Errorf("GatherAndLint = %v, %v", problems, err)
	}
	// Registering twice on one registry is a programming error.
	defer func() {
		if recover() == nil {
			t.Error("a second New on the same registry did not panic")
		}
	}()
	metrics.New(reg)
}

func TestObserverCounts(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := metrics.New(reg)
	var obs smsgw.Observer = m
	obs.MO("9779", "IM2PAY")
	obs.MO("9779", "IM2PAY")
	obs.MO("3355", "PIN_REPLY")
	obs.MT("3355", "success", "sent")
	obs.MT("3355", "success", "retry")
	obs.MT("3355", "success", "sent")
	obs.Session(smsgw.StateConfirmed)
	obs.Session(smsgw.StateLocked)
	obs.PINFailure()
	obs.PINFailure()
	obs.Credit(smsgw.TransferSMSTopUp, 50000)
	obs.Credit(smsgw.TransferSMSTopUp, 75000)
	obs.Credit(partner.TransferH2H, 100000)
	ao, ok := obs.(smsgw.AbuseObserver)
	if !ok {
		t.Fatal("Metrics does not implement smsgw.AbuseObserver")
	}
	ao.Refused(smsgw.RefusedRateLimited)
	ao.Refused(smsgw.RefusedRateLimited)
	ao.Refused(smsgw.RefusedTooManyAccounts)
	compare(t, reg, `
# HELP smsgw_mo_refused_total MOs refused by the per-sender abuse limits, by reason (rate_limited, too_many_accounts).
# TYPE smsgw_mo_refused_total counter
smsgw_mo_refused_total{reason="rate_limited"} 2
smsgw_mo_refused_total{reason="too_many_accounts"} 1
`, "smsgw_mo_refused_total")
	compare(t, reg, `
# HELP smsgw_mo_total Processed mobile-originated messages by short code and keyword.
# TYPE smsgw_mo_total counter
smsgw_mo_total{keyword="IM2PAY",short_code="9779"} 2
smsgw_mo_total{keyword="PIN_REPLY",short_code="3355"} 1
# HELP smsgw_mt_total Mobile-terminated send attempts by short code, reply kind and result (sent, retry, failed).
# TYPE smsgw_mt_total counter
smsgw_mt_total{keyword="success",result="retry",short_code="3355"} 1
smsgw_mt_total{keyword="success",result="sent",short_code="3355"} 2
# HELP smsgw_session_outcomes_total PIN sessions that reached a final state, by state.
# TYPE smsgw_session_outcomes_total counter
smsgw_session_outcomes_total{state="confirmed"} 1
smsgw_session_outcomes_total{state="wrong_pin_locked"} 1
# HELP smsgw_pin_failures_total Wrong PINs received.
# TYPE smsgw_pin_failures_total counter
smsgw_pin_failures_total 2
# HELP smsgw_credits_total Committed wallet credits by kind.
# TYPE smsgw_credits_total counter
smsgw_credits_total{kind="h2h"} 1
smsgw_credits_total{kind="sms_topup"} 2
# HELP smsgw_credited_rupiah_total Rupiah credited to wallets, by kind.
# TYPE smsgw_credited_rupiah_total counter
smsgw_credited_rupiah_total{kind="h2h"} 100000
smsgw_credited_rupiah_total{kind="sms_topup"} 125000
`, "smsgw_mo_total", "smsgw_mt_total", "smsgw_session_outcomes_total", "smsgw_pin_failures_total",
		"smsgw_credits_total", "smsgw_credited_rupiah_total")
}

func TestH2HCounts(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := metrics.New(reg)
	m.H2HRequest("trx", "bank", "00", 200, 2*time.Millisecond)
	m.H2HRequest("trx", "bank", "00", 200, 3*time.Millisecond)
	m.H2HRequest("trx", "", "41", 403, time.Millisecond)
	m.H2HCallback("bank", false, time.Second)
	m.H2HCallback("bank", true, time.Second)
	m.H2HCallback("bank", true, time.Second)
	compare(t, reg, `
# HELP smsgw_h2h_requests_total Partner API answers by endpoint, partner and response code.
# TYPE smsgw_h2h_requests_total counter
smsgw_h2h_requests_total{endpoint="trx",partner="",rc="41"} 1
smsgw_h2h_requests_total{endpoint="trx",partner="bank",rc="00"} 2
# HELP smsgw_h2h_callbacks_total Partner callback attempts by partner and result (delivered, failed).
# TYPE smsgw_h2h_callbacks_total counter
smsgw_h2h_callbacks_total{partner="bank",result="delivered"} 2
smsgw_h2h_callbacks_total{partner="bank",result="failed"} 1
`, "smsgw_h2h_requests_total", "smsgw_h2h_callbacks_total")
	if n, err := testutil.GatherAndCount(reg, "smsgw_h2h_request_seconds"); err != nil || n != 1 {
		t.Errorf("latency series = %d, %v; want 1 (endpoint trx)", n, err)
	}
}

// The gateway reports a whole top-up to its Observer, after commit.
func TestGatewayObserver(t *testing.T) {
	ctx := t.Context()
	reg := prometheus.NewRegistry()
	m := metrics.New(reg)
	_, gw := sqlitetest.Open(t, smsgwtest.WithCodes("9779", "3355"), smsgwtest.WithOptions(func(o *smsgw.Options) {
		o.Store = m.Store(o.Store)
		o.Observer = m
	}))
	if err := gw.AddCustomer(ctx, "08110000002", "08110000002", "Payer", domain.PIN("246810")); err != nil {
		t.Fatal(err)
	}
	for _, mo := range []smsgw.MO{
		{From: "08110000002", To: "9779", Text: "IM2PAY 08110000002 50000"},
		{From: "08110000002", To: "3355", Text: "111111"},
		{From: "08110000002", To: "3355", Text: "246810"},
	} {
		if err := gw.HandleMO(ctx, mo); err != nil {
			t.Fatal(err)
		}
		if _, err := gw.ProcessInbox(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := gw.SendDue(ctx); err != nil {
			t.Fatal(err)
		}
	}
	compare(t, reg, `
# HELP smsgw_mo_total Processed mobile-originated messages by short code and keyword.
# TYPE smsgw_mo_total counter
smsgw_mo_total{keyword="IM2PAY",short_code="9779"} 1
smsgw_mo_total{keyword="PIN_REPLY",short_code="3355"} 2
# HELP smsgw_mt_total Mobile-terminated send attempts by short code, reply kind and result (sent, retry, failed).
# TYPE smsgw_mt_total counter
smsgw_mt_total{keyword="pin_prompt",result="sent",short_code="3355"} 1
smsgw_mt_total{keyword="success",result="sent",short_code="3355"} 1
smsgw_mt_total{keyword="wrong_pin",result="sent",short_code="3355"} 1
# HELP smsgw_session_outcomes_total PIN sessions that reached a final state, by state.
# TYPE smsgw_session_outcomes_total counter
smsgw_session_outcomes_total{state="confirmed"} 1
# HELP smsgw_pin_failures_total Wrong PINs received.
# TYPE smsgw_pin_failures_total counter
smsgw_pin_failures_total 1
# HELP smsgw_credits_total Committed wallet credits by kind.
# TYPE smsgw_credits_total counter
smsgw_credits_total{kind="sms_topup"} 1
# HELP smsgw_credited_rupiah_total Rupiah credited to wallets, by kind.
# TYPE smsgw_credited_rupiah_total counter
smsgw_credited_rupiah_total{kind="sms_topup"} 50000
`, "smsgw_mo_total", "smsgw_mt_total", "smsgw_session_outcomes_total", "smsgw_pin_failures_total",
		"smsgw_credits_total", "smsgw_credited_rupiah_total")
	// Every transaction went through the timed store.
	if n := sampleCount(t, reg, "smsgw_db_seconds", map[string]string{"kind": "update", "result": "ok"}); n < 6 {
		t.Errorf("update observations = %d, want at least one per stored and processed MO", n)
	}
}

func TestBindMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := metrics.New(reg)
	var b smpp.Metrics = m.Bind("a")
	b.PDUOut(pdu.SubmitSMID)
	b.PDUOut(pdu.SubmitSMID)
	b.PDUIn(pdu.SubmitSMRespID)
	b.Window(4)
	b.Window(2)
	b.Reconnect()
	b.Bound(true)
	m.Bind("b").Bound(true)
	m.Bind("b").Bound(false)
	b.RoundTrip(pdu.SubmitSMID, 3*time.Millisecond)
	b.RoundTrip(pdu.SubmitSMID, 2*time.Second)
	compare(t, reg, `
# HELP smsgw_smpp_pdus_total SMPP PDUs by bind, direction (in, out) and command.
# TYPE smsgw_smpp_pdus_total counter
smsgw_smpp_pdus_total{bind="a",command="submit_sm",direction="out"} 2
smsgw_smpp_pdus_total{bind="a",command="submit_sm_resp",direction="in"} 1
# HELP smsgw_smpp_window_in_use Outstanding SMPP requests awaiting a response, by bind.
# TYPE smsgw_smpp_window_in_use gauge
smsgw_smpp_window_in_use{bind="a"} 2
# HELP smsgw_smpp_reconnects_total SMPP reconnect attempts by bind.
# TYPE smsgw_smpp_reconnects_total counter
smsgw_smpp_reconnects_total{bind="a"} 1
# HELP smsgw_smpp_bound 1 when the bind is bound, else 0.
# TYPE smsgw_smpp_bound gauge
smsgw_smpp_bound{bind="a"} 1
smsgw_smpp_bound{bind="b"} 0
`, "smsgw_smpp_pdus_total", "smsgw_smpp_window_in_use", "smsgw_smpp_reconnects_total", "smsgw_smpp_bound")
	if n := sampleCount(t, reg, "smsgw_smpp_roundtrip_seconds", map[string]string{"bind": "a", "command": "submit_sm"}); n != 2 {
		t.Errorf("round trips observed = %d, want 2", n)
	}
}

// A real client against the test SMSC feeds the bind metrics.
func TestBindMetricsFromClient(t *testing.T) {
	srv := smpptest.NewServer()
	defer srv.Close()
	reg := prometheus.NewRegistry()
	m := metrics.New(reg)
	c, err := smpp.NewClient(smpp.ClientOptions{
		Addr: srv.Addr(), SystemID: "smsc", Metrics: m.Bind("smsc"), Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	sm := &pdu.SubmitSM{MessageFields: pdu.MessageFields{SourceAddr: "9779", DestinationAddr: "628110000002", ShortMessage: []byte("hi")}}
	sctx, scancel := context.WithTimeout(ctx, 5*time.Second)
	defer scancel()
	if _, err := c.Submit(sctx, sm); err != nil {
		t.Fatal(err)
	}
	compare(t, reg, `
# HELP smsgw_smpp_bound 1 when the bind is bound, else 0.
# TYPE smsgw_smpp_bound gauge
smsgw_smpp_bound{bind="smsc"} 1
`, "smsgw_smpp_bound")
	for _, s := range []struct{ dir, cmd string }{
		{"out", "bind_transceiver"}, {"in", "bind_transceiver_resp"}, {"out", "submit_sm"}, {"in", "submit_sm_resp"},
	} {
		if got := pduCount(t, reg, "smsc", s.dir, s.cmd); got != 1 {
			t.Errorf("smsgw_smpp_pdus_total{%s %s} = %v, want 1", s.dir, s.cmd, got)
		}
	}
	if n := sampleCount(t, reg, "smsgw_smpp_roundtrip_seconds", map[string]string{"bind": "smsc", "command": "submit_sm"}); n != 1 {
		t.Errorf("submit_sm round trips observed = %d, want 1", n)
	}
	cancel()
	if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
		t.Errorf("Run = %v", err)
	}
	compare(t, reg, `
# HELP smsgw_smpp_bound 1 when the bind is bound, else 0.
# TYPE smsgw_smpp_bound gauge
smsgw_smpp_bound{bind="smsc"} 0
`, "smsgw_smpp_bound")
}

func pduCount(t *testing.T, reg prometheus.Gatherer, bind, dir, cmd string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "smsgw_smpp_pdus_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			l := map[string]string{}
			for _, lp := range m.GetLabel() {
				l[lp.GetName()] = lp.GetValue()
			}
			if l["bind"] == bind && l["direction"] == dir && l["command"] == cmd {
				return m.GetCounter().GetValue()
			}
		}
	}
	return 0
}

// nopStore runs fn with a nil Tx and returns its error.
type nopStore struct{}

func (nopStore) Update(_ context.Context, fn func(smsgw.Tx) error) error { return fn(nil) }
func (nopStore) View(_ context.Context, fn func(smsgw.Tx) error) error   { return fn(nil) }
func (nopStore) Close() error                                            { return nil }

func TestStoreLatency(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := metrics.New(reg)
	s := m.Store(nopStore{})
	boom := errors.New("boom")
	ctx := t.Context()
	if err := s.Update(ctx, func(smsgw.Tx) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if err := s.Update(ctx, func(smsgw.Tx) error { return boom }); !errors.Is(err, boom) {
		t.Errorf("Update = %v, want the inner error", err)
	}
	for range 3 {
		if err := s.View(ctx, func(smsgw.Tx) error { return nil }); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct {
		kind, result string
		want         int
	}{{"update", "ok", 1}, {"update", "error", 1}, {"view", "ok", 3}, {"view", "error", -1}} {
		if got := sampleCount(t, reg, "smsgw_db_seconds", map[string]string{"kind": c.kind, "result": c.result}); got != c.want {
			t.Errorf("smsgw_db_seconds{%s,%s} count = %d, want %d", c.kind, c.result, got, c.want)
		}
	}
}

// The outbox gauge reads the store at every scrape.
func TestOutboxDepthGauge(t *testing.T) {
	ctx := t.Context()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "gw.db"), sqlite.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	reg := prometheus.NewRegistry()
	m := metrics.New(reg)
	m.OutboxDepth(reg, func() float64 {
		var n int
		if err := db.View(ctx, func(tx smsgw.Tx) (err error) {
			n, err = tx.OutboxDepth()
			return err
		}); err != nil {
			t.Error(err)
		}
		return float64(n)
	})
	want := func(n string) string {
		return "# HELP smsgw_outbox_depth Outbound messages queued and not yet accepted by the SMSC.\n" +
			"# TYPE smsgw_outbox_depth gauge\nsmsgw_outbox_depth " + n + "\n"
	}
	compare(t, reg, want("0"), "smsgw_outbox_depth")
	var ids []int64
	if err := db.Update(ctx, func(tx smsgw.Tx) error {
		for _, body := range []string{"one", "two"} {
			msg := &smsgw.Message{ShortCode: "9779", MSISDN: "628110000002", Text: body}
			if err := tx.EnqueueMT(msg); err != nil {
				return err
			}
			ids = append(ids, msg.ID)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	compare(t, reg, want("2"), "smsgw_outbox_depth")
	if err := db.Update(ctx, func(tx smsgw.Tx) error { return tx.MarkMTSent(ids[0], []string{"A"}, time.Now()) }); err != nil {
		t.Fatal(err)
	}
	compare(t, reg, want("1"), "smsgw_outbox_depth")
}

// TestReconciled: a run that compared a file sets the partner's mismatch
// gauges; a run without a file or that failed only counts.
func TestReconciled(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := metrics.New(reg)
	m.Reconciled("bank", "mismatch", map[string]int{"amount": 2, "missing_ours": 0})
	m.Reconciled("bank", "no_file", map[string]int{"amount": 0})
	m.Reconciled("bank", "error", nil)
	compare(t, reg, `
# HELP smsgw_reconcile_mismatches Mismatches of the last daily reconciliation of a partner against its settlement file, by kind.
# TYPE smsgw_reconcile_mismatches gauge
smsgw_reconcile_mismatches{kind="amount",partner="bank"} 2
smsgw_reconcile_mismatches{kind="missing_ours",partner="bank"} 0
# HELP smsgw_reconcile_runs_total Daily reconciliations by partner and result (matched, mismatch, no_file, error).
# TYPE smsgw_reconcile_runs_total counter
smsgw_reconcile_runs_total{partner="bank",result="error"} 1
smsgw_reconcile_runs_total{partner="bank",result="mismatch"} 1
smsgw_reconcile_runs_total{partner="bank",result="no_file"} 1
`, "smsgw_reconcile_mismatches", "smsgw_reconcile_runs_total")
}
