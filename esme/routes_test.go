package esme_test

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/smsgw/smsgw/esme"
	"github.com/smsgw/smsgw/keywords"
	"github.com/smsgw/smsgw/smpp/pdu"
	"github.com/smsgw/smsgw/smpp/smpptest"
	"github.com/smsgw/smsgw/smpp/text"
	"github.com/smsgw/smsgw/smsgw"
	"github.com/smsgw/smsgw/smsgw/smsgwtest"
	"github.com/smsgw/smsgw/store/sqlite/sqlitetest"
)

// operator is one simulated operator: its SMSC and the bind names of the
// gateway's binds to it.
type operator struct {
	name  string
	srv   *smpptest.Server
	binds []string
	rate  float64 // each bind's throughput (0: unlimited)
}

// routeRig is a gateway on SQLite sending through an ESME with one route
// per operator.
type routeRig struct {
	ops []*operator // several may share a route (an operator with two SMSCs)
	g   *realGateway
	e   *esme.ESME
}

// op returns the first operator of route name.
func (r *routeRig) op(name string) *operator {
	for _, op := range r.ops {
		if op.name == name {
			return op
		}
	}
	panic("no operator " + name)
}

// newRouteRig starts one SMSC per operator in ops ("name:bind1,bind2"
// gives the route's binds; "name" one bind named after it), an ESME with
// routes o (Binds are filled in) and a gateway routing by routes.
func newRouteRig(t *testing.T, o esme.Options, routes *smsgw.Routes, ops ...operator) *routeRig {
	t.Helper()
	r := &routeRig{}
	var all []*smpptest.Server
	for i := range ops {
		op := &ops[i]
		if op.srv == nil {
			op.srv = newSMSC(t, text.Options{})
		}
		if len(op.binds) == 0 {
			op.binds = []string{op.name}
		}
		for _, name := range op.binds {
			b := bindTo(op.srv, name)
			b.Route = op.name
			b.RegisteredDelivery = false
			b.Client.Rate = op.rate
			o.Binds = append(o.Binds, b)
		}
		r.ops = append(r.ops, op)
		all = append(all, op.srv)
	}
	sender := &lateSender{}
	db, gw := sqlitetest.Open(t, smsgwtest.WithPath(filepath.Join(t.TempDir(), "gw.db")), smsgwtest.WithSender(routedLate{sender}),
		smsgwtest.WithCodes(request, pinCode), smsgwtest.WithOptions(func(o *smsgw.Options) { o.Routes = routes }))
	r.g = &realGateway{gw: gw, db: db}
	r.e, _ = runESME(t, all[0], gw, o)
	for _, srv := range all[1:] {
		waitBinds(t, srv, o.Binds)
	}
	eventually(t, "every bind up", func() bool {
		return !slices.ContainsFunc(r.e.Status(), func(s esme.BindStatus) bool { return !s.Bound })
	})
	sender.e.Store(r.e)
	return r
}

// routedLate is lateSender as a RoutedSender.
type routedLate struct{ *lateSender }

func (s routedLate) HeldRoutes() []string {
	if e := s.e.Load(); e != nil {
		return e.HeldRoutes()
	}
	return nil
}

// waitBinds waits until srv has seen its binds among bs bound.
func waitBinds(t *testing.T, srv *smpptest.Server, bs []esme.BindOptions) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	for _, b := range bs {
		if b.Client.Addr != srv.Addr() {
			continue
		}
		if _, err := srv.WaitBound(ctx, b.Client.SystemID); err != nil {
			t.Fatalf("bind %s: %v", b.Name, err)
		}
	}
}

// mo sends text from msisdn over operator op's SMSC and sends the
// gateway's due MTs.
func (r *routeRig) mo(t *testing.T, op, msisdn, body string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	sts, err := r.op(op).srv.DeliverText(ctx, msisdn, request, body, &smpptest.TextOptions{SourceTON: 1, SourceNPI: 1})
	if err != nil || len(sts) != 1 || sts[0] != pdu.StatusOK {
		t.Fatalf("MO over %s: %v %v", op, sts, err)
	}
	r.send(t)
}

