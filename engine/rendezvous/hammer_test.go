package rendezvous

import (
	"context"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/loadrun/loadrun/scenario"
)

// hammerConfig sizes a hammer run.
type hammerConfig struct {
	users, count, maxIterations int
	timeout                     time.Duration
	// maxCancelAfter bounds the random deadline of the waits that get one.
	maxCancelAfter time.Duration
	// maxThink bounds the random time a user spends before each arrival,
	// which spreads arrivals so that timeouts and cancels happen.
	maxThink time.Duration
	policy   string
	// exact is set under synctest, where a run is reproducible, so the test
	// can insist that every path (each reason, a cancel) was taken.
	exact bool
}

// hammer sends many users around a barrier many times; users stop at random
// (after a random number of rounds, or when their wait's deadline passes)
// and tell the barrier, as the engine does. It then checks that every user
// released was in exactly one reported group, that each group's size is the
// number of users who saw it, and that nobody is left waiting.
func hammer(t *testing.T, cfg hammerConfig) {
	rec := &recorder{}
	pop := newPopulation(cfg.users)
	def := &scenario.Rendezvous{Name: "hammer", Count: cfg.count, Timeout: cfg.timeout, Policy: cfg.policy}
	b := mustNew(t, def, pop, rec.report)

	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		seen     = map[uint64][]Release{}
		released int
		left     int
	)
	for i := range cfg.users {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(i), 42))
			defer func() {
				pop.n.Add(-1)
				b.PopulationChanged()
			}()
			for range 1 + rng.IntN(cfg.maxIterations) {
				time.Sleep(time.Duration(rng.Int64N(int64(cfg.maxThink))))
				ctx, cancel := context.Background(), context.CancelFunc(func() {})
				if rng.IntN(8) == 0 {
					ctx, cancel = context.WithTimeout(ctx, time.Duration(rng.Int64N(int64(cfg.maxCancelAfter))))
				}
				rel, err := b.Wait(ctx)
				cancel()
				if err != nil {
					mu.Lock()
					left++
					mu.Unlock()
					return // a user whose wait was cut short stops
				}
				mu.Lock()
				seen[rel.Seq] = append(seen[rel.Seq], rel)
				released++
				mu.Unlock()
			}
		})
	}
	wg.Wait()

	groups := rec.all()
	slices.SortFunc(groups, func(a, b Group) int { return int(a.Seq) - int(b.Seq) })
	total := 0
	for i, g := range groups {
		if g.Seq != uint64(i+1) {
			t.Fatalf("group %d has seq %d: groups are not numbered 1..n", i, g.Seq)
		}
		if g.Size < 1 || g.Size > cfg.count || len(g.Waits) != g.Size {
			t.Errorf("group %d: size %d with %d waits, want 1..%d and one wait each", g.Seq, g.Size, len(g.Waits), cfg.count)
		}
		if g.Reason == ByCount && g.Size != cfg.count {
			t.Errorf("group %d released by count with %d users, want %d", g.Seq, g.Size, cfg.count)
		}
		members := seen[g.Seq]
		if len(members) != g.Size {
			t.Errorf("group %d: %d users released, group size %d", g.Seq, len(members), g.Size)
		}
		for _, m := range members {
			if m.Size != g.Size || m.Reason != g.Reason {
				t.Errorf("group %d: a member saw %+v, group is size %d by %v", g.Seq, m, g.Size, g.Reason)
			}
		}
		total += g.Size
	}
	if total != released || len(seen) != len(groups) {
		t.Errorf("%d users released in %d groups, groups report %d users in %d groups", released, len(seen), total, len(groups))
	}
	b.mu.Lock()
	stuck := b.cur.waiting
	b.mu.Unlock()
	if stuck != 0 {
		t.Errorf("%d users still waiting after everyone stopped", stuck)
	}
	byReason := map[Reason]int{}
	for _, g := range groups {
		byReason[g.Reason]++
	}
	t.Logf("%d users released in %d groups (count %d, timeout %d, shortfall %d), %d left while waiting",
		released, len(groups), byReason[ByCount], byReason[ByTimeout], byReason[ByShortfall], left)
	if cfg.exact && (byReason[ByCount] == 0 || byReason[ByTimeout] == 0 || byReason[ByShortfall] == 0 || left == 0) {
		t.Errorf("the run missed a path: want groups by every reason and some users leaving")
	}
}

