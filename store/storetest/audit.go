package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/smsgw/smsgw/smsgw"
)

// auditTests are the contract of smsgw.AuditStore: the append-only audit
// trail.
var auditTests = []test{
	{"Audit/AppendList", testAuditAppendList},
	{"Audit/Invalid", testAuditInvalid},
}

// TestAudit runs auditTests as subtests; see Run for open.
func TestAudit(t *testing.T, open func(t *testing.T) smsgw.Store) { run(t, open, auditTests) }

func testAuditAppendList(t *testing.T, s smsgw.Store) {
	entries := []*smsgw.AuditEntry{
		{At: t0, Actor: "ana", Role: "admin", Action: smsgw.ActionCustomerLock, Target: "628110000001", Detail: "locked", Remote: "10.0.0.1"},
		{At: at(time.Minute), Actor: "budi", Role: "admin", Action: smsgw.ActionCustomerUnlock, Target: "628110000001"},
		{At: at(2 * time.Minute), Actor: "ana", Role: "admin", Action: smsgw.ActionBindSuspend, Target: "smsc1"},
		{At: at(3 * time.Minute), Actor: "ana", Role: "viewer", Action: smsgw.ActionLogin},
	}
	MustUpdate(t, s, func(tx smsgw.Tx) error {
		for _, e := range entries {
			if err := tx.AppendAudit(e); err != nil {
				return err
			}
			if e.ID == 0 {
				return fmt.Errorf("AppendAudit(%s) left ID 0", e.Action)
			}
		}
		return nil
	})
	var noTime smsgw.AuditEntry
	MustUpdate(t, s, func(tx smsgw.Tx) error {
		noTime = smsgw.AuditEntry{Actor: "cli", Action: smsgw.ActionCustomerResetPIN, Target: "628110000002"}
		return tx.AppendAudit(&noTime)
	})
	if noTime.At.IsZero() {
		t.Errorf("AppendAudit with zero At left At zero, want the store's clock")
	}
	id := func(i int) int64 { return entries[i].ID }
	tests := []struct {
		name string
		f    smsgw.AuditFilter
		want []int64
	}{
		{"all", smsgw.AuditFilter{Until: at(time.Hour)}, []int64{id(3), id(2), id(1), id(0)}},
		{"actor", smsgw.AuditFilter{Actor: "ana"}, []int64{id(3), id(2), id(0)}},
		{"action", smsgw.AuditFilter{Action: smsgw.ActionCustomerUnlock}, []int64{id(1)}},
		{"target", smsgw.AuditFilter{Target: "628110000001"}, []int64{id(1), id(0)}},
		{"since inclusive", smsgw.AuditFilter{Since: at(2 * time.Minute), Until: at(time.Hour)}, []int64{id(3), id(2)}},
		{"until exclusive", smsgw.AuditFilter{Until: at(time.Minute)}, []int64{id(0)}},
		{"limit offset", smsgw.AuditFilter{Until: at(time.Hour), Limit: 2, Offset: 1}, []int64{id(2), id(1)}},
		{"none", smsgw.AuditFilter{Actor: "x' OR '1'='1"}, []int64{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []smsgw.AuditEntry
			MustView(t, s, func(tx smsgw.Tx) (err error) {
				got, err = tx.AuditTrail(tc.f)
				return err
			})
			same(t, fmt.Sprintf("AuditTrail(%+v) ids", tc.f), ids(got, func(e smsgw.AuditEntry) int64 { return e.ID }), tc.want)
		})
	}
	MustView(t, s, func(tx smsgw.Tx) error {
		got, err := tx.AuditTrail(smsgw.AuditFilter{Action: smsgw.ActionCustomerLock})
		if err != nil {
			return err
		}
		same(t, "AuditTrail(lock)", got, []smsgw.AuditEntry{*entries[0]})
		return nil
	})
}

func testAuditInvalid(t *testing.T, s smsgw.Store) {
	MustUpdate(t, s, func(tx smsgw.Tx) error {
		wantCode(t, "AppendAudit(no actor)", tx.AppendAudit(&smsgw.AuditEntry{Action: smsgw.ActionLogin}), smsgw.EInvalid)
		wantCode(t, "AppendAudit(no action)", tx.AppendAudit(&smsgw.AuditEntry{Actor: "ana"}), smsgw.EInvalid)
		return nil
	})
	err := s.View(t.Context(), func(tx smsgw.Tx) error {
		return tx.AppendAudit(&smsgw.AuditEntry{Actor: "ana", Action: smsgw.ActionLogin})
	})
	if err == nil {
		t.Errorf("AppendAudit inside View = nil, want an error")
	}
	MustView(t, s, func(tx smsgw.Tx) error {
		got, err := tx.AuditTrail(smsgw.AuditFilter{})
		if err != nil {
			return err
		}
		if len(got) != 0 {
			t.Errorf("AuditTrail after refused appends = %+v, want none", got)
		}
		return nil
	})
}
