package console_test

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/smsgw/smsgw/console"
	"github.com/smsgw/smsgw/domain"
	"github.com/smsgw/smsgw/partner"
	"github.com/smsgw/smsgw/report"
	"github.com/smsgw/smsgw/smsgw"
)

// Partner test data: a fourth customer and an unregistered number.
const (
	payerD     = "08110000004"
	payerDN    = "628110000004"
	pinD       = "246813"
	strangerN  = "628110000009"
	stranger   = "08110000009"
	blockAfter = 2
)

var stepAttr = regexp.MustCompile(`data-step="([a-z_]+)"`)

// partners is a console.PartnerAdmin whose service is set once the
// harness (and its gateway) exists.
type partners struct{ svc *partner.Service }

func (p *partners) ResendCallback(ctx context.Context, who smsgw.Actor, id int64) error {
	return p.svc.ResendCallback(ctx, who, id)
}
func (p *partners) Unblock(ctx context.Context, who smsgw.Actor, dest string) error {
	return p.svc.Unblock(ctx, who, dest)
}
func (p *partners) Blocked(ctx context.Context, limit int) ([]partner.Destination, error) {
	return p.svc.Blocked(ctx, limit)
}
func (p *partners) List() []partner.Partner { return p.svc.List() }

// permanent is a callback failure that is not retried.
type permanent struct{}

func (permanent) Error() string   { return "partner answered 404 Not Found" }
func (permanent) Temporary() bool { return false }

// temporary is a callback failure that is retried.
type temporary struct{}

func (temporary) Error() string   { return "partner answered 503 Service Unavailable" }
func (temporary) Temporary() bool { return true }

// notifier acknowledges the callbacks of "demo", refuses those of "bank"
// for good and fails those of "conf" for now, and counts the calls.
type notifier struct {
	mu    sync.Mutex
	calls []string
}

func (n *notifier) Notify(_ context.Context, r partner.Request) error {
	n.mu.Lock()
	n.calls = append(n.calls, r.RefID)
	n.mu.Unlock()
	switch r.Partner {
	case "demo":
		return nil
	case "bank":
		return permanent{}
	}
	return temporary{}
}

// partnerHarness is the console harness with the partner API on and:
//
//	inv  demo, immediate top-up of B: success, callback sent
//	va   bank, VA payment to C's account: success, callback dead
//	conf conf, confirmed by A's PIN: success, callback retrying
//	open conf, to B, waiting for B's PIN: pending, no callback
//	bat  conf, to D, cancelled by D: failed, callback retrying
//
// and the unregistered stranger blocked after two refused requests.
type partnerHarness struct {
	*harness
	svc                      *partner.Service
	notify                   *notifier
	inv, va, conf, open, bat *partner.Request
}

func newPartnerHarness(t *testing.T, opts ...harnessOption) *partnerHarness {
	t.Helper()
	pa := &partners{}
	opts = append([]harnessOption{func(o *console.Options) { o.Partners = pa }}, opts...)
	h := &partnerHarness{harness: newHarness(t, opts...), notify: &notifier{}}
	ctx := t.Context()
	svc, err := partner.New(h.gw, partner.Options{
		Partners: []partner.Partner{
			{ID: "demo", Mode: partner.ModeImmediate},
			{ID: "conf", Mode: partner.ModeConfirm},
			{ID: "bank", VA: true},
		},
		BlockAfter: blockAfter, Notifier: h.notify,
	})
	if err != nil {
		t.Fatal(err)
	}
	h.svc, pa.svc = svc, svc
	h.must(svc.Init(ctx))
	h.must(h.gw.AddCustomer(ctx, payerD, payerD, "Dewi", domain.PIN(pinD)))
	cli := smsgw.Actor{Name: "cli:test", Role: "admin"}
	if _, err := svc.Deposit(ctx, cli, "demo", 1_000_000, "FUND-1"); err != nil {
		t.Fatal(err)
	}
	topUp := func(id, refid, product, dest string) *partner.Request {
		t.Helper()
		res, err := svc.TopUp(ctx, partner.TopUpRequest{Partner: id, RefID: refid, Product: product, Dest: dest})
		if err != nil {
			t.Fatalf("TopUp(%s %s): %v", id, refid, err)
		}
		h.flush()
		h.clk.Add(time.Minute)
		return &res.Request
	}
	h.clk.Add(time.Minute)
	h.inv = topUp("demo", "INV-1", "IP50", payerB)
	res, err := svc.PayVA(ctx, partner.VAPayment{Partner: "bank", VA: "0138877 " + payerC, Amount: 100_000, BankRef: "BR-77"})
	if err != nil {
		t.Fatal(err)
	}
	h.va = &res.Request
	h.flush()
	h.clk.Add(time.Minute)
	h.conf = topUp("conf", "C-1", "IP75", payerA)
	h.mo(payerA, pinCode, pinA)
	h.clk.Add(time.Minute)
	h.open = topUp("conf", "C-2", "IP50", payerB)
	h.bat = topUp("conf", "C-3", "IP50", payerD)
	h.mo(payerD, request, "BATAL")
	h.clk.Add(time.Minute)
	// The stranger's failures as refused requests would leave (those are
	// recorded with their callbacks; the pages here show the others).
	h.must(h.store.Update(ctx, func(tx smsgw.Tx) error {
		now := h.clk.Now()
		return tx.(partner.Tx).SetDestination(&partner.Destination{Dest: strangerN, Failures: blockAfter,
			LastFailure: &now, UpdatedAt: now})
	}))
	if _, err := svc.SendCallbacks(ctx); err != nil {
		t.Fatal(err)
	}
	h.clk.Add(time.Minute)
	for _, r := range []**partner.Request{&h.inv, &h.va, &h.conf, &h.open, &h.bat} {
		*r = h.request((*r).ID)
	}
	if h.conf.State != partner.Success || h.bat.State != partner.Failed || h.open.State != partner.Pending {
		t.Fatalf("partner requests: conf %s, bat %s, open %s; want success, failed, pending", h.conf.State, h.bat.State, h.open.State)
	}
	return h
}

