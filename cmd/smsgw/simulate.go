package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"time"

	"github.com/smsgw/smsgw/h2h"
)

const simulateUsage = `partner simulate <partner> [-url URL] [-listen ADDR] [-product IP50] [-dest MSISDN]
                 [-unknown-dest MSISDN] [-wait 30s] [-config config.toml]
plays the partner against a running gateway before it goes live: signs and sends each seed example
(a top-up, its resend, its status, a top-up to a number without an i-pay account and, with
legacy_plain_pin, the clear-text form), receives the reports on the partner's callback_url, and prints
a PASS/FAIL line per seed format (exit status 3 on a failure). The partner's secrets come from the
environment variables its config names. -dest must be an i-pay account and the deposit funded
(immediate mode); -unknown-dest gets one failure counted against it.`

// cmdSimulate is `smsgw partner simulate`: the partner conformance kit
// (h2h.Simulate) for one configured partner.
func cmdSimulate(ctx context.Context, args []string, stdout io.Writer) error {
	fs, path := newFlags("partner simulate")
	base := fs.String("url", "", "the gateway's address (default: h2h.listen or http.listen)")
	listen := fs.String("listen", "", "where the report receiver listens (default: the host and port of callback_url)")
	product := fs.String("product", "IP50", "a product on sale")
	dest := fs.String("dest", "08110000002", "an i-pay account to top up")
	unknown := fs.String("unknown-dest", "08119999990", "a number without an i-pay account")
	wait := fs.Duration("wait", 30*time.Second, "how long to wait for the reports")
	pos, err := parseFlags(fs, args)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(stdout, simulateUsage)
		}
		return err
	}
	if len(pos) != 1 {
		return fmt.Errorf("%w: partner simulate takes the partner id\n%s", errUsage, simulateUsage)
	}
	cfg, err := LoadConfig(*path)
	if err != nil {
		return err
	}
	pc, k, err := cfg.H2H.partnerByID(pos[0])
	if err != nil {
		return err
	}
	auth, ok, err := pc.auth(k)
	if err != nil {
		return err
	}
	if !ok {
		return keyErr(k+".secret_env", "$%s is not set", pc.SecretEnv)
	}
	if *base == "" {
		*base = cfg.h2hURL()
	}
	if *listen == "" {
		u, err := url.Parse(pc.CallbackURL)
		if err != nil {
			return keyErr(k+".callback_url", "%v", err)
		}
		*listen = u.Host
		if u.Port() == "" {
			*listen = net.JoinHostPort(u.Hostname(), map[string]string{"http": "80", "https": "443"}[u.Scheme])
		}
	}
	checks, err := h2h.Simulate(ctx, h2h.SimOptions{Partner: auth, BaseURL: *base, Listen: *listen, Product: *product,
		Dest: *dest, UnknownDest: *unknown, Wait: *wait})
	if err != nil {
		return err
	}
	failed := 0
	for _, c := range checks {
		fmt.Fprintln(stdout, c)
		if c.Result == h2h.CheckFail {
			failed++
		}
	}
	if failed > 0 {
		return fmt.Errorf("%w: partner %s: %d seed format(s) failed", errMismatch, pos[0], failed)
	}
	return nil
}

// partnerByID returns the [[h2h.partner]] with id and its config key.
func (c *H2HConfig) partnerByID(id string) (*H2HPartnerConfig, string, error) {
	for i := range c.Partners {
		if c.Partners[i].ID == id {
			return &c.Partners[i], fmt.Sprintf("h2h.partner[%d]", i), nil
		}
	}
	return nil, "", fmt.Errorf("%w: no [[h2h.partner]] with id %q", errUsage, id)
}

// h2hURL is where the partner API is served: h2h.listen (https with its
// certificate) or http.listen, with a wildcard host as loopback.
func (c *Config) h2hURL() string {
	addr, scheme := c.HTTP.Listen, "http"
	if c.H2H.Listen != "" {
		addr = c.H2H.Listen
		if c.H2H.TLSCertFile != "" {
			scheme = "https"
		}
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return scheme + "://" + addr
	}
	if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return scheme + "://" + net.JoinHostPort(host, port)
}
