package session

import (
	"fmt"
	"strings"

	"github.com/loadrun/loadrun/engine"
	"github.com/loadrun/loadrun/reports"
	"github.com/loadrun/loadrun/stats"
	"github.com/loadrun/loadrun/thresholds"
)

// Exit codes of a finished run, as reports.Verdict carries them.
const (
	ExitPass    = 0 // every threshold held (no thresholds: no request failed)
	ExitFail    = 1 // a threshold, checkpoint or request failed
	ExitNothing = 3 // nothing was measured, or the target never answered
)

// Outcome is what a verdict is judged on.
type Outcome struct {
	// Snapshot is the run's final statistics.
	Snapshot *stats.Snapshot
	// Thresholds are the evaluated rules (none: Locust's rule, no request may fail).
	Thresholds []thresholds.Result
	// Answered is true when any byte of any response arrived.
	Answered bool
	// Users is the number of users asked for.
	Users int
}

// Judge decides a run's verdict. It is a pure function of the outcome:
//
//   - nothing measured (no request was sent, or every one was cut by the
//     end of the run or failed before it was sent) is exit 3, whatever the
//     thresholds say: a run that measured nothing has not passed;
//   - no response byte ever arrived is exit 3 (the target never answered),
//     with the kind of failure (timeouts, TLS verification, refused);
//   - otherwise thresholds decide, and failed checkpoints fail the run
//     unless a checks rule rules on them; without thresholds any failed
//     request fails the run.
func Judge(o Outcome) reports.Verdict {
	v := reports.Verdict{DefaultRule: len(o.Thresholds) == 0}
	s := o.Snapshot
	var requests, failures, unsent int64
	if s != nil && s.Total != nil {
		requests, failures, unsent = s.Total.Requests, s.Total.Failures, s.Total.Unsent
	}
	cut := cutRequests(s)
	if measured := requests - unsent - cut; measured <= 0 {
		v.ExitCode, v.NothingMeasured = ExitNothing, true
		v.Reason = "nothing was measured: " + nothingReason(o, requests, unsent, cut)
		return v
	}
	if !o.Answered {
		v.ExitCode = ExitNothing
		v.Reason = "the target never answered: " + neverAnswered(s)
		return v
	}
	if v.DefaultRule {
		if failures > 0 {
			v.ExitCode = ExitFail
			v.Reason = fmt.Sprintf("%d of %d requests failed (no thresholds: no request may fail)", failures, requests)
			return v
		}
		v.Pass = true
		v.Reason = fmt.Sprintf("all %d requests succeeded (no thresholds: no request may fail)", requests)
		return v
	}
	checksRuled, failed := false, 0
	first := ""
	for _, res := range o.Thresholds {
		if !res.Pass {
			failed++
			if first == "" {
				first = describeRule(res)
			}
		}
		if res.OnChecks() {
			checksRuled = true
		}
	}
	if failed > 0 {
		v.ExitCode = ExitFail
		v.Reason = fmt.Sprintf("%d of %d thresholds failed: %s", failed, len(o.Thresholds), first)
		return v
	}
	if !checksRuled && s != nil {
		for _, c := range s.Checks {
			if c.Fail > 0 {
				v.ExitCode = ExitFail
				v.Reason = fmt.Sprintf("checkpoint %q failed %d times (no checks threshold rules on checkpoints)", c.Name, c.Fail)
				return v
			}
		}
	}
	v.Pass = true
	v.Reason = fmt.Sprintf("all %d thresholds held", len(o.Thresholds))
	return v
}

func describeRule(r thresholds.Result) string {
	name := r.Rule
	if r.Request != "" {
		name = r.Request + ": " + name
	}
	if r.Message != "" {
		return fmt.Sprintf("%q (%s)", name, r.Message)
	}
	return fmt.Sprintf("%q", name)
}

// cutRequests counts the requests cut by the end of the run.
func cutRequests(s *stats.Snapshot) int64 {
	if s == nil {
		return 0
	}
	var n int64
	for _, e := range s.Errors {
		if e.Error == engine.CutAtEnd {
			n += e.Count
		}
	}
	return n
}

// nothingReason says why nothing was measured.
func nothingReason(o Outcome, requests, unsent, cut int64) string {
	switch {
	case requests == 0 && o.Users == 0:
		return "the run had no users (-u 0), so no request was sent"
	case requests == 0:
		return "no request was sent"
	case unsent == requests:
		return fmt.Sprintf("every request (%d) failed before it was sent: %s", requests, topError(o.Snapshot, ""))
	case cut == requests && !o.Answered:
		return fmt.Sprintf("every request (%d) was still waiting for its response when the run ended; the target never answered", requests)
	case cut == requests:
		return fmt.Sprintf("every request (%d) was still waiting for its response when the run ended", requests)
	}
	return fmt.Sprintf("of %d requests, %d were still waiting for their response when the run ended and %d failed before they were sent (%s)", requests, cut, unsent, topError(o.Snapshot, engine.CutAtEnd))
}

// neverAnswered says how the requests of a run that got no response byte
// failed, naming the remedy where there is one.
func neverAnswered(s *stats.Snapshot) string {
	top := topError(s, engine.CutAtEnd)
	low := strings.ToLower(top)
	switch {
	case strings.Contains(low, "certificate") || strings.Contains(low, "x509"):
		return "TLS certificate verification failed (" + top + "); for a test system with a self-signed certificate, --insecure skips the check"
	case strings.Contains(low, "timeout") || strings.Contains(low, "timed out"):
		return "every request timed out (" + top + ")"
	case top == "":
		return "no response byte ever arrived"
	}
	return "no response byte ever arrived (" + top + "); check the host and that it is up"
}

// topError is the most frequent failure text other than skip.
func topError(s *stats.Snapshot, skip string) string {
	if s == nil {
		return ""
	}
	var best *stats.ErrorEntry
	counts := map[string]int64{}
	for _, e := range s.Errors {
		if e.Error == skip {
			continue
		}
		counts[e.Error] += e.Count
		if best == nil || counts[e.Error] > counts[best.Error] {
			best = e
		}
	}
	if best == nil {
		return ""
	}
	return best.Error
}
