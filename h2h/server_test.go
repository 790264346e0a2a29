package h2h_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/smsgw/smsgw/domain"
	"github.com/smsgw/smsgw/h2h"
	"github.com/smsgw/smsgw/partner"
	"github.com/smsgw/smsgw/smsgw"
)

func TestTopUpJSON(t *testing.T) {
	e := newEnv(t, "")
	e.deposit("demo", 200000)
	body := trxBody("demo", "IP50", wallet, "INV-1")
	resp := e.json(req{uri: "/h2h/trx", body: body, key: demoKey}, http.StatusOK, h2h.RCSuccess)
	if resp.Status != h2h.StatusSuccess || resp.State != "success" || resp.TrxID == 0 || resp.RefID != "INV-1" ||
		resp.Dest != wallet || resp.Amount != 50000 || *resp.Price != 50000 || *resp.Balance != 150000 || !strings.HasPrefix(resp.SN, "H2H") {
		t.Fatalf("top-up answer = %+v", resp)
	}
	// Re-sent (a new signature and nonce, same refid): the original answer.
	again := e.json(req{uri: "/h2h/trx", body: body, key: demoKey}, http.StatusOK, h2h.RCSuccess)
	if !again.Resent || again.TrxID != resp.TrxID || again.SN != resp.SN {
		t.Errorf("resend = %+v, want the original, resent", again)
	}
	e.json(req{uri: "/h2h/trx", body: trxBody("demo", "IP100", wallet, "INV-1"), key: demoKey}, http.StatusConflict, h2h.RCConflict)
	if got := e.balance(wallet); got != 50000 {
		t.Errorf("wallet = %v, want 50000", got)
	}
	// Status by refid, with a GET signed over the query.
	st := e.json(req{method: http.MethodGet, uri: "/h2h/status?memberid=demo&refid=INV-1", key: demoKey}, http.StatusOK, h2h.RCSuccess)
	if st.TrxID != resp.TrxID || st.SN != resp.SN {
		t.Errorf("status = %+v, want trxid %d", st, resp.TrxID)
	}
	e.json(req{method: http.MethodGet, uri: "/h2h/status?memberid=demo&refid=NOPE", key: demoKey}, http.StatusNotFound, h2h.RCNotFound)
	bal := e.json(req{uri: "/h2h/balance", body: `{"memberid":"demo"}`, key: demoKey}, http.StatusOK, h2h.RCSuccess)
	if *bal.Balance != 150000 {
		t.Errorf("balance = %d, want 150000", *bal.Balance)
	}
	// Form bodies and mixed-case names, as OtomaX sends them.
	form := "memberID=demo&product=IP75&dest=" + wallet + "&refID=INV-2&qty=1"
	e.json(req{uri: "/h2h/trx", body: form, key: demoKey}, http.StatusOK, h2h.RCSuccess)
	if got := e.balance(wallet); got != 125000 {
		t.Errorf("wallet = %v, want 125000", got)
	}
}

func TestBusinessRejections(t *testing.T) {
	e := newEnv(t, "")
	e.deposit("demo", 50000)
	for _, tc := range []struct {
		name, body string
		status     int
		rc         string
	}{
		{"missing refid", trxBody("demo", "IP50", wallet, ""), http.StatusBadRequest, h2h.RCBadRequest},
		{"product", trxBody("demo", "XL5", wallet, "B1"), http.StatusUnprocessableEntity, h2h.RCProduct},
		{"destination", trxBody("demo", "IP50", "08127777777", "B2"), http.StatusUnprocessableEntity, h2h.RCDestination},
		{"funds", trxBody("demo", "IP100", wallet, "B3"), http.StatusUnprocessableEntity, h2h.RCFunds},
		{"qty", `{"memberid":"demo","product":"IP50","dest":"` + wallet + `","refid":"B4","qty":"2"}`, http.StatusBadRequest, h2h.RCBadRequest},
		{"not a payer", trxBody("mitra", "IP50", wallet, "B5"), http.StatusUnprocessableEntity, h2h.RCNotCustomer},
		{"VA from a reseller", `{"memberid":"demo","va":"0138877` + wallet + `","amount":"50000","bank_ref":"R1"}`,
			http.StatusForbidden, h2h.RCForbidden},
	} {
		t.Run(tc.name, func(t *testing.T) {
			key := demoKey
			uri := "/h2h/trx"
			if strings.Contains(tc.body, "mitra") {
				key = mitraKey
			}
			if strings.Contains(tc.body, `"va"`) {
				uri = "/h2h/va/payment"
			}
			resp := e.with(t).json(req{uri: uri, body: tc.body, key: key}, tc.status, tc.rc)
			// Refused after the checks of the parameters: recorded, with
			// a trxid and status 40.
			recorded := tc.rc == h2h.RCDestination || tc.rc == h2h.RCFunds || tc.rc == h2h.RCNotCustomer
			if recorded != (resp.TrxID != 0) || recorded && (resp.Status != h2h.StatusFailed || resp.State != "failed") {
				t.Errorf("answer %+v: recorded %v", resp, recorded)
			}
		})
	}
	if rs := e.requests(); len(rs) != 3 {
		t.Errorf("refused requests created %d partner requests, want 3 (destination, funds, not a payer)", len(rs))
	}
}

