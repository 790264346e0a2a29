package partner

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/smsgw/smsgw/domain"
	"github.com/smsgw/smsgw/smsgw"
)

// Result is the outcome of a request a partner submitted.
type Result struct {
	Request Request
	// Resent is true when the refid was seen before: Request is the
	// original, unchanged.
	Resent bool
}

// TopUpRequest is a top-up by product code and destination.
type TopUpRequest struct {
	Partner string
	Nonce   string // "" when the signature scheme has none
	RefID   string
	Product string
	Dest    string
}

// InquiryRequest asks for the amount and name of a top-up.
type InquiryRequest struct {
	Partner string
	Nonce   string
	Product string
	Dest    string
}

// PaymentRequest pays an inquiry. Amount, when not zero, must equal the
// inquiry's.
type PaymentRequest struct {
	Partner   string
	Nonce     string
	RefID     string
	InquiryID int64
	Amount    domain.Amount
}

// VAPayment is a bank's confirmation that a customer paid Amount to the
// virtual account VA; BankRef identifies the payment at the bank.
type VAPayment struct {
	Partner string
	Nonce   string
	VA      string
	Amount  domain.Amount
	BankRef string
	PaidAt  time.Time
}

// rejection is the outcome of a refused request. It is committed (with
// the nonce and destination counters) rather than rolled back. recorded,
// when set, is the failed request written for it (see Refused).
type rejection struct {
	err      error
	recorded *Request
}

// Refused is the error of a request refused after it got a trxid: a new
// refid that passed the checks of its parameters, refused for the state of
// the destination, the customer, the deposit or the clock (ECutoff,
// EBlocked, EDestination, ENotCustomer, EBusy, ELocked, EPossibleDup,
// EFunds). Request is the failed request, recorded with its final report
// (callback) in the refusal's transaction; a resend of its refid returns
// it. Err says why; smsgw.ErrorCode sees through Refused.
type Refused struct {
	Request Request
	Err     error
}

func (e *Refused) Error() string { return e.Err.Error() }
func (e *Refused) Unwrap() error { return e.Err }

// reject wraps a refusal.
func reject(code, format string, args ...any) *rejection {
	return &rejection{err: smsgw.Errorf(code, format, args...)}
}

// exec runs fn in one write transaction after recording the nonce, if
// any. fn returns a rejection, or an error that rolls everything back.
func (p *Service) exec(ctx context.Context, partner, nonce string, fn func(tx Tx, now time.Time) (*rejection, error)) error {
	var rej *rejection
	err := p.update(ctx, func(tx Tx) error {
		rej = nil
		now := p.g.Now()
		if nonce != "" {
			if err := tx.UseNonce(partner, nonce, now); smsgw.ErrorCode(err) == smsgw.EDuplicate {
				return smsgw.Errorf(EReplay, "nonce already used")
			} else if err != nil {
				return err
			}
		}
		r, err := fn(tx, now)
		rej = r
		return err
	})
	if err != nil {
		return err
	}
	if rej != nil && rej.recorded != nil {
		return &Refused{Request: *rej.recorded, Err: rej.err}
	}
	if rej != nil {
		return rej.err
	}
	return nil
}

// partner looks up a configured partner.
func (p *Service) partner(id string) (Partner, error) {
	pt, ok := p.partners[id]
	if !ok {
		return Partner{}, smsgw.Errorf(smsgw.ENotFound, "unknown partner")
	}
	return pt, nil
}

// creditSpec describes the credit a top-up or payment asks for.
type creditSpec struct {
	kind      string
	refid     string
	product   string
	dest      domain.MSISDN
	amount    domain.Amount
	hash      string
	inquiryID int64
}

