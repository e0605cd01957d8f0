package stats

import (
	"sync"
	"testing"
	"time"
)

// TestPhasesCounts records known phase times and checks every count and a
// quantile of each histogram: connect and TLS count only new connections.
func TestPhasesCounts(t *testing.T) {
	s := New(t0, 3)
	https := Key{Method: "GET", Name: "https"}
	plain := Key{Method: "POST", Name: "plain"}
	for i := range 10 {
		r := s.Recorder(i)
		// The first two requests of each row open a connection; only the
		// https row's make a TLS handshake.
		r.Phases(https, PhaseTimes{Connect: time.Millisecond, TLS: 4 * time.Millisecond, Send: 10 * time.Microsecond,
			Wait: 20 * time.Millisecond, Download: 2 * time.Millisecond, NewConn: i < 2, NewTLS: i < 2})
		r.Phases(plain, PhaseTimes{Connect: time.Millisecond, Wait: 5 * time.Millisecond, NewConn: i < 2})
	}
	snap := s.Snapshot(t0)
	if len(snap.Phases) != 2 {
		t.Fatalf("%d phase entries, want 2", len(snap.Phases))
	}
	tests := []struct {
		e                                      *PhaseEntry
		key                                    Key
		requests, conns, handshakes            int64
		connectN, tlsN, waitN                  int64
		wantWait, wantDownload, wantConnectMax time.Duration
	}{
		// Sorted by name: "https" before "plain".
		{snap.Phases[0], https, 10, 2, 2, 2, 2, 10, 20 * time.Millisecond, 2 * time.Millisecond, time.Millisecond},
		// A plain connection: no handshake, and a zero download counts as 1 µs.
		{snap.Phases[1], plain, 10, 2, 0, 2, 0, 10, 5 * time.Millisecond, time.Microsecond, time.Millisecond},
		// The Aggregated row adds both.
		{snap.PhasesTotal(), Key{Name: AggregatedName}, 20, 4, 2, 4, 2, 20, 20 * time.Millisecond, 2 * time.Millisecond, time.Millisecond},
	}
	for _, tt := range tests {
		e := tt.e
		if e.Key != tt.key || e.Requests != tt.requests || e.Conns != tt.conns || e.Handshakes != tt.handshakes {
			t.Errorf("%v: key, requests, conns, handshakes = %v, %d, %d, %d, want %v, %d, %d, %d",
				tt.key, e.Key, e.Requests, e.Conns, e.Handshakes, tt.key, tt.requests, tt.conns, tt.handshakes)
		}
		if got := [3]int64{e.Connect.TotalCount(), e.TLS.TotalCount(), e.Wait.TotalCount()}; got != [3]int64{tt.connectN, tt.tlsN, tt.waitN} {
			t.Errorf("%v: connect, tls, wait samples = %v, want %v", tt.key, got, [3]int64{tt.connectN, tt.tlsN, tt.waitN})
		}
		within := func(what string, gotUs int64, want time.Duration) {
			got := time.Duration(gotUs) * time.Microsecond
			if got < want || got > want+want/100+time.Microsecond {
				t.Errorf("%v: %s = %v, want %v within 1%%", tt.key, what, got, want)
			}
		}
		within("wait max", e.Wait.Max(), tt.wantWait)
		within("download max", e.Download.Max(), tt.wantDownload)
		within("connect max", e.Connect.Max(), tt.wantConnectMax)
	}
}

// TestPhasesOffIsEmpty: a run that records no phases has none in its
// snapshot, and no Aggregated phase row.
func TestPhasesOffIsEmpty(t *testing.T) {
	s := New(t0, 2)
	s.Recorder(0).Request(getRoot, time.Millisecond, 0, "")
	snap := s.Snapshot(t0)
	if len(snap.Phases) != 0 || snap.PhasesTotal() != nil {
		t.Errorf("Phases = %v, PhasesTotal = %v, want none", snap.Phases, snap.PhasesTotal())
	}
	if m := Merge(snap, snap); len(m.Phases) != 0 {
		t.Errorf("merged Phases = %v, want none", m.Phases)
	}
}

