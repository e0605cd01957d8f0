package datasource

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/loadrun/loadrun/scenario"
)

// load reads def's rows from its file or its inline rows. Errors are plain
// messages; Open places them at the pool's position.
func load(def *scenario.Pool, dir string) (*table, error) {
	switch {
	case def.File != "" && len(def.Rows) > 0:
		return nil, errors.New("has both file and rows; use one")
	case def.File == "" && len(def.Rows) == 0:
		return nil, errors.New("has no rows: give a file (CSV or JSON) or rows")
	case def.File == "":
		return inlineTable(def)
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
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("data file %s not found (looked for %s)", def.File, path)
		}
		return nil, fmt.Errorf("data file %s: %v", def.File, err)
	}
	defer f.Close()
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
		return csvTable(f, size, csvOptions{
			name:      def.File,
			delimiter: delim,
			noHeader:  def.NoHeader,
			columns:   def.Columns,
		})
	case "json":
		if len(def.Columns) > 0 {
			return nil, errors.New("columns applies to CSV files without a header and to inline rows; a JSON file names its columns by its keys")
		}
		return jsonTable(f, size, def.File)
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