// TopUp credits Dest with the product's amount: at once from the
// partner's deposit (immediate mode), or after the customer confirms with
// the SMS banking PIN (confirm mode; the result is pending and the partner
// learns it by callback). A re-sent refid returns the first result.
//
// Errors: ENotFound (unknown partner), EInvalid (bad refid), EReplay,
// EConflict (refid used for another request), ECutoff, EProduct,
// EDestination, EBlocked, EPossibleDup (when duplicates are refused),
// EFunds (deposit too low), ENotCustomer, EBusy and ELocked (confirm mode:
// the customer cannot confirm now).
func (p *Service) TopUp(ctx context.Context, req TopUpRequest) (*Result, error) {
	pt, err := p.partner(req.Partner)
	if err != nil {
		return nil, err
	}
	if err := checkRef("refid", req.RefID); err != nil {
		return nil, err
	}
	product, amount, err := p.product(req.Product)
	if err != nil {
		return nil, err
	}
	dest, err := parseDest(req.Dest)
	if err != nil {
		return nil, err
	}
	spec := creditSpec{
		kind: KindTopUp, refid: req.RefID, product: product, dest: dest, amount: amount,
		hash: smsgw.RequestHash(KindTopUp, product, string(dest)),
	}
	return p.credit(ctx, pt, req.Nonce, spec)
}

// product parses a product code and checks that its amount is on sale.
func (p *Service) product(code string) (string, domain.Amount, error) {
	product, amount, err := ParseProduct(code)
	if err != nil {
		return "", 0, err
	}
	if err := p.g.Rules().Keywords.CheckAmount(amount); err != nil {
		return "", 0, smsgw.Errorf(EProduct, "product %s: amount %s is not on sale", product, amount.Grouped())
	}
	return product, amount, nil
}

// credit runs a top-up or payment.
func (p *Service) credit(ctx context.Context, pt Partner, nonce string, spec creditSpec) (*Result, error) {
	var res *Result
	err := p.exec(ctx, pt.ID, nonce, func(tx Tx, now time.Time) (*rejection, error) {
		var (
			rej *rejection
			err error
		)
		res, rej, err = p.creditTx(tx, now, pt, spec)
		return rej, err
	})
	return p.outcome(ctx, pt.ID, spec.refid, spec.hash, res, err)
}

// outcome finishes a request-creating operation whose transaction ended
// with err: a refid raced by another transaction answers with that one's
// request, a committed result is reported.
func (p *Service) outcome(ctx context.Context, partner, refid, hash string, res *Result, err error) (*Result, error) {
	if errors.Is(err, errRaced) {
		return p.resent(ctx, partner, refid, hash)
	}
	var refused *Refused
	if errors.As(err, &refused) {
		p.committed(&Result{Request: refused.Request})
	}
	if err != nil {
		return nil, err
	}
	p.committed(res)
	return res, nil
}

// resent reads the request another transaction created with refid.
func (p *Service) resent(ctx context.Context, partner, refid, hash string) (*Result, error) {
	var res *Result
	err := p.view(ctx, func(tx Tx) error {
		prev, err := tx.PartnerRequestByRef(partner, refid)
		if err != nil {
			return err
		}
		if prev.RequestHash != hash {
			return smsgw.Errorf(smsgw.EConflict, "refid already used for another request")
		}
		res = &Result{Request: *prev, Resent: true}
		return nil
	})
	return res, err
}

// committed reports a new request after its transaction committed.
func (p *Service) committed(res *Result) {
	if res == nil || res.Resent {
		return
	}
	r := &res.Request
	if r.State == Success && r.Kind != KindVAReversal {
		kind := TransferH2H
		if r.Kind == KindVA {
			kind = TransferBankVA
		}
		p.g.Credited(kind, r.Amount)
	}
	p.g.WakeSender()
	p.log.Info("partner request", "partner", r.Partner, "trxid", r.ID, "refid", r.RefID, "kind", r.Kind,
		"state", string(r.State), "msisdn", r.Dest, "amount", int64(r.Amount), "duplicate", r.Duplicate)
}

// previous looks up the partner's earlier request with refid: a resend of
// the same request returns it, another request with the same refid is a
// conflict.
func previous(tx Tx, partner, refid, hash string) (*Result, *rejection, error) {
	prev, err := tx.PartnerRequestByRef(partner, refid)
	if smsgw.ErrorCode(err) == smsgw.ENotFound {
		return nil, nil, nil
	} else if err != nil {
		return nil, nil, err
	}
	if prev.RequestHash != hash {
		return nil, reject(smsgw.EConflict, "refid already used for another request"), nil
	}
	return &Result{Request: *prev, Resent: true}, nil, nil
}

