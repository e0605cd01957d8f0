package datasource

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"
)

// lineLender lends each row to one holder at a time. Free rows wait in a
// FIFO ring, so a released row goes to the back and the row that has been
// free longest is lent next. Users that find no free row queue up as
// waiters and are served in arrival order: a released row is handed straight
// to the first waiter, never put back where a later arrival could take it.
type lineLender struct {
	timeout time.Duration
	// errTimeout is built once: a wait that times out allocates nothing more.
	errTimeout error

	mu sync.Mutex
	// free is a ring of row ids: count ids from head on, wrapping.
	free        []int32
	head, count int
	// lent[id] is true while id is out, so that a Give of an id that is not
	// (a remote worker's mistake) cannot put a row in the line twice.
	lent    []bool
	waiters []*waiter
}

// waiter is one blocked draw. ch has room for the one row it will be handed,
// so the hand-off under mu never blocks.
type waiter struct {
	ch chan int32
}

func newLineLender(name string, n int, timeout time.Duration) *lineLender {
	p := &lineLender{
		timeout:    timeout,
		errTimeout: fmt.Errorf("data pool %q: no free row within %v (all %d rows are held): %w", name, timeout, n, ErrTimeout),
		free:       make([]int32, n),
		lent:       make([]bool, n),
		count:      n,
	}
	for i := range p.free {
		p.free[i] = int32(i)
	}
	return p
}

// Len is the number of rows lent.
func (p *lineLender) Len() int { return len(p.free) }

// Take removes the first free row, waiting in line for one when none is.
func (p *lineLender) Take(ctx context.Context) (int, error) {
	id, err := p.take(ctx)
	return int(id), err
}

// Give puts id at the back of the line, or hands it to the first waiter.
// An id out of range or not lent is ignored: it could only come from a
// confused remote worker, and taking it in would let two holders share it.
func (p *lineLender) Give(id int) {
	if id >= 0 && id < len(p.free) {
		p.put(int32(id))
	}
}

func (p *lineLender) take(ctx context.Context) (int32, error) {
	p.mu.Lock()
	if p.count > 0 {
		id := p.free[p.head]
		p.head = (p.head + 1) % len(p.free)
		p.count--
		p.lent[id] = true
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
func (p *lineLender) put(id int32) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.lent[id] {
		return
	}
	if len(p.waiters) > 0 {
		w := p.waiters[0]
		p.waiters = slices.Delete(p.waiters, 0, 1)
		w.ch <- id
		return
	}
	p.lent[id] = false
	p.free[(p.head+p.count)%len(p.free)] = id
	p.count++
}
