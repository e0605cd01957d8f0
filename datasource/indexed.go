package datasource

import (
	"bufio"
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
)

// Memory bounds of pools. A data file up to InMemoryLimit bytes is read
// into memory (one string of all values plus 4 bytes of offset per field).
// A larger CSV file stays on disk: loading reads it once, checking every
// row, and keeps the byte offset of every indexEvery-th row; a draw reads
// its row from the file. So a pool costs at most InMemoryLimit bytes plus
// half a byte per row, whatever the file's size. A larger JSON file, which
// cannot be read a row at a time, is refused, as is a CSV file of more
// than MaxRows rows.
const (
	InMemoryLimit = 64 << 20
	MaxRows       = 200_000_000
	indexEvery    = 16
)

// rowSource is where a pool's rows come from: a table in memory or a CSV
// file indexed on disk.
type rowSource interface {
	rows() int
	row(r int) (Row, error)
	columnNames() []string
}

// memory adapts a table in memory, which cannot fail, to rowSource.
type memory struct{ *table }

func (m memory) row(r int) (Row, error) { return m.table.row(r), nil }
func (m memory) columnNames() []string  { return m.columns }

// indexed is a CSV file read a row at a time. It holds the file open and the
// offsets of every indexEvery-th row; reading row r seeks to the offset of
// its group and parses at most indexEvery rows. ReadAt is safe for
// concurrent use, so users draw in parallel.
type indexed struct {
	f       *os.File
	size    int64
	name    string
	columns []string
	comma   rune
	n       int
	// starts[i] is the byte offset where row i*indexEvery begins.
	starts []int64
}

// indexCSV reads the whole file once, checking every row as csvTable does,
// and keeps the offsets. f stays open for the pool's life and is closed
// when the pool is collected.
func indexCSV(f *os.File, size int64, o csvOptions) (*indexed, error) {
	cr := csv.NewReader(bufio.NewReaderSize(f, 1<<16))
	if o.delimiter != 0 {
		cr.Comma = o.delimiter
	}
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	x := &indexed{f: f, size: size, name: o.name, comma: cr.Comma}
	first, err := cr.Read()
	if err != nil {
		return nil, csvError(o.name, err)
	}
	switch {
	case !o.noHeader:
		for i, c := range first {
			if i == 0 {
				c = strings.TrimPrefix(c, "\ufeff")
			}
			x.columns = append(x.columns, strings.TrimSpace(c))
		}
		if err := checkColumns(x.columns); err != nil {
			return nil, fmt.Errorf("%s:1: header: %v", o.name, err)
		}
	case len(o.columns) > 0:
		x.columns = append([]string(nil), o.columns...)
		if err := checkColumns(x.columns); err != nil {
			return nil, fmt.Errorf("columns: %v", err)
		}
	default:
		for i := range first {
			x.columns = append(x.columns, fmt.Sprintf("col%d", i+1))
		}
	}
	// The offset before a record is the offset after the one before it.
	at := int64(0)
	record := first
	if !o.noHeader {
		at = cr.InputOffset()
		record, err = cr.Read()
	}
	for ; err == nil; record, err = cr.Read() {
		if len(record) != len(x.columns) {
			line, _ := cr.FieldPos(0)
			return nil, fmt.Errorf("%s:%d: row has %d fields, %s has %d", o.name, line, len(record), widthSource(o), len(x.columns))
		}
		if x.n%indexEvery == 0 {
			x.starts = append(x.starts, at)
		}
		x.n++
		if x.n > MaxRows {
			return nil, fmt.Errorf("%s: more than %d rows, the most a pool holds", o.name, MaxRows)
		}
		at = cr.InputOffset()
	}
	if err != io.EOF {
		return nil, csvError(o.name, err)
	}
	if x.n == 0 {
		return nil, fmt.Errorf("%s: has a header but no data rows", o.name)
	}
	x.starts = append([]int64(nil), x.starts...)
	runtime.AddCleanup(x, func(f *os.File) { f.Close() }, f)
	return x, nil
}

func (x *indexed) rows() int             { return x.n }
func (x *indexed) columnNames() []string { return x.columns }

// row reads row r from the file.
func (x *indexed) row(r int) (Row, error) {
	g := r / indexEvery
	start := x.starts[g]
	cr := csv.NewReader(bufio.NewReaderSize(io.NewSectionReader(x.f, start, x.size-start), 4096))
	cr.Comma = x.comma
	cr.FieldsPerRecord = -1
	var record []string
	var err error
	for range r - g*indexEvery + 1 {
		if record, err = cr.Read(); err != nil {
			return nil, fmt.Errorf("data file %s changed while the test ran: row %d: %v", x.name, r+1, err)
		}
	}
	if len(record) != len(x.columns) {
		return nil, fmt.Errorf("data file %s changed while the test ran: row %d has %d fields", x.name, r+1, len(record))
	}
	row := make(Row, len(x.columns))
	for i, c := range x.columns {
		row[c] = record[i]
	}
	return row, nil
}
