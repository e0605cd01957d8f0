package demo_test

import (
	"fmt"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/loadrun/loadrun/demo"
)

func TestLoginFlow(t *testing.T) {
	_, srv := start(t, demo.Options{})
	tests := []struct {
		name     string
		user, pw string
		want     int
	}{
		// A built-in account logs in and gets a CSRF token.
		{"builtin", "user7", "pass7", 200},
		// The demo/demo account exists for hand-typed tries.
		{"demo account", "demo", "demo", 200},
		// A wrong password is refused.
		{"wrong password", "user7", "pass8", 401},
		// An unknown user is refused.
		{"unknown user", "nobody", "pass1", 401},
		// Empty credentials are refused.
		{"empty", "", "", 401},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newClient(t, srv)
			got, csrf := c.login(tt.user, tt.pw)
			if got != tt.want {
				t.Fatalf("login status = %d, want %d", got, tt.want)
			}
			if csrf == "" {
				t.Errorf("the login page has no csrf field")
			}
			gotProfile, body := c.get("/api/profile")
			wantProfile := 401
			if tt.want == 200 {
				wantProfile = 200
			}
			if gotProfile != wantProfile {
				t.Fatalf("GET /api/profile = %d, want %d (%s)", gotProfile, wantProfile, body)
			}
			if tt.want != 200 {
				return
			}
			p := decode[struct {
				Data struct{ Username, Token string }
			}](t, body)
			if p.Data.Username != tt.user || p.Data.Token != csrf {
				t.Errorf("profile = %+v, want username %q and the login page's csrf %q", p.Data, tt.user, csrf)
			}
		})
	}
}

func TestLoginJSONAndRegistered(t *testing.T) {
	_, srv := start(t, demo.Options{})
	c := newClient(t, srv)
	if code, _, body := c.do("POST", "/register", "application/json", `{"username":"zoe","password":"pw"}`); code != 201 {
		t.Fatalf("register = %d %s, want 201", code, body)
	}
	code, _, body := c.do("POST", "/login", "application/json", `{"username":"zoe","password":"pw"}`)
	if code != 200 {
		t.Fatalf("JSON login = %d %s, want 200", code, body)
	}
	got := decode[struct {
		Data struct{ Username, Token string }
	}](t, body)
	if got.Data.Username != "zoe" || got.Data.Token == "" {
		t.Errorf("JSON login answer = %+v, want username zoe and a token", got.Data)
	}
	if code, page := c.get("/account"); code != 200 || !strings.Contains(page, "zoe") {
		t.Errorf("GET /account = %d, want 200 naming zoe:\n%s", code, page)
	}
}

func TestProtectedEndpoints(t *testing.T) {
	_, srv := start(t, demo.Options{})
	owner := newClient(t, srv)
	_, csrf := owner.login("user1", "pass1")
	_, _, body := owner.postForm("/api/orders", url.Values{"csrf": {csrf}})
	id := decode[struct{ ID int }](t, body).ID
	other := newClient(t, srv)
	_, otherCSRF := other.login("user2", "pass2")
	anon := newClient(t, srv)

	tests := []struct {
		name   string
		c      *client
		method string
		path   string
		form   url.Values
		header []string
		want   int
	}{
		// Without a session the HTML account page is 401.
		{"account anonymous", anon, "GET", "/account", nil, nil, 401},
		// Without a session the JSON profile is 401.
		{"profile anonymous", anon, "GET", "/api/profile", nil, nil, 401},
		// Ordering needs a session before anything else.
		{"order anonymous", anon, "POST", "/api/orders", url.Values{"csrf": {csrf}}, nil, 401},
		// A session without the CSRF token is forbidden.
		{"order without csrf", owner, "POST", "/api/orders", url.Values{}, nil, 403},
		// Another session's token is forbidden.
		{"order with wrong csrf", owner, "POST", "/api/orders", url.Values{"csrf": {otherCSRF}}, nil, 403},
		// The token in the header works as well as the form field.
		{"order with header", owner, "POST", "/api/orders", url.Values{}, []string{"X-CSRF-Token", csrf}, 201},
		// The owner reads the order back.
		{"own order", owner, "GET", fmt.Sprintf("/api/orders/%d", id), nil, nil, 200},
		// Another session's order does not exist for this session.
		{"other's order", other, "GET", fmt.Sprintf("/api/orders/%d", id), nil, nil, 404},
		// An order never created is not found.
		{"unknown order", owner, "GET", "/api/orders/99999", nil, nil, 404},
		// A malformed id is not found either.
		{"bad order id", owner, "GET", "/api/orders/abc", nil, nil, 404},
		// The HTML order page needs a session too.
		{"order page anonymous", anon, "GET", fmt.Sprintf("/orders/%d", id), nil, nil, 401},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got int
			var body string
			if tt.method == "POST" {
				got, _, body = tt.c.postForm(tt.path, tt.form, tt.header...)
			} else {
				got, body = tt.c.get(tt.path)
			}
			if got != tt.want {
				t.Errorf("%s %s = %d, want %d (%s)", tt.method, tt.path, got, tt.want, body)
			}
		})
	}
}

