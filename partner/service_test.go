package partner_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/smsgw/smsgw/domain"
	"github.com/smsgw/smsgw/partner"
	"github.com/smsgw/smsgw/smsgw"
)

// operator is the admin of the tests' audited actions.
var operator = smsgw.Actor{Name: "ops", Role: "admin", Remote: "test"}

const (
	ipayAcct  = "08110000009" // a wallet without a payer
	ipayAcctN = domain.MSISDN("628110000009")
)

// partnerHarness adds a partner service to the gateway harness.
type partnerHarness struct {
	*harness
	p      *partner.Service
	notify *fakeNotifier
}

// fakeNotifier records callbacks; fail decides the outcome of each.
type fakeNotifier struct {
	mu    sync.Mutex
	calls []partner.Request
	fail  func(n int) error // n counts calls from 1
}

func (f *fakeNotifier) Notify(_ context.Context, r partner.Request) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, r)
	if f.fail != nil {
		return f.fail(len(f.calls))
	}
	return nil
}

func (f *fakeNotifier) count() int { f.mu.Lock(); defer f.mu.Unlock(); return len(f.calls) }

// wibZone is the partners' local time.
var wibZone = time.FixedZone("WIB", 7*3600)

func newPartnerHarness(t *testing.T, edit func(*partner.Options)) *partnerHarness {
	t.Helper()
	h := newHarness(t)
	n := &fakeNotifier{}
	o := partner.Options{
		Partners: []partner.Partner{
			{ID: "pulsa", Mode: partner.ModeImmediate},
			{ID: "mitra", Mode: partner.ModeConfirm},
			{ID: "bank", Mode: partner.ModeImmediate, VA: true},
		},
		Cutoff:   partner.Cutoff{Start: 23*time.Hour + 30*time.Minute, End: 30 * time.Minute, Location: wibZone},
		Notifier: n,
	}
	if edit != nil {
		edit(&o)
	}
	p, err := partner.New(h.gw, o)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Init(t.Context()); err != nil {
		t.Fatal(err)
	}
	return &partnerHarness{harness: h, p: p, notify: n}
}

// deposit funds a partner's deposit.
func (h *partnerHarness) deposit(id string, amount domain.Amount) {
	h.t.Helper()
	ref := fmt.Sprintf("dep-%d", h.clk.Now().UnixNano())
	if _, err := h.p.Deposit(h.t.Context(), operator, id, amount, ref); err != nil {
		h.t.Fatalf("Deposit(%s, %d): %v", id, amount, err)
	}
}

func (h *partnerHarness) topUp(id, refid, product, dest string) (*partner.Result, error) {
	return h.p.TopUp(h.t.Context(), partner.TopUpRequest{Partner: id, RefID: refid, Product: product, Dest: dest})
}

func (h *partnerHarness) mustTopUp(id, refid, product, dest string) *partner.Request {
	h.t.Helper()
	res, err := h.topUp(id, refid, product, dest)
	if err != nil {
		h.t.Fatalf("TopUp(%s, %s, %s, %s): %v", id, refid, product, dest, err)
	}
	return &res.Request
}

func (h *partnerHarness) request(id, refid string) *partner.Request {
	h.t.Helper()
	r, err := h.p.Status(h.t.Context(), id, "", refid)
	if err != nil {
		h.t.Fatalf("Status(%s, %s): %v", id, refid, err)
	}
	return r
}

// callbacks returns the queued, sent and dead callbacks.
func (h *partnerHarness) callbacks() []partner.Callback {
	h.t.Helper()
	cs, err := h.p.Callbacks(h.t.Context(), partner.CallbackFilter{Limit: 1000})
	if err != nil {
		h.t.Fatal(err)
	}
	return cs
}

// transfers counts the transfers touching account.
func (h *partnerHarness) transfers(account domain.AccountID) []smsgw.Transfer {
	h.t.Helper()
	var ts []smsgw.Transfer
	if err := h.store.View(h.t.Context(), func(tx smsgw.Tx) (err error) {
		ts, err = tx.Transfers(account, 1000)
		return err
	}); err != nil {
		h.t.Fatal(err)
	}
	return ts
}

func (h *partnerHarness) depositBalance(id string) domain.Amount {
	h.t.Helper()
	b, err := h.p.Balance(h.t.Context(), id, "")
	if err != nil {
		h.t.Fatalf("Balance(%s): %v", id, err)
	}
	return b
}

func wantPartnerCode(t *testing.T, call string, err error, want string) {
	t.Helper()
	if got := smsgw.ErrorCode(err); got != want {
		t.Fatalf("%s = %v (code %q), want code %q", call, err, got, want)
	}
}

