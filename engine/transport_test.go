package engine_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/loadrun/loadrun/demo"
	"github.com/loadrun/loadrun/engine"
)

// connCounter counts the TCP connections a server accepts.
func connCounter(srv *httptest.Server) *atomic.Int64 {
	var n atomic.Int64
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			n.Add(1)
		}
	}
	return &n
}

// TestKeepAlive checks that a user sends all its requests over one
// connection: a load tool that reconnects per request measures handshakes.
func TestKeepAlive(t *testing.T) {
	var rc recorder
	srv := httptest.NewUnstartedServer(rc.wrap(nil))
	conns := connCounter(srv)
	srv.Start()
	defer srv.Close()
	src := `
users:
  - name: U
    wait: {constant: 0s}
    tasks: [{steps: [{request: {url: "/t?u=${user_id}"}}]}]
`
	runToEnd(t, src, srv.URL, 3, 0, engine.Options{Iterations: 90})
	users := len(rc.byUser())
	if got := conns.Load(); got != int64(users) {
		t.Errorf("server accepted %d connections for %d users and 90 requests, want one per user", got, users)
	}
}

// TestIdleConnectionClosed uses a server that closes idle keep-alive
// connections after 20 ms while users think for 60 ms: every request finds
// its connection closed and must be retried once on a new one, silently.
func TestIdleConnectionClosed(t *testing.T) {
	var rc recorder
	srv := httptest.NewUnstartedServer(rc.wrap(nil))
	srv.Config.IdleTimeout = 20 * time.Millisecond
	conns := connCounter(srv)
	srv.Start()
	defer srv.Close()
	src := `
users:
  - name: U
    wait: {constant: 60ms}
    tasks: [{steps: [{request: {url: /t}}]}]
`
	snap := runToEnd(t, src, srv.URL, 2, 0, engine.Options{Iterations: 10})
	if snap.Total.Failures != 0 {
		t.Errorf("failures: got %d (%v), want 0", snap.Total.Failures, errorsOf(snap))
	}
	if got := rc.count("/t"); got != 10 {
		t.Errorf("server saw %d requests, want 10", got)
	}
	if got := conns.Load(); got < 4 {
		t.Errorf("server accepted %d connections; want several, or the idle timeout never hit", got)
	}
}

// TestChunkedResponse counts a chunked body in full and keeps it for checks.
func TestChunkedResponse(t *testing.T) {
	const chunks = 50
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f := w.(http.Flusher)
		for i := range chunks {
			fmt.Fprintf(w, "chunk %04d\n", i)
			f.Flush()
		}
		io.WriteString(w, "the end")
	}))
	defer srv.Close()
	src := `
users:
  - name: U
    wait: {constant: 0s}
    tasks:
      - steps:
          - request:
              url: /chunked
              check: [{contains: "chunk 0049\nthe end"}]
`
	snap := runToEnd(t, src, srv.URL, 1, 0, engine.Options{Iterations: 3})
	e := entry(t, snap, "GET", "/chunked")
	if e.Failures != 0 {
		t.Errorf("failures: %v", errorsOf(snap))
	}
	if want := int64(3 * (chunks*len("chunk 0000\n") + len("the end"))); e.ContentBytes != want {
		t.Errorf("content bytes: got %d, want %d", e.ContentBytes, want)
	}
}

