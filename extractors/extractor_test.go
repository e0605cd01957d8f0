package extractors

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/loadrun/loadrun/scenario"
)

func strp(s string) *string { return &s }

func TestExtractCanned(t *testing.T) {
	page := htmlPage(t)
	doc := jsonDoc(t)
	xmlDoc := &canned{
		status: 200,
		header: http.Header{"Content-Type": {"application/soap+xml"}},
		body:   []byte(`<?xml version="1.0"?><env><order id="7"><total>12.50</total></order><order id="8"><total>3</total></order></env>`),
	}
	undeclaredXML := &canned{status: 200, header: http.Header{}, body: []byte("\n  <?xml version=\"1.0\"?><a><b>x</b></a>")}
	brokenXML := &canned{status: 200, header: http.Header{"Content-Type": {"text/xml"}}, body: []byte("<a><b></a>")}
	heads := &canned{
		status:  302,
		header:  http.Header{"Location": {"/next"}, "X-Trace": {"t1", "t2", "t3"}},
		cookies: map[string]string{"sid": "s3cr3t"},
		body:    []byte("a=[1] b=[2] c=[3] tail=[4"),
	}
	tests := []struct {
		name string
		resp *canned
		e    scenario.Extract
		want any
		// wantErr is a substring of the error; "" means no error.
		wantErr string
	}{
		// A regex with one group yields that group by default.
		{"regex first group", page, scenario.Extract{Kind: "regex", Expr: `name="csrf_token" value="([^"]+)"`}, "f3a9c2e1-77b4-4c1d-9e0a-5b2d8c6f1a34", ""},
		// Group 0 is the whole match when asked for.
		{"regex group 0", heads, scenario.Extract{Kind: "regex", Expr: `b=\[(\d)\]`, Group: 0, HasGroup: true}, "b=[2]", ""},
		// Without groups the whole match is the value.
		{"regex no group", heads, scenario.Extract{Kind: "regex", Expr: `c=\[\d\]`}, "c=[3]", ""},
		// match: last keeps the final match.
		{"regex last", heads, scenario.Extract{Kind: "regex", Expr: `=\[(\d)\]`, Match: "last"}, "3", ""},
		// match: all returns every match as a list.
		{"regex all", heads, scenario.Extract{Kind: "regex", Expr: `=\[(\d)\]`, Match: "all"}, []string{"1", "2", "3"}, ""},
		// A numeric match is a 0-based index.
		{"regex index", heads, scenario.Extract{Kind: "regex", Expr: `=\[(\d)\]`, Match: "1"}, "2", ""},
		// A negative index counts from the end.
		{"regex negative index", heads, scenario.Extract{Kind: "regex", Expr: `=\[(\d)\]`, Match: "-3"}, "1", ""},
		// An index past the end is a miss that says how many matched.
		{"regex index out of range", heads, scenario.Extract{Var: "v", Kind: "regex", Expr: `=\[(\d)\]`, Match: "5"}, nil, `extractor "v" (regex "=\\[(\\d)\\]"): no match at index 5 in the body (3 matches)`},
		// A miss without default names the extractor, pattern and body size.
		{"regex miss", page, scenario.Extract{Var: "csrf", Kind: "regex", Expr: `name="nope" value="([^"]+)"`}, nil, `extractor "csrf" (regex "name=\"nope\" value=\"([^\"]+)\""): no match in the body`},
		// A long pattern is cut short in the message.
		{"regex miss long pattern", heads, scenario.Extract{Var: "v", Kind: "regex", Expr: strings.Repeat("x", 100)}, nil, `(regex "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"…): no match`},
		// A default replaces a miss.
		{"regex default", page, scenario.Extract{Kind: "regex", Expr: `nope(\d+)`, Default: strp("none")}, "none", ""},
		// With match: all a default is a one-element list, keeping the type.
		{"regex all default", page, scenario.Extract{Kind: "regex", Expr: `nope(\d+)`, Match: "all", Default: strp("none")}, []string{"none"}, ""},
		// An optional group that did not take part is an empty value.
		{"regex optional group", heads, scenario.Extract{Kind: "regex", Expr: `a=(x)?\[`}, "", ""},

		// jsonpath: a string is saved unquoted.
		{"jsonpath string", doc, scenario.Extract{Kind: "jsonpath", Expr: "$.token"}, "eyJhbGciOiJIUzI1NiJ9.e30.abc", ""},
		// Numbers keep their text.
		{"jsonpath number", doc, scenario.Extract{Kind: "jsonpath", Expr: "$.items[2].price"}, "9.75", ""},
		// Objects are raw JSON.
		{"jsonpath object", doc, scenario.Extract{Kind: "jsonpath", Expr: "$.page"}, "{\n  \"number\": 1,\n  \"size\": 12,\n  \"total\": 57\n }", ""},
		// A wildcard makes each element a match.
		{"jsonpath wildcard all", doc, scenario.Extract{Kind: "jsonpath", Expr: "$.items[*].id", Match: "all"}, []string{"1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12"}, ""},
		// First of a wildcard is the first element, not the array.
		{"jsonpath wildcard first", doc, scenario.Extract{Kind: "jsonpath", Expr: "$.items[*].sku"}, "SKU-0000", ""},
		// Last of a wildcard.
		{"jsonpath wildcard last", doc, scenario.Extract{Kind: "jsonpath", Expr: "$.items[*].sku", Match: "last"}, "SKU-0011", ""},
		// Native gjson passes through, including queries.
		{"jsonpath native query", doc, scenario.Extract{Kind: "jsonpath", Expr: `items.#(price>35)#.id`, Match: "all"}, []string{"11", "12"}, ""},
		// Native gjson count.
		{"jsonpath native count", doc, scenario.Extract{Kind: "jsonpath", Expr: `items.#`}, "12", ""},
		// Recursive descent digs every "login".
		{"jsonpath dig", doc, scenario.Extract{Kind: "jsonpath", Expr: `$..login`, Match: "2"}, "user2", ""},
		// JSON null is a miss, so the default applies.
		{"jsonpath null default", doc, scenario.Extract{Kind: "jsonpath", Expr: "$.items[3].owner", Default: strp("-")}, "-", ""},
		// A missing path says what it looked for.
		{"jsonpath miss", doc, scenario.Extract{Var: "x", Kind: "jsonpath", Expr: "$.nope.id"}, nil, `extractor "x" (jsonpath "$.nope.id"): no match in the JSON body (gjson path "nope.id")`},
		// A body that is not JSON is named as such.
		{"jsonpath not json", page, scenario.Extract{Var: "x", Kind: "jsonpath", Expr: "$.a"}, nil, "the body is not valid JSON"},

		// xpath: an attribute's value.
		{"xpath attribute", page, scenario.Extract{Kind: "xpath", Expr: `//input[@name='csrf_token']/@value`}, "f3a9c2e1-77b4-4c1d-9e0a-5b2d8c6f1a34", ""},
		// An element's text.
		{"xpath text", page, scenario.Extract{Kind: "xpath", Expr: `//span[@id='total']`}, "822.25", ""},
		// Every selected node.
		{"xpath all", page, scenario.Extract{Kind: "xpath", Expr: `//tbody/tr[position()<=3]/@data-id`, Match: "all"}, []string{"1000", "1001", "1002"}, ""},
		// A scalar expression yields its value as text.
		{"xpath count", page, scenario.Extract{Kind: "xpath", Expr: `count(//tr[@class='order'])`}, "16", ""},
		// XML by Content-Type.
		{"xpath xml", xmlDoc, scenario.Extract{Kind: "xpath", Expr: `//order[@id='8']/total`}, "3", ""},
		// XML by declaration when there is no Content-Type.
		{"xpath xml declaration", undeclaredXML, scenario.Extract{Kind: "xpath", Expr: `/a/b`}, "x", ""},
		// Malformed XML is an error, not a silent miss.
		{"xpath broken xml", brokenXML, scenario.Extract{Var: "x", Kind: "xpath", Expr: `//b`}, nil, "is not well-formed XML"},
		// An xpath miss.
		{"xpath miss", page, scenario.Extract{Var: "x", Kind: "xpath", Expr: `//input[@name='nope']/@value`}, nil, `extractor "x" (xpath "//input[@name='nope']/@value"): no match in the body`},

		// header: the first value by default.
		{"header", heads, scenario.Extract{Kind: "header", Expr: "location"}, "/next", ""},
		// Every value of a repeated header.
		{"header all", heads, scenario.Extract{Kind: "header", Expr: "X-Trace", Match: "all"}, []string{"t1", "t2", "t3"}, ""},
		// A random pick is one of the values (exact choice tested elsewhere).
		{"header random single", heads, scenario.Extract{Kind: "header", Expr: "Location", Match: "random"}, "/next", ""},
		// A missing header.
		{"header miss", heads, scenario.Extract{Var: "h", Kind: "header", Expr: "X-Nope"}, nil, `extractor "h" (header "X-Nope"): no match (no such header in the response)`},

		// cookie set by the response.
		{"cookie", heads, scenario.Extract{Kind: "cookie", Expr: "sid"}, "s3cr3t", ""},
		// A cookie the response did not set.
		{"cookie miss default", heads, scenario.Extract{Kind: "cookie", Expr: "nope", Default: strp("")}, "", ""},
		// A cookie miss without default.
		{"cookie miss", heads, scenario.Extract{Var: "c", Kind: "cookie", Expr: "nope"}, nil, "the response sets no such cookie"},

		// boundary: the first left…right.
		{"boundary", heads, scenario.Extract{Kind: "boundary", Left: "[", Right: "]"}, "1", ""},
		// All non-overlapping occurrences; an unclosed one is not a match.
		{"boundary all", heads, scenario.Extract{Kind: "boundary", Left: "[", Right: "]", Match: "all"}, []string{"1", "2", "3"}, ""},
		// No right boundary runs to the end of the body.
		{"boundary open right", heads, scenario.Extract{Kind: "boundary", Left: "tail=["}, "4", ""},
		// No left boundary starts at the beginning.
		{"boundary open left", heads, scenario.Extract{Kind: "boundary", Right: "=", Match: "all"}, []string{"a"}, ""},
		// Boundaries in HTML.
		{"boundary html", page, scenario.Extract{Kind: "boundary", Left: `session=`, Right: `"`, Match: "last"}, "abc15", ""},
		// A boundary miss.
		{"boundary miss", heads, scenario.Extract{Var: "b", Kind: "boundary", Left: "<", Right: ">"}, nil, `extractor "b" (boundary "<"…">"): no match in the body`},

		// status as text.
		{"status", heads, scenario.Extract{Kind: "status"}, "302", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			x, err := Compile(&tt.e)
			if err != nil {
				t.Fatalf("Compile: %v", err)
			}
			src := NewSource()
			src.Reset(tt.resp)
			got, err := x.Extract(src, rand.New(rand.NewPCG(1, 2)))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("got error %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("got error %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %#v, want %#v", got, tt.want)
			}
		})
	}
}

