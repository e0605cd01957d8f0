package thresholds

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/loadrun/loadrun/scenario"
	"github.com/loadrun/loadrun/stats"
)

var t0 = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

// snapshot is a 10-second run: GET /a took 1..100 ms (100 requests, 5
// failed), POST /a 200 ms (1 request), GET /b 10 ms (4 requests, no
// failure); checks on GET /a: 90 pass, 10 fail.
func snapshot() *stats.Snapshot {
	s := stats.New(t0, 4)
	getA, postA, getB := stats.Key{Method: "GET", Name: "/a"}, stats.Key{Method: "POST", Name: "/a"}, stats.Key{Method: "GET", Name: "/b"}
	for i := 1; i <= 100; i++ {
		r := s.Recorder(i)
		errText := ""
		if i <= 5 {
			errText = "HTTP 500"
		}
		r.Request(getA, time.Duration(i)*time.Millisecond, 10, errText)
		r.Check(getA, "status", i > 10)
	}
	s.Recorder(0).Request(postA, 200*time.Millisecond, 0, "")
	for i := range 4 {
		s.Recorder(i).Request(getB, 10*time.Millisecond, 0, "")
	}
	return s.Snapshot(t0.Add(10 * time.Second))
}

func parse(t *testing.T, request, rule string) *Threshold {
	t.Helper()
	th, err := Parse(&scenario.Threshold{Pos: scenario.Pos{File: "s.yaml", Line: 3, Col: 5}, Request: request, Rule: rule})
	if err != nil {
		t.Fatalf("Parse(%q): %v", rule, err)
	}
	return th
}

// TestEval covers every metric and operator, passing and failing.
func TestEval(t *testing.T) {
	snap := snapshot()
	tests := []struct {
		request, rule string
		wantPass      bool
		wantValue     string
	}{
		{"GET /a", "p95 < 100ms", true, "95ms"},         // percentile under its limit
		{"GET /a", "p95 < 90ms", false, "95ms"},         // percentile over its limit
		{"GET /a", "p99.9 <= 100ms", true, "100ms"},     // fractional percentile, equal to the limit
		{"GET /a", "p100 == 100ms", true, "100ms"},      // p100 is max exactly
		{"GET /a", "med < 51ms", true, "50ms"},          // med
		{"GET /a", "median > 51ms", false, "50ms"},      // median alias
		{"GET /a", "p50 >= 50ms", true, "50ms"},         // p50 alias
		{"GET /a", "avg == 50.5ms", true, "50.5ms"},     // avg is exact
		{"GET /a", "avg != 50.5ms", false, "50.5ms"},    // != fails on equality
		{"GET /a", "min > 0s", true, "1ms"},             // min
		{"GET /a", "max < 2s", true, "100ms"},           // max
		{"GET /a", "max < 100ms", false, "100ms"},       // max on the limit fails <
		{"GET /a", "fail_ratio < 10%", true, "5%"},      // ratio as percentage
		{"GET /a", "fail_ratio < 0.01", false, "5%"},    // ratio as fraction
		{"GET /a", "failures == 5", true, "5"},          // count equality
		{"GET /a", "failures == 0", false, "5"},         // the classic
		{"GET /a", "requests > 1000", false, "100"},     // request count
		{"GET /a", "requests >= 100", true, "100"},      // count on the limit
		{"GET /a", "rps > 9.9", true, "10"},             // 100 requests in 10 s
		{"/a", "requests == 101", true, "101"},          // every method of /a
		{"/a", "max > 150ms", true, "200ms"},            // POST /a counts in /a
		{"", "requests == 105", true, "105"},            // the whole run
		{"", "rps < 10", false, "10.5"},                 // whole-run rate
		{"GET /b", "fail_ratio == 0%", true, "0%"},      // no failure
		{"GET /a", "checks > 95%", false, "90%"},        // check pass ratio
		{"", "checks >= 0.9", true, "90%"},              // all checks of the run
		{"GET /a", "check_failures == 0", false, "10"},  // failed checks
		{"GET /a", "check_failures <= 10", true, "10"},  // failed checks on the limit
		{"GET /a", "p95<100ms", true, "95ms"},           // no spaces needed
		{"GET /a", "  p95   <   100ms  ", true, "95ms"}, // extra spaces
	}
	for _, tt := range tests {
		got := parse(t, tt.request, tt.rule).Eval(snap)
		if got.Pass != tt.wantPass || got.Value != tt.wantValue {
			t.Errorf("%s %q: Pass, Value = %v, %q, want %v, %q (%s)", tt.request, tt.rule, got.Pass, got.Value, tt.wantPass, tt.wantValue, got.Message)
		}
		if got.Pass == (got.Message != "") {
			t.Errorf("%s %q: Pass %v with message %q", tt.request, tt.rule, got.Pass, got.Message)
		}
		if got.Rule != tt.rule || got.Request != tt.request {
			t.Errorf("Result names %q %q, want %q %q", got.Request, got.Rule, tt.request, tt.rule)
		}
	}
}

