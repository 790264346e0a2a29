package console_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/smsgw/smsgw/console"
	"github.com/smsgw/smsgw/domain"
	"github.com/smsgw/smsgw/smsgw"
)

// A second admin, the checker of the corrections the first one asks for.
const (
	checkerName = "ben"
	checkerPass = "ben-password-1"
)

func withChecker(t *testing.T) harnessOption {
	return func(o *console.Options) {
		o.Users = append(o.Users, console.User{Name: checkerName, Role: console.RoleAdmin, PasswordHash: mustBcrypt(t, checkerPass)})
	}
}

func (h *harness) checker() *client { return h.client().login(checkerName, checkerPass) }

func (h *harness) balance(a domain.AccountID) domain.Amount {
	h.t.Helper()
	var acc *smsgw.Account
	h.must(h.store.View(h.t.Context(), func(tx smsgw.Tx) (err error) {
		acc, err = tx.Account(a)
		return err
	}))
	return acc.Balance
}

func (h *harness) corrections() []smsgw.Correction {
	h.t.Helper()
	var cs []smsgw.Correction
	h.must(h.store.View(h.t.Context(), func(tx smsgw.Tx) (err error) {
		cs, err = tx.Corrections(smsgw.CorrectionFilter{Limit: 1000})
		return err
	}))
	return cs
}

var formKey = regexp.MustCompile(`name="key" value="([^"]+)"`)

// requestForm reads the correction form of the page at path and returns
// its fields (csrf, key, next, kind).
func (c *client) requestForm(path string) url.Values {
	c.t.Helper()
	page := c.get(path)
	if page.status != http.StatusOK {
		c.t.Fatalf("GET %s = %d\n%s", path, page.status, page.body)
	}
	if !strings.Contains(page.body, `id="correction-form"`) {
		c.t.Fatalf("%s has no correction form:\n%s", path, page.body)
	}
	key := formKey.FindStringSubmatch(page.body)
	next := regexp.MustCompile(`name="next" value="([^"]+)"`).FindStringSubmatch(page.body[strings.Index(page.body, `id="correction-form"`):])
	kind := regexp.MustCompile(`name="kind" value="([^"]+)"`).FindStringSubmatch(page.body)
	if key == nil || next == nil || kind == nil {
		c.t.Fatalf("correction form of %s lacks key, next or kind:\n%s", path, page.body)
	}
	return url.Values{"key": {key[1]}, "next": {htmlUnescape(next[1])}, "kind": {kind[1]}}
}

func wantIn(t *testing.T, what, body string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(body, w) {
			t.Errorf("%s lacks %s", what, w)
		}
	}
}

