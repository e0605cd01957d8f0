package reports

// Verdict is a run's outcome, as its exit code gives it. The run session
// decides it; every report shows the same one (the console's Result line,
// the JSON summary, a JUnit test case, the HTML banner), so a CI tool never
// shows green for a run that failed.
type Verdict struct {
	// Pass is true only when ExitCode is 0.
	Pass bool
	// ExitCode is the process exit code: 0 passed, 1 failed, 3 nothing was
	// measured (or the target never answered).
	ExitCode int
	// Reason is one line for people: why the run failed or passed, e.g.
	// "12 of 300 requests failed (no thresholds: no request may fail)" or
	// "nothing was measured: every request was still waiting when the run ended".
	Reason string
	// DefaultRule is true when no thresholds were given, so the verdict is
	// Locust's rule: no request may fail.
	DefaultRule bool
	// NothingMeasured is true when no request completed or was sent.
	NothingMeasured bool
}

// Known reports whether the verdict was decided: a live run, or a summary
// written before verdicts were recorded, has the zero Verdict, which
// reports show as no verdict at all rather than as a failure.
func (v Verdict) Known() bool { return v != Verdict{} }