func TestOrderCreateAndRead(t *testing.T) {
	_, srv := start(t, demo.Options{})
	c := newClient(t, srv)
	_, csrf := c.login("user3", "pass3")
	code, h, body := c.postForm("/api/orders", url.Values{"csrf": {csrf}, "item": {"kettle"}, "qty": {"2"}})
	if code != 201 {
		t.Fatalf("POST /api/orders = %d %s, want 201", code, body)
	}
	if h.Get("X-Request-Id") == "" {
		t.Errorf("no X-Request-Id header")
	}
	created := decode[struct {
		ID     int
		Status string
	}](t, body)
	if created.ID <= 0 || created.Status != "created" {
		t.Fatalf("created = %+v, want a positive id and status created", created)
	}
	_, body = c.get(fmt.Sprintf("/api/orders/%d", created.ID))
	got := decode[struct {
		ID       int
		Item     string
		Qty      int
		Username string
	}](t, body)
	if got.ID != created.ID || got.Item != "kettle" || got.Qty != 2 || got.Username != "user3" {
		t.Errorf("order = %+v, want id %d, kettle × 2 of user3", got, created.ID)
	}
	_, page := c.get(fmt.Sprintf("/orders/%d", created.ID))
	if want := fmt.Sprintf(`order-id="%d"`, created.ID); !strings.Contains(page, want) {
		t.Errorf("order page lacks %s:\n%s", want, page)
	}
	// A JSON order body carries its token in a field.
	code, _, body = c.do("POST", "/api/orders", "application/json", fmt.Sprintf(`{"item":"mug","csrf":%q}`, csrf))
	if code != 201 {
		t.Errorf("JSON order = %d %s, want 201", code, body)
	}
}

func TestRegister(t *testing.T) {
	a, srv := start(t, demo.Options{MaxRegistrations: 2})
	c := newClient(t, srv)
	tests := []struct {
		name string
		user string
		want int
	}{
		// A new name is created.
		{"new", "ann", 201},
		// The same name again conflicts: a unique-once pool reused a row.
		{"duplicate", "ann", 409},
		// A built-in account's name is taken too.
		{"builtin", "user1", 409},
		// A missing name is a bad request.
		{"empty", "", 400},
		// A second new name fills the registry.
		{"second", "bob", 201},
		// Past the bound, registrations are refused, not stored.
		{"full", "cy", 507},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _, body := c.postForm("/register", url.Values{"username": {tt.user}, "password": {"pw"}})
			if got != tt.want {
				t.Errorf("register %q = %d, want %d (%s)", tt.user, got, tt.want, body)
			}
		})
	}
	_, body := c.get("/api/registrations")
	got := decode[struct {
		Count         int
		Registrations []string
	}](t, body)
	if got.Count != 2 || strings.Join(got.Registrations, ",") != "ann,bob" {
		t.Errorf("registrations = %+v, want ann,bob", got)
	}
	if s := a.Stats(); s.Registrations != 2 || s.RefusedRegistrations != 1 {
		t.Errorf("Stats registrations = %d refused %d, want 2 and 1", s.Registrations, s.RefusedRegistrations)
	}
}

