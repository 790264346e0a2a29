package ussd_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/smsgw/smsgw/domain"
	"github.com/smsgw/smsgw/smsgw"
	"github.com/smsgw/smsgw/smsgw/smsgwtest"
	"github.com/smsgw/smsgw/store/sqlite/sqlitetest"
	"github.com/smsgw/smsgw/ussd"
)

const (
	payer = "08110000002"
	pin   = "246810"
)

var loopback = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}

type screens struct {
	mu  sync.Mutex
	got []string
}

func (s *screens) USSDScreen(channel string, end, failed bool, _ time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.got = append(s.got, channel+map[bool]string{true: " end", false: " con"}[end]+map[bool]string{true: " failed", false: ""}[failed])
}

func newServer(t *testing.T, o ussd.HTTPOptions) (*httptest.Server, *smsgw.Gateway, *bytes.Buffer) {
	t.Helper()
	logs := new(bytes.Buffer)
	logger := slog.New(slog.NewTextHandler(logs, nil))
	_, gw := sqlitetest.Open(t, smsgwtest.WithCodes("9779", "3355"), smsgwtest.WithLogger(logger))
	if err := gw.AddCustomer(t.Context(), payer, payer, "Payer", domain.PIN(pin)); err != nil {
		t.Fatal(err)
	}
	if o.Engine == nil {
		o.Engine = gw
	}
	if o.Allow == nil {
		o.Allow = loopback
	}
	o.Logger = logger
	h, err := ussd.NewHTTP(o)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv, gw, logs
}

func post(t *testing.T, srv *httptest.Server, form url.Values, header ...string) (int, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, srv.URL, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

func screen(session, text string) url.Values {
	return url.Values{"sessionId": {session}, "serviceCode": {"*9779#"}, "phoneNumber": {"+62" + payer[1:]}, "text": {text}}
}

// A whole top-up over HTTP, screen by screen, as an aggregator sends it.
func TestHTTPTopUp(t *testing.T) {
	obs := &screens{}
	srv, gw, logs := newServer(t, ussd.HTTPOptions{Observer: obs})
	for _, step := range []struct{ text, want string }{
		{"", "CON i-Pay\n1 Isi saldo"},
		{"1", "CON Isi saldo i-Pay"},
		{"1*" + payer, "CON Isi saldo " + payer + "\nPilih nominal"},
		{"1*" + payer + "*1", "CON Isi saldo " + payer + " Rp50.000\nMasukkan PIN"},
		{"1*" + payer + "*1*" + pin, "END Isi saldo " + payer + " Rp50.000 BERHASIL"},
	} {
		status, body := post(t, srv, screen("AT-1", step.text))
		if status != http.StatusOK || !strings.HasPrefix(body, step.want) {
			t.Fatalf("text %q: %d %q, want 200 starting %q", step.text, status, body, step.want)
		}
	}
	w, _, err := gw.Wallet(t.Context(), payer, 1)
	if err != nil || w.Balance != 50000 {
		t.Errorf("wallet %+v, %v; want Rp50.000", w, err)
	}
	if strings.Contains(logs.String(), pin) {
		t.Errorf("PIN in the logs:\n%s", logs)
	}
	if want := []string{"http con", "http con", "http con", "http con", "http end"}; strings.Join(obs.got, ",") != strings.Join(want, ",") {
		t.Errorf("observed %q, want %q", obs.got, want)
	}
}

// Refusals get a clear status and an END text; nothing reaches the engine.
func TestHTTPRefusals(t *testing.T) {
	srv, _, _ := newServer(t, ussd.HTTPOptions{Token: "s3cret"})
	tok := []string{ussd.TokenHeader, "s3cret"}
	for name, tc := range map[string]struct {
		form   url.Values
		header []string
		status int
	}{
		"no token":        {screen("A", ""), nil, http.StatusUnauthorized},
		"wrong token":     {screen("A", ""), []string{ussd.TokenHeader, "guess"}, http.StatusUnauthorized},
		"no session":      {url.Values{"serviceCode": {"*9779#"}, "phoneNumber": {payer}}, tok, http.StatusBadRequest},
		"no phone":        {url.Values{"sessionId": {"A"}, "serviceCode": {"*9779#"}}, tok, http.StatusBadRequest},
		"bad phone":       {url.Values{"sessionId": {"A"}, "serviceCode": {"*9779#"}, "phoneNumber": {"abc"}}, tok, http.StatusBadRequest},
		"bad code":        {url.Values{"sessionId": {"A"}, "serviceCode": {"*97x9#"}, "phoneNumber": {payer}}, tok, http.StatusBadRequest},
		"too many inputs": {screen("A", strings.Repeat("1*", 40)), tok, http.StatusBadRequest},
		"huge body":       {url.Values{"sessionId": {strings.Repeat("x", 8<<10)}}, tok, http.StatusRequestEntityTooLarge},
	} {
		status, body := post(t, srv, tc.form, tc.header...)
		if status != tc.status || !strings.HasPrefix(body, "END ") {
			t.Errorf("%s: %d %q, want %d and an END text", name, status, body, tc.status)
		}
	}
	status, body := post(t, srv, screen("A", ""), tok...)
	if status != http.StatusOK || !strings.HasPrefix(body, "CON ") {
		t.Errorf("with the token: %d %q", status, body)
	}
}

func TestHTTPAddressNotAllowed(t *testing.T) {
	srv, _, _ := newServer(t, ussd.HTTPOptions{Allow: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}})
	if status, body := post(t, srv, screen("A", "")); status != http.StatusForbidden || !strings.HasPrefix(body, "END ") {
		t.Errorf("from a loopback address: %d %q, want 403", status, body)
	}
}

