package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/robfig/cron/v3"

	"github.com/smsgw/smsgw/domain"
	"github.com/smsgw/smsgw/esme"
	"github.com/smsgw/smsgw/metrics"
	"github.com/smsgw/smsgw/sim"
	"github.com/smsgw/smsgw/smpp/smsc"
	"github.com/smsgw/smsgw/smsgw"
	"github.com/smsgw/smsgw/store/postgres"
	"github.com/smsgw/smsgw/store/sqlite"
)

// App is the running daemon: store, gateway, SMPP binds, optional
// simulator, HTTP and cron, started and stopped in order.
type App struct {
	Config Config
	Logger *slog.Logger
	// Now is the clock of the gateway and the cron jobs (tests replace it).
	Now func() time.Time

	store smsgw.Store
	reg   *prometheus.Registry
	mets  *metrics.Metrics
	gw    *smsgw.Gateway
	// live publishes gw once it is initialised, for Reload from the
	// signal goroutine.
	live  atomic.Pointer[smsgw.Gateway]
	esme  *esme.ESME
	smscs []*smsc.Server // the simulator's SMSCs, one per simulated operator
	sim   *sim.Simulator
	simUI *sim.Handler
	http  *http.Server
	httpL net.Listener
	cron  *cron.Cron
	h2h   *h2hRuntime // the partner API, built by mountH2H or h2hJobs
}

// openStore opens (and migrates) the configured database.
func openStore(ctx context.Context, cfg *Config, log *slog.Logger, now func() time.Time) (smsgw.Store, error) {
	if cfg.Database.Driver == "postgres" {
		dsn := os.Getenv(cfg.Database.DSNEnv)
		if dsn == "" {
			return nil, keyErr("database.dsn_env", "environment variable %s is empty: set it to the PostgreSQL URL", cfg.Database.DSNEnv)
		}
		return postgres.Open(ctx, dsn, postgres.Options{Now: now, Logger: log,
			MaxConns: int32(cfg.Database.MaxConns), StatementTimeout: cfg.Database.StatementTimeout.Duration})
	}
	path := cfg.resolve(cfg.Database.Path)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("database.path: %w", err)
	}
	return sqlite.Open(ctx, path, sqlite.Options{Now: now, BusyTimeout: cfg.Database.BusyTimeout.Duration,
		Synchronous: cfg.Database.Synchronous, Logger: log})
}

// storeName says which database a command works on, for its output.
func storeName(cfg *Config) string {
	if cfg.Database.Driver == "postgres" {
		return "PostgreSQL (" + cfg.Database.DSNEnv + ")"
	}
	return cfg.resolve(cfg.Database.Path)
}

// errStoreBroken is Run's error when the store stopped writing durably.
var errStoreBroken = errors.New("store: writes are no longer durable (see the log); restart the daemon")

