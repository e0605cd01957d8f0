package cluster

import (
	"slices"
	"testing"
)

func TestTypeCounts(t *testing.T) {
	for _, tc := range []struct {
		name    string
		users   int
		weights []int
		fixed   []int
		want    []int
	}{
		// The README's example.
		{"three to one", 8, []int{3, 1}, nil, []int{6, 2}},
		// Remainders go to the largest fractions: 10*1/6=1.67, 10*2/6=3.33, 10*3/6=5.
		{"largest fraction first", 10, []int{1, 2, 3}, nil, []int{2, 3, 5}},
		// Equal fractions: the earlier type wins.
		{"tie to the earlier type", 3, []int{1, 1}, nil, []int{2, 1}},
		// A zero weight counts as one, as the engine reads it.
		{"zero weight", 4, []int{0, 1}, nil, []int{2, 2}},
		// Fewer users than types.
		{"fewer users than types", 1, []int{1, 1, 1}, nil, []int{1, 0, 0}},
		// No users at all.
		{"no users", 0, []int{2, 1}, nil, []int{0, 0}},
		// fixed_count: 1 is served first, the weights share the other 9
		// (examples/stages.yaml at 10 users).
		{"fixed count first", 10, []int{1, 1}, []int{1, 0}, []int{1, 9}},
		// Fixed counts in file order, as far as the users go.
		{"fixed counts beyond the users", 3, []int{1, 1, 1}, []int{2, 2, 0}, []int{2, 1, 0}},
		// Every type fixed: more users than their sum run no more.
		{"every type fixed", 10, []int{1, 1}, []int{2, 3}, []int{2, 3}},
		// The weights of the types left share the rest: 9 at 1:2 are 3 and 6.
		{"weights share the rest", 12, []int{5, 1, 2}, []int{3, 0, 0}, []int{3, 3, 6}},
	} {
		if got := TypeCounts(tc.users, tc.weights, tc.fixed); !slices.Equal(got, tc.want) {
			t.Errorf("%s: TypeCounts(%d, %v, %v) = %v, want %v", tc.name, tc.users, tc.weights, tc.fixed, got, tc.want)
		}
	}
}

func TestSplit(t *testing.T) {
	for _, tc := range []struct {
		name    string
		users   int
		weights []int
		workers int
		want    [][]int
	}{
		// 8 users at 3:1 on two workers: 3+1 each.
		{"even", 8, []int{3, 1}, 2, [][]int{{3, 1}, {3, 1}}},
		// 7 users (5 and 2) on three workers: totals 3, 2, 2.
		{"uneven", 7, []int{3, 1}, 3, [][]int{{2, 1}, {2, 0}, {1, 1}}},
		// More workers than users: some run none.
		{"idle workers", 2, []int{1}, 4, [][]int{{1}, {1}, {0}, {0}}},
		// One worker runs everything, as a single process would.
		{"one worker", 10, []int{1, 2, 3}, 1, [][]int{{2, 3, 5}}},
	} {
		got := Split(tc.users, tc.weights, nil, tc.workers)
		if !slices.EqualFunc(got, tc.want, slices.Equal) {
			t.Errorf("%s: Split(%d, %v, %d) = %v, want %v", tc.name, tc.users, tc.weights, tc.workers, got, tc.want)
		}
	}
}

// TestSplitProperties checks the guarantees over many shapes: per-type sums
// equal the single-process split, and workers' totals and per-type counts
// are each at most one apart.
func TestSplitProperties(t *testing.T) {
	for users := 0; users <= 40; users++ {
		for workers := 1; workers <= 7; workers++ {
			for _, weights := range [][]int{{1}, {3, 1}, {1, 2, 3}, {5, 1, 1, 2}} {
				got := Split(users, weights, nil, workers)
				want := TypeCounts(users, weights, nil)
				lo, hi := users, 0
				for ti := range weights {
					sum, tlo, thi := 0, users, 0
					for w := range got {
						sum += got[w][ti]
						tlo, thi = min(tlo, got[w][ti]), max(thi, got[w][ti])
					}
					if sum != want[ti] {
						t.Fatalf("Split(%d, %v, %d): type %d sums to %d, want %d", users, weights, workers, ti, sum, want[ti])
					}
					if thi-tlo > 1 {
						t.Fatalf("Split(%d, %v, %d): type %d spread %d..%d", users, weights, workers, ti, tlo, thi)
					}
				}
				for w := range got {
					n := 0
					for _, c := range got[w] {
						n += c
					}
					lo, hi = min(lo, n), max(hi, n)
				}
				if hi-lo > 1 {
					t.Fatalf("Split(%d, %v, %d): worker totals spread %d..%d", users, weights, workers, lo, hi)
				}
			}
		}
	}
}

func TestShare(t *testing.T) {
	for _, tc := range []struct {
		name        string
		rate        float64
		mine, users int
		want        float64
	}{
		// Half the users, half the rate.
		{"half", 10, 5, 10, 5},
		// Rate 0 means all at once everywhere.
		{"all at once", 0, 5, 10, 0},
		// No users anywhere: the rate is left as it is.
		{"no users", 4, 0, 0, 4},
	} {
		if got := Share(tc.rate, tc.mine, tc.users); got != tc.want {
			t.Errorf("%s: Share(%g, %d, %d) = %g, want %g", tc.name, tc.rate, tc.mine, tc.users, got, tc.want)
		}
	}
}
