package engine_test

import (
	"fmt"
	"slices"
	"testing"
	"testing/synctest"
	"time"

	"github.com/loadrun/loadrun/demo"
	"github.com/loadrun/loadrun/engine"
	"github.com/loadrun/loadrun/stats"
)

// These tests prove rendezvous end to end: the barrier, the users and the
// HTTP executor together, judged by the arrival times the demo target
// records for POST /cart?group=NAME, not by what the engine believes.

// flashSale is a scenario whose one task is: look at a product, meet at the
// rendezvous `rdv` (the YAML of its definition), buy. wait is the users'
// think time between iterations.
func flashSale(rdv, wait string) string {
	return fmt.Sprintf(`
users:
  - name: Buyer
    wait: %s
    tasks:
      - name: flash_sale
        steps:
          - request: {url: /product/7}
          - rendezvous: %s
          - request: {method: POST, url: /cart, query: {group: buy}, name: buy}
`, wait, rdv)
}

// arrivalTimes are the server's arrival times of a group, sorted.
func arrivalTimes(app *demo.App, group string) []time.Duration {
	var out []time.Duration
	for _, a := range app.Stats().Arrivals {
		if a.Group == group {
			out = append(out, time.Duration(a.At))
		}
	}
	slices.Sort(out)
	return out
}

// clusters splits sorted arrival times wherever two consecutive ones are
// more than gap apart: each cluster is one released group as the server saw
// it, when the scenario keeps releases further apart than gap.
func clusters(times []time.Duration, gap time.Duration) [][]time.Duration {
	var out [][]time.Duration
	for i, at := range times {
		if i == 0 || at-times[i-1] > gap {
			out = append(out, nil)
		}
		out[len(out)-1] = append(out[len(out)-1], at)
	}
	return out
}

// spreads are the first-to-last arrival times of each cluster.
func spreads(cs [][]time.Duration) []time.Duration {
	out := make([]time.Duration, len(cs))
	for i, c := range cs {
		out[i] = c[len(c)-1] - c[0]
	}
	return out
}

// medianMax are the median and the largest of ds.
func medianMax(ds []time.Duration) (median, largest time.Duration) {
	if len(ds) == 0 {
		return 0, 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2], s[len(s)-1]
}

// rendezvousOf finds a rendezvous point in a snapshot.
func rendezvousOf(t *testing.T, s *stats.Snapshot, name string) *stats.RendezvousEntry {
	t.Helper()
	for _, r := range s.Rendezvous {
		if r.Name == name {
			return r
		}
	}
	t.Fatalf("the snapshot has no rendezvous %q (it has %d)", name, len(s.Rendezvous))
	return nil
}

