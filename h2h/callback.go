package h2h

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/smsgw/smsgw/partner"
)

// DefaultCallbackTimeout bounds one callback attempt.
const DefaultCallbackTimeout = 10 * time.Second

// NotifierOptions configure a Notifier.
type NotifierOptions struct {
	Partners []Partner
	// Client sends the callbacks (default: a client with Timeout).
	Client  *http.Client
	Timeout time.Duration // per attempt, default DefaultCallbackTimeout
	// Location of the times in callback messages (default WIB).
	Location *time.Location
	Now      func() time.Time
	// Service, when set, supplies the partner's current deposit balance
	// for the text message of failed requests.
	Service *partner.Service
	// Observe, when set, is called after every attempt with the partner,
	// whether the callback was delivered, and the time taken.
	Observe func(partner string, delivered bool, d time.Duration)
}

// Notifier posts callbacks to partners: it implements partner.Notifier. A
// callback is a POST of the request's final state to the partner's
// callback URL, signed like a request (X-Timestamp, X-Nonce, X-Signature
// with the partner's first key over method, request URI, timestamp, nonce
// and body). It counts as delivered only on a 2xx answer whose body,
// trimmed, is the agreed acknowledgement.
type Notifier struct {
	partners map[string]*Partner
	client   *http.Client
	timeout  time.Duration
	loc      *time.Location
	now      func() time.Time
	svc      *partner.Service
	observe  func(partner string, delivered bool, d time.Duration)
}

var _ partner.Notifier = (*Notifier)(nil)

// NewNotifier returns a Notifier. It does no I/O.
func NewNotifier(o NotifierOptions) (*Notifier, error) {
	n := &Notifier{partners: map[string]*Partner{}, client: o.Client, timeout: o.Timeout, loc: o.Location, now: o.Now,
		svc: o.Service, observe: o.Observe}
	if n.timeout <= 0 {
		n.timeout = DefaultCallbackTimeout
	}
	if n.client == nil {
		// A redirect is not followed: the signed POST goes to the
		// configured URL only, and a 3xx is not an acknowledgement.
		n.client = &http.Client{Timeout: n.timeout, CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		}}
	}
	if n.loc == nil {
		n.loc = time.FixedZone("WIB", 7*3600)
	}
	if n.now == nil {
		n.now = time.Now
	}
	for i := range o.Partners {
		p := o.Partners[i]
		p.setDefaults()
		if err := p.Validate(); err != nil {
			return nil, fmt.Errorf("h2h: partner %q: %w", p.ID, err)
		}
		n.partners[p.ID] = &p
	}
	return n, nil
}

// callbackError is a failed attempt; its text is stored and logged, so it
// never holds the URL (which may carry credentials) or a secret.
type callbackError struct {
	msg       string
	permanent bool
}

func (e *callbackError) Error() string   { return e.msg }
func (e *callbackError) Temporary() bool { return !e.permanent }

// UseService gives n the service that supplies a partner's current deposit
// balance, for when the service is built after n (it takes n as its
// notifier). Call it before the first Notify.
func (n *Notifier) UseService(s *partner.Service) { n.svc = s }

// Notify posts the callback of r and waits for the acknowledgement.
func (n *Notifier) Notify(ctx context.Context, r partner.Request) (err error) {
	if n.observe != nil {
		defer func(start time.Time) {
			if _, known := n.partners[r.Partner]; known {
				n.observe(r.Partner, err == nil, time.Since(start))
			}
		}(time.Now())
	}
	p, ok := n.partners[r.Partner]
	if !ok {
		return &callbackError{msg: "partner " + r.Partner + " is no longer configured", permanent: true}
	}
	req, err := n.request(ctx, r)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, n.timeout)
	defer cancel()
	resp, err := n.client.Do(req.WithContext(ctx))
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // the URL is not repeated
		}
		return &callbackError{msg: "post callback: " + err.Error()}
	}
	defer resp.Body.Close()
	ack, err := io.ReadAll(io.LimitReader(resp.Body, 1024))
	if err != nil {
		return &callbackError{msg: "read callback answer: " + err.Error()}
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return &callbackError{msg: "callback answered HTTP " + strconv.Itoa(resp.StatusCode)}
	}
	if strings.TrimSpace(string(ack)) != p.CallbackAck {
		return &callbackError{msg: fmt.Sprintf("callback answered HTTP %d without the agreed acknowledgement", resp.StatusCode)}
	}
	return nil
}

