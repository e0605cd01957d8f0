package engine_test

import (
	"encoding/csv"
	"errors"
	"fmt"
	"net/http/httptest"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/loadrun/loadrun/demo"
	"github.com/loadrun/loadrun/engine"
	"github.com/loadrun/loadrun/scenario"
)

// readColumn reads one column of a CSV file with a header row.
func readColumn(t *testing.T, path, column string) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := slices.Index(recs[0], column)
	if col < 0 {
		t.Fatalf("%s has no column %q", path, column)
	}
	var out []string
	for _, r := range recs[1:] {
		out = append(out, r[col])
	}
	return out
}

// TestPoolCycle has 5 users walk an 8-row URL list: the server sees each
// user visit the rows in file order from the first, wrapping at the end,
// whatever the other users do.
func TestPoolCycle(t *testing.T) {
	var rc recorder
	srv := httptest.NewServer(rc.wrap(demo.New(demo.Options{})))
	defer srv.Close()
	src := `
data:
  urls: {file: testdata/urls.csv, mode: cycle}
users:
  - name: Visitor
    wait: {constant: 0s}
    on_start:
      # All five start before any of them can use up the iterations.
      - rendezvous: {name: all in, count: 5, timeout: 15s}
    tasks:
      - steps:
          - use: urls
          - request: {url: "${urls.path}?u=${user_id}", name: "${urls.label}"}
`
	rows := readColumn(t, "testdata/urls.csv", "path")
	const users, iters = 5, 60
	snap := runToEnd(t, src, srv.URL, users, 0, engine.Options{Iterations: iters})
	if snap.Total.Requests != iters || snap.Total.Failures != 0 {
		t.Fatalf("%d requests, %d failures (%v); want %d, 0", snap.Total.Requests, snap.Total.Failures, errorsOf(snap), iters)
	}
	byUser := rc.byUser()
	if len(byUser) != users {
		t.Errorf("%d users reached the server, want %d", len(byUser), users)
	}
	longest := 0
	for u, hs := range byUser {
		for i, h := range hs {
			if want := rows[i%len(rows)]; h.path != want {
				t.Errorf("user %s visit %d: %s, want %s (row %d)", u, i+1, h.path, want, i%len(rows)+1)
				break
			}
		}
		longest = max(longest, len(hs))
	}
	// 60 iterations among 5 users: some user had 12 or more, so wrapped.
	if longest <= len(rows) {
		t.Errorf("no user went past row %d (longest walk %d)", len(rows), longest)
	}
	if e := entry(t, snap, "GET", "item 3"); e.Requests < users {
		t.Errorf("the first row was visited %d times, want at least once per user", e.Requests)
	}
}

// registerSrc registers the accounts of new_users.csv, one per iteration.
const registerSrc = `
data:
  signups: {file: testdata/new_users.csv, mode: unique-once%s}
users:
  - name: Newcomer
    wait: {constant: 0s}
    on_start:
      # All ten start before the rows can run out and stop the test.
      - rendezvous: {name: all in, count: 10, timeout: 15s}
    tasks:
      - steps:
          - use: signups
          - request:
              method: POST
              url: /register
              form: {username: "${signups.username}", password: "${signups.password}"}
              check: [{status: 201}]
    on_stop:
      - request: {url: "/echo?u=${user_id}", name: bye}
`

// TestPoolUniqueOnce has 10 users register the 40 accounts of a unique-once
// pool. The demo answers 409 to a name registered twice, so exactly 40
// registrations and no failure prove each row went out once. When the rows
// run out the run ends by itself: at once with stop-test, or as each user
// stops with stop-user (the default).
func TestPoolUniqueOnce(t *testing.T) {
	tests := []struct {
		name   string
		policy string // the pool's on_exhausted, as written
		reason string // a part of why the run ended
	}{
		// The test ends, naming the pool.
		{"stop-test", ", on_exhausted: stop-test", `pool "signups"`},
		// Each user stops; the run ends with the last one.
		{"stop-user", "", "all users finished"},
	}
	const users = 10
	rows := readColumn(t, "testdata/new_users.csv", "username")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			app := demo.New(demo.Options{})
			var rc recorder
			srv := httptest.NewServer(rc.wrap(app))
			defer srv.Close()
			r := start(t, fmt.Sprintf(registerSrc, tt.policy), srv.URL, users, 0, engine.Options{})
			snap := wait(t, r)
			if !strings.Contains(r.Reason(), tt.reason) {
				t.Errorf("the run ended with %q, want it to mention %q", r.Reason(), tt.reason)
			}
			if snap.Total.Failures != 0 {
				t.Errorf("%d failures: %v", snap.Total.Failures, errorsOf(snap))
			}
			st := app.Stats()
			if st.Registrations != len(rows) || st.RefusedRegistrations != 0 || st.Requests["/register"] != int64(len(rows)) {
				t.Errorf("demo: %d registrations of %d POSTs, %d refused; want %d of %d, 0",
					st.Registrations, st.Requests["/register"], st.RefusedRegistrations, len(rows), len(rows))
			}
			// Every user ran on_stop once: it stopped, it was not cut.
			if got := rc.count("/echo"); got != users {
				t.Errorf("on_stop ran %d times, want %d", got, users)
			}
		})
	}
}

