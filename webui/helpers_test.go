package webui

import (
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/loadrun/loadrun/demo"
	"github.com/loadrun/loadrun/engine"
	"github.com/loadrun/loadrun/scenario"
	"github.com/loadrun/loadrun/session"
)

// newLocal is a Local controller of a scenario written in the test, with
// the stop timeout short enough that a stop never waits on a think time.
func newLocal(t testing.TB, yaml, host string) *Local {
	t.Helper()
	l, err := NewLocal(parseScenario(t, yaml), session.Config{
		Compile: engine.CompileOptions{Host: host},
		Engine:  engine.Options{StopTimeout: time.Second},
		Version: "test",
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(l.Kill)
	return l
}

// demoTarget serves the demo shop on a loopback port for the test.
func demoTarget(t testing.TB) (string, *demo.App) {
	t.Helper()
	app := demo.New(demo.Options{})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: app, ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return "http://" + ln.Addr().String(), app
}

func parseScenario(t testing.TB, yaml string) *scenario.Scenario {
	t.Helper()
	sc, err := scenario.Parse("test.yaml", []byte(strings.TrimSpace(yaml)+"\n"))
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

// serve runs srv on a loopback port for the test and returns its base URL.
func serve(t testing.TB, srv *Server) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 5 * time.Second}
	go hs.Serve(ln)
	t.Cleanup(func() {
		srv.Close()
		hs.Close()
	})
	return "http://" + ln.Addr().String()
}
