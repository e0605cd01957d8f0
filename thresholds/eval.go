package thresholds

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/loadrun/loadrun/stats"
)

// Eval judges the rule on s. Durations are compared on the exact values the
// snapshot reports (histogram percentiles over every sample, exact avg, min
// and max). A rule over a request that never ran, or with nothing to
// measure, fails with a message saying so: it never passes by default.
func (t *Threshold) Eval(s *stats.Snapshot) Result {
	r := Result{Request: t.Request, Rule: t.Rule, Metric: t.metric.name}
	v, missing := t.measure(s)
	if missing != "" {
		r.Message = missing
		return r
	}
	r.Value = t.format(v)
	r.Pass = t.holds(v)
	if !r.Pass {
		r.Message = fmt.Sprintf("%s is %s, want %s %s", t.subject(), r.Value, t.op, t.raw)
	}
	return r
}

// CanNeverPass reports whether the rule has failed for good on s, for
// aborting a run early: a count or max that only grows has passed its upper
// bound (failures == 0 broken, max < 2s exceeded), or a min that only
// shrinks its lower bound. Rules that could still recover (percentiles,
// ratios, means, rates) report whether they fail now; the engine applies the
// grace period. Nothing measured yet is never final.
func (t *Threshold) CanNeverPass(s *stats.Snapshot) bool {
	v, missing := t.measure(s)
	if missing != "" || t.holds(v) {
		return false
	}
	switch t.metric.trend {
	case onlyUp:
		switch t.op {
		case "<", "<=":
			return true
		case "==":
			return v > t.value
		}
		return false
	case onlyDown:
		switch t.op {
		case ">", ">=":
			return true
		case "==":
			return v < t.value
		}
		return false
	}
	return true
}

func (t *Threshold) holds(v float64) bool {
	switch t.op {
	case "<":
		return v < t.value
	case "<=":
		return v <= t.value
	case ">":
		return v > t.value
	case ">=":
		return v >= t.value
	case "==":
		return v == t.value
	default:
		return v != t.value
	}
}

// subject names what is measured in messages: "p95 of GET /x".
func (t *Threshold) subject() string {
	if t.Request == "" {
		return t.metric.name
	}
	return t.metric.name + " of " + t.Request
}

// measure returns the rule's metric on s in the unit of t.value, or why
// there is nothing to measure.
func (t *Threshold) measure(s *stats.Snapshot) (v float64, missing string) {
	what := t.Request
	if what == "" {
		what = "any request"
	}
	if s == nil {
		return 0, "no samples for " + what
	}
	switch t.metric.name {
	case "checks", "check_failures":
		pass, fail, found := s.CheckCounts(t.Request)
		if !found || pass+fail == 0 {
			return 0, "no checks ran for " + what
		}
		if t.metric.name == "checks" {
			return float64(pass) / float64(pass+fail), ""
		}
		return float64(fail), ""
	case "dropped", "dropped_ratio":
		return measureDropped(t.metric.name, s)
	}
	e := s.Find(t.Request)
	if e == nil || e.Requests == 0 {
		return 0, "no samples for " + what
	}
	switch t.metric.name {
	case "avg":
		return float64(e.Avg()), ""
	case "min":
		return float64(e.MinTime), ""
	case "max":
		return float64(e.MaxTime), ""
	case "fail_ratio":
		return e.FailRatio(), ""
	case "failures":
		return float64(e.Failures), ""
	case "requests":
		return float64(e.Requests), ""
	case "rps":
		if s.Duration() <= 0 {
			return 0, "no run time yet to measure rps of " + what
		}
		return e.RPS(s.Duration()), ""
	}
	return float64(e.Percentile(t.percentile)), ""
}

// format shows a measured value in the rule's unit: "287ms", "0.4%", "1200".
func (t *Threshold) format(v float64) string {
	switch t.metric.kind {
	case kindDuration:
		return formatDuration(time.Duration(v))
	case kindRatio:
		return trimFloat(v*100, 2) + "%"
	case kindCount:
		return strconv.FormatInt(int64(v), 10)
	default:
		return trimFloat(v, 1)
	}
}

// formatDuration rounds to three significant digits, enough to compare
// with a limit and short enough to read: 287ms, 1.23s, 850µs.
func formatDuration(d time.Duration) string {
	unit := time.Duration(1)
	for x := d; x >= 1000; x /= 10 {
		unit *= 10
	}
	return d.Round(unit).String()
}

// trimFloat formats v with at most prec decimals and no trailing zeros.
func trimFloat(v float64, prec int) string {
	s := strconv.FormatFloat(v, 'f', prec, 64)
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	return s
}

// measureDropped is the open model's dropped arrivals, in total or as a
// share of the arrivals that fell due. A run without arrivals (the closed
// model, or nothing due yet) has nothing to measure, so the rule fails
// rather than passing by default.
func measureDropped(metric string, s *stats.Snapshot) (float64, string) {
	if s.Open == nil || s.Open.Arrivals == 0 {
		return 0, "no arrivals: " + metric + " measures the open model (load: arrival_rate, or --arrival-rate)"
	}
	if metric == "dropped" {
		return float64(s.Open.Dropped), ""
	}
	return s.Open.DroppedRatio(), ""
}
