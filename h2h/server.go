package h2h

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/smsgw/smsgw/domain"
	"github.com/smsgw/smsgw/partner"
	"github.com/smsgw/smsgw/smsgw"
)

// Signature schemes.
const (
	SchemeHMAC   = "hmac"   // X-Timestamp, X-Nonce and X-Signature headers (HMAC-SHA256)
	SchemeOtomaX = "otomax" // the sign parameter: base64(sha1("OtomaX|..."))
)

// Response formats.
const (
	FormatJSON = "json"
	FormatText = "text" // kiosAMPM: #trxid#product#ke:dest#STATUS#SN#Saldo#Reffid
)

// Report styles: how the final report (callback) of a request is sent.
const (
	// ReportQuery is a GET on the callback URL with the fields in the
	// query string, in the order of the OtomaX report (seed 002):
	// t, refid, status, price, message.
	ReportQuery = "query"
	// ReportForm is a POST of the same fields as a form, followed by sn
	// and balance.
	ReportForm = "form"
	// ReportJSON is a POST of the JSON answer with status 20 or 40.
	ReportJSON = "json"
)

// Answer statuses: the HTTP status of business answers (trx, status,
// balance, inquiry, payment and VA answers that passed authentication).
const (
	// Status200 answers 200 with the body saying the outcome, as the
	// kiosAMPM document defines only the body; internal errors stay 500.
	Status200 = "200"
	// StatusCodes answers with meaningful codes (400, 404, 409, 422, 503...).
	StatusCodes = "codes"
)

// Defaults of Options.
const (
	DefaultMaxBody = 16 << 10
	DefaultMaxSkew = 5 * time.Minute
	DefaultAck     = "OK"
)

// Partner is the transport configuration of one partner: who it is, how
// it authenticates and how it wants answers and callbacks.
type Partner struct {
	ID     string
	Scheme string // SchemeHMAC or SchemeOtomaX
	// Keys are HMAC-SHA256 keys. Requests may be signed with any of them
	// (rotation); callbacks are signed with Keys[0]. Required for every
	// scheme, since callbacks are always signed.
	Keys []Secret
	// PIN and Password are the shared secrets of the OtomaX sign.
	PIN, Password Secret
	// BasicUser, when set, requires HTTP Basic credentials as well.
	BasicUser     string
	BasicPassword Secret
	// Allow lists the address ranges requests may come from.
	Allow []netip.Prefix
	// Format of trx and status answers (FormatJSON or FormatText).
	Format string
	// Report is how final reports are sent (ReportQuery, ReportForm or
	// ReportJSON); default ReportQuery for text or OtomaX partners,
	// ReportJSON for the others.
	Report string
	// HTTPStatus of business answers (Status200 or StatusCodes); default
	// Status200 for text partners, StatusCodes for JSON partners.
	HTTPStatus string
	// LegacyPlainPIN accepts the kiosAMPM request form that carries the
	// pin and password in clear instead of a signature (seed 004), on
	// trx, status and balance, only over TLS or from a single address of
	// Allow. Off by default: such a request is refused.
	LegacyPlainPIN bool
	// MaxAddresses, when not zero, limits Allow to that many single
	// addresses (seed 004 registers one IP per partner).
	MaxAddresses int
	// CallbackURL receives the final state of each request; CallbackAck
	// is the body a partner answers to acknowledge it (default "OK").
	CallbackURL string
	CallbackAck string
}

// LogValue logs the partner's id only.
func (p Partner) LogValue() slog.Value { return slog.StringValue(p.ID) }

// FieldError is a Partner field that Validate refuses; Field names it as
// the configuration does ("signature", "secret", "allow", "format",
// "callback_url", ...).
type FieldError struct {
	Field string
	Msg   string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Msg }

func fieldErr(field, format string, args ...any) error {
	return &FieldError{Field: field, Msg: fmt.Sprintf(format, args...)}
}

