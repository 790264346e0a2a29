package webphone

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"math"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/smsgw/smsgw/keywords"
)

//go:embed assets
var assets embed.FS

// Backend is the simulated network behind the phone; *Simulator
// implements it.
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

// ShortCode is a short code the phone may send to.
type ShortCode struct {
	Code  string // e.g. "9779"
	Label string // what it is for, e.g. "requests"
}

// DemoCustomer is a customer the simulator seeds; its PIN is public demo
// data and is shown on the page.
type DemoCustomer struct {
	MSISDN, Name, Account, PIN string
}

// Example is a message to try, offered on the page.
type Example struct {
	Code string // short code to send it to
	Text string // text to send; empty when the user must type it (a PIN)
	Note string // what it does
}

// Options configure the page.
type Options struct {
	// Prefix is the path the page is mounted at; default "/phone".
	Prefix string
	// ShortCodes the phone may send to, in the order offered; the first
	// is the default. Required.
	ShortCodes []ShortCode
	// Demo lists the seeded demo customers shown on the page.
	Demo []DemoCustomer
	// Examples lists messages to try.
	Examples []Example
	// MaxText bounds the length of an MO in characters; default 1000.
	MaxText int
	// StreamMax bounds one event stream; the browser then reconnects and
	// resumes. Default 5m.
	StreamMax time.Duration
	// KeepAlive is the interval of comments on an idle event stream;
	// default 15s.
	KeepAlive time.Duration
	// Logger receives errors; default slog.Default().
	Logger *slog.Logger
}

// Handler serves the web phone. It is safe for concurrent use.
type Handler struct {
	b       Backend
	o       Options
	log     *slog.Logger
	page    *template.Template
	mux     *http.ServeMux
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

// New returns the web phone handler over b. It does no I/O.
func New(b Backend, o Options) (*Handler, error) {
	if b == nil {
		return nil, errors.New("webphone: nil backend")
	}
	if len(o.ShortCodes) == 0 {
		return nil, errors.New("webphone: no short codes")
	}
	if o.Prefix == "" {
		o.Prefix = "/phone"
	}
	if !strings.HasPrefix(o.Prefix, "/") || strings.HasSuffix(o.Prefix, "/") {
		return nil, fmt.Errorf("webphone: prefix %q must start and not end with /", o.Prefix)
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
	page, err := template.New("phone.html").Funcs(template.FuncMap{
		"clock":   func(t time.Time) string { return t.Format("15:04:05") },
		"rfc3339": func(t time.Time) string { return t.Format(time.RFC3339Nano) },
	}).ParseFS(assets, "assets/phone.html")
	if err != nil {
		return nil, fmt.Errorf("webphone: %w", err)
	}
	static, err := fs.Sub(assets, "assets/static")
	if err != nil {
		return nil, fmt.Errorf("webphone: %w", err)
	}
	h := &Handler{b: b, o: o, log: o.Logger.With("component", "webphone"), page: page, done: make(chan struct{})}
	p := o.Prefix
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+p, h.servePage)
	mux.HandleFunc("GET "+p+"/{$}", h.servePage)
	mux.Handle("GET "+p+"/static/", http.StripPrefix(p+"/static/", staticFiles(http.FileServerFS(static))))
	mux.HandleFunc("POST "+p+"/send", h.serveSend)
	mux.HandleFunc("GET "+p+"/events", h.serveEvents)
	mux.HandleFunc("GET "+p+"/messages", h.serveMessages)
	h.mux = mux
	h.handler = http.NewCrossOriginProtection().Handler(mux)
	return h, nil
}

// ServeHTTP serves the page, its assets and its API under the prefix.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.handler.ServeHTTP(w, r)
}

// Close ends the event streams and long polls in progress, so an HTTP
// server can shut down without waiting for them; the handler keeps
// serving other requests. Use it as http.Server.RegisterOnShutdown.
func (h *Handler) Close() {
	h.closeOnce.Do(func() { close(h.done) })
}

