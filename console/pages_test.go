package console_test

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/smsgw/smsgw/console"
	"github.com/smsgw/smsgw/smsgw"
)

func TestDashboard(t *testing.T) {
	h := newHarness(t)
	c := h.admin()
	res := c.get("/console/")
	if res.status != http.StatusOK {
		t.Fatalf("GET /console/ = %d\n%s", res.status, res.body)
	}
	for _, want := range []string{
		`id="bind-smsc1" data-bound="true" data-suspended="false"`,
		`id="bind-smsc2" data-bound="false"`,
		`action="/console/binds/smsc1/suspend"`,
		`<svg id="traffic-chart"`, `<polyline id="chart-mo"`, `<polyline id="chart-mt"`,
		`MO 6</span>`, `MT 7</span>`, // the whole test data is within the last hour
		`<tr data-state="confirmed"><td>confirmed</td><td class="num">1</td>`,
		`<tr data-state="expired"><td>expired</td><td class="num">1</td>`,
		`<tr data-state="awaiting_pin"><td>awaiting PIN</td><td class="num">1</td>`,
		`<tr data-state="wrong_pin_locked"><td>wrong PIN (locked)</td><td class="num">0</td>`,
		`id="credited-today">Rp200.000<`,
		`<li data-kind="sms_topup">sms_topup: 1 × · Rp50.000</li>`,
		`<li data-kind="bank_va">bank_va: 1 × · Rp150.000</li>`,
		`id="outbox-depth">0<`,
		`Today (2025-03-01)`,
	} {
		if !strings.Contains(res.body, want) {
			t.Errorf("dashboard lacks %s", want)
		}
	}
	// MT is drawn under MO, in another colour and style, with a legend, so
	// MO stays visible where the lines coincide.
	if mt, mo := strings.Index(res.body, `id="chart-mt"`), strings.Index(res.body, `id="chart-mo"`); mt < 0 || mo < mt {
		t.Errorf("chart draws MO (at %d) before MT (at %d): MT would hide it", mo, mt)
	}
	if !strings.Contains(res.body, `id="chart-legend"`) {
		t.Error("chart has no legend")
	}
	// The chart has one hover target per minute of the range.
	for _, minutes := range []int{60, 180, 720} {
		page := c.get(fmt.Sprintf("/console/?minutes=%d", minutes))
		if n := strings.Count(page.body, `<rect class="hover"`); n != minutes {
			t.Errorf("chart of %d minutes has %d minute marks", minutes, n)
		}
	}
	// "Today" starts at midnight in the console's zone: the next day the
	// outcomes and credits are zero.
	h.clk.Set(time.Date(2025, 3, 1, 17, 0, 0, 0, time.UTC)) // 00:00 WIB on 2 March
	c = h.admin()
	res = c.get("/console/")
	for _, want := range []string{`id="credited-today">Rp0<`, `<tr data-state="confirmed"><td>confirmed</td><td class="num">0</td>`, `MO 0</span>`} {
		if !strings.Contains(res.body, want) {
			t.Errorf("next day's dashboard lacks %s", want)
		}
	}
}

func TestBindSuspendResume(t *testing.T) {
	h := newHarness(t)
	c := h.admin()
	res := c.postCSRF("/console/binds/smsc1/suspend", nil)
	if res.status != http.StatusSeeOther || res.header.Get("Location") != "/console/?done=suspended" {
		t.Fatalf("suspend = %d to %q\n%s", res.status, res.header.Get("Location"), res.body)
	}
	page := c.get("/console/?done=suspended")
	for _, want := range []string{`id="flash"`, "Bind suspended.", `id="bind-smsc1" data-bound="false" data-suspended="true"`, `action="/console/binds/smsc1/resume"`} {
		if !strings.Contains(page.body, want) {
			t.Errorf("dashboard after suspend lacks %s", want)
		}
	}
	if res := c.postCSRF("/console/binds/smsc1/resume", nil); res.status != http.StatusSeeOther {
		t.Errorf("resume = %d", res.status)
	}
	if res := c.postCSRF("/console/binds/nope/suspend", nil); res.status != http.StatusNotFound {
		t.Errorf("suspend of an unknown bind = %d, want 404", res.status)
	}
	if got, want := h.binds.calls, []string{"smsc1:true", "smsc1:false"}; !slices.Equal(got, want) {
		t.Errorf("bind calls = %v, want %v", got, want)
	}
	es := h.audit()
	if len(es) < 2 || es[0].Action != smsgw.ActionBindResume || es[1].Action != smsgw.ActionBindSuspend ||
		es[1].Target != "smsc1" || es[1].Actor != adminName || es[1].Role != "admin" {
		t.Errorf("audit after suspend and resume = %+v", es)
	}
}

