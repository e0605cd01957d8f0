// Package datasource hands test data rows (accounts, URLs, search terms) to
// virtual users. A scenario declares named pools under `data:`, each read
// from a CSV file, a JSON file or rows written inline, and each with a mode
// that says who may see which row and when: cycle, unique-once,
// unique-recycle or random. README.md states the guarantees of each mode.
//
// The shared state of a pool (which rows are free, how many were handed out)
// lives behind the Pool interface, and for the unique modes behind the
// smaller Lender interface that decides only which row ids are free; the
// state of one user for one pool (its cycle cursor, the row it holds) lives
// in a Holder that the user owns. A distributed master serves the same
// guarantees to many workers by owning the Lender: workers load the same
// rows and open their pools with OpenShared over an RPC client of it.
package datasource

import (
	"context"
	"errors"
	"math/rand/v2"
	"time"

	"github.com/loadrun/loadrun/scenario"
)

// Row is one data row as a user sees it: `${pool.column}` is Row[column].
// Each Draw builds a new map, so the caller may keep or change it.
type Row map[string]string

// Pool hands out the rows of one `data:` entry to virtual users. All methods
// are safe for concurrent use by many users, each with its own Holder.
type Pool interface {
	// Name is the pool's name in the scenario.
	Name() string
	// Mode is how rows are handed out.
	Mode() scenario.PoolMode
	// Columns are the column names in file order. The slice is shared and
	// must not be modified.
	Columns() []string
	// Len is the number of rows.
	Len() int
	// Draw hands out a row for the user whose per-pool state is h. It blocks
	// only in unique-recycle mode (until a row is free, the pool timeout, or
	// ctx is done).
	Draw(ctx context.Context, h *Holder) (Row, error)
	// Release returns every row h holds (unique-recycle) to the back of the
	// pool; a no-op for other modes. Safe to call when nothing is held.
	Release(h *Holder)
}

// Holder is one user's state for one pool: its cycle cursor and, in
// unique-recycle mode, the row it holds. The zero value is ready to use. A
// Holder belongs to one user goroutine and one pool; it is not safe for
// concurrent use.
//
// A Holder is also a holding scope: Release returns what it holds. A user
// that needs a row for its whole life (drawn in on_start) and other rows per
// task iteration keeps one Holder for each scope.
type Holder struct {
	// next is the cycle cursor: the number of draws made so far.
	next int
	// held is 1 + the id of the row held in unique-recycle mode, 0 for none,
	// so that the zero value holds nothing.
	held int32
	// owner is the pool the held row belongs to, so that a Holder used with
	// the wrong pool can never return a row to a pool it did not come from.
	owner Pool
}

// Held reports the id (0-based row number) of the row h holds in
// unique-recycle mode, and whether it holds one.
func (h *Holder) Held() (id int, ok bool) {
	return int(h.held) - 1, h.held != 0
}

var (
	// ErrExhausted is returned (wrapped) by every draw from a unique-once
	// pool after its last row was handed out. The pool's OnExhausted says
	// whether the engine stops the user or the test.
	ErrExhausted = errors.New("no rows left")
	// ErrTimeout is returned (wrapped) by a unique-recycle draw that found no
	// free row within the pool's timeout.
	ErrTimeout = errors.New("timed out waiting for a free row")
)

// DefaultTimeout bounds a unique-recycle wait when the pool sets none.
const DefaultTimeout = 10 * time.Second

// Open loads the rows of def (its file is relative to dir) and returns the
// pool in def's mode. Every error is a *scenario.Error at def's position;
// problems inside the data file name the file and its line in the message.
func Open(def *scenario.Pool, dir string) (Pool, error) {
	if def == nil {
		return nil, errors.New("datasource: nil pool definition")
	}
	t, err := load(def, dir)
	if err != nil {
		return nil, scenario.Errorf(def.Pos, "data pool %q: %v", def.Name, err)
	}
	b := base{name: def.Name, t: t}
	switch mode := def.Mode; mode {
	case "", scenario.Cycle:
		b.mode = scenario.Cycle
		return &cyclePool{base: b}, nil
	case scenario.Random:
		b.mode = mode
		return &randomPool{base: b}, nil
	case scenario.UniqueOnce, scenario.UniqueRecycle:
		l, err := NewLender(def, t.rows())
		if err != nil {
			return nil, err
		}
		b.mode = mode
		return &uniquePool{base: b, lender: l}, nil
	default:
		return nil, badMode(def)
	}
}

// badMode is the error for a mode that is not one of the four.
func badMode(def *scenario.Pool) error {
	return scenario.Errorf(def.Pos, "data pool %q: mode %q is not one of %s, %s, %s, %s",
		def.Name, def.Mode, scenario.Cycle, scenario.UniqueOnce, scenario.UniqueRecycle, scenario.Random)
}

// base is what every mode shares: the name and the rows.
type base struct {
	name string
	mode scenario.PoolMode
	t    rowSource
}

func (b *base) Name() string            { return b.name }
func (b *base) Mode() scenario.PoolMode { return b.mode }
func (b *base) Columns() []string       { return b.t.columnNames() }
func (b *base) Len() int                { return b.t.rows() }

// cyclePool walks every user through all rows in order, wrapping at the end.
// The cursor is in the Holder, so users never contend.
type cyclePool struct{ base }

func (p *cyclePool) Draw(_ context.Context, h *Holder) (Row, error) {
	r := h.next % p.t.rows()
	h.next = r + 1
	return p.t.row(r)
}

func (p *cyclePool) Release(*Holder) {}

// randomPool hands out a uniformly random row on each draw.
type randomPool struct{ base }

func (p *randomPool) Draw(context.Context, *Holder) (Row, error) {
	// The top-level generator of math/rand/v2 is per-thread and lock-free,
	// so parallel users do not serialise on it.
	return p.t.row(rand.IntN(p.t.rows()))
}

func (p *randomPool) Release(*Holder) {}
