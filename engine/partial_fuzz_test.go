package engine_test

import (
	"errors"
	"testing"

	"github.com/loadrun/loadrun/engine"
	"github.com/loadrun/loadrun/scenario"
)

// FuzzParsePlan: whatever parsed of a broken file is compiled too (one
// pass); that must never panic, never give a plan together with an error,
// and every problem has a position.
func FuzzParsePlan(f *testing.F) {
	f.Add([]byte("users: [{name: a, weight: x, tasks: [{steps: [{request: {url: '/${x'}}]}]}]"))
	f.Add([]byte("users: [{name: a, tasks: [{steps: [{request: {method: GET}}, {set: {a: '${b'}}]}]}]"))
	f.Add([]byte("data: {p: {file: x.csv, mode: bad}}\nusers: [{name: a, tasks: [{steps: [{use: p}, {log: '${p.c}'}]}]}]"))
	f.Add([]byte("users: [{name: a, tasks: [{steps: [{request: {url: /, extract: [{var: v, regex: '('}], check: [{jsonpath: '$.a', equals: '${v'}]}}]}]}]\nthresholds: [{request: x, rule: 'p9 < 1'}]"))
	f.Add([]byte("users: [{tasks: 3}, {name: b}]\nvars: {a: '${c}', 1x: 2}"))
	f.Add([]byte("users: [{name: a, tasks: [{steps: [{rendezvous: {name: r}}, {rendezvous: {name: r, count: 2}}]}]}]"))
	f.Fuzz(func(t *testing.T, data []byte) {
		plan, err := engine.ParsePlan("fuzz.yaml", data, t.TempDir(), engine.CompileOptions{Host: "http://127.0.0.1:1"})
		if err == nil {
			if plan == nil {
				t.Fatal("no plan and no error")
			}
			return
		}
		if plan != nil {
			t.Error("a plan together with an error")
		}
		var list scenario.ErrorList
		if !errors.As(err, &list) || len(list) == 0 {
			t.Fatalf("got %T %v, want a non-empty ErrorList", err, err)
		}
		for _, e := range list {
			if e.Pos.File == "" {
				t.Errorf("error without a file: %q", e)
			}
		}
	})
}