// TestHammerVirtualTime runs the hammer with exact time, so timeouts, cancels
// and stops interleave in many ways without slowing the test.
func TestHammerVirtualTime(t *testing.T) {
	for _, policy := range []string{"first", "last"} {
		t.Run(policy, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				hammer(t, hammerConfig{
					users: 120, count: 20, maxIterations: 60,
					timeout: 150 * time.Millisecond, maxCancelAfter: 300 * time.Millisecond,
					maxThink: time.Second, policy: policy, exact: true,
				})
			})
		})
	}
}

// TestHammerRealTime runs the hammer on the real clock and scheduler, where
// timer callbacks race with arrivals and cancels. Short timeouts bound it.
func TestHammerRealTime(t *testing.T) {
	hammer(t, hammerConfig{
		users: 60, count: 9, maxIterations: 30,
		timeout: time.Millisecond, maxCancelAfter: 2 * time.Millisecond,
		maxThink: 3 * time.Millisecond, policy: "first",
	})
}

// TestReleaseSpread measures, on the real clock, how close together 50
// released users resume. The bound is loose so that a loaded machine never
// fails it; the figure is logged (go test -v -run ReleaseSpread).
func TestReleaseSpread(t *testing.T) {
	const users, rounds = 50, 20
	b := mustNew(t, &scenario.Rendezvous{Name: "spread", Count: users, Timeout: time.Minute}, nil, nil)
	spreads := make([]time.Duration, 0, rounds)
	for range rounds {
		resumed := make([]time.Time, users)
		var wg sync.WaitGroup
		for i := range users {
			wg.Go(func() {
				if _, err := b.Wait(context.Background()); err != nil {
					t.Errorf("Wait: %v", err)
				}
				resumed[i] = time.Now()
			})
		}
		wg.Wait()
		spreads = append(spreads, slices.Max(timesSince(resumed))-slices.Min(timesSince(resumed)))
	}
	slices.Sort(spreads)
	median, worst := spreads[len(spreads)/2], spreads[len(spreads)-1]
	t.Logf("release spread of %d users over %d rounds: median %v, max %v", users, rounds, median, worst)
	if median > 50*time.Millisecond {
		t.Errorf("median release spread %v, want under 50ms", median)
	}
}

// timesSince turns times into durations from the first so that they sort.
func timesSince(ts []time.Time) []time.Duration {
	d := make([]time.Duration, len(ts))
	for i, x := range ts {
		d[i] = x.Sub(ts[0])
	}
	return d
}

// BenchmarkWait measures the cost of one arrival: alone (each Wait is its own
// group), and in groups of 50 goroutines released together.
func BenchmarkWait(b *testing.B) {
	b.Run("count=1", func(b *testing.B) {
		bar := mustNew(b, &scenario.Rendezvous{Name: "bench", Count: 1, Timeout: time.Minute}, nil, nil)
		for b.Loop() {
			if _, err := bar.Wait(context.Background()); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("count=50", func(b *testing.B) {
		const users = 50
		bar := mustNew(b, &scenario.Rendezvous{Name: "bench", Count: users, Timeout: time.Minute}, nil, nil)
		rounds := (b.N + users - 1) / users
		b.ResetTimer()
		var wg sync.WaitGroup
		for range users {
			wg.Go(func() {
				for range rounds {
					if _, err := bar.Wait(context.Background()); err != nil {
						b.Error(err)
						return
					}
				}
			})
		}
		wg.Wait()
	})
}

// BenchmarkReleaseSpread reports how far apart in time 50 users resume after
// one release (spread-µs is the mean over rounds, max-spread-µs the worst).
func BenchmarkReleaseSpread(b *testing.B) {
	const users = 50
	bar := mustNew(b, &scenario.Rendezvous{Name: "bench", Count: users, Timeout: time.Minute}, nil, nil)
	var sum, worst time.Duration
	rounds := 0
	for b.Loop() {
		resumed := make([]time.Time, users)
		var wg sync.WaitGroup
		for i := range users {
			wg.Go(func() {
				if _, err := bar.Wait(context.Background()); err != nil {
					b.Error(err)
				}
				resumed[i] = time.Now()
			})
		}
		wg.Wait()
		d := timesSince(resumed)
		spread := slices.Max(d) - slices.Min(d)
		sum += spread
		worst = max(worst, spread)
		rounds++
	}
	b.ReportMetric(float64(sum.Microseconds())/float64(rounds), "spread-µs")
	b.ReportMetric(float64(worst.Microseconds()), "max-spread-µs")
}
