package cluster

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/loadrun/loadrun/schedule"
)

// Shape is a load shape the master follows across its workers, as one
// process would follow it:
//
//   - Closed model (stages of users): the master computes the users the
//     schedule wants at each moment and deals them to the workers exactly as
//     it deals -u (Split), all at once (the schedule is the ramp).
//   - Open model (an arrival rate, constant or in stages): every worker walks
//     the same arrivals (same schedule, process and Seed) and runs the ones
//     dealt to it, round-robin over the workers by arrival number, so the
//     cluster runs exactly the arrivals of one process; MaxUsers is split
//     over the workers (each needs one at least).
type Shape struct {
	Schedule *schedule.Schedule
	// Process spaces the open model's arrivals.
	Process schedule.Process
	// MaxUsers is the open model's users, for the whole cluster.
	MaxUsers int
	// Seed is the open model's seed, the same on every worker (Poisson
	// arrival times and each arrival's user type).
	Seed uint64
}

func (sh *Shape) open() bool { return sh != nil && sh.Schedule.Model() == schedule.Open }

// Arrivals is a worker's part of an open-model run: the cluster's
// schedule, and which of its arrivals the worker runs.
type Arrivals struct {
	Schedule *schedule.Schedule
	Process  schedule.Process
	// MaxUsers is this worker's share of the cluster's max_users.
	MaxUsers int
	// Take says whether arrival n (numbered from 0 over the whole
	// cluster's run) is this worker's. It follows the master's deals: after
	// a worker is lost, the others take its arrivals from a point the
	// master chose ahead of time.
	Take func(n int64) bool
}

// deal says which arrivals a worker runs from arrival From on: those n
// with (n-From) mod Of == Slot.
type deal struct {
	From int64 `json:"from"`
	Slot int   `json:"slot"`
	Of   int   `json:"of"`
}

func (d deal) takes(n int64) bool {
	return d.Slot >= 0 && d.Of > 0 && n >= d.From && (n-d.From)%int64(d.Of) == int64(d.Slot)
}

// wireStage is a schedule stage on the wire (durations in nanoseconds).
type wireStage struct {
	Duration time.Duration `json:"duration"`
	Target   float64       `json:"target"`
}

// wireArrivals is an open-model assignment: the cluster's schedule, the
// worker's share of max_users and the deal in force from its From on.
type wireArrivals struct {
	// Rate is set for a constant rate (Stages then hold its one stage,
	// whose Duration is 0 for a rate without an end); otherwise the rate
	// ramps from 0 through Stages.
	Rate     float64     `json:"rate,omitempty"`
	Stages   []wireStage `json:"stages"`
	Process  int         `json:"process"`
	MaxUsers int         `json:"max_users"`
	Seed     uint64      `json:"seed"`
	Deal     deal        `json:"deal"`
}

func encodeArrivals(sh *Shape, maxUsers int, d deal) *wireArrivals {
	s := sh.Schedule
	w := &wireArrivals{Process: int(sh.Process), MaxUsers: maxUsers, Seed: sh.Seed, Deal: d}
	for i := range s.Len() {
		st := s.Stage(i)
		if st.Duration == schedule.Forever {
			st.Duration = 0
		}
		w.Stages = append(w.Stages, wireStage{Duration: st.Duration, Target: st.Target})
	}
	// A ramping schedule starts at 0, a constant one at its rate.
	if v := s.At(0).Value; v > 0 {
		w.Rate = v
	}
	return w
}

func (w *wireArrivals) schedule() (*schedule.Schedule, error) {
	if len(w.Stages) == 0 {
		return nil, errors.New("an arrival schedule without stages")
	}
	if w.Rate > 0 {
		if len(w.Stages) != 1 {
			return nil, fmt.Errorf("a constant rate with %d stages", len(w.Stages))
		}
		return schedule.Constant(w.Rate, w.Stages[0].Duration), nil
	}
	stages := make([]schedule.Stage, len(w.Stages))
	for i, st := range w.Stages {
		stages[i] = schedule.Stage{Duration: st.Duration, Target: st.Target}
	}
	return schedule.Ramping(stages), nil
}

