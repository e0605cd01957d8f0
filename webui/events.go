package webui

import (
	"bytes"
	"encoding/json"
	"net/http"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
	"github.com/loadrun/loadrun/reports"
	"github.com/loadrun/loadrun/stats"
	"github.com/loadrun/loadrun/thresholds"
)

// eventJSON is one Server-Sent Event of /api/events: everything the page
// draws. History carries only the points the client has not seen yet
// (all of them in a connection's first event and after a reset), so a
// reloaded page gets the whole run's charts back and a long run does not
// resend them every second.
type eventJSON struct {
	State        stateJSON        `json:"state"`
	Stats        []rowJSON        `json:"stats"`
	Total        *rowJSON         `json:"total"`
	FailRatio    float64          `json:"fail_ratio"`
	CPUPercent   float64          `json:"cpu_percent"`
	History      historyJSON      `json:"history"`
	HistoryReset bool             `json:"history_reset"`
	Failures     []failureJSON    `json:"failures"`
	Checks       []checkJSON      `json:"checks"`
	Thresholds   []thresholdJSON  `json:"thresholds"`
	Rendezvous   []rendezvousJSON `json:"rendezvous"`
	Pacing       []pacingJSON     `json:"pacing"`
	Pools        []poolJSON       `json:"pools"`   // null: the run cannot tell
	Workers      []workerJSON     `json:"workers"` // null: not a distributed run
	Warnings     []string         `json:"warnings"`
}

// rowJSON is one line of the statistics table, in Locust's columns.
// Times are null for a row without a timed response.
type rowJSON struct {
	Method            string   `json:"method"`
	Name              string   `json:"name"`
	Requests          int64    `json:"requests"`
	Failures          int64    `json:"failures"`
	MedianMs          *float64 `json:"median_ms"`
	P95Ms             *float64 `json:"p95_ms"`
	P99Ms             *float64 `json:"p99_ms"`
	AvgMs             *float64 `json:"avg_ms"`
	MinMs             *float64 `json:"min_ms"`
	MaxMs             *float64 `json:"max_ms"`
	AvgSize           float64  `json:"avg_size"`
	CurrentRPS        float64  `json:"current_rps"`
	CurrentFailPerSec float64  `json:"current_fail_per_sec"`
	RPS               float64  `json:"rps"`
}

// historyJSON is columnar, as the chart library takes it: Time in Unix
// seconds; percentiles null for seconds in which nothing completed.
type historyJSON struct {
	Time       []float64  `json:"time"`
	Users      []int      `json:"users"`
	RPS        []float64  `json:"rps"`
	FailPerSec []float64  `json:"fail_per_sec"`
	P50Ms      []*float64 `json:"p50_ms"`
	P95Ms      []*float64 `json:"p95_ms"`
}

type failureJSON struct {
	Method string `json:"method"`
	Name   string `json:"name"`
	Error  string `json:"error"`
	Count  int64  `json:"count"`
}

type checkJSON struct {
	Method string `json:"method"`
	Name   string `json:"request"`
	Check  string `json:"check"`
	Pass   int64  `json:"pass"`
	Fail   int64  `json:"fail"`
}

type thresholdJSON struct {
	Request string `json:"request"`
	Rule    string `json:"rule"`
	Value   string `json:"value"`
	Pass    bool   `json:"pass"`
	Message string `json:"message"`
	Aborted bool   `json:"aborted"`
}

type rendezvousJSON struct {
	Name        string  `json:"name"`
	Groups      int64   `json:"groups"`
	ByCount     int64   `json:"by_count"`
	ByTimeout   int64   `json:"by_timeout"`
	ByShortfall int64   `json:"by_shortfall"`
	SizeAvg     float64 `json:"size_avg"`
	SizeMax     int64   `json:"size_max"`
	WaitP50Ms   float64 `json:"wait_p50_ms"`
	WaitP95Ms   float64 `json:"wait_p95_ms"`
	WaitMaxMs   float64 `json:"wait_max_ms"`
}