func TestCorrectionMakerChecker(t *testing.T) {
	h := newHarness(t, withChecker(t))
	maker, checker := h.admin(), h.checker()
	wallet := domain.WalletID(payerAN)
	before := h.balance(wallet)
	txPage := fmt.Sprintf("/console/tx/%d", h.sessA)

	// The transaction page offers a reversal of all that remains.
	page := maker.get(txPage)
	wantIn(t, "transaction page", page.body, `id="corrections"`, `data-kind="reversal"`, `id="correction-remaining">Rp50.000<`,
		fmt.Sprintf(`action="/console/transfers/%d/corrections"`, h.transferA), `id="correction-submit"`, "Request reversal")

	form := maker.requestForm(txPage)
	if form.Get("next") != txPage {
		t.Errorf("form returns to %q, want %q", form.Get("next"), txPage)
	}
	form.Set("amount", "20.000")
	form.Set("reason", "customer paid twice")
	path := fmt.Sprintf("/console/transfers/%d/corrections", h.transferA)
	res := maker.postCSRF(path, form)
	if res.status != http.StatusSeeOther || res.header.Get("Location") != txPage+"?done=correction_requested" {
		t.Fatalf("request = %d to %q\n%s", res.status, res.header.Get("Location"), res.body)
	}
	// The same form sent twice asks once.
	if res := maker.postCSRF(path, form); res.status != http.StatusSeeOther {
		t.Fatalf("request again = %d\n%s", res.status, res.body)
	}
	cs := h.corrections()
	if len(cs) != 1 || cs[0].Maker != adminName || cs[0].Amount != 20_000 || cs[0].State != smsgw.CorrectionRequested ||
		cs[0].Kind != smsgw.CorrectionReversal || cs[0].TransferID != h.transferA {
		t.Fatalf("corrections = %+v, want one reversal of 20.000 by %s", cs, adminName)
	}
	id := cs[0].ID
	page = maker.get(txPage + "?done=correction_requested")
	wantIn(t, "transaction page after the request", page.body, `id="flash"`, "Correction requested.",
		`id="correction-open">Rp20.000<`, `id="correction-remaining">Rp30.000<`,
		fmt.Sprintf(`id="transfer-correction-%d" class="correction-row" data-state="requested"`, id))

	// Listed; the maker cannot decide it.
	list := maker.get("/console/corrections")
	wantIn(t, "maker's corrections page", list.body, `id="nav-corrections"`,
		fmt.Sprintf(`id="correction-%d" class="correction-row" data-state="requested" data-kind="reversal" data-maker="%s"`, id, adminName),
		fmt.Sprintf(`href="/console/transfers/%d"`, h.transferA), "customer paid twice", "Rp20.000", "waiting for another admin")
	if strings.Contains(list.body, fmt.Sprintf(`/console/corrections/%d/approve`, id)) {
		t.Error("the maker is offered to approve their own request")
	}
	res = maker.postCSRF(fmt.Sprintf("/console/corrections/%d/approve", id), url.Values{"next": {"/console/corrections"}})
	if res.status != http.StatusBadRequest {
		t.Fatalf("maker's approval = %d, want 400\n%s", res.status, res.body)
	}
	wantIn(t, "maker's refused approval", res.body, `id="error"`, "another operator must decide it", "Nothing was moved.",
		fmt.Sprintf(`id="correction-%d"`, id))
	if got := h.balance(wallet); got != before {
		t.Errorf("balance after the maker's approval = %d, want %d", got, before)
	}
	// The dashboard counts it.
	wantIn(t, "dashboard", maker.get("/console/").body, `id="corrections-waiting"`, `<span class="badge warn">1</span>`)

	// The checker approves it.
	list = checker.get("/console/corrections?state=requested")
	wantIn(t, "checker's corrections page", list.body, fmt.Sprintf(`action="/console/corrections/%d/approve"`, id),
		fmt.Sprintf(`action="/console/corrections/%d/reject"`, id), `name="next" value="/console/corrections?state=requested"`)
	res = checker.postCSRF(fmt.Sprintf("/console/corrections/%d/approve", id), url.Values{"next": {"/console/corrections?state=requested"}})
	if res.status != http.StatusSeeOther || res.header.Get("Location") != "/console/corrections?done=correction_approved&state=requested" {
		t.Fatalf("checker's approval = %d to %q\n%s", res.status, res.header.Get("Location"), res.body)
	}
	if got := h.balance(wallet); got != before-20_000 {
		t.Errorf("balance after the approval = %d, want %d", got, before-20_000)
	}
	c := h.corrections()[0]
	if c.State != smsgw.CorrectionApproved || c.Checker != checkerName || c.ResultTransferID == 0 {
		t.Errorf("correction after approval = %+v", c)
	}
	page = checker.get("/console/corrections?done=correction_approved")
	wantIn(t, "corrections page after the approval", page.body, `id="flash"`, "Correction approved",
		fmt.Sprintf(`id="correction-%d" class="correction-row" data-state="approved"`, id),
		fmt.Sprintf(`<a class="result-link" href="/console/transfers/%d">`, c.ResultTransferID))
	page = checker.get(txPage)
	wantIn(t, "transaction page after the approval", page.body, `id="correction-done">Rp20.000<`, `id="correction-open">Rp0<`,
		`id="correction-remaining">Rp30.000<`)
	// The reversing transfer's page links back and offers nothing.
	page = checker.get(fmt.Sprintf("/console/transfers/%d", c.ResultTransferID))
	wantIn(t, "reversal's page", page.body, `id="reverses"`, fmt.Sprintf(`href="/console/transfers/%d"`, h.transferA))
	if strings.Contains(page.body, `id="correction-form"`) {
		t.Error("a reversal offers to be corrected")
	}

	// Decided once.
	res2 := checker.postCSRF(fmt.Sprintf("/console/corrections/%d/approve", id), nil)
	if res2.status != http.StatusConflict || !strings.Contains(res2.body, "approved already") {
		t.Errorf("second approval = %d\n%s", res2.status, res2.body)
	}
	if got := h.balance(wallet); got != before-20_000 {
		t.Errorf("balance after a second approval = %d, want %d", got, before-20_000)
	}

	// Both steps are in the audit trail, by their operators.
	var request, approve bool
	target := fmt.Sprintf("correction:%d", id)
	for _, e := range h.audit() {
		switch {
		case e.Action == smsgw.ActionCorrectionRequest && e.Actor == adminName && e.Target == target && e.Role == "admin":
			request = true
		case e.Action == smsgw.ActionCorrectionApprove && e.Actor == checkerName && e.Target == target:
			approve = true
		}
	}
	if !request || !approve {
		t.Errorf("audit trail: request by %s %v, approval by %s %v", adminName, request, checkerName, approve)
	}
	audit := checker.get("/console/audit?action=" + smsgw.ActionCorrectionApprove)
	wantIn(t, "audit page", audit.body, `data-action="ledger.correction_approve"`, target)

	// Exports.
	csv := checker.get("/console/corrections?format=csv")
	if csv.status != http.StatusOK || !strings.HasPrefix(csv.body, "id,kind,transfer_id,amount,reason,state,maker,checker") ||
		!strings.Contains(csv.body, fmt.Sprintf("%d,reversal,%d,20000,customer paid twice,approved,%s,%s", id, h.transferA, adminName, checkerName)) {
		t.Errorf("CSV export = %d\n%s", csv.status, csv.body)
	}
	js := checker.get("/console/corrections?format=json&state=approved")
	var rows []map[string]any
	if err := json.Unmarshal([]byte(js.body), &rows); err != nil || len(rows) != 1 || rows[0]["maker"] != adminName ||
		rows[0]["checker"] != checkerName || rows[0]["state"] != "approved" {
		t.Errorf("JSON export = %v %s", err, js.body)
	}
	if res := checker.get("/console/corrections?state=nope"); res.status != http.StatusBadRequest || !strings.Contains(res.body, `id="error"`) {
		t.Errorf("bad state filter = %d", res.status)
	}
}

