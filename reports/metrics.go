package reports

import (
	"math"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/HdrHistogram/hdrhistogram-go"
	"github.com/loadrun/loadrun/stats"
)

// PercentileLabel is "50%", "99.9%": the column name Locust uses.
func PercentileLabel(p float64) string {
	return strconv.FormatFloat(p, 'f', -1, 64) + "%"
}

// avgMs is the exact mean in milliseconds, unrounded, for CSV and JSON.
func avgMs(e *stats.Entry) float64 {
	if e == nil || e.Requests == e.Unsent {
		return 0
	}
	return float64(e.SumTime) / float64(e.Requests-e.Unsent) / float64(time.Millisecond)
}

// HistValue is a quantile of a histogram that holds plain numbers
// (rendezvous group sizes), 0 when empty.
func HistValue(h *hdrhistogram.PackedHistogram, p float64) int64 {
	if h == nil || h.TotalCount() == 0 {
		return 0
	}
	if p >= 100 {
		return h.Max()
	}
	return h.ValueAtPercentile(p)
}

// HistTime is a quantile of a histogram of microseconds.
func HistTime(h *hdrhistogram.PackedHistogram, p float64) time.Duration {
	return time.Duration(HistValue(h, p)) * time.Microsecond
}

// ms is d in milliseconds, exactly as far as float64 goes.
func ms(d time.Duration) float64 {
	return float64(d) / float64(time.Millisecond)
}

// fromMs is the inverse of ms; rounding recovers the exact nanoseconds for
// any duration below about 52 days.
func fromMs(v float64) time.Duration {
	return time.Duration(math.Round(v * float64(time.Millisecond)))
}

// decimal formats v with the fewest digits that read back to the same
// float64 and never in exponent form, which spreadsheets misread.
func decimal(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "0"
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}

// Finite replaces NaN and infinities (which encoding/json refuses) with 0.
func Finite(v float64) float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0
	}
	return v
}

// ConsoleMs formats a time for the console tables. Locust rounds to whole
// milliseconds, which turns a 0.57 ms local response into "0" or "1"; we
// show two decimals below 10 ms, where those digits are a large part of the
// value, and whole milliseconds from 10 ms up, where they are noise.
func ConsoleMs(d time.Duration) string {
	v := ms(d)
	if v < 10 {
		return strconv.FormatFloat(v, 'f', 2, 64)
	}
	return strconv.FormatFloat(math.Round(v), 'f', 0, 64)
}

// cell makes text from the target (names, error messages) safe for a fixed
// width table: control characters such as newlines and tabs become spaces
// so that a row stays one line.
func cell(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
}

// fit shortens s to at most width runes. Request names usually share their
// start ("/api/v1/...") and differ at the end, so the middle is dropped and
// marked with "…": both the root and the distinguishing tail stay visible.
func fit(s string, width int) string {
	r := []rune(cell(s))
	if len(r) <= width {
		return string(r)
	}
	if width < 2 {
		return string(r[:width])
	}
	head := (width - 1) / 3
	tail := width - 1 - head
	return string(r[:head]) + "…" + string(r[len(r)-tail:])
}

// fitEnd shortens s to at most width runes by cutting its end, marked
// with "…". Check labels say what they test at their start ("jsonpath
// $.items.# equals 3"), so the start is what must stay.
func fitEnd(s string, width int) string {
	r := []rune(cell(s))
	if len(r) <= width {
		return string(r)
	}
	if width < 1 {
		return ""
	}
	return string(r[:width-1]) + "…"
}

// pad left-justifies s in width runes; fmt's %-Ns counts bytes, which would
// misalign any name with a non-ASCII character.
func pad(s string, width int) string {
	n := len([]rune(s))
	if n >= width {
		return s
	}
	return s + strings.Repeat(" ", width-n)
}

// HistMean is a histogram's mean, 0 when it is empty or not finite.
func HistMean(h *hdrhistogram.PackedHistogram) float64 {
	if h == nil || h.TotalCount() == 0 {
		return 0
	}
	return Finite(h.Mean())
}
