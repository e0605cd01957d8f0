package engine

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/loadrun/loadrun/demo"
	"github.com/loadrun/loadrun/internal/memnet"
	"github.com/loadrun/loadrun/scenario"
	"github.com/loadrun/loadrun/stats"
)

// sec is one synthetic second of a run's history.
type sec struct {
	users int
	rps   float64
	p99   time.Duration
}

// historyOf builds one-second history points starting at 12:00:00 local
// time (the warnings print local time).
func historyOf(secs ...sec) []stats.Point {
	t0 := time.Date(2024, 5, 1, 12, 0, 0, 0, time.Local)
	var out []stats.Point
	var total int64
	for i, s := range secs {
		total += int64(s.rps)
		out = append(out, stats.Point{
			Time: t0.Add(time.Duration(i+1) * time.Second), Users: s.users, RPS: s.rps,
			P50: s.p99 / 2, P95: s.p99, P99: s.p99, Requests: total, Seconds: 1,
		})
	}
	return out
}

// steady is n seconds of 10 users at 100 requests/s with a 21 ms p99
// (20 ms service, no think time would be 500/s; this is a think-time run).
func steady(n int) []sec {
	out := make([]sec, n)
	for i := range out {
		out[i] = sec{10, 100, 21 * time.Millisecond}
	}
	return out
}

// with replaces seconds of a history from index i on.
func with(base []sec, i int, repl ...sec) []sec {
	out := append([]sec(nil), base...)
	copy(out[i:], repl)
	return out
}

