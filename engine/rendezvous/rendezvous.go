// Package rendezvous makes virtual users meet at a named point and go on
// together, as LoadRunner's lr_rendezvous, JMeter's Synchronizing Timer and
// Gatling's rendezVous do: the flash-sale spike that steady load never shows.
//
// A user reaching a rendezvous step calls Wait and joins the group being
// gathered. The group is released, every member at once, when the first of
// these happens:
//
//   - ByCount: Count users are waiting, or Percent of the users alive
//     (rounded up, at least 1). The percentage follows the population as it
//     ramps up and down.
//   - ByShortfall: every user alive is already waiting, so the group can never
//     fill (10 users alive at a barrier of 50 are released as soon as all 10
//     are there, not after the timeout). Users stopping, a unique-once pool
//     running dry or a ramp-down all end this way once the engine reports the
//     change with PopulationChanged. Close (the run ending) also releases the
//     waiters this way.
//   - ByTimeout: the timeout passed. With policy "first" (the default) it
//     runs from the group's first arrival; with "last" it restarts at every
//     arrival, so a group keeps gathering as long as users keep coming.
//
// Users who are alive but busy elsewhere (another task, on_stop) still count
// as users who may arrive, so a group missing them waits for the timeout.
// The engine decides who is alive: counting the users a ramp-up is still
// about to start keeps early arrivals from being released short while the
// rest are being spawned.
//
// A released group is handed to the report callback once, then released with
// one close of a channel that every member is blocked on, so the members
// resume within scheduler latency of each other rather than one by one. The
// barrier then gathers the next group. A user whose context is cancelled
// while waiting leaves the group at once and is not counted in it; the stop
// of a run is never held up by a barrier.
//
// Barrier is the interface the engine's users call. Local is the in-process
// implementation; the decision itself is the pure Rule, so that a
// distributed master (cluster/barrier.go) counts arrivals from all workers,
// applies the same Rule to the summed population and broadcasts the release.
package rendezvous

import (
	"context"
	"errors"
	"math"
	"time"

	"github.com/loadrun/loadrun/scenario"
	"github.com/loadrun/loadrun/stats"
)

// Reason says why a group was released. It is the stats package's type, so
// that a Group goes to stats.Stats.Rendezvous as it is.
type Reason = stats.ReleaseReason

// Release reasons. The zero Reason means "not released".
const (
	// ByCount: the group reached its size.
	ByCount = stats.ReleaseByCount
	// ByTimeout: the timeout passed before the group filled.
	ByTimeout = stats.ReleaseByTimeout
	// ByShortfall: too few users were alive to ever fill the group, or the
	// run ended (Close).
	ByShortfall = stats.ReleaseByShortfall
)

// DefaultTimeout bounds a wait whose definition gives no timeout, as
// LoadRunner's default does, so that a barrier nobody else reaches (users
// busy in other tasks) delays its users by a bounded time.
const DefaultTimeout = 30 * time.Second

// ErrClosed is returned by Wait on a barrier that was closed because the run
// is ending.
var ErrClosed = errors.New("rendezvous closed: the run is ending")

// Barrier is a rendezvous point as the engine's users see it.
type Barrier interface {
	// Wait blocks until the group this arrival joins is released and says
	// why, or until ctx is done, in which case the user has left the group
	// (it is not counted in it) and ctx.Err() is returned.
	Wait(ctx context.Context) (Release, error)
}

// Release is what one user learns when its group is released.
type Release struct {
	// Seq numbers the groups of one barrier from 1; the members of a group
	// share it.
	Seq    uint64
	Reason Reason
	// Size is how many users were released together.
	Size int
	// Waited is how long this user waited.
	Waited time.Duration
}

// Group is one released group, as handed to the report callback (which owns
// Waits). It is what the engine records in stats.
type Group struct {
	Name   string
	Seq    uint64
	Reason Reason
	Size   int
	// Waits holds how long each member waited, in arrival order.
	Waits []time.Duration
}

// Population is the engine's count of users that may still reach a barrier.
// Alive is called with the barrier's lock held, so it must be quick and must
// not call back into the barrier (an atomic load is the intended
// implementation).
type Population interface {
	Alive() int
}

// PopulationFunc adapts a function to Population.
type PopulationFunc func() int

// Alive calls f.
func (f PopulationFunc) Alive() int { return f() }

// Rule is the release decision of a barrier, kept free of clocks and locks
// so that a distributed master can apply it to the arrivals it counts.
type Rule struct {
	// Count is the group size; when it is 0, Percent applies.
	Count int
	// Percent is the group size as a share of the users alive (0 < p <= 100).
	Percent float64
}

// Needed is the group size when alive users may arrive: Count, or Percent of
// alive rounded up, and never less than 1.
func (r Rule) Needed(alive int) int {
	if r.Count > 0 {
		return r.Count
	}
	// The epsilon keeps binary rounding (10% of 30 = 3.0000000000000004)
	// from asking for one user more than the percentage means.
	n := int(math.Ceil(float64(alive)*r.Percent/100 - 1e-9))
	if n < 1 {
		return 1
	}
	return n
}

// Ready says whether a group of waiting users is released now that alive
// users may arrive, and why. It is never ready with nobody waiting.
func (r Rule) Ready(waiting, alive int) (Reason, bool) {
	switch {
	case waiting <= 0:
		return 0, false
	case waiting >= r.Needed(alive):
		return ByCount, true
	case waiting >= alive:
		return ByShortfall, true
	default:
		return 0, false
	}
}

// Validate reports every problem of a rendezvous definition at its position.
// The scenario loader checks the same things; this guards a definition built
// by code.
func Validate(def *scenario.Rendezvous) error {
	if def == nil {
		return errors.New("rendezvous: no definition")
	}
	var errs scenario.ErrorList
	if def.Name == "" {
		errs.Add(def.Pos, "rendezvous needs a name")
	}
	switch {
	case def.Count != 0 && def.Percent != 0:
		errs.Add(def.Pos, "rendezvous %q: give count or percent, not both", def.Name)
	case def.Count < 0:
		errs.Add(def.Pos, "rendezvous %q: count must be at least 1, got %d", def.Name, def.Count)
	case def.Count == 0 && def.Percent == 0:
		errs.Add(def.Pos, "rendezvous %q needs count or percent", def.Name)
	case def.Count == 0 && !(def.Percent > 0 && def.Percent <= 100):
		errs.Add(def.Pos, "rendezvous %q: percent must be more than 0 and at most 100, got %g", def.Name, def.Percent)
	}
	if def.Timeout < 0 {
		errs.Add(def.Pos, "rendezvous %q: timeout must not be negative, got %s", def.Name, def.Timeout)
	}
	switch def.Policy {
	case "", "first", "last":
	default:
		errs.Add(def.Pos, "rendezvous %q: policy must be \"first\" or \"last\", got %q", def.Name, def.Policy)
	}
	return errs.Err()
}
