package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/smsgw/smsgw/domain"
	"github.com/smsgw/smsgw/partner"
	"github.com/smsgw/smsgw/smsgw"
)

// The contract of partner.Records, one suite per area (the interfaces it
// is composed of), reached with partner.TxOf from the store's smsgw.Tx.
// The area suites seed their rows through partner requests, so bring up
// TestPartnerRequests first.
var (
	partnerRequestTests = []test{
		{"Partner/RequestCreateGet", testPartnerRequestCreateGet},
		{"Partner/RequestConflict", testPartnerRequestConflict},
		{"Partner/RefIDCase", testPartnerRefIDCase},
		{"Partner/RequestInvalid", testPartnerRequestInvalid},
		{"Partner/Resolve", testPartnerResolve},
		{"Partner/ExpiredSessions", testPartnerExpiredSessions},
		{"Partner/Filter", testPartnerFilter},
		{"Partner/TopUpInOneTx", testPartnerTopUpInOneTx},
		{"Audit/PartnerByTransfer", testPartnerRequestByTransfer},
	}
	partnerInquiryTests     = []test{{"Partner/Inquiry", testPartnerInquiry}}
	partnerNonceTests       = []test{{"Partner/Nonce", testPartnerNonce}}
	partnerDestinationTests = []test{{"Partner/Destination", testPartnerDestination}}
	partnerCallbackTests    = []test{
		{"Partner/Callback", testPartnerCallback},
		{"Partner/CallbackRequeue", testPartnerCallbackRequeue},
	}
	partnerSummaryTests = []test{
		{"Audit/PartnerSummary", testPartnerSummary},
		{"Audit/PartnerTransaction", testPartnerTransaction},
	}
)

// TestPartnerRequests runs the contract of partner.RequestStore (create,
// conflicts, refid case, resolve, filters, lookups by transfer, a
// partner top-up in one transaction) as subtests; see Run for open.
func TestPartnerRequests(t *testing.T, open func(t *testing.T) smsgw.Store) {
	run(t, open, partnerRequestTests)
}

// TestPartnerInquiries runs the contract of partner.InquiryStore.
func TestPartnerInquiries(t *testing.T, open func(t *testing.T) smsgw.Store) {
	run(t, open, partnerInquiryTests)
}

// TestPartnerNonces runs the contract of partner.NonceStore.
func TestPartnerNonces(t *testing.T, open func(t *testing.T) smsgw.Store) {
	run(t, open, partnerNonceTests)
}

// TestPartnerDestinations runs the contract of partner.DestinationStore.
func TestPartnerDestinations(t *testing.T, open func(t *testing.T) smsgw.Store) {
	run(t, open, partnerDestinationTests)
}

// TestPartnerCallbacks runs the contract of partner.CallbackStore (the
// callback outbox).
func TestPartnerCallbacks(t *testing.T, open func(t *testing.T) smsgw.Store) {
	run(t, open, partnerCallbackTests)
}

// TestPartnerSummary runs the contract of partner.SummaryStore and the
// report timeline of a partner request (which reads the request and
// callback areas).
func TestPartnerSummary(t *testing.T, open func(t *testing.T) smsgw.Store) {
	run(t, open, partnerSummaryTests)
}

// TestPartners runs every partner area suite above; see Run for open.
func TestPartners(t *testing.T, open func(t *testing.T) smsgw.Store) {
	TestPartnerRequests(t, open)
	TestPartnerInquiries(t, open)
	TestPartnerNonces(t, open)
	TestPartnerDestinations(t, open)
	TestPartnerCallbacks(t, open)
	TestPartnerSummary(t, open)
}

// partnerUpdate runs fn in s.Update with the transaction as a partner.Tx.
func partnerUpdate(t *testing.T, s smsgw.Store, fn func(partner.Tx) error) error {
	t.Helper()
	return s.Update(t.Context(), func(tx smsgw.Tx) error {
		ptx, err := partner.TxOf(tx)
		if err != nil {
			t.Fatal(err)
		}
		return fn(ptx)
	})
}

// mustPartnerUpdate runs fn in s.Update as a partner.Tx and fails the
// test on error.
func mustPartnerUpdate(t *testing.T, s smsgw.Store, fn func(partner.Tx) error) {
	t.Helper()
	if err := partnerUpdate(t, s, fn); err != nil {
		t.Fatalf("Update: %v", err)
	}
}

// mustPartnerView runs fn in s.View as a partner.Tx and fails the test on
// error.
func mustPartnerView(t *testing.T, s smsgw.Store, fn func(partner.Tx) error) {
	t.Helper()
	err := s.View(t.Context(), func(tx smsgw.Tx) error {
		ptx, err := partner.TxOf(tx)
		if err != nil {
			t.Fatal(err)
		}
		return fn(ptx)
	})
	if err != nil {
		t.Fatalf("View: %v", err)
	}
}

