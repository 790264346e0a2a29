package sqlstore

import (
	"testing"
	"time"
)

func TestTimeEncoding(t *testing.T) {
	tests := []struct {
		in   time.Time
		want time.Time
	}{
		{time.Date(2025, 3, 1, 10, 0, 0, 123456789, time.FixedZone("WIB", 7*3600)), time.Date(2025, 3, 1, 3, 0, 0, 123456789, time.UTC)},
		{time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC), maxTime.UTC()},
		{time.Date(1, 1, 1, 0, 0, 0, 1, time.UTC), minTime.UTC()},
	}
	for _, tc := range tests {
		if got := decTime(encTime(tc.in)); !got.Equal(tc.want) || got.Location() != time.UTC {
			t.Errorf("decTime(encTime(%v)) = %v, want %v", tc.in, got, tc.want)
		}
	}
	a, b := time.Date(2025, 1, 1, 0, 0, 0, 1, time.UTC), time.Date(2025, 1, 1, 0, 0, 0, 2, time.UTC)
	if encTime(a) >= encTime(b) {
		t.Errorf("encTime(%v) = %d >= encTime(%v) = %d, want order kept", a, encTime(a), b, encTime(b))
	}
}

func TestRebind(t *testing.T) {
	d := &Dialect{Placeholder: func(n int) string { return "$" + string(rune('0'+n)) }}
	for in, want := range map[string]string{
		"SELECT a FROM t WHERE b = ? AND c = ?":    "SELECT a FROM t WHERE b = $1 AND c = $2",
		"SELECT '?' FROM t WHERE b = ?":            "SELECT '?' FROM t WHERE b = $1",
		"SELECT 'it''s' WHERE x = ?":               "SELECT 'it''s' WHERE x = $1",
		"SELECT 1":                                 "SELECT 1",
		"UPDATE t SET a = ?1, b = ?2 WHERE c = ?1": "UPDATE t SET a = $1, b = $2 WHERE c = $1",
	} {
		if got := d.rebind(in); got != want {
			t.Errorf("rebind(%q) = %q, want %q", in, got, want)
		}
		if got := d.rebind(in); got != want {
			t.Errorf("rebind(%q) again = %q, want %q", in, got, want)
		}
	}
	if got := (&Dialect{}).rebind("a = ?"); got != "a = ?" {
		t.Errorf("rebind without Placeholder = %q, want it unchanged", got)
	}
}
