package engine_test

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"testing/synctest"

	"github.com/loadrun/loadrun/engine"
	"github.com/loadrun/loadrun/stats"
)

// checkCount finds a checkpoint's counts in a snapshot by request and name.
func checkCount(s *stats.Snapshot, request, name string) (*stats.CheckEntry, []string) {
	var names []string
	for _, c := range s.Checks {
		if c.Request.Name == request {
			if c.Name == name {
				return c, nil
			}
			names = append(names, fmt.Sprintf("%q", c.Name))
		}
	}
	return nil, names
}

// TestChecks runs every check kind, passing and failing, against the demo
// target in one run: each row is a request of its own, so its stats row,
// its checkpoint counts and its error text can be told apart. It runs in
// virtual time, so the demo's /slow takes exactly its 200 ms, for free.
func TestChecks(t *testing.T) {
	type want struct {
		name string // the checkpoint's name in the stats
		pass bool
	}
	tests := []struct {
		name  string // the request's stats name
		url   string
		check string // the check list, YAML
		fails bool   // the request fails every time
		msg   string // a part of its error text when it fails
		want  []want
	}{
		// An exact status.
		{"status pass", "/status/201", `[{status: 201}]`, false, "", []want{{"status 201", true}}},
		{"status fail", "/status/201", `[{status: 200}]`, true, "check status 200: got 201", []want{{"status 200", false}}},
		// A list of statuses.
		{"status list pass", "/status/204", `[{status: [200, 204]}]`, false, "", []want{{"status 200,204", true}}},
		{"status list fail", "/status/202", `[{status: [200, 204]}]`, true, "check status 200,204: got 202", []want{{"status 200,204", false}}},
		// A class of statuses; the check, not the 4xx rule, names the failure.
		{"status range pass", "/status/201", `[{status: 2xx}]`, false, "", []want{{"status 2xx", true}}},
		{"status range fail", "/status/404", `[{status: 2xx}]`, true, "check status 2xx: got 404", []want{{"status 2xx", false}}},
		// A substring of the body.
		{"contains pass", "/cart", `[{contains: Total}]`, false, "", []want{{`contains "Total"`, true}}},
		{"contains fail", "/cart", `[{contains: Invoice}]`, true, `check contains "Invoice": not found`, []want{{`contains "Invoice"`, false}}},
		// A substring that must be absent.
		{"not_contains pass", "/cart", `[{not_contains: Exception}]`, false, "", []want{{`not_contains "Exception"`, true}}},
		{"not_contains fail", "/cart", `[{not_contains: Teapot}]`, true, `check not_contains "Teapot": found at byte`, []want{{`not_contains "Teapot"`, false}}},
		// A regex that must match.
		{"regex pass", "/cart", `[{name: total shown, regex: 'Total: <span id="total">[0-9.]+'}]`, false, "", []want{{"total shown", true}}},
		{"regex fail", "/cart", `[{name: euro total, regex: 'Total: \d+ EUR'}]`, true, "check euro total: no match", []want{{"euro total", false}}},
		// A regex whose group is compared as a number.
		{"regex cmp pass", "/cart", `[{name: total at least 12, regex: 'id="total">([0-9.]+)<', ">=": 12}]`, false, "", []want{{"total at least 12", true}}},
		{"regex cmp fail", "/cart", `[{name: total under 10, regex: 'id="total">([0-9.]+)<', "<": 10}]`, true, "check total under 10:", []want{{"total under 10", false}}},
		// A JSON value equal to a number.
		{"jsonpath equals pass", "/api/cart", `[{jsonpath: $.items.#, equals: 2}]`, false, "", []want{{"jsonpath $.items.# equals 2", true}}},
		{"jsonpath equals fail", "/api/cart", `[{jsonpath: $.items.#, equals: 3}]`, true, "check jsonpath $.items.# equals 3:", []want{{"jsonpath $.items.# equals 3", false}}},
		// A JSON number below a bound (12.5 < 12.5 is false).
		{"jsonpath < pass", "/api/cart", `[{jsonpath: $.total, "<": 20}]`, false, "", []want{{"jsonpath $.total < 20", true}}},
		{"jsonpath < fail", "/api/cart", `[{jsonpath: $.total, "<": 12.5}]`, true, "check jsonpath $.total < 12.5:", []want{{"jsonpath $.total < 12.5", false}}},
		// A JSON value among a list.
		{"jsonpath in pass", "/api/cart", `[{jsonpath: "$.items[0].sku", in: [SKU-001, SKU-009]}]`, false, "", []want{{`jsonpath $.items[0].sku in ["SKU-001", "SKU-009"]`, true}}},
		{"jsonpath in fail", "/api/cart", `[{jsonpath: "$.items[0].sku", in: [SKU-002]}]`, true, "SKU-001", []want{{`jsonpath $.items[0].sku in ["SKU-002"]`, false}}},
		// A JSON value matching a pattern (the second line is a Mug).
		{"jsonpath matches pass", "/api/cart", `[{name: mug, jsonpath: "$.items[1].name", matches: '^M'}]`, false, "", []want{{"mug", true}}},
		{"jsonpath matches fail", "/api/cart", `[{name: teapot, jsonpath: "$.items[1].name", matches: '^T'}]`, true, "check teapot:", []want{{"teapot", false}}},
		// An HTML element's text.
		{"xpath pass", "/cart", `[{xpath: //h1/text(), equals: Cart}]`, false, "", []want{{`xpath //h1/text() equals "Cart"`, true}}},
		{"xpath fail", "/cart", `[{xpath: //h1/text(), equals: Basket}]`, true, `check xpath //h1/text() equals "Basket":`, []want{{`xpath //h1/text() equals "Basket"`, false}}},
		// A header containing a word.
		{"header pass", "/api/cart", `[{header: Content-Type, contains: json}]`, false, "", []want{{`header Content-Type contains "json"`, true}}},
		{"header fail", "/api/cart", `[{header: Content-Type, contains: xml}]`, true, `check header Content-Type contains "xml":`, []want{{`header Content-Type contains "xml"`, false}}},
		// A time limit against a handler that sleeps 200 ms: 50 times the
		// sleep passes, a quarter of it cannot.
		{"max_time pass", "/slow?ms=200", `[{max_time: 10s}]`, false, "", []want{{"max_time 10s", true}}},
		{"max_time fail", "/slow?ms=200", `[{max_time: 50ms}]`, true, "check max_time 50ms: exceeded", []want{{"max_time 50ms", false}}},
		// An expression over status and JSON.
		{"expr pass", "/api/cart", `[{name: cart ok, expr: 'status == 200 && json("$.total") > 10'}]`, false, "", []want{{"cart ok", true}}},
		{"expr fail", "/api/cart", `[{name: big cart, expr: 'json("$.total") > 100'}]`, true, "check big cart:", []want{{"big cart", false}}},
		// Without a status check a 404 fails the request, with no checkpoint.
		{"404 unchecked", "/status/404", `[]`, true, "HTTP 404 Not Found", nil},
		// With status: 404 the check decides, and it passes.
		{"404 expected", "/status/404", `[{status: 404}]`, false, "", []want{{"status 404", true}}},
		// A 500 with status: 5xx passes, and the other checks run on its body.
		{"500 expected", "/status/500", `[{status: 5xx}, {contains: Internal Server Error}]`, false, "",
			[]want{{"status 5xx", true}, {`contains "Internal Server Error"`, true}}},
		// Several checks: each is counted, the failing one names the failure.
		{"mixed", "/api/cart", `[{status: 200}, {jsonpath: $.total, ">": 50}]`, true, "check jsonpath $.total > 50:",
			[]want{{"status 200", true}, {"jsonpath $.total > 50", false}}},
	}
	var steps strings.Builder
	for _, tt := range tests {
		fmt.Fprintf(&steps, "          - request: {url: %q, name: %q, check: %s}\n", tt.url, tt.name, tt.check)
	}
	src := `
users:
  - name: U
    wait: {constant: 0s}
    tasks:
      - steps:
` + steps.String()
	const iters = 3
	var snap *stats.Snapshot
	synctest.Test(t, func(t *testing.T) {
		_, dial := virtualDemo(t)
		snap = runToEnd(t, src, vhost, 1, 0, engine.Options{Iterations: iters, Dial: dial})
	})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := entry(t, snap, "GET", tt.name)
			wantFail := int64(0)
			if tt.fails {
				wantFail = iters
			}
			if e.Requests != iters || e.Failures != wantFail {
				t.Errorf("%d requests, %d failures; want %d, %d", e.Requests, e.Failures, iters, wantFail)
			}
			var texts []string
			var counted int64
			for _, ee := range snap.Errors {
				if ee.Name == tt.name {
					texts = append(texts, ee.Error)
					counted += ee.Count
					if !tt.fails || !strings.Contains(ee.Error, tt.msg) {
						t.Errorf("error %q, want it to contain %q", ee.Error, tt.msg)
					}
				}
			}
			if counted != wantFail {
				t.Errorf("errors %q counted %d times, want %d", texts, counted, wantFail)
			}
			// A failure text must not vary per response (no times, no
			// sizes), or every failure would be an error row of its own.
			if tt.fails && len(texts) != 1 {
				t.Errorf("error texts %q, want exactly one", texts)
			}
			for _, w := range tt.want {
				c, names := checkCount(snap, tt.name, w.name)
				if c == nil {
					t.Errorf("no checkpoint %q; this request has %s", w.name, strings.Join(names, ", "))
					continue
				}
				wantPass, wantFail := int64(iters), int64(0)
				if !w.pass {
					wantPass, wantFail = 0, iters
				}
				if c.Pass != wantPass || c.Fail != wantFail {
					t.Errorf("checkpoint %q: %d pass, %d fail; want %d, %d", w.name, c.Pass, c.Fail, wantPass, wantFail)
				}
			}
			n := 0
			for _, c := range snap.Checks {
				if c.Request.Name == tt.name {
					n++
				}
			}
			if n != len(tt.want) {
				t.Errorf("%d checkpoints counted for this request, want %d", n, len(tt.want))
			}
		})
	}
}