func newPartnerRequest(pid, refid string, state partner.State, created time.Time) *partner.Request {
	r := &partner.Request{
		Partner: pid, RefID: refid, Kind: partner.KindTopUp, Mode: partner.ModeConfirm, Product: "IP50",
		Dest: msisdnA, Amount: 50000, State: state, RequestHash: "hash:" + refid, BalanceBefore: 100000,
		BalanceAfter: 100000, CreatedAt: created, UpdatedAt: created,
	}
	if state.Final() {
		r.ResolvedAt = ptr(created)
	}
	return r
}

// mustPartnerRequest creates r in its own transaction.
func mustPartnerRequest(t *testing.T, s smsgw.Store, r *partner.Request) {
	t.Helper()
	mustPartnerUpdate(t, s, func(tx partner.Tx) error { return tx.CreatePartnerRequest(r) })
}

func testPartnerRequestCreateGet(t *testing.T, s smsgw.Store) {
	seedAccounts(t, s)
	sess := newSession(msisdnA, 50000, t0)
	tr := newTransfer("h2h:p1:ref-2", deposit, walletA, 50000)
	mustTransfer(t, s, newTransfer("fund", settlement, deposit, 100000))
	mustPartnerUpdate(t, s, func(tx partner.Tx) error {
		if err := tx.CreateSession(sess); err != nil {
			return err
		}
		return tx.Transfer(tr)
	})
	pending := newPartnerRequest("p1", "ref-1", partner.Pending, t0)
	pending.SessionID, pending.Duplicate = sess.ID, true
	done := newPartnerRequest("p1", "ref-2", partner.Success, at(time.Second))
	done.Mode, done.TransferID, done.TransferKey, done.SN, done.Price = partner.ModeImmediate, tr.ID, tr.IdempotencyKey, "H2H1", 50000
	done.BalanceAfter, done.Code, done.Message = 50000, "", "ok"
	va := newPartnerRequest("bank", "BR-1", partner.Pending, at(2*time.Second))
	va.Kind, va.Mode, va.Product, va.PaidAt = partner.KindVA, partner.ModeImmediate, "", at(-time.Minute)
	rev := newPartnerRequest("bank", "REV-1", partner.Pending, at(3*time.Second))
	rev.Kind, rev.Mode, rev.Product, rev.Amount = partner.KindVAReversal, partner.ModeImmediate, "", 20000
	for _, r := range []*partner.Request{pending, done, va, rev} {
		if r == rev {
			rev.ReversesID = va.ID
		}
		mustPartnerRequest(t, s, r)
		if r.ID == 0 {
			t.Fatalf("CreatePartnerRequest(%s) left ID 0", r.RefID)
		}
	}
	if pending.ID == done.ID || done.ID == va.ID {
		t.Fatalf("CreatePartnerRequest ids %d, %d, %d are not distinct", pending.ID, done.ID, va.ID)
	}
	mustPartnerView(t, s, func(tx partner.Tx) error {
		for _, want := range []*partner.Request{pending, done, va, rev} {
			got, err := tx.PartnerRequest(want.ID)
			if err != nil {
				return err
			}
			same(t, "PartnerRequest("+want.RefID+")", got, want)
			got, err = tx.PartnerRequestByRef(want.Partner, want.RefID)
			if err != nil {
				return err
			}
			same(t, "PartnerRequestByRef("+want.RefID+")", got, want)
		}
		got, err := tx.PartnerRequestBySession(sess.ID)
		if err != nil {
			return err
		}
		same(t, "PartnerRequestBySession", got, pending)
		_, err = tx.PartnerRequest(9999)
		wantCode(t, "PartnerRequest(unknown)", err, smsgw.ENotFound)
		_, err = tx.PartnerRequestByRef("p2", "ref-1")
		wantCode(t, "PartnerRequestByRef(other partner)", err, smsgw.ENotFound)
		_, err = tx.PartnerRequestBySession(sess.ID + 1)
		wantCode(t, "PartnerRequestBySession(unknown)", err, smsgw.ENotFound)
		_, err = tx.PartnerRequestByInquiry(1)
		wantCode(t, "PartnerRequestByInquiry(unknown)", err, smsgw.ENotFound)
		return nil
	})
}

