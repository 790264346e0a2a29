package storetest

import (
	"bytes"
	"testing"
	"time"

	"github.com/smsgw/smsgw/smsgw"
)

// partTests are the contract of smsgw.PartStore: the stored parts of
// concatenated MOs and their expiry.
var partTests = []test{
	{"MOPart/InsertList", testMOPartInsertList},
	{"MOPart/Duplicate", testMOPartDuplicate},
	{"MOPart/Invalid", testMOPartInvalid},
	{"MOPart/Delete", testMOPartDelete},
	{"MOPart/Expire", testMOPartExpire},
}

// TestParts runs partTests as subtests; see Run for open.
func TestParts(t *testing.T, open func(t *testing.T) smsgw.Store) { run(t, open, partTests) }

func newPart(key string, seq, total int, data string, created time.Time) *smsgw.MOPart {
	return &smsgw.MOPart{
		Key: key, Seq: seq, Total: total, DataCoding: 8, Data: []byte(data),
		From: "08110000001", To: "9779", SMSCID: "smsc-" + data, Link: "bind/1", CreatedAt: created,
	}
}

func mustParts(t *testing.T, s smsgw.Store, key string) []smsgw.MOPart {
	t.Helper()
	var ps []smsgw.MOPart
	MustView(t, s, func(tx smsgw.Tx) (err error) {
		ps, err = tx.MOParts(key)
		return err
	})
	return ps
}

func partMessages(t *testing.T, s smsgw.Store) int {
	t.Helper()
	var n int
	MustView(t, s, func(tx smsgw.Tx) (err error) {
		n, err = tx.MOPartMessages()
		return err
	})
	return n
}

// sameParts compares parts field by field; Data as bytes (nil and empty
// are equal).
func sameParts(t *testing.T, call string, got []smsgw.MOPart, want []*smsgw.MOPart) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s = %d parts, want %d", call, len(got), len(want))
		return
	}
	for i, w := range want {
		g := got[i]
		if !bytes.Equal(g.Data, w.Data) {
			t.Errorf("%s[%d].Data = %q, want %q", call, i, g.Data, w.Data)
		}
		wc := *w
		g.Data, wc.Data = nil, nil
		same(t, call, g, wc)
	}
}

func testMOPartInsertList(t *testing.T, s smsgw.Store) {
	p2 := newPart("k1", 2, 3, "second", at(time.Second))
	p1 := newPart("k1", 1, 3, "first", at(2*time.Second))
	other := newPart("k2", 1, 2, "other", t0)
	other.DataCoding, other.Data = 0, nil
	MustUpdate(t, s, func(tx smsgw.Tx) error {
		for _, p := range []*smsgw.MOPart{p2, p1, other} {
			if err := tx.InsertMOPart(p); err != nil {
				return err
			}
		}
		return nil
	})
	if p1.ID == 0 || p2.ID == 0 || other.ID == 0 || p1.ID == p2.ID {
		t.Errorf("InsertMOPart IDs = %d, %d, %d; want distinct non-zero", p2.ID, p1.ID, other.ID)
	}
	sameParts(t, "MOParts(k1)", mustParts(t, s, "k1"), []*smsgw.MOPart{p1, p2})
	sameParts(t, "MOParts(k2)", mustParts(t, s, "k2"), []*smsgw.MOPart{other})
	if got := mustParts(t, s, "unknown"); len(got) != 0 {
		t.Errorf("MOParts(unknown) = %d parts, want none", len(got))
	}
	if got := partMessages(t, s); got != 2 {
		t.Errorf("MOPartMessages() = %d, want 2", got)
	}

	// A zero CreatedAt takes the store's clock.
	p3 := newPart("k1", 3, 3, "third", time.Time{})
	MustUpdate(t, s, func(tx smsgw.Tx) error { return tx.InsertMOPart(p3) })
	if p3.CreatedAt.IsZero() {
		t.Error("InsertMOPart(zero CreatedAt) left CreatedAt zero")
	}
	if got := mustParts(t, s, "k1"); len(got) != 3 || got[2].Seq != 3 || !got[2].CreatedAt.Equal(p3.CreatedAt) {
		t.Errorf("MOParts(k1) after part 3 = %+v, want 3 parts ending with seq 3 at %v", got, p3.CreatedAt)
	}
}

func testMOPartDuplicate(t *testing.T, s smsgw.Store) {
	first := newPart("k", 1, 2, "first copy", t0)
	MustUpdate(t, s, func(tx smsgw.Tx) error { return tx.InsertMOPart(first) })
	again := newPart("k", 1, 2, "second copy", at(time.Minute))
	later := newPart("k", 2, 2, "part two", at(time.Minute))
	// The duplicate fails alone: the transaction goes on and commits.
	MustUpdate(t, s, func(tx smsgw.Tx) error {
		wantCode(t, "InsertMOPart(repeated seq)", tx.InsertMOPart(again), smsgw.EDuplicate)
		return tx.InsertMOPart(later)
	})
	sameParts(t, "MOParts(k) after duplicate", mustParts(t, s, "k"), []*smsgw.MOPart{first, later})
}

