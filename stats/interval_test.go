package stats

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// buckets lists a histogram's populated buckets, for comparing two.
func buckets(h *hdrhistogram.PackedHistogram) [][2]int64 {
	var out [][2]int64
	h.ForEachBucket(func(v, c int64) bool {
		out = append(out, [2]int64{v, c})
		return true
	})
	return out
}

func sameHist(a, b *hdrhistogram.PackedHistogram) bool {
	return a.TotalCount() == b.TotalCount() && slices.Equal(buckets(a), buckets(b))
}

// TestIntervalsAddUpToTotal: the intervals published by each tick, merged
// with Merge as a master does, equal the run's final snapshot exactly:
// counts, exact times, histograms, errors, checks, pacing, phases,
// rendezvous.
func TestIntervalsAddUpToTotal(t *testing.T) {
	s := New(t0, 4)
	rng := rand.New(rand.NewPCG(1, 2))
	keys := []Key{{"GET", "/a"}, {"POST", "/a"}, {"GET", "/b"}}
	var merged *Snapshot
	now := t0
	for tick := range 12 {
		for i := range 200 {
			if tick == 5 {
				break // an interval with no request at all
			}
			k := keys[rng.IntN(len(keys))]
			errText := ""
			if rng.IntN(10) == 0 {
				errText = fmt.Sprintf("HTTP %d", 500+rng.IntN(3))
			}
			r := s.Recorder(i)
			if rng.IntN(50) == 0 {
				r.Unsent(k, "variable x is not set")
			} else {
				r.Request(k, time.Duration(rng.ExpFloat64()*float64(20*time.Millisecond)), int64(rng.IntN(1000)), errText)
			}
			r.Check(k, "status", errText == "")
			r.Pacing("browse", time.Duration(rng.IntN(3))*time.Millisecond, rng.IntN(20) == 0)
			if errText == "" {
				r.Phases(k, PhaseTimes{Connect: time.Duration(rng.IntN(900)) * time.Microsecond, TLS: time.Millisecond,
					Send: 10 * time.Microsecond, Wait: time.Duration(rng.ExpFloat64() * float64(15*time.Millisecond)),
					Download: time.Duration(rng.IntN(5000)) * time.Microsecond, NewConn: i%10 == 0, NewTLS: i%20 == 0})
			}
		}
		if tick%3 == 0 {
			s.Rendezvous("pay", 3, ReleaseByCount, []time.Duration{time.Millisecond, 2 * time.Millisecond})
		}
		if tick == 7 {
			s.Snapshot(now) // an off-tick snapshot must not lose or double an interval's samples
		}
		now = now.Add(time.Second)
		s.Tick(now)
		iv := s.Latest().Interval
		if iv == nil || !iv.Time.Equal(now) || !iv.Start.Equal(now.Add(-time.Second)) || len(iv.History) != 1 {
			t.Fatalf("tick %d: interval %+v, want one from %v to %v with one point", tick, iv, now.Add(-time.Second), now)
		}
		merged = Merge(merged, iv)
	}
	want := s.Latest()
	if len(merged.Entries) != len(want.Entries) {
		t.Fatalf("%d entries, want %d", len(merged.Entries), len(want.Entries))
	}
	for i, w := range append([]*Entry{want.Total}, want.Entries...) {
		g := merged.Total
		if i > 0 {
			g = merged.Entries[i-1]
		}
		if g.Key != w.Key || g.Requests != w.Requests || g.Failures != w.Failures || g.Unsent != w.Unsent || g.SumTime != w.SumTime ||
			g.MinTime != w.MinTime || g.MaxTime != w.MaxTime || g.ContentBytes != w.ContentBytes || !sameHist(g.Hist, w.Hist) {
			t.Errorf("entry %v: merged intervals %+v, want %+v", w.Key, g, w)
		}
	}
	if fmt.Sprint(derefs(merged.Errors)) != fmt.Sprint(derefs(want.Errors)) {
		t.Errorf("errors: merged %v, want %v", derefs(merged.Errors), derefs(want.Errors))
	}
	if fmt.Sprint(derefs(merged.Checks)) != fmt.Sprint(derefs(want.Checks)) {
		t.Errorf("checks: merged %v, want %v", derefs(merged.Checks), derefs(want.Checks))
	}
	gp, wp := merged.Pacing[0], want.Pacing[0]
	if gp.Iterations != wp.Iterations || gp.Late != wp.Late || gp.Skipped != wp.Skipped || !sameHist(gp.Lateness, wp.Lateness) {
		t.Errorf("pacing: merged %+v, want %+v", gp, wp)
	}
	if len(merged.Phases) != len(want.Phases) || len(want.Phases) != len(keys) {
		t.Fatalf("%d phase rows, want %d (one per request)", len(merged.Phases), len(want.Phases))
	}
	for i, w := range append(want.Phases, want.PhasesTotal()) {
		g := merged.PhasesTotal()
		if i < len(want.Phases) {
			g = merged.Phases[i]
		}
		if g.Key != w.Key || g.Requests != w.Requests || g.Conns != w.Conns || g.Handshakes != w.Handshakes {
			t.Errorf("phases %v: merged %v %d/%d/%d, want %d/%d/%d", w.Key, g.Key, g.Requests, g.Conns, g.Handshakes,
				w.Requests, w.Conns, w.Handshakes)
		}
		gh, wh := g.hists(), w.hists()
		for j := range gh {
			if !sameHist(gh[j], wh[j]) {
				t.Errorf("phases %v: merged histogram %d differs", w.Key, j)
			}
		}
	}
	gr, wr := merged.Rendezvous[0], want.Rendezvous[0]
	if gr.Groups != 4 || gr.Groups != wr.Groups || !sameHist(gr.Wait, wr.Wait) || !sameHist(gr.Sizes, wr.Sizes) {
		t.Errorf("rendezvous: merged %+v, want %+v (4 groups)", gr, wr)
	}
	if len(merged.History) != len(want.History) {
		t.Errorf("history: merged %d points, want %d", len(merged.History), len(want.History))
	}
}

