package h2h_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/smsgw/smsgw/h2h"
)

func fmtAll(v any) string { return fmt.Sprintf("%v %+v %#v %s %q", v, v, v, v, v) }

func containsSecret(s string) bool { return strings.Contains(s, "super-secret-value") }

// FuzzParseParams: parsing never panics, accepted parameters obey the
// limits, and a form re-encoding of them parses to the same set.
func FuzzParseParams(f *testing.F) {
	for _, s := range []struct{ ctype, query, body string }{
		{"application/json", "", `{"memberid":"demo","product":"IP50","dest":"08110000009","refid":"INV-1001"}`},
		{"application/json", "", `{"memberid":"demo","inquiry_id":12,"amount":150000}`},
		{"application/x-www-form-urlencoded", "", "memberID=kios&product=IP50&qty=1&dest=08110000009&refID=64525223&sign=p9TdYEGAVrARqd0P7k0JOtjo2h0%3D"},
		{"", "memberid=demo&refid=INV-1001", ""},
		{"application/json; charset=utf-8", "x=1", `{"a":"b","A":"c"}`},
		{"application/json", "", `{"a":{"b":1}}`},
		{"application/json", "", `{"a":"b"} trailing`},
		{"text/plain", "", "hello"},
		{"", "a=1;b=2", ""},
		{"application/x-www-form-urlencoded", "a=1", "a=2"},
	} {
		f.Add(s.ctype, s.query, s.body)
	}
	f.Fuzz(func(t *testing.T, ctype, query, body string) {
		p, err := h2h.ParseParams(ctype, query, []byte(body))
		if err != nil {
			var pe *h2h.ParamError
			if !errors.As(err, &pe) {
				t.Fatalf("error %v is not a *ParamError", err)
			}
			return
		}
		if len(p) > 32 {
			t.Fatalf("%d parameters accepted", len(p))
		}
		form := url.Values{}
		for k, v := range p {
			if k != strings.ToLower(k) || len(k) == 0 || len(k) > 32 || len(v) > 256 || !utf8.ValidString(v) {
				t.Fatalf("accepted %q=%q", k, v)
			}
			for _, r := range v {
				if r < 0x20 || r == 0x7f {
					t.Fatalf("accepted control character in %q", k)
				}
			}
			form.Set(k, v)
		}
		again, err := h2h.ParseParams("application/x-www-form-urlencoded", "", []byte(form.Encode()))
		if err != nil {
			t.Fatalf("re-encoded params %q: %v", form.Encode(), err)
		}
		if len(again) != len(p) {
			t.Fatalf("round trip %v → %v", p, again)
		}
		for k, v := range p {
			if again[k] != v {
				t.Fatalf("round trip %q: %q → %q", k, v, again[k])
			}
		}
	})
}

// FuzzServeHTTP: arbitrary unsigned requests never panic, always get a
// JSON answer with a response code, and never create anything.
func FuzzServeHTTP(f *testing.F) {
	for _, s := range []struct{ method, path, query, ctype, body, remote string }{
		{"POST", "/h2h/trx", "", "application/json", `{"memberid":"demo","product":"IP50","dest":"08110000009","refid":"X"}`, "127.0.0.1:1"},
		{"GET", "/h2h/trx", "memberid=kios&product=IP50&dest=08110000009&refid=1&sign=abc", "", "", "127.0.0.1:1"},
		{"POST", "/h2h/va/payment", "", "application/x-www-form-urlencoded", "memberid=bank&va=0138877&amount=1", "[::1]:2"},
		{"GET", "/h2h/status", "memberid=ghost", "", "", "10.0.0.1:3"},
		{"PUT", "/h2h/balance", "", "", "", "8.8.8.8:4"},
	} {
		f.Add(s.method, s.path, s.query, s.ctype, s.body, s.remote)
	}
	e := newEnv(f, "")
	f.Fuzz(func(t *testing.T, method, path, query, ctype, body, remote string) {
		if !validMethod(method) {
			return
		}
		r := httptest.NewRequest(http.MethodGet, "/", strings.NewReader(body))
		r.Method = method
		r.URL = &url.URL{Path: path, RawQuery: query}
		r.RemoteAddr = remote
		if ctype != "" {
			r.Header.Set("Content-Type", ctype)
		}
		r.Header.Set(h2h.HeaderTimestamp, "1")
		r.Header.Set(h2h.HeaderNonce, "n")
		r.Header.Set(h2h.HeaderSignature, strings.Repeat("0", 64))
		w := httptest.NewRecorder()
		e.srv.ServeHTTP(w, r)
		if w.Code == http.StatusOK {
			t.Fatalf("unsigned request accepted: %s %s?%s %q", method, path, query, body)
		}
		var resp h2h.Response
		if err := json.Unmarshal(w.Body.Bytes(), &resp); err != nil || resp.RC == "" {
			t.Fatalf("answer %q is not a JSON response: %v", w.Body.String(), err)
		}
	})
}

func validMethod(m string) bool {
	if m == "" || len(m) > 10 {
		return false
	}
	for i := 0; i < len(m); i++ {
		if m[i] < 'A' || m[i] > 'Z' {
			return false
		}
	}
	return true
}

// FuzzSeedMatch: every seed 004 line rendered with field values (no '#',
// no line break, digits for the trxid) matches its format with those
// values known, and not with another refid; Match never panics on any
// line.
func FuzzSeedMatch(f *testing.F) {
	f.Add("17", "IP50", "08110000009", "INV-1001", "Saldo Tidak Cukup.", "950,000", "any line")
	f.Add("", "XL5", "", "a", "", "", "#1#IP50#ke:0811#GAGAL; x#Saldo Rp.0#Reffid:r #")
	f.Add("9", "[refid]", "[trxid]", "r.*", "(x)", "\\d", "")
	f.Fuzz(func(t *testing.T, trxid, product, dest, refid, text, saldo, line string) {
		for _, fm := range h2h.SeedFormats {
			fm.Match(line, map[string]string{"refid": refid})
		}
		// Values as requests can carry them: valid UTF-8 (ParseParams
		// refuses the rest), without the field separator or a line break.
		for _, v := range []string{product, dest, refid, text, saldo} {
			if strings.ContainsAny(v, "#\n") || !utf8.ValidString(v) {
				return
			}
		}
		if _, err := fmt.Sscanf(trxid, "%d", new(int)); err != nil || strings.Trim(trxid, "0123456789") != "" {
			return
		}
		values := map[string]string{"trxid": trxid, "kodeproduk": product, "tujuan": dest, "refid": refid, "keterangan": text,
			"saldo": saldo, "sn": text, "waktu": text, "jam": text, "saldo_awal": saldo, "harga": saldo, "saldo_akhir": saldo}
		for _, fm := range h2h.SeedFormats {
			if fm.Seed != "004" || fm.Name == "request" {
				continue
			}
			got := fm.Render(values)
			known := map[string]string{"kodeproduk": product, "tujuan": dest, "refid": refid}
			if !fm.Match(got, known) {
				t.Fatalf("%s: rendered %q does not match %q", fm.Name, got, fm.Line)
			}
			known["refid"] = refid + "x"
			if fm.Match(got, known) {
				t.Fatalf("%s: %q matches another refid", fm.Name, got)
			}
		}
	})
}