// cut is an open-model schedule that ends at d (its rate follows s up to
// d): each worker then ends its part with its own schedule, on its own
// clock, after its last arrival, where a master's timer would stop workers
// that started a few milliseconds after it just before their last ones.
func cut(s *schedule.Schedule, d time.Duration) *schedule.Schedule {
	if d <= 0 || d >= s.Duration() {
		return s
	}
	if v := s.At(0).Value; v > 0 && s.Len() == 1 {
		return schedule.Constant(v, d) // a constant rate
	}
	var stages []schedule.Stage
	at := time.Duration(0)
	for i := range s.Len() {
		st := s.Stage(i)
		if at+st.Duration >= d {
			stages = append(stages, schedule.Stage{Duration: d - at, Target: s.At(d).Value})
			break
		}
		stages = append(stages, st)
		at += st.Duration
	}
	return schedule.Ramping(stages)
}

// deals are the deals a worker was given, in order of From: Take asks the
// latest one that has begun. They are kept from the control goroutine and
// read by the engine's arrivals goroutine.
type deals struct {
	mu   sync.Mutex
	list []deal
}

func (ds *deals) add(d deal) {
	ds.mu.Lock()
	defer ds.mu.Unlock()
	// A deal from the same or an earlier arrival replaces those after it.
	for len(ds.list) > 0 && ds.list[len(ds.list)-1].From >= d.From {
		ds.list = ds.list[:len(ds.list)-1]
	}
	ds.list = append(ds.list, d)
}

// take reports whether arrival n is this worker's; arrivals are asked in
// order, so deals that ended before n are forgotten.
func (ds *deals) take(n int64) bool {
	ds.mu.Lock()
	defer ds.mu.Unlock()
	for len(ds.list) > 1 && ds.list[1].From <= n {
		ds.list = ds.list[1:]
	}
	return len(ds.list) > 0 && ds.list[0].takes(n)
}

// dealAhead is how far ahead the master deals a lost worker's arrivals to
// the others: every worker has the new deal before its first arrival.
const dealAhead = time.Second

// followGap is the least time between two deals of a closed-model
// schedule's users: a steep ramp changes users more often than workers
// need telling (at most 10 deals a second; each deal is exact at its
// moment, and the stage's end is dealt exactly).
const followGap = 100 * time.Millisecond

// follow deals the closed-model schedule's users at each change until the
// schedule ends or the run stops.
func (m *Master) follow(s *schedule.Schedule, start time.Time) {
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	at, last := time.Duration(0), time.Time{}
	for {
		next, ok := s.NextUsersChange(at)
		if !ok {
			return
		}
		when := start.Add(next)
		if gap := last.Add(followGap); when.Before(gap) {
			when = gap
		}
		timer.Reset(time.Until(when))
		select {
		case <-timer.C:
		case <-m.halt:
			return
		case <-m.quit:
			return
		}
		last = time.Now()
		at = max(next, last.Sub(start))
		if !m.setTarget(s.Users(at)) {
			return
		}
	}
}

// setTarget deals users as the schedule's target now; false once the run
// is stopping.
func (m *Master) setTarget(users int) bool {
	m.mu.Lock()
	if m.stopping {
		m.mu.Unlock()
		return false
	}
	m.users, m.rate = users, 0
	m.mu.Unlock()
	m.rebalance("")
	return true
}

// nextArrivalLocked is the number of the first arrival due at or after
// elapsed time t (the master walks the same arrivals as its workers; t
// never decreases).
func (m *Master) nextArrivalLocked(t time.Duration) int64 {
	for m.walkOK && m.walkAt < t {
		m.walkN++
		m.walkAt, m.walkOK = m.walk.Next()
	}
	return m.walkN
}

// dealArrivalsLocked deals the open model's arrivals over the live workers
// (in join order), in turn. The first deal starts at arrival 0 and gives
// each worker its share of max_users (StartWith made sure each has one);
// later ones (a worker lost) start at the first arrival due dealAhead from
// now, and the workers keep their users: the lost worker's share of
// max_users is lost with it.
func (m *Master) dealArrivalsLocked(live []*worker) []send {
	sh := m.shape
	from := int64(0)
	first := !m.dealt
	if !first {
		from = m.nextArrivalLocked(time.Since(m.started) + dealAhead)
	}
	m.dealt = true
	var out []send
	for i, w := range live {
		if first {
			w.maxUsers = sh.MaxUsers / len(live)
			if i < sh.MaxUsers%len(live) {
				w.maxUsers++
			}
		}
		if w.info.State == StateJoined {
			w.info.State = StateRunning
		}
		w.gen++
		out = append(out, send{w.info.Name, control{Op: opAssign, Arrivals: encodeArrivals(sh, w.maxUsers, deal{From: from, Slot: i, Of: len(live)}),
			IDBase: (w.seq - 1) * UserIDSpan, Budgeted: m.cfg.Iterations > 0, Gen: w.gen, Resets: m.resets}})
	}
	return out
}
