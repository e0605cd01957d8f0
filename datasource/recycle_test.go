package datasource

import (
	"context"
	"errors"
	"math/rand/v2"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/loadrun/loadrun/scenario"
)

// recycling opens a unique-recycle pool of n numbered rows.
func recycling(t testing.TB, n int, timeout time.Duration) Pool {
	t.Helper()
	rows := make([]map[string]string, n)
	for i := range rows {
		rows[i] = map[string]string{"id": strconv.Itoa(i), "name": "user" + strconv.Itoa(i)}
	}
	p, err := Open(&scenario.Pool{Name: "accounts", Mode: scenario.UniqueRecycle, Rows: rows, Timeout: timeout}, "")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// mustDraw draws without waiting and returns the row id.
func mustDraw(t *testing.T, p Pool, h *Holder) int {
	t.Helper()
	row, err := p.Draw(context.Background(), h)
	if err != nil {
		t.Fatal(err)
	}
	id := rowID(t, row)
	if held, ok := h.Held(); !ok || held != id {
		t.Fatalf("Held() = %d, %v after drawing row %d", held, ok, id)
	}
	return id
}

// TestUniqueRecycleNeverSharesARow is the hammer: many users draw, redraw and
// release a few rows while the test tracks who holds what. A row is marked
// free before the pool can hand it on and marked held only after the pool
// handed it, so any overlap the pool allowed shows as a row already held.
func TestUniqueRecycleNeverSharesARow(t *testing.T) {
	const users, draws, rows = 200, 100, 16
	p := recycling(t, rows, time.Minute)
	var (
		mu     sync.Mutex
		holder = map[int]int{} // row id → user
		wg     sync.WaitGroup
	)
	for u := range users {
		wg.Go(func() {
			var h Holder
			free := func() {
				if id, ok := h.Held(); ok {
					mu.Lock()
					delete(holder, id)
					mu.Unlock()
				}
			}
			for i := range draws {
				free() // a draw gives back what h holds first
				row, err := p.Draw(context.Background(), &h)
				if err != nil {
					t.Errorf("user %d draw %d: %v", u, i, err)
					return
				}
				id := rowID(t, row)
				mu.Lock()
				if other, taken := holder[id]; taken {
					t.Errorf("user %d got row %d, which user %d still holds", u, id, other)
				}
				holder[id] = u
				mu.Unlock()
				runtime.Gosched()
				if rand.IntN(2) == 0 { // end of an iteration half the time, a redraw otherwise
					free()
					p.Release(&h)
				}
			}
			free()
			p.Release(&h)
		})
	}
	wg.Wait()
	assertAllFree(t, p, rows)
}

// TestUniqueRecycleLosesNoRowOnTimeouts makes waits time out and get
// cancelled while rows are being handed over, then checks every row is back.
func TestUniqueRecycleLosesNoRowOnTimeouts(t *testing.T) {
	const users, draws, rows = 100, 50, 4
	p := recycling(t, rows, time.Millisecond)
	var wg sync.WaitGroup
	for u := range users {
		wg.Go(func() {
			var h Holder
			for i := range draws {
				ctx, cancel := context.WithCancel(context.Background())
				if (u+i)%5 == 0 {
					cancel() // some draws are cancelled at once
				}
				_, err := p.Draw(ctx, &h)
				cancel()
				if err != nil && !errors.Is(err, ErrTimeout) && !errors.Is(err, context.Canceled) {
					t.Errorf("draw: %v", err)
				}
				runtime.Gosched()
				p.Release(&h)
			}
		})
	}
	wg.Wait()
	assertAllFree(t, p, rows)
}

// assertAllFree draws every row with fresh holders, none of which may wait.
func assertAllFree(t *testing.T, p Pool, rows int) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // a draw that would wait fails at once instead
	seen := map[int]bool{}
	for range rows {
		row, err := p.Draw(ctx, new(Holder))
		if err != nil {
			t.Fatalf("after %d of %d rows: %v (a row was lost)", len(seen), rows, err)
		}
		seen[rowID(t, row)] = true
	}
	if len(seen) != rows {
		t.Errorf("drew %d distinct rows, want %d", len(seen), rows)
	}
}