// CheckSettings checks the fields of p that are not secrets: the
// signature scheme, the address ranges, the answer format and the
// callback URL. A configuration loader calls it before any secret is
// read; Validate calls it first. A *FieldError names the field.
func (p *Partner) CheckSettings() error {
	switch {
	case p.Scheme != SchemeHMAC && p.Scheme != SchemeOtomaX:
		return fieldErr("signature", "must be %s or %s, got %q", SchemeHMAC, SchemeOtomaX, p.Scheme)
	case len(p.Allow) == 0:
		return fieldErr("allow", "at least one address range (CIDR) is required")
	case p.Format != FormatJSON && p.Format != FormatText:
		return fieldErr("format", "must be %s or %s, got %q", FormatJSON, FormatText, p.Format)
	case p.Report != "" && p.Report != ReportQuery && p.Report != ReportForm && p.Report != ReportJSON:
		return fieldErr("report", "must be %s, %s or %s, got %q", ReportQuery, ReportForm, ReportJSON, p.Report)
	case p.HTTPStatus != "" && p.HTTPStatus != Status200 && p.HTTPStatus != StatusCodes:
		return fieldErr("http_status", "must be %q or %q, got %q", Status200, StatusCodes, p.HTTPStatus)
	case p.LegacyPlainPIN && p.Scheme != SchemeOtomaX:
		return fieldErr("legacy_plain_pin", "needs signature = %q (its pin and password)", SchemeOtomaX)
	case p.MaxAddresses < 0:
		return fieldErr("max_addresses", "must be 0 (no limit) or more, got %d", p.MaxAddresses)
	case p.MaxAddresses > 0 && len(p.Allow) > p.MaxAddresses:
		return fieldErr("allow", "at most %d address(es) (max_addresses), got %d", p.MaxAddresses, len(p.Allow))
	}
	if p.MaxAddresses > 0 {
		for _, a := range p.Allow {
			if !a.IsSingleIP() {
				return fieldErr("allow", "%s is a range: max_addresses allows single addresses only", a)
			}
		}
	}
	u, err := url.Parse(p.CallbackURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fieldErr("callback_url", "an absolute http or https URL is required")
	}
	return nil
}

// setDefaults fills the defaults of the answer and report settings.
func (p *Partner) setDefaults() {
	if p.CallbackAck == "" {
		p.CallbackAck = DefaultAck
	}
	if p.Report == "" {
		p.Report = DefaultReport(p.Scheme, p.Format)
	}
	if p.HTTPStatus == "" {
		p.HTTPStatus = DefaultHTTPStatus(p.Format)
	}
}

// DefaultReport is the report style of a partner that sets none: the
// seed's GET for OtomaX and text (kiosAMPM) partners, JSON for the others.
func DefaultReport(scheme, format string) string {
	if scheme == SchemeOtomaX || format == FormatText {
		return ReportQuery
	}
	return ReportJSON
}

// DefaultHTTPStatus is the answer status of a partner that sets none: 200
// for text partners, meaningful codes for JSON partners.
func DefaultHTTPStatus(format string) string {
	if format == FormatText {
		return Status200
	}
	return StatusCodes
}

// Validate checks p: its settings (CheckSettings) and its secrets. A
// *FieldError names the field.
func (p *Partner) Validate() error {
	if err := p.CheckSettings(); err != nil {
		return err
	}
	switch {
	case len(p.Keys) == 0 || p.Keys[0] == "":
		return fieldErr("secret", "required (it signs callbacks)")
	case p.Scheme == SchemeOtomaX && (p.PIN == "" || p.Password == ""):
		return fieldErr("pin and password", "required by the otomax signature")
	case p.BasicUser != "" && p.BasicPassword == "":
		return fieldErr("basic password", "required with a basic user")
	}
	for _, k := range p.Keys {
		if len(k) < 16 {
			return fieldErr("secret", "at least 16 characters")
		}
	}
	return nil
}

