package sim

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/smsgw/smsgw/keywords"
)

// Backend is the simulated network behind the API; *Simulator implements
// it.
type Backend interface {
	// Send delivers text from msisdn to the short code code as an MO and
	// returns the message as recorded, with its delivery status. When the
	// MO could not be delivered or was refused, it also returns an error
	// saying why.
	Send(ctx context.Context, msisdn, code, text string) (Message, error)
	// Thread returns the messages of msisdn that changed after the cursor
	// in the order of their changes, the current cursor, and a channel
	// closed on the next change.
	Thread(after int64, msisdn string) ([]Message, int64, <-chan struct{})
}

// USSDBackend is the USSD side of the simulated network; *Simulator
// implements it.
type USSDBackend interface {
	// DialUSSD opens a USSD session for msisdn with the dial string
	// (*9779#) and returns the gateway's first screen.
	DialUSSD(ctx context.Context, msisdn, dial string) (USSDScreen, error)
	// AnswerUSSD sends the subscriber's input on the current screen and
	// returns the next one.
	AnswerUSSD(ctx context.Context, msisdn, input string) (USSDScreen, error)
	// CancelUSSD ends the open session: with a release to the gateway, or
	// with drop without a word.
	CancelUSSD(ctx context.Context, msisdn string, drop bool) (USSDScreen, error)
	// USSD returns the last screen of msisdn's latest session.
	USSD(msisdn string) (USSDScreen, bool)
}

var _ USSDBackend = (*Simulator)(nil)

// HandlerOptions configure the API.
type HandlerOptions struct {
	// Prefix is the path the API is mounted at; default "/sim".
	Prefix string
	// ShortCodes are the codes an MO may be sent to. Required.
	ShortCodes []string
	// MaxText bounds the length of an MO in characters; default 1000.
	MaxText int
	// USSDCodes are the USSD service codes a phone may dial (e.g. "9779"
	// for *9779#). With none, the USSD endpoints are not served; with
	// some, the backend must implement USSDBackend.
	USSDCodes []string
	// StreamMax bounds one event stream; the client then reconnects and
	// resumes. Default 5m.
	StreamMax time.Duration
	// KeepAlive is the interval of comments on an idle event stream;
	// default 15s.
	KeepAlive time.Duration
	// Logger receives errors; default slog.Default().
	Logger *slog.Logger
}

// Handler serves the simulator's JSON API: the one way in for the web
// phone, `smsgw sim send` and scripts. It is safe for concurrent use.
type Handler struct {
	b       Backend
	ussd    USSDBackend // nil without USSD codes
	o       HandlerOptions
	log     *slog.Logger
	handler http.Handler

	closeOnce sync.Once
	done      chan struct{}
}

// Limits of the HTTP API.
const (
	maxBody     = 16 << 10         // bytes of a send request
	maxPollWait = 25 * time.Second // long poll of /messages
	writeWindow = 30 * time.Second // per-write deadline of an event stream
)

// NewHandler returns the API over b. It does no I/O.
func NewHandler(b Backend, o HandlerOptions) (*Handler, error) {
	if b == nil {
		return nil, errors.New("sim: nil backend")
	}
	if len(o.ShortCodes) == 0 {
		return nil, errors.New("sim: no short codes")
	}
	if o.Prefix == "" {
		o.Prefix = "/sim"
	}
	if !strings.HasPrefix(o.Prefix, "/") || strings.HasSuffix(o.Prefix, "/") {
		return nil, fmt.Errorf("sim: prefix %q must start and not end with /", o.Prefix)
	}
	if o.MaxText <= 0 {
		o.MaxText = 1000
	}
	if o.StreamMax <= 0 {
		o.StreamMax = 5 * time.Minute
	}
	if o.KeepAlive <= 0 {
		o.KeepAlive = 15 * time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	o.ShortCodes = slices.Clone(o.ShortCodes)
	o.USSDCodes = slices.Clone(o.USSDCodes)
	h := &Handler{b: b, o: o, log: o.Logger.With("component", "sim"), done: make(chan struct{})}
	if len(o.USSDCodes) > 0 {
		u, ok := b.(USSDBackend)
		if !ok {
			return nil, errors.New("sim: USSD codes given but the backend has no USSD")
		}
		h.ussd = u
	}
	p := o.Prefix
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+p+"/send", h.serveSend)
	mux.HandleFunc("GET "+p+"/events", h.serveEvents)
	mux.HandleFunc("GET "+p+"/messages", h.serveMessages)
	if h.ussd != nil {
		mux.HandleFunc("POST "+p+"/ussd/dial", h.serveUSSDDial)
		mux.HandleFunc("POST "+p+"/ussd/answer", h.serveUSSDAnswer)
		mux.HandleFunc("POST "+p+"/ussd/cancel", h.serveUSSDCancel)
		mux.HandleFunc("GET "+p+"/ussd", h.serveUSSDState)
	}
	// A web page on another origin must not inject MOs through a browser
	// on the operator's machine.
	h.handler = http.NewCrossOriginProtection().Handler(mux)
	return h, nil
}

