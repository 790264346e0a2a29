package smsgw

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/smsgw/smsgw/domain"
)

// Corrections of the ledger are never an edit or a delete: a reversal is a
// new transfer from the account credited back to the account debited,
// linked to the transfer it undoes (Transfer.ReversesID), for all of it or
// a part, never more than what remains of it. A refund is the same for the
// credit of an outside request, back to the source account it came from
// (a deposit, or a bank's settlement account); it applies only to
// transfers of the kinds registered as refundable (AllowRefunds). Each is
// requested by one operator (the maker) and approved by another (the
// checker) before it expires; both steps and a rejection are in the audit
// trail, each in the transaction of its change.
// The customer whose wallet is corrected is told by SMS.

// Audit actions of corrections.
const (
	ActionCorrectionRequest = "ledger.correction_request"
	ActionCorrectionApprove = "ledger.correction_approve"
	ActionCorrectionReject  = "ledger.correction_reject"
	ActionCorrectionExpire  = "ledger.correction_expire"
)

// DefaultCorrectionTTL is how long a correction waits for its checker.
const DefaultCorrectionTTL = 24 * time.Hour

// maxReason bounds the reason of a correction.
const maxReason = 200

// AllowRefunds registers kinds as refundable transfer kinds: the credits
// of outside requests (made by a domain built on the Gateway, not by the
// SMS core), which a correction may undo as a refund back to the source
// account they came from, or as a reversal. The core knows its own kind
// (an SMS top-up may only be reversed); a transfer of a kind neither it
// nor a registration knows cannot be corrected. Register the kinds at
// wiring time, before Run, as the session hook (SetSessionHook).
func (g *Gateway) AllowRefunds(kinds ...string) {
	for _, k := range kinds {
		g.refundable.Store(k, true)
	}
}

// Refundable reports whether a transfer of kind may be refunded: whether
// kind was registered with AllowRefunds.
func (g *Gateway) Refundable(kind string) bool {
	_, ok := g.refundable.Load(kind)
	return ok
}

// correctable reports whether a correction may undo a transfer of kind,
// and whether it may be a refund.
func (g *Gateway) correctable(kind string) (ok, refundable bool) {
	if kind == TransferSMSTopUp {
		return true, false
	}
	refundable = g.Refundable(kind)
	return refundable, refundable
}

// CorrectionRequest asks for a correction of one transfer.
type CorrectionRequest struct {
	Kind       string        // CorrectionReversal (default) or CorrectionRefund
	TransferID int64         // the transfer to undo
	Amount     domain.Amount // 0: all that remains of it
	Reason     string
	// Key makes the request idempotent: asked again with the same key,
	// the same correction is returned; with another transfer, kind or
	// amount, it is EConflict. Empty: a key made of the maker, the
	// transfer, the kind, the amount and the reason.
	Key string
}