func (h *partnerHarness) request(id int64) *partner.Request {
	h.t.Helper()
	var r *partner.Request
	h.must(h.store.View(h.t.Context(), func(tx smsgw.Tx) (err error) {
		r, err = tx.(partner.Tx).PartnerRequest(id)
		return err
	}))
	return r
}

// callback returns the callback of request id.
func (h *partnerHarness) callback(id int64) partner.Callback {
	h.t.Helper()
	var cs []partner.Callback
	h.must(h.store.View(h.t.Context(), func(tx smsgw.Tx) (err error) {
		cs, err = tx.(partner.Tx).Callbacks(partner.CallbackFilter{RequestID: id})
		return err
	}))
	if len(cs) != 1 {
		h.t.Fatalf("request %d has %d callbacks, want 1", id, len(cs))
	}
	return cs[0]
}

func ids(rs ...*partner.Request) []int64 {
	var out []int64
	for _, r := range rs {
		out = append(out, r.ID)
	}
	return out
}

func TestPartnerRequestsPage(t *testing.T) {
	h := newPartnerHarness(t)
	c := h.viewer()
	res := c.get("/console/partners")
	if res.status != http.StatusOK {
		t.Fatalf("GET /console/partners = %d\n%s", res.status, res.body)
	}
	for _, want := range []string{
		`id="nav-partners" href="/console/partners" class="active"`,
		fmt.Sprintf(`<tr id="partner-%d" class="partner-row" data-state="success" data-status="20">`, h.conf.ID),
		fmt.Sprintf(`<tr id="partner-%d" class="partner-row" data-state="failed" data-status="40">`, h.bat.ID),
		fmt.Sprintf(`<tr id="partner-%d" class="partner-row" data-state="pending" data-status="10">`, h.open.ID),
		`<span class="muted">cancelled</span>`,
		`<option value="demo">`, `id="dead-letters-link"`, `id="blocked-link"`, `id="export-csv"`,
	} {
		if !strings.Contains(res.body, want) {
			t.Errorf("partner requests page lacks %s", want)
		}
	}
	// Rows link to their detail, their transfer and their session.
	page := c.get("/console/partners?refid=C-1").body
	for _, want := range []string{
		fmt.Sprintf(`href="/console/partners/%d"`, h.conf.ID),
		fmt.Sprintf(`class="transfer-link" href="/console/transfers/%d"`, h.conf.TransferID),
		fmt.Sprintf(`class="tx-link" href="/console/tx/%d"`, h.conf.SessionID),
		">Rp75.000<", ">" + h.conf.SN + "<",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("row of C-1 lacks %s", want)
		}
	}
	if cu := c.get("/console/customers/" + payerBN).body; !strings.Contains(cu, `id="customer-partners" href="/console/partners?msisdn=`+payerBN+`"`) {
		t.Errorf("customer page does not link to the customer's partner requests")
	}
	at := func(d time.Duration) string { return t0.Add(d).In(wib).Format("2006-01-02T15:04") }
	tests := []struct {
		query string
		want  []int64
	}{
		{"", ids(h.bat, h.open, h.conf, h.va, h.inv)},
		{"partner=demo", ids(h.inv)},
		{"partner=conf", ids(h.bat, h.open, h.conf)},
		{"refid=BR-77", ids(h.va)},
		{"refid=BR-77&partner=demo", nil},
		{fmt.Sprintf("trxid=%d", h.conf.ID), ids(h.conf)},
		{fmt.Sprintf("trxid=%d&partner=demo", h.conf.ID), nil},
		{fmt.Sprintf("trxid=%d&status=20", h.conf.ID), ids(h.conf)},
		{"trxid=9999", nil},
		{"msisdn=" + payerB, ids(h.open, h.inv)},
		{"msisdn=%2B62" + payerB[1:], ids(h.open, h.inv)},
		{"status=success", ids(h.conf, h.va, h.inv)},
		{"status=20", ids(h.conf, h.va, h.inv)},
		{"status=40", ids(h.bat)},
		{"status=pending", ids(h.open)},
		{"status=open", ids(h.open)},
		{"status=10", ids(h.open)},
		{"status=unknown", nil},
		{"since=" + url.QueryEscape(h.conf.CreatedAt.Format(time.RFC3339)), ids(h.bat, h.open, h.conf)},
		{"until=" + url.QueryEscape(h.conf.CreatedAt.Format(time.RFC3339)), ids(h.va, h.inv)},
		{"since=" + at(0) + "&until=" + at(time.Minute), nil},
		{"since=2025-03-02", nil},
	}
	for _, tc := range tests {
		got := c.allRows("/console/partners?"+tc.query, "partner")
		if !slices.Equal(got, tc.want) {
			t.Errorf("partners ?%s rows = %v, want %v", tc.query, got, tc.want)
		}
	}
	// Five rows are two pages of four.
	first := c.get("/console/partners").body
	if n := len(rowIDs(first, "partner")); n != pageSize || !strings.Contains(first, `id="next" href="/console/partners?offset=4"`) {
		t.Errorf("first page has %d rows and next link %v", n, strings.Contains(first, `id="next"`))
	}
	// The open request becomes unknown after the pending window.
	h.clk.Add(partner.DefaultPendingMax)
	if n, err := h.svc.Recheck(t.Context(), h.clk.Now()); err != nil || n != 1 {
		t.Fatalf("Recheck = %d, %v; want 1 request changed", n, err)
	}
	for _, q := range []string{"status=unknown", "status=10", "status=open"} {
		if got := c.allRows("/console/partners?"+q, "partner"); !slices.Equal(got, ids(h.open)) {
			t.Errorf("partners ?%s after the recheck = %v, want %v", q, got, ids(h.open))
		}
	}
	// Bad filters are named.
	for q, field := range map[string]string{
		"status=lost": "status", "trxid=abc": "trxid", "msisdn=abc": "msisdn", "since=yesterday": "since",
		"refid=" + strings.Repeat("x", 65): "refid",
	} {
		res := c.get("/console/partners?" + q)
		if res.status != http.StatusBadRequest || !strings.Contains(res.body, `id="error"`) || !strings.Contains(res.body, field+": ") {
			t.Errorf("partners ?%s = %d, want 400 naming %s", q, res.status, field)
		}
		if res := c.get("/console/partners?format=csv&" + q); res.status != http.StatusBadRequest {
			t.Errorf("partners export ?%s = %d, want 400", q, res.status)
		}
	}
}

