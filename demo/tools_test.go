package demo_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/loadrun/loadrun/demo"
)

// serve calls the handler directly, which testing/synctest can run on its
// fake clock (a real socket would not be durably blocked).
func serve(a *demo.App, method, target string) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	a.ServeHTTP(w, httptest.NewRequest(method, target, nil))
	return w
}

func TestSlow(t *testing.T) {
	tests := []struct {
		name   string
		target string
		want   int
		wait   time.Duration
	}{
		// The default delay.
		{"default", "/slow", 200, 200 * time.Millisecond},
		// An explicit delay.
		{"ms", "/slow?ms=1500", 200, 1500 * time.Millisecond},
		// Zero answers at once.
		{"zero", "/slow?ms=0", 200, 0},
		// Past the bound is refused, without waiting.
		{"too long", "/slow?ms=10001", 400, 0},
		// A negative delay is refused.
		{"negative", "/slow?ms=-1", 400, 0},
		// Not a number is refused.
		{"not a number", "/slow?ms=soon", 400, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				a := demo.New(demo.Options{})
				start := time.Now()
				w := serve(a, "GET", tt.target)
				if got := w.Code; got != tt.want {
					t.Errorf("status = %d, want %d (%s)", got, tt.want, w.Body)
				}
				if got := time.Since(start); got != tt.wait {
					t.Errorf("answered after %v, want %v", got, tt.wait)
				}
			})
		})
	}
}

func TestSlowStopsWhenClientLeaves(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a := demo.New(demo.Options{})
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		start := time.Now()
		a.ServeHTTP(httptest.NewRecorder(), httptest.NewRequestWithContext(ctx, "GET", "/slow?ms=5000", nil))
		if got := time.Since(start); got != time.Second {
			t.Errorf("a cancelled /slow returned after %v, want 1s", got)
		}
	})
}

func TestStall(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a := demo.New(demo.Options{})
		if w := serve(a, "POST", "/admin/stall?ms=500"); w.Code != 200 {
			t.Fatalf("POST /admin/stall = %d %s", w.Code, w.Body)
		}
		stallStart := time.Now()
		time.Sleep(100 * time.Millisecond)
		var wg sync.WaitGroup
		done := make([]time.Duration, 3)
		for i := range done {
			wg.Go(func() {
				serve(a, "GET", "/json")
				done[i] = time.Since(stallStart)
			})
		}
		// Stats stay readable during the stall.
		synctest.Wait()
		if w := serve(a, "GET", "/api/stats"); w.Code != 200 {
			t.Errorf("GET /api/stats during a stall = %d", w.Code)
		}
		wg.Wait()
		for i, got := range done {
			if want := 500 * time.Millisecond; got != want {
				t.Errorf("request %d answered %v after the stall began, want %v (its end)", i, got, want)
			}
		}
		// After the stall, requests are not held.
		before := time.Now()
		serve(a, "GET", "/json")
		if got := time.Since(before); got != 0 {
			t.Errorf("a request after the stall took %v, want 0", got)
		}
		if got := a.Stats().Stalled; got != 3 {
			t.Errorf("Stalled = %d, want 3", got)
		}
	})
}

func TestStallOverNetwork(t *testing.T) {
	// The real-socket path: only lower bounds, which a slow machine cannot break.
	a, srv := start(t, demo.Options{})
	c := newClient(t, srv)
	const stall = 300 * time.Millisecond
	began := time.Now()
	if code, _, body := c.do("POST", "/admin/stall?ms=300", "", ""); code != 200 {
		t.Fatalf("POST /admin/stall = %d %s", code, body)
	}
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			c.get("/json")
			if got := time.Since(began); got < stall {
				t.Errorf("a request during the stall answered after %v, want at least %v", got, stall)
			}
		})
	}
	wg.Wait()
	if got := a.Stats().Stalled; got == 0 {
		t.Errorf("Stalled = 0, want the requests sent during the stall counted")
	}
}

func TestStatus(t *testing.T) {
	tests := []struct {
		path string
		want int
	}{
		{"/status/200", 200}, // success passes through
		{"/status/404", 404}, // a client error as asked
		{"/status/503", 503}, // a server error as asked
		{"/status/599", 599}, // the top of the range
		{"/status/100", 400}, // informational codes are refused
		{"/status/600", 400}, // beyond HTTP is refused
		{"/status/abc", 400}, // not a number is refused
	}
	a := demo.New(demo.Options{})
	for _, tt := range tests {
		if got := serve(a, "GET", tt.path).Code; got != tt.want {
			t.Errorf("GET %s = %d, want %d", tt.path, got, tt.want)
		}
	}
}