func derefs[T any](list []*T) []T {
	out := make([]T, len(list))
	for i, p := range list {
		out[i] = *p
	}
	return out
}

// TestLatestIsSharedAndImmutable: between ticks every reader gets the same
// snapshot, and a published snapshot never changes however much is
// recorded, ticked or snapshotted after it.
func TestLatestIsSharedAndImmutable(t *testing.T) {
	s := New(t0, 2)
	r := s.Recorder(0)
	r.Request(getRoot, time.Millisecond, 0, "")
	s.Tick(t0.Add(time.Second))
	first := s.Latest()
	if s.Latest() != first {
		t.Fatal("two reads between ticks returned different snapshots")
	}
	p99, count := first.Entry(getRoot).Percentile(99), first.Entry(getRoot).Hist.TotalCount()
	r.Phases(getRoot, PhaseTimes{Wait: time.Millisecond, NewConn: true})
	r.Pacing("browse", time.Millisecond, false)
	s.Tick(t0.Add(time.Second))
	second := s.Latest()
	phaseWait, late := buckets(second.Phases[0].Wait), buckets(second.Pacing[0].Lateness)
	for i := range 1000 {
		s.Recorder(i).Request(getRoot, time.Second, 0, "boom")
		s.Recorder(i).Phases(getRoot, PhaseTimes{Wait: time.Second, NewConn: true})
		s.Recorder(i).Pacing("browse", time.Second, false)
	}
	s.Snapshot(t0.Add(time.Second))
	s.Tick(t0.Add(2 * time.Second))
	e := first.Entry(getRoot)
	if e.Requests != 1 || e.Hist.TotalCount() != count || e.Percentile(99) != p99 || first.Total.Requests != 1 || len(first.Errors) != 0 {
		t.Errorf("published snapshot changed: %+v", e)
	}
	if p := second.Phases[0]; p.Requests != 1 || p.Conns != 1 || !slices.Equal(buckets(p.Wait), phaseWait) {
		t.Errorf("published phases changed: %d requests, %d connections, wait %v, want 1, 1, %v", p.Requests, p.Conns, buckets(p.Wait), phaseWait)
	}
	if p := second.Pacing[0]; p.Iterations != 1 || p.Late != 1 || !slices.Equal(buckets(p.Lateness), late) {
		t.Errorf("published pacing changed: %d iterations, %d late, lateness %v, want 1, 1, %v", p.Iterations, p.Late, buckets(p.Lateness), late)
	}
	latest := s.Latest()
	if got := latest.Total.Requests; got != 1001 {
		t.Errorf("next snapshot has %d requests, want 1001", got)
	}
	if p := latest.Phases[0]; p.Requests != 1001 || p.Wait.TotalCount() != 1001 {
		t.Errorf("next snapshot has %d phase samples (%d waits), want 1001", p.Requests, p.Wait.TotalCount())
	}
	if p := latest.Pacing[0]; p.Late != 1001 || p.Lateness.TotalCount() != 1001 {
		t.Errorf("next snapshot has %d late starts (%d lateness samples), want 1001", p.Late, p.Lateness.TotalCount())
	}
}

