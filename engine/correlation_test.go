package engine_test

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/loadrun/loadrun/demo"
	"github.com/loadrun/loadrun/engine"
	"github.com/loadrun/loadrun/scenario"
)

// ledger is a target that hands out a fresh random value on every
// GET /give/{kind}?u=N, each kind in a different place of the response
// (body text, JSON, HTML, XML, header, cookie, status), always next to a
// decoy, and records what comes back on /use/{kind}?u=N&v=VALUE. A user
// that sent back anything but the value it was last given (a stale value,
// another user's, a decoy) shows as a difference between the two logs.
// Other paths go to the demo target.
type ledger struct {
	next   http.Handler
	mu     sync.Mutex
	issued map[string][]string // "kind/user" → values handed out, in order
	used   map[string][]string // "kind/user" → values sent back, in order
}

func newLedger() *ledger {
	return &ledger{
		next:   demo.New(demo.Options{}),
		issued: map[string][]string{},
		used:   map[string][]string{},
	}
}

func (l *ledger) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	u := r.URL.Query().Get("u")
	if kind, ok := strings.CutPrefix(r.URL.Path, "/use/"); ok {
		l.mu.Lock()
		l.used[kind+"/"+u] = append(l.used[kind+"/"+u], r.URL.Query().Get("v"))
		l.mu.Unlock()
		io.WriteString(w, "ok")
		return
	}
	kind, ok := strings.CutPrefix(r.URL.Path, "/give/")
	if !ok {
		l.next.ServeHTTP(w, r)
		return
	}
	v := rand.Text()
	code := http.StatusOK
	switch kind {
	case "regex":
		fmt.Fprintf(w, "decoy=DECOY; token=%s; after=DECOY;", v)
	case "jsonpath":
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"token":"DECOY","data":{"other":"DECOY","token":%q}}`, v)
	case "title":
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, "<!doctype html><html><head><title>%s</title></head><body><h1>DECOY</h1></body></html>", v)
	case "attr":
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<html><body><form><input name="user" value="DECOY"><input type="hidden" name="csrf" value="%s"></form></body></html>`, v)
	case "xml":
		w.Header().Set("Content-Type", "application/xml")
		fmt.Fprintf(w, `<?xml version="1.0"?><catalog><item id="1"><code>DECOY</code></item><item id="7"><code>%s</code></item></catalog>`, v)
	case "header":
		w.Header().Set("X-Other", "DECOY")
		w.Header().Set("X-Token", v)
	case "cookie":
		http.SetCookie(w, &http.Cookie{Name: "other", Value: "DECOY", Path: "/"})
		http.SetCookie(w, &http.Cookie{Name: "tok", Value: v, Path: "/"})
	case "boundary":
		fmt.Fprintf(w, `<div data-id="DECOY"><div class="order" order-id="%s">`, v)
	case "status":
		n, err := rand.Int(rand.Reader, big.NewInt(4))
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		code = 200 + int(n.Int64()) // 200..203, all with a body
		v = strconv.Itoa(code)
	default:
		http.NotFound(w, r)
		return
	}
	l.mu.Lock()
	l.issued[kind+"/"+u] = append(l.issued[kind+"/"+u], v)
	l.mu.Unlock()
	if code != http.StatusOK {
		w.WriteHeader(code)
		io.WriteString(w, "status given")
	}
}

// logs returns copies of both logs.
func (l *ledger) logs() (issued, used map[string][]string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	issued, used = map[string][]string{}, map[string][]string{}
	for k, v := range l.issued {
		issued[k] = slices.Clone(v)
	}
	for k, v := range l.used {
		used[k] = slices.Clone(v)
	}
	return issued, used
}

