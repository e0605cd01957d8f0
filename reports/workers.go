package reports

import (
	"io"
	"time"
)

// Worker is one worker of a distributed run, as its master last saw it:
// a row of the workers table.
type Worker struct {
	Name string `json:"name"`
	Host string `json:"host"`
	// State is joined, running, stopping, stopped or lost.
	State    string  `json:"state"`
	Users    int     `json:"users"`
	Requests int64   `json:"requests"`
	Failures int64   `json:"failures"`
	CPU      float64 `json:"cpu_percent"`
	// Lost is when the master declared the worker lost (zero: it was not).
	Lost time.Time `json:"lost,omitzero"`
}

// WriteWorkers writes the workers table of a distributed run (nothing for
// a run in one process).
func WriteWorkers(w io.Writer, workers []Worker) error {
	if len(workers) == 0 {
		return nil
	}
	p := &printer{w: w}
	p.line("%-24s %-20s %-9s %7s %10s %9s %6s", "Worker", "Host", "State", "Users", "Requests", "Failures", "CPU")
	for _, x := range workers {
		state := x.State
		if !x.Lost.IsZero() {
			state += " " + x.Lost.Format("15:04:05")
		}
		p.line("%-24s %-20s %-9s %7d %10d %9d %5.0f%%", cell(x.Name), cell(x.Host), cell(state), x.Users, x.Requests, x.Failures, Finite(x.CPU))
	}
	p.line("")
	return p.err
}
