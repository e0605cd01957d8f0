package html

import (
	"io"
	"testing"

	"github.com/loadrun/loadrun/reports"
)

// BenchmarkWrite renders the 30-second fixture's report.
func BenchmarkWrite(b *testing.B) {
	run, s := fixture(nil)
	b.ReportAllocs()
	for b.Loop() {
		if err := Write(io.Discard, run, s); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkWriteLongRun renders a run whose history is thinned for the
// charts (4500 points, LTTB to 2000 per line).
func BenchmarkWriteLongRun(b *testing.B) {
	s := longRun(b)
	run := reports.Run{Scenario: "long"}
	b.ReportAllocs()
	for b.Loop() {
		if err := Write(io.Discard, run, s); err != nil {
			b.Fatal(err)
		}
	}
}