// TestExtractorKinds runs every extractor kind through the engine: a value
// the server made up is extracted and sent back in the next request, and
// the server checks that each user sent back exactly what it was given.
func TestExtractorKinds(t *testing.T) {
	l := newLedger()
	srv := httptest.NewServer(l)
	defer srv.Close()
	tests := []struct {
		kind    string // the /give endpoint
		extract string
		want    string // a fixed expected value ("": what the server gave)
	}{
		// A regex's first capture group, not the decoy before it.
		{"regex", `{var: got, regex: 'token=(\w+);'}`, ""},
		// A nested JSON member.
		{"jsonpath", `{var: got, jsonpath: $.data.token}`, ""},
		// An HTML element's text.
		{"title", `{var: got, xpath: //title/text()}`, ""},
		// An HTML attribute, chosen by another attribute.
		{"attr", `{var: got, xpath: "//input[@name='csrf']/@value"}`, ""},
		// An XML element served as application/xml.
		{"xml", `{var: got, xpath: "//item[@id='7']/code/text()"}`, ""},
		// A response header among others.
		{"header", `{var: got, header: X-Token}`, ""},
		// A cookie set by the response, among others.
		{"cookie", `{var: got, cookie: tok}`, ""},
		// LoadRunner-style boundaries.
		{"boundary", `{var: got, left: 'order-id="', right: '"'}`, ""},
		// The status code, which the server varies over 200..203.
		{"status", `{var: got, status: true}`, ""},
		// XPath on the demo's XML catalogue (/xml): product 3 is the kettle.
		{"demo-xml", `{var: got, xpath: "//product[@id='3']/name/text()"}`, "Kettle"},
	}
	for _, tt := range tests {
		t.Run(tt.kind, func(t *testing.T) {
			give := "/give/" + tt.kind + "?u=${user_id}"
			if tt.want != "" {
				give = "/xml"
			}
			src := fmt.Sprintf(`
users:
  - name: U
    wait: {constant: 0s}
    tasks:
      - steps:
          - request: {url: "%s", name: give, extract: [%s]}
          - request: {url: /use/%s, name: use, query: {u: "${user_id}", v: "${got}"}}
`, give, tt.extract, tt.kind)
			const users, iters = 3, 9
			snap := runToEnd(t, src, srv.URL, users, 0, engine.Options{Iterations: iters})
			if snap.Total.Requests != 2*iters || snap.Total.Failures != 0 {
				t.Fatalf("%d requests, %d failures (errors %v); want %d, 0", snap.Total.Requests, snap.Total.Failures, errorsOf(snap), 2*iters)
			}
			issued, used := l.logs()
			n := 0
			for u := 1; u <= users; u++ {
				key := fmt.Sprintf("%s/%d", tt.kind, u)
				got, want := used[key], issued[key]
				if tt.want != "" {
					want = nil
					for range got {
						want = append(want, tt.want)
					}
				}
				if !slices.Equal(got, want) {
					t.Errorf("user %d sent back %q, want what it was given: %q", u, got, want)
				}
				n += len(got)
			}
			if n != iters {
				t.Errorf("the server got %d values back, want %d", n, iters)
			}
		})
	}
}

// TestExtractorMatch runs match modes end to end: the server records the
// value each mode chose among four regex (and JSON) matches.
func TestExtractorMatch(t *testing.T) {
	l := newLedger()
	mux := http.NewServeMux()
	mux.HandleFunc("/many", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "id=11; id=22; id=33; id=44;")
	})
	mux.Handle("/", l)
	srv := httptest.NewServer(mux)
	defer srv.Close()
	tests := []struct {
		name    string
		url     string
		extract string
		value   string   // what is sent back
		want    []string // values the server may see; exactly this one when one
	}{
		// The default is the first match.
		{"default first", "/many", `{var: got, regex: 'id=(\d+);'}`, "${got}", []string{"11"}},
		// first, written out.
		{"first", "/many", `{var: got, regex: 'id=(\d+);', match: first}`, "${got}", []string{"11"}},
		// last.
		{"last", "/many", `{var: got, regex: 'id=(\d+);', match: last}`, "${got}", []string{"44"}},
		// A 0-based index.
		{"index", "/many", `{var: got, regex: 'id=(\d+);', match: 2}`, "${got}", []string{"33"}},
		// all is a list, joined here by an expression.
		{"all", "/many", `{var: got, regex: 'id=(\d+);', match: all}`, `${join(got, ",")}`, []string{"11,22,33,44"}},
		// group 0 is the whole match.
		{"group 0", "/many", `{var: got, regex: 'id=(\d+);', group: 0}`, "${got}", []string{"id=11;"}},
		// An index past the end is a miss, so the default applies.
		{"index past end", "/many", `{var: got, regex: 'id=(\d+);', match: 9, default: none}`, "${got}", []string{"none"}},
		// random chooses among all matches (checked below to vary).
		{"random", "/many", `{var: got, regex: 'id=(\d+);', match: random}`, "${got}", []string{"11", "22", "33", "44"}},
		// The same modes work for JSON wildcards: the demo's last item.
		{"jsonpath last", "/api/items", `{var: got, jsonpath: "$.items[*].sku", match: last}`, "${got}", []string{"SKU-020"}},
		// A JSON wildcard with all, counted by an expression.
		{"jsonpath all", "/api/items", `{var: got, jsonpath: "$.items[*].id", match: all}`, "${len(got)}", []string{"20"}},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			kind := fmt.Sprintf("match%d", i)
			src := fmt.Sprintf(`
users:
  - name: U
    wait: {constant: 0s}
    tasks:
      - steps:
          - request: {url: "%s", name: give, extract: [%s]}
          - request: {url: /use/%s, name: use, query: {u: "${user_id}", v: '%s'}}
`, tt.url, tt.extract, kind, tt.value)
			iters := 3
			if len(tt.want) > 1 {
				iters = 40 // all four values the same 40 times: p = 4^-39
			}
			snap := runToEnd(t, src, srv.URL, 1, 0, engine.Options{Iterations: int64(iters)})
			if snap.Total.Failures != 0 {
				t.Fatalf("failures: %v", errorsOf(snap))
			}
			_, used := l.logs()
			got := used[kind+"/1"]
			if len(got) != iters {
				t.Fatalf("the server got %d values back, want %d", len(got), iters)
			}
			seen := map[string]bool{}
			for _, v := range got {
				if !slices.Contains(tt.want, v) {
					t.Fatalf("the server got %q, want one of %q", v, tt.want)
				}
				seen[v] = true
			}
			if len(tt.want) > 1 && len(seen) < 2 {
				t.Errorf("random chose %q every time in %d draws", got[0], iters)
			}
		})
	}
}