// send runs the gateway's inbox and outbox once.
func (r *routeRig) send(t *testing.T) int {
	t.Helper()
	if _, err := r.g.gw.ProcessInbox(t.Context()); err != nil {
		t.Fatal(err)
	}
	n, err := r.g.gw.SendDue(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// notice queues an MT that answers no MO (as an expiry notice or a
// partner's prompt is) to msisdn.
func (r *routeRig) notice(t *testing.T, msisdn string) {
	t.Helper()
	gw := r.g.gw
	rules := gw.Rules()
	if err := gw.Store().Update(t.Context(), func(tx smsgw.Tx) error {
		n, err := keywords.NormalizeMSISDN(msisdn)
		if err != nil {
			return err
		}
		return gw.EnqueueReply(tx, &rules, request, n, smsgw.ReplyNothingToCancel, smsgw.ReplyData{}, 0, 0)
	}); err != nil {
		t.Fatal(err)
	}
}

// received lists, per operator, the destinations its SMSC was given.
func (r *routeRig) received() map[string][]string {
	out := map[string][]string{}
	for _, op := range r.ops {
		for _, s := range op.srv.Submitted() {
			out[op.name] = append(out[op.name], s.Destination())
		}
	}
	return out
}

// outbox returns the queued MTs (route, attempts) by number.
func (r *routeRig) queued(t *testing.T) map[string]smsgw.Message {
	t.Helper()
	out := map[string]smsgw.Message{}
	for _, m := range r.g.messages(t, smsgw.DirOut) {
		if m.Status == smsgw.MsgQueued {
			out[string(m.MSISDN)] = m
		}
	}
	return out
}

func mustRoutes(t *testing.T, def string, rcs ...smsgw.RouteConfig) *smsgw.Routes {
	t.Helper()
	rt, err := smsgw.NewRoutes(def, rcs)
	if err != nil {
		t.Fatal(err)
	}
	return rt
}

var (
	tsel = smsgw.RouteConfig{Name: "tsel", Prefixes: []string{"0811", "0812", "0813"}}
	isat = smsgw.RouteConfig{Name: "isat", Prefixes: []string{"0814", "0815", "0816"}}
	xl   = smsgw.RouteConfig{Name: "xl", Prefixes: []string{"0817", "0818", "62819"}}
)

// Replies always leave through the operator the MO came in on, whatever
// the number's prefix says, with two and with three SMSCs.
func TestRepliesLeaveThroughTheMOsOperator(t *testing.T) {
	for _, n := range []int{2, 3} {
		t.Run(fmt.Sprintf("%d SMSCs", n), func(t *testing.T) {
			ops := []operator{{name: "tsel"}, {name: "isat"}, {name: "xl"}}[:n]
			rcs := []smsgw.RouteConfig{tsel, isat, xl}[:n]
			r := newRouteRig(t, esme.Options{DefaultRoute: "tsel"}, mustRoutes(t, "tsel", rcs...), ops...)
			// Each operator's own subscriber, then a ported tsel number
			// (0811...) that now comes in over every other operator.
			want := map[string][]string{}
			for i, op := range ops {
				own := "08" + []string{"11", "15", "17"}[i] + "0000001"
				r.mo(t, op.name, own, "SALDO")
				want[op.name] = append(want[op.name], own)
			}
			for _, op := range ops[1:] {
				r.mo(t, op.name, "08110000099", "SALDO")
				want[op.name] = append(want[op.name], "08110000099")
			}
			if got := r.received(); !mapsEqual(got, want) {
				t.Errorf("replies per operator = %v, want %v", got, want)
			}
			for _, m := range r.g.messages(t, smsgw.DirIn) {
				if m.Route == "" {
					t.Errorf("MO %d has no route", m.ID)
				}
			}
		})
	}
}

// MTs that answer no MO go by prefix (longest wins, the default for the
// rest), except that the operator a number was last seen on wins: a ported
// number.
func TestNoticesRouteByPrefixAndLastOperator(t *testing.T) {
	r := newRouteRig(t, esme.Options{DefaultRoute: "tsel"},
		mustRoutes(t, "tsel", tsel, isat, xl, smsgw.RouteConfig{Name: "isat2", Prefixes: []string{"081588"}}),
		operator{name: "tsel"}, operator{name: "isat"}, operator{name: "xl"}, operator{name: "isat2"})
	// 08150000009 is an isat number by prefix, ported to xl: it was last
	// seen there.
	r.mo(t, "xl", "08150000009", "SALDO")
	for _, op := range r.ops {
		op.srv.Reset()
	}
	for _, to := range []string{"08110000001", "08150000001", "08158800001", "08190000001", "08990000001", "08150000009"} {
		r.notice(t, to)
	}
	r.send(t)
	want := map[string][]string{
		"tsel":  {"628110000001", "628990000001"}, // by prefix; no prefix: the default
		"isat":  {"628150000001"},
		"isat2": {"628158800001"}, // the longest prefix
		"xl":    {"628190000001", "628150000009"},
	}
	if got := r.received(); !mapsEqual(got, want) {
		t.Errorf("notices per operator = %v, want %v", got, want)
	}
}

// While every bind of an operator is down its MTs wait in the outbox, no
// attempt counted, and the other operators' MTs flow; they leave once a
// bind is back. With a fallback route they go through it instead.
func TestOperatorDownMTsWait(t *testing.T) {
	routes := mustRoutes(t, "tsel", tsel, isat)
	t.Run("wait", func(t *testing.T) {
		r := newRouteRig(t, esme.Options{DefaultRoute: "tsel"}, routes, operator{name: "tsel"}, operator{name: "isat"})
		if err := r.e.Suspend("isat"); err != nil {
			t.Fatal(err)
		}
		if got := r.e.HeldRoutes(); !slices.Equal(got, []string{"isat"}) {
			t.Errorf("HeldRoutes() = %v, want [isat]", got)
		}
		r.notice(t, "08150000001")
		r.notice(t, "08110000001")
		r.notice(t, "08150000002")
		for range 3 {
			r.send(t)
		}
		if got, want := r.received(), map[string][]string{"tsel": {"628110000001"}}; !mapsEqual(got, want) {
			t.Errorf("sent while isat is down = %v, want %v", got, want)
		}
		q := r.queued(t)
		for _, n := range []string{"628150000001", "628150000002"} {
			if m, ok := q[n]; !ok || m.Attempts != 0 || m.Route != "isat" {
				t.Errorf("MT to %s while isat is down = %+v (queued %v); want queued for isat, no attempt", n, m, ok)
			}
		}
		if st := routeStatus(r.e, "isat"); !st.Held || st.Up != 0 {
			t.Errorf("isat route status = %+v, want held", st)
		}
		if err := r.e.Resume("isat"); err != nil {
			t.Fatal(err)
		}
		eventually(t, "isat back", func() bool { return len(r.e.HeldRoutes()) == 0 })
		r.send(t)
		if got := r.received()["isat"]; !mapsEqual(map[string][]string{"isat": got}, map[string][]string{"isat": {"628150000001", "628150000002"}}) {
			t.Errorf("isat after it came back got %v", got)
		}
	})
	t.Run("fallback", func(t *testing.T) {
		r := newRouteRig(t, esme.Options{DefaultRoute: "tsel", Routes: []esme.RouteOptions{{Name: "isat", Fallback: "tsel"}}},
			routes, operator{name: "tsel"}, operator{name: "isat"})
		if err := r.e.Suspend("isat"); err != nil {
			t.Fatal(err)
		}
		if got := r.e.HeldRoutes(); len(got) != 0 {
			t.Errorf("HeldRoutes() with a fallback = %v, want none", got)
		}
		r.notice(t, "08150000001")
		r.send(t)
		if got, want := r.received(), map[string][]string{"tsel": {"628150000001"}}; !mapsEqual(got, want) {
			t.Errorf("sent with isat down and its fallback tsel = %v, want %v", got, want)
		}
		// But tsel's own MTs never go through isat.
		if err := r.e.Resume("isat"); err != nil {
			t.Fatal(err)
		}
		if err := r.e.Suspend("tsel"); err != nil {
			t.Fatal(err)
		}
		eventually(t, "isat up", func() bool { return slices.Equal(r.e.HeldRoutes(), []string{"tsel", ""}) })
		r.notice(t, "08110000001")
		r.send(t)
		if n := len(r.op("isat").srv.Submitted()); n != 0 {
			t.Errorf("isat (no fallback for tsel) carried %d MTs", n)
		}
	})
}

func routeStatus(e *esme.ESME, name string) esme.RouteStatus {
	for _, st := range e.Routes() {
		if st.Name == name {
			return st
		}
	}
	return esme.RouteStatus{}
}

// A route spreads its MTs over its binds (here an operator with two SMSCs,
// one bind each, and a second bind to the first) and fails over to another
// bind of the route when one is suspended or its SMSC goes away; it never
// takes another route's bind.
func TestBindFailoverInsideRoute(t *testing.T) {
	for _, balance := range []esme.Balance{esme.BalanceRoundRobin, esme.BalanceLeastWindow} {
		t.Run(string(balance), func(t *testing.T) {
			r := newRouteRig(t, esme.Options{Balance: balance, DefaultRoute: "tsel"}, mustRoutes(t, "tsel", tsel, isat),
				operator{name: "tsel", binds: []string{"tsel-a1", "tsel-a2"}}, operator{name: "tsel", binds: []string{"tsel-b"}},
				operator{name: "isat"})
			a, b, other := r.ops[0].srv, r.ops[1].srv, r.ops[2].srv
			n := 0
			burst := func(k int) {
				t.Helper()
				for range k {
					n++
					r.notice(t, fmt.Sprintf("0811%07d", n))
				}
				if got := r.send(t); got != k {
					t.Fatalf("sent %d of %d", got, k)
				}
			}
			bySystem := func() map[string]int {
				m := map[string]int{}
				for _, srv := range []*smpptest.Server{a, b} {
					for _, s := range srv.Submitted() {
						m[s.SystemID]++
					}
				}
				return m
			}
			burst(30)
			got := bySystem()
			if got["tsel-a1"]+got["tsel-a2"]+got["tsel-b"] != 30 || len(other.Submitted()) != 0 {
				t.Fatalf("30 MTs spread as %v, isat %d", got, len(other.Submitted()))
			}
			if balance == esme.BalanceRoundRobin && (got["tsel-a1"] != 10 || got["tsel-a2"] != 10 || got["tsel-b"] != 10) {
				t.Errorf("round robin spread 30 MTs as %v, want 10 each", got)
			}
			if balance == esme.BalanceLeastWindow && (got["tsel-a1"] == 0 && got["tsel-a2"] == 0 || got["tsel-b"] == 0) {
				t.Logf("least window spread 30 MTs as %v", got) // sent one at a time, any bind may take them
			}
			// One bind suspended: the others carry everything.
			if err := r.e.Suspend("tsel-a1"); err != nil {
				t.Fatal(err)
			}
			before := bySystem()
			burst(10)
			after := bySystem()
			if after["tsel-a1"] != before["tsel-a1"] {
				t.Errorf("the suspended bind carried %d MTs", after["tsel-a1"]-before["tsel-a1"])
			}
			// The second SMSC gone: its bind is down, the first SMSC's
			// remaining bind carries everything.
			b.Close()
			eventually(t, "tsel-b down", func() bool {
				return slices.ContainsFunc(r.e.Status(), func(s esme.BindStatus) bool { return s.Name == "tsel-b" && !s.Bound })
			})
			before = bySystem()
			burst(10)
			after = bySystem()
			if d := after["tsel-a2"] - before["tsel-a2"]; d != 10 {
				t.Errorf("with tsel-a1 suspended and tsel-b down, tsel-a2 carried %d of 10", d)
			}
			if len(other.Submitted()) != 0 {
				t.Errorf("isat carried %d tsel MTs", len(other.Submitted()))
			}
		})
	}
}

func mapsEqual(a, b map[string][]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		w := slices.Clone(b[k])
		v = slices.Clone(v)
		sort.Strings(v)
		sort.Strings(w)
		if !slices.Equal(v, w) {
			return false
		}
	}
	return true
}

// submitTimes returns the times srv accepted submissions on the binds
// named (all when none), sorted.
func submitTimes(srv *smpptest.Server, systemIDs ...string) []time.Time {
	var ts []time.Time
	for _, s := range srv.Submitted() {
		if len(systemIDs) == 0 || slices.Contains(systemIDs, s.SystemID) {
			ts = append(ts, s.Time)
		}
	}
	slices.SortFunc(ts, func(a, b time.Time) int { return a.Compare(b) })
	return ts
}

// checkRate fails when more than limit submissions of ts fall within any
// second (the limiters allow one at once, then one per 1/limit s), and
// returns the rate measured over ts.
func checkRate(t *testing.T, what string, ts []time.Time, limit int) float64 {
	t.Helper()
	// Times are taken as the SMSC accepts: allow for jitter between the
	// limiter's release and that (the race detector slows the path, and on
	// a loaded machine submissions delayed in flight arrive bunched; 60 ms
	// failed once in a parallel run). A limiter that does not hold is still
	// caught: without one, the 41 submissions arrive within milliseconds,
	// and at twice the limit a window of limit+1 spans half a second.
	const jitter = 250 * time.Millisecond
	for i := 0; i+limit < len(ts); i++ {
		if d := ts[i+limit].Sub(ts[i]); d < time.Second-jitter {
			t.Errorf("%s: %d submissions within %v (limit %d/s)", what, limit+1, d, limit)
			break
		}
	}
	if len(ts) < 2 {
		return 0
	}
	span := ts[len(ts)-1].Sub(ts[0])
	if minSpan := time.Duration(len(ts)-1) * time.Second / time.Duration(limit); span < minSpan-jitter {
		t.Errorf("%s: %d submissions in %v, want at least %v at %d/s", what, len(ts), span, minSpan, limit)
	}
	rate := float64(len(ts)-1) / span.Seconds()
	t.Logf("%s: %d submissions at %.2f/s (limit %d/s)", what, len(ts), rate, limit)
	return rate
}

// Per-route and per-bind throughput limits hold exactly, measured at the
// SMSC: a route's limit over all its binds together, each bind's over its
// own submissions.
func TestThroughputLimits(t *testing.T) {
	const n = 41
	burst := func(t *testing.T, r *routeRig) {
		for i := range n {
			r.notice(t, fmt.Sprintf("0811%07d", i))
		}
		if got := r.send(t); got != n {
			t.Fatalf("sent %d of %d", got, n)
		}
	}
	t.Run("route", func(t *testing.T) {
		r := newRouteRig(t, esme.Options{Routes: []esme.RouteOptions{{Name: "tsel", Throughput: 20}}}, mustRoutes(t, "tsel", tsel),
			operator{name: "tsel", binds: []string{"tsel-a", "tsel-b"}})
		burst(t, r)
		srv := r.ops[0].srv
		checkRate(t, "route tsel", submitTimes(srv), 20)
		if a, b := len(submitTimes(srv, "tsel-a")), len(submitTimes(srv, "tsel-b")); a == 0 || b == 0 {
			t.Errorf("the route's binds carried %d and %d: want both used", a, b)
		}
	})
	// Two binds of 10/s each: each bind's limit holds, and the route
	// runs at their sum or at its own limit when that is lower.
	for _, tc := range []struct {
		name  string
		route float64 // the route's limit (0: none)
		want  int     // the route's rate
	}{
		{"bind", 0, 20},
		{"route under its binds", 15, 15},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRouteRig(t, esme.Options{Routes: []esme.RouteOptions{{Name: "tsel", Throughput: tc.route}}}, mustRoutes(t, "tsel", tsel),
				operator{name: "tsel", binds: []string{"tsel-a", "tsel-b"}, rate: 10})
			burst(t, r)
			srv := r.ops[0].srv
			for _, b := range []string{"tsel-a", "tsel-b"} {
				checkRate(t, "bind "+b, submitTimes(srv, b), 10)
			}
			checkRate(t, fmt.Sprintf("route tsel (limit %v) over two binds of 10/s", tc.route), submitTimes(srv), tc.want)
		})
	}
}

