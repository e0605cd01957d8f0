package cluster

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// Histograms travel as their geometry and their populated buckets, not in
// HdrHistogram's V2 encoding: that one deflates every histogram with a zlib
// writer of its own (BestCompression), which cost a worker with 300 request
// names 340 ms of CPU a second (1.6 s under -race, enough to miss its
// heartbeats). Buckets are what merging needs, so percentiles stay exact.
//
//	'P', then lowest, highest, digits (uvarints): the geometry
//	n, then n × (value − previous value, count) (uvarints)
const histPacked = 'P'

var errHist = errors.New("not a loadrun histogram")

// encodePackedHist is a sparse histogram's wire form.
func encodePackedHist(h *hdrhistogram.PackedHistogram) []byte {
	b := append(make([]byte, 0, 16+6*int(h.Populated())), histPacked)
	b = binary.AppendUvarint(b, uint64(h.LowestTrackableValue()))
	b = binary.AppendUvarint(b, uint64(h.HighestTrackableValue()))
	b = binary.AppendUvarint(b, uint64(h.SignificantFigures()))
	b = binary.AppendUvarint(b, uint64(h.Populated()))
	prev := int64(0)
	for v, c := range h.ForEachBucket {
		b = binary.AppendUvarint(b, uint64(v-prev))
		b = binary.AppendUvarint(b, uint64(c))
		prev = v
	}
	return b
}

// histReader reads uvarints, keeping the first error.
type histReader struct {
	b   []byte
	err error
}

func (r *histReader) next() int64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b)
	if n <= 0 || v > 1<<62 {
		r.err = errHist
		return 0
	}
	r.b = r.b[n:]
	return int64(v)
}

// geometry reads and checks a histogram's 'P' and geometry: values that
// would make the histogram library panic, or allocate without bound, are
// an error.
func (r *histReader) geometry() (lowest, highest int64, digits int) {
	if len(r.b) == 0 || r.b[0] != histPacked {
		r.err = errHist
		return 0, 0, 0
	}
	r.b = r.b[1:]
	lowest, highest, d := r.next(), r.next(), r.next()
	if r.err == nil && (lowest < 1 || lowest > 1<<40 || highest < 2*lowest || d < 1 || d > 5) {
		r.err = fmt.Errorf("%w: geometry %d..%d at %d digits", errHist, lowest, highest, d)
	}
	return lowest, highest, int(d)
}

// decodePackedHist rebuilds a sparse histogram from encodePackedHist's form.
func decodePackedHist(b []byte) (*hdrhistogram.PackedHistogram, error) {
	r := &histReader{b: b}
	lowest, highest, digits := r.geometry()
	n := r.next()
	if r.err != nil {
		return nil, r.err
	}
	h := hdrhistogram.NewPacked(lowest, highest, digits)
	v, total := int64(0), int64(0)
	for range n {
		v += r.next()
		c := r.next()
		if r.err != nil {
			return nil, r.err
		}
		// Counts within one bucket add up: bounding the total keeps every
		// bucket a count this encoding carries (found by fuzzing: two
		// records of 2^62 in one bucket encoded to a count over it).
		if total += c; total > 1<<62 {
			return nil, fmt.Errorf("%w: over 2^62 samples", errHist)
		}
		if err := h.RecordValues(v, c); err != nil {
			return nil, fmt.Errorf("%w: %v", errHist, err)
		}
	}
	if len(r.b) != 0 {
		return nil, errHist
	}
	return h, nil
}
