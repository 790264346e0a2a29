package h2h_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/smsgw/smsgw/h2h"
	"github.com/smsgw/smsgw/partner"
)

// seedFile is h2h/testdata/seeds.json: the lines of the partner documents.
type seedFile struct {
	Origin string `json:"origin"`
	S002   struct {
		Report string            `json:"report"`
		Status map[string]string `json:"status"`
	} `json:"002"`
	S004 struct {
		Request    string   `json:"request"`
		Success    string   `json:"success"`
		Pending    string   `json:"pending"`
		Unknown    string   `json:"unknown"`
		Double     string   `json:"double"`
		Failed     string   `json:"failed"`
		Keterangan []string `json:"keterangan"`
	} `json:"004"`
}

func loadSeeds(t *testing.T) seedFile {
	t.Helper()
	b, err := os.ReadFile("testdata/seeds.json")
	if err != nil {
		t.Fatal(err)
	}
	var s seedFile
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatal(err)
	}
	return s
}

// seedLine returns the seed's template of a format, from the file (not
// from h2h.SeedFormats, so that the tests hold the code to the documents).
func seedLine(t *testing.T, name string) h2h.SeedFormat {
	t.Helper()
	s := loadSeeds(t)
	lines := map[string]h2h.SeedFormat{
		"report":  {Seed: "002", Name: "report", Line: s.S002.Report},
		"request": {Seed: "004", Name: "request", Line: s.S004.Request},
		"success": {Seed: "004", Name: "success", Line: s.S004.Success},
		"pending": {Seed: "004", Name: "pending", Line: s.S004.Pending},
		"unknown": {Seed: "004", Name: "unknown", Line: s.S004.Unknown},
		"double":  {Seed: "004", Name: "double", Line: s.S004.Double},
		"failed":  {Seed: "004", Name: "failed", Line: s.S004.Failed},
	}
	f, ok := lines[name]
	if !ok || f.Line == "" {
		t.Fatalf("no seed line %q", name)
	}
	return f
}

func TestSeedFormatsAreTheDocuments(t *testing.T) {
	s := loadSeeds(t)
	if s.Origin == "" {
		t.Error("seeds.json does not say where its lines come from")
	}
	for _, name := range []string{"report", "request", "success", "pending", "unknown", "double", "failed"} {
		want := seedLine(t, name)
		got, ok := h2h.Seed(want.Seed, name)
		if !ok || got.Line != want.Line {
			t.Errorf("h2h.Seed(%s, %s) = %q, %v; the document says %q", want.Seed, name, got.Line, ok, want.Line)
		}
	}
	if len(h2h.SeedFormats) != 7 {
		t.Errorf("h2h.SeedFormats has %d formats, seeds.json 7", len(h2h.SeedFormats))
	}
	if strings.Join(h2h.SeedFailureTexts, "\n") != strings.Join(s.S004.Keterangan, "\n") {
		t.Errorf("h2h.SeedFailureTexts = %q\nthe document says %q", h2h.SeedFailureTexts, s.S004.Keterangan)
	}
	if s.S002.Status["success"] != h2h.SeedStatusSuccess || s.S002.Status["failed"] != h2h.SeedStatusFailed ||
		strconv.Itoa(h2h.StatusSuccess) != h2h.SeedStatusSuccess || strconv.Itoa(h2h.StatusFailed) != h2h.SeedStatusFailed {
		t.Errorf("report statuses %v, want success %d, failed %d", s.S002.Status, h2h.StatusSuccess, h2h.StatusFailed)
	}
}

func TestSeedFormatMatch(t *testing.T) {
	f := seedLine(t, "failed")
	line := "#17#IP50#ke:08110000009#GAGAL; Saldo Tidak Cukup.#Saldo Rp.0#Reffid:R-1 #"
	known := map[string]string{"kodeproduk": "IP50", "tujuan": "08110000009", "refid": "R-1"}
	if !f.Match(line, known) {
		t.Errorf("%q does not match %q", line, f.Line)
	}
	for _, bad := range []string{
		"##IP50#ke:08110000009#GAGAL; Saldo Tidak Cukup.#Saldo Rp.0#Reffid:R-1 #",   // no trxid
		"#17#IP50#ke:08110000009#GAGAL; Saldo Tidak Cukup.#Saldo Rp.0#Reffid:R-1#",  // no space
		"#17#IP75#ke:08110000009#GAGAL; Saldo Tidak Cukup.#Saldo Rp.0#Reffid:R-1 #", // another product
		"#x#IP50#ke:08110000009#GAGAL; Saldo Tidak Cukup.#Saldo Rp.0#Reffid:R-1 #",
		line + "\n",
	} {
		if f.Match(bad, known) {
			t.Errorf("%q matches %q", bad, f.Line)
		}
	}
	if got := f.Render(map[string]string{"trxid": "17", "kodeproduk": "IP50", "tujuan": "08110000009", "keterangan": "Saldo Tidak Cukup.",
		"saldo": "0", "refid": "R-1"}); got != line {
		t.Errorf("Render = %q, want %q", got, line)
	}
}

