package engine_test

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/loadrun/loadrun/demo"
	"github.com/loadrun/loadrun/engine"
)

// closedAddr is a loopback address nothing listens on.
func closedAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// garbageServer answers every request with bytes that are not HTTP.
func garbageServer(t *testing.T) string {
	t.Helper()
	return rawServer(t, func(c net.Conn, _ string) {
		c.Write([]byte("this is not HTTP at all\r\n\r\n"))
	})
}

// TestFailureKinds sends each kind of failing request in every iteration
// and checks that each is counted under its own error text, and that none
// of them stops the user: the last, good request runs every iteration.
func TestFailureKinds(t *testing.T) {
	srv := httptest.NewServer(demo.New(demo.Options{}))
	defer srv.Close()
	src := fmt.Sprintf(`
users:
  - name: U
    wait: {constant: 0s}
    tasks:
      - steps:
          - request: {url: /status/404, name: not-found}
          - request: {url: /status/503, name: unavailable}
          - request: {url: "http://%s/", name: refused}
          - request: {url: /reset, name: reset}
          - request: {url: "/slow?ms=3000", name: timeout, timeout: 100ms}
          - request: {url: "http://%s/", name: garbage}
          - request: {url: /json, name: good}
`, closedAddr(t), garbageServer(t))
	const iters = 3
	snap := runToEnd(t, src, srv.URL, 1, 0, engine.Options{Iterations: iters})
	tests := []struct {
		name string
		want string // a part of the error text
	}{
		// A 4xx status without a status check is a failure.
		{"not-found", "HTTP 404 Not Found"},
		// So is a 5xx.
		{"unavailable", "HTTP 503 Service Unavailable"},
		// Nothing listens on the port.
		{"refused", "connection refused"},
		// The server resets the connection instead of answering.
		{"reset", "reset"},
		// The request's own timeout, not the run's default.
		{"timeout", "timeout after 100ms"},
		// The answer is not HTTP.
		{"garbage", "malformed response: invalid response status code"},
	}
	for _, tt := range tests {
		e := entry(t, snap, "GET", tt.name)
		if e.Requests != iters || e.Failures != iters {
			t.Errorf("%s: %d requests, %d failures; want %d, %d", tt.name, e.Requests, e.Failures, iters, iters)
		}
		var texts []string
		for _, ee := range snap.Errors {
			if ee.Name == tt.name {
				texts = append(texts, fmt.Sprintf("%q×%d", ee.Error, ee.Count))
				if !strings.Contains(ee.Error, tt.want) || ee.Error == "" {
					t.Errorf("%s: error %q, want it to contain %q", tt.name, ee.Error, tt.want)
				}
			}
		}
		if len(texts) != 1 {
			t.Errorf("%s: errors %v, want one distinct error text", tt.name, texts)
		}
		t.Logf("%-12s %s", tt.name, strings.Join(texts, " "))
	}
	if good := entry(t, snap, "GET", "good"); good.Requests != iters || good.Failures != 0 {
		t.Errorf("good: %d requests, %d failures; want %d, 0", good.Requests, good.Failures, iters)
	}
	if got, want := snap.Total.Failures, int64(6*iters); got != want {
		t.Errorf("total failures: got %d, want %d", got, want)
	}
}

// TestUnsetVariable checks that a request using a variable not set yet
// fails with a message naming it, and that nothing half-rendered is sent.
// (A variable that nothing sets at all is a load error; here on_stop sets
// it, too late for the tasks.)
func TestUnsetVariable(t *testing.T) {
	var (
		rc     recorder
		mu     sync.Mutex
		leaked []string
	)
	srv := httptest.NewServer(rc.wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var b strings.Builder
		r.Header.Write(&b)
		if strings.Contains(r.URL.RawQuery+r.URL.Path+b.String(), "${") {
			mu.Lock()
			leaked = append(leaked, r.URL.String())
			mu.Unlock()
		}
	})))
	defer srv.Close()
	tests := []struct {
		name string
		step string
	}{
		// In the URL.
		{"url", `{url: "/a?v=${nope}"}`},
		// In a header.
		{"header", `{url: /b, headers: {X-Nope: "${nope}"}}`},
		// In a query parameter.
		{"query", `{url: /c, query: {q: "${nope}"}}`},
		// In a JSON body.
		{"json", `{method: POST, url: /d, json: {v: "${nope}"}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := fmt.Sprintf(`
users:
  - name: U
    wait: {constant: 0s}
    tasks: [{steps: [{request: %s}, {request: {url: /after}}]}]
    on_stop: [{set: {nope: late}}]
`, tt.step)
			before := len(rc.all())
			snap := runToEnd(t, src, srv.URL, 1, 0, engine.Options{Iterations: 2})
			if got := len(rc.all()) - before; got != 2 {
				t.Errorf("server saw %d requests, want 2 (only /after, twice)", got)
			}
			if snap.Total.Failures != 2 {
				t.Errorf("failures: got %d, want 2", snap.Total.Failures)
			}
			for text := range errorsOf(snap) {
				if !strings.Contains(text, "nope") || !strings.Contains(text, "not set") {
					t.Errorf("error %q, want it to name the variable nope and say it is not set", text)
				}
			}
		})
	}
	mu.Lock()
	defer mu.Unlock()
	if len(leaked) > 0 {
		t.Errorf("requests with a literal ${ went on the wire: %v", leaked)
	}
}
