package sim_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/smsgw/smsgw/sim"
)

// fakeBackend records sends and serves a fixed thread.
type fakeBackend struct {
	mu      sync.Mutex
	sent    []sim.SendRequest
	err     error
	msgs    []sim.Message
	cursor  int64
	changed chan struct{}
}

func (f *fakeBackend) Send(_ context.Context, msisdn, code, text string) (sim.Message, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sent = append(f.sent, sim.SendRequest{MSISDN: msisdn, To: code, Text: text})
	f.cursor++
	m := sim.Message{ID: f.cursor, Rev: f.cursor, Dir: sim.DirMO, MSISDN: msisdn, Code: code, Text: text, Status: sim.StatusDelivered}
	if f.err != nil {
		m.Status = f.err.Error()
	}
	return m, f.err
}

func (f *fakeBackend) Thread(after int64, msisdn string) ([]sim.Message, int64, <-chan struct{}) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.changed == nil {
		f.changed = make(chan struct{})
	}
	var out []sim.Message
	for _, m := range f.msgs {
		if m.Rev > after && (msisdn == "" || sim.SameMSISDN(m.MSISDN, msisdn)) {
			out = append(out, m)
		}
	}
	return out, f.cursor, f.changed
}

var testOptions = sim.HandlerOptions{
	ShortCodes: []string{"9779", "3355"},
	MaxText:    50,
	Logger:     slog.New(slog.DiscardHandler),
}

func newHandler(t *testing.T, b sim.Backend, o sim.HandlerOptions) *sim.Handler {
	t.Helper()
	h, err := sim.NewHandler(b, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.Close)
	return h
}

func do(h http.Handler, method, target, contentType, body string, hdr ...string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, target, strings.NewReader(body))
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func TestSendJSON(t *testing.T) {
	b := &fakeBackend{}
	h := newHandler(t, b, testOptions)
	rec := do(h, "POST", "/sim/send", "application/json", `{"msisdn":" 08110000001 ","to":"9779","text":"IM2PAY 08110000002 50000"}`)
	if rec.Code != http.StatusOK {
		t.Fatalf("POST /sim/send = %d %s", rec.Code, rec.Body)
	}
	var resp sim.SendResponse
	if err := json.Unmarshal(rec.Body.Bytes(), &resp); err != nil {
		t.Fatal(err)
	}
	if resp.Message.ID != 1 || resp.Message.Status != sim.StatusDelivered || resp.Cursor != 1 || resp.Since != 0 || resp.Error != "" {
		t.Errorf("response = %+v", resp)
	}
	want := sim.SendRequest{MSISDN: "08110000001", To: "9779", Text: "IM2PAY 08110000002 50000"}
	if len(b.sent) != 1 || b.sent[0] != want {
		t.Errorf("backend got %+v, want %+v", b.sent, want)
	}
}

func TestSendRejected(t *testing.T) {
	long := strings.Repeat("a", 51)
	for _, tc := range []struct {
		name, ct, body string
		status         int
		msg            string
	}{
		{"BadMSISDN", "application/json", `{"msisdn":"12345","to":"9779","text":"SALDO"}`, 400, `msisdn "12345" is not an Indonesian mobile number`},
		{"NoMSISDN", "application/json", `{"to":"9779","text":"SALDO"}`, 400, "msisdn is required"},
		{"UnknownCode", "application/json", `{"msisdn":"08110000001","to":"1234","text":"SALDO"}`, 400, `to "1234" is not a short code of this gateway: use one of 9779, 3355`},
		{"EmptyText", "application/json", `{"msisdn":"08110000001","to":"9779","text":"  "}`, 400, "text is required"},
		{"LongText", "application/json", `{"msisdn":"08110000001","to":"9779","text":"` + long + `"}`, 400, "text is too long: 51 characters, at most 50"},
		{"UnknownField", "application/json", `{"msisdn":"08110000001","to":"9779","text":"x","pin":"1"}`, 400, `bad JSON body: json: unknown field "pin"`},
		{"BadJSON", "application/json", `{"msisdn":`, 400, "bad JSON body"},
		{"ContentType", "text/plain", `hello`, 415, "send JSON"},
		{"TooLarge", "application/json", `{"msisdn":"08110000001","to":"9779","text":"` + strings.Repeat("a", 17<<10) + `"}`, 413, "request body too large: at most 16384 bytes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := &fakeBackend{}
			h := newHandler(t, b, testOptions)
			rec := do(h, "POST", "/sim/send", tc.ct, tc.body)
			if rec.Code != tc.status {
				t.Errorf("status = %d, want %d (%s)", rec.Code, tc.status, rec.Body)
			}
			got := rec.Body.String()
			if strings.HasPrefix(tc.ct, "application/json") {
				var e struct{ Error string }
				if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil {
					t.Fatalf("body %q is not a JSON error: %v", got, err)
				}
				got = e.Error
			}
			if !strings.Contains(got, tc.msg) {
				t.Errorf("error = %q, want it to say %q", got, tc.msg)
			}
			if len(b.sent) != 0 {
				t.Errorf("backend got %+v, want nothing", b.sent)
			}
		})
	}
}

