package session_test

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/loadrun/loadrun/demo"
	"github.com/loadrun/loadrun/engine"
	"github.com/loadrun/loadrun/engine/httpclient"
	"github.com/loadrun/loadrun/internal/memnet"
	"github.com/loadrun/loadrun/scenario"
	"github.com/loadrun/loadrun/session"
)

// runLimit bounds every run in these tests: one that has not ended by then
// is killed and the test fails, so a hung run cannot hang the suite.
const runLimit = 20 * time.Second

// demoTarget serves the demo shop for one test.
func demoTarget(t *testing.T) (*demo.App, string) {
	t.Helper()
	app := demo.New(demo.Options{})
	srv := httptest.NewServer(app)
	t.Cleanup(srv.Close)
	return app, srv.URL
}

// virtualDemo serves the demo shop on an in-memory listener, for a test in
// testing/synctest's virtual time (call it inside the bubble); runs reach
// it at vhost through the returned dial hook.
func virtualDemo(t *testing.T) httpclient.DialFunc {
	t.Helper()
	l := memnet.Listen()
	srv := &http.Server{Handler: demo.New(demo.Options{})}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return l.Dial
}

// vhost is any host name: the in-memory listener answers them all.
const vhost = "http://app.test"

// newSession compiles a scenario written inline against host.
func newSession(t *testing.T, src, host string, opts engine.Options) *session.Session {
	t.Helper()
	sc, err := scenario.Parse(t.Name()+".yaml", []byte(src))
	if err != nil {
		t.Fatalf("scenario does not parse:\n%v", err)
	}
	s, err := session.New(sc, session.Config{Compile: engine.CompileOptions{Host: host}, Engine: opts})
	if err != nil {
		t.Fatalf("scenario does not compile:\n%v", err)
	}
	t.Cleanup(func() {
		s.Kill()
		<-s.Done()
	})
	return s
}

// start begins a run of src against host; it is killed when the test ends.
func start(t *testing.T, src, host string, users int, rate float64, opts engine.Options) *session.Session {
	t.Helper()
	s := newSession(t, src, host, opts)
	if err := s.Start(users, rate); err != nil {
		t.Fatalf("Start: %v", err)
	}
	return s
}

// wait waits for the run to end and returns its result.
func wait(t *testing.T, s *session.Session) *session.Result {
	t.Helper()
	select {
	case <-s.Done():
	case <-time.After(runLimit):
		s.Kill()
		t.Fatalf("the run did not end within %s (state %s)", runLimit, s.State())
	}
	return s.Result()
}
