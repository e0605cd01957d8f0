package main

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// summaryJSON is a trimmed loadrun JSON summary, as `loadrun run --json`
// writes it.
const summaryJSON = `{
  "schema_version": 1,
  "snapshot": {"cpu_percent": 3.5, "saturated": false},
  "aggregated": {"requests": 7706, "failures": 2, "max_ms": 26.504,
    "percentiles_ms": {"50": 20.735, "66": 20.9, "99": 22.367, "100": 26.504}},
  "pacing": [{"task": "work", "iterations": 3000, "late": 18, "skipped": 40,
    "lateness_p99_ms": 430.1, "lateness_max_ms": 470.2}],
  "warnings": ["18 paced iterations started late | a pipe"]
}`

func TestOverheadTable(t *testing.T) {
	s, err := readSummary(strings.NewReader(summaryJSON))
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	if err := overheadTable(&b, s, Truth{Count: 7706, P50: 20.527, P90: 20.8, P99: 21.039, Max: 25.423}); err != nil {
		t.Fatal(err)
	}
	want := `| figure | loadrun | target's truth | difference |
|---|---:|---:|---:|
| p50 | 20.735 ms | 20.527 ms | +1.0 % |
| p99 | 22.367 ms | 21.039 ms | +6.3 % |
| max | 26.504 ms | 25.423 ms | +4.3 % |
| requests | 7706 | 7706 | +0.0 % |
| failures | 2 | | |
`
	if got := b.String(); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

func TestStallTable(t *testing.T) {
	s, err := readSummary(strings.NewReader(summaryJSON))
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	c := stallCase{Run: 8 * time.Second, Stall: 500 * time.Millisecond, Service: 20 * time.Millisecond,
		Summary: s, Truth: Truth{Count: 3000, P99: 23.071, Max: 516.607}}
	if err := stallTable(&b, c); err != nil {
		t.Fatal(err)
	}
	want := `| figure | value |
|---|---:|
| loadrun p99 (closed model) | 22.367 ms |
| loadrun max | 26.504 ms |
| target's truth p99 / max | 23.071 ms / 516.607 ms |
| p99 steady arrivals would have seen (open model, computed) | 440.000 ms |
| paced iterations: run / late / skipped | 3000 / 18 / 40 |
| lateness p99 / max | 430.100 ms / 470.200 ms |
| loadrun's warning | 18 paced iterations started late \| a pipe |
`
	if got := b.String(); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

func TestReadSummaryErrors(t *testing.T) {
	tests := []struct {
		name, json, want string
	}{
		// Not JSON at all (a crashed run's empty file).
		{"empty", ``, "reading loadrun's JSON summary"},
		// A run that never reached the target.
		{"no requests", `{"aggregated": {"requests": 0}}`, "counts no requests"},
		// A summary without the p99 column.
		{"no p99", `{"aggregated": {"requests": 5, "percentiles_ms": {"50": 1}}}`, "no 99% percentile"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := readSummary(strings.NewReader(tt.json))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got error %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestOpenModelP99(t *testing.T) {
	ms := time.Millisecond
	tests := []struct {
		name                string
		run, stall, service time.Duration
		want                time.Duration
	}{
		// The case: 8 s, one 500 ms stall, 20 ms service: the top
		// 1 % are the arrivals of the stall's first 80 ms.
		{"8s run", 8 * time.Second, 500 * ms, 20 * ms, 440 * ms},
		// A stall shorter than 1 % of the run leaves the p99 at the service time.
		{"short stall", 100 * time.Second, 500 * ms, 20 * ms, 20 * ms},
		// No stall.
		{"none", 8 * time.Second, 0, 20 * ms, 20 * ms},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := openModelP99(tt.run, tt.stall, tt.service); got != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
}

// TestTarget: /work takes the service time and /truth reports it; a stall
// holds requests; reset forgets; bad stalls are refused.
func TestTarget(t *testing.T) {
	srv := httptest.NewServer(newTarget(5*time.Millisecond, time.Millisecond).handler())
	defer srv.Close()
	get := func(path string) *http.Response {
		t.Helper()
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	post := func(path string) int {
		t.Helper()
		resp, err := http.Post(srv.URL+path, "", nil)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	// truth waits (a bounded while) for the target to have recorded n
	// requests: it records each after its response left, so a client can
	// see a response before it is counted.
	truth := func(n int64) Truth {
		t.Helper()
		for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(time.Millisecond) {
			resp := get("/truth")
			tr, err := readTruth(resp.Body)
			resp.Body.Close()
			if err != nil {
				t.Fatal(err)
			}
			if tr.Count >= n || time.Now().After(deadline) {
				return tr
			}
		}
	}
	for range 3 {
		get("/work?u=1").Body.Close()
	}
	tr := truth(3)
	// Service times are at least 5 ms; the upper bound only guards
	// against a unit mistake (a loaded machine can be slow).
	if tr.Count != 3 || tr.P50 < 5 || tr.Max > 1000 || tr.P99 > tr.Max {
		t.Errorf("after 3 requests of 5 ms: %+v", tr)
	}
	if code := post("/admin/stall?ms=100"); code != http.StatusNoContent {
		t.Fatalf("stall: status %d", code)
	}
	get("/work").Body.Close()
	if tr := truth(4); tr.Count != 4 || tr.Max < 100 || tr.Stalled != 1 {
		t.Errorf("a request during a 100 ms stall: %+v, want a max of 100 ms or more and 1 stalled", tr)
	}
	if code := post("/reset"); code != http.StatusNoContent {
		t.Fatalf("reset: status %d", code)
	}
	if tr := truth(0); tr != (Truth{}) {
		t.Errorf("after reset: %+v, want nothing", tr)
	}
	for _, bad := range []string{"0", "-5", "x", "999999"} {
		if code := post("/admin/stall?ms=" + bad); code != http.StatusBadRequest {
			t.Errorf("stall ms=%s: status %d, want 400", bad, code)
		}
	}
}

// openSummaryJSON is a trimmed summary of an open-model run.
const openSummaryJSON = `{
  "aggregated": {"requests": 1600, "failures": 0, "max_ms": 530.35,
    "percentiles_ms": {"50": 22.735, "99": 455.935, "99.9": 520.447}},
  "open": {"arrivals": 1600, "dropped": 0, "late": 11, "max_lag_ms": 15.407},
  "warnings": ["the generator could not keep the rate"]
}`

func TestOpenTable(t *testing.T) {
	s, err := readSummary(strings.NewReader(openSummaryJSON))
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	c := openCase{Rate: 200, Stall: 500 * time.Millisecond, Summary: s,
		Truth: Truth{Count: 1600, P50: 20.783, P99: 450.559, P999: 518.655, Max: 527.359, Stalled: 97}}
	if err := openTable(&b, c); err != nil {
		t.Fatal(err)
	}
	want := `| figure | loadrun | target's truth | difference |
|---|---:|---:|---:|
| p50 | 22.735 ms | 20.783 ms | +9.4 % |
| p99 | 455.935 ms | 450.559 ms | +1.2 % |
| p99.9 | 520.447 ms | 518.655 ms | +0.3 % |
| max | 530.350 ms | 527.359 ms | +0.6 % |
| requests | 1600 | 1600 | +0.0 % |
| requests due during the stall / reaching the target during it | 100 | 97 | 97.0 % reached |
| arrivals / dropped / late (max lag) | 1600 / 0 / 11 (15.407 ms) | | |
| loadrun's warning | the generator could not keep the rate | | |
`
	if got := b.String(); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}
