package partner

import (
	"fmt"
	"time"

	"github.com/smsgw/smsgw/domain"
	"github.com/smsgw/smsgw/smsgw"
)

// Register makes SessionResolved and SessionsExpired the session hook of
// g, and the credits of partner requests (TransferH2H, TransferBankVA)
// refundable by g's ledger corrections, back to the partner's deposit or
// the bank's settlement account. Register every Gateway whose store holds
// partner records, whether or not it serves the partner API, so that a
// request waiting on a PIN session is finalised when the session resolves
// (New registers the Gateway it is given too).
func Register(g *smsgw.Gateway) {
	g.SetSessionHook(sessionHook{})
	g.AllowRefunds(TransferH2H, TransferBankVA)
}

// destinationResult counts a failure of dest, or resets its counter after
// a success.
func destinationResult(tx Tx, dest domain.MSISDN, ok bool, now time.Time) error {
	d, err := tx.Destination(string(dest))
	if err != nil {
		return err
	}
	if ok {
		if d.Failures == 0 {
			return nil
		}
		d.Failures = 0
	} else {
		d.Failures++
		d.LastFailure = &now
	}
	d.UpdatedAt = now
	return tx.SetDestination(d)
}

// settlePartner records the side effects of request r reaching a final
// state, in the same transaction: the destination's failure counter and
// the callback to the partner.
func settlePartner(tx Tx, r *Request, now time.Time) error {
	if err := destinationResult(tx, r.Dest, r.State == Success, now); err != nil {
		return err
	}
	return queueCallback(tx, r, now)
}

// queueCallback queues the callback telling the partner the final state
// of r, in r's transaction.
func queueCallback(tx Tx, r *Request, now time.Time) error {
	return tx.EnqueueCallback(&Callback{RequestID: r.ID, Partner: r.Partner, NextAttempt: now,
		Deadline: now.Add(CallbackTTL), CreatedAt: now, UpdatedAt: now})
}

// sessionHook is the partner domain's smsgw.SessionHook and
// smsgw.ExpiryHook.
type sessionHook struct{}

func (sessionHook) SessionResolved(tx smsgw.Tx, s *smsgw.Session, now time.Time) error {
	return SessionResolved(tx, s, now)
}

func (sessionHook) SessionsExpired(tx smsgw.Tx, now time.Time) error {
	return SessionsExpired(tx, now)
}

var (
	_ smsgw.SessionHook = sessionHook{}
	_ smsgw.ExpiryHook  = sessionHook{}
)

// SessionsExpired fails the open requests waiting on sessions the expiry
// job has just expired (those whose notice is still owed), each with its
// callback, in the transaction stx: a mass expiry queues its notices
// slowly, and a partner is told at once. It is the partner domain's
// smsgw.ExpiryHook; SessionResolved, called again with each notice, then
// finds the request final.
func SessionsExpired(stx smsgw.Tx, now time.Time) error {
	tx, err := TxOf(stx)
	if err != nil {
		return err
	}
	var after int64
	for {
		rs, err := tx.RequestsOfExpiredSessions(after, 100)
		if err != nil {
			return err
		}
		if len(rs) == 0 {
			return nil
		}
		for i := range rs {
			r := &rs[i]
			after = r.ID
			s, err := stx.Session(r.SessionID)
			if err != nil {
				return fmt.Errorf("session of partner request %d: %w", r.ID, err)
			}
			at := now
			if s.ResolvedAt != nil {
				at = *s.ResolvedAt
			}
			if err := finishFromSession(tx, r, s, at); err != nil {
				return err
			}
		}
	}
}

// SessionResolved finalises the partner request waiting on session s, if
// there is one, in the transaction that resolved s: the PIN confirmation,
// the cancellation and the lock end here (an expiry too, unless
// SessionsExpired already did), with the
// destination's failure counter and the callback to the partner. It is the
// partner domain's smsgw.SessionHook (see Register); it needs no
// configuration, only the partner records in tx.
func SessionResolved(stx smsgw.Tx, s *smsgw.Session, now time.Time) error {
	tx, err := TxOf(stx)
	if err != nil {
		return err
	}
	r, err := tx.PartnerRequestBySession(s.ID)
	if smsgw.ErrorCode(err) == smsgw.ENotFound {
		return nil
	} else if err != nil {
		return fmt.Errorf("partner request of session %d: %w", s.ID, err)
	}
	return finishFromSession(tx, r, s, now)
}

// finishFromSession moves open request r to the outcome of its resolved
// session. It does nothing while the session is open.
func finishFromSession(tx Tx, r *Request, s *smsgw.Session, now time.Time) error {
	if r.State.Final() {
		return nil
	}
	switch s.State {
	case smsgw.StateAwaitingPIN:
		return nil
	case smsgw.StateConfirmed:
		t, err := tx.TransferByID(s.TransferID)
		if err != nil {
			return fmt.Errorf("transfer of session %d: %w", s.ID, err)
		}
		r.State, r.TransferID, r.SN = Success, t.ID, t.Reference
	case smsgw.StateExpired:
		r.State, r.Code = Failed, ReasonExpired
	case smsgw.StateCancelled:
		r.State, r.Code = Failed, ReasonCancelled
	case smsgw.StateLocked:
		r.State, r.Code = Failed, ReasonLocked
	default:
		r.State, r.Code = Failed, ReasonFailed
	}
	r.ResolvedAt, r.UpdatedAt = &now, now
	if err := tx.ResolvePartnerRequest(r); err != nil {
		return fmt.Errorf("resolve partner request %d: %w", r.ID, err)
	}
	return settlePartner(tx, r, now)
}