// TestOnFailure checks what a failed step does to its user: continue (the
// default), end the iteration, or stop the user (whose on_stop still runs).
// Each case runs in virtual time, so a ramp-up is on the run's own clock.
func TestOnFailure(t *testing.T) {
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/fail" {
			http.Error(w, "no", http.StatusInternalServerError)
			return
		}
		io.WriteString(w, "ok")
	})
	tests := []struct {
		name   string
		failer string // the failing step
		users  int
		rate   float64
		iters  int64 // 0: the run must end by itself
		want   map[string]int
		reason string
	}{
		// The next step runs anyway. (One user: with more, the run could
		// end before the closed model started the second.)
		{"continue", `{request: {url: /fail}}`, 1, 0, 4, map[string]int{"/fail": 4, "/after": 4, "/bye": 1}, ""},
		// The rest of the task is skipped, the next iteration runs.
		{"end-iteration", `{on_failure: end-iteration, request: {url: /fail}}`, 1, 0, 4, map[string]int{"/fail": 4, "/after": 0, "/bye": 1}, ""},
		// A failed extraction counts as a failed step too.
		{"end-iteration on a miss", `{on_failure: end-iteration, request: {url: /ok, extract: [{var: x, regex: nothing}]}}`, 1, 0, 4, map[string]int{"/ok": 4, "/after": 0, "/bye": 1}, ""},
		// Each user stops after its first failure and runs on_stop, and is
		// not replaced: the run ends when all three have stopped, even
		// though they stop while the others are still being spawned.
		{"stop-user", `{on_failure: stop-user, request: {url: /fail}}`, 3, 20, 0, map[string]int{"/fail": 3, "/after": 0, "/bye": 3}, "all users finished"},
		// The same with every user started at once.
		{"stop-user at once", `{on_failure: stop-user, request: {url: /fail}}`, 3, 0, 0, map[string]int{"/fail": 3, "/after": 0, "/bye": 3}, "all users finished"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				src := fmt.Sprintf(`
users:
  - name: U
    wait: {constant: 0s}
    tasks:
      - steps:
          - %s
          - request: {url: /after}
    on_stop:
      - request: {url: /bye}
`, tt.failer)
				var rc recorder
				dial := virtualHost(t, rc.wrap(handler))
				r := start(t, src, vhost, tt.users, tt.rate, engine.Options{Iterations: tt.iters, Dial: dial})
				snap := wait(t, r)
				got := map[string]int{}
				for _, h := range rc.all() {
					got[h.path]++
				}
				for path, want := range tt.want {
					if got[path] != want {
						t.Errorf("%s: server saw %d, want %d (all: %v; engine: %d requests, errors %v; reason %q)", path, got[path], want, got, snap.Total.Requests, errorsOf(snap), r.Reason())
					}
				}
				if tt.reason != "" && r.Reason() != tt.reason {
					t.Errorf("run ended with %q, want %q", r.Reason(), tt.reason)
				}
			})
		})
	}
}
