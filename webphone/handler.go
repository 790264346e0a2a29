package webphone

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/smsgw/smsgw/sim"
)

//go:embed assets
var assets embed.FS

// ShortCode is a short code the phone may send to.
type ShortCode struct {
	Code  string // e.g. "9779"
	Label string // what it is for, e.g. "requests"
}

// DemoCustomer is a customer the simulator seeds; its PIN is public demo
// data and is shown on the page.
type DemoCustomer struct {
	MSISDN, Name, Account, PIN string
	// Operator is the simulated operator the number belongs to (empty
	// when the simulator plays one network): its messages go through
	// that operator's SMSC.
	Operator string
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
	// is the default. Required; the API must accept them.
	ShortCodes []ShortCode
	// Demo lists the seeded demo customers shown on the page.
	Demo []DemoCustomer
	// Examples lists messages to try.
	Examples []Example
	// Logger receives errors; default slog.Default().
	Logger *slog.Logger
}

// Handler serves the web phone: the page and its assets. It is safe for
// concurrent use.
type Handler struct {
	api     *sim.Handler
	o       Options
	log     *slog.Logger
	page    *template.Template
	handler http.Handler
}

// maxBody bounds the body of the page's HTML form.
const maxBody = 16 << 10

// New returns the web phone handler over the simulator's API, which the
// page's script calls (api.Prefix()) and the HTML form sends through. It
// does no I/O.
func New(api *sim.Handler, o Options) (*Handler, error) {
	if api == nil {
		return nil, errors.New("webphone: nil simulator API")
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
	h := &Handler{api: api, o: o, log: o.Logger.With("component", "webphone"), page: page}
	p := o.Prefix
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+p, h.servePage)
	mux.HandleFunc("GET "+p+"/{$}", h.servePage)
	mux.HandleFunc("POST "+p, h.serveForm)
	mux.Handle("GET "+p+"/static/", http.StripPrefix(p+"/static/", staticFiles(http.FileServerFS(static))))
	h.handler = http.NewCrossOriginProtection().Handler(mux)
	return h, nil
}

// ServeHTTP serves the page, its assets and its form under the prefix.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.handler.ServeHTTP(w, r)
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
	API        string
	MSISDN     string
	Selected   string
	ShortCodes []ShortCode
	Demo       []DemoCustomer
	Examples   []Example
	Messages   []sim.Message
	Cursor     int64
	MaxText    int
	Error      string
	// USSD is the dial string the dial pad offers (*9779#); empty when the
	// simulator serves no USSD, and the page has no dial pad.
	USSD string
	// Operators is true when the demo numbers name their operators.
	Operators bool
}

func (h *Handler) servePage(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	d := pageData{
		Prefix: h.o.Prefix, API: h.api.Prefix(), ShortCodes: h.o.ShortCodes, Demo: h.o.Demo, Examples: h.o.Examples,
		Selected: h.o.ShortCodes[0].Code, MaxText: h.api.MaxText(), Error: q.Get("error"),
	}
	for _, c := range d.Demo {
		d.Operators = d.Operators || c.Operator != ""
	}
	if codes := h.api.USSDCodes(); len(codes) > 0 {
		d.USSD = "*" + codes[0] + "#"
	}
	if len(d.Error) > 300 {
		d.Error = d.Error[:300]
	}
	if to := q.Get("to"); h.knownCode(to) {
		d.Selected = to
	}
	if v := strings.TrimSpace(q.Get("msisdn")); v != "" {
		d.MSISDN = v
		if _, err := sim.CheckMSISDN(v); err != nil {
			d.Error = err.Error()
		} else {
			d.Messages, d.Cursor, _ = h.api.Thread(0, v)
			slices.SortFunc(d.Messages, func(a, b sim.Message) int { return int(a.ID - b.ID) })
		}
	}
	if d.Cursor == 0 {
		d.Cursor = h.api.Cursor()
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

// serveForm takes the page's HTML form when the script does not run: it
// sends through the simulator API's checks and answers 303 to the page of
// that number, with the error when there is one. JSON clients use the API.
func (h *Handler) serveForm(w http.ResponseWriter, r *http.Request) {
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct != "application/x-www-form-urlencoded" && ct != "multipart/form-data" {
		w.Header().Set("Accept-Post", "application/x-www-form-urlencoded, multipart/form-data")
		http.Error(w, "post the page's form, or send JSON to "+h.api.Prefix()+"/send", http.StatusUnsupportedMediaType)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	parse := r.ParseForm
	if ct == "multipart/form-data" {
		parse = func() error { return r.ParseMultipartForm(maxBody) }
	}
	if err := parse(); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			http.Error(w, fmt.Sprintf("request body too large: at most %d bytes", maxBody), http.StatusRequestEntityTooLarge)
			return
		}
		http.Error(w, "bad form body: "+err.Error(), http.StatusBadRequest)
		return
	}
	req := sim.SendRequest{MSISDN: strings.TrimSpace(r.PostFormValue("msisdn")), To: r.PostFormValue("to"), Text: r.PostFormValue("text")}
	ctx, cancel := context.WithTimeout(r.Context(), 15*time.Second)
	defer cancel()
	_, err := h.api.Send(ctx, req)
	var bad *sim.RequestError
	if errors.As(err, &bad) {
		http.Error(w, bad.Msg, http.StatusBadRequest)
		return
	}
	u := h.o.Prefix + "?" + url.Values{"msisdn": {req.MSISDN}, "to": {req.To}}.Encode()
	if err != nil {
		u += "&" + url.Values{"error": {err.Error()}}.Encode()
	}
	http.Redirect(w, r, u, http.StatusSeeOther)
}
