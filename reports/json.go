package reports

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
	"github.com/loadrun/loadrun/stats"
	"github.com/loadrun/loadrun/thresholds"
)

// SchemaVersion is the version of the JSON summary written by WriteJSON.
// It changes only when a field changes meaning or is removed; new fields
// may appear within a version. Every field is documented in JSON.md.
const SchemaVersion = 1

// The JSON summary holds two kinds of fields: the measurements a person or
// script reads (rates, milliseconds, ratios) and the raw data ReadJSON
// rebuilds a Snapshot from (counts, exact nanosecond sums, encoded HDR
// histograms). Derived fields are written for readers and ignored on read,
// so a summary can never disagree with the Snapshot rebuilt from it.

type summaryJSON struct {
	SchemaVersion  int              `json:"schema_version"`
	LoadrunVersion string           `json:"loadrun_version"`
	Run            runJSON          `json:"run"`
	Snapshot       snapshotJSON     `json:"snapshot"`
	Requests       []*entryJSON     `json:"requests"`
	Aggregated     *entryJSON       `json:"aggregated"`
	Errors         []errorJSON      `json:"errors"`
	Checks         []checkJSON      `json:"checks"`
	Verdict        *verdictJSON     `json:"verdict"`
	Thresholds     []thresholdJSON  `json:"thresholds"`
	Rendezvous     []rendezvousJSON `json:"rendezvous"`
	Pacing         []pacingJSON     `json:"pacing"`
	Phases         []phaseJSON      `json:"phases"`
	History        []pointJSON      `json:"history"`
	Warnings       []string         `json:"warnings"`
	// Open is the open model's arrivals; absent for a closed-model run.
	Open *openJSON `json:"open,omitempty"`
	// Workers is only written for a distributed run.
	Workers []Worker `json:"workers,omitempty"`
}

type runJSON struct {
	Scenario       string    `json:"scenario"`
	File           string    `json:"file"`
	Host           string    `json:"host"`
	Users          int       `json:"users"`
	SpawnRate      float64   `json:"spawn_rate"`
	RunTimeSeconds float64   `json:"run_time_seconds"`
	Iterations     int64     `json:"iterations"`
	Load           string    `json:"load,omitempty"`
	Start          time.Time `json:"start"`
	End            time.Time `json:"end"`
}

type snapshotJSON struct {
	Start           time.Time `json:"start"`
	Time            time.Time `json:"time"`
	DurationSeconds float64   `json:"duration_seconds"`
	Users           int       `json:"users"`
	CPUPercent      float64   `json:"cpu_percent"`
	Saturated       bool      `json:"saturated"`
}

type entryJSON struct {
	Method            string          `json:"method"`
	Name              string          `json:"name"`
	Requests          int64           `json:"requests"`
	Failures          int64           `json:"failures"`
	FailRatio         float64         `json:"fail_ratio"`
	RPS               float64         `json:"rps"`
	FailPerSec        float64         `json:"fail_per_sec"`
	CurrentRPS        float64         `json:"current_rps"`
	CurrentFailPerSec float64         `json:"current_fail_per_sec"`
	AvgMs             float64         `json:"avg_ms"`
	MinMs             float64         `json:"min_ms"`
	MaxMs             float64         `json:"max_ms"`
	MedianMs          float64         `json:"median_ms"`
	PercentilesMs     percentilesJSON `json:"percentiles_ms"`
	AvgContentBytes   float64         `json:"avg_content_bytes"`
	ContentBytes      int64           `json:"content_bytes"`
	TotalTimeNs       int64           `json:"total_time_ns"`
	OutOfRange        int64           `json:"out_of_range"`
	Unsent            int64           `json:"unsent"`
	Histogram         string          `json:"histogram"`
}

// percentilesJSON is {"50": ms, "66": ms, ...} in Locust's order, which a
// Go map would lose (encoding/json sorts map keys as strings: "100" first).
type percentilesJSON []float64

func (p percentilesJSON) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, v := range p {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "%q:%s", strconv.FormatFloat(stats.Percentiles()[i], 'f', -1, 64), strconv.FormatFloat(Finite(v), 'f', -1, 64))
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// UnmarshalJSON accepts the object and ignores it: percentiles are derived
// from the histogram on read.
func (p *percentilesJSON) UnmarshalJSON([]byte) error { return nil }