func TestSendCrossOriginRefused(t *testing.T) {
	b := &fakeBackend{}
	h := newHandler(t, b, testOptions)
	body := `{"msisdn":"08110000001","to":"9779","text":"SALDO"}`
	rec := do(h, "POST", "/sim/send", "application/json", body, "Sec-Fetch-Site", "cross-site")
	if rec.Code != http.StatusForbidden || len(b.sent) != 0 {
		t.Errorf("cross-site POST = %d, sent %d; want 403, nothing sent", rec.Code, len(b.sent))
	}
	rec = do(h, "POST", "/sim/send", "application/json", body, "Sec-Fetch-Site", "same-origin")
	if rec.Code != http.StatusOK {
		t.Errorf("same-origin POST = %d, want 200", rec.Code)
	}
}

func TestSendBackendFailure(t *testing.T) {
	b := &fakeBackend{err: sim.ErrNoGateway}
	h := newHandler(t, b, testOptions)
	rec := do(h, "POST", "/sim/send", "application/json", `{"msisdn":"08110000001","to":"9779","text":"SALDO"}`)
	var resp sim.SendResponse
	_ = json.Unmarshal(rec.Body.Bytes(), &resp)
	if rec.Code != http.StatusServiceUnavailable || resp.Error != sim.ErrNoGateway.Error() || !resp.Message.Failed() {
		t.Errorf("POST with no gateway = %d %+v, want 503 with the failed MO and the reason", rec.Code, resp)
	}
}

func TestMethodsAndPaths(t *testing.T) {
	h := newHandler(t, &fakeBackend{}, testOptions)
	for _, tc := range []struct {
		method, path string
		status       int
	}{
		{"GET", "/sim/send", http.StatusMethodNotAllowed},
		{"POST", "/sim/messages", http.StatusMethodNotAllowed},
		{"GET", "/sim/nope", http.StatusNotFound},
		{"GET", "/sim/events?msisdn=x", http.StatusBadRequest},
		{"GET", "/sim/messages", http.StatusBadRequest},
		{"GET", "/sim/messages?msisdn=08110000001&wait=soon", http.StatusBadRequest},
		{"GET", "/sim/messages?msisdn=08110000001", http.StatusOK},
	} {
		if rec := do(h, tc.method, tc.path, "", ""); rec.Code != tc.status {
			t.Errorf("%s %s = %d, want %d", tc.method, tc.path, rec.Code, tc.status)
		}
	}
}

// sseEvent is one Server-Sent Event.
type sseEvent struct {
	id, event, data string
}

// sseReader reads events from a stream in a goroutine.
func sseReader(body io.Reader) <-chan sseEvent {
	ch := make(chan sseEvent, 100)
	go func() {
		defer close(ch)
		sc := bufio.NewScanner(body)
		var ev sseEvent
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "":
				if ev.event != "" || ev.data != "" {
					ch <- ev
				}
				ev = sseEvent{}
			case strings.HasPrefix(line, "id: "):
				ev.id = line[4:]
			case strings.HasPrefix(line, "event: "):
				ev.event = line[7:]
			case strings.HasPrefix(line, "data: "):
				ev.data = line[6:]
			}
		}
	}()
	return ch
}

