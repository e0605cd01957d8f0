package html

import "math"

// maxChartPoints is how many points a chart series keeps. A browser draws
// far more, but beyond about two thousand points a chart a thousand pixels
// wide shows nothing new and the report only grows: at most MaxHistory
// points reach a report, and each costs some 60 bytes of JSON per series.
const maxChartPoints = 2000

// lttb picks which of the points (xs[i], ys[i]) to keep so that at most
// threshold remain, with Steinarsson's Largest-Triangle-Three-Buckets: the
// first and last points stay, the rest are split into equal buckets and each
// bucket keeps the point that spans the largest triangle with the point kept
// before it and the mean of the next bucket. Unlike averaging, a spike keeps
// its height, which is what a reader of a latency chart looks for.
//
// It returns the kept indices in increasing order; all of them when there are
// no more than threshold points or threshold is below 3 (a line needs its two
// ends and something between them to be worth thinning).
func lttb(xs, ys []float64, threshold int) []int {
	n := min(len(xs), len(ys))
	if threshold < 3 || n <= threshold {
		all := make([]int, n)
		for i := range all {
			all[i] = i
		}
		return all
	}
	kept := make([]int, 0, threshold)
	kept = append(kept, 0)
	// The n-2 inner points are spread over threshold-2 buckets.
	every := float64(n-2) / float64(threshold-2)
	a := 0
	for b := 0; b < threshold-2; b++ {
		lo := int(float64(b)*every) + 1
		hi := min(int(float64(b+1)*every)+1, n-1)
		// The next bucket's mean is the third corner; the last bucket's next
		// is the final point alone.
		nlo, nhi := hi, min(int(float64(b+2)*every)+1, n)
		if b == threshold-3 {
			nlo, nhi = n-1, n
		}
		var mx, my float64
		for i := nlo; i < nhi; i++ {
			mx += xs[i]
			my += ys[i]
		}
		mx /= float64(nhi - nlo)
		my /= float64(nhi - nlo)

		best, bestArea := lo, -1.0
		for i := lo; i < hi; i++ {
			area := math.Abs((xs[a]-mx)*(ys[i]-ys[a]) - (xs[a]-xs[i])*(my-ys[a]))
			if area > bestArea {
				best, bestArea = i, area
			}
		}
		kept = append(kept, best)
		a = best
	}
	return append(kept, n-1)
}

// series is one line of a chart as the page draws it: its own x values
// (Unix seconds) and y values, where a null y is a gap in the line (no
// request finished in that second, so it has no latency to show).
type series struct {
	Label string     `json:"label"`
	Color string     `json:"color"`
	X     []float64  `json:"x"`
	Y     []*float64 `json:"y"`
}

// thin downsamples one series to about maxChartPoints. Gaps are kept apart
// from the thinning: LTTB runs over the points that have a value, and each
// run of missing values is kept as one null at its first x, so a gap stays
// a gap and a line never bridges an idle stretch of the run.
func thin(xs []float64, ys []*float64, limit int) ([]float64, []*float64) {
	if len(xs) <= limit {
		return xs, ys
	}
	var vx, vy []float64
	var idx []int // index in xs of each valued point
	for i, y := range ys {
		if y != nil {
			vx, vy, idx = append(vx, xs[i]), append(vy, *y), append(idx, i)
		}
	}
	keep := make([]bool, len(xs))
	for _, k := range lttb(vx, vy, limit) {
		keep[idx[k]] = true
	}
	outX := make([]float64, 0, limit)
	outY := make([]*float64, 0, limit)
	for i := range xs {
		gapStart := ys[i] == nil && (i == 0 || ys[i-1] != nil)
		if keep[i] || gapStart {
			outX, outY = append(outX, xs[i]), append(outY, ys[i])
		}
	}
	return outX, outY
}
