package html

import (
	"fmt"

	"github.com/loadrun/loadrun/reports"
)

// workerRow is one worker of a distributed run, formatted as the console's
// workers table. Name, host and state come from the workers' machines:
// the template escapes them like any other text.
type workerRow struct {
	Name, Host, State string
	Users             int
	Requests          int64
	Failures          int64
	CPU               string
	// LostAt is when the master declared the worker lost ("" if it was
	// not): the row is marked, and its numbers are those of its last report.
	LostAt string
}

// workersView is the Workers section.
type workersView struct {
	Rows []workerRow
	// Lost says a worker was lost: the section says what its numbers miss.
	Lost bool
}

// buildWorkers is the workers table; nil for a run in one process, so the
// section is left out.
func buildWorkers(workers []reports.Worker) *workersView {
	if len(workers) == 0 {
		return nil
	}
	v := &workersView{}
	for _, w := range workers {
		row := workerRow{Name: w.Name, Host: w.Host, State: w.State, Users: w.Users,
			Requests: w.Requests, Failures: w.Failures, CPU: fmt.Sprintf("%.0f%%", reports.Finite(w.CPU))}
		if !w.Lost.IsZero() {
			row.LostAt = w.Lost.Format("15:04:05")
			v.Lost = true
		}
		v.Rows = append(v.Rows, row)
	}
	return v
}
