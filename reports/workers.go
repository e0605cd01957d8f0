package reports

import (
	"encoding/csv"
	"io"
	"strconv"
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

// workersColumns are PREFIX_workers.csv's columns (loadrun's own file;
// Locust writes no workers table).
var workersColumns = []string{"Name", "Host", "State", "Lost At", "Users", "Requests", "Failures", "CPU %"}

// WriteWorkersCSV writes PREFIX_workers.csv: one row per worker of a
// distributed run, in join order. Lost At is when the master declared the
// worker lost (RFC 3339, empty if it was not); its numbers are those of
// its last report. Names and hosts come from the workers' machines and are
// written as csvText makes them safe.
func WriteWorkersCSV(w io.Writer, workers []Worker) error {
	rows := [][]string{workersColumns}
	for _, x := range workers {
		lost := ""
		if !x.Lost.IsZero() {
			lost = x.Lost.Format(time.RFC3339)
		}
		rows = append(rows, []string{csvText(x.Name), csvText(x.Host), csvText(x.State), lost,
			strconv.Itoa(x.Users), itoa(x.Requests), itoa(x.Failures), decimal(Finite(x.CPU))})
	}
	return writeAll(csv.NewWriter(w), rows)
}
