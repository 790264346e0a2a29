package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/smsgw/smsgw/console"
)

func getenv(k string) string { return os.Getenv(k) }

// startHTTP serves the ops endpoints and, with the simulator, its endpoints.
func (a *App) startHTTP() error {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		binds := a.esme.Status()
		up := false
		for _, b := range binds {
			up = up || b.Bound
		}
		status := http.StatusOK
		if !up {
			status = http.StatusServiceUnavailable
		}
		writeJSON(w, status, map[string]any{"ready": up, "binds": binds})
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(a.reg, promhttp.HandlerOpts{Registry: a.reg}))
	if a.Config.HTTP.Pprof {
		mountPprof(mux)
	}
	if a.sim != nil {
		if err := a.mountSimulator(mux); err != nil {
			return err
		}
	}
	if err := a.mountConsole(mux); err != nil {
		return err
	}
	if err := a.mountH2H(mux); err != nil {
		return err
	}
	if err := a.mountUSSD(mux); err != nil {
		return err
	}
	l, err := net.Listen("tcp", a.Config.HTTP.Listen)
	if err != nil {
		return fmt.Errorf("http.listen: %w", err)
	}
	a.httpL = l
	a.http = &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       15 * time.Second,
		WriteTimeout:      45 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    16 << 10,
	}
	a.http.RegisterOnShutdown(a.closeSimulatorStreams)
	go func() {
		if err := a.http.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
			a.Logger.Error("HTTP server stopped", "err", err)
		}
	}()
	return nil
}

// mountConsole adds the operator console under /console/ to mux when it
// is enabled.
func (a *App) mountConsole(mux *http.ServeMux) error {
	cfg := &a.Config.Console
	if !cfg.Enabled {
		return nil
	}
	users, err := cfg.consoleUsers()
	if err != nil {
		return err
	}
	loc, err := a.Config.location()
	if err != nil {
		return err
	}
	var locks []time.Duration
	for _, d := range cfg.LockDurations {
		locks = append(locks, d.Duration)
	}
	// The partner pages act through the partner service when [h2h] is on.
	var partners console.PartnerAdmin
	rt, err := a.partners()
	if err != nil {
		return err
	}
	if rt != nil {
		partners = rt.svc
	}
	c, err := console.New(console.Options{
		Store:           a.store,
		Admin:           a.gw,
		Binds:           a.esme,
		Partners:        partners,
		Users:           users,
		Location:        loc,
		PartnerLocation: a.Config.H2H.cutoff.Location,
		SessionLifetime: cfg.SessionLifetime.Duration,
		IdleTimeout:     cfg.IdleTimeout.Duration,
		SecureCookies:   cfg.SecureCookies,
		LoginAttempts:   cfg.LoginAttempts,
		LoginWindow:     cfg.LoginWindow.Duration,
		PageSize:        cfg.PageSize,
		ExportRows:      cfg.ExportRows,
		LockDurations:   locks,
		Warnings:        a.Config.Warnings(),
		Now:             a.Now,
		Logger:          a.Logger,
	})
	if err != nil {
		return fmt.Errorf("console: %w", err)
	}
	mux.Handle("/console/", c)
	mux.Handle("GET /console", http.RedirectHandler("/console/", http.StatusSeeOther))
	a.Logger.Info("operator console enabled", "path", "/console/", "users", len(users))
	return nil
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