// RequestCorrection records who's request for a correction, with its
// audit entry, for another operator to approve. EInvalid for a missing
// reason or actor, a transfer of a kind that cannot be undone (a reversal
// itself, a deposit top-up), a refund of a transfer that is no outside
// request's credit (its kind not registered as refundable), or an amount
// over what remains; EConflict when nothing remains (reversed, or asked
// for by open requests) or the key was used for another request;
// ENotFound for an unknown transfer.
func (g *Gateway) RequestCorrection(ctx context.Context, who Actor, req CorrectionRequest) (*Correction, error) {
	req.Reason = strings.TrimSpace(req.Reason)
	if req.Kind == "" {
		req.Kind = CorrectionReversal
	}
	switch {
	case who.Name == "":
		return nil, Errorf(EInvalid, "a correction needs the name of the operator asking for it")
	case req.Kind != CorrectionReversal && req.Kind != CorrectionRefund:
		return nil, Errorf(EInvalid, "correction kind must be %s or %s", CorrectionReversal, CorrectionRefund)
	case req.Reason == "" || len(req.Reason) > maxReason:
		return nil, Errorf(EInvalid, "a correction needs a reason of 1 to %d characters", maxReason)
	case req.Amount < 0:
		return nil, Errorf(EInvalid, "amount must be positive")
	}
	if req.Key == "" {
		req.Key = fmt.Sprintf("%s:%d:%s:%d:%s", strings.ToLower(who.Name), req.TransferID, req.Kind, req.Amount, req.Reason)
	}
	var c *Correction
	err := g.store.Update(ctx, func(tx Tx) error {
		c = nil
		if old, err := tx.CorrectionByKey(req.Key); err == nil {
			if old.TransferID != req.TransferID || old.Kind != req.Kind || req.Amount != 0 && old.Amount != req.Amount {
				return Errorf(EConflict, "correction key %q was used for another request (correction %d)", req.Key, old.ID)
			}
			c = old
			return nil
		} else if ErrorCode(err) != ENotFound {
			return err
		}
		orig, err := tx.TransferByID(req.TransferID)
		if err != nil {
			return err
		}
		ok, refundable := g.correctable(orig.Kind)
		switch {
		case !ok:
			return Errorf(EInvalid, "transfer %d (%s) cannot be corrected", orig.ID, orig.Kind)
		case req.Kind == CorrectionRefund && !refundable:
			return Errorf(EInvalid, "transfer %d (%s) is no outside request's credit; ask for a reversal", orig.ID, orig.Kind)
		}
		done, open, err := tx.Reversed(orig.ID)
		if err != nil {
			return err
		}
		remaining := orig.Amount - done - open
		amount := req.Amount
		switch {
		case remaining <= 0:
			return Errorf(EConflict, "nothing remains of transfer %d to correct (Rp%s reversed, Rp%s asked for)",
				orig.ID, done.Grouped(), open.Grouped())
		case amount == 0:
			amount = remaining
		case amount > remaining:
			return Errorf(EInvalid, "Rp%s is more than what remains of transfer %d (Rp%s)", amount.Grouped(), orig.ID, remaining.Grouped())
		}
		now := g.now()
		c = &Correction{Kind: req.Kind, TransferID: orig.ID, Amount: amount, Reason: req.Reason, IdempotencyKey: req.Key,
			Maker: who.Name, CreatedAt: now, ExpiresAt: now.Add(g.correctionTTL)}
		if err := tx.CreateCorrection(c); err != nil {
			return err
		}
		return tx.AppendAudit(auditEntry(who, ActionCorrectionRequest, correctionTarget(c),
			fmt.Sprintf("%s of Rp%s of transfer %d requested: %s", c.Kind, c.Amount.Grouped(), c.TransferID, c.Reason), now))
	})
	if err != nil {
		return nil, fmt.Errorf("request correction of transfer %d: %w", req.TransferID, err)
	}
	g.log.Info("correction requested", "correction", c.ID, "kind", c.Kind, "transfer", c.TransferID, "amount", c.Amount, "maker", c.Maker)
	return c, nil
}

func correctionTarget(c *Correction) string { return "correction:" + strconv.FormatInt(c.ID, 10) }

// ApproveCorrection approves correction id as who, which must not be its
// maker: the reversing transfer, the decision, its audit entry and the
// customer's SMS are written in one transaction. EInvalid when who is the
// maker; EConflict when it is decided already or what remains of the
// transfer no longer covers it; EExpired past its expiry (it is then
// marked expired); EFunds when the account to debit holds too little (it
// stays requested).
func (g *Gateway) ApproveCorrection(ctx context.Context, who Actor, id int64) (*Correction, error) {
	c, err := g.decide(ctx, who, id, func(tx Tx, c *Correction, now time.Time) error {
		orig, err := tx.TransferByID(c.TransferID)
		if err != nil {
			return err
		}
		kind, ref := TransferReversal, "REV"
		if c.Kind == CorrectionRefund {
			kind, ref = TransferRefund, "RFD"
		}
		t, err := g.Reverse(tx, Reversal{
			Of: orig, Amount: c.Amount, Kind: kind, Key: "correction:" + strconv.FormatInt(c.ID, 10),
			Hash:      requestHash("correction", c.Kind, strconv.FormatInt(orig.ID, 10), strconv.FormatInt(int64(c.Amount), 10)),
			Reference: ref + strconv.FormatInt(c.ID, 10),
		}, now)
		if err != nil {
			return err
		}
		c.State, c.Checker, c.ResultTransferID, c.DecidedAt = CorrectionApproved, who.Name, t.ID, &now
		if err := tx.DecideCorrection(c); err != nil {
			return err
		}
		return tx.AppendAudit(auditEntry(who, ActionCorrectionApprove, correctionTarget(c),
			fmt.Sprintf("%s of Rp%s of transfer %d approved as transfer %d (requested by %s)", c.Kind, c.Amount.Grouped(), orig.ID, t.ID, c.Maker), now))
	})
	if err != nil {
		return nil, fmt.Errorf("approve correction %d: %w", id, err)
	}
	g.log.Info("correction approved", "correction", c.ID, "kind", c.Kind, "transfer", c.TransferID, "reversal", c.ResultTransferID,
		"amount", c.Amount, "maker", c.Maker, "checker", c.Checker)
	g.wake(g.wakeMT)
	return c, nil
}

