package scenario

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzParse feeds the parser arbitrary bytes. It must never panic, and
// every error it returns must say where the problem is.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.*")
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	for _, tc := range errorCases {
		f.Add([]byte(tc.src))
	}
	f.Add([]byte("a: &a [*a, *a]\nb: &b [*a, *a]\nusers: [*b, *b]\n"))
	f.Add([]byte("users: [{<<: [*x]}]\n"))
	f.Add([]byte(strings.Repeat("[", 20000)))
	f.Add([]byte("users: [{name: a, tasks: [{steps: [{request: {url: /, json: " + strings.Repeat("[", 5000) + strings.Repeat("]", 5000) + "}}]}]}]"))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Parse("fuzz.yaml", data)
		if err == nil {
			if s == nil {
				t.Fatal("got a nil scenario and no error")
			}
			return
		}
		if s != nil && !s.Incomplete {
			t.Error("got a scenario not marked Incomplete together with an error")
		}
		var list ErrorList
		if !errors.As(err, &list) || len(list) == 0 {
			t.Fatalf("got %T %v, want a non-empty ErrorList", err, err)
		}
		for _, e := range list {
			if e.Pos.File != "fuzz.yaml" || e.Pos.Line < 1 {
				t.Errorf("error without a position: %q", e)
			}
		}
	})
}
