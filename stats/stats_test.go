package stats

import (
	"fmt"
	"math"
	"sync"
	"testing"
	"time"
)

var t0 = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

var getRoot = Key{Method: "GET", Name: "/"}

// TestPercentilesKnownDistribution records 1..10000 µs once each and checks
// the percentiles against the exact values within HDR's 0.1% precision.
func TestPercentilesKnownDistribution(t *testing.T) {
	s := New(t0, 4)
	for i := 1; i <= 10000; i++ {
		s.Recorder(i).Request(getRoot, time.Duration(i)*time.Microsecond, 10, "")
	}
	e := s.Snapshot(t0.Add(10 * time.Second)).Entry(getRoot)
	tests := []struct {
		p    float64
		want time.Duration
	}{
		{50, 5000 * time.Microsecond},   // median of 1..10000
		{95, 9500 * time.Microsecond},   // a high percentile
		{99.9, 9990 * time.Microsecond}, // a fractional percentile
		{0, time.Microsecond},           // the minimum
	}
	for _, tt := range tests {
		got := e.Percentile(tt.p)
		if diff := math.Abs(float64(got - tt.want)); diff > float64(tt.want)/1000+float64(time.Microsecond) {
			t.Errorf("Percentile(%v) = %v, want %v within 0.1%%", tt.p, got, tt.want)
		}
		if got > e.MaxTime {
			t.Errorf("Percentile(%v) = %v above MaxTime %v", tt.p, got, e.MaxTime)
		}
	}
	if got, want := e.Percentile(100), 10000*time.Microsecond; got != want {
		t.Errorf("Percentile(100) = %v, want MaxTime %v", got, want)
	}
	if got, want := e.Median(), e.Percentile(50); got != want {
		t.Errorf("Median() = %v, want %v", got, want)
	}
	// Avg is exact: (1+...+10000)/10000 µs = 5000.5 µs.
	if got, want := e.Avg(), 5000500*time.Nanosecond; got != want {
		t.Errorf("Avg() = %v, want %v", got, want)
	}
	if got, want := e.AvgContentBytes(), 10.0; got != want {
		t.Errorf("AvgContentBytes() = %v, want %v", got, want)
	}
}

// TestPercentileNeverAboveMax uses times that are not whole microseconds,
// where HDR's highest equivalent value would exceed the true maximum.
func TestPercentileNeverAboveMax(t *testing.T) {
	tests := []struct {
		name  string
		times []time.Duration
	}{
		// One sample: every percentile is that sample.
		{"single", []time.Duration{1234567 * time.Nanosecond}},
		// Sub-microsecond times, below the histogram's lowest value.
		{"sub-µs", []time.Duration{300, 700, 900}},
		// Beyond the histogram's one hour: clamped in Hist, exact in MaxTime.
		{"over an hour", []time.Duration{time.Second, 2 * time.Hour}},
		// A bucket 4 µs wide around 5001 µs.
		{"wide bucket", []time.Duration{5001001, 5001002, 5001003}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := New(t0, 2)
			for i, d := range tt.times {
				s.Recorder(i).Request(getRoot, d, 0, "")
			}
			e := s.Snapshot(t0).Entry(getRoot)
			for _, p := range append([]float64{0, 1}, Percentiles()...) {
				got := e.Percentile(p)
				if got > e.MaxTime || got < e.MinTime {
					t.Errorf("Percentile(%v) = %v outside [%v, %v]", p, got, e.MinTime, e.MaxTime)
				}
			}
			if got, want := e.Percentile(100), slicesMax(tt.times); got != want {
				t.Errorf("Percentile(100) = %v, want %v", got, want)
			}
		})
	}
}

func slicesMax(ds []time.Duration) time.Duration {
	var m time.Duration
	for _, d := range ds {
		m = max(m, d)
	}
	return m
}

// TestOutOfRangeCounted checks that times outside 1 µs..1 h are kept and counted.
func TestOutOfRangeCounted(t *testing.T) {
	s := New(t0, 1)
	r := s.Recorder(0)
	r.Request(getRoot, 0, 0, "")
	r.Request(getRoot, -time.Second, 0, "")
	r.Request(getRoot, 2*time.Hour, 0, "")
	r.Request(getRoot, time.Millisecond, 0, "")
	e := s.Snapshot(t0).Entry(getRoot)
	if got, want := e.OutOfRange, int64(3); got != want {
		t.Errorf("OutOfRange = %d, want %d", got, want)
	}
	if got, want := e.Hist.TotalCount(), int64(4); got != want {
		t.Errorf("Hist.TotalCount() = %d, want %d", got, want)
	}
	if e.MinTime != 0 || e.MaxTime != 2*time.Hour {
		t.Errorf("MinTime, MaxTime = %v, %v, want 0, 2h", e.MinTime, e.MaxTime)
	}
}

