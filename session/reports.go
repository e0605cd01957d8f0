package session

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/loadrun/loadrun/reports"
	htmlreport "github.com/loadrun/loadrun/reports/html"
	"github.com/loadrun/loadrun/stats"
)

// Reports are the files a run's report set is written to; "" skips one.
type Reports struct {
	// CSV is the prefix of Locust-compatible PREFIX_stats.csv and siblings.
	CSV string
	// JSON, HTML and JUnit are file paths.
	JSON, HTML, JUnit string
	// History, when set (--csv-full-history), wrote PREFIX_stats_history.csv
	// during the run with per-request rows; Write adds the last tick and
	// closes it instead of writing that file from the final snapshot.
	History *reports.HistoryWriter
}

// csvSuffixes are the files WriteCSV may write under the prefix.
var csvSuffixes = []string{"_stats.csv", "_stats_history.csv", "_failures.csv", "_exceptions.csv", "_checks.csv", "_workers.csv"}

// files lists every path with the flag that named it.
func (p Reports) files() (paths, flags []string) {
	if p.CSV != "" {
		for _, s := range csvSuffixes {
			paths, flags = append(paths, p.CSV+s), append(flags, "--csv")
		}
	}
	for _, f := range []struct{ path, flag string }{{p.JSON, "--json"}, {p.HTML, "--html"}, {p.JUnit, "--junit"}} {
		if f.path != "" {
			paths, flags = append(paths, f.path), append(flags, f.flag)
		}
	}
	return paths, flags
}

// Check finds report paths that cannot be written before the run starts,
// not after an hour of load: a missing directory, a directory where the
// file should be, no permission. It creates no file and changes none (a
// file it had to create to try is removed again).
func (p Reports) Check() error {
	paths, flags := p.files()
	var errs []error
	for i, path := range paths {
		if err := checkWritable(path); err != nil {
			errs = append(errs, fmt.Errorf("%s %s: cannot write the report: %w", flags[i], path, err))
		}
	}
	return errors.Join(errs...)
}

func checkWritable(path string) error {
	info, err := os.Stat(path)
	switch {
	case err == nil && info.IsDir():
		return errors.New("it is a directory")
	case err == nil && !info.Mode().IsRegular():
		return errors.New("it is not a regular file")
	case err == nil:
		f, err := os.OpenFile(path, os.O_WRONLY, 0)
		if err != nil {
			return unwrapPath(err)
		}
		return f.Close()
	case !errors.Is(err, fs.ErrNotExist):
		return unwrapPath(err)
	}
	dir := filepath.Dir(path)
	if d, err := os.Stat(dir); err != nil {
		return fmt.Errorf("directory %s: %w", dir, unwrapPath(err))
	} else if !d.IsDir() {
		return fmt.Errorf("%s is not a directory", dir)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return unwrapPath(err)
	}
	f.Close()
	return os.Remove(path)
}

// unwrapPath drops the path an *fs.PathError repeats.
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// Write renders every report of the set from the result's one final
// snapshot, so they agree; a report that fails does not stop the others.
func (p Reports) Write(res *Result) error {
	var errs []error
	switch {
	case p.CSV != "" && p.History != nil:
		errs = append(errs, p.History.Close(res.LastTick), reports.WriteCSVWithoutHistory(p.CSV, res.Run, res.Snapshot))
	case p.CSV != "":
		errs = append(errs, reports.WriteCSV(p.CSV, res.Run, res.Snapshot))
	}
	write := func(path string, fn func(io.Writer, reports.Run, *stats.Snapshot) error) {
		if path == "" {
			return
		}
		out, err := os.Create(path)
		if err != nil {
			errs = append(errs, err)
			return
		}
		if err := fn(out, res.Run, res.Snapshot); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", path, err))
		}
		if err := out.Close(); err != nil {
			errs = append(errs, err)
		}
	}
	write(p.JSON, reports.WriteJSON)
	write(p.JUnit, reports.WriteJUnit)
	write(p.HTML, htmlreport.Write)
	return errors.Join(errs...)
}