// textAnswer serves r and returns the answer line, checking HTTP 200.
func (e *env) textAnswer(r req) string {
	e.t.Helper()
	w := e.do(r)
	if w.Code != http.StatusOK || !strings.HasPrefix(w.Header().Get("Content-Type"), "text/plain") {
		e.t.Fatalf("%s = %d %s %q, want 200 text", r.uri, w.Code, w.Header().Get("Content-Type"), w.Body.String())
	}
	return strings.TrimSuffix(w.Body.String(), "\n")
}

// TestSeed004Answers: every answer line of a text partner, character by
// character against seed 004's templates, with HTTP 200 (the text
// default), and a trxid on each recorded line.
func TestSeed004Answers(t *testing.T) {
	site := newPartnerSite(t, func(int) (int, string) { return http.StatusOK, "OK" })
	e := newEnv(t, site.srv.URL+"/report")
	e.deposit("text", 100000)
	trx := func(product, dest, refid string) string {
		t.Helper()
		return e.textAnswer(req{uri: "/h2h/trx", body: trxBody("text", product, dest, refid), key: textKey})
	}
	check := func(name, got string, values map[string]string) {
		t.Helper()
		if want := seedLine(t, name).Render(values); got != want {
			t.Errorf("%s line\n got %q\nwant %q", name, got, want)
		}
	}
	got := trx("IP50", wallet, "S-1")
	r := e.request("text", "S-1")
	check("success", got, map[string]string{"trxid": fmt.Sprint(r.ID), "kodeproduk": "IP50", "tujuan": wallet, "sn": r.SN,
		"saldo_awal": "100,000", "harga": "50,000", "saldo_akhir": "50,000", "refid": "S-1"})
	got = trx("IP50", wallet, "S-1")
	check("double", got, map[string]string{"trxid": fmt.Sprint(r.ID), "kodeproduk": "IP50", "tujuan": wallet, "status": "SUKSES", "jam": "16:00",
		"sn": r.SN, "saldo": "50,000", "refid": "S-1"})
	failed := func(refid, product, dest, keterangan, saldo string) {
		t.Helper()
		got := trx(product, dest, refid)
		r := e.request("text", refid)
		if r.State != partner.Failed {
			t.Errorf("%s = %s, want failed", refid, r.State)
		}
		check("failed", got, map[string]string{"trxid": fmt.Sprint(r.ID), "kodeproduk": product, "tujuan": dest,
			"keterangan": keterangan, "saldo": saldo, "refid": refid})
	}
	// Unknown destination, five times: then it is blocked.
	for i := range partner.DefaultBlockAfter {
		failed(fmt.Sprint("S-D", i), "IP50", "08127777777", "Nomor tujuan salah, periksa kembali nomor anda.", "50,000")
	}
	failed("S-B", "IP50", "08127777777",
		"Nomor tujuan tdk dpt di proses krn trx gagal berturut-turut (max 5x), Silahkan Hubungi CS.", "50,000")
	failed("S-F", "IP100", wallet, "Saldo Tidak Cukup.", "50,000")
	e.clk.Set(time.Date(2026, 11, 23, 23, 45, 0, 0, wibZone))
	failed("S-C", "IP50", wallet, "CutOff/ Timeout, silahkan ulangi beberapa saat kemudian.", "50,000")
	// Refused before a trxid: the line has none, as before.
	got = trx("XL5", wallet, "S-P")
	check("failed", got, map[string]string{"trxid": "", "kodeproduk": "XL5", "tujuan": wallet,
		"keterangan": "Kode Produk Salah. Silahkan Hubungi CS, ketik PRODUK.", "saldo": "50,000", "refid": "S-P"})
	// A refused refid sent again is a double of its failure, with its trxid.
	sf := e.request("text", "S-F")
	got = trx("IP100", wallet, "S-F")
	want := fmt.Sprintf("#%d#IP100#ke:%s#GAGAL; sudah pernah jam 16:00 SN/Ref: .#Saldo Rp.50,000#Reffid:S-F #", sf.ID, wallet)
	if got != want {
		t.Errorf("double of a refusal\n got %q\nwant %q", got, want)
	}
	// Status answers the same lines.
	got = e.textAnswer(req{method: http.MethodGet, uri: "/h2h/status?memberid=text&refid=S-F", key: textKey})
	check("failed", got, map[string]string{"trxid": fmt.Sprint(sf.ID), "kodeproduk": "IP100", "tujuan": wallet,
		"keterangan": "Saldo Tidak Cukup.", "saldo": "50,000", "refid": "S-F"})
	// Each request with a trxid (the success, the five unknown
	// destinations, the blocked, the funds and the cutoff refusals) gets
	// exactly one report: status 20 for the success, 40 for the others.
	for range 3 {
		if _, err := e.svc.SendCallbacks(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	reports := map[string]int{}
	statuses := map[string]int{}
	for _, c := range site.calls() {
		q, err := url.ParseQuery(strings.TrimPrefix(c.uri, "/report?"))
		if err != nil || c.method != http.MethodGet {
			t.Fatalf("report %s %s: %v", c.method, c.uri, err)
		}
		reports[q.Get("t")]++
		statuses[q.Get("status")]++
	}
	rs := e.requests()
	if len(rs) != 9 || len(reports) != len(rs) || statuses["20"] != 1 || statuses["40"] != 8 {
		t.Errorf("%d requests, reports %v, statuses %v; want 9 requests with one report each, 1 success", len(rs), reports, statuses)
	}
	for _, r := range rs {
		if reports[fmt.Sprint(r.ID)] != 1 {
			t.Errorf("trxid %d (%s) has %d reports, want 1", r.ID, r.RefID, reports[fmt.Sprint(r.ID)])
		}
	}
}

// TestSeed004Pending: a confirm-mode text partner's pending and unknown
// lines.
func TestSeed004Pending(t *testing.T) {
	e := newEnvWith(t, "", func(o *partner.Options) {
		for i := range o.Partners {
			if o.Partners[i].ID == "text" {
				o.Partners[i].Mode = partner.ModeConfirm
			}
		}
	})
	got := e.textAnswer(req{uri: "/h2h/trx", body: trxBody("text", "IP50", payer, "P-1"), key: textKey})
	r := e.request("text", "P-1")
	values := map[string]string{"trxid": fmt.Sprint(r.ID), "kodeproduk": "IP50", "tujuan": payer, "waktu": "16:00:00",
		"saldo": "0", "refid": "P-1"}
	if want := seedLine(t, "pending").Render(values); got != want {
		t.Errorf("pending line\n got %q\nwant %q", got, want)
	}
	e.clk.Add(partner.DefaultPendingMax)
	if _, err := e.svc.Recheck(t.Context(), e.clk.Now()); err != nil {
		t.Fatal(err)
	}
	got = e.textAnswer(req{method: http.MethodGet, uri: "/h2h/status?memberid=text&refid=P-1", key: textKey})
	if want := seedLine(t, "unknown").Render(values); got != want {
		t.Errorf("unknown line\n got %q\nwant %q", got, want)
	}
}

// reportURI is the seed 002 report of a request, as a partner's server
// sees it: the callback path, then the seed's query with escaped values.
func reportURI(t *testing.T, path string, trxid int64, refid, status string, price int64, message string) string {
	t.Helper()
	return path + strings.TrimPrefix(seedLine(t, "report").Render(map[string]string{
		"trxid": fmt.Sprint(trxid), "refid": url.QueryEscape(refid), "status": status, "price": fmt.Sprint(price),
		"message": url.QueryEscape(message),
	}), "report")
}

// TestSeed002Report: OtomaX and text partners get each final state as a
// GET on the report URL with the seed's fields in the seed's order, signed
// in the headers over the URI and an empty body; status 20 or 40; exactly
// one per trxid, including the requests refused after their trxid, and none
// for a refusal before one.
func TestSeed002Report(t *testing.T) {
	site := newPartnerSite(t, func(int) (int, string) { return http.StatusOK, "OK" })
	e := newEnv(t, site.srv.URL+"/report")
	e.deposit("kios", 60000)
	kios := func(product, dest, refid string) string {
		t.Helper()
		sign := h2h.OtomaXSign("kios", product, dest, refid, kiosPIN, kiosPass)
		return e.textAnswer(req{method: http.MethodGet, uri: "/h2h/trx?memberID=kios&product=" + product + "&qty=1&dest=" + dest +
			"&refID=" + refid + "&sign=" + url.QueryEscape(sign)})
	}
	type sent struct {
		refid, status string
		price         int64
		line          string
	}
	var want []sent
	send := func(s sent) {
		t.Helper()
		want = append(want, s)
		if n, err := e.svc.SendCallbacks(t.Context()); err != nil || n != 1 {
			t.Fatalf("SendCallbacks after %s = %d, %v; want 1", s.refid, n, err)
		}
	}
	send(sent{"64525223", "20", 50000, kios("IP50", wallet, "64525223")})
	send(sent{"64525224", "40", 0, kios("IP50", wallet, "64525224")})        // deposit too low
	send(sent{"64525225", "40", 0, kios("IP50", "08127777777", "64525225")}) // no such account
	// Refusals before a trxid get no report: a bad sign, an unknown
	// product, a wrong address, an unknown partner.
	e.do(req{method: http.MethodGet, uri: "/h2h/trx?memberid=kios&product=IP50&dest=" + wallet + "&refid=N1&sign=AAAA"})
	kios("XL5", wallet, "N2")
	sign := url.QueryEscape(h2h.OtomaXSign("kios", "IP50", wallet, "N3", kiosPIN, kiosPass))
	e.do(req{method: http.MethodGet, uri: "/h2h/trx?memberid=kios&product=IP50&dest=" + wallet + "&refid=N3&sign=" + sign, remote: "192.0.2.1:9"})
	e.do(req{method: http.MethodGet, uri: "/h2h/trx?memberid=nobody&product=IP50&dest=" + wallet + "&refid=N4&sign=" + sign})
	if n, err := e.svc.SendCallbacks(t.Context()); err != nil || n != 0 {
		t.Errorf("SendCallbacks after refusals before a trxid = %d, %v; want 0", n, err)
	}
	calls := site.calls()
	if len(calls) != len(want) {
		t.Fatalf("partner got %d reports, want %d", len(calls), len(want))
	}
	for i, w := range want {
		c := calls[i]
		r := e.request("kios", w.refid)
		if uri := reportURI(t, "/report", r.ID, w.refid, w.status, w.price, w.line); c.method != http.MethodGet || c.uri != uri || c.body != "" {
			t.Errorf("report of %s\n got %s %q body %q\nwant GET %q", w.refid, c.method, c.uri, c.body, uri)
		}
		verify(t, kiosKey, c)
	}
}

// TestReportJSON: the JSON report (the default of JSON partners) of a
// request refused after its trxid has status 40 and the reason.
func TestReportJSON(t *testing.T) {
	site := newPartnerSite(t, func(int) (int, string) { return http.StatusOK, "OK" })
	e := newEnv(t, site.srv.URL+"/report")
	resp := e.json(req{uri: "/h2h/trx", body: trxBody("demo", "IP50", wallet, "J-1"), key: demoKey}, http.StatusUnprocessableEntity, h2h.RCFunds)
	if resp.TrxID == 0 || resp.Status != h2h.StatusFailed || resp.State != "failed" || resp.Reason != "funds" || resp.RefID != "J-1" {
		t.Errorf("answer = %+v, want the failed request with its trxid", resp)
	}
	if n, err := e.svc.SendCallbacks(t.Context()); err != nil || n != 1 {
		t.Fatalf("SendCallbacks = %d, %v", n, err)
	}
	c := site.calls()[0]
	verify(t, demoKey, c)
	var cb h2h.Response
	if err := json.Unmarshal([]byte(c.body), &cb); err != nil {
		t.Fatal(err)
	}
	if c.method != http.MethodPost || cb.TrxID != resp.TrxID || cb.Status != h2h.StatusFailed || cb.Reason != "funds" || cb.RC != h2h.RCFailed {
		t.Errorf("JSON report %s = %+v, want status 40 funds of trxid %d", c.method, cb, resp.TrxID)
	}
}

// TestAnswerStatusPerPartner: http_status "codes" gives a text partner the
// meaningful codes, and "200" a JSON partner 200 with the code in rc.
func TestAnswerStatusPerPartner(t *testing.T) {
	e := newEnvAuth(t, "", nil, func(id string, p *h2h.Partner) {
		switch id {
		case "text":
			p.HTTPStatus = h2h.StatusCodes
		case "demo":
			p.HTTPStatus = h2h.Status200
		}
	})
	for _, tc := range []struct {
		body, key string
		status    int
	}{
		{trxBody("text", "IP50", wallet, "H-1"), textKey, http.StatusUnprocessableEntity},
		{trxBody("text", "XL5", wallet, "H-2"), textKey, http.StatusUnprocessableEntity},
		{trxBody("demo", "IP50", wallet, "H-3"), demoKey, http.StatusOK},
		{trxBody("demo", "XL5", wallet, "H-4"), demoKey, http.StatusOK},
	} {
		if w := e.do(req{uri: "/h2h/trx", body: tc.body, key: tc.key}); w.Code != tc.status {
			t.Errorf("%s = %d %q, want %d", tc.body, w.Code, w.Body.String(), tc.status)
		}
	}
	e.json(req{uri: "/h2h/trx", body: trxBody("demo", "IP50", wallet, "H-5"), key: demoKey}, http.StatusOK, h2h.RCFunds)
	// Authentication failures keep their codes, a replayed nonce too.
	e.json(req{uri: "/h2h/trx", body: trxBody("demo", "IP50", wallet, "H-6"), key: "wrong-key-0123456789"}, http.StatusUnauthorized, h2h.RCSignature)
	e.json(req{uri: "/h2h/balance", body: `{"memberid":"demo"}`, key: demoKey, nonce: "H-7"}, http.StatusOK, h2h.RCSuccess)
	e.json(req{uri: "/h2h/balance", body: `{"memberid":"demo"}`, key: demoKey, nonce: "H-7"}, http.StatusConflict, h2h.RCReplay)
}

// TestLegacyPlainPIN: seed 004's request form, with the pin and password in
// clear, only for a partner configured for it, only over TLS or from its
// single registered address; the pin and password are compared, and never
// logged, stored or echoed.
func TestLegacyPlainPIN(t *testing.T) {
	form := func(pin, password, refid string) string {
		return "/h2h/" + seedLine(t, "request").Render(map[string]string{"memberid": "kios", "tujuan": wallet,
			"kodeproduk": "IP50", "refid": refid, "pin": url.QueryEscape(pin), "password": url.QueryEscape(password)})
	}
	// Not configured: refused, as before.
	off := newEnv(t, "")
	off.deposit("kios", 100000)
	off.json(req{method: http.MethodGet, uri: form(kiosPIN, kiosPass, "L-0")}, http.StatusBadRequest, h2h.RCBadRequest)

	single := netip.MustParsePrefix("127.0.0.1/32")
	e := newEnvAuth(t, "", nil, func(id string, p *h2h.Partner) {
		if id == "kios" {
			p.LegacyPlainPIN, p.MaxAddresses, p.Allow = true, 1, []netip.Prefix{single}
		}
	})
	e.deposit("kios", 100000)
	got := e.textAnswer(req{method: http.MethodGet, uri: form(kiosPIN, kiosPass, "L-1")})
	r := e.request("kios", "L-1")
	if want := seedLine(t, "success").Render(map[string]string{"trxid": fmt.Sprint(r.ID), "kodeproduk": "IP50", "tujuan": wallet,
		"sn": r.SN, "saldo_awal": "100,000", "harga": "50,000", "saldo_akhir": "50,000", "refid": "L-1"}); got != want {
		t.Errorf("answer\n got %q\nwant %q", got, want)
	}
	// As a POST form too, and on status; the pin form still takes the sign.
	w := e.do(req{uri: "/h2h/status", body: "memberid=kios&refid=L-1&pin=" + url.QueryEscape(kiosPIN) + "&password=" + url.QueryEscape(kiosPass)})
	if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "#SUKSES#") {
		t.Errorf("status with the pin form = %d %q", w.Code, w.Body.String())
	}
	sign := url.QueryEscape(h2h.OtomaXSign("kios", "", "", "L-1", kiosPIN, kiosPass))
	if w := e.do(req{method: http.MethodGet, uri: "/h2h/status?memberid=kios&refid=L-1&sign=" + sign}); w.Code != http.StatusOK {
		t.Errorf("signed status = %d %q", w.Code, w.Body.String())
	}
	for _, tc := range []struct {
		name   string
		r      req
		status int
		rc     string
	}{
		{"wrong pin", req{method: http.MethodGet, uri: form("0000", kiosPass, "L-2")}, http.StatusUnauthorized, h2h.RCSignature},
		{"wrong password", req{method: http.MethodGet, uri: form(kiosPIN, "salah", "L-3")}, http.StatusUnauthorized, h2h.RCSignature},
		{"pin only", req{method: http.MethodGet, uri: "/h2h/trx?memberid=kios&dest=" + wallet + "&product=IP50&refid=L-4&pin=" + kiosPIN},
			http.StatusUnauthorized, h2h.RCSignature},
		{"another address", req{method: http.MethodGet, uri: form(kiosPIN, kiosPass, "L-5"), remote: "127.0.0.2:5"}, http.StatusForbidden, h2h.RCIP},
		{"inquiry", req{uri: "/h2h/inquiry", body: "memberid=kios&product=IP50&dest=" + wallet + "&pin=" + kiosPIN + "&password=" + kiosPass},
			http.StatusForbidden, h2h.RCForbidden},
	} {
		t.Run(tc.name, func(t *testing.T) { e.with(t).json(tc.r, tc.status, tc.rc) })
	}

	// From a range (no single address): only over TLS.
	ranged := newEnvAuth(t, "", nil, func(id string, p *h2h.Partner) {
		if id == "kios" {
			p.LegacyPlainPIN = true
		}
	})
	ranged.deposit("kios", 100000)
	ranged.json(req{method: http.MethodGet, uri: form(kiosPIN, kiosPass, "R-1")}, http.StatusForbidden, h2h.RCForbidden)
	if got := ranged.textAnswer(req{method: http.MethodGet, uri: form(kiosPIN, kiosPass, "R-2"), tls: true}); !strings.Contains(got, "#SUKSES#") {
		t.Errorf("pin form over TLS = %q", got)
	}

	// Never echoed, stored or logged (the logs are checked by env).
	for _, env := range []*env{off, e, ranged} {
		for _, f := range []string{env.dbPath, env.dbPath + "-wal", env.dbPath + "-shm"} {
			b, err := os.ReadFile(f)
			if err != nil {
				continue
			}
			for _, secret := range []string{kiosPIN, kiosPass} {
				if bytes.Contains(b, []byte(secret)) {
					t.Errorf("%s holds %q", f, secret)
				}
			}
		}
	}
}

// TestMaxAddresses: max_addresses = 1 allows one single address.
func TestMaxAddresses(t *testing.T) {
	base := h2h.Partner{ID: "kios", Scheme: h2h.SchemeOtomaX, Format: h2h.FormatText, CallbackURL: "https://kios.example/report",
		MaxAddresses: 1}
	for _, tc := range []struct {
		allow []string
		field string
	}{
		{[]string{"203.0.113.7/32"}, ""},
		{[]string{"2001:db8::7/128"}, ""},
		{[]string{"203.0.113.7/32", "203.0.113.8/32"}, "allow"},
		{[]string{"203.0.113.0/24"}, "allow"},
	} {
		p := base
		for _, a := range tc.allow {
			p.Allow = append(p.Allow, netip.MustParsePrefix(a))
		}
		err := p.CheckSettings()
		var fe *h2h.FieldError
		if tc.field == "" && err != nil || tc.field != "" && (!errors.As(err, &fe) || fe.Field != tc.field) {
			t.Errorf("CheckSettings(allow %v, max_addresses 1) = %v, want field %q", tc.allow, err, tc.field)
		}
	}
	p := base
	p.Allow, p.MaxAddresses = []netip.Prefix{netip.MustParsePrefix("203.0.113.7/32")}, -1
	if err := p.CheckSettings(); err == nil || !strings.HasPrefix(err.Error(), "max_addresses:") {
		t.Errorf("CheckSettings(max_addresses -1) = %v", err)
	}
	p.MaxAddresses, p.Scheme, p.LegacyPlainPIN = 0, h2h.SchemeHMAC, true
	if err := p.CheckSettings(); err == nil || !strings.HasPrefix(err.Error(), "legacy_plain_pin:") {
		t.Errorf("CheckSettings(legacy_plain_pin with hmac) = %v", err)
	}
}
