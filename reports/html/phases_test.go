package html

import (
	"slices"
	"strings"
	"testing"

	"github.com/loadrun/loadrun/stats"
)

// withPhases adds phases to the fixture: the root over two kept-alive
// connections, the login over TLS, and a row whose name carries markup.
func withPhases(st *stats.Stats, rec *stats.Recorder) {
	for i := range 100 {
		rec.Phases(keyRoot, stats.PhaseTimes{Connect: msf(0.2), Send: msf(0.01), Wait: msf(0.4 + float64(i)*0.03),
			Download: msf(0.05), NewConn: i < 2})
	}
	for i, v := range []float64{9.57, 10.65, 11.6, 12.3, 250} {
		rec.Phases(keyLogin, stats.PhaseTimes{Connect: msf(1.5), TLS: msf(6), Wait: msf(v - 8), Download: msf(0.1),
			NewConn: i == 0, NewTLS: i == 0})
	}
	rec.Phases(stats.Key{Method: "GET", Name: "<script>alert(1)</script>"}, stats.PhaseTimes{Wait: msf(1)})
}

// TestWritePhases checks the phases table cell by cell, its Aggregated row,
// and that a name with markup shows as text.
func TestWritePhases(t *testing.T) {
	run, s := fixture(withPhases)
	out, doc := render(t, run, s)
	tests := []struct {
		name string
		row  string // XPath of the row
		want []string
	}{
		// Two connections for 100 requests, no TLS: dashes, not zeros.
		{"kept-alive row", rowOf("phases", "/"), []string{"GET", "/", "100", "2", "0.20", "0.20", "0", "-", "-", "1.87", "3.34", "0.05", "0.05"}},
		// One TLS connection for 5 requests; the 250 ms outlier is the p99 wait.
		{"tls row", rowOf("phases", "/login"), []string{"POST", "/login", "5", "1", "1.50", "1.50", "1", "6.01", "6.01", "3.62", "243", "0.10", "0.10"}},
		// The Aggregated row adds every row.
		{"total row", "//section[@id='phases']//tfoot/tr", []string{"", "Aggregated", "106", "3", "0.20", "1.50", "1", "6.01", "6.01", "1.90", "4.32", "0.05", "0.10"}},
		// Markup from the target is text.
		{"escaped name", rowOf("phases", "<script>alert(1)</script>"), []string{"GET", "<script>alert(1)</script>", "1", "0", "-", "-", "0", "-", "-", "1.00", "1.00", "0.00", "0.00"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := cells(doc, tt.row); !slices.Equal(got, tt.want) {
				t.Errorf("row %s\n got %q\nwant %q", tt.row, got, tt.want)
			}
		})
	}
	if strings.Contains(out, "<script>alert(1)") {
		t.Error("a request name's markup reached the page unescaped")
	}
}

// TestWriteNoPhases: a run without phases has no phases section.
func TestWriteNoPhases(t *testing.T) {
	run, s := fixture(nil)
	if out, _ := render(t, run, s); strings.Contains(out, `id="phases"`) {
		t.Error("a run without phases shows a phases section")
	}
}