// TestPoolRecycleForLife has 30 users share 10 accounts of a unique-recycle
// pool, each holding its account from on_start to on_stop: it logs in,
// orders three times, quits (a deliberately failing step with stop-user)
// and logs out, and a waiting user takes the account. The demo counts two
// live sessions of one account as a violation.
func TestPoolRecycleForLife(t *testing.T) {
	app := demo.New(demo.Options{})
	var rc recorder
	srv := httptest.NewServer(rc.wrap(app))
	defer srv.Close()
	src := `
data:
  accounts: {file: testdata/accounts.csv, mode: unique-recycle, timeout: 5s}
users:
  - name: Member
    wait: {constant: 0s}
    on_start:
      - use: accounts
      - set: {n: "${0}"}
      - request:
          method: POST
          url: /login
          form: {username: "${accounts.username}", password: "${accounts.password}"}
          extract: [{var: csrf, regex: 'name="csrf" value="([^"]+)"'}]
    tasks:
      - steps:
          - name: quit after three orders
            on_failure: stop-user
            request: {url: "/status/${n < 3 ? 200 : 410}", name: quit}
          - set: {n: "${n + 1}"}
          - request:
              method: POST
              url: /api/orders
              name: order
              form: {csrf: "${csrf}"}
              check: [{status: 201}]
              extract: [{var: order_id, jsonpath: $.id}]
          - request: {url: "/api/orders/${order_id}", name: read}
          - request: {url: /echo, name: mine, query: {u: "${user_id}", account: "${accounts.username}"}}
    on_stop:
      - request: {method: POST, url: /logout}
`
	const users, accounts, orders = 30, 10, 3
	r := start(t, src, srv.URL, users, 0, engine.Options{})
	snap := wait(t, r)
	if r.Reason() != "all users finished" {
		t.Errorf("the run ended with %q, want all users finished", r.Reason())
	}
	// The only failures are the quits, one per user.
	for _, e := range snap.Entries {
		want := int64(0)
		if e.Name == "quit" {
			want = users
		}
		if e.Failures != want {
			t.Errorf("%s: %d failures, want %d (%v)", e.Key, e.Failures, want, errorsOf(snap))
		}
	}
	if got := entry(t, snap, "POST", "order").Requests; got != users*orders {
		t.Errorf("%d orders, want %d", got, users*orders)
	}
	// Each user used one account all its life.
	held := map[string]string{}
	for _, h := range rc.all() {
		if h.path != "/echo" {
			continue
		}
		q, err := url.ParseQuery(h.query)
		if err != nil {
			t.Fatal(err)
		}
		if prev, ok := held[h.user]; ok && prev != q.Get("account") {
			t.Errorf("user %s used %s, then %s", h.user, prev, q.Get("account"))
		}
		held[h.user] = q.Get("account")
	}
	distinct := map[string]bool{}
	for _, a := range held {
		distinct[a] = true
	}
	if len(held) != users || len(distinct) != accounts {
		t.Errorf("%d users ordered with %d accounts, want %d with %d", len(held), len(distinct), users, accounts)
	}
	st := app.Stats()
	if st.MaxSessionsPerAccount != 1 || st.ConcurrentSessions != 0 {
		t.Errorf("demo: at most %d sessions per account, %d concurrent logins (%v); want 1, 0",
			st.MaxSessionsPerAccount, st.ConcurrentSessions, st.ConcurrentByAccount)
	}
	if st.Logins != users || st.Logouts != users || st.LiveSessions != 0 {
		t.Errorf("demo: %d logins, %d logouts, %d live sessions; want %d, %d, 0", st.Logins, st.Logouts, st.LiveSessions, users, users)
	}
}

