// Package ussd delivers USSD sessions to the gateway's menu
// (smsgw.Gateway.USSD) from an aggregator over HTTP, in the convention
// most USSD aggregators use: each screen request carries the network
// session id, the service code dialled, the subscriber's number and
// everything typed so far joined by '*'; the answer is plain text starting
// with "CON " (show it and wait for an input) or "END " (show it and close
// the session).
package ussd

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/smsgw/smsgw/keywords"
	"github.com/smsgw/smsgw/smsgw"
)

// Engine answers screen requests; *smsgw.Gateway implements it.
type Engine interface {
	USSD(ctx context.Context, req smsgw.USSDRequest) (smsgw.USSDScreen, error)
}

// Observer counts screens and failures; nil counts nothing.
type Observer interface {
	// USSDScreen is called once per answered screen request: channel
	// "http", end whether it closed the session, failed whether the
	// engine failed (the subscriber saw ErrorText).
	USSDScreen(channel string, end, failed bool, d time.Duration)
}

// Form field names of the aggregator convention.
const (
	FieldSession = "sessionId"
	FieldService = "serviceCode"
	FieldPhone   = "phoneNumber"
	FieldText    = "text"
)

// TokenHeader carries the shared token, when one is configured.
const TokenHeader = "X-USSD-Token"

// Texts shown when a screen cannot be served.
const (
	ErrorText  = "Maaf, layanan i-Pay sedang sibuk. Silakan coba lagi beberapa saat lagi."
	InvalidTxt = "Maaf, permintaan tidak dapat diproses."
)

// HTTPOptions configure an HTTP channel.
type HTTPOptions struct {
	Engine Engine
	// Allow lists the addresses the aggregator calls from (required).
	Allow []netip.Prefix
	// Token, when set, must come in TokenHeader on every request.
	Token string
	// Timeout bounds one screen (default 5s): networks drop a USSD
	// session whose screen does not come within a few seconds.
	Timeout  time.Duration
	Observer Observer
	Logger   *slog.Logger
}

// HTTP is the aggregator channel: an http.Handler for one path.
type HTTP struct {
	o   HTTPOptions
	log *slog.Logger
}

// maxBody bounds a request body: four fields of at most a few hundred
// bytes.
const maxBody = 4 << 10

// NewHTTP checks o.
func NewHTTP(o HTTPOptions) (*HTTP, error) {
	if o.Engine == nil {
		return nil, errors.New("ussd: Engine required")
	}
	if len(o.Allow) == 0 {
		return nil, errors.New("ussd: at least one allowed address range required")
	}
	if o.Timeout <= 0 {
		o.Timeout = 5 * time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return &HTTP{o: o, log: o.Logger.With("component", "ussd", "channel", "http")}, nil
}

// ServeHTTP answers one screen request (POST form or GET query).
func (h *HTTP) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	if r.Method != http.MethodPost && r.Method != http.MethodGet {
		w.Header().Set("Allow", "GET, POST")
		h.write(w, http.StatusMethodNotAllowed, true, InvalidTxt)
		return
	}
	if !h.allowed(r) {
		h.log.Warn("USSD request from an address not allowed", "remote", r.RemoteAddr)
		h.write(w, http.StatusForbidden, true, InvalidTxt)
		return
	}
	if h.o.Token != "" && subtle.ConstantTimeCompare([]byte(r.Header.Get(TokenHeader)), []byte(h.o.Token)) != 1 {
		h.log.Warn("USSD request without the right token", "remote", r.RemoteAddr)
		h.write(w, http.StatusUnauthorized, true, InvalidTxt)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	if err := r.ParseForm(); err != nil {
		status := http.StatusBadRequest
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			status = http.StatusRequestEntityTooLarge
		}
		h.write(w, status, true, InvalidTxt)
		return
	}
	req, err := requestOf(r)
	if err != nil {
		h.log.Warn("bad USSD request", "remote", r.RemoteAddr, "err", err)
		h.write(w, http.StatusBadRequest, true, InvalidTxt)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), h.o.Timeout)
	defer cancel()
	sc, err := h.o.Engine.USSD(ctx, req)
	switch {
	case smsgw.ErrorCode(err) == smsgw.EInvalid:
		h.log.Warn("USSD request refused", "session", req.Session, "err", err)
		h.observe(true, false, start)
		h.write(w, http.StatusBadRequest, true, InvalidTxt)
	case err != nil:
		h.log.Error("USSD screen failed", "session", req.Session, "err", err)
		h.observe(true, true, start)
		h.write(w, http.StatusServiceUnavailable, true, ErrorText)
	default:
		h.observe(sc.End, false, start)
		h.write(w, http.StatusOK, sc.End, sc.Text)
	}
}

// requestOf reads the fields of the aggregator convention. The inputs are
// never logged: one of them may be a PIN.
func requestOf(r *http.Request) (smsgw.USSDRequest, error) {
	get := func(k string) string { return strings.TrimSpace(r.Form.Get(k)) }
	req := smsgw.USSDRequest{Session: get(FieldSession), MSISDN: get(FieldPhone), ServiceCode: get(FieldService)}
	switch {
	case req.Session == "" || len(req.Session) > 64:
		return req, fmt.Errorf("%s: 1 to 64 characters required", FieldSession)
	case req.MSISDN == "":
		return req, fmt.Errorf("%s required", FieldPhone)
	case req.ServiceCode == "":
		return req, fmt.Errorf("%s required", FieldService)
	}
	in, err := keywords.SplitUSSDInputs(r.Form.Get(FieldText), 32)
	if err != nil {
		return req, fmt.Errorf("%s: %w", FieldText, err)
	}
	req.Inputs = in
	return req, nil
}

func (h *HTTP) allowed(r *http.Request) bool {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return false
	}
	a = a.Unmap()
	for _, p := range h.o.Allow {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

func (h *HTTP) observe(end, failed bool, start time.Time) {
	if h.o.Observer != nil {
		h.o.Observer.USSDScreen("http", end, failed, time.Since(start))
	}
}

func (h *HTTP) write(w http.ResponseWriter, status int, end bool, text string) {
	prefix := "CON "
	if end {
		prefix = "END "
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(prefix + text))
}
