package reports

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"unicode"

	"github.com/loadrun/loadrun/stats"
)

// The CSV files keep Locust 2.12's file names, column names and column
// order, so spreadsheets and scripts written for Locust read them. Two
// things differ on purpose: every time is in milliseconds with as many
// decimals as it has (Locust writes whole milliseconds for the median and
// percentiles, which reads 0.57 ms as 0 or 1), and the percentiles are exact
// from HDR histograms rather than Locust's rounded approximations.

// WriteCSV writes PREFIX_stats.csv, PREFIX_stats_history.csv,
// PREFIX_failures.csv, PREFIX_exceptions.csv, PREFIX_checks.csv when the
// scenario has checks and PREFIX_workers.csv for a distributed run (one
// with run.Workers). Locust's files hold no run parameters.
func WriteCSV(prefix string, run Run, s *stats.Snapshot) error {
	return writeCSV(prefix, run, s, true)
}

// WriteCSVWithoutHistory writes the files WriteCSV writes but
// PREFIX_stats_history.csv, which a HistoryWriter wrote during the run
// (--csv-full-history).
func WriteCSVWithoutHistory(prefix string, run Run, s *stats.Snapshot) error {
	return writeCSV(prefix, run, s, false)
}

func writeCSV(prefix string, run Run, s *stats.Snapshot, history bool) error {
	files := []struct {
		suffix string
		write  func(io.Writer) error
	}{
		{"_stats.csv", func(w io.Writer) error { return WriteStatsCSV(w, s) }},
		{"_stats_history.csv", func(w io.Writer) error { return WriteHistoryCSV(w, s) }},
		{"_failures.csv", func(w io.Writer) error { return WriteFailuresCSV(w, s) }},
		{"_exceptions.csv", WriteExceptionsCSV},
	}
	if len(s.Checks) > 0 {
		files = append(files, struct {
			suffix string
			write  func(io.Writer) error
		}{"_checks.csv", func(w io.Writer) error { return WriteChecksCSV(w, s) }})
	}
	if len(run.Workers) > 0 {
		files = append(files, struct {
			suffix string
			write  func(io.Writer) error
		}{"_workers.csv", func(w io.Writer) error { return WriteWorkersCSV(w, run.Workers) }})
	}
	for _, f := range files {
		if f.suffix == "_stats_history.csv" && !history {
			continue
		}
		if err := writeFile(prefix+f.suffix, f.write); err != nil {
			return err
		}
	}
	return nil
}

func writeFile(path string, write func(io.Writer) error) (err error) {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	// A failed Close can mean the data never reached the disk, so it is an
	// error like any other write error.
	defer func() { err = errors.Join(err, f.Close()) }()
	if err := write(f); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}

// statsColumns are Locust's PREFIX_stats.csv columns.
var statsColumns = append([]string{"Type", "Name", "Request Count", "Failure Count",
	"Median Response Time", "Average Response Time", "Min Response Time", "Max Response Time",
	"Average Content Size", "Requests/s", "Failures/s"}, percentileLabels()...)

func percentileLabels() []string {
	labels := make([]string, len(stats.Percentiles()))
	for i, p := range stats.Percentiles() {
		labels[i] = PercentileLabel(p)
	}
	return labels
}

// WriteStatsCSV writes Locust's PREFIX_stats.csv: one row per request name,
// then the Aggregated row, with the whole run's average rates. Percentiles
// of a row without requests are "N/A", as Locust writes them.
func WriteStatsCSV(w io.Writer, s *stats.Snapshot) error {
	c := csv.NewWriter(w)
	rows := [][]string{statsColumns}
	for _, e := range s.Entries {
		rows = append(rows, statsCSVRow(e, s))
	}
	rows = append(rows, statsCSVRow(total(s), s))
	return writeAll(c, rows)
}

func statsCSVRow(e *stats.Entry, s *stats.Snapshot) []string {
	el := s.Duration()
	row := []string{csvText(e.Method), csvText(e.Name), itoa(e.Requests), itoa(e.Failures),
		decimal(ms(e.Median())), decimal(avgMs(e)), decimal(ms(e.MinTime)), decimal(ms(e.MaxTime)),
		decimal(e.AvgContentBytes()), decimal(e.RPS(el)), decimal(e.FailPerSec(el))}
	return append(row, percentileCells(e)...)
}

// percentileCells are an entry's Locust percentiles in milliseconds, the
// same numbers as the console's percentile table at full precision.
func percentileCells(e *stats.Entry) []string {
	cells := make([]string, len(stats.Percentiles()))
	for i, p := range stats.Percentiles() {
		if e.Requests == e.Unsent { // no timed request
			cells[i] = "N/A"
			continue
		}
		cells[i] = decimal(ms(e.Percentile(p)))
	}
	return cells
}