type errorJSON struct {
	Method string `json:"method"`
	Name   string `json:"name"`
	Error  string `json:"error"`
	Count  int64  `json:"count"`
}

type checkJSON struct {
	Method    string  `json:"method"`
	Name      string  `json:"name"`
	Check     string  `json:"check"`
	Pass      int64   `json:"pass"`
	Fail      int64   `json:"fail"`
	PassRatio float64 `json:"pass_ratio"`
}

type verdictJSON struct {
	Pass            bool   `json:"pass"`
	ExitCode        int    `json:"exit_code"`
	Reason          string `json:"reason"`
	DefaultRule     bool   `json:"default_rule"`
	NothingMeasured bool   `json:"nothing_measured"`
}

type thresholdJSON struct {
	Request string `json:"request"`
	Rule    string `json:"rule"`
	Metric  string `json:"metric"`
	Value   string `json:"value"`
	Pass    bool   `json:"pass"`
	Message string `json:"message"`
	Aborted bool   `json:"aborted"`
}

type rendezvousJSON struct {
	Name           string  `json:"name"`
	Groups         int64   `json:"groups"`
	ByCount        int64   `json:"by_count"`
	ByTimeout      int64   `json:"by_timeout"`
	ByShortfall    int64   `json:"by_shortfall"`
	SizeMin        int64   `json:"size_min"`
	SizeAvg        float64 `json:"size_avg"`
	SizeMax        int64   `json:"size_max"`
	WaitP50Ms      float64 `json:"wait_p50_ms"`
	WaitP95Ms      float64 `json:"wait_p95_ms"`
	WaitMaxMs      float64 `json:"wait_max_ms"`
	SizesHistogram string  `json:"sizes_histogram"`
	WaitHistogram  string  `json:"wait_histogram"`
}

type pacingJSON struct {
	Task              string  `json:"task"`
	Iterations        int64   `json:"iterations"`
	Late              int64   `json:"late"`
	Skipped           int64   `json:"skipped"`
	LatenessP50Ms     float64 `json:"lateness_p50_ms"`
	LatenessP99Ms     float64 `json:"lateness_p99_ms"`
	LatenessMaxMs     float64 `json:"lateness_max_ms"`
	LatenessHistogram string  `json:"lateness_histogram"`
}

type pointJSON struct {
	Time       time.Time `json:"time"`
	Seconds    float64   `json:"seconds"`
	Users      int       `json:"users"`
	RPS        float64   `json:"rps"`
	FailPerSec float64   `json:"fail_per_sec"`
	P50Ms      float64   `json:"p50_ms"`
	P95Ms      float64   `json:"p95_ms"`
	P99Ms      float64   `json:"p99_ms"`
	// PctMs are the interval's percentiles at Locust's percentiles, in
	// their order (absent from summaries written before them).
	PctMs                []float64 `json:"percentiles_ms"`
	Requests             int64     `json:"requests"`
	Failures             int64     `json:"failures"`
	TotalMedianMs        float64   `json:"total_median_ms"`
	TotalAvgMs           float64   `json:"total_avg_ms"`
	TotalMinMs           float64   `json:"total_min_ms"`
	TotalMaxMs           float64   `json:"total_max_ms"`
	TotalAvgContentBytes float64   `json:"total_avg_content_bytes"`
	// DroppedPerSec is the open model's dropped arrivals per second.
	DroppedPerSec float64 `json:"dropped_per_sec,omitempty"`
}

// WriteJSON writes the versioned JSON summary of a run (see JSON.md): run
// parameters, every statistic the other reports show, and the HDR
// histograms, so that ReadJSON can rebuild the Snapshot and any report,
// the HTML one included, can be rendered later from the file alone.
func WriteJSON(w io.Writer, run Run, s *stats.Snapshot) error {
	sum, err := toJSON(run, s)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	// Rules such as "p95 < 300ms" and URLs with "&" stay readable; the
	// summary is never embedded in HTML as is.
	enc.SetEscapeHTML(false)
	return enc.Encode(sum)
}

