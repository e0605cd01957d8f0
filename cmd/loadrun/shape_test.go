package main

import (
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/loadrun/loadrun/demo"
	"github.com/loadrun/loadrun/schedule"
)

// TestParseStages covers the --stages syntax.
func TestParseStages(t *testing.T) {
	tests := []struct {
		in      string
		want    []schedule.Stage
		open    bool
		wantErr string
	}{
		// The closed-model example.
		{in: "30s:50,2m:50,30s:0", want: []schedule.Stage{{Duration: 30 * time.Second, Target: 50}, {Duration: 2 * time.Minute, Target: 50}, {Duration: 30 * time.Second}}},
		// Rates make it the open model.
		{in: "1m:10/s, 2m:12000/m", want: []schedule.Stage{{Duration: time.Minute, Target: 10}, {Duration: 2 * time.Minute, Target: 200}}, open: true},
		// A missing target.
		{in: "30s:50,2m", wantErr: `stage 2 "2m": want DURATION:USERS (30s:50) or DURATION:RATE (1m:10/s)`},
		// Negative users.
		{in: "30s:-5", wantErr: `stage 1 "30s:-5": users must be a whole number, 0 or more`},
		// A bad duration.
		{in: "soon:5", wantErr: `stage 1: bad duration "soon"`},
		// Users and rates mixed.
		{in: "30s:5,30s:5/s", wantErr: "every stage sets users (30s:50) or every stage sets a rate (1m:10/s), not both"},
		// A rate of 0 at the end.
		{in: "30s:5/s,30s:0/s", wantErr: `stage 2 "30s:0/s": a rate of 0 with no stage after it`},
		// No time at all.
		{in: "0s:5", wantErr: "the stages last 0 s in all"},
	}
	for _, tc := range tests {
		got, open, err := parseStages(tc.in)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("%q: error %v, want %q", tc.in, err, tc.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", tc.in, err)
			continue
		}
		if open != tc.open || len(got) != len(tc.want) {
			t.Errorf("%q: %v open=%v, want %v open=%v", tc.in, got, open, tc.want, tc.open)
			continue
		}
		for i := range got {
			if got[i] != tc.want[i] {
				t.Errorf("%q: stage %d is %v, want %v", tc.in, i, got[i], tc.want[i])
			}
		}
	}
}

// TestShapeFlagErrors checks that bad shape flags are usage errors that say why.
func TestShapeFlagErrors(t *testing.T) {
	file := scenarioFor(t, "http://127.0.0.1:1", "/", "1s")
	tests := []struct {
		args []string
		want string
	}{
		// The open model needs its users.
		{[]string{"--arrival-rate", "50/s"}, "--arrival-rate is the open model: give --max-users"},
		// A rate that is not one.
		{[]string{"--arrival-rate", "fast", "--max-users", "5"}, `--arrival-rate: "fast" is not a rate`},
		// max users below 1.
		{[]string{"--arrival-rate", "5/s", "--max-users", "0"}, "--max-users must be 1 or more, not 0"},
		// max users with a closed shape.
		{[]string{"--stages", "1s:5", "--max-users", "5"}, "--max-users and --arrivals apply to the open model"},
		// A bad stage.
		{[]string{"--stages", "1s"}, `--stages: stage 1 "1s": want DURATION:USERS`},
	}
	for _, tc := range tests {
		code, _, stderr := runCLI(t, append([]string{"run", file, "-q"}, tc.args...)...)
		if code != exitUsage || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: exit %d, stderr:\n%s\nwant exit 2 and %q", tc.args, code, stderr, tc.want)
		}
	}
}