func TestCorrectionRejectAndRefund(t *testing.T) {
	h := newHarness(t, withChecker(t))
	maker, checker := h.admin(), h.checker()
	wallet := domain.WalletID(payerCN)
	before := h.balance(wallet)

	// A bank credit is refunded, not reversed; all that remains by default.
	page := fmt.Sprintf("/console/transfers/%d", h.transferBank)
	wantIn(t, "bank transfer page", maker.get(page).body, `data-kind="refund"`, "Request refund", `id="correction-remaining">Rp150.000<`)
	form := maker.requestForm(page)
	if form.Get("kind") != smsgw.CorrectionRefund {
		t.Errorf("kind of the bank transfer's form = %q", form.Get("kind"))
	}
	// Refusals show the page again with the typed values.
	form.Set("reason", "paid to the wrong account")
	form.Set("amount", "200000")
	res := maker.postCSRF(fmt.Sprintf("/console/transfers/%d/corrections", h.transferBank), form)
	if res.status != http.StatusBadRequest || !strings.Contains(res.body, "more than what remains") ||
		!strings.Contains(res.body, `value="paid to the wrong account"`) {
		t.Errorf("request over the amount = %d\n%s", res.status, res.body)
	}
	form.Set("amount", "abc")
	if res := maker.postCSRF(fmt.Sprintf("/console/transfers/%d/corrections", h.transferBank), form); res.status != http.StatusBadRequest ||
		!strings.Contains(res.body, "want whole rupiah") {
		t.Errorf("request with a bad amount = %d\n%s", res.status, res.body)
	}
	form.Set("amount", "")
	form.Set("reason", " ")
	if res := maker.postCSRF(fmt.Sprintf("/console/transfers/%d/corrections", h.transferBank), form); res.status != http.StatusBadRequest ||
		!strings.Contains(res.body, "needs a reason") {
		t.Errorf("request without a reason = %d\n%s", res.status, res.body)
	}
	if res := maker.postCSRF("/console/transfers/999999/corrections", url.Values{"reason": {"x"}}); res.status != http.StatusNotFound {
		t.Errorf("request on an unknown transfer = %d", res.status)
	}
	if n := len(h.corrections()); n != 0 {
		t.Fatalf("%d corrections after refusals", n)
	}
	form.Set("reason", "paid to the wrong account")
	res = maker.postCSRF(fmt.Sprintf("/console/transfers/%d/corrections", h.transferBank), form)
	if res.status != http.StatusSeeOther {
		t.Fatalf("refund request = %d\n%s", res.status, res.body)
	}
	cs := h.corrections()
	if len(cs) != 1 || cs[0].Kind != smsgw.CorrectionRefund || cs[0].Amount != 150_000 {
		t.Fatalf("corrections = %+v", cs)
	}
	id := cs[0].ID
	// Nothing remains to ask for while it waits.
	wantIn(t, "bank transfer page with an open refund", maker.get(page).body, `id="nothing-remains"`)

	// A rejection needs a note.
	reject := fmt.Sprintf("/console/corrections/%d/reject", id)
	if res := checker.postCSRF(reject, url.Values{"note": {"  "}}); res.status != http.StatusBadRequest || !strings.Contains(res.body, "needs a note") {
		t.Errorf("rejection without a note = %d\n%s", res.status, res.body)
	}
	if res := maker.postCSRF(reject, url.Values{"note": {"mine"}}); res.status != http.StatusBadRequest {
		t.Errorf("maker's rejection = %d", res.status)
	}
	res = checker.postCSRF(reject, url.Values{"note": {"the customer confirmed the payment"}})
	if res.status != http.StatusSeeOther || res.header.Get("Location") != "/console/corrections?done=correction_rejected" {
		t.Fatalf("rejection = %d to %q\n%s", res.status, res.header.Get("Location"), res.body)
	}
	c := h.corrections()[0]
	if c.State != smsgw.CorrectionRejected || c.Checker != checkerName || c.Note != "the customer confirmed the payment" {
		t.Errorf("correction after rejection = %+v", c)
	}
	if got := h.balance(wallet); got != before {
		t.Errorf("balance after a rejection = %d, want %d", got, before)
	}
	wantIn(t, "corrections page after the rejection", checker.get("/console/corrections?done=correction_rejected").body,
		"Correction rejected.", fmt.Sprintf(`id="correction-%d" class="correction-row" data-state="rejected"`, id),
		"note: the customer confirmed the payment")
	if res := checker.postCSRF(fmt.Sprintf("/console/corrections/%d/approve", id), nil); res.status != http.StatusConflict {
		t.Errorf("approval of a rejected correction = %d", res.status)
	}
	found := false
	for _, e := range h.audit() {
		if e.Action == smsgw.ActionCorrectionReject && e.Actor == checkerName && strings.Contains(e.Detail, "the customer confirmed the payment") {
			found = true
		}
	}
	if !found {
		t.Error("no rejection in the audit trail")
	}
	// The page offers the refund again.
	wantIn(t, "bank transfer page after the rejection", maker.get(page).body, `id="correction-form"`, `id="correction-remaining">Rp150.000<`)
}

