package smsgw_test

import (
	"strings"
	"testing"
	"time"

	"github.com/smsgw/smsgw/domain"
	"github.com/smsgw/smsgw/smsgw"
)

func (h *harness) trail() []smsgw.AuditEntry {
	h.t.Helper()
	var es []smsgw.AuditEntry
	err := h.store.View(h.t.Context(), func(tx smsgw.Tx) (err error) {
		es, err = tx.AuditTrail(smsgw.AuditFilter{})
		return err
	})
	if err != nil {
		h.t.Fatal(err)
	}
	return es
}

func (h *harness) payer() *smsgw.Customer {
	h.t.Helper()
	var c *smsgw.Customer
	err := h.store.View(h.t.Context(), func(tx smsgw.Tx) (err error) {
		c, err = tx.Customer(payerN)
		return err
	})
	if err != nil {
		h.t.Fatal(err)
	}
	return c
}

func TestAdminActionsAreAudited(t *testing.T) {
	h := newHarness(t)
	ctx := t.Context()
	ana := smsgw.Actor{Name: "ana", Role: "admin", Remote: "10.0.0.7"}

	until := h.clk.Now().Add(time.Hour)
	if err := h.gw.LockCustomer(ctx, ana, payer, until); err != nil {
		t.Fatal(err)
	}
	if c := h.payer(); c.LockedUntil == nil || !c.LockedUntil.Equal(until) {
		t.Errorf("LockedUntil = %v, want %v", c.LockedUntil, until)
	}
	one(t, h.send(payer, request, "IM2PAY 08110000009 50000"), request, "diblokir")
	if err := h.gw.UnlockCustomer(ctx, ana, "+62 811 0000 002"); err != nil {
		t.Fatal(err)
	}
	if c := h.payer(); c.LockedUntil != nil || c.PINFailures != 0 {
		t.Errorf("after unlock: %+v", c)
	}
	const newPIN = "802468"
	if err := h.gw.ResetCustomerPIN(ctx, ana, payer, domain.PIN(newPIN)); err != nil {
		t.Fatal(err)
	}
	h.clk.Add(3 * time.Minute) // past the de-duplication window of the same text
	one(t, h.send(payer, request, "IM2PAY 08110000009 50000"), pinCode, "PIN")
	one(t, h.send(payer, pinCode, pin), pinCode, "PIN salah")
	one(t, h.send(payer, pinCode, newPIN), pinCode, "BERHASIL")

	es := h.trail()
	var got []string
	for _, e := range es {
		got = append(got, e.Action)
		if e.Actor != "ana" || e.Role != "admin" || e.Remote != "10.0.0.7" || e.Target != string(payerN) || e.At.IsZero() {
			t.Errorf("audit entry %+v, want ana (admin) from 10.0.0.7 on %s", e, payerN)
		}
		if strings.Contains(e.Detail, newPIN) {
			t.Errorf("audit detail holds the PIN: %q", e.Detail)
		}
	}
	want := []string{smsgw.ActionCustomerResetPIN, smsgw.ActionCustomerUnlock, smsgw.ActionCustomerLock}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("audit actions = %v, want %v", got, want)
	}
	if strings.Contains(h.logs.String(), newPIN) {
		t.Errorf("the log holds the new PIN")
	}

	if err := h.gw.LockCustomer(ctx, ana, payer, smsgw.LockForever); err != nil {
		t.Fatal(err)
	}
	if e := h.trail()[0]; e.Detail != "locked until unlocked" {
		t.Errorf("detail of a lock until unlocked = %q", e.Detail)
	}
	if err := h.gw.RecordAudit(ctx, ana, smsgw.ActionBindSuspend, "smsc1", "bind suspended"); err != nil {
		t.Fatal(err)
	}
	if e := h.trail()[0]; e.Action != smsgw.ActionBindSuspend || e.Target != "smsc1" {
		t.Errorf("recorded entry = %+v", e)
	}
}

// TestAdminActionRefusedWritesNothing: a refused change leaves no audit
// entry, because the entry is written in the change's transaction.
func TestAdminActionRefusedWritesNothing(t *testing.T) {
	h := newHarness(t)
	ctx := t.Context()
	ana := smsgw.Actor{Name: "ana", Role: "admin"}
	for name, err := range map[string]error{
		"unknown customer": h.gw.UnlockCustomer(ctx, ana, other),
		"bad number":       h.gw.UnlockCustomer(ctx, ana, "12345"),
		"short PIN":        h.gw.ResetCustomerPIN(ctx, ana, payer, domain.PIN("12")),
		"past lock":        h.gw.LockCustomer(ctx, ana, payer, h.clk.Now().Add(-time.Minute)),
		"no actor":         h.gw.UnlockCustomer(ctx, smsgw.Actor{}, payer),
	} {
		if err == nil {
			t.Errorf("%s: nil error", name)
		}
	}
	if code := smsgw.ErrorCode(h.gw.UnlockCustomer(ctx, ana, other)); code != smsgw.ENotFound {
		t.Errorf("unknown customer: code %q, want not found", code)
	}
	if code := smsgw.ErrorCode(h.gw.ResetCustomerPIN(ctx, ana, payer, domain.PIN("12"))); code != smsgw.EInvalid {
		t.Errorf("short PIN: code %q, want invalid", code)
	}
	if es := h.trail(); len(es) != 0 {
		t.Errorf("refused actions left audit entries %+v", es)
	}
	// The old PIN still works.
	one(t, h.send(payer, request, "IM2PAY 08110000009 50000"), pinCode, "PIN")
	one(t, h.send(payer, pinCode, pin), pinCode, "BERHASIL")
}