func TestConcurrentSessions(t *testing.T) {
	tests := []struct {
		name string
		// run drives clients against the server.
		run            func(t *testing.T, newC func() *client)
		wantViolations int64
		wantMaxLive    int
	}{
		// Two clients holding one account at once is a violation.
		{"two clients one account", func(t *testing.T, newC func() *client) {
			newC().login("user1", "pass1")
			newC().login("user1", "pass1")
		}, 1, 2},
		// Log out before the next user logs in: no violation.
		{"sequential with logout", func(t *testing.T, newC func() *client) {
			for range 3 {
				c := newC()
				c.login("user1", "pass1")
				c.postForm("/logout", nil)
			}
		}, 0, 1},
		// One client logging in twice keeps its session.
		{"same client twice", func(t *testing.T, newC func() *client) {
			c := newC()
			c.login("user1", "pass1")
			c.login("user1", "pass1")
		}, 0, 1},
		// Switching accounts without logging out leaves the first one held.
		{"switch without logout", func(t *testing.T, newC func() *client) {
			c := newC()
			c.login("user1", "pass1")
			c.login("user2", "pass2")
			newC().login("user1", "pass1")
		}, 1, 2},
		// A failed login starts no session and so is no violation.
		{"failed login", func(t *testing.T, newC func() *client) {
			newC().login("user1", "pass1")
			newC().login("user1", "wrong")
		}, 0, 1},
		// Many users recycling distinct accounts correctly, in parallel.
		{"parallel pool", func(t *testing.T, newC func() *client) {
			var wg sync.WaitGroup
			for u := 1; u <= 8; u++ {
				c := newC()
				wg.Go(func() {
					for range 10 {
						c.login(fmt.Sprintf("user%d", u), fmt.Sprintf("pass%d", u))
						c.get("/api/profile")
						c.postForm("/logout", nil)
					}
				})
			}
			wg.Wait()
		}, 0, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, srv := start(t, demo.Options{})
			tt.run(t, func() *client { return newClient(t, srv) })
			s := a.Stats()
			if s.ConcurrentSessions != tt.wantViolations {
				t.Errorf("ConcurrentSessions = %d, want %d (by account %v)", s.ConcurrentSessions, tt.wantViolations, s.ConcurrentByAccount)
			}
			if s.MaxSessionsPerAccount != tt.wantMaxLive {
				t.Errorf("MaxSessionsPerAccount = %d, want %d", s.MaxSessionsPerAccount, tt.wantMaxLive)
			}
			if tt.wantViolations > 0 && s.ConcurrentByAccount["user1"] != tt.wantViolations {
				t.Errorf("ConcurrentByAccount = %v, want user1: %d", s.ConcurrentByAccount, tt.wantViolations)
			}
		})
	}
}

func TestStatsOverHTTP(t *testing.T) {
	_, srv := start(t, demo.Options{})
	c := newClient(t, srv)
	c.login("user1", "pass1")
	newClient(t, srv).login("user1", "pass1")
	_, body := c.get("/api/stats")
	got := decode[struct {
		Logins             int64            `json:"logins"`
		ConcurrentSessions int64            `json:"concurrent_sessions"`
		Requests           map[string]int64 `json:"requests"`
	}](t, body)
	if got.Logins != 2 || got.ConcurrentSessions != 1 || got.Requests["/login"] != 2 {
		t.Errorf("/api/stats = %s, want 2 logins, 1 concurrent session, 2 requests to /login", body)
	}
}

func TestSessionBound(t *testing.T) {
	a, srv := start(t, demo.Options{MaxSessions: 2})
	first := newClient(t, srv)
	first.login("user1", "pass1")
	newClient(t, srv).login("user2", "pass2")
	newClient(t, srv).login("user3", "pass3")
	if code, _ := first.get("/api/profile"); code != 401 {
		t.Errorf("the oldest session past MaxSessions answers %d, want 401", code)
	}
	if s := a.Stats(); s.LiveSessions != 2 || s.EvictedSessions != 1 {
		t.Errorf("live %d evicted %d, want 2 and 1", s.LiveSessions, s.EvictedSessions)
	}
}