func TestPartnerImmediateTopUp(t *testing.T) {
	h := newPartnerHarness(t, nil)
	h.deposit("pulsa", 200000)
	r := h.mustTopUp("pulsa", "R1", "IP50", ipayAcct)
	if r.State != partner.Success || r.Price != 50000 || r.BalanceBefore != 200000 || r.BalanceAfter != 150000 ||
		!strings.HasPrefix(r.SN, "H2H") || r.Dest != ipayAcctN || r.Product != "IP50" || r.Duplicate {
		t.Fatalf("TopUp = %+v, want success, price 50000, balance 200000 → 150000, SN H2H…", r)
	}
	if got := h.balance(ipayAcct); got != 50000 {
		t.Errorf("wallet = %v, want 50000", got)
	}
	if got := h.depositBalance("pulsa"); got != 150000 {
		t.Errorf("deposit = %v, want 150000", got)
	}
	h.flush()
	sms := one(t, h.out.Take(), request, "BERHASIL")
	if sms.To != ipayAcctN || !strings.Contains(sms.Text, r.SN) {
		t.Errorf("customer SMS = %+v, want to %s quoting %s", sms, ipayAcctN, r.SN)
	}

	// A resend returns the original result and credits nothing.
	res, err := h.topUp("pulsa", "R1", "ip50", "+62 811-0000-009")
	if err != nil || !res.Resent || res.Request.ID != r.ID || res.Request.SN != r.SN {
		t.Fatalf("TopUp(resend) = %+v, %v; want the original, Resent", res, err)
	}
	// The same refid for another request is a conflict.
	_, err = h.topUp("pulsa", "R1", "IP100", ipayAcct)
	wantPartnerCode(t, "TopUp(refid reused)", err, smsgw.EConflict)
	if got := len(h.transfers(domain.WalletID(ipayAcctN))); got != 1 {
		t.Errorf("wallet transfers = %d, want 1", got)
	}
	if cs := h.callbacks(); len(cs) != 1 || cs[0].RequestID != r.ID || cs[0].Status != partner.CallbackQueued {
		t.Errorf("callbacks = %+v, want one queued for trxid %d", cs, r.ID)
	}
	h.checkLedger()
	// Every partner credit is traceable to its request.
	err = h.store.View(t.Context(), func(tx smsgw.Tx) error {
		tr, err := tx.TransferByID(r.TransferID)
		if err != nil {
			return err
		}
		if tr.IdempotencyKey != r.TransferKey || tr.Kind != partner.TransferH2H || tr.Amount != r.Amount {
			t.Errorf("transfer = %+v, want key %s kind h2h amount %v", tr, r.TransferKey, r.Amount)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestPartnerRejections: a request refused before it gets a trxid (unknown
// partner, malformed refid, product or destination) writes nothing; one
// refused after (no such wallet, deposit too low, not a payer) is recorded
// as failed, with its trxid and exactly one final report, and its refid
// returns that failure from then on.
func TestPartnerRejections(t *testing.T) {
	h := newPartnerHarness(t, nil)
	tests := []struct {
		name           string
		partner, refid string
		product, dest  string
		want           string
		recorded       bool
	}{
		{"unknown partner", "nobody", "X1", "IP50", ipayAcct, smsgw.ENotFound, false},
		{"bad refid", "pulsa", "has space", "IP50", ipayAcct, smsgw.EInvalid, false},
		{"refid with #", "pulsa", "a#b", "IP50", ipayAcct, smsgw.EInvalid, false},
		{"unknown product", "pulsa", "X2", "XL5", ipayAcct, partner.EProduct, false},
		{"amount not on sale", "pulsa", "X3", "IP60", ipayAcct, partner.EProduct, false},
		{"bad destination", "pulsa", "X4", "IP50", "12ab", partner.EDestination, false},
		{"no such wallet", "pulsa", "X5", "IP50", "08127777777", partner.EDestination, true},
		{"deposit too low", "pulsa", "X6", "IP50", ipayAcct, smsgw.EFunds, true},
		{"not a payer", "mitra", "X7", "IP50", ipayAcct, partner.ENotCustomer, true},
	}
	var recorded []int64
	for _, tc := range tests {
		res, err := h.topUp(tc.partner, tc.refid, tc.product, tc.dest)
		wantPartnerCode(t, "TopUp("+tc.name+")", err, tc.want)
		var refused *partner.Refused
		if got := errors.As(err, &refused); got != tc.recorded || res != nil {
			t.Fatalf("TopUp(%s) = %v, %v: recorded %v, want %v", tc.name, res, err, got, tc.recorded)
		}
		if !tc.recorded {
			continue
		}
		r := refused.Request
		if r.ID == 0 || r.State != partner.Failed || r.Code != tc.want || r.RefID != tc.refid || r.Price != 0 || r.TransferID != 0 {
			t.Errorf("TopUp(%s) recorded %+v, want failed %s with a trxid", tc.name, r, tc.want)
		}
		if got := h.request(tc.partner, tc.refid); got.ID != r.ID || got.State != partner.Failed {
			t.Errorf("stored request of %s = %+v, want trxid %d failed", tc.name, got, r.ID)
		}
		recorded = append(recorded, r.ID)
	}
	rs, err := h.p.Requests(t.Context(), partner.RequestFilter{})
	if err != nil {
		t.Fatal(err)
	}
	cbs := h.callbacks()
	if len(rs) != len(recorded) || len(cbs) != len(recorded) {
		t.Errorf("after rejections: %d requests, %d callbacks; want %d of each", len(rs), len(cbs), len(recorded))
	}
	reported := map[int64]int{}
	for _, c := range cbs {
		reported[c.RequestID]++
	}
	for _, id := range recorded {
		if reported[id] != 1 {
			t.Errorf("trxid %d has %d final reports, want 1", id, reported[id])
		}
	}
	if got := len(h.transfers(domain.WalletID(ipayAcctN))); got != 0 {
		t.Errorf("wallet transfers = %d, want 0", got)
	}
	// The refid of a request refused before its trxid may be used again;
	// one refused after answers its failure, and a new refid is served.
	// The refused X6 (IP50 to the same account) is no possible duplicate
	// of it.
	h.deposit("pulsa", 100000)
	if r := h.mustTopUp("pulsa", "X2", "IP50", ipayAcct); r.State != partner.Success || r.Duplicate {
		t.Errorf("TopUp(refid refused before a trxid, again) = %s duplicate %v, want success, no duplicate", r.State, r.Duplicate)
	}
	res, err := h.topUp("pulsa", "X6", "IP50", ipayAcct)
	if err != nil || !res.Resent || res.Request.State != partner.Failed || res.Request.Code != smsgw.EFunds {
		t.Errorf("TopUp(refid refused after its trxid, again) = %+v, %v; want the failure, resent", res, err)
	}
	if len(h.callbacks()) != len(recorded)+1 {
		t.Errorf("callbacks = %d, want %d: one per request with a trxid", len(h.callbacks()), len(recorded)+1)
	}
}

func TestPartnerConcurrentIdenticalRequests(t *testing.T) {
	h := newPartnerHarness(t, nil)
	h.deposit("pulsa", 1000000)
	const n = 50
	var (
		wg      sync.WaitGroup
		results = make([]*partner.Result, n)
		errs    = make([]error, n)
	)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Each retry of the partner carries its own nonce.
			results[i], errs[i] = h.p.TopUp(t.Context(), partner.TopUpRequest{Partner: "pulsa", Nonce: fmt.Sprint("n", i),
				RefID: "SAME", Product: "IP100", Dest: ipayAcct})
		}()
	}
	wg.Wait()
	fresh := 0
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("request %d: %v", i, errs[i])
		}
		if results[i].Request.ID != results[0].Request.ID || results[i].Request.State != partner.Success {
			t.Errorf("request %d = %+v, want trxid %d success", i, results[i].Request, results[0].Request.ID)
		}
		if !results[i].Resent {
			fresh++
		}
	}
	if fresh != 1 {
		t.Errorf("%d requests were not resends, want exactly 1", fresh)
	}
	if got := len(h.transfers(domain.WalletID(ipayAcctN))); got != 1 {
		t.Errorf("credits = %d, want exactly 1", got)
	}
	if got := h.balance(ipayAcct); got != 100000 {
		t.Errorf("wallet = %v, want 100000", got)
	}

	// The same signed request (same nonce) 50 times: one passes, the others
	// are replays.
	var replays, ok int
	var mu sync.Mutex
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := h.p.TopUp(t.Context(), partner.TopUpRequest{Partner: "pulsa", Nonce: "one-nonce",
				RefID: "SAME2", Product: "IP50", Dest: ipayAcct})
			mu.Lock()
			defer mu.Unlock()
			switch smsgw.ErrorCode(err) {
			case "":
				ok++
			case partner.EReplay:
				replays++
			default:
				t.Errorf("TopUp(same nonce) = %v", err)
			}
		}()
	}
	wg.Wait()
	if ok != 1 || replays != n-1 {
		t.Errorf("same nonce: %d accepted, %d replays; want 1 and %d", ok, replays, n-1)
	}
	if got := h.balance(ipayAcct); got != 150000 {
		t.Errorf("wallet = %v, want 150000", got)
	}
	h.checkLedger()
}

