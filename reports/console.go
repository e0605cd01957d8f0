package reports

import (
	"fmt"
	"io"
	"strings"

	"github.com/loadrun/loadrun/stats"
	"github.com/loadrun/loadrun/thresholds"
)

// Column widths of Locust's console tables (locust/stats.py with its
// default 80-column name width), kept so the tables look as Locust users
// expect them to.
const (
	typeWidth      = 8
	statsNameWidth = 76 // Locust's STATS_NAME_WIDTH - STATS_TYPE_WIDTH + 4
	pctNameWidth   = 80
	errorTextWidth = 141
)

// printer writes formatted lines and keeps the first write error, so a
// table's code reads as the table and the error is still returned.
type printer struct {
	w   io.Writer
	err error
}

func (p *printer) printf(format string, args ...any) {
	if p.err != nil {
		return
	}
	_, p.err = fmt.Fprintf(p.w, format, args...)
}

// line writes one line without trailing spaces (Locust pads the last
// column; the padding only gets in the way of diffs and copy-paste).
func (p *printer) line(format string, args ...any) {
	p.printf("%s\n", strings.TrimRight(fmt.Sprintf(format, args...), " "))
}

// WriteStatsTable writes the live statistics table, laid out as Locust's:
// one row per request name and an Aggregated row. Its req/s and failures/s
// are the current rates (the last few seconds), which is what a reader of a
// live table wants to see move.
func WriteStatsTable(w io.Writer, s *stats.Snapshot) error {
	p := &printer{w: w}
	statsTable(p, s, false)
	return p.err
}

// statsTable writes the statistics table; final selects the whole run's
// average rates instead of the current ones, as Locust's final table does.
func statsTable(p *printer, s *stats.Snapshot, final bool) {
	sep := strings.Join([]string{dashes(typeWidth), dashes(statsNameWidth), dashes(7), dashes(13),
		dashes(7), dashes(7), dashes(7), dashes(7), dashes(8), dashes(11)}, "|")
	p.line("%-8s %s %7s %12s |%7s %7s %7s%7s | %7s %11s", "Type", pad("Name", statsNameWidth),
		"# reqs", "# fails", "Avg", "Min", "Max", "Med", "req/s", "failures/s")
	p.line("%s", sep)
	for _, e := range s.Entries {
		statsRow(p, e, s, final)
	}
	p.line("%s", sep)
	statsRow(p, total(s), s, final)
	p.line("")
}

func statsRow(p *printer, e *stats.Entry, s *stats.Snapshot, final bool) {
	rps, fps := e.CurrentRPS, e.CurrentFailPerSec
	if final {
		rps, fps = e.RPS(s.Duration()), e.FailPerSec(s.Duration())
	}
	// A row with no timed request (none ran, or none could be sent) has no
	// times, not times of zero.
	avg, lo, hi, med := "-", "-", "-", "-"
	if e.Requests > e.Unsent {
		avg, lo, hi, med = ConsoleMs(e.Avg()), ConsoleMs(e.MinTime), ConsoleMs(e.MaxTime), ConsoleMs(e.Median())
	}
	p.line("%-8s %s %7d %12s |%7s %7s %7s%7s | %7.2f %11.2f",
		fit(e.Method, typeWidth), pad(fit(e.Name, statsNameWidth), statsNameWidth),
		e.Requests, fmt.Sprintf("%d(%.2f%%)", e.Failures, e.FailRatio()*100),
		avg, lo, hi, med, Finite(rps), Finite(fps))
}

// total is the Aggregated row, never nil so an empty snapshot still prints.
func total(s *stats.Snapshot) *stats.Entry {
	if s.Total != nil {
		return s.Total
	}
	return &stats.Entry{Key: stats.Key{Name: "Aggregated"}}
}

func dashes(n int) string { return strings.Repeat("-", n) }

// WritePercentiles writes the "Response time percentiles" table with
// Locust's columns. Unlike Locust's these are not approximations of a
// sampled distribution: they come from HDR histograms of every response
// (3 significant digits) and are clamped to the exact min and max.
func WritePercentiles(w io.Writer, s *stats.Snapshot) error {
	p := &printer{w: w}
	sep := dashes(typeWidth) + "|" + dashes(pctNameWidth) + "|" + dashes(8) + strings.Repeat("|"+dashes(6), len(stats.Percentiles()))
	head := fmt.Sprintf("%-8s %s %8s", "Type", pad("Name", pctNameWidth), PercentileLabel(stats.Percentiles()[0]))
	for _, q := range stats.Percentiles()[1:] {
		head += fmt.Sprintf(" %6s", PercentileLabel(q))
	}
	p.line("Response time percentiles")
	p.line("%s %6s", head, "# reqs")
	p.line("%s", sep)
	for _, e := range s.Entries {
		pctRow(p, e)
	}
	p.line("%s", sep)
	pctRow(p, total(s))
	p.line("")
	return p.err
}

