package stats

import (
	"cmp"
	"math"
	"slices"
	"time"
)

// Snapshot merges every shard into a new Snapshot taken at now. Each shard is
// locked only while it is copied, so recording goes on meanwhile.
func (s *Stats) Snapshot(now time.Time) *Snapshot {
	s.mu.Lock()
	defer s.mu.Unlock()
	entries := make(map[Key]*Entry)
	errs := make(map[errKey]int64)
	checks := make(map[checkKey]*CheckEntry)
	pacing := make(map[string]*PacingEntry)
	phases := make(map[Key]*PhaseEntry)
	for _, sh := range s.shards {
		sh.mu.Lock()
		for k, r := range sh.entries {
			e := entries[k]
			if e == nil {
				e = &Entry{Key: k, Hist: newHist()}
				entries[k] = e
			}
			e.addRec(r)
		}
		for k, n := range sh.errors {
			errs[k] += n
		}
		for k, c := range sh.checks {
			ce := checks[k]
			if ce == nil {
				ce = &CheckEntry{Request: k.request, Name: k.name}
				checks[k] = ce
			}
			ce.Pass += c.requests
			ce.Fail += c.failures
		}
		for task, p := range sh.pacing {
			pe := pacing[task]
			if pe == nil {
				pe = &PacingEntry{Task: task, Lateness: newHist()}
				pacing[task] = pe
			}
			pe.add(p)
		}
		collectPhases(phases, sh.phases)
		sh.mu.Unlock()
	}
	snap := &Snapshot{
		Start:     s.start,
		Time:      now,
		Users:     int(s.users.Load()),
		Entries:   make([]*Entry, 0, len(entries)),
		Errors:    make([]*ErrorEntry, 0, len(errs)),
		Checks:    make([]*CheckEntry, 0, len(checks)),
		Pacing:    make([]*PacingEntry, 0, len(pacing)),
		Phases:    phaseList(phases),
		History:   s.history.points(),
		CPU:       math.Float64frombits(s.cpuBits.Load()),
		Saturated: s.saturated.Load(),
	}
	for k, e := range entries {
		if r := s.rates[k]; r != nil {
			e.CurrentRPS, e.CurrentFailPerSec = r.current()
		}
		snap.Entries = append(snap.Entries, e)
	}
	for k, n := range errs {
		snap.Errors = append(snap.Errors, &ErrorEntry{Key: k.Key, Error: k.text, Count: n})
	}
	for _, c := range checks {
		snap.Checks = append(snap.Checks, c)
	}
	for _, p := range pacing {
		snap.Pacing = append(snap.Pacing, p)
	}
	snap.Rendezvous = s.rendezvousCopy()
	snap.sort()
	snap.Total = total(snap.Entries)
	return snap
}

// Reset forgets everything recorded so far and starts counting again from
// now, as Locust's "reset stats" does. The user count and CPU are kept;
// Saturated latches again only if the CPU still is at 90% or more.
func (s *Stats) Reset(now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, sh := range s.shards {
		sh.reset()
	}
	s.start, s.lastTick = now, now
	s.rates = make(map[Key]*rate)
	s.interval.Reset()
	s.history = history{}
	s.saturated.Store(math.Float64frombits(s.cpuBits.Load()) >= 90)
	s.rzMu.Lock()
	s.rendezvous = make(map[string]*RendezvousEntry)
	s.rzMu.Unlock()
}

func (s *Stats) rendezvousCopy() []*RendezvousEntry {
	s.rzMu.Lock()
	defer s.rzMu.Unlock()
	out := make([]*RendezvousEntry, 0, len(s.rendezvous))
	for _, e := range s.rendezvous {
		c := *e
		c.Sizes = e.Sizes.Clone()
		c.Wait = e.Wait.Clone()
		out = append(out, &c)
	}
	return out
}

// addRec adds one shard's counters of the entry's row.
func (e *Entry) addRec(r *rec) {
	if r.requests == 0 {
		return
	}
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

// add adds another entry's samples and rates to e.
func (e *Entry) add(o *Entry) {
	if o == nil || o.Requests == 0 && o.CurrentRPS == 0 {
		return
	}
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
	e.CurrentRPS += o.CurrentRPS
	e.CurrentFailPerSec += o.CurrentFailPerSec
	if o.Hist != nil {
		e.Hist.Merge(o.Hist)
	}
}

func (p *PacingEntry) add(o *PacingEntry) {
	p.Iterations += o.Iterations
	p.Late += o.Late
	p.Skipped += o.Skipped
	if o.Lateness != nil {
		p.Lateness.Merge(o.Lateness)
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
// reports are stable from run to run.
func (s *Snapshot) sort() {
	slices.SortFunc(s.Entries, func(a, b *Entry) int { return compareKeys(a.Key, b.Key) })
	slices.SortFunc(s.Errors, func(a, b *ErrorEntry) int {
		// Most frequent first, as Locust's error table.
		return cmp.Or(cmp.Compare(b.Count, a.Count), compareKeys(a.Key, b.Key), cmp.Compare(a.Error, b.Error))
	})
	slices.SortFunc(s.Checks, func(a, b *CheckEntry) int {
		return cmp.Or(compareKeys(a.Request, b.Request), cmp.Compare(a.Name, b.Name))
	})
	slices.SortFunc(s.Rendezvous, func(a, b *RendezvousEntry) int { return cmp.Compare(a.Name, b.Name) })
	slices.SortFunc(s.Pacing, func(a, b *PacingEntry) int { return cmp.Compare(a.Task, b.Task) })
}

func compareKeys(a, b Key) int {
	return cmp.Or(cmp.Compare(a.Name, b.Name), cmp.Compare(a.Method, b.Method))
}
