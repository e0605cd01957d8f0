// Package stats records what a load test measures and hands out consistent
// snapshots of it. Recording takes no global lock and sends on no channel:
// samples go to sharded recorders, which each tick folds into one row per
// request name (one sparse HDR histogram per row, whatever the number of
// shards) and publishes as one immutable Snapshot that every reader shares.
// Reports, thresholds, the console, the web UI and a distributed master all
// read Snapshot.
package stats

import (
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// Key identifies a request row, as Locust's Type and Name columns do.
type Key struct {
	Method string
	Name   string
}

// String is "METHOD name", the form thresholds use to name a request.
func (k Key) String() string {
	if k.Method == "" {
		return k.Name
	}
	return k.Method + " " + k.Name
}

// Entry is the statistics of one request name, or of all of them (Aggregated).
type Entry struct {
	Key
	Requests int64
	Failures int64
	// Hist holds every response time in microseconds (3 significant
	// digits), in HDR's sparse form. Hist of a published snapshot is shared
	// and must not be written: merge it into a new histogram instead.
	Hist *hdrhistogram.PackedHistogram
	// SumTime, MinTime and MaxTime are exact (not from the histogram).
	SumTime time.Duration
	MinTime time.Duration
	MaxTime time.Duration
	// ContentBytes is the sum of response body sizes.
	ContentBytes int64
	// OutOfRange counts times outside the histogram's 1 µs .. 1 h range; they
	// are in Hist at the nearest bound and exact in SumTime, MinTime, MaxTime.
	OutOfRange int64
	// Unsent counts requests that failed before they could be sent (an
	// unset variable, no pool row): in Requests and Failures, but with no
	// response time, so times and percentiles are those of real exchanges.
	Unsent int64
	// CurrentRPS and CurrentFailPerSec are rates over the last few seconds.
	CurrentRPS        float64
	CurrentFailPerSec float64
}

// ErrorEntry counts one distinct error of one request name.
type ErrorEntry struct {
	Key
	Error string
	Count int64
}

// CheckEntry is the pass/fail count of one checkpoint.
type CheckEntry struct {
	// Request is the request the checkpoint belongs to.
	Request Key
	// Name is the checkpoint's label (as written or rendered from the check).
	Name string
	Pass int64
	Fail int64
}

// RendezvousEntry is what one rendezvous point did.
type RendezvousEntry struct {
	Name string
	// Groups released, split by why: enough users arrived, the timeout passed,
	// or too few users were left alive to ever fill the group (or the run stopped).
	Groups      int64
	ByCount     int64
	ByTimeout   int64
	ByShortfall int64
	// Sizes is the distribution of released group sizes.
	Sizes *hdrhistogram.PackedHistogram
	// Wait is the distribution of how long users waited, in microseconds.
	Wait *hdrhistogram.PackedHistogram
}

// PacingEntry is how well a paced task kept its schedule. A closed-model
// user stuck behind a slow response starts its next iteration late or skips
// it; that delay is invisible in response times, so it is counted here.
type PacingEntry struct {
	Task       string
	Iterations int64
	Late       int64
	Skipped    int64
	// Lateness of late starts, in microseconds (3 significant digits).
	// Lateness of a published snapshot is shared by later snapshots and
	// must not be written.
	Lateness *hdrhistogram.PackedHistogram
}

// Point is one second of the run, for charts and the stats history CSV.
type Point struct {
	Time       time.Time
	Users      int
	RPS        float64
	FailPerSec float64
	// Percentiles of the requests completed in this interval (0 when none).
	P50, P95, P99 time.Duration
	// DroppedPerSec is the open model's arrivals dropped per second in
	// this interval (no free user).
	DroppedPerSec float64
	// Pct are the interval's percentiles at each of Percentiles() (P50, P95
	// and P99 are three of them), for the stats history CSV.
	Pct [NumPercentiles]time.Duration
	// Cumulative totals at this time.
	Requests int64
	Failures int64
	// The whole run's times up to this point (Locust's "Total Median
	// Response Time" and siblings in the stats history CSV): median, exact
	// mean, min and max, and the mean body size. Zero before any timed
	// request.
	TotalMedian, TotalAvg, TotalMin, TotalMax time.Duration
	TotalAvgContentBytes                      float64
	// Seconds is how long the point covers: 1 for recent points, more for
	// older points that were merged to keep the history bounded.
	Seconds float64
}

// Snapshot is a consistent view of the statistics at one time. It is
// immutable: nothing in it changes after it is returned, and readers must
// not change it either, because one snapshot is shared by every reader of a
// tick and its histograms by later snapshots.
type Snapshot struct {
	Start time.Time
	Time  time.Time
	Users int
	// Entries is one row per request name, sorted by name then method.
	Entries []*Entry
	// Total aggregates every entry (Locust's "Aggregated" row).
	Total  *Entry
	Errors []*ErrorEntry
	// Checks are in the scenario's order (Stats.OrderChecks), others after
	// them by request and label.
	Checks     []*CheckEntry
	Rendezvous []*RendezvousEntry
	Pacing     []*PacingEntry
	// Phases is the per-request phase breakdown (connect, TLS, send, wait,
	// download), sorted as Entries; empty unless the run asked for phases.
	Phases  []*PhaseEntry
	History []Point
	// CPU is the generator's own CPU use, in percent of the cores it may use.
	CPU float64
	// Saturated is true when the generator was CPU-bound at some point, so
	// latencies include its own queueing.
	Saturated bool
	// Interval is what the tick that published this snapshot added: a
	// Snapshot from the previous tick (Start) to this one (Time) holding only
	// that interval's requests, histograms, errors, checks, pacing, phases
	// and rendezvous groups, and one History point; Merge adds intervals up
	// to the cumulative snapshot exactly. The stats history CSV is written
	// from it (reports.HistoryWriter). Its rows carry no current rates. Nil
	// on snapshots not published by a tick, and on an Interval itself (a
	// master's merged snapshot gets one from cluster.WithInterval).
	Interval *Snapshot
	// Open is what the open model's arrivals did; nil in the closed model.
	// In an Interval: the arrivals of that interval (MaxLag is the run's).
	Open *OpenEntry
}
