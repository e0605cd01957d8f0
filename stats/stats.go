package stats

import (
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// Histogram bounds. Response times are kept in microseconds from 1 µs to one
// hour with 3 significant digits; anything outside is clamped to the bounds
// and counted in Entry.OutOfRange rather than dropped, so counts stay exact.
const (
	histLowest  = 1
	histHighest = int64(time.Hour / time.Microsecond)
	histDigits  = 3
	// sizeHighest bounds rendezvous group sizes.
	sizeHighest = 10_000_000
)

// maxErrorKinds bounds the distinct (request, error text) pairs a run keeps
// (and a shard collects between two folds): error texts that embed ids or
// addresses would otherwise grow the table for the whole run. Further
// distinct texts are counted under OtherErrors.
const maxErrorKinds = 1000

// OtherErrors is the error text under which failures are counted once a
// run has seen maxErrorKinds distinct errors.
const OtherErrors = "(other errors: too many distinct messages)"

// AggregatedName is the Name of the Total row, as Locust calls it.
const AggregatedName = "Aggregated"

// newHist is an empty response-time histogram. It is the sparse (packed)
// form of an HDR histogram: the same buckets, percentiles and encoding as
// the dense one, with memory growing with the buckets in use (a few KiB for
// a typical row) instead of a fixed 184 KiB.
func newHist() *hdrhistogram.PackedHistogram {
	return hdrhistogram.NewPacked(histLowest, histHighest, histDigits)
}

// newDenseHist is the dense form, for the two scratch sums of the
// Aggregated row only: adding a row to it costs the row's own buckets.
func newDenseHist() *hdrhistogram.Histogram {
	return hdrhistogram.New(histLowest, histHighest, histDigits)
}

func newSizeHist() *hdrhistogram.PackedHistogram {
	return hdrhistogram.NewPacked(1, sizeHighest, histDigits)
}

// micros converts a duration to whole microseconds for a histogram,
// rounding up so that a histogram value is never below the true time it
// stands for, then clamps to the histogram's range. inRange is false when
// clamping changed the value.
func micros(d time.Duration) (us int64, inRange bool) {
	if d <= 0 {
		return histLowest, false
	}
	us = int64((d + time.Microsecond - 1) / time.Microsecond)
	if us > histHighest {
		return histHighest, false
	}
	return us, true
}

// ReleaseReason is why a rendezvous group was released.
type ReleaseReason int

// Release reasons.
const (
	// ReleaseByCount: the wanted number of users arrived.
	ReleaseByCount ReleaseReason = iota + 1
	// ReleaseByTimeout: the timeout passed before enough users arrived.
	ReleaseByTimeout
	// ReleaseByShortfall: too few users were left alive to ever fill the
	// group, or the run stopped.
	ReleaseByShortfall
)

// Stats collects every measurement of a run. Request, Check, Pacing and
// Phases go through a Recorder, which writes to its own shard; Tick (once a
// second) folds the shards into one set of rows and publishes an immutable
// Snapshot that every reader shares (Latest). The rest are called rarely and
// may be called from any goroutine. All methods are safe for concurrent use.
type Stats struct {
	shards    []*shard
	recorders []Recorder

	users     atomic.Int64
	open      openCounters
	cpuBits   atomic.Uint64
	saturated atomic.Bool

	// latest is the snapshot published last; readers share it.
	latest atomic.Pointer[Snapshot]

	// mu serialises Tick, Snapshot and Reset, which own the state below.
	mu sync.Mutex
	acc

	// rzMu guards the rendezvous state, which the engine updates once per
	// released group.
	rzMu sync.Mutex
	rz   rzState
}

// New makes empty statistics for a run that started at start, with shards
// recorders (about 4×GOMAXPROCS keeps them uncontended; less than 1 means 1).
func New(start time.Time, shards int) *Stats {
	if shards < 1 {
		shards = 1
	}
	s := &Stats{
		shards:    make([]*shard, shards),
		recorders: make([]Recorder, shards),
	}
	names := newNameSet(MaxNames)
	for i := range s.shards {
		s.shards[i] = newShard()
		s.recorders[i] = Recorder{sh: s.shards[i], names: names}
	}
	s.acc.reset(start)
	s.rz.reset()
	s.latest.Store(s.publish(start))
	return s
}

// Recorder returns the recorder of the shard that userID records into. The
// same user always gets the same shard.
func (s *Stats) Recorder(userID int) *Recorder {
	i := userID % len(s.recorders)
	if i < 0 {
		i += len(s.recorders)
	}
	return &s.recorders[i]
}

// SetUsers sets the current number of users, shown in snapshots and history.
func (s *Stats) SetUsers(n int) { s.users.Store(int64(n)) }

// SetCPU sets the generator's own CPU use in percent. At 90% or more the
// generator's own queueing shows in latencies, so Saturated latches true for
// the rest of the run (until Reset).
func (s *Stats) SetCPU(percent float64) {
	s.cpuBits.Store(math.Float64bits(percent))
	if percent >= 90 {
		s.saturated.Store(true)
	}
}

// Recorder records the samples of the users of one shard. Its methods take
// only the shard's own lock, never a lock shared by all users, and do not
// allocate once a request name, check or error has been seen (and its
// histogram has grown to the buckets in use).
type Recorder struct {
	sh    *shard
	names *nameSet
}

// rec returns the shard's row of k, admitting k on first sight. sh.mu is held.
func (r *Recorder) rec(k Key) *rec {
	e := r.sh.recs[k]
	if e == nil {
		if k = r.names.admit(k); r.sh.recs[k] == nil {
			r.sh.recs[k] = &rec{key: k, hist: newHist()}
		}
		e = r.sh.recs[k]
	}
	return e
}

// Request records one finished request of row k that took elapsed and read
// contentBytes of body. errText is "" for a success; otherwise the request
// counts as a failure of its row and of the Aggregated row, and in Errors
// under (k, errText).
func (r *Recorder) Request(k Key, elapsed time.Duration, contentBytes int64, errText string) {
	us, inRange := micros(elapsed)
	elapsed = max(elapsed, 0)
	sh := r.sh
	sh.mu.Lock()
	e := r.rec(k)
	if e.requests == e.unsent || elapsed < e.min {
		e.min = elapsed
	}
	if elapsed > e.max {
		e.max = elapsed
	}
	e.requests++
	e.sum += elapsed
	e.content += contentBytes
	if !inRange {
		e.outOfRange++
	}
	// micros clamps to the histogram's range, so recording cannot fail.
	_ = e.hist.RecordValue(us)
	if errText != "" {
		e.failures++
		sh.countError(e.key, NormalizeError(errText))
	}
	sh.mu.Unlock()
}

// Unsent records a request that failed before it could be sent (a variable
// it needs is not set, a pool had no row): it counts as a request and a
// failure of row k, but it has no response time, so it adds no sample to
// the times, which stay those of real exchanges.
func (r *Recorder) Unsent(k Key, errText string) {
	sh := r.sh
	sh.mu.Lock()
	e := r.rec(k)
	e.requests++
	e.unsent++
	e.failures++
	sh.countError(e.key, NormalizeError(errText))
	sh.mu.Unlock()
}

// countError groups a failure under its text; past maxErrorKinds distinct
// texts since the last fold, new ones are counted under OtherErrors. sh.mu
// is held.
func (sh *shard) countError(k Key, errText string) {
	ek := errKey{k, errText}
	if len(sh.errors) >= maxErrorKinds {
		if _, seen := sh.errors[ek]; !seen {
			ek.text = OtherErrors
		}
	}
	sh.errors[ek]++
}

// Check records one checkpoint result of a request.
func (r *Recorder) Check(request Key, name string, ok bool) {
	sh := r.sh
	sh.mu.Lock()
	c := sh.checks[checkKey{request, name}]
	if c == nil {
		c = &counts{}
		sh.checks[checkKey{request, name}] = c
	}
	if ok {
		c.requests++ // passes
	} else {
		c.failures++
	}
	sh.mu.Unlock()
}

// shard is the state one Recorder writes to: what its users recorded since
// the last fold. A fold empties it but keeps its rows and their storage, so
// recording a known row allocates nothing.
type shard struct {
	mu     sync.Mutex
	recs   map[Key]*rec
	errors map[errKey]int64
	checks map[checkKey]*counts
	pacing map[string]*PacingEntry
	phases map[Key]*PhaseEntry
	// Shards sit in separate allocations; the padding keeps a neighbour's
	// hot mutex off this shard's cache line too.
	_ [64]byte
}

func newShard() *shard {
	return &shard{
		recs:   make(map[Key]*rec),
		errors: make(map[errKey]int64),
		checks: make(map[checkKey]*counts),
		pacing: make(map[string]*PacingEntry),
		phases: make(map[Key]*PhaseEntry),
	}
}

// clear empties the shard for a new run (Reset): its rows are dropped too.
func (sh *shard) clear() {
	sh.mu.Lock()
	sh.recs = make(map[Key]*rec)
	sh.errors = make(map[errKey]int64)
	sh.checks = make(map[checkKey]*counts)
	sh.pacing = make(map[string]*PacingEntry)
	sh.phases = make(map[Key]*PhaseEntry)
	sh.mu.Unlock()
}

// rec is one row's samples in one shard since the last fold.
type rec struct {
	key                Key
	requests, failures int64
	sum, min, max      time.Duration
	content            int64
	outOfRange         int64
	unsent             int64 // requests that failed before being sent: no time
	hist               *hdrhistogram.PackedHistogram
}

// reset empties the row, keeping its histogram's storage.
func (r *rec) reset() {
	h := r.hist
	h.Reset()
	*r = rec{key: r.key, hist: h}
}

type errKey struct {
	Key
	text string
}

type checkKey struct {
	request Key
	name    string
}

// counts is a pair of counters: requests and failures, or check passes and
// failures.
type counts struct {
	requests, failures int64
}
