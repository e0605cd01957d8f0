package extractors

import (
	"strings"
	"testing"

	"github.com/tidwall/gjson"
)

func TestTranslateJSONPath(t *testing.T) {
	tests := []struct {
		in        string
		wantPath  string
		wantDepth int
		// wantErr is a substring of the error; "" means none.
		wantErr string
	}{
		// Dotted members and an index.
		{"$.a.b[0]", "a.b.0", 0, ""},
		// A wildcard in the middle becomes gjson's `#.`.
		{"$.items[*].id", "items.#.id", 1, ""},
		// A trailing wildcard selects the elements, not the length.
		{"$.items[*]", "items", 1, ""},
		// `.*` is the same wildcard.
		{"$.items.*.id", "items.#.id", 1, ""},
		// Two wildcards nest.
		{"$.a[*].b[*].c", "a.#.b.#.c", 2, ""},
		// Two trailing wildcards.
		{"$.a[*][*]", "a", 2, ""},
		// `.#` at the end is the length.
		{"$.items.#", "items.#", 0, ""},
		// The root.
		{"$", "@this", 0, ""},
		// The root's elements.
		{"$[*]", "@this", 1, ""},
		// An index on a top-level array.
		{"$[2].name", "2.name", 0, ""},
		// Quoted names with gjson's special characters are escaped.
		{"$['a.b']['c*']", `a\.b.c\*`, 0, ""},
		// Double quotes work too.
		{`$["x y"]`, "x y", 0, ""},
		// Recursive descent.
		{"$..id", "@dig:id", 1, ""},
		// Native gjson passes through.
		{"items.#(price>10)#.name", "items.#(price>10)#.name", 1, ""},
		// Native count.
		{"items.#", "items.#", 0, ""},
		// Native `#.` wildcard.
		{"items.#.id", "items.#.id", 1, ""},
		// Surrounding space is ignored.
		{"  $.a ", "a", 0, ""},
		// Filters are refused with a hint.
		{"$.a[?(@.b)]", "", 0, "filter expressions are not supported"},
		// Negative indexes are refused.
		{"$.a[-1]", "", 0, "negative index -1"},
		// An unclosed bracket.
		{"$.a[0", "", 0, "missing `]`"},
		// An unterminated quote.
		{"$['a]", "", 0, "unterminated quoted name"},
		// A dot with no name.
		{"$.a.", "", 0, "missing member name"},
		// `..` not at the start.
		{"$.a..b", "", 0, "only supported as the whole path"},
		// `..` with nothing after.
		{"$..", "", 0, "must be followed by a member name"},
		// Length in the middle.
		{"$.a.#.b", "", 0, "must end the path"},
		// Garbage after `$`.
		{"$a", "", 0, "unexpected 'a'"},
		// Empty.
		{"", "", 0, "empty JSON path"},
	}
	for _, tt := range tests {
		gotPath, gotDepth, err := translateJSONPath(tt.in)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("%q: got error %v, want one containing %q", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil || gotPath != tt.wantPath || gotDepth != tt.wantDepth {
			t.Errorf("%q: got %q depth %d (%v), want %q depth %d", tt.in, gotPath, gotDepth, err, tt.wantPath, tt.wantDepth)
		}
	}
}

// TestJSONPathEach checks nested wildcards flatten into one list of matches.
func TestJSONPathEach(t *testing.T) {
	body := []byte(`{"a":[{"b":[{"c":1},{"c":2}]},{"b":[{"c":3}]},{"b":"x"}]}`)
	p, err := CompileJSONPath("$.a[*].b[*].c")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	p.Each(body, func(r gjson.Result) bool {
		got = append(got, ResultText(r))
		return true
	})
	if want := "1,2,3"; strings.Join(got, ",") != want {
		t.Errorf("got %v, want %s", got, want)
	}
}

func FuzzTranslateJSONPath(f *testing.F) {
	for _, s := range []string{"$.a.b[0]", "$.items[*].id", "$..x", "$['a']", "$[*]", "a.#(b>1)#", "$.a.#", `$["\"]`, "$[", "$.[*]"} {
		f.Add(s)
	}
	body := []byte(`{"a":{"b":[1,{"c":"d"}]},"items":[{"id":1},{"id":2}]}`)
	f.Fuzz(func(t *testing.T, path string) {
		p, err := CompileJSONPath(path)
		if err != nil {
			return
		}
		if p.depth < 0 {
			t.Fatalf("%q: negative depth %d", path, p.depth)
		}
		// Whatever compiled must run against a document without panicking.
		p.Each(body, func(gjson.Result) bool { return true })
	})
}
