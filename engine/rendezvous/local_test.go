package rendezvous

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/loadrun/loadrun/scenario"
)

// recorder keeps the groups a barrier reports.
type recorder struct {
	mu     sync.Mutex
	groups []Group
}

func (r *recorder) report(g Group) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.groups = append(r.groups, g)
}

func (r *recorder) all() []Group {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Group(nil), r.groups...)
}

// has says whether the group numbered seq was reported.
func (r *recorder) has(seq uint64) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, g := range r.groups {
		if g.Seq == seq {
			return true
		}
	}
	return false
}

// population is the engine's count of users alive, as an atomic.
type population struct{ n atomic.Int64 }

func newPopulation(n int) *population {
	p := &population{}
	p.n.Store(int64(n))
	return p
}

func (p *population) Alive() int { return int(p.n.Load()) }

// outcome is what one waiter saw.
type outcome struct {
	rel Release
	err error
	at  time.Time // when Wait returned
}

// arrive starts one waiter after delay and sends its outcome to out.
func arrive(ctx context.Context, b Barrier, delay time.Duration, out chan<- outcome) {
	go func() {
		time.Sleep(delay)
		rel, err := b.Wait(ctx)
		out <- outcome{rel: rel, err: err, at: time.Now()}
	}()
}

func mustNew(t testing.TB, def *scenario.Rendezvous, pop Population, report func(Group)) *Local {
	t.Helper()
	b, err := New(def, pop, report)
	if err != nil {
		t.Fatalf("New(%+v): %v", def, err)
	}
	return b
}

// TestExactGroups sends 200 users through a barrier of 50: exactly four
// groups of 50, every user released once, in one group only, and each group
// reported before its members resume.
func TestExactGroups(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := &recorder{}
		b := mustNew(t, &scenario.Rendezvous{Name: "buy", Count: 50, Timeout: 10 * time.Second}, newPopulation(200), rec.report)
		const users = 200
		var (
			wg         sync.WaitGroup
			mu         sync.Mutex
			members    = map[uint64]int{}
			notYetSeen int
		)
		for range users {
			wg.Go(func() {
				rel, err := b.Wait(context.Background())
				if err != nil {
					t.Errorf("Wait: %v", err)
					return
				}
				reported := rec.has(rel.Seq)
				mu.Lock()
				defer mu.Unlock()
				members[rel.Seq]++
				if !reported {
					notYetSeen++
				}
				if rel.Reason != ByCount || rel.Size != 50 || rel.Waited != 0 {
					t.Errorf("release = %+v, want by count, size 50, no wait", rel)
				}
			})
		}
		wg.Wait()
		if notYetSeen > 0 {
			t.Errorf("%d users resumed before their group was reported", notYetSeen)
		}
		want := map[uint64]int{1: 50, 2: 50, 3: 50, 4: 50}
		if len(members) != len(want) {
			t.Fatalf("members per group = %v, want %v", members, want)
		}
		for seq, n := range want {
			if members[seq] != n {
				t.Errorf("group %d released %d users, want %d", seq, members[seq], n)
			}
		}
		groups := rec.all()
		if len(groups) != 4 {
			t.Fatalf("reported %d groups, want 4", len(groups))
		}
		for _, g := range groups {
			if g.Name != "buy" || g.Size != 50 || g.Reason != ByCount || len(g.Waits) != 50 {
				t.Errorf("group = {%s %d %d %v %d waits}, want {buy _ 50 count 50 waits}",
					g.Name, g.Seq, g.Size, g.Reason, len(g.Waits))
			}
		}
	})
}

