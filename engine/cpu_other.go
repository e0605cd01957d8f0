//go:build !unix

package engine

import "time"

// processCPU has no portable source outside Unix (getrusage): loadrun then
// does not measure its own CPU, so it never warns of saturation there.
func processCPU() (time.Duration, bool) { return 0, false }