func TestPartnerCutoff(t *testing.T) {
	h := newPartnerHarness(t, nil)
	h.deposit("pulsa", 1000000)
	day := time.Date(2026, 11, 23, 0, 0, 0, 0, wibZone)
	h.clk.Set(day.Add(22 * time.Hour))
	first := h.mustTopUp("pulsa", "before", "IP50", ipayAcct)
	tests := []struct {
		at   time.Duration
		open bool
	}{
		{23*time.Hour + 29*time.Minute + 59*time.Second, true},
		{23*time.Hour + 30*time.Minute, false},
		{23*time.Hour + 59*time.Minute, false},
		{24*time.Hour + 29*time.Minute + 59*time.Second, false},
		{24*time.Hour + 30*time.Minute, true},
	}
	for i, tc := range tests {
		h.clk.Set(day.Add(tc.at))
		_, err := h.topUp("pulsa", fmt.Sprint("c", i), "IP50", ipayAcct)
		if tc.open && err != nil {
			t.Errorf("TopUp at %s = %v, want accepted", h.clk.Now().In(wibZone).Format("15:04:05"), err)
		}
		if !tc.open && smsgw.ErrorCode(err) != partner.ECutoff {
			t.Errorf("TopUp at %s = %v, want ECutoff", h.clk.Now().In(wibZone).Format("15:04:05"), err)
		}
		_, err = h.p.Inquire(t.Context(), partner.InquiryRequest{Partner: "pulsa", Product: "IP50", Dest: ipayAcct})
		if tc.open != (err == nil) {
			t.Errorf("Inquire at %s = %v, want open %v", h.clk.Now().In(wibZone).Format("15:04:05"), err, tc.open)
		}
	}
	// Inside the window, a resend still returns its result, status and
	// balance answer, and a bank's payment confirmation is credited.
	h.clk.Set(day.Add(23*time.Hour + 45*time.Minute))
	res, err := h.topUp("pulsa", "before", "IP50", ipayAcct)
	if err != nil || !res.Resent || res.Request.ID != first.ID {
		t.Errorf("resend in cutoff = %+v, %v; want the original", res, err)
	}
	if _, err := h.p.Balance(t.Context(), "pulsa", ""); err != nil {
		t.Errorf("Balance in cutoff = %v", err)
	}
	if _, err := h.p.PayVA(t.Context(), partner.VAPayment{Partner: "bank", VA: "0138877" + ipayAcct, Amount: 50000, BankRef: "B1"}); err != nil {
		t.Errorf("PayVA in cutoff = %v", err)
	}
}

func TestPartnerDuplicateFlag(t *testing.T) {
	h := newPartnerHarness(t, nil)
	h.deposit("pulsa", 1000000)
	if r := h.mustTopUp("pulsa", "d1", "IP50", ipayAcct); r.Duplicate {
		t.Error("first request flagged as duplicate")
	}
	if r := h.mustTopUp("pulsa", "d2", "IP50", ipayAcct); !r.Duplicate {
		t.Error("same product and destination within the window not flagged")
	}
	if r := h.mustTopUp("pulsa", "d3", "IP100", ipayAcct); r.Duplicate {
		t.Error("another product flagged as duplicate")
	}
	h.clk.Add(partner.DefaultDuplicateWindow + time.Second)
	if r := h.mustTopUp("pulsa", "d4", "IP50", ipayAcct); r.Duplicate {
		t.Error("request after the window flagged as duplicate")
	}

	strict := newPartnerHarness(t, func(o *partner.Options) { o.RejectDuplicates = true })
	strict.deposit("pulsa", 1000000)
	strict.mustTopUp("pulsa", "s1", "IP50", ipayAcct)
	_, err := strict.topUp("pulsa", "s2", "IP50", ipayAcct)
	wantPartnerCode(t, "TopUp(duplicate refused)", err, partner.EPossibleDup)
}

