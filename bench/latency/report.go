package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"
)

// summary is the part of loadrun's JSON summary (reports/JSON.md) this
// benchmark reads.
type summary struct {
	Aggregated struct {
		Requests      int64              `json:"requests"`
		Failures      int64              `json:"failures"`
		MaxMs         float64            `json:"max_ms"`
		PercentilesMs map[string]float64 `json:"percentiles_ms"`
	} `json:"aggregated"`
	Pacing []struct {
		Task          string  `json:"task"`
		Iterations    int64   `json:"iterations"`
		Late          int64   `json:"late"`
		Skipped       int64   `json:"skipped"`
		LatenessP99Ms float64 `json:"lateness_p99_ms"`
		LatenessMaxMs float64 `json:"lateness_max_ms"`
	} `json:"pacing"`
	Snapshot struct {
		CPUPercent float64 `json:"cpu_percent"`
		Saturated  bool    `json:"saturated"`
	} `json:"snapshot"`
	Warnings []string `json:"warnings"`
	Open     *struct {
		Arrivals int64   `json:"arrivals"`
		Dropped  int64   `json:"dropped"`
		Late     int64   `json:"late"`
		MaxLagMs float64 `json:"max_lag_ms"`
	} `json:"open"`
}

// readSummary parses a JSON summary and checks it holds what the tables need.
func readSummary(r io.Reader) (*summary, error) {
	var s summary
	if err := json.NewDecoder(r).Decode(&s); err != nil {
		return nil, fmt.Errorf("reading loadrun's JSON summary: %w", err)
	}
	if s.Aggregated.Requests == 0 {
		return nil, fmt.Errorf("loadrun's JSON summary counts no requests: the run did not reach the target")
	}
	for _, p := range []string{"50", "99"} {
		if _, ok := s.Aggregated.PercentilesMs[p]; !ok {
			return nil, fmt.Errorf("loadrun's JSON summary has no %s%% percentile", p)
		}
	}
	return &s, nil
}

// readTruth parses the target's /truth answer.
func readTruth(r io.Reader) (Truth, error) {
	var t Truth
	if err := json.NewDecoder(r).Decode(&t); err != nil {
		return t, fmt.Errorf("reading the target's /truth: %w", err)
	}
	return t, nil
}

// diff is how far got is above (or below) want, as "+2.9 %".
func diff(got, want float64) string {
	if want == 0 {
		return "n/a"
	}
	return fmt.Sprintf("%+.1f %%", (got-want)/want*100)
}

// msCell formats milliseconds to the microsecond, since the differences
// this benchmark shows are a fraction of a millisecond.
func msCell(v float64) string {
	return fmt.Sprintf("%.3f ms", v)
}

// overheadTable is the markdown table of the overhead case: loadrun's
// figures next to the target's own, and the difference.
func overheadTable(w io.Writer, s *summary, t Truth) error {
	var b strings.Builder
	b.WriteString("| figure | loadrun | target's truth | difference |\n|---|---:|---:|---:|\n")
	rows := []struct {
		name      string
		got, want float64
	}{
		{"p50", s.Aggregated.PercentilesMs["50"], t.P50},
		{"p99", s.Aggregated.PercentilesMs["99"], t.P99},
		{"max", s.Aggregated.MaxMs, t.Max},
	}
	for _, r := range rows {
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", r.name, msCell(r.got), msCell(r.want), diff(r.got, r.want))
	}
	fmt.Fprintf(&b, "| requests | %d | %d | %s |\n", s.Aggregated.Requests, t.Count, diff(float64(s.Aggregated.Requests), float64(t.Count)))
	fmt.Fprintf(&b, "| failures | %d | | |\n", s.Aggregated.Failures)
	_, err := io.WriteString(w, b.String())
	return err
}

// openModelP99 is the p99 that users arriving at a steady rate over run
// would have seen when the target stalled once for stall: the arrivals
// during the stall are stall/run of all, and the one arriving a fraction f
// into it waits stall×(1-f) before its service. The slowest 1 % are the
// first arrivals of the stall. Zero when the stall holds fewer than 1 %
// of arrivals, where the p99 is the plain service time.
func openModelP99(run, stall, service time.Duration) time.Duration {
	if run <= 0 || stall <= 0 {
		return service
	}
	onePercent := run / 100
	if stall <= onePercent {
		return service
	}
	return stall - onePercent + service
}

