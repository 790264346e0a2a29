package smsgw

import (
	"context"
	"fmt"
	"time"

	"github.com/smsgw/smsgw/domain"
	"github.com/smsgw/smsgw/keywords"
)

// Actor is who performs an admin action: a console user or an operator at
// the command line. It is written to the audit trail with the action.
type Actor struct {
	Name   string
	Role   string
	Remote string // client address, if any
}

// LockForever is the lock time of a customer locked until an admin
// unlocks them.
var LockForever = time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)

// LockCustomer locks msisdn until the given time (LockForever for "until
// unlocked"), cancelling nothing: an open session stays open and the PIN
// reply is refused while the lock lasts. The change and its audit entry
// are written in one transaction. EInvalid if until is not in the future.
func (g *Gateway) LockCustomer(ctx context.Context, who Actor, msisdn string, until time.Time) error {
	now := g.now()
	if !until.After(now) {
		return Errorf(EInvalid, "lock time must be in the future")
	}
	detail := "locked until " + until.UTC().Format(time.RFC3339)
	if !until.Before(LockForever) {
		detail = "locked until unlocked"
	}
	return g.adminUpdate(ctx, who, ActionCustomerLock, msisdn, detail, func(c *Customer) error {
		c.LockedUntil = &until
		return nil
	})
}

// UnlockCustomer clears a customer's lock and wrong-PIN counter, with its
// audit entry in the same transaction.
func (g *Gateway) UnlockCustomer(ctx context.Context, who Actor, msisdn string) error {
	return g.adminUpdate(ctx, who, ActionCustomerUnlock, msisdn, "lock and wrong-PIN counter cleared", func(c *Customer) error {
		c.PINFailures, c.LockedUntil = 0, nil
		return nil
	})
}

// ResetCustomerPIN sets a new PIN chosen by the customer and entered by
// the admin, clears lock and wrong-PIN counter, and records the action
// (never the PIN) in the same transaction. EInvalid if the PIN does not
// match the PIN policy.
func (g *Gateway) ResetCustomerPIN(ctx context.Context, who Actor, msisdn string, pin domain.PIN) error {
	r := g.rules.Load()
	if _, err := keywords.ParsePIN(pin.Reveal(), r.PINMinLen, r.PINMaxLen); err != nil {
		return Errorf(EInvalid, "PIN must be %d to %d digits", r.PINMinLen, r.PINMaxLen)
	}
	return g.adminUpdate(ctx, who, ActionCustomerResetPIN, msisdn, "PIN replaced; lock and wrong-PIN counter cleared", func(c *Customer) error {
		c.PINFailures, c.LockedUntil = 0, nil
		return g.hasher.Set(c, pin)
	})
}

// RecordAudit appends an audit entry for an action that changes nothing in
// the store (suspending a bind, logging in).
func (g *Gateway) RecordAudit(ctx context.Context, who Actor, action, target, detail string) error {
	return g.store.Update(ctx, func(tx Tx) error {
		return tx.AppendAudit(auditEntry(who, action, target, detail, g.now()))
	})
}

func auditEntry(who Actor, action, target, detail string, at time.Time) *AuditEntry {
	return &AuditEntry{At: at, Actor: who.Name, Role: who.Role, Action: action, Target: target, Detail: detail, Remote: who.Remote}
}

// adminUpdate changes customer msisdn with fn and appends the audit entry,
// in one transaction.
func (g *Gateway) adminUpdate(ctx context.Context, who Actor, action, msisdn, detail string, fn func(*Customer) error) error {
	if who.Name == "" {
		return Errorf(EInvalid, "admin actions need an actor")
	}
	m, err := keywords.NormalizeMSISDN(msisdn)
	if err != nil {
		return Errorf(EInvalid, "msisdn %q: %v", msisdn, err)
	}
	err = g.store.Update(ctx, func(tx Tx) error {
		c, err := tx.Customer(domain.MSISDN(m))
		if err != nil {
			return err
		}
		if err := fn(c); err != nil {
			return err
		}
		now := g.now()
		c.UpdatedAt = now
		if err := tx.UpdateCustomer(c); err != nil {
			return err
		}
		return tx.AppendAudit(auditEntry(who, action, string(m), detail, now))
	})
	if err != nil {
		return fmt.Errorf("%s %s: %w", action, domain.MSISDN(m).Local(), err)
	}
	g.log.Info("admin action", "action", action, "actor", who.Name, "msisdn", domain.MSISDN(m))
	return nil
}