func testPartnerRequestConflict(t *testing.T, s smsgw.Store) {
	seedAccounts(t, s)
	tr := newTransfer("fund", settlement, walletA, 50000)
	mustTransfer(t, s, tr)
	first := newPartnerRequest("p1", "ref-1", partner.Success, t0)
	first.TransferID = tr.ID
	mustPartnerRequest(t, s, first)
	// Another partner may use the same refid.
	mustPartnerRequest(t, s, newPartnerRequest("p2", "ref-1", partner.Pending, t0))
	again := newPartnerRequest("p1", "ref-1", partner.Pending, at(time.Minute))
	again.Product = "IP100"
	err := partnerUpdate(t, s, func(tx partner.Tx) error { return tx.CreatePartnerRequest(again) })
	wantCode(t, "CreatePartnerRequest(same refid)", err, smsgw.EConflict)
	sameCredit := newPartnerRequest("p1", "ref-9", partner.Success, t0)
	sameCredit.TransferID = tr.ID
	err = partnerUpdate(t, s, func(tx partner.Tx) error { return tx.CreatePartnerRequest(sameCredit) })
	wantCode(t, "CreatePartnerRequest(transfer of another request)", err, smsgw.EConflict)
	mustPartnerView(t, s, func(tx partner.Tx) error {
		got, err := tx.PartnerRequestByRef("p1", "ref-1")
		if err != nil {
			return err
		}
		same(t, "PartnerRequestByRef after conflict", got, first)
		_, err = tx.PartnerRequestByRef("p1", "ref-9")
		wantCode(t, "PartnerRequestByRef(refused)", err, smsgw.ENotFound)
		return nil
	})
}

// A refid is one request in any letter case, per partner; the first
// spelling is the one kept.
func testPartnerRefIDCase(t *testing.T, s smsgw.Store) {
	seedAccounts(t, s)
	first := newPartnerRequest("p1", "Bank-Ref-1", partner.Pending, t0)
	mustPartnerRequest(t, s, first)
	// Another partner may use the same refid in any case.
	mustPartnerRequest(t, s, newPartnerRequest("p2", "bank-ref-1", partner.Pending, t0))
	for _, refid := range []string{"bank-ref-1", "BANK-REF-1", "bAnK-rEf-1"} {
		again := newPartnerRequest("p1", refid, partner.Pending, at(time.Minute))
		err := partnerUpdate(t, s, func(tx partner.Tx) error { return tx.CreatePartnerRequest(again) })
		wantCode(t, "CreatePartnerRequest("+refid+")", err, smsgw.EConflict)
	}
	mustPartnerView(t, s, func(tx partner.Tx) error {
		for _, refid := range []string{"Bank-Ref-1", "bank-ref-1", "BANK-REF-1"} {
			got, err := tx.PartnerRequestByRef("p1", refid)
			if err != nil {
				return err
			}
			same(t, "PartnerRequestByRef("+refid+")", got, first)
		}
		_, err := tx.PartnerRequestByRef("p1", "Bank-Ref-2")
		wantCode(t, "PartnerRequestByRef(other refid)", err, smsgw.ENotFound)
		return nil
	})
}

func testPartnerRequestInvalid(t *testing.T, s smsgw.Store) {
	seedAccounts(t, s)
	tests := []struct {
		name string
		edit func(*partner.Request)
		code string
	}{
		{"empty refid", func(r *partner.Request) { r.RefID = "" }, smsgw.EInvalid},
		{"empty partner", func(r *partner.Request) { r.Partner = "" }, smsgw.EInvalid},
		{"zero amount", func(r *partner.Request) { r.Amount = 0 }, smsgw.EInvalid},
		{"unknown state", func(r *partner.Request) { r.State = "done" }, smsgw.EInvalid},
		{"unknown kind", func(r *partner.Request) { r.Kind = "gift" }, smsgw.EInvalid},
		{"unknown mode", func(r *partner.Request) { r.Mode = "later" }, smsgw.EInvalid},
		{"final without time", func(r *partner.Request) { r.State = partner.Failed }, smsgw.EInvalid},
		{"success without transfer", func(r *partner.Request) {
			r.State, r.ResolvedAt = partner.Success, ptr(t0)
		}, smsgw.EInvalid},
		{"missing session", func(r *partner.Request) { r.SessionID = 77 }, smsgw.ENotFound},
		{"missing inquiry", func(r *partner.Request) { r.InquiryID = 77 }, smsgw.ENotFound},
		{"reversal of nothing", func(r *partner.Request) { r.Kind = partner.KindVAReversal }, smsgw.EInvalid},
		{"reversal of a missing request", func(r *partner.Request) {
			r.Kind, r.ReversesID = partner.KindVAReversal, 77
		}, smsgw.ENotFound},
		{"top-up reversing", func(r *partner.Request) { r.ReversesID = 77 }, smsgw.EInvalid},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := newPartnerRequest("p1", "ref-"+tc.name, partner.Pending, t0)
			tc.edit(r)
			// The failed insert writes nothing even though the
			// transaction commits.
			mustPartnerUpdate(t, s, func(tx partner.Tx) error {
				wantCode(t, "CreatePartnerRequest("+tc.name+")", tx.CreatePartnerRequest(r), tc.code)
				return nil
			})
		})
	}
	mustPartnerView(t, s, func(tx partner.Tx) error {
		rs, err := tx.PartnerRequests(partner.RequestFilter{})
		if err != nil {
			return err
		}
		if len(rs) != 0 {
			t.Errorf("PartnerRequests after refused inserts = %d rows, want 0", len(rs))
		}
		return nil
	})
}