// pctRow writes one percentile row; rows without timed requests are left
// out, as Locust does, since they have no distribution to show.
func pctRow(p *printer, e *stats.Entry) {
	if e.Requests == e.Unsent {
		return
	}
	row := fmt.Sprintf("%-8s %s %8s", fit(e.Method, typeWidth), pad(fit(e.Name, pctNameWidth), pctNameWidth), ConsoleMs(e.Percentile(stats.Percentiles()[0])))
	for _, q := range stats.Percentiles()[1:] {
		row += fmt.Sprintf(" %6s", ConsoleMs(e.Percentile(q)))
	}
	p.line("%s %6d", row, e.Requests)
}

// MaxConsoleErrors is how many kinds of error the console's error report
// lists, the most frequent first; a line counts the others, which the CSV
// and JSON reports list in full.
const MaxConsoleErrors = 20

// WriteErrors writes Locust's "Error report": each distinct error with how
// often it happened, as "METHOD name: error text", at most
// MaxConsoleErrors of them and then an "N more kinds" line. Nothing is
// written when there were no errors.
func WriteErrors(w io.Writer, s *stats.Snapshot) error {
	p := &printer{w: w}
	if len(s.Errors) == 0 {
		return nil
	}
	sep := dashes(18) + "|" + dashes(errorTextWidth)
	p.line("Error report")
	p.line("%-18s %s", "# occurrences", "Error")
	p.line("%s", sep)
	shown := s.Errors[:min(len(s.Errors), MaxConsoleErrors)]
	for _, e := range shown {
		p.line("%-18d %s", e.Count, cell(errorName(e)))
	}
	if more := s.Errors[len(shown):]; len(more) > 0 {
		var n int64
		for _, e := range more {
			n += e.Count
		}
		p.line("%-18d %d more kinds of error (every one is in the CSV and JSON reports)", n, len(more))
	}
	p.line("%s", sep)
	p.line("")
	return p.err
}

// errorName is Locust's form of an error: "METHOD name: error".
func errorName(e *stats.ErrorEntry) string {
	return e.Key.String() + ": " + e.Error
}

// WriteChecks writes the checkpoints table: for each check of each request,
// how many responses passed and failed it, in the scenario's order, a long
// label cut at its end. Nothing is written when the scenario has no checks.
func WriteChecks(w io.Writer, s *stats.Snapshot) error {
	p := &printer{w: w}
	if len(s.Checks) == 0 {
		return nil
	}
	const nameW, checkW = 40, 40
	sep := strings.Join([]string{dashes(typeWidth), dashes(nameW), dashes(checkW), dashes(9), dashes(9), dashes(8)}, "|")
	p.line("Checkpoints")
	p.line("%-8s %s %s %9s %9s %8s", "Type", pad("Name", nameW), pad("Check", checkW), "# pass", "# fail", "pass %")
	p.line("%s", sep)
	for _, c := range s.Checks {
		p.line("%-8s %s %s %9d %9d %7.2f%%", fit(c.Request.Method, typeWidth), pad(fit(c.Request.Name, nameW), nameW),
			pad(fitEnd(c.Name, checkW), checkW), c.Pass, c.Fail, passRatio(c)*100)
	}
	p.line("%s", sep)
	p.line("")
	return p.err
}

// passRatio is the share of evaluations that passed; 0 when never evaluated,
// because a check that never ran has not shown that it passes.
func passRatio(c *stats.CheckEntry) float64 {
	if c.Pass+c.Fail == 0 {
		return 0
	}
	return float64(c.Pass) / float64(c.Pass+c.Fail)
}

// WriteRendezvous writes what each rendezvous point did: how many groups it
// released and why, the group sizes and how long users waited. Nothing is
// written when the scenario has no rendezvous.
func WriteRendezvous(w io.Writer, s *stats.Snapshot) error {
	p := &printer{w: w}
	if len(s.Rendezvous) == 0 {
		return nil
	}
	const nameW = 30
	sep := strings.Join([]string{dashes(nameW), dashes(7), dashes(9), dashes(9), dashes(11), dashes(22), dashes(24)}, "|")
	p.line("Rendezvous")
	p.line("%s %7s %9s %9s %10s | %-20s | %s", pad("Name", nameW), "groups", "by count", "timeout", "shortfall", "size min/avg/max", "wait p50/p95/max (ms)")
	p.line("%s", sep)
	for _, r := range s.Rendezvous {
		avg := 0.0
		if r.Sizes != nil {
			avg = Finite(r.Sizes.Mean())
		}
		p.line("%s %7d %9d %9d %10d | %6d %6.1f %6d | %7s %7s %7s", pad(fit(r.Name, nameW), nameW),
			r.Groups, r.ByCount, r.ByTimeout, r.ByShortfall,
			HistValue(r.Sizes, 0), avg, HistValue(r.Sizes, 100),
			ConsoleMs(HistTime(r.Wait, 50)), ConsoleMs(HistTime(r.Wait, 95)), ConsoleMs(HistTime(r.Wait, 100)))
	}
	p.line("%s", sep)
	p.line("")
	return p.err
}