func TestPartnerConfirmMode(t *testing.T) {
	h := newPartnerHarness(t, nil)
	r := h.mustTopUp("mitra", "C1", "IP75", payer)
	if r.State != partner.Pending || r.SessionID == 0 || r.Price != 0 {
		t.Fatalf("TopUp(confirm) = %+v, want pending with a session and no price", r)
	}
	h.flush()
	prompt := one(t, h.out.Take(), pinCode, "Balas SMS ini dengan PIN")
	if prompt.To != payerN || !strings.Contains(prompt.Text, "Rp75.000") {
		t.Errorf("PIN prompt = %+v, want to %s for Rp75.000", prompt, payerN)
	}
	if len(h.callbacks()) != 0 {
		t.Fatal("callback queued before the request is final")
	}
	one(t, h.send(payer, pinCode, pin), pinCode, "BERHASIL")
	got := h.request("mitra", "C1")
	if got.State != partner.Success || got.TransferID == 0 || !strings.HasPrefix(got.SN, "SMS") {
		t.Fatalf("request after PIN = %+v, want success with the session's credit", got)
	}
	if cs := h.callbacks(); len(cs) != 1 || cs[0].RequestID != got.ID {
		t.Fatalf("callbacks = %+v, want one for the request", cs)
	}
	if b := h.balance(payer); b != 75000 {
		t.Errorf("payer wallet = %v, want 75000", b)
	}

	// Expiry, cancellation and a wrong-PIN lock fail the request, each
	// with its reason, and queue its callback in the same transaction.
	h.mustTopUp("mitra", "C2", "IP50", payer)
	h.flush()
	h.out.Take()
	h.clk.Add(6 * time.Minute)
	if _, err := h.gw.ExpirePending(t.Context(), h.clk.Now()); err != nil {
		t.Fatal(err)
	}
	// Failed by the expiry itself, before the customer's notice is queued;
	// the notice then finds it final (one callback, counted below).
	if got := h.request("mitra", "C2"); got.State != partner.Failed || got.Code != partner.ReasonExpired {
		t.Errorf("expired request = %s %s, want failed expired", got.State, got.Code)
	}
	if _, err := h.gw.QueueExpiryNotices(t.Context()); err != nil {
		t.Fatal(err)
	}
	h.mustTopUp("mitra", "C3", "IP100", payer)
	h.flush()
	h.out.Take()
	h.send(payer, request, "BATAL")
	if got := h.request("mitra", "C3"); got.State != partner.Failed || got.Code != partner.ReasonCancelled {
		t.Errorf("cancelled request = %s %s, want failed cancelled", got.State, got.Code)
	}
	h.clk.Add(partner.DefaultDuplicateWindow)
	h.mustTopUp("mitra", "C4", "IP50", payer)
	h.flush()
	h.out.Take()
	for _, w := range []string{"111111", "222222", "333333"} {
		h.send(payer, pinCode, w)
	}
	if got := h.request("mitra", "C4"); got.State != partner.Failed || got.Code != partner.ReasonLocked {
		t.Errorf("locked request = %s %s, want failed locked", got.State, got.Code)
	}
	if got := len(h.callbacks()); got != 4 {
		t.Errorf("callbacks = %d, want 4", got)
	}
	// A locked customer cannot be asked.
	_, err := h.topUp("mitra", "C5", "IP50", payer)
	wantPartnerCode(t, "TopUp(locked customer)", err, smsgw.ELocked)
	if b := h.balance(payer); b != 75000 {
		t.Errorf("payer wallet = %v, want 75000", b)
	}
}

func TestPartnerConfirmBusy(t *testing.T) {
	h := newPartnerHarness(t, nil)
	one(t, h.send(payer, request, "IM2PAY "+payer+" 50000"), pinCode, "PIN")
	_, err := h.topUp("mitra", "B1", "IP50", payer)
	wantPartnerCode(t, "TopUp(customer busy)", err, smsgw.EBusy)
	rs, _ := h.p.Requests(t.Context(), partner.RequestFilter{})
	if len(rs) != 1 || rs[0].State != partner.Failed || rs[0].Code != smsgw.EBusy || rs[0].SessionID != 0 {
		t.Errorf("requests = %+v, want B1 failed busy without a PIN session", rs)
	}
	if len(h.callbacks()) != 1 {
		t.Errorf("callbacks = %d, want the final report of B1", len(h.callbacks()))
	}
}

func TestPartnerDestinationBlocked(t *testing.T) {
	h := newPartnerHarness(t, nil)
	// BATAL again within the de-duplication window would be taken
	// for a redelivery: the clock moves past it.
	for i := range partner.DefaultBlockAfter {
		h.clk.Add(3 * time.Minute)
		h.mustTopUp("mitra", fmt.Sprint("F", i), "IP50", payer)
		h.send(payer, request, "BATAL")
	}
	_, err := h.topUp("mitra", "F-next", "IP50", payer)
	wantPartnerCode(t, "TopUp(after 5 failures)", err, partner.EBlocked)
	// Blocked for every partner until an operator unblocks it.
	h.deposit("pulsa", 100000)
	_, err = h.topUp("pulsa", "F-other", "IP50", payer)
	wantPartnerCode(t, "TopUp(other partner, blocked)", err, partner.EBlocked)
	blocked, err := h.p.Blocked(t.Context(), 0)
	if err != nil || len(blocked) != 1 || blocked[0].Dest != payerN || blocked[0].Failures != 5 {
		t.Fatalf("Blocked = %+v, %v; want %s with 5 failures", blocked, err, payerN)
	}
	if err := h.p.Unblock(t.Context(), operator, payer); err != nil {
		t.Fatal(err)
	}
	if got := h.audit(partner.ActionUnblock); len(got) != 1 || got[0].Target != string(payerN) || got[0].Detail != "failure count 5 cleared" {
		t.Errorf("audit trail = %+v, want the unblock of %s", got, payerN)
	}
	if r := h.mustTopUp("pulsa", "F-after", "IP50", payer); r.State != partner.Success {
		t.Errorf("TopUp after unblock = %s, want success", r.State)
	}
	// A success resets the count: four failures do not block.
	for i := range partner.DefaultBlockAfter - 1 {
		h.clk.Add(3 * time.Minute)
		h.mustTopUp("mitra", fmt.Sprint("G", i), "IP50", payer)
		h.send(payer, request, "BATAL")
	}
	if _, err := h.topUp("pulsa", "G-ok", "IP50", payer); err != nil {
		t.Errorf("TopUp after 4 failures = %v, want accepted", err)
	}
	// Unknown wallets count too.
	for i := range partner.DefaultBlockAfter {
		_, err := h.topUp("pulsa", fmt.Sprint("W", i), "IP50", "08127777777")
		wantPartnerCode(t, "TopUp(no wallet)", err, partner.EDestination)
	}
	_, err = h.topUp("pulsa", "W-next", "IP50", "08127777777")
	wantPartnerCode(t, "TopUp(unknown wallet, blocked)", err, partner.EBlocked)
}

