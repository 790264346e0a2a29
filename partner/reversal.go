package partner

import (
	"context"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/smsgw/smsgw/domain"
	"github.com/smsgw/smsgw/smsgw"
)

// maxReversalReason bounds the reason a bank gives for a reversal.
const maxReversalReason = 160

// VAReversal is a bank's reversal of a VA payment it confirmed earlier
// (BankRef): the customer's payment was returned at the bank, so the
// credit is taken back. RefID is the reversal's own reference at the bank,
// unique per partner like every refid (it shares the namespace of the
// payments' bank references). Amount zero reverses what remains of the
// payment; a smaller amount reverses a part of it.
type VAReversal struct {
	Partner string
	Nonce   string
	RefID   string
	BankRef string
	Amount  domain.Amount
	Reason  string
}

// ReverseVA takes back (all or part of) the credit of the partner's VA
// payment BankRef: a reversing transfer from the wallet to the partner's
// settlement account, linked to the payment's transfer, recorded as a
// partner request of kind KindVAReversal (its own trxid, status and
// callback, like a payment), and an SMS to the wallet's owner, all in one
// transaction. It is idempotent by RefID: the same reversal sent again
// returns the first result, another one with the same RefID is EConflict.
// The cutoff does not apply: the money has already moved at the bank.
//
// A reversal is refused, and nothing but the nonce is recorded (the bank
// may send it again later), when: the partner is unknown (ENotFound) or
// not enabled for VA (EForbidden); the references, amount or reason are
// malformed (EInvalid); BankRef is no VA payment of this partner
// (ENotFound); less than the amount remains of the payment after earlier
// reversals and the operators' corrections (EConflict); the wallet holds
// less than the amount, as a wallet never goes below zero (EFunds).
func (p *Service) ReverseVA(ctx context.Context, req VAReversal) (*Result, error) {
	pt, err := p.partner(req.Partner)
	if err != nil {
		return nil, err
	}
	if !pt.VA {
		return nil, smsgw.Errorf(EForbidden, "partner is not enabled for virtual account payments")
	}
	if err := checkRef("refid", req.RefID); err != nil {
		return nil, err
	}
	if err := checkRef("bank reference", req.BankRef); err != nil {
		return nil, err
	}
	req.Reason = strings.TrimSpace(req.Reason)
	switch {
	case req.Amount < 0:
		return nil, smsgw.Errorf(smsgw.EInvalid, "amount must be positive")
	case len(req.Reason) > maxReversalReason || strings.IndexFunc(req.Reason, unicode.IsControl) >= 0:
		return nil, smsgw.Errorf(smsgw.EInvalid, "reason must be at most %d printable characters", maxReversalReason)
	}
	// The hash leaves out the amount: a resend may give the amount the
	// first answer showed, or leave it out again (see resentAs).
	hash := smsgw.RequestHash(KindVAReversal, strings.ToLower(req.BankRef))
	var res *Result
	err = p.exec(ctx, pt.ID, req.Nonce, func(tx Tx, now time.Time) (*rejection, error) {
		var (
			rej *rejection
			err error
		)
		res, rej, err = p.reverseTx(tx, now, pt, req, hash)
		return rej, err
	})
	res, err = p.outcome(ctx, pt.ID, req.RefID, hash, res, err)
	if err == nil && !resentAs(res, req.Amount) {
		return nil, smsgw.Errorf(smsgw.EConflict, "refid already used for another request")
	}
	return res, err
}

// resentAs reports whether res, when it is an earlier request, is the
// reversal of amount (zero: whatever remained then).
func resentAs(res *Result, amount domain.Amount) bool {
	return !res.Resent || amount == 0 || res.Request.Amount == amount
}

func (p *Service) reverseTx(tx Tx, now time.Time, pt Partner, req VAReversal, hash string) (*Result, *rejection, error) {
	if res, rej, err := previous(tx, pt.ID, req.RefID, hash); res != nil || rej != nil || err != nil {
		return res, rej, err
	}
	pay, err := tx.PartnerRequestByRef(pt.ID, req.BankRef)
	if smsgw.ErrorCode(err) == smsgw.ENotFound || err == nil && (pay.Kind != KindVA || pay.State != Success) {
		return nil, reject(smsgw.ENotFound, "no VA payment with bank reference %s", req.BankRef), nil
	} else if err != nil {
		return nil, nil, err
	}
	orig, err := tx.TransferByID(pay.TransferID)
	if err != nil {
		return nil, nil, err
	}
	done, _, err := tx.Reversed(orig.ID)
	if err != nil {
		return nil, nil, err
	}
	remains, amount := orig.Amount-done, req.Amount
	switch {
	case remains <= 0:
		return nil, reject(smsgw.EConflict, "VA payment %s is reversed already", pay.RefID), nil
	case amount == 0:
		amount = remains
	case amount > remains:
		return nil, reject(smsgw.EConflict, "only Rp%s of VA payment %s remains to reverse", remains.Grouped(), pay.RefID), nil
	}
	r := &Request{
		Partner: pt.ID, RefID: req.RefID, Kind: KindVAReversal, Mode: ModeImmediate, Dest: pay.Dest, Amount: amount,
		Message: req.Reason, RequestHash: hash, TransferKey: "va-reversal:" + pt.ID + ":" + req.RefID,
		ReversesID: pay.ID, CreatedAt: now, UpdatedAt: now,
	}
	t, err := p.g.Reverse(tx, smsgw.Reversal{
		Of: orig, Amount: amount, Kind: smsgw.TransferReversal, Key: r.TransferKey, Hash: hash, Reference: req.RefID,
	}, now)
	if smsgw.ErrorCode(err) == smsgw.EFunds {
		return nil, reject(smsgw.EFunds, "the customer's wallet holds less than Rp%s", amount.Grouped()), nil
	} else if err != nil {
		return nil, nil, err
	}
	r.TransferID, r.SN = t.ID, "REV"+strconv.FormatInt(t.ID, 10)
	r.State, r.ResolvedAt = Success, &now
	if err := p.createRequest(tx, r); err != nil {
		return nil, nil, err
	}
	if err := queueCallback(tx, r, now); err != nil {
		return nil, nil, err
	}
	return &Result{Request: *r}, nil, nil
}
