package storecopy

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

// TestAppendRowTellsValuesApart checks that values a wrong conversion could
// produce encode differently from the value it should have kept.
func TestAppendRowTellsValuesApart(t *testing.T) {
	rows := map[string][]any{
		"null":        {nil},
		"empty blob":  {[]byte{}},
		"empty text":  {""},
		"zero":        {int64(0)},
		"zero float":  {float64(0)},
		"text 1":      {"1"},
		"blob 1":      {[]byte("1")},
		"ab,c":        {"ab", "c"},
		"a,bc":        {"a", "bc"},
		"max int64":   {int64(1<<63 - 1)},
		"min int64":   {int64(-1 << 63)},
		"text, null":  {"x", nil},
		"null, text":  {nil, "x"},
		"nanoseconds": {int64(1700000000000000001)},
		"next ns":     {int64(1700000000000000002)},
	}
	seen := map[string]string{}
	for name, vals := range rows {
		b, err := appendRow(nil, vals)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if other, ok := seen[string(b)]; ok {
			t.Errorf("%s and %s encode alike", name, other)
		}
		seen[string(b)] = name
	}
	// What PostgreSQL hands back for a column is encoded as what SQLite
	// held: smaller integers and booleans as the integer.
	for _, c := range []struct{ pg, sqlite any }{
		{int32(-7), int64(-7)}, {int16(3), int64(3)}, {true, int64(1)}, {false, int64(0)},
	} {
		a, _ := appendRow(nil, []any{c.pg})
		b, _ := appendRow(nil, []any{c.sqlite})
		if !bytes.Equal(a, b) {
			t.Errorf("%T %v and %T %v encode differently", c.pg, c.pg, c.sqlite, c.sqlite)
		}
	}
	if _, err := appendRow(nil, []any{struct{}{}}); err == nil {
		t.Error("an unknown type was encoded")
	}
}

// TestConverter checks that only values both engines mean alike are
// carried over.
func TestConverter(t *testing.T) {
	for _, c := range []struct {
		pgType string
		in     any
		out    any
		err    string
	}{
		{"bigint", int64(-5), int64(-5), ""},
		{"bigint", nil, nil, ""},
		{"bigint", "5", nil, "TEXT value"},
		{"bigint", float64(5), nil, "REAL value"},
		{"integer", int64(1 << 31), nil, "out of range"},
		{"smallint", int64(-1 << 15), int64(-1 << 15), ""},
		{"text", "Budi é中", "Budi é中", ""},
		{"text", "a\x00b", nil, "NUL"},
		{"text", "\xff", nil, "UTF-8"},
		{"text", []byte("x"), nil, "BLOB value"},
		{"text", int64(1), nil, "INTEGER value"},
		{"bytea", []byte{0, 1}, []byte{0, 1}, ""},
		{"bytea", "x", nil, "TEXT value"},
		{"boolean", int64(1), true, ""},
		{"boolean", int64(2), nil, "INTEGER value"},
		{"double precision", float64(1.5), float64(1.5), ""},
	} {
		conv, err := converter(c.pgType)
		if err != nil {
			t.Fatal(err)
		}
		got, err := conv(c.in)
		switch {
		case c.err == "" && err != nil:
			t.Errorf("%s ← %#v: %v", c.pgType, c.in, err)
		case c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)):
			t.Errorf("%s ← %#v: error %v, want one saying %q", c.pgType, c.in, err, c.err)
		case c.err == "":
			a, _ := appendRow(nil, []any{got})
			b, _ := appendRow(nil, []any{c.out})
			if !bytes.Equal(a, b) {
				t.Errorf("%s ← %#v = %#v, want %#v", c.pgType, c.in, got, c.out)
			}
		}
	}
	for _, typ := range []string{"numeric", "timestamp with time zone", "jsonb", "uuid"} {
		if _, err := converter(typ); err == nil {
			t.Errorf("converter(%s) accepted a type the copy does not carry values into", typ)
		}
	}
}

// TestSelectOrder checks that both sides read rows in the same order:
// text by its bytes, NULLs first.
func TestSelectOrder(t *testing.T) {
	tb := plannedTable{name: "t", cols: []column{{"k", "text"}, {"n", "bigint"}, {"v", "bytea"}},
		order: []string{"k", "n"}, text: map[string]bool{"k": true}}
	if got, want := sqliteSelect(tb), `SELECT +"k", +"n", +"v" FROM "t" ORDER BY "k" COLLATE BINARY, "n" COLLATE BINARY`; got != want {
		t.Errorf("SQLite:\n got %s\nwant %s", got, want)
	}
	if got, want := (pgSide{}).selectAll(tb), `SELECT "k", "n", "v" FROM "t" ORDER BY "k" COLLATE "C" NULLS FIRST, "n" NULLS FIRST`; got != want {
		t.Errorf("PostgreSQL:\n got %s\nwant %s", got, want)
	}
	if got := ident(`a"b`); got != `"a""b"` {
		t.Errorf(`ident(a"b) = %s`, got)
	}
}

func TestRedact(t *testing.T) {
	err := redact(ErrTargetNotEmpty, "pw")
	if err != ErrTargetNotEmpty {
		t.Errorf("redact changed an error without the password: %v", err)
	}
	wrapped := redact(&MismatchError{Table: "x", Source: "s3cret", Target: "t"}, "s3cret")
	var mm *MismatchError
	if strings.Contains(wrapped.Error(), "s3cret") || !errors.As(wrapped, &mm) || mm.Table != "x" {
		t.Errorf("redact = %v; want the password out and the error kept", wrapped)
	}
}
