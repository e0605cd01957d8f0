package demo

import (
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Stats is what the App counted since New or the last Reset. Tests read it
// to check what a load test really did to the server; GET /api/stats serves
// it as JSON.
type Stats struct {
	// Requests counts requests per URL path (without the query). Paths past
	// Options.MaxPaths distinct ones are counted under OtherPaths.
	Requests map[string]int64 `json:"requests"`
	// Total counts every request, whatever its path.
	Total int64 `json:"total"`

	Logins        int64 `json:"logins"`
	LoginFailures int64 `json:"login_failures"`
	Logouts       int64 `json:"logouts"`
	// LiveSessions is the number of sessions not logged out or evicted.
	LiveSessions int `json:"live_sessions"`
	// EvictedSessions were dropped to keep at most Options.MaxSessions.
	EvictedSessions int64 `json:"evicted_sessions"`
	// ConcurrentSessions counts logins to an account that already had a
	// live session held under another cookie; ConcurrentByAccount splits it
	// by account. MaxSessionsPerAccount is the most live sessions any one
	// account ever had at once: 1 proves no account was used by two users
	// at the same time.
	ConcurrentSessions    int64            `json:"concurrent_sessions"`
	ConcurrentByAccount   map[string]int64 `json:"concurrent_by_account"`
	MaxSessionsPerAccount int              `json:"max_sessions_per_account"`

	Registrations        int   `json:"registrations"`
	RefusedRegistrations int64 `json:"refused_registrations"`
	// Orders counts orders created (including ones since forgotten).
	Orders int64 `json:"orders"`

	// Arrivals are the kept rendezvous arrivals in arrival order; the
	// oldest are dropped past Options.MaxArrivals (DroppedArrivals).
	Arrivals        []Arrival `json:"arrivals"`
	DroppedArrivals int64     `json:"dropped_arrivals"`

	// Stalled counts requests held by an /admin/stall.
	Stalled int64 `json:"stalled"`
	// FlakyFailures counts 500s /flaky chose to answer.
	FlakyFailures int64 `json:"flaky_failures"`
	// Resets counts connections /reset closed.
	Resets int64 `json:"resets"`
}

// Arrival is one request to a rendezvous endpoint.
type Arrival struct {
	Group string `json:"group"`
	// At is when the request arrived, in ns of monotonic time since New.
	At int64 `json:"at_ns"`
}

// Spread is the time between the first and the last kept arrival of a group:
// how tightly a released rendezvous group hit the server. It is 0 with
// fewer than two arrivals.
func (s Stats) Spread(group string) time.Duration {
	var lo, hi int64
	n := 0
	for _, a := range s.Arrivals {
		if a.Group != group {
			continue
		}
		if n == 0 || a.At < lo {
			lo = a.At
		}
		if n == 0 || a.At > hi {
			hi = a.At
		}
		n++
	}
	return time.Duration(hi - lo)
}

// Stats returns a copy of the counters; the App keeps running meanwhile, so
// counters read at slightly different moments may disagree by the requests
// in flight.
func (a *App) Stats() Stats {
	s := Stats{
		Requests:             map[string]int64{},
		Total:                a.total.Load(),
		Logins:               a.sessions.logins.Load(),
		LoginFailures:        a.sessions.failures.Load(),
		Logouts:              a.sessions.logouts.Load(),
		EvictedSessions:      a.sessions.evicted.Load(),
		ConcurrentSessions:   a.sessions.violationsTotal.Load(),
		RefusedRegistrations: a.users.refused.Load(),
		Orders:               a.orders.nextID.Load(),
		Stalled:              a.stalled.Load(),
		FlakyFailures:        a.flaky500.Load(),
		Resets:               a.resets.Load(),
	}
	a.paths.Range(func(k, v any) bool {
		s.Requests[k.(string)] = v.(*atomic.Int64).Load()
		return true
	})
	if n := a.other.Load(); n > 0 {
		s.Requests[OtherPaths] = n
	}
	a.sessions.mu.Lock()
	for _, n := range a.sessions.live {
		s.LiveSessions += n
	}
	s.ConcurrentByAccount = make(map[string]int64, len(a.sessions.violations))
	for u, n := range a.sessions.violations {
		s.ConcurrentByAccount[u] = n
	}
	s.MaxSessionsPerAccount = a.sessions.maxLive
	a.sessions.mu.Unlock()
	s.Registrations = a.users.count()
	s.Arrivals, s.DroppedArrivals = a.arrivals.list("")
	return s
}

func (a *App) statsAPI(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, a.Stats())
}

// adminReset is Reset over HTTP, for a demo started by `loadrun demo`.
func (a *App) adminReset(w http.ResponseWriter, r *http.Request) {
	a.Reset()
	writeJSON(w, http.StatusOK, struct {
		Reset bool `json:"reset"`
	}{true})
}

// arrivals keeps the latest rendezvous arrivals in a ring. Arrivals come in
// bursts of a group at a time, and the lock is held only to store two words.
type arrivals struct {
	mu      sync.Mutex
	ring    []Arrival
	next    int   // slot of the next arrival
	n       int   // kept arrivals (≤ len(ring))
	dropped int64 // arrivals overwritten
}

func (ar *arrivals) init(max int) { ar.ring = make([]Arrival, max) }

func (ar *arrivals) reset() {
	ar.mu.Lock()
	defer ar.mu.Unlock()
	clear(ar.ring)
	ar.next, ar.n, ar.dropped = 0, 0, 0
}

func (ar *arrivals) add(a Arrival) {
	ar.mu.Lock()
	defer ar.mu.Unlock()
	if ar.n == len(ar.ring) {
		ar.dropped++
	} else {
		ar.n++
	}
	ar.ring[ar.next] = a
	ar.next = (ar.next + 1) % len(ar.ring)
}

// list returns the kept arrivals of group ("" for all), oldest first, and
// how many arrivals were dropped.
func (ar *arrivals) list(group string) ([]Arrival, int64) {
	ar.mu.Lock()
	defer ar.mu.Unlock()
	out := make([]Arrival, 0, ar.n)
	start := (ar.next - ar.n + len(ar.ring)) % len(ar.ring)
	for i := range ar.n {
		a := ar.ring[(start+i)%len(ar.ring)]
		if group == "" || a.Group == group {
			out = append(out, a)
		}
	}
	// Arrivals are stored in lock order, which can differ from At order by
	// the time between reading the clock and taking the lock.
	slices.SortStableFunc(out, func(x, y Arrival) int { return int(min(max(x.At-y.At, -1), 1)) })
	return out, ar.dropped
}
