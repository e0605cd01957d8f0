package main

import (
	"context"
	"net"
	"net/http"
	"time"

	"github.com/loadrun/loadrun/demo"
)

// startDemo serves the demo target in-process on a free loopback port, so
// that `loadrun run --demo` works on a fresh machine with nothing else up.
func startDemo() (host string, stop func(), err error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	srv := &http.Server{Handler: demo.New(demo.Options{}), ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	return "http://" + ln.Addr().String(), func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
	}, nil
}