func testPartnerResolve(t *testing.T, s smsgw.Store) {
	seedAccounts(t, s)
	tr := newTransfer("credit", settlement, walletA, 50000)
	mustTransfer(t, s, tr)
	r := newPartnerRequest("p1", "ref-1", partner.Pending, t0)
	other := newPartnerRequest("p1", "ref-2", partner.Pending, t0)
	mustPartnerRequest(t, s, r)
	mustPartnerRequest(t, s, other)

	mustPartnerUpdate(t, s, func(tx partner.Tx) error {
		bad := *r
		bad.State = partner.Pending
		wantCode(t, "ResolvePartnerRequest(to pending)", tx.ResolvePartnerRequest(&bad), smsgw.EInvalid)
		missing := *r
		missing.ID, missing.State = 9999, partner.Failed
		wantCode(t, "ResolvePartnerRequest(unknown id)", tx.ResolvePartnerRequest(&missing), smsgw.ENotFound)
		// pending → unknown
		u := *r
		u.State, u.Message, u.UpdatedAt = partner.Unknown, "reconcile", at(15*time.Minute)
		if err := tx.ResolvePartnerRequest(&u); err != nil {
			return err
		}
		if u.ResolvedAt != nil {
			t.Errorf("ResolvePartnerRequest(unknown) set ResolvedAt %v, want nil", u.ResolvedAt)
		}
		// unknown → unknown is not a move
		wantCode(t, "ResolvePartnerRequest(unknown again)", tx.ResolvePartnerRequest(&u), smsgw.EConflict)
		return nil
	})
	want := *r
	mustPartnerUpdate(t, s, func(tx partner.Tx) error {
		// unknown → success
		want.State, want.TransferID, want.SN, want.BalanceAfter = partner.Success, tr.ID, "SMS1", 100000
		want.Message, want.ResolvedAt, want.UpdatedAt = "reconcile", ptr(at(20*time.Minute)), at(20*time.Minute)
		return tx.ResolvePartnerRequest(&want)
	})
	mustPartnerUpdate(t, s, func(tx partner.Tx) error {
		again := want
		again.State, again.Code = partner.Failed, partner.ReasonExpired
		wantCode(t, "ResolvePartnerRequest(final)", tx.ResolvePartnerRequest(&again), smsgw.EConflict)
		f := *other
		f.State, f.Code, f.ResolvedAt, f.UpdatedAt = partner.Failed, partner.ReasonCancelled, ptr(at(time.Minute)), at(time.Minute)
		return tx.ResolvePartnerRequest(&f)
	})
	mustPartnerView(t, s, func(tx partner.Tx) error {
		got, err := tx.PartnerRequest(r.ID)
		if err != nil {
			return err
		}
		same(t, "PartnerRequest after resolve", got, &want)
		got, err = tx.PartnerRequest(other.ID)
		if err != nil {
			return err
		}
		if got.State != partner.Failed || got.Code != partner.ReasonCancelled || got.ResolvedAt == nil || !got.ResolvedAt.Equal(at(time.Minute)) {
			t.Errorf("PartnerRequest(other) = %s %s %v, want failed cancelled at +1m", got.State, got.Code, got.ResolvedAt)
		}
		return nil
	})
}

func testPartnerFilter(t *testing.T, s smsgw.Store) {
	seedAccounts(t, s)
	reqs := []*partner.Request{
		newPartnerRequest("p1", "a", partner.Pending, at(0)),
		newPartnerRequest("p1", "b", partner.Failed, at(time.Minute)),
		newPartnerRequest("p2", "c", partner.Pending, at(2*time.Minute)),
		newPartnerRequest("p1", "d", partner.Unknown, at(3*time.Minute)),
	}
	reqs[2].Dest = msisdnB
	reqs[3].Product = "IP100"
	for _, r := range reqs {
		mustPartnerRequest(t, s, r)
	}
	idsOf := func(rs []partner.Request) []int64 {
		return ids(rs, func(r partner.Request) int64 { return r.ID })
	}
	tests := []struct {
		name string
		f    partner.RequestFilter
		want []int64
	}{
		{"all", partner.RequestFilter{}, []int64{reqs[3].ID, reqs[2].ID, reqs[1].ID, reqs[0].ID}},
		{"partner", partner.RequestFilter{Partner: "p1"}, []int64{reqs[3].ID, reqs[1].ID, reqs[0].ID}},
		{"refid", partner.RequestFilter{RefID: "c"}, []int64{reqs[2].ID}},
		{"dest", partner.RequestFilter{Dest: msisdnB}, []int64{reqs[2].ID}},
		{"open", partner.RequestFilter{States: []partner.State{partner.Pending, partner.Unknown}},
			[]int64{reqs[3].ID, reqs[2].ID, reqs[0].ID}},
		{"window", partner.RequestFilter{Since: at(time.Minute), Until: at(3 * time.Minute)}, []int64{reqs[2].ID, reqs[1].ID}},
		{"page", partner.RequestFilter{Limit: 2, Offset: 1}, []int64{reqs[2].ID, reqs[1].ID}},
	}
	mustPartnerView(t, s, func(tx partner.Tx) error {
		for _, tc := range tests {
			got, err := tx.PartnerRequests(tc.f)
			if err != nil {
				return err
			}
			same(t, "PartnerRequests("+tc.name+")", idsOf(got), tc.want)
		}
		// reqs[1] is newer but failed without a PIN session: a refused
		// request, which a later one does not duplicate.
		last, err := tx.LastPartnerRequest("p1", "IP50", string(msisdnA), at(0))
		if err != nil {
			return err
		}
		if last.ID != reqs[0].ID {
			t.Errorf("LastPartnerRequest(p1, IP50, A, t0) = %d, want %d (the refused %d skipped)", last.ID, reqs[0].ID, reqs[1].ID)
		}
		_, err = tx.LastPartnerRequest("p1", "IP50", string(msisdnA), at(30*time.Second))
		wantCode(t, "LastPartnerRequest(only a refused one in the window)", err, smsgw.ENotFound)
		_, err = tx.LastPartnerRequest("p1", "IP50", string(msisdnA), at(90*time.Second))
		wantCode(t, "LastPartnerRequest(after window)", err, smsgw.ENotFound)
		_, err = tx.LastPartnerRequest("p2", "IP50", string(msisdnA), at(0))
		wantCode(t, "LastPartnerRequest(other partner)", err, smsgw.ENotFound)
		return nil
	})
}

