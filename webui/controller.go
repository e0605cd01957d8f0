package webui

import (
	"errors"
	"time"

	"github.com/loadrun/loadrun/reports"
	"github.com/loadrun/loadrun/stats"
)

// Controller is what the web UI needs of a run: its state, run control
// (start, change users, stop, reset statistics) and the latest statistics
// with what reports are made of. A run session implements it for a local
// run; a distributed master can implement it over its workers. The engine
// itself knows nothing of pages.
//
// Every method is called from many HTTP handlers at once and must be safe
// for concurrent use.
type Controller interface {
	// Status is where the run is now.
	Status() Status
	// Start begins a run with p. It returns an error wrapping ErrBusy when
	// a run is going; any other error is the user's input being wrong and
	// is shown to them as it is. After a run ended, Start begins a new one.
	Start(p Params) error
	// SetUsers changes the number of users of the running test; new users
	// are spawned at spawnRate per second. An error wrapping ErrNotRunning
	// means there is no running test to change.
	SetUsers(users int, spawnRate float64) error
	// Stop ends the run gracefully; reports are written as for a run that
	// ended by itself. Stopping a run that is not going does nothing.
	Stop()
	// Reset forgets the statistics recorded so far and counts again from
	// now (Locust's "Reset stats").
	Reset() error
	// Report is the latest statistics and the run they belong to: run
	// parameters, threshold results and warnings evaluated on that
	// snapshot, and once the run ended its verdict. The snapshot is nil
	// before the first run started.
	Report() (reports.Run, *stats.Snapshot)
}

// Errors a Controller wraps so that the API answers with the right status.
var (
	// ErrBusy: a run is going (409 Conflict).
	ErrBusy = errors.New("a test is already running: stop it first")
	// ErrNotRunning: there is no running test to change (409 Conflict).
	ErrNotRunning = errors.New("no test is running")
)

// States a run is in, as /api/state names them.
const (
	StateReady    = "ready"
	StateSpawning = "spawning"
	StateRunning  = "running"
	StateStopping = "stopping"
	StateStopped  = "stopped"
)

// Status is where a run is.
type Status struct {
	// State is one of the State constants.
	State string
	// Users is the number of users running; TargetUsers the number asked for.
	Users, TargetUsers int
	// SpawnRate is the spawn rate in use (users per second; 0: all at once).
	SpawnRate float64
	// Host is the base URL the run loads ("" before the first start: the
	// form shows the default instead).
	Host string
	// RunTime is the run's planned duration (0: until stopped).
	RunTime time.Duration
	// Reason says why the run ended, once it did ("run time reached").
	Reason string
	// Start and End are when the run started and ended (zero until then).
	Start, End time.Time
}

// Params are what the start form sends.
type Params struct {
	Users     int
	SpawnRate float64
	// Host overrides the scenario's host when not empty.
	Host string
	// RunTime ends the run after this long (0: until stopped).
	RunTime time.Duration
}

// PoolStatus is one data pool as the "Data pools" tab shows it.
type PoolStatus struct {
	Name string
	// Mode is the pool's mode (cycle, random, unique-once, unique-recycle).
	Mode string
	// Rows is the number of rows the pool holds.
	Rows int
	// Drawn counts rows handed out in this run.
	Drawn int64
	// Left is how many rows can still be drawn: the rows never handed out
	// (unique-once) or free now (unique-recycle); -1 when the mode never
	// runs out (cycle, random).
	Left int64
	// InUse is how many rows users hold now (unique-recycle).
	InUse int64
	// Timeouts counts draws that gave up waiting for a free row
	// (unique-recycle); Exhausted draws that found no row left (unique-once).
	Timeouts, Exhausted int64
}

// Pools is implemented by a Controller that can tell how its data pools
// are used; without it the "Data pools" tab says so.
type Pools interface {
	Pools() []PoolStatus
}

// Worker is one load generator of a distributed run.
type Worker struct {
	ID    string
	State string
	Users int
	// Requests and Failures are what it counted in this run.
	Requests, Failures int64
	// CPU is the worker's own CPU use in percent.
	CPU float64
	// LastSeen is when the master last heard from it.
	LastSeen time.Time
}

// Workers is implemented by a Controller that drives several load
// generators (the distributed master); the "Workers" tab lists them.
type Workers interface {
	Workers() []Worker
}