// Options configure a Server.
type Options struct {
	Partners []Partner
	// Service runs the operations; each Partner must be configured there.
	Service *partner.Service
	// MaxBody bounds request bodies (default DefaultMaxBody).
	MaxBody int64
	// MaxSkew is the accepted distance between X-Timestamp and the clock
	// (default DefaultMaxSkew).
	MaxSkew time.Duration
	// Location of the times in text answers (default WIB, UTC+7).
	Location *time.Location
	Now      func() time.Time
	Logger   *slog.Logger
	// Observe, when set, is called after every answer with the endpoint
	// ("unknown" for another path), the configured partner ("" before the
	// partner is known), the response code, the HTTP status and the time
	// taken. Every label comes from a fixed set, so it suits metrics.
	Observe func(endpoint, partner, rc string, status int, d time.Duration)
}

// Server serves the partner API under /h2h/.
type Server struct {
	svc      *partner.Service
	partners map[string]*Partner
	any      []netip.Prefix // every partner's ranges: a first, cheap filter
	maxBody  int64
	maxSkew  time.Duration
	loc      *time.Location
	now      func() time.Time
	log      *slog.Logger
	observe  func(endpoint, partner, rc string, status int, d time.Duration)
}

// New validates o and returns a Server. It does no I/O.
func New(o Options) (*Server, error) {
	if o.Service == nil {
		return nil, errors.New("h2h: Service is required")
	}
	s := &Server{svc: o.Service, partners: map[string]*Partner{}, maxBody: o.MaxBody, maxSkew: o.MaxSkew,
		loc: o.Location, now: o.Now, log: o.Logger, observe: o.Observe}
	if s.maxBody <= 0 {
		s.maxBody = DefaultMaxBody
	}
	if s.maxSkew <= 0 {
		s.maxSkew = DefaultMaxSkew
	}
	if s.loc == nil {
		s.loc = time.FixedZone("WIB", 7*3600)
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	s.log = s.log.With("component", "h2h")
	for i := range o.Partners {
		p := o.Partners[i]
		if _, ok := o.Service.Partner(p.ID); !ok {
			return nil, fmt.Errorf("h2h: partner %q is not configured in the service", p.ID)
		}
		if _, dup := s.partners[p.ID]; dup {
			return nil, fmt.Errorf("h2h: partner %q configured twice", p.ID)
		}
		p.setDefaults()
		if err := p.Validate(); err != nil {
			return nil, fmt.Errorf("h2h: partner %q: %w", p.ID, err)
		}
		s.partners[p.ID] = &p
		s.any = append(s.any, p.Allow...)
	}
	return s, nil
}

// endpoint is one operation of the API.
type endpoint struct {
	name    string
	methods string // allowed methods, space separated
	otomax  bool   // allowed with the OtomaX sign (it covers product, dest and refid only)
	handle  func(s *Server, c *call)
}

var endpoints = map[string]endpoint{
	"/h2h/trx":         {"trx", "GET POST", true, (*Server).trx},
	"/h2h/status":      {"status", "GET POST", true, (*Server).status},
	"/h2h/balance":     {"balance", "GET POST", true, (*Server).balance},
	"/h2h/inquiry":     {"inquiry", "POST", false, (*Server).inquiry},
	"/h2h/payment":     {"payment", "POST", false, (*Server).payment},
	"/h2h/va/payment":  {"va_payment", "POST", false, (*Server).vaPayment},
	"/h2h/va/reversal": {"va_reversal", "POST", false, (*Server).vaReversal},
}

// call is one request being served.
type call struct {
	ctx     context.Context
	w       http.ResponseWriter
	r       *http.Request
	ep      endpoint
	pt      *Partner
	params  Params
	nonce   string
	rc      string
	status  int
	started time.Time
}

// ServeHTTP authenticates the partner and runs the endpoint. A panic is
// answered with RCInternal and logged.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c := &call{ctx: r.Context(), w: w, r: r, started: time.Now()}
	defer func() {
		if v := recover(); v != nil {
			s.log.Error("panic serving partner request", "path", r.URL.Path, "panic", v)
			if c.rc == "" {
				s.writeJSON(c, http.StatusInternalServerError, Response{RC: RCInternal, Message: "internal error"})
			}
		}
		if s.observe != nil {
			ep, partner := c.ep.name, ""
			if ep == "" {
				ep = "unknown"
			}
			if c.pt != nil {
				partner = c.pt.ID
			}
			s.observe(ep, partner, c.rc, c.status, time.Since(c.started))
		}
	}()
	ep, ok := endpoints[r.URL.Path]
	if !ok {
		s.writeJSON(c, http.StatusNotFound, Response{RC: RCBadRequest, Message: "unknown endpoint"})
		return
	}
	c.ep = ep
	if !strings.Contains(" "+ep.methods+" ", " "+r.Method+" ") {
		w.Header().Set("Allow", strings.ReplaceAll(ep.methods, " ", ", "))
		s.writeJSON(c, http.StatusMethodNotAllowed, Response{RC: RCMethod, Message: "method not allowed"})
		return
	}
	addr, ok := remoteAddr(r)
	if !ok || !contains(s.any, addr) {
		s.deny(c, http.StatusForbidden, RCIP, "address not allowed", "address not in any partner range", "")
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.maxBody))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			s.writeJSON(c, http.StatusRequestEntityTooLarge, Response{RC: RCTooLarge, Message: fmt.Sprintf("body over %d octets", s.maxBody)})
			return
		}
		s.writeJSON(c, http.StatusBadRequest, Response{RC: RCBadRequest, Message: "cannot read body"})
		return
	}
	c.params, err = ParseParams(r.Header.Get("Content-Type"), r.URL.RawQuery, body)
	if err != nil {
		var pe *ParamError
		status := http.StatusBadRequest
		rc := RCBadRequest
		if errors.As(err, &pe) && pe.Unsupported {
			status, rc = http.StatusUnsupportedMediaType, RCMethod
		}
		s.writeJSON(c, status, Response{RC: rc, Message: err.Error()})
		return
	}
	member := c.params.Get("memberid")
	pt, ok := s.partners[member]
	if !ok {
		s.deny(c, http.StatusUnauthorized, RCUnknownPartner, "unknown partner", "unknown partner", member)
		return
	}
	if !contains(pt.Allow, addr) {
		s.deny(c, http.StatusForbidden, RCIP, "address not allowed", "address not in the partner's ranges", pt.ID)
		return
	}
	if pt.BasicUser != "" {
		user, pass, ok := r.BasicAuth()
		userOK := subtle.ConstantTimeCompare([]byte(user), []byte(pt.BasicUser)) == 1
		passOK := subtle.ConstantTimeCompare([]byte(pass), []byte(pt.BasicPassword.Reveal())) == 1
		if !ok || !userOK || !passOK {
			w.Header().Set("WWW-Authenticate", `Basic realm="h2h"`)
			s.deny(c, http.StatusUnauthorized, RCSignature, "bad credentials", "bad Basic credentials", pt.ID)
			return
		}
	}
	plain := c.params.Get("pin") != "" || c.params.Get("password") != ""
	switch {
	case plain && !pt.LegacyPlainPIN:
		s.deny(c, http.StatusBadRequest, RCBadRequest, "pin and password must never be sent: sign the request",
			"credentials sent in the request", pt.ID)
		return
	case plain:
		// The kiosAMPM form (seed 004): pin and password in clear, on a
		// partner configured for it, over TLS or from a registered address.
		if !ep.otomax {
			s.deny(c, http.StatusForbidden, RCForbidden, "this operation needs the HMAC signature", "plain pin on "+ep.name, pt.ID)
			return
		}
		if r.TLS == nil && !singleAddress(pt.Allow, addr) {
			s.deny(c, http.StatusForbidden, RCForbidden, "the pin form needs TLS or the partner's registered address",
				"plain pin without TLS from a range", pt.ID)
			return
		}
		if !checkPlain(c.params.Get("pin"), c.params.Get("password"), pt.PIN, pt.Password) {
			s.deny(c, http.StatusUnauthorized, RCSignature, "bad pin or password", "bad plain pin or password", pt.ID)
			return
		}
	case pt.Scheme == SchemeOtomaX:
		if !ep.otomax {
			s.deny(c, http.StatusForbidden, RCForbidden, "this operation needs the HMAC signature", "OtomaX sign on "+ep.name, pt.ID)
			return
		}
		p := c.params
		sign := strings.ReplaceAll(p.Get("sign"), " ", "+") // an unescaped '+' arrives as a space
		if !checkOtomaX(sign, member, p.Get("product"), p.Get("dest"), p.Get("refid"), pt.PIN, pt.Password) {
			s.deny(c, http.StatusUnauthorized, RCSignature, "bad sign", "bad OtomaX sign", pt.ID)
			return
		}
	default: // HMAC
		ts := r.Header.Get(HeaderTimestamp)
		sec, err := strconv.ParseInt(ts, 10, 64)
		if err != nil || ts != strconv.FormatInt(sec, 10) {
			s.deny(c, http.StatusUnauthorized, RCTimestamp, HeaderTimestamp+" must be Unix seconds", "missing timestamp", pt.ID)
			return
		}
		c.nonce = r.Header.Get(HeaderNonce)
		if !partner.ValidRefID(c.nonce) {
			s.deny(c, http.StatusBadRequest, RCBadRequest, HeaderNonce+" must be 1-64 printable characters", "bad nonce", pt.ID)
			return
		}
		if !checkSignature(pt.Keys, r.Header.Get(HeaderSignature), r.Method, r.URL.RequestURI(), ts, c.nonce, body) {
			s.deny(c, http.StatusUnauthorized, RCSignature, "bad signature", "bad HMAC signature", pt.ID)
			return
		}
		// Checked after the signature, so that a stale timestamp is
		// only reported to the partner who made the request.
		if skew := s.now().Sub(time.Unix(sec, 0)); skew > s.maxSkew || skew < -s.maxSkew {
			s.deny(c, http.StatusUnauthorized, RCTimestamp, fmt.Sprintf("timestamp outside ±%s", s.maxSkew), "stale timestamp", pt.ID)
			return
		}
	}
	c.pt = pt
	ep.handle(s, c)
}