// RejectCorrection rejects correction id as who (not its maker), with a
// note, and its audit entry. Errors as ApproveCorrection.
func (g *Gateway) RejectCorrection(ctx context.Context, who Actor, id int64, note string) (*Correction, error) {
	note = strings.TrimSpace(note)
	if note == "" || len(note) > maxReason {
		return nil, Errorf(EInvalid, "a rejection needs a note of 1 to %d characters", maxReason)
	}
	c, err := g.decide(ctx, who, id, func(tx Tx, c *Correction, now time.Time) error {
		c.State, c.Checker, c.Note, c.DecidedAt = CorrectionRejected, who.Name, note, &now
		if err := tx.DecideCorrection(c); err != nil {
			return err
		}
		return tx.AppendAudit(auditEntry(who, ActionCorrectionReject, correctionTarget(c),
			fmt.Sprintf("%s of Rp%s of transfer %d rejected (requested by %s): %s", c.Kind, c.Amount.Grouped(), c.TransferID, c.Maker, note), now))
	})
	if err != nil {
		return nil, fmt.Errorf("reject correction %d: %w", id, err)
	}
	g.log.Info("correction rejected", "correction", c.ID, "maker", c.Maker, "checker", c.Checker)
	return c, nil
}

// decide runs fn, who's decision on correction id, in a transaction,
// once the correction is found still requested, not expired and not who's
// own. A correction past its expiry is marked expired (and committed) and
// EExpired returned.
func (g *Gateway) decide(ctx context.Context, who Actor, id int64, fn func(Tx, *Correction, time.Time) error) (*Correction, error) {
	var (
		c       *Correction
		expired bool
	)
	err := g.store.Update(ctx, func(tx Tx) (err error) {
		expired = false
		if c, err = g.decidable(tx, who, id); err != nil {
			return err
		}
		now := g.now()
		if !now.Before(c.ExpiresAt) {
			expired = true
			return g.expire(tx, c, now)
		}
		return fn(tx, c, now)
	})
	if err == nil && expired {
		err = Errorf(EExpired, "correction %d expired at %s", id, c.ExpiresAt.UTC().Format(time.RFC3339))
	}
	return c, err
}

// decidable loads correction id for who's decision: still requested, and
// who is not its maker.
func (g *Gateway) decidable(tx Tx, who Actor, id int64) (*Correction, error) {
	if who.Name == "" {
		return nil, Errorf(EInvalid, "a decision needs the name of the operator making it")
	}
	c, err := tx.Correction(id)
	if err != nil {
		return nil, err
	}
	if c.State != CorrectionRequested {
		return nil, Errorf(EConflict, "correction %d is %s already", id, c.State)
	}
	if strings.EqualFold(c.Maker, who.Name) {
		return nil, Errorf(EInvalid, "correction %d was requested by %s: another operator must decide it", id, c.Maker)
	}
	return c, nil
}

