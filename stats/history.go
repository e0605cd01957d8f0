package stats

import (
	"time"
)

// History bounds. The most recent HistoryRecent points keep one-second
// resolution; older points are merged pairwise whenever HistoryOld of them
// pile up, so a point covers 2, 4, 8… seconds as the run grows. A run of any
// length keeps at most MaxHistory points.
const (
	HistoryRecent = 3600
	HistoryOld    = 1000
	MaxHistory    = HistoryRecent + HistoryOld + 1
)

// rateWindow is how many closed seconds CurrentRPS averages over, as
// Locust's sliding window does.
const rateWindow = 5

// rate is the sliding window of one row's per-tick counts.
type rate struct {
	// last are the cumulative counts at the previous tick.
	last  counts
	slots [rateWindow]rateSlot
	next  int
}

type rateSlot struct {
	counts
	seconds float64
}

func (r *rate) push(now counts, seconds float64) {
	r.slots[r.next] = rateSlot{
		counts:  counts{now.requests - r.last.requests, now.failures - r.last.failures},
		seconds: seconds,
	}
	r.next = (r.next + 1) % rateWindow
	r.last = now
}

// current is the requests and failures per second over the window.
func (r *rate) current() (rps, failPerSec float64) {
	var c counts
	var secs float64
	for _, s := range r.slots {
		c.requests += s.requests
		c.failures += s.failures
		secs += s.seconds
	}
	if secs == 0 {
		return 0, 0
	}
	return float64(c.requests) / secs, float64(c.failures) / secs
}

func histDuration(us int64) time.Duration {
	return time.Duration(us) * time.Microsecond
}

// history keeps recent points at full resolution in a ring and older ones
// merged ever more coarsely.
type history struct {
	recent []Point // ring of at most HistoryRecent points
	head   int     // index of the oldest point in recent once it is full
	old    []Point
	// pending accumulates evicted points until it covers oldSeconds.
	pending    Point
	hasPending bool
	oldSeconds float64
}

func (h *history) add(p Point) {
	if len(h.recent) < HistoryRecent {
		h.recent = append(h.recent, p)
		return
	}
	evicted := h.recent[h.head]
	h.recent[h.head] = p
	h.head = (h.head + 1) % HistoryRecent
	h.addOld(evicted)
}

func (h *history) addOld(p Point) {
	if h.oldSeconds == 0 {
		h.oldSeconds = 1
	}
	if h.hasPending {
		h.pending = mergeAdjacent(h.pending, p)
	} else {
		h.pending, h.hasPending = p, true
	}
	// The small tolerance absorbs ticks that are a hair short of a second.
	if h.pending.Seconds < h.oldSeconds*0.999 {
		return
	}
	h.old = append(h.old, h.pending)
	h.hasPending = false
	if len(h.old) < HistoryOld {
		return
	}
	n := 0
	for i := 0; i+1 < len(h.old); i += 2 {
		h.old[n] = mergeAdjacent(h.old[i], h.old[i+1])
		n++
	}
	if len(h.old)%2 == 1 {
		h.old[n] = h.old[len(h.old)-1]
		n++
	}
	h.old = h.old[:n]
	h.oldSeconds *= 2
}

// points returns the history in time order, as a new slice.
func (h *history) points() []Point {
	out := make([]Point, 0, len(h.old)+1+len(h.recent))
	out = append(out, h.old...)
	if h.hasPending {
		out = append(out, h.pending)
	}
	out = append(out, h.recent[h.head:]...)
	out = append(out, h.recent[:h.head]...)
	return out
}

// mergeAdjacent merges point a with the point b that follows it. Rates are
// weighted by the time each covers, so RPS×Seconds still sums to the
// requests made; percentiles take the worse of the two, so a spike is never
// averaged away by downsampling; cumulative fields are b's, being at b's time.
func mergeAdjacent(a, b Point) Point {
	secs := a.Seconds + b.Seconds
	m := b
	m.Seconds = secs
	if secs > 0 {
		m.RPS = (a.RPS*a.Seconds + b.RPS*b.Seconds) / secs
		m.FailPerSec = (a.FailPerSec*a.Seconds + b.FailPerSec*b.Seconds) / secs
		m.DroppedPerSec = (a.DroppedPerSec*a.Seconds + b.DroppedPerSec*b.Seconds) / secs
	}
	m.P50 = max(a.P50, b.P50)
	m.P95 = max(a.P95, b.P95)
	m.P99 = max(a.P99, b.P99)
	for i := range m.Pct {
		m.Pct[i] = max(a.Pct[i], b.Pct[i])
	}
	return m
}