// historyColumns are Locust's PREFIX_stats_history.csv columns.
var historyColumns = append(append([]string{"Timestamp", "User Count", "Type", "Name", "Requests/s", "Failures/s"},
	percentileLabels()...),
	"Total Request Count", "Total Failure Count", "Total Median Response Time",
	"Total Average Response Time", "Total Min Response Time", "Total Max Response Time",
	"Total Average Content Size")

// WriteHistoryCSV writes Locust's PREFIX_stats_history.csv: one Aggregated
// row per history point (a second, or more for older merged points), as
// Locust writes one per interval, with every column Locust fills: the
// interval's rates and percentiles (N/A for an interval without requests,
// as Locust writes them) and the whole run's counts, median, average, min,
// max and average content size up to that time (0 before any request, as
// Locust writes them).
func WriteHistoryCSV(w io.Writer, s *stats.Snapshot) error {
	c := csv.NewWriter(w)
	rows := [][]string{historyColumns}
	for _, p := range s.History {
		rows = append(rows, aggregatedHistoryRow(p))
	}
	return writeAll(c, rows)
}

// aggregatedHistoryRow is the Aggregated row of one history point.
func aggregatedHistoryRow(p stats.Point) []string {
	row := []string{strconv.FormatInt(p.Time.Unix(), 10), strconv.Itoa(p.Users), "", stats.AggregatedName,
		fmt.Sprintf("%f", Finite(p.RPS)), fmt.Sprintf("%f", Finite(p.FailPerSec))}
	for i := range p.Pct {
		if p.RPS == 0 {
			row = append(row, "N/A")
			continue
		}
		row = append(row, decimal(ms(p.Pct[i])))
	}
	return append(row, itoa(p.Requests), itoa(p.Failures), decimal(ms(p.TotalMedian)), decimal(ms(p.TotalAvg)),
		decimal(ms(p.TotalMin)), decimal(ms(p.TotalMax)), decimal(Finite(p.TotalAvgContentBytes)))
}

// WriteFailuresCSV writes Locust's PREFIX_failures.csv: each distinct error
// of each request name with its count, most frequent first. Error texts
// come from the target; they are written as csvText makes them safe.
func WriteFailuresCSV(w io.Writer, s *stats.Snapshot) error {
	c := csv.NewWriter(w)
	rows := [][]string{{"Method", "Name", "Error", "Occurrences"}}
	for _, e := range s.Errors {
		rows = append(rows, []string{csvText(e.Method), csvText(e.Name), csvText(e.Error), itoa(e.Count)})
	}
	return writeAll(c, rows)
}

// WriteExceptionsCSV writes Locust's PREFIX_exceptions.csv header. loadrun
// runs no user code that could raise, so the file never has rows; it is
// kept so that tools expecting Locust's four files find them.
func WriteExceptionsCSV(w io.Writer) error {
	return writeAll(csv.NewWriter(w), [][]string{{"Count", "Message", "Traceback", "Nodes"}})
}

// WriteChecksCSV writes PREFIX_checks.csv (loadrun's own, Locust has no
// checkpoints): each check of each request with its pass and fail counts
// and its pass ratio (0 to 1).
func WriteChecksCSV(w io.Writer, s *stats.Snapshot) error {
	c := csv.NewWriter(w)
	rows := [][]string{{"Type", "Name", "Check", "Pass Count", "Fail Count", "Pass Ratio"}}
	for _, k := range s.Checks {
		rows = append(rows, []string{csvText(k.Request.Method), csvText(k.Request.Name), csvText(k.Name), itoa(k.Pass), itoa(k.Fail), decimal(passRatio(k))})
	}
	return writeAll(c, rows)
}

func writeAll(c *csv.Writer, rows [][]string) error {
	for _, r := range rows {
		if err := c.Write(r); err != nil {
			return err
		}
	}
	c.Flush()
	return c.Error()
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// csvText makes text that came from a scenario or a target (request names,
// error messages, check names) safe in a spreadsheet: control characters
// are escaped as \n, \r, \t or \u00XX so that a row stays one line and
// nothing reaches a terminal that prints the file; a cell that would begin
// with =, +, - or @ gets a leading apostrophe, so that Excel, LibreOffice
// and Google Sheets show it as text instead of running it as a formula (a
// tab or CR at the start is escaped already). Everything else is kept.
func csvText(s string) string {
	if !strings.ContainsFunc(s, unicode.IsControl) && (s == "" || !strings.ContainsRune("=+-@", rune(s[0]))) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case unicode.IsControl(r):
			fmt.Fprintf(&b, `\u%04X`, r)
		default:
			b.WriteRune(r)
		}
	}
	out := b.String()
	if out != "" && strings.ContainsRune("=+-@", rune(out[0])) {
		out = "'" + out
	}
	return out
}
