package main

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"strings"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/smsgw/smsgw/domain"
	"github.com/smsgw/smsgw/h2h"
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
	// Reconcile schedules the daily reconciliation of every partner's
	// previous day, written under ReconcileDir (off when it is empty).
	Reconcile    string `toml:"reconcile"`
	ReconcileDir string `toml:"reconcile_dir"`

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
	Report            string   `toml:"report"`
	HTTPStatus        string   `toml:"http_status"`
	LegacyPlainPIN    bool     `toml:"legacy_plain_pin"`
	MaxAddresses      int      `toml:"max_addresses"`
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
		{"h2h.reconcile", &c.Reconcile, "30 1 * * *"},
	} {
		if *s.spec == "" {
			*s.spec = s.def
		}
		if _, err := parser.Parse(*s.spec); err != nil {
			return keyErr(s.key, "bad schedule %q: %v", *s.spec, err)
		}
	}
	if c.ReconcileDir != "" && strings.TrimSpace(c.ReconcileDir) != c.ReconcileDir {
		return keyErr("h2h.reconcile_dir", "must not start or end with spaces, got %q", c.ReconcileDir)
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
	for i := range c.Partners {
		p := &c.Partners[i]
		k := fmt.Sprintf("h2h.partner[%d]", i)
		if err := p.validate(k); err != nil {
			return err
		}
		if p.LegacyPlainPIN && c.TLSCertFile == "" && !hasSingleAddress(p.allow) {
			return keyErr(k+".legacy_plain_pin", "the clear-text pin form needs TLS (h2h.tls_cert_file) or a single address in allow")
		}
	}
	var pe *partner.PartnerError
	if err := partner.CheckPartners(c.partnerList()); errors.As(err, &pe) {
		return keyErr(fmt.Sprintf("h2h.partner[%d].%s", pe.Index, pe.Field), "%s", pe.Msg)
	} else if err != nil {
		return keyErr("h2h.partner", "%v", err)
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

// validate fills the defaults of one partner and checks the keys only the
// configuration has (the environment variable names, the account kinds,
// the address syntax); the rules of the partner and h2h packages are
// theirs (partner.CheckPartners, h2h.Partner.CheckSettings), reported
// against the partner's keys.
func (p *H2HPartnerConfig) validate(k string) error {
	if p.Signature == "" {
		p.Signature = h2h.SchemeHMAC
	}
	if p.Signature == h2h.SchemeOtomaX {
		if p.PINEnv == "" || p.PasswordEnv == "" {
			return keyErr(k+".pin_env", "pin_env and password_env are required with signature = \"otomax\"")
		}
		if p.VA {
			return keyErr(k+".va", "bank payment confirmations need signature = \"hmac\"")
		}
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
	var err error
	if p.allow, err = parseAllow(k+".allow", p.Allow); err != nil {
		return err
	}
	if p.Mode == "" {
		p.Mode = partner.ModeImmediate
	}
	if p.Format == "" {
		p.Format = h2h.FormatJSON
	}
	if p.Report == "" {
		p.Report = h2h.DefaultReport(p.Signature, p.Format)
	}
	if p.HTTPStatus == "" {
		p.HTTPStatus = h2h.DefaultHTTPStatus(p.Format)
	}
	// The rules of the h2h package on the settings (signature, allow,
	// format, callback_url), reported against their keys.
	settings := p.transport()
	var fe *h2h.FieldError
	if err := settings.CheckSettings(); errors.As(err, &fe) {
		return keyErr(k+"."+fe.Field, "%s", fe.Msg)
	} else if err != nil {
		return keyErr(k, "%v", err)
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
	o.Partners = c.partnerList()
	return o
}

// partnerList is the domain side of the [[h2h.partner]] sections.
func (c *H2HConfig) partnerList() []partner.Partner {
	var ps []partner.Partner
	for i := range c.Partners {
		ps = append(ps, c.Partners[i].domain())
	}
	return ps
}

// domain is the partner as package partner knows it.
func (p *H2HPartnerConfig) domain() partner.Partner {
	return partner.Partner{ID: p.ID, Mode: p.Mode, Deposit: domain.AccountID(p.Deposit), VA: p.VA,
		Settlement: domain.AccountID(p.Settlement)}
}

// transport is the partner's h2h settings, without its secrets.
func (p *H2HPartnerConfig) transport() h2h.Partner {
	return h2h.Partner{ID: p.ID, Scheme: p.Signature, BasicUser: p.BasicUser, Allow: p.allow, Format: p.Format,
		Report: p.Report, HTTPStatus: p.HTTPStatus, LegacyPlainPIN: p.LegacyPlainPIN, MaxAddresses: p.MaxAddresses,
		CallbackURL: p.CallbackURL, CallbackAck: p.CallbackAck}
}

// hasSingleAddress reports whether ps holds a single address (not a range).
func hasSingleAddress(ps []netip.Prefix) bool {
	for _, p := range ps {
		if p.IsSingleIP() {
			return true
		}
	}
	return false
}

// warnings are the settings of [h2h] that are allowed but weaken its
// security: each partner that accepts the clear-text pin form. The daemon
// logs them at start, the console shows them and check-config prints them.
func (c *H2HConfig) warnings() []string {
	if !c.Enabled {
		return nil
	}
	var out []string
	for i, p := range c.Partners {
		if p.LegacyPlainPIN {
			out = append(out, fmt.Sprintf("h2h.partner[%d].legacy_plain_pin: partner %q may send its pin and password in clear "+
				"(the kiosAMPM form); use the signed form when its software allows", i, p.ID))
		}
	}
	return out
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
	a := p.transport()
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

// parseAllow reads a list of address ranges (CIDR, or a single address)
// from the config key key.
func parseAllow(key string, list []string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for j, a := range list {
		pfx, err := netip.ParsePrefix(a)
		if err != nil {
			addr, aerr := netip.ParseAddr(a)
			if aerr != nil {
				return nil, keyErr(fmt.Sprintf("%s[%d]", key, j), "not a CIDR range or address: %q", a)
			}
			pfx = netip.PrefixFrom(addr, addr.BitLen())
		}
		out = append(out, pfx.Masked())
	}
	return out, nil
}
