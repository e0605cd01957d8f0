package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestSignalsWriteReports sends the built binary the signals that end a
// session (SIGHUP: the SSH session closed; SIGTERM: a CI job cancelled):
// each stops the run gracefully and every report is still written. Before
// the fix SIGHUP killed the process with no report.
func TestSignalsWriteReports(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := buildLoadrun(t)
	srv, served := counting(t)
	file := scenarioFor(t, srv.URL, "/json", "{constant: 50ms}")
	for _, sig := range []syscall.Signal{syscall.SIGHUP, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) {
			jsonPath := filepath.Join(t.TempDir(), "s.json")
			ctx, cancel := context.WithTimeout(context.Background(), pipelineLimit)
			defer cancel()
			cmd := exec.CommandContext(ctx, bin, "run", file, "-u", "1", "-q", "--json", jsonPath)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			before := served.Load()
			waitFor(t, "requests", func() bool { return served.Load() >= before+3 })
			if err := cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			err := cmd.Wait()
			if ctx.Err() != nil {
				t.Fatalf("loadrun did not end after %s:\n%s", sig, stderr.String())
			}
			if err != nil {
				t.Errorf("loadrun ended with %v after %s, want exit 0:\n%s", err, sig, stderr.String())
			}
			if !strings.Contains(stderr.String(), "Run ended: stopped") {
				t.Errorf("stderr does not say the run was stopped:\n%s", stderr.String())
			}
			if _, err := os.Stat(jsonPath); err != nil {
				t.Errorf("no JSON report after %s: %v", sig, err)
			}
		})
	}
}
