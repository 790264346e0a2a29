package smsgw

import (
	"testing"
	"time"
)

// A row id can come back for another MO after the insert that held it was
// rolled back (SQLite reuses the highest rowid). Nothing remembered under
// the old row may apply to the new one.

// The abuse verdict of a rolled-back row is not reused for another
// sender's MO that gets the same id.
func TestAbuseVerdictNotReusedAcrossSenders(t *testing.T) {
	var a abuseGuard
	r := &AbuseRules{MOPerMinute: 1, MOBurst: 1, MOBlock: time.Minute}
	at := time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)
	if ok, _, _ := a.admit(r, 1, "628110000001", at); !ok {
		t.Fatal("first MO of a sender refused")
	}
	if ok, _, _ := a.admit(r, 2, "628110000001", at); ok {
		t.Fatal("second MO within the burst admitted")
	}
	// Row 2 rolled back; its id goes to another sender's MO.
	if ok, _, _ := a.admit(r, 2, "628110000002", at); !ok {
		t.Error("another sender's MO under a reused row id got the refused verdict")
	}
	// The same MO processed again keeps its verdict (and is not counted twice).
	if ok, _, _ := a.admit(r, 2, "628110000002", at); !ok {
		t.Error("the same MO processed again lost its verdict")
	}
}

// An ack book entry replaced under a reused id is released, and the
// replaced owner cannot remove the new entry.
func TestAckEntryReplacedUnderReusedID(t *testing.T) {
	b := newAckBook()
	e1 := b.track(7, "k1", "link-a")
	e2 := b.track(7, "k2", "link-b")
	select {
	case <-e1.decided:
	default:
		t.Fatal("the replaced entry still holds its waiters")
	}
	b.untrack(7, e1) // the first owner's retry drops its ticket
	b.mu.Lock()
	got := b.open[7]
	b.mu.Unlock()
	if got != e2 {
		t.Fatal("the replaced owner removed the new entry")
	}
	b.untrack(7, e2)
	select {
	case <-e2.decided:
	default:
		t.Fatal("untrack did not release the entry's waiters")
	}
}