func TestPartnerRecheckMarksUnknown(t *testing.T) {
	h := newPartnerHarness(t, nil)
	rules := h.gw.Rules()
	rules.SessionTTL = time.Hour
	if err := h.gw.SetRules(rules); err != nil {
		t.Fatal(err)
	}
	r := h.mustTopUp("mitra", "P1", "IP50", payer)
	for _, step := range []time.Duration{30 * time.Second, 14 * time.Minute} {
		h.clk.Add(step)
		if n, err := h.p.Recheck(t.Context(), h.clk.Now()); err != nil || n != 0 {
			t.Fatalf("Recheck before 15m = %d, %v; want 0", n, err)
		}
	}
	h.clk.Add(31 * time.Second)
	if n, err := h.p.Recheck(t.Context(), h.clk.Now()); err != nil || n != 1 {
		t.Fatalf("Recheck after 15m = %d, %v; want 1", n, err)
	}
	if got := h.request("mitra", "P1"); got.State != partner.Unknown || got.ResolvedAt != nil {
		t.Fatalf("request after 15m = %s, want unknown, not final", got.State)
	}
	if len(h.callbacks()) != 0 {
		t.Fatal("unknown request got a callback; it must never be reported failed")
	}
	if n, _ := h.p.Recheck(t.Context(), h.clk.Now()); n != 0 {
		t.Errorf("second Recheck changed %d requests", n)
	}
	// The customer answers late: the unknown request is finalised.
	h.flush()
	h.out.Take()
	one(t, h.send(payer, pinCode, pin), pinCode, "BERHASIL")
	if got := h.request("mitra", "P1"); got.State != partner.Success || got.ID != r.ID {
		t.Errorf("request after late PIN = %s, want success", got.State)
	}
	if got := len(h.callbacks()); got != 1 {
		t.Errorf("callbacks = %d, want 1", got)
	}
}

func TestPartnerVA(t *testing.T) {
	h := newPartnerHarness(t, nil)
	paid := h.clk.Now().Add(-time.Minute)
	va := partner.VAPayment{Partner: "bank", VA: "0138877" + ipayAcct, Amount: 100000, BankRef: "ATM-778899", PaidAt: paid}
	res, err := h.p.PayVA(t.Context(), va)
	if err != nil {
		t.Fatal(err)
	}
	r := res.Request
	if r.State != partner.Success || r.Kind != partner.KindVA || r.Dest != ipayAcctN || !r.PaidAt.Equal(paid) || r.Price != 0 {
		t.Fatalf("PayVA = %+v, want success for %s", r, ipayAcctN)
	}
	h.flush()
	one(t, h.out.Take(), request, "Rp100.000 BERHASIL")
	// Once per bank reference, also spaced out.
	va.VA = "013 8877 " + ipayAcct
	res, err = h.p.PayVA(t.Context(), va)
	if err != nil || !res.Resent || res.Request.ID != r.ID {
		t.Fatalf("PayVA(again) = %+v, %v; want the original", res, err)
	}
	va.Amount = 50000
	_, err = h.p.PayVA(t.Context(), va)
	wantPartnerCode(t, "PayVA(same ref, other amount)", err, smsgw.EConflict)
	if got := h.balance(ipayAcct); got != 100000 {
		t.Errorf("wallet = %v, want 100000", got)
	}
	for _, tc := range []struct {
		name string
		v    partner.VAPayment
		want string
	}{
		{"not a bank", partner.VAPayment{Partner: "pulsa", VA: "0138877" + ipayAcct, Amount: 50000, BankRef: "x"}, partner.EForbidden},
		{"wrong prefix", partner.VAPayment{Partner: "bank", VA: "0148877" + ipayAcct, Amount: 50000, BankRef: "x"}, partner.EDestination},
		{"no account", partner.VAPayment{Partner: "bank", VA: "0138877", Amount: 50000, BankRef: "x"}, partner.EDestination},
		{"unknown wallet", partner.VAPayment{Partner: "bank", VA: "013887708127777777", Amount: 50000, BankRef: "x"}, partner.EDestination},
		{"amount", partner.VAPayment{Partner: "bank", VA: "0138877" + ipayAcct, Amount: 12345, BankRef: "x"}, partner.EProduct},
		{"no ref", partner.VAPayment{Partner: "bank", VA: "0138877" + ipayAcct, Amount: 50000}, smsgw.EInvalid},
	} {
		_, err := h.p.PayVA(t.Context(), tc.v)
		wantPartnerCode(t, "PayVA("+tc.name+")", err, tc.want)
	}
	if got := len(h.callbacks()); got != 1 {
		t.Errorf("callbacks = %d, want 1", got)
	}
	h.checkLedger()
}

func TestPartnerInquiryPayment(t *testing.T) {
	h := newPartnerHarness(t, nil)
	h.deposit("pulsa", 500000)
	q, err := h.p.Inquire(t.Context(), partner.InquiryRequest{Partner: "pulsa", Product: "IP150", Dest: payer})
	if err != nil {
		t.Fatal(err)
	}
	if q.Amount != 150000 || q.Name != "Payer" || q.Dest != payerN {
		t.Fatalf("Inquire = %+v, want 150000 for Payer", q)
	}
	_, err = h.p.Pay(t.Context(), partner.PaymentRequest{Partner: "pulsa", RefID: "PAY1", InquiryID: q.ID, Amount: 100000})
	wantPartnerCode(t, "Pay(other amount)", err, smsgw.EInvalid)
	_, err = h.p.Pay(t.Context(), partner.PaymentRequest{Partner: "bank", RefID: "PAY1", InquiryID: q.ID})
	wantPartnerCode(t, "Pay(another partner's inquiry)", err, smsgw.ENotFound)
	res, err := h.p.Pay(t.Context(), partner.PaymentRequest{Partner: "pulsa", RefID: "PAY1", InquiryID: q.ID, Amount: 150000})
	if err != nil || res.Request.State != partner.Success || res.Request.InquiryID != q.ID || res.Request.Kind != partner.KindPayment {
		t.Fatalf("Pay = %+v, %v; want success for the inquiry", res, err)
	}
	again, err := h.p.Pay(t.Context(), partner.PaymentRequest{Partner: "pulsa", RefID: "PAY1", InquiryID: q.ID, Amount: 150000})
	if err != nil || !again.Resent || again.Request.ID != res.Request.ID {
		t.Fatalf("Pay(resend) = %+v, %v; want the original", again, err)
	}
	_, err = h.p.Pay(t.Context(), partner.PaymentRequest{Partner: "pulsa", RefID: "PAY2", InquiryID: q.ID})
	wantPartnerCode(t, "Pay(paid inquiry)", err, partner.EPaid)
	q2, err := h.p.Inquire(t.Context(), partner.InquiryRequest{Partner: "pulsa", Product: "IP50", Dest: ipayAcct})
	if err != nil {
		t.Fatal(err)
	}
	h.clk.Add(partner.DefaultInquiryTTL)
	_, err = h.p.Pay(t.Context(), partner.PaymentRequest{Partner: "pulsa", RefID: "PAY3", InquiryID: q2.ID})
	wantPartnerCode(t, "Pay(expired inquiry)", err, smsgw.EExpired)
	_, err = h.p.Pay(t.Context(), partner.PaymentRequest{Partner: "pulsa", RefID: "PAY4", InquiryID: 999})
	wantPartnerCode(t, "Pay(unknown inquiry)", err, smsgw.ENotFound)
	if got := h.balance(payer); got != 150000 {
		t.Errorf("wallet = %v, want 150000", got)
	}
	if got := h.depositBalance("pulsa"); got != 350000 {
		t.Errorf("deposit = %v, want 350000", got)
	}
}

