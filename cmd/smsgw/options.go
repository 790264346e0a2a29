package main

import (
	"crypto/rand"
	"crypto/tls"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"time"

	"github.com/smsgw/smsgw/domain"
	"github.com/smsgw/smsgw/esme"
	"github.com/smsgw/smsgw/keywords"
	"github.com/smsgw/smsgw/partner"
	"github.com/smsgw/smsgw/smpp"
	"github.com/smsgw/smsgw/smpp/dlr"
	"github.com/smsgw/smsgw/smpp/text"
	"github.com/smsgw/smsgw/smsgw"
)

// buildRules turns the reloadable parts of the config into smsgw.Rules.
func buildRules(cfg *Config) (smsgw.Rules, error) {
	allowed := make([]domain.Amount, len(cfg.Nominal.Allowed))
	for i, a := range cfg.Nominal.Allowed {
		allowed[i] = domain.Amount(a)
	}
	table, err := keywords.NewTable(keywords.TableConfig{
		Aliases: cfg.Keywords.Aliases,
		Rules: keywords.Rules{
			Allowed: allowed,
			Min:     domain.Amount(cfg.Nominal.Min),
			Max:     domain.Amount(cfg.Nominal.Max),
		},
		PINMinLen: cfg.PIN.MinLength,
		PINMaxLen: cfg.PIN.MaxLength,
	})
	if err != nil {
		return smsgw.Rules{}, fmt.Errorf("keywords: %w", err)
	}
	replies, err := smsgw.NewReplies(cfg.Messages)
	if err != nil {
		return smsgw.Rules{}, fmt.Errorf("messages: %w", err)
	}
	loc, err := cfg.location()
	if err != nil {
		return smsgw.Rules{}, err
	}
	return smsgw.Rules{
		RequestCode:  cfg.ShortCodes.Request,
		PINCode:      cfg.ShortCodes.PIN,
		Keywords:     table,
		Replies:      replies,
		SessionTTL:   cfg.Session.TTL.Duration,
		MaxAttempts:  cfg.PIN.MaxAttempts,
		LockDuration: cfg.PIN.LockDuration.Duration,
		PINMinLen:    cfg.PIN.MinLength,
		PINMaxLen:    cfg.PIN.MaxLength,
		Abuse: smsgw.AbuseRules{
			MOPerMinute: cfg.Abuse.MOPerMinute, MOBurst: cfg.Abuse.MOBurst, MOBlock: cfg.Abuse.MOBlock.Duration,
			MaxAccounts: cfg.Abuse.MaxAccounts, AccountWindow: cfg.Abuse.AccountWindow.Duration,
		},
		Location: loc,
	}, nil
}

func randomKey() ([]byte, error) {
	k := make([]byte, 32)
	if _, err := rand.Read(k); err != nil {
		return nil, err
	}
	return k, nil
}

// newGateway builds the gateway over st with sender; obs may be nil.
func newGateway(cfg *Config, st smsgw.Store, sender smsgw.Sender, log *slog.Logger, now func() time.Time, obs smsgw.Observer) (*smsgw.Gateway, error) {
	rules, err := buildRules(cfg)
	if err != nil {
		return nil, err
	}
	key, err := cfg.pinKey(randomKey)
	if err != nil {
		return nil, err
	}
	hasher, err := smsgw.NewPINHasher(key)
	if err != nil {
		return nil, fmt.Errorf("security: %w", err)
	}
	routes, err := cfg.routes()
	if err != nil {
		return nil, keyErr("routing.operator", "%v", err)
	}
	gw, err := smsgw.New(smsgw.Options{
		Store: st, Sender: sender, Hasher: hasher, Rules: rules,
		DedupWindow:     cfg.Session.DedupWindow.Duration,
		MTMaxAttempts:   cfg.Outbox.MaxAttempts,
		MTRetryBase:     cfg.Outbox.RetryBase.Duration,
		BulkRate:        float64(cfg.Outbox.BulkRate),
		PartTimeout:     cfg.Session.ConcatTimeout.Duration,
		CorrectionTTL:   cfg.Ledger.CorrectionTTL.Duration,
		MaxBacklog:      backlogOf(cfg.Inbox.MaxBacklog),
		BacklogWait:     cfg.Inbox.BacklogWait.Duration,
		Workers:         cfg.Inbox.Workers,
		DeferProcessing: cfg.Inbox.DeferProcessing,
		SharedStore:     cfg.Database.Driver == "postgres", // other daemons may share it
		Node:            cfg.Database.Node,
		Routes:          routes,
		Now:             now,
		Logger:          log,
		Observer:        obs,
	})
	if err != nil {
		return nil, err
	}
	// The store holds the partner records: a partner request waiting on a
	// PIN session is finalised with it, also while [h2h] is disabled.
	partner.Register(gw)
	return gw, nil
}

// backlogOf maps the config's "0: no bound" to smsgw's negative bound.
func backlogOf(n int) int {
	if n == 0 {
		return -1
	}
	return n
}

func concatOf(s string) text.Concat {
	switch s {
	case "udh16":
		return text.ConcatUDH16
	case "sar":
		return text.ConcatSAR
	case "payload":
		return text.ConcatPayload
	default:
		return text.ConcatUDH8
	}
}

func idModeOf(s string) dlr.IDMode {
	switch s {
	case "exact":
		return dlr.IDExact
	case "hex_to_dec":
		return dlr.IDHexToDec
	case "dec_to_hex":
		return dlr.IDDecToHex
	default:
		return dlr.IDAuto
	}
}

// bindOptions maps [[bind]] to esme.BindOptions.
func bindOptions(cfg *Config) ([]esme.BindOptions, error) {
	var out []esme.BindOptions
	for _, b := range cfg.Binds {
		pw, err := b.bindPassword()
		if err != nil {
			return nil, err
		}
		mode := smpp.Transceiver
		if b.Mode == "transmitter_receiver" {
			mode = smpp.TransmitterReceiver
		}
		co := smpp.ClientOptions{
			Addr:                net.JoinHostPort(b.Host, strconv.Itoa(b.Port)),
			SystemID:            b.SystemID,
			Password:            pw,
			SystemType:          b.SystemType,
			Mode:                mode,
			Window:              b.Window,
			Workers:             b.Workers,
			Rate:                b.Throughput,
			EnquireLinkInterval: b.EnquireLink.Duration,
			ResponseTimeout:     b.ResponseTimeout.Duration,
		}
		if b.TLS {
			co.TLS = &tls.Config{ServerName: b.Host, InsecureSkipVerify: b.TLSSkipVerify, MinVersion: tls.VersionTLS12}
		}
		out = append(out, esme.BindOptions{
			Name: b.Name, Route: b.Operator, Client: co, Concat: concatOf(b.Concat), IDMode: idModeOf(b.DLRIDMode),
			RegisteredDelivery: b.RegisteredDelivery,
			SourceTON:          uint8(b.SourceTON), SourceNPI: uint8(b.SourceNPI),
			DestTON: uint8(b.DestTON), DestNPI: uint8(b.DestNPI),
			NormalizeReplies: b.ReplyAddress == "international",
			USSD:             esme.USSDMode(b.USSD),
		})
	}
	return out, nil
}