// TestTimeout releases a group smaller than its count when the timeout
// passes, at the virtual time each policy says.
func TestTimeout(t *testing.T) {
	tests := []struct {
		name   string
		policy string
		delays []time.Duration // when each user arrives
		// wantAfter is when the group is released; wantWaits what each member waited.
		wantAfter time.Duration
		wantWaits []time.Duration
	}{
		{
			// The timeout runs from the first arrival by default.
			name: "default is first", policy: "",
			delays:    []time.Duration{0, 2 * time.Second, 5 * time.Second},
			wantAfter: 10 * time.Second,
			wantWaits: []time.Duration{10 * time.Second, 8 * time.Second, 5 * time.Second},
		},
		{
			// Explicit "first" is the default.
			name: "first", policy: "first",
			delays:    []time.Duration{time.Second, 9 * time.Second},
			wantAfter: 11 * time.Second,
			wantWaits: []time.Duration{10 * time.Second, 2 * time.Second},
		},
		{
			// "last" restarts the timeout at every arrival.
			name: "last", policy: "last",
			delays:    []time.Duration{0, 2 * time.Second, 5 * time.Second},
			wantAfter: 15 * time.Second,
			wantWaits: []time.Duration{15 * time.Second, 13 * time.Second, 10 * time.Second},
		},
		{
			// A single user is released alone when nobody joins.
			name: "alone", policy: "last",
			delays:    []time.Duration{3 * time.Second},
			wantAfter: 13 * time.Second,
			wantWaits: []time.Duration{10 * time.Second},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				rec := &recorder{}
				def := &scenario.Rendezvous{Name: "buy", Count: 50, Timeout: 10 * time.Second, Policy: tt.policy}
				b := mustNew(t, def, newPopulation(100), rec.report)
				start := time.Now()
				out := make(chan outcome, len(tt.delays))
				for _, d := range tt.delays {
					arrive(context.Background(), b, d, out)
				}
				for range tt.delays {
					o := <-out
					if o.err != nil {
						t.Fatalf("Wait: %v", o.err)
					}
					if got := o.at.Sub(start); got != tt.wantAfter {
						t.Errorf("released after %v, want %v", got, tt.wantAfter)
					}
					if o.rel.Reason != ByTimeout || o.rel.Size != len(tt.delays) {
						t.Errorf("release = %+v, want by timeout, size %d", o.rel, len(tt.delays))
					}
				}
				synctest.Wait()
				groups := rec.all()
				if len(groups) != 1 {
					t.Fatalf("reported %d groups, want 1", len(groups))
				}
				if got := groups[0].Waits; !equalDurations(got, tt.wantWaits) {
					t.Errorf("waits = %v, want %v", got, tt.wantWaits)
				}
			})
		})
	}
}

// TestTimeoutNextGroup checks that a group released by count does not leave
// its timer behind: the next group's timeout runs from its own first arrival.
func TestTimeoutNextGroup(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := mustNew(t, &scenario.Rendezvous{Name: "buy", Count: 2, Timeout: 10 * time.Second}, nil, nil)
		start := time.Now()
		out := make(chan outcome, 3)
		arrive(context.Background(), b, 0, out)
		arrive(context.Background(), b, 4*time.Second, out)
		arrive(context.Background(), b, 7*time.Second, out)
		for range 2 {
			if o := <-out; o.rel.Reason != ByCount || o.at.Sub(start) != 4*time.Second {
				t.Errorf("first group: %+v at %v, want by count at 4s", o.rel, o.at.Sub(start))
			}
		}
		o := <-out
		if got, want := o.at.Sub(start), 17*time.Second; o.rel.Reason != ByTimeout || got != want {
			t.Errorf("second group: %+v at %v, want by timeout at %v", o.rel, got, want)
		}
		if o.rel.Seq != 2 {
			t.Errorf("second group seq = %d, want 2", o.rel.Seq)
		}
	})
}

// TestDefaultTimeout bounds a wait whose definition has no timeout.
func TestDefaultTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := mustNew(t, &scenario.Rendezvous{Name: "buy", Count: 5}, nil, nil)
		start := time.Now()
		rel, err := b.Wait(context.Background())
		if err != nil || rel.Reason != ByTimeout || time.Since(start) != DefaultTimeout {
			t.Errorf("Wait = %+v, %v after %v, want by timeout after %v", rel, err, time.Since(start), DefaultTimeout)
		}
	})
}

func equalDurations(a, b []time.Duration) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestPercent gathers a share of the users alive and follows the population.
func TestPercent(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := &recorder{}
		pop := newPopulation(40)
		b := mustNew(t, &scenario.Rendezvous{Name: "buy", Percent: 50, Timeout: time.Minute}, pop, rec.report)
		out := make(chan outcome, 40)
		for range 40 {
			arrive(context.Background(), b, 0, out)
		}
		for range 40 {
			if o := <-out; o.err != nil || o.rel.Reason != ByCount || o.rel.Size != 20 {
				t.Errorf("release = %+v, %v, want by count, size 20", o.rel, o.err)
			}
		}

		// 15 users wait for 20 (half of 40); 10 users stop: 15 is half of 30.
		start := time.Now()
		for range 15 {
			arrive(context.Background(), b, 0, out)
		}
		synctest.Wait()
		pop.n.Store(30)
		b.PopulationChanged()
		for range 15 {
			if o := <-out; o.err != nil || o.rel.Reason != ByCount || o.rel.Size != 15 || o.at != start {
				t.Errorf("release = %+v, %v at %v, want by count, size 15, at once", o.rel, o.err, o.at.Sub(start))
			}
		}
		if got := len(rec.all()); got != 3 {
			t.Errorf("reported %d groups, want 3", got)
		}
	})
}