// msgIDs returns the ids of the SMS log rows that keep returns true for,
// newest first, as the SMS log lists them.
func (h *harness) msgIDs(keep func(m smsgw.Message) bool) []int64 {
	var out []int64
	for _, m := range h.messages() {
		if keep(m) {
			out = append(out, m.ID)
		}
	}
	return out
}

func TestSMSLogFilters(t *testing.T) {
	h := newHarness(t)
	c := h.viewer()
	all := func(smsgw.Message) bool { return true }
	at := func(d time.Duration) string { return t0.Add(d).In(wib).Format("2006-01-02T15:04") }
	tests := []struct {
		query string
		keep  func(smsgw.Message) bool
	}{
		{"", all},
		{"msisdn=" + payerA, func(m smsgw.Message) bool { return m.MSISDN == payerAN }},
		{"msisdn=%2B62+811-0000-001", func(m smsgw.Message) bool { return m.MSISDN == payerBN }},
		{"short_code=3355", func(m smsgw.Message) bool { return m.ShortCode == pinCode }},
		{"keyword=im2pay", func(m smsgw.Message) bool { return m.Keyword == "IM2PAY" }},
		{"keyword=PIN_PROMPT", func(m smsgw.Message) bool { return m.Template == smsgw.ReplyPINPrompt }}, // a reply name as keyword: its template
		{"template=pin_prompt", func(m smsgw.Message) bool { return m.Template == smsgw.ReplyPINPrompt }},
		{"template=SUCCESS", func(m smsgw.Message) bool { return m.Template == smsgw.ReplySuccess }},
		{"keyword=im2pay&direction=out", func(smsgw.Message) bool { return false }}, // MTs have no keyword
		{"keyword=PIN_REPLY", func(m smsgw.Message) bool { return m.Keyword == "PIN_REPLY" }},
		{"direction=in", func(m smsgw.Message) bool { return m.Direction == smsgw.DirIn }},
		{"direction=mt", func(m smsgw.Message) bool { return m.Direction == smsgw.DirOut }},
		{"status=delivered", func(m smsgw.Message) bool { return m.Status == smsgw.MsgDelivered }},
		{"status=processed&msisdn=" + payerB, func(m smsgw.Message) bool { return m.Status == smsgw.MsgProcessed && m.MSISDN == payerBN }},
		{"since=" + at(3*time.Minute), func(m smsgw.Message) bool { return !m.CreatedAt.Before(t0.Add(3 * time.Minute)) }},
		{"until=" + at(2*time.Minute), func(m smsgw.Message) bool { return m.CreatedAt.Before(t0.Add(2 * time.Minute)) }},
		{"since=" + at(time.Minute) + "&until=" + at(4*time.Minute), func(m smsgw.Message) bool {
			return !m.CreatedAt.Before(t0.Add(time.Minute)) && m.CreatedAt.Before(t0.Add(4*time.Minute))
		}},
		{"since=" + url.QueryEscape(t0.Add(11*time.Minute).Format(time.RFC3339)), func(m smsgw.Message) bool { return !m.CreatedAt.Before(t0.Add(11 * time.Minute)) }},
		{"since=5m", func(m smsgw.Message) bool { return !m.CreatedAt.Before(h.clk.Now().Add(-5 * time.Minute)) }},
		{"since=2025-03-02", func(smsgw.Message) bool { return false }},
		{fmt.Sprintf("session=%d", h.sessA), func(m smsgw.Message) bool { return m.SessionID == h.sessA }},
		{fmt.Sprintf("transfer=%d", h.transferA), func(m smsgw.Message) bool { return m.TransferID == h.transferA }},
		{"keyword=NOPE", func(smsgw.Message) bool { return false }},
	}
	for _, tc := range tests {
		got := c.allRows("/console/sms?"+tc.query, "sms")
		want := h.msgIDs(tc.keep)
		if !slices.Equal(got, want) && !(len(got) == 0 && len(want) == 0) {
			t.Errorf("SMS log ?%s rows = %v, want %v", tc.query, got, want)
		}
	}
}