func toJSON(run Run, s *stats.Snapshot) (*summaryJSON, error) {
	el := s.Duration()
	sum := &summaryJSON{
		SchemaVersion:  SchemaVersion,
		LoadrunVersion: run.Version,
		Run: runJSON{Scenario: run.Scenario, File: run.File, Host: run.Host, Users: run.Users,
			SpawnRate: Finite(run.SpawnRate), RunTimeSeconds: run.RunTime.Seconds(), Iterations: run.Iterations,
			Load: run.Load, Start: run.Start, End: run.End},
		Snapshot: snapshotJSON{Start: s.Start, Time: s.Time, DurationSeconds: max(el, 0).Seconds(),
			Users: s.Users, CPUPercent: Finite(s.CPU), Saturated: s.Saturated},
		Requests:   []*entryJSON{},
		Errors:     []errorJSON{},
		Checks:     []checkJSON{},
		Thresholds: []thresholdJSON{},
		Rendezvous: []rendezvousJSON{},
		Pacing:     []pacingJSON{},
		History:    []pointJSON{},
		Warnings:   append([]string{}, Warnings(run, s)...),
		Open:       openToJSON(s.Open),
		Workers:    run.Workers,
	}
	var err error
	for _, e := range s.Entries {
		sum.Requests = append(sum.Requests, entryToJSON(e, el, &err))
	}
	sum.Aggregated = entryToJSON(total(s), el, &err)
	for _, e := range s.Errors {
		sum.Errors = append(sum.Errors, errorJSON{e.Method, e.Name, e.Error, e.Count})
	}
	for _, c := range s.Checks {
		sum.Checks = append(sum.Checks, checkJSON{c.Request.Method, c.Request.Name, c.Name, c.Pass, c.Fail, passRatio(c)})
	}
	for _, t := range run.Thresholds {
		sum.Thresholds = append(sum.Thresholds, thresholdJSON{Request: t.Request, Rule: t.Rule, Metric: t.Metric,
			Value: t.Value, Pass: t.Pass, Message: t.Message, Aborted: t.Aborted})
	}
	if v := run.Verdict; v.Known() {
		sum.Verdict = &verdictJSON{Pass: v.Pass, ExitCode: v.ExitCode, Reason: v.Reason,
			DefaultRule: v.DefaultRule, NothingMeasured: v.NothingMeasured}
	}
	for _, r := range s.Rendezvous {
		avg := 0.0
		if r.Sizes != nil {
			avg = Finite(r.Sizes.Mean())
		}
		sum.Rendezvous = append(sum.Rendezvous, rendezvousJSON{
			Name: r.Name, Groups: r.Groups, ByCount: r.ByCount, ByTimeout: r.ByTimeout, ByShortfall: r.ByShortfall,
			SizeMin: HistValue(r.Sizes, 0), SizeAvg: avg, SizeMax: HistValue(r.Sizes, 100),
			WaitP50Ms: ms(HistTime(r.Wait, 50)), WaitP95Ms: ms(HistTime(r.Wait, 95)), WaitMaxMs: ms(HistTime(r.Wait, 100)),
			SizesHistogram: encodeHist(r.Sizes, &err), WaitHistogram: encodeHist(r.Wait, &err),
		})
	}
	for _, p := range s.Pacing {
		sum.Pacing = append(sum.Pacing, pacingJSON{
			Task: p.Task, Iterations: p.Iterations, Late: p.Late, Skipped: p.Skipped,
			LatenessP50Ms: ms(HistTime(p.Lateness, 50)), LatenessP99Ms: ms(HistTime(p.Lateness, 99)),
			LatenessMaxMs: ms(HistTime(p.Lateness, 100)), LatenessHistogram: encodeHist(p.Lateness, &err),
		})
	}
	sum.Phases = phasesToJSON(s.Phases, &err)
	for _, p := range s.History {
		pct := make([]float64, len(p.Pct))
		for i, d := range p.Pct {
			pct[i] = ms(d)
		}
		sum.History = append(sum.History, pointJSON{Time: p.Time, Seconds: Finite(p.Seconds), Users: p.Users,
			RPS: Finite(p.RPS), FailPerSec: Finite(p.FailPerSec), P50Ms: ms(p.P50), P95Ms: ms(p.P95), P99Ms: ms(p.P99),
			PctMs: pct, Requests: p.Requests, Failures: p.Failures,
			TotalMedianMs: ms(p.TotalMedian), TotalAvgMs: ms(p.TotalAvg), TotalMinMs: ms(p.TotalMin), TotalMaxMs: ms(p.TotalMax),
			TotalAvgContentBytes: Finite(p.TotalAvgContentBytes), DroppedPerSec: Finite(p.DroppedPerSec)})
	}
	return sum, err
}

