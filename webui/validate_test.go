package webui

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/loadrun/loadrun/stats"
)

// TestStartInput: the start form's values are checked before a run starts;
// a bad value is a 400 whose message says what was expected.
func TestStartInput(t *testing.T) {
	def := Params{Users: 7, SpawnRate: 2, Host: "http://127.0.0.1:8080", RunTime: time.Minute}
	for _, tc := range []struct {
		name, body string
		want       int
		params     Params // what the run starts with, when 200
		msg        string // in the error, when 400
	}{
		{"numbers", `{"users": 10, "spawn_rate": 5, "host": "http://127.0.0.1:9", "run_time": "30s"}`, 200,
			Params{10, 5, "http://127.0.0.1:9", 30 * time.Second}, ""},
		// The page sends the inputs' text.
		{"strings", `{"users": "10", "spawn_rate": "0.5", "host": "", "run_time": ""}`, 200,
			Params{10, 0.5, def.Host, 0}, ""},
		// A script may leave the optional fields out: the defaults stay.
		{"defaults", `{"users": 3}`, 200, Params{3, 2, def.Host, time.Minute}, ""},
		{"empty body", ``, 200, def, ""},
		{"seconds", `{"run_time": "90"}`, 200, Params{7, 2, def.Host, 90 * time.Second}, ""},
		{"all at once", `{"spawn_rate": 0}`, 200, Params{7, 0, def.Host, time.Minute}, ""},
		{"negative users", `{"users": -1}`, 400, Params{}, "users must be a whole number"},
		{"fractional users", `{"users": 1.5}`, 400, Params{}, "users must be a whole number"},
		{"too many users", `{"users": 100000000}`, 400, Params{}, "from 0 to 1000000"},
		{"text users", `{"users": "many"}`, 400, Params{}, `not "many"`},
		{"negative rate", `{"spawn_rate": -2}`, 400, Params{}, "spawn_rate must be"},
		{"NaN rate", `{"spawn_rate": "NaN"}`, 400, Params{}, "spawn_rate must be"},
		{"ftp host", `{"host": "ftp://127.0.0.1"}`, 400, Params{}, "host must be a base URL"},
		{"bare host", `{"host": "127.0.0.1:8080"}`, 400, Params{}, "host must be a base URL"},
		{"bad run time", `{"run_time": "soon"}`, 400, Params{}, "run_time must be a duration"},
		{"negative run time", `{"run_time": "-5s"}`, 400, Params{}, "run_time must be a duration"},
		{"unknown field", `{"userz": 3}`, 400, Params{}, `unknown field "userz"`},
		{"not JSON", `users=3`, 400, Params{}, "must be a JSON object"},
		{"too large", `{"host": "` + strings.Repeat("a", 70000) + `"}`, 400, Params{}, "too large"},
	} {
		ctrl := &fakeRun{status: Status{State: StateReady}}
		c := &client{t: t, base: serve(t, New(ctrl, Options{Defaults: def}))}
		code, body, _ := c.do("POST", "/api/start", tc.body)
		if code != tc.want {
			t.Errorf("%s: status %d, want %d: %s", tc.name, code, tc.want, body)
			continue
		}
		if tc.want == 200 {
			if len(ctrl.started) != 1 || ctrl.started[0] != tc.params {
				t.Errorf("%s: started %+v, want %+v", tc.name, ctrl.started, tc.params)
			}
			continue
		}
		var e struct{ Error string }
		if err := json.Unmarshal(body, &e); err != nil || !strings.Contains(e.Error, tc.msg) {
			t.Errorf("%s: error %q, want it to say %q", tc.name, body, tc.msg)
		}
		if len(ctrl.started) != 0 {
			t.Errorf("%s: a run started on bad input", tc.name)
		}
	}
}