// TestConcurrentRecordingExact records from many goroutines while snapshots
// and ticks are taken; the final totals must be exact.
func TestConcurrentRecordingExact(t *testing.T) {
	const users, perUser = 64, 500
	s := New(t0, 8)
	keys := []Key{{"GET", "/a"}, {"POST", "/a"}, {"GET", "/b"}}
	var wg sync.WaitGroup
	stop := make(chan struct{})
	var readers sync.WaitGroup
	readers.Add(1)
	go func() {
		defer readers.Done()
		now := t0
		for {
			select {
			case <-stop:
				return
			default:
			}
			now = now.Add(time.Second)
			s.Tick(now)
			snap := s.Snapshot(now)
			if snap.Total.Requests < 0 || snap.Total.Percentile(100) != snap.Total.MaxTime {
				t.Errorf("inconsistent snapshot: %+v", snap.Total)
			}
		}
	}()
	for u := range users {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := s.Recorder(u)
			for i := range perUser {
				k := keys[(u+i)%len(keys)]
				errText := ""
				if i%10 == 0 {
					errText = "HTTP 500"
				}
				r.Request(k, time.Duration(i+1)*time.Millisecond, 100, errText)
				r.Check(k, "status", errText == "")
			}
		}()
	}
	wg.Wait()
	close(stop)
	readers.Wait()
	snap := s.Snapshot(t0.Add(time.Hour))
	if got, want := snap.Total.Requests, int64(users*perUser); got != want {
		t.Errorf("Total.Requests = %d, want %d", got, want)
	}
	if got, want := snap.Total.Failures, int64(users*perUser/10); got != want {
		t.Errorf("Total.Failures = %d, want %d", got, want)
	}
	if got, want := snap.Total.Hist.TotalCount(), int64(users*perUser); got != want {
		t.Errorf("Total.Hist.TotalCount() = %d, want %d", got, want)
	}
	if got, want := snap.Total.ContentBytes, int64(users*perUser*100); got != want {
		t.Errorf("Total.ContentBytes = %d, want %d", got, want)
	}
	// Sum over users of sum_{i=1..perUser} i ms.
	if got, want := snap.Total.SumTime, time.Duration(users*perUser*(perUser+1)/2)*time.Millisecond; got != want {
		t.Errorf("Total.SumTime = %v, want %v", got, want)
	}
	var errCount int64
	for _, e := range snap.Errors {
		errCount += e.Count
	}
	if errCount != snap.Total.Failures {
		t.Errorf("errors sum to %d, want Total.Failures %d", errCount, snap.Total.Failures)
	}
	pass, fail, _ := snap.CheckCounts("")
	if pass+fail != snap.Total.Requests || fail != snap.Total.Failures {
		t.Errorf("checks pass %d fail %d, want %d total and %d failed", pass, fail, snap.Total.Requests, snap.Total.Failures)
	}
}

// TestErrorsGrouped checks that errors are grouped by request and text.
func TestErrorsGrouped(t *testing.T) {
	s := New(t0, 4)
	postA := Key{"POST", "/a"}
	for i := range 12 {
		r := s.Recorder(i)
		r.Request(getRoot, time.Millisecond, 0, "HTTP 500")
		if i%3 == 0 {
			r.Request(getRoot, time.Millisecond, 0, "timeout")
			r.Request(postA, time.Millisecond, 0, "HTTP 500")
		}
		r.Request(postA, time.Millisecond, 0, "")
	}
	snap := s.Snapshot(t0)
	got := make(map[string]int64)
	for _, e := range snap.Errors {
		got[e.Key.String()+" | "+e.Error] = e.Count
	}
	want := map[string]int64{"GET / | HTTP 500": 12, "GET / | timeout": 4, "POST /a | HTTP 500": 4}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("errors = %v, want %v", got, want)
	}
	if snap.Errors[0].Count != 12 {
		t.Errorf("first error has count %d, want the most frequent (12)", snap.Errors[0].Count)
	}
	if got, want := snap.Entry(postA).Failures, int64(4); got != want {
		t.Errorf("POST /a failures = %d, want %d", got, want)
	}
	if got, want := snap.Total.Failures, int64(20); got != want {
		t.Errorf("Total.Failures = %d, want %d", got, want)
	}
}

