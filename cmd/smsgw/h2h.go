package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"time"

	"github.com/smsgw/smsgw/h2h"
	"github.com/smsgw/smsgw/partner"
)

// h2hRuntime is the partner API of a running daemon.
type h2hRuntime struct {
	svc    *partner.Service
	srv    *h2h.Server // nil when no partner can authenticate
	own    *http.Server
	ownL   net.Listener
	served bool
}

// partners builds (once) the partner service, the notifier and the
// server. It returns nil when [h2h] is disabled.
func (a *App) partners() (*h2hRuntime, error) {
	cfg := &a.Config.H2H
	if !cfg.Enabled {
		return nil, nil
	}
	if a.h2h != nil {
		return a.h2h, nil
	}
	log := a.Logger.With("component", "h2h")
	var auths []h2h.Partner
	opts := cfg.partnerOptions(a.Logger)
	opts.Partners = opts.Partners[:0]
	for i, p := range cfg.Partners {
		k := fmt.Sprintf("h2h.partner[%d]", i)
		if p.SimulatorOnly && !a.Config.Simulator.Enabled {
			return nil, keyErr(k+".simulator_only", "partner %q is only allowed with simulator.enabled = true", p.ID)
		}
		auth, ok, err := p.auth(k)
		if err != nil {
			return nil, err
		}
		if !ok {
			// A demo partner of the simulator: nothing is wrong, it is off.
			log.Info("simulator partner disabled: its secret is not in the environment", "partner", p.ID, "env", p.SecretEnv)
			continue
		}
		auths = append(auths, auth)
		opts.Partners = append(opts.Partners, p.domain())
	}
	loc := cfg.cutoff.Location
	var observeRequest func(endpoint, partner, rc string, status int, d time.Duration)
	var observeCallback func(partner string, delivered bool, d time.Duration)
	if a.mets != nil {
		observeRequest, observeCallback = a.mets.H2HRequest, a.mets.H2HCallback
	}
	ntf, err := h2h.NewNotifier(h2h.NotifierOptions{Partners: auths, Timeout: cfg.CallbackTimeout.Duration, Location: loc, Now: a.Now,
		Observe: observeCallback})
	if err != nil {
		return nil, err
	}
	opts.Notifier = ntf
	svc, err := partner.New(a.gw, opts)
	if err != nil {
		return nil, fmt.Errorf("h2h: %w", err)
	}
	ntf.UseService(svc)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := svc.Init(ctx); err != nil {
		return nil, fmt.Errorf("h2h: %w", err)
	}
	srv, err := h2h.New(h2h.Options{Partners: auths, Service: svc, MaxBody: cfg.MaxBody, MaxSkew: cfg.MaxSkew.Duration,
		Location: loc, Now: a.Now, Logger: a.Logger, Observe: observeRequest})
	if err != nil {
		return nil, err
	}
	a.h2h = &h2hRuntime{svc: svc, srv: srv}
	return a.h2h, nil
}

// mountH2H adds the partner API under /h2h to mux, or starts its own
// listener when h2h.listen is set (mux may then be nil).
func (a *App) mountH2H(mux *http.ServeMux) error {
	rt, err := a.partners()
	if err != nil || rt == nil {
		return err
	}
	rt.served = true
	cfg := &a.Config.H2H
	if cfg.Listen == "" {
		mux.Handle("/h2h/", rt.srv)
		return nil
	}
	l, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return fmt.Errorf("h2h.listen: %w", err)
	}
	rt.ownL = l
	rt.own = &http.Server{
		Handler:           rt.srv,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       15 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    16 << 10,
		TLSConfig:         &tls.Config{MinVersion: tls.VersionTLS12},
	}
	tlsOn := cfg.TLSCertFile != ""
	if !tlsOn && !isLoopback(l.Addr()) {
		a.Logger.Warn("h2h API listens without TLS on a non-loopback address; terminate TLS in front of it", "addr", l.Addr().String())
	}
	go func() {
		var err error
		if tlsOn {
			err = rt.own.ServeTLS(l, a.Config.resolve(cfg.TLSCertFile), a.Config.resolve(cfg.TLSKeyFile))
		} else {
			err = rt.own.Serve(l)
		}
		if err != nil && !errors.Is(err, http.ErrServerClosed) {
			a.Logger.Error("h2h server stopped", "err", err)
		}
	}()
	a.Logger.Info("h2h API listening", "addr", l.Addr().String(), "tls", tlsOn)
	return nil
}

func isLoopback(addr net.Addr) bool {
	ap, err := netip.ParseAddrPort(addr.String())
	return err == nil && ap.Addr().IsLoopback()
}

// stopH2H stops the API's own listener, if any, waiting for requests in
// flight until ctx ends.
func (a *App) stopH2H(ctx context.Context) {
	if a.h2h != nil && a.h2h.own != nil {
		_ = a.h2h.own.Shutdown(ctx)
	}
}

// h2hJobs returns the partner API's periodic jobs: callbacks, the recheck
// of pending requests, the purge of old nonces and, with
// h2h.reconcile_dir, the daily reconciliation.
func (a *App) h2hJobs() []cronJob {
	rt, err := a.partners()
	if err != nil {
		a.Logger.Error("h2h disabled", "err", err)
		return nil
	}
	if rt == nil {
		return nil
	}
	if !rt.served {
		a.Logger.Warn("h2h is enabled but not served: set [http] listen or [h2h] listen; callbacks and rechecks still run")
	}
	cfg := &a.Config.H2H
	jobs := []cronJob{
		{"h2h.callbacks", cfg.Callbacks, func(ctx context.Context) error {
			_, err := rt.svc.SendCallbacks(ctx)
			return err
		}},
		{"h2h.recheck", cfg.Recheck, func(ctx context.Context) error {
			_, err := rt.svc.Recheck(ctx, a.Now())
			return err
		}},
		{"h2h.purge_nonces", cfg.PurgeNonces, func(ctx context.Context) error {
			_, err := rt.svc.PurgeNonces(ctx, a.Now(), 2*cfg.MaxSkew.Duration)
			return err
		}},
	}
	if cfg.ReconcileDir != "" {
		jobs = append(jobs, cronJob{"h2h.reconcile", cfg.Reconcile, a.reconcileJob})
	}
	return jobs
}
