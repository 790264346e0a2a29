package main

import (
	"fmt"
	"net/http"
	"net/netip"
	"time"

	"github.com/smsgw/smsgw/ussd"
)

// USSDConfig is the [ussd] section: the USSD menu's channels. The menu
// itself (screen texts) is in [messages] with the other replies.
type USSDConfig struct {
	// HTTP serves the aggregator convention at HTTPPath on the [http]
	// listener, for the addresses in HTTPAllow; HTTPTokenEnv names the
	// environment variable of an optional shared token.
	HTTP         bool     `toml:"http"`
	HTTPPath     string   `toml:"http_path"`
	HTTPAllow    []string `toml:"http_allow"`
	HTTPTokenEnv string   `toml:"http_token_env"`
	// AnswerTimeout bounds the answer to one screen.
	AnswerTimeout Duration `toml:"answer_timeout"`
	// SessionLifetime is how long a USSD network session over SMPP is
	// kept without a message (the network's own timer is usually shorter).
	SessionLifetime Duration `toml:"session_lifetime"`

	allow []netip.Prefix
}

func defaultUSSD() USSDConfig {
	return USSDConfig{HTTPPath: "/ussd", HTTPAllow: []string{"127.0.0.1/32", "::1/128"}, AnswerTimeout: Duration{5 * time.Second},
		SessionLifetime: Duration{180 * time.Second}}
}

func (c *USSDConfig) validate() error {
	if c.HTTPPath == "" || c.HTTPPath[0] != '/' || len(c.HTTPPath) > 64 {
		return keyErr("ussd.http_path", "must be a path starting with /, got %q", c.HTTPPath)
	}
	var err error
	if c.allow, err = parseAllow("ussd.http_allow", c.HTTPAllow); err != nil {
		return err
	}
	if c.HTTP && len(c.allow) == 0 {
		return keyErr("ussd.http_allow", "at least one address range is required with ussd.http = true")
	}
	if c.HTTPTokenEnv != "" && !validEnvName(c.HTTPTokenEnv) {
		return keyErr("ussd.http_token_env", "must name an environment variable ([A-Z0-9_]), got %q", c.HTTPTokenEnv)
	}
	if d := c.AnswerTimeout.Duration; d < 500*time.Millisecond || d > 30*time.Second {
		return keyErr("ussd.answer_timeout", "must be 500ms..30s, got %s", d)
	}
	if d := c.SessionLifetime.Duration; d < 10*time.Second || d > 30*time.Minute {
		return keyErr("ussd.session_lifetime", "must be 10s..30m, got %s", d)
	}
	return nil
}

// mountUSSD adds the aggregator channel to mux when [ussd] http is on.
func (a *App) mountUSSD(mux *http.ServeMux) error {
	cfg := &a.Config.USSD
	if !cfg.HTTP {
		return nil
	}
	var token string
	if cfg.HTTPTokenEnv != "" {
		if token = getenv(cfg.HTTPTokenEnv); token == "" {
			return keyErr("ussd.http_token_env", "environment variable %s is empty", cfg.HTTPTokenEnv)
		}
	}
	h, err := ussd.NewHTTP(ussd.HTTPOptions{Engine: a.gw, Allow: cfg.allow, Token: token,
		Timeout: cfg.AnswerTimeout.Duration, Observer: a.mets, Logger: a.Logger})
	if err != nil {
		return fmt.Errorf("ussd: %w", err)
	}
	mux.Handle(cfg.HTTPPath, h)
	a.Logger.Info("USSD over HTTP enabled", "path", cfg.HTTPPath, "token", token != "")
	return nil
}
