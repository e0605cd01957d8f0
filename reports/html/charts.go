package html

import (
	"math"
	"time"

	"github.com/loadrun/loadrun/reports"
	"github.com/loadrun/loadrun/stats"
)

// Series colours: a colour-blind safe set (Okabe–Ito) on white, failures in
// the red readers expect.
const (
	colorRequests = "#0072b2"
	colorFailures = "#d55e00"
	colorMedian   = "#009e73"
	colorP95      = "#e69f00"
	colorP99      = "#cc79a7"
	colorUsers    = "#56b4e9"
)

// chart is one chart of the page: a title, the unit of its y axis and its
// lines. The page script joins the lines on their x values, so each line
// may be thinned on its own.
type chart struct {
	ID     string   `json:"id"`
	Title  string   `json:"title"`
	Unit   string   `json:"unit"`
	Series []series `json:"series"`
	// Points is how many history points the chart was drawn from, before
	// thinning; Seconds > 1 on some of them is said under the chart.
	Points int `json:"points"`
}

// chartData is everything the page script needs, passed as one JSON
// document in a <script type="application/json"> block.
type chartData struct {
	Charts []chart `json:"charts"`
	// Merged is true when older history points cover several seconds each;
	// the page says so, since those points are averages (rates) and maxima
	// (percentiles) over their span.
	Merged bool `json:"merged"`
}

// buildCharts turns the snapshot's per-second history into the three charts
// of the report, each line thinned to maxChartPoints with LTTB.
func buildCharts(history []stats.Point) chartData {
	n := len(history)
	xs := make([]float64, n)
	rps := make([]*float64, n)
	fails := make([]*float64, n)
	p50 := make([]*float64, n)
	p95 := make([]*float64, n)
	p99 := make([]*float64, n)
	users := make([]*float64, n)
	merged := false
	var prevRequests int64
	for i, p := range history {
		xs[i] = float64(p.Time.UnixMilli()) / 1000
		rps[i] = num(p.RPS)
		fails[i] = num(p.FailPerSec)
		users[i] = num(float64(p.Users))
		// A point has percentiles only when a request finished in it; the
		// cumulative count says so even where a percentile rounds to 0.
		done := p.Requests > prevRequests || p.P50 > 0 || p.P99 > 0
		prevRequests = p.Requests
		p50[i] = msValue(p.P50, done)
		p95[i] = msValue(p.P95, done)
		p99[i] = msValue(p.P99, done)
		merged = merged || p.Seconds > 1.5
	}
	line := func(label, color string, ys []*float64) series {
		x, y := thin(xs, ys, maxChartPoints)
		return series{Label: label, Color: color, X: x, Y: y}
	}
	return chartData{
		Merged: merged,
		Charts: []chart{
			{ID: "chart-rps", Title: "Requests per second", Unit: "req/s", Points: n, Series: []series{
				line("requests/s", colorRequests, rps),
				line("failures/s", colorFailures, fails),
			}},
			{ID: "chart-latency", Title: "Response time", Unit: "ms", Points: n, Series: []series{
				line("median", colorMedian, p50),
				line("p95", colorP95, p95),
				line("p99", colorP99, p99),
			}},
			{ID: "chart-users", Title: "Users", Unit: "users", Points: n, Series: []series{
				line("users", colorUsers, users),
			}},
		},
	}
}

// num is v rounded to three decimals for the chart, which is all a reader
// can see and keeps the embedded JSON short.
func num(v float64) *float64 {
	r := math.Round(reports.Finite(v)*1000) / 1000
	return &r
}

// chartSpan is the time the history covers, for the caption under the
// charts.
func chartSpan(history []stats.Point) time.Duration {
	if len(history) == 0 {
		return 0
	}
	first := history[0]
	start := first.Time.Add(-time.Duration(first.Seconds * float64(time.Second)))
	return history[len(history)-1].Time.Sub(start)
}
