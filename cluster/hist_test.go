package cluster

import (
	"encoding/binary"
	"testing"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// TestHistRoundTrip: a histogram comes back with every bucket, so
// percentiles merged on the master are exact.
func TestHistRoundTrip(t *testing.T) {
	p := hdrhistogram.NewPacked(1, 3_600_000_000, 3)
	for i := int64(1); i < 3_000_000_000; i = i*3/2 + 1 {
		_ = p.RecordValues(i, i%7+1)
	}
	gp, err := decodePackedHist(encodePackedHist(p))
	if err != nil {
		t.Fatal(err)
	}
	if gp.TotalCount() != p.TotalCount() || gp.Populated() != p.Populated() {
		t.Fatalf("packed: %d samples in %d buckets, want %d in %d", gp.TotalCount(), gp.Populated(), p.TotalCount(), p.Populated())
	}
	for v, c := range p.ForEachBucket {
		if gp.CountAtValue(v) != c {
			t.Errorf("bucket %d: %d, want %d", v, gp.CountAtValue(v), c)
		}
	}
	for _, q := range []float64{0, 50, 99, 99.99, 100} {
		if gp.ValueAtPercentile(q) != p.ValueAtPercentile(q) {
			t.Errorf("p%g: %d, want %d", q, gp.ValueAtPercentile(q), p.ValueAtPercentile(q))
		}
	}
}

// TestHistDecodeHostile: bytes that are not a histogram are an error,
// never a panic of the histogram library.
func TestHistDecodeHostile(t *testing.T) {
	geom := func(kind byte, lo, hi, digits uint64, rest ...uint64) []byte {
		b := []byte{kind}
		for _, v := range append([]uint64{lo, hi, digits}, rest...) {
			b = binary.AppendUvarint(b, v)
		}
		return b
	}
	for _, tc := range []struct {
		name string
		in   []byte
	}{
		// Nothing at all.
		{"empty", nil},
		// Another kind.
		{"wrong kind", geom('X', 1, 1000, 3, 0)},
		// Digits the library panics on.
		{"digits", geom(histPacked, 1, 1000, 9, 0)},
		// A lowest value of 0.
		{"lowest", geom(histPacked, 0, 1000, 3, 0)},
		// A highest below twice the lowest.
		{"range", geom(histPacked, 10, 11, 3, 0)},
		// A lowest value the library cannot take.
		{"huge lowest", geom(histPacked, 1<<50, 1<<60, 3, 0)},
		// A value past the histogram's range.
		{"packed value", geom(histPacked, 1, 1000, 3, 1, 1<<40, 1)},
		// Cut short.
		{"truncated", geom(histPacked, 1, 1000, 3, 2, 5)},
		// Bytes after the last bucket.
		{"trailing", append(geom(histPacked, 1, 1000, 3, 0), 1)},
	} {
		if _, err := decodePackedHist(tc.in); err == nil {
			t.Errorf("%s: no error", tc.name)
		}
	}
}
