package main

import (
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
	"github.com/robfig/cron/v3"

	"github.com/smsgw/smsgw/console"
	"github.com/smsgw/smsgw/esme"
	"github.com/smsgw/smsgw/report"
)

// DefaultBulkRate is the default of [outbox] bulk_rate: bulk MTs (expiry
// notices) a second.
const DefaultBulkRate = 1000

// Config is the whole of config.toml. Every key is documented in the
// repository's config.toml.
type Config struct {
	Log        LogConfig         `toml:"log"`
	Database   DatabaseConfig    `toml:"database"`
	HTTP       HTTPConfig        `toml:"http"`
	Security   SecurityConfig    `toml:"security"`
	Simulator  SimulatorConfig   `toml:"simulator"`
	Binds      []BindConfig      `toml:"bind"`
	Routing    RoutingConfig     `toml:"routing"`
	ShortCodes ShortCodeConfig   `toml:"shortcodes"`
	Keywords   KeywordsConfig    `toml:"keywords"`
	Nominal    NominalConfig     `toml:"nominal"`
	Session    SessionConfig     `toml:"session"`
	PIN        PINConfig         `toml:"pin"`
	Abuse      AbuseConfig       `toml:"abuse"`
	Cron       CronConfig        `toml:"cron"`
	Display    DisplayConfig     `toml:"display"`
	Outbox     OutboxConfig      `toml:"outbox"`
	Inbox      InboxConfig       `toml:"inbox"`
	Messages   map[string]string `toml:"messages"`
	Demo       DemoConfig        `toml:"demo"`
	Console    ConsoleConfig     `toml:"console"`
	H2H        H2HConfig         `toml:"h2h"`
	USSD       USSDConfig        `toml:"ussd"`
	Ledger     LedgerConfig      `toml:"ledger"`

	dir string // directory of the config file; relative paths resolve against it
}

// LogConfig selects the slog handler.
type LogConfig struct {
	Level  string `toml:"level"`
	Format string `toml:"format"`
}

// DatabaseConfig chooses the store: the embedded SQLite file (default) or
// a PostgreSQL database shared by several daemons.
type DatabaseConfig struct {
	// Driver is sqlite (default) or postgres.
	Driver      string   `toml:"driver"`
	Path        string   `toml:"path"`
	BusyTimeout Duration `toml:"busy_timeout"`
	// Synchronous is full (default) or normal; see config.toml for what a
	// crash can cost in each.
	Synchronous string `toml:"synchronous"`
	// DSNEnv names the environment variable holding the PostgreSQL URL
	// (with its password, which never goes in the config file).
	DSNEnv string `toml:"dsn_env"`
	// MaxConns is the PostgreSQL pool size (0: the larger of 4 and the
	// number of CPUs).
	MaxConns int `toml:"max_conns"`
	// StatementTimeout ends a PostgreSQL statement that runs longer.
	StatementTimeout Duration `toml:"statement_timeout"`
	// Node names this daemon among those sharing a PostgreSQL database
	// (default: the host name).
	Node string `toml:"node"`
}

// HTTPConfig is the operator/simulator HTTP listener.
type HTTPConfig struct {
	Listen string `toml:"listen"`
	// Pprof serves /debug/pprof/ to loopback clients (default true).
	Pprof bool `toml:"pprof"`
}

// SecurityConfig says where the PIN key comes from: never the database.
type SecurityConfig struct {
	PINKeyEnv    string `toml:"pin_key_env"`
	PINKeyFile   string `toml:"pin_key_file"`
	CreatePINKey bool   `toml:"create_pin_key"`
}

// SimulatorConfig is the in-process SMSC for running without an operator.
type SimulatorConfig struct {
	Enabled     bool     `toml:"enabled"`
	Listen      string   `toml:"listen"`
	SystemID    string   `toml:"system_id"`
	Password    string   `toml:"password"`
	PasswordEnv string   `toml:"password_env"`
	DLRDelay    Duration `toml:"dlr_delay"`
	// USSDTimeout is how long the simulated network keeps a USSD session
	// without the subscriber's input before it releases it.
	USSDTimeout Duration `toml:"ussd_timeout"`
	// Operators, when given, make the simulator play several operators,
	// each its own SMSC on its own listen address with its own
	// subscribers; Listen is then unused.
	Operators []SimOperatorConfig `toml:"operator"`
}

