package main

import (
	"fmt"
	"net"
	"regexp"

	"github.com/smsgw/smsgw/esme"
	"github.com/smsgw/smsgw/keywords"
	"github.com/smsgw/smsgw/smsgw"
)

// RoutingConfig is [routing]: how MTs pick the operator (the binds) they
// leave through. Binds name their operator (bind.operator); a reply
// leaves through the operator its MO came in on, any other MT through the
// operator the subscriber was last seen on, else by prefix, else the
// default.
type RoutingConfig struct {
	// Default is the operator of numbers no prefix matches (required
	// when the binds name several operators).
	Default string `toml:"default"`
	// Balance is round_robin or least_window: how an operator's MTs are
	// spread over its binds.
	Balance   string           `toml:"balance"`
	Operators []OperatorConfig `toml:"operator"`
}

// OperatorConfig is one [[routing.operator]]: the prefixes of its
// subscribers, its throughput over all its binds and its fallback.
type OperatorConfig struct {
	Name       string   `toml:"name"`
	Prefixes   []string `toml:"prefixes"`
	Throughput float64  `toml:"throughput"`
	Fallback   string   `toml:"fallback"`
}

// SimOperatorConfig is one [[simulator.operator]]: an SMSC of the
// simulator on its own port, serving the numbers of its prefixes.
type SimOperatorConfig struct {
	Name   string `toml:"name"`
	Listen string `toml:"listen"`
	// Prefixes of the subscribers it plays (longest wins; a whole number
	// is a prefix too, for a ported one); empty takes those of the
	// [[routing.operator]] of the same name.
	Prefixes []string `toml:"prefixes"`
}

var operatorName = regexp.MustCompile(`^[a-z0-9][a-z0-9_.-]{0,31}$`)

// operators lists the operators the binds name, in the order of their
// first binds ("" is esme.DefaultRoute).
func (c *Config) operators() []string {
	var out []string
	seen := map[string]bool{}
	for _, b := range c.Binds {
		op := b.Operator
		if op == "" {
			op = esme.DefaultRoute
		}
		if !seen[op] {
			seen[op] = true
			out = append(out, op)
		}
	}
	return out
}

// defaultOperator is routing.default, or the one operator of the binds.
func (c *Config) defaultOperator() string {
	if c.Routing.Default != "" {
		return c.Routing.Default
	}
	if ops := c.operators(); len(ops) == 1 {
		return ops[0]
	}
	return ""
}

// validateRouting checks bind.operator, [routing] and
// [[simulator.operator]]; each error names its key.
func (c *Config) validateRouting() error {
	for i, b := range c.Binds {
		if b.Operator != "" && !operatorName.MatchString(b.Operator) {
			return keyErr(fmt.Sprintf("bind[%d].operator", i), "want lower-case letters, digits, _ . - (at most 32), got %q", b.Operator)
		}
	}
	ops := c.operators()
	known := map[string]bool{}
	for _, op := range ops {
		known[op] = true
	}
	named := map[string]bool{}
	for i, o := range c.Routing.Operators {
		k := fmt.Sprintf("routing.operator[%d]", i)
		if o.Name == "" {
			return keyErr(k+".name", "required")
		}
		if !known[o.Name] {
			return keyErr(k+".name", "no [[bind]] has operator %q", o.Name)
		}
		if named[o.Name] {
			return keyErr(k+".name", "duplicate operator %q", o.Name)
		}
		named[o.Name] = true
		if o.Throughput < 0 {
			return keyErr(k+".throughput", "must be >= 0 (0 = unlimited)")
		}
		if o.Fallback != "" && (!known[o.Fallback] || o.Fallback == o.Name) {
			return keyErr(k+".fallback", "must name another operator of the binds, got %q", o.Fallback)
		}
		for j, p := range o.Prefixes {
			if _, err := keywords.CanonicalPrefix(p); err != nil {
				return keyErr(fmt.Sprintf("%s.prefixes[%d]", k, j), "%v", err)
			}
		}
	}
	switch def := c.defaultOperator(); {
	case def == "":
		return keyErr("routing.default", "required: the binds name several operators (%v)", ops)
	case !known[def]:
		return keyErr("routing.default", "no [[bind]] has operator %q", def)
	}
	if _, err := c.routes(); err != nil {
		return keyErr("routing.operator", "%v", err)
	}
	switch c.Routing.Balance {
	case "", string(esme.BalanceRoundRobin), string(esme.BalanceLeastWindow):
	default:
		return keyErr("routing.balance", "must be round_robin or least_window, got %q", c.Routing.Balance)
	}
	listens := map[string]bool{}
	for i, o := range c.Simulator.Operators {
		k := fmt.Sprintf("simulator.operator[%d]", i)
		if o.Name == "" {
			return keyErr(k+".name", "required")
		}
		if _, _, err := net.SplitHostPort(o.Listen); err != nil {
			return keyErr(k+".listen", "%v", err)
		}
		if listens[o.Listen] {
			return keyErr(k+".listen", "%s is another simulated operator's", o.Listen)
		}
		listens[o.Listen] = true
		for j, p := range o.Prefixes {
			if _, err := keywords.CanonicalPrefix(p); err != nil {
				return keyErr(fmt.Sprintf("%s.prefixes[%d]", k, j), "%v", err)
			}
		}
	}
	return nil
}

// routes is the gateway's routing table: every operator of the binds with
// its prefixes.
func (c *Config) routes() (*smsgw.Routes, error) {
	prefixes := map[string][]string{}
	for _, o := range c.Routing.Operators {
		prefixes[o.Name] = o.Prefixes
	}
	var rcs []smsgw.RouteConfig
	for _, op := range c.operators() {
		rcs = append(rcs, smsgw.RouteConfig{Name: op, Prefixes: prefixes[op]})
	}
	return smsgw.NewRoutes(c.defaultOperator(), rcs)
}

// routeOptions are the ESME's routes: throughput and fallback per operator.
func (c *Config) routeOptions() []esme.RouteOptions {
	var out []esme.RouteOptions
	for _, o := range c.Routing.Operators {
		out = append(out, esme.RouteOptions{Name: o.Name, Throughput: o.Throughput, Fallback: o.Fallback})
	}
	return out
}

// simPrefixes returns the prefixes simulated operator o plays.
func (c *Config) simPrefixes(o SimOperatorConfig) []string {
	if len(o.Prefixes) > 0 {
		return o.Prefixes
	}
	for _, r := range c.Routing.Operators {
		if r.Name == o.Name {
			return r.Prefixes
		}
	}
	return nil
}
