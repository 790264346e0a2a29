package sqlite

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/smsgw/smsgw/smsgw"
)

// TestCheckpointer: the log is copied back into the database file by the
// checkpointer, not by the commits, which would only do so at walHardLimit
// pages.
func TestCheckpointer(t *testing.T) {
	path := tempDB(t)
	s := MustOpen(t, path, Options{})
	size := func() int64 {
		t.Helper()
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		return fi.Size()
	}
	before := size()
	// Far fewer pages than walHardLimit, far more than the file held.
	for i := range 200 {
		if err := s.Update(context.Background(), func(tx smsgw.Tx) error {
			return insertMO(tx, fmt.Sprintf("ck:%d", i))
		}); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for size() <= before || s.Stats().Checkpoints == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("database file %d bytes (was %d), %d checkpoints: the log was not copied back", size(), before, s.Stats().Checkpoints)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