// TestPoolRecycleForIteration has 20 users share 5 accounts drawn inside
// a task: each row goes back to the pool when its iteration ends, so the
// users take turns and no account is ever logged in twice at once.
func TestPoolRecycleForIteration(t *testing.T) {
	app := demo.New(demo.Options{})
	srv := httptest.NewServer(app)
	defer srv.Close()
	src := `
data:
  accounts:
    mode: unique-recycle
    timeout: 5s
    rows: [{u: user1}, {u: user2}, {u: user3}, {u: user4}, {u: user5}]
users:
  - name: Member
    wait: {constant: 0s}
    tasks:
      - steps:
          - use: accounts
          - request:
              method: POST
              url: /login
              form: {username: "${accounts.u}", password: "${replace(accounts.u, 'user', 'pass')}"}
              extract: [{var: csrf, regex: 'name="csrf" value="([^"]+)"'}]
          - request: {method: POST, url: /api/orders, form: {csrf: "${csrf}"}, check: [{status: 201}]}
          - request: {method: POST, url: /logout}
`
	const users, iters = 20, 100
	snap := runToEnd(t, src, srv.URL, users, 0, engine.Options{Iterations: iters})
	if snap.Total.Requests != 3*iters || snap.Total.Failures != 0 {
		t.Fatalf("%d requests, %d failures (%v); want %d, 0", snap.Total.Requests, snap.Total.Failures, errorsOf(snap), 3*iters)
	}
	st := app.Stats()
	if st.Logins != iters || st.MaxSessionsPerAccount != 1 || st.ConcurrentSessions != 0 {
		t.Errorf("demo: %d logins, at most %d sessions per account, %d concurrent (%v); want %d, 1, 0",
			st.Logins, st.MaxSessionsPerAccount, st.ConcurrentSessions, st.ConcurrentByAccount, iters)
	}
}