// TestExtractorMiss checks what a miss does: a default is used as the
// value; without one the request fails naming the extractor, and a later
// request using the variable fails naming the step that sets it, without
// reaching the server.
func TestExtractorMiss(t *testing.T) {
	l := newLedger()
	srv := httptest.NewServer(l)
	defer srv.Close()
	src := `
users:
  - name: U
    wait: {constant: 0s}
    tasks:
      - steps:
          - name: read token
            request:
              url: /give/regex
              name: give
              extract:
                - {var: dflt, regex: 'absent=(\w+)', default: fallback}
                - {var: tok, regex: 'missing=(\w+)'}
          - request: {url: /use/default, name: use-default, query: {v: "${dflt}"}}
          - request: {url: /use/miss, name: use-miss, query: {v: "${tok}"}}
`
	const iters = 3
	snap := runToEnd(t, src, srv.URL, 1, 0, engine.Options{Iterations: iters})
	tests := []struct {
		name     string
		failures int64
		want     []string // parts of the one error text ("" none)
	}{
		// The miss without a default fails the request and names it.
		{"give", iters, []string{`extractor "tok"`, "no match"}},
		// The default went out and the request is fine.
		{"use-default", 0, nil},
		// The unset variable names itself and the step that should set it.
		{"use-miss", iters, []string{"variable tok is not set", "step 'read token'"}},
	}
	for _, tt := range tests {
		e := entry(t, snap, "GET", tt.name)
		if e.Requests != iters || e.Failures != tt.failures {
			t.Errorf("%s: %d requests, %d failures; want %d, %d", tt.name, e.Requests, e.Failures, iters, tt.failures)
		}
		texts := 0
		for _, ee := range snap.Errors {
			if ee.Name != tt.name {
				continue
			}
			texts++
			if tt.want == nil {
				t.Errorf("%s: unexpected error %q", tt.name, ee.Error)
			}
			for _, w := range tt.want {
				if !strings.Contains(ee.Error, w) {
					t.Errorf("%s: error %q, want it to contain %q", tt.name, ee.Error, w)
				}
			}
		}
		if want := min(len(tt.want), 1); texts != want {
			t.Errorf("%s: %d distinct error texts, want %d", tt.name, texts, want)
		}
	}
	_, used := l.logs()
	if got := used["default/"]; !slices.Equal(got, []string{"fallback", "fallback", "fallback"}) {
		t.Errorf("the server got %q for the defaulted variable, want fallback 3 times", got)
	}
	if got := used["miss/"]; len(got) != 0 {
		t.Errorf("a request with an unset variable reached the server %d times: %q", len(got), got)
	}
}