// BindConfig is one SMPP bind to an SMSC.
type BindConfig struct {
	Name string `toml:"name"`
	// Operator groups binds: the operator (route) of the SMSC this bind
	// reaches; "" is the one default group.
	Operator           string   `toml:"operator"`
	Host               string   `toml:"host"`
	Port               int      `toml:"port"`
	SystemID           string   `toml:"system_id"`
	Password           string   `toml:"password"`
	PasswordEnv        string   `toml:"password_env"`
	SystemType         string   `toml:"system_type"`
	Mode               string   `toml:"mode"`
	Window             int      `toml:"window"`
	Throughput         float64  `toml:"throughput"`
	EnquireLink        Duration `toml:"enquire_link"`
	ResponseTimeout    Duration `toml:"response_timeout"`
	TLS                bool     `toml:"tls"`
	TLSSkipVerify      bool     `toml:"tls_skip_verify"`
	Concat             string   `toml:"concat"`
	DLRIDMode          string   `toml:"dlr_id_mode"`
	RegisteredDelivery bool     `toml:"registered_delivery"`
	SourceTON          int      `toml:"source_ton"`
	SourceNPI          int      `toml:"source_npi"`
	DestTON            int      `toml:"dest_ton"`
	DestNPI            int      `toml:"dest_npi"`
	// Workers is how many MOs of this bind are stored at once (the store
	// commits concurrent ones together; 64 by default); one sender's MOs
	// still go one at a time.
	Workers int `toml:"workers"`
	// ReplyAddress is as_received (a reply goes to the sender address as
	// the MO brought it: digits, TON, NPI) or international (to the
	// canonical 62... number with dest_ton/dest_npi).
	ReplyAddress string `toml:"reply_address"`
	// USSD is how this SMSC marks USSD: service_op (the ussd_service_op
	// TLV, default), service_type (service_type "USSD", no operation) or
	// off (no USSD on this bind).
	USSD string `toml:"ussd"`
}

// ShortCodeConfig names the two short codes of the flow.
type ShortCodeConfig struct {
	Request string `toml:"request"`
	PIN     string `toml:"pin"`
}

// KeywordsConfig gives the aliases of each canonical keyword.
type KeywordsConfig struct {
	Aliases map[string][]string `toml:"aliases"`
}

// NominalConfig is the top-up amount policy.
type NominalConfig struct {
	Allowed []int64 `toml:"allowed"`
	Min     int64   `toml:"min"`
	Max     int64   `toml:"max"`
}

// SessionConfig is the PIN session policy.
type SessionConfig struct {
	TTL         Duration `toml:"ttl"`
	DedupWindow Duration `toml:"dedup_window"`
	// ConcatTimeout is how long the stored parts of a concatenated MO
	// wait for the rest.
	ConcatTimeout Duration `toml:"concat_timeout"`
}

// LedgerConfig holds the rules of ledger corrections.
type LedgerConfig struct {
	// CorrectionTTL is how long a requested reversal or refund waits for
	// another operator's decision before it expires.
	CorrectionTTL Duration `toml:"correction_ttl"`
}

// PINConfig is the PIN policy.
type PINConfig struct {
	MaxAttempts  int      `toml:"max_attempts"`
	LockDuration Duration `toml:"lock_duration"`
	MinLength    int      `toml:"min_length"`
	MaxLength    int      `toml:"max_length"`
}

// AbuseConfig holds the per-sender limits (smsgw.AbuseRules).
type AbuseConfig struct {
	MOPerMinute   int      `toml:"mo_per_minute"`
	MOBurst       int      `toml:"mo_burst"`
	MOBlock       Duration `toml:"mo_block"`
	MaxAccounts   int      `toml:"max_accounts"`
	AccountWindow Duration `toml:"account_window"`
}

// CronConfig holds robfig/cron schedules.
type CronConfig struct {
	Timezone       string `toml:"timezone"`
	ExpireSessions string `toml:"expire_sessions"`
	UnlockPINs     string `toml:"unlock_pins"`
	PurgeDedup     string `toml:"purge_dedup"`
	DailySummary   string `toml:"daily_summary"`
}

// DisplayConfig is how times are shown to people.
type DisplayConfig struct {
	// Timezone is the one zone of every time shown to people: the CLI's
	// tables, the console's pages and filters, and SMS texts.
	Timezone string `toml:"timezone"`
}

