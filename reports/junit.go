package reports

import (
	"encoding/xml"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/loadrun/loadrun/stats"
)

// JUnit XML has no formal standard; this is the common subset that Jenkins,
// GitLab, GitHub Actions reporters and Azure DevOps read: testsuites >
// testsuite > testcase, a failure element with a message attribute.

type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name      string      `xml:"name,attr"`
	Tests     int         `xml:"tests,attr"`
	Failures  int         `xml:"failures,attr"`
	Time      string      `xml:"time,attr"`
	Timestamp string      `xml:"timestamp,attr,omitempty"`
	Cases     []junitCase `xml:"testcase"`
}

type junitCase struct {
	Classname string        `xml:"classname,attr"`
	Name      string        `xml:"name,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *junitFailure `xml:"failure,omitempty"`
	SystemOut string        `xml:"system-out,omitempty"`
}

type junitFailure struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",chardata"`
}

// Names of the verdict's own test cases.
const (
	junitMeasured    = "something was measured"
	junitDefaultRule = "no request failed (no thresholds: no request may fail)"
	junitVerdict     = "run verdict"
)

// WriteJUnit writes the run's verdicts as JUnit XML for CI, so that a CI
// tool shows green exactly when the exit code is 0: a test case per
// threshold (failed when the rule did not hold), per checkpoint (failed when
// any response failed the check, unless a checks threshold rules on
// checkpoints and passed), and, once the run has a verdict, "something was
// measured" (failed when nothing was, or the target never answered) and,
// without thresholds, the default rule "no request failed". A failed
// verdict that none of those cases shows gets a failed "run verdict" case.
// Text from the target is escaped by the encoder; characters XML cannot
// carry become U+FFFD.
func WriteJUnit(w io.Writer, run Run, s *stats.Snapshot) error {
	secs := strconv.FormatFloat(max(s.Duration(), 0).Seconds(), 'f', 3, 64)
	stamp := ""
	if !run.Start.IsZero() {
		stamp = run.Start.UTC().Format("2006-01-02T15:04:05")
	}
	prefix := "loadrun"
	if run.Scenario != "" {
		prefix += " " + run.Scenario
	}
	doc := junitSuites{Name: prefix, Time: secs}
	if len(run.Thresholds) > 0 {
		suite := junitSuite{Name: prefix + ": thresholds", Time: secs, Timestamp: stamp}
		for _, r := range run.Thresholds {
			c := junitCase{Classname: "thresholds", Name: thresholdTitle(r.Request, r.Rule), Time: "0"}
			if !r.Pass {
				c.Failure = &junitFailure{Type: "threshold", Message: thresholdFailure(r.Rule, r.Value, r.Message, r.Aborted)}
				c.Failure.Text = c.Failure.Message
			}
			suite.add(c)
		}
		doc.add(suite)
	}
	checksRuled := false
	for _, r := range run.Thresholds {
		checksRuled = checksRuled || r.OnChecks()
	}
	if len(s.Checks) > 0 {
		suite := junitSuite{Name: prefix + ": checks", Time: secs, Timestamp: stamp}
		for _, k := range s.Checks {
			c := junitCase{Classname: "checks." + k.Request.String(), Name: k.Name, Time: "0"}
			if k.Fail > 0 {
				f := checkFailure(k, s.Errors)
				if checksRuled {
					// A checks threshold decides what failed checks mean;
					// its own case fails if they were too many.
					c.SystemOut = f.Text + "\n(a checks threshold rules on checkpoints)"
				} else {
					c.Failure = f
				}
			}
			suite.add(c)
		}
		doc.add(suite)
	}
	if v := run.Verdict; v.Known() {
		doc.add(verdictSuite(v, s, doc.Failures, junitSuite{Name: prefix + ": verdict", Time: secs, Timestamp: stamp}))
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

// verdictSuite holds the cases that make the JUnit file agree with the
// exit code: failedSoFar is how many cases of the other suites failed.
func verdictSuite(v Verdict, s *stats.Snapshot, failedSoFar int, suite junitSuite) junitSuite {
	measured := junitCase{Classname: "verdict", Name: junitMeasured, Time: "0"}
	if v.NothingMeasured || v.ExitCode == 3 {
		measured.Failure = &junitFailure{Type: "nothing measured", Message: v.Reason, Text: v.Reason}
	}
	suite.add(measured)
	if v.DefaultRule {
		c := junitCase{Classname: "verdict", Name: junitDefaultRule, Time: "0"}
		var requests, failures int64
		if s.Total != nil {
			requests, failures = s.Total.Requests, s.Total.Failures
		}
		if failures > 0 {
			msg := fmt.Sprintf("%d of %d requests failed", failures, requests)
			c.Failure = &junitFailure{Type: "default rule", Message: msg, Text: msg}
		}
		suite.add(c)
	}
	if !v.Pass && failedSoFar+suite.Failures == 0 {
		msg := fmt.Sprintf("exit code %d: %s", v.ExitCode, v.Reason)
		suite.add(junitCase{Classname: "verdict", Name: junitVerdict, Time: "0",
			Failure: &junitFailure{Type: "verdict", Message: msg, Text: msg}})
	}
	return suite
}

func (s *junitSuite) add(c junitCase) {
	s.Tests++
	if c.Failure != nil {
		s.Failures++
	}
	s.Cases = append(s.Cases, c)
}

func (d *junitSuites) add(s junitSuite) {
	d.Tests += s.Tests
	d.Failures += s.Failures
	d.Suites = append(d.Suites, s)
}

func thresholdTitle(request, rule string) string {
	if request == "" {
		return rule
	}
	return request + ": " + rule
}

// thresholdFailure says what was wanted, what was measured and why it failed.
func thresholdFailure(rule, value, message string, aborted bool) string {
	parts := []string{rule}
	if value != "" {
		parts = append(parts, "measured "+value)
	}
	if message != "" {
		parts = append(parts, message)
	}
	if aborted {
		parts = append(parts, "ended the run early")
	}
	return strings.Join(parts, ": ")
}

// checkFailure is "3 of 1200 failed", followed by the most frequent error of
// the request that names the check: the snapshot keeps failure texts per
// request, not per check, so the check's name is how its message is found.
// The text lists every error of the request with its count.
func checkFailure(k *stats.CheckEntry, errs []*stats.ErrorEntry) *junitFailure {
	f := &junitFailure{Type: "check", Message: fmt.Sprintf("%d of %d failed", k.Fail, k.Pass+k.Fail)}
	var text strings.Builder
	named := false
	for _, e := range errs { // most frequent first
		if e.Key != k.Request {
			continue
		}
		if !named && k.Name != "" && strings.Contains(e.Error, k.Name) {
			f.Message += ": " + e.Error
			named = true
		}
		fmt.Fprintf(&text, "%d× %s\n", e.Count, e.Error)
	}
	f.Text = f.Message
	if text.Len() > 0 {
		f.Text += "\nerrors of " + k.Request.String() + ":\n" + text.String()
	}
	return f
}
