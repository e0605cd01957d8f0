package schedule

import (
	"math"
	"testing"
	"time"
)

const s = time.Second

// TestUsers checks the closed model's users at chosen times.
func TestUsers(t *testing.T) {
	// The shape: up to 50 in 30 s, hold 2 min, down to 0 in 30 s.
	ramp := Stages([]Stage{{30 * s, 50}, {2 * time.Minute, 50}, {30 * s, 0}})
	tests := []struct {
		at   time.Duration
		want int
	}{
		// Nobody at the start of a ramp from 0.
		{0, 0},
		// A user joins when the ramp reaches its number: 50 in 30 s is one per 0.6 s.
		{599 * time.Millisecond, 0},
		{600 * time.Millisecond, 1},
		{15 * s, 25},
		// The first stage ends exactly at its target.
		{30*s - 1, 49},
		{30 * s, 50},
		// The hold keeps it.
		{time.Minute, 50},
		// Ramping down, a user leaves as soon as the ramp drops below it.
		{150*s + 1, 49},
		{165 * s, 25},
		{179 * s, 1},
		{180*s - 1, 0},
		// Done: the last target.
		{180 * s, 0},
		{time.Hour, 0},
	}
	for _, tc := range tests {
		if got := ramp.Users(tc.at); got != tc.want {
			t.Errorf("Users(%s) = %d, want %d", tc.at, got, tc.want)
		}
	}
	if ramp.Duration() != 3*time.Minute {
		t.Errorf("Duration = %s, want 3m", ramp.Duration())
	}
}

// TestAt checks stage indexes, values and the end.
func TestAt(t *testing.T) {
	sch := Ramping([]Stage{{10 * s, 10}, {20 * s, 50}})
	tests := []struct {
		at   time.Duration
		want Point
	}{
		// Ramping from 0.
		{0, Point{Stage: 0, Value: 0}},
		{5 * s, Point{Stage: 0, Value: 5}},
		// The second stage ramps from the first's target.
		{10 * s, Point{Stage: 1, Value: 10}},
		{20 * s, Point{Stage: 1, Value: 30}},
		// Past the end: done at the last target.
		{30 * s, Point{Stage: 1, Value: 50, Done: true}},
	}
	for _, tc := range tests {
		if got := sch.At(tc.at); got != tc.want {
			t.Errorf("At(%s) = %+v, want %+v", tc.at, got, tc.want)
		}
	}
	// A constant rate holds from the start.
	if got := Constant(7, 0).At(time.Hour); got != (Point{Value: 7}) {
		t.Errorf("Constant(7, forever).At(1h) = %+v", got)
	}
	if Constant(7, 0).Duration() != Forever {
		t.Errorf("Constant without a duration should last forever")
	}
}

// TestNextUsersChange walks a ramp change by change: every change is
// found, at the time Users changes, and none is skipped.
func TestNextUsersChange(t *testing.T) {
	tests := []struct {
		name   string
		stages []Stage
		// changes is the number of changes Users goes through.
		changes int
	}{
		// Up 10, hold, down 10.
		{"up hold down", []Stage{{10 * s, 10}, {10 * s, 10}, {5 * s, 0}}, 20},
		// A first stage of 0 s starts at its target, then ramps up 5.
		{"jump", []Stage{{0, 5}, {5 * s, 10}}, 5},
		// A jump in the middle is one change (0→1 at 1 s; at 2 s the ramp
		// would reach 2, and the jump takes it to 7 at that same instant).
		{"jump later", []Stage{{2 * s, 2}, {0, 7}, {s, 7}}, 2},
		// Up 3 in a long stage, down 1 over 1 ms.
		{"slow and fast", []Stage{{time.Hour, 3}, {time.Millisecond, 2}}, 4},
	}
	for _, tc := range tests {
		sch := Stages(tc.stages)
		at, n := time.Duration(0), 0
		prev := sch.Users(0)
		for {
			next, ok := sch.NextUsersChange(at)
			if !ok {
				break
			}
			if next <= at {
				t.Fatalf("%s: next change %s is not after %s", tc.name, next, at)
			}
			if sch.Users(next-1) != prev || sch.Users(next) == prev {
				t.Fatalf("%s: at %s Users goes %d -> %d, before it was %d", tc.name, next, sch.Users(next-1), sch.Users(next), prev)
			}
			prev, at = sch.Users(next), next
			n++
			if n > 1000 {
				t.Fatalf("%s: no end", tc.name)
			}
		}
		if n != tc.changes {
			t.Errorf("%s: %d changes, want %d", tc.name, n, tc.changes)
		}
		if want := int(tc.stages[len(tc.stages)-1].Target); prev != want {
			t.Errorf("%s: ends at %d users, want %d", tc.name, prev, want)
		}
	}
}