// OutboxConfig bounds MT retries.
type OutboxConfig struct {
	MaxAttempts int      `toml:"max_attempts"`
	RetryBase   Duration `toml:"retry_base"`
	Poll        Duration `toml:"poll"`
	BulkRate    int      `toml:"bulk_rate"`
}

// InboxConfig bounds the work between storing MOs and answering them.
type InboxConfig struct {
	MaxBacklog      int      `toml:"max_backlog"`
	BacklogWait     Duration `toml:"backlog_wait"`
	Workers         int      `toml:"workers"`
	DeferProcessing bool     `toml:"defer_processing"`
}

// DemoConfig seeds customers for the simulator so the happy path works on
// first start.
type DemoConfig struct {
	Customers []DemoCustomer `toml:"customers"`
}

// DemoCustomer is one seeded customer. The PIN is demo data for the
// simulator only; Validate refuses demo customers without the simulator.
type DemoCustomer struct {
	MSISDN  string `toml:"msisdn"`
	Account string `toml:"account"`
	Name    string `toml:"name"`
	PIN     string `toml:"pin"`
}

// Duration is a time.Duration written as a string ("30s") in TOML.
type Duration struct{ time.Duration }

// UnmarshalText parses a Go duration string.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return fmt.Errorf("not a duration (e.g. \"30s\", \"5m\"): %q", string(b))
	}
	d.Duration = v
	return nil
}

// MarshalText formats the duration.
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// DefaultConfig is what an empty file means.
func DefaultConfig() Config {
	return Config{
		Log: LogConfig{Level: "info", Format: "text"},
		Database: DatabaseConfig{Driver: "sqlite", Path: "data/smsgw.db", BusyTimeout: Duration{5 * time.Second}, Synchronous: "full",
			DSNEnv: "SMSGW_DATABASE_URL", StatementTimeout: Duration{30 * time.Second}},
		HTTP:       HTTPConfig{Listen: "127.0.0.1:8080", Pprof: true},
		Security:   SecurityConfig{PINKeyEnv: "SMSGW_PIN_KEY"},
		Simulator:  SimulatorConfig{Listen: "127.0.0.1:2775", SystemID: "smsgw", DLRDelay: Duration{500 * time.Millisecond}, USSDTimeout: Duration{180 * time.Second}},
		ShortCodes: ShortCodeConfig{Request: "9779", PIN: "3355"},
		Nominal: NominalConfig{
			Allowed: []int64{50000, 75000, 100000, 150000, 300000, 500000},
			Min:     50000, Max: 5000000,
		},
		Session: SessionConfig{TTL: Duration{5 * time.Minute}, DedupWindow: Duration{2 * time.Minute}, ConcatTimeout: Duration{10 * time.Minute}},
		PIN:     PINConfig{MaxAttempts: 3, LockDuration: Duration{30 * time.Minute}, MinLength: 6, MaxLength: 6},
		Abuse: AbuseConfig{MOPerMinute: 6, MOBurst: 10, MOBlock: Duration{5 * time.Minute},
			MaxAccounts: 5, AccountWindow: Duration{time.Hour}},
		Cron: CronConfig{
			Timezone:       "Asia/Jakarta",
			ExpireSessions: "@every 15s",
			UnlockPINs:     "@every 1m",
			PurgeDedup:     "@every 10m",
			DailySummary:   "0 0 * * *",
		},
		Display: DisplayConfig{Timezone: "Asia/Jakarta"},
		Outbox:  OutboxConfig{MaxAttempts: 10, RetryBase: Duration{2 * time.Second}, Poll: Duration{time.Second}, BulkRate: DefaultBulkRate},
		Inbox:   InboxConfig{MaxBacklog: 2000, BacklogWait: Duration{500 * time.Millisecond}, Workers: 128},
		USSD:    defaultUSSD(),
		Ledger:  LedgerConfig{CorrectionTTL: Duration{24 * time.Hour}},
	}
}

func defaultBind(b BindConfig) BindConfig {
	if b.Mode == "" {
		b.Mode = "transceiver"
	}
	if b.Window == 0 {
		b.Window = 10
	}
	if b.EnquireLink.Duration == 0 {
		b.EnquireLink.Duration = 30 * time.Second
	}
	if b.ResponseTimeout.Duration == 0 {
		b.ResponseTimeout.Duration = 10 * time.Second
	}
	if b.Concat == "" {
		b.Concat = "udh8"
	}
	if b.DLRIDMode == "" {
		b.DLRIDMode = "auto"
	}
	if b.Workers == 0 {
		b.Workers = 64
	}
	if b.ReplyAddress == "" {
		b.ReplyAddress = "as_received"
	}
	if b.USSD == "" {
		b.USSD = string(esme.USSDServiceOp)
	}
	return b
}