// ServeHTTP serves the API under the prefix.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.handler.ServeHTTP(w, r)
}

// Prefix returns the path the API is mounted at.
func (h *Handler) Prefix() string { return h.o.Prefix }

// MaxText returns the longest MO text accepted, in characters.
func (h *Handler) MaxText() int { return h.o.MaxText }

// Close ends the event streams and long polls in progress, so an HTTP
// server can shut down without waiting for them; the handler keeps
// serving other requests. Use it as http.Server.RegisterOnShutdown.
func (h *Handler) Close() {
	h.closeOnce.Do(func() { close(h.done) })
}

// SendRequest is the JSON body of POST {prefix}/send.
type SendRequest struct {
	MSISDN string `json:"msisdn"`
	To     string `json:"to"`
	Text   string `json:"text"`
}

// SendResponse answers POST {prefix}/send: the MO as recorded, the cursor
// before it was sent (its replies come after Since) and the cursor after
// it. A failed delivery has Error set (status 503).
type SendResponse struct {
	Message Message `json:"message"`
	Since   int64   `json:"since"`
	Cursor  int64   `json:"cursor"`
	Error   string  `json:"error,omitempty"`
}

// MessagesResponse answers GET {prefix}/messages.
type MessagesResponse struct {
	Messages []Message `json:"messages"`
	Cursor   int64     `json:"cursor"`
}

// RequestError is a send request the API refuses (HTTP 400); it says which
// field is wrong.
type RequestError struct{ Msg string }

func (e *RequestError) Error() string { return e.Msg }

type apiError struct {
	Error string `json:"error"`
}

// CheckMSISDN checks an MSISDN typed by a person and returns its canonical
// form, or a *RequestError.
func CheckMSISDN(s string) (string, error) {
	if s == "" {
		return "", &RequestError{"msisdn is required"}
	}
	n, err := keywords.NormalizeMSISDN(s)
	if err != nil {
		return "", &RequestError{fmt.Sprintf("msisdn %q is not an Indonesian mobile number (for example 08110000001 or 628110000001)", s)}
	}
	return string(n), nil
}

// Send checks req (fields trimmed; a known short code; text present, UTF-8
// and not too long) and delivers it as an MO. Bad input is a
// *RequestError and nothing is sent; otherwise it returns what
// Backend.Send returns. The web phone's HTML form uses it too.
func (h *Handler) Send(ctx context.Context, req SendRequest) (Message, error) {
	req.MSISDN = strings.TrimSpace(req.MSISDN)
	req.Text = strings.TrimSpace(req.Text)
	if _, err := CheckMSISDN(req.MSISDN); err != nil {
		return Message{}, err
	}
	if !slices.Contains(h.o.ShortCodes, req.To) {
		return Message{}, &RequestError{fmt.Sprintf("to %q is not a short code of this gateway: use one of %s", req.To, strings.Join(h.o.ShortCodes, ", "))}
	}
	switch n := utf8.RuneCountInString(req.Text); {
	case !utf8.ValidString(req.Text):
		return Message{}, &RequestError{"text is not valid UTF-8"}
	case n == 0:
		return Message{}, &RequestError{"text is required"}
	case n > h.o.MaxText:
		return Message{}, &RequestError{fmt.Sprintf("text is too long: %d characters, at most %d", n, h.o.MaxText)}
	}
	return h.b.Send(ctx, req.MSISDN, req.To, req.Text)
}

// readJSON decodes the JSON body of a POST into v (unknown fields
// refused), or answers the error (415, 413 or 400) and returns false.
func readJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	if ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); ct != "application/json" {
		w.Header().Set("Accept-Post", "application/json")
		writeJSON(w, http.StatusUnsupportedMediaType, apiError{Error: "send JSON (Content-Type: application/json)"})
		return false
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			writeJSON(w, http.StatusRequestEntityTooLarge, apiError{Error: fmt.Sprintf("request body too large: at most %d bytes", maxBody)})
			return false
		}
		writeJSON(w, http.StatusBadRequest, apiError{Error: "bad JSON body: " + err.Error()})
		return false
	}
	return true
}

func (h *Handler) serveSend(w http.ResponseWriter, r *http.Request) {
	var req SendRequest
	if !readJSON(w, r, &req) {
		return
	}
	since := h.Cursor()
	ctx, cancel := context.WithTimeout(r.Context(), 15*time.Second)
	defer cancel()
	m, err := h.Send(ctx, req)
	var bad *RequestError
	if errors.As(err, &bad) {
		writeJSON(w, http.StatusBadRequest, apiError{Error: bad.Msg})
		return
	}
	resp := SendResponse{Message: m, Since: since, Cursor: h.Cursor()}
	status := http.StatusOK
	if err != nil {
		resp.Error, status = err.Error(), http.StatusServiceUnavailable
	}
	writeJSON(w, status, resp)
}