// nextMessage reads events until a "message" event whose Message matches
// ok.
func nextMessage(t *testing.T, events <-chan sseEvent, ok func(sim.Message) bool) (sim.Message, sseEvent) {
	t.Helper()
	timeout := time.After(5 * time.Second)
	for {
		select {
		case ev, open := <-events:
			if !open {
				t.Fatal("event stream ended")
			}
			if ev.event != "message" {
				continue
			}
			var m sim.Message
			if err := json.Unmarshal([]byte(ev.data), &m); err != nil {
				t.Fatalf("event data %q: %v", ev.data, err)
			}
			if fmt.Sprint(m.Rev) != ev.id {
				t.Errorf("event id %q, message rev %d", ev.id, m.Rev)
			}
			if ok(m) {
				return m, ev
			}
		case <-timeout:
			t.Fatal("no matching event within 5s")
		}
	}
}

// apiServer serves a Handler over a Simulator with an echo gateway.
func apiServer(t *testing.T, o sim.HandlerOptions) (*httptest.Server, *sim.Handler, *sim.Simulator) {
	t.Helper()
	sim := startSimulator(t, sim.Options{}, &echoGateway{})
	h := newHandler(t, sim, o)
	srv := httptest.NewUnstartedServer(h)
	// As the daemon's server: a request must be read within ReadTimeout,
	// which must not cut the long-lived streams.
	srv.Config.ReadTimeout = 300 * time.Millisecond
	srv.Start()
	t.Cleanup(srv.Close)
	return srv, h, sim
}

func openStream(t *testing.T, url string, hdr ...string) (*http.Response, <-chan sseEvent) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), "GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { res.Body.Close() })
	if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("GET %s = %d %q", url, res.StatusCode, res.Header.Get("Content-Type"))
	}
	return res, sseReader(res.Body)
}

func postJSON(t *testing.T, url, body string) *http.Response {
	t.Helper()
	res, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { res.Body.Close() })
	return res
}

func TestEventStreamDeliversReply(t *testing.T) {
	srv, _, _ := apiServer(t, testOptions)
	_, events := openStream(t, srv.URL+"/sim/events?msisdn=08110000001")
	ev := <-events
	if ev.event != "ready" {
		t.Fatalf("first event = %+v, want ready", ev)
	}
	// Longer than the server's ReadTimeout: the stream must survive it.
	time.Sleep(500 * time.Millisecond)
	if res := postJSON(t, srv.URL+"/sim/send", `{"msisdn":"08110000001","to":"3355","text":"BATAL"}`); res.StatusCode != http.StatusOK {
		t.Fatalf("send = %d", res.StatusCode)
	}
	// The MO (first sending, then delivered) and the reply, in any order.
	var mo, mt sim.Message
	var last string
	for mo.Status != sim.StatusDelivered || mt.ID == 0 {
		m, ev := nextMessage(t, events, func(sim.Message) bool { return true })
		if m.Dir == sim.DirMO {
			mo = m
		} else {
			mt = m
		}
		last = ev.id
	}
	if mo.Code != "3355" || mo.Text != "BATAL" {
		t.Errorf("MO event = %+v", mo)
	}
	if mt.Code != "3355" || mt.Text != "ok: BATAL" || mt.ID <= mo.ID {
		t.Errorf("reply event = %+v, want from 3355", mt)
	}

	// A reconnecting browser resumes after Last-Event-ID: only newer
	// changes come.
	_, resumed := openStream(t, srv.URL+"/sim/events?msisdn=08110000001&after=0", "Last-Event-ID", last)
	if ev := <-resumed; ev.event != "ready" {
		t.Errorf("resumed stream replayed %+v, want only ready", ev)
	}
	postJSON(t, srv.URL+"/sim/send", `{"msisdn":"08110000001","to":"9779","text":"SALDO"}`)
	mt2, _ := nextMessage(t, resumed, func(m sim.Message) bool { return m.Dir == sim.DirMT })
	if mt2.Text != "ok: SALDO" || mt2.ID <= mt.ID {
		t.Errorf("resumed reply = %+v", mt2)
	}

	// Another number's stream replays its own backlog only.
	postJSON(t, srv.URL+"/sim/send", `{"msisdn":"08110000002","to":"9779","text":"RIWAYAT"}`)
	_, other := openStream(t, srv.URL+"/sim/events?msisdn=628110000002")
	var seen []string
	nextMessage(t, other, func(m sim.Message) bool {
		seen = append(seen, m.Dir+" "+m.Text)
		return m.Dir == sim.DirMT
	})
	for _, s := range seen {
		if s != "mo RIWAYAT" && s != "mt ok: RIWAYAT" {
			t.Errorf("stream of the other number carried %q", s)
		}
	}
}