// TestEvalNoSamples checks that rules over nothing fail loudly.
func TestEvalNoSamples(t *testing.T) {
	empty := stats.New(t0, 1).Snapshot(t0.Add(time.Second))
	tests := []struct {
		snap          *stats.Snapshot
		request, rule string
		wantMessage   string
	}{
		{snapshot(), "GET /api/cart", "p95 < 300ms", "no samples for GET /api/cart"},   // a request that never ran
		{snapshot(), "GET /api/cart", "failures == 0", "no samples for GET /api/cart"}, // even a rule that zero would pass
		{snapshot(), "PUT /a", "requests < 10", "no samples for PUT /a"},               // a method that never ran
		{empty, "", "fail_ratio < 1%", "no samples for any request"},                   // an empty run
		{snapshot(), "GET /b", "checks > 99%", "no checks ran for GET /b"},             // a request without checks
		{empty, "", "check_failures == 0", "no checks ran for any request"},            // no checks at all
		{nil, "", "requests > 0", "no samples for any request"},                        // no snapshot yet
	}
	for _, tt := range tests {
		got := parse(t, tt.request, tt.rule).Eval(tt.snap)
		if got.Pass || got.Message != tt.wantMessage || got.Value != "" {
			t.Errorf("%s %q: Pass %v, Value %q, Message %q, want a failure %q", tt.request, tt.rule, got.Pass, got.Value, got.Message, tt.wantMessage)
		}
	}
}

// TestFailureMessage checks the message of a failed rule.
func TestFailureMessage(t *testing.T) {
	got := parse(t, "GET /a", "p95 < 90ms").Eval(snapshot()).Message
	if want := "p95 of GET /a is 95ms, want < 90ms"; got != want {
		t.Errorf("Message = %q, want %q", got, want)
	}
}

// TestCanNeverPass checks which failures are final.
func TestCanNeverPass(t *testing.T) {
	snap := snapshot()
	tests := []struct {
		request, rule string
		want          bool
	}{
		{"GET /a", "max < 50ms", true},            // max only grows past its bound
		{"GET /a", "max > 1s", false},             // a slower request may still come
		{"GET /a", "min > 5ms", true},             // min only shrinks
		{"GET /a", "min < 500us", false},          // a faster request may still come
		{"GET /a", "min == 2ms", true},            // min already below 2ms
		{"GET /a", "failures == 0", true},         // a failure cannot be undone
		{"GET /a", "failures <= 4", true},         // count past an upper bound
		{"GET /a", "failures == 6", false},        // one more failure would do
		{"GET /a", "failures != 5", false},        // the count may still move
		{"GET /a", "requests > 1000", false},      // more requests will come
		{"GET /a", "requests < 50", true},         // already more than 50
		{"GET /a", "check_failures == 0", true},   // a failed check cannot be undone
		{"GET /a", "p95 < 90ms", true},            // percentile failing now
		{"GET /a", "p95 < 100ms", false},          // percentile passing now
		{"GET /a", "fail_ratio < 1%", true},       // ratio failing now
		{"GET /a", "rps > 100", true},             // rate failing now
		{"GET /a", "max < 2s", false},             // passing
		{"GET /api/cart", "failures == 0", false}, // nothing measured yet
	}
	for _, tt := range tests {
		if got := parse(t, tt.request, tt.rule).CanNeverPass(snap); got != tt.want {
			t.Errorf("%s %q: CanNeverPass = %v, want %v", tt.request, tt.rule, got, tt.want)
		}
	}
}

