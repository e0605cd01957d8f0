package datasource

import (
	"fmt"
	"math"
	"strings"
)

// table holds every row of a pool in two allocations: all field values
// concatenated into one string, and the end offset of each field. A million
// rows of three columns is then one string plus 12 MB of offsets, where a map
// per row would cost several hundred bytes of headers and buckets each.
type table struct {
	columns []string
	text    string
	// ends[r*len(columns)+c] is where field c of row r ends in text; it
	// starts where the previous field ends.
	ends []uint32
}

// rows is the number of rows.
func (t *table) rows() int { return len(t.ends) / len(t.columns) }

// field is the value of column c in row r.
func (t *table) field(r, c int) string {
	i := r*len(t.columns) + c
	var start uint32
	if i > 0 {
		start = t.ends[i-1]
	}
	return t.text[start:t.ends[i]]
}

// row builds the Row the caller owns. Field values are substrings of the
// shared text, so only the map itself is allocated.
func (t *table) row(r int) Row {
	row := make(Row, len(t.columns))
	for c, name := range t.columns {
		row[name] = t.field(r, c)
	}
	return row
}

// tableBuilder appends rows of a known width to a table.
type tableBuilder struct {
	columns []string
	text    strings.Builder
	ends    []uint32
}

// newTableBuilder starts a table; sizeHint is the expected total length of
// all values (a data file's size is an upper bound), so the text grows once.
func newTableBuilder(columns []string, sizeHint int64) *tableBuilder {
	b := &tableBuilder{columns: columns}
	if sizeHint > 0 && sizeHint < math.MaxUint32 {
		b.text.Grow(int(sizeHint))
	}
	return b
}

// add appends one row; fields must have one value per column.
func (b *tableBuilder) add(fields []string) error {
	for _, f := range fields {
		if uint64(b.text.Len())+uint64(len(f)) > math.MaxUint32 {
			return fmt.Errorf("data is larger than %d bytes, the most a pool holds", uint64(math.MaxUint32))
		}
		b.text.WriteString(f)
		b.ends = append(b.ends, uint32(b.text.Len()))
	}
	if len(b.ends)/len(b.columns) > math.MaxInt32 {
		return fmt.Errorf("data has more than %d rows, the most a pool holds", math.MaxInt32)
	}
	return nil
}

// len is the number of rows added so far.
func (b *tableBuilder) len() int { return len(b.ends) / len(b.columns) }

// table finishes the build. The offsets slice is trimmed so that the
// doubling growth of append does not stay allocated for the whole run.
func (b *tableBuilder) table() *table {
	ends := b.ends
	if cap(ends)-len(ends) > len(ends)/8 {
		ends = append([]uint32(nil), ends...)
	}
	return &table{columns: b.columns, text: b.text.String(), ends: ends}
}