func TestEventStreamEndsOnClose(t *testing.T) {
	srv, h, _ := apiServer(t, testOptions)
	_, events := openStream(t, srv.URL+"/sim/events?msisdn=08110000001")
	<-events // ready
	h.Close()
	timeout := time.After(5 * time.Second)
	for {
		select {
		case _, open := <-events:
			if !open {
				return
			}
		case <-timeout:
			t.Fatal("stream still open after Close")
		}
	}
}

func TestEventStreamKeepAliveAndEnd(t *testing.T) {
	o := testOptions
	o.KeepAlive, o.StreamMax = 50*time.Millisecond, 400*time.Millisecond
	srv, _, _ := apiServer(t, o)
	// Read the raw stream (openStream's reader would take part of it).
	start := time.Now()
	res, err := http.Get(srv.URL + "/sim/events?msisdn=08110000001")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("stream lasted %v, want about StreamMax", d)
	}
	if n := strings.Count(string(b), ": keep-alive"); n < 3 {
		t.Errorf("%d keep-alive comments in 400ms at 50ms, want several:\n%s", n, b)
	}
	if !strings.HasPrefix(string(b), "retry: ") {
		t.Errorf("stream does not start with a retry interval: %q", b)
	}
}

type pollPage struct {
	Messages []sim.Message
	Cursor   int64
}

func poll(url string) (pollPage, error) {
	var page pollPage
	res, err := http.Get(url)
	if err != nil {
		return page, err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return page, fmt.Errorf("GET %s = %d", url, res.StatusCode)
	}
	return page, json.NewDecoder(res.Body).Decode(&page)
}

func TestPollingFallback(t *testing.T) {
	srv, _, _ := apiServer(t, testOptions)
	first, err := poll(srv.URL + "/sim/messages?msisdn=08110000001")
	if err != nil {
		t.Fatal(err)
	}
	if len(first.Messages) != 0 || first.Cursor != 0 {
		t.Fatalf("empty thread = %+v", first)
	}
	type result struct {
		polled []sim.Message
		err    error
	}
	done := make(chan result, 1)
	go func() {
		var r result
		defer func() { done <- r }()
		cursor := first.Cursor
		// Long polls, past the server's ReadTimeout, until the reply.
		for range 10 {
			p, err := poll(fmt.Sprintf("%s/sim/messages?msisdn=08110000001&after=%d&wait=5s", srv.URL, cursor))
			if err != nil {
				r.err = err
				return
			}
			r.polled = append(r.polled, p.Messages...)
			cursor = p.Cursor
			if slices.ContainsFunc(p.Messages, isMT) {
				return
			}
		}
	}()
	time.Sleep(400 * time.Millisecond)
	postJSON(t, srv.URL+"/sim/send", `{"msisdn":"08110000001","to":"9779","text":"SALDO"}`)
	var r result
	select {
	case r = <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("long poll got no reply")
	}
	if r.err != nil {
		t.Fatal(r.err)
	}
	if !slices.ContainsFunc(r.polled, func(m sim.Message) bool { return m.Dir == sim.DirMT && m.Text == "ok: SALDO" }) {
		t.Errorf("polled %+v, want the reply", r.polled)
	}
}

func TestNewHandlerChecksOptions(t *testing.T) {
	if _, err := sim.NewHandler(&fakeBackend{}, sim.HandlerOptions{}); err == nil {
		t.Error("NewHandler without short codes succeeded")
	}
	if _, err := sim.NewHandler(nil, testOptions); err == nil {
		t.Error("NewHandler without a backend succeeded")
	}
	o := testOptions
	o.Prefix = "/sim/"
	if _, err := sim.NewHandler(&fakeBackend{}, o); err == nil {
		t.Error("NewHandler with a prefix ending in / succeeded")
	}
	o.Prefix = "/api/sim"
	h := newHandler(t, &fakeBackend{}, o)
	if rec := do(h, "GET", "/api/sim/messages?msisdn=08110000001", "", ""); rec.Code != http.StatusOK || h.Prefix() != "/api/sim" {
		t.Errorf("GET under a custom prefix = %d", rec.Code)
	}
}
