package reports

import (
	"fmt"
	"io"
	"strings"

	"github.com/HdrHistogram/hdrhistogram-go"
	"github.com/loadrun/loadrun/stats"
)

// WritePhases writes the "Request phases (ms)" table: for each request,
// how long new connections took to connect and to shake hands (and how
// many there were), how long the server took to send the first byte and
// how long the body took to arrive. Nothing is written when the run did
// not record phases (loadrun run --phases).
func WritePhases(w io.Writer, s *stats.Snapshot) error {
	p := &printer{w: w}
	if len(s.Phases) == 0 {
		return nil
	}
	const nameW = 40
	// Dashes run under the space before each "|" of a row, as in the
	// other tables, so the "|" of the separators and rows line up.
	sep := strings.Join([]string{dashes(typeWidth), dashes(nameW), dashes(8), dashes(25), dashes(25), dashes(17), dashes(16)}, "|")
	p.line("Request phases (ms)")
	p.line("%s| %-24s| %-24s| %-16s| %s", strings.Repeat(" ", typeWidth+1+nameW+1+8),
		"connect", "TLS handshake", "wait (1st byte)", "download")
	p.line("%-8s %s %7s | %7s %7s %7s | %7s %7s %7s | %7s %7s | %7s %7s", "Type", pad("Name", nameW), "# reqs",
		"# new", "p50", "p99", "# new", "p50", "p99", "p50", "p99", "p50", "p99")
	p.line("%s", sep)
	for _, e := range s.Phases {
		phaseRow(p, e, nameW)
	}
	p.line("%s", sep)
	phaseRow(p, s.PhasesTotal(), nameW)
	p.line("")
	p.line("Connect and TLS count only the requests that opened a connection; a kept-alive connection has neither.")
	p.line("")
	return p.err
}

func phaseRow(p *printer, e *stats.PhaseEntry, nameW int) {
	p.line("%-8s %s %7d | %7d %7s %7s | %7d %7s %7s | %7s %7s | %7s %7s",
		fit(e.Method, typeWidth), pad(fit(e.Name, nameW), nameW), e.Requests,
		e.Conns, phaseMs(e.Connect, 50), phaseMs(e.Connect, 99),
		e.Handshakes, phaseMs(e.TLS, 50), phaseMs(e.TLS, 99),
		phaseMs(e.Wait, 50), phaseMs(e.Wait, 99),
		phaseMs(e.Download, 50), phaseMs(e.Download, 99))
}

// phaseMs is a phase's percentile for the console, "-" when nothing was
// measured: no connection opened is not a connect time of zero.
func phaseMs(h *hdrhistogram.PackedHistogram, q float64) string {
	if h == nil || h.TotalCount() == 0 {
		return "-"
	}
	return ConsoleMs(HistTime(h, q))
}

// phaseJSON is one request's phases in the JSON summary.
type phaseJSON struct {
	Method     string        `json:"method"`
	Name       string        `json:"name"`
	Requests   int64         `json:"requests"`
	Conns      int64         `json:"new_connections"`
	Handshakes int64         `json:"tls_handshakes"`
	Connect    phaseHistJSON `json:"connect"`
	TLS        phaseHistJSON `json:"tls"`
	Send       phaseHistJSON `json:"send"`
	Wait       phaseHistJSON `json:"wait"`
	Download   phaseHistJSON `json:"download"`
}

// phaseHistJSON is one phase: derived percentiles for readers and the
// histogram ReadJSON rebuilds from.
type phaseHistJSON struct {
	Count     int64   `json:"count"`
	P50Ms     float64 `json:"p50_ms"`
	P99Ms     float64 `json:"p99_ms"`
	MaxMs     float64 `json:"max_ms"`
	Histogram string  `json:"histogram"`
}

func phasesToJSON(phases []*stats.PhaseEntry, err *error) []phaseJSON {
	out := make([]phaseJSON, 0, len(phases))
	for _, e := range phases {
		out = append(out, phaseJSON{Method: e.Method, Name: e.Name, Requests: e.Requests,
			Conns: e.Conns, Handshakes: e.Handshakes,
			Connect: phaseHistToJSON(e.Connect, err), TLS: phaseHistToJSON(e.TLS, err),
			Send: phaseHistToJSON(e.Send, err), Wait: phaseHistToJSON(e.Wait, err),
			Download: phaseHistToJSON(e.Download, err)})
	}
	return out
}

func phaseHistToJSON(h *hdrhistogram.PackedHistogram, err *error) phaseHistJSON {
	j := phaseHistJSON{Histogram: encodeHist(h, err)}
	if h != nil {
		j.Count = h.TotalCount()
		j.P50Ms, j.P99Ms, j.MaxMs = ms(HistTime(h, 50)), ms(HistTime(h, 99)), ms(HistTime(h, 100))
	}
	return j
}

// phasesFromJSON rebuilds the phase entries; decode names a bad histogram
// by its field.
func phasesFromJSON(phases []phaseJSON, decode func(field, enc string) *hdrhistogram.PackedHistogram) []*stats.PhaseEntry {
	var out []*stats.PhaseEntry
	for i, p := range phases {
		field := func(phase string) string { return fmt.Sprintf("phases[%d].%s.histogram", i, phase) }
		out = append(out, &stats.PhaseEntry{Key: stats.Key{Method: p.Method, Name: p.Name},
			Requests: p.Requests, Conns: p.Conns, Handshakes: p.Handshakes,
			Connect:  decode(field("connect"), p.Connect.Histogram),
			TLS:      decode(field("tls"), p.TLS.Histogram),
			Send:     decode(field("send"), p.Send.Histogram),
			Wait:     decode(field("wait"), p.Wait.Histogram),
			Download: decode(field("download"), p.Download.Histogram)})
	}
	return out
}
