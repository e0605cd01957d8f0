package demo

import (
	"context"
	"errors"
	"net"
	"net/http"
	"time"
)

// DefaultAddr is where Serve listens when addr is empty. It is loopback
// only: the demo is a target for local load, not a public service.
const DefaultAddr = "127.0.0.1:8080"

// shutdownGrace bounds how long Serve waits for requests in flight (a /slow
// or a /big download) once ctx is done.
const shutdownGrace = 5 * time.Second

// Serve serves a on addr (DefaultAddr when empty) until ctx is done, then
// shuts down gracefully. It logs the address it listens on through logf
// (nil: no logging), which tells a caller the port picked for ":0". It
// returns nil after a shutdown caused by ctx, and the error otherwise.
func Serve(ctx context.Context, addr string, a *App, logf func(string, ...any)) error {
	if addr == "" {
		addr = DefaultAddr
	}
	if logf == nil {
		logf = func(string, ...any) {}
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           a,
		ReadHeaderTimeout: 10 * time.Second,
		// Requests must not outlive the process's context either.
		BaseContext: func(net.Listener) context.Context { return ctx },
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	logf("demo: serving on http://%s", ln.Addr())
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownGrace)
	defer cancel()
	err = srv.Shutdown(sctx)
	if serr := <-done; serr != nil && !errors.Is(serr, http.ErrServerClosed) {
		return serr
	}
	if errors.Is(err, context.DeadlineExceeded) {
		// Requests still running after the grace period are cut off.
		return srv.Close()
	}
	return err
}