func TestPartnerRequestDetail(t *testing.T) {
	h := newPartnerHarness(t)
	admin := h.admin()
	page := admin.get(fmt.Sprintf("/console/partners/%d", h.inv.ID))
	if page.status != http.StatusOK {
		t.Fatalf("GET request %d = %d\n%s", h.inv.ID, page.status, page.body)
	}
	cb := h.callback(h.inv.ID)
	for _, want := range []string{
		`data-state="success" data-status="20"`, `id="refid">INV-1<`, `id="amount">Rp50.000<`,
		`id="sn">` + h.inv.SN + `<`, fmt.Sprintf(`id="transfer-link" href="/console/transfers/%d"`, h.inv.TransferID),
		`<section id="transfer"`, `id="transfer-reference">INV-1<`, `Rp1.000.000 → Rp950.000`,
		fmt.Sprintf(`<tr id="callback-%d" class="callback-row" data-status="sent">`, cb.ID),
		`Send again`, fmt.Sprintf(`action="/console/callbacks/%d/resend"`, cb.ID),
		fmt.Sprintf(`id="sms-link" href="/console/sms?transfer=%d"`, h.inv.TransferID),
		`id="export-callbacks-csv"`,
	} {
		if !strings.Contains(page.body, want) {
			t.Errorf("request INV-1 page lacks %s", want)
		}
	}
	// A dead letter offers Resend; the confirmed request links to its session.
	dead := h.callback(h.va.ID)
	page = admin.get(fmt.Sprintf("/console/partners/%d", h.va.ID))
	for _, want := range []string{
		fmt.Sprintf(`<tr id="callback-%d" class="callback-row" data-status="dead">`, dead.ID), "dead letter",
		"partner answered 404 Not Found", ">Resend<", `<dt>Paid at bank</dt>`,
	} {
		if !strings.Contains(page.body, want) {
			t.Errorf("request BR-77 page lacks %s", want)
		}
	}
	retrying := h.callback(h.conf.ID)
	page = admin.get(fmt.Sprintf("/console/partners/%d", h.conf.ID))
	for _, want := range []string{
		fmt.Sprintf(`id="session-link" class="tx-link" href="/console/tx/%d"`, h.conf.SessionID),
		fmt.Sprintf(`<tr id="callback-%d" class="callback-row" data-status="queued">`, retrying.ID), "retrying",
		"partner answered 503 Service Unavailable", "confirmed by the customer's PIN",
	} {
		if !strings.Contains(page.body, want) {
			t.Errorf("request C-1 page lacks %s", want)
		}
	}
	if strings.Contains(page.body, fmt.Sprintf(`/console/callbacks/%d/resend`, retrying.ID)) {
		t.Errorf("a callback still being retried offers a resend")
	}
	page = admin.get(fmt.Sprintf("/console/partners/%d", h.open.ID))
	if !strings.Contains(page.body, "No callback yet") || !strings.Contains(page.body, `data-state="pending"`) {
		t.Errorf("pending request page:\n%s", page.body)
	}
	for _, p := range []string{"/console/partners/9999", "/console/partners/abc", "/console/partners/0"} {
		if res := admin.get(p); res.status != http.StatusNotFound {
			t.Errorf("GET %s = %d, want 404", p, res.status)
		}
	}
	// The exports of the page are the filtered lists.
	res := admin.get(fmt.Sprintf("/console/partners?trxid=%d&format=json", h.inv.ID))
	var recs []report.PartnerRecord
	if err := json.Unmarshal([]byte(res.body), &recs); err != nil || len(recs) != 1 || recs[0].RefID != "INV-1" ||
		recs[0].Status != "20" || recs[0].TransferID != h.inv.TransferID || recs[0].Amount != 50_000 || recs[0].Price != 50_000 {
		t.Errorf("export of request INV-1 = %+v, %v", recs, err)
	}
}