func TestFlaky(t *testing.T) {
	tests := []struct {
		name     string
		target   string
		lo, hi   int // bounds on 500s out of 200 requests
		wantCode int // for a single bad request
	}{
		// p=0 never fails.
		{"never", "/flaky?p=0", 0, 0, 0},
		// p=1 always fails.
		{"always", "/flaky?p=1", 200, 200, 0},
		// p=0.5 fails about half the time (seeded, so the count is fixed).
		{"half", "/flaky?p=0.5", 60, 140, 0},
		// The default p is 0.1.
		{"default", "/flaky", 1, 50, 0},
		// p above 1 is refused.
		{"p too big", "/flaky?p=1.5", 0, 0, 400},
		// p that is not a number is refused.
		{"p NaN", "/flaky?p=NaN", 0, 0, 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := demo.New(demo.Options{Seed: 42})
			if tt.wantCode != 0 {
				if got := serve(a, "GET", tt.target).Code; got != tt.wantCode {
					t.Errorf("status = %d, want %d", got, tt.wantCode)
				}
				return
			}
			got := 0
			for range 200 {
				if serve(a, "GET", tt.target).Code == 500 {
					got++
				}
			}
			if got < tt.lo || got > tt.hi {
				t.Errorf("%d of 200 failed, want %d to %d", got, tt.lo, tt.hi)
			}
			if s := a.Stats().FlakyFailures; s != int64(got) {
				t.Errorf("FlakyFailures = %d, want %d", s, got)
			}
		})
	}
}

func TestBig(t *testing.T) {
	_, srv := start(t, demo.Options{})
	c := newClient(t, srv)
	tests := []struct {
		name    string
		target  string
		want    int
		wantLen int
	}{
		// An empty body.
		{"zero", "/big?kb=0", 200, 0},
		// One KiB.
		{"one", "/big?kb=1", 200, 1024},
		// Several MiB, longer than the 32 KiB chunk and not a multiple of it.
		{"several MiB", "/big?kb=3001", 200, 3001 * 1024},
		// Past 200 MiB is refused.
		{"too big", fmt.Sprintf("/big?kb=%d", demo.MaxBigKiB+1), 400, -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, h, body := c.do("GET", tt.target, "", "")
			if code != tt.want {
				t.Fatalf("status = %d, want %d", code, tt.want)
			}
			if tt.wantLen < 0 {
				return
			}
			if len(body) != tt.wantLen || h.Get("Content-Length") != fmt.Sprint(tt.wantLen) {
				t.Errorf("body %d bytes, Content-Length %s, want %d", len(body), h.Get("Content-Length"), tt.wantLen)
			}
		})
	}
}

func TestReset(t *testing.T) {
	a, srv := start(t, demo.Options{})
	// A fresh transport: a GET on a new connection is never retried.
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr}).Get(srv.URL + "/reset")
	if err == nil {
		resp.Body.Close()
		t.Fatalf("GET /reset answered %s, want a connection error", resp.Status)
	}
	if got := a.Stats().Resets; got != 1 {
		t.Errorf("Resets = %d, want 1", got)
	}
	// Without a connection to hijack, /reset says so.
	if got := serve(a, "GET", "/reset").Code; got != 500 {
		t.Errorf("/reset on a recorder = %d, want 500", got)
	}
}

func TestArrivals(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a := demo.New(demo.Options{MaxArrivals: 4})
		serve(a, "GET", "/rendezvous/arrive?group=buy")
		time.Sleep(3 * time.Millisecond)
		serve(a, "GET", "/rendezvous/arrive?group=buy")
		w := httptest.NewRecorder()
		req := httptest.NewRequest("POST", "/cart", strings.NewReader("group=pay"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		a.ServeHTTP(w, req)
		serve(a, "POST", "/cart")
		serve(a, "GET", "/rendezvous/arrive")

		s := a.Stats()
		var groups []string
		for _, ar := range s.Arrivals {
			groups = append(groups, ar.Group)
		}
		// Five arrivals into four slots: the first one is dropped.
		if got, want := strings.Join(groups, ","), "buy,pay,cart,default"; got != want {
			t.Errorf("groups = %s, want %s", got, want)
		}
		if s.DroppedArrivals != 1 {
			t.Errorf("DroppedArrivals = %d, want 1", s.DroppedArrivals)
		}
		if got := s.Spread("pay"); got != 0 {
			t.Errorf("Spread of one arrival = %v, want 0", got)
		}
		w = serve(a, "GET", "/api/arrivals?group=buy")
		got := decode[struct {
			Count    int   `json:"count"`
			SpreadNS int64 `json:"spread_ns"`
		}](t, w.Body.String())
		if got.Count != 1 || got.SpreadNS != 0 {
			t.Errorf("/api/arrivals?group=buy = %s, want the one kept arrival", w.Body)
		}
	})
}

