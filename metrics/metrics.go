// Package metrics exports the gateway's Prometheus metrics: MO/MT counters
// by short code and keyword, session outcomes, PIN failures, credits, SMPP
// PDUs, window in use, round-trip latency, reconnects and bind state, outbox
// depth and database latency, and by operator (route) and bind: messages,
// bound state, window in use, throttling and outbox backlog.
//
// It implements smsgw.Observer and smpp.Metrics and wraps a smsgw.Store to
// time its transactions. Labels are bounded: keywords come from the
// configured table (anything else is counted as UNKNOWN by the gateway),
// short codes and binds from configuration. Everything is safe for
// concurrent use.
package metrics

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/smsgw/smsgw/domain"
	"github.com/smsgw/smsgw/smpp"
	"github.com/smsgw/smsgw/smpp/pdu"
	"github.com/smsgw/smsgw/smsgw"
)

// Metrics holds the collectors, registered on one registry.
type Metrics struct {
	mo         *prometheus.CounterVec
	mt         *prometheus.CounterVec
	sessions   *prometheus.CounterVec
	pinFail    prometheus.Counter
	refused    *prometheus.CounterVec
	credits    *prometheus.CounterVec
	creditsRp  *prometheus.CounterVec
	pdus       *prometheus.CounterVec
	window     *prometheus.GaugeVec
	rtt        *prometheus.HistogramVec
	reconnects *prometheus.CounterVec
	bound      *prometheus.GaugeVec
	db         *prometheus.HistogramVec
	h2hReqs    *prometheus.CounterVec
	h2hLatency *prometheus.HistogramVec
	callbacks  *prometheus.CounterVec
	ussd       *prometheus.CounterVec
	ussdTime   *prometheus.HistogramVec
	recMiss    *prometheus.GaugeVec
	recRuns    *prometheus.CounterVec
	routeMsgs  *prometheus.CounterVec
}

// New creates the collectors and registers them on reg.
func New(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		mo: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "smsgw_mo_total", Help: "Processed mobile-originated messages by short code and keyword.",
		}, []string{"short_code", "keyword"}),
		mt: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "smsgw_mt_total", Help: "Mobile-terminated send attempts by short code, reply kind and result (sent, retry, failed).",
		}, []string{"short_code", "keyword", "result"}),
		sessions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "smsgw_session_outcomes_total", Help: "PIN sessions that reached a final state, by state.",
		}, []string{"state"}),
		pinFail: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "smsgw_pin_failures_total", Help: "Wrong PINs received.",
		}),
		refused: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "smsgw_mo_refused_total", Help: "MOs refused by the per-sender abuse limits, by reason (rate_limited, too_many_accounts).",
		}, []string{"reason"}),
		credits: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "smsgw_credits_total", Help: "Committed wallet credits by kind.",
		}, []string{"kind"}),
		creditsRp: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "smsgw_credited_rupiah_total", Help: "Rupiah credited to wallets, by kind.",
		}, []string{"kind"}),
		pdus: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "smsgw_smpp_pdus_total", Help: "SMPP PDUs by bind, direction (in, out) and command.",
		}, []string{"bind", "direction", "command"}),
		window: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "smsgw_smpp_window_in_use", Help: "Outstanding SMPP requests awaiting a response, by bind.",
		}, []string{"bind"}),
		rtt: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "smsgw_smpp_roundtrip_seconds", Help: "SMPP request to response latency by bind and command.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"bind", "command"}),
		reconnects: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "smsgw_smpp_reconnects_total", Help: "SMPP reconnect attempts by bind.",
		}, []string{"bind"}),
		bound: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "smsgw_smpp_bound", Help: "1 when the bind is bound, else 0.",
		}, []string{"bind"}),
		db: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "smsgw_db_seconds", Help: "Database transaction latency by kind (update, view) and result.",
			Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 5},
		}, []string{"kind", "result"}),
	}
	m.h2hReqs = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "smsgw_h2h_requests_total", Help: "Partner API answers by endpoint, partner and response code.",
	}, []string{"endpoint", "partner", "rc"})
	m.h2hLatency = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "smsgw_h2h_request_seconds", Help: "Partner API request latency by endpoint.",
		Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14),
	}, []string{"endpoint"})
	m.callbacks = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "smsgw_h2h_callbacks_total", Help: "Partner callback attempts by partner and result (delivered, failed).",
	}, []string{"partner", "result"})
	m.ussd = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "smsgw_ussd_screens_total", Help: "USSD screens answered by channel and outcome (continue, end, failed).",
	}, []string{"channel", "outcome"})
	m.ussdTime = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "smsgw_ussd_screen_seconds", Help: "Time to answer a USSD screen, by channel.",
		Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2, 5},
	}, []string{"channel"})
	m.recMiss = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "smsgw_reconcile_mismatches",
		Help: "Mismatches of the last daily reconciliation of a partner against its settlement file, by kind.",
	}, []string{"partner", "kind"})
	m.recRuns = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "smsgw_reconcile_runs_total",
		Help: "Daily reconciliations by partner and result (matched, mismatch, no_file, error).",
	}, []string{"partner", "result"})
	m.routeMsgs = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "smsgw_route_messages_total",
		Help: "Messages over each operator and bind, by direction (mo received, mt sent).",
	}, []string{"operator", "bind", "direction"})
	reg.MustRegister(m.routeMsgs)
	reg.MustRegister(m.mo, m.mt, m.sessions, m.pinFail, m.refused, m.credits, m.creditsRp, m.pdus, m.window, m.rtt, m.reconnects, m.bound, m.db,
		m.h2hReqs, m.h2hLatency, m.callbacks, m.ussd, m.ussdTime, m.recMiss, m.recRuns)
	return m
}

