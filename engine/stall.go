package engine

import (
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/loadrun/loadrun/stats"
)

// Stall detection for closed-model runs. A user stuck behind a slow
// response does not send the requests it would have sent, so a server stall
// hardly moves the percentiles: the few stalled requests are lost among the
// many fast ones, and the requests that were never sent are not there at
// all. What a stall does leave is a trace in the per-second history: the
// request rate falls while the response times of that second rise. These
// thresholds say how far both must move before a second counts as stalled.
const (
	// stallRateRatio: a second's rate per user at or below this share of
	// the run's median is a dip. A 500 ms stall that straddles two ticks
	// may take only a quarter off each, so "half" would miss it; needing a
	// p99 rise as well is what keeps noise out.
	stallRateRatio = 0.8
	// stallP99Factor: a second's p99 at or above this multiple of the run's
	// median p99 is a rise.
	stallP99Factor = 5
	// stallP99Floor: a rise must also add this much to the median p99, so
	// that a 0.2 ms local service reaching 1 ms (a GC pause) is not a stall.
	stallP99Floor = 20 * time.Millisecond
	// stallMinExpected: a second is judged only when the run's normal rate
	// would have completed at least this many requests in it; below that a
	// quiet second is chance (one user thinking 5 s), not a stall.
	stallMinExpected = 8
	// stallMinPoints: fewer judged seconds than this and there is no
	// "normal" to compare with.
	stallMinPoints = 4
	// stallMaxReported bounds the warnings of a run that stalls all along.
	stallMaxReported = 5
)

// stall is one stretch of consecutive stalled seconds.
type stall struct {
	start time.Time
	// seconds is how much of the run the stretch covers.
	seconds float64
	// rateRatio is the lowest rate per user in the stretch as a share of
	// the run's median (0 when some second completed nothing).
	rateRatio float64
	// p99 is the highest per-second p99 in the stretch (0 when no second of
	// it completed a request).
	p99   time.Duration
	users int
}

// judged is a history point that can be compared with the run's normal.
type judged struct {
	p       stats.Point
	users   int     // users that ran during the whole point
	perUser float64 // requests per second per user
}

// findStalls finds the stretches of history where the request rate per user
// fell well below the run's median while the p99 rose far above the run's
// median p99 (in that second or the one next to it), or where nothing
// completed at all though the run's normal
// rate would have completed several requests. Rates are per user so that a
// ramp-up or ramp-down, which changes the rate with the user count, is not
// a dip; the users of a point are the fewer of its start and end, so that
// users spawned or stopped during a second never make its rate look low.
func findStalls(history []stats.Point) []stall {
	var pts []judged
	prevUsers := 0
	for _, p := range history {
		users := min(prevUsers, p.Users)
		prevUsers = p.Users
		// A short point is the tail a run's end closes early; too little
		// time for a rate to mean anything.
		if users <= 0 || p.Seconds < 0.5 || math.IsNaN(p.RPS) || math.IsInf(p.RPS, 0) {
			continue
		}
		pts = append(pts, judged{p: p, users: users, perUser: p.RPS / float64(users)})
	}
	if len(pts) < stallMinPoints {
		return nil
	}
	rates := make([]float64, len(pts))
	for i, j := range pts {
		rates[i] = j.perUser
	}
	normalRate := median(rates)
	if normalRate <= 0 {
		return nil
	}
	// The normal p99 is taken over the seconds whose rate did not dip: in a
	// short run the one or two seconds a stall spreads its slow requests
	// over would otherwise be the median themselves.
	var p99s []time.Duration
	for _, j := range pts {
		if j.p.RPS > 0 && j.p.P99 > 0 && j.perUser/normalRate > stallRateRatio {
			p99s = append(p99s, j.p.P99)
		}
	}
	if len(p99s) == 0 {
		return nil
	}
	slices.Sort(p99s)
	normalP99 := p99s[len(p99s)/2]
	riseAt := max(time.Duration(stallP99Factor)*normalP99, normalP99+stallP99Floor)

	// A stall shows in two seconds when it crosses a tick: the rate falls
	// in the second it starts, while the stalled requests complete, and
	// raise the p99, in the next one. So a dip counts with a rise in its own
	// second or the next, and a rise with a dip in its own or the previous.
	n := len(pts)
	dip, rise, none := make([]bool, n), make([]bool, n), make([]bool, n)
	for i, j := range pts {
		expected := normalRate * float64(j.users) * j.p.Seconds
		if expected < stallMinExpected {
			continue
		}
		none[i] = j.p.RPS == 0
		dip[i] = j.perUser/normalRate <= stallRateRatio
		rise[i] = j.p.RPS > 0 && j.p.P99 >= riseAt
	}
	var out []stall
	var cur *stall
	for i, j := range pts {
		ratio := j.perUser / normalRate
		stalled := none[i] ||
			dip[i] && (rise[i] || i+1 < n && rise[i+1]) ||
			rise[i] && i > 0 && dip[i-1]
		if !stalled {
			cur = nil
			continue
		}
		if cur == nil {
			out = append(out, stall{
				start:     j.p.Time.Add(-time.Duration(j.p.Seconds * float64(time.Second))),
				rateRatio: ratio,
				users:     j.users,
			})
			cur = &out[len(out)-1]
		}
		cur.seconds += j.p.Seconds
		cur.rateRatio = min(cur.rateRatio, ratio)
		cur.users = max(cur.users, j.users)
		if j.p.RPS > 0 {
			cur.p99 = max(cur.p99, j.p.P99)
		}
	}
	return out
}