// TestAuthFailuresCreateNothing: a bad signature, wrong address, stale
// timestamp, unknown partner and the like get their code, create nothing
// (not even a nonce) and log no secret.
func TestAuthFailuresCreateNothing(t *testing.T) {
	e := newEnv(t, "")
	e.deposit("demo", 500000)
	body := trxBody("demo", "IP50", wallet, "A1")
	now := e.clk.Now().Unix()
	otomax := func(q url.Values) string { return "/h2h/trx?" + q.Encode() }
	kiosQuery := url.Values{"memberid": {"kios"}, "product": {"IP50"}, "dest": {wallet}, "refid": {"K1"},
		"sign": {h2h.OtomaXSign("kios", "IP50", wallet, "K1", "0000", kiosPass)}}
	tests := []struct {
		name   string
		r      req
		status int
		rc     string
	}{
		{"unknown partner", req{uri: "/h2h/trx", body: trxBody("ghost", "IP50", wallet, "A1"), key: demoKey}, http.StatusUnauthorized, h2h.RCUnknownPartner},
		{"no memberid", req{uri: "/h2h/trx", body: `{"refid":"A1"}`, key: demoKey}, http.StatusUnauthorized, h2h.RCUnknownPartner},
		{"address outside every range", req{uri: "/h2h/trx", body: body, key: demoKey, remote: "192.0.2.7:5555"}, http.StatusForbidden, h2h.RCIP},
		{"address of another partner", req{uri: "/h2h/trx", body: trxBody("mitra", "IP50", payer, "A1"), key: mitraKey, remote: "10.1.2.3:5555"}, http.StatusForbidden, h2h.RCIP},
		{"wrong key", req{uri: "/h2h/trx", body: body, key: mitraKey}, http.StatusUnauthorized, h2h.RCSignature},
		{"tampered body", req{uri: "/h2h/trx", body: body, key: demoKey, sig: h2h.Sign(demoKey, "POST", "/h2h/trx", strconv.FormatInt(now, 10), "x-1",
			[]byte(trxBody("demo", "IP500", wallet, "A1"))), nonce: "x-1",
			ts: strconv.FormatInt(now, 10)}, http.StatusUnauthorized, h2h.RCSignature},
		{"signature not hex", req{uri: "/h2h/trx", body: body, key: demoKey, sig: "zz"}, http.StatusUnauthorized, h2h.RCSignature},
		{"no signature headers", req{uri: "/h2h/trx", body: body}, http.StatusUnauthorized, h2h.RCTimestamp},
		{"stale timestamp", req{uri: "/h2h/trx", body: body, key: demoKey, ts: strconv.FormatInt(now-301, 10)}, http.StatusUnauthorized, h2h.RCTimestamp},
		{"future timestamp", req{uri: "/h2h/trx", body: body, key: demoKey, ts: strconv.FormatInt(now+301, 10)}, http.StatusUnauthorized, h2h.RCTimestamp},
		{"timestamp in ms", req{uri: "/h2h/trx", body: body, key: demoKey, ts: strconv.FormatInt(now*1000, 10)}, http.StatusUnauthorized, h2h.RCTimestamp},
		{"bad nonce", req{uri: "/h2h/trx", body: body, key: demoKey, nonce: "has space"}, http.StatusBadRequest, h2h.RCBadRequest},
		{"bad OtomaX sign", req{method: http.MethodGet, uri: otomax(kiosQuery)}, http.StatusUnauthorized, h2h.RCSignature},
		{"OtomaX sign on inquiry", req{uri: "/h2h/inquiry", body: "memberid=kios&product=IP50&dest=" + wallet}, http.StatusForbidden, h2h.RCForbidden},
		{"credentials in the request", req{method: http.MethodGet, uri: "/h2h/trx?memberid=kios&product=IP50&dest=" + wallet +
			"&refid=K2&pin=" + kiosPIN + "&password=" + kiosPass}, http.StatusBadRequest, h2h.RCBadRequest},
		{"no Basic credentials", req{uri: "/h2h/balance", body: `{"memberid":"bank"}`, key: bankKey}, http.StatusUnauthorized, h2h.RCSignature},
		{"wrong Basic password", req{uri: "/h2h/balance", body: `{"memberid":"bank"}`, key: bankKey, user: "bank", pass: "nope"}, http.StatusUnauthorized, h2h.RCSignature},
		{"wrong method", req{method: http.MethodDelete, uri: "/h2h/trx", key: demoKey}, http.StatusMethodNotAllowed, h2h.RCMethod},
		{"unknown endpoint", req{uri: "/h2h/refund", body: body, key: demoKey}, http.StatusNotFound, h2h.RCBadRequest},
		{"content type", req{uri: "/h2h/trx", body: body, ctype: "text/xml", key: demoKey}, http.StatusUnsupportedMediaType, h2h.RCMethod},
		{"nested JSON", req{uri: "/h2h/trx", body: `{"memberid":{"x":1}}`, key: demoKey}, http.StatusBadRequest, h2h.RCBadRequest},
		{"repeated name", req{uri: "/h2h/trx", body: `{"memberid":"demo","MemberID":"demo"}`, key: demoKey}, http.StatusBadRequest, h2h.RCBadRequest},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp := e.with(t).json(tc.r, tc.status, tc.rc)
			if resp.TrxID != 0 {
				t.Errorf("answer has trxid %d", resp.TrxID)
			}
		})
	}
	if rs := e.requests(); len(rs) != 0 {
		t.Errorf("refused requests created %d partner requests", len(rs))
	}
	if got := e.balance(wallet); got != 0 {
		t.Errorf("wallet = %v, want 0", got)
	}
	// Not even a nonce was recorded: the refused nonces still work.
	e.json(req{uri: "/h2h/trx", body: body, key: demoKey, nonce: "x-1"}, http.StatusOK, h2h.RCSuccess)
	logs := e.logs.String()
	for _, leak := range []string{kiosQuery.Get("sign"), url.QueryEscape(kiosQuery.Get("sign")), kiosPIN, kiosPass} {
		if strings.Contains(logs, leak) {
			t.Errorf("log output contains %q", leak)
		}
	}
	if !strings.Contains(logs, "reason=\"bad HMAC signature\"") || !strings.Contains(logs, "reason=\"stale timestamp\"") {
		t.Errorf("refusals were not logged with their reason:\n%s", logs)
	}
}