func staticFiles(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-cache")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		next.ServeHTTP(w, r)
	})
}

// pageData is what phone.html renders.
type pageData struct {
	Prefix     string
	MSISDN     string
	Selected   string
	ShortCodes []ShortCode
	Demo       []DemoCustomer
	Examples   []Example
	Messages   []Message
	Cursor     int64
	MaxText    int
	Error      string
}

func (h *Handler) servePage(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	d := pageData{
		Prefix: h.o.Prefix, ShortCodes: h.o.ShortCodes, Demo: h.o.Demo, Examples: h.o.Examples,
		Selected: h.o.ShortCodes[0].Code, MaxText: h.o.MaxText, Error: q.Get("error"),
	}
	if len(d.Error) > 300 {
		d.Error = d.Error[:300]
	}
	if to := q.Get("to"); h.knownCode(to) {
		d.Selected = to
	}
	if v := strings.TrimSpace(q.Get("msisdn")); v != "" {
		d.MSISDN = v
		if _, err := normalizeInput(v); err != nil {
			d.Error = err.Error()
		} else {
			d.Messages, d.Cursor, _ = h.thread(0, v)
			slices.SortFunc(d.Messages, func(a, b Message) int { return int(a.ID - b.ID) })
		}
	}
	if d.Cursor == 0 {
		d.Cursor = h.cursor()
	}
	hdr := w.Header()
	hdr.Set("Content-Type", "text/html; charset=utf-8")
	hdr.Set("Cache-Control", "no-store")
	hdr.Set("X-Content-Type-Options", "nosniff")
	hdr.Set("Referrer-Policy", "no-referrer")
	hdr.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
	if err := h.page.Execute(w, d); err != nil {
		h.log.Error("render page failed", "err", err)
	}
}

func (h *Handler) knownCode(code string) bool {
	return slices.ContainsFunc(h.o.ShortCodes, func(s ShortCode) bool { return s.Code == code })
}

func (h *Handler) codeList() string {
	codes := make([]string, len(h.o.ShortCodes))
	for i, s := range h.o.ShortCodes {
		codes[i] = s.Code
	}
	return strings.Join(codes, ", ")
}

// normalizeInput checks an MSISDN typed by the user.
func normalizeInput(s string) (string, error) {
	if s == "" {
		return "", errors.New("msisdn is required")
	}
	n, err := keywords.NormalizeMSISDN(s)
	if err != nil {
		return "", fmt.Errorf("msisdn %q is not an Indonesian mobile number (for example 08110000001 or 628110000001)", s)
	}
	return n, nil
}

// SendRequest is the JSON body of POST {prefix}/send. The same fields are
// accepted as an HTML form.
type SendRequest struct {
	MSISDN string `json:"msisdn"`
	To     string `json:"to"`
	Text   string `json:"text"`
}

// SendResponse answers POST {prefix}/send: the MO as recorded and the
// cursor after it. A failed delivery has Error set (status 503).
type SendResponse struct {
	Message Message `json:"message"`
	Cursor  int64   `json:"cursor"`
	Error   string  `json:"error,omitempty"`
}

type apiError struct {
	Error string `json:"error"`
}

