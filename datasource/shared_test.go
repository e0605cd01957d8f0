package datasource

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/loadrun/loadrun/scenario"
)

// workers opens the same numbered CSV pool n times over one lender, as n
// workers of a distributed run would over an RPC client of the master's.
func workers(t *testing.T, mode scenario.PoolMode, rows, n int) ([]Pool, Lender) {
	t.Helper()
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString("id,name\n")
	for i := range rows {
		b.WriteString(strconv.Itoa(i) + ",user" + strconv.Itoa(i) + "\n")
	}
	if err := os.WriteFile(filepath.Join(dir, "ids.csv"), []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	def := &scenario.Pool{Name: "ids", File: "ids.csv", Mode: mode}
	l, err := NewLender(def, rows)
	if err != nil {
		t.Fatal(err)
	}
	pools := make([]Pool, n)
	for i := range pools {
		if pools[i], err = OpenShared(def, dir, l); err != nil {
			t.Fatal(err)
		}
	}
	return pools, l
}

func TestSharedUniqueRecycleNeverSharesAcrossWorkers(t *testing.T) {
	const users, draws, rows = 120, 100, 10
	pools, _ := workers(t, scenario.UniqueRecycle, rows, 3)
	var (
		mu     sync.Mutex
		holder = map[int]int{}
		wg     sync.WaitGroup
	)
	for u := range users {
		p := pools[u%len(pools)]
		wg.Go(func() {
			var h Holder
			for range draws {
				if id, ok := h.Held(); ok {
					mu.Lock()
					delete(holder, id)
					mu.Unlock()
				}
				row, err := p.Draw(context.Background(), &h)
				if err != nil {
					t.Error(err)
					return
				}
				id := rowID(t, row)
				mu.Lock()
				if other, taken := holder[id]; taken {
					t.Errorf("user %d got row %d, which user %d still holds", u, id, other)
				}
				holder[id] = u
				mu.Unlock()
			}
			if id, ok := h.Held(); ok {
				mu.Lock()
				delete(holder, id)
				mu.Unlock()
			}
			p.Release(&h)
		})
	}
	wg.Wait()
	assertAllFree(t, pools[1], rows)
}

func TestSharedUniqueOnceAcrossWorkers(t *testing.T) {
	const users, rows = 90, 900
	pools, _ := workers(t, scenario.UniqueOnce, rows, 3)
	var (
		mu    sync.Mutex
		count = make([]int, rows)
		wg    sync.WaitGroup
	)
	for u := range users {
		p := pools[u%len(pools)]
		wg.Go(func() {
			var h Holder
			for {
				row, err := p.Draw(context.Background(), &h)
				if errors.Is(err, ErrExhausted) {
					return
				}
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				count[rowID(t, row)]++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	for id, n := range count {
		if n != 1 {
			t.Errorf("row %d handed out %d times across workers, want exactly once", id, n)
		}
	}
}

func TestLenderIgnoresIdsItDidNotLend(t *testing.T) {
	_, l := workers(t, scenario.UniqueRecycle, 2, 1)
	id, err := l.Take(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	// Ids never lent, out of range, or given back twice must not enter the line.
	l.Give(1 - id)
	l.Give(-1)
	l.Give(2)
	l.Give(id)
	l.Give(id)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	got := map[int]bool{}
	for range 3 {
		if id, err := l.Take(ctx); err == nil {
			got[id] = true
		}
	}
	if len(got) != 2 {
		t.Errorf("took %d distinct ids after stray gives, want the 2 rows once each", len(got))
	}
}

func TestSharedErrors(t *testing.T) {
	rows := []map[string]string{{"a": "1"}, {"a": "2"}}
	recycle, err := NewLender(&scenario.Pool{Name: "p", Mode: scenario.UniqueRecycle}, 3)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		run  func() error
		want string
	}{
		{
			// cycle and random keep no shared state to serve.
			name: "lender for cycle",
			run: func() error {
				_, err := NewLender(&scenario.Pool{Name: "p", Mode: scenario.Cycle}, 2)
				return err
			},
			want: `data pool "p": mode cycle shares no state; only unique-once and unique-recycle pools have a lender`,
		},
		{
			// A pool with no rows has nothing to lend.
			name: "lender for no rows",
			run: func() error {
				_, err := NewLender(&scenario.Pool{Name: "p", Mode: scenario.UniqueOnce}, 0)
				return err
			},
			want: `data pool "p": has no rows to lend`,
		},
		{
			// A worker whose data differs from the master's would map ids to other rows.
			name: "row count mismatch",
			run: func() error {
				_, err := OpenShared(&scenario.Pool{Name: "p", Mode: scenario.UniqueRecycle, Rows: rows}, "", recycle)
				return err
			},
			want: `data pool "p": has 2 rows here but 3 where it is shared from; the data must be the same`,
		},
		{
			// Only unique modes are shared.
			name: "shared random",
			run: func() error {
				_, err := OpenShared(&scenario.Pool{Name: "p", Mode: scenario.Random, Rows: rows}, "", recycle)
				return err
			},
			want: `data pool "p": only unique-once and unique-recycle pools are shared`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.run()
			if err == nil || err.Error() != tt.want {
				t.Errorf("err = %v, want %q", err, tt.want)
			}
		})
	}
}