// TestBigBody downloads 100 MiB: every byte is counted, only the first
// DefaultBodyCap bytes are kept (a check on the tail of the body must not
// see it), and the heap does not grow with the body.
func TestBigBody(t *testing.T) {
	if testing.Short() {
		t.Skip("downloads 100 MiB")
	}
	srv := httptest.NewServer(demo.New(demo.Options{}))
	defer srv.Close()
	const kb = 100 * 1024
	// The kept part ends inside the body: the marker line that
	// /big repeats is there, but more bytes than the cap are not.
	src := fmt.Sprintf(`
users:
  - name: U
    wait: {constant: 0s}
    tasks:
      - steps:
          - request:
              url: "/big?kb=%d"
              name: big
              extract:
                - {var: kept, regex: '(?s)^.*$', group: 0}
          - request:
              url: "/echo"
              method: POST
              name: kept-size
              body: "${len(kept)}"
              check: [{jsonpath: $.body, equals: "%d"}]
`, kb, engine.DefaultBodyCap)
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	snap := runToEnd(t, src, srv.URL, 1, 0, engine.Options{Iterations: 1})
	runtime.ReadMemStats(&after)
	big := entry(t, snap, "GET", "big")
	if big.Failures != 0 || snap.Total.Failures != 0 {
		t.Errorf("failures: %v", errorsOf(snap))
	}
	if want := int64(kb * 1024); big.ContentBytes != want {
		t.Errorf("content bytes: got %d, want %d", big.ContentBytes, want)
	}
	if grew := int64(after.HeapInuse) - int64(before.HeapInuse); grew > 32<<20 {
		t.Errorf("heap in use grew by %d MiB for a 100 MiB body, want it bounded by the body cap", grew>>20)
	}
}

// TestRedirects follows a chain, keeps a cookie set on a redirect response,
// and leaves a redirect alone when asked.
func TestRedirects(t *testing.T) {
	var rc recorder
	mux := http.NewServeMux()
	mux.HandleFunc("/set-and-go", func(w http.ResponseWriter, r *http.Request) {
		http.SetCookie(w, &http.Cookie{Name: "session", Value: "from-redirect", Path: "/"})
		http.Redirect(w, r, "/landing", http.StatusFound)
	})
	ok := func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") }
	mux.HandleFunc("/landing", ok)
	mux.HandleFunc("/after", ok)
	mux.Handle("/", demo.New(demo.Options{}))
	srv := httptest.NewServer(rc.wrap(mux))
	defer srv.Close()
	src := `
users:
  - name: U
    wait: {constant: 0s}
    tasks:
      - steps:
          - request:
              url: /redirect/3
              name: chain
              check: [{status: 200}]
          - request:
              url: /set-and-go
              name: cookie-on-redirect
          - request: {url: /after, name: after}
          - request:
              url: /redirect?to=/about/
              name: not-followed
              follow_redirects: false
              check: [{status: 302}, {header: Location, equals: /about/}]
`
	snap := runToEnd(t, src, srv.URL, 1, 0, engine.Options{Iterations: 1})
	if snap.Total.Failures != 0 {
		t.Errorf("failures: %v", errorsOf(snap))
	}
	var paths []string
	cookieAt := map[string]string{}
	for _, h := range rc.all() {
		paths = append(paths, h.path)
		cookieAt[h.path] = h.cookie
	}
	want := "/redirect/3 /redirect/2 /redirect/1 /redirect/0 /set-and-go /landing /after /redirect"
	if got := strings.Join(paths, " "); got != want {
		t.Errorf("server saw\n  %s\nwant\n  %s", got, want)
	}
	for _, p := range []string{"/landing", "/after"} {
		if cookieAt[p] != "from-redirect" {
			t.Errorf("%s carried session cookie %q, want the one set by the redirect", p, cookieAt[p])
		}
	}
	if n := entry(t, snap, "GET", "chain").Requests; n != 1 {
		t.Errorf("a redirect chain is one request in the stats, got %d", n)
	}
}

// TestHTTPS talks to a TLS server with a self-signed certificate: it fails
// without Insecure, with an error that says why, and works with it.
func TestHTTPS(t *testing.T) {
	srv := httptest.NewTLSServer(demo.New(demo.Options{}))
	defer srv.Close()
	src := `
users:
  - name: U
    wait: {constant: 0s}
    tasks: [{steps: [{request: {url: /json, check: [{jsonpath: $.status, equals: ok}]}}]}]
`
	tests := []struct {
		name     string
		insecure bool
		wantErr  string // "" for success
	}{
		// The test certificate is not trusted by default.
		{"verified", false, "certificate"},
		// Insecure skips verification, as --insecure does.
		{"insecure", true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			snap := runToEnd(t, src, srv.URL, 1, 0, engine.Options{Iterations: 2, Insecure: tt.insecure})
			errs := errorsOf(snap)
			if tt.wantErr == "" {
				if snap.Total.Failures != 0 || snap.Total.Requests != 2 {
					t.Errorf("got %d requests, %d failures (%v); want 2, 0", snap.Total.Requests, snap.Total.Failures, errs)
				}
				return
			}
			if snap.Total.Failures != 2 {
				t.Errorf("failures: got %d, want 2", snap.Total.Failures)
			}
			for text := range errs {
				if !strings.Contains(text, tt.wantErr) {
					t.Errorf("error %q, want it to mention %q", text, tt.wantErr)
				}
			}
		})
	}
}