func TestReplayRejected(t *testing.T) {
	e := newEnv(t, "")
	e.deposit("demo", 500000)
	r := req{uri: "/h2h/trx", body: trxBody("demo", "IP50", wallet, "RP1"), key: demoKey, nonce: "n-fixed"}
	e.json(r, http.StatusOK, h2h.RCSuccess)
	// The identical request (same timestamp, nonce and signature) again.
	e.json(r, http.StatusConflict, h2h.RCReplay)
	// Replays of read-only requests are refused too.
	b := req{uri: "/h2h/balance", body: `{"memberid":"demo"}`, key: demoKey, nonce: "n-bal"}
	e.json(b, http.StatusOK, h2h.RCSuccess)
	e.json(b, http.StatusConflict, h2h.RCReplay)
	if got := e.credits(walletCanon); got != 1 {
		t.Errorf("credits = %d, want 1", got)
	}
}

func TestIPAllowlist(t *testing.T) {
	e := newEnv(t, "")
	for _, tc := range []struct {
		remote string
		ok     bool
	}{
		{"127.0.0.1:1", true},
		{"10.200.3.4:2", true},
		{"[::ffff:10.1.2.3]:3", true},
		{"[::1]:4", true},
		{"[2001:db8:1::5]:5", true},
		{"11.0.0.1:6", false},
		{"192.168.1.1:7", false},
		{"[2001:db9::1]:8", false},
		{"garbage", false},
	} {
		r := req{uri: "/h2h/balance", body: `{"memberid":"demo"}`, key: demoKey, remote: tc.remote}
		if tc.ok {
			e.json(r, http.StatusOK, h2h.RCSuccess)
		} else {
			e.json(r, http.StatusForbidden, h2h.RCIP)
		}
	}
}

