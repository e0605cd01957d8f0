package stats

import (
	"cmp"
	"slices"
	"time"
)

// rzState is what the rendezvous points did: over the run, since the last
// Tick, and the published copy (nil once something changed).
type rzState struct {
	cum  map[string]*RendezvousEntry
	tick map[string]*RendezvousEntry
	pub  []*RendezvousEntry
}

func (z *rzState) reset() {
	*z = rzState{cum: make(map[string]*RendezvousEntry), tick: make(map[string]*RendezvousEntry)}
}

// Rendezvous records one released group of rendezvous name: its size, why it
// was released and how long each of its users waited.
func (s *Stats) Rendezvous(name string, size int, reason ReleaseReason, waits []time.Duration) {
	s.rzMu.Lock()
	defer s.rzMu.Unlock()
	for _, m := range []map[string]*RendezvousEntry{s.rz.cum, s.rz.tick} {
		e := m[name]
		if e == nil {
			e = &RendezvousEntry{Name: name, Sizes: newSizeHist(), Wait: newHist()}
			m[name] = e
		}
		e.record(size, reason, waits)
	}
	s.rz.pub = nil
}

func (e *RendezvousEntry) record(size int, reason ReleaseReason, waits []time.Duration) {
	e.Groups++
	switch reason {
	case ReleaseByCount:
		e.ByCount++
	case ReleaseByTimeout:
		e.ByTimeout++
	default:
		e.ByShortfall++
	}
	_ = e.Sizes.RecordValue(min(max(int64(size), 1), sizeHighest)) // clamped: cannot fail
	for _, w := range waits {
		us, _ := micros(w)
		_ = e.Wait.RecordValue(us) // clamped: cannot fail
	}
}

// published is a sorted copy of the run's rendezvous entries, made again
// only after a group was released. rzMu is held.
func (z *rzState) published() []*RendezvousEntry {
	if z.pub == nil {
		z.pub = make([]*RendezvousEntry, 0, len(z.cum))
		for _, e := range z.cum {
			c := *e
			c.Sizes = e.Sizes.Clone()
			c.Wait = e.Wait.Clone()
			z.pub = append(z.pub, &c)
		}
		sortRendezvous(z.pub)
	}
	return z.pub
}

// takeTick hands over the entries of groups released since the last Tick.
// rzMu is held.
func (z *rzState) takeTick() []*RendezvousEntry {
	out := make([]*RendezvousEntry, 0, len(z.tick))
	for _, e := range z.tick {
		out = append(out, e)
	}
	z.tick = make(map[string]*RendezvousEntry)
	sortRendezvous(out)
	return out
}

func sortRendezvous(r []*RendezvousEntry) {
	slices.SortFunc(r, func(a, b *RendezvousEntry) int { return cmp.Compare(a.Name, b.Name) })
}
