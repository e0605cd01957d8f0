package main

import (
	"io"
	"testing"
	"time"

	"github.com/loadrun/loadrun/engine"
)

// TestWorkerStopTimeout: a worker stops its users as `run` with the same
// --stop-timeout would: the flag given to the master reaches the worker
// (workerArgs), and 0 cuts users at once there too.
func TestWorkerStopTimeout(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string // given to the master
		want time.Duration
	}{
		// Not given: run's default.
		{"default", nil, engine.DefaultStopTimeout},
		// 0: cut at once (the engine's -1), not the default.
		{"zero", []string{"--stop-timeout", "0"}, -1},
		// Any other duration as given.
		{"2s", []string{"--stop-timeout", "2s"}, 2 * time.Second},
	} {
		fs, _, _ := masterFlagSet(io.Discard)
		if err := fs.Parse(tc.args); err != nil {
			t.Fatal(err)
		}
		f, err := shippedFlags(workerArgs(fs))
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		o, err := f.engineOptions(io.Discard)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if o.StopTimeout != tc.want {
			t.Errorf("%s: a worker's stop timeout is %s, want %s", tc.name, o.StopTimeout, tc.want)
		}
	}
}
