package esme

import (
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"

	"github.com/smsgw/smsgw/smsgw"
)

// DefaultRoute is the route of binds that name none.
const DefaultRoute = "default"

// RouteOptions configure one route: an operator (or an aggregator), served
// by the binds whose BindOptions.Route names it.
type RouteOptions struct {
	Name string
	// Throughput is the submit_sm per second allowed over all the route's
	// binds together (each part of a long MT counts); 0 is unlimited.
	// Each bind's own limit (smpp.ClientOptions.Rate) applies too.
	Throughput float64
	// Fallback names the route whose binds carry this route's MTs while
	// none of its own can (for an operator that accepts off-net traffic);
	// "" keeps them waiting in the outbox.
	Fallback string
}

// Balance is how a route spreads its MTs over its binds.
type Balance string

// Balances.
const (
	// BalanceRoundRobin takes the route's binds in turn.
	BalanceRoundRobin Balance = "round_robin"
	// BalanceLeastWindow takes the bind with the fewest submits waiting
	// for their response (ties in turn).
	BalanceLeastWindow Balance = "least_window"
)

// route is one route's binds and limits.
type route struct {
	name     string
	binds    []*bind
	limiter  *rate.Limiter // nil: unlimited
	fallback *route
	next     atomic.Uint32 // the bind to start the next pick at
}

// routeName is the route of a bind that names route.
func routeName(route string) string {
	if route == "" {
		return DefaultRoute
	}
	return route
}

// routeLimiters makes the limiter of each route with a throughput: the
// binds of the route share it (smpp.ClientOptions.SharedLimiter), taken
// after each bind's own, so that both limits hold.
func routeLimiters(routes []RouteOptions) (map[string]*rate.Limiter, error) {
	m := map[string]*rate.Limiter{}
	for _, ro := range routes {
		if ro.Throughput < 0 {
			return nil, fmt.Errorf("esme: route %q: negative throughput", ro.Name)
		}
		if ro.Throughput > 0 {
			m[ro.Name] = rate.NewLimiter(rate.Limit(ro.Throughput), 1)
		}
	}
	return m, nil
}

// buildRoutes groups the binds by route.
func (e *ESME) buildRoutes(o Options, limiters map[string]*rate.Limiter) error {
	e.routes = map[string]*route{}
	for _, b := range e.binds {
		name := routeName(b.Route)
		r := e.routes[name]
		if r == nil {
			r = &route{name: name, limiter: limiters[name]}
			e.routes[name] = r
			e.order = append(e.order, name)
		}
		r.binds = append(r.binds, b)
		b.route = r
	}
	for _, ro := range o.Routes {
		r := e.routes[ro.Name]
		if r == nil {
			return fmt.Errorf("esme: route %q has no bind", ro.Name)
		}
		if ro.Fallback != "" {
			if r.fallback = e.routes[ro.Fallback]; r.fallback == nil || r.fallback == r {
				return fmt.Errorf("esme: route %q: fallback %q is no other route with binds", ro.Name, ro.Fallback)
			}
		}
	}
	e.def = o.DefaultRoute
	if e.def == "" && len(e.routes) == 1 {
		e.def = e.order[0]
	}
	if e.routes[e.def] == nil {
		return fmt.Errorf("esme: default route %q has no bind", e.def)
	}
	switch o.Balance {
	case "", BalanceRoundRobin:
		e.balance = BalanceRoundRobin
	case BalanceLeastWindow:
		e.balance = o.Balance
	default:
		return fmt.Errorf("esme: unknown balance %q", o.Balance)
	}
	return nil
}

// routeOf returns the route an MT routed name leaves through: the default
// route for "" and for a route no bind serves.
func (e *ESME) routeOf(name string) *route {
	if r := e.routes[name]; r != nil {
		return r
	}
	return e.routes[e.def]
}

// up reports whether one of r's binds is bound and not suspended.
func (r *route) up() bool {
	for _, b := range r.binds {
		if b.usable() {
			return true
		}
	}
	return false
}

func (b *bind) usable() bool { return b.client.Bound() && !b.client.Suspended() }

