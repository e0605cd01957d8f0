package engine_test

import (
	"net/http"
	"testing"

	"github.com/loadrun/loadrun/demo"
	"github.com/loadrun/loadrun/engine/httpclient"
	"github.com/loadrun/loadrun/internal/memnet"
)

// virtualHost serves h on an in-memory listener for a test running in
// testing/synctest's virtual time (call it inside the bubble): users reach
// it through the returned dial hook, with no socket, so every wait (think
// times, spawn rates, timeouts, the run time) passes in virtual time and no
// test depends on how busy the machine is.
func virtualHost(t *testing.T, h http.Handler) httpclient.DialFunc {
	t.Helper()
	l := memnet.Listen()
	srv := &http.Server{Handler: h}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return l.Dial
}

// virtualDemo serves the demo shop in virtual time (see virtualHost).
func virtualDemo(t *testing.T) (*demo.App, httpclient.DialFunc) {
	app := demo.New(demo.Options{})
	return app, virtualHost(t, app)
}

// vhost is the host name virtual tests give their scenarios: any name
// reaches the in-memory listener.
const vhost = "http://app.test"
