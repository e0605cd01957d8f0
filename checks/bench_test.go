package checks

import (
	"testing"
	"time"

	"github.com/loadrun/loadrun/extractors"
	"github.com/loadrun/loadrun/scenario"
)

// BenchmarkRun runs each kind on the ~5 KB HTML page or ~2 KB JSON
// document, resetting the Source per iteration as the engine does per request.
func BenchmarkRun(b *testing.B) {
	page, doc := htmlPage(b), jsonDoc(b)
	cases := []struct {
		name string
		resp *canned
		c    scenario.Check
	}{
		{"status", page, scenario.Check{Kind: "status", Statuses: []string{"2xx", "304"}}},
		{"contains", page, scenario.Check{Kind: "contains", Arg: "Total:"}},
		{"not_contains", page, scenario.Check{Kind: "not_contains", Arg: "Exception"}},
		{"regex", page, scenario.Check{Kind: "regex", Arg: `id="total">[\d.]+<`}},
		{"regex/compare", page, scenario.Check{Kind: "regex", Arg: `id="total">([\d.]+)<`, Op: ">", Value: 100}},
		{"jsonpath/exists", doc, scenario.Check{Kind: "jsonpath", Arg: "$.page.total"}},
		{"jsonpath/equals", doc, scenario.Check{Kind: "jsonpath", Arg: "$.items.#", Op: "equals", Value: 12}},
		{"xpath/equals", page, scenario.Check{Kind: "xpath", Arg: "//span[@id='total']", Op: "equals", Value: "822.25"}},
		{"header/contains", page, scenario.Check{Kind: "header", Arg: "Content-Type", Op: "contains", Value: "html"}},
		{"max_time", page, scenario.Check{Kind: "max_time", MaxTime: time.Second}},
		{"expr/status", doc, scenario.Check{Kind: "expr", Arg: "status == 200 && elapsed < 500"}},
		{"expr/json", doc, scenario.Check{Kind: "expr", Arg: `json("$.page.total") > 50`}},
		{"expr/body", page, scenario.Check{Kind: "expr", Arg: `body contains "csrf_token"`}},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			k, err := Compile(&c.c)
			if err != nil {
				b.Fatal(err)
			}
			src := extractors.NewSource()
			b.ReportAllocs()
			for b.Loop() {
				src.Reset(c.resp)
				if ok, msg := k.Run(src, nil); !ok {
					b.Fatal(msg)
				}
			}
		})
	}
}
