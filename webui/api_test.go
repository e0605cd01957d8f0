package webui

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	xhtml "golang.org/x/net/html"

	"github.com/loadrun/loadrun/reports"
)

// apiScenario browses two demo pages with a short think time.
const apiScenario = `
name: web UI API test
host: http://127.0.0.1:1
thresholds:
  - "fail_ratio < 1%"
users:
  - name: Visitor
    wait: {min: 20ms, max: 60ms}
    tasks:
      - name: home
        steps:
          - request: {url: /}
      - name: about
        steps:
          - request:
              url: /about/
              check:
                - status: 200
`

// client calls the API of a test server.
type client struct {
	t    testing.TB
	base string
	// header is added to every request.
	header http.Header
}

func (c *client) do(method, path, body string) (int, []byte, http.Header) {
	c.t.Helper()
	req, err := http.NewRequest(method, c.base+path, strings.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	for k, v := range c.header {
		req.Header[k] = v
	}
	if body != "" && req.Header.Get("Content-Type") == "" {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	return res.StatusCode, data, res.Header
}

// must calls the API and fails the test unless the answer has status want.
func (c *client) must(want int, method, path, body string) []byte {
	c.t.Helper()
	code, data, _ := c.do(method, path, body)
	if code != want {
		c.t.Fatalf("%s %s %s: status %d, want %d: %s", method, path, body, code, want, data)
	}
	return data
}

func (c *client) state() stateJSON {
	c.t.Helper()
	var st stateJSON
	if err := json.Unmarshal(c.must(200, "GET", "/api/state", ""), &st); err != nil {
		c.t.Fatal(err)
	}
	return st
}

// waitState polls /api/state until ok holds (the run's own pace decides
// how long that takes; the deadline only stops a broken run).
func (c *client) waitState(what string, ok func(stateJSON) bool) stateJSON {
	c.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		st := c.state()
		if ok(st) {
			return st
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("waited 30 s for %s; state is %+v", what, st)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestAPIRun drives a real run on the demo target through the API: start,
// a second start refused, change users, events, stop, and statistics,
// downloads and metrics that agree with what the server counted.
func TestAPIRun(t *testing.T) {
	target, app := demoTarget(t)
	ctrl := newLocal(t, apiScenario, target)
	base := serve(t, New(ctrl, Options{Title: "api", Loopback: true, EventInterval: 200 * time.Millisecond,
		Defaults: Params{Users: 1, SpawnRate: 1, Host: target}}))
	c := &client{t: t, base: base}

	st := c.state()
	if st.State != StateReady || st.Defaults.Host != target || st.Defaults.Users != 1 {
		t.Fatalf("before start: %+v", st)
	}
	c.must(200, "POST", "/api/start", fmt.Sprintf(`{"users": 2, "spawn_rate": 100, "host": %q}`, target))
	c.must(409, "POST", "/api/start", `{"users": 2}`)
	c.waitState("2 users", func(s stateJSON) bool { return s.State == StateRunning && s.Users == 2 })

	c.must(200, "POST", "/api/users", `{"users": 4, "spawn_rate": 100}`)
	st = c.waitState("4 users", func(s stateJSON) bool { return s.Users == 4 && s.TargetUsers == 4 })
	if st.Host != target {
		t.Errorf("state host %q, want %q", st.Host, target)
	}
	c.must(200, "POST", "/api/users", `{"users": 1}`)
	c.waitState("1 user", func(s stateJSON) bool { return s.Users == 1 })

	// Events arrive, with rows once requests were made, and a stream
	// opened later gets the run's whole history in its first event.
	seen := 0
	events := readEvents(t, base+"/api/events", func(ev eventJSON) bool {
		seen += len(ev.History.Time)
		return seen >= 3
	})
	last := events[len(events)-1]
	if last.State.State != StateRunning || len(last.Stats) != 2 || last.Total == nil || last.Total.Requests == 0 {
		t.Errorf("last event: state %q, %d rows, total %+v", last.State.State, len(last.Stats), last.Total)
	}
	points := 0
	for _, ev := range events {
		points += len(ev.History.Time)
	}
	again := readEvents(t, base+"/api/events", func(eventJSON) bool { return true })
	if !again[0].HistoryReset || len(again[0].History.Time) < points {
		t.Errorf("a new stream's first event has %d points (reset %v), want the %d seen so far", len(again[0].History.Time), again[0].HistoryReset, points)
	}

	// Reset stats: the statistics start again from now.
	_, before, err := reports.ReadJSON(bytes.NewReader(c.must(200, "GET", "/api/stats", "")))
	if err != nil {
		t.Fatal(err)
	}
	resetAt := time.Now()
	c.must(200, "POST", "/api/reset", "")
	_, after, err := reports.ReadJSON(bytes.NewReader(c.must(200, "GET", "/api/stats", "")))
	if err != nil {
		t.Fatal(err)
	}
	if after.Start.Before(resetAt) || !after.Start.After(before.Start) || before.Total.Requests == 0 {
		t.Errorf("after reset the statistics start at %v (reset at %v, before %v with %d requests)", after.Start, resetAt, before.Start, before.Total.Requests)
	}

	c.must(200, "POST", "/api/stop", "")
	c.waitState("the run to stop", func(s stateJSON) bool { return s.State == StateStopped })
	c.must(409, "POST", "/api/users", `{"users": 3}`)
	c.must(409, "POST", "/api/reset", "")

	// New test, with a run time: it ends by itself. The server's counters
	// start from zero with it, so the two counts can be compared.
	app.Reset()
	c.must(200, "POST", "/api/start", `{"users": 3, "spawn_rate": 0, "run_time": "1500ms"}`)
	st = c.waitState("the run to end by itself", func(s stateJSON) bool { return s.State == StateStopped })
	if st.Reason != "run time reached" || st.Verdict == nil || !st.Verdict.Pass || st.RunTime != "1.5s" {
		t.Errorf("second run ended as %+v", st)
	}

	// After the end every response is in: the statistics count exactly
	// the requests the server received.
	_, snap, err := reports.ReadJSON(bytes.NewReader(c.must(200, "GET", "/api/stats", "")))
	if err != nil {
		t.Fatalf("/api/stats is not a JSON summary: %v", err)
	}
	served := app.Stats()
	if snap.Total.Requests != served.Total || snap.Total.Requests == 0 {
		t.Errorf("/api/stats counts %d requests, the demo server received %d", snap.Total.Requests, served.Total)
	}
	for _, e := range snap.Entries {
		if got := served.Requests[e.Name]; got != e.Requests {
			t.Errorf("%s: /api/stats counts %d, the server %d", e.Name, e.Requests, got)
		}
	}

	checkDownloads(t, c, snap.Total.Requests)
	checkMetrics(t, c, snap.Total.Requests)
}

// readEvents reads the events of a Server-Sent Events stream until one
// for which done is true (at most 100).
func readEvents(t *testing.T, url string, done func(eventJSON) bool) []eventJSON {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if ct := res.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("events Content-Type %q", ct)
	}
	var out []eventJSON
	sc := bufio.NewScanner(res.Body)
	sc.Buffer(nil, 16<<20)
	name := ""
	for len(out) < 100 && sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "event: "):
			name = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: "):
			if name != "update" {
				t.Fatalf("data for event %q", name)
			}
			var ev eventJSON
			if err := json.Unmarshal([]byte(strings.TrimPrefix(line, "data: ")), &ev); err != nil {
				t.Fatalf("event data: %v", err)
			}
			out = append(out, ev)
			if done(ev) {
				return out
			}
		}
	}
	t.Fatalf("read %d events without the one awaited (%v)", len(out), sc.Err())
	return nil
}