// Warnings lists the settings that are valid but weaken security (the
// clear-text pin form of a partner, h2h.partner[].legacy_plain_pin), each
// naming its key. check-config prints them, the daemon logs them at start
// and the console shows them.
func (c *Config) Warnings() []string { return c.H2H.warnings() }

// LoadConfig reads path over DefaultConfig. Unknown keys, bad values and
// missing required values are errors naming the key.
func LoadConfig(path string) (Config, error) {
	cfg := DefaultConfig()
	b, err := os.ReadFile(path)
	if err != nil {
		return cfg, fmt.Errorf("config: %w", err)
	}
	md, err := toml.Decode(string(b), &cfg)
	if err != nil {
		var perr toml.ParseError
		if errors.As(err, &perr) {
			// Not perr.ErrorWithPosition: it panics on some inputs (an
			// unterminated string ending in a backslash on the last line).
			where := fmt.Sprintf("line %d", max(perr.Position.Line, 1))
			if perr.Position.Col > 0 {
				where += fmt.Sprintf(", column %d", perr.Position.Col)
			}
			if perr.LastKey != "" {
				where += fmt.Sprintf(" (after key %s)", perr.LastKey)
			}
			return cfg, fmt.Errorf("config %s: %s: %s", path, where, perr.Message)
		}
		return cfg, fmt.Errorf("config %s: %w", path, err)
	}
	if und := md.Undecoded(); len(und) > 0 {
		keys := make([]string, len(und))
		for i, k := range und {
			keys[i] = k.String()
		}
		sort.Strings(keys)
		return cfg, fmt.Errorf("config %s: unknown key %s", path, strings.Join(keys, ", "))
	}
	for i := range cfg.Binds {
		cfg.Binds[i] = defaultBind(cfg.Binds[i])
	}
	if abs, err := filepath.Abs(path); err == nil {
		cfg.dir = filepath.Dir(abs)
	}
	if err := cfg.Validate(); err != nil {
		return cfg, fmt.Errorf("config %s: %w", path, err)
	}
	return cfg, nil
}

// resolve makes p absolute relative to the config file's directory.
func (c *Config) resolve(p string) string {
	if p == "" || filepath.IsAbs(p) || c.dir == "" {
		return p
	}
	return filepath.Join(c.dir, p)
}

func keyErr(key string, format string, args ...any) error {
	return fmt.Errorf("%s: %s", key, fmt.Sprintf(format, args...))
}

