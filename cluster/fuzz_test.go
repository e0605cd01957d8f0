package cluster

import (
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
	"github.com/loadrun/loadrun/reports"
	"github.com/loadrun/loadrun/stats"
	"github.com/nats-io/nats.go"
)

// Fuzz targets for everything a peer sends that this package decodes. A
// crash they find is kept as a seed under testdata/fuzz/FuzzX, so `go test`
// replays it for ever. Run one with
//
//	go test -run '^$' -fuzz FuzzDecodeSnapshot -fuzztime 75s ./cluster

// seedSnapshot is a worker's real statistics: two names, errors, a check,
// a rendezvous, pacing and history.
func seedSnapshot(t testing.TB) *stats.Snapshot {
	start := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	st := stats.New(start, 1)
	rec := st.Recorder(1)
	for i := range 50 {
		failure := ""
		if i%7 == 0 {
			failure = "HTTP 500"
		}
		rec.Request(stats.Key{Method: "GET", Name: fmt.Sprint("/", i%2)}, time.Duration(i+1)*time.Millisecond, 10, failure)
	}
	st.Rendezvous("r", 3, 0, []time.Duration{time.Millisecond, 2 * time.Millisecond, 3 * time.Millisecond})
	st.SetUsers(2)
	st.Tick(start.Add(time.Second))
	return st.Latest()
}

// FuzzDecodePackedHist: any bytes decode to a histogram whose queries work,
// or to an error; never a panic nor an allocation out of proportion.
func FuzzDecodePackedHist(f *testing.F) {
	p := hdrhistogram.NewPacked(1, 3_600_000_000, 3)
	for i := int64(1); i < 3_000_000_000; i = i*3/2 + 1 {
		_ = p.RecordValues(i, i%7+1)
	}
	f.Add(encodePackedHist(p))
	f.Add(encodePackedHist(hdrhistogram.NewPacked(1, 1000, 2)))
	big := []byte{histPacked}
	for _, v := range []uint64{1, 1 << 40, 5, 3, 1 << 39, 1 << 62, 1, 1 << 62, 0, 1 << 62} {
		big = binary.AppendUvarint(big, v)
	}
	f.Add(big)
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := decodePackedHist(b)
		if err != nil {
			return
		}
		_ = h.TotalCount()
		_ = h.ValueAtPercentile(99)
		_ = h.Max()
		_ = h.Min()
		if int(h.Populated()) > len(b) {
			t.Fatalf("%d buckets from %d bytes", h.Populated(), len(b))
		}
		m := hdrhistogram.NewPacked(1, 3_600_000_000, 3)
		m.Merge(h)
		again, err := decodePackedHist(encodePackedHist(h))
		if err != nil {
			t.Fatalf("a histogram decoded does not decode again once encoded: %v", err)
		}
		if again.TotalCount() != h.TotalCount() {
			t.Fatalf("round trip: %d samples, want %d", again.TotalCount(), h.TotalCount())
		}
	})
}

// FuzzDecodeSnapshot: a worker's statistics (the "snap" of a statsMsg) as
// the master handles them: decoded, merged with another worker's and with
// the previous merge (--csv-full-history).
func FuzzDecodeSnapshot(f *testing.F) {
	s := seedSnapshot(f)
	b, err := encodeSnapshot(s)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add([]byte(`{"Entries":[null],"Total":null}`))
	f.Add([]byte(`{"Errors":[null],"Checks":[null],"Rendezvous":[null],"Pacing":[null],"Phases":[null]}`))
	f.Add([]byte(`{"History":[{"Time":"2026-01-02T03:04:05Z"},{"Time":"2026-01-02T03:04:04Z"}],"Interval":{"Entries":[{"Hist":{}}]}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := decodeSnapshot(b)
		if err != nil {
			return
		}
		if got.Interval != nil {
			t.Fatal("a decoded snapshot carries an interval the master never reads")
		}
		m := stats.Merge(stats.Merge(nil, s), got)
		m = stats.Merge(m, got)
		_ = WithInterval(s, m)
		_ = WithInterval(m, s)
		// What the master prints and writes of it.
		for _, write := range []func(io.Writer, *stats.Snapshot) error{reports.WriteStatsTable, reports.WritePercentiles,
			reports.WriteErrors, reports.WriteChecks, reports.WriteRendezvous, reports.WritePacing, reports.WritePhases,
			reports.WriteStatsCSV, reports.WriteHistoryCSV, reports.WriteFailuresCSV} {
			var out strings.Builder
			_ = write(&out, m)
			if strings.ContainsAny(out.String(), "\x1b\x07\r") {
				t.Fatalf("a control character from a worker is printed raw: %q", out.String())
			}
		}
	})
}

// FuzzDecodeBundle: what a worker does with the master's bundle: decode it
// and write it into its folder. Nothing may land outside that folder.
func FuzzDecodeBundle(f *testing.F) {
	b := &Bundle{Name: "s.yaml", Scenario: []byte(`name: x
host: http://127.0.0.1:1
data:
  d: {file: ../../etc/passwd}
users:
  - name: U
    tasks:
      - steps:
          - request: {url: "/"}
`), Data: map[string][]byte{"d": []byte("a\n1\n")}, Args: []string{"--timeout=1s"}}
	for _, name := range []string{"s.yaml", "../../x.yaml", "/etc/x.yaml", "..", "", "a/../../b.json"} {
		b.Name = name
		w, err := b.encode()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(w)
	}
	root := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := decodeBundle(data)
		if err != nil {
			return
		}
		dir, err := os.MkdirTemp(root, "w")
		if err != nil {
			t.Fatal(err)
		}
		inside := filepath.Join(dir, "in")
		if err := os.Mkdir(inside, 0o700); err != nil {
			t.Fatal(err)
		}
		_, _ = b.Load(inside)
		entries, err := os.ReadDir(dir)
		if err != nil || len(entries) != 1 {
			t.Fatalf("the worker's folder's parent holds %d entries: the bundle wrote outside", len(entries))
		}
		_ = os.RemoveAll(dir)
	})
}

// FuzzAssembler: parts with any headers, in any order, from a few senders:
// the assembler never panics and never holds more than its bounds.
func FuzzAssembler(f *testing.F) {
	f.Add([]byte("a|1|1/2|xx\na|1|2/2|yy\n"))
	f.Add([]byte("a|1|1/65536|x\nb|1|1/3|y\nb|1|2/3|z\nb|1|3/3|w\n"))
	f.Add([]byte("a|1|1/2|x\na|2|1/2|y\na|1|2/2|z\n|||plain\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		asm := newAssembler(func([]byte) {}, nil)
		for line := range strings.SplitSeq(string(in), "\n") {
			f := strings.SplitN(line, "|", 4)
			for len(f) < 4 {
				f = append(f, "")
			}
			m := nats.NewMsg("s")
			if f[2] != "" {
				m.Header.Set(hdrFrom, f[0])
				m.Header.Set(hdrMsg, f[1])
				m.Header.Set(hdrPart, f[2])
			}
			// A short payload stands for a part of up to 1 MB.
			m.Data = []byte(strings.Repeat(f[3], 1+len(f[3])%7))
			asm.onMsg(m)
			asm.mu.Lock()
			n, held := len(asm.pending), asm.held
			asm.mu.Unlock()
			if n > maxSenders || held > maxHeld {
				t.Fatalf("%d messages, %d bytes held", n, held)
			}
		}
	})
}