// echoed is what demo's /echo reports about a request.
type echoed struct {
	Method  string              `json:"method"`
	Query   map[string][]string `json:"query"`
	Headers map[string][]string `json:"headers"`
	Body    string              `json:"body"`
	Form    map[string][]string `json:"form"`
	JSON    any                 `json:"json"`
}

// TestRequestAsWritten sends query, form, JSON, raw body and headers and
// reads back what demo's /echo received.
func TestRequestAsWritten(t *testing.T) {
	var (
		mu  sync.Mutex
		got = map[string]echoed{}
	)
	app := demo.New(demo.Options{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := httptest.NewRecorder()
		app.ServeHTTP(rec, r)
		var e echoed
		if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil {
			t.Errorf("echo answer: %v", err)
		}
		mu.Lock()
		got[r.URL.Query().Get("case")] = e
		mu.Unlock()
		w.WriteHeader(rec.Code)
		w.Write(rec.Body.Bytes())
	}))
	defer srv.Close()
	src := `
vars: {who: "Zoë & co", n: "7"}
users:
  - name: U
    wait: {constant: 0s}
    tasks:
      - steps:
          - request:
              url: /echo?case=query
              query: {q: "${who}", page: "${n}"}
              headers: {X-Trace: "t-${n}", Accept: application/json}
          - request:
              method: POST
              url: /echo?case=form
              form: {user: "${who}", pass: "p=1&2"}
          - request:
              method: PUT
              url: /echo?case=json
              json: {name: "${who}", tags: [a, "${n}"], nested: {ok: true, count: 3}}
          - request:
              method: POST
              url: /echo?case=body
              headers: {Content-Type: text/csv}
              body: "a,b\n${n},2\n"
`
	snap := runToEnd(t, src, srv.URL, 1, 0, engine.Options{Iterations: 1})
	if snap.Total.Failures != 0 {
		t.Fatalf("failures: %v", errorsOf(snap))
	}
	mu.Lock()
	defer mu.Unlock()
	tests := []struct {
		name string
		got  any
		want any
	}{
		// Query parameters are URL-encoded and kept as written.
		{"query q", got["query"].Query["q"], []string{"Zoë & co"}},
		// The URL's own query and the query: key are both sent.
		{"query case", got["query"].Query["case"], []string{"query"}},
		{"query page", got["query"].Query["page"], []string{"7"}},
		// Headers are rendered.
		{"header", got["query"].Headers["X-Trace"], []string{"t-7"}},
		{"accept", got["query"].Headers["Accept"], []string{"application/json"}},
		// A form is a urlencoded POST body.
		{"form method", got["form"].Method, "POST"},
		{"form user", got["form"].Form["user"], []string{"Zoë & co"}},
		{"form pass", got["form"].Form["pass"], []string{"p=1&2"}},
		{"form type", got["form"].Headers["Content-Type"], []string{"application/x-www-form-urlencoded"}},
		// JSON keeps its types (numbers, booleans, nesting).
		{"json method", got["json"].Method, "PUT"},
		{"json", fmt.Sprint(got["json"].JSON), "map[name:Zoë & co nested:map[count:3 ok:true] tags:[a 7]]"},
		{"json type", got["json"].Headers["Content-Type"], []string{"application/json"}},
		// A raw body goes as written, with its own content type.
		{"body", got["body"].Body, "a,b\n7,2\n"},
		{"body type", got["body"].Headers["Content-Type"], []string{"text/csv"}},
	}
	for _, tt := range tests {
		if fmt.Sprint(tt.got) != fmt.Sprint(tt.want) {
			t.Errorf("%s: got %v, want %v", tt.name, tt.got, tt.want)
		}
	}
}
