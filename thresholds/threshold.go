package thresholds

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	didyoumean "github.com/loadrun/loadrun/internal/suggest"
	"github.com/loadrun/loadrun/scenario"
)

// kind is what a metric measures, which decides how its value is written,
// compared and shown.
type kind int

const (
	kindDuration kind = iota + 1 // "300ms"
	kindRatio                    // "1%" or "0.01"
	kindCount                    // "1000"
	kindRate                     // "100" (per second)
)

// trend is how a metric can move as a run goes on; it decides when a
// failing rule can never pass again.
type trend int

const (
	mayRecover trend = iota // ratios, percentiles, means, rates
	onlyUp                  // counts and max
	onlyDown                // min
)

type metric struct {
	name  string
	kind  kind
	trend trend
}

// metrics are the names a rule may start with; pNN is handled apart.
var metrics = map[string]metric{
	"avg":            {"avg", kindDuration, mayRecover},
	"med":            {"med", kindDuration, mayRecover},
	"min":            {"min", kindDuration, onlyDown},
	"max":            {"max", kindDuration, onlyUp},
	"fail_ratio":     {"fail_ratio", kindRatio, mayRecover},
	"failures":       {"failures", kindCount, onlyUp},
	"requests":       {"requests", kindCount, onlyUp},
	"rps":            {"rps", kindRate, mayRecover},
	"checks":         {"checks", kindRatio, mayRecover},
	"check_failures": {"check_failures", kindCount, onlyUp},
	"dropped":        {"dropped", kindCount, onlyUp},
	"dropped_ratio":  {"dropped_ratio", kindRatio, mayRecover},
}

var ops = []string{"<=", ">=", "==", "!=", "<", ">"}

// Threshold is a parsed rule, ready to be evaluated on snapshots.
type Threshold struct {
	// Pos is where the rule is written.
	Pos scenario.Pos
	// Request limits the rule to one request ("GET /x", or "/x" for every
	// method); "" is the whole run.
	Request string
	// Rule as written.
	Rule string
	// Abort and Grace are the scenario's: end the run once the rule can
	// never pass, but not before Grace has passed since the start.
	Abort bool
	Grace time.Duration

	metric     metric
	percentile float64 // for pNN
	op         string
	// value is in the unit measure returns: nanoseconds for durations, 0..1
	// for ratios. float64 holds both exactly up to 2^53 (104 days in ns).
	value float64
	raw   string // value as written, for messages
}

// Parse reads a rule `METRIC OP VALUE` (see README.md). A bad rule is a
// *scenario.Error at t.Pos.
func Parse(t *scenario.Threshold) (*Threshold, error) {
	th := &Threshold{Pos: t.Pos, Request: t.Request, Rule: t.Rule, Abort: t.Abort, Grace: t.Grace}
	bad := func(format string, args ...any) error {
		return scenario.Errorf(t.Pos, "threshold %q: %s", t.Rule, fmt.Sprintf(format, args...))
	}
	rule := strings.TrimSpace(t.Rule)
	end := strings.IndexAny(rule, "<>=! \t")
	if end <= 0 {
		if rule == "" {
			return nil, bad("empty rule: want METRIC OP VALUE, e.g. p95 < 300ms")
		}
		return nil, bad("want METRIC OP VALUE, e.g. p95 < 300ms")
	}
	name := rule[:end]
	rest := strings.TrimSpace(rule[end:])
	m, p, err := lookupMetric(name)
	if err != nil {
		return nil, bad("%v", err)
	}
	th.metric, th.percentile = m, p
	if strings.HasPrefix(m.name, "dropped") && t.Request != "" {
		return nil, bad("%s counts the arrivals of the whole run, not of one request; remove request", m.name)
	}
	for _, op := range ops {
		if strings.HasPrefix(rest, op) {
			th.op = op
			break
		}
	}
	if th.op == "" {
		return nil, bad("want an operator (<, <=, >, >=, ==, !=) after %s", name)
	}
	raw := strings.TrimSpace(rest[len(th.op):])
	if raw == "" {
		return nil, bad("missing value after %s", th.op)
	}
	th.raw = raw
	if th.value, err = parseValue(m.kind, raw); err != nil {
		return nil, bad("%v", err)
	}
	return th, nil
}

func lookupMetric(name string) (metric, float64, error) {
	switch name {
	case "median", "p50":
		return metrics["med"], 50, nil
	}
	if m, ok := metrics[name]; ok {
		if m.name == "med" {
			return m, 50, nil
		}
		return m, 0, nil
	}
	if num, ok := strings.CutPrefix(name, "p"); ok && num != "" {
		p, err := strconv.ParseFloat(num, 64)
		if err != nil || p <= 0 || p > 100 || strings.ContainsAny(num, "eE+-") || math.IsNaN(p) {
			return metric{}, 0, fmt.Errorf("bad percentile %q: want p followed by a number in (0, 100], e.g. p95 or p99.9", name)
		}
		// The canonical name ("p95" for "p095") is what Result.Metric gives.
		return metric{"p" + strconv.FormatFloat(p, 'f', -1, 64), kindDuration, mayRecover}, p, nil
	}
	return metric{}, 0, fmt.Errorf("unknown metric %q%s; known: pNN (p95, p99.9), avg, med, min, max, fail_ratio, failures, requests, rps, checks, check_failures, dropped, dropped_ratio",
		name, suggest(name))
}

// suggest is a "did you mean" for a misspelled metric.
func suggest(name string) string {
	known := make([]string, 0, len(metrics))
	for m := range metrics {
		known = append(known, m)
	}
	sort.Strings(known) // ties go to the first name, the same every time
	best := didyoumean.Closest(name, known)
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}

func parseValue(k kind, raw string) (float64, error) {
	switch k {
	case kindDuration:
		d, err := time.ParseDuration(raw)
		if err != nil || d < 0 {
			if _, numErr := strconv.ParseFloat(raw, 64); numErr == nil && raw != "0" {
				return 0, fmt.Errorf("bad duration %q: want a unit, e.g. %sms", raw, raw)
			}
			return 0, fmt.Errorf("bad duration %q: want e.g. 300ms, 1.5s or 2m", raw)
		}
		return float64(d), nil
	case kindRatio:
		if num, ok := strings.CutSuffix(raw, "%"); ok {
			v, err := strconv.ParseFloat(strings.TrimSpace(num), 64)
			if err != nil || v < 0 || v > 100 || math.IsNaN(v) {
				return 0, fmt.Errorf("bad percentage %q: want 0%% to 100%%, e.g. 1%%", raw)
			}
			return v / 100, nil
		}
		v, err := strconv.ParseFloat(raw, 64)
		if err != nil || v < 0 || v > 1 || math.IsNaN(v) {
			return 0, fmt.Errorf("bad ratio %q: want a percentage (1%%) or a fraction from 0 to 1 (0.01)", raw)
		}
		return v, nil
	case kindCount:
		v, err := strconv.ParseInt(raw, 10, 64)
		if err != nil || v < 0 {
			return 0, fmt.Errorf("bad count %q: want a whole number of 0 or more", raw)
		}
		return float64(v), nil
	default:
		v, err := strconv.ParseFloat(raw, 64)
		if err != nil || v < 0 || math.IsNaN(v) || math.IsInf(v, 0) {
			return 0, fmt.Errorf("bad rate %q: want requests per second, e.g. 100", raw)
		}
		return v, nil
	}
}