func TestBodyLimit(t *testing.T) {
	e := newEnv(t, "")
	big := `{"memberid":"demo","pad":"` + strings.Repeat("x", h2h.DefaultMaxBody) + `"}`
	e.json(req{uri: "/h2h/trx", body: big, key: demoKey}, http.StatusRequestEntityTooLarge, h2h.RCTooLarge)
}

func TestCutoffWithFakeClock(t *testing.T) {
	e := newEnv(t, "")
	e.deposit("demo", 500000)
	e.deposit("text", 500000)
	day := time.Date(2026, 11, 23, 0, 0, 0, 0, wibZone)
	e.clk.Set(day.Add(23*time.Hour + 29*time.Minute))
	e.json(req{uri: "/h2h/trx", body: trxBody("demo", "IP50", wallet, "CO1"), key: demoKey}, http.StatusOK, h2h.RCSuccess)
	e.clk.Set(day.Add(23*time.Hour + 31*time.Minute))
	e.json(req{uri: "/h2h/trx", body: trxBody("demo", "IP50", wallet, "CO2"), key: demoKey}, http.StatusServiceUnavailable, h2h.RCCutoff)
	w := e.do(req{uri: "/h2h/trx", body: trxBody("text", "IP50", wallet, "CO3"), key: textKey})
	co3 := e.request("text", "CO3")
	want := fmt.Sprintf("#%d#IP50#ke:%s#GAGAL; CutOff/ Timeout, silahkan ulangi beberapa saat kemudian.#Saldo Rp.500,000#Reffid:CO3 #\n", co3.ID, wallet)
	if w.Code != http.StatusOK || w.Body.String() != want {
		t.Errorf("text answer in cutoff = %d %q, want %q", w.Code, w.Body.String(), want)
	}
	// After the window a new refid is served; the refused one keeps its
	// failure.
	e.clk.Set(day.Add(24*time.Hour + 30*time.Minute))
	e.json(req{uri: "/h2h/trx", body: trxBody("demo", "IP50", wallet, "CO4"), key: demoKey}, http.StatusOK, h2h.RCSuccess)
	again := e.json(req{uri: "/h2h/trx", body: trxBody("demo", "IP50", wallet, "CO2"), key: demoKey}, http.StatusOK, h2h.RCFailed)
	if !again.Resent || again.Reason != partner.ECutoff || again.Status != h2h.StatusFailed {
		t.Errorf("CO2 again = %+v, want its cutoff failure, resent", again)
	}
}