// TestRendezvousGroups releases groups whose exact sizes are checked at the
// server. Users are spawned so that half of them (or the percentage) reach
// the barrier a fixed interval apart from the other half, and a constant
// wait of twice that interval keeps the halves apart: every release is
// separated from the next by about `apart`, so the server's arrivals
// cluster into groups by time alone. The -n bound is a multiple of the
// group size and every group fills while all users are alive, so there is
// no short last group.
func TestRendezvousGroups(t *testing.T) {
	tests := []struct {
		name       string
		rdv        string
		users      int
		rate       float64 // users per second: one group's users arrive size/rate apart from the next
		iterations int64
		size       int // the group size the barrier must release
	}{
		// A count barrier: 20 users in groups of 10, spawned 25 ms apart, so
		// the two halves meet 250 ms apart.
		{"count", "{name: buy, count: 10, timeout: 5s}", 20, 40, 60, 10},
		// A percent barrier: 50 % of 10 users alive is 5, spawned 50 ms apart.
		{"percent", "{name: buy, percent: 50, timeout: 5s}", 10, 20, 30, 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				apart := time.Duration(float64(tt.size) / tt.rate * float64(time.Second))
				app, dial := virtualDemo(t)
				src := flashSale(tt.rdv, fmt.Sprintf("{constant: %s}", 2*apart))
				snap := runToEnd(t, src, vhost, tt.users, tt.rate, engine.Options{Iterations: tt.iterations, Dial: dial})

				if snap.Total.Failures != 0 {
					t.Errorf("%d of %d requests failed: %v", snap.Total.Failures, snap.Total.Requests, errorsOf(snap))
				}
				wantGroups := int(tt.iterations) / tt.size
				times := arrivalTimes(app, "buy")
				if len(times) != int(tt.iterations) {
					t.Fatalf("the server saw %d arrivals, want %d (one per iteration)", len(times), tt.iterations)
				}
				cs := clusters(times, apart/2)
				var sizes []int
				for _, c := range cs {
					sizes = append(sizes, len(c))
				}
				if len(cs) != wantGroups {
					t.Fatalf("the server saw %d groups of sizes %v, want %d groups of %d", len(cs), sizes, wantGroups, tt.size)
				}
				for i, n := range sizes {
					if n != tt.size {
						t.Errorf("group %d: %d arrivals at the server, want %d (all sizes: %v)", i+1, n, tt.size, sizes)
					}
				}
				sp := spreads(cs)
				med, worst := medianMax(sp)
				t.Logf("%d groups of %v; arrival spread at the server: median %s, max %s (all: %v)", len(cs), sizes, med, worst, sp)
				// A released group is woken by one broadcast; its members then
				// send one request each on kept-alive connections. 100 ms is far
				// above what that takes even on a loaded 2-core machine under
				// -race, and far below the interval between groups.
				if worst >= 100*time.Millisecond {
					t.Errorf("a group's arrivals spread over %s at the server, want < 100ms (spreads: %v)", worst, sp)
				}

				r := rendezvousOf(t, snap, "buy")
				got := [4]int64{r.Groups, r.ByCount, r.ByTimeout, r.ByShortfall}
				want := [4]int64{int64(wantGroups), int64(wantGroups), 0, 0}
				if got != want {
					t.Errorf("groups, by count, by timeout, by shortfall = %v, want %v", got, want)
				}
				if r.Sizes.TotalCount() != int64(wantGroups) || r.Sizes.Min() != int64(tt.size) || r.Sizes.Max() != int64(tt.size) {
					t.Errorf("sizes: %d groups from %d to %d, want %d groups of exactly %d", r.Sizes.TotalCount(), r.Sizes.Min(), r.Sizes.Max(), wantGroups, tt.size)
				}
				if got := r.Wait.TotalCount(); got != tt.iterations {
					t.Errorf("%d waits recorded, want %d (one per arrival)", got, tt.iterations)
				}
			})
		})
	}
}

// TestRendezvousTimeout gives 10 users a barrier of 10 that they reach up to
// a second apart (a random think before it), with a 300 ms timeout from the
// first arrival: groups are released short by the timeout, and whoever
// waited longest waited the timeout.
func TestRendezvousTimeout(t *testing.T) {
	synctest.Test(t, testRendezvousTimeout)
}

func testRendezvousTimeout(t *testing.T) {
	app, dial := virtualDemo(t)
	src := `
users:
  - name: Buyer
    wait: {constant: 0s}
    tasks:
      - name: flash_sale
        steps:
          - think: {min: 0s, max: 1s}
          - rendezvous: {name: buy, count: 10, timeout: 300ms, policy: first}
          - request: {method: POST, url: /cart, query: {group: buy}, name: buy}
`
	const iterations = 20
	snap := runToEnd(t, src, vhost, 10, 0, engine.Options{Iterations: iterations, Dial: dial})
	r := rendezvousOf(t, snap, "buy")
	t.Logf("groups %d: by count %d, by timeout %d, by shortfall %d; sizes %d..%d",
		r.Groups, r.ByCount, r.ByTimeout, r.ByShortfall, r.Sizes.Min(), r.Sizes.Max())
	if r.ByTimeout == 0 {
		t.Errorf("no group was released by the timeout (groups %d, by count %d, by shortfall %d)", r.Groups, r.ByCount, r.ByShortfall)
	}
	if r.Sizes.Min() >= 10 {
		t.Errorf("the smallest group had %d users; a timeout release should be short of 10", r.Sizes.Min())
	}
	if got := r.ByCount + r.ByTimeout + r.ByShortfall; got != r.Groups {
		t.Errorf("releases by reason add up to %d, want the %d groups", got, r.Groups)
	}
	if got := r.Wait.TotalCount(); got != iterations {
		t.Errorf("%d waits recorded, want %d (one per arrival)", got, iterations)
	}
	// The first arrival of a group released by the timeout waited all of
	// it, and no one longer, as the timeout runs from that arrival (exact
	// in virtual time; the histogram keeps 3 significant digits).
	longest := time.Duration(r.Wait.Max()) * time.Microsecond
	if longest < 299*time.Millisecond || longest > 301*time.Millisecond {
		t.Errorf("the longest wait was %s, want the 300ms timeout", longest)
	}
	if got := len(arrivalTimes(app, "buy")); got != iterations {
		t.Errorf("the server saw %d arrivals, want %d: every released user buys", got, iterations)
	}
}

