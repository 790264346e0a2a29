package smsgw

import (
	"context"
	"log/slog"
	"time"

	"github.com/smsgw/smsgw/domain"
)

// SessionHook lets a domain built on the Gateway follow PIN sessions it
// opened. SessionResolved is called inside the transaction that moves s
// out of awaiting_pin (confirmed, failed, cancelled or locked), after the
// session row is updated and before the reply is queued, with the time of
// the resolution. Whatever it writes commits or rolls back with the
// session; an error rolls the whole step back. It must use only tx. A
// session the expiry job expires is the exception: the hook is called in
// the transaction that queues its notice, later (see ExpiryHook), with
// the time it expired at, and an error rolls back the notice, which stays
// owed; a session found expired by the customer's own late PIN resolves
// as the others do.
type SessionHook interface {
	SessionResolved(tx Tx, s *Session, now time.Time) error
}

// ExpiryHook may be implemented by a SessionHook. The expiry of sessions
// (ExpirePending) queues no notice itself: the notice of each expired
// session, and the SessionResolved call with it, follow in later
// transactions, at the pace bulk MTs are sent, which after a mass expiry
// can take minutes. SessionsExpired is called once ExpirePending has
// expired sessions, in a transaction of its own, with the time they
// expired at: the sessions whose notice is still owed (ExpiryNoticesDue)
// are expired, and the hook can settle at once what waits on them.
// SessionResolved is still called for each when its notice is queued, and
// must then find nothing left to do. An error is ExpirePending's; the
// sessions stay expired.
type ExpiryHook interface {
	SessionsExpired(tx Tx, now time.Time) error
}

// SessionHookFunc adapts a function to SessionHook.
type SessionHookFunc func(tx Tx, s *Session, now time.Time) error

// SessionResolved calls f.
func (f SessionHookFunc) SessionResolved(tx Tx, s *Session, now time.Time) error {
	return f(tx, s, now)
}

var _ SessionHook = SessionHookFunc(nil)

// hookBox holds the session hook for an atomic pointer.
type hookBox struct{ h SessionHook }

// SetSessionHook makes h the hook called when a session resolves; nil
// removes it. Set it at wiring time, before Run.
func (g *Gateway) SetSessionHook(h SessionHook) {
	if h == nil {
		g.hook.Store(nil)
		return
	}
	g.hook.Store(&hookBox{h})
	if _, ok := h.(ExpiryHook); ok {
		// Sessions a previous run expired may still wait for it.
		g.expiryHookDue.Store(true)
	}
}

// sessionResolved calls the session hook, if any, in tx.
func (g *Gateway) sessionResolved(tx Tx, s *Session, now time.Time) error {
	b := g.hook.Load()
	if b == nil {
		return nil
	}
	return b.h.SessionResolved(tx, s, now)
}

// sessionsExpired calls the session hook's SessionsExpired, if it has one,
// in a transaction of its own, and records whether it has to run again
// (expiryHookDue: it failed; QueueExpiryNotices tries again).
func (g *Gateway) sessionsExpired(ctx context.Context, now time.Time) (err error) {
	defer func() { g.expiryHookDue.Store(err != nil) }()
	b := g.hook.Load()
	if b == nil {
		return nil
	}
	eh, ok := b.h.(ExpiryHook)
	if !ok {
		return nil
	}
	return g.store.Update(ctx, func(tx Tx) error { return eh.SessionsExpired(tx, now) })
}

// The methods below serve domains built on the Gateway (such as a
// host-to-host API) that run their own transactions on its store and
// reply to customers through its outbox.

// Store returns the store the Gateway persists to.
func (g *Gateway) Store() Store { return g.store }

// Now returns the Gateway's current time (its injected clock).
func (g *Gateway) Now() time.Time { return g.now() }

// Logger returns the Gateway's logger.
func (g *Gateway) Logger() *slog.Logger { return g.log }

// EnqueueReply renders reply template name with d under rules r and
// queues it in tx as an SMS from short code from to the customer to,
// linked to session and transfer (0 for none).
func (g *Gateway) EnqueueReply(tx Tx, r *Rules, from string, to domain.MSISDN, name string, d ReplyData, session, transfer int64) error {
	return g.enqueue(tx, r, from, to, Address{}, "", ChannelSMS, "", name, d, session, transfer)
}

// Credited counts a committed credit of kind in the Gateway's statistics
// and observer. Call it after the transaction that made the credit
// commits.
func (g *Gateway) Credited(kind string, amount domain.Amount) {
	g.stats.Credited.Add(1)
	g.stats.CreditedAmount.Add(int64(amount))
	g.obs.Credit(kind, amount)
}

// WakeSender tells the sending loop that MTs were queued.
func (g *Gateway) WakeSender() { g.wake(g.wakeMT) }

// RequestHash returns the hash an idempotent request is stored with: the
// SHA-256, in hex, of parts each followed by a zero octet.
func RequestHash(parts ...string) string { return requestHash(parts...) }

// NewAuditEntry returns the audit trail entry of who doing action on
// target at at.
func NewAuditEntry(who Actor, action, target, detail string, at time.Time) *AuditEntry {
	return auditEntry(who, action, target, detail, at)
}
