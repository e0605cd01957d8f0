package stats

import (
	"strings"
	"time"
)

// NumPercentiles is how many percentiles Locust prints.
const NumPercentiles = 11

// locustPercentiles are the percentiles Locust prints, in its order.
var locustPercentiles = [NumPercentiles]float64{50, 66, 75, 80, 90, 95, 98, 99, 99.9, 99.99, 100}

// Percentiles returns the percentiles Locust prints, in its order, as a new
// slice the caller may keep or change.
func Percentiles() []float64 {
	p := locustPercentiles
	return p[:]
}

// Avg is the exact mean response time (SumTime / Requests), 0 without requests.
func (e *Entry) Avg() time.Duration {
	if e == nil || e.Requests == e.Unsent {
		return 0
	}
	return e.SumTime / time.Duration(e.Requests-e.Unsent)
}

// Percentile is the response time below or at which p percent (0..100) of
// the requests finished, computed from every sample in the histogram. Like
// HdrHistogram it reports the highest value equivalent to the bucket it
// lands in (so it is never below the true percentile by more than the
// histogram's 0.1% precision), then clamps to [MinTime, MaxTime]: it never
// exceeds the slowest request, and the 100th percentile is MaxTime exactly.
// It is 0 when there are no requests.
func (e *Entry) Percentile(p float64) time.Duration {
	if e == nil || e.Requests == 0 || e.Hist == nil || e.Hist.TotalCount() == 0 {
		return 0
	}
	if p >= 100 {
		return e.MaxTime
	}
	d := histDuration(e.Hist.ValueAtPercentile(max(p, 0)))
	return min(max(d, e.MinTime), e.MaxTime)
}

// Median is the 50th percentile.
func (e *Entry) Median() time.Duration { return e.Percentile(50) }

// FailRatio is Failures / Requests (0..1), 0 without requests.
func (e *Entry) FailRatio() float64 {
	if e == nil || e.Requests == 0 {
		return 0
	}
	return float64(e.Failures) / float64(e.Requests)
}

// RPS is the mean number of requests per second over elapsed (0 when elapsed
// is not positive).
func (e *Entry) RPS(elapsed time.Duration) float64 {
	if e == nil || elapsed <= 0 {
		return 0
	}
	return float64(e.Requests) / elapsed.Seconds()
}

// FailPerSec is the mean number of failures per second over elapsed.
func (e *Entry) FailPerSec(elapsed time.Duration) float64 {
	if e == nil || elapsed <= 0 {
		return 0
	}
	return float64(e.Failures) / elapsed.Seconds()
}

// AvgContentBytes is the mean response body size, 0 without requests.
func (e *Entry) AvgContentBytes() float64 {
	if e == nil || e.Requests == 0 {
		return 0
	}
	return float64(e.ContentBytes) / float64(e.Requests)
}

// Duration is how long the snapshot covers: from Start to Time.
func (s *Snapshot) Duration() time.Duration { return s.Time.Sub(s.Start) }

// Entry returns the row of k, or nil when no request of k ran. The
// Aggregated key returns Total.
func (s *Snapshot) Entry(k Key) *Entry {
	if k == (Key{Name: AggregatedName}) {
		return s.Total
	}
	for _, e := range s.Entries {
		if e.Key == k {
			return e
		}
	}
	return nil
}

// Find returns the row a user names as thresholds do: "GET /x" is that
// method's row, "/x" the rows of every method of /x combined (a new Entry
// when there are several), "" the Total. It is nil when nothing matches.
func (s *Snapshot) Find(request string) *Entry {
	if request == "" {
		return s.Total
	}
	match := s.Matcher(request)
	var found []*Entry
	for _, e := range s.Entries {
		if match(e.Key) {
			found = append(found, e)
		}
	}
	switch len(found) {
	case 0:
		return nil
	case 1:
		return found[0]
	}
	c := &Entry{Key: Key{Name: request}, Hist: newHist()}
	for _, e := range found {
		c.add(e)
	}
	return c
}

// Matcher returns whether a row belongs to request as Find reads it:
// "METHOD name" when such a row exists, else every method of the name.
// A name that itself starts with a method and a space ("GET x") is still
// found as a name when no row has that method and name.
func (s *Snapshot) Matcher(request string) func(Key) bool {
	if request == "" {
		return func(Key) bool { return true }
	}
	if method, name, ok := strings.Cut(request, " "); ok && isMethod(method) {
		k := Key{Method: method, Name: name}
		if s.hasKey(k) {
			return func(o Key) bool { return o == k }
		}
	}
	return func(o Key) bool { return o.Name == request }
}

func (s *Snapshot) hasKey(k Key) bool {
	for _, e := range s.Entries {
		if e.Key == k {
			return true
		}
	}
	for _, c := range s.Checks {
		if c.Request == k {
			return true
		}
	}
	return false
}

// isMethod reports whether w looks like an HTTP method: upper-case letters.
func isMethod(w string) bool {
	if w == "" {
		return false
	}
	for i := 0; i < len(w); i++ {
		if w[i] < 'A' || w[i] > 'Z' {
			return false
		}
	}
	return true
}

// CheckCounts sums the checkpoints of request (named as Find reads it; ""
// for all of them). found is false when no checkpoint of it ran.
func (s *Snapshot) CheckCounts(request string) (pass, fail int64, found bool) {
	match := s.Matcher(request)
	for _, c := range s.Checks {
		if match(c.Request) {
			pass += c.Pass
			fail += c.Fail
			found = true
		}
	}
	return pass, fail, found
}