func testPartnerInquiry(t *testing.T, s smsgw.Store) {
	seedAccounts(t, s)
	q := &partner.Inquiry{Partner: "p1", Product: "IP50", Dest: msisdnA, Amount: 50000, Name: "Budi",
		CreatedAt: t0, ExpiresAt: at(15 * time.Minute)}
	mustPartnerUpdate(t, s, func(tx partner.Tx) error {
		wantCode(t, "CreateInquiry(no expiry)", tx.CreateInquiry(&partner.Inquiry{Partner: "p1", Product: "IP50",
			Dest: msisdnA, Amount: 50000}), smsgw.EInvalid)
		wantCode(t, "CreateInquiry(zero amount)", tx.CreateInquiry(&partner.Inquiry{Partner: "p1", Product: "IP50",
			Dest: msisdnA, ExpiresAt: at(time.Minute)}), smsgw.EInvalid)
		return tx.CreateInquiry(q)
	})
	r := newPartnerRequest("p1", "pay-1", partner.Pending, t0)
	r.Kind, r.InquiryID = partner.KindPayment, q.ID
	mustPartnerRequest(t, s, r)
	twice := newPartnerRequest("p1", "pay-2", partner.Pending, t0)
	twice.Kind, twice.InquiryID = partner.KindPayment, q.ID
	err := partnerUpdate(t, s, func(tx partner.Tx) error { return tx.CreatePartnerRequest(twice) })
	wantCode(t, "CreatePartnerRequest(inquiry paid twice)", err, smsgw.EConflict)
	mustPartnerView(t, s, func(tx partner.Tx) error {
		got, err := tx.Inquiry(q.ID)
		if err != nil {
			return err
		}
		same(t, "Inquiry", got, q)
		_, err = tx.Inquiry(q.ID + 1)
		wantCode(t, "Inquiry(unknown)", err, smsgw.ENotFound)
		paid, err := tx.PartnerRequestByInquiry(q.ID)
		if err != nil {
			return err
		}
		same(t, "PartnerRequestByInquiry", paid, r)
		return nil
	})
}

func testPartnerNonce(t *testing.T, s smsgw.Store) {
	mustPartnerUpdate(t, s, func(tx partner.Tx) error {
		if err := tx.UseNonce("p1", "n-1", t0); err != nil {
			return err
		}
		if err := tx.UseNonce("p2", "n-1", at(time.Minute)); err != nil {
			return err
		}
		wantCode(t, "UseNonce(empty)", tx.UseNonce("p1", "", t0), smsgw.EInvalid)
		return nil
	})
	mustPartnerUpdate(t, s, func(tx partner.Tx) error {
		wantCode(t, "UseNonce(replay)", tx.UseNonce("p1", "n-1", at(time.Second)), smsgw.EDuplicate)
		return nil
	})
	mustPartnerUpdate(t, s, func(tx partner.Tx) error {
		n, err := tx.PurgeNonces(at(30 * time.Second))
		if err != nil {
			return err
		}
		if n != 1 {
			t.Errorf("PurgeNonces(+30s) = %d, want 1", n)
		}
		wantCode(t, "UseNonce(after purge)", tx.UseNonce("p1", "n-1", at(time.Hour)), "")
		wantCode(t, "UseNonce(kept)", tx.UseNonce("p2", "n-1", at(time.Hour)), smsgw.EDuplicate)
		return nil
	})
}

