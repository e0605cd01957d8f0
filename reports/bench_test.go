package reports

import (
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/loadrun/loadrun/stats"
)

// benchSnapshot is a larger run: 50 request names with 2000 samples each.
func benchSnapshot() (Run, *stats.Snapshot) {
	st := stats.New(t0, 4)
	for i := range 50 {
		k := stats.Key{Method: "GET", Name: fmt.Sprintf("/api/item/%d", i)}
		rec := st.Recorder(i)
		for j := range 2000 {
			err := ""
			if j%100 == 0 {
				err = "HTTP 500"
			}
			rec.Request(k, time.Duration(j+1)*37*time.Microsecond, 512, err)
		}
		rec.Check(k, "status 200", true)
	}
	for i := range 60 {
		st.Tick(t0.Add(time.Duration(i+1) * time.Second))
	}
	run, _ := fixture()
	return run, st.Snapshot(t0.Add(time.Minute))
}

func BenchmarkWriteSummary(b *testing.B) {
	run, s := benchSnapshot()
	b.ReportAllocs()
	for b.Loop() {
		if err := WriteSummary(io.Discard, run, s); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkWriteStatsTable(b *testing.B) {
	_, s := benchSnapshot()
	b.ReportAllocs()
	for b.Loop() {
		if err := WriteStatsTable(io.Discard, s); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkWriteJSON(b *testing.B) {
	run, s := benchSnapshot()
	b.ReportAllocs()
	for b.Loop() {
		if err := WriteJSON(io.Discard, run, s); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkWriteStatsCSV(b *testing.B) {
	_, s := benchSnapshot()
	b.ReportAllocs()
	for b.Loop() {
		if err := WriteStatsCSV(io.Discard, s); err != nil {
			b.Fatal(err)
		}
	}
}
