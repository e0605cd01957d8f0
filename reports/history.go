package reports

import (
	"encoding/csv"
	"errors"
	"fmt"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/loadrun/loadrun/stats"
)

// HistoryWriter writes PREFIX_stats_history.csv as the run goes, as
// Locust's --csv-full-history does: at every tick, one row per request name
// and then the Aggregated row. Rows go to the file at each tick instead of
// being kept, so a run of any length holds only one tick's rows in memory;
// the file has every tick at one-second resolution, where the history kept
// in a snapshot merges older points. Its methods are safe for concurrent
// use (ticks come from the run's clock, Close from the code that ends it).
type HistoryWriter struct {
	mu   sync.Mutex
	f    *os.File
	c    *csv.Writer
	path string
	last time.Time // the time of the last tick written
	err  error     // the first write error, returned by Close
}

// CreateHistory creates (or truncates) the history file at path and writes
// Locust's header.
func CreateHistory(path string) (*HistoryWriter, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	h := &HistoryWriter{f: f, c: csv.NewWriter(f), path: path}
	if err := h.write([][]string{historyColumns}); err != nil {
		return nil, errors.Join(err, f.Close())
	}
	return h, nil
}

// Tick appends the rows of a snapshot published by a tick (its Interval
// set). A snapshot without an interval, one not newer than the last tick
// written, or a tick after Close is skipped: the clock and the end of the
// run may hand over the same tick twice.
func (h *HistoryWriter) Tick(s *stats.Snapshot) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.f == nil || h.err != nil || s == nil || s.Interval == nil || !s.Time.After(h.last) {
		return
	}
	h.last = s.Time
	h.err = h.write(HistoryTickRows(s))
}

// Close writes the run's last tick (final, the snapshot published by the
// tick at the run's end; nil if none) and closes the file. Its error is the
// first error of any write.
func (h *HistoryWriter) Close(final *stats.Snapshot) error {
	h.Tick(final)
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.f == nil {
		return nil
	}
	err := errors.Join(h.err, h.f.Close())
	h.f = nil
	if err != nil {
		return fmt.Errorf("writing %s: %w", h.path, err)
	}
	return nil
}

func (h *HistoryWriter) write(rows [][]string) error {
	for _, r := range rows {
		if err := h.c.Write(r); err != nil {
			return err
		}
	}
	h.c.Flush()
	return h.c.Error()
}

// HistoryTickRows are the full-history rows of one tick's snapshot s (its
// Interval set): one per request name, with the user count, that
// interval's rates and percentiles (N/A when the name had no timed request
// in it, as Locust writes them) and the name's totals up to then, in the
// columns of the Aggregated row, which comes last.
func HistoryTickRows(s *stats.Snapshot) [][]string {
	iv := s.Interval
	secs := iv.Time.Sub(iv.Start).Seconds()
	if secs <= 0 {
		secs = 1 // as stats.Stats.Tick measures such a tick
	}
	inTick := make(map[stats.Key]*stats.Entry, len(iv.Entries))
	for _, e := range iv.Entries {
		inTick[e.Key] = e
	}
	ts := strconv.FormatInt(s.Time.Unix(), 10)
	users := strconv.Itoa(s.Users)
	rows := make([][]string, 0, len(s.Entries)+1)
	for _, e := range s.Entries {
		row := []string{ts, users, csvText(e.Method), csvText(e.Name)}
		t := inTick[e.Key]
		if t == nil {
			t = &stats.Entry{}
		}
		row = append(row, fmt.Sprintf("%f", float64(t.Requests)/secs), fmt.Sprintf("%f", float64(t.Failures)/secs))
		row = append(row, percentileCells(t)...)
		row = append(row, itoa(e.Requests), itoa(e.Failures))
		if e.Requests == e.Unsent { // no timed request yet: Locust's zeros
			row = append(row, "0", "0", "0", "0", decimal(e.AvgContentBytes()))
		} else {
			row = append(row, decimal(ms(e.Median())), decimal(avgMs(e)), decimal(ms(e.MinTime)), decimal(ms(e.MaxTime)),
				decimal(e.AvgContentBytes()))
		}
		rows = append(rows, row)
	}
	for _, p := range iv.History {
		rows = append(rows, aggregatedHistoryRow(p))
	}
	return rows
}