type pacingJSON struct {
	Task          string  `json:"task"`
	Iterations    int64   `json:"iterations"`
	Late          int64   `json:"late"`
	Skipped       int64   `json:"skipped"`
	LatenessP99Ms float64 `json:"lateness_p99_ms"`
}

type poolJSON struct {
	Name      string `json:"name"`
	Mode      string `json:"mode"`
	Rows      int    `json:"rows"`
	Drawn     int64  `json:"drawn"`
	Left      int64  `json:"left"`
	InUse     int64  `json:"in_use"`
	Timeouts  int64  `json:"timeouts"`
	Exhausted int64  `json:"exhausted"`
}

type workerJSON struct {
	ID       string    `json:"id"`
	State    string    `json:"state"`
	Users    int       `json:"users"`
	Requests int64     `json:"requests"`
	Failures int64     `json:"failures"`
	CPU      float64   `json:"cpu_percent"`
	LastSeen time.Time `json:"last_seen"`
}

// cursor is what one event stream has sent of the history.
type cursor struct {
	start time.Time // the snapshot's start: a reset or a new run changes it
	last  time.Time // the time of the last point sent
	sent  bool
}

// event builds the next event of a stream.
func (s *Server) event(cur *cursor) *eventJSON {
	st, run, snap := s.report()
	ev := &eventJSON{
		State:      s.stateOf(st, run),
		Stats:      []rowJSON{},
		Failures:   []failureJSON{},
		Checks:     []checkJSON{},
		Thresholds: []thresholdJSON{},
		Rendezvous: []rendezvousJSON{},
		Pacing:     []pacingJSON{},
		Warnings:   []string{},
		History: historyJSON{Time: []float64{}, Users: []int{}, RPS: []float64{}, FailPerSec: []float64{},
			P50Ms: []*float64{}, P95Ms: []*float64{}},
	}
	if p, ok := s.ctrl.(Pools); ok {
		ev.Pools = []poolJSON{}
		for _, st := range p.Pools() {
			ev.Pools = append(ev.Pools, poolJSON(st))
		}
	}
	if wk, ok := s.ctrl.(Workers); ok {
		ev.Workers = []workerJSON{}
		for _, st := range wk.Workers() {
			ev.Workers = append(ev.Workers, workerJSON{st.ID, st.State, st.Users, st.Requests, st.Failures, finite(st.CPU), st.LastSeen})
		}
	}
	for _, t := range run.Thresholds {
		ev.Thresholds = append(ev.Thresholds, thresholdOf(t))
	}
	if snap == nil {
		if cur.sent {
			// A controller that forgot its statistics: start the charts over.
			*cur = cursor{}
			ev.HistoryReset = true
		}
		return ev
	}
	el := snap.Duration()
	for _, e := range snap.Entries {
		ev.Stats = append(ev.Stats, rowOf(e, el))
	}
	if snap.Total != nil {
		t := rowOf(snap.Total, el)
		t.Method, t.Name = "", "Aggregated"
		ev.Total = &t
		ev.FailRatio = finite(snap.Total.FailRatio())
	}
	ev.CPUPercent = finite(snap.CPU)
	for _, e := range snap.Errors {
		ev.Failures = append(ev.Failures, failureJSON{e.Method, e.Name, e.Error, e.Count})
	}
	for _, c := range snap.Checks {
		ev.Checks = append(ev.Checks, checkJSON{c.Request.Method, c.Request.Name, c.Name, c.Pass, c.Fail})
	}
	for _, r := range snap.Rendezvous {
		ev.Rendezvous = append(ev.Rendezvous, rendezvousOf(r))
	}
	for _, p := range snap.Pacing {
		ev.Pacing = append(ev.Pacing, pacingJSON{p.Task, p.Iterations, p.Late, p.Skipped, histMs(p.Lateness, 99)})
	}
	ev.Warnings = append(ev.Warnings, reports.Warnings(run, snap)...)
	s.historySince(ev, cur, snap)
	return ev
}

