package engine_test

import (
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/loadrun/loadrun/engine"
	"github.com/loadrun/loadrun/stats"
	"github.com/mccutchen/go-httpbin/v2/httpbin"
)

// These tests run scenarios against go-httpbin, a server nobody here wrote,
// on loopback: each request carries checks that hold only when loadrun
// spoke HTTP the way a browser would.

// startHTTPBin serves go-httpbin on a free loopback port.
func startHTTPBin(t *testing.T) string {
	t.Helper()
	srv := httptest.NewServer(httpbin.New())
	t.Cleanup(srv.Close)
	return srv.URL
}

// wantAllPassed fails t unless every request of snap succeeded, want in all.
func wantAllPassed(t *testing.T, snap *stats.Snapshot, want int64) {
	t.Helper()
	if snap.Total.Requests != want || snap.Total.Failures != 0 {
		t.Errorf("%d requests, %d failed, want %d and 0; failures: %v", snap.Total.Requests, snap.Total.Failures, want, errorsOf(snap))
	}
	for _, c := range snap.Checks {
		if c.Fail > 0 {
			t.Errorf("check %s failed %d times", c.Name, c.Fail)
		}
	}
}

// TestHTTPBinLargeHeaders: /response-headers answers with 16 KiB of
// headers (and 48 KiB), as real sites with CSP and JWT cookies do. Before
// the header limit was raised every such response was "malformed".
func TestHTTPBinLargeHeaders(t *testing.T) {
	base := startHTTPBin(t)
	var q16, q48 []string
	for i := range 16 {
		q16 = append(q16, fmt.Sprintf("X-Big-%d=%s", i, strings.Repeat("v", 1000)))
	}
	for i := range 48 {
		q48 = append(q48, fmt.Sprintf("X-Big-%d=%s", i, strings.Repeat("w", 1000)))
	}
	src := fmt.Sprintf(`
users:
  - name: U
    wait: {constant: 0s}
    tasks:
      - steps:
          - request:
              url: /response-headers?%s
              name: 16k
              check:
                - status: 200
                - header: X-Big-15
                  contains: vvvv
          - request:
              url: /response-headers?%s
              name: 48k
              check:
                - status: 200
                - header: X-Big-47
                  contains: wwww
`, strings.Join(q16, "&"), strings.Join(q48, "&"))
	snap := runToEnd(t, src, base, 1, 0, engine.Options{Iterations: 2})
	wantAllPassed(t, snap, 4)
}

// TestHTTPBinCompression: go-httpbin's /gzip and /deflate (zlib, as RFC
// 9110 says deflate is) are decoded for checks; before, deflate was read as
// raw deflate and decoded to an empty body.
func TestHTTPBinCompression(t *testing.T) {
	base := startHTTPBin(t)
	src := `
users:
  - name: U
    wait: {constant: 0s}
    tasks:
      - steps:
          - request:
              url: /gzip
              headers: {Accept-Encoding: gzip}
              check:
                - header: Content-Encoding
                  equals: gzip
                - jsonpath: $.gzipped
                  equals: true
          - request:
              url: /deflate
              headers: {Accept-Encoding: deflate}
              check:
                - header: Content-Encoding
                  equals: deflate
                - jsonpath: $.deflated
                  equals: true
`
	snap := runToEnd(t, src, base, 1, 0, engine.Options{Iterations: 3})
	wantAllPassed(t, snap, 6)
}

// TestHTTPBinURLEncoding: values a template inserts into a path segment or
// a query value are encoded as a browser encodes them, and /anything
// echoes what the server decoded; the literal text stays as written, and
// raw() inserts a value as it is.
func TestHTTPBinURLEncoding(t *testing.T) {
	base := startHTTPBin(t)
	src := `
vars:
  term: "tea pot & mugs"
  seg: "a/b c"
  uni: "café=1#x"
  pair: "x=1&y=2"
users:
  - name: U
    tasks:
      - steps:
          - request:
              url: "/anything/${seg}/end?q=${term}&u=${uni}&lit=a%20b&r=${raw(pair)}"
              name: encoded
              check:
                - jsonpath: $.args.q[0]
                  equals: "tea pot & mugs"
                - jsonpath: $.args.u[0]
                  equals: "café=1#x"
                - jsonpath: $.args.lit[0]
                  equals: "a b"
                - jsonpath: $.args.r[0]
                  equals: "x=1"
                - jsonpath: $.args.y[0]
                  equals: "2"
                - jsonpath: $.url
                  contains: "/anything/a%2Fb%20c/end?q=tea%20pot%20%26%20mugs&u=caf%C3%A9%3D1%23x&lit=a%20b&r=x=1&y=2"
`
	snap := runToEnd(t, src, base, 1, 0, engine.Options{Iterations: 1})
	wantAllPassed(t, snap, 1)
}

// TestHTTPBinCookiesAndRedirects: /cookies/set sets cookies and redirects
// to /cookies, which echoes what the user sent; /redirect/n and
// /absolute-redirect/n are followed to the end.
func TestHTTPBinCookiesAndRedirects(t *testing.T) {
	base := startHTTPBin(t)
	src := `
users:
  - name: U
    tasks:
      - steps:
          - request:
              url: /cookies/set?session=abc&theme=dark
              check:
                - jsonpath: $.cookies.session
                  equals: abc
                - jsonpath: $.cookies.theme
                  equals: dark
          - request:
              url: /cookies/delete?theme
              check:
                - jsonpath: $.cookies.session
                  equals: abc
                - not_contains: theme
          - request:
              url: /redirect/3
              check:
                - jsonpath: $.url
                  contains: /get
          - request:
              url: /absolute-redirect/2
              check:
                - jsonpath: $.url
                  contains: /get
`
	snap := runToEnd(t, src, base, 1, 0, engine.Options{Iterations: 1})
	wantAllPassed(t, snap, 4)
}