func TestTextForm(t *testing.T) {
	e := newEnv(t, "")
	e.deposit("text", 1000000)
	text := func(r req, status int) string {
		t.Helper()
		w := e.do(r)
		if w.Code != status || !strings.HasPrefix(w.Header().Get("Content-Type"), "text/plain") {
			t.Fatalf("%s = %d %s %q, want %d text", r.uri, w.Code, w.Header().Get("Content-Type"), w.Body.String(), status)
		}
		return strings.TrimSuffix(w.Body.String(), "\n")
	}
	got := text(req{uri: "/h2h/trx", body: trxBody("text", "IP50", wallet, "T-1"), key: textKey}, http.StatusOK)
	r := e.requests()[0]
	want := fmt.Sprintf("#%d#IP50#ke:%s#SUKSES#SN:%s# Sisa saldo Rp.1,000,000-Rp. 50,000=Rp. 950,000#Reffid:T-1#", r.ID, wallet, r.SN)
	if got != want {
		t.Errorf("success =\n%q\nwant\n%q", got, want)
	}
	got = text(req{uri: "/h2h/trx", body: trxBody("text", "IP50", wallet, "T-1"), key: textKey}, http.StatusOK)
	want = fmt.Sprintf("#%d#IP50#ke:%s#SUKSES; sudah pernah jam 16:00 SN/Ref: %s.#Saldo Rp.950,000#Reffid:T-1 #", r.ID, wallet, r.SN)
	if got != want {
		t.Errorf("resend =\n%q\nwant\n%q", got, want)
	}
	got = text(req{uri: "/h2h/trx", body: trxBody("text", "IP100", wallet, "T-1"), key: textKey}, http.StatusOK)
	if got != want {
		t.Errorf("refid reused =\n%q\nwant the original as a double\n%q", got, want)
	}
	// A text partner gets 200 (its default http_status); a failure
	// recorded after its trxid carries it, one refused before has none.
	for _, tc := range []struct {
		product, dest, refid string
		want                 string
	}{
		{"XL5", wallet, "T-2", "##XL5#ke:" + wallet + "#GAGAL; Kode Produk Salah. Silahkan Hubungi CS, ketik PRODUK.#Saldo Rp.950,000#Reffid:T-2 #"},
		{"IP50", "08127777777", "T-3", "#%d#IP50#ke:08127777777#GAGAL; Nomor tujuan salah, periksa kembali nomor anda.#Saldo Rp.950,000#Reffid:T-3 #"},
		{"IP500", wallet, "T-4", ""},
		{"IP500", wallet, "T-5", "#%d#IP500#ke:" + wallet + "#GAGAL; Saldo Tidak Cukup.#Saldo Rp.450,000#Reffid:T-5 #"},
	} {
		got := text(req{uri: "/h2h/trx", body: trxBody("text", tc.product, tc.dest, tc.refid), key: textKey}, http.StatusOK)
		if strings.Contains(tc.want, "%d") {
			tc.want = fmt.Sprintf(tc.want, e.request("text", tc.refid).ID)
		}
		if tc.want != "" && got != tc.want {
			t.Errorf("answer =\n%q\nwant\n%q", got, tc.want)
		}
	}
	// Status in the text form.
	got = text(req{method: http.MethodGet, uri: "/h2h/status?memberid=text&refid=T-1", key: textKey}, http.StatusOK)
	if !strings.Contains(got, "#SUKSES#SN:"+r.SN+"#") {
		t.Errorf("status = %q", got)
	}
}

func TestOtomaXSignedTrx(t *testing.T) {
	e := newEnv(t, "")
	e.deposit("kios", 200000)
	sign := h2h.OtomaXSign("kios", "IP50", wallet, "64525223", kiosPIN, kiosPass)
	q := "memberID=kios&product=IP50&qty=1&dest=" + wallet + "&refID=64525223&sign=" + url.QueryEscape(sign)
	w := e.do(req{method: http.MethodGet, uri: "/h2h/trx?" + q})
	if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "#SUKSES#") {
		t.Fatalf("OtomaX trx = %d %q", w.Code, w.Body.String())
	}
	// A sign whose '+' was not escaped arrives with a space instead.
	sign2 := h2h.OtomaXSign("kios", "IP75", wallet, "64525224", kiosPIN, kiosPass)
	q2 := "memberid=kios&product=IP75&dest=" + wallet + "&refid=64525224&sign=" + strings.ReplaceAll(url.QueryEscape(sign2), "%2B", "+")
	if w := e.do(req{method: http.MethodGet, uri: "/h2h/trx?" + q2}); w.Code != http.StatusOK {
		t.Errorf("trx with unescaped '+' in sign (%s) = %d %q", sign2, w.Code, w.Body.String())
	}
	// Status is signed with the refid only.
	st := "memberid=kios&refid=64525223&sign=" + url.QueryEscape(h2h.OtomaXSign("kios", "", "", "64525223", kiosPIN, kiosPass))
	if w := e.do(req{method: http.MethodGet, uri: "/h2h/status?" + st}); w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "SUKSES") {
		t.Errorf("OtomaX status = %d %q", w.Code, w.Body.String())
	}
	if got := e.balance(wallet); got != 125000 {
		t.Errorf("wallet = %v, want 125000", got)
	}
}