func testPartnerDestination(t *testing.T, s smsgw.Store) {
	mustPartnerView(t, s, func(tx partner.Tx) error {
		d, err := tx.Destination(string(msisdnA))
		if err != nil {
			return err
		}
		same(t, "Destination(never seen)", d, &partner.Destination{Dest: msisdnA})
		return nil
	})
	a := &partner.Destination{Dest: msisdnA, Failures: 5, LastFailure: ptr(at(time.Minute)), UpdatedAt: at(time.Minute)}
	b := &partner.Destination{Dest: msisdnB, Failures: 2, LastFailure: ptr(t0), UpdatedAt: t0}
	c := &partner.Destination{Dest: msisdnC, Failures: 7, LastFailure: ptr(t0), UpdatedAt: t0}
	mustPartnerUpdate(t, s, func(tx partner.Tx) error {
		for _, d := range []*partner.Destination{{Dest: msisdnA, Failures: 1, UpdatedAt: t0}, a, b, c} {
			if err := tx.SetDestination(d); err != nil {
				return err
			}
		}
		return nil
	})
	mustPartnerView(t, s, func(tx partner.Tx) error {
		got, err := tx.Destination(string(msisdnA))
		if err != nil {
			return err
		}
		same(t, "Destination(A)", got, a)
		list, err := tx.Destinations(5, 0)
		if err != nil {
			return err
		}
		same(t, "Destinations(5)", list, []partner.Destination{*c, *a})
		return nil
	})
	mustPartnerUpdate(t, s, func(tx partner.Tx) error {
		return tx.SetDestination(&partner.Destination{Dest: msisdnA, UpdatedAt: at(time.Hour)})
	})
	mustPartnerView(t, s, func(tx partner.Tx) error {
		got, err := tx.Destination(string(msisdnA))
		if err != nil {
			return err
		}
		same(t, "Destination(A) after reset", got, &partner.Destination{Dest: msisdnA, UpdatedAt: at(time.Hour)})
		return nil
	})
}

