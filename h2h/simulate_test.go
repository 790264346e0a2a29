package h2h_test

import (
	"context"
	"net"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/smsgw/smsgw/h2h"
)

// freeAddr returns a loopback address nobody listens on.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// simulate runs h2h.Simulate for partner id against e served over HTTP,
// sending e's callbacks as the daemon's job does; edit changes the
// partner as the simulator knows it.
func (e *env) simulate(t *testing.T, id, listen string, edit func(*h2h.Partner)) []h2h.Check {
	t.Helper()
	e.clk.Add(time.Minute) // new refids (the simulator's start from the clock)
	srv := httptest.NewServer(e.srv)
	defer srv.Close()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	done := make(chan struct{})
	go func() {
		defer close(done)
		for ctx.Err() == nil {
			_, _ = e.svc.SendCallbacks(ctx)
			time.Sleep(20 * time.Millisecond)
		}
	}()
	defer func() { cancel(); <-done }()
	var p h2h.Partner
	for _, a := range e.auth {
		if a.ID == id {
			p = a
		}
	}
	if edit != nil {
		edit(&p)
	}
	checks, err := h2h.Simulate(ctx, h2h.SimOptions{Partner: p, BaseURL: srv.URL, Listen: listen, Dest: wallet,
		UnknownDest: "08127777777", Wait: 5 * time.Second, Now: e.clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	return checks
}

func checkLines(checks []h2h.Check) string {
	var b strings.Builder
	for _, c := range checks {
		b.WriteString(c.String() + "\n")
	}
	return b.String()
}

// TestSimulate: the conformance kit passes every seed format against a
// gateway configured for the partner, for a text HMAC partner, an OtomaX
// partner with the clear-text form and a JSON partner, and reports the
// formats that differ from what the partner expects.
func TestSimulate(t *testing.T) {
	listen := freeAddr(t)
	single := []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}
	e := newEnvAuth(t, "http://"+listen+"/report", nil, func(id string, p *h2h.Partner) {
		if id == "kios" {
			p.LegacyPlainPIN, p.Allow = true, single
		}
	})
	for _, id := range []string{"text", "kios", "demo"} {
		e.deposit(id, 500000)
	}
	for _, tc := range []struct {
		id   string
		want []string // seed/name of each check, all PASS or SKIP
	}{
		{"text", []string{"004/success", "004/double", "004/status", "004/failed", "004/request SKIP", "002/report", "002/report"}},
		{"kios", []string{"004/success", "004/double", "004/status", "004/failed", "004/request", "002/report", "002/report", "002/report"}},
		{"demo", []string{"004/success", "004/double", "004/status", "004/failed", "004/request SKIP", "002/report", "002/report"}},
	} {
		t.Run(tc.id, func(t *testing.T) {
			checks := e.with(t).simulate(t, tc.id, listen, nil)
			var got []string
			for _, c := range checks {
				s := c.Seed + "/" + c.Name
				if c.Result == h2h.CheckSkip {
					s += " SKIP"
				} else if c.Result != h2h.CheckPass {
					s += " " + c.Result
				}
				got = append(got, s)
			}
			if strings.Join(got, ",") != strings.Join(tc.want, ",") {
				t.Errorf("checks:\n%swant %v", checkLines(checks), tc.want)
			}
		})
	}
	// A partner that expects a POSTed form and codes, while the gateway
	// sends the seed's GET and answers 200: those formats fail.
	checks := e.simulate(t, "text", listen, func(p *h2h.Partner) { p.Report, p.HTTPStatus = h2h.ReportForm, h2h.StatusCodes })
	var failed []string
	for _, c := range checks {
		if c.Result == h2h.CheckFail {
			failed = append(failed, c.Seed+"/"+c.Name)
		}
	}
	if strings.Join(failed, ",") != "004/failed,002/report,002/report" {
		t.Errorf("mismatched partner:\n%swant 004/failed and both reports to fail", checkLines(checks))
	}
	out := checkLines(checks)
	for _, secret := range secrets {
		if strings.Contains(out, secret) {
			t.Errorf("simulate output holds the secret %q", secret)
		}
	}
}