// creditTx runs a top-up or payment in tx: a resend returns the original,
// a new refid is credited, made pending or refused; a refusal is recorded
// as a failed request with its final report (Refused).
func (p *Service) creditTx(tx Tx, now time.Time, pt Partner, spec creditSpec) (*Result, *rejection, error) {
	if res, rej, err := previous(tx, pt.ID, spec.refid, spec.hash); res != nil || rej != nil || err != nil {
		return res, rej, err
	}
	res, rej, err := p.creditNewTx(tx, now, pt, spec)
	if rej != nil && err == nil {
		err = p.refuseTx(tx, now, pt, spec, rej)
	}
	return res, rej, err
}

// refuseTx records the refusal rej of a new request as a failed request,
// with its final report, and attaches it to rej. The refusal's other
// effects (the destination's failure count) are the caller's.
func (p *Service) refuseTx(tx Tx, now time.Time, pt Partner, spec creditSpec, rej *rejection) error {
	dep, err := tx.Account(pt.Deposit)
	if err != nil {
		return fmt.Errorf("deposit of partner %s: %w", pt.ID, err)
	}
	msg := rej.err.Error()
	if spec.inquiryID != 0 {
		// Not linked to the inquiry, which may still be paid.
		msg = fmt.Sprintf("payment of inquiry %d: %s", spec.inquiryID, msg)
	}
	r := &Request{
		Partner: pt.ID, RefID: spec.refid, Kind: spec.kind, Mode: pt.Mode, Product: spec.product, Dest: spec.dest,
		Amount: spec.amount, RequestHash: spec.hash, State: Failed, Code: smsgw.ErrorCode(rej.err), Message: msg,
		BalanceBefore: dep.Balance, BalanceAfter: dep.Balance, CreatedAt: now, UpdatedAt: now, ResolvedAt: &now,
	}
	if err := p.createRequest(tx, r); err != nil {
		return err
	}
	if err := queueCallback(tx, r, now); err != nil {
		return err
	}
	rej.recorded = r
	return nil
}

// creditNewTx credits, or makes pending, a request whose refid is new, or
// says why it is refused.
func (p *Service) creditNewTx(tx Tx, now time.Time, pt Partner, spec creditSpec) (*Result, *rejection, error) {
	if p.o.Cutoff.Contains(now) {
		return nil, reject(ECutoff, "cutoff window: new requests are refused until %s", p.cutoffEnd()), nil
	}
	d, err := tx.Destination(string(spec.dest))
	if err != nil {
		return nil, nil, err
	}
	if d.Failures >= p.o.BlockAfter {
		return nil, reject(EBlocked, "destination blocked after %d consecutive failures", d.Failures), nil
	}
	account := spec.dest
	var payer *smsgw.Customer
	if pt.Mode == ModeConfirm {
		c, err := tx.Customer(spec.dest)
		if smsgw.ErrorCode(err) == smsgw.ENotFound {
			if err := destinationResult(tx, spec.dest, false, now); err != nil {
				return nil, nil, err
			}
			return nil, reject(ENotCustomer, "destination is not registered for SMS banking confirmation"), nil
		} else if err != nil {
			return nil, nil, err
		}
		if c.Locked(now) {
			return nil, reject(smsgw.ELocked, "the customer is locked after wrong PINs"), nil
		}
		payer, account = c, c.Account
	}
	wallet, err := tx.Account(domain.WalletID(account))
	if smsgw.ErrorCode(err) == smsgw.ENotFound {
		if err := destinationResult(tx, spec.dest, false, now); err != nil {
			return nil, nil, err
		}
		return nil, reject(EDestination, "no i-pay account %s", account.Local()), nil
	} else if err != nil {
		return nil, nil, err
	}
	dup := false
	if _, err := tx.LastPartnerRequest(pt.ID, spec.product, string(spec.dest), now.Add(-p.o.DuplicateWindow)); err == nil {
		if p.o.RejectDuplicates {
			return nil, reject(EPossibleDup, "same product and destination within %s", p.o.DuplicateWindow), nil
		}
		dup = true
	} else if smsgw.ErrorCode(err) != smsgw.ENotFound {
		return nil, nil, err
	}
	dep, err := tx.Account(pt.Deposit)
	if err != nil {
		return nil, nil, fmt.Errorf("deposit of partner %s: %w", pt.ID, err)
	}
	r := &Request{
		Partner: pt.ID, RefID: spec.refid, Kind: spec.kind, Mode: pt.Mode, Product: spec.product, Dest: spec.dest,
		Amount: spec.amount, RequestHash: spec.hash, InquiryID: spec.inquiryID, Duplicate: dup,
		BalanceBefore: dep.Balance, BalanceAfter: dep.Balance, CreatedAt: now, UpdatedAt: now,
	}
	if pt.Mode == ModeConfirm {
		return p.confirmTx(tx, now, r, payer)
	}
	r.TransferKey = "h2h:" + pt.ID + ":" + spec.refid
	t := &smsgw.Transfer{
		IdempotencyKey: r.TransferKey, RequestHash: spec.hash, Kind: TransferH2H,
		From: pt.Deposit, To: wallet.ID, Amount: spec.amount, Reference: spec.refid, CreatedAt: now,
	}
	if err := tx.Transfer(t); smsgw.ErrorCode(err) == smsgw.EFunds {
		return nil, reject(smsgw.EFunds, "partner deposit too low"), nil
	} else if err != nil {
		return nil, nil, err
	}
	r.TransferID, r.SN, r.Price = t.ID, "H2H"+strconv.FormatInt(t.ID, 10), spec.amount
	r.BalanceAfter = dep.Balance - spec.amount
	r.State, r.ResolvedAt = Success, &now
	if err := p.createRequest(tx, r); err != nil {
		return nil, nil, err
	}
	if err := settlePartner(tx, r, now); err != nil {
		return nil, nil, err
	}
	if err := p.notifyCustomer(tx, r, wallet); err != nil {
		return nil, nil, err
	}
	return &Result{Request: *r}, nil, nil
}