func entryToJSON(e *stats.Entry, el time.Duration, err *error) *entryJSON {
	pct := make(percentilesJSON, len(stats.Percentiles()))
	for i, p := range stats.Percentiles() {
		pct[i] = ms(e.Percentile(p))
	}
	return &entryJSON{
		Method: e.Method, Name: e.Name, Requests: e.Requests, Failures: e.Failures,
		FailRatio: e.FailRatio(), RPS: e.RPS(el), FailPerSec: e.FailPerSec(el),
		CurrentRPS: Finite(e.CurrentRPS), CurrentFailPerSec: Finite(e.CurrentFailPerSec),
		AvgMs: avgMs(e), MinMs: ms(e.MinTime), MaxMs: ms(e.MaxTime), MedianMs: ms(e.Median()),
		PercentilesMs: pct, AvgContentBytes: e.AvgContentBytes(), ContentBytes: e.ContentBytes,
		TotalTimeNs: int64(e.SumTime), OutOfRange: e.OutOfRange, Unsent: e.Unsent, Histogram: encodeHist(e.Hist, err),
	}
}

// encodeHist is the HdrHistogram V2 compressed encoding (already base64),
// readable by every HdrHistogram implementation; "" for no histogram. The
// first error is kept in *err so that the callers stay one expression each.
func encodeHist(h *hdrhistogram.PackedHistogram, err *error) string {
	if h == nil {
		return ""
	}
	b, e := h.Encode()
	if e != nil && *err == nil {
		*err = fmt.Errorf("encoding a histogram: %w", e)
	}
	return string(b)
}