// pick returns the bind of r (or, when none of r's can carry it, of its
// fallback) to send the next MT through, leaving out skip; nil when none
// can. A bind that is not throttled is preferred; among those, the next in
// turn (round robin) or the one with the fewest submits in flight (least
// window).
func (e *ESME) pick(r *route, skip ...*bind) *bind {
	for _, r := range []*route{r, r.fallback} {
		if r == nil {
			continue
		}
		var (
			best      *bind
			bestScore int
		)
		n := len(r.binds)
		start := int(r.next.Add(1)-1) % n
		for i := range n {
			b := r.binds[(start+i)%n]
			if !b.usable() || slices.Contains(skip, b) {
				continue
			}
			score := 0
			if b.client.Throttled() {
				score = 1 << 30
			}
			if e.balance == BalanceLeastWindow {
				score += b.client.Pending()
			}
			if best == nil || score < bestScore {
				best, bestScore = b, score
			}
		}
		if best != nil {
			return best
		}
	}
	return nil
}

// HeldRoutes implements smsgw.RoutedSender: the routes none of whose binds
// (nor its fallback's) is up; "" too when that is the default route.
func (e *ESME) HeldRoutes() []string {
	var held []string
	for _, name := range e.order {
		r := e.routes[name]
		if r.up() || (r.fallback != nil && r.fallback.up()) {
			continue
		}
		held = append(held, name)
		if name == e.def {
			held = append(held, "")
		}
	}
	return held
}

var _ smsgw.RoutedSender = (*ESME)(nil)

// routeDownError is returned by Send when the MT's route cannot carry it.
type routeDownError struct{ route string }

func (e routeDownError) Error() string   { return fmt.Sprintf("route %q: no bind is up", e.route) }
func (e routeDownError) Unwrap() error   { return smsgw.ErrRouteDown }
func (e routeDownError) Temporary() bool { return true }

// qualify makes an SMSC message id unique across routes: message ids are
// unique per SMSC only, so with several routes an id is stored as
// "<route>:<id>", and a receipt is looked up under the route of the bind
// it came on. With one route ids are stored as the SMSC gives them.
func (e *ESME) qualify(r *route, id string) string {
	if len(e.routes) < 2 || id == "" {
		return id
	}
	return r.name + ":" + id
}

// RouteStatus is the state of one route for the console and metrics.
type RouteStatus struct {
	Name     string
	Binds    int // configured
	Up       int // bound and not suspended
	Default  bool
	Fallback string
	// Held is true when its MTs wait in the outbox: no bind of it, nor
	// of its fallback, is up.
	Held bool
	// Throughput is the route's limit in submit_sm per second (0: none).
	Throughput float64
	// MOPerMinute and MTPerMinute count the MOs received over its binds
	// and the MTs sent through them in the last minute.
	MOPerMinute, MTPerMinute int
}

// Routes lists the routes in the order their first binds are configured.
func (e *ESME) Routes() []RouteStatus {
	now := time.Now()
	out := make([]RouteStatus, 0, len(e.order))
	for _, name := range e.order {
		r := e.routes[name]
		st := RouteStatus{Name: name, Binds: len(r.binds), Default: name == e.def}
		if r.fallback != nil {
			st.Fallback = r.fallback.name
		}
		if r.limiter != nil {
			st.Throughput = float64(r.limiter.Limit())
		}
		for _, b := range r.binds {
			if b.usable() {
				st.Up++
			}
			st.MOPerMinute += b.mo.count(now)
			st.MTPerMinute += b.mt.count(now)
		}
		st.Held = st.Up == 0 && (r.fallback == nil || !r.fallback.up())
		out = append(out, st)
	}
	return out
}

// TrafficObserver counts the messages of each route and bind;
// metrics.Metrics implements it.
type TrafficObserver interface {
	// Traffic is called for every MO received (direction "mo") and every
	// MT sent (direction "mt") over bind of route.
	Traffic(route, bind, direction string)
}

// minuteCounter counts events over the last minute, in one-second slots.
type minuteCounter struct {
	mu    sync.Mutex
	slots [60]struct {
		sec int64
		n   int
	}
}

func (c *minuteCounter) add(now time.Time) {
	s := now.Unix()
	c.mu.Lock()
	slot := &c.slots[s%60]
	if slot.sec != s {
		slot.sec, slot.n = s, 0
	}
	slot.n++
	c.mu.Unlock()
}

// count returns the events of the 60 seconds up to now.
func (c *minuteCounter) count(now time.Time) int {
	s := now.Unix()
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, slot := range c.slots {
		if slot.sec > s-60 && slot.sec <= s {
			n += slot.n
		}
	}
	return n
}
