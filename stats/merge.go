package stats

import (
	"slices"
	"time"
)

// Merge combines the snapshots of several workers of one run into a new
// Snapshot, as if every sample had been recorded into one: histograms,
// counts, errors, checks, rendezvous, pacing and phases are summed, current rates
// and users added, the CPU is the busier worker's, and History points are
// combined by time. Checks keep their order (a's, then b's new ones).
// Neither input is changed; either may be nil.
func Merge(a, b *Snapshot) *Snapshot {
	if a == nil {
		a = &Snapshot{}
	}
	if b == nil {
		b = &Snapshot{}
	}
	m := &Snapshot{
		Start:     earliest(a.Start, b.Start),
		Time:      latest(a.Time, b.Time),
		Users:     a.Users + b.Users,
		CPU:       max(a.CPU, b.CPU),
		Saturated: a.Saturated || b.Saturated,
	}
	entries := make(map[Key]*Entry)
	for _, e := range slices.Concat(a.Entries, b.Entries) {
		c := entries[e.Key]
		if c == nil {
			c = &Entry{Key: e.Key, Hist: newHist()}
			entries[e.Key] = c
			m.Entries = append(m.Entries, c)
		}
		c.add(e)
	}
	errs := make(map[errKey]*ErrorEntry)
	for _, e := range slices.Concat(a.Errors, b.Errors) {
		k := errKey{e.Key, e.Error}
		c := errs[k]
		if c == nil {
			c = &ErrorEntry{Key: e.Key, Error: e.Error}
			errs[k] = c
			m.Errors = append(m.Errors, c)
		}
		c.Count += e.Count
	}
	checks := make(map[checkKey]*CheckEntry)
	for _, e := range slices.Concat(a.Checks, b.Checks) {
		k := checkKey{e.Request, e.Name}
		c := checks[k]
		if c == nil {
			c = &CheckEntry{Request: e.Request, Name: e.Name}
			checks[k] = c
			m.Checks = append(m.Checks, c)
		}
		c.Pass += e.Pass
		c.Fail += e.Fail
	}
	rz := make(map[string]*RendezvousEntry)
	for _, e := range slices.Concat(a.Rendezvous, b.Rendezvous) {
		c := rz[e.Name]
		if c == nil {
			c = &RendezvousEntry{Name: e.Name, Sizes: newSizeHist(), Wait: newHist()}
			rz[e.Name] = c
			m.Rendezvous = append(m.Rendezvous, c)
		}
		c.Groups += e.Groups
		c.ByCount += e.ByCount
		c.ByTimeout += e.ByTimeout
		c.ByShortfall += e.ByShortfall
		if e.Sizes != nil {
			c.Sizes.Merge(e.Sizes)
		}
		if e.Wait != nil {
			c.Wait.Merge(e.Wait)
		}
	}
	pacing := make(map[string]*PacingEntry)
	for _, e := range slices.Concat(a.Pacing, b.Pacing) {
		c := pacing[e.Task]
		if c == nil {
			c = newPacingEntry(e.Task)
			pacing[e.Task] = c
			m.Pacing = append(m.Pacing, c)
		}
		c.add(e)
	}
	m.Phases = mergePhases(a.Phases, b.Phases)
	m.sort()
	sortRendezvous(m.Rendezvous)
	m.Total = total(m.Entries)
	m.History = mergeHistory(a.History, b.History)
	m.Open = mergeOpen(a.Open, b.Open)
	return m
}

// mergeHistory combines two workers' histories. Workers tick on their own
// clocks, so points are matched by the second they fall in: points of the
// same second add their users and rates and take the worse percentiles (a
// percentile of two seconds cannot be rebuilt from theirs); a cumulative
// field is the sum of each side's latest value at that time.
func mergeHistory(a, b []Point) []Point {
	out := make([]Point, 0, max(len(a), len(b)))
	var lastA, lastB Point
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		var t time.Time
		switch {
		case j == len(b):
			t = a[i].Time.Truncate(time.Second)
		case i == len(a):
			t = b[j].Time.Truncate(time.Second)
		default:
			t = earliest(a[i].Time.Truncate(time.Second), b[j].Time.Truncate(time.Second))
		}
		var p Point
		var fromA, fromB bool
		if i < len(a) && a[i].Time.Truncate(time.Second).Equal(t) {
			lastA, fromA = a[i], true
			i++
		}
		if j < len(b) && b[j].Time.Truncate(time.Second).Equal(t) {
			lastB, fromB = b[j], true
			j++
		}
		switch {
		case fromA && fromB:
			p = lastA
			p.Time = latest(lastA.Time, lastB.Time)
			p.RPS += lastB.RPS
			p.FailPerSec += lastB.FailPerSec
			p.DroppedPerSec += lastB.DroppedPerSec
			p.P50 = max(p.P50, lastB.P50)
			p.P95 = max(p.P95, lastB.P95)
			p.P99 = max(p.P99, lastB.P99)
			for i := range p.Pct {
				p.Pct[i] = max(p.Pct[i], lastB.Pct[i])
			}
			p.Seconds = max(p.Seconds, lastB.Seconds)
		case fromA:
			p = lastA
		default:
			p = lastB
		}
		p.Users = lastA.Users + lastB.Users
		p.Requests = lastA.Requests + lastB.Requests
		p.Failures = lastA.Failures + lastB.Failures
		mergeTotals(&p, lastA, lastB)
		out = append(out, p)
	}
	return out
}

// mergeTotals sets p's whole-run times from each side's latest point: the
// mean weighted by requests, the lower min, the higher max and
// (a median of two runs cannot be rebuilt from theirs) the higher median.
func mergeTotals(p *Point, a, b Point) {
	p.TotalMin = a.TotalMin
	if a.Requests == 0 || b.Requests > 0 && b.TotalMin < a.TotalMin {
		p.TotalMin = b.TotalMin
	}
	p.TotalMax = max(a.TotalMax, b.TotalMax)
	p.TotalMedian = max(a.TotalMedian, b.TotalMedian)
	if n := a.Requests + b.Requests; n > 0 {
		wa, wb := float64(a.Requests)/float64(n), float64(b.Requests)/float64(n)
		p.TotalAvg = time.Duration(float64(a.TotalAvg)*wa + float64(b.TotalAvg)*wb)
		p.TotalAvgContentBytes = a.TotalAvgContentBytes*wa + b.TotalAvgContentBytes*wb
	}
}

func earliest(a, b time.Time) time.Time {
	switch {
	case a.IsZero():
		return b
	case b.IsZero():
		return a
	}
	return slices.MinFunc([]time.Time{a, b}, func(x, y time.Time) int { return x.Compare(y) })
}

func latest(a, b time.Time) time.Time {
	return slices.MaxFunc([]time.Time{a, b}, func(x, y time.Time) int { return x.Compare(y) })
}