// TestShortfall releases users who could never fill their group as soon as
// all of them are waiting, long before the timeout.
func TestShortfall(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := mustNew(t, &scenario.Rendezvous{Name: "buy", Count: 50, Timeout: 10 * time.Second}, newPopulation(10), nil)
		start := time.Now()
		out := make(chan outcome, 10)
		for i := range 10 {
			arrive(context.Background(), b, time.Duration(i)*100*time.Millisecond, out)
		}
		for range 10 {
			o := <-out
			if o.err != nil || o.rel.Reason != ByShortfall || o.rel.Size != 10 {
				t.Errorf("release = %+v, %v, want by shortfall, size 10", o.rel, o.err)
			}
			// The last user arrives at 900ms and completes the population.
			if got, want := o.at.Sub(start), 900*time.Millisecond; got != want {
				t.Errorf("released after %v, want %v", got, want)
			}
		}
	})
}

// TestUsersStopping re-evaluates a waiting group when users stop.
func TestUsersStopping(t *testing.T) {
	tests := []struct {
		name     string
		waiting  int
		aliveNow int
		// wantReason is the release right after the change; 0 means the
		// group keeps waiting (and is released by the timeout).
		wantReason Reason
	}{
		// Everyone left alive is waiting: released now.
		{"all left are waiting", 15, 15, ByShortfall},
		// The engine's count already dropped below the waiters: released now.
		{"count below waiters", 15, 12, ByShortfall},
		// One user alive is elsewhere and may still come: keep waiting.
		{"one may still come", 15, 16, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				pop := newPopulation(20)
				b := mustNew(t, &scenario.Rendezvous{Name: "buy", Count: 20, Timeout: 10 * time.Second}, pop, nil)
				start := time.Now()
				out := make(chan outcome, tt.waiting)
				for range tt.waiting {
					arrive(context.Background(), b, 0, out)
				}
				time.Sleep(time.Second)
				synctest.Wait()
				pop.n.Store(int64(tt.aliveNow))
				b.PopulationChanged()
				wantReason, wantAfter := tt.wantReason, time.Second
				if wantReason == 0 {
					wantReason, wantAfter = ByTimeout, 10*time.Second
				}
				for range tt.waiting {
					o := <-out
					if o.err != nil || o.rel.Reason != wantReason || o.rel.Size != tt.waiting || o.at.Sub(start) != wantAfter {
						t.Errorf("release = %+v, %v after %v, want %v, size %d after %v",
							o.rel, o.err, o.at.Sub(start), wantReason, tt.waiting, wantAfter)
					}
				}
			})
		})
	}
}

// TestCancel lets a waiting user leave at once without taking the others
// with it; the one who left is not counted in the group.
func TestCancel(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := &recorder{}
		b := mustNew(t, &scenario.Rendezvous{Name: "buy", Count: 3, Timeout: 10 * time.Second}, nil, rec.report)
		start := time.Now()
		ctx, cancel := context.WithCancel(context.Background())
		leaver := make(chan outcome, 1)
		stayers := make(chan outcome, 3)
		arrive(context.Background(), b, 0, stayers)
		arrive(ctx, b, time.Second, leaver)
		time.Sleep(2 * time.Second)
		cancel()
		o := <-leaver
		if !errors.Is(o.err, context.Canceled) || o.at.Sub(start) != 2*time.Second {
			t.Errorf("cancelled Wait = %+v, %v after %v, want context.Canceled at once", o.rel, o.err, o.at.Sub(start))
		}
		synctest.Wait()
		if got := len(rec.all()); got != 0 {
			t.Fatalf("a cancel released %d groups, want none", got)
		}
		// Two more fill the group of 3 with the user who stayed.
		arrive(context.Background(), b, 0, stayers)
		arrive(context.Background(), b, 0, stayers)
		for range 3 {
			if o := <-stayers; o.err != nil || o.rel.Reason != ByCount || o.rel.Size != 3 {
				t.Errorf("release = %+v, %v, want by count, size 3", o.rel, o.err)
			}
		}
		groups := rec.all()
		if len(groups) != 1 || !equalDurations(groups[0].Waits, []time.Duration{2 * time.Second, 0, 0}) {
			t.Errorf("groups = %+v, want one with waits [2s 0 0]", groups)
		}
	})
}

