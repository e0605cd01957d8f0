package datasource

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"
)

// csvOptions are a pool's CSV settings.
type csvOptions struct {
	name      string // the file as written, for messages
	delimiter rune   // 0: ','
	noHeader  bool
	columns   []string // names for a file without a header
}

// check rejects options no CSV reader can use.
func (o csvOptions) check() error {
	if d := o.delimiter; d != 0 && (d == '"' || d == '\r' || d == '\n' || d == utf8.RuneError || !utf8.ValidRune(d)) {
		return fmt.Errorf("delimiter %q cannot separate CSV fields", d)
	}
	if !o.noHeader && len(o.columns) > 0 {
		return errors.New("columns applies only with no_header: true; the header row names the columns")
	}
	return nil
}

// csvTable reads a CSV file: a header row (or options.columns, or
// col1..colN) then data rows, each with as many fields as there are columns.
func csvTable(r io.Reader, size int64, o csvOptions) (*table, error) {
	if err := o.check(); err != nil {
		return nil, err
	}
	cr := csv.NewReader(r)
	if d := o.delimiter; d != 0 {
		cr.Comma = d
	}
	// Field counts are checked here, to say which row is ragged in words.
	cr.FieldsPerRecord = -1
	// Rows are copied into the table at once, so the reader may reuse its slice.
	cr.ReuseRecord = true

	first, err := cr.Read()
	if err == io.EOF {
		return nil, fmt.Errorf("%s: the file is empty", o.name)
	}
	if err != nil {
		return nil, csvError(o.name, err)
	}
	var columns []string
	switch {
	case !o.noHeader:
		columns = make([]string, len(first))
		for i, c := range first {
			if i == 0 {
				// Spreadsheets often save CSV with a byte order mark, which
				// would otherwise become part of the first column's name.
				c = strings.TrimPrefix(c, "\ufeff")
			}
			columns[i] = strings.TrimSpace(c)
		}
		if err := checkColumns(columns); err != nil {
			return nil, fmt.Errorf("%s:1: header: %v", o.name, err)
		}
	case len(o.columns) > 0:
		if len(o.columns) != len(first) {
			line, _ := cr.FieldPos(0)
			return nil, fmt.Errorf("%s:%d: row has %d fields, columns names %d", o.name, line, len(first), len(o.columns))
		}
		columns = append([]string(nil), o.columns...)
		if err := checkColumns(columns); err != nil {
			return nil, fmt.Errorf("columns: %v", err)
		}
	default:
		columns = make([]string, len(first))
		for i := range columns {
			columns[i] = "col" + strconv.Itoa(i+1)
		}
	}

	b := newTableBuilder(columns, size)
	record := first
	if !o.noHeader {
		record, err = cr.Read()
	}
	for ; err == nil; record, err = cr.Read() {
		if len(record) != len(columns) {
			line, _ := cr.FieldPos(0)
			return nil, fmt.Errorf("%s:%d: row has %d fields, %s has %d", o.name, line, len(record), widthSource(o), len(columns))
		}
		if err := b.add(record); err != nil {
			return nil, fmt.Errorf("%s: %v", o.name, err)
		}
	}
	if err != io.EOF {
		return nil, csvError(o.name, err)
	}
	if b.len() == 0 {
		return nil, fmt.Errorf("%s: has a header but no data rows", o.name)
	}
	return b.table(), nil
}

// widthSource names what set the expected field count, for messages.
func widthSource(o csvOptions) string {
	switch {
	case !o.noHeader:
		return "header"
	case len(o.columns) > 0:
		return "columns"
	default:
		return "first row"
	}
}

// csvError turns a parse error into `file:line:col: what`.
func csvError(name string, err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return fmt.Errorf("%s:%d:%d: %v", name, pe.Line, pe.Column, pe.Err)
	}
	return fmt.Errorf("%s: %v", name, err)
}
