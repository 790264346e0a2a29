package webphone_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/smsgw/smsgw/sim"
	"github.com/smsgw/smsgw/webphone"
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

var testOptions = webphone.Options{
	ShortCodes: []webphone.ShortCode{{Code: "9779", Label: "requests"}, {Code: "3355", Label: "PIN replies"}},
	Demo: []webphone.DemoCustomer{
		{MSISDN: "08110000001", Name: "Demo Satu", Account: "08110000001", PIN: "123456"},
		{MSISDN: "08110000002", Name: `<script>alert("x")</script>`, Account: "08110000002", PIN: "654321"},
	},
	Examples: []webphone.Example{{Code: "9779", Text: "SALDO", Note: "balance"}},
	Logger:   slog.New(slog.DiscardHandler),
}

// newHandler serves the page over the simulator API on b.
func newHandler(t *testing.T, b sim.Backend, o webphone.Options) *webphone.Handler {
	t.Helper()
	api, err := sim.NewHandler(b, sim.HandlerOptions{ShortCodes: []string{"9779", "3355"}, MaxText: 50, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(api.Close)
	h, err := webphone.New(api, o)
	if err != nil {
		t.Fatal(err)
	}
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

func TestPageRenders(t *testing.T) {
	b := &fakeBackend{cursor: 7, msgs: []sim.Message{
		{ID: 1, Rev: 3, Dir: sim.DirMO, MSISDN: "08110000001", Code: "9779", Text: "IM2PAY 08110000001 50000", Status: sim.StatusDelivered, Time: time.Now()},
		{ID: 2, Rev: 2, Dir: sim.DirMT, MSISDN: "628110000001", Code: "3355", Text: `Balas <b>PIN</b> & "kirim"`, Time: time.Now()},
		{ID: 3, Rev: 7, Dir: sim.DirMO, MSISDN: "08110000001", Code: "3355", Text: "••••••", Status: "ESME_RX_T_APPN", Time: time.Now()},
		{ID: 4, Rev: 4, Dir: sim.DirMT, MSISDN: "628110000009", Code: "9779", Text: "other number"},
	}}
	h := newHandler(t, b, testOptions)

	rec := do(h, "GET", "/phone?msisdn=08110000001&to=3355", "", "")
	if rec.Code != http.StatusOK {
		t.Fatalf("GET /phone = %d, want 200", rec.Code)
	}
	body := rec.Body.String()
	for _, want := range []string{
		`id="msisdn"`, `value="08110000001"`, `id="to"`, `<option value="3355" selected>`, `id="text"`, `id="send"`,
		`id="thread"`, `data-cursor="7"`,
		`<li class="msg mo" data-id="1" data-rev="3" data-code="9779">`,
		`<li class="msg mt" data-id="2" data-rev="2" data-code="3355">`,
		`<li class="msg mo failed" data-id="3" data-rev="7" data-code="3355">`,
		`Balas &lt;b&gt;PIN&lt;/b&gt; &amp; &#34;kirim&#34;`,
		`&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;`,
		"08110000002", "654321", "123456", // the demo numbers and PINs are listed
		"9779", "3355", "PIN replies",
		`/phone/static/phone.js`, `data-text="SALDO"`, `data-api="/sim"`, `action="/phone"`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	for _, bad := range []string{"<b>PIN</b>", `<script>alert`, "other number"} {
		if strings.Contains(body, bad) {
			t.Errorf("page contains %q", bad)
		}
	}
	// The thread is in creation order.
	if i, j := strings.Index(body, `data-id="1"`), strings.Index(body, `data-id="2"`); i < 0 || j < i {
		t.Error("thread not in creation order")
	}
	csp := rec.Header().Get("Content-Security-Policy")
	if !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") {
		t.Errorf("Content-Security-Policy = %q", csp)
	}

	t.Run("NoNumber", func(t *testing.T) {
		rec := do(h, "GET", "/phone", "", "")
		if rec.Code != http.StatusOK || strings.Contains(rec.Body.String(), `class="msg`) {
			t.Errorf("GET /phone = %d, want 200 and no thread", rec.Code)
		}
	})
	t.Run("BadNumber", func(t *testing.T) {
		rec := do(h, "GET", "/phone?msisdn=%3Cb%3E", "", "")
		body := rec.Body.String()
		if rec.Code != http.StatusOK || !strings.Contains(body, "not an Indonesian mobile number") || strings.Contains(body, "<b>") {
			t.Errorf("GET /phone?msisdn=<b> = %d, want the page with an escaped error", rec.Code)
		}
	})
	t.Run("Static", func(t *testing.T) {
		for path, ct := range map[string]string{"/phone/static/phone.js": "javascript", "/phone/static/phone.css": "text/css"} {
			rec := do(h, "GET", path, "", "")
			if rec.Code != http.StatusOK || !strings.Contains(rec.Header().Get("Content-Type"), ct) || rec.Body.Len() < 100 {
				t.Errorf("GET %s = %d %q (%d bytes)", path, rec.Code, rec.Header().Get("Content-Type"), rec.Body.Len())
			}
		}
		if rec := do(h, "GET", "/phone/static/missing.js", "", ""); rec.Code != http.StatusNotFound {
			t.Errorf("GET missing asset = %d, want 404", rec.Code)
		}
	})
}

func TestSendForm(t *testing.T) {
	b := &fakeBackend{}
	h := newHandler(t, b, testOptions)
	form := url.Values{"msisdn": {"08110000001"}, "to": {"3355"}, "text": {"123456"}}.Encode()
	rec := do(h, "POST", "/phone", "application/x-www-form-urlencoded", form)
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/phone?msisdn=08110000001&to=3355" {
		t.Errorf("form POST = %d to %q, want 303 to the page", rec.Code, rec.Header().Get("Location"))
	}
	if len(b.sent) != 1 || b.sent[0].To != "3355" {
		t.Errorf("backend got %+v", b.sent)
	}
}

func TestFormRejected(t *testing.T) {
	for _, tc := range []struct {
		name, ct, body string
		status         int
		msg            string
	}{
		{"TooLarge", "application/x-www-form-urlencoded", "text=" + strings.Repeat("a", 17<<10), 413, "request body too large"},
		{"BadCode", "application/x-www-form-urlencoded", "msisdn=08110000001&to=1&text=x", 400, "is not a short code"},
		{"LongText", "application/x-www-form-urlencoded", "msisdn=08110000001&to=9779&text=" + strings.Repeat("a", 51), 400, "text is too long: 51 characters, at most 50"},
		{"JSON", "application/json", `{"msisdn":"08110000001","to":"9779","text":"SALDO"}`, 415, "send JSON to /sim/send"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := &fakeBackend{}
			h := newHandler(t, b, testOptions)
			rec := do(h, "POST", "/phone", tc.ct, tc.body)
			if rec.Code != tc.status || !strings.Contains(rec.Body.String(), tc.msg) {
				t.Errorf("POST /phone = %d %q, want %d saying %q", rec.Code, rec.Body, tc.status, tc.msg)
			}
			if len(b.sent) != 0 {
				t.Errorf("backend got %+v, want nothing", b.sent)
			}
		})
	}
}

func TestFormCrossOriginRefused(t *testing.T) {
	b := &fakeBackend{}
	h := newHandler(t, b, testOptions)
	form := url.Values{"msisdn": {"08110000001"}, "to": {"9779"}, "text": {"SALDO"}}.Encode()
	rec := do(h, "POST", "/phone", "application/x-www-form-urlencoded", form, "Sec-Fetch-Site", "cross-site")
	if rec.Code != http.StatusForbidden || len(b.sent) != 0 {
		t.Errorf("cross-site POST = %d, sent %d; want 403, nothing sent", rec.Code, len(b.sent))
	}
}

func TestMethodsAndPaths(t *testing.T) {
	h := newHandler(t, &fakeBackend{}, testOptions)
	for _, tc := range []struct {
		method, path string
		status       int
	}{
		{"GET", "/phone", http.StatusOK},
		{"PUT", "/phone", http.StatusMethodNotAllowed},
		{"GET", "/phone/nope", http.StatusNotFound},
		{"POST", "/phone/send", http.StatusNotFound}, // the API is the simulator's, under /sim
		{"GET", "/phone/events?msisdn=08110000001", http.StatusNotFound},
	} {
		if rec := do(h, tc.method, tc.path, "", ""); rec.Code != tc.status {
			t.Errorf("%s %s = %d, want %d", tc.method, tc.path, rec.Code, tc.status)
		}
	}
}

func TestNewChecksOptions(t *testing.T) {
	api, err := sim.NewHandler(&fakeBackend{}, sim.HandlerOptions{ShortCodes: []string{"9779"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := webphone.New(api, webphone.Options{}); err == nil {
		t.Error("New without short codes succeeded")
	}
	if _, err := webphone.New(nil, testOptions); err == nil {
		t.Error("New without the simulator API succeeded")
	}
	o := testOptions
	o.Prefix = "/phone/"
	if _, err := webphone.New(api, o); err == nil {
		t.Error("New with a prefix ending in / succeeded")
	}
	o.Prefix = "/sim/phone"
	h := newHandler(t, &fakeBackend{}, o)
	if rec := do(h, "GET", "/sim/phone", "", ""); rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `/sim/phone/static/phone.js`) {
		t.Errorf("GET under a custom prefix = %d", rec.Code)
	}
}

// ussdBackend is a fakeBackend with USSD.
type ussdBackend struct{ fakeBackend }

func (u *ussdBackend) DialUSSD(_ context.Context, msisdn, dial string) (sim.USSDScreen, error) {
	return sim.USSDScreen{MSISDN: msisdn, Code: "9779", Text: "menu"}, nil
}

func (u *ussdBackend) AnswerUSSD(_ context.Context, msisdn, input string) (sim.USSDScreen, error) {
	return sim.USSDScreen{MSISDN: msisdn, Code: "9779", Text: "after " + input}, nil
}

func (u *ussdBackend) CancelUSSD(_ context.Context, msisdn string, drop bool) (sim.USSDScreen, error) {
	return sim.USSDScreen{MSISDN: msisdn, Code: "9779", End: true, Reason: sim.USSDCancelled}, nil
}

func (u *ussdBackend) USSD(string) (sim.USSDScreen, bool) { return sim.USSDScreen{}, false }

// The dial pad and the USSD dialog are on the page when the simulator
// serves USSD, and absent when it does not.
func TestDialPad(t *testing.T) {
	api, err := sim.NewHandler(&ussdBackend{}, sim.HandlerOptions{ShortCodes: []string{"9779", "3355"}, USSDCodes: []string{"9779"},
		Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(api.Close)
	h, err := webphone.New(api, testOptions)
	if err != nil {
		t.Fatal(err)
	}
	body := do(h, "GET", "/phone", "", "").Body.String()
	for _, want := range []string{
		`id="dialer"`, `id="dial"`, `placeholder="*9779#"`, `id="call"`, `id="hangup"`,
		`data-key="1"`, `data-key="0"`, `data-key="*" aria-label="star"`, `data-key="#" aria-label="hash"`,
		`<dialog id="ussd"`, `id="ussd-text"`, `id="ussd-input"`, `<label for="ussd-input">`, `id="ussd-send"`, `id="ussd-cancel"`, `id="ussd-close"`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if strings.Contains(body, "style=") || strings.Contains(body, "onclick") {
		t.Error("page has inline style or script")
	}
	// Without USSD there is no dial pad.
	body = do(newHandler(t, &fakeBackend{}, testOptions), "GET", "/phone", "", "").Body.String()
	if strings.Contains(body, `id="dialer"`) || strings.Contains(body, `id="ussd"`) {
		t.Error("dial pad shown without USSD")
	}
}

// Demo numbers of several simulated operators name their operator, so a
// person can pick a number from either; with one network the column is
// left out.
func TestPageShowsDemoOperators(t *testing.T) {
	o := testOptions
	o.Demo = []webphone.DemoCustomer{
		{MSISDN: "08110000001", Name: "Demo Satu", Account: "08110000001", PIN: "123456", Operator: "telkomsel"},
		{MSISDN: "08150000003", Name: "Demo Tiga", Account: "08150000003", PIN: "246810", Operator: "indosat"},
	}
	body := do(newHandler(t, &fakeBackend{}, o), "GET", "/phone", "", "").Body.String()
	for _, want := range []string{
		`<th>Operator</th>`,
		`data-msisdn="08150000003" data-operator="indosat"`, `<td class="operator">indosat</td>`,
		`data-msisdn="08110000001" data-operator="telkomsel"`, `<option value="08150000003">Demo Tiga (indosat)</option>`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %s", want)
		}
	}
	if body := do(newHandler(t, &fakeBackend{}, testOptions), "GET", "/phone", "", "").Body.String(); strings.Contains(body, "<th>Operator</th>") {
		t.Error("page with one network shows an operator column")
	}
}