// Run starts everything, blocks until ctx is done (or the store can no
// longer write durably: errStoreBroken), then stops in reverse
// order: HTTP intake, cron, SMPP binds (in-flight deliver_sm finish, then
// unbind), the gateway loops (best-effort outbox flush), the store.
func (a *App) Run(ctx context.Context) (err error) {
	cfg := &a.Config
	log := a.Logger
	if a.Now == nil {
		a.Now = time.Now
	}
	a.store, err = openStore(ctx, cfg, log, a.Now)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := a.store.Close(); cerr != nil && err == nil {
			err = cerr
		}
	}()

	a.reg = prometheus.NewRegistry()
	a.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	a.mets = metrics.New(a.reg)
	store := a.mets.Store(a.store)
	a.mets.OutboxDepth(a.reg, func() float64 {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		var n int
		_ = a.store.View(ctx, func(tx smsgw.Tx) error {
			var err error
			n, err = tx.OutboxDepth()
			return err
		})
		return float64(n)
	})
	a.mets.Inbox(a.reg, func() float64 {
		if gw := a.live.Load(); gw != nil {
			return float64(gw.Backlog())
		}
		return 0
	}, func() float64 {
		if gw := a.live.Load(); gw != nil {
			return float64(gw.Stats().MOThrottled.Load())
		}
		return 0
	})
	if st, ok := a.store.(*sqlite.Store); ok {
		a.mets.GroupCommit(a.reg, func() float64 { return float64(st.Stats().Commits) },
			func() float64 { return float64(st.Stats().Batched) })
	}

	// The ESME is built first and is the gateway's Sender; it is told the
	// gateway when it runs, so neither needs the other at construction.
	binds, err := bindOptions(cfg)
	if err != nil {
		return err
	}
	for i := range binds {
		binds[i].Client.Metrics = a.mets.Bind(binds[i].Name)
	}
	a.esme, err = esme.New(esme.Options{Binds: binds, Logger: log, Now: time.Now,
		Routes: cfg.routeOptions(), DefaultRoute: cfg.defaultOperator(), Balance: esme.Balance(cfg.Routing.Balance), Traffic: a.mets,
		USSDLifetime: a.Config.USSD.SessionLifetime.Duration, USSDTimeout: a.Config.USSD.AnswerTimeout.Duration,
		USSDObserver: a.mets})
	if err != nil {
		return err
	}
	defer a.esme.Close()
	a.mets.Routes(a.reg, func() ([]esme.BindStatus, []esme.RouteStatus) { return a.esme.Status(), a.esme.Routes() },
		func() map[string]int {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			n, _ := a.backlog(ctx)
			return n
		})

	a.gw, err = newGateway(cfg, store, a.esme, log, a.Now, a.mets)
	if err != nil {
		return err
	}
	if err := a.gw.Init(ctx); err != nil {
		return fmt.Errorf("init gateway: %w", err)
	}
	a.live.Store(a.gw)
	if err := a.seedDemo(ctx); err != nil {
		return err
	}

	if cfg.Simulator.Enabled {
		err := a.startSimulator()
		defer func() {
			for _, srv := range a.smscs {
				srv.Close()
			}
		}()
		if err != nil {
			return err
		}
	}

	switch {
	case cfg.HTTP.Listen != "":
		if err := a.startHTTP(); err != nil {
			return err
		}
	case cfg.H2H.Listen != "":
		// The partner API on its own listener, without the ops endpoints.
		if err := a.mountH2H(nil); err != nil {
			return err
		}
	}

	// Run the binds and the gateway loops under their own contexts so they
	// stop in order.
	smppCtx, stopSMPP := context.WithCancel(context.WithoutCancel(ctx))
	gwCtx, stopGW := context.WithCancel(context.WithoutCancel(ctx))
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		if err := a.esme.Run(smppCtx, a.gw); err != nil {
			log.Error("SMPP stopped", "err", err)
		}
	}()
	gwDone := make(chan struct{})
	go func() {
		defer wg.Done()
		defer close(gwDone)
		_ = a.gw.Run(gwCtx, cfg.Outbox.Poll.Duration)
	}()

	if err := a.startCron(); err != nil {
		stopSMPP()
		stopGW()
		wg.Wait()
		return err
	}
	log.Info("smsgw running", append([]any{"version", Version, "request_code", cfg.ShortCodes.Request, "pin_code", cfg.ShortCodes.PIN,
		"http", a.httpAddr(), "simulator", cfg.Simulator.Enabled}, gcAttrs()...)...)
	for _, w := range cfg.Warnings() {
		log.Warn("configuration weakens security", "warning", w)
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		a.logReady(smppCtx, readyWait)
	}()

	// A store that can no longer promise durability (a failed sync of its
	// log) stops the daemon: a restart reopens it, as a supervisor does.
	var broken <-chan struct{}
	if b, ok := a.store.(interface{ Broken() <-chan struct{} }); ok {
		broken = b.Broken()
	}
	select {
	case <-ctx.Done():
	case <-broken:
		log.Error("the store can no longer write durably; stopping so that a restart reopens it")
		err = errStoreBroken
	}
	log.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if a.http != nil {
		_ = a.http.Shutdown(shutdownCtx)
	}
	a.stopH2H(shutdownCtx)
	cronCtx := a.cron.Stop()
	select {
	case <-cronCtx.Done():
	case <-shutdownCtx.Done():
	}
	// While the binds are still up, answer the MOs stored last and send
	// what is due (for at most 2 s; anything left stays in the inbox and
	// outbox for the next start).
	flushCtx, flushCancel := context.WithTimeout(shutdownCtx, 2*time.Second)
	_, _ = a.gw.ProcessInbox(flushCtx)
	_, _ = a.gw.SendDue(flushCtx)
	flushCancel()
	stopSMPP() // graceful unbind after in-flight deliver_sm
	stopGW()
	wg.Wait()
	// The unbind confirmed the last acknowledgements: record that, so the
	// next start does not take a customer's repeat for a redelivery.
	if _, err := a.gw.RecordAckFates(shutdownCtx); err != nil {
		log.Warn("confirmed acknowledgements not recorded", "err", err)
	}
	log.Info("stopped")
	return err
}

// readyWait is how long logReady waits for every bind to come up.
const readyWait = 10 * time.Second

