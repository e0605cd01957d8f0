package html

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/antchfx/htmlquery"
	"github.com/loadrun/loadrun/reports"
	"github.com/loadrun/loadrun/stats"
	"github.com/loadrun/loadrun/thresholds"
	xhtml "golang.org/x/net/html"
)

// t0 is the fixture run's start; a fixed date keeps the output stable.
var t0 = time.Date(2026, 11, 26, 6, 51, 32, 0, time.UTC)

func msf(v float64) time.Duration { return time.Duration(v * float64(time.Millisecond)) }

// Keys of the fixture's rows.
var (
	keyRoot   = stats.Key{Method: "GET", Name: "/"}
	keyLogin  = stats.Key{Method: "POST", Name: "/login"}
	keyBroken = stats.Key{Method: "GET", Name: "/status/503"}
)

// fixture is a 30-second run recorded through the stats API with known
// samples: users ramping up by one a second to 10, a steady row, a slow row,
// a row that always fails, checks, a rendezvous, a late paced task and a
// saturated generator. extra, when given, runs on the recorder before the
// snapshot so a test can add rows of its own.
func fixture(extra func(st *stats.Stats, rec *stats.Recorder)) (reports.Run, *stats.Snapshot) {
	st := stats.New(t0, 2)
	rec := st.Recorder(0)
	other := st.Recorder(1)
	for sec := 1; sec <= 30; sec++ {
		users := min(sec, 10)
		st.SetUsers(users)
		for i := range users * 4 {
			rec.Request(keyRoot, msf(0.5+float64(i%10)*0.2+float64(sec)*0.05), 116, "")
			rec.Check(keyRoot, "status 200", true)
		}
		other.Request(keyLogin, msf(9.5+float64(sec%7)), 191, "")
		if sec%3 == 0 {
			other.Request(keyBroken, msf(0.76+float64(sec%5)*0.9), 0, "HTTP 503 Service Unavailable")
			other.Check(keyBroken, "status 200", false)
		}
		if sec == 12 {
			other.Request(keyLogin, msf(250), 191, "")
		}
		st.Tick(t0.Add(time.Duration(sec) * time.Second))
	}
	st.Rendezvous("checkout", 5, stats.ReleaseByCount, []time.Duration{msf(1), msf(40), msf(80), msf(120), msf(150)})
	st.Rendezvous("checkout", 3, stats.ReleaseByTimeout, []time.Duration{msf(500), msf(500), msf(500)})
	rec.Pacing("browse", 0, false)
	rec.Pacing("browse", msf(250), false)
	rec.Pacing("browse", 0, true)
	st.SetCPU(97)
	if extra != nil {
		extra(st, rec)
	}
	s := st.Snapshot(t0.Add(30 * time.Second))
	run := reports.Run{
		Scenario: "shop", File: "shop.yaml", Host: "http://127.0.0.1:8089",
		Users: 10, SpawnRate: 1, RunTime: 30 * time.Second,
		Start: t0, End: t0.Add(30 * time.Second), Version: "0.1.0",
		Thresholds: []thresholds.Result{
			{Rule: "p95 < 300ms", Value: "11ms", Pass: true},
			{Request: "GET /status/503", Rule: "fail_ratio < 1%", Value: "100%", Message: "100% of 10 requests failed", Aborted: true},
			{Request: "GET /missing", Rule: "p99 < 1s", Message: "no samples for GET /missing"},
		},
		Warnings: []string{"1 iteration of browse started late"},
		Verdict:  reports.Verdict{ExitCode: 1, Reason: `2 of 3 thresholds failed: "GET /status/503: fail_ratio < 1%"`},
	}
	return run, s
}

// render writes the report and parses it back, failing the test on error.
func render(t testing.TB, run reports.Run, s *stats.Snapshot) (string, *xhtml.Node) {
	t.Helper()
	var buf bytes.Buffer
	if err := Write(&buf, run, s); err != nil {
		t.Fatalf("Write: %v", err)
	}
	doc, err := htmlquery.Parse(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatalf("parsing the report: %v", err)
	}
	return buf.String(), doc
}

// cells returns the trimmed text of each cell of the first row matched by
// the XPath expression, nil when none matches.
func cells(doc *xhtml.Node, row string) []string {
	tr := htmlquery.FindOne(doc, row)
	if tr == nil {
		return nil
	}
	var out []string
	for _, td := range htmlquery.Find(tr, "./td|./th") {
		out = append(out, strings.TrimSpace(htmlquery.InnerText(td)))
	}
	return out
}

// rowOf is the XPath of the row of a table section whose name cell is name.
func rowOf(section, name string) string {
	return "//section[@id='" + section + "']//tbody/tr[td[contains(@class,'name')]='" + name + "']"
}