func TestPartnerTimeline(t *testing.T) {
	h := newPartnerHarness(t)
	c := h.viewer()
	cb := h.callback(h.conf.ID)
	// The confirmed request's PIN session shows the request and its callback.
	page := c.get(fmt.Sprintf("/console/tx/%d", h.conf.SessionID))
	if page.status != http.StatusOK {
		t.Fatalf("tx %d = %d", h.conf.SessionID, page.status)
	}
	var steps []string
	for _, m := range stepAttr.FindAllStringSubmatch(page.body, -1) {
		steps = append(steps, m[1])
	}
	want := []string{"partner_request", "pin_prompt", "pin", "transfer", "resolved", "partner_result", "result", "callback"}
	if !slices.Equal(steps, want) {
		t.Errorf("timeline of a partner session = %v, want %v", steps, want)
	}
	for _, want := range []string{
		`<section id="partner" class="card" data-state="success" data-status="20">`,
		fmt.Sprintf(`id="partner-link" class="partner-link" href="/console/partners/%d"`, h.conf.ID),
		`id="partner-refid">C-1<`, fmt.Sprintf(`data-callback="%d"`, cb.ID), "retrying",
	} {
		if !strings.Contains(page.body, want) {
			t.Errorf("tx of C-1 lacks %s", want)
		}
	}
	// Its transfer is the same transaction; its SMS link to it.
	if res := c.get(fmt.Sprintf("/console/transfers/%d", h.conf.TransferID)); res.status != http.StatusSeeOther ||
		res.header.Get("Location") != fmt.Sprintf("/console/tx/%d", h.conf.SessionID) {
		t.Errorf("transfer of C-1 = %d to %q, want its session", res.status, res.header.Get("Location"))
	}
	sms := c.get(fmt.Sprintf("/console/sms?session=%d", h.conf.SessionID)).body
	if n := strings.Count(sms, fmt.Sprintf(`class="tx-link" href="/console/tx/%d"`, h.conf.SessionID)); n < 3 {
		t.Errorf("SMS log of C-1's session has %d links to its transaction, want the prompt, the PIN and the result", n)
	}
	// An immediate credit's transfer page shows its request.
	page = c.get(fmt.Sprintf("/console/transfers/%d", h.inv.TransferID))
	steps = nil
	for _, m := range stepAttr.FindAllStringSubmatch(page.body, -1) {
		steps = append(steps, m[1])
	}
	want = []string{"partner_request", "transfer", "partner_result", "result", "callback", "callback_sent"}
	if page.status != http.StatusOK || !slices.Equal(steps, want) {
		t.Errorf("transfer of INV-1 = %d with steps %v, want %v", page.status, steps, want)
	}
	if !strings.Contains(page.body, fmt.Sprintf(`href="/console/partners/%d"`, h.inv.ID)) {
		t.Errorf("transfer of INV-1 does not link to its request")
	}
	// A cancelled confirmation: failed with its reason.
	page = c.get(fmt.Sprintf("/console/tx/%d", h.bat.SessionID))
	if !strings.Contains(page.body, `data-step="partner_result"`) || !strings.Contains(page.body, `data-state="failed" data-status="40"`) {
		t.Errorf("tx of the cancelled C-3 lacks its failed partner request")
	}
	// The JSON export carries the request and the callback.
	res := c.get(fmt.Sprintf("/console/tx/%d?format=json", h.conf.SessionID))
	var tr report.TransactionRecord
	if err := json.Unmarshal([]byte(res.body), &tr); err != nil || tr.Partner == nil || tr.Partner.RefID != "C-1" ||
		len(tr.Callbacks) != 1 || tr.Callbacks[0].Status != partner.CallbackQueued || tr.Callbacks[0].Attempts != 1 {
		t.Fatalf("tx JSON = %+v, %v", tr, err)
	}
	csvBody := c.get(fmt.Sprintf("/console/tx/%d?format=csv", h.conf.SessionID)).body
	if !strings.Contains(csvBody, fmt.Sprintf("partner_request,Partner request (H2H),,trxid %d conf/C-1 topup 75000,", h.conf.ID)) ||
		!strings.Contains(csvBody, fmt.Sprintf("partner_result,Partner request result,,trxid %d success,", h.conf.ID)) ||
		!strings.Contains(csvBody, fmt.Sprintf("callback %d queued after 1 attempt(s)", cb.ID)) {
		t.Errorf("tx CSV lacks the partner steps:\n%s", csvBody)
	}
}

