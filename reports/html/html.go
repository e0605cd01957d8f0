// Package html renders a run's results as one self-contained HTML document:
// run parameters, charts over time, the request, percentile, phase, failure,
// checkpoint, threshold, rendezvous and pacing tables, and the warnings a
// reader needs before trusting the numbers. The file opens offline and
// fetches nothing: its styles, its script and the chart library (uPlot,
// vendored in assets/) are embedded.
//
// Everything that came from the target (request names, error texts) goes
// through html/template's contextual escaping, and the chart data travels
// as JSON in a <script type="application/json"> block, so a response
// carrying markup or script shows as text and never runs.
package html

import (
	"bytes"
	_ "embed"
	"fmt"
	htmltemplate "html/template"
	"io"
	"sort"

	"github.com/loadrun/loadrun/reports"
	"github.com/loadrun/loadrun/stats"
)

// UPlotVersion is the version of the vendored chart library, named in the
// report's footer.
const UPlotVersion = "1.6.32"

var (
	//go:embed assets/uPlot.iife.min.js
	uplotJS string
	//go:embed assets/uPlot.min.css
	uplotCSS string
	//go:embed report.js
	reportJS string
	//go:embed report.css
	reportCSS string
	//go:embed report.html.tmpl
	reportTmpl string
)

// UPlotJS is the vendored chart library (uPlot, MIT, assets/uPlot.LICENSE),
// for other pages that draw charts (the web UI) to embed the same copy.
func UPlotJS() string { return uplotJS }

// UPlotCSS is the chart library's style sheet, as UPlotJS.
func UPlotCSS() string { return uplotCSS }

// page is parsed once: a template that does not parse is a bug of this
// package, found by any test.
var page = htmltemplate.Must(htmltemplate.New("report").Parse(reportTmpl))

// Write renders the whole report as one self-contained HTML document. The
// document is built in memory first so that a failure leaves w untouched
// rather than holding half a page; s may be nil (an empty run).
func Write(w io.Writer, run reports.Run, s *stats.Snapshot) error {
	if s == nil {
		s = &stats.Snapshot{}
	}
	var buf bytes.Buffer
	if err := page.Execute(&buf, build(run, s)); err != nil {
		return fmt.Errorf("html report: %w", err)
	}
	if _, err := w.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("html report: %w", err)
	}
	return nil
}

// view is what the template shows, formatted in Go so the template stays
// markup and every number is formatted one way.
type view struct {
	Run runView
	// Verdict is the PASSED/FAILED banner; nil when the run has no verdict
	// (a live run, or a summary written before verdicts were recorded).
	Verdict    *verdictView
	Tiles      []tile
	Warnings   []string
	Thresholds []thresholdRow
	// ThresholdsFailed counts the failed thresholds for the heading.
	ThresholdsFailed int
	Entries          []entryRow
	Total            entryRow
	PctLabels        []string
	PctRows          []pctRow
	ErrorGroups      []errorGroup
	Checks           []checkRow
	Rendezvous       []rendezvousRow
	Pacing           []pacingRow
	// Behind is true when a paced task started late or skipped a start.
	Behind bool
	// Open is the open model's arrivals; nil for a closed-model run.
	Open   *openView
	Charts chartData
	// ChartCaption says what the charts cover ("62 points over 1m2s").
	ChartCaption string
	// Workers is the workers table of a distributed run (workers.go).
	Workers *workersView

	// Phases is empty unless the run recorded request phases; PhasesTotal
	// is their Aggregated row.
	Phases      []phaseRow
	PhasesTotal phaseRow

	// The embedded assets, typed so html/template inserts them verbatim:
	// they are this package's own files, never data from a run.
	UPlotJS   htmltemplate.JS
	UPlotCSS  htmltemplate.CSS
	ReportJS  htmltemplate.JS
	ReportCSS htmltemplate.CSS
	UPlot     string
}