func TestPartnerStatusAndNonce(t *testing.T) {
	h := newPartnerHarness(t, nil)
	h.deposit("pulsa", 100000)
	_, err := h.p.Status(t.Context(), "pulsa", "", "nope")
	wantPartnerCode(t, "Status(unknown refid)", err, smsgw.ENotFound)
	_, err = h.p.Status(t.Context(), "bank", "", "nope")
	wantPartnerCode(t, "Status(other partner)", err, smsgw.ENotFound)
	if _, err := h.p.TopUp(t.Context(), partner.TopUpRequest{Partner: "pulsa", Nonce: "n1", RefID: "S1", Product: "IP50", Dest: ipayAcct}); err != nil {
		t.Fatal(err)
	}
	// A nonce is single-use for every operation.
	_, err = h.p.Status(t.Context(), "pulsa", "n1", "S1")
	wantPartnerCode(t, "Status(used nonce)", err, partner.EReplay)
	r, err := h.p.Status(t.Context(), "pulsa", "n2", "S1")
	if err != nil || r.State != partner.Success {
		t.Fatalf("Status = %+v, %v", r, err)
	}
	_, err = h.p.Balance(t.Context(), "pulsa", "n2")
	wantPartnerCode(t, "Balance(used nonce)", err, partner.EReplay)
	// Another partner has its own nonces.
	if _, err := h.p.Balance(t.Context(), "bank", "n2"); err != nil {
		t.Errorf("Balance(bank, n2) = %v", err)
	}
	if n, err := h.p.PurgeNonces(t.Context(), h.clk.Now().Add(11*time.Minute), 10*time.Minute); err != nil || n != 3 {
		t.Errorf("PurgeNonces = %d, %v; want 3", n, err)
	}
	// A replay of a rejected request is still a replay.
	_, err = h.p.TopUp(t.Context(), partner.TopUpRequest{Partner: "pulsa", Nonce: "n3", RefID: "S2", Product: "IP100", Dest: ipayAcct})
	wantPartnerCode(t, "TopUp(funds)", err, smsgw.EFunds)
	_, err = h.p.TopUp(t.Context(), partner.TopUpRequest{Partner: "pulsa", Nonce: "n3", RefID: "S2", Product: "IP100", Dest: ipayAcct})
	wantPartnerCode(t, "TopUp(replayed rejection)", err, partner.EReplay)
}

// temporaryErr is a retryable notifier failure.
type temporaryErr struct{ msg string }

func (e temporaryErr) Error() string   { return e.msg }
func (e temporaryErr) Temporary() bool { return true }

func TestPartnerCallbackRetryDeadResend(t *testing.T) {
	h := newPartnerHarness(t, nil)
	h.deposit("pulsa", 100000)
	ctx := t.Context()
	h.notify.fail = func(n int) error { return temporaryErr{fmt.Sprint("HTTP 503 #", n)} }
	r := h.mustTopUp("pulsa", "CB1", "IP50", ipayAcct)
	start := h.clk.Now()
	// Attempts at 0, +10s, +30s, +70s ... doubling up to 1h between
	// attempts, until 24h after queueing; none before it is due.
	var gaps []time.Duration
	last := start
	for range 200 {
		c := h.callbacks()[0]
		if c.Status != partner.CallbackQueued {
			break
		}
		if c.NextAttempt.After(h.clk.Now()) {
			h.clk.Set(c.NextAttempt.Add(-time.Second))
			before := h.notify.count()
			if _, err := h.p.SendCallbacks(ctx); err != nil {
				t.Fatal(err)
			}
			if h.notify.count() != before {
				t.Fatalf("callback attempted before it was due")
			}
			h.clk.Set(c.NextAttempt)
		}
		if _, err := h.p.SendCallbacks(ctx); err != nil {
			t.Fatal(err)
		}
		gaps = append(gaps, h.clk.Now().Sub(last))
		last = h.clk.Now()
	}
	if len(gaps) < 5 || gaps[1] != 10*time.Second || gaps[2] != 20*time.Second || gaps[3] != 40*time.Second {
		t.Fatalf("retry gaps = %v, want exponential from 10s", gaps)
	}
	for i, g := range gaps {
		if g > time.Hour {
			t.Errorf("gap %d = %s, want at most 1h", i, g)
		}
	}
	cs := h.callbacks()
	if len(cs) != 1 || cs[0].Status != partner.CallbackDead || cs[0].Attempts != len(gaps) || !strings.Contains(cs[0].LastError, "503") {
		t.Fatalf("callback = %+v, want dead after %d attempts with the last error", cs, len(gaps))
	}
	if total := last.Sub(start); total != partner.CallbackTTL {
		t.Errorf("last attempt %s after queueing, want at the 24h deadline", total)
	}
	// Dead-lettered: nothing more is attempted.
	n := h.notify.count()
	h.clk.Add(time.Hour)
	if _, err := h.p.SendCallbacks(ctx); err != nil || h.notify.count() != n {
		t.Fatalf("dead callback attempted again")
	}
	// Resend after the partner is back.
	h.notify.fail = nil
	if err := h.p.ResendCallback(ctx, operator, cs[0].ID); err != nil {
		t.Fatal(err)
	}
	wantPartnerCode(t, "ResendCallback(queued)", h.p.ResendCallback(ctx, operator, cs[0].ID), smsgw.EConflict)
	if got := h.audit(partner.ActionCallbackResend); len(got) != 1 || got[0].Actor != "ops" {
		t.Errorf("audit trail = %+v, want one resend by ops", got)
	}
	if sent, err := h.p.SendCallbacks(ctx); err != nil || sent != 1 {
		t.Fatalf("SendCallbacks after resend = %d, %v; want 1", sent, err)
	}
	if got := h.callbacks()[0]; got.Status != partner.CallbackSent {
		t.Errorf("callback after resend = %s, want sent", got.Status)
	}
	h.notify.mu.Lock()
	lastCall := h.notify.calls[len(h.notify.calls)-1]
	h.notify.mu.Unlock()
	if lastCall.ID != r.ID || lastCall.State != partner.Success || lastCall.SN != r.SN {
		t.Errorf("callback carried %+v, want the final request %d", lastCall, r.ID)
	}
	wantPartnerCode(t, "ResendCallback(unknown)", h.p.ResendCallback(ctx, operator, 999), smsgw.ENotFound)
}