// TestParseErrors checks that bad rules are reported at their position.
func TestParseErrors(t *testing.T) {
	tests := []struct {
		rule string
		want string
	}{
		{"p95 < 3OOms", `bad duration "3OOms"`},                                       // letter O for zero
		{"p95 < 300", `bad duration "300": want a unit, e.g. 300ms`},                  // no unit
		{"p95 < -1s", `bad duration "-1s"`},                                           // negative
		{"p0 < 1s", `bad percentile "p0"`},                                            // percentile out of range
		{"p101 < 1s", `bad percentile "p101"`},                                        // percentile out of range
		{"pxx < 1s", `bad percentile "pxx"`},                                          // not a number
		{"fail_rate < 1%", `unknown metric "fail_rate" (did you mean "fail_ratio"?)`}, // misspelled
		{"latency < 1s", `unknown metric "latency"`},                                  // unknown
		{"p95 300ms", `want an operator`},                                             // no operator
		{"p95 => 300ms", `want an operator`},                                          // reversed operator
		{"p95 <", `missing value after <`},                                            // no value
		{"", `empty rule`},                                                            // nothing
		{"< 300ms", `want METRIC OP VALUE`},                                           // no metric
		{"fail_ratio < 101%", `bad percentage "101%"`},                                // over 100%
		{"fail_ratio < 2", `bad ratio "2"`},                                           // fraction over 1
		{"failures == 1.5", `bad count "1.5"`},                                        // not whole
		{"requests > many", `bad count "many"`},                                       // not a number
		{"rps > fast", `bad rate "fast"`},                                             // not a number
		{"checks > 99", `bad ratio "99"`},                                             // percent sign forgotten
	}
	pos := scenario.Pos{File: "s.yaml", Line: 7, Col: 9}
	for _, tt := range tests {
		_, err := Parse(&scenario.Threshold{Pos: pos, Rule: tt.rule})
		var se *scenario.Error
		if !errors.As(err, &se) {
			t.Errorf("Parse(%q) = %v, want a *scenario.Error", tt.rule, err)
			continue
		}
		prefix := `s.yaml:7:9: threshold "` + tt.rule + `": `
		if got := err.Error(); !strings.HasPrefix(got, prefix) || !strings.Contains(got, tt.want) {
			t.Errorf("Parse(%q) error = %q, want %q followed by %q", tt.rule, got, prefix, tt.want)
		}
	}
}

// TestParseKeepsScenarioFields checks the fields the engine reads back.
func TestParseKeepsScenarioFields(t *testing.T) {
	src := &scenario.Threshold{Pos: scenario.Pos{File: "f", Line: 1, Col: 2}, Request: "GET /a", Rule: "p95 < 1s", Abort: true, Grace: 30 * time.Second}
	th, err := Parse(src)
	if err != nil {
		t.Fatal(err)
	}
	if th.Pos != src.Pos || th.Request != src.Request || th.Rule != src.Rule || !th.Abort || th.Grace != src.Grace {
		t.Errorf("Parse kept %+v, want the fields of %+v", th, src)
	}
}

// FuzzParse checks that no rule makes Parse panic, and that a parsed rule
// evaluates without panicking.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"p95 < 300ms", "fail_ratio < 1%", "checks >= 0.99", "p99.9<=1s", "rps > 1e3", "x"} {
		f.Add(s)
	}
	snap := snapshot()
	f.Fuzz(func(t *testing.T, rule string) {
		th, err := Parse(&scenario.Threshold{Rule: rule})
		if err != nil {
			return
		}
		th.Eval(snap)
		th.CanNeverPass(snap)
	})
}

// TestResultMetric: every result names its metric canonically, so callers
// (the verdict) know what a rule is about without parsing its text.
func TestResultMetric(t *testing.T) {
	snap := snapshot()
	tests := []struct {
		rule       string
		wantMetric string
		wantChecks bool
	}{
		{"p95 < 100ms", "p95", false},                   // a percentile
		{"p095 < 100ms", "p95", false},                  // written with a leading zero
		{"p99.90 < 1s", "p99.9", false},                 // trailing zeros dropped
		{"median < 1s", "med", false},                   // an alias of med
		{"p50 < 1s", "med", false},                      // p50 is med
		{"fail_ratio < 10%", "fail_ratio", false},       // a ratio
		{"checks > 50%", "checks", true},                // the checks pass ratio
		{"check_failures == 0", "check_failures", true}, // the failed checks
		{"checks>50%", "checks", true},                  // no spaces around the operator
	}
	for _, tt := range tests {
		res := parse(t, "", tt.rule).Eval(snap)
		if res.Metric != tt.wantMetric || res.OnChecks() != tt.wantChecks {
			t.Errorf("%q: Metric %q, OnChecks %v; want %q, %v", tt.rule, res.Metric, res.OnChecks(), tt.wantMetric, tt.wantChecks)
		}
	}
}
