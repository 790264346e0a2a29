package h2h

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/smsgw/smsgw/partner"
)

// SimOptions configure Simulate, which plays the partner side of the API.
type SimOptions struct {
	// Partner is the partner's configuration with its secrets: the HMAC
	// key (to sign requests and check reports) and, for OtomaX partners,
	// the pin and password.
	Partner Partner
	// BaseURL is the gateway, e.g. http://127.0.0.1:8080.
	BaseURL string
	// Listen is where the report receiver listens: the host and port of
	// the partner's callback URL as the gateway reaches it.
	Listen string
	// Product is a product on sale (default "IP50"); Dest an i-pay
	// account, for the success; UnknownDest a number without an i-pay
	// account, for the failure (its failure count goes up by one).
	Product, Dest, UnknownDest string
	// RefPrefix starts the refids sent (default "SIM" and the Unix time).
	RefPrefix string
	// Wait bounds the wait for the reports (default 30s).
	Wait   time.Duration
	Client *http.Client
	Now    func() time.Time
}

// Check is the outcome of one seed format.
type Check struct {
	Seed   string // "002" or "004"
	Name   string // the format ("success", "failed", "report", ...)
	Result string // CheckPass, CheckFail or CheckSkip
	Detail string // what was received, or why it failed; never a secret
}

// Check results.
const (
	CheckPass = "PASS"
	CheckFail = "FAIL"
	CheckSkip = "SKIP"
)

func (c Check) String() string {
	return fmt.Sprintf("%s  seed %s %-8s %s", c.Result, c.Seed, c.Name, c.Detail)
}

// simulator is one run of Simulate.
type simulator struct {
	o       SimOptions
	p       *Partner
	checks  []Check
	mu      sync.Mutex
	reports []simReport
	got     chan struct{}
}

// simReport is a report the receiver got.
type simReport struct {
	method, uri, body string
	header            http.Header
}

// Simulate plays partner o.Partner against the gateway at o.BaseURL: it
// signs and sends each seed example (a top-up, its resend, a top-up to an
// unknown destination, a status and, when the partner accepts it, seed
// 004's clear-text request), runs a report receiver on o.Listen, and
// returns one Check per seed format: the answer lines of seed 004 (or
// their JSON equivalent for a JSON partner), with the HTTP status the
// partner's http_status promises, and the reports of seed 002 (one per
// trxid, signed, in the partner's report style). An error means the run
// could not be made (the receiver could not listen).
func Simulate(ctx context.Context, o SimOptions) ([]Check, error) {
	p := o.Partner
	p.setDefaults()
	s := &simulator{o: o, p: &p, got: make(chan struct{}, 1)}
	if s.o.Product == "" {
		s.o.Product = "IP50"
	}
	if s.o.Now == nil {
		s.o.Now = time.Now
	}
	if s.o.RefPrefix == "" {
		s.o.RefPrefix = "SIM" + strconv.FormatInt(s.o.Now().Unix(), 10)
	}
	if s.o.Wait <= 0 {
		s.o.Wait = 30 * time.Second
	}
	if s.o.Client == nil {
		s.o.Client = &http.Client{Timeout: 30 * time.Second}
	}
	l, err := net.Listen("tcp", o.Listen)
	if err != nil {
		return nil, fmt.Errorf("report receiver: %w", err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(s.receive), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(l) }()
	defer srv.Close()

	ref := func(n int) string { return s.o.RefPrefix + "-" + strconv.Itoa(n) }
	var want []simWant // the reports to expect
	if id, ok := s.trx("success", ref(1), s.o.Dest, false); ok {
		want = append(want, simWant{id, ref(1), true})
		s.trx("double", ref(1), s.o.Dest, false)
		s.status(ref(1))
	}
	if id, ok := s.trx("failed", ref(2), s.o.UnknownDest, false); ok {
		want = append(want, simWant{id, ref(2), false})
	}
	if p.LegacyPlainPIN {
		if id, ok := s.trx("request", ref(3), s.o.Dest, true); ok {
			want = append(want, simWant{id, ref(3), true})
		}
	} else {
		s.add("004", "request", CheckSkip, "legacy_plain_pin is off: the clear-text form is refused, and not sent")
	}
	s.waitReports(ctx, want)
	return s.checks, nil
}

// simWant is a report the simulator waits for.
type simWant struct {
	trxid   int64
	refid   string
	success bool
}

func (s *simulator) add(seed, name, result, detail string) {
	s.checks = append(s.checks, Check{Seed: seed, Name: name, Result: result, Detail: detail})
}

func (s *simulator) receive(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 64<<10))
	s.mu.Lock()
	s.reports = append(s.reports, simReport{r.Method, r.URL.RequestURI(), string(body), r.Header.Clone()})
	s.mu.Unlock()
	select {
	case s.got <- struct{}{}:
	default:
	}
	_, _ = io.WriteString(w, s.p.CallbackAck)
}

