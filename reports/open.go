package reports

import (
	"io"
	"strconv"
	"time"

	"github.com/loadrun/loadrun/stats"
)

// WriteOpen writes what the open model's arrivals did: how many fell due,
// how many were dropped (no free user) in total and at the worst second,
// and how many reached their user late. Nothing for a closed-model run.
func WriteOpen(w io.Writer, s *stats.Snapshot) error {
	o := s.Open
	if o == nil {
		return nil
	}
	p := &printer{w: w}
	worst := 0.0
	for _, pt := range s.History {
		worst = max(worst, pt.DroppedPerSec)
	}
	p.line("Arrivals (open model)")
	p.line("%10s %10s %10s %14s %10s %12s", "due", "dropped", "dropped %", "worst drops/s", "late", "max lag (ms)")
	p.line("%10d %10d %10s %14.1f %10d %12s", o.Arrivals, o.Dropped, trimPercent(100*o.DroppedRatio()), Finite(worst), o.Late, ConsoleMs(o.MaxLag))
	p.line("")
	p.line("Response times are measured from the moment each arrival was due, so a late start counts as latency.")
	p.line("")
	return p.err
}

func trimPercent(v float64) string {
	return strconv.FormatFloat(Finite(v), 'f', 2, 64) + "%"
}

// openJSON is the open model's counters in the JSON summary.
type openJSON struct {
	Arrivals     int64   `json:"arrivals"`
	Dropped      int64   `json:"dropped"`
	DroppedRatio float64 `json:"dropped_ratio"`
	Late         int64   `json:"late"`
	MaxLagNs     int64   `json:"max_lag_ns"`
	MaxLagMs     float64 `json:"max_lag_ms"`
}

func openToJSON(o *stats.OpenEntry) *openJSON {
	if o == nil {
		return nil
	}
	return &openJSON{Arrivals: o.Arrivals, Dropped: o.Dropped, DroppedRatio: Finite(o.DroppedRatio()), Late: o.Late,
		MaxLagNs: int64(o.MaxLag), MaxLagMs: ms(o.MaxLag)}
}

func openFromJSON(o *openJSON) *stats.OpenEntry {
	if o == nil {
		return nil
	}
	return &stats.OpenEntry{Arrivals: o.Arrivals, Dropped: o.Dropped, Late: o.Late, MaxLag: time.Duration(o.MaxLagNs)}
}