// TestOpenModelDropsFailTheRun runs the open model from the command line
// against the demo target's slow endpoint with too few users: 40
// arrivals/s for 1 s, 2 users each busy 300 ms can run about 7, so most
// arrivals are dropped (more, never fewer, on a slower machine); the
// dropped threshold fails the run, and the console, the JSON summary and
// its history say how many.
func TestOpenModelDropsFailTheRun(t *testing.T) {
	srv := httptest.NewServer(demo.New(demo.Options{}))
	defer srv.Close()
	file := writeScenario(t, "open.yaml", `
load:
  arrival_rate: 40/s
  duration: 1s
  max_users: 2
thresholds:
  - "dropped < 1"
users:
  - name: U
    tasks: [{steps: [{request: {url: "/slow?ms=300", name: /slow}}]}]
`)
	out := filepath.Join(t.TempDir(), "s.json")
	code, stdout, stderr := runCLI(t, "run", file, "-H", srv.URL, "-q", "--json", out)
	if code != exitFailed {
		t.Fatalf("exit %d, want 1\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	for _, want := range []string{"Arrivals (open model)", "✗ dropped < 1", "arrivals", "were dropped"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("the summary lacks %q:\n%s", want, stdout)
		}
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var sum struct {
		Run     struct{ Load string }
		Open    struct{ Arrivals, Dropped int64 }
		History []struct {
			DroppedPerSec float64 `json:"dropped_per_sec"`
		}
	}
	if err := json.Unmarshal(data, &sum); err != nil {
		t.Fatal(err)
	}
	if sum.Open.Arrivals != 40 || sum.Open.Dropped < 20 {
		t.Errorf("JSON open %+v, want 40 arrivals and most dropped", sum.Open)
	}
	perSec := 0.0
	for _, p := range sum.History {
		perSec += p.DroppedPerSec
	}
	if perSec <= 0 {
		t.Errorf("JSON history has no dropped_per_sec")
	}
	if sum.Run.Load != "arrival rate 40/s for 1s, max 2 users, constant arrivals" {
		t.Errorf("JSON run.load = %q", sum.Run.Load)
	}
}

// TestStagesFlag runs closed-model stages from the command line: the run
// lasts the stages and the JSON says what was followed.
func TestStagesFlag(t *testing.T) {
	srv := httptest.NewServer(demo.New(demo.Options{}))
	defer srv.Close()
	file := scenarioFor(t, srv.URL, "/api/items", "100ms")
	out := filepath.Join(t.TempDir(), "s.json")
	code, stdout, stderr := runCLI(t, "run", file, "--stages", "500ms:4,500ms:0", "-q", "--json", out)
	if code != exitOK {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	if !strings.Contains(stderr, "Load: stages 500ms:4,500ms:0") {
		t.Errorf("stderr lacks the load line:\n%s", stderr)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var sum struct {
		Run struct {
			Users          int
			RunTimeSeconds float64 `json:"run_time_seconds"`
		}
	}
	if err := json.Unmarshal(data, &sum); err != nil {
		t.Fatal(err)
	}
	if sum.Run.Users != 4 || sum.Run.RunTimeSeconds != 1 {
		t.Errorf("JSON run %+v, want peak 4 users over 1 s", sum.Run)
	}
}

// TestLiveConsoleShowsTheShape checks that the live console names the stage
// and the target users (closed model) or rate and drops (open model).
func TestLiveConsoleShowsTheShape(t *testing.T) {
	srv := httptest.NewServer(demo.New(demo.Options{}))
	defer srv.Close()
	file := scenarioFor(t, srv.URL, "/api/items", "100ms")
	tests := []struct {
		args []string
		want string
	}{
		// Closed-model stages: the stage and its target users.
		{[]string{"--stages", "1s:4,1s:4"}, "Stage 1/2: target "},
		// The open model: the rate, the users made and the drops.
		{[]string{"--arrival-rate", "20/s", "--max-users", "5", "-t", "1s"}, "Stage 1/1: rate 20.0/s   users made: "},
	}
	for _, tc := range tests {
		code, stdout, stderr := runCLI(t, append([]string{"run", file, "--print-interval", "300ms"}, tc.args...)...)
		if code != exitOK {
			t.Errorf("%v: exit %d\n%s", tc.args, code, stderr)
		}
		if !strings.Contains(stdout, tc.want) {
			t.Errorf("%v: the live console lacks %q:\n%s", tc.args, tc.want, stdout)
		}
	}
}
