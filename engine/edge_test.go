package engine_test

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/loadrun/loadrun/demo"
	"github.com/loadrun/loadrun/engine"
)

// TestBodilessResponses checks responses that have no body although their
// headers might suggest one: none may hang the user or be miscounted.
func TestBodilessResponses(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/no-content", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
	mux.HandleFunc("/not-modified", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNotModified) })
	mux.Handle("/", demo.New(demo.Options{}))
	srv := httptest.NewServer(mux)
	defer srv.Close()
	src := `
users:
  - name: U
    wait: {constant: 0s}
    tasks:
      - steps:
          - request: {method: HEAD, url: "/big?kb=64", name: head}
          - request: {url: /no-content, name: no-content}
          - request: {url: /not-modified, name: not-modified}
          - request: {url: /json, name: after}
`
	snap := runToEnd(t, src, srv.URL, 1, 0, engine.Options{Iterations: 3, Timeout: 5 * time.Second})
	if snap.Total.Failures != 0 {
		t.Errorf("failures: %v", errorsOf(snap))
	}
	for _, name := range []string{"head", "no-content", "not-modified", "after"} {
		method := http.MethodGet
		if name == "head" {
			method = http.MethodHead
		}
		e := entry(t, snap, method, name)
		if e.Requests != 3 {
			t.Errorf("%s: %d requests, want 3", name, e.Requests)
		}
		if name != "after" && e.ContentBytes != 0 {
			t.Errorf("%s: %d content bytes, want 0", name, e.ContentBytes)
		}
	}
}

// TestCloseDelimitedBody reads a body that ends when the server closes the
// connection (no Content-Length, no chunking), then reconnects.
func TestCloseDelimitedBody(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	const body = "streamed until the connection closes\n"
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				br := bufio.NewReader(c)
				for {
					line, err := br.ReadString('\n')
					if err != nil || line == "\r\n" {
						break
					}
				}
				io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n"+body)
			}()
		}
	}()
	src := `
users:
  - name: U
    wait: {constant: 0s}
    tasks: [{steps: [{request: {url: /, check: [{contains: "connection closes"}]}}]}]
`
	snap := runToEnd(t, src, "http://"+ln.Addr().String(), 1, 0, engine.Options{Iterations: 4, Timeout: 5 * time.Second})
	if snap.Total.Failures != 0 || snap.Total.Requests != 4 {
		t.Errorf("%d requests, %d failures (%v); want 4, 0", snap.Total.Requests, snap.Total.Failures, errorsOf(snap))
	}
	if want := int64(4 * len(body)); snap.Total.ContentBytes != want {
		t.Errorf("content bytes: got %d, want %d", snap.Total.ContentBytes, want)
	}
}

// TestCookieRules checks the browser rules the jar follows: a cookie is
// sent only under its path, and an expired or deleted cookie is dropped.
// It runs in virtual time: the second a cookie takes to expire passes at once.
func TestCookieRules(t *testing.T) {
	synctest.Test(t, testCookieRules)
}

func testCookieRules(t *testing.T) {
	var rc recorder
	mux := http.NewServeMux()
	mux.HandleFunc("/login", func(w http.ResponseWriter, r *http.Request) {
		http.SetCookie(w, &http.Cookie{Name: "session", Value: "s1", Path: "/"})
		http.SetCookie(w, &http.Cookie{Name: "admin", Value: "a1", Path: "/admin"})
		http.SetCookie(w, &http.Cookie{Name: "short", Value: "x", Path: "/", MaxAge: 1})
	})
	mux.HandleFunc("/logout", func(w http.ResponseWriter, r *http.Request) {
		http.SetCookie(w, &http.Cookie{Name: "session", Value: "", Path: "/", MaxAge: -1})
	})
	var mu sync.Mutex
	cookies := map[string]string{} // path → Cookie header
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		cookies[r.URL.Path] = r.Header.Get("Cookie")
		mu.Unlock()
	})
	dial := virtualHost(t, rc.wrap(mux))
	src := `
users:
  - name: U
    wait: {constant: 0s}
    tasks:
      - steps:
          - request: {url: /login}
          - request: {url: /shop}
          - request: {url: /admin/panel}
          - request: {url: /administrator}
          - request: {url: /logout}
          - request: {url: /after-logout}
          - think: 1100ms
          - request: {url: /after-expiry}
`
	snap := runToEnd(t, src, vhost, 1, 0, engine.Options{Iterations: 1, Dial: dial})
	if snap.Total.Failures != 0 {
		t.Errorf("failures: %v", errorsOf(snap))
	}
	mu.Lock()
	defer mu.Unlock()
	tests := []struct {
		path string
		want string
	}{
		// A Path=/admin cookie stays out of other paths.
		{"/shop", "session=s1; short=x"},
		// It is sent under its path.
		{"/admin/panel", "session=s1; admin=a1; short=x"},
		// A path that merely starts with the same letters is not under it.
		{"/administrator", "session=s1; short=x"},
		// Max-Age=-1 deletes the cookie.
		{"/after-logout", "short=x"},
		// Max-Age=1 expires it after a second.
		{"/after-expiry", ""},
	}
	for _, tt := range tests {
		if got := sortedCookies(cookies[tt.path]); got != sortedCookies(tt.want) {
			t.Errorf("%s: sent Cookie %q, want %q", tt.path, cookies[tt.path], tt.want)
		}
	}
}

