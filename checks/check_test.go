package checks

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/loadrun/loadrun/extractors"
	"github.com/loadrun/loadrun/scenario"
)

func TestRun(t *testing.T) {
	page, doc := htmlPage(t), jsonDoc(t)
	unavailable := &canned{status: 503, header: http.Header{}, body: []byte("busy")}
	tests := []struct {
		name string
		resp *canned
		c    scenario.Check
		// wantName is the rendered name; "" skips the comparison.
		wantName string
		// wantMsg is "" for a pass, else the exact failure message.
		wantMsg string
	}{
		// A code.
		{"status code pass", page, scenario.Check{Kind: "status", Statuses: []string{"200"}}, "status 200", ""},
		// A code that does not match.
		{"status code fail", unavailable, scenario.Check{Kind: "status", Statuses: []string{"200"}}, "status 200", "check status 200: got 503"},
		// A class.
		{"status class", page, scenario.Check{Kind: "status", Statuses: []string{"2xx"}}, "status 2xx", ""},
		// A range and a list.
		{"status range", unavailable, scenario.Check{Kind: "status", Statuses: []string{"200", "500-503"}}, "status 200,500-503", ""},
		// Statuses written only in Arg.
		{"status arg", unavailable, scenario.Check{Kind: "status", Arg: "200,204"}, "status 200,204", "check status 200,204: got 503"},

		// contains finds text.
		{"contains pass", page, scenario.Check{Kind: "contains", Arg: "Total"}, `contains "Total"`, ""},
		// contains misses.
		{"contains fail", unavailable, scenario.Check{Kind: "contains", Arg: "Total"}, "", `check contains "Total": not found in the body`},
		// not_contains passes on absence.
		{"not_contains pass", page, scenario.Check{Kind: "not_contains", Arg: "Exception"}, `not_contains "Exception"`, ""},
		// not_contains says where it found the text.
		{"not_contains fail", unavailable, scenario.Check{Kind: "not_contains", Arg: "us"}, "", `check not_contains "us": found at byte 1 of the body`},

		// regex matches somewhere.
		{"regex pass", page, scenario.Check{Kind: "regex", Arg: `SKU-\d{4}`}, `regex "SKU-\\d{4}"`, ""},
		// regex misses.
		{"regex fail", unavailable, scenario.Check{Kind: "regex", Arg: `\d+`}, "", `check regex "\\d+": no match in the body`},
		// regex compares its first group.
		{"regex group compare", page, scenario.Check{Kind: "regex", Arg: `id="total">([\d.]+)<`, Op: ">", Value: 800}, `regex "id=\"total\">([\\d.]+)<" > 800`, ""},
		// regex compare fails with the value found.
		{"regex group compare fail", page, scenario.Check{Kind: "regex", Arg: `id="total">([\d.]+)<`, Op: "<", Value: 500.5}, "", `check regex "id=\"total\">([\\d.]+)<" < 500.5: got 822.25`},

		// jsonpath exists.
		{"jsonpath exists", doc, scenario.Check{Kind: "jsonpath", Arg: "$.page.total"}, "jsonpath $.page.total", ""},
		// jsonpath missing.
		{"jsonpath missing", doc, scenario.Check{Kind: "jsonpath", Arg: "$.page.nope"}, "", "check jsonpath $.page.nope: not found in the JSON body"},
		// jsonpath on a body that is not JSON.
		{"jsonpath not json", page, scenario.Check{Kind: "jsonpath", Arg: "$.page"}, "", "check jsonpath $.page: the body is not valid JSON"},
		// Numeric equality, as in the brief's example, failing.
		{"jsonpath count equals fail", doc, scenario.Check{Kind: "jsonpath", Arg: "$.page.number", Op: "equals", Value: 3}, "jsonpath $.page.number equals 3", "check jsonpath $.page.number equals 3: got 1"},
		// Native gjson count equals.
		{"jsonpath native count", doc, scenario.Check{Kind: "jsonpath", Arg: "items.#", Op: "equals", Value: "12.0"}, `jsonpath items.# equals 12.0`, ""},
		// String equality.
		{"jsonpath string equals", doc, scenario.Check{Kind: "jsonpath", Arg: "$.status", Op: "equals", Value: "ok"}, `jsonpath $.status equals "ok"`, ""},
		// not_equals.
		{"jsonpath not_equals", doc, scenario.Check{Kind: "jsonpath", Arg: "$.status", Op: "not_equals", Value: "error"}, "", ""},
		// in a list.
		{"jsonpath in", doc, scenario.Check{Kind: "jsonpath", Arg: "$.status", Op: "in", Value: []any{"ok", "partial"}}, `jsonpath $.status in ["ok", "partial"]`, ""},
		// not in a list.
		{"jsonpath in fail", doc, scenario.Check{Kind: "jsonpath", Arg: "$.page.size", Op: "in", Value: []any{10, 20}}, "", "check jsonpath $.page.size in [10, 20]: got 12"},
		// matches a pattern.
		{"jsonpath matches", doc, scenario.Check{Kind: "jsonpath", Arg: "$.token", Op: "matches", Value: `^eyJ`}, "", ""},
		// >= on numbers.
		{"jsonpath ge", doc, scenario.Check{Kind: "jsonpath", Arg: "$.page.total", Op: ">=", Value: 57}, "", ""},
		// A comparison on a word fails clearly.
		{"jsonpath gt not a number", doc, scenario.Check{Kind: "jsonpath", Arg: "$.status", Op: ">", Value: 1}, "", `check jsonpath $.status > 1: got "ok", which is not a number`},
		// contains on a value.
		{"jsonpath contains", doc, scenario.Check{Kind: "jsonpath", Arg: "$.items[1].tags", Op: "contains", Value: `"b"`}, "", ""},
		// not_contains on a value.
		{"jsonpath not_contains fail", doc, scenario.Check{Kind: "jsonpath", Arg: "$.items[0].name", Op: "not_contains", Value: "Widget"}, "", `check jsonpath $.items[0].name not_contains "Widget": got "Widget 0"`},

		// xpath exists.
		{"xpath exists", page, scenario.Check{Kind: "xpath", Arg: "//input[@name='csrf_token']"}, "", ""},
		// xpath missing.
		{"xpath missing", page, scenario.Check{Kind: "xpath", Arg: "//form[@id='login']"}, "", "check xpath //form[@id='login']: no node in the body"},
		// xpath value compared.
		{"xpath equals", page, scenario.Check{Kind: "xpath", Arg: "//title", Op: "equals", Value: "Orders - Acme Shop"}, `xpath //title equals "Orders - Acme Shop"`, ""},
		// xpath count compared.
		{"xpath count", page, scenario.Check{Kind: "xpath", Arg: "count(//tr[@class='order'])", Op: "equals", Value: 20}, "", "check xpath count(//tr[@class='order']) equals 20: got 16"},

		// header exists.
		{"header exists", page, scenario.Check{Kind: "header", Arg: "content-type"}, "header content-type", ""},
		// header missing.
		{"header missing", page, scenario.Check{Kind: "header", Arg: "X-Nope"}, "", "check header X-Nope: no such header in the response"},
		// header compared.
		{"header contains", doc, scenario.Check{Kind: "header", Arg: "Content-Type", Op: "contains", Value: "json"}, `header Content-Type contains "json"`, ""},
		// Repeated headers compare as their joined list.
		{"header joined", page, scenario.Check{Kind: "header", Arg: "X-Trace", Op: "equals", Value: "a"}, "", `check header X-Trace equals "a": got "a, b"`},

		// max_time within the limit.
		{"max_time pass", doc, scenario.Check{Kind: "max_time", MaxTime: 100 * time.Millisecond}, "max_time 100ms", ""},
		// max_time over the limit.
		{"max_time fail", page, scenario.Check{Kind: "max_time", Arg: "100ms"}, "max_time 100ms", "check max_time 100ms: exceeded"},

		// expr on status and elapsed.
		{"expr status", doc, scenario.Check{Kind: "expr", Arg: "status == 200 && elapsed < 50"}, "expr status == 200 && elapsed < 50", ""},
		// expr false says so with the basics.
		{"expr false", unavailable, scenario.Check{Kind: "expr", Arg: "status < 500"}, "", "check expr status < 500: false (status 503)"},
		// expr reads JSON values as Go values.
		{"expr json", doc, scenario.Check{Kind: "expr", Arg: `json("$.page.total") > 50 && json("items.#") == 12 && json("$.status") == "ok" && json("$.items[3].owner") == nil`}, "", ""},
		// expr reads XPath and regex values.
		{"expr xpath regex", page, scenario.Check{Kind: "expr", Arg: `xpath("//h1") == "Your orders" && regex("Total: <span id=\"total\">([^<]+)") == "822.25" && regex("nope") == nil`}, "", ""},
		// expr reads the body and headers.
		{"expr body header", page, scenario.Check{Kind: "expr", Arg: `body contains "csrf_token" && header("content-type") startsWith "text/html" && header("x-trace") == "a, b"`}, "", ""},
		// expr reads headers named as constants through the map.
		{"expr headers map", page, scenario.Check{Kind: "expr", Arg: `headers["content-type"] startsWith "text/html" && headers.nope == "" && headers["X-Trace"] == "a, b"`}, "", ""},
		// expr uses template functions.
		{"expr template function", doc, scenario.Check{Kind: "expr", Arg: `len(base64(json("$.status"))) == 4`}, "", ""},
		// A name as written replaces the rendering.
		{"named", unavailable, scenario.Check{Name: "service up", Kind: "status", Statuses: []string{"2xx"}}, "service up", "check service up: got 503"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Compile(&tt.c)
			if err != nil {
				t.Fatalf("Compile: %v", err)
			}
			if tt.wantName != "" && c.Name() != tt.wantName {
				t.Errorf("got name %q, want %q", c.Name(), tt.wantName)
			}
			src := extractors.NewSource()
			src.Reset(tt.resp)
			ok, msg := c.Run(src, nil)
			if ok != (tt.wantMsg == "") || msg != tt.wantMsg {
				t.Errorf("got %v %q, want message %q", ok, msg, tt.wantMsg)
			}
			if got, want := c.IsStatus(), tt.c.Kind == scenario.CheckStatus; got != want {
				t.Errorf("got IsStatus %v, want %v", got, want)
			}
		})
	}
}