var (
	_ smsgw.Observer      = (*Metrics)(nil)
	_ smsgw.AbuseObserver = (*Metrics)(nil)
)

// H2HRequest counts a partner API answer; it fits h2h.Options.Observe.
func (m *Metrics) H2HRequest(endpoint, partner, rc string, _ int, d time.Duration) {
	m.h2hReqs.WithLabelValues(endpoint, partner, rc).Inc()
	m.h2hLatency.WithLabelValues(endpoint).Observe(d.Seconds())
}

// H2HCallback counts a callback attempt; it fits h2h.NotifierOptions.Observe.
func (m *Metrics) H2HCallback(partner string, delivered bool, _ time.Duration) {
	result := "failed"
	if delivered {
		result = "delivered"
	}
	m.callbacks.WithLabelValues(partner, result).Inc()
}

// Reconciled records a daily reconciliation of a partner: result is
// matched, mismatch, no_file (our side only) or error. mismatches, by kind,
// replace the partner's gauges when the run compared a file (result
// matched or mismatch); other results leave the last ones.
func (m *Metrics) Reconciled(partner, result string, mismatches map[string]int) {
	m.recRuns.WithLabelValues(partner, result).Inc()
	if result != "matched" && result != "mismatch" {
		return
	}
	for kind, n := range mismatches {
		m.recMiss.WithLabelValues(partner, kind).Set(float64(n))
	}
}

// USSDScreen counts an answered USSD screen; it fits ussd.Observer.
func (m *Metrics) USSDScreen(channel string, end, failed bool, d time.Duration) {
	outcome := "continue"
	switch {
	case failed:
		outcome = "failed"
	case end:
		outcome = "end"
	}
	m.ussd.WithLabelValues(channel, outcome).Inc()
	m.ussdTime.WithLabelValues(channel).Observe(d.Seconds())
}

// MO counts a processed MO.
func (m *Metrics) MO(shortCode, keyword string) { m.mo.WithLabelValues(shortCode, keyword).Inc() }

// MT counts a send attempt.
func (m *Metrics) MT(shortCode, keyword, result string) {
	m.mt.WithLabelValues(shortCode, keyword, result).Inc()
}

// Session counts a final session state.
func (m *Metrics) Session(state smsgw.SessionState) { m.sessions.WithLabelValues(string(state)).Inc() }

