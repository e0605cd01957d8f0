package engine_test

import (
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/loadrun/loadrun/engine"
)

// TestPostOnIdleClosedConnection: a server closes idle connections after
// 20 ms. A POST is never retried (it may have been acted on), so it must
// find out before sending that its connection is gone: every POST arrives
// exactly once, each on a new connection, and none fails. Before each POST
// the user asks a second server, which answers only once the first has
// closed every connection it accepted: a think time longer than the idle
// timeout raced the server's timer on a busy machine (the POST went out just
// before the server closed the connection, and failed).
func TestPostOnIdleClosedConnection(t *testing.T) {
	var rc recorder
	srv := httptest.NewUnstartedServer(rc.wrap(nil))
	srv.Config.IdleTimeout = 20 * time.Millisecond
	var accepted, closed atomic.Int64
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		switch s {
		case http.StateNew:
			accepted.Add(1)
		case http.StateClosed: // set after the socket was closed
			closed.Add(1)
		}
	}
	srv.Start()
	defer srv.Close()
	gate := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		deadline := time.Now().Add(runLimit)
		for closed.Load() != accepted.Load() && time.Now().Before(deadline) {
			time.Sleep(time.Millisecond)
		}
	}))
	defer gate.Close()
	src := `
users:
  - name: U
    wait: {constant: 0s}
    tasks:
      - steps:
          - request: {url: "` + gate.URL + `/closed"}
          - request: {method: POST, url: /order, form: {a: "1"}}
`
	snap := runToEnd(t, src, srv.URL, 2, 0, engine.Options{Iterations: 10})
	if snap.Total.Failures != 0 {
		t.Errorf("failures: got %d (%v), want 0", snap.Total.Failures, errorsOf(snap))
	}
	if got := rc.count("/order"); got != 10 {
		t.Errorf("server saw %d POSTs, want exactly 10", got)
	}
	if got := accepted.Load(); got != 10 {
		t.Errorf("server accepted %d connections, want 10: each POST on a new one", got)
	}
}

// TestPostNotRetried: a server that reads each request and then drops the
// connection without answering. A GET may be retried once; a POST must be
// sent once and counted as failed, never repeated.
func TestPostNotRetried(t *testing.T) {
	for _, tc := range []struct {
		method string
		want   int64 // requests the server receives for one iteration
	}{
		{"POST", 1}, // not idempotent: once, then a counted failure
		{"GET", 2},  // idempotent: the second (fresh) attempt is the retry
	} {
		t.Run(tc.method, func(t *testing.T) {
			var seen atomic.Int64
			srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path == "/warm" {
					return // leaves a kept-alive connection to reuse
				}
				seen.Add(1)
				c, _, err := w.(http.Hijacker).Hijack()
				if err == nil {
					if tcp, ok := c.(*net.TCPConn); ok {
						tcp.SetLinger(0)
					}
					c.Close()
				}
			}))
			srv.Start()
			defer srv.Close()
			src := `
users:
  - name: U
    wait: {constant: 0s}
    on_start: [{request: {url: /warm}}]
    tasks: [{steps: [{request: {method: ` + tc.method + `, url: /x}}]}]
`
			snap := runToEnd(t, src, srv.URL, 1, 0, engine.Options{Iterations: 1})
			if got := seen.Load(); got != tc.want {
				t.Errorf("server received %d %s requests, want %d", got, tc.method, tc.want)
			}
			if e := entry(t, snap, tc.method, "/x"); e.Failures != 1 {
				t.Errorf("failures: got %d, want 1 (%v)", e.Failures, errorsOf(snap))
			}
		})
	}
}
