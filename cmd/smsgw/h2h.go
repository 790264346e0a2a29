package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/smsgw/smsgw/domain"
	"github.com/smsgw/smsgw/h2h"
	"github.com/smsgw/smsgw/keywords"
	"github.com/smsgw/smsgw/partner"
)

// H2HConfig is the [h2h] section: the host-to-host partner API. Every key
// is documented in the repository's config.toml; validate fills defaults.
type H2HConfig struct {
	Enabled bool `toml:"enabled"`
	// Listen, when set, serves the API on its own listener (with TLS
	// when a certificate is given) instead of the [http] listener.
	Listen      string `toml:"listen"`
	TLSCertFile string `toml:"tls_cert_file"`
	TLSKeyFile  string `toml:"tls_key_file"`

	MaxBody         int64    `toml:"max_body"`
	MaxSkew         Duration `toml:"max_skew"`
	Timezone        string   `toml:"timezone"`
	Cutoff          string   `toml:"cutoff"`
	DuplicateWindow Duration `toml:"duplicate_window"`
	DuplicateAction string   `toml:"duplicate_action"`
	BlockAfter      int      `toml:"block_after"`
	PendingMax      Duration `toml:"pending_max"`
	InquiryTTL      Duration `toml:"inquiry_ttl"`
	VAPrefix        string   `toml:"va_prefix"`
	DepositFunding  string   `toml:"deposit_funding"`

	Recheck           string   `toml:"recheck"`
	Callbacks         string   `toml:"callbacks"`
	PurgeNonces       string   `toml:"purge_nonces"`
	CallbackTimeout   Duration `toml:"callback_timeout"`
	CallbackRetryBase Duration `toml:"callback_retry_base"`
	CallbackRetryMax  Duration `toml:"callback_retry_max"`

	Partners []H2HPartnerConfig `toml:"partner"`

	cutoff partner.Cutoff // parsed Cutoff
}

// H2HPartnerConfig is one [[h2h.partner]]. Secrets are never in the file:
// the *_env keys name environment variables.
type H2HPartnerConfig struct {
	ID                string   `toml:"id"`
	Signature         string   `toml:"signature"`
	SecretEnv         string   `toml:"secret_env"`
	PreviousSecretEnv string   `toml:"previous_secret_env"`
	PINEnv            string   `toml:"pin_env"`
	PasswordEnv       string   `toml:"password_env"`
	BasicUser         string   `toml:"basic_user"`
	BasicPasswordEnv  string   `toml:"basic_password_env"`
	Allow             []string `toml:"allow"`
	CallbackURL       string   `toml:"callback_url"`
	CallbackAck       string   `toml:"callback_ack"`
	Mode              string   `toml:"mode"`
	Format            string   `toml:"format"`
	Deposit           string   `toml:"deposit"`
	VA                bool     `toml:"va"`
	Settlement        string   `toml:"settlement"`
	// SimulatorOnly partners are served only with the simulator, and are
	// skipped with a warning when their secret is not in the environment.
	SimulatorOnly bool `toml:"simulator_only"`

	allow []netip.Prefix
}

