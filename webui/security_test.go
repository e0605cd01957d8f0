package webui

import (
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/loadrun/loadrun/reports"
	"github.com/loadrun/loadrun/stats"
)

// fakeRun is a Controller that records what it was asked; its snapshot
// is whatever the test sets.
type fakeRun struct {
	mu      sync.Mutex
	status  Status
	started []Params
	users   []int
	stops   int
	resets  int
	snap    *stats.Snapshot
	run     reports.Run
}

func (f *fakeRun) Status() Status {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.status
}

func (f *fakeRun) Start(p Params) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.status.State == StateRunning {
		return ErrBusy
	}
	f.started = append(f.started, p)
	f.status = Status{State: StateRunning, Users: p.Users, TargetUsers: p.Users, SpawnRate: p.SpawnRate, Host: p.Host, RunTime: p.RunTime, Start: time.Now()}
	return nil
}

func (f *fakeRun) SetUsers(n int, rate float64) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.status.State != StateRunning {
		return ErrNotRunning
	}
	f.users = append(f.users, n)
	f.status.TargetUsers, f.status.SpawnRate = n, rate
	return nil
}

func (f *fakeRun) Stop() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.stops++
	f.status.State = StateStopped
}

func (f *fakeRun) Reset() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.resets++
	return nil
}

func (f *fakeRun) Report() (reports.Run, *stats.Snapshot) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.run, f.snap
}

// TestCrossOrigin: a state-changing request from another site is refused
// and changes nothing; the page's own requests and scripts without
// browser headers are served.
func TestCrossOrigin(t *testing.T) {
	ctrl := &fakeRun{status: Status{State: StateReady}}
	base := serve(t, New(ctrl, Options{Loopback: true, Defaults: Params{Users: 1, SpawnRate: 1}}))
	for _, tc := range []struct {
		name   string
		header map[string]string
		want   int
	}{
		// A fetch or form from another site carries its Origin.
		{"other origin", map[string]string{"Origin": "http://evil.example"}, 403},
		// Another port on localhost is another origin.
		{"other port", map[string]string{"Origin": "http://127.0.0.1:1"}, 403},
		// A sandboxed frame or a data: page sends Origin: null.
		{"null origin", map[string]string{"Origin": "null"}, 403},
		// Browsers send Sec-Fetch-Site on every request today.
		{"cross-site fetch", map[string]string{"Sec-Fetch-Site": "cross-site"}, 403},
		{"same-site fetch", map[string]string{"Sec-Fetch-Site": "same-site", "Origin": "http://other.localhost:8089"}, 403},
		// The page itself.
		{"same origin", map[string]string{"Origin": base, "Sec-Fetch-Site": "same-origin"}, 200},
		// curl and scripts send neither header.
		{"no browser headers", nil, 200},
		// curl -d sends the JSON as a form; the body is read as JSON all the same.
		{"curl -d", map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, 200},
		// A cross-site HTML form posts as a form, with its Origin.
		{"cross-site form", map[string]string{"Content-Type": "application/x-www-form-urlencoded", "Origin": "http://evil.example", "Sec-Fetch-Site": "cross-site"}, 403},
	} {
		ctrl.Stop()
		ctrl.mu.Lock()
		ctrl.status.State = StateReady
		before := len(ctrl.started)
		ctrl.mu.Unlock()
		c := &client{t: t, base: base, header: http.Header{}}
		for k, v := range tc.header {
			c.header.Set(k, v)
		}
		code, body, _ := c.do("POST", "/api/start", `{"users": 5}`)
		if code != tc.want {
			t.Errorf("%s: status %d, want %d: %s", tc.name, code, tc.want, body)
		}
		if started := len(ctrl.started) - before; (tc.want == 200) != (started == 1) {
			t.Errorf("%s: %d runs started", tc.name, started)
		}
		// The other state-changing endpoints are guarded alike.
		for _, path := range []string{"/api/users", "/api/stop", "/api/reset"} {
			if code, _, _ := c.do("POST", path, `{"users": 1}`); tc.want == 403 && code != 403 {
				t.Errorf("%s: POST %s answered %d, want 403", tc.name, path, code)
			}
		}
	}
}