func TestConfirmModeOverHTTP(t *testing.T) {
	e := newEnv(t, "")
	resp := e.json(req{uri: "/h2h/trx", body: trxBody("mitra", "IP50", payer, "M1"), key: mitraKey}, http.StatusOK, h2h.RCPending)
	if resp.Status != h2h.StatusPending || resp.State != "pending" {
		t.Fatalf("confirm-mode answer = %+v, want pending", resp)
	}
	ctx := t.Context()
	if _, err := e.gw.SendDue(ctx); err != nil {
		t.Fatal(err)
	}
	mts := e.out.Take()
	if len(mts) != 1 || mts[0].From != "3355" || !strings.Contains(mts[0].Text, "PIN") {
		t.Fatalf("MTs = %+v, want the PIN prompt from 3355", mts)
	}
	if err := e.gw.HandleMO(ctx, smsgw.MO{From: payer, To: "3355", Text: payerPIN}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.gw.ProcessInbox(ctx); err != nil {
		t.Fatal(err)
	}
	st := e.json(req{method: http.MethodGet, uri: "/h2h/status?memberid=mitra&refid=M1", key: mitraKey}, http.StatusOK, h2h.RCSuccess)
	if st.TrxID != resp.TrxID || !strings.HasPrefix(st.SN, "SMS") {
		t.Errorf("status after PIN = %+v", st)
	}
}

func TestVAPaymentAndInquiry(t *testing.T) {
	e := newEnv(t, "")
	va := `{"memberid":"bank","va":"0138877` + wallet + `","amount":100000,"bank_ref":"ATM-1","paid_at":"2026-11-23T15:59:00+07:00"}`
	auth := req{uri: "/h2h/va/payment", body: va, key: bankKey, user: "bank", pass: bankBasic}
	resp := e.json(auth, http.StatusOK, h2h.RCSuccess)
	if resp.Amount != 100000 || resp.Dest != wallet || !strings.HasPrefix(resp.SN, "VA") {
		t.Fatalf("VA answer = %+v", resp)
	}
	again := e.json(auth, http.StatusOK, h2h.RCSuccess)
	if !again.Resent || again.TrxID != resp.TrxID {
		t.Errorf("VA resend = %+v", again)
	}
	bad := auth
	bad.body = strings.Replace(va, `"paid_at":"2026-11-23T15:59:00+07:00"`, `"paid_at":"yesterday"`, 1)
	e.json(bad, http.StatusBadRequest, h2h.RCBadRequest)
	if got := e.balance(wallet); got != 100000 {
		t.Errorf("wallet = %v, want 100000", got)
	}

	e.deposit("demo", 300000)
	q := e.json(req{uri: "/h2h/inquiry", body: `{"memberid":"demo","product":"IP150","dest":"` + payer + `"}`, key: demoKey},
		http.StatusOK, h2h.RCSuccess)
	if q.InquiryID == 0 || q.Amount != 150000 || q.Name != "Budi Santoso" || q.ExpiresAt == "" {
		t.Fatalf("inquiry = %+v", q)
	}
	pay := fmt.Sprintf(`{"memberid":"demo","inquiry_id":%d,"refid":"PAY-1","amount":150000}`, q.InquiryID)
	p := e.json(req{uri: "/h2h/payment", body: pay, key: demoKey}, http.StatusOK, h2h.RCSuccess)
	if p.Amount != 150000 || p.Dest != payer {
		t.Errorf("payment = %+v", p)
	}
	pay2 := fmt.Sprintf(`{"memberid":"demo","inquiry_id":%d,"refid":"PAY-2"}`, q.InquiryID)
	e.json(req{uri: "/h2h/payment", body: pay2, key: demoKey}, http.StatusConflict, h2h.RCPaid)
	e.json(req{uri: "/h2h/payment", body: `{"memberid":"demo","inquiry_id":999,"refid":"PAY-3"}`, key: demoKey}, http.StatusNotFound, h2h.RCNotFound)
	e.json(req{uri: "/h2h/payment", body: `{"memberid":"demo","inquiry_id":"x","refid":"PAY-3"}`, key: demoKey}, http.StatusBadRequest, h2h.RCBadRequest)
}

func TestBlockedDestinationCode(t *testing.T) {
	e := newEnv(t, "")
	for i := range partner.DefaultBlockAfter {
		e.json(req{uri: "/h2h/trx", body: trxBody("demo", "IP50", "08127777777", fmt.Sprint("X", i)), key: demoKey},
			http.StatusUnprocessableEntity, h2h.RCDestination)
	}
	e.json(req{uri: "/h2h/trx", body: trxBody("demo", "IP50", "08127777777", "X9"), key: demoKey}, http.StatusUnprocessableEntity, h2h.RCBlocked)
	if err := e.svc.Unblock(t.Context(), smsgw.Actor{Name: "test"}, "08127777777"); err != nil {
		t.Fatal(err)
	}
	e.json(req{uri: "/h2h/trx", body: trxBody("demo", "IP50", "08127777777", "X10"), key: demoKey}, http.StatusUnprocessableEntity, h2h.RCDestination)
}

// TestConcurrentIdenticalHTTP sends 50 identical top-ups at once through a
// real HTTP server: exactly one credit, one trxid for all.
func TestConcurrentIdenticalHTTP(t *testing.T) {
	e := newEnv(t, "")
	e.deposit("demo", 1000000)
	ts := httptest.NewServer(e.srv)
	defer ts.Close()
	body := trxBody("demo", "IP100", wallet, "CONC-1")
	const n = 50
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		ids  = map[int64]int{}
		rcs  = map[string]int{}
		errs []error
	)
	send := func(nonce string) {
		defer wg.Done()
		hr := e.build(req{uri: ts.URL + "/h2h/trx", body: body, key: demoKey, nonce: nonce})
		hr.RequestURI = ""
		resp, err := ts.Client().Do(hr)
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			errs = append(errs, err)
			return
		}
		defer resp.Body.Close()
		var r h2h.Response
		if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
			errs = append(errs, err)
			return
		}
		rcs[r.RC]++
		if r.RC == h2h.RCSuccess {
			ids[r.TrxID]++
		}
	}
	for i := range n {
		wg.Add(1)
		go send(fmt.Sprint("conc-", i))
	}
	wg.Wait()
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	if rcs[h2h.RCSuccess] != n || len(ids) != 1 {
		t.Errorf("answers %v with trxids %v, want %d successes with one trxid", rcs, ids, n)
	}
	// The same signed request 50 times at once: one credit, 49 replays.
	rcs = map[string]int{}
	body = trxBody("demo", "IP50", wallet, "CONC-2")
	for range n {
		wg.Add(1)
		go send("same-nonce")
	}
	wg.Wait()
	if rcs[h2h.RCSuccess] != 1 || rcs[h2h.RCReplay] != n-1 {
		t.Errorf("answers %v, want 1 success and %d replays", rcs, n-1)
	}
	if got := e.credits(walletCanon); got != 2 {
		t.Errorf("credits = %d, want exactly 2", got)
	}
	if got := e.balance(wallet); got != 150000 {
		t.Errorf("wallet = %v, want 150000", got)
	}
}