// validate fills defaults and checks values; errors name the key.
func (c *H2HConfig) validate() error {
	if c.MaxBody == 0 {
		c.MaxBody = h2h.DefaultMaxBody
	}
	if c.MaxBody < 1024 || c.MaxBody > 1<<20 {
		return keyErr("h2h.max_body", "must be 1024..1048576 octets, got %d", c.MaxBody)
	}
	if c.MaxSkew.Duration == 0 {
		c.MaxSkew.Duration = h2h.DefaultMaxSkew
	}
	if c.MaxSkew.Duration < 10*time.Second || c.MaxSkew.Duration > time.Hour {
		return keyErr("h2h.max_skew", "must be 10s..1h")
	}
	if c.Timezone == "" {
		c.Timezone = "Asia/Jakarta"
	}
	loc, err := time.LoadLocation(c.Timezone)
	if err != nil {
		return keyErr("h2h.timezone", "%v", err)
	}
	if c.Cutoff == "" {
		c.Cutoff = "23:30-00:30"
	}
	if c.cutoff, err = parseCutoff(c.Cutoff, loc); err != nil {
		return keyErr("h2h.cutoff", "%v", err)
	}
	for _, d := range []struct {
		key string
		v   *Duration
		def time.Duration
	}{
		{"h2h.duplicate_window", &c.DuplicateWindow, partner.DefaultDuplicateWindow},
		{"h2h.pending_max", &c.PendingMax, partner.DefaultPendingMax},
		{"h2h.inquiry_ttl", &c.InquiryTTL, partner.DefaultInquiryTTL},
		{"h2h.callback_timeout", &c.CallbackTimeout, h2h.DefaultCallbackTimeout},
		{"h2h.callback_retry_base", &c.CallbackRetryBase, partner.DefaultCallbackBase},
		{"h2h.callback_retry_max", &c.CallbackRetryMax, partner.DefaultCallbackMax},
	} {
		if d.v.Duration == 0 {
			d.v.Duration = d.def
		}
		if d.v.Duration < time.Second {
			return keyErr(d.key, "must be at least 1s")
		}
	}
	if c.CallbackRetryMax.Duration < c.CallbackRetryBase.Duration {
		return keyErr("h2h.callback_retry_max", "must be >= callback_retry_base")
	}
	switch c.DuplicateAction {
	case "":
		c.DuplicateAction = "flag"
	case "flag", "reject":
	default:
		return keyErr("h2h.duplicate_action", "must be flag or reject, got %q", c.DuplicateAction)
	}
	if c.BlockAfter == 0 {
		c.BlockAfter = partner.DefaultBlockAfter
	}
	if c.BlockAfter < 1 || c.BlockAfter > 100 {
		return keyErr("h2h.block_after", "must be 1..100")
	}
	if c.VAPrefix == "" {
		c.VAPrefix = partner.DefaultVAPrefix
	}
	if !isDigits(c.VAPrefix) {
		return keyErr("h2h.va_prefix", "must be digits, got %q", c.VAPrefix)
	}
	if c.DepositFunding == "" {
		c.DepositFunding = string(partner.DefaultDepositFunding)
	}
	if !strings.HasPrefix(c.DepositFunding, domain.KindSettlement+":") {
		return keyErr("h2h.deposit_funding", "must be a settlement:… account, got %q", c.DepositFunding)
	}
	parser := cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)
	for _, s := range []struct {
		key  string
		spec *string
		def  string
	}{
		{"h2h.recheck", &c.Recheck, "@every 30s"},
		{"h2h.callbacks", &c.Callbacks, "@every 1s"},
		{"h2h.purge_nonces", &c.PurgeNonces, "@every 5m"},
	} {
		if *s.spec == "" {
			*s.spec = s.def
		}
		if _, err := parser.Parse(*s.spec); err != nil {
			return keyErr(s.key, "bad schedule %q: %v", *s.spec, err)
		}
	}
	if c.Listen != "" {
		if _, _, err := net.SplitHostPort(c.Listen); err != nil {
			return keyErr("h2h.listen", "%v", err)
		}
	}
	if (c.TLSCertFile == "") != (c.TLSKeyFile == "") {
		return keyErr("h2h.tls_cert_file", "tls_cert_file and tls_key_file go together")
	}
	if c.TLSCertFile != "" && c.Listen == "" {
		return keyErr("h2h.listen", "TLS needs the API's own listener")
	}
	ids := map[string]bool{}
	for i := range c.Partners {
		if err := c.Partners[i].validate(fmt.Sprintf("h2h.partner[%d]", i), ids); err != nil {
			return err
		}
	}
	if c.Enabled && len(c.Partners) == 0 {
		return keyErr("h2h.partner", "at least one [[h2h.partner]] is required when h2h.enabled")
	}
	return nil
}

