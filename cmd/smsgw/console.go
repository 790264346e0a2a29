package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"golang.org/x/term"

	"github.com/smsgw/smsgw/console"
	"github.com/smsgw/smsgw/smsgw"
)

// ConsoleConfig is the [console] section: the operator console at
// /console/ on the HTTP listener.
type ConsoleConfig struct {
	Enabled         bool          `toml:"enabled"`
	SessionLifetime Duration      `toml:"session_lifetime"`
	IdleTimeout     Duration      `toml:"idle_timeout"`
	SecureCookies   bool          `toml:"secure_cookies"`
	LoginAttempts   int           `toml:"login_attempts"`
	LoginWindow     Duration      `toml:"login_window"`
	PageSize        int           `toml:"page_size"`
	ExportRows      int           `toml:"export_rows"`
	LockDurations   []Duration    `toml:"lock_durations"`
	Users           []ConsoleUser `toml:"users"`
}

// ConsoleUser is one console account. Exactly one of PasswordHash,
// PasswordHashEnv and DemoPassword is set; DemoPassword (a clear password,
// public demo data) is refused unless the simulator is enabled.
type ConsoleUser struct {
	Name            string `toml:"name"`
	Role            string `toml:"role"`
	PasswordHash    string `toml:"password_hash"`
	PasswordHashEnv string `toml:"password_hash_env"`
	DemoPassword    string `toml:"demo_password"`
}

// validate checks [console]; each error names its key. cfg is the whole
// configuration, for the checks that depend on other sections.
func (c *ConsoleConfig) validate(cfg *Config) error {
	for _, d := range []struct {
		key string
		v   Duration
		min time.Duration
	}{
		{"console.session_lifetime", c.SessionLifetime, time.Minute},
		{"console.idle_timeout", c.IdleTimeout, time.Minute},
		{"console.login_window", c.LoginWindow, time.Second},
	} {
		if d.v.Duration != 0 && d.v.Duration < d.min {
			return keyErr(d.key, "must be at least %s", d.min)
		}
	}
	if c.LoginAttempts < 0 || c.LoginAttempts > 1000 {
		return keyErr("console.login_attempts", "must be 1..1000 (0 for the default 5)")
	}
	if c.PageSize < 0 || c.PageSize > 1000 {
		return keyErr("console.page_size", "must be 1..1000 (0 for the default 50)")
	}
	if c.ExportRows < 0 || c.ExportRows > 10_000_000 {
		return keyErr("console.export_rows", "must be 1..10000000 (0 for the default %d)", console.DefaultExportRows)
	}
	for i, d := range c.LockDurations {
		if d.Duration < time.Minute {
			return keyErr(fmt.Sprintf("console.lock_durations[%d]", i), "must be at least 1m")
		}
	}
	names := map[string]bool{}
	for i, u := range c.Users {
		k := fmt.Sprintf("console.users[%d]", i)
		if u.Name == "" {
			return keyErr(k+".name", "required")
		}
		if names[strings.ToLower(u.Name)] {
			return keyErr(k+".name", "duplicate user %q", u.Name)
		}
		names[strings.ToLower(u.Name)] = true
		switch console.Role(u.Role) {
		case console.RoleViewer, console.RoleAdmin:
		default:
			return keyErr(k+".role", "must be viewer or admin, got %q", u.Role)
		}
		set := 0
		for _, v := range []string{u.PasswordHash, u.PasswordHashEnv, u.DemoPassword} {
			if v != "" {
				set++
			}
		}
		if set != 1 {
			return keyErr(k+".password_hash", "set exactly one of password_hash, password_hash_env and demo_password")
		}
		if u.PasswordHash != "" {
			if err := console.CheckHash(u.PasswordHash); err != nil {
				return keyErr(k+".password_hash", "%v (make one with `smsgw console hash-password`)", err)
			}
		}
		if u.DemoPassword != "" {
			if !cfg.Simulator.Enabled {
				return keyErr(k+".demo_password", "demo users are only allowed with simulator.enabled = true")
			}
			if len(u.DemoPassword) < console.MinPasswordLen {
				return keyErr(k+".demo_password", "must have at least %d characters", console.MinPasswordLen)
			}
		}
	}
	if c.Enabled {
		if len(c.Users) == 0 {
			return keyErr("console.users", "at least one user is required when console.enabled = true")
		}
		if cfg.HTTP.Listen == "" {
			return keyErr("console.enabled", "the console needs http.listen")
		}
	}
	return nil
}