func TestCompileErrors(t *testing.T) {
	pos := scenario.Pos{File: "s.yaml", Line: 30, Col: 11}
	tests := []struct {
		name string
		c    scenario.Check
		want string
	}{
		// A status that is not a code.
		{"bad status", scenario.Check{Kind: "status", Statuses: []string{"20x"}}, `s.yaml:30:11: check status: bad status "20x"`},
		// A status out of range.
		{"status out of range", scenario.Check{Kind: "status", Statuses: []string{"700"}}, `bad status "700"`},
		// A reversed range.
		{"reversed range", scenario.Check{Kind: "status", Statuses: []string{"299-200"}}, `bad status "299-200"`},
		// No statuses at all.
		{"no status", scenario.Check{Kind: "status"}, "missing status codes"},
		// A regex that does not compile.
		{"bad regex", scenario.Check{Kind: "regex", Arg: "a("}, `s.yaml:30:11: check regex a(: error parsing regexp`},
		// A bad xpath.
		{"bad xpath", scenario.Check{Kind: "xpath", Arg: "//a[@"}, "check xpath //a[@:"},
		// A bad jsonpath.
		{"bad jsonpath", scenario.Check{Kind: "jsonpath", Arg: "$.a[?(@.x)]"}, "filter expressions are not supported"},
		// An expression that does not compile.
		{"bad expr", scenario.Check{Kind: "expr", Arg: "status =="}, "check expr status ==:"},
		// An expression that is not boolean.
		{"non-bool expr", scenario.Check{Kind: "expr", Arg: "status + 1"}, "expected bool"},
		// An unknown variable.
		{"unknown variable", scenario.Check{Kind: "expr", Arg: "stauts == 200"}, "unknown name stauts"},
		// A constant json() path is checked at load.
		{"bad json() path", scenario.Check{Kind: "expr", Arg: `json("$.a[x]") == 1`}, `json("$.a[x]"): "$.a[x]": bad index "x"`},
		// A constant regex() pattern is checked at load.
		{"bad regex() pattern", scenario.Check{Kind: "expr", Arg: `regex("(") == nil`}, `regex("("): error parsing regexp`},
		// headers indexed by a computed name.
		{"dynamic headers", scenario.Check{Kind: "expr", Arg: `headers["x-" + "a"] == "1"`}, "headers can only be indexed by a constant name"},
		// headers used whole.
		{"whole headers", scenario.Check{Kind: "expr", Arg: `len(headers) > 0`}, "headers can only be indexed by a constant name"},
		// An empty expression.
		{"empty expr", scenario.Check{Kind: "expr"}, "empty expression"},
		// An ordering comparator against a word.
		{"gt on word", scenario.Check{Kind: "jsonpath", Arg: "$.a", Op: ">", Value: "many"}, `">" needs a number, got "many"`},
		// in without a list.
		{"in without list", scenario.Check{Kind: "jsonpath", Arg: "$.a", Op: "in", Value: "x"}, `"in" needs a list of values`},
		// equals with a list.
		{"equals list", scenario.Check{Kind: "header", Arg: "X", Op: "equals", Value: []any{1}}, `"equals" needs a single value, got a list`},
		// matches with a bad pattern.
		{"bad matches", scenario.Check{Kind: "header", Arg: "X", Op: "matches", Value: "a("}, "matches: error parsing regexp"},
		// An unknown comparator.
		{"unknown op", scenario.Check{Kind: "header", Arg: "X", Op: "like", Value: "a"}, `unknown comparator "like"`},
		// A comparator on a kind that takes none.
		{"op on status", scenario.Check{Kind: "status", Statuses: []string{"200"}, Op: "equals", Value: 1}, "a status check takes no comparator"},
		// max_time without a duration.
		{"max_time zero", scenario.Check{Kind: "max_time"}, "max_time needs a positive duration"},
		// max_time with a bad duration.
		{"max_time bad", scenario.Check{Kind: "max_time", Arg: "fast"}, `time: invalid duration "fast"`},
		// contains without text.
		{"contains empty", scenario.Check{Kind: "contains"}, "missing the text to look for"},
		// header without a name.
		{"header empty", scenario.Check{Kind: "header"}, "missing header name"},
		// An unknown kind.
		{"unknown kind", scenario.Check{Kind: "css", Arg: "a"}, `unknown kind "css"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.c.Pos = pos
			_, err := Compile(&tt.c)
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

// TestRunHTTP runs checks on real responses from a local server.
func TestRunHTTP(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/ok":
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(`{"items":[{"id":1},{"id":2}],"ok":true}`))
		default:
			http.Error(w, "no such page", http.StatusNotFound)
		}
	}))
	defer srv.Close()
	tests := []struct {
		path string
		c    scenario.Check
		want bool
	}{
		// A JSON count.
		{"/ok", scenario.Check{Kind: "jsonpath", Arg: "$.items.#", Op: "equals", Value: 2}, true},
		// The same count, wrong.
		{"/ok", scenario.Check{Kind: "jsonpath", Arg: "$.items.#", Op: "equals", Value: 3}, false},
		// A 404 against a class.
		{"/nope", scenario.Check{Kind: "status", Statuses: []string{"2xx"}}, false},
		// A 404 expected.
		{"/nope", scenario.Check{Kind: "status", Statuses: []string{"404"}}, true},
		// A generous time limit for a local call.
		{"/ok", scenario.Check{Kind: "max_time", MaxTime: time.Minute}, true},
		// An expression over the live response.
		{"/ok", scenario.Check{Kind: "expr", Arg: `status == 200 && json("$.ok") == true && header("content-type") == "application/json"`}, true},
	}
	src := extractors.NewSource()
	for _, tt := range tests {
		c, err := Compile(&tt.c)
		if err != nil {
			t.Fatal(err)
		}
		src.Reset(fetch(t, srv.URL+tt.path))
		if got, msg := c.Run(src, nil); got != tt.want {
			t.Errorf("%s %s: got %v (%s), want %v", tt.path, c.Name(), got, msg, tt.want)
		}
	}
}

// TestConcurrentRun shares compiled checks among goroutines that each own a
// Source; run with -race.
func TestConcurrentRun(t *testing.T) {
	var compiled []*Check
	for _, c := range []scenario.Check{
		{Kind: "expr", Arg: `json("$.page.total") == 57 || xpath("//title") == "Orders - Acme Shop"`},
		{Kind: "xpath", Arg: "//span[@id='total']", Op: ">", Value: 800},
		{Kind: "jsonpath", Arg: "$.items[*].id", Op: "contains", Value: "12"},
	} {
		k, err := Compile(&c)
		if err != nil {
			t.Fatal(err)
		}
		compiled = append(compiled, k)
	}
	page, doc := htmlPage(t), jsonDoc(t)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var failures []string
	for g := range 16 {
		wg.Go(func() {
			src := extractors.NewSource()
			for i := range 50 {
				resp, k := page, compiled[0]
				switch (g + i) % 4 {
				case 1:
					resp = doc
				case 2:
					k = compiled[1]
				case 3:
					resp, k = doc, compiled[2]
				}
				src.Reset(resp)
				if ok, msg := k.Run(src, nil); !ok {
					mu.Lock()
					failures = append(failures, msg)
					mu.Unlock()
					return
				}
			}
		})
	}
	wg.Wait()
	for _, f := range failures {
		t.Error(f)
	}
}