func TestSMSLogPagesAndLinks(t *testing.T) {
	h := newHarness(t)
	c := h.viewer()
	first := c.get("/console/sms")
	if ids := rowIDs(first.body, "sms"); len(ids) != pageSize {
		t.Fatalf("first page has %d rows, want %d", len(ids), pageSize)
	}
	if strings.Contains(first.body, `id="prev"`) || !strings.Contains(first.body, `id="next" href="/console/sms?offset=4"`) {
		t.Errorf("first page pager wrong:\n%s", first.body)
	}
	second := c.get("/console/sms?offset=4")
	if !strings.Contains(second.body, `id="prev" href="/console/sms?"`) || !strings.Contains(second.body, `id="next" href="/console/sms?offset=8"`) {
		t.Errorf("second page pager wrong")
	}
	// Filters survive paging.
	page := c.get("/console/sms?direction=out")
	if !strings.Contains(page.body, `id="next" href="/console/sms?direction=out&amp;offset=4"`) {
		t.Errorf("pager drops the filter")
	}
	if !strings.Contains(page.body, `id="export-csv" href="/console/sms?direction=out&amp;format=csv"`) {
		t.Errorf("export link drops the filter")
	}
	// Each row links to its transaction: session, else transfer, else itself.
	all := c.get("/console/sms?msisdn=" + payerB)
	all.body += c.get("/console/sms?offset=4&msisdn=" + payerB).body
	for _, m := range h.messages() {
		if m.MSISDN != payerBN {
			continue
		}
		want := fmt.Sprintf("/console/sms/%d", m.ID)
		if m.SessionID != 0 {
			want = fmt.Sprintf("/console/tx/%d", m.SessionID)
		}
		re := regexp.MustCompile(fmt.Sprintf(`(?s)id="sms-%d".*?class="tx-link" href="([^"]+)"`, m.ID))
		if got := re.FindStringSubmatch(all.body); got == nil || got[1] != want {
			t.Errorf("row of message %d links to %v, want %s", m.ID, got, want)
		}
	}
	// A message without a transaction has its own page; one with a session
	// redirects to it.
	for _, m := range h.messages() {
		res := c.get(fmt.Sprintf("/console/sms/%d", m.ID))
		switch {
		case m.SessionID != 0:
			if res.status != http.StatusSeeOther || res.header.Get("Location") != fmt.Sprintf("/console/tx/%d", m.SessionID) {
				t.Errorf("message %d: %d to %q, want its session", m.ID, res.status, res.header.Get("Location"))
			}
		default:
			if res.status != http.StatusOK || !strings.Contains(res.body, `id="message"`) || !strings.Contains(res.body, m.Text) {
				t.Errorf("message %d page: %d", m.ID, res.status)
			}
		}
	}
	if res := c.get("/console/sms/99999"); res.status != http.StatusNotFound {
		t.Errorf("unknown message = %d, want 404", res.status)
	}
}

