// Package thresholds turns pass/fail criteria such as "p95 < 300ms" or
// "fail_ratio < 1%" into a verdict over a stats.Snapshot.
package thresholds

// Result is the verdict of one threshold at the end of (or during) a run.
type Result struct {
	// Request is the request the rule is limited to ("" = all requests),
	// as written ("GET /api/cart" or "/api/cart").
	Request string
	// Rule as written, e.g. "p95 < 300ms".
	Rule string
	// Metric is what the rule measures, by its canonical name: "p95",
	// "p99.9", "med" (also for median and p50), "avg", "min", "max",
	// "fail_ratio", "failures", "requests", "rps", "checks",
	// "check_failures", "dropped" or "dropped_ratio". Code that needs to know what a rule is about reads
	// it here instead of parsing Rule again.
	Metric string
	// Value is the measured value, formatted in the rule's unit ("287ms",
	// "0.4%"); empty when there was nothing to measure.
	Value string
	// Pass is true only when the rule held on real samples: a rule over a
	// request that never ran, or with no samples, fails.
	Pass bool
	// Message explains a failure ("no samples for GET /api/cart").
	Message string
	// Aborted is true when this rule ended the run early.
	Aborted bool
}

// OnChecks reports whether the rule is about checkpoints ("checks > 99%",
// "check_failures == 0"): such a rule then decides what failed checks mean
// for the run's verdict.
func (r Result) OnChecks() bool {
	return r.Metric == "checks" || r.Metric == "check_failures"
}