// ReadJSON reads a summary written by WriteJSON and rebuilds the run and an
// equivalent Snapshot: the same counts, exact times and histograms, so every
// report rendered from it shows the same numbers as the original. Derived
// fields (rates, percentiles, ratios) are recomputed, not read.
func ReadJSON(r io.Reader) (Run, *stats.Snapshot, error) {
	var sum summaryJSON
	dec := json.NewDecoder(r)
	if err := dec.Decode(&sum); err != nil {
		return Run{}, nil, fmt.Errorf("reading the JSON summary: %w", err)
	}
	switch {
	case sum.SchemaVersion == 0:
		return Run{}, nil, errors.New("not a loadrun JSON summary: it has no schema_version")
	case sum.SchemaVersion > SchemaVersion:
		return Run{}, nil, fmt.Errorf("the JSON summary has schema_version %d; this loadrun reads up to %d, a newer loadrun wrote it", sum.SchemaVersion, SchemaVersion)
	}
	var errs []error
	decode := func(field, enc string) *hdrhistogram.PackedHistogram {
		if enc == "" {
			return nil
		}
		h, err := hdrhistogram.DecodePacked([]byte(enc))
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: not an HDR histogram: %w", field, err))
		}
		return h
	}
	s := &stats.Snapshot{Start: sum.Snapshot.Start, Time: sum.Snapshot.Time, Users: sum.Snapshot.Users,
		CPU: sum.Snapshot.CPUPercent, Saturated: sum.Snapshot.Saturated, Open: openFromJSON(sum.Open)}
	for i, e := range sum.Requests {
		if e == nil {
			errs = append(errs, fmt.Errorf("requests[%d] is null", i))
			continue
		}
		s.Entries = append(s.Entries, entryFromJSON(e, decode(fmt.Sprintf("requests[%d].histogram", i), e.Histogram)))
	}
	if sum.Aggregated != nil {
		s.Total = entryFromJSON(sum.Aggregated, decode("aggregated.histogram", sum.Aggregated.Histogram))
	} else {
		s.Total = total(s)
	}
	for _, e := range sum.Errors {
		s.Errors = append(s.Errors, &stats.ErrorEntry{Key: stats.Key{Method: e.Method, Name: e.Name}, Error: e.Error, Count: e.Count})
	}
	for _, c := range sum.Checks {
		s.Checks = append(s.Checks, &stats.CheckEntry{Request: stats.Key{Method: c.Method, Name: c.Name}, Name: c.Check, Pass: c.Pass, Fail: c.Fail})
	}
	for i, r := range sum.Rendezvous {
		s.Rendezvous = append(s.Rendezvous, &stats.RendezvousEntry{Name: r.Name, Groups: r.Groups,
			ByCount: r.ByCount, ByTimeout: r.ByTimeout, ByShortfall: r.ByShortfall,
			Sizes: decode(fmt.Sprintf("rendezvous[%d].sizes_histogram", i), r.SizesHistogram),
			Wait:  decode(fmt.Sprintf("rendezvous[%d].wait_histogram", i), r.WaitHistogram)})
	}
	for i, p := range sum.Pacing {
		s.Pacing = append(s.Pacing, &stats.PacingEntry{Task: p.Task, Iterations: p.Iterations, Late: p.Late, Skipped: p.Skipped,
			Lateness: decode(fmt.Sprintf("pacing[%d].lateness_histogram", i), p.LatenessHistogram)})
	}
	s.Phases = phasesFromJSON(sum.Phases, decode)
	for _, p := range sum.History {
		pt := stats.Point{Time: p.Time, Users: p.Users, RPS: p.RPS, FailPerSec: p.FailPerSec,
			P50: fromMs(p.P50Ms), P95: fromMs(p.P95Ms), P99: fromMs(p.P99Ms),
			Requests: p.Requests, Failures: p.Failures, Seconds: p.Seconds, DroppedPerSec: p.DroppedPerSec,
			TotalMedian: fromMs(p.TotalMedianMs), TotalAvg: fromMs(p.TotalAvgMs), TotalMin: fromMs(p.TotalMinMs),
			TotalMax: fromMs(p.TotalMaxMs), TotalAvgContentBytes: p.TotalAvgContentBytes}
		for i := range min(len(p.PctMs), len(pt.Pct)) {
			pt.Pct[i] = fromMs(p.PctMs[i])
		}
		s.History = append(s.History, pt)
	}
	run := Run{Scenario: sum.Run.Scenario, File: sum.Run.File, Host: sum.Run.Host, Users: sum.Run.Users,
		SpawnRate: sum.Run.SpawnRate, RunTime: time.Duration(math.Round(sum.Run.RunTimeSeconds * float64(time.Second))),
		Iterations: sum.Run.Iterations, Load: sum.Run.Load, Start: sum.Run.Start, End: sum.Run.End, Version: sum.LoadrunVersion,
		Warnings: runWarnings(sum.Warnings, s), Workers: sum.Workers}
	for _, t := range sum.Thresholds {
		run.Thresholds = append(run.Thresholds, thresholds.Result{Request: t.Request, Rule: t.Rule, Metric: t.Metric,
			Value: t.Value, Pass: t.Pass, Message: t.Message, Aborted: t.Aborted})
	}
	if v := sum.Verdict; v != nil {
		run.Verdict = Verdict{Pass: v.Pass, ExitCode: v.ExitCode, Reason: v.Reason,
			DefaultRule: v.DefaultRule, NothingMeasured: v.NothingMeasured}
	}
	if err := errors.Join(errs...); err != nil {
		return Run{}, nil, fmt.Errorf("reading the JSON summary: %w", err)
	}
	return run, s, nil
}

// runWarnings drops the saturation warning WriteJSON added from the
// snapshot, so that it is not shown twice by reports of the rebuilt run.
func runWarnings(warnings []string, s *stats.Snapshot) []string {
	derived := Warnings(Run{}, s)
	if n := len(warnings) - len(derived); n >= 0 && len(derived) > 0 && warnings[n] == derived[0] {
		warnings = warnings[:n]
	}
	if len(warnings) == 0 {
		return nil
	}
	return warnings
}

func entryFromJSON(e *entryJSON, h *hdrhistogram.PackedHistogram) *stats.Entry {
	return &stats.Entry{Key: stats.Key{Method: e.Method, Name: e.Name}, Requests: e.Requests, Failures: e.Failures,
		Hist: h, SumTime: time.Duration(e.TotalTimeNs), MinTime: fromMs(e.MinMs), MaxTime: fromMs(e.MaxMs),
		ContentBytes: e.ContentBytes, OutOfRange: e.OutOfRange, Unsent: e.Unsent,
		CurrentRPS: e.CurrentRPS, CurrentFailPerSec: e.CurrentFailPerSec}
}