// send makes a request: signed with the HMAC headers (a POST of a JSON
// body, or a GET of the query), with the OtomaX sign in the query, or in
// seed 004's clear-text form. It returns the HTTP status and the body.
func (s *simulator) send(path string, params [][2]string, plain bool) (int, string, error) {
	p := s.p
	q := url.Values{}
	var order []string
	add := func(k, v string) {
		q.Set(k, v)
		order = append(order, k)
	}
	add("memberid", p.ID)
	for _, kv := range params {
		add(kv[0], kv[1])
	}
	method, uri, body := http.MethodGet, path, ""
	switch {
	case plain:
		add("pin", p.PIN.Reveal())
		add("password", p.Password.Reveal())
	case p.Scheme == SchemeOtomaX:
		add("sign", OtomaXSign(p.ID, q.Get("product"), q.Get("dest"), q.Get("refid"), p.PIN, p.Password))
	case path == "/h2h/trx":
		method = http.MethodPost
		m := map[string]string{}
		for _, k := range order {
			m[k] = q.Get(k)
		}
		b, _ := json.Marshal(m) // a map of strings always marshals
		body = string(b)
	}
	if method == http.MethodGet {
		var parts []string
		for _, k := range order {
			parts = append(parts, k+"="+url.QueryEscape(q.Get(k)))
		}
		uri += "?" + strings.Join(parts, "&")
	}
	req, err := http.NewRequest(method, strings.TrimSuffix(s.o.BaseURL, "/")+uri, strings.NewReader(body))
	if err != nil {
		return 0, "", err
	}
	if body != "" {
		req.Header.Set("Content-Type", jsonMediaType)
	}
	if p.Scheme == SchemeHMAC && !plain {
		ts, nonce := strconv.FormatInt(s.o.Now().Unix(), 10), newNonce()
		req.Header.Set(HeaderTimestamp, ts)
		req.Header.Set(HeaderNonce, nonce)
		req.Header.Set(HeaderSignature, Sign(p.Keys[0], method, req.URL.RequestURI(), ts, nonce, []byte(body)))
	}
	if p.BasicUser != "" {
		req.SetBasicAuth(p.BasicUser, p.BasicPassword.Reveal())
	}
	resp, err := s.o.Client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // the URL may carry the pin
		}
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	return resp.StatusCode, strings.TrimSuffix(string(b), "\n"), err
}

// trx sends a top-up and checks its answer against the seed format name;
// it returns the trxid of a recorded request.
func (s *simulator) trx(name, refid, dest string, plain bool) (int64, bool) {
	params := [][2]string{{"product", s.o.Product}, {"dest", dest}, {"refid", refid}}
	if s.p.Scheme == SchemeOtomaX && !plain {
		params = [][2]string{{"product", s.o.Product}, {"qty", "1"}, {"dest", dest}, {"refid", refid}}
	}
	if plain {
		// Seed 004's order: memberid, dest, product, refid, pin, password.
		params = [][2]string{{"dest", dest}, {"product", s.o.Product}, {"refid", refid}}
	}
	status, body, err := s.send("/h2h/trx", params, plain)
	return s.answer(name, refid, dest, status, body, err)
}