func TestNewValidates(t *testing.T) {
	e := newEnv(t, "")
	base := e.auth[0]
	for name, edit := range map[string]func(*h2h.Partner){
		"unknown partner": func(p *h2h.Partner) { p.ID = "ghost" },
		"scheme":          func(p *h2h.Partner) { p.Scheme = "md5" },
		"no key":          func(p *h2h.Partner) { p.Keys = nil },
		"short key":       func(p *h2h.Partner) { p.Keys = []h2h.Secret{"short"} },
		"otomax no pin":   func(p *h2h.Partner) { p.Scheme = h2h.SchemeOtomaX },
		"no ranges":       func(p *h2h.Partner) { p.Allow = nil },
		"format":          func(p *h2h.Partner) { p.Format = "xml" },
		"callback url":    func(p *h2h.Partner) { p.CallbackURL = "ftp://x" },
		"basic no pass":   func(p *h2h.Partner) { p.BasicUser = "u" },
	} {
		p := base
		edit(&p)
		_, err := h2h.New(h2h.Options{Partners: []h2h.Partner{p}, Service: e.svc})
		if err == nil {
			t.Errorf("New(%s) = nil error", name)
		} else if strings.Contains(err.Error(), demoKey) {
			t.Errorf("New(%s) error shows the key", name)
		}
	}
	if s := fmt.Sprintf("%v %+v %#v", base, base, base.Keys); strings.Contains(s, demoKey) {
		t.Errorf("formatting a partner shows its key: %s", s)
	}
}

// BenchmarkTopUp measures a signed immediate top-up through the handler:
// parsing, authentication, one write transaction (nonce, transfer,
// request, callback, SMS) and the answer.
func BenchmarkTopUp(b *testing.B) {
	e := newEnv(b, "")
	e.deposit("demo", domain.Amount(int64(b.N+1)*50000))
	b.ResetTimer()
	for i := range b.N {
		w := httptest.NewRecorder()
		e.srv.ServeHTTP(w, e.build(req{uri: "/h2h/trx", body: trxBody("demo", "IP50", wallet, fmt.Sprint("B", i)), key: demoKey}))
		if w.Code != http.StatusOK {
			b.Fatalf("HTTP %d %s", w.Code, w.Body.String())
		}
	}
}

