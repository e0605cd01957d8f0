package engine_test

import (
	"net"
	"net/http"
	"sync/atomic"
	"testing"

	"github.com/loadrun/loadrun/engine"
	"github.com/loadrun/loadrun/internal/memnet"
)

// TestDialHook runs users whose every connection goes through
// Options.Dial to an in-memory listener: no socket, no port, and the
// server still sees each user on its own keep-alive connection.
func TestDialHook(t *testing.T) {
	l := memnet.Listen()
	var rc recorder
	var conns atomic.Int64
	srv := &http.Server{Handler: rc.wrap(nil), ConnState: func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}}
	go srv.Serve(l)
	defer srv.Close()
	src := `
users:
  - name: U
    wait: {constant: 0s}
    tasks: [{steps: [{request: {url: "/t?u=${user_id}"}}]}]
`
	snap := runToEnd(t, src, "http://app.test", 2, 0, engine.Options{Iterations: 20, Dial: l.Dial})
	if snap.Total.Failures != 0 || rc.count("/t") != 20 {
		t.Fatalf("failures %d (%v), server saw %d requests; want 0 and 20", snap.Total.Failures, errorsOf(snap), rc.count("/t"))
	}
	if users := len(rc.byUser()); conns.Load() != int64(users) {
		t.Errorf("%d connections for %d users, want one each", conns.Load(), users)
	}
}