// TestRunControl: users, stop and reset reach the controller; states that
// do not allow them answer 409.
func TestRunControl(t *testing.T) {
	ctrl := &fakeRun{status: Status{State: StateReady}}
	c := &client{t: t, base: serve(t, New(ctrl, Options{}))}
	c.must(409, "POST", "/api/users", `{"users": 3}`)
	c.must(200, "POST", "/api/start", `{"users": 2, "spawn_rate": 1}`)
	c.must(409, "POST", "/api/start", `{"users": 2}`)
	c.must(400, "POST", "/api/users", `{}`)
	c.must(400, "POST", "/api/users", `{"users": -3}`)
	c.must(200, "POST", "/api/users", `{"users": 3}`)
	if st := ctrl.Status(); st.TargetUsers != 3 || st.SpawnRate != 1 {
		t.Errorf("after users 3 without a rate: %+v, want 3 users at the rate in use (1)", st)
	}
	c.must(200, "POST", "/api/users", `{"users": 0, "spawn_rate": 4}`)
	c.must(200, "POST", "/api/reset", "")
	c.must(200, "POST", "/api/stop", "")
	c.must(405, "GET", "/api/stop", "")
	if ctrl.resets != 1 || ctrl.stops != 1 || len(ctrl.users) != 2 {
		t.Errorf("resets %d, stops %d, user changes %v", ctrl.resets, ctrl.stops, ctrl.users)
	}
}

// TestEventHistory: a stream sends the whole history first, then only new
// points; a reset (a snapshot with a new start) sends it whole again.
func TestEventHistory(t *testing.T) {
	start := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	st := stats.New(start, 1)
	rec := st.Recorder(1)
	tick := func(n int) {
		for i := 0; i < n; i++ {
			rec.Request(stats.Key{Method: "GET", Name: "/"}, 3*time.Millisecond, 100, "")
			start = start.Add(time.Second)
			st.Tick(start)
		}
	}
	ctrl := &fakeRun{status: Status{State: StateRunning}}
	srv := New(ctrl, Options{})
	event := func(cur *cursor) *eventJSON {
		ctrl.mu.Lock()
		ctrl.snap = st.Snapshot(start)
		ctrl.mu.Unlock()
		srv.fresh()
		return srv.event(cur)
	}
	var cur cursor
	tick(5)
	for _, step := range []struct {
		ticks  int
		points int
		reset  bool
	}{
		{0, 5, true},  // the first event: everything so far
		{0, 0, false}, // nothing new
		{3, 3, false}, // three new seconds
		{1, 1, false},
	} {
		tick(step.ticks)
		ev := event(&cur)
		if len(ev.History.Time) != step.points || ev.HistoryReset != step.reset {
			t.Fatalf("after %d ticks: %d points (reset %v), want %d (reset %v)", step.ticks, len(ev.History.Time), ev.HistoryReset, step.points, step.reset)
		}
		if n := len(ev.History.Time); n > 0 && (len(ev.History.RPS) != n || len(ev.History.P95Ms) != n || len(ev.History.Users) != n) {
			t.Fatalf("history columns of unequal length: %+v", ev.History)
		}
	}
	// Reset stats: the history starts over and the client is told to drop its own.
	st.Reset(start)
	tick(2)
	if ev := event(&cur); !ev.HistoryReset || len(ev.History.Time) != 2 {
		t.Fatalf("after a reset: %d points (reset %v), want 2 (reset true)", len(ev.History.Time), ev.HistoryReset)
	}
	// A new stream gets the whole history.
	var fresh cursor
	if ev := event(&fresh); !ev.HistoryReset || len(ev.History.Time) != 2 {
		t.Fatalf("a new stream: %d points (reset %v), want 2", len(ev.History.Time), ev.HistoryReset)
	}
}

// TestEmptyRun: before any run, every read endpoint answers with empty
// but well-formed data.
func TestEmptyRun(t *testing.T) {
	c := &client{t: t, base: serve(t, New(&fakeRun{status: Status{State: StateReady}}, Options{}))}
	for _, path := range []string{"/", "/static/app.js", "/static/app.css", "/static/uplot.js", "/static/uplot.css", "/api/state", "/api/stats", "/metrics",
		"/download/stats.csv", "/download/stats_history.csv", "/download/failures.csv", "/download/exceptions.csv",
		"/download/checks.csv", "/download/report.html", "/download/summary.json", "/download/junit.xml"} {
		c.must(200, "GET", path, "")
	}
	c.must(404, "GET", "/nope", "")
}
