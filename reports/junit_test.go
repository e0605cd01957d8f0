package reports

import (
	"bytes"
	"encoding/xml"
	"strings"
	"testing"

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
	// 3 thresholds (2 failed) and 2 checks (1 failed).
	if doc.Tests != 5 || doc.Failures != 3 || len(doc.Suites) != 2 {
		t.Fatalf("testsuites: tests=%d failures=%d suites=%d, want 5, 3, 2\n%s", doc.Tests, doc.Failures, len(doc.Suites), b.String())
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
