package cluster

import (
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
	"github.com/loadrun/loadrun/stats"
)

// WithInterval is cur, a master's merged snapshot, with its Interval set
// to what happened since prev (an earlier merged snapshot; nil: since the
// start), as a tick of a run in one process sets it: per request name, the
// requests and failures of the interval and their response-time histogram,
// and one history point for the whole interval. A master has no tick of
// its own (workers tick on their own clocks and their statistics arrive
// when they arrive), so the interval is the difference of two cumulative
// snapshots, bucket by bucket: its percentiles are exact, and the
// intervals of successive calls add up to the totals. A worker's report
// that arrives late lands in the next interval. The interval's minimum and
// maximum times are exact when they are the run's so far, otherwise the
// bounds of their histogram buckets (0.1 %). Rates are per second of the
// interval, an interval counting as a second at least. cur is not changed.
//
// A row whose count went down (statistics reset) counts from zero again.
func WithInterval(prev, cur *stats.Snapshot) *stats.Snapshot {
	if cur == nil {
		return nil
	}
	out := *cur
	start := cur.Start
	before := map[stats.Key]*stats.Entry{}
	var prevTotal *stats.Entry
	if prev != nil {
		start = prev.Time
		prevTotal = prev.Total
		for _, e := range prev.Entries {
			before[e.Key] = e
		}
	}
	// Rates are over a second at least: workers report once a second, so a
	// shorter interval (the last one, ending when the final statistics are
	// in) holds up to a second's requests, not a burst.
	if cur.Time.Sub(start) < Heartbeat {
		start = cur.Time.Add(-Heartbeat)
	}
	iv := &stats.Snapshot{Start: start, Time: cur.Time, Users: cur.Users}
	for _, e := range cur.Entries {
		if d := entrySince(before[e.Key], e); d.Requests > 0 {
			iv.Entries = append(iv.Entries, d)
		}
	}
	total := cur.Total
	if total == nil {
		total = &stats.Entry{Key: stats.Key{Name: stats.AggregatedName}}
	}
	iv.Total = entrySince(prevTotal, total)
	secs := cur.Time.Sub(start).Seconds()
	p := stats.Point{
		Time:       cur.Time,
		Users:      cur.Users,
		RPS:        float64(iv.Total.Requests) / secs,
		FailPerSec: float64(iv.Total.Failures) / secs,
		Requests:   total.Requests,
		Failures:   total.Failures,
		Seconds:    secs,
	}
	if iv.Total.Hist != nil && iv.Total.Hist.TotalCount() > 0 {
		for i, q := range stats.Percentiles() {
			p.Pct[i] = iv.Total.Percentile(q)
		}
		p.P50, p.P95, p.P99 = iv.Total.Percentile(50), iv.Total.Percentile(95), iv.Total.Percentile(99)
	}
	if total.Requests > total.Unsent {
		p.TotalMedian, p.TotalAvg, p.TotalMin, p.TotalMax = total.Median(), total.Avg(), total.MinTime, total.MaxTime
		p.TotalAvgContentBytes = total.AvgContentBytes()
	}
	iv.History = []stats.Point{p}
	out.Interval = iv
	return &out
}

// entrySince is c less p: c's counts since p was taken.
func entrySince(p, c *stats.Entry) *stats.Entry {
	if p == nil || c.Requests < p.Requests || c.Unsent < p.Unsent {
		p = &stats.Entry{}
	}
	d := &stats.Entry{Key: c.Key,
		Requests: c.Requests - p.Requests, Failures: c.Failures - p.Failures, Unsent: c.Unsent - p.Unsent,
		SumTime: c.SumTime - p.SumTime, ContentBytes: c.ContentBytes - p.ContentBytes, OutOfRange: c.OutOfRange - p.OutOfRange,
		Hist: histSince(p.Hist, c.Hist)}
	if d.Requests == d.Unsent || d.Hist == nil || d.Hist.TotalCount() == 0 {
		return d
	}
	fresh := p.Requests == p.Unsent // nothing timed before: c's bounds are the interval's
	switch {
	case fresh || c.MinTime < p.MinTime:
		d.MinTime = c.MinTime
	default:
		d.MinTime = max(time.Duration(d.Hist.Min())*time.Microsecond, c.MinTime)
	}
	switch {
	case fresh || c.MaxTime > p.MaxTime:
		d.MaxTime = c.MaxTime
	default:
		d.MaxTime = min(time.Duration(d.Hist.Max())*time.Microsecond, c.MaxTime)
	}
	return d
}

// histSince is c's buckets less p's.
func histSince(p, c *hdrhistogram.PackedHistogram) *hdrhistogram.PackedHistogram {
	if c == nil {
		return nil
	}
	d := hdrhistogram.NewPacked(c.LowestTrackableValue(), c.HighestTrackableValue(), int(c.SignificantFigures()))
	for v, n := range c.ForEachBucket {
		if p != nil {
			n -= p.CountAtValue(v)
		}
		if n > 0 {
			_ = d.RecordValues(v, n) // v is one of c's buckets: in range
		}
	}
	return d
}
