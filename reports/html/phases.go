package html

import (
	"fmt"

	"github.com/HdrHistogram/hdrhistogram-go"
	"github.com/loadrun/loadrun/reports"
	"github.com/loadrun/loadrun/stats"
)

// phaseRow is one request's phases, formatted as the console's "Request
// phases (ms)" table formats them.
type phaseRow struct {
	Method, Name                string
	Requests, Conns, Handshakes string
	ConnectP50, ConnectP99      string
	TLSP50, TLSP99              string
	WaitP50, WaitP99            string
	DownloadP50, DownloadP99    string
}

// buildPhases is the phase rows and their Aggregated row; nil rows when the
// run did not record phases, so the section is left out.
func buildPhases(s *stats.Snapshot) ([]phaseRow, phaseRow) {
	if len(s.Phases) == 0 {
		return nil, phaseRow{}
	}
	rows := make([]phaseRow, 0, len(s.Phases))
	for _, e := range s.Phases {
		rows = append(rows, buildPhase(e))
	}
	return rows, buildPhase(s.PhasesTotal())
}

func buildPhase(e *stats.PhaseEntry) phaseRow {
	return phaseRow{Method: e.Method, Name: e.Name,
		Requests: fmt.Sprint(e.Requests), Conns: fmt.Sprint(e.Conns), Handshakes: fmt.Sprint(e.Handshakes),
		ConnectP50: phaseMs(e.Connect, 50), ConnectP99: phaseMs(e.Connect, 99),
		TLSP50: phaseMs(e.TLS, 50), TLSP99: phaseMs(e.TLS, 99),
		WaitP50: phaseMs(e.Wait, 50), WaitP99: phaseMs(e.Wait, 99),
		DownloadP50: phaseMs(e.Download, 50), DownloadP99: phaseMs(e.Download, 99)}
}

// phaseMs is a phase's percentile, "-" when nothing was measured: no
// connection opened is not a connect time of zero.
func phaseMs(h *hdrhistogram.PackedHistogram, q float64) string {
	if h == nil || h.TotalCount() == 0 {
		return "-"
	}
	return fmtMs(reports.HistTime(h, q))
}
