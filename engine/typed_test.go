package engine_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/loadrun/loadrun/engine"
)

// TestTypedVars: a YAML number in vars stays a number and a bool a bool,
// so `${counter + 1}` adds; README's `set: {count: "${count + 1}"}` works
// as written (count, an expr built-in, is the user's variable). The server
// sees what each user sent.
func TestTypedVars(t *testing.T) {
	var rc recorder
	srv := httptest.NewServer(rc.wrap(nil))
	defer srv.Close()
	src := `
vars: {counter: 0, ratio: 1.5, on: true, count: 0}
users:
  - name: U
    wait: {constant: 0s}
    tasks:
      - steps:
          - set: {counter: "${counter + 1}", count: "${count + 1}"}
          - request: {url: "/n?c=${counter}&k=${count}&r=${ratio * 2}&o=${on && true}"}
`
	snap := runToEnd(t, src, srv.URL, 1, 0, engine.Options{Iterations: 3})
	if snap.Total.Failures != 0 {
		t.Fatalf("failures: %v", errorsOf(snap))
	}
	var got []string
	for _, h := range rc.all() {
		got = append(got, h.query)
	}
	want := "c=1&k=1&r=3&o=true c=2&k=2&r=3&o=true c=3&k=3&r=3&o=true"
	if strings.Join(got, " ") != want {
		t.Errorf("queries %q, want %q", strings.Join(got, " "), want)
	}
}

// TestSetAndLogFailuresCounted: a set or a log that cannot be evaluated is a
// counted failure of its step (Type SET or LOG in the errors table), not a
// line on stderr, and the run's failures show it; a set's on_failure applies.
func TestSetAndLogFailuresCounted(t *testing.T) {
	var rc recorder
	srv := httptest.NewServer(rc.wrap(nil))
	defer srv.Close()
	src := `
vars: {word: abc}
users:
  - name: U
    wait: {constant: 0s}
    tasks:
      - name: t
        steps:
          - {name: bad-set, set: {n: "${word + 1}"}}
          - {name: bad-log, log: "${word.missing.deeper}"}
          - {name: stop-here, set: {m: "${int(word)}"}, on_failure: end-iteration}
          - request: {url: /never}
`
	snap := runToEnd(t, src, srv.URL, 1, 0, engine.Options{Iterations: 2})
	if n := rc.count("/never"); n != 0 {
		t.Errorf("/never requested %d times; on_failure: end-iteration must end the iteration", n)
	}
	rows := map[string]int64{}
	for _, e := range snap.Entries {
		rows[e.Method+" "+e.Name] = e.Failures
	}
	for _, key := range []string{"SET step 'bad-set'", "LOG step 'bad-log'", "SET step 'stop-here'"} {
		if rows[key] != 2 {
			t.Errorf("row %q: %d failures, want 2 (rows: %v)", key, rows[key], rows)
		}
	}
	if snap.Total.Failures != 6 {
		t.Errorf("total failures %d, want 6", snap.Total.Failures)
	}
	for text := range errorsOf(snap) {
		if !strings.Contains(text, "word") {
			t.Errorf("error %q does not name the expression", text)
		}
	}
}

// TestChecksSeeUserVariables: a check's expected value is a template and an
// expr check reads the user's variables, so each user checks that the
// server echoed what it sent (users 1 and 2 send different values).
func TestChecksSeeUserVariables(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"echo": %q}`, r.URL.Query().Get("v"))
	}))
	defer srv.Close()
	src := `
users:
  - name: U
    wait: {constant: 0s}
    tasks:
      - steps:
          - request:
              url: "/echo?v=v${user_id}"
              check:
                - {jsonpath: $.echo, equals: "v${user_id}"}
                - {jsonpath: $.echo, not_equals: "v${user_id + 1}"}
                - expr: 'json("$.echo") == "v" + string(user_id)'
`
	snap := runToEnd(t, src, srv.URL, 2, 0, engine.Options{Iterations: 4})
	if snap.Total.Requests != 4 || snap.Total.Failures != 0 {
		t.Errorf("requests %d, failures %d (%v); want 4 and 0", snap.Total.Requests, snap.Total.Failures, errorsOf(snap))
	}
	for _, c := range snap.Checks {
		if c.Pass != 4 || c.Fail != 0 {
			t.Errorf("check %q: %d passed, %d failed; want 4 and 0", c.Name, c.Pass, c.Fail)
		}
	}
}