// TestPhasesMergeEqualsOne records two workers' phases separately and
// together: the merged snapshot must equal the single one, histogram for
// histogram.
func TestPhasesMergeEqualsOne(t *testing.T) {
	a, b, both := New(t0, 3), New(t0, 5), New(t0, 4)
	keys := []Key{{"GET", "/a"}, {"POST", "/a"}, {"GET", "/b"}}
	for u := range 20 {
		for i := range 200 {
			w := a
			if u%2 == 1 {
				w = b
			}
			p := PhaseTimes{Connect: time.Duration(u+1) * 100 * time.Microsecond, TLS: time.Duration(i+1) * time.Microsecond,
				Send: time.Duration(i) * time.Microsecond, Wait: time.Duration(u*1000+i*37) * time.Microsecond,
				Download: time.Duration(i*i) * time.Microsecond, NewConn: i%50 == 0, NewTLS: i%100 == 0}
			k := keys[(u*7+i)%len(keys)]
			w.Recorder(u).Phases(k, p)
			both.Recorder(u).Phases(k, p)
		}
	}
	got := Merge(a.Snapshot(t0), b.Snapshot(t0))
	want := both.Snapshot(t0)
	if len(got.Phases) != len(want.Phases) {
		t.Fatalf("%d phase entries, want %d", len(got.Phases), len(want.Phases))
	}
	for i, w := range append(want.Phases, want.PhasesTotal()) {
		g := got.PhasesTotal()
		if i < len(want.Phases) {
			g = got.Phases[i]
		}
		if g.Key != w.Key || g.Requests != w.Requests || g.Conns != w.Conns || g.Handshakes != w.Handshakes {
			t.Errorf("%v: got %v %d/%d/%d, want %v %d/%d/%d", w.Key, g.Key, g.Requests, g.Conns, g.Handshakes,
				w.Key, w.Requests, w.Conns, w.Handshakes)
		}
		if !sameHist(g.Connect, w.Connect) || !sameHist(g.TLS, w.TLS) || !sameHist(g.Send, w.Send) ||
			!sameHist(g.Wait, w.Wait) || !sameHist(g.Download, w.Download) {
			t.Errorf("%v: merged histograms differ from recording into one", w.Key)
		}
	}
}

// TestPhasesConcurrentAndReset records phases from many goroutines while
// snapshots are taken (the race detector checks the locking), then checks
// the exact count and that Reset forgets them.
func TestPhasesConcurrentAndReset(t *testing.T) {
	s := New(t0, 4)
	const users, each = 8, 250
	var wg sync.WaitGroup
	for u := range users {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				s.Recorder(u).Phases(getRoot, PhaseTimes{Wait: time.Millisecond, NewConn: i == 0})
			}
		}()
	}
	for range 10 {
		s.Snapshot(t0)
	}
	wg.Wait()
	e := s.Snapshot(t0).Phases[0]
	if e.Requests != users*each || e.Conns != users || e.Wait.TotalCount() != users*each {
		t.Errorf("requests, conns, wait samples = %d, %d, %d, want %d, %d, %d",
			e.Requests, e.Conns, e.Wait.TotalCount(), users*each, users, users*each)
	}
	s.Reset(t0)
	if got := s.Snapshot(t0).Phases; len(got) != 0 {
		t.Errorf("after Reset: %d phase entries, want 0", len(got))
	}
}

// TestPhasesRecordingDoesNotAllocate: once a row (or paced task) has been
// seen, recording its phases or pacing allocates nothing, as Request does
// not, before and after a tick emptied the shard.
func TestPhasesRecordingDoesNotAllocate(t *testing.T) {
	s := New(t0, 2)
	r := s.Recorder(1)
	p := PhaseTimes{Connect: time.Millisecond, TLS: time.Millisecond, Wait: time.Millisecond, NewConn: true, NewTLS: true}
	record := func() {
		r.Phases(getRoot, p)
		r.Pacing("browse", 3*time.Millisecond, false)
		r.PacingSkipped("browse", 2)
	}
	record()
	if got := testing.AllocsPerRun(100, record); got != 0 {
		t.Errorf("recording phases and pacing allocates %v times per run, want 0", got)
	}
	s.Tick(t0.Add(time.Second))
	if got := testing.AllocsPerRun(100, record); got != 0 {
		t.Errorf("after a tick, recording phases and pacing allocates %v times per run, want 0", got)
	}
}

// BenchmarkPhases records one request's phases from one goroutine: the
// extra cost per request of a run with phases on.
func BenchmarkPhases(b *testing.B) {
	r := New(t0, 8).Recorder(0)
	k := Key{Method: "GET", Name: "/api/items"}
	r.Phases(k, PhaseTimes{})
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		r.Phases(k, PhaseTimes{Send: 5 * time.Microsecond, Wait: time.Duration(i&0xffff) * time.Microsecond, Download: 20 * time.Microsecond})
	}
}

// BenchmarkPacing records one paced iteration's start, late one time in
// four, from one goroutine.
func BenchmarkPacing(b *testing.B) {
	r := New(t0, 8).Recorder(0)
	r.Pacing("browse", time.Millisecond, false)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		r.Pacing("browse", time.Duration(i&3*(i&0xffff))*time.Microsecond, false)
	}
}
