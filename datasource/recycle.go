package datasource

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"
)

// recyclePool lends each row to one holder at a time. Free rows wait in a
// FIFO ring, so a released row goes to the back and the row that has been
// free longest is lent next. Users that find no free row queue up as
// waiters and are served in arrival order: a released row is handed straight
// to the first waiter, never put back where a later arrival could take it.
type recyclePool struct {
	base
	timeout time.Duration
	// errTimeout is built once: a wait that times out allocates nothing more.
	errTimeout error

	mu sync.Mutex
	// free is a ring of row ids: count ids from head on, wrapping.
	free        []int32
	head, count int
	waiters     []*waiter
}

// waiter is one blocked draw. ch has room for the one row it will be handed,
// so the hand-off under mu never blocks.
type waiter struct {
	ch chan int32
}

func newRecyclePool(b base, timeout time.Duration) *recyclePool {
	n := b.t.rows()
	p := &recyclePool{
		base:       b,
		timeout:    timeout,
		errTimeout: fmt.Errorf("data pool %q: no free row within %v (all %d rows are held): %w", b.name, timeout, n, ErrTimeout),
		free:       make([]int32, n),
		count:      n,
	}
	for i := range p.free {
		p.free[i] = int32(i)
	}
	return p
}

// Draw first returns the row h already holds: a new draw in the same holding
// scope (a `use` inside a loop, or in the next step) replaces the row rather
// than hoarding a second one, so a user can never starve others by drawing
// repeatedly. The user may get the same row back when no other is free.
func (p *recyclePool) Draw(ctx context.Context, h *Holder) (Row, error) {
	if h.owner != nil && h.owner != Pool(p) {
		return nil, fmt.Errorf("data pool %q: holder belongs to pool %q", p.name, h.owner.Name())
	}
	p.Release(h)
	id, err := p.take(ctx)
	if err != nil {
		return nil, err
	}
	h.held = id + 1
	h.owner = p
	return p.t.row(int(id)), nil
}

// Release returns the row h holds, if any, to the back of the pool.
func (p *recyclePool) Release(h *Holder) {
	if h.held == 0 || h.owner != Pool(p) {
		return
	}
	id := h.held - 1
	h.held = 0
	p.put(id)
}

// take removes the first free row, waiting in line for one when none is.
func (p *recyclePool) take(ctx context.Context) (int32, error) {
	p.mu.Lock()
	if p.count > 0 {
		id := p.free[p.head]
		p.head = (p.head + 1) % len(p.free)
		p.count--
		p.mu.Unlock()
		return id, nil
	}
	if err := ctx.Err(); err != nil {
		p.mu.Unlock()
		return 0, err
	}
	w := &waiter{ch: make(chan int32, 1)}
	p.waiters = append(p.waiters, w)
	p.mu.Unlock()

	timer := time.NewTimer(p.timeout)
	defer timer.Stop()
	var err error
	select {
	case id := <-w.ch:
		return id, nil
	case <-timer.C:
		err = p.errTimeout
	case <-ctx.Done():
		err = ctx.Err()
	}

	p.mu.Lock()
	if i := slices.Index(p.waiters, w); i >= 0 {
		p.waiters = slices.Delete(p.waiters, i, i+1)
		p.mu.Unlock()
		return 0, err
	}
	p.mu.Unlock()
	// A row was handed to w while it gave up: the hand-off happened under mu
	// before w left the line, so the row is in ch. Pass it on rather than
	// losing it.
	p.put(<-w.ch)
	return 0, err
}

// put hands id to the longest waiting draw, or appends it to the free ring.
func (p *recyclePool) put(id int32) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.waiters) > 0 {
		w := p.waiters[0]
		p.waiters = slices.Delete(p.waiters, 0, 1)
		w.ch <- id
		return
	}
	p.free[(p.head+p.count)%len(p.free)] = id
	p.count++
}