// logReady logs one "smsgw ready" line once every bind is up, or after
// wait with the binds as they are, so that a newcomer sees where to go:
// the web phone and console URLs (when served) and each bind's status.
func (a *App) logReady(ctx context.Context, wait time.Duration) {
	deadline := time.NewTimer(wait)
	defer deadline.Stop()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for !allBound(a.esme.Status()) {
		select {
		case <-ctx.Done():
			return
		case <-deadline.C:
			a.Logger.Warn("smsgw started, but not every bind is up", a.readyAttrs()...)
			return
		case <-tick.C:
		}
	}
	a.Logger.Info("smsgw ready", a.readyAttrs()...)
}

func allBound(st []esme.BindStatus) bool {
	for _, b := range st {
		if !b.Bound {
			return false
		}
	}
	return true
}

// readyAttrs are the attributes of the readiness line.
func (a *App) readyAttrs() []any {
	var attrs []any
	if base := a.httpURL(); base != "" {
		if a.simUI != nil {
			attrs = append(attrs, "web_phone", base+"/phone")
		}
		if a.Config.Console.Enabled {
			attrs = append(attrs, "console", base+"/console/")
		}
	}
	for _, b := range a.esme.Status() {
		state := "bound"
		switch {
		case b.Suspended:
			state = "suspended"
		case !b.Bound:
			state = "down"
		}
		attrs = append(attrs, "bind."+b.Name, state)
	}
	return attrs
}

// httpURL is the base URL of the HTTP listener as a browser on this
// machine reaches it ("" when there is none).
func (a *App) httpURL() string {
	if a.httpL == nil {
		return ""
	}
	host, port, err := net.SplitHostPort(a.httpL.Addr().String())
	if err != nil {
		return ""
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port)
}

func (a *App) httpAddr() string {
	if a.httpL == nil {
		return ""
	}
	return a.httpL.Addr().String()
}

// seedDemo registers the demo customers of the simulator (idempotent).
func (a *App) seedDemo(ctx context.Context) error {
	for i, d := range a.Config.Demo.Customers {
		err := a.gw.AddCustomer(ctx, d.MSISDN, d.Account, d.Name, domain.PIN(d.PIN))
		if err != nil && smsgw.ErrorCode(err) != smsgw.EConflict {
			return fmt.Errorf("demo.customers[%d]: %w", i, err)
		}
	}
	return nil
}

// Reload re-reads the config file and applies its reloadable parts: reply
// templates, keywords and aliases, nominal rules, session TTL and PIN
// policy. Other changes (binds, database, listeners, cron) need a restart
// and are reported.
func (a *App) Reload(path string) error {
	gw := a.live.Load()
	if gw == nil {
		return errors.New("not running")
	}
	cfg, err := LoadConfig(path)
	if err != nil {
		return err
	}
	rules, err := buildRules(&cfg)
	if err != nil {
		return err
	}
	if err := gw.SetRules(rules); err != nil {
		return err
	}
	a.Logger.Info("rules reloaded", "path", path, "keywords", len(cfg.Keywords.Aliases),
		"nominal_allowed", len(cfg.Nominal.Allowed), "session_ttl", cfg.Session.TTL.Duration)
	return nil
}

// adminGateway opens the store and a gateway that cannot send (admin
// commands only change customers and read wallets).
func adminGateway(ctx context.Context, path string) (*smsgw.Gateway, func(), error) {
	cfg, err := LoadConfig(path)
	if err != nil {
		return nil, nil, err
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	st, err := openStore(ctx, &cfg, log, time.Now)
	if err != nil {
		return nil, nil, err
	}
	noSend := smsgw.SenderFunc(func(context.Context, smsgw.MT) ([]string, error) {
		return nil, errors.New("admin commands do not send SMS")
	})
	gw, err := newGateway(&cfg, st, noSend, log, time.Now, nil)
	if err != nil {
		st.Close()
		return nil, nil, err
	}
	if err := gw.Init(ctx); err != nil {
		st.Close()
		return nil, nil, err
	}
	return gw, func() { st.Close() }, nil
}

// backlog counts the MTs queued per operator; those without one (or with
// one no bind serves any more) count under the default operator, which
// carries them.
func (a *App) backlog(ctx context.Context) (map[string]int, error) {
	var byRoute map[string]int
	err := a.store.View(ctx, func(tx smsgw.Tx) (err error) {
		byRoute, err = tx.OutboxByRoute()
		return err
	})
	if err != nil {
		return nil, err
	}
	known := map[string]bool{}
	for _, op := range a.Config.operators() {
		known[op] = true
	}
	out := map[string]int{}
	for route, n := range byRoute {
		if !known[route] {
			route = a.Config.defaultOperator()
		}
		out[route] += n
	}
	return out, nil
}
