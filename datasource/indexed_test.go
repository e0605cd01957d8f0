package datasource

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/loadrun/loadrun/scenario"
)

// indexedFrom writes data to a file and indexes it as a large file would be.
func indexedFrom(t *testing.T, data string, o csvOptions) (*indexed, error) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "d.csv")
	if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return indexCSV(f, int64(len(data)), o)
}

// TestIndexedMatchesTable: a CSV file read a row at a time from disk gives
// exactly the rows, columns and errors of the same file read into memory,
// quoting, byte order marks, blank lines and rows past a group included.
func TestIndexedMatchesTable(t *testing.T) {
	var many strings.Builder
	many.WriteString("\ufeffid, name\n")
	for i := range 100 {
		fmt.Fprintf(&many, "%d,\"n,%d\"\"\nx\"\n", i, i)
		if i%7 == 0 {
			many.WriteString("\n")
		}
	}
	tests := []struct {
		name string
		data string
		o    csvOptions
	}{
		// Quoted fields with commas, quotes and newlines over many groups.
		{"many rows", many.String(), csvOptions{name: "d.csv"}},
		// No header: named columns.
		{"no header", "1;a\n2;b\n3;c\n", csvOptions{name: "d.csv", delimiter: ';', noHeader: true, columns: []string{"n", "l"}}},
		// No header, no names: col1...
		{"col names", "1,a\n2,b\n", csvOptions{name: "d.csv", noHeader: true}},
		// A ragged row is the same error.
		{"ragged", "a,b\n1,2\n3\n", csvOptions{name: "d.csv"}},
		// A header only.
		{"no rows", "a,b\n", csvOptions{name: "d.csv"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tb, errT := csvTable(strings.NewReader(tt.data), int64(len(tt.data)), tt.o)
			x, errX := indexedFrom(t, tt.data, tt.o)
			if fmt.Sprint(errT) != fmt.Sprint(errX) {
				t.Fatalf("errors differ: in memory %v, indexed %v", errT, errX)
			}
			if errT != nil {
				return
			}
			if tb.rows() != x.rows() || !reflect.DeepEqual(tb.columns, x.columnNames()) {
				t.Fatalf("in memory %d rows %v, indexed %d rows %v", tb.rows(), tb.columns, x.rows(), x.columnNames())
			}
			for r := range tb.rows() {
				got, err := x.row(r)
				if err != nil {
					t.Fatalf("row %d: %v", r, err)
				}
				if want := tb.row(r); !reflect.DeepEqual(got, want) {
					t.Fatalf("row %d: indexed %v, in memory %v", r, got, want)
				}
			}
		})
	}
}

// TestLargeCSVStaysOnDisk: a CSV file above InMemoryLimit is opened as an
// indexed pool (its rows are not in memory), and every mode draws the right
// rows from it, users in parallel.
func TestLargeCSVStaysOnDisk(t *testing.T) {
	if testing.Short() {
		t.Skip("writes a file of 65 MiB")
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "big.csv")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	buf.WriteString("id,pad\n")
	pad := strings.Repeat("p", 100)
	n := 0
	for written := int64(0); written <= InMemoryLimit; n++ {
		fmt.Fprintf(&buf, "%d,%s\n", n, pad)
		if buf.Len() > 1<<20 {
			written += int64(buf.Len())
			buf.WriteTo(f)
		}
	}
	buf.WriteTo(f)
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	for _, mode := range []scenario.PoolMode{scenario.Cycle, scenario.UniqueOnce} {
		p, err := Open(&scenario.Pool{Name: "big", File: "big.csv", Mode: mode, Delimiter: ','}, dir)
		if err != nil {
			t.Fatal(err)
		}
		if b, ok := p.(*cyclePool); ok {
			if _, ok := b.t.(*indexed); !ok {
				t.Errorf("a %d-byte file is held as %T, want an index on disk", InMemoryLimit, b.t)
			}
		}
		if p.Len() != n {
			t.Fatalf("%s: %d rows, want %d", mode, p.Len(), n)
		}
		var wg sync.WaitGroup
		for u := range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				var h Holder
				for i := range 50 {
					row, err := p.Draw(context.Background(), &h)
					if err != nil {
						t.Errorf("%s user %d draw %d: %v", mode, u, i, err)
						return
					}
					id, _ := strconv.Atoi(row["id"])
					if mode == scenario.Cycle && id != i {
						t.Errorf("cycle draw %d gave row %d", i, id)
					}
					if row["pad"] != pad {
						t.Errorf("row %d: pad %q", id, row["pad"])
					}
				}
			}()
		}
		wg.Wait()
	}
}

// TestDataFileNotRegular: a data file that is a FIFO, a device or a
// directory is refused at once (before, validate and run blocked forever
// on a FIFO, deaf to Ctrl-C).
func TestDataFileNotRegular(t *testing.T) {
	dir := t.TempDir()
	if err := syscall.Mkfifo(filepath.Join(dir, "fifo.csv"), 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	if err := os.Mkdir(filepath.Join(dir, "dir.csv"), 0o700); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		file string
		want string
	}{
		// A FIFO: opening it would block until a writer came.
		{"fifo.csv", `data pool "p": data file fifo.csv: it is a named pipe (FIFO), not a regular file; loadrun reads only regular files`},
		// A character device that never ends.
		{"/dev/zero", `data pool "p": data file /dev/zero: it is a device, not a regular file; loadrun reads only regular files`},
		// A directory.
		{"dir.csv", `data pool "p": data file dir.csv: it is a directory, not a file`},
	}
	for _, tt := range tests {
		done := make(chan error, 1)
		go func() {
			_, err := Open(&scenario.Pool{Name: "p", File: tt.file, Format: "csv"}, dir)
			done <- err
		}()
		select {
		case err := <-done:
			if err == nil || err.Error() != tt.want {
				t.Errorf("%s: got %v, want %q", tt.file, err, tt.want)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("%s: Open blocked", tt.file)
		}
	}
}

// BenchmarkLargeCSVPool opens a large CSV pool and reports the heap it
// keeps: LOADRUN_BENCH_CSV_MB sets the file's size (default 128 MiB; the
// figure in README was measured with 1024).
func BenchmarkLargeCSVPool(b *testing.B) {
	mb := 128
	if s := os.Getenv("LOADRUN_BENCH_CSV_MB"); s != "" {
		mb, _ = strconv.Atoi(s)
	}
	dir := b.TempDir()
	path := filepath.Join(dir, "big.csv")
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	var buf bytes.Buffer
	buf.WriteString("username,password,email\n")
	rows := 0
	for written := 0; written < mb<<20; rows++ {
		fmt.Fprintf(&buf, "user%d,secret%d,user%d@example.test\n", rows, rows, rows)
		if buf.Len() > 1<<20 {
			written += buf.Len()
			buf.WriteTo(f)
		}
	}
	buf.WriteTo(f)
	f.Close()
	b.ResetTimer()
	for range b.N {
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		p, err := Open(&scenario.Pool{Name: "big", File: "big.csv", Mode: scenario.UniqueOnce, Delimiter: ','}, dir)
		if err != nil {
			b.Fatal(err)
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/(1<<20), "heap-MiB")
		b.ReportMetric(float64(p.Len()), "rows")
		runtime.KeepAlive(p)
	}
}