func TestArrivalSpread(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a := demo.New(demo.Options{})
		for range 3 {
			serve(a, "GET", "/rendezvous/arrive?group=g")
			time.Sleep(5 * time.Millisecond)
		}
		if got, want := a.Stats().Spread("g"), 10*time.Millisecond; got != want {
			t.Errorf("Spread = %v, want %v", got, want)
		}
	})
}

func TestEcho(t *testing.T) {
	_, srv := start(t, demo.Options{})
	c := newClient(t, srv)
	type echoed struct {
		Method  string
		Query   map[string][]string
		Headers map[string][]string
		Body    string
		Form    map[string][]string
		JSON    map[string]any
	}
	code, _, body := c.do("PUT", "/echo?a=1&a=2", "application/json", `{"k":"v"}`, "X-Test", "yes")
	if code != 200 {
		t.Fatalf("PUT /echo = %d %s", code, body)
	}
	got := decode[echoed](t, body)
	if got.Method != "PUT" || strings.Join(got.Query["a"], ",") != "1,2" || got.Headers["X-Test"][0] != "yes" ||
		got.Body != `{"k":"v"}` || got.JSON["k"] != "v" {
		t.Errorf("echo = %+v, want PUT, a=1,2, X-Test: yes and the JSON body", got)
	}
	_, _, body = c.postForm("/echo", url.Values{"name": {"ann"}})
	if got := decode[echoed](t, body); got.Form["name"][0] != "ann" {
		t.Errorf("echo form = %v, want name=ann", got.Form)
	}
	if code, _, _ := c.do("POST", "/echo", "application/json", `{bad`); code != 400 {
		t.Errorf("echo of bad JSON = %d, want 400", code)
	}
}

func TestRedirectsAndCookies(t *testing.T) {
	_, srv := start(t, demo.Options{})
	c := newClient(t, srv)
	noFollow := newClient(t, srv)
	noFollow.hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	tests := []struct {
		name     string
		target   string
		want     int
		location string
	}{
		// The default target is the home page with a 302.
		{"default", "/redirect", 302, "/"},
		// Another status and target.
		{"301", "/redirect?to=/about/&code=301", 301, "/about/"},
		// Other hosts are refused: not an open redirector.
		{"offsite", "/redirect?to=//example.com/", 400, ""},
		// A code that is not a redirect is refused.
		{"bad code", "/redirect?code=304", 400, ""},
		// A chain steps down by one.
		{"chain", "/redirect/3", 302, "/redirect/2"},
		// The chain ends with a 200.
		{"chain end", "/redirect/0", 200, ""},
		// Chains are bounded.
		{"chain too long", "/redirect/21", 400, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, h, _ := noFollow.do("GET", tt.target, "", "")
			if code != tt.want || h.Get("Location") != tt.location {
				t.Errorf("status %d Location %q, want %d %q", code, h.Get("Location"), tt.want, tt.location)
			}
		})
	}
	if code, body := c.get("/redirect/5"); code != 200 || !strings.Contains(body, "redirected") {
		t.Errorf("following /redirect/5 = %d %s, want 200", code, body)
	}
	c.get("/cookies/set?flavour=mint&size=2")
	_, body := c.get("/cookies")
	got := decode[struct{ Cookies map[string]string }](t, body)
	if got.Cookies["flavour"] != "mint" || got.Cookies["size"] != "2" {
		t.Errorf("cookies = %v, want flavour=mint size=2", got.Cookies)
	}
}

func TestPages(t *testing.T) {
	a, srv := start(t, demo.Options{})
	c := newClient(t, srv)
	tests := []struct {
		path string
		want int
		has  string
	}{
		{"/", 200, "<title>Home - loadrun demo shop</title>"},  // home page title
		{"/", 200, `<a href="/product/20">Biscuit box</a>`},    // product list links
		{"/about/", 200, `<p id="about">`},                     // about page
		{"/about/x", 404, ""},                                  // nothing under /about/
		{"/static/style.css", 200, "body {"},                   // a static asset
		{"/static/missing.css", 404, ""},                       // a missing asset
		{"/items/7", 200, "Saucer"},                            // a catalogue item
		{"/items/12345", 200, "Item 12345"},                    // any positive id
		{"/items/0", 404, ""},                                  // ids are positive
		{"/product/1", 200, `product-id="1"`},                  // a product page
		{"/product/21", 404, ""},                               // past the catalogue
		{"/cart", 200, "<h1>Cart</h1>"},                        // cart heading
		{"/cart", 200, `Total: <span id="total">12.50</span>`}, // cart total
		{"/api/cart", 200, `"total":12.5`},                     // cart JSON
		{"/api/items", 200, `"count":20`},                      // items JSON
		{"/xml", 200, `<product id="3">`},                      // XML document
		{"/json", 200, `"status":"ok"`},                        // benchmark body
		{"/headers", 200, `"headers"`},                         // header echo
		{"/login", 200, `name="csrf"`},                         // login form
		{"/nowhere", 404, ""},                                  // unknown path
	}
	for _, tt := range tests {
		code, body := c.get(tt.path)
		if code != tt.want || !strings.Contains(body, tt.has) {
			t.Errorf("GET %s = %d, want %d containing %q:\n%s", tt.path, code, tt.want, tt.has, body)
		}
	}
	if got := a.Stats().Requests["/cart"]; got != 2 {
		t.Errorf("Requests[/cart] = %d, want 2", got)
	}
}

