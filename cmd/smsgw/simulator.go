package main

import (
	"fmt"
	"net"

	"github.com/smsgw/smsgw/sim"
	"github.com/smsgw/smsgw/smpp/smsc"
)

// startSimulator starts the simulator's SMSCs: one on simulator.listen,
// or one per [[simulator.operator]] on its own address. The servers it
// started are in a.smscs, also when it fails.
func (a *App) startSimulator() error {
	cfg := &a.Config
	pw := cfg.Simulator.Password
	if cfg.Simulator.PasswordEnv != "" {
		pw = getenv(cfg.Simulator.PasswordEnv)
	}
	sims := cfg.Simulator.Operators
	keys := []string{"simulator.listen"}
	if len(sims) == 0 {
		sims = []SimOperatorConfig{{Listen: cfg.Simulator.Listen}}
	} else {
		keys = keys[:0]
		for i := range sims {
			keys = append(keys, fmt.Sprintf("simulator.operator[%d].listen", i))
		}
	}
	var ops []sim.Operator
	for i, o := range sims {
		l, err := net.Listen("tcp", o.Listen)
		if err != nil {
			return fmt.Errorf("%s: %w", keys[i], err)
		}
		srv := &smsc.Server{Listener: l, SystemID: "SMSCSIM"}
		if pw != "" {
			srv.Credentials = map[string]string{cfg.Simulator.SystemID: pw}
		}
		srv.Logger = a.Logger
		if o.Name != "" {
			srv.Logger = a.Logger.With("operator", o.Name)
		}
		srv.ReceiptDelay = cfg.Simulator.DLRDelay.Duration
		a.smscs = append(a.smscs, srv)
		ops = append(ops, sim.Operator{Name: o.Name, Server: srv, Prefixes: cfg.simPrefixes(o)})
	}
	s, err := sim.NewOperators(ops, sim.Options{Redact: a.redactMO, USSDTimeout: cfg.Simulator.USSDTimeout.Duration})
	if err != nil {
		return keyErr("simulator.operator", "%v", err)
	}
	a.sim = s
	for i, srv := range a.smscs {
		srv.Start()
		a.Logger.Info("SMSC simulator listening", "addr", srv.Addr(), "operator", ops[i].Name)
	}
	return nil
}