// median of xs, which it sorts.
func median(xs []float64) float64 {
	slices.Sort(xs)
	n := len(xs)
	if n%2 == 1 {
		return xs[n/2]
	}
	return (xs[n/2-1] + xs[n/2]) / 2
}

// stallWarnings turns the stalls in a snapshot's history into warnings a
// reader understands, e.g. "stall at 12:00:03 for ~1s: request rate fell
// to 12% of normal while p99 rose to 480ms; …". Runner.Warnings shows them
// next to the percentiles those stalls hid.
func stallWarnings(s *stats.Snapshot) []string {
	if s == nil {
		return nil
	}
	found := findStalls(s.History)
	if len(found) == 0 {
		return nil
	}
	why := "closed-model percentiles cannot show the queueing delay that users arriving at a steady rate would have met; wait: {pacing: ...} counts the iterations such a stall delays"
	if len(s.Pacing) > 0 {
		why = "closed-model percentiles cannot show the queueing delay that users arriving at a steady rate would have met; the pacing table counts the iterations it delayed"
	}
	var out []string
	for i, st := range found {
		if i == stallMaxReported {
			out = append(out, fmt.Sprintf("%d more stalls not listed", len(found)-stallMaxReported))
			break
		}
		out = append(out, fmt.Sprintf("stall at %s for ~%s: %s; %s", st.start.Format("15:04:05"), roundSeconds(st.seconds), st.what(), why))
	}
	return out
}

// what says how the stall showed.
func (st stall) what() string {
	if st.p99 == 0 {
		return fmt.Sprintf("no request completed while %d users were running", st.users)
	}
	if st.rateRatio == 0 {
		return fmt.Sprintf("no request completed for a while, then p99 rose to %s", roundMs(st.p99))
	}
	return fmt.Sprintf("request rate fell to %.0f%% of normal while p99 rose to %s", st.rateRatio*100, roundMs(st.p99))
}

// roundSeconds is a stretch's length as "3s"; merged history points make
// it a whole number of seconds in all but the oddest runs.
func roundSeconds(s float64) string {
	return (time.Duration(math.Max(1, math.Round(s))) * time.Second).String()
}

// roundMs shows a p99 to the millisecond, as a reader compares it with a
// stall length.
func roundMs(d time.Duration) string {
	if d < 10*time.Millisecond {
		return d.Round(10 * time.Microsecond).String()
	}
	return d.Round(time.Millisecond).String()
}