// checkDownloads parses every download and checks it counts requests.
func checkDownloads(t *testing.T, c *client, requests int64) {
	t.Helper()
	csvRows := func(name string) [][]string {
		code, data, h := c.do("GET", "/download/"+name, "")
		if code != 200 || !strings.HasPrefix(h.Get("Content-Type"), "text/csv") {
			t.Fatalf("%s: status %d, type %q", name, code, h.Get("Content-Type"))
		}
		if !strings.Contains(h.Get("Content-Disposition"), "attachment") {
			t.Errorf("%s is not served as an attachment", name)
		}
		rows, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		return rows
	}
	stats := csvRows("stats.csv")
	if last := stats[len(stats)-1]; stats[0][2] != "Request Count" || last[1] != "Aggregated" || last[2] != fmt.Sprint(requests) {
		t.Errorf("stats.csv header %v, last row %v; want Request Count and Aggregated with %d", stats[0], last, requests)
	}
	if rows := csvRows("stats_history.csv"); len(rows) < 2 {
		t.Errorf("stats_history.csv has %d rows", len(rows))
	}
	for _, name := range []string{"failures.csv", "exceptions.csv", "checks.csv"} {
		if rows := csvRows(name); len(rows) < 1 {
			t.Errorf("%s has no header", name)
		}
	}
	if _, snap, err := reports.ReadJSON(bytes.NewReader(c.must(200, "GET", "/download/summary.json", ""))); err != nil || snap.Total.Requests != requests {
		t.Errorf("summary.json: %v", err)
	}
	var junit struct {
		XMLName xml.Name `xml:"testsuites"`
	}
	if err := xml.Unmarshal(c.must(200, "GET", "/download/junit.xml", ""), &junit); err != nil {
		t.Errorf("junit.xml: %v", err)
	}
	page := c.must(200, "GET", "/download/report.html", "")
	if _, err := xhtml.Parse(bytes.NewReader(page)); err != nil || !bytes.Contains(page, []byte("uPlot")) {
		t.Errorf("report.html does not parse as a report: %v", err)
	}
	c.must(404, "GET", "/download/secrets.txt", "")
}

// checkMetrics parses /metrics and finds the request count in it.
func checkMetrics(t *testing.T, c *client, requests int64) {
	t.Helper()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(bytes.NewReader(c.must(200, "GET", "/metrics", "")))
	if err != nil {
		t.Fatalf("/metrics: %v", err)
	}
	var sum float64
	for _, m := range families["loadrun_requests_total"].GetMetric() {
		sum += m.GetCounter().GetValue()
	}
	if int64(sum) != requests {
		t.Errorf("/metrics counts %v requests, want %d", sum, requests)
	}
	for _, name := range []string{"loadrun_users", "loadrun_state", "loadrun_response_time_seconds", "loadrun_threshold_pass"} {
		if families[name] == nil {
			t.Errorf("/metrics has no %s", name)
		}
	}
}