func TestRequestCounts(t *testing.T) {
	a := demo.New(demo.Options{MaxPaths: 3})
	for _, p := range []string{"/items/1", "/items/2", "/items/1", "/items/3", "/items/4", "/items/5"} {
		serve(a, "GET", p)
	}
	s := a.Stats()
	want := map[string]int64{"/items/1": 2, "/items/2": 1, "/items/3": 1, demo.OtherPaths: 2}
	if fmt.Sprint(s.Requests) != fmt.Sprint(want) || s.Total != 6 {
		t.Errorf("Requests = %v total %d, want %v total 6", s.Requests, s.Total, want)
	}
}

func TestConcurrentCounts(t *testing.T) {
	a, srv := start(t, demo.Options{})
	var wg sync.WaitGroup
	for u := range 4 {
		c := newClient(t, srv)
		wg.Go(func() {
			for i := range 25 {
				c.get(fmt.Sprintf("/items/%d", i%5+1))
				c.get(fmt.Sprintf("/rendezvous/arrive?group=u%d", u))
			}
		})
	}
	wg.Wait()
	s := a.Stats()
	for i := 1; i <= 5; i++ {
		if got := s.Requests[fmt.Sprintf("/items/%d", i)]; got != 20 {
			t.Errorf("/items/%d visited %d times, want 20", i, got)
		}
	}
	if len(s.Arrivals) != 100 {
		t.Errorf("%d arrivals, want 100", len(s.Arrivals))
	}
}

func TestResetForgets(t *testing.T) {
	a, srv := start(t, demo.Options{})
	c := newClient(t, srv)
	_, csrf := c.login("user1", "pass1")
	c.postForm("/api/orders", url.Values{"csrf": {csrf}})
	c.postForm("/register", url.Values{"username": {"ann"}, "password": {"pw"}})
	c.get("/rendezvous/arrive")
	newClient(t, srv).login("user1", "pass1")
	a.Reset()
	s := a.Stats()
	if s.Total != 0 || len(s.Requests) != 0 || s.Logins != 0 || s.ConcurrentSessions != 0 || s.LiveSessions != 0 ||
		s.Orders != 0 || s.Registrations != 0 || len(s.Arrivals) != 0 || s.MaxSessionsPerAccount != 0 {
		t.Errorf("after Reset: %+v, want all zero", s)
	}
	if code, _ := c.get("/api/profile"); code != 401 {
		t.Errorf("a session from before Reset answers %d, want 401", code)
	}
	if code, _, _ := c.postForm("/register", url.Values{"username": {"ann"}, "password": {"pw"}}); code != 201 {
		t.Errorf("registering a name from before Reset = %d, want 201", code)
	}
	if code, _, _ := c.do("POST", "/admin/reset", "", ""); code != 200 || a.Stats().Registrations != 0 {
		t.Errorf("POST /admin/reset = %d, registrations %d; want 200 and 0", code, a.Stats().Registrations)
	}
}

func TestServe(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	addrs := make(chan string, 1)
	logf := func(format string, args ...any) {
		addrs <- strings.TrimPrefix(fmt.Sprintf(format, args...), "demo: serving on ")
	}
	errc := make(chan error, 1)
	go func() { errc <- demo.Serve(ctx, "127.0.0.1:0", demo.New(demo.Options{}), logf) }()
	base := <-addrs
	resp, err := http.Get(base + "/json")
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != 200 || !strings.Contains(string(body), "loadrun-demo") {
		t.Errorf("GET /json = %d %q %v", resp.StatusCode, body, err)
	}
	cancel()
	if err := <-errc; err != nil {
		t.Errorf("Serve after cancel = %v, want nil", err)
	}
	if err := demo.Serve(context.Background(), "127.0.0.1:-1", demo.New(demo.Options{}), nil); err == nil {
		t.Errorf("Serve on a bad address = nil, want an error")
	}
}