func TestCorrectionViewerAndCSRF(t *testing.T) {
	h := newHarness(t, withChecker(t))
	maker, viewer := h.admin(), h.viewer()
	form := maker.requestForm(fmt.Sprintf("/console/tx/%d", h.sessA))
	form.Set("reason", "test")
	path := fmt.Sprintf("/console/transfers/%d/corrections", h.transferA)

	// No CSRF token, a viewer: refused, nothing recorded.
	if res := maker.post(path, form); res.status != http.StatusForbidden {
		t.Errorf("request without a CSRF token = %d, want 403", res.status)
	}
	bad := url.Values{"reason": {"test"}, "csrf": {"forged"}}
	if res := maker.post(path, bad); res.status != http.StatusForbidden {
		t.Errorf("request with a wrong CSRF token = %d, want 403", res.status)
	}
	if res := viewer.postCSRF(path, form); res.status != http.StatusForbidden || !strings.Contains(res.body, "needs the admin role") {
		t.Errorf("viewer's request = %d, want 403", res.status)
	}
	if n := len(h.corrections()); n != 0 {
		t.Fatalf("%d corrections after refused posts", n)
	}
	// Viewers see the panel and the list without forms.
	page := viewer.get(fmt.Sprintf("/console/tx/%d", h.sessA))
	wantIn(t, "viewer's transaction page", page.body, `id="corrections"`, `id="correction-remaining"`)
	if strings.Contains(page.body, `id="correction-form"`) {
		t.Error("viewer is offered the correction form")
	}
	if res := maker.postCSRF(path, form); res.status != http.StatusSeeOther {
		t.Fatalf("admin's request = %d\n%s", res.status, res.body)
	}
	id := h.corrections()[0].ID
	list := viewer.get("/console/corrections")
	wantIn(t, "viewer's corrections page", list.body, fmt.Sprintf(`id="correction-%d"`, id), "waiting for an admin")
	if strings.Contains(list.body, "/approve") || strings.Contains(list.body, "/reject") {
		t.Error("viewer is offered decisions")
	}
	approve := fmt.Sprintf("/console/corrections/%d/approve", id)
	if res := viewer.postCSRF(approve, nil); res.status != http.StatusForbidden {
		t.Errorf("viewer's approval = %d, want 403", res.status)
	}
	checker := h.checker()
	if res := checker.post(approve, url.Values{}); res.status != http.StatusForbidden {
		t.Errorf("approval without a CSRF token = %d, want 403", res.status)
	}
	if res := checker.post(fmt.Sprintf("/console/corrections/%d/reject", id), url.Values{"note": {"x"}, "csrf": {"forged"}}); res.status != http.StatusForbidden {
		t.Errorf("rejection with a wrong CSRF token = %d, want 403", res.status)
	}
	if c := h.corrections()[0]; c.State != smsgw.CorrectionRequested {
		t.Errorf("correction after refused decisions = %+v", c)
	}
	if res := checker.postCSRF("/console/corrections/424242/approve", nil); res.status != http.StatusNotFound {
		t.Errorf("approval of an unknown correction = %d, want 404", res.status)
	}
}

