package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestPhasesFlag runs with and without --phases: the summary's phases
// table and the JSON summary's phases appear only when asked for.
func TestPhasesFlag(t *testing.T) {
	srv, _ := counting(t)
	tests := []struct {
		name     string
		flags    []string
		wantRows int // phase rows in the JSON summary
	}{
		// Asked for: one row for the one request, with all 4 requests timed.
		{"on", []string{"--phases"}, 1},
		// Not asked for: no table and an empty phases array.
		{"off", nil, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "summary.json")
			args := append([]string{"run", scenarioFor(t, srv.URL, "/json", "{constant: 0s}"), "-n", "4", "-q", "--json", out}, tt.flags...)
			code, stdout, stderr := runCLI(t, args...)
			if code != exitOK {
				t.Fatalf("exit code %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
			}
			if got := strings.Contains(stdout, "Request phases (ms)"); got != (tt.wantRows > 0) {
				t.Errorf("phases table printed: %v, want %v\n%s", got, tt.wantRows > 0, stdout)
			}
			data, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			var sum struct {
				Phases []struct {
					Name     string `json:"name"`
					Requests int64  `json:"requests"`
				} `json:"phases"`
			}
			if err := json.Unmarshal(data, &sum); err != nil {
				t.Fatal(err)
			}
			if len(sum.Phases) != tt.wantRows {
				t.Fatalf("%d phase rows in the JSON summary, want %d", len(sum.Phases), tt.wantRows)
			}
			for _, p := range sum.Phases {
				if p.Name != "the-request" || p.Requests != 4 {
					t.Errorf("phase row %s with %d requests, want the-request with 4", p.Name, p.Requests)
				}
			}
		})
	}
}