// runView is the run's parameters, formatted.
type runView struct {
	Scenario, File, Host               string
	Users, SpawnRate, RunTime          string
	Iterations, Load                   string
	Start, End, Duration, Version      string
	HasFile, HasIterations, HasVersion bool
}

// verdictView is the run's outcome as the banner shows it.
type verdictView struct {
	Pass     bool
	Label    string // PASSED or FAILED
	Reason   string
	ExitCode int
}

func buildVerdict(v reports.Verdict) *verdictView {
	if !v.Known() {
		return nil
	}
	label := "FAILED"
	if v.Pass {
		label = "PASSED"
	}
	return &verdictView{Pass: v.Pass, Label: label, Reason: v.Reason, ExitCode: v.ExitCode}
}

// tile is one headline number at the top of the page.
type tile struct {
	Label, Value, Note string
	// Bad colours the tile as a failure (failures > 0, a failed threshold).
	Bad bool
}

type thresholdRow struct {
	Request, Rule, Value, Message string
	Pass, Aborted                 bool
}

type entryRow struct {
	Method, Name                         string
	Requests, Failures, FailRatio        string
	Avg, Min, Max, Median                string
	RPS, FailPerSec, AvgSize, OutOfRange string
	HasFailures                          bool
}

type pctRow struct {
	Method, Name string
	Values       []string
	Requests     int64
}

// errorGroup is the failures of one request, most frequent error first.
type errorGroup struct {
	Method, Name string
	Total        int64
	Errors       []errorRow
}

type errorRow struct {
	Error string
	Count int64
	Share string
}

type checkRow struct {
	Method, Name, Check string
	Pass, Fail          int64
	Ratio               string
	// Percent is the pass share, 0..100, for the bar behind the ratio.
	Percent float64
	Failed  bool
}

type rendezvousRow struct {
	Name                                  string
	Groups, ByCount, ByTimeout, Shortfall int64
	SizeMin, SizeAvg, SizeMax             string
	WaitP50, WaitP95, WaitMax             string
}

// openView is what the open model's arrivals did, formatted.
type openView struct {
	Arrivals, Dropped, Late  int64
	DroppedRatio, WorstDrops string
	MaxLag                   string
	Bad                      bool
}

type pacingRow struct {
	Task                      string
	Iterations, Late, Skipped int64
	LateP50, LateP99, LateMax string
	Behind                    bool
}