// PINFailure counts a wrong PIN.
func (m *Metrics) PINFailure() { m.pinFail.Inc() }

// Refused counts an MO refused by an abuse limit.
func (m *Metrics) Refused(reason string) { m.refused.WithLabelValues(reason).Inc() }

// Credit counts a committed credit.
func (m *Metrics) Credit(kind string, amount domain.Amount) {
	m.credits.WithLabelValues(kind).Inc()
	m.creditsRp.WithLabelValues(kind).Add(float64(amount))
}

// Bind returns the smpp.Metrics of one bind.
func (m *Metrics) Bind(name string) smpp.Metrics { return bindMetrics{m: m, name: name} }

type bindMetrics struct {
	m    *Metrics
	name string
}

var _ smpp.Metrics = bindMetrics{}

func (b bindMetrics) PDUIn(id pdu.CommandID) {
	b.m.pdus.WithLabelValues(b.name, "in", id.String()).Inc()
}
func (b bindMetrics) PDUOut(id pdu.CommandID) {
	b.m.pdus.WithLabelValues(b.name, "out", id.String()).Inc()
}
func (b bindMetrics) Window(inUse int) { b.m.window.WithLabelValues(b.name).Set(float64(inUse)) }
func (b bindMetrics) RoundTrip(id pdu.CommandID, d time.Duration) {
	b.m.rtt.WithLabelValues(b.name, id.String()).Observe(d.Seconds())
}
func (b bindMetrics) Reconnect() { b.m.reconnects.WithLabelValues(b.name).Inc() }
func (b bindMetrics) Bound(up bool) {
	v := 0.0
	if up {
		v = 1
	}
	b.m.bound.WithLabelValues(b.name).Set(v)
}

// Store wraps s so that every transaction's latency is observed.
func (m *Metrics) Store(s smsgw.Store) smsgw.Store { return timedStore{Store: s, m: m} }

type timedStore struct {
	smsgw.Store
	m *Metrics
}

func (t timedStore) Update(ctx context.Context, fn func(smsgw.Tx) error) error {
	start := time.Now()
	err := t.Store.Update(ctx, fn)
	t.m.db.WithLabelValues("update", result(err)).Observe(time.Since(start).Seconds())
	return err
}

func (t timedStore) View(ctx context.Context, fn func(smsgw.Tx) error) error {
	start := time.Now()
	err := t.Store.View(ctx, fn)
	t.m.db.WithLabelValues("view", result(err)).Observe(time.Since(start).Seconds())
	return err
}

func result(err error) string {
	if err == nil {
		return "ok"
	}
	return "error"
}

// OutboxDepth registers a gauge that calls depth at scrape time.
func (m *Metrics) OutboxDepth(reg prometheus.Registerer, depth func() float64) {
	reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "smsgw_outbox_depth", Help: "Outbound messages queued and not yet accepted by the SMSC.",
	}, depth))
}

// Inbox registers the back-pressure figures, read at scrape time: the MOs
// stored and not yet processed, and the MOs refused (ESME_RTHROTTLED)
// while that backlog was full.
func (m *Metrics) Inbox(reg prometheus.Registerer, backlog, throttled func() float64) {
	reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "smsgw_inbox_backlog", Help: "MOs stored and not yet processed.",
	}, backlog))
	reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
		Name: "smsgw_mo_throttled_total", Help: "MOs refused with ESME_RTHROTTLED while the inbox backlog was full.",
	}, throttled))
}

// GroupCommit registers the store's write figures, read at scrape time:
// commits, and the Update calls they held (calls / commits is the average
// group size: the writers sharing one fsync).
func (m *Metrics) GroupCommit(reg prometheus.Registerer, commits, calls func() float64) {
	reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
		Name: "smsgw_store_commits_total", Help: "Write transactions committed by the store.",
	}, commits))
	reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
		Name: "smsgw_store_commit_calls_total", Help: "Update calls held by those commits (group commit).",
	}, calls))
}
