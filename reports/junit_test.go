package reports

import (
	"bytes"
	"encoding/xml"
	"strings"
	"testing"
	"time"

	"github.com/loadrun/loadrun/stats"
	"github.com/loadrun/loadrun/thresholds"
)

func parseJUnit(t *testing.T, data []byte) junitSuites {
	t.Helper()
	var doc junitSuites
	if err := xml.Unmarshal(data, &doc); err != nil {
		t.Fatalf("output is not valid XML: %v\n%s", err, data)
	}
	return doc
}

func TestJUnitCounts(t *testing.T) {
	run, s := fixture()
	var b bytes.Buffer
	if err := WriteJUnit(&b, run, s); err != nil {
		t.Fatal(err)
	}
	doc := parseJUnit(t, b.Bytes())
	// 3 thresholds (2 failed), 2 checks (1 failed) and the verdict's
	// "something was measured" (passed).
	if doc.Tests != 6 || doc.Failures != 3 || len(doc.Suites) != 3 {
		t.Fatalf("testsuites: tests=%d failures=%d suites=%d, want 6, 3, 3\n%s", doc.Tests, doc.Failures, len(doc.Suites), b.String())
	}
	tests := []struct {
		suite, name, wantFailure string // "" = passed
	}{
		// A global threshold that held.
		{"loadrun shop: thresholds", "p95 < 300ms", ""},
		// A failed threshold: rule, measured value, message, abort.
		{"loadrun shop: thresholds", "GET /status/503: fail_ratio < 1%", "fail_ratio < 1%: measured 100%: 100% of 40 requests failed: ended the run early"},
		// Nothing measured: no value part.
		{"loadrun shop: thresholds", "GET /missing: p99 < 1s", "p99 < 1s: no samples for GET /missing"},
		// A check that always passed.
		{"loadrun shop: checks", "status 200", ""},
	}
	for _, tt := range tests {
		c := findCase(doc, tt.suite, tt.name, tt.wantFailure != "")
		if c == nil {
			t.Errorf("no test case %q in %q", tt.name, tt.suite)
			continue
		}
		switch {
		case tt.wantFailure == "" && c.Failure != nil:
			t.Errorf("%q failed: %q, want a pass", tt.name, c.Failure.Message)
		case tt.wantFailure != "" && (c.Failure == nil || c.Failure.Message != tt.wantFailure):
			t.Errorf("%q failure = %+v, want message %q", tt.name, c.Failure, tt.wantFailure)
		}
	}
	c := findCase(doc, "loadrun shop: checks", "status 200", true)
	if c == nil || c.Classname != "checks.GET /status/503" || c.Failure.Message != "40 of 40 failed" ||
		!strings.Contains(c.Failure.Text, "40× HTTP 503 Service Unavailable") {
		t.Errorf("failed check case = %+v", c)
	}
}

// findCase finds a case by suite and name, and by whether it failed, since
// the same check name appears under several requests.
func findCase(doc junitSuites, suite, name string, failed bool) *junitCase {
	for _, s := range doc.Suites {
		for i, c := range s.Cases {
			if s.Name == suite && c.Name == name && (c.Failure != nil) == failed {
				return &s.Cases[i]
			}
		}
	}
	return nil
}

// TestJUnitEscapes feeds text from the target that would break XML if it
// were written as is, and checks it parses back unchanged.
func TestJUnitEscapes(t *testing.T) {
	s := stats.New(t0, 1)
	k := stats.Key{Method: "GET", Name: `/a?x=1&y=<2>"'`}
	s.Recorder(0).Request(k, msf(1), 0, `check body has "<ok/>": got ]]> & more`)
	s.Recorder(0).Check(k, `body has "<ok/>"`, false)
	run := Run{Scenario: `a&b`, Thresholds: []thresholds.Result{{Request: "GET " + k.Name, Rule: "p95 < 1ms", Value: "2ms", Message: "<boom>\n&"}}}
	var b bytes.Buffer
	if err := WriteJUnit(&b, run, s.Snapshot(t0.Add(1))); err != nil {
		t.Fatal(err)
	}
	doc := parseJUnit(t, b.Bytes())
	if doc.Tests != 2 || doc.Failures != 2 {
		t.Fatalf("tests=%d failures=%d, want 2, 2\n%s", doc.Tests, doc.Failures, b.String())
	}
	check := doc.Suites[1].Cases[0]
	if want := `1 of 1 failed: check body has "<ok/>": got ]]> & more`; check.Failure.Message != want {
		t.Errorf("check failure message = %q, want %q", check.Failure.Message, want)
	}
	if want := "p95 < 1ms: measured 2ms: <boom>\n&"; doc.Suites[0].Cases[0].Failure.Message != want {
		t.Errorf("threshold failure message = %q, want %q", doc.Suites[0].Cases[0].Failure.Message, want)
	}
}

