package reports

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/loadrun/loadrun/stats"
)

// TestWritePhases covers what the golden summary does not: the table's
// absence without phases and rows that lack histograms (read from a
// summary that had none).
func TestWritePhases(t *testing.T) {
	recorded := stats.New(t0, 1)
	recorded.Recorder(0).Phases(stats.Key{Method: "GET", Name: "/"}, stats.PhaseTimes{Wait: 12 * time.Millisecond, NewConn: true, Connect: time.Millisecond})
	tests := []struct {
		name string
		snap *stats.Snapshot
		want []string // substrings of the output, in order; nil: no output
	}{
		// A run without --phases prints nothing, not an empty table.
		{"off", &stats.Snapshot{}, nil},
		// Recorded phases: connect counted, no TLS, wait in ms.
		{"recorded", recorded.Snapshot(t0), []string{"Request phases (ms)", "GET      /", "1    1.00    1.00 |       0       -       - |      12      12", "Aggregated"}},
		// A row without histograms shows dashes instead of failing.
		{"no histograms", &stats.Snapshot{Phases: []*stats.PhaseEntry{{Key: stats.Key{Method: "GET", Name: "/x"}, Requests: 3}}},
			[]string{"GET      /x", "3 |       0       -       - |       0       -       - |       -       - |       -       -"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := WritePhases(&b, tt.snap); err != nil {
				t.Fatal(err)
			}
			got := b.String()
			if tt.want == nil && got != "" {
				t.Fatalf("got output %q, want none", got)
			}
			rest := got
			for _, w := range tt.want {
				i := strings.Index(rest, w)
				if i < 0 {
					t.Fatalf("output lacks %q (in order):\n%s", w, got)
				}
				rest = rest[i+len(w):]
			}
		})
	}
}