// createRequest inserts r; a unique conflict means a concurrent request
// with the same refid won, and the whole transaction must roll back.
func (p *Service) createRequest(tx Tx, r *Request) error {
	err := tx.CreatePartnerRequest(r)
	if smsgw.ErrorCode(err) == smsgw.EConflict {
		return fmt.Errorf("create partner request %s/%s: %w", r.Partner, r.RefID, errRaced)
	}
	return err
}

// confirmTx opens a PIN session for payer and records the pending
// request; the PIN prompt goes out from the PIN short code.
func (p *Service) confirmTx(tx Tx, now time.Time, r *Request, payer *smsgw.Customer) (*Result, *rejection, error) {
	rules := p.g.Rules()
	s := &smsgw.Session{
		MSISDN: payer.MSISDN, Account: payer.Account, Amount: r.Amount, State: smsgw.StateAwaitingPIN,
		Channel: smsgw.ChannelSMS, CreatedAt: now, ExpiresAt: now.Add(rules.SessionTTL),
	}
	if err := tx.CreateSession(s); smsgw.ErrorCode(err) == smsgw.EBusy {
		return nil, reject(smsgw.EBusy, "the customer has a request waiting for a PIN"), nil
	} else if err != nil {
		return nil, nil, err
	}
	r.SessionID, r.State = s.ID, Pending
	if err := p.createRequest(tx, r); err != nil {
		return nil, nil, err
	}
	d := smsgw.ReplyData{Account: payer.Account.Local(), Amount: r.Amount.Grouped(), TTL: int(rules.SessionTTL / time.Minute)}
	if err := p.g.EnqueueReply(tx, &rules, rules.PINCode, payer.MSISDN, smsgw.ReplyPINPrompt, d, s.ID, 0); err != nil {
		return nil, nil, err
	}
	return &Result{Request: *r}, nil, nil
}

// notifyCustomer tells the wallet's owner about a credit a partner made.
func (p *Service) notifyCustomer(tx Tx, r *Request, wallet *smsgw.Account) error {
	rules := p.g.Rules()
	to := wallet.Owner
	if to == "" {
		to = r.Dest
	}
	d := smsgw.ReplyData{Account: r.Dest.Local(), Amount: r.Amount.Grouped(), Ref: r.SN}
	return p.g.EnqueueReply(tx, &rules, rules.RequestCode, to, smsgw.ReplySuccess, d, 0, r.TransferID)
}