// stallCase is what the stall case measured.
type stallCase struct {
	Run, Stall, Service time.Duration
	Summary             *summary
	Truth               Truth
}

// stallTable is the markdown table of the stall case: what loadrun's
// percentiles show, what steady arrivals would have seen, and what the
// pacing counters held back.
func stallTable(w io.Writer, c stallCase) error {
	var b strings.Builder
	s := c.Summary
	b.WriteString("| figure | value |\n|---|---:|\n")
	fmt.Fprintf(&b, "| loadrun p99 (closed model) | %s |\n", msCell(s.Aggregated.PercentilesMs["99"]))
	fmt.Fprintf(&b, "| loadrun max | %s |\n", msCell(s.Aggregated.MaxMs))
	fmt.Fprintf(&b, "| target's truth p99 / max | %s / %s |\n", msCell(c.Truth.P99), msCell(c.Truth.Max))
	fmt.Fprintf(&b, "| p99 steady arrivals would have seen (open model, computed) | %s |\n",
		msCell(float64(openModelP99(c.Run, c.Stall, c.Service))/float64(time.Millisecond)))
	var iters, late, skipped int64
	var p99, worst float64
	for _, p := range s.Pacing {
		iters += p.Iterations
		late += p.Late
		skipped += p.Skipped
		p99 = max(p99, p.LatenessP99Ms)
		worst = max(worst, p.LatenessMaxMs)
	}
	if len(s.Pacing) == 0 {
		b.WriteString("| paced iterations | none: the scenario is not paced |\n")
	} else {
		fmt.Fprintf(&b, "| paced iterations: run / late / skipped | %d / %d / %d |\n", iters, late, skipped)
		fmt.Fprintf(&b, "| lateness p99 / max | %s / %s |\n", msCell(p99), msCell(worst))
	}
	if len(s.Warnings) == 0 {
		b.WriteString("| loadrun's warnings | none |\n")
	}
	for _, warning := range s.Warnings {
		fmt.Fprintf(&b, "| loadrun's warning | %s |\n", strings.ReplaceAll(warning, "|", `\|`))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// openCase is what the open-model case measured: arrivals at Rate per
// second, one Stall at half time.
type openCase struct {
	Rate    float64
	Stall   time.Duration
	Summary *summary
	Truth   Truth
}

// dueInStall is how many arrivals fell due while the target stalled.
func (c openCase) dueInStall() float64 { return c.Rate * c.Stall.Seconds() }

// openTable is the markdown table of the open-model case: how many of the
// requests due during the stall reached the target during it, and
// loadrun's tail percentiles next to the target's truth for the same
// requests (what users arriving at the rate saw).
func openTable(w io.Writer, c openCase) error {
	var b strings.Builder
	s := c.Summary
	due := c.dueInStall()
	b.WriteString("| figure | loadrun | target's truth | difference |\n|---|---:|---:|---:|\n")
	rows := []struct {
		name      string
		got, want float64
	}{
		{"p50", s.Aggregated.PercentilesMs["50"], c.Truth.P50},
		{"p99", s.Aggregated.PercentilesMs["99"], c.Truth.P99},
		{"p99.9", s.Aggregated.PercentilesMs["99.9"], c.Truth.P999},
		{"max", s.Aggregated.MaxMs, c.Truth.Max},
	}
	for _, r := range rows {
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", r.name, msCell(r.got), msCell(r.want), diff(r.got, r.want))
	}
	fmt.Fprintf(&b, "| requests | %d | %d | %s |\n", s.Aggregated.Requests, c.Truth.Count, diff(float64(s.Aggregated.Requests), float64(c.Truth.Count)))
	fmt.Fprintf(&b, "| requests due during the stall / reaching the target during it | %.0f | %d | %.1f %% reached |\n", due, c.Truth.Stalled, 100*float64(c.Truth.Stalled)/due)
	if s.Open != nil {
		fmt.Fprintf(&b, "| arrivals / dropped / late (max lag) | %d / %d / %d (%s) | | |\n", s.Open.Arrivals, s.Open.Dropped, s.Open.Late, msCell(s.Open.MaxLagMs))
	}
	for _, warning := range s.Warnings {
		fmt.Fprintf(&b, "| loadrun's warning | %s | | |\n", strings.ReplaceAll(warning, "|", `\|`))
	}
	_, err := io.WriteString(w, b.String())
	return err
}
