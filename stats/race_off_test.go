//go:build !race

package stats

// raceEnabled: the race detector slows recording tenfold and changes what
// the heap holds, so memory figures are not measured under it.
const raceEnabled = false
