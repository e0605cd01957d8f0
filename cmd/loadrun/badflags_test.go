package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestBadRunFlags: values that would mean "never stop" or "all at once"
// by accident, and report paths that cannot be written, are refused before
// anything runs (exit 2, a message naming the flag), so no request reaches
// the server. Before the fix -t NaN ran forever and a bad --json path was
// found only after the run.
func TestBadRunFlags(t *testing.T) {
	srv, served := counting(t)
	file := scenarioFor(t, srv.URL, "/json", "{constant: 10ms}")
	missing := filepath.Join(t.TempDir(), "no", "such", "dir")
	tests := []struct {
		name string
		args []string
		want string // in stderr
	}{
		// Not a number of seconds.
		{"-t NaN", []string{"-t", "NaN"}, "not a number"},
		// Infinite.
		{"-t Inf", []string{"-t", "Inf"}, "too long"},
		// Overflows a duration.
		{"-t 1e300", []string{"-t", "1e300"}, "too long"},
		// The request timeout too.
		{"--timeout NaN", []string{"--timeout", "NaN"}, "not a number"},
		// A spawn rate that is no number.
		{"-r NaN", []string{"-r", "NaN"}, "spawn rate"},
		// A spawn rate whose interval overflows (it meant "all at once").
		{"-r 1e-300", []string{"-r", "1e-300"}, "too small"},
		// Report paths in a directory that does not exist.
		{"--json", []string{"--json", filepath.Join(missing, "s.json")}, "--json"},
		{"--html", []string{"--html", filepath.Join(missing, "s.html")}, "--html"},
		{"--junit", []string{"--junit", filepath.Join(missing, "s.xml")}, "--junit"},
		{"--csv", []string{"--csv", filepath.Join(missing, "run")}, "--csv"},
		// A directory where the report file should be.
		{"--json dir", []string{"--json", os.TempDir()}, "is a directory"},
		// The full history is written by a run started from the command
		// line, not by the web UI's runs.
		{"--csv-full-history --web", []string{"--csv", filepath.Join(t.TempDir(), "r"), "--csv-full-history", "--web"}, "works without --web"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := served.Load()
			code, _, stderr := runCLI(t, append([]string{"run", file, "-n", "1", "-q"}, tt.args...)...)
			if code != exitUsage {
				t.Errorf("exit code %d, want %d\nstderr:\n%s", code, exitUsage, stderr)
			}
			if !strings.Contains(stderr, tt.want) {
				t.Errorf("stderr lacks %q:\n%s", tt.want, stderr)
			}
			if n := served.Load() - before; n != 0 {
				t.Errorf("%d requests reached the server", n)
			}
		})
	}
}