func TestBadFilters(t *testing.T) {
	h := newHarness(t)
	c := h.viewer()
	for _, tc := range []struct{ path, field string }{
		{"/console/sms?msisdn=abc", "msisdn"},
		{"/console/sms?short_code=93a", "short_code"},
		{"/console/sms?direction=up", "direction"},
		{"/console/sms?status=lost", "status"},
		{"/console/sms?since=yesterday", "since"},
		{"/console/sms?since=2025-03-02&until=2025-03-01", "until"},
		{"/console/sms?session=-1", "session"},
		{"/console/sms?transfer=x", "transfer"},
		{"/console/sessions?state=done", "state"},
		{"/console/customers?msisdn=08x", "msisdn"},
		{"/console/customers?locked=maybe", "locked"},
		{"/console/ledger?account=bogus:1", "account"},
		{"/console/ledger?account=hello", "account"},
		{"/console/audit?action=delete", "action"},
	} {
		res := c.get(tc.path)
		if res.status != http.StatusBadRequest || !strings.Contains(res.body, `id="error"`) || !strings.Contains(res.body, tc.field+": ") {
			t.Errorf("GET %s = %d, want 400 naming %s", tc.path, res.status, tc.field)
		}
		exp := c.get(tc.path + "&format=csv")
		if exp.status != http.StatusBadRequest || !strings.HasPrefix(exp.body, tc.field+": ") {
			t.Errorf("export %s = %d %q, want 400 naming %s", tc.path, exp.status, exp.body, tc.field)
		}
	}
	if res := c.get("/console/sms?format=xml"); res.status != http.StatusBadRequest {
		t.Errorf("export format xml = %d, want 400", res.status)
	}
	if res := c.get("/console/nope"); res.status != http.StatusNotFound {
		t.Errorf("unknown page = %d, want 404", res.status)
	}
}

func TestTransactionPage(t *testing.T) {
	h := newHarness(t)
	c := h.viewer()
	res := c.get(fmt.Sprintf("/console/tx/%d", h.sessA))
	if res.status != http.StatusOK {
		t.Fatalf("transaction page = %d\n%s", res.status, res.body)
	}
	steps := regexp.MustCompile(`data-step="([a-z_]+)"`).FindAllStringSubmatch(res.body, -1)
	var got []string
	for _, s := range steps {
		got = append(got, s[1])
	}
	want := []string{"mo", "pin_prompt", "pin", "reply", "pin", "transfer", "resolved", "result", "receipt"}
	if !slices.Equal(got, want) {
		t.Errorf("timeline = %v, want %v", got, want)
	}
	for _, w := range []string{
		`data-state="confirmed"`, `id="amount">Rp50.000<`, `id="transfer-amount">Rp50.000<`, `id="transfer-reference">SMS1<`,
		"IM2PAY " + payerA + " 50000", "BERHASIL", "SMSC id mt-3: delivered",
		`<td class="num debit">-Rp50.000</td>`, `href="/console/ledger?account=wallet%3a628110000002"`,
	} {
		if !strings.Contains(res.body, w) {
			t.Errorf("transaction page lacks %s", w)
		}
	}
	if n := strings.Count(res.body, `<div class="text sms-text">****</div>`); n != 2 {
		t.Errorf("transaction page shows %d redacted PIN replies, want 2", n)
	}
	if len(rowIDs(res.body, "entry")) != 2 {
		t.Errorf("transaction page shows %d ledger entries, want 2", len(rowIDs(res.body, "entry")))
	}
	// The expired one: prompt, then the expiry at the expiry job's time.
	exp := c.get(fmt.Sprintf("/console/tx/%d", h.sessB))
	if !strings.Contains(exp.body, `data-state="expired"`) || strings.Contains(exp.body, `id="transfer"`) {
		t.Errorf("expired transaction page wrong")
	}
	// A transfer with a session leads to it; one without has its own page.
	if res := c.get(fmt.Sprintf("/console/transfers/%d", h.transferA)); res.status != http.StatusSeeOther ||
		res.header.Get("Location") != fmt.Sprintf("/console/tx/%d", h.sessA) {
		t.Errorf("transfer of a session = %d to %q", res.status, res.header.Get("Location"))
	}
	bank := c.get(fmt.Sprintf("/console/transfers/%d", h.transferBank))
	if bank.status != http.StatusOK || !strings.Contains(bank.body, `id="transfer-reference">VA-1<`) || strings.Contains(bank.body, `id="session"`) {
		t.Errorf("bank transfer page = %d\n%s", bank.status, bank.body)
	}
	for _, p := range []string{"/console/tx/999", "/console/tx/abc", "/console/transfers/999", "/console/tx/999?format=json"} {
		if res := c.get(p); res.status != http.StatusNotFound {
			t.Errorf("GET %s = %d, want 404", p, res.status)
		}
	}
}