// A bank reverses (part of) a VA payment it confirmed: its own refid,
// trxid and status, idempotent like a payment.
func TestVAReversal(t *testing.T) {
	e := newEnv(t, "")
	va := `{"memberid":"bank","va":"0138877` + wallet + `","amount":100000,"bank_ref":"ATM-1"}`
	bank := req{uri: "/h2h/va/payment", body: va, key: bankKey, user: "bank", pass: bankBasic}
	pay := e.json(bank, http.StatusOK, h2h.RCSuccess)

	rev := bank
	rev.uri = "/h2h/va/reversal"
	rev.body = `{"memberid":"bank","refid":"REV-1","bank_ref":"ATM-1","amount":40000,"reason":"returned"}`
	resp := e.json(rev, http.StatusOK, h2h.RCSuccess)
	if resp.TrxID == 0 || resp.TrxID == pay.TrxID || resp.RefID != "REV-1" || resp.Amount != 40000 ||
		resp.Dest != wallet || resp.Status != 20 || !strings.HasPrefix(resp.SN, "REV") {
		t.Fatalf("reversal answer = %+v", resp)
	}
	if again := e.json(rev, http.StatusOK, h2h.RCSuccess); !again.Resent || again.TrxID != resp.TrxID {
		t.Errorf("reversal resend = %+v", again)
	}
	if got := e.balance(wallet); got != 60000 {
		t.Fatalf("wallet = %v, want 60000", got)
	}
	status := bank
	status.uri, status.body = "/h2h/status", `{"memberid":"bank","refid":"rev-1"}`
	if st := e.json(status, http.StatusOK, h2h.RCSuccess); st.TrxID != resp.TrxID || st.Amount != 40000 {
		t.Errorf("status of the reversal = %+v", st)
	}
	for _, tc := range []struct {
		name, body string
		status     int
		rc         string
	}{
		{"refid reused", `{"memberid":"bank","refid":"REV-1","bank_ref":"ATM-1","amount":1000}`, http.StatusConflict, h2h.RCConflict},
		{"unknown payment", `{"memberid":"bank","refid":"REV-2","bank_ref":"ATM-9"}`, http.StatusNotFound, h2h.RCNotFound},
		{"more than remains", `{"memberid":"bank","refid":"REV-2","bank_ref":"ATM-1","amount":60001}`, http.StatusConflict, h2h.RCConflict},
		{"bad amount", `{"memberid":"bank","refid":"REV-2","bank_ref":"ATM-1","amount":"-5"}`, http.StatusBadRequest, h2h.RCBadRequest},
		{"signed amount", `{"memberid":"bank","refid":"REV-2","bank_ref":"ATM-1","amount":"+5"}`, http.StatusBadRequest, h2h.RCBadRequest},
		{"huge amount", `{"memberid":"bank","refid":"REV-2","bank_ref":"ATM-1","amount":"9999999999999999"}`, http.StatusBadRequest, h2h.RCBadRequest},
		{"control in reason", `{"memberid":"bank","refid":"REV-2","bank_ref":"ATM-1","reason":"a\u0007b"}`, http.StatusBadRequest, h2h.RCBadRequest},
		{"no bank_ref", `{"memberid":"bank","refid":"REV-2"}`, http.StatusBadRequest, h2h.RCBadRequest},
	} {
		r := rev
		r.body = tc.body
		e.with(t).json(r, tc.status, tc.rc)
	}
	// A partner not enabled for VA cannot reverse.
	e.json(req{uri: "/h2h/va/reversal", body: `{"memberid":"demo","refid":"REV-3","bank_ref":"ATM-1"}`, key: demoKey},
		http.StatusForbidden, h2h.RCForbidden)
	// The rest.
	rev.body = `{"memberid":"bank","refid":"REV-2","bank_ref":"ATM-1"}`
	if r := e.json(rev, http.StatusOK, h2h.RCSuccess); r.Amount != 60000 {
		t.Errorf("reversal of the rest = %+v", r)
	}
	if got := e.balance(wallet); got != 0 {
		t.Errorf("wallet = %v, want 0", got)
	}
	if got := len(e.requests()); got != 3 {
		t.Errorf("partner requests = %d, want 3 (the payment and two reversals)", got)
	}
}