// TestErrorKindsBounded checks that endlessly distinct error texts do not
// grow the error table without bound, and are still all counted.
func TestErrorKindsBounded(t *testing.T) {
	s := New(t0, 1)
	r := s.Recorder(0)
	const n = maxErrorKinds + 500
	for i := range n {
		r.Request(getRoot, time.Millisecond, 0, fmt.Sprintf("bad id %d", i))
	}
	snap := s.Snapshot(t0)
	if got := len(snap.Errors); got > maxErrorKinds+1 {
		t.Errorf("%d distinct errors kept, want at most %d", got, maxErrorKinds+1)
	}
	var sum int64
	for _, e := range snap.Errors {
		sum += e.Count
	}
	if sum != n {
		t.Errorf("errors sum to %d, want %d", sum, n)
	}
}

// TestSnapshotOrderAndLookup checks sorting and the ways to name a row.
func TestSnapshotOrderAndLookup(t *testing.T) {
	s := New(t0, 2)
	r := s.Recorder(0)
	r.Request(Key{"POST", "/b"}, 3*time.Millisecond, 0, "")
	r.Request(Key{"GET", "/b"}, time.Millisecond, 0, "x")
	r.Request(Key{"GET", "/a"}, 2*time.Millisecond, 0, "")
	r.Request(Key{"", "GET later"}, 2*time.Millisecond, 0, "")
	snap := s.Snapshot(t0.Add(2 * time.Second))
	var order []string
	for _, e := range snap.Entries {
		order = append(order, e.Key.String())
	}
	// By name then method; "/" sorts before letters.
	if got, want := fmt.Sprint(order), "[GET /a GET /b POST /b GET later]"; got != want {
		t.Errorf("order = %v, want %v", got, want)
	}
	tests := []struct {
		request  string
		requests int64
		failures int64
	}{
		{"GET /b", 1, 1},    // one method's row
		{"/b", 2, 1},        // every method of a name combined
		{"GET /a", 1, 0},    // the only row of /a, by method
		{"/a", 1, 0},        // the only row of /a, by name
		{"", 4, 1},          // the whole run
		{"GET later", 1, 0}, // a name that looks like "METHOD name"
		{"PUT /b", 0, 0},    // no such row
		{"/c", 0, 0},        // no such name
	}
	for _, tt := range tests {
		e := snap.Find(tt.request)
		var gotReq, gotFail int64
		if e != nil {
			gotReq, gotFail = e.Requests, e.Failures
		}
		if gotReq != tt.requests || gotFail != tt.failures {
			t.Errorf("Find(%q) = %d requests %d failures, want %d, %d", tt.request, gotReq, gotFail, tt.requests, tt.failures)
		}
	}
	if snap.Entry(Key{Name: AggregatedName}) != snap.Total {
		t.Errorf("Entry(Aggregated) is not Total")
	}
	if got, want := snap.Duration(), 2*time.Second; got != want {
		t.Errorf("Duration() = %v, want %v", got, want)
	}
	if got, want := snap.Total.RPS(snap.Duration()), 2.0; got != want {
		t.Errorf("Total.RPS = %v, want %v", got, want)
	}
	if got, want := snap.Find("/b").FailRatio(), 0.5; got != want {
		t.Errorf("FailRatio(/b) = %v, want %v", got, want)
	}
}

// TestSnapshotIsACopy checks that recording after a snapshot leaves it as it was.
func TestSnapshotIsACopy(t *testing.T) {
	s := New(t0, 1)
	r := s.Recorder(0)
	r.Request(getRoot, time.Millisecond, 0, "")
	snap := s.Snapshot(t0)
	r.Request(getRoot, time.Second, 0, "e")
	s.Rendezvous("rz", 3, ReleaseByCount, nil)
	if snap.Total.Requests != 1 || snap.Entry(getRoot).Hist.TotalCount() != 1 || len(snap.Errors) != 0 || len(snap.Rendezvous) != 0 {
		t.Errorf("snapshot changed after recording: %+v", snap.Total)
	}
}

