package html

import (
	"math"
	"strconv"
	"time"

	"github.com/loadrun/loadrun/reports"
	"github.com/loadrun/loadrun/stats"
)

// fmtMs formats a response time as the console does: two decimals below
// 10 ms, where they are a large part of a local response's time, whole
// milliseconds above, where they are noise. The HTML and console reports
// of one run must show the same digits.
func fmtMs(d time.Duration) string { return reports.ConsoleMs(d) }

// fmtRate formats a rate per second with two decimals, as the console's
// req/s column does; NaN and infinities show as 0.
func fmtRate(v float64) string {
	return strconv.FormatFloat(reports.Finite(v), 'f', 2, 64)
}

// fmtPercent formats a ratio (0..1) as a percentage with two decimals.
func fmtPercent(ratio float64) string {
	return strconv.FormatFloat(reports.Finite(ratio)*100, 'f', 2, 64) + "%"
}

// fmtBytes formats a byte count with a binary unit, one decimal from KiB up.
func fmtBytes(v float64) string {
	v = reports.Finite(v)
	units := []string{"B", "KiB", "MiB", "GiB", "TiB"}
	i := 0
	for v >= 1024 && i < len(units)-1 {
		v /= 1024
		i++
	}
	if i == 0 {
		return strconv.FormatFloat(math.Round(v), 'f', 0, 64) + " B"
	}
	return strconv.FormatFloat(v, 'f', 1, 64) + " " + units[i]
}

// fmtDuration formats a run's length for people: "1h2m3s", "4.5s", "-" for
// none. Sub-second precision only matters for short runs.
func fmtDuration(d time.Duration) string {
	switch {
	case d <= 0:
		return "-"
	case d < time.Minute:
		return d.Round(10 * time.Millisecond).String()
	}
	return d.Round(time.Second).String()
}

// fmtTime formats a wall-clock time with its zone, "-" when unknown. The
// zone is the run's own, so it matches the target's logs of that run.
func fmtTime(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.Format("2006-01-02 15:04:05 MST")
}

// msValue is d in milliseconds for a chart, nil for "no value" so that the
// chart shows a gap instead of a fall to zero.
func msValue(d time.Duration, ok bool) *float64 {
	if !ok {
		return nil
	}
	v := math.Round(float64(d)/float64(time.Microsecond)) / 1000
	return &v
}

// entryMs formats one of an entry's times, "-" when it has no timed
// request: a row that never ran (or whose requests could not be sent) has
// no minimum, not a minimum of zero.
func entryMs(e *stats.Entry, d time.Duration) string {
	if e == nil || e.Requests == e.Unsent {
		return "-"
	}
	return fmtMs(d)
}