func testMOPartInvalid(t *testing.T, s smsgw.Store) {
	tests := []struct {
		name string
		p    *smsgw.MOPart
	}{
		{"empty key", newPart("", 1, 2, "x", t0)},
		{"seq 0", newPart("k", 0, 2, "x", t0)},
		{"seq > total", newPart("k", 3, 2, "x", t0)},
		{"total 256", newPart("k", 1, 256, "x", t0)},
	}
	for _, tc := range tests {
		MustUpdate(t, s, func(tx smsgw.Tx) error {
			wantCode(t, "InsertMOPart("+tc.name+")", tx.InsertMOPart(tc.p), smsgw.EInvalid)
			return nil
		})
	}
	if got := partMessages(t, s); got != 0 {
		t.Errorf("MOPartMessages() after invalid parts = %d, want 0", got)
	}
}

func testMOPartDelete(t *testing.T, s smsgw.Store) {
	MustUpdate(t, s, func(tx smsgw.Tx) error {
		for _, p := range []*smsgw.MOPart{
			newPart("a", 1, 3, "a1", t0), newPart("a", 3, 3, "a3", t0), newPart("b", 2, 2, "b2", t0),
		} {
			if err := tx.InsertMOPart(p); err != nil {
				return err
			}
		}
		return nil
	})
	var n int64
	MustUpdate(t, s, func(tx smsgw.Tx) (err error) {
		n, err = tx.DeleteMOParts("a")
		return err
	})
	if n != 2 {
		t.Errorf("DeleteMOParts(a) = %d, want 2", n)
	}
	if got := mustParts(t, s, "a"); len(got) != 0 {
		t.Errorf("MOParts(a) after delete = %d parts, want none", len(got))
	}
	if got := mustParts(t, s, "b"); len(got) != 1 {
		t.Errorf("MOParts(b) after deleting a = %d parts, want 1", len(got))
	}
	MustUpdate(t, s, func(tx smsgw.Tx) (err error) {
		n, err = tx.DeleteMOParts("a")
		return err
	})
	if n != 0 {
		t.Errorf("DeleteMOParts(a) again = %d, want 0", n)
	}
	// A deleted part may be stored again (a reused reference).
	MustUpdate(t, s, func(tx smsgw.Tx) error { return tx.InsertMOPart(newPart("a", 1, 2, "new", at(time.Hour))) })
	if got := partMessages(t, s); got != 2 {
		t.Errorf("MOPartMessages() = %d, want 2", got)
	}
}

func testMOPartExpire(t *testing.T, s smsgw.Store) {
	MustUpdate(t, s, func(tx smsgw.Tx) error {
		for _, p := range []*smsgw.MOPart{
			newPart("mid", 2, 4, "m2", at(5*time.Minute)),
			newPart("old", 1, 3, "o1", t0),
			newPart("mid", 1, 4, "m1", at(9*time.Minute)),
			newPart("old", 3, 3, "o3", at(11*time.Minute)), // a late part does not refresh its message
			newPart("new", 1, 2, "n1", at(10*time.Minute)),
		} {
			if err := tx.InsertMOPart(p); err != nil {
				return err
			}
		}
		return nil
	})
	var groups []smsgw.MOPartGroup
	MustUpdate(t, s, func(tx smsgw.Tx) (err error) {
		groups, err = tx.ExpireMOParts(at(10 * time.Minute))
		return err
	})
	same(t, "ExpireMOParts(t0+10m)", groups, []smsgw.MOPartGroup{
		{Key: "old", From: "08110000001", To: "9779", Total: 3, Received: 2, First: t0},
		{Key: "mid", From: "08110000001", To: "9779", Total: 4, Received: 2, First: at(5 * time.Minute)},
	})
	for _, k := range []string{"old", "mid"} {
		if got := mustParts(t, s, k); len(got) != 0 {
			t.Errorf("MOParts(%s) after expiry = %d parts, want none", k, len(got))
		}
	}
	if got := mustParts(t, s, "new"); len(got) != 1 {
		t.Errorf("MOParts(new) after expiry = %d parts, want 1 (created at the cut-off)", len(got))
	}
	MustUpdate(t, s, func(tx smsgw.Tx) (err error) {
		groups, err = tx.ExpireMOParts(at(10 * time.Minute))
		return err
	})
	if len(groups) != 0 {
		t.Errorf("ExpireMOParts(t0+10m) again = %+v, want none", groups)
	}
}
