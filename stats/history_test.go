package stats

import (
	"math"
	"testing"
	"time"
)

// TestHistoryBounded feeds the history the one-second points of a 24-hour
// run (as Tick makes them; driving Tick itself would copy the history into
// 86,400 published snapshots): it stays under its cap, covers the whole
// run, and keeps totals.
func TestHistoryBounded(t *testing.T) {
	const seconds = 24 * 3600
	var h history
	var requests int64
	now := t0
	for i := 1; i <= seconds; i++ {
		// A varying load in the first minute of every hour: i%7 requests in
		// second i.
		n := i % 7
		if i%3600 >= 60 {
			n = 0
		}
		requests += int64(n)
		now = t0.Add(time.Duration(i) * time.Second)
		h.add(Point{Time: now, RPS: float64(n), Requests: requests, Seconds: 1})
	}
	pts := h.points()
	if len(pts) > MaxHistory {
		t.Errorf("%d points, want at most %d", len(pts), MaxHistory)
	}
	var covered, fromRates float64
	for i, p := range pts {
		covered += p.Seconds
		fromRates += p.RPS * p.Seconds
		if i > 0 && !p.Time.After(pts[i-1].Time) {
			t.Fatalf("point %d at %v not after point %d at %v", i, p.Time, i-1, pts[i-1].Time)
		}
	}
	if covered != seconds {
		t.Errorf("points cover %v s, want %v", covered, seconds)
	}
	if math.Abs(fromRates-float64(requests)) > 1e-6*float64(requests) {
		t.Errorf("RPS×Seconds sums to %v, want %d", fromRates, requests)
	}
	last := pts[len(pts)-1]
	if last.Requests != requests || !last.Time.Equal(now) {
		t.Errorf("last point: %d requests at %v, want %d at %v", last.Requests, last.Time, requests, now)
	}
	recent := pts[len(pts)-HistoryRecent:]
	for _, p := range recent {
		if p.Seconds != 1 {
			t.Fatalf("recent point at %v covers %v s, want 1", p.Time, p.Seconds)
		}
	}
	if pts[0].Seconds <= 1 {
		t.Errorf("oldest point covers %v s, want it merged", pts[0].Seconds)
	}
}

// TestHistoryPoint checks one second's point: rates and percentiles of the
// requests of that second only.
func TestHistoryPoint(t *testing.T) {
	s := New(t0, 4)
	s.SetUsers(3)
	for i := range 100 {
		s.Recorder(i).Request(getRoot, time.Second, 0, "")
	}
	s.Tick(t0.Add(time.Second))
	for i := 1; i <= 100; i++ {
		errText := ""
		if i <= 10 {
			errText = "e"
		}
		s.Recorder(i).Request(getRoot, time.Duration(i)*time.Millisecond, 0, errText)
	}
	s.Tick(t0.Add(2 * time.Second))
	h := s.Snapshot(t0.Add(2 * time.Second)).History
	if len(h) != 2 {
		t.Fatalf("%d points, want 2", len(h))
	}
	p := h[1]
	if p.RPS != 100 || p.FailPerSec != 10 || p.Users != 3 || p.Requests != 200 || p.Failures != 10 {
		t.Errorf("point = %+v, want RPS 100, FailPerSec 10, Users 3, Requests 200, Failures 10", p)
	}
	// Two significant digits: within 1% of 50, 95 and 99 ms.
	for _, c := range []struct {
		got, want time.Duration
	}{{p.P50, 50 * time.Millisecond}, {p.P95, 95 * time.Millisecond}, {p.P99, 99 * time.Millisecond}} {
		if math.Abs(float64(c.got-c.want)) > float64(c.want)/100 {
			t.Errorf("percentile %v, want %v within 1%%", c.got, c.want)
		}
	}
}

// TestCurrentRPS checks the sliding window of the current rates.
func TestCurrentRPS(t *testing.T) {
	tests := []struct {
		name     string
		perTick  []int // requests recorded before each one-second tick
		wantRPS  float64
		wantFail float64
	}{
		// Before any tick there is no closed second to measure.
		{"no tick", nil, 0, 0},
		// Steady load: the rate is the per-second count.
		{"steady", []int{10, 10, 10, 10, 10, 10, 10}, 10, 5},
		// Only the last five seconds count: the burst has left the window.
		{"old burst", []int{1000, 2, 2, 2, 2, 2}, 2, 1},
		// A window not yet full averages over the seconds it has.
		{"two seconds", []int{4, 8}, 6, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := New(t0, 2)
			now := t0
			for _, n := range tt.perTick {
				for i := range n {
					errText := ""
					if i%2 == 0 {
						errText = "e"
					}
					s.Recorder(i).Request(getRoot, time.Millisecond, 0, errText)
				}
				now = now.Add(time.Second)
				s.Tick(now)
			}
			s.Recorder(0).Request(getRoot, time.Millisecond, 0, "") // not yet ticked: not counted
			snap := s.Snapshot(now)
			e := snap.Entry(getRoot)
			if e.CurrentRPS != tt.wantRPS || e.CurrentFailPerSec != tt.wantFail {
				t.Errorf("CurrentRPS, CurrentFailPerSec = %v, %v, want %v, %v", e.CurrentRPS, e.CurrentFailPerSec, tt.wantRPS, tt.wantFail)
			}
			if snap.Total.CurrentRPS != tt.wantRPS {
				t.Errorf("Total.CurrentRPS = %v, want %v", snap.Total.CurrentRPS, tt.wantRPS)
			}
		})
	}
}