// TestPoolRecycleTimeout has two users want the one row of a pool in
// on_start: the second waits out the pool's timeout and gets a counted POOL
// failure instead of hanging, and stops, since it has no row to work with.
func TestPoolRecycleTimeout(t *testing.T) {
	tests := []struct {
		name string
		use  string // the on_start step
	}{
		// Told to stop.
		{"stop-user", `{use: accounts, on_failure: stop-user}`},
		// By default: it does not go on into its tasks without its row,
		// where every request would fail on the unset ${accounts.u}.
		{"default", `{use: accounts}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				var rc recorder
				dial := virtualHost(t, rc.wrap(nil))
				src := `
data:
  accounts: {mode: unique-recycle, timeout: 200ms, rows: [{u: only}]}
users:
  - name: Member
    wait: {constant: 50ms}
    on_start:
      - ` + tt.use + `
    tasks:
      - steps:
          - request: {url: "/work?u=${user_id}&as=${accounts.u}", name: work}
`
				r := start(t, src, vhost, 2, 0, engine.Options{RunTime: time.Second, Dial: dial})
				snap := wait(t, r)
				e := entry(t, snap, "POOL", "accounts")
				if e.Requests != 1 || e.Failures != 1 {
					t.Errorf("POOL accounts: %d draws, %d failures; want 1, 1", e.Requests, e.Failures)
				}
				for text, n := range errorsOf(snap) {
					if !strings.Contains(text, `data pool "accounts"`) || !strings.Contains(text, "200ms") {
						t.Errorf("error %q (×%d), want only the pool's, naming it and its timeout", text, n)
					}
				}
				if w := entry(t, snap, "GET", "work"); w.Failures != 0 || w.Requests == 0 {
					t.Errorf("work: %d requests, %d failures; want some, 0", w.Requests, w.Failures)
				}
				// Only the holder worked; the other stopped after its timeout.
				if got := rc.byUser(); len(got) != 1 {
					t.Errorf("%d users worked, want 1", len(got))
				}
				if r.Reason() != "run time reached" {
					t.Errorf("the run ended with %q, want run time reached", r.Reason())
				}
			})
		})
	}
}

// TestPoolRecycleTimeoutInTask has two users take turns on the one row of
// a pool drawn in a task, each holding it longer than the other may wait.
// A user whose draw timed out must not go on with the row of its previous
// iteration, which it gave back and another user now holds: every request
// the server sees is covered by a draw that succeeded.
func TestPoolRecycleTimeoutInTask(t *testing.T) {
	synctest.Test(t, testPoolRecycleTimeoutInTask)
}

func testPoolRecycleTimeoutInTask(t *testing.T) {
	var rc recorder
	dial := virtualHost(t, rc.wrap(nil))
	src := `
data:
  accounts: {mode: unique-recycle, timeout: 100ms, rows: [{u: only}]}
users:
  - name: Member
    wait: {constant: 0s}
    tasks:
      - steps:
          - use: accounts
          - request: {url: "/work?u=${user_id}&as=${accounts.u}", name: work}
          - think: 250ms
`
	tr := &tracer{}
	snap := runToEnd(t, src, vhost, 2, 0, engine.Options{RunTime: 1500 * time.Millisecond, Tracer: tr, Dial: dial})
	tr.mu.Lock()
	draws := 0
	for _, s := range tr.sets {
		if strings.Contains(s, " accounts=") {
			draws++
		}
	}
	tr.mu.Unlock()
	if got := rc.count("/work"); got != draws {
		t.Errorf("the server got %d requests for %d successful draws; want one per draw", got, draws)
	}
	if e := entry(t, snap, "POOL", "accounts"); e.Failures == 0 {
		t.Errorf("no draw timed out; the test did not test anything")
	}
	if w := entry(t, snap, "GET", "work"); w.Failures != 0 {
		t.Errorf("work: %d failures (%v), want 0: a user without its row must not send the request", w.Failures, errorsOf(snap))
	}
}

// TestPoolRandom draws a random row 60 times: every value is a row of the
// pool, and more than one row comes up.
func TestPoolRandom(t *testing.T) {
	var rc recorder
	srv := httptest.NewServer(rc.wrap(nil))
	defer srv.Close()
	src := `
data:
  items: {mode: random, rows: [{sku: SKU-001}, {sku: SKU-002}, {sku: SKU-003}]}
users:
  - name: U
    wait: {constant: 0s}
    tasks:
      - steps:
          - use: items
          - request: {url: "/item?u=${user_id}&sku=${items.sku}", name: item}
`
	const iters = 60
	runToEnd(t, src, srv.URL, 2, 0, engine.Options{Iterations: iters})
	seen := map[string]int{}
	for _, h := range rc.all() {
		q, err := url.ParseQuery(h.query)
		if err != nil {
			t.Fatal(err)
		}
		seen[q.Get("sku")]++
	}
	n := 0
	for sku, c := range seen {
		if !slices.Contains([]string{"SKU-001", "SKU-002", "SKU-003"}, sku) {
			t.Errorf("drew %q, not a row of the pool", sku)
		}
		n += c
	}
	// All 60 draws the same row: p = 3 × 3^-60.
	if n != iters || len(seen) < 2 {
		t.Errorf("draws %v, want %d spread over more than one row", seen, iters)
	}
}

// TestPoolUnknownColumn checks that `${pool.column}` naming a column the
// pool lacks is a Compile error at the expression's file:line:col,
// wherever the template is.
func TestPoolUnknownColumn(t *testing.T) {
	tests := []struct {
		name string
		step string // one step reading urls.nope
		at   string // where the error points: the reference itself
	}{
		// In a URL.
		{"url", `- request: {url: "/a/${urls.nope}"}`, "${urls.nope}"},
		// In a header.
		{"header", `- request: {url: /a, headers: {X-A: "v=${urls.nope}"}}`, "${urls.nope}"},
		// In a JSON body. The model keeps no positions inside a JSON body,
		// so the error points at the request.
		{"json", `- request: {method: POST, url: /a, json: {a: "${urls.nope}"}}`, "{method: POST"},
		// In a log step.
		{"log", `- log: "at ${urls.nope}"`, "${urls.nope}"},
		// In a set step.
		{"set", `- set: {x: "${urls.nope}"}`, "${urls.nope}"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := `data:
  urls: {file: testdata/urls.csv}
users:
  - name: U
    tasks:
      - steps:
          - use: urls
          ` + tt.step + "\n"
			file := tt.name + ".yaml"
			sc, err := scenario.Parse(file, []byte(src))
			if err != nil {
				t.Fatalf("does not parse: %v", err)
			}
			_, err = engine.Compile(sc, engine.CompileOptions{Host: "http://127.0.0.1:1"})
			var list scenario.ErrorList
			if !errors.As(err, &list) || len(list) != 1 {
				t.Fatalf("Compile: %v; want one scenario error", err)
			}
			at := strings.Index(src, tt.at)
			line := strings.Count(src[:at], "\n") + 1
			col := at - strings.LastIndex(src[:at], "\n")
			want := file + ":" + strconv.Itoa(line) + ":" + strconv.Itoa(col) + `: pool "urls" has no column "nope" (columns: path, label)`
			if got := list[0].Error(); got != want {
				t.Errorf("got  %s\nwant %s", got, want)
			}
		})
	}
}