// Validate checks values; each error names its key.
func (c *Config) Validate() error {
	if err := c.Console.validate(c); err != nil {
		return err
	}
	if err := c.H2H.validate(); err != nil {
		return err
	}
	if err := c.USSD.validate(); err != nil {
		return err
	}
	switch c.Log.Level {
	case "debug", "info", "warn", "error":
	default:
		return keyErr("log.level", "must be debug, info, warn or error, got %q", c.Log.Level)
	}
	switch c.Log.Format {
	case "text", "json":
	default:
		return keyErr("log.format", "must be text or json, got %q", c.Log.Format)
	}
	switch c.Database.Driver {
	case "", "sqlite":
		if c.Database.Path == "" {
			return keyErr("database.path", "required")
		}
	case "postgres":
		if c.Database.DSNEnv == "" {
			return keyErr("database.dsn_env", "required with driver postgres: the name of the environment variable holding the database URL")
		}
	default:
		return keyErr("database.driver", "must be sqlite or postgres, got %q", c.Database.Driver)
	}
	if c.Database.MaxConns < 0 || c.Database.MaxConns > 10000 {
		return keyErr("database.max_conns", "must be between 0 and 10000, got %d", c.Database.MaxConns)
	}
	if c.Database.StatementTimeout.Duration < 0 {
		return keyErr("database.statement_timeout", "must not be negative")
	}
	switch strings.ToLower(c.Database.Synchronous) {
	case "", "full", "normal":
	default:
		return keyErr("database.synchronous", "must be full or normal, got %q", c.Database.Synchronous)
	}
	if c.HTTP.Listen != "" {
		if _, _, err := net.SplitHostPort(c.HTTP.Listen); err != nil {
			return keyErr("http.listen", "%v", err)
		}
	}
	if c.Security.PINKeyEnv == "" && c.Security.PINKeyFile == "" {
		return keyErr("security.pin_key_env", "set pin_key_env or pin_key_file: the PIN key never comes from the database")
	}
	if c.Simulator.Enabled {
		if _, _, err := net.SplitHostPort(c.Simulator.Listen); err != nil && len(c.Simulator.Operators) == 0 {
			return keyErr("simulator.listen", "%v", err)
		}
		if d := c.Simulator.USSDTimeout.Duration; d < time.Second || d > 30*time.Minute {
			return keyErr("simulator.ussd_timeout", "must be 1s..30m, got %s", d)
		}
	}
	if len(c.Binds) == 0 {
		return keyErr("bind", "at least one [[bind]] is required")
	}
	names := map[string]bool{}
	for i, b := range c.Binds {
		k := fmt.Sprintf("bind[%d]", i)
		if b.Name == "" {
			return keyErr(k+".name", "required")
		}
		if names[b.Name] {
			return keyErr(k+".name", "duplicate bind name %q", b.Name)
		}
		names[b.Name] = true
		if b.Host == "" {
			return keyErr(k+".host", "required")
		}
		if b.Port <= 0 || b.Port > 65535 {
			return keyErr(k+".port", "must be 1..65535, got %d", b.Port)
		}
		if b.SystemID == "" || len(b.SystemID) > 15 {
			return keyErr(k+".system_id", "required, at most 15 characters")
		}
		if len(b.Password) > 8 {
			return keyErr(k+".password", "at most 8 characters (SMPP 3.4)")
		}
		if b.Password != "" && b.PasswordEnv != "" {
			return keyErr(k+".password_env", "set password or password_env, not both")
		}
		if len(b.SystemType) > 12 {
			return keyErr(k+".system_type", "at most 12 characters")
		}
		switch b.Mode {
		case "transceiver", "transmitter_receiver":
		default:
			return keyErr(k+".mode", "must be transceiver or transmitter_receiver, got %q", b.Mode)
		}
		if b.Window < 1 || b.Window > 1000 {
			return keyErr(k+".window", "must be 1..1000, got %d", b.Window)
		}
		if b.Throughput < 0 {
			return keyErr(k+".throughput", "must be >= 0 (0 = unlimited)")
		}
		if b.Workers < 1 || b.Workers > 1000 {
			return keyErr(k+".workers", "must be 1..1000, got %d", b.Workers)
		}
		switch b.ReplyAddress {
		case "as_received", "international":
		default:
			return keyErr(k+".reply_address", "must be as_received or international, got %q", b.ReplyAddress)
		}
		switch esme.USSDMode(b.USSD) {
		case esme.USSDServiceOp, esme.USSDServiceType, esme.USSDOff:
		default:
			return keyErr(k+".ussd", "must be service_op, service_type or off, got %q", b.USSD)
		}
		if b.EnquireLink.Duration < 100*time.Millisecond {
			return keyErr(k+".enquire_link", "must be at least 100ms")
		}
		if b.ResponseTimeout.Duration < 100*time.Millisecond {
			return keyErr(k+".response_timeout", "must be at least 100ms")
		}
		switch b.Concat {
		case "udh8", "udh16", "sar", "payload":
		default:
			return keyErr(k+".concat", "must be udh8, udh16, sar or payload, got %q", b.Concat)
		}
		switch b.DLRIDMode {
		case "exact", "auto", "hex_to_dec", "dec_to_hex":
		default:
			return keyErr(k+".dlr_id_mode", "must be exact, auto, hex_to_dec or dec_to_hex, got %q", b.DLRIDMode)
		}
		for _, f := range []struct {
			key string
			v   int
		}{{"source_ton", b.SourceTON}, {"source_npi", b.SourceNPI}, {"dest_ton", b.DestTON}, {"dest_npi", b.DestNPI}} {
			if f.v < 0 || f.v > 255 {
				return keyErr(k+"."+f.key, "must be 0..255")
			}
		}
	}
	if err := c.validateRouting(); err != nil {
		return err
	}
	if !isDigits(c.ShortCodes.Request) {
		return keyErr("shortcodes.request", "must be digits, got %q", c.ShortCodes.Request)
	}
	if !isDigits(c.ShortCodes.PIN) {
		return keyErr("shortcodes.pin", "must be digits, got %q", c.ShortCodes.PIN)
	}
	if c.ShortCodes.Request == c.ShortCodes.PIN {
		return keyErr("shortcodes.pin", "must differ from shortcodes.request")
	}
	if c.Nominal.Min <= 0 {
		return keyErr("nominal.min", "must be > 0")
	}
	if c.Nominal.Max < c.Nominal.Min {
		return keyErr("nominal.max", "must be >= nominal.min")
	}
	for i, a := range c.Nominal.Allowed {
		if a < c.Nominal.Min || a > c.Nominal.Max {
			return keyErr(fmt.Sprintf("nominal.allowed[%d]", i), "%d is outside min..max (%d..%d)", a, c.Nominal.Min, c.Nominal.Max)
		}
	}
	if c.Session.TTL.Duration < time.Second {
		return keyErr("session.ttl", "must be at least 1s")
	}
	if c.Session.DedupWindow.Duration < time.Second {
		return keyErr("session.dedup_window", "must be at least 1s")
	}
	if d := c.Ledger.CorrectionTTL.Duration; d < time.Minute || d > 30*24*time.Hour {
		return keyErr("ledger.correction_ttl", "must be 1m..720h, got %s", d)
	}
	if c.Session.ConcatTimeout.Duration < time.Second {
		return keyErr("session.concat_timeout", "must be at least 1s")
	}
	if c.PIN.MaxAttempts < 1 || c.PIN.MaxAttempts > 10 {
		return keyErr("pin.max_attempts", "must be 1..10")
	}
	if c.PIN.LockDuration.Duration < time.Second {
		return keyErr("pin.lock_duration", "must be at least 1s")
	}
	if c.PIN.MinLength < 4 || c.PIN.MaxLength > 12 || c.PIN.MaxLength < c.PIN.MinLength {
		return keyErr("pin.min_length", "need 4 <= min_length <= max_length <= 12")
	}
	if c.Abuse.MOPerMinute < 0 || c.Abuse.MOPerMinute > 6000 {
		return keyErr("abuse.mo_per_minute", "must be 0..6000 (0 turns the MO rate limit off), got %d", c.Abuse.MOPerMinute)
	}
	if c.Abuse.MOPerMinute > 0 {
		if c.Abuse.MOBurst < 1 || c.Abuse.MOBurst > 10000 {
			return keyErr("abuse.mo_burst", "must be 1..10000, got %d", c.Abuse.MOBurst)
		}
		if c.Abuse.MOBlock.Duration < time.Minute || c.Abuse.MOBlock.Duration > 24*time.Hour {
			return keyErr("abuse.mo_block", "must be 1m..24h, got %s", c.Abuse.MOBlock.Duration)
		}
	}
	if c.Abuse.MaxAccounts < 0 || c.Abuse.MaxAccounts > 1000 {
		return keyErr("abuse.max_accounts", "must be 0..1000 (0 turns the limit off), got %d", c.Abuse.MaxAccounts)
	}
	if c.Abuse.MaxAccounts > 0 && (c.Abuse.AccountWindow.Duration < time.Minute || c.Abuse.AccountWindow.Duration > 30*24*time.Hour) {
		return keyErr("abuse.account_window", "must be 1m..720h, got %s", c.Abuse.AccountWindow.Duration)
	}
	if _, err := time.LoadLocation(c.Cron.Timezone); err != nil {
		return keyErr("cron.timezone", "%v", err)
	}
	if _, err := c.location(); err != nil {
		return err
	}
	parser := cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)
	for _, s := range []struct{ key, spec string }{
		{"cron.expire_sessions", c.Cron.ExpireSessions},
		{"cron.unlock_pins", c.Cron.UnlockPINs},
		{"cron.purge_dedup", c.Cron.PurgeDedup},
		{"cron.daily_summary", c.Cron.DailySummary},
	} {
		if _, err := parser.Parse(s.spec); err != nil {
			return keyErr(s.key, "bad schedule %q: %v", s.spec, err)
		}
	}
	if c.Outbox.MaxAttempts < 1 {
		return keyErr("outbox.max_attempts", "must be >= 1")
	}
	if c.Outbox.RetryBase.Duration <= 0 {
		return keyErr("outbox.retry_base", "must be > 0")
	}
	if c.Outbox.Poll.Duration <= 0 {
		return keyErr("outbox.poll", "must be > 0")
	}
	if c.Outbox.BulkRate < 0 {
		return keyErr("outbox.bulk_rate", "must be >= 0 (0: not paced), got %d", c.Outbox.BulkRate)
	}
	if c.Inbox.MaxBacklog < 0 {
		return keyErr("inbox.max_backlog", "must be >= 0 (0: no bound)")
	}
	if c.Inbox.BacklogWait.Duration < 0 || c.Inbox.BacklogWait.Duration > 10*time.Second {
		return keyErr("inbox.backlog_wait", "must be 0s..10s (an SMSC waits for the answer)")
	}
	if c.Inbox.Workers < 1 || c.Inbox.Workers > 1000 {
		return keyErr("inbox.workers", "must be 1..1000, got %d", c.Inbox.Workers)
	}
	if len(c.Demo.Customers) > 0 && !c.Simulator.Enabled {
		return keyErr("demo.customers", "demo customers are only allowed with simulator.enabled = true")
	}
	for i, d := range c.Demo.Customers {
		if d.MSISDN == "" || d.Account == "" || d.PIN == "" {
			return keyErr(fmt.Sprintf("demo.customers[%d]", i), "msisdn, account and pin are required")
		}
	}
	// The keyword table and the reply templates are checked by building
	// them, as the daemon and SIGHUP do.
	if _, err := buildRules(c); err != nil {
		return err
	}
	return nil
}

