//go:build unix

package main

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestCtrlCWhileLoading: a scenario or data file that blocks when read (a
// FIFO nobody writes to) does not make loadrun deaf: an interrupt ends
// `run` and `validate` at once. Before the fix both hung until killed.
func TestCtrlCWhileLoading(t *testing.T) {
	tests := []struct {
		name string
		// fifo is which file is the FIFO: the scenario itself or its data.
		fifo string
		cmd  string
	}{
		// run, with the scenario file a FIFO.
		{"run scenario", "scenario", "run"},
		// validate, with the scenario file a FIFO.
		{"validate scenario", "scenario", "validate"},
		// run, with the CSV data file a FIFO.
		{"run data", "data", "run"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			file := filepath.Join(dir, "s.yaml")
			fifo := file
			if tt.fifo == "data" {
				fifo = filepath.Join(dir, "rows.csv")
				src := "host: http://127.0.0.1:1\ndata:\n  rows: {file: rows.csv}\nusers: [{name: U, tasks: [{steps: [{use: rows}, {request: {url: /}}]}]}]\n"
				if err := os.WriteFile(file, []byte(src), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if err := syscall.Mkfifo(fifo, 0o644); err != nil {
				t.Skipf("no FIFOs here: %v", err)
			}
			// Unblock a reader left behind, so no goroutine outlives the test.
			t.Cleanup(func() {
				if f, err := os.OpenFile(fifo, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
					f.Close()
				}
			})
			args := []string{tt.cmd, file}
			if tt.cmd == "run" {
				args = append(args, "-n", "1", "-q")
			}
			c := launch(args...)
			time.Sleep(100 * time.Millisecond) // let it reach the blocking read
			c.signals <- os.Interrupt
			code := c.exit(t, 5*time.Second)
			if code == exitOK {
				t.Errorf("exit code 0 after an interrupted load")
			}
			if !strings.Contains(c.stderr.String(), "nterrupted") && !strings.Contains(c.stderr.String(), "regular file") {
				t.Errorf("stderr does not say the load was interrupted:\n%s", c.stderr.String())
			}
		})
	}
}