// TestPacingAndRendezvous checks the counters of paced tasks and barriers.
func TestPacingAndRendezvous(t *testing.T) {
	s := New(t0, 2)
	s.Recorder(0).Pacing("browse", 0, false)
	s.Recorder(1).Pacing("browse", 30*time.Millisecond, false)
	s.Recorder(1).Pacing("browse", 0, true)
	s.Recorder(0).Pacing("buy", 0, false)
	s.Rendezvous("pay", 10, ReleaseByCount, []time.Duration{time.Second, 2 * time.Second})
	s.Rendezvous("pay", 4, ReleaseByTimeout, []time.Duration{5 * time.Second})
	s.Rendezvous("pay", 1, ReleaseByShortfall, nil)
	snap := s.Snapshot(t0)
	if len(snap.Pacing) != 2 || snap.Pacing[0].Task != "browse" {
		t.Fatalf("pacing = %+v, want browse then buy", snap.Pacing)
	}
	p := snap.Pacing[0]
	if p.Iterations != 2 || p.Late != 1 || p.Skipped != 1 || p.Lateness.TotalCount() != 1 {
		t.Errorf("browse pacing = %d iterations, %d late, %d skipped, %d lateness samples, want 2, 1, 1, 1",
			p.Iterations, p.Late, p.Skipped, p.Lateness.TotalCount())
	}
	rz := snap.Rendezvous[0]
	if rz.Groups != 3 || rz.ByCount != 1 || rz.ByTimeout != 1 || rz.ByShortfall != 1 {
		t.Errorf("rendezvous = %+v, want 3 groups, one by each reason", rz)
	}
	if got, want := rz.Wait.TotalCount(), int64(3); got != want {
		t.Errorf("rendezvous waits = %d, want %d", got, want)
	}
	if got, want := rz.Sizes.Max(), int64(10); got != want {
		t.Errorf("largest group = %d, want %d", got, want)
	}
}

// TestCPUAndReset checks the saturation latch and that Reset forgets samples.
func TestCPUAndReset(t *testing.T) {
	s := New(t0, 2)
	s.SetUsers(7)
	s.SetCPU(95)
	s.SetCPU(20)
	s.Recorder(0).Request(getRoot, time.Millisecond, 0, "e")
	s.Tick(t0.Add(time.Second))
	snap := s.Snapshot(t0.Add(time.Second))
	if !snap.Saturated || snap.CPU != 20 || snap.Users != 7 {
		t.Errorf("Saturated, CPU, Users = %v, %v, %d, want true, 20, 7", snap.Saturated, snap.CPU, snap.Users)
	}
	reset := t0.Add(5 * time.Second)
	s.Reset(reset)
	snap = s.Snapshot(reset.Add(time.Second))
	if snap.Total.Requests != 0 || len(snap.Entries) != 0 || len(snap.Errors) != 0 || len(snap.History) != 0 {
		t.Errorf("after Reset: %d requests, %d entries, %d errors, %d points, want none",
			snap.Total.Requests, len(snap.Entries), len(snap.Errors), len(snap.History))
	}
	if snap.Saturated || !snap.Start.Equal(reset) {
		t.Errorf("after Reset: Saturated %v, Start %v, want false, %v", snap.Saturated, snap.Start, reset)
	}
}

// TestRecordingDoesNotAllocate checks the hot path's promise: once a request
// name, check, task and error have been seen, recording allocates nothing.
func TestRecordingDoesNotAllocate(t *testing.T) {
	s := New(t0, 4)
	r := s.Recorder(-3) // a negative id still maps to a shard
	k := Key{Method: "GET", Name: "/x"}
	record := func() {
		r.Request(k, time.Millisecond, 10, "")
		r.Request(k, time.Millisecond, 10, "HTTP 500")
		r.Check(k, "status", true)
		r.Pacing("task", time.Millisecond, false)
	}
	record()
	if got := testing.AllocsPerRun(100, record); got != 0 {
		t.Errorf("recording allocates %v times per run, want 0", got)
	}
}

// TestResetWhileRecording resets under concurrent recording; the race
// detector checks the locking and the final count is exact after the reset.
func TestResetWhileRecording(t *testing.T) {
	s := New(t0, 4)
	var wg sync.WaitGroup
	for u := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 200 {
				s.Recorder(u).Request(getRoot, time.Millisecond, 0, "")
			}
		}()
	}
	for i := range 20 {
		s.Reset(t0.Add(time.Duration(i) * time.Second))
	}
	wg.Wait()
	s.Reset(t0)
	s.Recorder(1).Request(getRoot, time.Millisecond, 0, "")
	if got := s.Snapshot(t0).Total.Requests; got != 1 {
		t.Errorf("Total.Requests = %d after reset and one request, want 1", got)
	}
}
