package smsgw

import (
	"errors"
	"fmt"

	"github.com/smsgw/smsgw/domain"
	"github.com/smsgw/smsgw/keywords"
)

// A route is a way out to subscribers: in practice one operator, whose
// SMSC (one or more binds) reaches its own subscribers. Every MT records
// the route it leaves through (Message.Route) when it is queued:
//
//   - a reply leaves through the route its MO came in on (MO.Route);
//   - any other MT (an expiry notice, an outside request's PIN prompt, a correction
//     notice), and a reply to an MO that came over no known route, leaves
//     through the route the subscriber was last seen on (the newest MO
//     from the number with a known route: numbers are ported between
//     operators), else the route of the longest prefix of the number in
//     the prefix table, else the default route.
//
// The Sender carries each MT through its route. While a route cannot carry
// anything (RoutedSender.HeldRoutes), its MTs wait in the outbox, without
// an attempt counted, and the other routes' MTs flow.

// ErrRouteDown is returned (wrapped) by a Sender when the MT's route cannot
// carry it now: the outbox leaves the MT queued, counts no attempt, and
// tries it again once the route is up.
var ErrRouteDown = errors.New("route is down")

// RoutedSender is a Sender that carries each MT through its Route.
type RoutedSender interface {
	Sender
	// HeldRoutes lists the routes whose MTs cannot leave now; the
	// outbox does not read their MTs meanwhile. The route "" stands for
	// MTs without a route (they take the default route).
	HeldRoutes() []string
}

// RouteConfig is one route and the number prefixes it serves.
type RouteConfig struct {
	Name string
	// Prefixes in national (0811), international (62811) or
	// plus-international (+62811) form; a whole number is a prefix too.
	Prefixes []string
}

// Routes is the routing table of MTs that answer no MO. The zero value and
// nil route nothing: MTs keep the route of their MO, or none.
type Routes struct {
	def      string
	known    map[string]bool
	prefixes map[string]string // canonical prefix → route
	longest  int
}

// NewRoutes builds the table: def is the route of numbers no prefix
// matches and must be one of routes. A prefix given twice, even in another
// form, is an error.
func NewRoutes(def string, routes []RouteConfig) (*Routes, error) {
	r := &Routes{def: def, known: map[string]bool{}, prefixes: map[string]string{}}
	for _, rc := range routes {
		if rc.Name == "" {
			return nil, errors.New("smsgw: a route needs a name")
		}
		if r.known[rc.Name] {
			return nil, fmt.Errorf("smsgw: route %q given twice", rc.Name)
		}
		r.known[rc.Name] = true
		for _, p := range rc.Prefixes {
			c, err := keywords.CanonicalPrefix(p)
			if err != nil {
				return nil, fmt.Errorf("smsgw: route %q: %w", rc.Name, err)
			}
			if other, dup := r.prefixes[c]; dup {
				return nil, fmt.Errorf("smsgw: route %q: prefix %s is route %q's already", rc.Name, p, other)
			}
			r.prefixes[c] = rc.Name
			r.longest = max(r.longest, len(c))
		}
	}
	if !r.known[def] {
		return nil, fmt.Errorf("smsgw: default route %q is not one of the routes", def)
	}
	return r, nil
}

// Default returns the default route ("" for nil Routes).
func (r *Routes) Default() string {
	if r == nil {
		return ""
	}
	return r.def
}

// Known reports whether route is one of the table's.
func (r *Routes) Known(route string) bool { return r != nil && r.known[route] }

// ByPrefix returns the route of the longest prefix of n, or the default
// route.
func (r *Routes) ByPrefix(n domain.MSISDN) string {
	if r == nil {
		return ""
	}
	s := string(n)
	for l := min(len(s), r.longest); l > 0; l-- {
		if route, ok := r.prefixes[s[:l]]; ok {
			return route
		}
	}
	return r.def
}

// routeOf returns the route of an MT to the number to, queued in tx: route
// (its MO's) when the table knows it, else the route the number was last
// seen on, else its prefix's.
func (g *Gateway) routeOf(tx Tx, to domain.MSISDN, route string) (string, error) {
	rt := g.routes
	if rt == nil || rt.Known(route) {
		return route, nil
	}
	last, err := tx.LastRoute(to)
	if err != nil {
		return "", err
	}
	if rt.Known(last) {
		return last, nil
	}
	return rt.ByPrefix(to), nil
}