func TestCompileErrors(t *testing.T) {
	pos := scenario.Pos{File: "s.yaml", Line: 12, Col: 9}
	tests := []struct {
		name string
		e    scenario.Extract
		want string
	}{
		// A regex that does not compile.
		{"bad regex", scenario.Extract{Var: "v", Kind: "regex", Expr: "a(b"}, `s.yaml:12:9: extractor "v" (regex "a(b"): error parsing regexp: missing closing ): ` + "`a(b`"},
		// A group the pattern does not have.
		{"missing group", scenario.Extract{Var: "v", Kind: "regex", Expr: "a(b)", Group: 2, HasGroup: true}, `s.yaml:12:9: extractor "v" (regex "a(b)"): group 2 does not exist (the pattern has 1)`},
		// An xpath that does not compile.
		{"bad xpath", scenario.Extract{Var: "v", Kind: "xpath", Expr: "//a[@"}, `s.yaml:12:9: extractor "v" (xpath "//a[@"): `},
		// JSONPath filters are refused with a hint.
		{"jsonpath filter", scenario.Extract{Var: "v", Kind: "jsonpath", Expr: "$.a[?(@.b>1)]"}, "use a native gjson query"},
		// A bad index.
		{"jsonpath bad index", scenario.Extract{Var: "v", Kind: "jsonpath", Expr: "$.a[x]"}, `bad index "x"`},
		// An empty path.
		{"jsonpath empty", scenario.Extract{Var: "v", Kind: "jsonpath", Expr: ""}, "empty JSON path"},
		// A bad match mode.
		{"bad match", scenario.Extract{Var: "v", Kind: "status", Match: "second"}, `s.yaml:12:9: extractor "v": bad match "second"`},
		// A boundary with neither side.
		{"empty boundary", scenario.Extract{Var: "v", Kind: "boundary"}, "boundary needs left, right or both"},
		// A header without a name.
		{"header without name", scenario.Extract{Var: "v", Kind: "header"}, "missing header name"},
		// A cookie without a name.
		{"cookie without name", scenario.Extract{Var: "v", Kind: "cookie"}, "missing cookie name"},
		// An unknown kind.
		{"unknown kind", scenario.Extract{Var: "v", Kind: "css"}, `unknown kind "css"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.e.Pos = pos
			_, err := Compile(&tt.e)
			serr, ok := err.(*scenario.Error)
			if !ok {
				t.Fatalf("got %T %v, want *scenario.Error", err, err)
			}
			if serr.Pos != pos {
				t.Errorf("got position %v, want %v", serr.Pos, pos)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %q, want it to contain %q", err, tt.want)
			}
		})
	}
}

// TestRandomMatch checks that match: random can return every match and
// follows the generator it is given.
func TestRandomMatch(t *testing.T) {
	x, err := Compile(&scenario.Extract{Kind: "header", Expr: "X-Trace", Match: "random"})
	if err != nil {
		t.Fatal(err)
	}
	src := NewSource()
	src.Reset(&canned{header: http.Header{"X-Trace": {"t1", "t2", "t3"}}})
	seen := map[any]int{}
	rnd := rand.New(rand.NewPCG(7, 7))
	for range 300 {
		v, err := x.Extract(src, rnd)
		if err != nil {
			t.Fatal(err)
		}
		seen[v]++
	}
	for _, want := range []string{"t1", "t2", "t3"} {
		if seen[want] < 50 {
			t.Errorf("got %q %d times in 300 draws, want about 100 (%v)", want, seen[want], seen)
		}
	}
	// The same seed gives the same sequence.
	a, _ := x.Extract(src, rand.New(rand.NewPCG(1, 1)))
	b, _ := x.Extract(src, rand.New(rand.NewPCG(1, 1)))
	if a != b {
		t.Errorf("got %v and %v from the same seed, want equal", a, b)
	}
	// A nil generator falls back to the global one.
	if _, err := x.Extract(src, nil); err != nil {
		t.Error(err)
	}
}

// TestExtractHTTP runs extractors on real responses from a local server.
func TestExtractHTTP(t *testing.T) {
	page := readFile(t, "testdata/page.html")
	doc := readFile(t, "testdata/items.json")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/page":
			w.Header().Set("Content-Type", "text/html")
			http.SetCookie(w, &http.Cookie{Name: "sid", Value: "abc123"})
			w.Write(page)
		case "/json":
			w.Header().Set("Content-Type", "application/json")
			w.Header().Add("X-Request-Id", "r-1")
			w.Write(doc)
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	tests := []struct {
		path string
		e    scenario.Extract
		want any
	}{
		// CSRF token from a form.
		{"/page", scenario.Extract{Kind: "xpath", Expr: `//input[@name='csrf_token']/@value`}, "f3a9c2e1-77b4-4c1d-9e0a-5b2d8c6f1a34"},
		// Session cookie.
		{"/page", scenario.Extract{Kind: "cookie", Expr: "sid"}, "abc123"},
		// Id from JSON.
		{"/json", scenario.Extract{Kind: "jsonpath", Expr: "$.items[0].owner.login"}, "user0"},
		// Header.
		{"/json", scenario.Extract{Kind: "header", Expr: "x-request-id"}, "r-1"},
		// Status of a 404.
		{"/missing", scenario.Extract{Kind: "status"}, "404"},
	}
	src := NewSource()
	for _, tt := range tests {
		x, err := Compile(&tt.e)
		if err != nil {
			t.Fatal(err)
		}
		src.Reset(fetch(t, srv.URL+tt.path))
		got, err := x.Extract(src, nil)
		if err != nil {
			t.Errorf("%s %s: %v", tt.path, tt.e.Kind, err)
			continue
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s %s: got %#v, want %#v", tt.path, tt.e.Kind, got, tt.want)
		}
	}
}

// TestSourceParsesOnce checks that several xpath extractors share one parse
// and that Reset forgets the previous document.
func TestSourceParsesOnce(t *testing.T) {
	x, err := Compile(&scenario.Extract{Kind: "xpath", Expr: "//title"})
	if err != nil {
		t.Fatal(err)
	}
	src := NewSource()
	src.Reset(htmlPage(t))
	if _, err := x.Extract(src, nil); err != nil {
		t.Fatal(err)
	}
	doc := src.htmlDoc
	if _, err := x.Extract(src, nil); err != nil {
		t.Fatal(err)
	}
	if src.htmlDoc != doc {
		t.Error("got a second parse of the same response, want the cached tree")
	}
	src.Reset(&canned{header: http.Header{}, body: []byte("<title>Other</title>")})
	got, err := x.Extract(src, nil)
	if err != nil || got != "Other" {
		t.Errorf("got %v, %v after Reset, want Other", got, err)
	}
}

// TestConcurrentSources has many goroutines, each with its own Source,
// share compiled extractors; run with -race.
func TestConcurrentSources(t *testing.T) {
	exs := []*scenario.Extract{
		{Kind: "xpath", Expr: `//tr[@class='order']/@data-id`, Match: "random"},
		{Kind: "regex", Expr: `data-id="(\d+)"`, Match: "all"},
		{Kind: "jsonpath", Expr: `$.items[*].id`, Match: "last"},
		{Kind: "boundary", Left: "<h1 id=\"title\">", Right: "<"},
	}
	var compiled []*Extractor
	for _, e := range exs {
		x, err := Compile(e)
		if err != nil {
			t.Fatal(err)
		}
		compiled = append(compiled, x)
	}
	page, doc := htmlPage(t), jsonDoc(t)
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for g := range 16 {
		wg.Go(func() {
			src := NewSource()
			rnd := rand.New(rand.NewPCG(uint64(g), 0))
			for i := range 40 {
				resp, x := page, compiled[i%2]
				if i%4 == 2 {
					resp, x = doc, compiled[2]
				} else if i%4 == 3 {
					x = compiled[3]
				}
				src.Reset(resp)
				v, err := x.Extract(src, rnd)
				if err != nil {
					errs <- err
					return
				}
				if s, ok := v.(string); ok && s == "" {
					errs <- fmt.Errorf("goroutine %d: empty value", g)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// TestResetNil checks that Reset(nil) drops the cached tree and body.
func TestResetNil(t *testing.T) {
	src := NewSource()
	src.Reset(htmlPage(t))
	if _, err := src.navigator(); err != nil {
		t.Fatal(err)
	}
	_ = src.BodyString()
	src.Reset(nil)
	if src.Response() != nil || src.htmlDoc != nil || src.body != "" {
		t.Errorf("got response %v, tree %v, body %d bytes after Reset(nil), want all cleared", src.Response(), src.htmlDoc != nil, len(src.body))
	}
}