// Thread is Backend.Thread, except that a cursor ahead of the backend's
// (it restarted) counts as 0.
func (h *Handler) Thread(after int64, msisdn string) ([]Message, int64, <-chan struct{}) {
	msgs, cursor, changed := h.b.Thread(after, msisdn)
	if after > cursor {
		return h.b.Thread(0, msisdn)
	}
	return msgs, cursor, changed
}

// Cursor returns the backend's current cursor.
func (h *Handler) Cursor() int64 {
	_, c, _ := h.b.Thread(math.MaxInt64, "")
	return c
}

// cursorParam reads a cursor; a missing or bad value is 0.
func cursorParam(s string) int64 {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return 0
	}
	return n
}

// serveEvents streams the thread of ?msisdn= as Server-Sent Events: one
// "message" event per new or changed message (id: its revision, data: the
// Message as JSON), then a "ready" event carrying the cursor once the
// backlog is sent. It resumes after ?after= or the Last-Event-ID header.
func (h *Handler) serveEvents(w http.ResponseWriter, r *http.Request) {
	msisdn := strings.TrimSpace(r.URL.Query().Get("msisdn"))
	if _, err := CheckMSISDN(msisdn); err != nil {
		writeJSON(w, http.StatusBadRequest, apiError{Error: err.Error()})
		return
	}
	after := cursorParam(r.URL.Query().Get("after"))
	if id := r.Header.Get("Last-Event-ID"); id != "" {
		after = cursorParam(id)
	}
	rc := http.NewResponseController(w)
	hdr := w.Header()
	hdr.Set("Content-Type", "text/event-stream")
	hdr.Set("Cache-Control", "no-store")
	hdr.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	write := func(s string) bool {
		_ = rc.SetWriteDeadline(time.Now().Add(writeWindow))
		if _, err := w.Write([]byte(s)); err != nil {
			return false
		}
		return rc.Flush() == nil
	}
	if !write("retry: 2000\n\n") {
		return
	}
	end := time.NewTimer(h.o.StreamMax)
	defer end.Stop()
	ping := time.NewTicker(h.o.KeepAlive)
	defer ping.Stop()
	ready := false
	for {
		msgs, cursor, changed := h.Thread(after, msisdn)
		var b strings.Builder
		for _, m := range msgs {
			data, err := json.Marshal(m)
			if err != nil {
				h.log.Error("encode message failed", "err", err)
				return
			}
			fmt.Fprintf(&b, "id: %d\nevent: message\ndata: %s\n\n", m.Rev, data)
		}
		if !ready {
			fmt.Fprintf(&b, "id: %d\nevent: ready\ndata: {\"cursor\":%d}\n\n", cursor, cursor)
			ready = true
		}
		after = cursor // every change of this number up to cursor is written
		if b.Len() > 0 && !write(b.String()) {
			return
		}
	wait:
		for {
			select {
			case <-changed:
				break wait
			case <-ping.C:
				if !write(": keep-alive\n\n") {
					return
				}
			case <-end.C:
				return
			case <-h.done:
				return
			case <-r.Context().Done():
				return
			}
		}
	}
}

// serveMessages is the polling fallback and the CLI's reader: GET
// {prefix}/messages?msisdn=&after=&wait= returns the messages changed
// after the cursor, waiting up to wait (at most 25s) for the first one.
func (h *Handler) serveMessages(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	msisdn := strings.TrimSpace(q.Get("msisdn"))
	if _, err := CheckMSISDN(msisdn); err != nil {
		writeJSON(w, http.StatusBadRequest, apiError{Error: err.Error()})
		return
	}
	after := cursorParam(q.Get("after"))
	var wait time.Duration
	if v := q.Get("wait"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 {
			writeJSON(w, http.StatusBadRequest, apiError{Error: fmt.Sprintf("wait %q is not a duration such as 25s", v)})
			return
		}
		wait = min(d, maxPollWait)
	}
	timer := time.NewTimer(wait)
	defer timer.Stop()
	for {
		msgs, cursor, changed := h.Thread(after, msisdn)
		if len(msgs) > 0 || wait == 0 {
			if msgs == nil {
				msgs = []Message{}
			}
			w.Header().Set("Cache-Control", "no-store")
			writeJSON(w, http.StatusOK, MessagesResponse{Messages: msgs, Cursor: cursor})
			return
		}
		select {
		case <-changed:
		case <-timer.C:
			wait = 0
		case <-h.done:
			wait = 0
		case <-r.Context().Done():
			return
		}
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
