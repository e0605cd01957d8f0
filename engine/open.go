package engine

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sync/atomic"
	"time"

	"github.com/loadrun/loadrun/schedule"
	"github.com/loadrun/loadrun/stats"
)

// openModel is the open model's Executor: it walks the arrival times of
// the shape's schedule and hands each arrival, one task iteration of a
// user type picked by weight, to an idle user of that type, making one
// (on_start, then that iteration) while fewer than MaxUsers exist; an
// arrival finding none is dropped and counted. Users are kept between
// iterations (cookies, variables, rows held since on_start) and run no
// wait after a task: the arrival rate paces the work.
type openModel struct {
	sh   *Shape
	seed uint64
	rnd  *rand.Rand
	// cum holds the user types' cumulative weights, for a weighted pick
	// by binary search.
	cum []int
	// users are the users made so far, by user type; next is where the
	// search for an idle one starts, so users are tried in turn.
	users [][]*User
	next  []int
	made  atomic.Int64
}

func newOpenModel(sh *Shape, plan *Plan, seed uint64) *openModel {
	o := &openModel{sh: sh, seed: seed, rnd: rand.New(rand.NewPCG(seed, 0x6f70656e))}
	total := 0
	for _, u := range plan.users {
		total += u.weight
		o.cum = append(o.cum, total)
	}
	o.users = make([][]*User, len(plan.users))
	o.next = make([]int, len(plan.users))
	return o
}

// Run hands out the arrivals as they fall due.
func (o *openModel) Run(d *Driver) {
	arrivals := o.sh.Schedule.Arrivals(o.sh.Process, o.seed)
	start := d.r.started
	for n := int64(0); ; n++ {
		at, ok := arrivals.Next()
		if !ok {
			// The run lasts its schedule, not until the last arrival.
			if end := o.sh.Schedule.Duration(); end != schedule.Forever {
				d.Sleep(end)
			}
			return
		}
		// The type is drawn for every arrival, another part's too, so that
		// each part's arrivals get the types one run would give them.
		kind := o.pick()
		if o.sh.Take != nil && !o.sh.Take(n) {
			// Another part's: the walk goes on, but never more than
			// skipAhead ahead of the clock, so a part that takes nothing
			// for a while neither spins nor asks Take about arrivals long
			// before they fall due (what it takes may change meanwhile).
			// Sleep also ends the walk once the run stops, when the walk
			// is behind the clock and has nothing to wait for.
			if !d.Sleep(at - skipAhead) {
				o.dropOwed(d, arrivals, at, n, true)
				return
			}
			continue
		}
		if !d.Sleep(at) {
			o.dropOwed(d, arrivals, at, n, false)
			return
		}
		o.arrive(d, kind, start.Add(at))
	}
}

// dropOwed counts as dropped the arrivals this part owed when the run
// began to stop but had not handed out: arrival n at at (taken already,
// unless ask) and those after it due before the stop. A machine that
// stalled near the end (the run-time timer and the arrivals both late)
// would otherwise lose them from the count: the run's arrivals are the
// schedule's, whatever the machine did, and what could not start shows
// as dropped.
//
// The first owedWalk of them are walked one by one (exact, Poisson and
// parts included); a generator far behind a huge rate can owe hundreds of
// millions, whose walk would hold the end of the run for minutes, so the
// rest are counted from the schedule's expected number in [at, end), at
// the share of arrivals this part took during the walk.
func (o *openModel) dropOwed(d *Driver, arrivals *schedule.Arrivals, at time.Duration, n int64, ask bool) {
	end := d.StoppedAt()
	st := d.r.stats
	var asked, taken int64
	for ; at < end; asked++ {
		if asked == owedWalk {
			// Those in [at, end), at the share this part took so far.
			rest := o.sh.Schedule.Expected(end) - o.sh.Schedule.Expected(at)
			st.ArrivalsDropped(int64(math.Round(rest * float64(taken) / float64(asked))))
			return
		}
		if !ask || o.sh.Take == nil || o.sh.Take(n) {
			st.Arrival(0, true)
			taken++
		}
		var ok bool
		if at, ok = arrivals.Next(); !ok {
			return
		}
		n++
		ask = true
	}
}

// owedWalk is how many owed arrivals dropOwed walks one by one (about 5 ms).
const owedWalk = 1 << 16

// skipAhead is how far ahead of the clock an open model that is one part
// of a larger run may walk past the arrivals other parts run.
const skipAhead = 100 * time.Millisecond

// pick draws an arrival's user type by weight: the first type whose
// cumulative weight is above a draw in [0, total).
func (o *openModel) pick() int {
	kind, _ := slices.BinarySearch(o.cum, o.rnd.IntN(o.cum[len(o.cum)-1])+1)
	return kind
}

// arrive runs one arrival of user type kind due at due, or drops it.
func (o *openModel) arrive(d *Driver, kind int, due time.Time) {
	st := d.r.stats
	users := o.users[kind]
	for i := 0; i < len(users); i++ {
		j := (o.next[kind] + i) % len(users)
		if users[j].OfferDue(due) {
			o.next[kind] = (j + 1) % len(users)
			st.Arrival(time.Since(due), false)
			return
		}
		select {
		case <-users[j].Done():
			// It ended by itself (stop-user, an exhausted pool): its
			// place among max_users is free again.
			users = slices.Delete(users, j, j+1)
			o.users[kind] = users
			o.made.Add(-1)
			i--
		default:
		}
	}
	if int(o.made.Load()) < o.sh.MaxUsers {
		if u := d.NewUserFor(kind, due); u != nil {
			o.users[kind] = append(o.users[kind], u)
			o.made.Add(1)
			st.Arrival(time.Since(due), false)
			return
		}
	}
	st.Arrival(0, true)
}

// openWarnings say when the open model's numbers need a reader's care.
func openWarnings(s *stats.Snapshot) []string {
	o := s.Open
	if o == nil {
		return nil
	}
	var out []string
	if o.Dropped > 0 {
		out = append(out, fmt.Sprintf("%d of %d arrivals (%.2f%%) were dropped: every one of max_users was busy; raise max_users or lower the rate", o.Dropped, o.Arrivals, 100*o.DroppedRatio()))
	}
	if o.Late > 0 {
		out = append(out, fmt.Sprintf("the generator could not keep the rate: %d arrivals reached their user more than %s late (up to %s); response times include that delay",
			o.Late, stats.LateAfter, o.MaxLag.Round(time.Microsecond)))
	}
	return out
}