// TestCancelLastLeaver restarts the timeout for the next arrival when
// everyone waiting left.
func TestCancelLastLeaver(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := mustNew(t, &scenario.Rendezvous{Name: "buy", Count: 3, Timeout: 10 * time.Second}, nil, nil)
		start := time.Now()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if _, err := b.Wait(ctx); !errors.Is(err, context.DeadlineExceeded) || time.Since(start) != 5*time.Second {
			t.Fatalf("Wait = %v after %v, want deadline exceeded after 5s", err, time.Since(start))
		}
		time.Sleep(3 * time.Second)
		rel, err := b.Wait(context.Background())
		if got, want := time.Since(start), 18*time.Second; err != nil || rel.Reason != ByTimeout || rel.Size != 1 || got != want {
			t.Errorf("Wait = %+v, %v after %v, want by timeout, size 1 after %v", rel, err, got, want)
		}
	})
}

// TestCancelledBeforeArrival does not join a group with a context already done.
func TestCancelledBeforeArrival(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := &recorder{}
		b := mustNew(t, &scenario.Rendezvous{Name: "buy", Count: 2, Timeout: 10 * time.Second}, nil, rec.report)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if _, err := b.Wait(ctx); !errors.Is(err, context.Canceled) {
			t.Errorf("Wait(done ctx) = %v, want context.Canceled", err)
		}
		out := make(chan outcome, 2)
		arrive(context.Background(), b, 0, out)
		arrive(context.Background(), b, 0, out)
		for range 2 {
			if o := <-out; o.rel.Size != 2 || o.rel.Reason != ByCount {
				t.Errorf("release = %+v, want by count, size 2", o.rel)
			}
		}
	})
}

// TestClose releases everyone waiting at once and turns later arrivals away.
func TestClose(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := &recorder{}
		b := mustNew(t, &scenario.Rendezvous{Name: "buy", Count: 50, Timeout: 10 * time.Second}, nil, rec.report)
		start := time.Now()
		out := make(chan outcome, 5)
		for range 5 {
			arrive(context.Background(), b, 0, out)
		}
		time.Sleep(time.Second)
		synctest.Wait()
		b.Close()
		b.Close()
		for range 5 {
			if o := <-out; o.err != nil || o.rel.Reason != ByShortfall || o.rel.Size != 5 || o.at.Sub(start) != time.Second {
				t.Errorf("release = %+v, %v after %v, want by shortfall, size 5 after 1s", o.rel, o.err, o.at.Sub(start))
			}
		}
		if _, err := b.Wait(context.Background()); !errors.Is(err, ErrClosed) {
			t.Errorf("Wait after Close = %v, want ErrClosed", err)
		}
		b.PopulationChanged()
		// The timer must not fire a group after Close.
		time.Sleep(time.Minute)
		if got := len(rec.all()); got != 1 {
			t.Errorf("reported %d groups, want 1", got)
		}
	})
}

// TestReportBeforeResume holds the members of a group until its report is
// done, so stats hold the group before its users send their next request.
// The report takes a virtual second; no member may resume sooner.
func TestReportBeforeResume(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := &recorder{}
		slow := func(g Group) {
			time.Sleep(time.Second)
			rec.report(g)
		}
		b := mustNew(t, &scenario.Rendezvous{Name: "buy", Count: 5, Timeout: time.Minute}, nil, slow)
		start := time.Now()
		out := make(chan outcome, 5)
		for range 5 {
			arrive(context.Background(), b, 0, out)
		}
		for range 5 {
			o := <-out
			if !rec.has(o.rel.Seq) || o.at.Sub(start) != time.Second {
				t.Errorf("a member resumed after %v, report done: %v; want after the 1s report", o.at.Sub(start), rec.has(o.rel.Seq))
			}
		}
	})
}
