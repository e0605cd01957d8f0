package html

import (
	"bytes"
	"encoding/json"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/antchfx/htmlquery"
	"github.com/loadrun/loadrun/reports"
	"github.com/loadrun/loadrun/stats"
)

// TestLTTB checks which points LTTB keeps.
func TestLTTB(t *testing.T) {
	seq := func(n int) []float64 {
		out := make([]float64, n)
		for i := range out {
			out[i] = float64(i)
		}
		return out
	}
	spike := make([]float64, 100)
	spike[37] = 1000
	tests := []struct {
		name      string
		xs, ys    []float64
		threshold int
		want      []int
	}{
		// Nothing to thin: every index, in order.
		{"fewer than threshold", seq(5), seq(5), 10, []int{0, 1, 2, 3, 4}},
		// Exactly the threshold is kept whole.
		{"at threshold", seq(4), seq(4), 4, []int{0, 1, 2, 3}},
		// Below 3 there is no middle to choose from: everything stays.
		{"threshold 2", seq(4), seq(4), 2, []int{0, 1, 2, 3}},
		// No points, no indices.
		{"empty", nil, nil, 10, []int{}},
		// On a flat line all triangles are empty and each bucket's first point wins.
		{"flat line", seq(10), make([]float64, 10), 4, []int{0, 1, 5, 9}},
		// A single spike survives thinning 100 points to 5; the bucket before
		// it keeps its last point, which spans the largest triangle with the
		// spike-raised mean of the next bucket, the one after its first.
		{"spike kept", seq(100), spike, 5, []int{0, 32, 37, 66, 99}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := lttb(tt.xs, tt.ys, tt.threshold)
			if !slices.Equal(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

// TestLTTBShape checks properties that hold for any input: the count, the
// ends, the order.
func TestLTTBShape(t *testing.T) {
	for _, n := range []int{3, 10, 2001, 4601, 10_000} {
		xs, ys := make([]float64, n), make([]float64, n)
		for i := range xs {
			xs[i], ys[i] = float64(i), math.Sin(float64(i)/7)*float64(i%13)
		}
		got := lttb(xs, ys, 1000)
		want := min(n, 1000)
		if len(got) != want || got[0] != 0 || got[len(got)-1] != n-1 || !slices.IsSorted(got) {
			t.Errorf("n=%d: kept %d points from %d to %d (sorted %v), want %d from 0 to %d in order",
				n, len(got), got[0], got[len(got)-1], slices.IsSorted(got), want, n-1)
		}
		for i := 1; i < len(got); i++ {
			if got[i] == got[i-1] {
				t.Fatalf("n=%d: index %d kept twice", n, got[i])
			}
		}
	}
}

func ptr(v float64) *float64 { return &v }

// TestThin checks that thinning keeps gaps as gaps.
func TestThin(t *testing.T) {
	xs := []float64{0, 1, 2, 3, 4, 5, 6, 7}
	ys := []*float64{ptr(1), nil, nil, ptr(2), ptr(9), ptr(3), nil, ptr(1)}
	gotX, gotY := thin(xs, ys, 3)
	// LTTB keeps the ends and the peak of the five values; each run of
	// nulls stays as one null at its start.
	wantX := []float64{0, 1, 4, 6, 7}
	if !slices.Equal(gotX, wantX) {
		t.Fatalf("x = %v, want %v", gotX, wantX)
	}
	for i, want := range []*float64{ptr(1), nil, ptr(9), nil, ptr(1)} {
		if (gotY[i] == nil) != (want == nil) || (want != nil && *gotY[i] != *want) {
			t.Errorf("y[%d] = %v, want %v", i, gotY[i], want)
		}
	}
	// Short series come back as they are.
	if x, _ := thin(xs, ys, 100); len(x) != len(xs) {
		t.Errorf("a short series was thinned to %d points", len(x))
	}
}

// longRun is a snapshot of a run long enough that stats merged its older
// history points, with a latency spike in the merged part.
func longRun(b testing.TB) *stats.Snapshot {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	st := stats.New(start, 1)
	rec := st.Recorder(0)
	k := stats.Key{Method: "GET", Name: "/"}
	const seconds = stats.HistoryRecent + 1200
	for sec := 1; sec <= seconds; sec++ {
		st.SetUsers(10 + sec%50)
		d := msf(5 + float64(sec%30))
		if sec == 1234 {
			d = 4 * time.Second
		}
		rec.Request(k, d, 100, "")
		if sec%17 != 0 {
			rec.Request(k, msf(7), 100, "")
		}
		st.Tick(start.Add(time.Duration(sec) * time.Second))
	}
	return st.Snapshot(start.Add(seconds * time.Second))
}

// TestLongRunCharts checks that a long run's charts are thinned, keep their
// spike and that the page says older points were merged.
func TestLongRunCharts(t *testing.T) {
	s := longRun(t)
	if len(s.History) <= maxChartPoints {
		t.Fatalf("history has %d points; the test needs more than %d", len(s.History), maxChartPoints)
	}
	var buf bytes.Buffer
	if err := Write(&buf, reports.Run{Scenario: "long"}, s); err != nil {
		t.Fatal(err)
	}
	doc, err := htmlquery.Parse(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	var got chartData
	if err := json.Unmarshal([]byte(htmlquery.InnerText(htmlquery.FindOne(doc, "//script[@id='loadrun-data']"))), &got); err != nil {
		t.Fatal(err)
	}
	if !got.Merged {
		t.Error("merged history points not flagged")
	}
	peak := 0.0
	for _, c := range got.Charts {
		for _, sr := range c.Series {
			if len(sr.X) > maxChartPoints || len(sr.X) != len(sr.Y) {
				t.Errorf("%s/%s: %d x and %d y values, want at most %d", c.ID, sr.Label, len(sr.X), len(sr.Y), maxChartPoints)
			}
			if sr.Label == "p99" {
				for _, y := range sr.Y {
					if y != nil {
						peak = max(peak, *y)
					}
				}
			}
		}
	}
	// Two significant digits in the interval histogram.
	if peak < 4000 || peak > 4100 {
		t.Errorf("p99 peak = %v ms, want the 4 s spike", peak)
	}
	if buf.Len() > 400_000 {
		t.Errorf("report of a long run is %d bytes, want under 400 kB", buf.Len())
	}
	t.Logf("%d history points, report %d bytes", len(s.History), buf.Len())
}