func testPartnerCallback(t *testing.T, s smsgw.Store) {
	seedAccounts(t, s)
	r1 := newPartnerRequest("p1", "a", partner.Failed, t0)
	r2 := newPartnerRequest("p1", "b", partner.Failed, t0)
	r3 := newPartnerRequest("p2", "c", partner.Failed, t0)
	for _, r := range []*partner.Request{r1, r2, r3} {
		mustPartnerRequest(t, s, r)
	}
	c1 := &partner.Callback{RequestID: r1.ID, Partner: "p1", Deadline: at(24 * time.Hour), CreatedAt: t0}
	c2 := &partner.Callback{RequestID: r2.ID, Partner: "p1", NextAttempt: at(time.Minute), Deadline: at(24 * time.Hour), CreatedAt: t0}
	c3 := &partner.Callback{RequestID: r3.ID, Partner: "p2", NextAttempt: at(2 * time.Minute), Deadline: at(time.Hour), CreatedAt: t0}
	mustPartnerUpdate(t, s, func(tx partner.Tx) error {
		for _, c := range []*partner.Callback{c1, c2, c3} {
			if err := tx.EnqueueCallback(c); err != nil {
				return err
			}
		}
		wantCode(t, "EnqueueCallback(second for request)", tx.EnqueueCallback(&partner.Callback{RequestID: r1.ID,
			Partner: "p1", Deadline: at(time.Hour)}), smsgw.EConflict)
		wantCode(t, "EnqueueCallback(no request)", tx.EnqueueCallback(&partner.Callback{RequestID: 9999,
			Partner: "p1", Deadline: at(time.Hour)}), smsgw.ENotFound)
		wantCode(t, "EnqueueCallback(no deadline)", tx.EnqueueCallback(&partner.Callback{RequestID: r1.ID,
			Partner: "p1"}), smsgw.EInvalid)
		return nil
	})
	if c1.NextAttempt != t0 || c1.Status != partner.CallbackQueued {
		t.Errorf("EnqueueCallback: next %v status %q, want %v queued", c1.NextAttempt, c1.Status, t0)
	}
	due := func(now time.Time) []int64 {
		var got []partner.Callback
		mustPartnerView(t, s, func(tx partner.Tx) (err error) {
			got, err = tx.DueCallbacks(now, 0)
			return err
		})
		return ids(got, func(c partner.Callback) int64 { return c.ID })
	}
	same(t, "DueCallbacks(t0)", due(t0), []int64{c1.ID})
	same(t, "DueCallbacks(+2m)", due(at(2*time.Minute)), []int64{c1.ID, c2.ID, c3.ID})
	mustPartnerUpdate(t, s, func(tx partner.Tx) error {
		if err := tx.MarkCallbackRetry(c1.ID, "HTTP 500", at(time.Second), at(10*time.Minute)); err != nil {
			return err
		}
		if err := tx.MarkCallbackSent(c2.ID, at(2*time.Minute)); err != nil {
			return err
		}
		return tx.MarkCallbackDead(c3.ID, "no ack", at(3*time.Minute))
	})
	same(t, "DueCallbacks(+5m)", due(at(5*time.Minute)), []int64{})
	same(t, "DueCallbacks(+10m)", due(at(10*time.Minute)), []int64{c1.ID})
	mustPartnerUpdate(t, s, func(tx partner.Tx) error {
		for _, id := range []int64{c2.ID, c3.ID, 9999} {
			wantCode(t, "MarkCallbackSent(not queued)", tx.MarkCallbackSent(id, t0), smsgw.ENotFound)
			wantCode(t, "MarkCallbackRetry(not queued)", tx.MarkCallbackRetry(id, "x", t0, t0), smsgw.ENotFound)
			wantCode(t, "MarkCallbackDead(not queued)", tx.MarkCallbackDead(id, "x", t0), smsgw.ENotFound)
		}
		return nil
	})
	mustPartnerView(t, s, func(tx partner.Tx) error {
		got, err := tx.Callback(c1.ID)
		if err != nil {
			return err
		}
		want := *c1
		want.Attempts, want.LastError, want.NextAttempt, want.UpdatedAt = 1, "HTTP 500", at(10*time.Minute), at(time.Second)
		same(t, "Callback(retried)", got, &want)
		got, err = tx.Callback(c2.ID)
		if err != nil {
			return err
		}
		if got.Status != partner.CallbackSent || got.Attempts != 1 || got.SentAt == nil || !got.SentAt.Equal(at(2*time.Minute)) {
			t.Errorf("Callback(sent) = %+v, want sent once at +2m", got)
		}
		got, err = tx.Callback(c3.ID)
		if err != nil {
			return err
		}
		if got.Status != partner.CallbackDead || got.Attempts != 1 || got.LastError != "no ack" || got.SentAt != nil {
			t.Errorf("Callback(dead) = %+v, want dead after 1 attempt with its error", got)
		}
		_, err = tx.Callback(9999)
		wantCode(t, "Callback(unknown)", err, smsgw.ENotFound)
		cbIDs := func(f partner.CallbackFilter) []int64 {
			cs, err := tx.Callbacks(f)
			if err != nil {
				t.Fatalf("Callbacks(%+v) = %v", f, err)
			}
			return ids(cs, func(c partner.Callback) int64 { return c.ID })
		}
		same(t, "Callbacks(all)", cbIDs(partner.CallbackFilter{}), []int64{c3.ID, c2.ID, c1.ID})
		same(t, "Callbacks(dead)", cbIDs(partner.CallbackFilter{Status: partner.CallbackDead}), []int64{c3.ID})
		same(t, "Callbacks(p1)", cbIDs(partner.CallbackFilter{Partner: "p1"}), []int64{c2.ID, c1.ID})
		same(t, "Callbacks(request)", cbIDs(partner.CallbackFilter{RequestID: r2.ID}), []int64{c2.ID})
		return nil
	})
}

func testPartnerCallbackRequeue(t *testing.T, s smsgw.Store) {
	seedAccounts(t, s)
	r := newPartnerRequest("p1", "a", partner.Failed, t0)
	mustPartnerRequest(t, s, r)
	c := &partner.Callback{RequestID: r.ID, Partner: "p1", Deadline: at(time.Hour), CreatedAt: t0}
	mustPartnerUpdate(t, s, func(tx partner.Tx) error { return tx.EnqueueCallback(c) })
	mustPartnerUpdate(t, s, func(tx partner.Tx) error {
		wantCode(t, "RequeueCallback(queued)", tx.RequeueCallback(c.ID, t0, at(time.Hour)), smsgw.EConflict)
		wantCode(t, "RequeueCallback(unknown)", tx.RequeueCallback(9999, t0, at(time.Hour)), smsgw.ENotFound)
		return tx.MarkCallbackDead(c.ID, "gone", at(time.Hour))
	})
	mustPartnerUpdate(t, s, func(tx partner.Tx) error { return tx.RequeueCallback(c.ID, at(2*time.Hour), at(26*time.Hour)) })
	mustPartnerView(t, s, func(tx partner.Tx) error {
		got, err := tx.Callback(c.ID)
		if err != nil {
			return err
		}
		if got.Status != partner.CallbackQueued || got.Attempts != 0 || !got.NextAttempt.Equal(at(2*time.Hour)) ||
			!got.Deadline.Equal(at(26*time.Hour)) || got.LastError != "gone" {
			t.Errorf("Callback after requeue = %+v, want queued at +2h until +26h, 0 attempts, last error kept", got)
		}
		return nil
	})
	mustPartnerUpdate(t, s, func(tx partner.Tx) error { return tx.MarkCallbackSent(c.ID, at(2*time.Hour)) })
	mustPartnerUpdate(t, s, func(tx partner.Tx) error { return tx.RequeueCallback(c.ID, at(3*time.Hour), at(27*time.Hour)) })
	mustPartnerView(t, s, func(tx partner.Tx) error {
		got, err := tx.Callback(c.ID)
		if err != nil {
			return err
		}
		if got.Status != partner.CallbackQueued || got.SentAt != nil {
			t.Errorf("Callback after requeue of a sent one = %+v, want queued without SentAt", got)
		}
		return nil
	})
}

