package datasource

import (
	"context"
	"fmt"
	"sync/atomic"

	"github.com/loadrun/loadrun/scenario"
)

// Lender is the shared state of a unique pool: it decides which row ids are
// free, and nothing else. Rows themselves stay with whoever loaded the data,
// so a distributed master that owns the Lender of each unique pool sends
// only ids to its workers, and each worker reads the fields from its own copy
// of the same data file. Implementations are safe for concurrent use.
type Lender interface {
	// Len is the number of rows the ids range over, [0, Len).
	Len() int
	// Take hands out the id of a free row. For unique-once it fails with
	// ErrExhausted once every id was taken; for unique-recycle it waits for
	// a Give until the pool's timeout (ErrTimeout) or ctx is done.
	Take(ctx context.Context) (id int, err error)
	// Give returns an id taken earlier to the back of the free line
	// (unique-recycle); unique-once ids never come back, so it ignores them.
	Give(id int)
}

// NewLender makes the Lender of a unique-once or unique-recycle pool of rows
// rows: what a distributed master holds for each such pool.
func NewLender(def *scenario.Pool, rows int) (Lender, error) {
	if rows <= 0 {
		return nil, scenario.Errorf(def.Pos, "data pool %q: has no rows to lend", def.Name)
	}
	switch def.Mode {
	case scenario.UniqueOnce:
		switch def.OnExhausted {
		case "", scenario.StopVirtualUser, scenario.StopTest:
		default:
			return nil, scenario.Errorf(def.Pos, "data pool %q: on_exhausted %q is not one of %s, %s",
				def.Name, def.OnExhausted, scenario.StopVirtualUser, scenario.StopTest)
		}
		return &onceLender{
			rows:      int64(rows),
			exhausted: fmt.Errorf("data pool %q: all %d rows were used: %w", def.Name, rows, ErrExhausted),
		}, nil
	case scenario.UniqueRecycle:
		timeout := def.Timeout
		if timeout <= 0 {
			timeout = DefaultTimeout
		}
		return newLineLender(def.Name, rows, timeout), nil
	case "", scenario.Cycle, scenario.Random:
		return nil, scenario.Errorf(def.Pos, "data pool %q: mode %s shares no state; only unique-once and unique-recycle pools have a lender", def.Name, def.Mode)
	default:
		return nil, badMode(def)
	}
}

// OpenShared loads def's rows like Open but draws row ids from l, which may
// be shared with other pools (other workers' copies of the same pool, through
// an RPC client of the master's Lender). The guarantees of the mode then hold
// across all of them. def must be a unique mode and the data must have
// l.Len() rows, so that an id means the same row everywhere.
func OpenShared(def *scenario.Pool, dir string, l Lender) (Pool, error) {
	if def.Mode != scenario.UniqueOnce && def.Mode != scenario.UniqueRecycle {
		return nil, scenario.Errorf(def.Pos, "data pool %q: only unique-once and unique-recycle pools are shared", def.Name)
	}
	t, err := load(def, dir)
	if err != nil {
		return nil, scenario.Errorf(def.Pos, "data pool %q: %v", def.Name, err)
	}
	if t.rows() != l.Len() {
		return nil, scenario.Errorf(def.Pos, "data pool %q: has %d rows here but %d where it is shared from; the data must be the same", def.Name, t.rows(), l.Len())
	}
	return &uniquePool{base: base{name: def.Name, mode: def.Mode, t: t}, lender: l}, nil
}

// uniquePool is a unique-once or unique-recycle pool: rows from its table,
// ids from its Lender, the held id in each user's Holder.
type uniquePool struct {
	base
	lender Lender
}

// Draw first gives back the row h already holds: a new draw in the same
// holding scope (a `use` inside a loop, or in a later step) replaces the row
// rather than hoarding a second one, so a user never starves others by
// drawing repeatedly. With a single free row it may get the same row back.
func (p *uniquePool) Draw(ctx context.Context, h *Holder) (Row, error) {
	if h.owner != nil && h.owner != Pool(p) {
		return nil, fmt.Errorf("data pool %q: holder belongs to pool %q", p.name, h.owner.Name())
	}
	p.Release(h)
	id, err := p.lender.Take(ctx)
	if err != nil {
		return nil, err
	}
	if id < 0 || id >= p.t.rows() {
		// Only a broken or mismatched remote lender gets here; the id is
		// not ours to give back.
		return nil, fmt.Errorf("data pool %q: lender handed out row %d of %d", p.name, id, p.t.rows())
	}
	if p.mode == scenario.UniqueRecycle {
		h.held = int32(id) + 1
		h.owner = p
	}
	row, err := p.t.row(id)
	if err != nil {
		// The row stays held: a file that changed under the run is
		// broken for every user, and handing the id out again would not
		// help.
		return nil, err
	}
	return row, nil
}

// Release gives the row h holds, if any, back to the lender.
func (p *uniquePool) Release(h *Holder) {
	if h.held == 0 || h.owner != Pool(p) {
		return
	}
	id := int(h.held - 1)
	h.held = 0
	p.lender.Give(id)
}

// onceLender hands each id out once, in order. A single atomic counter is
// the whole state: no lock, and no id is handed out twice because each
// counter value is seen by one Take only.
type onceLender struct {
	rows      int64
	next      atomic.Int64
	exhausted error
}

func (l *onceLender) Len() int { return int(l.rows) }

func (l *onceLender) Take(context.Context) (int, error) {
	// Once exhausted, the counter is not bumped again, so it cannot wrap
	// however many users keep drawing.
	if l.next.Load() >= l.rows {
		return 0, l.exhausted
	}
	id := l.next.Add(1) - 1
	if id >= l.rows {
		return 0, l.exhausted
	}
	return int(id), nil
}

func (l *onceLender) Give(int) {}