// consoleUsers resolves the configured users' password hashes.
func (c *ConsoleConfig) consoleUsers() ([]console.User, error) {
	var out []console.User
	for i, u := range c.Users {
		k := fmt.Sprintf("console.users[%d]", i)
		hash := u.PasswordHash
		switch {
		case u.PasswordHashEnv != "":
			v, ok := os.LookupEnv(u.PasswordHashEnv)
			if !ok || v == "" {
				return nil, keyErr(k+".password_hash_env", "$%s is not set", u.PasswordHashEnv)
			}
			if err := console.CheckHash(strings.TrimSpace(v)); err != nil {
				return nil, keyErr(k+".password_hash_env", "$%s: %v", u.PasswordHashEnv, err)
			}
			hash = strings.TrimSpace(v)
		case u.DemoPassword != "":
			h, err := console.HashPassword(u.DemoPassword)
			if err != nil {
				return nil, keyErr(k+".demo_password", "%v", err)
			}
			hash = h
		}
		out = append(out, console.User{Name: u.Name, Role: console.Role(u.Role), PasswordHash: hash})
	}
	return out, nil
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
	loc, err := time.LoadLocation(a.Config.Cron.Timezone)
	if err != nil {
		return keyErr("cron.timezone", "%v", err)
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
		SessionLifetime: cfg.SessionLifetime.Duration,
		IdleTimeout:     cfg.IdleTimeout.Duration,
		SecureCookies:   cfg.SecureCookies,
		LoginAttempts:   cfg.LoginAttempts,
		LoginWindow:     cfg.LoginWindow.Duration,
		PageSize:        cfg.PageSize,
		ExportRows:      cfg.ExportRows,
		LockDurations:   locks,
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

// auditViews maps `smsgw audit` subcommands to console views.
var auditViews = map[string]string{
	"sms":       console.ViewSMS,
	"sessions":  console.ViewSessions,
	"customers": console.ViewCustomers,
	"ledger":    console.ViewLedger,
	"trail":     console.ViewAudit,
	"partners":  console.ViewPartners,
	"callbacks": console.ViewCallbacks,
}

const auditUsage = `audit sms|sessions|customers|ledger|trail|partners|callbacks [filters] [-format table|csv|json] [-limit N]
       audit tx <session-id> | audit transfer <transfer-id> [-format table|csv|json]
filters (as in the console):
  sms        -msisdn -short_code -keyword -direction in|out -status -since -until -session -transfer
  sessions   -msisdn -state awaiting_pin|confirmed|wrong_pin_locked|expired|cancelled|failed -since -until
  customers  -msisdn (prefix) -locked
  ledger     -account (required: an account number or id such as settlement:bank) -since -until
  trail      -actor -action -target -since -until
  partners   -partner -refid -trxid -msisdn (destination) -status pending|success|failed|unknown|20|40|10|open
             -since -until
  callbacks  -partner -status queued|sent|dead -trxid
times: 2025-03-01T10:00 (in cron.timezone), 2025-03-01, RFC 3339, or a duration such as 24h (that long ago)`

// cmdAudit is `smsgw audit`: the console's filtered views and transaction
// timelines, read from the store.
func cmdAudit(ctx context.Context, args []string, stdout io.Writer) error {
	if len(args) == 0 {
		return fmt.Errorf("%w: %s", errUsage, auditUsage)
	}
	sub := args[0]
	fs, path := newFlags("audit " + sub)
	format := fs.String("format", "table", "table, csv or json")
	limit := fs.Int("limit", 1000, "rows at most")
	filters := map[string]*string{}
	view, isView := auditViews[sub]
	switch {
	case isView:
		for _, name := range console.Filters(view) {
			filters[name] = fs.String(name, "", "filter "+name)
		}
	case sub == "tx" || sub == "transfer":
	default:
		return fmt.Errorf("%w: unknown audit view %q\n%s", errUsage, sub, auditUsage)
	}
	pos, err := parseFlags(fs, args[1:])
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(stdout, auditUsage)
		}
		return err
	}
	f, err := console.ParseFormat(*format)
	if err != nil {
		return fmt.Errorf("%w: audit: %v", errUsage, err)
	}
	var id int64
	if isView {
		if len(pos) != 0 {
			return fmt.Errorf("%w: audit %s takes no arguments, only flags", errUsage, sub)
		}
		if *limit <= 0 {
			return fmt.Errorf("%w: audit: -limit must be positive", errUsage)
		}
	} else {
		if len(pos) != 1 {
			return fmt.Errorf("%w: audit %s <id>", errUsage, sub)
		}
		if id, err = strconv.ParseInt(pos[0], 10, 64); err != nil || id <= 0 {
			return fmt.Errorf("%w: audit %s: want a positive id, got %q", errUsage, sub, pos[0])
		}
	}
	cfg, err := LoadConfig(*path)
	if err != nil {
		return err
	}
	loc, err := time.LoadLocation(cfg.Cron.Timezone)
	if err != nil {
		return keyErr("cron.timezone", "%v", err)
	}
	st, err := openStore(ctx, &cfg, slog.New(slog.DiscardHandler), time.Now)
	if err != nil {
		return err
	}
	defer st.Close()
	out := bufio.NewWriter(stdout)
	if !isView {
		err := console.ExportTransaction(ctx, st, id, sub == "transfer", f, out, loc)
		if smsgw.ErrorCode(err) == smsgw.ENotFound {
			return fmt.Errorf("audit %s %d: not found", sub, id)
		} else if err != nil {
			return fmt.Errorf("audit %s %d: %w", sub, id, err)
		}
		return out.Flush()
	}
	q := url.Values{}
	for name, v := range filters {
		if *v != "" {
			q.Set(name, *v)
		}
	}
	_, err = console.Export(ctx, st, view, q, f, out, console.ExportOptions{Location: loc, Now: time.Now(), MaxRows: *limit})
	var fe *console.FilterError
	if errors.As(err, &fe) {
		return fmt.Errorf("%w: audit %s: -%s", errUsage, sub, fe.Error())
	} else if err != nil {
		return fmt.Errorf("audit %s: %w", sub, err)
	}
	return out.Flush()
}