func TestSessionsPage(t *testing.T) {
	h := newHarness(t)
	c := h.viewer()
	at := func(d time.Duration) string { return t0.Add(d).In(wib).Format("2006-01-02T15:04") }
	for _, tc := range []struct {
		query string
		want  []int64
	}{
		{"", []int64{h.sessC, h.sessB, h.sessA}},
		{"state=awaiting_pin", []int64{h.sessC}},
		{"state=open", []int64{h.sessC}},
		{"state=expired", []int64{h.sessB}},
		{"state=confirmed", []int64{h.sessA}},
		{"state=cancelled", nil},
		{"msisdn=" + payerB, []int64{h.sessB}},
		{"since=" + at(time.Minute), []int64{h.sessC, h.sessB}},
		{"until=" + at(time.Minute), []int64{h.sessA}},
	} {
		if got := c.allRows("/console/sessions?"+tc.query, "session"); !slices.Equal(got, tc.want) {
			t.Errorf("sessions ?%s = %v, want %v", tc.query, got, tc.want)
		}
	}
	res := c.get("/console/sessions")
	if !strings.Contains(res.body, fmt.Sprintf(`<a class="tx-link" href="/console/tx/%d">`, h.sessA)) || !strings.Contains(res.body, "Rp75.000") {
		t.Errorf("sessions page lacks links or amounts")
	}
}

func TestCustomersPage(t *testing.T) {
	h := newHarness(t)
	c := h.admin()
	customerRows := func(path string) []string {
		res := c.get(path)
		var out []string
		for _, m := range regexp.MustCompile(`id="customer-(\d+)"`).FindAllStringSubmatch(res.body, -1) {
			out = append(out, m[1])
		}
		return out
	}
	if got, want := customerRows("/console/customers"), []string{payerBN, payerAN, payerCN}; !slices.Equal(got, want) {
		t.Errorf("customers = %v, want %v", got, want)
	}
	if got, want := customerRows("/console/customers?msisdn=0811000000"), []string{payerBN, payerAN, payerCN}; !slices.Equal(got, want) {
		t.Errorf("customers by prefix = %v, want %v", got, want)
	}
	if got, want := customerRows("/console/customers?msisdn=08110000003"), []string{payerCN}; !slices.Equal(got, want) {
		t.Errorf("customers by number = %v, want %v", got, want)
	}
	if got := customerRows("/console/customers?locked=true"); len(got) != 0 {
		t.Errorf("locked customers before any lock = %v", got)
	}
	c.postCSRF("/console/customers/"+payerCN+"/lock", url.Values{"duration": {"30m0s"}})
	if got, want := customerRows("/console/customers?locked=true"), []string{payerCN}; !slices.Equal(got, want) {
		t.Errorf("locked customers = %v, want %v", got, want)
	}
	page := c.get("/console/customers/" + payerAN)
	for _, want := range []string{`id="customer" class="facts card" data-locked="false"`, "Ani", `id="wallet-balance">Rp50.000<`,
		`id="pin-failures">0<`, fmt.Sprintf(`href="/console/tx/%d"`, h.sessA)} {
		if !strings.Contains(page.body, want) {
			t.Errorf("customer page lacks %s", want)
		}
	}
	if strings.Contains(page.body, "pin_hash") || strings.Contains(page.body, "salt") {
		t.Errorf("customer page mentions PIN material")
	}
	// The local form of the number finds the customer too.
	if res := c.get("/console/customers/" + payerA); res.status != http.StatusOK {
		t.Errorf("customer page by local number = %d", res.status)
	}
	for _, p := range []string{"/console/customers/08119999999", "/console/customers/abc"} {
		if res := c.get(p); res.status != http.StatusNotFound {
			t.Errorf("GET %s = %d, want 404", p, res.status)
		}
	}
}

