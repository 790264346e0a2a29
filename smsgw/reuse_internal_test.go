package smsgw

import "testing"

// A row id can come back for another MO after the insert that held it was
// rolled back (SQLite reuses the highest rowid). Nothing remembered under
// the old row may apply to the new one.

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
