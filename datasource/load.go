package datasource

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/loadrun/loadrun/internal/regular"
	"github.com/loadrun/loadrun/scenario"
)

// load reads def's rows from its file or its inline rows. Errors are plain
// messages; Open places them at the pool's position.
func load(def *scenario.Pool, dir string) (rowSource, error) {
	switch {
	case def.File != "" && len(def.Rows) > 0:
		return nil, errors.New("has both file and rows; use one")
	case def.File == "" && len(def.Rows) == 0:
		return nil, errors.New("has no rows: give a file (CSV or JSON) or rows")
	case def.File == "":
		t, err := inlineTable(def)
		if err != nil {
			return nil, err
		}
		return memory{t}, nil
	}
	format := strings.ToLower(def.Format)
	if format == "" {
		switch ext := strings.ToLower(filepath.Ext(def.File)); ext {
		case ".csv", ".tsv", ".txt":
			format = "csv"
		case ".json":
			format = "json"
		default:
			return nil, fmt.Errorf("cannot tell the format of %s from its extension %q; set format: csv or json", def.File, ext)
		}
	}
	path := def.File
	if !filepath.IsAbs(path) {
		path = filepath.Join(dir, path)
	}
	// Only a regular file: a FIFO or a device would block the read (and
	// validate) forever, a directory cannot be read.
	f, err := regular.Open(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("data file %s not found (looked for %s)", def.File, path)
		}
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, fmt.Errorf("data file %s: %v", def.File, err)
	}
	keep := false
	defer func() {
		if !keep {
			f.Close()
		}
	}()
	var size int64
	if st, err := f.Stat(); err == nil {
		size = st.Size()
	}
	switch format {
	case "csv":
		if size == 0 {
			return nil, fmt.Errorf("%s: the file is empty", def.File)
		}
		delim := def.Delimiter
		if delim == 0 && strings.EqualFold(filepath.Ext(def.File), ".tsv") {
			delim = '\t'
		}
		o := csvOptions{
			name:      def.File,
			delimiter: delim,
			noHeader:  def.NoHeader,
			columns:   def.Columns,
		}
		if size > InMemoryLimit {
			if err := o.check(); err != nil {
				return nil, err
			}
			x, err := indexCSV(f, size, o)
			keep = err == nil
			return x, err
		}
		t, err := csvTable(f, size, o)
		if err != nil {
			return nil, err
		}
		return memory{t}, nil
	case "json":
		if len(def.Columns) > 0 {
			return nil, errors.New("columns applies to CSV files without a header and to inline rows; a JSON file names its columns by its keys")
		}
		if size > InMemoryLimit {
			return nil, fmt.Errorf("%s: %d MiB; a JSON data file is read whole and may be at most %d MiB: write larger data as CSV, which is read a row at a time", def.File, size>>20, InMemoryLimit>>20)
		}
		t, err := jsonTable(f, size, def.File)
		if err != nil {
			return nil, err
		}
		return memory{t}, nil
	default:
		return nil, fmt.Errorf("format %q is not csv or json", def.Format)
	}
}

// inlineTable builds the table of rows written in the scenario. Maps have
// no order, so the columns are the declared columns first, then any other
// keys sorted; a row without a key has an empty value for it.
func inlineTable(def *scenario.Pool) (*table, error) {
	columns := slices.Clone(def.Columns)
	if err := checkColumns(columns); err != nil {
		return nil, fmt.Errorf("columns: %v", err)
	}
	var extra []string
	for _, row := range def.Rows {
		for k := range row {
			if !slices.Contains(columns, k) && !slices.Contains(extra, k) {
				extra = append(extra, k)
			}
		}
	}
	slices.Sort(extra)
	columns = append(columns, extra...)
	if len(columns) == 0 {
		return nil, errors.New("rows have no columns")
	}
	b := newTableBuilder(columns, 0)
	fields := make([]string, len(columns))
	for _, row := range def.Rows {
		for i, c := range columns {
			fields[i] = row[c]
		}
		if err := b.add(fields); err != nil {
			return nil, err
		}
	}
	return b.table(), nil
}

// checkColumns rejects names a template could not tell apart.
func checkColumns(columns []string) error {
	for i, c := range columns {
		if c == "" {
			return fmt.Errorf("column %d has no name", i+1)
		}
		if slices.Contains(columns[:i], c) {
			return fmt.Errorf("column %q appears twice", c)
		}
	}
	return nil
}