func TestUniqueRecycleReturnsRowsToTheBack(t *testing.T) {
	p := recycling(t, 4, 0)
	hs := make([]Holder, 3)
	var got []int
	for i := range hs {
		got = append(got, mustDraw(t, p, &hs[i])) // 0, 1, 2; row 3 stays free
	}
	p.Release(&hs[1]) // free: 3, 1
	p.Release(&hs[0]) // free: 3, 1, 0
	var h Holder
	got = append(got, mustDraw(t, p, &h)) // 3, then redraws give back each time
	got = append(got, mustDraw(t, p, &h)) // free: 1, 0, 3 → 1
	got = append(got, mustDraw(t, p, &h)) // free: 0, 3, 1 → 0
	if want := []int{0, 1, 2, 3, 1, 0}; !slices.Equal(got, want) {
		t.Errorf("draw order %v, want %v", got, want)
	}
}

func TestUniqueRecycleRedrawKeepsOneRow(t *testing.T) {
	p := recycling(t, 1, 0)
	var h Holder
	// With one row, a redraw must give it back first, or it would wait forever.
	for range 3 {
		if got := mustDraw(t, p, &h); got != 0 {
			t.Fatalf("got row %d, want 0", got)
		}
	}
	p.Release(&h)
	p.Release(&h) // releasing twice returns nothing twice
	if _, ok := h.Held(); ok {
		t.Fatal("holder still holds a row after Release")
	}
	var a, b Holder
	mustDraw(t, p, &a)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := p.Draw(ctx, &b); !errors.Is(err, context.Canceled) {
		t.Errorf("second holder: err = %v, want context.Canceled (the row was returned twice)", err)
	}
}

func TestUniqueRecycleHolderBelongsToOnePool(t *testing.T) {
	p, q := recycling(t, 2, 0), recycling(t, 2, 0)
	var h Holder
	mustDraw(t, p, &h)
	if _, err := q.Draw(context.Background(), &h); err == nil {
		t.Fatal("drawing from another pool with a holder in use succeeded")
	}
	q.Release(&h) // not q's row: ignored
	if id, ok := h.Held(); !ok || id != 0 {
		t.Errorf("Held() = %d, %v; want row 0 of the first pool still held", id, ok)
	}
}

func TestUniqueRecycleWaitersAreServedInArrivalOrder(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := recycling(t, 1, 0)
		var owner Holder
		mustDraw(t, p, &owner)

		type result struct {
			who string
			err error
		}
		results := make(chan result, 2)
		var wg sync.WaitGroup
		defer wg.Wait()
		wait := func(who string) {
			wg.Go(func() {
				var h Holder
				row, err := p.Draw(context.Background(), &h)
				if err == nil {
					rowID(t, row)
				}
				results <- result{who, err}
				if err == nil {
					time.Sleep(time.Second) // hold it a while, then pass it on
					p.Release(&h)
				}
			})
			synctest.Wait() // durably blocked: the arrival order is fixed
		}
		wait("first")
		wait("second")
		select {
		case r := <-results:
			t.Fatalf("%s got a row while the only row was held", r.who)
		default:
		}

		p.Release(&owner)
		synctest.Wait()
		for _, want := range []string{"first", "second"} {
			r := <-results
			if r.who != want || r.err != nil {
				t.Errorf("got %s (err %v), want %s to get the row next", r.who, r.err, want)
			}
		}
	})
}

func TestUniqueRecycleWaitTimesOut(t *testing.T) {
	tests := []struct {
		timeout time.Duration
		want    time.Duration
	}{
		{0, DefaultTimeout}, // no timeout set: the default
		{250 * time.Millisecond, 250 * time.Millisecond}, // as set
	}
	for _, tt := range tests {
		synctest.Test(t, func(t *testing.T) {
			p := recycling(t, 1, tt.timeout)
			var owner, h Holder
			mustDraw(t, p, &owner)
			start := time.Now()
			_, err := p.Draw(context.Background(), &h)
			if !errors.Is(err, ErrTimeout) {
				t.Fatalf("err = %v, want ErrTimeout", err)
			}
			if got := time.Since(start); got != tt.want {
				t.Errorf("waited %v, want %v", got, tt.want)
			}
			if _, ok := h.Held(); ok {
				t.Error("holder holds a row after a timeout")
			}
			// The timed-out waiter left the line: the row goes back to the pool.
			p.Release(&owner)
			if got := mustDraw(t, p, &h); got != 0 {
				t.Errorf("after release got row %d, want 0", got)
			}
		})
	}
}

func TestUniqueRecycleWaitEndsWithContext(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := recycling(t, 1, time.Hour)
		var owner Holder
		mustDraw(t, p, &owner)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error)
		go func() {
			_, err := p.Draw(ctx, new(Holder))
			done <- err
		}()
		time.Sleep(time.Second)
		synctest.Wait()
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Errorf("err = %v, want context.Canceled", err)
		}
		p.Release(&owner)
		assertAllFree(t, p, 1)
	})
}
