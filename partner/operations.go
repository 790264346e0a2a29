package partner

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/smsgw/smsgw/domain"
	"github.com/smsgw/smsgw/smsgw"
)

// Status returns the partner's request with refid (ENotFound), after
// recording nonce if given (EReplay).
func (p *Service) Status(ctx context.Context, partner, nonce, refid string) (*Request, error) {
	if _, err := p.partner(partner); err != nil {
		return nil, err
	}
	if !ValidRefID(refid) {
		return nil, smsgw.Errorf(smsgw.EInvalid, "refid required")
	}
	var r *Request
	fn := func(tx Tx, _ time.Time) (*rejection, error) {
		var err error
		r, err = tx.PartnerRequestByRef(partner, refid)
		if smsgw.ErrorCode(err) == smsgw.ENotFound {
			return &rejection{err: err}, nil
		}
		return nil, err
	}
	if err := p.read(ctx, partner, nonce, fn); err != nil {
		return nil, err
	}
	return r, nil
}

// Balance returns the partner's deposit balance, after recording nonce if
// given (EReplay).
func (p *Service) Balance(ctx context.Context, partner, nonce string) (domain.Amount, error) {
	pt, err := p.partner(partner)
	if err != nil {
		return 0, err
	}
	var bal domain.Amount
	err = p.read(ctx, partner, nonce, func(tx Tx, _ time.Time) (*rejection, error) {
		a, err := tx.Account(pt.Deposit)
		if err != nil {
			return nil, err
		}
		bal = a.Balance
		return nil, nil
	})
	return bal, err
}

// read runs a read-only fn: in a write transaction when a nonce must be
// recorded, else in a read transaction.
func (p *Service) read(ctx context.Context, partner, nonce string, fn func(tx Tx, now time.Time) (*rejection, error)) error {
	if nonce != "" {
		return p.exec(ctx, partner, nonce, fn)
	}
	var rej *rejection
	err := p.view(ctx, func(tx Tx) error {
		var err error
		rej, err = fn(tx, p.g.Now())
		return err
	})
	if err != nil {
		return err
	}
	if rej != nil {
		return rej.err
	}
	return nil
}

// Deposit tops up a partner's deposit from the deposit-funding account,
// with its audit entry in the same transaction. ref (the bank transfer's
// reference) makes it idempotent: the same ref and amount return the first
// transfer (and record nothing), another amount is EConflict.
func (p *Service) Deposit(ctx context.Context, who smsgw.Actor, partner string, amount domain.Amount, ref string) (*smsgw.Transfer, error) {
	pt, err := p.partner(partner)
	if err != nil {
		return nil, err
	}
	if amount <= 0 {
		return nil, smsgw.Errorf(smsgw.EInvalid, "amount must be positive")
	}
	if !ValidRefID(ref) {
		return nil, smsgw.Errorf(smsgw.EInvalid, "reference must be 1-64 printable characters without spaces")
	}
	key := "deposit:" + pt.ID + ":" + ref
	hash := smsgw.RequestHash(TransferDeposit, pt.ID, strconv.FormatInt(int64(amount), 10))
	var t *smsgw.Transfer
	err = p.update(ctx, func(tx Tx) error {
		prev, err := tx.TransferByKey(key)
		if err == nil {
			if prev.RequestHash != hash {
				return smsgw.Errorf(smsgw.EConflict, "deposit reference %s already used with another amount", ref)
			}
			t = prev
			return nil
		} else if smsgw.ErrorCode(err) != smsgw.ENotFound {
			return err
		}
		now := p.g.Now()
		t = &smsgw.Transfer{IdempotencyKey: key, RequestHash: hash, Kind: TransferDeposit, From: p.o.DepositFunding,
			To: pt.Deposit, Amount: amount, Reference: ref, CreatedAt: now}
		if err := tx.Transfer(t); err != nil {
			return err
		}
		detail := fmt.Sprintf("deposit +Rp%s, ref %s, transfer %d", amount.Grouped(), ref, t.ID)
		return tx.AppendAudit(smsgw.NewAuditEntry(who, ActionDeposit, pt.ID, detail, now))
	})
	if err != nil {
		return nil, err
	}
	p.log.Info("partner deposit", "partner", pt.ID, "transfer", t.ID, "amount", int64(amount))
	return t, nil
}

// DepositAccount returns a partner's deposit account.
func (p *Service) DepositAccount(ctx context.Context, partner string) (*smsgw.Account, error) {
	pt, err := p.partner(partner)
	if err != nil {
		return nil, err
	}
	var a *smsgw.Account
	err = p.view(ctx, func(tx Tx) error {
		var err error
		a, err = tx.Account(pt.Deposit)
		return err
	})
	return a, err
}

// Unblock clears the failure counter of a destination, with its audit
// entry in the same transaction.
func (p *Service) Unblock(ctx context.Context, who smsgw.Actor, dest string) error {
	d, err := parseDest(dest)
	if err != nil {
		return err
	}
	err = p.update(ctx, func(tx Tx) error {
		now := p.g.Now()
		prev, err := tx.Destination(string(d))
		if err != nil {
			return err
		}
		if err := tx.SetDestination(&Destination{Dest: d, UpdatedAt: now}); err != nil {
			return err
		}
		detail := fmt.Sprintf("failure count %d cleared", prev.Failures)
		return tx.AppendAudit(smsgw.NewAuditEntry(who, ActionUnblock, string(d), detail, now))
	})
	if err == nil {
		p.log.Info("destination unblocked", "msisdn", d)
	}
	return err
}

// Blocked lists destinations at or over the block threshold.
func (p *Service) Blocked(ctx context.Context, limit int) ([]Destination, error) {
	var ds []Destination
	err := p.view(ctx, func(tx Tx) error {
		var err error
		ds, err = tx.Destinations(p.o.BlockAfter, limit)
		return err
	})
	return ds, err
}

// Requests lists partner requests.
func (p *Service) Requests(ctx context.Context, f RequestFilter) ([]Request, error) {
	var rs []Request
	err := p.view(ctx, func(tx Tx) error {
		var err error
		rs, err = tx.PartnerRequests(f)
		return err
	})
	return rs, err
}

// PurgeNonces forgets nonces older than window, which must be at least
// the signature's timestamp window (a request older than that is refused
// for its timestamp anyway).
func (p *Service) PurgeNonces(ctx context.Context, now time.Time, window time.Duration) (int64, error) {
	var n int64
	err := p.update(ctx, func(tx Tx) error {
		var err error
		n, err = tx.PurgeNonces(now.Add(-window))
		return err
	})
	return n, err
}