// parseCutoff parses "HH:MM-HH:MM" or "off".
func parseCutoff(s string, loc *time.Location) (partner.Cutoff, error) {
	if s == "off" {
		return partner.Cutoff{Location: loc}, nil
	}
	from, to, ok := strings.Cut(s, "-")
	if !ok {
		return partner.Cutoff{}, fmt.Errorf("must be HH:MM-HH:MM or off, got %q", s)
	}
	var c partner.Cutoff
	for i, v := range []string{from, to} {
		tm, err := time.Parse("15:04", strings.TrimSpace(v))
		if err != nil {
			return partner.Cutoff{}, fmt.Errorf("must be HH:MM-HH:MM or off, got %q", s)
		}
		d := time.Duration(tm.Hour())*time.Hour + time.Duration(tm.Minute())*time.Minute
		if i == 0 {
			c.Start = d
		} else {
			c.End = d
		}
	}
	if c.Start == c.End {
		return partner.Cutoff{}, fmt.Errorf("start and end are equal (use off to disable)")
	}
	c.Location = loc
	return c, nil
}

// validate checks one partner.
func (p *H2HPartnerConfig) validate(k string, ids map[string]bool) error {
	if p.ID == "" || len(p.ID) > 32 || strings.Trim(p.ID, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") != "" {
		return keyErr(k+".id", "1-32 letters, digits, '.', '_' or '-' required, got %q", p.ID)
	}
	if ids[p.ID] {
		return keyErr(k+".id", "duplicate partner id %q", p.ID)
	}
	ids[p.ID] = true
	if p.Signature == "" {
		p.Signature = h2h.SchemeHMAC
	}
	switch p.Signature {
	case h2h.SchemeHMAC:
	case h2h.SchemeOtomaX:
		if p.PINEnv == "" || p.PasswordEnv == "" {
			return keyErr(k+".pin_env", "pin_env and password_env are required with signature = \"otomax\"")
		}
		if p.VA {
			return keyErr(k+".va", "bank payment confirmations need signature = \"hmac\"")
		}
	default:
		return keyErr(k+".signature", "must be hmac or otomax, got %q", p.Signature)
	}
	if p.SecretEnv == "" {
		return keyErr(k+".secret_env", "required: the environment variable holding the HMAC secret (it also signs callbacks)")
	}
	for _, e := range []struct{ key, v string }{
		{"secret_env", p.SecretEnv}, {"previous_secret_env", p.PreviousSecretEnv}, {"pin_env", p.PINEnv},
		{"password_env", p.PasswordEnv}, {"basic_password_env", p.BasicPasswordEnv},
	} {
		if e.v != "" && !validEnvName(e.v) {
			return keyErr(k+"."+e.key, "must name an environment variable ([A-Z0-9_]), got %q", e.v)
		}
	}
	if (p.BasicUser == "") != (p.BasicPasswordEnv == "") {
		return keyErr(k+".basic_user", "basic_user and basic_password_env go together")
	}
	if len(p.Allow) == 0 {
		return keyErr(k+".allow", "at least one address range (CIDR) is required")
	}
	p.allow = p.allow[:0]
	for j, a := range p.Allow {
		pfx, err := netip.ParsePrefix(a)
		if err != nil {
			addr, aerr := netip.ParseAddr(a)
			if aerr != nil {
				return keyErr(fmt.Sprintf("%s.allow[%d]", k, j), "not a CIDR range or address: %q", a)
			}
			pfx = netip.PrefixFrom(addr, addr.BitLen())
		}
		p.allow = append(p.allow, pfx.Masked())
	}
	if p.CallbackURL == "" {
		return keyErr(k+".callback_url", "required")
	}
	if u, err := url.Parse(p.CallbackURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return keyErr(k+".callback_url", "an absolute http or https URL is required")
	}
	if p.Mode == "" {
		p.Mode = partner.ModeImmediate
	}
	if p.Mode != partner.ModeImmediate && p.Mode != partner.ModeConfirm {
		return keyErr(k+".mode", "must be immediate or confirm, got %q", p.Mode)
	}
	if p.Format == "" {
		p.Format = h2h.FormatJSON
	}
	if p.Format != h2h.FormatJSON && p.Format != h2h.FormatText {
		return keyErr(k+".format", "must be json or text, got %q", p.Format)
	}
	if p.Deposit != "" && !strings.HasPrefix(p.Deposit, domain.KindDeposit+":") {
		return keyErr(k+".deposit", "must be a deposit:… account, got %q", p.Deposit)
	}
	if p.Settlement != "" && !strings.HasPrefix(p.Settlement, domain.KindSettlement+":") {
		return keyErr(k+".settlement", "must be a settlement:… account, got %q", p.Settlement)
	}
	return nil
}