func TestJUnitNothingToReport(t *testing.T) {
	var b bytes.Buffer
	if err := WriteJUnit(&b, Run{}, stats.New(t0, 1).Snapshot(t0)); err != nil {
		t.Fatal(err)
	}
	if doc := parseJUnit(t, b.Bytes()); doc.Tests != 0 || len(doc.Suites) != 0 {
		t.Errorf("a run without thresholds or checks has %d tests in %d suites, want none", doc.Tests, len(doc.Suites))
	}
}

// TestJUnitAgreesWithVerdict: whatever made the run fail, the JUnit file
// has a failed test case, and a passed run has none, so a CI tool shows
// green exactly when the exit code is 0.
func TestJUnitAgreesWithVerdict(t *testing.T) {
	k := stats.Key{Method: "GET", Name: "/"}
	snap := func(requests, failures int, checkFails int) *stats.Snapshot {
		st := stats.New(time.Unix(0, 0), 1)
		r := st.Recorder(0)
		for i := range requests {
			errText := ""
			if i < failures {
				errText = "HTTP 500"
			}
			r.Request(k, time.Millisecond, 0, errText)
			r.Check(k, "status 200", i >= checkFails)
		}
		return st.Snapshot(time.Unix(1, 0))
	}
	checksRule := thresholds.Result{Rule: "checks > 50%", Metric: "checks", Value: "90%", Pass: true}
	tests := []struct {
		name       string
		run        Run
		s          *stats.Snapshot
		wantFailed []string // names of the failed cases, in order
		wantCases  []string // cases that must be there and pass
	}{
		// No thresholds, no failure: the default rule passes.
		{"default rule held", Run{Verdict: Verdict{Pass: true, DefaultRule: true, Reason: "all 10 requests succeeded"}},
			snap(10, 0, 0), nil, []string{junitMeasured, junitDefaultRule}},
		// No thresholds, failed requests: the default rule's case fails (the
		// failed checks too, as no checks rule rules on them).
		{"default rule broken", Run{Verdict: Verdict{ExitCode: 1, DefaultRule: true, Reason: "3 of 10 requests failed"}},
			snap(10, 3, 3), []string{"status 200", junitDefaultRule}, []string{junitMeasured}},
		// Nothing measured: its own case fails, with the reason.
		{"nothing measured", Run{Verdict: Verdict{ExitCode: 3, DefaultRule: true, NothingMeasured: true, Reason: "nothing was measured: every request was cut"}},
			snap(0, 0, 0), []string{junitMeasured}, []string{junitDefaultRule}},
		// The target never answered: exit 3 too.
		{"never answered", Run{Verdict: Verdict{ExitCode: 3, Reason: "the target never answered: 10 timeouts"},
			Thresholds: []thresholds.Result{{Rule: "p95 < 1s", Metric: "p95", Value: "1ms", Pass: true}}},
			snap(10, 0, 0), []string{junitMeasured}, []string{"p95 < 1s"}},
		// A checks threshold that held rules on failed checks: no red case.
		{"checks ruled", Run{Verdict: Verdict{Pass: true, Reason: "all 1 thresholds held"}, Thresholds: []thresholds.Result{checksRule}},
			snap(10, 0, 1), nil, []string{"status 200", "checks > 50%", junitMeasured}},
		// A failed verdict no other case explains still shows red.
		{"unexplained failure", Run{Verdict: Verdict{ExitCode: 1, Reason: "interrupted"}, Thresholds: []thresholds.Result{checksRule}},
			snap(10, 0, 0), []string{junitVerdict}, []string{junitMeasured}},
		// No verdict (a live run, an old summary): no verdict cases.
		{"no verdict", Run{}, snap(10, 0, 0), nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := WriteJUnit(&b, tt.run, tt.s); err != nil {
				t.Fatal(err)
			}
			doc := parseJUnit(t, b.Bytes())
			var failed []string
			passed := map[string]bool{}
			for _, s := range doc.Suites {
				for _, c := range s.Cases {
					if c.Failure != nil {
						failed = append(failed, c.Name)
					} else {
						passed[c.Name] = true
					}
				}
			}
			if strings.Join(failed, "|") != strings.Join(tt.wantFailed, "|") {
				t.Errorf("failed cases %q, want %q\n%s", failed, tt.wantFailed, b.String())
			}
			for _, name := range tt.wantCases {
				if !passed[name] {
					t.Errorf("no passed case %q\n%s", name, b.String())
				}
			}
			if (doc.Failures == 0) != (tt.run.Verdict.Pass || !tt.run.Verdict.Known()) {
				t.Errorf("%d failures for verdict %+v", doc.Failures, tt.run.Verdict)
			}
		})
	}
}
