package cluster

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/HdrHistogram/hdrhistogram-go"
	"github.com/loadrun/loadrun/internal/termsafe"
	"github.com/loadrun/loadrun/stats"
)

// The snapshot a worker ships is its stats.Snapshot in JSON, with every
// histogram as its geometry and populated buckets (hist.go). Each wire type embeds
// the stats type and shadows only its histogram fields (encoding/json
// prefers the shallower field), so counters added to stats later travel
// without a change here, and times stay exact (durations are nanoseconds).

type wireSnapshot struct {
	stats.Snapshot
	Entries    []*wireEntry      `json:"Entries"`
	Total      *wireEntry        `json:"Total"`
	Rendezvous []*wireRendezvous `json:"Rendezvous"`
	Pacing     []*wirePacing     `json:"Pacing"`
	Phases     []*wirePhase      `json:"Phases"`
}

type wireEntry struct {
	stats.Entry
	Hist []byte `json:"Hist"`
}

type wireRendezvous struct {
	stats.RendezvousEntry
	Sizes []byte `json:"Sizes"`
	Wait  []byte `json:"Wait"`
}

type wirePacing struct {
	stats.PacingEntry
	Lateness []byte `json:"Lateness"`
}

type wirePhase struct {
	stats.PhaseEntry
	Connect  []byte `json:"Connect"`
	TLS      []byte `json:"TLS"`
	Send     []byte `json:"Send"`
	Wait     []byte `json:"Wait"`
	Download []byte `json:"Download"`
}

// histCodec encodes or decodes histograms, keeping the first error so that
// the callers stay one expression per field.
type histCodec struct{ err error }

func (c *histCodec) enc(h *hdrhistogram.PackedHistogram) []byte {
	if h == nil || c.err != nil {
		return nil
	}
	return encodePackedHist(h)
}

func (c *histCodec) dec(b []byte) *hdrhistogram.PackedHistogram {
	if len(b) == 0 || c.err != nil {
		return nil
	}
	h, err := decodePackedHist(b)
	if err != nil {
		c.err = fmt.Errorf("decoding a histogram: %w", err)
	}
	return h
}

func (c *histCodec) entry(e *stats.Entry) *wireEntry {
	if e == nil {
		return nil
	}
	w := &wireEntry{Entry: *e, Hist: c.enc(e.Hist)}
	w.Entry.Hist = nil
	return w
}

func (c *histCodec) unentry(w *wireEntry) *stats.Entry {
	if w == nil {
		return nil
	}
	e := w.Entry
	e.Hist = c.dec(w.Hist)
	return &e
}

// encodeSnapshot is the wire form of s; s is not changed.
func encodeSnapshot(s *stats.Snapshot) ([]byte, error) {
	var c histCodec
	w := &wireSnapshot{Snapshot: *s, Total: c.entry(s.Total)}
	w.Snapshot.Entries, w.Snapshot.Total, w.Snapshot.Rendezvous, w.Snapshot.Pacing, w.Snapshot.Phases = nil, nil, nil, nil, nil
	// The master needs the cumulative numbers only; the last tick's
	// interval would double the message (with histograms JSON cannot carry).
	w.Snapshot.Interval = nil
	for _, e := range s.Entries {
		w.Entries = append(w.Entries, c.entry(e))
	}
	for _, r := range s.Rendezvous {
		x := &wireRendezvous{RendezvousEntry: *r, Sizes: c.enc(r.Sizes), Wait: c.enc(r.Wait)}
		x.RendezvousEntry.Sizes, x.RendezvousEntry.Wait = nil, nil
		w.Rendezvous = append(w.Rendezvous, x)
	}
	for _, p := range s.Pacing {
		x := &wirePacing{PacingEntry: *p, Lateness: c.enc(p.Lateness)}
		x.PacingEntry.Lateness = nil
		w.Pacing = append(w.Pacing, x)
	}
	for _, p := range s.Phases {
		x := &wirePhase{PhaseEntry: *p, Connect: c.enc(p.Connect), TLS: c.enc(p.TLS),
			Send: c.enc(p.Send), Wait: c.enc(p.Wait), Download: c.enc(p.Download)}
		x.PhaseEntry.Connect, x.PhaseEntry.TLS, x.PhaseEntry.Send, x.PhaseEntry.Wait, x.PhaseEntry.Download = nil, nil, nil, nil, nil
		w.Phases = append(w.Phases, x)
	}
	if c.err != nil {
		return nil, c.err
	}
	return json.Marshal(w)
}

// decodeSnapshot rebuilds a snapshot from its wire form.
func decodeSnapshot(b []byte) (*stats.Snapshot, error) {
	w, err := decodeWire(b)
	if err != nil {
		return nil, err
	}
	return w.snapshot()
}

