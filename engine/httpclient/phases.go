package httpclient

import (
	"time"

	"github.com/loadrun/loadrun/stats"
)

// lap sets *d to the time since mark and returns now, the next phase's
// mark: one clock read per phase boundary.
func lap(d *time.Duration, mark time.Time) time.Time {
	now := time.Now()
	*d = now.Sub(mark)
	return now
}

// addPhases adds one hop's phases to a request's: times add up, and the
// request opened a connection (or made a handshake) if any hop did.
func addPhases(sum, hop *stats.PhaseTimes) {
	sum.Connect += hop.Connect
	sum.TLS += hop.TLS
	sum.Send += hop.Send
	sum.Wait += hop.Wait
	sum.Download += hop.Download
	sum.NewConn = sum.NewConn || hop.NewConn
	sum.NewTLS = sum.NewTLS || hop.NewTLS
}