// cutoffEnd formats the end of the cutoff window.
func (p *Service) cutoffEnd() string {
	e := p.o.Cutoff.End
	return fmt.Sprintf("%02d:%02d", int(e.Hours()), int(e.Minutes())%60)
}

// Inquire returns the amount and account holder of a top-up, valid for
// the inquiry TTL; Pay references it. Errors as TopUp, except those of
// the refid and the deposit.
func (p *Service) Inquire(ctx context.Context, req InquiryRequest) (*Inquiry, error) {
	pt, err := p.partner(req.Partner)
	if err != nil {
		return nil, err
	}
	product, amount, err := p.product(req.Product)
	if err != nil {
		return nil, err
	}
	dest, err := parseDest(req.Dest)
	if err != nil {
		return nil, err
	}
	var q *Inquiry
	err = p.exec(ctx, pt.ID, req.Nonce, func(tx Tx, now time.Time) (*rejection, error) {
		if p.o.Cutoff.Contains(now) {
			return reject(ECutoff, "cutoff window: new requests are refused until %s", p.cutoffEnd()), nil
		}
		d, err := tx.Destination(string(dest))
		if err != nil {
			return nil, err
		}
		if d.Failures >= p.o.BlockAfter {
			return reject(EBlocked, "destination blocked after %d consecutive failures", d.Failures), nil
		}
		account, name := dest, ""
		if c, err := tx.Customer(dest); err == nil {
			name = c.Name
			if pt.Mode == ModeConfirm {
				account = c.Account
			}
		} else if smsgw.ErrorCode(err) != smsgw.ENotFound {
			return nil, err
		} else if pt.Mode == ModeConfirm {
			return reject(ENotCustomer, "destination is not registered for SMS banking confirmation"), nil
		}
		if _, err := tx.Account(domain.WalletID(account)); smsgw.ErrorCode(err) == smsgw.ENotFound {
			return reject(EDestination, "no i-pay account %s", account.Local()), nil
		} else if err != nil {
			return nil, err
		}
		q = &Inquiry{Partner: pt.ID, Product: product, Dest: dest, Amount: amount, Name: name,
			CreatedAt: now, ExpiresAt: now.Add(p.o.InquiryTTL)}
		return nil, tx.CreateInquiry(q)
	})
	if err != nil {
		return nil, err
	}
	return q, nil
}

// Pay pays an inquiry of the same partner: a top-up of the inquiry's
// product and destination with RefID as idempotency key. Errors as TopUp,
// plus ENotFound (no such inquiry), EExpired, EInvalid (amount differs)
// and EPaid (inquiry already paid under another refid).
func (p *Service) Pay(ctx context.Context, req PaymentRequest) (*Result, error) {
	pt, err := p.partner(req.Partner)
	if err != nil {
		return nil, err
	}
	if err := checkRef("refid", req.RefID); err != nil {
		return nil, err
	}
	if req.InquiryID <= 0 {
		return nil, smsgw.Errorf(smsgw.EInvalid, "inquiry id required")
	}
	if req.Amount < 0 {
		return nil, smsgw.Errorf(smsgw.EInvalid, "amount must be positive")
	}
	spec := creditSpec{
		kind: KindPayment, refid: req.RefID, inquiryID: req.InquiryID,
		hash: smsgw.RequestHash(KindPayment, strconv.FormatInt(req.InquiryID, 10), strconv.FormatInt(int64(req.Amount), 10)),
	}
	var res *Result
	err = p.exec(ctx, pt.ID, req.Nonce, func(tx Tx, now time.Time) (*rejection, error) {
		if r, rej, err := previous(tx, pt.ID, req.RefID, spec.hash); r != nil || rej != nil || err != nil {
			res = r
			return rej, err
		}
		q, err := tx.Inquiry(req.InquiryID)
		if smsgw.ErrorCode(err) == smsgw.ENotFound || (err == nil && q.Partner != pt.ID) {
			return reject(smsgw.ENotFound, "inquiry %d not found", req.InquiryID), nil
		} else if err != nil {
			return nil, err
		}
		if !now.Before(q.ExpiresAt) {
			return reject(smsgw.EExpired, "inquiry %d expired", q.ID), nil
		}
		if req.Amount != 0 && req.Amount != q.Amount {
			return reject(smsgw.EInvalid, "amount %d differs from the inquiry's %d", int64(req.Amount), int64(q.Amount)), nil
		}
		if _, err := tx.PartnerRequestByInquiry(q.ID); err == nil {
			return reject(EPaid, "inquiry %d already paid", q.ID), nil
		} else if smsgw.ErrorCode(err) != smsgw.ENotFound {
			return nil, err
		}
		spec.product, spec.dest, spec.amount = q.Product, q.Dest, q.Amount
		var rej *rejection
		res, rej, err = p.creditTx(tx, now, pt, spec)
		return rej, err
	})
	return p.outcome(ctx, pt.ID, req.RefID, spec.hash, res, err)
}