// location is display.timezone loaded: the zone of times shown to people.
func (c *Config) location() (*time.Location, error) {
	loc, err := time.LoadLocation(c.Display.Timezone)
	if err != nil || c.Display.Timezone == "" {
		return nil, keyErr("display.timezone", "want an IANA zone such as Asia/Jakarta, got %q", c.Display.Timezone)
	}
	return loc, nil
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	_, err := strconv.ParseUint(s, 10, 64)
	return err == nil && !strings.HasPrefix(s, "+")
}

// pinKey loads the PIN key: from the environment variable if set, else
// from the key file (hex), creating the file with a random key when
// create_pin_key is true.
func (c *Config) pinKey(randKey func() ([]byte, error)) ([]byte, error) {
	if c.Security.PINKeyEnv != "" {
		if v := os.Getenv(c.Security.PINKeyEnv); v != "" {
			k, err := hex.DecodeString(strings.TrimSpace(v))
			if err != nil {
				return nil, keyErr("security.pin_key_env", "$%s must be hex", c.Security.PINKeyEnv)
			}
			return k, nil
		}
	}
	if c.Security.PINKeyFile == "" {
		return nil, keyErr("security.pin_key_env", "$%s is not set and no pin_key_file is configured", c.Security.PINKeyEnv)
	}
	path := c.resolve(c.Security.PINKeyFile)
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) && c.Security.CreatePINKey {
		k, err := randKey()
		if err != nil {
			return nil, err
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return nil, keyErr("security.pin_key_file", "%v", err)
		}
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return nil, keyErr("security.pin_key_file", "%v", err)
		}
		if _, err := f.WriteString(hex.EncodeToString(k) + "\n"); err != nil {
			f.Close()
			return nil, keyErr("security.pin_key_file", "%v", err)
		}
		if err := f.Close(); err != nil {
			return nil, keyErr("security.pin_key_file", "%v", err)
		}
		return k, nil
	}
	if err != nil {
		return nil, keyErr("security.pin_key_file", "%v", err)
	}
	k, err := hex.DecodeString(strings.TrimSpace(string(b)))
	if err != nil {
		return nil, keyErr("security.pin_key_file", "%s must hold a hex key", path)
	}
	return k, nil
}

// bindPassword returns the bind's password from config or environment.
func (b *BindConfig) bindPassword() (string, error) {
	if b.PasswordEnv == "" {
		return b.Password, nil
	}
	v, ok := os.LookupEnv(b.PasswordEnv)
	if !ok {
		return "", fmt.Errorf("bind %q: password_env: $%s is not set", b.Name, b.PasswordEnv)
	}
	if len(v) > 8 {
		return "", fmt.Errorf("bind %q: password_env: $%s holds more than 8 characters (SMPP 3.4 limit)", b.Name, b.PasswordEnv)
	}
	return v, nil
}

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
		return keyErr("console.export_rows", "must be 1..10000000 (0 for the default %d)", report.DefaultExportRows)
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