func TestStallWarnings(t *testing.T) {
	ms := time.Millisecond
	tests := []struct {
		name    string
		history []sec
		pacing  bool
		// want holds, for each warning expected, text it must contain.
		want []string
	}{
		// A steady run has nothing to say.
		{"steady", steady(10), false, nil},
		// One 500 ms stall inside a second: half the requests, p99 at the stall.
		{"one stall", with(steady(10), 5, sec{10, 50, 510 * ms}), false,
			[]string{"stall at 12:00:05 for ~1s: request rate fell to 50% of normal while p99 rose to 510ms; closed-model percentiles cannot show"}},
		// A stall across a tick boundary takes a quarter off each of two
		// seconds: one stall of ~2s, with the worse p99 of the two.
		{"straddling stall", with(steady(10), 4, sec{10, 75, 260 * ms}, sec{10, 75, 500 * ms}), false,
			[]string{"stall at 12:00:04 for ~2s: request rate fell to 75% of normal while p99 rose to 500ms"}},
		// A stall that starts late in a second: the rate falls in that
		// second, the stalled requests complete (raising p99) in the next.
		{"stall across a tick, mostly before it", with(steady(10), 5, sec{10, 20, 21 * ms}, sec{10, 85, 480 * ms}), false,
			[]string{"stall at 12:00:05 for ~2s: request rate fell to 20% of normal while p99 rose to 480ms"}},
		// A short run (a real one): the stall's slow requests fill two of
		// four judged seconds, so the normal p99 must come from the others.
		{"short run", []sec{{10, 191, 17 * ms}, {10, 199, 2 * ms}, {10, 100, 457 * ms}, {10, 197, 457 * ms}, {10, 191, 3 * ms}}, false,
			[]string{"stall at 12:00:02 for ~2s: request rate fell to 52% of normal while p99 rose to 457ms"}},
		// A long stall: a second with no completion, then the stalled requests
		// complete at once with a 2 s p99.
		{"long stall", with(steady(10), 5, sec{10, 0, 0}, sec{10, 30, 2 * time.Second}), false,
			[]string{"stall at 12:00:05 for ~2s: no request completed for a while, then p99 rose to 2s"}},
		// A run that ends while stalled: only seconds without completions.
		{"stalled to the end", with(steady(10), 8, sec{10, 0, 0}, sec{10, 0, 0}), false,
			[]string{"stall at 12:00:08 for ~2s: no request completed while 10 users were running"}},
		// Two separate stalls are two warnings.
		{"two stalls", with(with(steady(12), 3, sec{10, 40, 600 * ms}), 8, sec{10, 45, 550 * ms}), false,
			[]string{"stall at 12:00:03", "stall at 12:00:08"}},
		// A paced run points at the pacing table instead.
		{"paced", with(steady(10), 5, sec{10, 50, 510 * ms}), true,
			[]string{"the pacing table counts the iterations it delayed"}},
		// A ramp-up then ramp-down by 2 users a second: the rate follows the
		// users, which is no dip.
		{"ramp up and down", []sec{
			{2, 20, 21 * ms}, {4, 40, 21 * ms}, {6, 60, 21 * ms}, {8, 80, 21 * ms}, {10, 100, 21 * ms},
			{10, 100, 21 * ms}, {10, 100, 21 * ms}, {8, 80, 21 * ms}, {6, 60, 21 * ms}, {4, 40, 21 * ms}, {2, 20, 21 * ms},
		}, false, nil},
		// Users spawned during a second make it look slow per user at its end
		// count; with slow first connections on top, still no stall.
		{"ramp-up with slow first connections", []sec{
			{5, 20, 150 * ms}, {10, 60, 150 * ms}, {10, 100, 21 * ms}, {10, 100, 21 * ms}, {10, 100, 21 * ms}, {10, 100, 21 * ms},
		}, false, nil},
		// The run's end: users stopped (0) and a short last point.
		{"run end", append(steady(8), sec{0, 3, 21 * ms}), false, nil},
		// Slow responses without fewer requests (a slow endpoint in the mix).
		{"p99 rise without dip", with(steady(10), 5, sec{10, 98, 900 * ms}), false, nil},
		// Fewer requests without slow responses (longer random think times).
		{"dip without p99 rise", with(steady(10), 5, sec{10, 40, 25 * ms}), false, nil},
		// A fast local target: 0.2 ms normally, a GC pause to 2 ms is no stall
		// even with a dip.
		{"tiny rise", []sec{
			{10, 5000, 200 * time.Microsecond}, {10, 5000, 200 * time.Microsecond}, {10, 5000, 200 * time.Microsecond},
			{10, 3000, 2 * ms}, {10, 5000, 200 * time.Microsecond}, {10, 5000, 200 * time.Microsecond},
		}, false, nil},
		// One user thinking ~5 s: most seconds complete nothing, by chance.
		{"sparse", []sec{{1, 0, 0}, {1, 1, 30 * ms}, {1, 0, 0}, {1, 0, 0}, {1, 0, 0}, {1, 0, 0}, {1, 1, 30 * ms}, {1, 0, 0}}, false, nil},
		// Too short a run to know what normal is.
		{"too short", []sec{{10, 100, 21 * ms}, {10, 100, 21 * ms}, {10, 0, 0}}, false, nil},
		// No history at all.
		{"empty", nil, false, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &stats.Snapshot{History: historyOf(tt.history...)}
			if tt.pacing {
				s.Pacing = []*stats.PacingEntry{{Task: "t"}}
			}
			got := stallWarnings(s)
			if len(got) != len(tt.want) {
				t.Fatalf("got %d warnings, want %d:\n%s", len(got), len(tt.want), strings.Join(got, "\n"))
			}
			for i, w := range tt.want {
				if !strings.Contains(got[i], w) {
					t.Errorf("warning %d:\ngot  %s\nwant it to contain %q", i, got[i], w)
				}
			}
		})
	}
}

// TestStallWarningsBounded: a run that stalls every third second lists a
// few stalls and says how many more there were, rather than one per stall.
func TestStallWarningsBounded(t *testing.T) {
	var h []sec
	for i := range 40 {
		if i%3 == 1 {
			h = append(h, sec{10, 30, 700 * time.Millisecond})
		} else {
			h = append(h, sec{10, 100, 21 * time.Millisecond})
		}
	}
	got := stallWarnings(&stats.Snapshot{History: historyOf(h...)})
	if len(got) != stallMaxReported+1 {
		t.Fatalf("got %d warnings, want %d:\n%s", len(got), stallMaxReported+1, strings.Join(got, "\n"))
	}
	if want := "8 more stalls not listed"; got[stallMaxReported] != want {
		t.Errorf("last warning %q, want %q", got[stallMaxReported], want)
	}
}