func (h *Handler) serveSend(w http.ResponseWriter, r *http.Request) {
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	isForm := ct == "application/x-www-form-urlencoded" || ct == "multipart/form-data"
	fail := func(status int, msg string) {
		if isForm {
			http.Error(w, msg, status)
			return
		}
		writeJSON(w, status, apiError{Error: msg})
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	var req SendRequest
	switch {
	case ct == "application/json":
		dec := json.NewDecoder(r.Body)
		dec.DisallowUnknownFields()
		if err := dec.Decode(&req); err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				fail(http.StatusRequestEntityTooLarge, fmt.Sprintf("request body too large: at most %d bytes", maxBody))
				return
			}
			fail(http.StatusBadRequest, "bad JSON body: "+err.Error())
			return
		}
	case isForm:
		parse := r.ParseForm
		if ct == "multipart/form-data" {
			parse = func() error { return r.ParseMultipartForm(maxBody) }
		}
		if err := parse(); err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				fail(http.StatusRequestEntityTooLarge, fmt.Sprintf("request body too large: at most %d bytes", maxBody))
				return
			}
			fail(http.StatusBadRequest, "bad form body: "+err.Error())
			return
		}
		req = SendRequest{MSISDN: r.PostFormValue("msisdn"), To: r.PostFormValue("to"), Text: r.PostFormValue("text")}
	default:
		w.Header().Set("Accept-Post", "application/json, application/x-www-form-urlencoded")
		fail(http.StatusUnsupportedMediaType, "send JSON (Content-Type: application/json) or an HTML form")
		return
	}
	req.MSISDN = strings.TrimSpace(req.MSISDN)
	req.Text = strings.TrimSpace(req.Text)
	if _, err := normalizeInput(req.MSISDN); err != nil {
		fail(http.StatusBadRequest, err.Error())
		return
	}
	if !h.knownCode(req.To) {
		fail(http.StatusBadRequest, fmt.Sprintf("to %q is not a short code of this gateway: use one of %s", req.To, h.codeList()))
		return
	}
	switch n := utf8.RuneCountInString(req.Text); {
	case !utf8.ValidString(req.Text):
		fail(http.StatusBadRequest, "text is not valid UTF-8")
		return
	case n == 0:
		fail(http.StatusBadRequest, "text is required")
		return
	case n > h.o.MaxText:
		fail(http.StatusBadRequest, fmt.Sprintf("text is too long: %d characters, at most %d", n, h.o.MaxText))
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 15*time.Second)
	defer cancel()
	m, err := h.b.Send(ctx, req.MSISDN, req.To, req.Text)
	cursor := h.cursor()
	if isForm {
		u := h.o.Prefix + "?" + url.Values{"msisdn": {req.MSISDN}, "to": {req.To}}.Encode()
		if err != nil {
			u += "&" + url.Values{"error": {err.Error()}}.Encode()
		}
		http.Redirect(w, r, u, http.StatusSeeOther)
		return
	}
	resp := SendResponse{Message: m, Cursor: cursor}
	status := http.StatusOK
	if err != nil {
		resp.Error, status = err.Error(), http.StatusServiceUnavailable
	}
	writeJSON(w, status, resp)
}

// thread is Backend.Thread, except that a cursor ahead of the backend's
// (it restarted) counts as 0.
func (h *Handler) thread(after int64, msisdn string) ([]Message, int64, <-chan struct{}) {
	msgs, cursor, changed := h.b.Thread(after, msisdn)
	if after > cursor {
		return h.b.Thread(0, msisdn)
	}
	return msgs, cursor, changed
}

// cursor returns the backend's current cursor.
func (h *Handler) cursor() int64 {
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
	if _, err := normalizeInput(msisdn); err != nil {
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
		msgs, cursor, changed := h.thread(after, msisdn)
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

// messagesResponse answers GET {prefix}/messages.
type messagesResponse struct {
	Messages []Message `json:"messages"`
	Cursor   int64     `json:"cursor"`
}

// serveMessages is the polling fallback: GET
// {prefix}/messages?msisdn=&after=&wait= returns the messages changed
// after the cursor, waiting up to wait (at most 25s) for the first one.
func (h *Handler) serveMessages(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	msisdn := strings.TrimSpace(q.Get("msisdn"))
	if _, err := normalizeInput(msisdn); err != nil {
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
		msgs, cursor, changed := h.thread(after, msisdn)
		if len(msgs) > 0 || wait == 0 {
			if msgs == nil {
				msgs = []Message{}
			}
			w.Header().Set("Cache-Control", "no-store")
			writeJSON(w, http.StatusOK, messagesResponse{Messages: msgs, Cursor: cursor})
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