func validEnvName(s string) bool {
	return s != "" && strings.Trim(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") == ""
}

// partnerOptions is the domain side of [h2h]: no secrets are needed.
func (c *H2HConfig) partnerOptions(log *slog.Logger) partner.Options {
	o := partner.Options{
		Cutoff:            c.cutoff,
		DuplicateWindow:   c.DuplicateWindow.Duration,
		RejectDuplicates:  c.DuplicateAction == "reject",
		BlockAfter:        c.BlockAfter,
		PendingMax:        c.PendingMax.Duration,
		InquiryTTL:        c.InquiryTTL.Duration,
		VAPrefix:          c.VAPrefix,
		DepositFunding:    domain.AccountID(c.DepositFunding),
		CallbackRetryBase: c.CallbackRetryBase.Duration,
		CallbackRetryMax:  c.CallbackRetryMax.Duration,
		Logger:            log,
	}
	for _, p := range c.Partners {
		o.Partners = append(o.Partners, partner.Partner{ID: p.ID, Mode: p.Mode, Deposit: domain.AccountID(p.Deposit),
			VA: p.VA, Settlement: domain.AccountID(p.Settlement)})
	}
	return o
}

// auth reads the partner's secrets from the environment. ok is false,
// with a nil error, for a simulator-only partner whose secret is not set.
func (p *H2HPartnerConfig) auth(k string) (h2h.Partner, bool, error) {
	env := func(key, name string) (h2h.Secret, error) {
		if name == "" {
			return "", nil
		}
		v, ok := os.LookupEnv(name)
		if !ok || v == "" {
			return "", keyErr(k+"."+key, "$%s is not set", name)
		}
		return h2h.Secret(v), nil
	}
	a := h2h.Partner{ID: p.ID, Scheme: p.Signature, BasicUser: p.BasicUser, Allow: p.allow, Format: p.Format,
		CallbackURL: p.CallbackURL, CallbackAck: p.CallbackAck}
	key, err := env("secret_env", p.SecretEnv)
	if err != nil {
		if p.SimulatorOnly {
			return a, false, nil
		}
		return a, false, err
	}
	a.Keys = []h2h.Secret{key}
	if prev, err := env("previous_secret_env", p.PreviousSecretEnv); err != nil {
		return a, false, err
	} else if prev != "" {
		a.Keys = append(a.Keys, prev)
	}
	if a.PIN, err = env("pin_env", p.PINEnv); err != nil {
		return a, false, err
	}
	if a.Password, err = env("password_env", p.PasswordEnv); err != nil {
		return a, false, err
	}
	if a.BasicPassword, err = env("basic_password_env", p.BasicPasswordEnv); err != nil {
		return a, false, err
	}
	if err := a.Validate(); err != nil {
		return a, false, keyErr(k, "%v", err)
	}
	return a, true, nil
}

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
		opts.Partners = append(opts.Partners, partner.Partner{ID: p.ID, Mode: p.Mode, Deposit: domain.AccountID(p.Deposit),
			VA: p.VA, Settlement: domain.AccountID(p.Settlement)})
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
// of pending requests and the purge of old nonces.
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
	return []cronJob{
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
}

const partnerUsage = `usage: smsgw partner <command> [-config config.toml]

commands:
  list [-partner P] [-state S] [-n 20]      partner requests, newest first
  status <partner> <refid>                  one request by the partner's refid
  callbacks [-partner P] [-dead] [-n 20]    callbacks; -dead lists the dead letters
  resend <callback-id>                      queue a dead (or sent) callback again
  blocked                                   destinations blocked after consecutive failures
  unblock <msisdn>                          clear a destination's failure count
  deposit <partner> <amount> -ref <ref>     top up a partner's deposit (idempotent per ref)
  balance <partner>                         a partner's deposit balance`

// cmdPartner is `smsgw partner`: partner transactions and callbacks. It
// works on the database directly and needs no partner secret.
func cmdPartner(ctx context.Context, args []string, stdout io.Writer) error {
	if len(args) == 0 {
		return fmt.Errorf("%w: %s", errUsage, partnerUsage)
	}
	sub := args[0]
	fs, path := newFlags("partner " + sub)
	only := fs.String("partner", "", "only this partner")
	state := fs.String("state", "", "only this state (pending, success, failed, unknown)")
	n := fs.Int("n", 20, "rows to show")
	dead := fs.Bool("dead", false, "dead letters only")
	ref := fs.String("ref", "", "deposit reference (the bank transfer's)")
	pos, err := parseFlags(fs, args[1:])
	if err != nil {
		return err
	}
	want := map[string]int{"list": 0, "status": 2, "callbacks": 0, "resend": 1, "blocked": 0, "unblock": 1, "deposit": 2, "balance": 1}
	nargs, ok := want[sub]
	if !ok {
		return fmt.Errorf("%w: unknown partner command %q\n%s", errUsage, sub, partnerUsage)
	}
	if len(pos) != nargs {
		return fmt.Errorf("%w: partner %s takes %d argument(s)\n%s", errUsage, sub, nargs, partnerUsage)
	}
	gw, closeFn, err := adminGateway(ctx, *path)
	if err != nil {
		return err
	}
	defer closeFn()
	cfg, err := LoadConfig(*path)
	if err != nil {
		return err
	}
	svc, err := partner.New(gw, cfg.H2H.partnerOptions(slog.New(slog.NewTextHandler(io.Discard, nil))))
	if err != nil {
		return err
	}
	if err := svc.Init(ctx); err != nil {
		return err
	}
	switch sub {
	case "list":
		f := partner.RequestFilter{Partner: *only, Limit: *n}
		if *state != "" {
			f.States = []partner.State{partner.State(*state)}
		}
		rs, err := svc.Requests(ctx, f)
		if err != nil {
			return err
		}
		return printRequests(stdout, rs)
	case "status":
		rs, err := svc.Requests(ctx, partner.RequestFilter{Partner: pos[0], RefID: pos[1], Limit: 1})
		if err != nil {
			return err
		}
		if len(rs) == 0 {
			return fmt.Errorf("partner %s has no request with refid %s", pos[0], pos[1])
		}
		return printRequest(ctx, stdout, svc, &rs[0])
	case "callbacks":
		f := partner.CallbackFilter{Partner: *only, Limit: *n}
		if *dead {
			f.Status = partner.CallbackDead
		}
		cs, err := svc.Callbacks(ctx, f)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tTRXID\tPARTNER\tSTATUS\tATTEMPTS\tNEXT\tDEADLINE\tLAST ERROR")
		for _, c := range cs {
			fmt.Fprintf(tw, "%d\t%d\t%s\t%s\t%d\t%s\t%s\t%s\n", c.ID, c.RequestID, c.Partner, c.Status, c.Attempts,
				c.NextAttempt.Format(time.RFC3339), c.Deadline.Format(time.RFC3339), c.LastError)
		}
		return tw.Flush()
	case "resend":
		id, err := strconv.ParseInt(pos[0], 10, 64)
		if err != nil {
			return fmt.Errorf("%w: callback id must be a number", errUsage)
		}
		if err := svc.ResendCallback(ctx, cliActor(), id); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "callback %d queued; the running daemon sends it\n", id)
	case "blocked":
		ds, err := svc.Blocked(ctx, *n)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "DESTINATION\tFAILURES\tLAST FAILURE")
		for _, d := range ds {
			last := ""
			if d.LastFailure != nil {
				last = d.LastFailure.Format(time.RFC3339)
			}
			fmt.Fprintf(tw, "%s\t%d\t%s\n", d.Dest.Local(), d.Failures, last)
		}
		return tw.Flush()
	case "unblock":
		if err := svc.Unblock(ctx, cliActor(), pos[0]); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s unblocked\n", pos[0])
	case "deposit":
		amount, err := keywords.ParseAmount(pos[1])
		if err != nil || amount <= 0 {
			return fmt.Errorf("%w: amount %q: whole rupiah, e.g. 1000000 or 1.000.000", errUsage, pos[1])
		}
		if *ref == "" {
			return fmt.Errorf("%w: partner deposit needs -ref (the bank transfer's reference), which makes it idempotent", errUsage)
		}
		t, err := svc.Deposit(ctx, cliActor(), pos[0], amount, *ref)
		if err != nil {
			return err
		}
		acct, err := svc.DepositAccount(ctx, pos[0])
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "deposit %s: +Rp%s (transfer %d, ref %s); balance Rp%s\n", acct.ID, t.Amount.Grouped(), t.ID, t.Reference, acct.Balance.Grouped())
	case "balance":
		acct, err := svc.DepositAccount(ctx, pos[0])
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "account  %s\nbalance  Rp%s\n", acct.ID, acct.Balance.Grouped())
	}
	return nil
}

