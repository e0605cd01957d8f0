package cluster

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/loadrun/loadrun/reports"
	"github.com/loadrun/loadrun/stats"
)

// TestWithInterval: the interval WithInterval computes from two
// cumulative snapshots is the one a tick computes from its own samples:
// the same counts per name, the same percentiles (to the histogram's
// 0.1 %), the same history point; and the history rows written from it
// are the tick's.
func TestWithInterval(t *testing.T) {
	start := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	st := stats.New(start, 2)
	rnd := rand.New(rand.NewPCG(3, 4))
	names := []stats.Key{{Method: "GET", Name: "/a"}, {Method: "POST", Name: "/b"}, {Method: "GET", Name: "/c"}}
	var ticks []*stats.Snapshot
	for sec := 1; sec <= 4; sec++ {
		rec := st.Recorder(sec)
		for i := range 500 {
			k := names[i%len(names)]
			if sec == 1 && k.Name == "/c" {
				continue // a name that appears later
			}
			d := time.Duration(math.Exp(rnd.NormFloat64()*1.5+1) * float64(time.Millisecond))
			failure := ""
			if i%17 == 0 {
				failure = "HTTP 500"
			}
			rec.Request(k, d, 100, failure)
		}
		if sec == 3 {
			rec.Unsent(names[0], "no free row")
		}
		st.SetUsers(sec)
		st.Tick(start.Add(time.Duration(sec) * time.Second))
		ticks = append(ticks, st.Latest())
	}
	for i, cur := range ticks {
		var prev *stats.Snapshot
		if i > 0 {
			prev = ticks[i-1]
		}
		got, want := WithInterval(prev, cur).Interval, cur.Interval
		if len(got.Entries) != len(want.Entries) {
			t.Fatalf("tick %d: %d names in the interval, want %d", i+1, len(got.Entries), len(want.Entries))
		}
		for j, w := range append(want.Entries, want.Total) {
			g := got.Total
			if j < len(want.Entries) {
				g = got.Entries[j]
			}
			if g.Key != w.Key || g.Requests != w.Requests || g.Failures != w.Failures || g.Unsent != w.Unsent || g.SumTime != w.SumTime {
				t.Errorf("tick %d %s: %d requests, %d failures, %d unsent, %s; want %d, %d, %d, %s",
					i+1, w.Key, g.Requests, g.Failures, g.Unsent, g.SumTime, w.Requests, w.Failures, w.Unsent, w.SumTime)
			}
			for _, q := range stats.Percentiles() {
				if gp, wp := g.Percentile(q), w.Percentile(q); math.Abs(float64(gp-wp)) > 0.001*float64(wp) {
					t.Errorf("tick %d %s p%g: %s, want %s", i+1, w.Key, q, gp, wp)
				}
			}
		}
		gp, wp := got.History[0], want.History[0]
		if gp.Requests != wp.Requests || gp.Failures != wp.Failures || gp.RPS != wp.RPS || gp.FailPerSec != wp.FailPerSec ||
			gp.Users != wp.Users || gp.TotalMedian != wp.TotalMedian || gp.TotalAvg != wp.TotalAvg || gp.TotalMax != wp.TotalMax {
			t.Errorf("tick %d history point\n got %+v\nwant %+v", i+1, gp, wp)
		}
		if g, w := reports.HistoryTickRows(WithInterval(prev, cur)), reports.HistoryTickRows(cur); len(g) != len(w) {
			t.Errorf("tick %d: %d history rows, want %d", i+1, len(g), len(w))
		}
	}
	own := ticks[3].Interval
	if WithInterval(ticks[2], ticks[3]); ticks[3].Interval != own {
		t.Error("WithInterval changed its argument")
	}
}

// TestWithIntervalReset: counts that went down (statistics reset) count
// from zero again instead of going negative.
func TestWithIntervalReset(t *testing.T) {
	start := time.Now()
	big, small := sampleSnapshot(t, start, 30), sampleSnapshot(t, start, 5)
	iv := WithInterval(big, small).Interval
	if iv.Total.Requests != small.Total.Requests || iv.Total.Hist.TotalCount() != small.Total.Hist.TotalCount() {
		t.Errorf("after a reset the interval has %d requests, want %d", iv.Total.Requests, small.Total.Requests)
	}
}