// remoteAddr returns the client's address.
func remoteAddr(r *http.Request) (netip.Addr, bool) {
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		a, err := netip.ParseAddr(r.RemoteAddr)
		return a.Unmap(), err == nil
	}
	return ap.Addr().Unmap(), true
}

// singleAddress reports whether a is one of the single addresses (not
// ranges) of ps.
func singleAddress(ps []netip.Prefix, a netip.Addr) bool {
	for _, p := range ps {
		if p.IsSingleIP() && p.Addr() == a {
			return true
		}
	}
	return false
}

func contains(ps []netip.Prefix, a netip.Addr) bool {
	for _, p := range ps {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// deny answers an authentication failure. It logs why, the endpoint, the
// source address and the claimed partner, never a credential, signature or
// parameter.
func (s *Server) deny(c *call, status int, rc, msg, why, partner string) {
	s.log.Warn("partner request refused", "endpoint", c.ep.name, "rc", rc, "reason", why,
		"remote", c.r.RemoteAddr, "partner", clip(partner))
	s.writeJSON(c, status, Response{RC: rc, Message: msg})
}

func (s *Server) writeJSON(c *call, status int, resp Response) {
	c.rc, c.status = resp.RC, status
	h := c.w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	c.w.WriteHeader(status)
	if err := json.NewEncoder(c.w).Encode(resp); err != nil {
		s.log.Debug("write response failed", "err", err)
	}
}

func (s *Server) writeText(c *call, status int, rc, text string) {
	c.rc, c.status = rc, status
	h := c.w.Header()
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	c.w.WriteHeader(status)
	_, _ = io.WriteString(c.w, text+"\n")
}

// text reports whether c is answered in the kiosAMPM form.
func (c *call) text() bool {
	return c.pt.Format == FormatText && (c.ep.name == "trx" || c.ep.name == "status")
}

// done logs a served request.
func (s *Server) done(c *call, refid string) {
	s.log.Info("partner request served", "endpoint", c.ep.name, "partner", c.pt.ID, "refid", refid, "rc", c.rc,
		"status", c.status, "duration", time.Since(c.started))
}

// balanceNow returns the partner's deposit balance for a text answer; on
// failure it logs and returns 0.
func (s *Server) balanceNow(c *call) domain.Amount {
	b, err := s.svc.Balance(c.ctx, c.pt.ID, "")
	if err != nil {
		s.log.Error("read partner balance", "partner", c.pt.ID, "err", err)
	}
	return b
}

// result answers with a partner request.
func (s *Server) result(c *call, r *partner.Request, resent bool) {
	defer s.done(c, r.RefID)
	resp := requestResponse(r, resent, s.loc)
	if c.text() {
		bal := r.BalanceAfter
		if resent || r.State != partner.Success {
			bal = s.balanceNow(c)
		}
		s.writeText(c, http.StatusOK, resp.RC, requestText(r, resent, bal, s.loc))
		return
	}
	s.writeJSON(c, http.StatusOK, resp)
}

// fail answers an error of the service. Internal errors are logged with
// detail and answered without it.
func (s *Server) fail(c *call, err error, product, dest, refid string) {
	var refused *partner.Refused
	if errors.As(err, &refused) {
		s.refused(c, refused)
		return
	}
	defer s.done(c, refid)
	o := outcomeOf(err)
	if o.rc == RCInternal {
		s.log.Error("partner request failed", "endpoint", c.ep.name, "partner", c.pt.ID, "refid", refid, "err", err)
	}
	status := c.answerStatus(o)
	if c.text() {
		if o.rc == RCConflict && refid != "" {
			if prev, perr := s.svc.Status(c.ctx, c.pt.ID, "", refid); perr == nil {
				s.writeText(c, status, o.rc, requestText(prev, true, s.balanceNow(c), s.loc))
				return
			}
		}
		s.writeText(c, status, o.rc, rejectionText(o, product, dest, refid, s.balanceNow(c)))
		return
	}
	s.writeJSON(c, status, Response{RC: o.rc, Message: errMessage(o, err), RefID: textField(refid)})
}

// refused answers a request refused after it got a trxid: the failed
// request, with the code of the refusal; its final report is queued.
func (s *Server) refused(c *call, rf *partner.Refused) {
	r := &rf.Request
	defer s.done(c, r.RefID)
	o := outcomeOf(rf.Err)
	status := c.answerStatus(o)
	if c.text() {
		s.writeText(c, status, o.rc, requestText(r, false, s.balanceNow(c), s.loc))
		return
	}
	resp := requestResponse(r, false, s.loc)
	resp.RC, resp.Message = o.rc, errMessage(o, rf.Err)
	s.writeJSON(c, status, resp)
}

// errMessage is the message of an answer to err: its text, or "internal
// error" without detail.
func errMessage(o outcome, err error) string {
	var de *smsgw.Error
	if o.rc != RCInternal && errors.As(err, &de) {
		return de.Message
	}
	return "internal error"
}

// answerStatus is the HTTP status of the answer o: 200 for a partner
// configured for Status200, except for internal errors and replayed nonces
// (an authentication failure, detected with the nonce store).
func (c *call) answerStatus(o outcome) int {
	if c.pt.HTTPStatus == Status200 && o.rc != RCInternal && o.rc != RCReplay {
		return http.StatusOK
	}
	return o.status
}

// badParam answers a missing or malformed endpoint parameter.
func (s *Server) badParam(c *call, refid, format string, args ...any) {
	s.fail(c, smsgw.Errorf(smsgw.EInvalid, format, args...), c.params.Get("product"), c.params.Get("dest"), refid)
}

func (s *Server) trx(c *call) {
	p := c.params
	if q := p.Get("qty"); q != "" && q != "1" {
		s.badParam(c, p.Get("refid"), "qty must be 1")
		return
	}
	res, err := s.svc.TopUp(c.ctx, partner.TopUpRequest{Partner: c.pt.ID, Nonce: c.nonce, RefID: p.Get("refid"),
		Product: p.Get("product"), Dest: p.Get("dest")})
	if err != nil {
		s.fail(c, err, p.Get("product"), p.Get("dest"), p.Get("refid"))
		return
	}
	s.result(c, &res.Request, res.Resent)
}

func (s *Server) status(c *call) {
	refid := c.params.Get("refid")
	r, err := s.svc.Status(c.ctx, c.pt.ID, c.nonce, refid)
	if err != nil {
		s.fail(c, err, c.params.Get("product"), c.params.Get("dest"), refid)
		return
	}
	s.result(c, r, false)
}

func (s *Server) balance(c *call) {
	b, err := s.svc.Balance(c.ctx, c.pt.ID, c.nonce)
	if err != nil {
		s.fail(c, err, "", "", "")
		return
	}
	defer s.done(c, "")
	s.writeJSON(c, http.StatusOK, Response{RC: RCSuccess, Message: "success", Balance: int64p(int64(b))})
}

func (s *Server) inquiry(c *call) {
	p := c.params
	q, err := s.svc.Inquire(c.ctx, partner.InquiryRequest{Partner: c.pt.ID, Nonce: c.nonce, Product: p.Get("product"), Dest: p.Get("dest")})
	if err != nil {
		s.fail(c, err, p.Get("product"), p.Get("dest"), "")
		return
	}
	defer s.done(c, "")
	s.writeJSON(c, http.StatusOK, Response{RC: RCSuccess, Message: "success", InquiryID: q.ID, Product: q.Product,
		Dest: q.Dest.Local(), Amount: int64(q.Amount), Name: q.Name, ExpiresAt: q.ExpiresAt.In(s.loc).Format(time.RFC3339)})
}

func (s *Server) payment(c *call) {
	p := c.params
	refid := p.Get("refid")
	id, err := strconv.ParseInt(p.Get("inquiry_id"), 10, 64)
	if err != nil || id <= 0 {
		s.badParam(c, refid, "inquiry_id must be a positive integer")
		return
	}
	var amount int64
	if a := p.Get("amount"); a != "" {
		if amount, err = strconv.ParseInt(a, 10, 64); err != nil || amount <= 0 {
			s.badParam(c, refid, "amount must be a positive integer of rupiah")
			return
		}
	}
	res, err := s.svc.Pay(c.ctx, partner.PaymentRequest{Partner: c.pt.ID, Nonce: c.nonce, RefID: refid, InquiryID: id,
		Amount: domain.Amount(amount)})
	if err != nil {
		s.fail(c, err, "", "", refid)
		return
	}
	s.result(c, &res.Request, res.Resent)
}

func (s *Server) vaPayment(c *call) {
	p := c.params
	ref := p.Get("bank_ref")
	amount, err := strconv.ParseInt(p.Get("amount"), 10, 64)
	if err != nil || amount <= 0 {
		s.badParam(c, ref, "amount must be a positive integer of rupiah")
		return
	}
	var paid time.Time
	if v := p.Get("paid_at"); v != "" {
		if paid, err = time.Parse(time.RFC3339, v); err != nil {
			s.badParam(c, ref, "paid_at must be RFC 3339, e.g. 2026-01-02T15:04:05+07:00")
			return
		}
	}
	res, err := s.svc.PayVA(c.ctx, partner.VAPayment{Partner: c.pt.ID, Nonce: c.nonce, VA: p.Get("va"),
		Amount: domain.Amount(amount), BankRef: ref, PaidAt: paid})
	if err != nil {
		s.fail(c, err, "", "", ref)
		return
	}
	s.result(c, &res.Request, res.Resent)
}

func (s *Server) vaReversal(c *call) {
	p := c.params
	refid := p.Get("refid")
	var amount domain.Amount
	if a := p.Get("amount"); a != "" {
		var ok bool
		if amount, ok = partner.ParseRupiah(a); !ok {
			s.badParam(c, refid, "amount must be a positive integer of rupiah")
			return
		}
	}
	res, err := s.svc.ReverseVA(c.ctx, partner.VAReversal{Partner: c.pt.ID, Nonce: c.nonce, RefID: refid,
		BankRef: p.Get("bank_ref"), Amount: amount, Reason: p.Get("reason")})
	if err != nil {
		s.fail(c, err, "", "", refid)
		return
	}
	s.result(c, &res.Request, res.Resent)
}
