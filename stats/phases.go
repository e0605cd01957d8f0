package stats

import (
	"slices"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// phaseDigits is the precision of the phase histograms. A phase breakdown
// answers "where did the time go", for which 1% is plenty, and five
// histograms per request row at three digits would cost several times the
// memory of the response-time histogram they explain.
const phaseDigits = 2

// newPhaseHist is an empty phase histogram, in the sparse form rows use:
// memory grows with the buckets in use.
func newPhaseHist() *hdrhistogram.PackedHistogram {
	return hdrhistogram.NewPacked(histLowest, histHighest, phaseDigits)
}

// PhaseTimes is where the time of one request went, as measured on the
// wire. For a request that followed redirects the phases of every hop add
// up. Connect and TLS are only meaningful on a request that opened a new
// connection (NewConn, NewTLS): a kept-alive connection has no dial to time.
type PhaseTimes struct {
	// Connect is the TCP dial.
	Connect time.Duration
	// TLS is the TLS handshake on a new https connection.
	TLS time.Duration
	// Send is writing the request, up to the last byte flushed.
	Send time.Duration
	// Wait is from the request sent to the first response byte (time to
	// first byte, the server's think time plus one round trip).
	Wait time.Duration
	// Download is from the first response byte to the last body byte.
	Download time.Duration
	// NewConn is true when the request dialled a connection.
	NewConn bool
	// NewTLS is true when that connection made a TLS handshake.
	NewTLS bool
}

// PhaseEntry is the phase breakdown of one request row: a histogram per
// phase, in microseconds with 2 significant digits (within 1%). Connect
// holds one sample per new connection and TLS one per handshake, so their
// counts are Conns and Handshakes, not Requests.
type PhaseEntry struct {
	Key
	// Requests is how many requests were timed: those that got a whole
	// response (a transport failure has no complete set of phases).
	Requests int64
	// Conns is how many of them opened a connection.
	Conns int64
	// Handshakes is how many of those connections made a TLS handshake.
	Handshakes int64

	// The histograms of a published snapshot are shared by later
	// snapshots and must not be written.
	Connect  *hdrhistogram.PackedHistogram
	TLS      *hdrhistogram.PackedHistogram
	Send     *hdrhistogram.PackedHistogram
	Wait     *hdrhistogram.PackedHistogram
	Download *hdrhistogram.PackedHistogram
}

func newPhaseEntry(k Key) *PhaseEntry {
	return &PhaseEntry{Key: k, Connect: newPhaseHist(), TLS: newPhaseHist(),
		Send: newPhaseHist(), Wait: newPhaseHist(), Download: newPhaseHist()}
}

// Phases records the phase times of one request of row k that got a whole
// response. Like Request it takes only the shard's lock and does not
// allocate once k has been seen.
func (r *Recorder) Phases(k Key, p PhaseTimes) {
	sh := r.sh
	sh.mu.Lock()
	e := sh.phases[k]
	if e == nil {
		if k = r.names.admit(k); sh.phases[k] == nil {
			sh.phases[k] = newPhaseEntry(k)
		}
		e = sh.phases[k]
	}
	e.record(p)
	sh.mu.Unlock()
}

func (e *PhaseEntry) record(p PhaseTimes) {
	e.Requests++
	// micros clamps to the histograms' range, so recording cannot fail.
	if p.NewConn {
		e.Conns++
		_ = e.Connect.RecordValue(phaseMicros(p.Connect))
		if p.NewTLS {
			e.Handshakes++
			_ = e.TLS.RecordValue(phaseMicros(p.TLS))
		}
	}
	_ = e.Send.RecordValue(phaseMicros(p.Send))
	_ = e.Wait.RecordValue(phaseMicros(p.Wait))
	_ = e.Download.RecordValue(phaseMicros(p.Download))
}

// phaseMicros is micros without the range flag: a phase below 1 µs (a body
// already in the buffer with its header) is a phase of 1 µs.
func phaseMicros(d time.Duration) int64 {
	us, _ := micros(d)
	return us
}

// add adds another entry's samples to e; o's histograms may be nil (an
// entry read from a file that lacked them).
func (e *PhaseEntry) add(o *PhaseEntry) {
	e.Requests += o.Requests
	e.Conns += o.Conns
	e.Handshakes += o.Handshakes
	for _, pair := range [...][2]*hdrhistogram.PackedHistogram{
		{e.Connect, o.Connect}, {e.TLS, o.TLS}, {e.Send, o.Send}, {e.Wait, o.Wait}, {e.Download, o.Download},
	} {
		if pair[1] != nil {
			pair[0].Merge(pair[1])
		}
	}
}

// plus is a new entry holding e's and o's samples, its histograms sized to
// fit; neither is changed.
func (e *PhaseEntry) plus(o *PhaseEntry) *PhaseEntry {
	c := newPhaseEntry(e.Key)
	c.add(e)
	c.add(o)
	for _, h := range c.hists() {
		h.Compact()
	}
	return c
}

func (e *PhaseEntry) hists() [5]*hdrhistogram.PackedHistogram {
	return [...]*hdrhistogram.PackedHistogram{e.Connect, e.TLS, e.Send, e.Wait, e.Download}
}

// reset empties the entry for the next fold, keeping its storage.
func (e *PhaseEntry) reset() {
	e.Requests, e.Conns, e.Handshakes = 0, 0, 0
	for _, h := range e.hists() {
		h.Reset()
	}
}

func (e *PhaseEntry) empty() bool { return e.Requests == 0 }

// PhasesTotal is every row's phases together under the Aggregated name, or
// nil when no phases were recorded (the run did not ask for them).
func (s *Snapshot) PhasesTotal() *PhaseEntry {
	if len(s.Phases) == 0 {
		return nil
	}
	t := newPhaseEntry(Key{Name: AggregatedName})
	for _, e := range s.Phases {
		t.add(e)
	}
	return t
}

// mergePhases sums phase entries by key into new entries, sorted as
// Snapshot documents; nil when there are none.
func mergePhases(lists ...[]*PhaseEntry) []*PhaseEntry {
	byKey := make(map[Key]*PhaseEntry)
	var out []*PhaseEntry
	for _, list := range lists {
		for _, e := range list {
			c := byKey[e.Key]
			if c == nil {
				c = newPhaseEntry(e.Key)
				byKey[e.Key] = c
				out = append(out, c)
			}
			c.add(e)
		}
	}
	sortPhases(out)
	return out
}

func sortPhases(p []*PhaseEntry) {
	slices.SortFunc(p, func(a, b *PhaseEntry) int { return compareKeys(a.Key, b.Key) })
}