// TestStallWarningsMergedHistory: old history points cover several seconds
// each; a stall in one is found and its length is the point's.
func TestStallWarningsMergedHistory(t *testing.T) {
	pts := historyOf(steady(8)...)
	for i := range pts {
		pts[i].Time = pts[0].Time.Add(time.Duration(4*i) * time.Second)
		pts[i].Seconds = 4
	}
	pts[5].RPS, pts[5].P99 = 60, 3*time.Second
	got := stallWarnings(&stats.Snapshot{History: pts})
	if len(got) != 1 || !strings.Contains(got[0], "for ~4s: request rate fell to 60% of normal while p99 rose to 3s") {
		t.Errorf("got %q, want one 4 s stall at 60%% with a 3 s p99", got)
	}
}

// TestStallFoundInThinkTimeRun runs 10 think-time users against the demo
// target for 7 s, stalls it once for 500 ms mid-run (or not), and expects
// that one stall to be reported from the real per-second history, and
// nothing from the run without it.
func TestStallFoundInThinkTimeRun(t *testing.T) {
	tests := []struct {
		name  string
		stall bool
		want  int
	}{
		// The steady run is the false-positive check.
		{"steady", false, 0},
		// One 500 ms stall at 3 s.
		{"one stall", true, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				snap := thinkRun(t, tt.stall)
				got := stallWarnings(snap)
				ok := len(got) == tt.want
				for _, w := range got {
					ok = ok && strings.Contains(w, "while p99 rose to")
				}
				if !ok {
					var h []string
					for _, p := range snap.History {
						h = append(h, fmt.Sprintf("%s users=%d rps=%.1f p99=%s s=%.2f", p.Time.Format("15:04:05.000"), p.Users, p.RPS, p.P99, p.Seconds))
					}
					t.Errorf("got warnings %q, want %d with a p99 rise; history:\n%s", got, tt.want, strings.Join(h, "\n"))
				}
			})
		})
	}
}

// thinkRun is a 7 s run of 4 users with 100 ms think time against the demo
// target (answering in 2 ms), stalled for 500 ms at 3 s when stall is set.
// It runs in virtual time (call it in a synctest bubble) over an in-memory
// listener: the machine's load cannot make a stall or hide one.
func thinkRun(t *testing.T, stall bool) *stats.Snapshot {
	t.Helper()
	app := demo.New(demo.Options{})
	l := memnet.Listen()
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(2 * time.Millisecond)
		app.ServeHTTP(w, r)
	})}
	go srv.Serve(l)
	defer srv.Close()
	sc, err := scenario.Parse("think.yaml", []byte(`
name: think
users:
  - name: U
    wait: {constant: 100ms}
    tasks: [{name: t, steps: [{request: {url: /items/1}}]}]
`))
	if err != nil {
		t.Fatal(err)
	}
	plan, err := Compile(sc, CompileOptions{Host: "http://app.test"})
	if err != nil {
		t.Fatal(err)
	}
	r := NewRunner(plan, Options{RunTime: 7 * time.Second, Dial: l.Dial})
	if err := r.Start(4, 0); err != nil {
		t.Fatal(err)
	}
	defer func() { r.Kill(); <-r.Done() }()
	if stall {
		time.Sleep(3 * time.Second)
		rec := httptest.NewRecorder()
		app.ServeHTTP(rec, httptest.NewRequest("POST", "/admin/stall?ms=500", nil))
		if rec.Code != http.StatusOK {
			t.Fatalf("stall: HTTP %d", rec.Code)
		}
	}
	select {
	case <-r.Done():
	case <-time.After(20 * time.Second):
		t.Fatal("the run did not end")
	}
	return r.Snapshot()
}