func (g *Gateway) expire(tx Tx, c *Correction, now time.Time) error {
	c.State, c.DecidedAt = CorrectionExpired, &now
	if err := tx.DecideCorrection(c); err != nil {
		return err
	}
	return tx.AppendAudit(auditEntry(Actor{Name: "system"}, ActionCorrectionExpire, correctionTarget(c),
		fmt.Sprintf("%s of Rp%s of transfer %d expired undecided (requested by %s)", c.Kind, c.Amount.Grouped(), c.TransferID, c.Maker), now))
}

// ExpireCorrections marks requested corrections past their expiry as
// expired, each with its audit entry, and returns how many.
func (g *Gateway) ExpireCorrections(ctx context.Context, now time.Time) (int, error) {
	var n int
	err := g.store.Update(ctx, func(tx Tx) error {
		n = 0
		due, err := tx.DueCorrections(now, 100)
		if err != nil {
			return err
		}
		for i := range due {
			if err := g.expire(tx, &due[i], now); err != nil {
				return err
			}
		}
		n = len(due)
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("expire corrections: %w", err)
	}
	if n > 0 {
		g.log.Info("corrections expired undecided", "count", n)
	}
	return n, nil
}

// Corrections lists corrections, newest first.
func (g *Gateway) Corrections(ctx context.Context, f CorrectionFilter) ([]Correction, error) {
	var cs []Correction
	err := g.store.View(ctx, func(tx Tx) (err error) {
		cs, err = tx.Corrections(f)
		return err
	})
	return cs, err
}

// Reversal is a transfer giving back Amount of transfer Of.
type Reversal struct {
	Of        *Transfer
	Amount    domain.Amount
	Kind      string // TransferReversal or TransferRefund
	Key       string // idempotency key of the reversing transfer
	Hash      string // request hash of the reversing transfer
	Reference string
}

// Reverse writes in tx the transfer r asks for: r.Amount from the account
// r.Of credited back to the account it debited, linked to it by
// ReversesID, and queues the SMS telling the wallet's owner. EInvalid for
// an amount that is not positive; EConflict when less than r.Amount
// remains of r.Of (earlier reversals of it deducted); EFunds when the
// account to debit holds too little: no account is left below zero.
// Operators' corrections and reversals asked for by outside requests both
// end here.
func (g *Gateway) Reverse(tx Tx, r Reversal, now time.Time) (*Transfer, error) {
	orig := r.Of
	if r.Amount <= 0 {
		return nil, Errorf(EInvalid, "a reversal needs a positive amount")
	}
	done, _, err := tx.Reversed(orig.ID)
	if err != nil {
		return nil, err
	}
	if r.Amount > orig.Amount-done {
		return nil, Errorf(EConflict, "Rp%s is more than what remains of transfer %d (Rp%s)", r.Amount.Grouped(), orig.ID, (orig.Amount - done).Grouped())
	}
	t := &Transfer{
		IdempotencyKey: r.Key, RequestHash: r.Hash, Kind: r.Kind, From: orig.To, To: orig.From, Amount: r.Amount,
		ReversesID: orig.ID, Reference: r.Reference, CreatedAt: now,
	}
	if err := tx.Transfer(t); ErrorCode(err) == EFunds {
		return nil, Errorf(EFunds, "account %s holds less than Rp%s", orig.To, r.Amount.Grouped())
	} else if err != nil {
		return nil, err
	}
	if err := g.tellCorrected(tx, orig, t); err != nil {
		return nil, err
	}
	return t, nil
}

// tellCorrected queues the SMS telling a customer their wallet was
// corrected by reversal t of transfer orig.
func (g *Gateway) tellCorrected(tx Tx, orig, t *Transfer) error {
	acc, err := tx.Account(orig.To)
	if err != nil {
		return err
	}
	if acc.Kind != domain.KindWallet || acc.Owner == "" {
		return nil
	}
	r := g.rules.Load()
	ref := orig.Reference
	if ref == "" {
		ref = strconv.FormatInt(orig.ID, 10)
	}
	d := ReplyData{Account: acc.Owner.Local(), Amount: t.Amount.Grouped(), Balance: acc.Balance.Grouped(), Ref: ref}
	return g.enqueue(tx, r, r.RequestCode, acc.Owner, Address{}, "", ChannelSMS, "", ReplyCorrected, d, 0, t.ID)
}