// historySince puts into ev the points of snap the stream has not sent.
func (s *Server) historySince(ev *eventJSON, cur *cursor, snap *stats.Snapshot) {
	from := 0
	if cur.sent && snap.Start.Equal(cur.start) {
		from = len(snap.History)
		for from > 0 && snap.History[from-1].Time.After(cur.last) {
			from--
		}
	} else {
		ev.HistoryReset = true
	}
	h := &ev.History
	for _, p := range snap.History[from:] {
		h.Time = append(h.Time, float64(p.Time.UnixMilli())/1000)
		h.Users = append(h.Users, p.Users)
		h.RPS = append(h.RPS, finite(p.RPS))
		h.FailPerSec = append(h.FailPerSec, finite(p.FailPerSec))
		h.P50Ms = append(h.P50Ms, msOrNull(p.P50, p.P50 > 0))
		h.P95Ms = append(h.P95Ms, msOrNull(p.P95, p.P95 > 0))
	}
	cur.sent, cur.start = true, snap.Start
	if n := len(snap.History); n > 0 {
		cur.last = snap.History[n-1].Time
	}
}

func rowOf(e *stats.Entry, el time.Duration) rowJSON {
	timed := e.Hist != nil && e.Hist.TotalCount() > 0
	row := rowJSON{
		Method: e.Method, Name: e.Name, Requests: e.Requests, Failures: e.Failures,
		MedianMs: msOrNull(e.Percentile(50), timed), P95Ms: msOrNull(e.Percentile(95), timed),
		P99Ms: msOrNull(e.Percentile(99), timed), AvgMs: msOrNull(e.Avg(), timed),
		MinMs: msOrNull(e.MinTime, timed), MaxMs: msOrNull(e.MaxTime, timed),
		AvgSize: finite(e.AvgContentBytes()), CurrentRPS: finite(e.CurrentRPS),
		CurrentFailPerSec: finite(e.CurrentFailPerSec), RPS: finite(e.RPS(el)),
	}
	return row
}

func thresholdOf(t thresholds.Result) thresholdJSON {
	return thresholdJSON{t.Request, t.Rule, t.Value, t.Pass, t.Message, t.Aborted}
}

func rendezvousOf(r *stats.RendezvousEntry) rendezvousJSON {
	out := rendezvousJSON{Name: r.Name, Groups: r.Groups, ByCount: r.ByCount, ByTimeout: r.ByTimeout, ByShortfall: r.ByShortfall,
		WaitP50Ms: histMs(r.Wait, 50), WaitP95Ms: histMs(r.Wait, 95), WaitMaxMs: histMs(r.Wait, 100)}
	if r.Sizes != nil && r.Sizes.TotalCount() > 0 {
		out.SizeAvg = finite(r.Sizes.Mean())
		out.SizeMax = r.Sizes.Max()
	}
	return out
}

// histMs is a percentile of a histogram of microseconds, in milliseconds.
func histMs(h *hdrhistogram.PackedHistogram, q float64) float64 {
	return float64(reports.HistTime(h, q)) / float64(time.Millisecond)
}

func msOrNull(d time.Duration, ok bool) *float64 {
	if !ok {
		return nil
	}
	v := float64(d) / float64(time.Millisecond)
	return &v
}

// events streams an event every EventInterval until the client leaves or
// the server closes.
func (s *Server) events(w http.ResponseWriter, r *http.Request) {
	rc := http.NewResponseController(w)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	var cur cursor
	tick := time.NewTicker(s.opts.EventInterval)
	defer tick.Stop()
	var buf bytes.Buffer
	// A client that lost the stream comes back after 2 s.
	buf.WriteString("retry: 2000\n\n")
	for {
		buf.WriteString("event: update\ndata: ")
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(s.event(&cur)); err != nil {
			return
		}
		// Encode ended the data line with a newline; a blank line ends the event.
		buf.WriteString("\n")
		if _, err := w.Write(buf.Bytes()); err != nil {
			return
		}
		if err := rc.Flush(); err != nil {
			return
		}
		buf.Reset()
		select {
		case <-r.Context().Done():
			return
		case <-s.closed:
			return
		case <-tick.C:
		}
	}
}