func TestAdminActions(t *testing.T) {
	h := newHarness(t)
	c := h.admin()
	base := "/console/customers/" + payerBN
	check := func(res response, done string) {
		t.Helper()
		if res.status != http.StatusSeeOther || res.header.Get("Location") != base+"?done="+done {
			t.Fatalf("action = %d to %q, want 303 to ?done=%s\n%s", res.status, res.header.Get("Location"), done, res.body)
		}
	}
	lastAudit := func() smsgw.AuditEntry { t.Helper(); return h.audit()[0] }

	check(c.postCSRF(base+"/lock", url.Values{"duration": {"2h0m0s"}}), "locked")
	cu := h.customer(payerBN)
	if cu.LockedUntil == nil || !cu.LockedUntil.Equal(h.clk.Now().Add(2*time.Hour)) {
		t.Errorf("locked until %v, want now+2h", cu.LockedUntil)
	}
	if e := lastAudit(); e.Action != smsgw.ActionCustomerLock || e.Target != payerBN || e.Actor != adminName || !strings.Contains(e.Detail, "locked until") {
		t.Errorf("audit of lock = %+v", e)
	}
	page := c.get(base + "?done=locked")
	if !strings.Contains(page.body, "Customer locked.") || !strings.Contains(page.body, `data-locked="true"`) || !strings.Contains(page.body, "customer.lock") {
		t.Errorf("customer page after lock lacks flash, lock state or audit line")
	}

	check(c.postCSRF(base+"/lock", url.Values{"duration": {"forever"}}), "locked")
	if cu := h.customer(payerBN); cu.LockedUntil == nil || cu.LockedUntil.Year() < 2200 {
		t.Errorf("lock until unlocked = %v", cu.LockedUntil)
	}
	if page := c.get(base); !strings.Contains(page.body, "locked until unlocked") {
		t.Errorf("customer page does not say locked until unlocked")
	}
	if res := c.postCSRF(base+"/lock", url.Values{"duration": {"1ns"}}); res.status != http.StatusBadRequest || !strings.Contains(res.body, `id="error"`) {
		t.Errorf("lock with an unlisted duration = %d", res.status)
	}

	check(c.postCSRF(base+"/unlock", nil), "unlocked")
	if cu := h.customer(payerBN); cu.LockedUntil != nil || cu.PINFailures != 0 {
		t.Errorf("after unlock: %+v", cu)
	}
	if e := lastAudit(); e.Action != smsgw.ActionCustomerUnlock {
		t.Errorf("audit of unlock = %+v", e)
	}

	// Reset PIN: mismatched and invalid PINs are refused without echoing.
	const newPIN, otherPIN = "582046", "582047"
	res := c.postCSRF(base+"/reset-pin", url.Values{"new_pin": {newPIN}, "confirm_pin": {otherPIN}})
	if res.status != http.StatusBadRequest || !strings.Contains(res.body, "the two PINs differ") {
		t.Errorf("mismatched PINs = %d", res.status)
	}
	res2 := c.postCSRF(base+"/reset-pin", url.Values{"new_pin": {"12"}, "confirm_pin": {"12"}})
	if res2.status != http.StatusBadRequest || !strings.Contains(res2.body, "PIN must be 6 to 6 digits") {
		t.Errorf("short PIN = %d\n%s", res2.status, res2.body)
	}
	for _, body := range []string{res.body, res2.body} {
		if strings.Contains(body, newPIN) || strings.Contains(body, otherPIN) || strings.Contains(body, `value="12"`) {
			t.Errorf("a refused reset shows the PIN typed")
		}
	}
	check(c.postCSRF(base+"/reset-pin", url.Values{"new_pin": {newPIN}, "confirm_pin": {newPIN}}), "pin_reset")
	if e := lastAudit(); e.Action != smsgw.ActionCustomerResetPIN || strings.Contains(e.Detail, newPIN) {
		t.Errorf("audit of reset = %+v", e)
	}
	for _, p := range []string{base + "?done=pin_reset", "/console/audit", "/console/audit?format=json", "/console/audit?format=csv"} {
		if strings.Contains(c.get(p).body, newPIN) {
			t.Errorf("%s shows the new PIN", p)
		}
	}
	if strings.Contains(h.logs.String(), newPIN) {
		t.Errorf("the log holds the new PIN")
	}
	// The new PIN works for a top-up; the old one no longer does.
	h.mo(payerB, request, "IM2PAY "+payerB+" 50000")
	h.mo(payerB, pinCode, pinB)
	h.mo(payerB, pinCode, newPIN)
	var s []smsgw.Session
	h.must(h.store.View(t.Context(), func(tx smsgw.Tx) (err error) {
		s, err = tx.Sessions(smsgw.SessionFilter{MSISDN: payerBN, Limit: 1})
		return err
	}))
	if len(s) != 1 || s[0].State != smsgw.StateConfirmed || s[0].Attempts != 1 {
		t.Errorf("top-up after PIN reset = %+v, want confirmed after one wrong (old) PIN", s)
	}

	if res := c.postCSRF("/console/customers/08119999999/unlock", nil); res.status != http.StatusNotFound {
		t.Errorf("unlock of an unknown customer = %d, want 404", res.status)
	}
}