func TestPartnerCallbackPermanentError(t *testing.T) {
	h := newPartnerHarness(t, nil)
	h.deposit("pulsa", 100000)
	h.notify.fail = func(int) error { return permanent{} }
	h.mustTopUp("pulsa", "CB2", "IP50", ipayAcct)
	if _, err := h.p.SendCallbacks(t.Context()); err != nil {
		t.Fatal(err)
	}
	if cs := h.callbacks(); cs[0].Status != partner.CallbackDead || cs[0].Attempts != 1 {
		t.Errorf("callback after a permanent error = %+v, want dead after 1 attempt", cs[0])
	}
}

func TestPartnerDepositIdempotent(t *testing.T) {
	h := newPartnerHarness(t, nil)
	t1, err := h.p.Deposit(t.Context(), operator, "pulsa", 100000, "TRF-1")
	if err != nil {
		t.Fatal(err)
	}
	t2, err := h.p.Deposit(t.Context(), operator, "pulsa", 100000, "TRF-1")
	if err != nil || t2.ID != t1.ID {
		t.Fatalf("Deposit(same ref) = %+v, %v; want the first transfer", t2, err)
	}
	_, err = h.p.Deposit(t.Context(), operator, "pulsa", 200000, "TRF-1")
	wantPartnerCode(t, "Deposit(same ref, other amount)", err, smsgw.EConflict)
	_, err = h.p.Deposit(t.Context(), operator, "nobody", 1, "TRF-2")
	wantPartnerCode(t, "Deposit(unknown partner)", err, smsgw.ENotFound)
	if got := h.depositBalance("pulsa"); got != 100000 {
		t.Errorf("deposit = %v, want 100000", got)
	}
	// One audit entry: the replay recorded nothing.
	if got := h.audit(partner.ActionDeposit); len(got) != 1 || got[0].Actor != "ops" || got[0].Target != "pulsa" ||
		!strings.Contains(got[0].Detail, "TRF-1") {
		t.Errorf("audit trail = %+v, want one deposit by ops", got)
	}
}

// audit lists the audit entries of action.
func (h *partnerHarness) audit(action string) []smsgw.AuditEntry {
	h.t.Helper()
	var es []smsgw.AuditEntry
	if err := h.store.View(h.t.Context(), func(tx smsgw.Tx) (err error) {
		es, err = tx.AuditTrail(smsgw.AuditFilter{Action: action})
		return err
	}); err != nil {
		h.t.Fatal(err)
	}
	return es
}