func printRequests(w io.Writer, rs []partner.Request) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TRXID\tPARTNER\tREFID\tKIND\tPRODUCT\tDEST\tAMOUNT\tSTATE\tREASON\tSN\tDUP\tCREATED")
	for _, r := range rs {
		dup := ""
		if r.Duplicate {
			dup = "yes"
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%d\t%s\t%s\t%s\t%s\t%s\n", r.ID, r.Partner, r.RefID, r.Kind, r.Product,
			r.Dest.Local(), int64(r.Amount), r.State, r.Code, r.SN, dup, r.CreatedAt.Format(time.RFC3339))
	}
	return tw.Flush()
}

func printRequest(ctx context.Context, w io.Writer, svc *partner.Service, r *partner.Request) error {
	resolved := ""
	if r.ResolvedAt != nil {
		resolved = r.ResolvedAt.Format(time.RFC3339)
	}
	fmt.Fprintf(w, "trxid     %d\npartner   %s\nrefid     %s\nkind      %s (%s)\nproduct   %s\ndest      %s\namount    Rp%s\n"+
		"price     Rp%s\nstate     %s %s\nsn        %s\nduplicate %v\nbalance   Rp%s → Rp%s\ncreated   %s\nresolved  %s\n",
		r.ID, r.Partner, r.RefID, r.Kind, r.Mode, r.Product, r.Dest.Local(), r.Amount.Grouped(), r.Price.Grouped(),
		r.State, r.Code, r.SN, r.Duplicate, r.BalanceBefore.Grouped(), r.BalanceAfter.Grouped(),
		r.CreatedAt.Format(time.RFC3339), resolved)
	cs, err := svc.Callbacks(ctx, partner.CallbackFilter{RequestID: r.ID, Limit: 1})
	if err != nil {
		return err
	}
	for _, c := range cs {
		fmt.Fprintf(w, "callback  %d %s after %d attempt(s) %s\n", c.ID, c.Status, c.Attempts, c.LastError)
	}
	return nil
}