// status asks the status of refid and checks the answer (the success
// line).
func (s *simulator) status(refid string) {
	status, body, err := s.send("/h2h/status", [][2]string{{"refid", refid}}, false)
	s.answer("status", refid, s.o.Dest, status, body, err)
}

// wantLine is the seed 004 format each check expects.
var wantLine = map[string]string{"success": "success", "double": "double", "failed": "failed", "status": "success", "request": "success"}

// answer checks an answer against the seed format of check name.
func (s *simulator) answer(name, refid, dest string, status int, body string, err error) (int64, bool) {
	if err != nil {
		s.add("004", name, CheckFail, "request failed: "+err.Error())
		return 0, false
	}
	wantStatus := http.StatusOK
	if name == "failed" && s.p.HTTPStatus == StatusCodes {
		wantStatus = http.StatusUnprocessableEntity
	}
	detail := fmt.Sprintf("HTTP %d %s", status, clipLine(body))
	if s.p.Format == FormatText {
		f, _ := Seed("004", wantLine[name])
		known := map[string]string{"kodeproduk": canonicalProduct(s.o.Product), "refid": refid}
		ok := f.Match(body, known)
		if !ok && f.Name == "success" {
			// A confirm-mode partner's answer is the pending line.
			if pf, _ := Seed("004", "pending"); pf.Match(body, known) {
				ok, f = true, pf
			}
		}
		// The trxid, if any: its reports are checked whatever the answer.
		id, _ := strconv.ParseInt(strings.SplitN(strings.TrimPrefix(body, "#"), "#", 2)[0], 10, 64)
		if !ok || status != wantStatus {
			s.add("004", name, CheckFail, fmt.Sprintf("%s; want HTTP %d and %s", detail, wantStatus, f.Line))
		} else {
			s.add("004", name, CheckPass, detail)
		}
		return id, id > 0
	}
	var r Response
	if jerr := json.Unmarshal([]byte(body), &r); jerr != nil {
		s.add("004", name, CheckFail, detail+"; not JSON")
		return 0, false
	}
	ok := r.TrxID > 0 && r.RefID == refid && status == wantStatus
	switch name {
	case "failed":
		ok = ok && r.Status == StatusFailed
	case "double":
		ok = ok && r.Resent
	default:
		ok = ok && (r.RC == RCSuccess || r.RC == RCPending)
	}
	if !ok {
		s.add("004", name, CheckFail, fmt.Sprintf("%s; want HTTP %d with a trxid (JSON form of the %s line)", detail, wantStatus, wantLine[name]))
	} else {
		s.add("004", name, CheckPass, detail+" (JSON form)")
	}
	return r.TrxID, r.TrxID > 0
}

// canonicalProduct is the product code as answers show it, or code itself
// when it is not one.
func canonicalProduct(code string) string {
	if p, _, err := partner.ParseProduct(code); err == nil {
		return p
	}
	return code
}

func clipLine(s string) string {
	if len(s) > 200 {
		return s[:200] + "…"
	}
	return s
}

// waitReports waits for one report per wanted trxid and checks each.
func (s *simulator) waitReports(ctx context.Context, want []simWant) {
	if len(want) == 0 {
		s.add("002", "report", CheckSkip, "no request got a trxid")
		return
	}
	deadline := time.NewTimer(s.o.Wait)
	defer deadline.Stop()
	for {
		if len(s.reportsFor(want)) == len(want) {
			break
		}
		select {
		case <-s.got:
			continue
		case <-ctx.Done():
		case <-deadline.C:
		}
		break
	}
	// A short grace period shows a report sent twice.
	time.Sleep(200 * time.Millisecond)
	got := s.reportsFor(want)
	for _, w := range want {
		name := "report"
		rs := got[w.trxid]
		switch {
		case len(rs) == 0:
			s.add("002", name, CheckFail, fmt.Sprintf("no report of trxid %d (refid %s) within %s", w.trxid, w.refid, s.o.Wait))
		case len(rs) > 1:
			s.add("002", name, CheckFail, fmt.Sprintf("%d reports of trxid %d, want exactly one", len(rs), w.trxid))
		default:
			if err := s.checkReport(rs[0], w); err != nil {
				s.add("002", name, CheckFail, fmt.Sprintf("trxid %d: %v", w.trxid, err))
			} else {
				s.add("002", name, CheckPass, fmt.Sprintf("%s %s", rs[0].method, clipLine(rs[0].uri+rs[0].body)))
			}
		}
	}
}