// testPartnerTopUpInOneTx writes an immediate top-up the way the domain
// does (transfer, final request, callback) and checks that a failure
// after the transfer rolls all of it back.
func testPartnerTopUpInOneTx(t *testing.T, s smsgw.Store) {
	seedAccounts(t, s)
	mustTransfer(t, s, newTransfer("fund", settlement, deposit, 100000))
	write := func(refid string, fail bool) error {
		return partnerUpdate(t, s, func(tx partner.Tx) error {
			tr := newTransfer("h2h:p1:"+refid, deposit, walletA, 50000)
			tr.Kind = partner.TransferH2H
			if err := tx.Transfer(tr); err != nil {
				return err
			}
			r := newPartnerRequest("p1", refid, partner.Success, t0)
			r.TransferID, r.TransferKey = tr.ID, tr.IdempotencyKey
			if err := tx.CreatePartnerRequest(r); err != nil {
				return err
			}
			if err := tx.EnqueueCallback(&partner.Callback{RequestID: r.ID, Partner: "p1", Deadline: at(time.Hour)}); err != nil {
				return err
			}
			if fail {
				return smsgw.Errorf(smsgw.EInternal, "crash after the callback")
			}
			return nil
		})
	}
	if err := write("ok", false); err != nil {
		t.Fatal(err)
	}
	wantCode(t, "top-up that fails late", write("late", true), smsgw.EInternal)
	same(t, "balances", balances(t, s, deposit, walletA), []domain.Amount{50000, 50000})
	mustPartnerView(t, s, func(tx partner.Tx) error {
		_, err := tx.PartnerRequestByRef("p1", "late")
		wantCode(t, "PartnerRequestByRef(rolled back)", err, smsgw.ENotFound)
		_, err = tx.TransferByKey("h2h:p1:late")
		wantCode(t, "TransferByKey(rolled back)", err, smsgw.ENotFound)
		cs, err := tx.Callbacks(partner.CallbackFilter{})
		if err != nil {
			return err
		}
		if len(cs) != 1 {
			t.Errorf("Callbacks = %d rows, want 1", len(cs))
		}
		sum, err := tx.LedgerSum()
		if err == nil && sum != 0 {
			t.Errorf("LedgerSum = %d, want 0", sum)
		}
		return err
	})
}

// The requests the expiry ended are those still open on a session that
// expired and owes its notice.
func testPartnerExpiredSessions(t *testing.T, s smsgw.Store) {
	seedAccounts(t, s)
	var reqs []*partner.Request
	sessions := map[string]*smsgw.Session{}
	for i, name := range []string{"expired", "open", "noticed", "final", "unknown"} {
		sess := newSession(domain.MSISDN(fmt.Sprintf("62811000010%d", i)), 50000, t0)
		if name == "open" {
			sess.ExpiresAt = at(time.Hour)
		}
		state := partner.Pending
		switch name {
		case "final":
			state = partner.Failed
		case "unknown":
			state = partner.Unknown
		}
		r := newPartnerRequest("p1", "ref-"+name, state, t0)
		mustPartnerUpdate(t, s, func(tx partner.Tx) error {
			if err := tx.CreateSession(sess); err != nil {
				return err
			}
			r.SessionID = sess.ID
			if state.Final() {
				r.Code = partner.ReasonCancelled
			}
			return tx.CreatePartnerRequest(r)
		})
		reqs = append(reqs, r)
		sessions[name] = sess
	}
	list := func(after int64, limit int) []int64 {
		t.Helper()
		var ids []int64
		mustPartnerView(t, s, func(tx partner.Tx) error {
			rs, err := tx.RequestsOfExpiredSessions(after, limit)
			for _, r := range rs {
				ids = append(ids, r.ID)
			}
			return err
		})
		return ids
	}
	same(t, "RequestsOfExpiredSessions before the expiry", list(0, 10), []int64(nil))
	MustUpdate(t, s, func(tx smsgw.Tx) error {
		if _, err := tx.ExpireSessions(at(10*time.Minute), 10); err != nil {
			return err
		}
		return tx.TakeExpiryNotice(sessions["noticed"].ID)
	})
	expired, unknown := reqs[0].ID, reqs[4].ID
	same(t, "RequestsOfExpiredSessions", list(0, 10), []int64{expired, unknown})
	same(t, "RequestsOfExpiredSessions(limit 1)", list(0, 1), []int64{expired})
	same(t, "RequestsOfExpiredSessions(after the first)", list(expired, 10), []int64{unknown})
}
