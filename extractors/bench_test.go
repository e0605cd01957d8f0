package extractors

import (
	"math/rand/v2"
	"net/http"
	"testing"

	"github.com/loadrun/loadrun/scenario"
)

// BenchmarkExtract runs each kind on the ~5 KB HTML page or ~2 KB JSON
// document, resetting the Source per iteration as the engine does per request
// (so xpath pays for one parse per iteration).
func BenchmarkExtract(b *testing.B) {
	page, doc := htmlPage(b), jsonDoc(b)
	heads := &canned{status: 200, header: http.Header{"X-Request-Id": {"r-1"}}, cookies: map[string]string{"sid": "abc"}}
	cases := []struct {
		name string
		resp *canned
		e    scenario.Extract
	}{
		{"regex/first", page, scenario.Extract{Kind: "regex", Expr: `name="csrf_token" value="([^"]+)"`}},
		{"regex/all", page, scenario.Extract{Kind: "regex", Expr: `data-id="(\d+)"`, Match: "all"}},
		{"boundary/first", page, scenario.Extract{Kind: "boundary", Left: `name="csrf_token" value="`, Right: `"`}},
		{"boundary/last", page, scenario.Extract{Kind: "boundary", Left: `data-id="`, Right: `"`, Match: "last"}},
		{"jsonpath/first", doc, scenario.Extract{Kind: "jsonpath", Expr: "$.token"}},
		{"jsonpath/wildcard-random", doc, scenario.Extract{Kind: "jsonpath", Expr: "$.items[*].id", Match: "random"}},
		{"xpath/attribute", page, scenario.Extract{Kind: "xpath", Expr: `//input[@name='csrf_token']/@value`}},
		{"header", heads, scenario.Extract{Kind: "header", Expr: "X-Request-Id"}},
		{"cookie", heads, scenario.Extract{Kind: "cookie", Expr: "sid"}},
		{"status", heads, scenario.Extract{Kind: "status"}},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			x, err := Compile(&c.e)
			if err != nil {
				b.Fatal(err)
			}
			src := NewSource()
			rnd := rand.New(rand.NewPCG(1, 2))
			b.SetBytes(int64(len(c.resp.body)))
			b.ReportAllocs()
			for b.Loop() {
				src.Reset(c.resp)
				if _, err := x.Extract(src, rnd); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkXPathShared is three xpath extractors on one response: the page
// is parsed once for all three.
func BenchmarkXPathShared(b *testing.B) {
	page := htmlPage(b)
	var xs []*Extractor
	for _, e := range []string{`//input[@name='csrf_token']/@value`, `//span[@id='total']`, `//title`} {
		x, err := Compile(&scenario.Extract{Kind: "xpath", Expr: e})
		if err != nil {
			b.Fatal(err)
		}
		xs = append(xs, x)
	}
	src := NewSource()
	b.ReportAllocs()
	for b.Loop() {
		src.Reset(page)
		for _, x := range xs {
			if _, err := x.Extract(src, nil); err != nil {
				b.Fatal(err)
			}
		}
	}
}
