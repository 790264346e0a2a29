package sqlstore

import (
	"testing"
	"testing/fstest"
)

func TestLoadMigrationsNames(t *testing.T) {
	sql := &fstest.MapFile{Data: []byte("SELECT 1;")}
	tests := []struct {
		name string
		fsys fstest.MapFS
		ok   bool
	}{
		{"ordered", fstest.MapFS{"0002_b.sql": sql, "0001_a.sql": sql}, true},
		{"gap", fstest.MapFS{"0001_a.sql": sql, "0003_c.sql": sql}, true},
		{"repeat", fstest.MapFS{"0001_a.sql": sql, "001_b.sql": sql}, false},
		{"no number", fstest.MapFS{"init.sql": sql}, false},
		{"zero", fstest.MapFS{"0000_a.sql": sql}, false},
	}
	for _, tc := range tests {
		_, err := LoadMigrations(tc.fsys)
		if (err == nil) != tc.ok {
			t.Errorf("LoadMigrations(%s) = %v, want ok %v", tc.name, err, tc.ok)
		}
	}
}