// cmdConsole is `smsgw console`: console account tools.
func cmdConsole(ctx context.Context, args []string, stdin io.Reader, stdout io.Writer) error {
	if len(args) == 0 || args[0] != "hash-password" {
		return fmt.Errorf("%w: console hash-password", errUsage)
	}
	fs := flag.NewFlagSet("console hash-password", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	if pos, err := parseFlags(fs, args[1:]); err != nil {
		return err
	} else if len(pos) > 0 {
		return fmt.Errorf("%w: console hash-password takes no arguments: the password is read from the terminal or stdin", errUsage)
	}
	pw, err := readPassword(stdin, stdout)
	if err != nil {
		return err
	}
	h, err := console.HashPassword(pw)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, h)
	return nil
}

// readPassword reads a password twice from the terminal without echo, or
// one line from stdin. Passwords are never taken from argv.
func readPassword(stdin io.Reader, stdout io.Writer) (string, error) {
	if f, ok := stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		var pws [2]string
		for i, prompt := range []string{"password: ", "again: "} {
			fmt.Fprint(stdout, prompt)
			b, err := term.ReadPassword(int(f.Fd()))
			fmt.Fprintln(stdout)
			if err != nil {
				return "", fmt.Errorf("read password: %w", err)
			}
			pws[i] = string(b)
		}
		if pws[0] != pws[1] {
			return "", errors.New("the passwords differ")
		}
		return pws[0], nil
	}
	line, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && !(errors.Is(err, io.EOF) && line != "") {
		return "", fmt.Errorf("read password from stdin: %w", err)
	}
	return strings.TrimRight(line, "\r\n"), nil
}
