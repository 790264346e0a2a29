package sqlite

import (
	"testing"
	"time"

	"smsgw/smsgw"
	"smsgw/store/storetest"
)

// TestPartnerRequestsFinalImmutable: the triggers keep a final partner
// request as it is and every request forever, whatever SQL runs.
func TestPartnerRequestsFinalImmutable(t *testing.T) {
	s := MustOpen(t, tempDB(t), Options{})
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	open := &smsgw.PartnerRequest{Partner: "p", RefID: "open", Kind: smsgw.PartnerKindTopUp, Mode: smsgw.ModeConfirm,
		Dest: "628110000009", Amount: 50000, State: smsgw.PartnerPending, CreatedAt: t0}
	final := &smsgw.PartnerRequest{Partner: "p", RefID: "final", Kind: smsgw.PartnerKindTopUp, Mode: smsgw.ModeConfirm,
		Dest: "628110000009", Amount: 50000, State: smsgw.PartnerFailed, Code: smsgw.ReasonExpired, CreatedAt: t0, ResolvedAt: &t0}
	storetest.MustUpdate(t, s, func(tx smsgw.Tx) error {
		if err := tx.CreatePartnerRequest(open); err != nil {
			return err
		}
		return tx.CreatePartnerRequest(final)
	})
	for _, q := range []struct {
		sql  string
		args []any
	}{
		{`UPDATE partner_requests SET state = 'success' WHERE id = ?`, []any{final.ID}},
		{`UPDATE partner_requests SET amount = 1 WHERE id = ?`, []any{final.ID}},
		{`DELETE FROM partner_requests WHERE id = ?`, []any{open.ID}},
	} {
		if _, err := s.w.ExecContext(t.Context(), q.sql, q.args...); err == nil {
			t.Errorf("%s succeeded", q.sql)
		}
	}
	// An open request may still change.
	if _, err := s.w.ExecContext(t.Context(), `UPDATE partner_requests SET message = 'x' WHERE id = ?`, open.ID); err != nil {
		t.Errorf("update of an open request: %v", err)
	}
	storetest.MustView(t, s, func(tx smsgw.Tx) error {
		got, err := tx.PartnerRequest(final.ID)
		if err != nil {
			return err
		}
		if got.State != smsgw.PartnerFailed || got.Amount != 50000 {
			t.Errorf("final request = %s %d after refused updates", got.State, got.Amount)
		}
		return nil
	})
}