// TestPackedPercentilesMatchDense: the sparse histogram rows use gives the
// percentiles, min, max and mean of the dense HDR histogram on the same
// samples, so moving to it changed no reported number.
func TestPackedPercentilesMatchDense(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	tests := []struct {
		name string
		draw func() int64
	}{
		{"exponential around 20 ms", func() int64 { return 1 + int64(rng.ExpFloat64()*20000) }},
		{"uniform over the whole range", func() int64 { return 1 + rng.Int64N(histHighest) }},
		{"one value", func() int64 { return 4242 }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dense, sparse := newDenseHist(), newHist()
			for range 50000 {
				v := tt.draw()
				_ = dense.RecordValue(v)
				_ = sparse.RecordValue(v)
			}
			for _, p := range append([]float64{0, 1, 33.3}, Percentiles()...) {
				if got, want := sparse.ValueAtPercentile(p), dense.ValueAtPercentile(p); got != want {
					t.Errorf("p%v = %d, dense %d", p, got, want)
				}
			}
			if sparse.Min() != dense.Min() || sparse.Max() != dense.Max() || sparse.Mean() != dense.Mean() {
				t.Errorf("min/max/mean %d/%d/%v, dense %d/%d/%v", sparse.Min(), sparse.Max(), sparse.Mean(), dense.Min(), dense.Max(), dense.Mean())
			}
			enc, err := sparse.Encode()
			if err != nil {
				t.Fatal(err)
			}
			denc, err := dense.Encode(hdrhistogram.V2CompressedEncodingCookieBase)
			if err != nil || string(enc) != string(denc) {
				t.Errorf("encodings differ (%v)", err)
			}
		})
	}
}

// TestChecksInScenarioOrder: snapshots list checkpoints in the order
// OrderChecks gave, unknown ones after them by request and label.
func TestChecksInScenarioOrder(t *testing.T) {
	s := New(t0, 2)
	b, a := Key{"GET", "/b"}, Key{"GET", "/a"}
	s.OrderChecks([]CheckID{{b, "status 200"}, {b, "contains ok"}, {a, "status 200"}})
	r := s.Recorder(0)
	r.Check(a, "status 200", true)
	r.Check(a, "zzz unlisted", true)
	r.Check(a, "aaa unlisted", true)
	r.Check(b, "contains ok", false)
	r.Check(b, "status 200", true)
	s.Tick(t0.Add(time.Second))
	for _, snap := range []*Snapshot{s.Latest(), s.Latest().Interval, s.Snapshot(t0.Add(time.Second))} {
		var got []string
		for _, c := range snap.Checks {
			got = append(got, c.Request.Name+" "+c.Name)
		}
		want := "/b status 200|/b contains ok|/a status 200|/a aaa unlisted|/a zzz unlisted"
		if strings.Join(got, "|") != want {
			t.Errorf("checks %q, want %q", got, want)
		}
	}
	s.Reset(t0.Add(2 * time.Second))
	r.Check(a, "status 200", true)
	r.Check(b, "status 200", true)
	if snap := s.Snapshot(t0.Add(3 * time.Second)); snap.Checks[0].Request != b {
		t.Errorf("after Reset, first check %v, want the scenario's order kept", snap.Checks[0])
	}
}