// TestPerUserCorrelation has 50 users each log in to the demo as its own
// account, take its CSRF token from the login page and create orders with
// it, then read each order back. The demo answers 403 to a wrong token and
// 404 for another session's order, and the owner read from the order goes
// back to the server next to the user's id: one user's variables leaking
// into another's would show as failures or as a wrong owner.
func TestPerUserCorrelation(t *testing.T) {
	app := demo.New(demo.Options{})
	var rc recorder
	srv := httptest.NewServer(rc.wrap(app))
	defer srv.Close()
	src := `
users:
  - name: Shopper
    wait: {constant: 0s}
    on_start:
      - request:
          method: POST
          url: /login
          form: {username: "user${user_id}", password: "pass${user_id}"}
          extract: [{var: csrf, xpath: "//input[@name='csrf']/@value"}]
      # Every user logs in before any orders, so that all 50 take part
      # however fast the first ones use up the iterations.
      - rendezvous: {name: all in, count: 50, timeout: 15s}
    tasks:
      - steps:
          - request:
              method: POST
              url: /api/orders
              name: create
              form: {csrf: "${csrf}", item: "item-${user_id}"}
              check: [{status: 201}]
              extract: [{var: order_id, jsonpath: $.id}]
          - request:
              url: /api/orders/${order_id}
              name: read
              extract:
                - {var: owner, jsonpath: $.username}
                - {var: item, jsonpath: $.item}
          - request: {url: /echo, name: verify, query: {u: "${user_id}", owner: "${owner}", item: "${item}", order: "${order_id}"}}
`
	const users, iters = 50, 150
	snap := runToEnd(t, src, srv.URL, users, 0, engine.Options{Iterations: iters})
	if want := int64(users + 3*iters); snap.Total.Requests != want || snap.Total.Failures != 0 {
		t.Fatalf("%d requests, %d failures (errors %v); want %d, 0", snap.Total.Requests, snap.Total.Failures, errorsOf(snap), want)
	}
	orders := map[string]string{}
	for _, h := range rc.all() {
		if h.path != "/echo" {
			continue
		}
		q, err := url.ParseQuery(h.query)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := q.Get("owner"), "user"+h.user; got != want {
			t.Errorf("user %s read order %s owned by %q, want %q", h.user, q.Get("order"), got, want)
		}
		if got, want := q.Get("item"), "item-"+h.user; got != want {
			t.Errorf("user %s read order %s of item %q, want %q", h.user, q.Get("order"), got, want)
		}
		if prev, dup := orders[q.Get("order")]; dup {
			t.Errorf("order %s read by users %s and %s, want each order once", q.Get("order"), prev, h.user)
		}
		orders[q.Get("order")] = h.user
	}
	st := app.Stats()
	if len(orders) != iters || st.Orders != iters {
		t.Errorf("%d distinct orders verified, %d created at the demo; want %d, %d", len(orders), st.Orders, iters, iters)
	}
	if st.Logins != users || st.MaxSessionsPerAccount != 1 || st.ConcurrentSessions != 0 {
		t.Errorf("demo saw %d logins, at most %d sessions per account, %d concurrent; want %d, 1, 0",
			st.Logins, st.MaxSessionsPerAccount, st.ConcurrentSessions, users)
	}
}

// wire records every request's query and body as the server got them.
type wire struct {
	mu   sync.Mutex
	reqs []wireRequest
}

type wireRequest struct {
	path  string
	query url.Values
	head  http.Header
	body  []byte
}

func (wr *wire) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	wr.mu.Lock()
	wr.reqs = append(wr.reqs, wireRequest{path: r.URL.Path, query: r.URL.Query(), head: r.Header.Clone(), body: body})
	wr.mu.Unlock()
	io.WriteString(w, "ok")
}

// at returns the requests to path, in arrival order.
func (wr *wire) at(path string) []wireRequest {
	wr.mu.Lock()
	defer wr.mu.Unlock()
	var out []wireRequest
	for _, r := range wr.reqs {
		if r.path == path {
			out = append(out, r)
		}
	}
	return out
}

// lockedBuffer is an io.Writer safe to read while a run writes to it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (lb *lockedBuffer) Write(p []byte) (int, error) {
	lb.mu.Lock()
	defer lb.mu.Unlock()
	return lb.b.Write(p)
}

func (lb *lockedBuffer) String() string {
	lb.mu.Lock()
	defer lb.mu.Unlock()
	return lb.b.String()
}

// tracer records what a run reports to an engine.Tracer.
type tracer struct {
	mu       sync.Mutex
	logs     []string // "user: message"
	sets     []string // "user: name=value (type)"
	requests int
	errors   []string
}

func (tr *tracer) Request(user int, t *engine.RequestTrace) {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	tr.requests++
	if t.Error != "" {
		tr.errors = append(tr.errors, t.Error)
	}
}

func (tr *tracer) Set(user int, name string, value any) {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	tr.sets = append(tr.sets, fmt.Sprintf("%d: %s=%v (%T)", user, name, value, value))
}

func (tr *tracer) Log(user int, msg string) {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	tr.logs = append(tr.logs, fmt.Sprintf("%d: %s", user, msg))
}