func TestLedgerPage(t *testing.T) {
	h := newHarness(t)
	c := h.viewer()
	if res := c.get("/console/ledger"); res.status != http.StatusOK || !strings.Contains(res.body, `name="account"`) || strings.Contains(res.body, `id="error"`) {
		t.Errorf("ledger without an account = %d, want the account form", res.status)
	}
	for _, acct := range []string{payerA, payerAN, "wallet:" + payerAN, "wallet:" + payerA, "+62 811 0000 002"} {
		res := c.get("/console/ledger?account=" + url.QueryEscape(acct))
		for _, want := range []string{`id="account-id">wallet:628110000002<`, `id="balance">Rp50.000<`, `data-sound="true"`,
			`<td class="num balance">Rp50.000</td>`, fmt.Sprintf(`href="/console/tx/%d"`, h.sessA), "sms_topup"} {
			if !strings.Contains(res.body, want) {
				t.Errorf("ledger of %q lacks %s", acct, want)
			}
		}
	}
	// The settlement account: two debits, running balance down to -200.000.
	res := c.get("/console/ledger?account=settlement:bank")
	ids := rowIDs(res.body, "entry")
	if len(ids) != 2 {
		t.Fatalf("settlement ledger rows = %v, want 2", ids)
	}
	balances := regexp.MustCompile(`<td class="num balance">([^<]+)</td>`).FindAllStringSubmatch(res.body, -1)
	if len(balances) != 2 || balances[0][1] != "-Rp200.000" || balances[1][1] != "-Rp50.000" {
		t.Errorf("settlement running balances = %v, want -Rp200.000 then -Rp50.000", balances)
	}
	if !strings.Contains(res.body, fmt.Sprintf(`href="/console/transfers/%d"`, h.transferBank)) {
		t.Errorf("the bank transfer's entry does not link to its transfer")
	}
	if res := c.get("/console/ledger?account=wallet:08119999999"); !strings.Contains(res.body, "No such account.") {
		t.Errorf("unknown account not reported")
	}
	if res := c.get("/console/ledger?account=" + payerC + "&since=" + url.QueryEscape(h.clk.Now().Format(time.RFC3339))); len(rowIDs(res.body, "entry")) != 0 {
		t.Errorf("ledger since now shows entries")
	}
}

