package demo_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/loadrun/loadrun/demo"
)

// discard is a ResponseWriter that keeps nothing, so a benchmark of the
// handler measures the handler and not a recorder.
type discard struct{ h http.Header }

func (d *discard) Header() http.Header         { return d.h }
func (d *discard) Write(b []byte) (int, error) { return len(b), nil }
func (d *discard) WriteHeader(int)             {}

func benchHandler(b *testing.B, target string) {
	a := demo.New(demo.Options{})
	req := httptest.NewRequest("GET", target, nil)
	w := &discard{h: http.Header{}}
	b.ReportAllocs()
	for b.Loop() {
		clear(w.h)
		a.ServeHTTP(w, req)
	}
}

// BenchmarkHandlerJSON is the cost of the plain benchmark target without a network.
func BenchmarkHandlerJSON(b *testing.B) { benchHandler(b, "/json") }

// BenchmarkHandlerItem is a routed path with a wildcard and an HTML template.
func BenchmarkHandlerItem(b *testing.B) { benchHandler(b, "/items/7") }

// BenchmarkServerJSON is GET /json over loopback keep-alive connections.
func BenchmarkServerJSON(b *testing.B) {
	srv := httptest.NewServer(demo.New(demo.Options{}))
	defer srv.Close()
	tr := &http.Transport{MaxIdleConnsPerHost: 64}
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			resp, err := hc.Get(srv.URL + "/json")
			if err != nil {
				b.Error(err)
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
	})
}

// BenchmarkLoginOrderLogout is one user's session: the correlation path.
func BenchmarkLoginOrderLogout(b *testing.B) {
	_, srv := start(b, demo.Options{})
	c := newClient(b, srv)
	b.ReportAllocs()
	for b.Loop() {
		_, csrf := c.login("user1", "pass1")
		c.postForm("/api/orders", url.Values{"csrf": {csrf}})
		c.postForm("/logout", nil)
	}
}
