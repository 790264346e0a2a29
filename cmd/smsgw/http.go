package main

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
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
