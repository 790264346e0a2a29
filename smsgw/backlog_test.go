package smsgw_test

import (
	"testing"
	"time"

	"github.com/smsgw/smsgw/smsgw"
	"github.com/smsgw/smsgw/smsgw/smsgwtest"
	"github.com/smsgw/smsgw/store/sqlite/sqlitetest"
)

// Above MaxBacklog stored-but-unprocessed MOs, a new MO is refused with
// EBusy (after waiting BacklogWait for room) and nothing of it is stored;
// once the inbox drains, MOs are accepted again. A restart counts what
// the inbox holds.
func TestBacklogBound(t *testing.T) {
	ctx := t.Context()
	path := t.TempDir() + "/gw.db"
	opts := []smsgwtest.Option{smsgwtest.WithCodes(request, pinCode), smsgwtest.WithPath(path),
		smsgwtest.WithOptions(func(o *smsgw.Options) { o.MaxBacklog, o.BacklogWait, o.DeferProcessing = 3, 20*time.Millisecond, true })}
	st, gw := sqlitetest.Open(t, opts...)
	for i := range 3 {
		if err := gw.HandleMO(ctx, smsgw.MO{From: payer, To: request, Text: "SALDO", SMSCID: string(rune('a' + i))}); err != nil {
			t.Fatalf("HandleMO %d: %v", i, err)
		}
	}
	start := time.Now()
	err := gw.HandleMO(ctx, smsgw.MO{From: other, To: request, Text: "SALDO", SMSCID: "d"})
	if smsgw.ErrorCode(err) != smsgw.EBusy {
		t.Fatalf("HandleMO with a full backlog = %v, want EBusy", err)
	}
	if waited := time.Since(start); waited < 20*time.Millisecond {
		t.Errorf("refused after %v, want after waiting BacklogWait", waited)
	}
	if got := gw.Backlog(); got != 3 {
		t.Errorf("Backlog() = %d, want 3", got)
	}
	if got := gw.Stats().MOThrottled.Load(); got != 1 {
		t.Errorf("MOThrottled = %d, want 1", got)
	}
	var n int
	err = st.View(ctx, func(tx smsgw.Tx) error {
		ms, err := tx.Messages(smsgw.MessageFilter{Direction: smsgw.DirIn})
		n = len(ms)
		return err
	})
	if err != nil || n != 3 {
		t.Fatalf("%d MOs stored (%v), want 3: the refused one is not", n, err)
	}

	// A restart with a full inbox starts with a full backlog.
	st.Close()
	_, gw = sqlitetest.Open(t, opts...)
	if got := gw.Backlog(); got != 3 {
		t.Errorf("Backlog() after restart = %d, want 3", got)
	}
	if n, err := gw.ProcessInbox(ctx); err != nil || n != 3 {
		t.Fatalf("ProcessInbox() = %d, %v; want 3", n, err)
	}
	if got := gw.Backlog(); got != 0 {
		t.Errorf("Backlog() after processing = %d, want 0", got)
	}
	if err := gw.HandleMO(ctx, smsgw.MO{From: other, To: request, Text: "SALDO", SMSCID: "d"}); err != nil {
		t.Fatalf("HandleMO after the inbox drained = %v", err)
	}
}
