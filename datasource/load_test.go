package datasource

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/loadrun/loadrun/scenario"
)

// pos is where the test pools are declared, to check errors point at it.
var pos = scenario.Pos{File: "scenario.yaml", Line: 7, Col: 3}

// openFiles writes files into a fresh folder and opens def against it.
func openFiles(t *testing.T, def *scenario.Pool, files map[string]string) (Pool, error) {
	t.Helper()
	dir := t.TempDir()
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	def.Pos = pos
	if def.Name == "" {
		def.Name = "data"
	}
	return Open(def, dir)
}

// allRows reads every row of p in order through a cycle-mode view.
func allRows(t *testing.T, p Pool) [][]string {
	t.Helper()
	var h Holder
	var got [][]string
	for range p.Len() {
		row, err := p.Draw(context.Background(), &h)
		if err != nil {
			t.Fatal(err)
		}
		if len(row) != len(p.Columns()) {
			t.Fatalf("row %v has %d keys, want %d columns %v", row, len(row), len(p.Columns()), p.Columns())
		}
		fields := make([]string, len(p.Columns()))
		for i, c := range p.Columns() {
			fields[i] = row[c]
		}
		got = append(got, fields)
	}
	return got
}

func TestOpenLoadsRows(t *testing.T) {
	tests := []struct {
		name        string
		def         scenario.Pool
		files       map[string]string
		wantColumns []string
		wantRows    [][]string
	}{
		{
			// The common case: a header row names the columns.
			name:        "csv with header",
			def:         scenario.Pool{File: "users.csv"},
			files:       map[string]string{"users.csv": "username,password\nalice,pw1\nbob,pw2\n"},
			wantColumns: []string{"username", "password"},
			wantRows:    [][]string{{"alice", "pw1"}, {"bob", "pw2"}},
		},
		{
			// Quoted fields keep commas, newlines and doubled quotes, and
			// a missing final newline still ends the last row.
			name:        "csv quoting",
			def:         scenario.Pool{File: "q.csv"},
			files:       map[string]string{"q.csv": "id,text\n1,\"a,b\"\n2,\"line1\nline2\"\n3,\"say \"\"hi\"\"\""},
			wantColumns: []string{"id", "text"},
			wantRows:    [][]string{{"1", "a,b"}, {"2", "line1\nline2"}, {"3", `say "hi"`}},
		},
		{
			// A custom delimiter, with the default one left as plain text.
			name:        "csv custom delimiter",
			def:         scenario.Pool{File: "semi.csv", Delimiter: ';'},
			files:       map[string]string{"semi.csv": "city;price\nParis;1,50\n"},
			wantColumns: []string{"city", "price"},
			wantRows:    [][]string{{"Paris", "1,50"}},
		},
		{
			// A .tsv file is tab separated without saying so.
			name:        "tsv by extension",
			def:         scenario.Pool{File: "t.tsv"},
			files:       map[string]string{"t.tsv": "a\tb\n1,2\t3\n"},
			wantColumns: []string{"a", "b"},
			wantRows:    [][]string{{"1,2", "3"}},
		},
		{
			// Without a header the columns are col1..colN and the first row is data.
			name:        "csv no header",
			def:         scenario.Pool{File: "urls.csv", NoHeader: true},
			files:       map[string]string{"urls.csv": "/a,1\n/b,2\n"},
			wantColumns: []string{"col1", "col2"},
			wantRows:    [][]string{{"/a", "1"}, {"/b", "2"}},
		},
		{
			// Without a header, columns names the fields.
			name:        "csv no header with columns",
			def:         scenario.Pool{File: "urls.csv", NoHeader: true, Columns: []string{"path", "weight"}},
			files:       map[string]string{"urls.csv": "/a,1\n/b,2\n"},
			wantColumns: []string{"path", "weight"},
			wantRows:    [][]string{{"/a", "1"}, {"/b", "2"}},
		},
		{
			// A spreadsheet's byte order mark and padding do not end up in column names.
			name:        "csv header with BOM",
			def:         scenario.Pool{File: "bom.csv"},
			files:       map[string]string{"bom.csv": "\ufeffid , name\n1,x\n"},
			wantColumns: []string{"id", "name"},
			wantRows:    [][]string{{"1", "x"}},
		},
		{
			// Blank lines between rows are skipped, not rows of one empty field.
			name:        "csv blank lines",
			def:         scenario.Pool{File: "b.csv"},
			files:       map[string]string{"b.csv": "id\n\n1\n\n2\n"},
			wantColumns: []string{"id"},
			wantRows:    [][]string{{"1"}, {"2"}},
		},
		{
			// JSON values become text; a later key adds a column that
			// earlier objects leave empty.
			name: "json array of objects",
			def:  scenario.Pool{File: "accounts.json"},
			files: map[string]string{"accounts.json": `[
				{"user": "ann", "age": 31, "admin": true, "tags": ["a", "b"], "addr": {"city": "Oslo"}},
				{"user": "ben", "age": 2.5e3, "admin": false, "note": null, "extra": "x"}
			]`},
			wantColumns: []string{"user", "age", "admin", "tags", "addr", "note", "extra"},
			wantRows: [][]string{
				{"ann", "31", "true", `["a","b"]`, `{"city":"Oslo"}`, "", ""},
				{"ben", "2.5e3", "false", "", "", "", "x"},
			},
		},
		{
			// format overrides the extension.
			name:        "json by format",
			def:         scenario.Pool{File: "data.txt", Format: "json"},
			files:       map[string]string{"data.txt": `[{"k":"v"}]`},
			wantColumns: []string{"k"},
			wantRows:    [][]string{{"v"}},
		},
		{
			// Inline rows: declared columns first, other keys sorted after.
			name: "inline rows",
			def: scenario.Pool{Columns: []string{"user"}, Rows: []map[string]string{
				{"user": "ann", "pass": "1", "age": "30"},
				{"user": "ben", "pass": "2"},
			}},
			wantColumns: []string{"user", "age", "pass"},
			wantRows:    [][]string{{"ann", "30", "1"}, {"ben", "", "2"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := openFiles(t, &tt.def, tt.files)
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			if got := p.Columns(); !reflect.DeepEqual(got, tt.wantColumns) {
				t.Errorf("Columns() = %q, want %q", got, tt.wantColumns)
			}
			if got, want := p.Len(), len(tt.wantRows); got != want {
				t.Fatalf("Len() = %d, want %d", got, want)
			}
			if got := allRows(t, p); !reflect.DeepEqual(got, tt.wantRows) {
				t.Errorf("rows = %q, want %q", got, tt.wantRows)
			}
		})
	}
}

func TestOpenErrors(t *testing.T) {
	tests := []struct {
		name  string
		def   scenario.Pool
		files map[string]string
		want  string // the message after the pool's position
	}{
		{
			// The path as written is named, and where it was looked for.
			name: "missing file",
			def:  scenario.Pool{File: "nope.csv"},
			want: `data pool "data": data file nope.csv not found (looked for `,
		},
		{
			// The ragged row's own line is counted across a quoted newline.
			name:  "ragged row",
			def:   scenario.Pool{File: "accounts.csv"},
			files: map[string]string{"accounts.csv": "a,b,c,d\n1,2,3,4\n1,\"x\ny\",3,4\n1,2,3\n"},
			want:  `data pool "data": accounts.csv:5: row has 3 fields, header has 4`,
		},
		{
			// Without a header the first row sets the width.
			name:  "ragged row without header",
			def:   scenario.Pool{File: "n.csv", NoHeader: true},
			files: map[string]string{"n.csv": "1,2\n3\n"},
			want:  `data pool "data": n.csv:2: row has 1 fields, first row has 2`,
		},
		{
			// columns must name every field of a headerless file.
			name:  "columns count mismatch",
			def:   scenario.Pool{File: "n.csv", NoHeader: true, Columns: []string{"a"}},
			files: map[string]string{"n.csv": "1,2\n"},
			want:  `data pool "data": n.csv:1: row has 2 fields, columns names 1`,
		},
		{
			// A file with a header row does not take columns too.
			name:  "columns with header",
			def:   scenario.Pool{File: "h.csv", Columns: []string{"a"}},
			files: map[string]string{"h.csv": "a\n1\n"},
			want:  `data pool "data": columns applies only with no_header: true; the header row names the columns`,
		},
		{
			// An empty file is an error, not a pool that never hands out a row.
			name:  "empty csv",
			def:   scenario.Pool{File: "e.csv"},
			files: map[string]string{"e.csv": ""},
			want:  `data pool "data": e.csv: the file is empty`,
		},
		{
			// Blank lines only count as empty too.
			name:  "blank csv",
			def:   scenario.Pool{File: "e.csv"},
			files: map[string]string{"e.csv": "\n\n"},
			want:  `data pool "data": e.csv: the file is empty`,
		},
		{
			// A header alone has no rows to hand out.
			name:  "header only",
			def:   scenario.Pool{File: "h.csv"},
			files: map[string]string{"h.csv": "a,b\n"},
			want:  `data pool "data": h.csv: has a header but no data rows`,
		},
		{
			// Two columns of one name could not be told apart in a template.
			name:  "duplicate header",
			def:   scenario.Pool{File: "h.csv"},
			files: map[string]string{"h.csv": "a,b,a\n1,2,3\n"},
			want:  `data pool "data": h.csv:1: header: column "a" appears twice`,
		},
		{
			// A CSV syntax error points at its line and column.
			name:  "bare quote",
			def:   scenario.Pool{File: "q.csv"},
			files: map[string]string{"q.csv": "a,b\n1,x\"y\n"},
			want:  `data pool "data": q.csv:2:4: bare " in non-quoted-field`,
		},
		{
			// A quote cannot separate fields.
			name:  "bad delimiter",
			def:   scenario.Pool{File: "q.csv", Delimiter: '"'},
			files: map[string]string{"q.csv": "a\n1\n"},
			want:  `data pool "data": delimiter '"' cannot separate CSV fields`,
		},
		{
			// An object where the array should be.
			name:  "json not an array",
			def:   scenario.Pool{File: "a.json"},
			files: map[string]string{"a.json": "\n{\"a\": 1}"},
			want:  `data pool "data": a.json:2: want a JSON array of objects, found an object`,
		},
		{
			// An element that is not an object, with its line.
			name:  "json element not an object",
			def:   scenario.Pool{File: "a.json"},
			files: map[string]string{"a.json": "[\n{\"a\": 1},\n\"x\"\n]"},
			want:  `data pool "data": a.json:3: element 2 is a string, want an object`,
		},
		{
			// A syntax error with its line.
			name:  "json syntax error",
			def:   scenario.Pool{File: "a.json"},
			files: map[string]string{"a.json": "[\n{\"a\": 1},\n{\"a\" 2}\n]"},
			want:  `data pool "data": a.json:3: expected colon after object key`,
		},
		{
			// A truncated file.
			name:  "json cut short",
			def:   scenario.Pool{File: "a.json"},
			files: map[string]string{"a.json": "[{\"a\": 1},\n"},
			want:  `data pool "data": a.json:2: the JSON ends too early`,
		},
		{
			// Something after the array is a mistake, not ignored.
			name:  "json trailing data",
			def:   scenario.Pool{File: "a.json"},
			files: map[string]string{"a.json": "[{\"a\": 1}]\n\n[]"},
			want:  `data pool "data": a.json:3: unexpected data after the array`,
		},
		{
			// An empty array has no rows.
			name:  "json empty array",
			def:   scenario.Pool{File: "a.json"},
			files: map[string]string{"a.json": "[]"},
			want:  `data pool "data": a.json: the array has no objects`,
		},
		{
			// An empty JSON file.
			name:  "json empty file",
			def:   scenario.Pool{File: "a.json"},
			files: map[string]string{"a.json": " \n"},
			want:  `data pool "data": a.json: the file is empty`,
		},
		{
			// An extension that says nothing about the format.
			name:  "unknown extension",
			def:   scenario.Pool{File: "a.dat"},
			files: map[string]string{"a.dat": "a\n1\n"},
			want:  `data pool "data": cannot tell the format of a.dat from its extension ".dat"; set format: csv or json`,
		},
		{
			// Rows and a file at once is ambiguous.
			name: "file and rows",
			def:  scenario.Pool{File: "a.csv", Rows: []map[string]string{{"a": "1"}}},
			want: `data pool "data": has both file and rows; use one`,
		},
		{
			// Neither file nor rows.
			name: "no source",
			def:  scenario.Pool{},
			want: `data pool "data": has no rows: give a file (CSV or JSON) or rows`,
		},
		{
			// A misspelt mode.
			name: "unknown mode",
			def:  scenario.Pool{Mode: "cycl", Rows: []map[string]string{{"a": "1"}}},
			want: `data pool "data": mode "cycl" is not one of cycle, unique-once, unique-recycle, random`,
		},
		{
			// A misspelt exhaustion policy.
			name: "unknown on_exhausted",
			def:  scenario.Pool{Mode: scenario.UniqueOnce, OnExhausted: "stop", Rows: []map[string]string{{"a": "1"}}},
			want: `data pool "data": on_exhausted "stop" is not one of stop-user, stop-test`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := openFiles(t, &tt.def, tt.files)
			if err == nil {
				t.Fatalf("Open succeeded with %d rows, want error %q", p.Len(), tt.want)
			}
			var se *scenario.Error
			if !errors.As(err, &se) {
				t.Fatalf("error %v is a %T, want *scenario.Error", err, err)
			}
			if se.Pos != pos {
				t.Errorf("error at %v, want the pool's position %v", se.Pos, pos)
			}
			if !strings.HasPrefix(se.Msg, tt.want) {
				t.Errorf("message\n got: %s\nwant: %s", se.Msg, tt.want)
			}
		})
	}
}