func TestAuditPage(t *testing.T) {
	h := newHarness(t)
	a := h.admin()
	a.postCSRF("/console/customers/"+payerAN+"/lock", url.Values{"duration": {"forever"}})
	a.postCSRF("/console/customers/"+payerAN+"/unlock", nil)
	a.postCSRF("/console/binds/smsc2/suspend", nil)
	v := h.viewer()
	es := h.audit()
	ids := func(keep func(smsgw.AuditEntry) bool) []int64 {
		var out []int64
		for _, e := range es {
			if keep(e) {
				out = append(out, e.ID)
			}
		}
		return out
	}
	for _, tc := range []struct {
		query string
		keep  func(smsgw.AuditEntry) bool
	}{
		{"", func(smsgw.AuditEntry) bool { return true }},
		{"actor=" + viewerName, func(e smsgw.AuditEntry) bool { return e.Actor == viewerName }},
		{"action=customer.lock", func(e smsgw.AuditEntry) bool { return e.Action == smsgw.ActionCustomerLock }},
		{"target=" + payerA, func(e smsgw.AuditEntry) bool { return e.Target == payerAN }},
		{"target=smsc2", func(e smsgw.AuditEntry) bool { return e.Target == "smsc2" }},
		{"since=" + url.QueryEscape(h.clk.Now().Add(time.Minute).Format(time.RFC3339)), func(smsgw.AuditEntry) bool { return false }},
	} {
		got := v.allRows("/console/audit?"+tc.query, "audit")
		if want := ids(tc.keep); !slices.Equal(got, want) && len(got)+len(want) > 0 {
			t.Errorf("audit ?%s = %v, want %v", tc.query, got, want)
		}
	}
}

// TestWarnings: Options.Warnings are shown, escaped, on every page to a
// logged-in user, and not before the login.
func TestWarnings(t *testing.T) {
	const w = `h2h.partner[0].legacy_plain_pin: partner "kios" may send its pin & password in clear`
	h := newHarness(t, func(o *console.Options) { o.Warnings = []string{w} })
	escaped := `<li class="warning">h2h.partner[0].legacy_plain_pin: partner &#34;kios&#34; may send its pin &amp; password in clear</li>`
	if res := h.client().get("/console/login"); strings.Contains(res.body, `id="warnings"`) {
		t.Error("the login page shows the warnings")
	}
	c := h.viewer()
	for _, p := range []string{"/console/", "/console/sms", "/console/partners"} {
		wantIn(t, p, c.get(p).body, `<ul id="warnings" class="error" role="alert">`, escaped)
	}
	if res := newHarness(t).viewer().get("/console/"); strings.Contains(res.body, `id="warnings"`) {
		t.Error("warnings shown without any")
	}
}

// The dashboard shows each operator's binds, state, traffic and outbox
// backlog (MTs without an operator count under the default one), and each
// bind's operator, window in use and throttling.
func TestDashboardOperators(t *testing.T) {
	h := newHarness(t)
	if err := h.store.Update(t.Context(), func(tx smsgw.Tx) error {
		for _, route := range []string{"isat", "isat", "", "gone"} {
			m := &smsgw.Message{Direction: smsgw.DirOut, ShortCode: "9779", MSISDN: "628150000001", Text: "x", Route: route}
			if err := tx.EnqueueMT(m); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	body := h.admin().get("/console/").body
	for _, want := range []string{
		`id="operators"`,
		`<tr id="operator-tsel" data-held="false" data-backlog="2">`, // the routeless and the unknown route
		`<tr id="operator-isat" data-held="true" data-backlog="2">`, `down, MTs wait`,
		`data-operator="tsel" data-throttled="false"`, `<td class="num window">2/10</td>`,
		`data-operator="isat" data-throttled="true"`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("dashboard lacks %s", want)
		}
	}
}