// A delivery receipt finds its MT whichever bind of the route it comes
// back on, and only under its own route: two SMSCs give the same message
// ids.
func TestReceiptsAcrossBinds(t *testing.T) {
	r := newRouteRig(t, esme.Options{DefaultRoute: "tsel"}, mustRoutes(t, "tsel", tsel, isat),
		operator{name: "tsel", binds: []string{"tsel-a", "tsel-b"}}, operator{name: "isat"})
	r.notice(t, "08110000001")
	r.send(t)
	r.notice(t, "08150000001")
	r.send(t)
	tselSrv, isatSrv := r.op("tsel").srv, r.op("isat").srv
	ts, is := tselSrv.Submitted(), isatSrv.Submitted()
	if len(ts) != 1 || len(is) != 1 {
		t.Fatalf("submissions: tsel %d, isat %d", len(ts), len(is))
	}
	if ts[0].MessageID != is[0].MessageID {
		t.Fatalf("the SMSCs gave ids %s and %s; the test wants them equal", ts[0].MessageID, is[0].MessageID)
	}
	status := func(msisdn string) string {
		for _, m := range r.g.messages(t, smsgw.DirOut) {
			if string(m.MSISDN) == msisdn {
				return m.Status
			}
		}
		return ""
	}
	receipt := func(srv *smpptest.Server, sub smpptest.Submission, state smpptest.MessageState, over string) {
		t.Helper()
		d, err := srv.Receipt(sub, state, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
		defer cancel()
		if st, err := srv.DeliverTo(ctx, over, d); err != nil || st != pdu.StatusOK {
			t.Fatalf("receipt over %s: %v %v", over, st, err)
		}
	}
	// isat's receipt, same id as tsel's MT: only isat's MT is touched.
	receipt(isatSrv, is[0], smpptest.StateUndeliverable, "isat")
	eventually(t, "isat MT undelivered", func() bool { return status("628150000001") == smsgw.MsgUndeliv })
	if got := status("628110000001"); got != smsgw.MsgSent {
		t.Errorf("tsel's MT after isat's receipt with its id = %q, want sent", got)
	}
	// tsel's receipt over the bind that did not send it.
	other := "tsel-a"
	if ts[0].SystemID == "tsel-a" {
		other = "tsel-b"
	}
	receipt(tselSrv, ts[0], smpptest.StateDelivered, other)
	eventually(t, "tsel MT delivered", func() bool { return status("628110000001") == smsgw.MsgDelivered })
}
