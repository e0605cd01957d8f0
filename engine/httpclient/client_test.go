package httpclient_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/loadrun/loadrun/engine/httpclient"
	"github.com/loadrun/loadrun/internal/memnet"
	"github.com/valyala/fasthttp"
)

// serveMem serves h on an in-memory listener and returns its dial hook.
func serveMem(t *testing.T, h http.Handler) httpclient.DialFunc {
	t.Helper()
	l := memnet.Listen()
	srv := &http.Server{Handler: h}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return l.Dial
}

// get sends one GET through s and returns the status and body.
func get(t *testing.T, s *httpclient.Session, url string) (int, string, error) {
	t.Helper()
	req, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(resp)
	req.SetRequestURI(url)
	var x httpclient.Exchange
	defer x.Release()
	_, _, err := s.Send(req, resp, &x, true, time.Now().Add(10*time.Second), nil)
	if err != nil {
		return 0, "", err
	}
	return resp.StatusCode(), string(x.Body), nil
}

// TestDialHook: every connection goes through Options.Dial, so a session
// reaches a server that has no socket, and the name in the URL is only
// what the hook is asked for.
func TestDialHook(t *testing.T) {
	var dials atomic.Int64
	var addrs []string
	serve := serveMem(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "%s %s", r.Host, r.URL.Path)
	}))
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		dials.Add(1)
		addrs = append(addrs, addr)
		return serve(ctx, network, addr)
	}
	s := httpclient.NewSession(httpclient.Options{Dial: dial})
	defer s.Close()
	for i := range 3 {
		code, body, err := get(t, s, "http://shop.test/p")
		if err != nil || code != 200 || body != "shop.test /p" {
			t.Fatalf("request %d: %d %q %v", i, code, body, err)
		}
	}
	if dials.Load() != 1 || addrs[0] != "shop.test:80" {
		t.Errorf("dials %d to %v, want one (keep-alive) to shop.test:80", dials.Load(), addrs)
	}
}

// TestDialHookError: a dial that fails is the request's error.
func TestDialHookError(t *testing.T) {
	boom := errors.New("no route")
	s := httpclient.NewSession(httpclient.Options{Dial: func(context.Context, string, string) (net.Conn, error) {
		return nil, boom
	}})
	if _, _, err := get(t, s, "http://x.test/"); !errors.Is(err, boom) {
		t.Errorf("error %v, want the dial's", err)
	}
}

// TestLargeHeaderBlocks: header blocks past the 4 KiB read buffer are read
// up to MaxHeaderBytes (64 KiB by default); beyond, the request fails with
// a clear error, and the session goes on working.
func TestLargeHeaderBlocks(t *testing.T) {
	dial := serveMem(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var n int
		fmt.Sscan(r.URL.Query().Get("kib"), &n)
		for i := range n {
			w.Header().Add(fmt.Sprintf("X-Big-%d", i), strings.Repeat("v", 1000))
		}
		io.WriteString(w, "body")
	}))
	cases := []struct {
		kib, max int
		ok       bool
	}{
		{kib: 0, ok: true},                  // no extra headers
		{kib: 5, ok: true},                  // the 5 KB header
		{kib: 32, ok: true},                 // the big end of real sites
		{kib: 62, ok: true},                 // just under the default 64 KiB
		{kib: 70, ok: false},                // past the default
		{kib: 70, max: 128 << 10, ok: true}, // configured larger
		{kib: 8, max: 4 << 10, ok: false},   // configured smaller than the buffer
	}
	for _, c := range cases {
		s := httpclient.NewSession(httpclient.Options{Dial: dial, MaxHeaderBytes: c.max})
		code, body, err := get(t, s, fmt.Sprintf("http://big.test/?kib=%d", c.kib))
		if c.ok && (err != nil || code != 200 || body != "body") {
			t.Errorf("%d KiB of headers, max %d: %d %q %v, want 200 body", c.kib, c.max, code, body, err)
		}
		if !c.ok && !errors.Is(err, httpclient.ErrHeaderTooLarge) {
			t.Errorf("%d KiB of headers, max %d: error %v, want ErrHeaderTooLarge", c.kib, c.max, err)
		}
		// The session recovers on a fresh connection.
		if code, body, err := get(t, s, "http://big.test/?kib=1"); err != nil || code != 200 || body != "body" {
			t.Errorf("after %d KiB: %d %q %v", c.kib, code, body, err)
		}
		s.Close()
	}
}