type failing struct{}

func (failing) USSD(context.Context, smsgw.USSDRequest) (smsgw.USSDScreen, error) {
	return smsgw.USSDScreen{}, errors.New("database is locked")
}

// An engine failure ends the session with a text the subscriber
// understands, and 503 for the aggregator.
func TestHTTPEngineFailure(t *testing.T) {
	obs := &screens{}
	srv, _, _ := newServer(t, ussd.HTTPOptions{Engine: failing{}, Observer: obs})
	status, body := post(t, srv, screen("A", ""))
	if status != http.StatusServiceUnavailable || body != "END "+ussd.ErrorText {
		t.Errorf("engine failure: %d %q", status, body)
	}
	if len(obs.got) != 1 || obs.got[0] != "http end failed" {
		t.Errorf("observed %q", obs.got)
	}
}

func TestNewHTTPChecks(t *testing.T) {
	if _, err := ussd.NewHTTP(ussd.HTTPOptions{Allow: loopback}); err == nil {
		t.Error("no engine accepted")
	}
	if _, err := ussd.NewHTTP(ussd.HTTPOptions{Engine: failing{}}); err == nil {
		t.Error("no allowed addresses accepted")
	}
}

// BenchmarkHTTPScreens runs whole top-ups over the HTTP channel, five
// screens each, from 200 subscribers in parallel, and reports the
// latency of a screen (p50, p99) besides the time per top-up.
func BenchmarkHTTPScreens(b *testing.B) {
	logger := slog.New(slog.DiscardHandler)
	_, gw := sqlitetest.Open(b, smsgwtest.WithCodes("9779", "3355"), smsgwtest.WithLogger(logger))
	const subscribers = 200
	for i := range subscribers {
		m := fmt.Sprintf("0812%07d", i)
		if err := gw.AddCustomer(b.Context(), m, m, "Bench", domain.PIN(pin)); err != nil {
			b.Fatal(err)
		}
	}
	h, err := ussd.NewHTTP(ussd.HTTPOptions{Engine: gw, Allow: loopback, Logger: logger})
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	var (
		mu    sync.Mutex
		times []time.Duration
		n     atomic.Int64
	)
	b.SetParallelism(8)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		client := srv.Client()
		var mine []time.Duration
		for pb.Next() {
			i := n.Add(1)
			m := fmt.Sprintf("0812%07d", i%subscribers)
			for _, text := range []string{"", "1", "1*" + m, "1*" + m + "*1", "1*" + m + "*1*" + pin} {
				form := url.Values{"sessionId": {fmt.Sprint("b", i)}, "serviceCode": {"*9779#"}, "phoneNumber": {m}, "text": {text}}
				start := time.Now()
				res, err := client.PostForm(srv.URL, form)
				if err != nil {
					b.Error(err)
					return
				}
				body, _ := io.ReadAll(res.Body)
				res.Body.Close()
				mine = append(mine, time.Since(start))
				if res.StatusCode != http.StatusOK || !strings.HasPrefix(string(body), "CON ") && !strings.HasPrefix(string(body), "END ") {
					b.Errorf("%d %q", res.StatusCode, body)
					return
				}
			}
		}
		mu.Lock()
		times = append(times, mine...)
		mu.Unlock()
	})
	b.StopTimer()
	slices.Sort(times)
	if len(times) > 0 {
		b.ReportMetric(float64(times[len(times)/2].Microseconds())/1000, "p50-ms/screen")
		b.ReportMetric(float64(times[len(times)*99/100].Microseconds())/1000, "p99-ms/screen")
	}
}
