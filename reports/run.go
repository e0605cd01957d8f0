// Package reports renders the results of a run: Locust-style console
// tables, Locust-compatible CSV files, a versioned JSON summary, JUnit XML
// and a self-contained HTML report. Every report is rendered from the same
// final stats.Snapshot, so their numbers agree.
package reports

import (
	"strconv"
	"time"

	"github.com/loadrun/loadrun/thresholds"
)

// Run is what was run: the parameters shown at the top of reports and kept
// in the JSON summary.
type Run struct {
	// Scenario is the scenario's name; File the path it was loaded from.
	Scenario string
	File     string
	Host     string
	// Users is the peak number of users asked for; SpawnRate users per second.
	Users     int
	SpawnRate float64
	// RunTime is the planned duration (0: until stopped); Iterations the
	// planned number of task iterations (0: unbounded).
	RunTime    time.Duration
	Iterations int64
	// Load describes the load shape followed ("" for -u/-r): stages of
	// users, or the open model's arrival rate and max_users.
	Load       string
	Start, End time.Time
	// Thresholds are the verdicts, in scenario order then flag order.
	Thresholds []thresholds.Result
	// Warnings are things the reader must know to trust the numbers
	// (a saturated generator, a stall that closed-model percentiles hide).
	Warnings []string
	// Version is loadrun's version.
	Version string
	// Verdict is the run's outcome (zero while a run is live).
	Verdict Verdict
	// Workers is the workers table of a distributed run (nil for a run in
	// one process).
	Workers []Worker
}

// SpawnRateText is how reports show a spawn rate: "2/s", or "all at once"
// for 0 (`-r 0`), which starts every user together rather than none.
func SpawnRateText(rate float64) string {
	if rate == 0 {
		return "all at once"
	}
	return strconv.FormatFloat(Finite(rate), 'g', -1, 64) + "/s"
}
