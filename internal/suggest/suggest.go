// Package suggest finds the known name a misspelt one was meant to be, for
// "did you mean" hints in scenario keys, function names and threshold
// metrics alike.
package suggest

import "strings"

// Closest returns the candidate nearest to s when s is a plausible typo of
// it: at most two edits away (case ignored), and fewer edits than s has
// characters, so that a one-letter name does not "resemble" everything.
// Ties go to the earlier candidate; "" means nothing is close.
func Closest(s string, candidates []string) string {
	best, bestD := "", 3
	ls := strings.ToLower(s)
	n := len([]rune(s))
	for _, c := range candidates {
		d := Distance(ls, strings.ToLower(c))
		if d < bestD && d < n {
			best, bestD = c, d
		}
	}
	return best
}

// Distance is the optimal string alignment distance: insertions,
// deletions, substitutions and swaps of neighbours each cost one, so the
// common typo "wiat" is one edit from "wait".
func Distance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	if len(ra) > 64 || len(rb) > 64 {
		// Names are short; a long one is no typo of a known name, and
		// bounding the size keeps the quadratic table small on odd input.
		return 1 << 20
	}
	d := make([][]int, len(ra)+1)
	for i := range d {
		d[i] = make([]int, len(rb)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(ra); i++ {
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(ra)][len(rb)]
}