// build formats the run and its snapshot for the template.
func build(run reports.Run, s *stats.Snapshot) *view {
	total := s.Total
	if total == nil {
		total = &stats.Entry{Key: stats.Key{Name: stats.AggregatedName}}
	}
	elapsed := s.Duration()
	v := &view{
		Run:       buildRun(run, s),
		Verdict:   buildVerdict(run.Verdict),
		Warnings:  reports.Warnings(run, s),
		Entries:   make([]entryRow, 0, len(s.Entries)),
		Total:     buildEntry(total, s),
		Charts:    buildCharts(s.History),
		Workers:   buildWorkers(run.Workers),
		UPlotJS:   htmltemplate.JS(uplotJS),
		UPlotCSS:  htmltemplate.CSS(uplotCSS),
		ReportJS:  htmltemplate.JS(reportJS),
		ReportCSS: htmltemplate.CSS(reportCSS),
		UPlot:     UPlotVersion,
	}
	if n := len(s.History); n > 0 {
		v.ChartCaption = fmt.Sprintf("%d points over %s", n, fmtDuration(chartSpan(s.History)))
	}
	for _, e := range s.Entries {
		v.Entries = append(v.Entries, buildEntry(e, s))
	}
	for _, q := range stats.Percentiles() {
		v.PctLabels = append(v.PctLabels, reports.PercentileLabel(q))
	}
	for _, e := range append(append([]*stats.Entry(nil), s.Entries...), total) {
		if e.Requests == e.Unsent {
			continue // no distribution to show, as the console leaves it out
		}
		row := pctRow{Method: e.Method, Name: e.Name, Requests: e.Requests}
		for _, q := range stats.Percentiles() {
			row.Values = append(row.Values, fmtMs(e.Percentile(q)))
		}
		v.PctRows = append(v.PctRows, row)
	}
	for _, r := range run.Thresholds {
		v.Thresholds = append(v.Thresholds, thresholdRow{Request: r.Request, Rule: r.Rule,
			Value: r.Value, Message: r.Message, Pass: r.Pass, Aborted: r.Aborted})
		if !r.Pass {
			v.ThresholdsFailed++
		}
	}
	v.Phases, v.PhasesTotal = buildPhases(s)
	v.ErrorGroups = errorGroups(s.Errors)
	for _, c := range s.Checks {
		ratio := 0.0
		if c.Pass+c.Fail > 0 {
			ratio = float64(c.Pass) / float64(c.Pass+c.Fail)
		}
		v.Checks = append(v.Checks, checkRow{Method: c.Request.Method, Name: c.Request.Name, Check: c.Name,
			Pass: c.Pass, Fail: c.Fail, Ratio: fmtPercent(ratio), Percent: ratio * 100,
			Failed: c.Fail > 0 || c.Pass == 0})
	}
	for _, r := range s.Rendezvous {
		v.Rendezvous = append(v.Rendezvous, rendezvousRow{Name: r.Name, Groups: r.Groups,
			ByCount: r.ByCount, ByTimeout: r.ByTimeout, Shortfall: r.ByShortfall,
			SizeMin: fmt.Sprint(reports.HistValue(r.Sizes, 0)), SizeAvg: fmt.Sprintf("%.1f", reports.HistMean(r.Sizes)),
			SizeMax: fmt.Sprint(reports.HistValue(r.Sizes, 100)),
			WaitP50: fmtMs(reports.HistTime(r.Wait, 50)), WaitP95: fmtMs(reports.HistTime(r.Wait, 95)), WaitMax: fmtMs(reports.HistTime(r.Wait, 100))})
	}
	for _, t := range s.Pacing {
		behind := t.Late > 0 || t.Skipped > 0
		v.Behind = v.Behind || behind
		v.Pacing = append(v.Pacing, pacingRow{Task: t.Task, Iterations: t.Iterations, Late: t.Late,
			Skipped: t.Skipped, Behind: behind,
			LateP50: fmtMs(reports.HistTime(t.Lateness, 50)), LateP99: fmtMs(reports.HistTime(t.Lateness, 99)), LateMax: fmtMs(reports.HistTime(t.Lateness, 100))})
	}
	if o := s.Open; o != nil {
		worst := 0.0
		for _, p := range s.History {
			worst = max(worst, p.DroppedPerSec)
		}
		v.Open = &openView{Arrivals: o.Arrivals, Dropped: o.Dropped, Late: o.Late, DroppedRatio: fmtPercent(o.DroppedRatio()),
			WorstDrops: fmt.Sprintf("%.1f", reports.Finite(worst)), MaxLag: fmtMs(o.MaxLag), Bad: o.Dropped > 0}
	}
	v.Tiles = []tile{
		{Label: "Requests", Value: fmt.Sprint(total.Requests), Note: fmtRate(total.RPS(elapsed)) + " req/s"},
		{Label: "Failures", Value: fmt.Sprint(total.Failures), Note: fmtPercent(total.FailRatio()), Bad: total.Failures > 0},
		{Label: "Median", Value: entryMs(total, total.Median()) + " ms", Note: "avg " + entryMs(total, total.Avg()) + " ms"},
		{Label: "p95", Value: entryMs(total, total.Percentile(95)) + " ms", Note: "p99 " + entryMs(total, total.Percentile(99)) + " ms"},
		{Label: "Peak users", Value: fmt.Sprint(peakUsers(run, s)), Note: "duration " + fmtDuration(elapsed)},
	}
	if v.Open != nil {
		v.Tiles = append(v.Tiles, tile{Label: "Dropped", Value: fmt.Sprint(v.Open.Dropped), Note: v.Open.DroppedRatio + " of " + fmt.Sprint(v.Open.Arrivals) + " arrivals", Bad: v.Open.Bad})
	}
	if len(run.Thresholds) > 0 {
		t := tile{Label: "Thresholds", Value: fmt.Sprintf("%d/%d", len(run.Thresholds)-v.ThresholdsFailed, len(run.Thresholds)), Note: "passed"}
		t.Bad = v.ThresholdsFailed > 0
		v.Tiles = append(v.Tiles, t)
	}
	return v
}