// TestRendezvousFewerUsersThanCount runs 3 users into a barrier of 50 with a
// 30 s timeout: each time all 3 wait, they are released by shortfall, and
// the run ends long before a single timeout could have passed.
func TestRendezvousFewerUsersThanCount(t *testing.T) {
	synctest.Test(t, testRendezvousFewerUsersThanCount)
}

func testRendezvousFewerUsersThanCount(t *testing.T) {
	app, dial := virtualDemo(t)
	const iterations = 9
	src := flashSale("{name: buy, count: 50, timeout: 30s}", "{constant: 0s}")
	r := start(t, src, vhost, 3, 0, engine.Options{Iterations: iterations, Dial: dial})
	snap := wait(t, r)
	begin, end := r.Times()
	took := end.Sub(begin)
	t.Logf("3 users, barrier of 50: %d iterations in %s", iterations, took)
	// In virtual time the requests take no time: any wait is the barrier's,
	// and a release by the 30 s timeout would show as 30 s.
	if took != 0 {
		t.Errorf("the run took %s; users fewer than the count should be released at once, not after the 30s timeout", took)
	}
	rdv := rendezvousOf(t, snap, "buy")
	if rdv.Groups == 0 || rdv.ByShortfall != rdv.Groups {
		t.Errorf("groups %d, by shortfall %d (by count %d, by timeout %d); want every group released by shortfall",
			rdv.Groups, rdv.ByShortfall, rdv.ByCount, rdv.ByTimeout)
	}
	if rdv.Sizes.Max() > 3 {
		t.Errorf("a group of %d was released from 3 users", rdv.Sizes.Max())
	}
	if got := len(arrivalTimes(app, "buy")); got != iterations {
		t.Errorf("the server saw %d arrivals, want %d", got, iterations)
	}
}

// TestRendezvousStopWhileWaiting ends a run by its run time while 4 users
// wait at a barrier that cannot release them for a minute (one more user,
// busy in another task, keeps it from releasing by shortfall). The stop
// releases them at once: the run ends well within the 30 s stop timeout,
// and the released users finish their task (they buy) before they stop.
func TestRendezvousStopWhileWaiting(t *testing.T) {
	synctest.Test(t, testRendezvousStopWhileWaiting)
}

func testRendezvousStopWhileWaiting(t *testing.T) {
	app, dial := virtualDemo(t)
	src := `
users:
  - name: Buyer
    weight: 4
    wait: {constant: 0s}
    tasks:
      - name: flash_sale
        steps:
          - request: {url: /product/7}
          - rendezvous: {name: buy, count: 50, timeout: 60s}
          - request: {method: POST, url: /cart, query: {group: buy}, name: buy}
  - name: Browser
    weight: 1
    wait: {constant: 50ms}
    tasks:
      - steps: [{request: {url: /json}}]
`
	const runTime = time.Second
	r := start(t, src, vhost, 5, 0, engine.Options{RunTime: runTime, StopTimeout: 30 * time.Second, Dial: dial})
	snap := wait(t, r)
	begin, end := r.Times()
	took := end.Sub(begin)
	t.Logf("run time %s, ended after %s (%s)", runTime, took, r.Reason())
	if got, want := r.Reason(), "run time reached"; got != want {
		t.Errorf("reason %q, want %q", got, want)
	}
	// Held by the barrier, the users would be cut only by the 30 s stop
	// timeout; released at the stop, they end at the run time exactly.
	if took != runTime {
		t.Errorf("the run ended %s after it started; stopping must not wait for the barrier", took)
	}
	rdv := rendezvousOf(t, snap, "buy")
	got := [4]int64{rdv.Groups, rdv.ByCount, rdv.ByTimeout, rdv.ByShortfall}
	if want := [4]int64{1, 0, 0, 1}; got != want {
		t.Errorf("groups, by count, by timeout, by shortfall = %v, want %v", got, want)
	}
	if rdv.Sizes.Max() != 4 {
		t.Errorf("the released group had %d users, want the 4 waiting", rdv.Sizes.Max())
	}
	if got := len(arrivalTimes(app, "buy")); got != 4 {
		t.Errorf("the server saw %d purchases after the release, want 4: released users finish their task", got)
	}
}