func TestCorrectionExpiredAndFunds(t *testing.T) {
	h := newHarness(t, withChecker(t))
	maker := h.admin()
	wallet := domain.WalletID(payerAN)
	form := maker.requestForm(fmt.Sprintf("/console/tx/%d", h.sessA))
	form.Set("reason", "duplicate")
	form.Set("amount", "20000")
	path := fmt.Sprintf("/console/transfers/%d/corrections", h.transferA)
	if res := maker.postCSRF(path, form); res.status != http.StatusSeeOther {
		t.Fatalf("request = %d\n%s", res.status, res.body)
	}
	expiring := h.corrections()[0].ID

	// Past its expiry it is shown expired and cannot be approved.
	h.clk.Add(smsgw.DefaultCorrectionTTL + time.Minute)
	checker := h.checker()
	list := checker.get("/console/corrections")
	wantIn(t, "corrections page past the expiry", list.body, fmt.Sprintf(`id="correction-%d" class="correction-row" data-state="expired"`, expiring))
	if strings.Contains(list.body, fmt.Sprintf("/console/corrections/%d/approve", expiring)) {
		t.Error("an expired request is offered for approval")
	}
	before := h.balance(wallet)
	res := checker.postCSRF(fmt.Sprintf("/console/corrections/%d/approve", expiring), nil)
	if res.status != http.StatusGone || !strings.Contains(res.body, "expired") || !strings.Contains(res.body, `id="error"`) {
		t.Errorf("approval past the expiry = %d, want 410\n%s", res.status, res.body)
	}
	if got := h.balance(wallet); got != before {
		t.Errorf("balance after an expired approval = %d, want %d", got, before)
	}
	if c := h.corrections()[0]; c.State != smsgw.CorrectionExpired {
		t.Errorf("correction after an approval past its expiry = %+v", c)
	}

	// The wallet was spent meanwhile: the approval is refused and the
	// request stays open.
	maker = h.admin()
	form = maker.requestForm(fmt.Sprintf("/console/tx/%d", h.sessA))
	form.Set("reason", "duplicate, again")
	if res := maker.postCSRF(path, form); res.status != http.StatusSeeOther {
		t.Fatalf("second request = %d\n%s", res.status, res.body)
	}
	open := h.corrections()[0]
	if open.Amount != 50_000 {
		t.Fatalf("default amount = %d, want all of 50.000", open.Amount)
	}
	h.must(h.store.Update(t.Context(), func(tx smsgw.Tx) error {
		return tx.Transfer(&smsgw.Transfer{IdempotencyKey: "spend", Kind: smsgw.TransferSMSTopUp, From: wallet,
			To: h.gw.Settlement(), Amount: h.balance(wallet) - 10_000, Reference: "spend"})
	}))
	res = checker.postCSRF(fmt.Sprintf("/console/corrections/%d/approve", open.ID), nil)
	if res.status != http.StatusUnprocessableEntity || !strings.Contains(res.body, "holds less than") || !strings.Contains(res.body, "stays open") {
		t.Errorf("approval without the funds = %d, want 422\n%s", res.status, res.body)
	}
	if c := h.corrections()[0]; c.State != smsgw.CorrectionRequested {
		t.Errorf("correction after a refused approval = %+v", c)
	}
}