func TestNewValidates(t *testing.T) {
	h := newHarness(t)
	for _, ps := range [][]partner.Partner{
		{{ID: ""}},
		{{ID: "has space"}},
		{{ID: "a"}, {ID: "a"}},
		{{ID: "a", Mode: "later"}},
	} {
		if _, err := partner.New(h.gw, partner.Options{Partners: ps}); err == nil {
			t.Errorf("New(%+v) = nil error", ps)
		}
	}
	// An existing account of the wrong kind is refused.
	p, err := partner.New(h.gw, partner.Options{Partners: []partner.Partner{{ID: "x", Deposit: domain.WalletID(ipayAcctN)}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Init(t.Context()); err == nil {
		t.Error("Init with a wallet as deposit = nil error")
	}
}

func TestParseProduct(t *testing.T) {
	tests := []struct {
		in      string
		code    string
		amount  domain.Amount
		wantErr bool
	}{
		{"IP50", "IP50", 50000, false},
		{"ip100", "IP100", 100000, false},
		{" IP500 ", "IP500", 500000, false},
		{"50000", "IP50", 50000, false},
		{"75000", "IP75", 75000, false},
		{"50500", "", 0, true},
		{"IP", "", 0, true},
		{"IP05", "", 0, true},
		{"IP5x", "", 0, true},
		{"XL5", "", 0, true},
		{"", "", 0, true},
		{"IP99999999999", "", 0, true},
	}
	for _, tc := range tests {
		code, amount, err := partner.ParseProduct(tc.in)
		if (err != nil) != tc.wantErr || code != tc.code || amount != tc.amount {
			t.Errorf("ParseProduct(%q) = %q, %v, %v; want %q, %v, error %v", tc.in, code, amount, err, tc.code, tc.amount, tc.wantErr)
		}
		if err != nil && smsgw.ErrorCode(err) != partner.EProduct {
			t.Errorf("ParseProduct(%q) error code = %q, want %q", tc.in, smsgw.ErrorCode(err), partner.EProduct)
		}
	}
}

func TestParseVA(t *testing.T) {
	tests := []struct {
		in   string
		want domain.MSISDN
	}{
		{"013887708100000002", "628100000002"},
		{"0138877 0810-0000-002", "628100000002"},
		{"01388776281100000002", "6281100000002"},
		{"887708100000002", "628100000002"}, // the bank code taken separately at the ATM
		{"8877", ""},
		{"9988708100000002", ""},
		{"0138877", ""},
		{"0138877abc", ""},
		{"0138877+62811", ""},
	}
	for _, tc := range tests {
		got, err := partner.ParseVA(partner.DefaultVAPrefix, tc.in)
		if got != tc.want || (err != nil) != (tc.want == "") {
			t.Errorf("ParseVA(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

func TestCutoffContains(t *testing.T) {
	c := partner.Cutoff{Start: 23*time.Hour + 30*time.Minute, End: 30 * time.Minute}
	day := time.Date(2026, 1, 2, 0, 0, 0, 0, wibZone)
	for _, tc := range []struct {
		at   time.Duration
		want bool
	}{
		{0, true}, {29 * time.Minute, true}, {30 * time.Minute, false}, {12 * time.Hour, false},
		{23*time.Hour + 29*time.Minute, false}, {23*time.Hour + 30*time.Minute, true},
	} {
		// The same instant in UTC: the window is in WIB.
		if got := c.Contains(day.Add(tc.at).UTC()); got != tc.want {
			t.Errorf("Contains(%s WIB) = %v, want %v", day.Add(tc.at).Format("15:04"), got, tc.want)
		}
	}
	day2 := partner.Cutoff{Start: time.Hour, End: 2 * time.Hour, Location: time.UTC}
	if !day2.Contains(time.Date(2026, 1, 1, 1, 30, 0, 0, time.UTC)) || day2.Contains(time.Date(2026, 1, 1, 2, 0, 0, 0, time.UTC)) {
		t.Error("non-wrapping window wrong")
	}
	if (partner.Cutoff{}).Contains(day) {
		t.Error("zero Cutoff contains a time")
	}
}

// TestPartnerRecheckCatchesUp: a session resolved without its partner
// request (as by an older program version) is reconciled by Recheck.
func TestPartnerRecheckCatchesUp(t *testing.T) {
	h := newPartnerHarness(t, nil)
	r := h.mustTopUp("mitra", "U1", "IP50", payer)
	err := h.store.Update(t.Context(), func(tx smsgw.Tx) error {
		s, err := tx.Session(r.SessionID)
		if err != nil {
			return err
		}
		now := h.clk.Now()
		s.State, s.ResolvedAt = smsgw.StateCancelled, &now
		return tx.ResolveSession(s)
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := h.request("mitra", "U1"); got.State != partner.Pending {
		t.Fatalf("request = %s, want still pending before the recheck", got.State)
	}
	if n, err := h.p.Recheck(t.Context(), h.clk.Now()); err != nil || n != 1 {
		t.Fatalf("Recheck = %d, %v; want 1", n, err)
	}
	if got := h.request("mitra", "U1"); got.State != partner.Failed || got.Code != partner.ReasonCancelled {
		t.Errorf("request after recheck = %s %s, want failed cancelled", got.State, got.Code)
	}
	if got := len(h.callbacks()); got != 1 {
		t.Errorf("callbacks = %d, want 1", got)
	}
}

// A refid or bank reference is one request in any letter case: "B-1" then
// "b-1" credits once; the request keeps its first spelling.
func TestPartnerRefIDCaseInsensitive(t *testing.T) {
	h := newPartnerHarness(t, nil)
	h.deposit("pulsa", 500000)
	r := h.mustTopUp("pulsa", "Trx-B-1", "IP50", ipayAcct)
	for _, refid := range []string{"trx-b-1", "TRX-B-1"} {
		res, err := h.topUp("pulsa", refid, "IP50", ipayAcct)
		if err != nil || !res.Resent || res.Request.ID != r.ID || res.Request.RefID != "Trx-B-1" {
			t.Fatalf("TopUp(%s) = %+v, %v; want the original Trx-B-1, Resent", refid, res, err)
		}
	}
	_, err := h.topUp("pulsa", "trx-b-1", "IP100", ipayAcct)
	wantPartnerCode(t, "TopUp(refid in other case, other request)", err, smsgw.EConflict)
	if got := h.request("pulsa", "TRX-b-1"); got.ID != r.ID || got.RefID != "Trx-B-1" {
		t.Errorf("Status(TRX-b-1) = %+v, want request %d as Trx-B-1", got, r.ID)
	}

	va := partner.VAPayment{Partner: "bank", VA: "0138877" + ipayAcct, Amount: 100000, BankRef: "B-1"}
	first, err := h.p.PayVA(t.Context(), va)
	if err != nil {
		t.Fatal(err)
	}
	va.BankRef = "b-1"
	again, err := h.p.PayVA(t.Context(), va)
	if err != nil || !again.Resent || again.Request.ID != first.Request.ID || again.Request.RefID != "B-1" {
		t.Fatalf("PayVA(b-1 after B-1) = %+v, %v; want the original B-1, Resent", again, err)
	}
	if got := h.balance(ipayAcct); got != 150000 {
		t.Errorf("wallet = %v, want 150000 (one top-up, one VA payment)", got)
	}
	if got := len(h.transfers(domain.WalletID(ipayAcctN))); got != 2 {
		t.Errorf("wallet transfers = %d, want 2", got)
	}
	h.checkLedger()
}

// TestPartnerPaymentRefused: a payment refused after its trxid (deposit too
// low) is recorded as failed with its report, not linked to the inquiry,
// which another refid may still pay.
func TestPartnerPaymentRefused(t *testing.T) {
	h := newPartnerHarness(t, nil)
	q, err := h.p.Inquire(t.Context(), partner.InquiryRequest{Partner: "pulsa", Product: "IP50", Dest: ipayAcct})
	if err != nil {
		t.Fatal(err)
	}
	_, err = h.p.Pay(t.Context(), partner.PaymentRequest{Partner: "pulsa", RefID: "PAY-F", InquiryID: q.ID})
	wantPartnerCode(t, "Pay(deposit too low)", err, smsgw.EFunds)
	var refused *partner.Refused
	if !errors.As(err, &refused) || refused.Request.Kind != partner.KindPayment || refused.Request.State != partner.Failed ||
		refused.Request.InquiryID != 0 || refused.Request.Amount != 50000 {
		t.Fatalf("Pay(deposit too low) = %v, want a recorded failed payment without the inquiry link", err)
	}
	if cbs := h.callbacks(); len(cbs) != 1 || cbs[0].RequestID != refused.Request.ID {
		t.Errorf("callbacks = %+v, want the report of trxid %d", cbs, refused.Request.ID)
	}
	h.deposit("pulsa", 50000)
	res, err := h.p.Pay(t.Context(), partner.PaymentRequest{Partner: "pulsa", RefID: "PAY-OK", InquiryID: q.ID})
	if err != nil || res.Request.State != partner.Success || res.Request.InquiryID != q.ID {
		t.Fatalf("Pay(after the deposit) = %+v, %v; want success", res, err)
	}
}