// arrivals collects every arrival time of a schedule.
func arrivals(sch *Schedule, p Process, seed uint64) []time.Duration {
	var out []time.Duration
	a := sch.Arrivals(p, seed)
	for {
		at, ok := a.Next()
		if !ok || len(out) > 1e6 {
			return out
		}
		out = append(out, at)
	}
}

// TestEvenArrivals checks counts and spacing of even arrivals.
func TestEvenArrivals(t *testing.T) {
	tests := []struct {
		name string
		sch  *Schedule
		want int
		// gap, when not 0, is the exact spacing of every arrival.
		gap time.Duration
	}{
		// 100/s for 5 s is 500 arrivals, 10 ms apart, the first at 0.
		{"constant", Constant(100, 5*s), 500, 10 * time.Millisecond},
		// 3000/m is 50/s.
		{"per minute", Constant(3000.0/60, 2*s), 100, 20 * time.Millisecond},
		// A ramp 0 -> 10/s over 10 s expects 50, then 10/s for 10 s adds 100.
		{"ramp and hold", Ramping([]Stage{{10 * s, 10}, {10 * s, 10}}), 150, 0},
		// A pause at 0 in the middle expects nothing during it.
		{"pause", Ramping([]Stage{{0, 4}, {2 * s, 4}, {0, 0}, {3 * s, 0}, {0, 4}, {1 * s, 4}}), 12, 0},
	}
	for _, tc := range tests {
		got := arrivals(tc.sch, Even, 0)
		if len(got) != tc.want {
			t.Errorf("%s: %d arrivals, want %d", tc.name, len(got), tc.want)
			continue
		}
		if got[0] != 0 {
			t.Errorf("%s: first arrival at %s, want 0", tc.name, got[0])
		}
		for i := 1; i < len(got); i++ {
			d := got[i] - got[i-1]
			if d < 0 {
				t.Fatalf("%s: arrival %d goes back in time", tc.name, i)
			}
			if tc.gap != 0 && (d < tc.gap-time.Microsecond || d > tc.gap+time.Microsecond) {
				t.Fatalf("%s: gap %d is %s, want %s", tc.name, i, d, tc.gap)
			}
		}
	}
}

// TestRampingArrivalsFollowTheRate checks that a ramp's arrivals follow
// its rate: in a 0 -> 100/s ramp over 10 s, each second k has about 10k+5.
func TestRampingArrivalsFollowTheRate(t *testing.T) {
	got := arrivals(Ramping([]Stage{{10 * s, 100}}), Even, 0)
	per := make([]int, 10)
	for _, at := range got {
		per[int(at/s)]++
	}
	for k, n := range per {
		if want := 10*k + 5; n < want-1 || n > want+1 {
			t.Errorf("second %d: %d arrivals, want %d ± 1", k, n, want)
		}
	}
}

// TestPoissonArrivals checks the count, the mean gap and the spread of
// Poisson gaps (an exponential's standard deviation equals its mean), and
// that a seed repeats them.
func TestPoissonArrivals(t *testing.T) {
	sch := Constant(200, 100*s) // 20000 expected
	got := arrivals(sch, Poisson, 42)
	// Poisson count: sd = sqrt(20000) ≈ 141; 5 sd.
	if n := len(got); math.Abs(float64(n)-20000) > 710 {
		t.Fatalf("%d arrivals, want 20000 ± 710", n)
	}
	var sum, sq float64
	for i := 1; i < len(got); i++ {
		d := (got[i] - got[i-1]).Seconds()
		sum += d
		sq += d * d
	}
	n := float64(len(got) - 1)
	mean := sum / n
	sd := math.Sqrt(sq/n - mean*mean)
	if math.Abs(mean-0.005) > 0.0002 || math.Abs(sd-0.005) > 0.0003 {
		t.Errorf("gaps: mean %.5f s, sd %.5f s; want both 0.005 s", mean, sd)
	}
	again := arrivals(sch, Poisson, 42)
	if len(again) != len(got) || again[len(again)-1] != got[len(got)-1] {
		t.Errorf("the same seed gave other arrivals")
	}
	if other := arrivals(sch, Poisson, 43); len(other) == len(got) && other[100] == got[100] {
		t.Errorf("another seed gave the same arrivals")
	}
}

// TestExpected checks the integral of the rate.
func TestExpected(t *testing.T) {
	sch := Ramping([]Stage{{10 * s, 10}, {10 * s, 10}})
	tests := []struct {
		at   time.Duration
		want float64
	}{
		// Half a ramp from 0 to 10/s: the triangle 5 s × 5/s / 2.
		{5 * s, 12.5},
		// The whole ramp.
		{10 * s, 50},
		// Plus 10/s for 5 s.
		{15 * s, 100},
		// The end, and past it.
		{20 * s, 150},
		{time.Hour, 150},
	}
	for _, tc := range tests {
		if got := sch.Expected(tc.at); math.Abs(got-tc.want) > 1e-9 {
			t.Errorf("Expected(%s) = %v, want %v", tc.at, got, tc.want)
		}
	}
}