// TestCorrectionRefundOnPartnerPage asks for a refund of a partner
// request's credit from the request's page, which the form returns to,
// and another admin approves it: the credit goes back to the deposit.
func TestCorrectionRefundOnPartnerPage(t *testing.T) {
	h := newPartnerHarness(t, withChecker(t))
	maker := h.admin()
	page := fmt.Sprintf("/console/partners/%d", h.inv.ID)
	wantIn(t, "partner request page", maker.get(page).body, `id="corrections"`, `data-kind="refund"`, "Request refund",
		`id="correction-remaining">Rp50.000<`)
	form := maker.requestForm(page)
	if form.Get("next") != page || form.Get("kind") != smsgw.CorrectionRefund {
		t.Errorf("partner page form: next %q, kind %q", form.Get("next"), form.Get("kind"))
	}
	form.Set("reason", "destination number was wrong")
	res := maker.postCSRF(fmt.Sprintf("/console/transfers/%d/corrections", h.inv.TransferID), form)
	if res.status != http.StatusSeeOther || res.header.Get("Location") != page+"?done=correction_requested" {
		t.Fatalf("refund request = %d to %q\n%s", res.status, res.header.Get("Location"), res.body)
	}
	deposit := domain.AccountID("deposit:demo")
	before := h.balance(deposit)
	cs := h.corrections()
	if len(cs) != 1 || cs[0].Kind != smsgw.CorrectionRefund || cs[0].Amount != 50_000 {
		t.Fatalf("corrections = %+v", cs)
	}
	checker := h.checker()
	if res := checker.postCSRF(fmt.Sprintf("/console/corrections/%d/approve", cs[0].ID), nil); res.status != http.StatusSeeOther {
		t.Fatalf("approval = %d\n%s", res.status, res.body)
	}
	if got := h.balance(deposit); got != before+50_000 {
		t.Errorf("deposit after the refund = %d, want %d", got, before+50_000)
	}
}