// TestSetVarsLog checks set steps (a number stays a number as far as the
// server's JSON decoder can tell), scenario vars, and log steps through a
// Tracer and through Options.Verbose.
func TestSetVarsLog(t *testing.T) {
	var wr wire
	srv := httptest.NewServer(&wr)
	defer srv.Close()
	src := `
vars:
  greeting: "hi-${user_id}"
  start: "${10}"
users:
  - name: U
    wait: {constant: 0s}
    on_start:
      - set: {n: "${start}"}
    tasks:
      - steps:
          - set: {n: "${n + 1}", label: "n=${n}"}
          - log: "user ${user_id} at ${n}"
          - request:
              method: POST
              url: /count
              headers: {X-Greeting: "${greeting}"}
              json: {count: "${n}", label: "${label}", twice: "${n * 2}"}
`
	tests := []struct {
		name    string
		verbose bool
	}{
		// log lines go to the tracer only.
		{"quiet", false},
		// and, with Verbose, to Log as well.
		{"verbose", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := &tracer{}
			var log lockedBuffer
			before := len(wr.at("/count"))
			snap := runToEnd(t, src, srv.URL, 1, 0, engine.Options{Iterations: 3, Tracer: tr, Log: &log, Verbose: tt.verbose})
			if snap.Total.Requests != 3 || snap.Total.Failures != 0 {
				t.Fatalf("%d requests, %d failures (%v); want 3, 0", snap.Total.Requests, snap.Total.Failures, errorsOf(snap))
			}
			reqs := wr.at("/count")[before:]
			for i, r := range reqs {
				var body map[string]any
				if err := json.Unmarshal(r.body, &body); err != nil {
					t.Fatalf("body %q: %v", r.body, err)
				}
				n := float64(11 + i)
				want := map[string]any{"count": n, "label": fmt.Sprintf("n=%d", 11+i), "twice": 2 * n}
				if !reflect.DeepEqual(body, want) {
					t.Errorf("request %d: server got %s, want numbers kept as numbers: %v", i+1, r.body, want)
				}
				if got := r.head.Get("X-Greeting"); got != "hi-1" {
					t.Errorf("request %d: X-Greeting %q, want hi-1 from vars", i+1, got)
				}
			}
			tr.mu.Lock()
			defer tr.mu.Unlock()
			wantLogs := []string{"1: user 1 at 11", "1: user 1 at 12", "1: user 1 at 13"}
			if !slices.Equal(tr.logs, wantLogs) {
				t.Errorf("tracer logs %q, want %q", tr.logs, wantLogs)
			}
			if want := "1: n=11 (int)"; !slices.Contains(tr.sets, want) {
				t.Errorf("tracer sets %q, want %q among them (a number set as an int)", tr.sets, want)
			}
			if tr.requests != 3 {
				t.Errorf("tracer saw %d requests, want 3", tr.requests)
			}
			shown := strings.Count(log.String(), "[user 1] user 1 at 1")
			if want := map[bool]int{false: 0, true: 3}[tt.verbose]; shown != want {
				t.Errorf("Log shows %d log-step lines, want %d:\n%s", shown, want, log.String())
			}
		})
	}
}

// TestShopExample runs examples/shop.yaml, the full correlation example,
// with 10 users for 2 s against the demo: it must run clean.
func TestShopExample(t *testing.T) {
	synctest.Test(t, testShopExample)
}

// testShopExample runs in virtual time: the think times take none of the
// test's.
func testShopExample(t *testing.T) {
	app, dial := virtualDemo(t)
	sc, err := scenario.Load("../examples/shop.yaml")
	if err != nil {
		t.Fatal(err)
	}
	plan, err := engine.Compile(sc, engine.CompileOptions{Host: vhost})
	if err != nil {
		t.Fatal(err)
	}
	r := engine.NewRunner(plan, engine.Options{RunTime: 2 * time.Second, Dial: dial})
	if err := r.Start(10, 0); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		r.Kill()
		<-r.Done()
	})
	snap := wait(t, r)
	if snap.Total.Failures != 0 {
		t.Errorf("%d failures of %d requests: %v", snap.Total.Failures, snap.Total.Requests, errorsOf(snap))
	}
	// 10 logins, then ~2 s of tasks at 100..500 ms think time each.
	if snap.Total.Requests < 30 {
		t.Errorf("only %d requests in 2 s with 10 users", snap.Total.Requests)
	}
	st := app.Stats()
	if st.Logins != 10 || st.LoginFailures != 0 || st.MaxSessionsPerAccount != 1 {
		t.Errorf("demo saw %d logins, %d failed, %d sessions per account at most; want 10, 0, 1", st.Logins, st.LoginFailures, st.MaxSessionsPerAccount)
	}
	if st.Orders == 0 || int64(st.Requests["/api/orders"]) != st.Orders {
		t.Errorf("demo created %d orders of %d POSTs; want all of them, at least one", st.Orders, st.Requests["/api/orders"])
	}
}
