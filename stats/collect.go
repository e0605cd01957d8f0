package stats

import (
	"cmp"
	"math"
	"slices"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// acc is the folded state of a run: one row per request name however many
// shards recorded it. It is owned by Stats.mu.
type acc struct {
	start, lastTick time.Time
	rows            map[Key]*row
	// totalHist is the published Aggregated histogram (immutable).
	totalHist *hdrhistogram.PackedHistogram
	// foldScratch and tickScratch sum every row's new samples for the
	// Aggregated row: since the last publish, and since the last Tick. Dense,
	// so adding a row costs its own buckets only, not the total's.
	foldScratch, tickScratch *hdrhistogram.Histogram

	errs   map[errKey]int64
	checks map[checkKey]counts
	// pacing and phases are folded like rows: one per task or request
	// name, whatever the number of shards.
	pacing folded[string, *PacingEntry]
	phases folded[Key, *PhaseEntry]

	// What was folded since the last Tick: the interval it closes.
	tickErrs   map[errKey]int64
	tickChecks map[checkKey]counts

	rates   map[Key]*rate
	history history
	// checkRank is each checkpoint's place in the scenario (OrderChecks);
	// it outlives Reset, being the plan's.
	checkRank map[checkKey]int
}

// row is one request row after folding.
type row struct {
	// cum is the row as last published: immutable, shared by snapshots.
	cum *Entry
	// pending holds what was folded since then; tick what was folded since
	// the last Tick. Both are owned by Stats.mu.
	pending *Entry
	tick    *Entry
}

func (a *acc) reset(start time.Time) {
	rank := a.checkRank
	*a = acc{
		checkRank:   rank,
		start:       start,
		lastTick:    start,
		rows:        make(map[Key]*row),
		totalHist:   newHist(),
		foldScratch: newDenseHist(),
		tickScratch: newDenseHist(),
		errs:        make(map[errKey]int64),
		checks:      make(map[checkKey]counts),
		pacing:      newFolded(newPacingEntry),
		phases:      newFolded(newPhaseEntry),
		tickErrs:    make(map[errKey]int64),
		tickChecks:  make(map[checkKey]counts),
		rates:       make(map[Key]*rate),
	}
}

// Latest is the snapshot published by the last Tick (or Reset, or New): one
// immutable value that every reader (console, web UI, thresholds, a
// distributed master) shares, so reading it costs nothing and all of them
// see the same numbers. Its Interval holds what that tick added.
func (s *Stats) Latest() *Snapshot { return s.latest.Load() }

// Snapshot folds everything recorded so far and returns a new Snapshot at
// now, without closing an interval (Tick does that). The run's final
// snapshot, taken after every user stopped, is one. Each shard is locked
// only while it is emptied, so recording goes on meanwhile.
func (s *Stats) Snapshot(now time.Time) *Snapshot {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fold()
	s.absorb()
	return s.publish(now)
}

// Tick closes the interval since the previous Tick (or the start): it folds
// every shard, adds a history point, advances the current-rate windows, and
// publishes a new Snapshot (Latest) whose Interval is what the interval
// added. The engine calls it once per second; an irregular call is
// measured by its own length.
func (s *Stats) Tick(now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	secs := now.Sub(s.lastTick).Seconds()
	if secs <= 0 {
		// A tick that does not move forward still closes an interval; one
		// second is what the engine promises and keeps the rates finite.
		secs = 1
	}
	s.fold()
	s.absorb()
	interval := s.closeInterval(now, secs)
	snap := s.publish(now)
	snap.Interval = interval
	s.latest.Store(snap)
	s.lastTick = now
}

// Reset forgets everything recorded so far and starts counting again from
// now, as Locust's "reset stats" does. The user count and CPU are kept;
// Saturated latches again only if the CPU still is at 90% or more.
func (s *Stats) Reset(now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, sh := range s.shards {
		sh.clear()
	}
	s.acc.reset(now)
	s.resetOpen()
	s.saturated.Store(math.Float64frombits(s.cpuBits.Load()) >= 90)
	s.rzMu.Lock()
	s.rz.reset()
	s.rzMu.Unlock()
	s.latest.Store(s.publish(now))
}

// fold moves every shard's samples into the rows' pending state and the
// run's counters, emptying the shards. s.mu is held.
func (s *Stats) fold() {
	for _, sh := range s.shards {
		sh.mu.Lock()
		for k, r := range sh.recs {
			if r.requests == 0 {
				continue
			}
			s.row(k).pending.addRec(r)
			r.reset()
		}
		for ek, n := range sh.errors {
			if len(s.errs) >= maxErrorKinds {
				if _, seen := s.errs[ek]; !seen {
					ek.text = OtherErrors
				}
			}
			s.errs[ek] += n
			s.tickErrs[ek] += n
		}
		clear(sh.errors)
		for k, c := range sh.checks {
			if *c == (counts{}) {
				continue
			}
			s.checks[k] = s.checks[k].plus(*c)
			s.tickChecks[k] = s.tickChecks[k].plus(*c)
			*c = counts{}
		}
		for task, p := range sh.pacing {
			s.pacing.take(task, p)
		}
		for k, p := range sh.phases {
			s.phases.take(k, p)
		}
		sh.mu.Unlock()
	}
}

func (s *Stats) row(k Key) *row {
	r := s.rows[k]
	if r == nil {
		r = &row{cum: &Entry{Key: k, Hist: newHist()}, pending: &Entry{Key: k, Hist: newHist()}}
		s.rows[k] = r
	}
	return r
}

// absorb adds each row's pending samples to its cumulative row (a new,
// immutable Entry: the published one may be read meanwhile) and to its
// interval, and the same for the Aggregated histogram, pacing and phases.
// s.mu is held.
func (s *Stats) absorb() {
	s.pacing.absorb()
	s.phases.absorb()
	changed := false
	for _, r := range s.rows {
		p := r.pending
		if p.Requests == 0 {
			continue
		}
		changed = true
		c := *r.cum
		c.Hist = plus(r.cum.Hist, p.Hist)
		c.addCounts(p)
		r.cum = &c
		p.Hist.MergeInto(s.foldScratch)
		p.Hist.MergeInto(s.tickScratch)
		if r.tick == nil {
			// The pending samples become the interval's: no copy, and no
			// storage kept between folds beyond the shards' own.
			r.tick, r.pending = p, &Entry{Key: p.Key, Hist: newHist()}
			continue
		}
		r.tick.add(p)
		p.Hist.Reset()
		*p = Entry{Key: p.Key, Hist: p.Hist}
	}
	if changed {
		s.totalHist = plus(s.totalHist, packed(s.foldScratch))
		s.foldScratch.Reset()
	}
}

// packed is the sparse copy of a dense histogram.
func packed(h *hdrhistogram.Histogram) *hdrhistogram.PackedHistogram {
	p := newHist()
	p.MergeFrom(h)
	return p
}

// plus is a new histogram holding a's and b's samples, sized to fit.
func plus(a, b *hdrhistogram.PackedHistogram) *hdrhistogram.PackedHistogram {
	h := a.Clone()
	h.Merge(b)
	h.Compact()
	return h
}

// closeInterval turns what was folded since the last Tick into the
// interval's Snapshot and a history point, advances the rates, and starts a
// new interval. s.mu is held.
func (s *Stats) closeInterval(now time.Time, secs float64) *Snapshot {
	iv := &Snapshot{
		Start:     s.lastTick,
		Time:      now,
		Users:     int(s.users.Load()),
		Total:     &Entry{Key: Key{Name: AggregatedName}, Hist: packed(s.tickScratch)},
		CPU:       math.Float64frombits(s.cpuBits.Load()),
		Saturated: s.saturated.Load(),
	}
	var total, before counts
	for k, r := range s.rows {
		rt := s.rates[k]
		if rt == nil {
			rt = &rate{}
			s.rates[k] = rt
		}
		before = before.plus(rt.last)
		c := counts{r.cum.Requests, r.cum.Failures}
		total = total.plus(c)
		rt.push(c, secs)
		if r.tick != nil {
			iv.Entries = append(iv.Entries, r.tick)
			iv.Total.addCounts(r.tick)
			r.tick = nil
		}
	}
	for k, n := range s.tickErrs {
		iv.Errors = append(iv.Errors, &ErrorEntry{Key: k.Key, Error: k.text, Count: n})
	}
	for k, c := range s.tickChecks {
		iv.Checks = append(iv.Checks, &CheckEntry{Request: k.request, Name: k.name, Pass: c.requests, Fail: c.failures})
	}
	iv.Pacing = s.pacing.takeTick()
	s.tickScratch.Reset()
	iv.Phases = s.phases.takeTick()
	s.rzMu.Lock()
	iv.Rendezvous = s.rz.takeTick()
	s.rzMu.Unlock()
	s.tickErrs = make(map[errKey]int64)
	s.tickChecks = make(map[checkKey]counts)

	p := Point{
		Time:       now,
		Users:      iv.Users,
		RPS:        float64(total.requests-before.requests) / secs,
		FailPerSec: float64(total.failures-before.failures) / secs,
		Requests:   total.requests,
		Failures:   total.failures,
		Seconds:    secs,
	}
	iv.Open = s.openInterval()
	if iv.Open != nil {
		p.DroppedPerSec = float64(iv.Open.Dropped) / secs
	}
	if h := iv.Total.Hist; h.TotalCount() > 0 {
		for i, q := range locustPercentiles {
			p.Pct[i] = iv.Total.Percentile(q)
		}
		p.P50, p.P95, p.P99 = p.Pct[0], p.Pct[5], p.Pct[7]
	}
	run := &Entry{Hist: s.totalHist}
	for _, r := range s.rows {
		run.addCounts(r.cum)
	}
	p.TotalMedian, p.TotalAvg, p.TotalMin, p.TotalMax = run.Median(), run.Avg(), run.MinTime, run.MaxTime
	p.TotalAvgContentBytes = run.AvgContentBytes()
	s.history.add(p)
	iv.History = []Point{p}
	iv.sort()
	sortChecks(iv.Checks, s.checkRank)
	return iv
}

// publish builds a Snapshot at now from the folded state. Histograms of
// rows that did not change are shared with earlier snapshots: they are
// never written once published. s.mu is held.
func (s *Stats) publish(now time.Time) *Snapshot {
	snap := &Snapshot{
		Start:     s.start,
		Time:      now,
		Users:     int(s.users.Load()),
		Entries:   make([]*Entry, 0, len(s.rows)),
		Errors:    make([]*ErrorEntry, 0, len(s.errs)),
		Checks:    make([]*CheckEntry, 0, len(s.checks)),
		Pacing:    s.pacing.published(),
		Phases:    s.phases.published(),
		History:   s.history.points(),
		CPU:       math.Float64frombits(s.cpuBits.Load()),
		Saturated: s.saturated.Load(),
		Open:      s.openEntry(),
	}
	t := &Entry{Key: Key{Name: AggregatedName}, Hist: s.totalHist}
	for k, r := range s.rows {
		e := *r.cum
		if rt := s.rates[k]; rt != nil {
			e.CurrentRPS, e.CurrentFailPerSec = rt.current()
		}
		snap.Entries = append(snap.Entries, &e)
		t.addCounts(&e)
		t.CurrentRPS += e.CurrentRPS
		t.CurrentFailPerSec += e.CurrentFailPerSec
	}
	snap.Total = t
	for k, n := range s.errs {
		snap.Errors = append(snap.Errors, &ErrorEntry{Key: k.Key, Error: k.text, Count: n})
	}
	for k, c := range s.checks {
		snap.Checks = append(snap.Checks, &CheckEntry{Request: k.request, Name: k.name, Pass: c.requests, Fail: c.failures})
	}
	s.rzMu.Lock()
	snap.Rendezvous = s.rz.published()
	s.rzMu.Unlock()
	snap.sort()
	sortChecks(snap.Checks, s.checkRank)
	return snap
}

func (c counts) plus(o counts) counts {
	return counts{c.requests + o.requests, c.failures + o.failures}
}

// addRec adds one shard's samples of the entry's row.
func (e *Entry) addRec(r *rec) {
	if r.requests > r.unsent {
		if e.Requests == e.Unsent || r.min < e.MinTime {
			e.MinTime = r.min
		}
		e.MaxTime = max(e.MaxTime, r.max)
	}
	e.Requests += r.requests
	e.Unsent += r.unsent
	e.Failures += r.failures
	e.SumTime += r.sum
	e.ContentBytes += r.content
	e.OutOfRange += r.outOfRange
	e.Hist.Merge(r.hist)
}

// addCounts adds another entry's counters and times, not its histogram or
// rates, to e.
func (e *Entry) addCounts(o *Entry) {
	if o.Requests > o.Unsent {
		if e.Requests == e.Unsent || o.MinTime < e.MinTime {
			e.MinTime = o.MinTime
		}
		e.MaxTime = max(e.MaxTime, o.MaxTime)
	}
	e.Requests += o.Requests
	e.Unsent += o.Unsent
	e.Failures += o.Failures
	e.SumTime += o.SumTime
	e.ContentBytes += o.ContentBytes
	e.OutOfRange += o.OutOfRange
}

// add adds another entry's samples and rates to e.
func (e *Entry) add(o *Entry) {
	if o == nil || o.Requests == 0 && o.CurrentRPS == 0 {
		return
	}
	e.addCounts(o)
	e.CurrentRPS += o.CurrentRPS
	e.CurrentFailPerSec += o.CurrentFailPerSec
	if o.Hist != nil {
		e.Hist.Merge(o.Hist)
	}
}

// total is the Aggregated row of entries.
func total(entries []*Entry) *Entry {
	t := &Entry{Key: Key{Name: AggregatedName}, Hist: newHist()}
	for _, e := range entries {
		t.add(e)
	}
	return t
}

// sort puts every list of the snapshot in its documented order, so that
// reports are stable from run to run. Rendezvous lists come sorted;
// checks are sorted by sortChecks.
func (s *Snapshot) sort() {
	slices.SortFunc(s.Entries, func(a, b *Entry) int { return compareKeys(a.Key, b.Key) })
	slices.SortFunc(s.Errors, func(a, b *ErrorEntry) int {
		// Most frequent first, as Locust's error table.
		return cmp.Or(cmp.Compare(b.Count, a.Count), compareKeys(a.Key, b.Key), cmp.Compare(a.Error, b.Error))
	})
	slices.SortFunc(s.Pacing, func(a, b *PacingEntry) int { return cmp.Compare(a.Task, b.Task) })
	sortPhases(s.Phases)
}

// CheckID names a checkpoint: the request it belongs to and its label.
type CheckID struct {
	Request Key
	Name    string
}

// OrderChecks gives the checkpoints' order in the scenario, which
// snapshots list them in (checks not named here follow, by request then
// label). The engine calls it once, before the run records.
func (s *Stats) OrderChecks(order []CheckID) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.checkRank = make(map[checkKey]int, len(order))
	for i, c := range order {
		if _, dup := s.checkRank[checkKey{c.Request, c.Name}]; !dup {
			s.checkRank[checkKey{c.Request, c.Name}] = i
		}
	}
	s.latest.Store(s.publish(s.latest.Load().Time))
}

// sortChecks orders checks by their rank in the scenario when known, then
// by request and label.
func sortChecks(c []*CheckEntry, rank map[checkKey]int) {
	pos := func(e *CheckEntry) int {
		if r, ok := rank[checkKey{e.Request, e.Name}]; ok {
			return r
		}
		return len(rank)
	}
	slices.SortStableFunc(c, func(a, b *CheckEntry) int {
		return cmp.Or(cmp.Compare(pos(a), pos(b)), compareKeys(a.Request, b.Request), cmp.Compare(a.Name, b.Name))
	})
}

func compareKeys(a, b Key) int {
	return cmp.Or(cmp.Compare(a.Name, b.Name), cmp.Compare(a.Method, b.Method))
}