// newNonce returns 16 random octets in hex.
func newNonce() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	return hex.EncodeToString(b)
}

// CallbackStatus is the status of a final request: StatusSuccess or
// StatusFailed.
func CallbackStatus(r *partner.Request) int {
	if r.State == partner.Success {
		return StatusSuccess
	}
	return StatusFailed
}

// request returns the signed HTTP request that reports the final state of
// r to its partner, in the partner's report style:
//
//   - ReportQuery: GET <callback URL>?t=…&refid=…&status=20|40&price=…&message=…
//     (the OtomaX report of seed 002, fields in its order; message is the
//     kiosAMPM line); the signature covers the URI with that query and an
//     empty body;
//   - ReportForm: POST of the same fields as a form body, followed by sn and
//     balance;
//   - ReportJSON: POST of the JSON answer with status 20 or 40.
//
// Every style is signed like a request (X-Timestamp, X-Nonce and
// X-Signature over method, request URI, timestamp, nonce and body) with
// the partner's first key. Errors are permanent callback errors.
func (n *Notifier) request(ctx context.Context, r partner.Request) (*http.Request, error) {
	p, ok := n.partners[r.Partner]
	if !ok {
		return nil, &callbackError{msg: "partner " + r.Partner + " is no longer configured", permanent: true}
	}
	u, err := url.Parse(p.CallbackURL)
	if err != nil {
		return nil, &callbackError{msg: "bad callback URL", permanent: true}
	}
	method, ctype := http.MethodPost, ""
	var body []byte
	switch p.Report {
	case ReportJSON:
		resp := requestResponse(&r, false, n.loc)
		resp.Status = CallbackStatus(&r)
		body, _ = json.Marshal(resp) // a plain struct always marshals
		ctype = jsonMediaType
	case ReportForm:
		body, ctype = []byte(n.reportFields(ctx, &r, true)), formMediaType
	default:
		method = http.MethodGet
		q := n.reportFields(ctx, &r, false)
		if u.RawQuery != "" {
			q = u.RawQuery + "&" + q
		}
		u.RawQuery = q
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), bytes.NewReader(body))
	if err != nil {
		return nil, &callbackError{msg: "bad callback URL", permanent: true}
	}
	if body == nil {
		req.Body, req.ContentLength = http.NoBody, 0
	}
	ts := strconv.FormatInt(n.now().Unix(), 10)
	nonce := newNonce()
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	req.Header.Set("User-Agent", "smsgw-h2h-callback")
	req.Header.Set(HeaderTimestamp, ts)
	req.Header.Set(HeaderNonce, nonce)
	req.Header.Set(HeaderSignature, Sign(p.Keys[0], method, u.RequestURI(), ts, nonce, body))
	return req, nil
}

// reportFields renders the fields of the OtomaX report in its order (t,
// refid, status, price, message), with the kiosAMPM line as message; full
// adds sn and balance. Values are query-escaped.
func (n *Notifier) reportFields(ctx context.Context, r *partner.Request, full bool) string {
	bal := r.BalanceAfter
	if r.State != partner.Success && n.svc != nil {
		if b, err := n.svc.Balance(ctx, r.Partner, ""); err == nil {
			bal = b
		}
	}
	fields := [][2]string{
		{"t", strconv.FormatInt(r.ID, 10)},
		{"refid", r.RefID},
		{"status", strconv.Itoa(CallbackStatus(r))},
		{"price", strconv.FormatInt(int64(r.Price), 10)},
		{"message", requestText(r, false, bal, n.loc)},
	}
	if full {
		fields = append(fields, [2]string{"sn", r.SN}, [2]string{"balance", strconv.FormatInt(int64(bal), 10)})
	}
	var b strings.Builder
	for i, kv := range fields {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(kv[0] + "=" + url.QueryEscape(kv[1]))
	}
	return b.String()
}
