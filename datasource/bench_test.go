package datasource

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"testing"

	"github.com/loadrun/loadrun/scenario"
)

// writeCSV writes a file of n rows of three columns, like an accounts file.
func writeCSV(b *testing.B, n int) string {
	b.Helper()
	path := filepath.Join(b.TempDir(), "accounts.csv")
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriter(f)
	fmt.Fprintln(w, "username,password,email")
	for i := range n {
		fmt.Fprintf(w, "user%d,pw-%08d,user%d@example.com\n", i, i*7919%100000000, i)
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
	return path
}

// heapInUse is the live heap after a full collection.
func heapInUse() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// BenchmarkLoadCSV loads a million-row CSV file and reports the heap the
// loaded pool keeps (heap-MB) next to what the same rows would keep as one
// map per row (map-heap-MB), the layout the table avoids.
func BenchmarkLoadCSV(b *testing.B) {
	const rows = 1_000_000
	path := writeCSV(b, rows)
	def := &scenario.Pool{Name: "accounts", File: filepath.Base(path)}
	var kept uint64
	for b.Loop() {
		before := heapInUse()
		p, err := Open(def, filepath.Dir(path))
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		if p.Len() != rows {
			b.Fatalf("loaded %d rows, want %d", p.Len(), rows)
		}
		kept = heapInUse() - before
		runtime.KeepAlive(p)
		b.StartTimer()
	}
	b.ReportMetric(float64(kept)/(1<<20), "heap-MB")

	b.StopTimer()
	p, err := Open(def, filepath.Dir(path))
	if err != nil {
		b.Fatal(err)
	}
	before := heapInUse()
	maps := make([]Row, rows)
	var h Holder
	for i := range maps {
		maps[i], _ = p.Draw(context.Background(), &h)
	}
	b.ReportMetric(float64(heapInUse()-before)/(1<<20), "map-heap-MB")
	runtime.KeepAlive(maps)
}

// benchTable is a numbered table of n rows of three columns, built without
// going through a file so that the draw benchmarks start at once.
func benchTable(n int) *table {
	tb := newTableBuilder([]string{"username", "password", "email"}, 0)
	for i := range n {
		s := strconv.Itoa(i)
		if err := tb.add([]string{"user" + s, "pw-" + s, "user" + s + "@example.com"}); err != nil {
			panic(err)
		}
	}
	return tb.table()
}

// BenchmarkDraw measures one draw (and, for unique-recycle, its release)
// from parallel users, each with its own Holder.
func BenchmarkDraw(b *testing.B) {
	const rows = 100_000
	t := benchTable(rows)
	modes := []struct {
		mode scenario.PoolMode
		pool func() Pool
	}{
		{scenario.Cycle, func() Pool { return &cyclePool{base: base{name: "b", mode: scenario.Cycle, t: memory{t}}} }},
		{scenario.Random, func() Pool { return &randomPool{base: base{name: "b", mode: scenario.Random, t: memory{t}}} }},
		{scenario.UniqueOnce, func() Pool {
			return &uniquePool{base: base{name: "b", mode: scenario.UniqueOnce, t: memory{t}}, lender: &onceLender{rows: rows, exhausted: ErrExhausted}}
		}},
		{scenario.UniqueRecycle, func() Pool {
			return &uniquePool{base: base{name: "b", mode: scenario.UniqueRecycle, t: memory{t}}, lender: newLineLender("b", rows, DefaultTimeout)}
		}},
	}
	for _, m := range modes {
		b.Run(string(m.mode), func(b *testing.B) {
			p := m.pool()
			var once *onceLender
			if u, ok := p.(*uniquePool); ok {
				once, _ = u.lender.(*onceLender)
			}
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				var h Holder
				ctx := context.Background()
				for pb.Next() {
					row, err := p.Draw(ctx, &h)
					if errors.Is(err, ErrExhausted) && once != nil {
						// Start over, so that the benchmark times draws
						// that hand out a row rather than exhausted ones.
						once.next.Store(0)
						continue
					}
					if err != nil || len(row) != 3 {
						b.Fatalf("draw: %v, %v", row, err)
					}
					p.Release(&h)
				}
			})
		})
	}
}