// WritePacing writes how well each paced task kept its schedule. When any
// start was late or skipped it adds why that matters: closed-model
// response-time percentiles cannot show that delay. Nothing is written when
// no task is paced.
func WritePacing(w io.Writer, s *stats.Snapshot) error {
	p := &printer{w: w}
	if len(s.Pacing) == 0 {
		return nil
	}
	const nameW = 40
	sep := strings.Join([]string{dashes(nameW), dashes(10), dashes(8), dashes(9), dashes(27)}, "|")
	p.line("Pacing")
	p.line("%s %10s %8s %8s | %s", pad("Task", nameW), "iterations", "late", "skipped", "lateness p50/p99/max (ms)")
	p.line("%s", sep)
	behind := false
	for _, t := range s.Pacing {
		behind = behind || t.Late > 0 || t.Skipped > 0
		p.line("%s %10d %8d %8d | %8s %8s %8s", pad(fit(t.Task, nameW), nameW), t.Iterations, t.Late, t.Skipped,
			ConsoleMs(HistTime(t.Lateness, 50)), ConsoleMs(HistTime(t.Lateness, 99)), ConsoleMs(HistTime(t.Lateness, 100)))
	}
	p.line("%s", sep)
	if behind {
		p.line("")
		p.line("Response-time percentiles cannot show this delay: a closed-model user stuck behind a slow response starts its next iteration late (or skips it), and that wait is never measured as latency.")
	}
	p.line("")
	return p.err
}

// WriteThresholds writes each threshold's verdict with the value measured,
// ✓ or ✗, and on failure why. Nothing is written when there are none.
func WriteThresholds(w io.Writer, results []thresholds.Result) error {
	p := &printer{w: w}
	if len(results) == 0 {
		return nil
	}
	width := 0
	for _, r := range results {
		width = max(width, len([]rune(thresholdName(r))))
	}
	p.line("Thresholds")
	for _, r := range results {
		mark, value := "✓", r.Value
		if !r.Pass {
			mark = "✗"
		}
		if value == "" {
			value = "-"
		}
		msg := ""
		if !r.Pass && r.Message != "" {
			msg = "  " + cell(r.Message)
		}
		if r.Aborted {
			msg += "  (ended the run early)"
		}
		p.line("%s %s  %10s%s", mark, pad(thresholdName(r), width), cell(value), msg)
	}
	p.line("")
	return p.err
}

// thresholdName is the rule as a reader finds it in the scenario,
// prefixed by the request it is limited to.
func thresholdName(r thresholds.Result) string {
	if r.Request == "" {
		return cell(r.Rule)
	}
	return cell(r.Request + ": " + r.Rule)
}

// WriteSummary writes the whole end-of-run console output: the final
// statistics table (whole-run average rates), percentiles, request phases
// (when recorded), errors, checks, rendezvous, pacing, thresholds and the
// warnings a reader needs before trusting the numbers.
func WriteSummary(w io.Writer, run Run, s *stats.Snapshot) error {
	p := &printer{w: w}
	statsTable(p, s, true)
	if p.err != nil {
		return p.err
	}
	for _, write := range []func(io.Writer, *stats.Snapshot) error{WritePercentiles, WritePhases, WriteErrors, WriteChecks, WriteRendezvous, WritePacing, WriteOpen} {
		if err := write(w, s); err != nil {
			return err
		}
	}
	if err := WriteThresholds(w, run.Thresholds); err != nil {
		return err
	}
	warnings := Warnings(run, s)
	if len(warnings) == 0 {
		return nil
	}
	p.line("Warnings")
	for _, warning := range warnings {
		p.line("! %s", cell(warning))
	}
	p.line("")
	return p.err
}

// Warnings are the run's warnings plus the saturation warning, which
// is derived from the snapshot so that every report agrees on it.
func Warnings(run Run, s *stats.Snapshot) []string {
	warnings := append([]string(nil), run.Warnings...)
	if s.Saturated {
		warnings = append(warnings, fmt.Sprintf("generator CPU was saturated (%.0f%%): latencies include loadrun's own queueing", Finite(s.CPU)))
	}
	return warnings
}