// reportsFor groups the reports received by trxid, for the wanted ones.
func (s *simulator) reportsFor(want []simWant) map[int64][]simReport {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[int64][]simReport{}
	for _, r := range s.reports {
		id := reportTrxID(r)
		for _, w := range want {
			if w.trxid == id {
				out[id] = append(out[id], r)
			}
		}
	}
	return out
}

// reportTrxID is the trxid a report is about, or 0.
func reportTrxID(r simReport) int64 {
	if strings.HasPrefix(strings.TrimSpace(r.body), "{") {
		var resp Response
		_ = json.Unmarshal([]byte(r.body), &resp)
		return resp.TrxID
	}
	raw := r.body
	if r.method == http.MethodGet {
		_, raw, _ = strings.Cut(r.uri, "?")
	}
	q, _ := url.ParseQuery(raw)
	id, _ := strconv.ParseInt(q.Get("t"), 10, 64)
	return id
}

// checkReport checks one report: its signature, its style, and for the
// seed's styles the fields in the seed's order.
func (s *simulator) checkReport(r simReport, w simWant) error {
	ts, nonce := r.header.Get(HeaderTimestamp), r.header.Get(HeaderNonce)
	if !checkSignature(s.p.Keys[:1], r.header.Get(HeaderSignature), r.method, r.uri, ts, nonce, []byte(r.body)) {
		return errors.New("bad signature")
	}
	status := SeedStatusFailed
	if w.success {
		status = SeedStatusSuccess
	}
	if s.p.Report == ReportJSON {
		var resp Response
		if err := json.Unmarshal([]byte(r.body), &resp); err != nil || r.method != http.MethodPost {
			return fmt.Errorf("%s %q is not a JSON POST", r.method, clipLine(r.body))
		}
		if strconv.Itoa(resp.Status) != status || resp.RefID != w.refid {
			return fmt.Errorf("status %d refid %s, want %s %s", resp.Status, resp.RefID, status, w.refid)
		}
		return nil
	}
	raw, wantMethod, fields := r.body, http.MethodPost, []string{"t", "refid", "status", "price", "message", "sn", "balance"}
	if s.p.Report == ReportQuery {
		_, raw, _ = strings.Cut(r.uri, "?")
		wantMethod, fields = http.MethodGet, fields[:5]
	}
	if r.method != wantMethod {
		return fmt.Errorf("method %s, want %s", r.method, wantMethod)
	}
	var keys []string
	for _, kv := range strings.Split(raw, "&") {
		k, _, _ := strings.Cut(kv, "=")
		keys = append(keys, k)
	}
	// The callback URL's own query, if any, comes first.
	if len(keys) < len(fields) || strings.Join(keys[len(keys)-len(fields):], "&") != strings.Join(fields, "&") {
		return fmt.Errorf("fields %s, want %s in this order", strings.Join(keys, ","), strings.Join(fields, ","))
	}
	q, _ := url.ParseQuery(raw)
	if q.Get("status") != status || q.Get("refid") != w.refid {
		return fmt.Errorf("status %s refid %s, want %s %s", q.Get("status"), q.Get("refid"), status, w.refid)
	}
	line := "success"
	if !w.success {
		line = "failed"
	}
	f, _ := Seed("004", line)
	if !f.Match(q.Get("message"), map[string]string{"trxid": q.Get("t"), "refid": w.refid}) {
		return fmt.Errorf("message %q is not the %s line %s", q.Get("message"), line, f.Line)
	}
	return nil
}