func TestCallbacksPage(t *testing.T) {
	h := newPartnerHarness(t)
	c := h.viewer()
	cbInv, cbVA, cbConf, cbBat := h.callback(h.inv.ID), h.callback(h.va.ID), h.callback(h.conf.ID), h.callback(h.bat.ID)
	page := c.get("/console/callbacks")
	if page.status != http.StatusOK {
		t.Fatalf("GET /console/callbacks = %d", page.status)
	}
	for _, want := range []string{
		`id="nav-callbacks" href="/console/callbacks" class="active"`,
		fmt.Sprintf(`<tr id="callback-%d" class="callback-row" data-status="dead">`, cbVA.ID),
		fmt.Sprintf(`<tr id="callback-%d" class="callback-row" data-status="sent">`, cbInv.ID),
		`<td class="refid">BR-77</td>`, "Admins can resend dead letters.",
	} {
		if !strings.Contains(page.body, want) {
			t.Errorf("callbacks page lacks %s", want)
		}
	}
	if strings.Contains(page.body, "resend-form") {
		t.Errorf("the viewer's callbacks page offers a resend")
	}
	cbIDs := func(cs ...partner.Callback) []int64 {
		var out []int64
		for _, x := range cs {
			out = append(out, x.ID)
		}
		return out
	}
	for q, want := range map[string][]int64{
		"":                                 cbIDs(cbBat, cbConf, cbVA, cbInv),
		"status=dead":                      cbIDs(cbVA),
		"status=dead_letter":               cbIDs(cbVA),
		"status=queued":                    cbIDs(cbBat, cbConf),
		"status=sent":                      cbIDs(cbInv),
		"partner=conf":                     cbIDs(cbBat, cbConf),
		"partner=conf&status=dead":         nil,
		fmt.Sprintf("trxid=%d", h.inv.ID):  cbIDs(cbInv),
		fmt.Sprintf("trxid=%d", h.open.ID): nil,
	} {
		if got := c.allRows("/console/callbacks?"+q, "callback"); !slices.Equal(got, want) {
			t.Errorf("callbacks ?%s = %v, want %v", q, got, want)
		}
	}
	if res := c.get("/console/callbacks?status=lost"); res.status != http.StatusBadRequest || !strings.Contains(res.body, "status: ") {
		t.Errorf("callbacks ?status=lost = %d, want 400", res.status)
	}
	res := c.get("/console/callbacks?status=dead&format=csv")
	recs, err := csv.NewReader(strings.NewReader(res.body)).ReadAll()
	if err != nil || len(recs) != 2 || strings.Join(recs[0], ",") !=
		"id,trxid,partner,refid,msisdn,request_state,status,attempts,next_attempt,deadline,last_error,created,updated,sent" ||
		recs[1][3] != "BR-77" || recs[1][6] != "dead" || recs[1][7] != "1" || recs[1][10] != "partner answered 404 Not Found" {
		t.Errorf("dead letters CSV = %v, %v", recs, err)
	}
	var js []report.CallbackRecord
	res = c.get("/console/callbacks?partner=conf&format=json")
	if err := json.Unmarshal([]byte(res.body), &js); err != nil || len(js) != 2 || js[0].NextAttempt == nil || js[0].Attempts != 1 || js[0].Sent != nil {
		t.Errorf("conf callbacks JSON = %+v, %v", js, err)
	}
}