// TestMergeEqualsOneRecorder records two workers' samples separately and
// together: the merged snapshot must equal the single one.
func TestMergeEqualsOneRecorder(t *testing.T) {
	a, b, both := New(t0, 3), New(t0, 5), New(t0, 4)
	keys := []Key{{"GET", "/a"}, {"POST", "/a"}, {"GET", "/b"}}
	record := func(s *Stats, u, i int) {
		k := keys[(u*7+i)%len(keys)]
		errText := ""
		if i%9 == 0 {
			errText = "HTTP 503"
		}
		r := s.Recorder(u)
		r.Request(k, time.Duration(u*1000+i*37)*time.Microsecond, int64(i), errText)
		r.Check(k, "ok", errText == "")
		r.Pacing("t", time.Duration(i%3)*time.Millisecond, i%11 == 0)
	}
	for u := range 20 {
		for i := range 300 {
			w := a
			if u%2 == 1 {
				w = b
			}
			record(w, u, i)
			record(both, u, i)
		}
	}
	for _, s := range []*Stats{a, b, both} {
		s.Rendezvous("rz", 5, ReleaseByCount, []time.Duration{time.Millisecond})
	}
	// a and b released one group each; both saw the two of them.
	both.Rendezvous("rz", 5, ReleaseByCount, []time.Duration{time.Millisecond})
	got := Merge(a.Snapshot(t0.Add(time.Minute)), b.Snapshot(t0.Add(time.Minute)))
	want := both.Snapshot(t0.Add(time.Minute))
	if len(got.Entries) != len(want.Entries) {
		t.Fatalf("%d entries, want %d", len(got.Entries), len(want.Entries))
	}
	for i, w := range append([]*Entry{want.Total}, want.Entries...) {
		g := got.Total
		if i > 0 {
			g = got.Entries[i-1]
		}
		if g.Key != w.Key || g.Requests != w.Requests || g.Failures != w.Failures || g.SumTime != w.SumTime ||
			g.MinTime != w.MinTime || g.MaxTime != w.MaxTime || g.ContentBytes != w.ContentBytes || !sameHist(g.Hist, w.Hist) {
			t.Errorf("entry %v: got %+v, want %+v", w.Key, g, w)
		}
		for _, p := range Percentiles() {
			if g.Percentile(p) != w.Percentile(p) {
				t.Errorf("%v p%v = %v, want %v", w.Key, p, g.Percentile(p), w.Percentile(p))
			}
		}
	}
	if len(got.Errors) != len(want.Errors) || *got.Errors[0] != *want.Errors[0] {
		t.Errorf("errors = %+v, want %+v", got.Errors, want.Errors)
	}
	for i := range want.Checks {
		if *got.Checks[i] != *want.Checks[i] {
			t.Errorf("check %d = %+v, want %+v", i, got.Checks[i], want.Checks[i])
		}
	}
	gp, wp := got.Pacing[0], want.Pacing[0]
	if gp.Iterations != wp.Iterations || gp.Late != wp.Late || gp.Skipped != wp.Skipped || !sameHist(gp.Lateness, wp.Lateness) {
		t.Errorf("pacing = %+v, want %+v", gp, wp)
	}
	gr, wr := got.Rendezvous[0], want.Rendezvous[0]
	if gr.Groups != wr.Groups || gr.ByCount != wr.ByCount || !sameHist(gr.Wait, wr.Wait) || !sameHist(gr.Sizes, wr.Sizes) {
		t.Errorf("rendezvous = %+v, want %+v", gr, wr)
	}
}

// TestMergeHistory checks that two workers' points are combined by second.
func TestMergeHistory(t *testing.T) {
	a := []Point{
		{Time: t0.Add(1100 * time.Millisecond), Users: 2, RPS: 10, Requests: 10, Seconds: 1, P95: 5},
		{Time: t0.Add(2100 * time.Millisecond), Users: 2, RPS: 20, Requests: 30, Seconds: 1},
	}
	b := []Point{
		{Time: t0.Add(1900 * time.Millisecond), Users: 3, RPS: 5, Requests: 5, Seconds: 1, P95: 9},
		{Time: t0.Add(3900 * time.Millisecond), Users: 1, RPS: 1, Requests: 6, Seconds: 1},
	}
	got := mergeHistory(a, b)
	want := []Point{
		{Time: t0.Add(1900 * time.Millisecond), Users: 5, RPS: 15, Requests: 15, Seconds: 1, P95: 9},
		{Time: t0.Add(2100 * time.Millisecond), Users: 5, RPS: 20, Requests: 35, Seconds: 1},
		{Time: t0.Add(3900 * time.Millisecond), Users: 3, RPS: 1, Requests: 36, Seconds: 1},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d points, want %d: %+v", len(got), len(want), got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("point %d = %+v, want %+v", i, got[i], want[i])
		}
	}
}

// TestMergeNil checks that a nil snapshot merges as an empty one.
func TestMergeNil(t *testing.T) {
	s := New(t0, 1)
	s.Recorder(0).Request(getRoot, time.Millisecond, 1, "")
	got := Merge(nil, s.Snapshot(t0.Add(time.Second)))
	if got.Total.Requests != 1 || !got.Start.Equal(t0) {
		t.Errorf("Merge(nil, s) = %d requests from %v, want 1 from %v", got.Total.Requests, got.Start, t0)
	}
}