func buildRun(run reports.Run, s *stats.Snapshot) runView {
	start, end := run.Start, run.End
	if start.IsZero() {
		start = s.Start
	}
	if end.IsZero() {
		end = s.Time
	}
	r := runView{
		Scenario: run.Scenario, File: run.File, Host: run.Host,
		Users: fmt.Sprint(run.Users), SpawnRate: reports.SpawnRateText(run.SpawnRate),
		RunTime: "until stopped", Iterations: fmt.Sprint(run.Iterations),
		Start: fmtTime(start), End: fmtTime(end), Duration: fmtDuration(end.Sub(start)),
		Version: run.Version, HasFile: run.File != "", HasIterations: run.Iterations > 0, HasVersion: run.Version != "",
		Load: run.Load,
	}
	if run.RunTime > 0 {
		r.RunTime = fmtDuration(run.RunTime)
	}
	if r.Scenario == "" {
		r.Scenario = "(unnamed scenario)"
	}
	return r
}

func buildEntry(e *stats.Entry, s *stats.Snapshot) entryRow {
	elapsed := s.Duration()
	row := entryRow{
		Method: e.Method, Name: e.Name,
		Requests: fmt.Sprint(e.Requests), Failures: fmt.Sprint(e.Failures), FailRatio: fmtPercent(e.FailRatio()),
		Avg: entryMs(e, e.Avg()), Min: entryMs(e, e.MinTime), Max: entryMs(e, e.MaxTime), Median: entryMs(e, e.Median()),
		RPS: fmtRate(e.RPS(elapsed)), FailPerSec: fmtRate(e.FailPerSec(elapsed)),
		AvgSize: fmtBytes(e.AvgContentBytes()), HasFailures: e.Failures > 0,
	}
	if e.OutOfRange > 0 {
		row.OutOfRange = fmt.Sprint(e.OutOfRange)
	}
	return row
}

// errorGroups groups the error table by request, requests in the
// snapshot's order (by name, then method), errors by count, most first.
func errorGroups(errs []*stats.ErrorEntry) []errorGroup {
	index := make(map[stats.Key]int)
	var groups []errorGroup
	for _, e := range errs {
		i, ok := index[e.Key]
		if !ok {
			i = len(groups)
			index[e.Key] = i
			groups = append(groups, errorGroup{Method: e.Method, Name: e.Name})
		}
		groups[i].Total += e.Count
		groups[i].Errors = append(groups[i].Errors, errorRow{Error: e.Error, Count: e.Count})
	}
	sort.SliceStable(groups, func(i, j int) bool {
		if groups[i].Name != groups[j].Name {
			return groups[i].Name < groups[j].Name
		}
		return groups[i].Method < groups[j].Method
	})
	for gi := range groups {
		g := &groups[gi]
		sort.SliceStable(g.Errors, func(i, j int) bool { return g.Errors[i].Count > g.Errors[j].Count })
		for i := range g.Errors {
			g.Errors[i].Share = fmtPercent(float64(g.Errors[i].Count) / float64(max(g.Total, 1)))
		}
	}
	return groups
}

// peakUsers is the most users seen in the history, or the snapshot's or
// run's count when there is no history.
func peakUsers(run reports.Run, s *stats.Snapshot) int {
	peak := s.Users
	for _, p := range s.History {
		peak = max(peak, p.Users)
	}
	if peak == 0 {
		peak = run.Users
	}
	return peak
}