// PayVA credits the account of a virtual account once per bank reference,
// funded from the bank partner's settlement account, and sends the wallet
// owner an SMS. The cutoff does not apply: the customer has already paid.
// Errors: ENotFound (unknown partner), EForbidden (partner not enabled for
// VA), EInvalid, EReplay, EConflict (bank reference used for another
// payment), EDestination, EProduct (amount not allowed).
func (p *Service) PayVA(ctx context.Context, req VAPayment) (*Result, error) {
	pt, err := p.partner(req.Partner)
	if err != nil {
		return nil, err
	}
	if !pt.VA {
		return nil, smsgw.Errorf(EForbidden, "partner is not enabled for virtual account payments")
	}
	if err := checkRef("bank reference", req.BankRef); err != nil {
		return nil, err
	}
	account, err := ParseVA(p.o.VAPrefix, req.VA)
	if err != nil {
		return nil, err
	}
	if req.Amount <= 0 {
		return nil, smsgw.Errorf(smsgw.EInvalid, "amount must be positive")
	}
	if err := p.g.Rules().Keywords.CheckAmount(req.Amount); err != nil {
		return nil, smsgw.Errorf(EProduct, "amount %s is not allowed", req.Amount.Grouped())
	}
	hash := smsgw.RequestHash(KindVA, string(account), strconv.FormatInt(int64(req.Amount), 10))
	var res *Result
	err = p.exec(ctx, pt.ID, req.Nonce, func(tx Tx, now time.Time) (*rejection, error) {
		if r, rej, err := previous(tx, pt.ID, req.BankRef, hash); r != nil || rej != nil || err != nil {
			res = r
			return rej, err
		}
		wallet, err := tx.Account(domain.WalletID(account))
		if smsgw.ErrorCode(err) == smsgw.ENotFound {
			return reject(EDestination, "no i-pay account %s", account.Local()), nil
		} else if err != nil {
			return nil, err
		}
		paid := req.PaidAt
		if paid.IsZero() {
			paid = now
		}
		r := &Request{
			Partner: pt.ID, RefID: req.BankRef, Kind: KindVA, Mode: ModeImmediate, Dest: account,
			Amount: req.Amount, RequestHash: hash, TransferKey: "va:" + pt.ID + ":" + req.BankRef,
			PaidAt: paid, CreatedAt: now, UpdatedAt: now,
		}
		t := &smsgw.Transfer{
			IdempotencyKey: r.TransferKey, RequestHash: hash, Kind: TransferBankVA, From: pt.Settlement,
			To: wallet.ID, Amount: req.Amount, Reference: req.BankRef, CreatedAt: now,
		}
		if err := tx.Transfer(t); err != nil {
			return nil, err
		}
		r.TransferID, r.SN = t.ID, "VA"+strconv.FormatInt(t.ID, 10)
		r.State, r.ResolvedAt = Success, &now
		if err := p.createRequest(tx, r); err != nil {
			return nil, err
		}
		if err := settlePartner(tx, r, now); err != nil {
			return nil, err
		}
		if err := p.notifyCustomer(tx, r, wallet); err != nil {
			return nil, err
		}
		res = &Result{Request: *r}
		return nil, nil
	})
	return p.outcome(ctx, pt.ID, req.BankRef, hash, res, err)
}
