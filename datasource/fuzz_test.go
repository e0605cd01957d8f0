package datasource

import (
	"bytes"
	"testing"
)

// FuzzCSV checks that any input either loads into a well-formed table or is
// refused with an error; never a panic or a row of the wrong width.
func FuzzCSV(f *testing.F) {
	f.Add([]byte("a,b\n1,2\n"), false)
	f.Add([]byte("a,b\n1,\"x\ny\"\n"), false)
	f.Add([]byte("\ufeffa\n\n1\n"), false)
	f.Add([]byte("1,2\n3\n"), true)
	f.Add([]byte("a,a\n1,2\n"), false)
	f.Fuzz(func(t *testing.T, data []byte, noHeader bool) {
		tb, err := csvTable(bytes.NewReader(data), int64(len(data)), csvOptions{name: "f.csv", noHeader: noHeader})
		if err != nil {
			return
		}
		checkTable(t, tb)
	})
}

// FuzzJSON is FuzzCSV for JSON arrays of objects.
func FuzzJSON(f *testing.F) {
	f.Add([]byte(`[{"a": 1, "b": "x"}, {"c": null}]`))
	f.Add([]byte(`[{"a": {"b": [1, 2]}}]`))
	f.Add([]byte(`{"a": 1}`))
	f.Add([]byte(`[1]`))
	f.Add([]byte(`[{"": 1}]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		tb, err := jsonTable(bytes.NewReader(data), int64(len(data)), "f.json")
		if err != nil {
			return
		}
		checkTable(t, tb)
	})
}

// checkTable asserts the invariants every loaded table keeps.
func checkTable(t *testing.T, tb *table) {
	t.Helper()
	if len(tb.columns) == 0 || tb.rows() == 0 || len(tb.ends)%len(tb.columns) != 0 {
		t.Fatalf("table of %d columns, %d ends", len(tb.columns), len(tb.ends))
	}
	if err := checkColumns(tb.columns); err != nil {
		t.Fatalf("loaded with bad columns %q: %v", tb.columns, err)
	}
	for r := range tb.rows() {
		if row := tb.row(r); len(row) != len(tb.columns) {
			t.Fatalf("row %d has %d keys, want %d", r, len(row), len(tb.columns))
		}
	}
}
