package engine

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/loadrun/loadrun/scenario"
	"github.com/loadrun/loadrun/stats"
)

// BenchmarkClients is one plain GET step through each of loadrun's HTTP
// clients, so that README can say what each costs:
//
//		go test ./engine -run '^$' -bench Clients -benchmem
//
//	  - fast-h1: the fasthttp-parser client, plain HTTP/1.1 (BenchmarkPlainGET);
//	  - proxied-h1: the net/http client through a proxy (the canned server,
//	    which answers the proxy's absolute-form requests itself, so only the
//	    client's cost is measured);
//	  - fast-h1-tls and h2-tls: the fast client over TLS and the net/http +
//	    x/net/http2 client over HTTP/2, against the same net/http TLS server
//	    (whose own allocations count in both).
func BenchmarkClients(b *testing.B) {
	canned := startCannedServer(b)
	proxy, _ := url.Parse(canned.URL())
	tlsSrv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, benchBody)
	}))
	tlsSrv.EnableHTTP2 = true
	tlsSrv.StartTLS()
	b.Cleanup(tlsSrv.Close)
	cases := []struct {
		name string
		url  string
		opts Options
	}{
		{"fast-h1", canned.URL(), Options{}},
		{"proxied-h1", "http://target.test", Options{Proxy: proxy}},
		{"fast-h1-tls", tlsSrv.URL, Options{Insecure: true}},
		{"h2-tls", tlsSrv.URL, Options{Insecure: true, HTTP2: true}},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			u, steps := benchUserWith(b, plainScenario, c.url, c.opts)
			u.runSteps(steps) // connect outside the loop
			b.ReportAllocs()
			for b.Loop() {
				u.runSteps(steps)
			}
			b.StopTimer()
			wantNoFailures(b, u)
		})
	}
}

// benchUserWith is benchUser with run options.
func benchUserWith(tb testing.TB, src, url string, opts Options) (*vuser, []step) {
	tb.Helper()
	sc, err := scenario.Parse("bench.yaml", []byte(src))
	if err != nil {
		tb.Fatal(err)
	}
	plan, err := Compile(sc, CompileOptions{Host: url})
	if err != nil {
		tb.Fatal(err)
	}
	r := NewRunner(plan, opts)
	r.stats = stats.New(time.Now(), 1)
	u := r.newUserLocked(0)
	u.initVars()
	tb.Cleanup(u.sess.close)
	return u, u.plan.tasks[0].steps
}