// decodeWire decodes a snapshot's wire form, histograms left encoded, and
// checks what merging and the reports take for granted: a peer's null
// row, negative count or control character in a name is an error (or
// escaped), never a panic of the master or a terminal escape.
func decodeWire(b []byte) (*wireSnapshot, error) {
	var w wireSnapshot
	if err := json.Unmarshal(b, &w); err != nil {
		return nil, fmt.Errorf("decoding a snapshot: %w", err)
	}
	if err := w.check(); err != nil {
		return nil, fmt.Errorf("decoding a snapshot: %w", err)
	}
	return &w, nil
}

// errWireRow is a snapshot row a worker cannot have sent.
var errWireRow = errors.New("a null row or a negative count")

// check validates w and makes its names safe to print (see decodeWire).
func (w *wireSnapshot) check() error {
	// Workers never send these (encodeSnapshot drops the interval); a
	// histogram in them would not be one of ours.
	w.Interval = nil
	if w.Users < 0 || w.CPU < 0 {
		return errWireRow
	}
	if o := w.Open; o != nil && (o.Arrivals < 0 || o.Dropped < 0 || o.Late < 0 || o.MaxLag < 0) {
		return errWireRow
	}
	entry := func(e *stats.Entry) bool {
		e.Key = safeKey(e.Key)
		return e.Requests >= 0 && e.Failures >= 0 && e.Unsent >= 0 && e.SumTime >= 0 && e.MinTime >= 0 &&
			e.MaxTime >= 0 && e.ContentBytes >= 0 && e.OutOfRange >= 0 && e.CurrentRPS >= 0 && e.CurrentFailPerSec >= 0
	}
	if w.Total != nil && !entry(&w.Total.Entry) {
		return errWireRow
	}
	for _, e := range w.Entries {
		if e == nil || !entry(&e.Entry) {
			return errWireRow
		}
	}
	for _, e := range w.Errors {
		if e == nil || e.Count < 0 {
			return errWireRow
		}
		e.Key, e.Error = safeKey(e.Key), termsafe.Line(e.Error)
	}
	for _, c := range w.Checks {
		if c == nil || c.Pass < 0 || c.Fail < 0 {
			return errWireRow
		}
		c.Request, c.Name = safeKey(c.Request), termsafe.Line(c.Name)
	}
	for _, r := range w.Rendezvous {
		if r == nil || r.Groups < 0 || r.ByCount < 0 || r.ByTimeout < 0 || r.ByShortfall < 0 {
			return errWireRow
		}
		r.Name = termsafe.Line(r.Name)
	}
	for _, p := range w.Pacing {
		if p == nil || p.Iterations < 0 || p.Late < 0 || p.Skipped < 0 {
			return errWireRow
		}
		p.Task = termsafe.Line(p.Task)
	}
	for _, p := range w.Phases {
		if p == nil || p.Requests < 0 || p.Conns < 0 || p.Handshakes < 0 {
			return errWireRow
		}
		p.Key = safeKey(p.Key)
	}
	for _, p := range w.History {
		if p.Users < 0 || p.Requests < 0 || p.Failures < 0 {
			return errWireRow
		}
	}
	return nil
}

// safeKey is k with its method and name safe to print.
func safeKey(k stats.Key) stats.Key {
	return stats.Key{Method: termsafe.Line(k.Method), Name: termsafe.Line(k.Name)}
}

// snapshot decodes the histograms: the costly half of decoding, which a
// master does only for the latest snapshot of each worker, when it merges.
func (w *wireSnapshot) snapshot() (*stats.Snapshot, error) {
	var c histCodec
	s := w.Snapshot
	s.Total = c.unentry(w.Total)
	for _, e := range w.Entries {
		s.Entries = append(s.Entries, c.unentry(e))
	}
	for _, x := range w.Rendezvous {
		r := x.RendezvousEntry
		r.Sizes, r.Wait = c.dec(x.Sizes), c.dec(x.Wait)
		s.Rendezvous = append(s.Rendezvous, &r)
	}
	for _, x := range w.Pacing {
		p := x.PacingEntry
		p.Lateness = c.dec(x.Lateness)
		s.Pacing = append(s.Pacing, &p)
	}
	for _, x := range w.Phases {
		p := x.PhaseEntry
		p.Connect, p.TLS, p.Send, p.Wait, p.Download = c.dec(x.Connect), c.dec(x.TLS), c.dec(x.Send), c.dec(x.Wait), c.dec(x.Download)
		s.Phases = append(s.Phases, &p)
	}
	if c.err != nil {
		return nil, c.err
	}
	return &s, nil
}
