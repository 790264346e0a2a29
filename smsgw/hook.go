package smsgw

import (
	"log/slog"
	"time"

	"github.com/smsgw/smsgw/domain"
)

// SessionHook lets a domain built on the Gateway follow PIN sessions it
// opened. SessionResolved is called inside the transaction that moves s
// out of awaiting_pin (confirmed, failed, cancelled, locked or expired),
// after the session row is updated and before the reply is queued, with
// the time of the resolution. Whatever it writes commits or rolls back with
// the session; an error rolls the whole step back. It must use only tx.
type SessionHook interface {
	SessionResolved(tx Tx, s *Session, now time.Time) error
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
}

// sessionResolved calls the session hook, if any, in tx.
func (g *Gateway) sessionResolved(tx Tx, s *Session, now time.Time) error {
	b := g.hook.Load()
	if b == nil {
		return nil
	}
	return b.h.SessionResolved(tx, s, now)
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