// TestForeignHost: on a loopback listener, only loopback names are
// answered (DNS rebinding); on a wider listener the Host is not checked.
func TestForeignHost(t *testing.T) {
	ctrl := &fakeRun{status: Status{State: StateReady}}
	for _, tc := range []struct {
		host     string
		loopback bool
		want     int
	}{
		{"evil.example:8089", true, 403},      // a rebound name
		{"evil.example", true, 403},           // without a port
		{"10.0.0.5:8089", true, 403},          // another address
		{"localhost.evil.example", true, 403}, // looks like localhost, is not
		{"127.0.0.1:8089", true, 200},
		{"localhost:8089", true, 200},
		{"LOCALHOST", true, 200},
		{"[::1]:8089", true, 200},
		{"127.0.0.2:8089", true, 200},
		{"evil.example:8089", false, 200}, // bound wider (with auth): names are the user's business
	} {
		base := serve(t, New(ctrl, Options{Loopback: tc.loopback}))
		for _, path := range []string{"/", "/api/state", "/api/stats"} {
			req, _ := http.NewRequest("GET", base+path, nil)
			req.Host = tc.host
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != tc.want {
				t.Errorf("Host %q (loopback %v) GET %s: status %d, want %d", tc.host, tc.loopback, path, res.StatusCode, tc.want)
			}
		}
		req, _ := http.NewRequest("POST", base+"/api/stop", nil)
		req.Host = tc.host
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != tc.want {
			t.Errorf("Host %q (loopback %v) POST /api/stop: status %d, want %d", tc.host, tc.loopback, res.StatusCode, tc.want)
		}
	}
}

// TestBasicAuth: with a user, every path needs the right credentials.
func TestBasicAuth(t *testing.T) {
	ctrl := &fakeRun{status: Status{State: StateReady}}
	base := serve(t, New(ctrl, Options{User: "tester", Password: "s3cret:with:colons"}))
	paths := []string{"/", "/static/app.js", "/static/uplot.js", "/api/state", "/api/stats", "/download/stats.csv", "/metrics"}
	for _, tc := range []struct {
		name       string
		user, pass string
		set        bool
		want       int
	}{
		{"no credentials", "", "", false, 401},
		{"wrong password", "tester", "nope", true, 401},
		{"wrong user", "admin", "s3cret:with:colons", true, 401},
		{"password prefix", "tester", "s3cret", true, 401},
		{"right", "tester", "s3cret:with:colons", true, 200},
	} {
		for _, path := range paths {
			req, _ := http.NewRequest("GET", base+path, nil)
			if tc.set {
				req.SetBasicAuth(tc.user, tc.pass)
			}
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != tc.want {
				t.Errorf("%s: GET %s: status %d, want %d", tc.name, path, res.StatusCode, tc.want)
			}
			if tc.want == 401 && !strings.HasPrefix(res.Header.Get("WWW-Authenticate"), "Basic ") {
				t.Errorf("%s: GET %s: no basic auth challenge", tc.name, path)
			}
		}
	}
	// A state change without credentials is refused before it is looked at.
	c := &client{t: t, base: base}
	c.must(401, "POST", "/api/start", `{"users": 1}`)
	if len(ctrl.started) != 0 {
		t.Error("an unauthenticated start started a run")
	}
}

// TestLoopbackHost lists which listen addresses and Host headers count as loopback.
func TestLoopbackHost(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want bool
	}{
		{"127.0.0.1:8089", true},
		{"127.0.0.1", true},
		{"127.8.9.10:80", true},
		{"[::1]:8089", true},
		{"::1", true},
		{"localhost:8089", true},
		{"app.localhost:8089", true},
		{"localhost.:8089", true},
		{"0.0.0.0:8089", false}, // every interface
		{":8089", false},        // every interface
		{"[::]:8089", false},    // every interface
		{"192.168.1.2:8089", false},
		{"example.com:8089", false},
		{"127.0.0.1.nip.io:8089", false},
		{"", false},
	} {
		if got := LoopbackHost(tc.in); got != tc.want {
			t.Errorf("LoopbackHost(%q) = %v, want %v", tc.in, got, tc.want)
		}
	}
}
