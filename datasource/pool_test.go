package datasource

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"sync"
	"testing"

	"github.com/loadrun/loadrun/scenario"
)

// numbered opens an inline pool of n rows whose "id" column is 0..n-1.
func numbered(t testing.TB, mode scenario.PoolMode, n int) Pool {
	t.Helper()
	rows := make([]map[string]string, n)
	for i := range rows {
		rows[i] = map[string]string{"id": strconv.Itoa(i), "name": "user" + strconv.Itoa(i)}
	}
	p, err := Open(&scenario.Pool{Name: "ids", Mode: mode, Rows: rows}, "")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// rowID is the "id" of a numbered row, checked against its name.
func rowID(t testing.TB, row Row) int {
	id, err := strconv.Atoi(row["id"])
	if err != nil || row["name"] != "user"+row["id"] {
		t.Errorf("row %v is not a numbered row", row)
		return -1
	}
	return id
}

func TestPoolDescribesItself(t *testing.T) {
	tests := []struct {
		mode scenario.PoolMode
		want scenario.PoolMode
	}{
		{"", scenario.Cycle},                             // no mode is cycle
		{scenario.Cycle, scenario.Cycle},                 // each mode as declared
		{scenario.UniqueOnce, scenario.UniqueOnce},       //
		{scenario.UniqueRecycle, scenario.UniqueRecycle}, //
		{scenario.Random, scenario.Random},               //
	}
	for _, tt := range tests {
		p := numbered(t, tt.mode, 4)
		if got := p.Mode(); got != tt.want {
			t.Errorf("mode %q: Mode() = %q, want %q", tt.mode, got, tt.want)
		}
		if p.Name() != "ids" || p.Len() != 4 || len(p.Columns()) != 2 {
			t.Errorf("mode %q: Name, Len, Columns = %q, %d, %q; want ids, 4, [id name]", tt.mode, p.Name(), p.Len(), p.Columns())
		}
	}
}

func TestCycleWalksEachUserThroughAllRows(t *testing.T) {
	p := numbered(t, scenario.Cycle, 3)
	var a, b Holder
	draw := func(h *Holder) int {
		row, err := p.Draw(context.Background(), h)
		if err != nil {
			t.Fatal(err)
		}
		return rowID(t, row)
	}
	// Interleaved draws: each user keeps its own place and wraps.
	var gotA, gotB []int
	for range 4 {
		gotA = append(gotA, draw(&a))
	}
	gotB = append(gotB, draw(&b), draw(&b))
	gotA = append(gotA, draw(&a))
	if want := []int{0, 1, 2, 0, 1}; !slices.Equal(gotA, want) {
		t.Errorf("user a drew %v, want %v", gotA, want)
	}
	if want := []int{0, 1}; !slices.Equal(gotB, want) {
		t.Errorf("user b drew %v, want %v", gotB, want)
	}
}

func TestCycleParallelUsersKeepTheirOrder(t *testing.T) {
	const users, draws, rows = 200, 50, 7
	p := numbered(t, scenario.Cycle, rows)
	var wg sync.WaitGroup
	for range users {
		wg.Go(func() {
			var h Holder
			for i := range draws {
				row, err := p.Draw(context.Background(), &h)
				if err != nil {
					t.Error(err)
					return
				}
				if got, want := rowID(t, row), i%rows; got != want {
					t.Errorf("draw %d got row %d, want %d", i, got, want)
					return
				}
			}
		})
	}
	wg.Wait()
}

func TestRandomStaysInRangeAndReachesEveryRow(t *testing.T) {
	const rows = 5
	p := numbered(t, scenario.Random, rows)
	seen := make([]int, rows)
	var h Holder
	// 5 rows in 10,000 draws: the chance that one is never drawn is 5·0.8^10000.
	for range 10000 {
		row, err := p.Draw(context.Background(), &h)
		if err != nil {
			t.Fatal(err)
		}
		id := rowID(t, row)
		if id < 0 || id >= rows {
			t.Fatalf("row %d out of range [0, %d)", id, rows)
		}
		seen[id]++
	}
	for id, n := range seen {
		if n == 0 {
			t.Errorf("row %d never drawn", id)
		}
	}
}

func TestUniqueOnceHandsEachRowOutExactlyOnce(t *testing.T) {
	const users, rows = 300, 5000
	p := numbered(t, scenario.UniqueOnce, rows)
	var (
		mu    sync.Mutex
		count = make([]int, rows)
		wg    sync.WaitGroup
	)
	for range users {
		wg.Go(func() {
			var h Holder
			var mine []int
			// Draw until the pool runs out, then make sure it stays out.
			for {
				row, err := p.Draw(context.Background(), &h)
				if errors.Is(err, ErrExhausted) {
					break
				}
				if err != nil {
					t.Error(err)
					return
				}
				mine = append(mine, rowID(t, row))
			}
			for range 3 {
				if _, err := p.Draw(context.Background(), &h); !errors.Is(err, ErrExhausted) {
					t.Errorf("draw after exhaustion: err = %v, want ErrExhausted", err)
				}
			}
			mu.Lock()
			for _, id := range mine {
				count[id]++
			}
			mu.Unlock()
		})
	}
	wg.Wait()
	for id, n := range count {
		if n != 1 {
			t.Errorf("row %d handed out %d times, want exactly once", id, n)
		}
	}
	_, err := p.Draw(context.Background(), new(Holder))
	if want := `data pool "ids": all 5000 rows were used: no rows left`; err == nil || err.Error() != want {
		t.Errorf("exhausted error = %v, want %q", err, want)
	}
}

func TestReleaseIsANoOpOutsideUniqueRecycle(t *testing.T) {
	for _, mode := range []scenario.PoolMode{scenario.Cycle, scenario.UniqueOnce, scenario.Random} {
		p := numbered(t, mode, 2)
		var h Holder
		p.Release(&h) // nothing drawn yet
		if _, err := p.Draw(context.Background(), &h); err != nil {
			t.Fatal(err)
		}
		p.Release(&h)
		p.Release(&h)
		if _, ok := h.Held(); ok {
			t.Errorf("%s: holder reports a held row", mode)
		}
	}
}