// sortedCookies puts a Cookie header's pairs in a fixed order.
func sortedCookies(h string) string {
	var parts []string
	for _, p := range strings.Split(h, ";") {
		if p = strings.TrimSpace(p); p != "" {
			parts = append(parts, p)
		}
	}
	for i := range parts {
		for j := i + 1; j < len(parts); j++ {
			if parts[j] < parts[i] {
				parts[i], parts[j] = parts[j], parts[i]
			}
		}
	}
	return strings.Join(parts, "; ")
}

// TestSetUsers ramps a run up and down while it runs: the user count and
// the per-type split follow, and users removed run their on_stop. It runs
// in virtual time: synctest.Wait lets every user act on each change.
func TestSetUsers(t *testing.T) {
	synctest.Test(t, testSetUsers)
}

func testSetUsers(t *testing.T) {
	var rc recorder
	dial := virtualHost(t, rc.wrap(nil))
	src := `
users:
  - name: A
    weight: 3
    wait: {constant: 10ms}
    tasks: [{steps: [{request: {url: "/t?u=${user_id}"}}]}]
    on_stop: [{request: {url: "/stop?u=${user_id}&type=A"}}]
  - name: B
    weight: 1
    wait: {constant: 10ms}
    tasks: [{steps: [{request: {url: "/t?u=${user_id}"}}]}]
    on_stop: [{request: {url: "/stop?u=${user_id}&type=B"}}]
`
	r := start(t, src, vhost, 4, 0, engine.Options{Dial: dial})
	wantUsers := func(want int) {
		t.Helper()
		synctest.Wait()
		if running, _ := r.Users(); running != want {
			t.Fatalf("running users: %d, want %d", running, want)
		}
	}
	wantUsers(4)
	if err := r.SetUsers(8, 0); err != nil {
		t.Fatal(err)
	}
	wantUsers(8)
	if err := r.SetUsers(2, 0); err != nil {
		t.Fatal(err)
	}
	wantUsers(2)
	if n := rc.count("/stop"); n != 6 {
		t.Fatalf("on_stop ran for %d users, want the 6 removed", n)
	}
	stopped := map[string]int{}
	for _, h := range rc.all() {
		if h.path == "/stop" {
			stopped[h.query[strings.Index(h.query, "type=")+5:]]++
		}
	}
	// 8 users at 3:1 are 6 A and 2 B. 2 users at 3:1 are 1.5 and 0.5:
	// floors 1 and 0, and the remainders tie, so the first type gets the
	// spare user: 2 A and 0 B. Trimming stops 4 A and 2 B.
	if stopped["A"] != 4 || stopped["B"] != 2 {
		t.Errorf("on_stop ran for A=%d B=%d users, want A=4 B=2 (8 → 2 users)", stopped["A"], stopped["B"])
	}
	r.Stop()
	snap := wait(t, r)
	if snap.Total.Failures != 0 {
		t.Errorf("failures: %v", errorsOf(snap))
	}
	if err := r.SetUsers(3, 0); err == nil {
		t.Error("SetUsers after the run stopped: got no error")
	}
}