func TestResendCallback(t *testing.T) {
	h := newPartnerHarness(t)
	admin := h.admin()
	dead := h.callback(h.va.ID)
	if page := admin.get("/console/callbacks?status=dead"); !strings.Contains(page.body, fmt.Sprintf(`action="/console/callbacks/%d/resend"`, dead.ID)) {
		t.Fatalf("the admin's dead letters page offers no resend")
	}
	// From the request page: back to it, with the flash and the audit entry.
	back := fmt.Sprintf("/console/partners/%d", h.va.ID)
	res := admin.postCSRF(fmt.Sprintf("/console/callbacks/%d/resend", dead.ID), url.Values{"next": {back}})
	if res.status != http.StatusSeeOther || res.header.Get("Location") != back+"?done=resent" {
		t.Fatalf("resend = %d to %q\n%s", res.status, res.header.Get("Location"), res.body)
	}
	if got := h.callback(h.va.ID); got.Status != partner.CallbackQueued || got.Attempts != 0 || !got.NextAttempt.Equal(h.clk.Now()) {
		t.Errorf("callback after resend = %+v, want queued now with a fresh attempt counter", got)
	}
	es := h.audit()
	if len(es) == 0 || es[0].Action != partner.ActionCallbackResend || es[0].Actor != adminName || es[0].Role != "admin" ||
		es[0].Target != fmt.Sprintf("callback:%d", dead.ID) || es[0].Remote == "" {
		t.Errorf("audit after resend = %+v", es[0])
	}
	page := admin.get(back + "?done=resent")
	for _, want := range []string{`id="flash"`, "Callback queued again", `id="callback-audit"`, "was dead after 1 attempts"} {
		if !strings.Contains(page.body, want) {
			t.Errorf("request page after resend lacks %s", want)
		}
	}
	// The audit page filters the partner actions.
	if got := admin.allRows("/console/audit?action="+partner.ActionCallbackResend, "audit"); !slices.Equal(got, []int64{es[0].ID}) {
		t.Errorf("audit ?action=%s = %v, want %d", partner.ActionCallbackResend, got, es[0].ID)
	}
	// Queued again, the next run sends it (and the bank refuses it again).
	if _, err := h.svc.SendCallbacks(t.Context()); err != nil {
		t.Fatal(err)
	}
	if got := h.callback(h.va.ID); got.Status != partner.CallbackDead || got.Attempts != 1 {
		t.Errorf("callback after the next run = %+v, want dead after 1 attempt", got)
	}
	// From the outbox, back to the filtered outbox; a sent callback may be
	// sent again.
	sent := h.callback(h.inv.ID)
	res = admin.postCSRF(fmt.Sprintf("/console/callbacks/%d/resend", sent.ID), url.Values{"next": {"/console/callbacks?status=sent"}})
	if res.status != http.StatusSeeOther || res.header.Get("Location") != "/console/callbacks?done=resent&status=sent" {
		t.Errorf("resend of a sent callback = %d to %q", res.status, res.header.Get("Location"))
	}
	// Elsewhere than the console, or nowhere: the outbox.
	again := h.callback(h.va.ID)
	for _, next := range []string{"https://evil.example/", ""} {
		res = admin.postCSRF(fmt.Sprintf("/console/callbacks/%d/resend", again.ID), url.Values{"next": {next}})
		if res.status != http.StatusSeeOther || res.header.Get("Location") != "/console/callbacks?done=resent" {
			t.Errorf("resend with next %q = %d to %q, want the outbox", next, res.status, res.header.Get("Location"))
		}
		if _, err := h.svc.SendCallbacks(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	// A queued callback is not queued again; an unknown one is not found.
	before := len(h.audit())
	retrying := h.callback(h.conf.ID)
	res = admin.postCSRF(fmt.Sprintf("/console/callbacks/%d/resend", retrying.ID), nil)
	if res.status != http.StatusConflict || !strings.Contains(res.body, "still being retried") {
		t.Errorf("resend of a queued callback = %d\n%s", res.status, res.body)
	}
	if res := admin.postCSRF("/console/callbacks/9999/resend", nil); res.status != http.StatusNotFound {
		t.Errorf("resend of an unknown callback = %d, want 404", res.status)
	}
	if after := len(h.audit()); after != before {
		t.Errorf("refused resends wrote %d audit entries", after-before)
	}
}

func TestPartnerActionsRefused(t *testing.T) {
	h := newPartnerHarness(t)
	dead := h.callback(h.va.ID)
	resend := fmt.Sprintf("/console/callbacks/%d/resend", dead.ID)
	unblock := "/console/blocked/" + strangerN + "/unblock"
	before := len(h.audit())
	// A viewer sees no action and may not act.
	v := h.viewer()
	for _, p := range []string{fmt.Sprintf("/console/partners/%d", h.va.ID), "/console/callbacks?status=dead", "/console/blocked"} {
		page := v.get(p)
		if page.status != http.StatusOK || strings.Contains(page.body, "resend-form") || strings.Contains(page.body, "unblock-form") {
			t.Errorf("viewer's %s = %d, offers an action", p, page.status)
		}
	}
	for _, p := range []string{resend, unblock} {
		if res := v.postCSRF(p, nil); res.status != http.StatusForbidden || !strings.Contains(res.body, "admin role") {
			t.Errorf("viewer POST %s = %d, want 403", p, res.status)
		}
	}
	// An admin without the CSRF token, with another session's, or from
	// another site, is refused.
	a, other := h.admin(), h.admin()
	for _, p := range []string{resend, unblock} {
		for name, form := range map[string]url.Values{
			"missing": {}, "wrong": {"csrf": {"x" + a.csrf}}, "other session's": {"csrf": {other.csrf}},
		} {
			if res := a.post(p, form); res.status != http.StatusForbidden {
				t.Errorf("POST %s with %s token = %d, want 403", p, name, res.status)
			}
		}
		if res := a.post(p, url.Values{"csrf": {a.csrf}}, "Sec-Fetch-Site", "cross-site"); res.status != http.StatusForbidden {
			t.Errorf("cross-site POST %s = %d, want 403", p, res.status)
		}
	}
	if got := h.callback(h.va.ID); got.Status != partner.CallbackDead {
		t.Errorf("a refused resend queued the callback: %+v", got)
	}
	ds, err := h.svc.Blocked(t.Context(), 10)
	if err != nil || len(ds) != 1 || ds[0].Dest != strangerN {
		t.Errorf("a refused unblock changed the blocked list: %+v, %v", ds, err)
	}
	// Three logins are all the audit trail gained.
	if after := h.audit(); len(after) != before+3 {
		t.Errorf("refused actions were audited: %+v", after[:len(after)-before])
	}
}

func TestBlockedDestinations(t *testing.T) {
	h := newPartnerHarness(t)
	admin := h.admin()
	page := admin.get("/console/blocked")
	for _, want := range []string{
		fmt.Sprintf(`<tr id="blocked-%s" data-failures="%d">`, strangerN, blockAfter), ">" + stranger + "<",
		`action="/console/blocked/` + strangerN + `/unblock"`, `href="/console/partners?msisdn=` + strangerN + `"`,
	} {
		if !strings.Contains(page.body, want) {
			t.Errorf("blocked page lacks %s", want)
		}
	}
	res := admin.get("/console/blocked?format=csv")
	recs, err := csv.NewReader(strings.NewReader(res.body)).ReadAll()
	if err != nil || len(recs) != 2 || strings.Join(recs[0], ",") != "msisdn,failures,last_failure,updated" ||
		recs[1][0] != strangerN || recs[1][1] != fmt.Sprint(blockAfter) {
		t.Errorf("blocked CSV = %v, %v", recs, err)
	}
	var js []report.DestinationRecord
	if err := json.Unmarshal([]byte(admin.get("/console/blocked?format=json").body), &js); err != nil || len(js) != 1 || js[0].LastFailure == nil {
		t.Errorf("blocked JSON = %+v, %v", js, err)
	}
	if res := admin.get("/console/blocked?format=xml"); res.status != http.StatusBadRequest {
		t.Errorf("blocked ?format=xml = %d, want 400", res.status)
	}
	res = admin.postCSRF("/console/blocked/"+strangerN+"/unblock", nil)
	if res.status != http.StatusSeeOther || res.header.Get("Location") != "/console/blocked?done=dest_unblocked" {
		t.Fatalf("unblock = %d to %q\n%s", res.status, res.header.Get("Location"), res.body)
	}
	page = admin.get("/console/blocked?done=dest_unblocked")
	if !strings.Contains(page.body, "Destination unblocked") || !strings.Contains(page.body, "No destination is blocked.") {
		t.Errorf("blocked page after unblock:\n%s", page.body)
	}
	es := h.audit()
	if es[0].Action != partner.ActionUnblock || es[0].Target != strangerN || es[0].Actor != adminName {
		t.Errorf("audit after unblock = %+v", es[0])
	}
	if res := admin.postCSRF("/console/blocked/not-a-number/unblock", nil); res.status != http.StatusBadRequest {
		t.Errorf("unblock of a bad number = %d, want 400", res.status)
	}
}

func TestPartnerDashboard(t *testing.T) {
	h := newPartnerHarness(t)
	page := h.viewer().get("/console/")
	for _, want := range []string{
		`id="partners-today"`, `id="partner-requests-today">5<`,
		`<tr data-state="success"><td><a href="/console/partners?status=success&amp;since=2025-03-01">20 success</a></td><td class="num">3</td>`,
		`<tr data-state="failed"><td><a href="/console/partners?status=failed&amp;since=2025-03-01">40 failed</a></td><td class="num">1</td>`,
		`<tr data-state="pending"><td><a href="/console/partners?status=pending&amp;since=2025-03-01">pending</a></td><td class="num">1</td>`,
		`id="dead-letters" class="badge bad">1<`, `id="callbacks-queued">2<`,
	} {
		if !strings.Contains(page.body, want) {
			t.Errorf("dashboard lacks %s", want)
		}
	}
}

// TestPartnersOff: without the partner API the pages are read-only and the
// actions are not found.
func TestPartnersOff(t *testing.T) {
	h := newHarness(t)
	a := h.admin()
	for p, want := range map[string]string{
		"/console/partners":  "No partner requests match.",
		"/console/callbacks": "cannot be resent here",
		"/console/blocked":   `id="partners-off"`,
	} {
		if res := a.get(p); res.status != http.StatusOK || !strings.Contains(res.body, want) {
			t.Errorf("GET %s = %d, lacks %s", p, res.status, want)
		}
	}
	if strings.Contains(a.get("/console/").body, "partners-today") {
		t.Errorf("dashboard shows a partner panel without partners")
	}
	for _, p := range []string{"/console/callbacks/1/resend", "/console/blocked/" + payerBN + "/unblock"} {
		if res := a.postCSRF(p, nil); res.status != http.StatusNotFound {
			t.Errorf("POST %s without the partner API = %d, want 404", p, res.status)
		}
	}
}

// TestPartnerPagesShowNoSecret walks the partner pages and exports: no
// PIN, no request hash and no transfer idempotency key appears.
func TestPartnerPagesShowNoSecret(t *testing.T) {
	h := newPartnerHarness(t)
	secrets := []string{pinA, pinD, wrongA}
	for _, r := range []*partner.Request{h.inv, h.va, h.conf, h.open, h.bat} {
		if r.RequestHash == "" {
			t.Fatalf("request %s has no hash to look for", r.RefID)
		}
		secrets = append(secrets, r.RequestHash)
		if r.TransferKey != "" {
			secrets = append(secrets, r.TransferKey)
		}
	}
	c := h.admin()
	pages := []string{"/console/", "/console/partners", "/console/partners?format=csv", "/console/partners?format=json",
		"/console/callbacks", "/console/callbacks?format=csv", "/console/callbacks?format=json",
		"/console/blocked", "/console/blocked?format=json", "/console/audit", "/console/audit?format=csv"}
	for _, r := range []*partner.Request{h.inv, h.va, h.conf, h.open, h.bat} {
		pages = append(pages, fmt.Sprintf("/console/partners/%d", r.ID))
		if r.SessionID != 0 {
			pages = append(pages, fmt.Sprintf("/console/tx/%d", r.SessionID), fmt.Sprintf("/console/tx/%d?format=json", r.SessionID),
				fmt.Sprintf("/console/tx/%d?format=csv", r.SessionID))
		}
		if r.TransferID != 0 && r.SessionID == 0 {
			pages = append(pages, fmt.Sprintf("/console/transfers/%d", r.TransferID), fmt.Sprintf("/console/transfers/%d?format=json", r.TransferID))
		}
	}
	for _, p := range pages {
		res := c.get(p)
		if res.status != http.StatusOK {
			t.Errorf("GET %s = %d", p, res.status)
			continue
		}
		for _, s := range secrets {
			if strings.Contains(res.body, s) {
				t.Errorf("GET %s shows %q", p, s)
			}
		}
	}
	var buf strings.Builder
	for _, v := range []string{report.ViewPartners, report.ViewCallbacks} {
		for _, f := range []report.Format{report.FormatCSV, report.FormatJSON, report.FormatTable} {
			if _, err := report.ExportView(t.Context(), h.store, v, nil, f, &buf, report.ExportOptions{}); err != nil {
				t.Errorf("Export(%s, %s): %v", v, f, err)
			}
		}
	}
	for _, s := range secrets {
		if strings.Contains(buf.String(), s) {
			t.Errorf("an export shows %q", s)
		}
	}
	if !strings.Contains(buf.String(), "BR-77") {
		t.Errorf("the exports lack the requests:\n%s", buf.String())
	}
}

// A bank's reversal of a VA payment links to the payment and shows no
// deposit movement.
func TestPartnerReversalPage(t *testing.T) {
	h := newPartnerHarness(t)
	res, err := h.svc.ReverseVA(t.Context(), partner.VAReversal{Partner: "bank", RefID: "RV-1", BankRef: "BR-77", Amount: 40_000,
		Reason: "debit returned"})
	if err != nil {
		t.Fatal(err)
	}
	rev := res.Request
	page := h.admin().get(fmt.Sprintf("/console/partners/%d", rev.ID))
	if page.status != http.StatusOK {
		t.Fatalf("GET request %d = %d\n%s", rev.ID, page.status, page.body)
	}
	for _, want := range []string{
		`data-state="success" data-status="20"`, `id="refid">RV-1<`, `id="amount">Rp40.000<`, "va_reversal",
		fmt.Sprintf(`id="reverses-link" href="/console/partners/%d"`, h.va.ID), "debit returned",
		fmt.Sprintf(`id="transfer-link" href="/console/transfers/%d"`, rev.TransferID),
	} {
		if !strings.Contains(page.body, want) {
			t.Errorf("reversal page lacks %s", want)
		}
	}
	if strings.Contains(page.body, "<dt>Deposit</dt>") {
		t.Error("reversal page shows a deposit movement")
	}
}
