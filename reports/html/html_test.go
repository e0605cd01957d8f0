package html

import (
	"bytes"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/antchfx/htmlquery"
	"github.com/loadrun/loadrun/reports"
	"github.com/loadrun/loadrun/stats"
	"github.com/loadrun/loadrun/thresholds"
)

// TestWriteTables checks that the tables hold the run's numbers, cell by cell.
func TestWriteTables(t *testing.T) {
	run, s := fixture(nil)
	_, doc := render(t, run, s)
	tests := []struct {
		name string
		row  string // XPath of the row
		want []string
	}{
		// 4 requests per user per second, users ramping 1..10 then 10 for 20 s.
		{"steady row", rowOf("requests", "/"), []string{"GET", "/", "1020", "0", "0.00%", "2.26", "0.55", "3.80", "2.25", "34.00", "0.00", "116 B"}},
		// One a second plus the 250 ms outlier, which is the max.
		{"slow row", rowOf("requests", "/login"), []string{"POST", "/login", "31", "0", "0.00%", "20", "9.50", "250", "13", "1.03", "0.00", "191 B"}},
		// Every third second, always failing.
		{"failing row", rowOf("requests", "/status/503"), []string{"GET", "/status/503", "10", "10", "100.00%", "2.56", "0.76", "4.36", "2.56", "0.33", "0.33", "0 B"}},
		// The Aggregated row sums the three.
		{"total row", "//section[@id='requests']//tfoot/tr", []string{"", "Aggregated", "1061", "10", "0.94%", "2.79", "0.55", "250", "2.30", "35.37", "0.33", "117 B"}},
		// Locust's percentile columns, then the count.
		{"percentiles", rowOf("percentiles", "/login"), []string{"POST", "/login", "13", "14", "15", "15", "16", "16", "16", "250", "250", "250", "250", "31"}},
		// A check that passed every time.
		{"passing check", "//section[@id='checks']//tbody/tr[1]", []string{"GET", "/", "status 200", "1020", "0", "100.00%"}},
		// A check that never passed.
		{"failing check", "//section[@id='checks']//tbody/tr[2]", []string{"GET", "/status/503", "status 200", "0", "10", "0.00%"}},
		// Group header of the failures of one request, then its error.
		{"failure group", "//section[@id='failures']//tbody[1]/tr[1]", []string{"GET /status/503 10 failures"}},
		{"failure", "//section[@id='failures']//tbody[1]/tr[2]", []string{"10", "100.00%", "HTTP 503 Service Unavailable"}},
		// Two groups: 5 by count, 3 by timeout.
		{"rendezvous", rowOf("rendezvous", "checkout"), []string{"checkout", "2", "1", "1", "0", "3", "4.0", "5", "120", "500", "500"}},
		// One late start, one skipped.
		{"pacing", rowOf("pacing", "browse"), []string{"browse", "2", "1", "1", "250", "250", "250"}},
		// A passing threshold over all requests.
		{"threshold passed", "//section[@id='thresholds']//tbody/tr[1]", []string{"✓", "all requests", "p95 < 300ms", "11ms", ""}},
		// A failing one that stopped the run says so.
		{"threshold failed", "//section[@id='thresholds']//tbody/tr[2]", []string{"✗", "GET /status/503", "fail_ratio < 1%", "100%", "100% of 10 requests failed ended the run early"}},
		// Nothing measured shows a dash and why.
		{"threshold without samples", "//section[@id='thresholds']//tbody/tr[3]", []string{"✗", "GET /missing", "p99 < 1s", "-", "no samples for GET /missing"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := cells(doc, tt.row)
			for i := range got {
				got[i] = strings.Join(strings.Fields(got[i]), " ")
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("row %s\n got %q\nwant %q", tt.row, got, tt.want)
			}
		})
	}
}

// TestWriteHeader checks the run parameters, headline tiles and warnings.
func TestWriteHeader(t *testing.T) {
	run, s := fixture(nil)
	_, doc := render(t, run, s)
	params := map[string]string{}
	for _, div := range htmlquery.Find(doc, "//dl[@class='params']/div") {
		params[htmlquery.InnerText(htmlquery.FindOne(div, "dt"))] = htmlquery.InnerText(htmlquery.FindOne(div, "dd"))
	}
	want := map[string]string{
		"File": "shop.yaml", "Host": "http://127.0.0.1:8089", "Users": "10", "Spawn rate": "1/s",
		"Planned duration": "30s", "Start": "2026-11-26 06:51:32 UTC", "End": "2026-11-26 06:52:02 UTC", "Duration": "30s",
	}
	for k, v := range want {
		if params[k] != v {
			t.Errorf("parameter %q = %q, want %q", k, params[k], v)
		}
	}
	if got := htmlquery.InnerText(htmlquery.FindOne(doc, "//title")); got != "loadrun report: shop" {
		t.Errorf("title = %q", got)
	}
	var tiles []string
	for _, n := range htmlquery.Find(doc, "//div[contains(@class,'tile')]") {
		var parts []string
		for _, d := range htmlquery.Find(n, "./div") {
			parts = append(parts, htmlquery.InnerText(d))
		}
		tiles = append(tiles, strings.Join(parts, " "))
	}
	wantTiles := []string{"Requests 1061 35.37 req/s", "Failures 10 0.94%", "Median 2.30 ms avg 2.79 ms",
		"p95 3.60 ms p99 14 ms", "Peak users 10 duration 30s", "Thresholds 1/3 passed"}
	if !slices.Equal(tiles, wantTiles) {
		t.Errorf("tiles\n got %q\nwant %q", tiles, wantTiles)
	}
	var warns []string
	for _, li := range htmlquery.Find(doc, "//section[@id='warnings']//li") {
		warns = append(warns, htmlquery.InnerText(li))
	}
	wantWarns := []string{"1 iteration of browse started late", "generator CPU was saturated (97%): latencies include loadrun's own queueing"}
	if !slices.Equal(warns, wantWarns) {
		t.Errorf("warnings\n got %q\nwant %q", warns, wantWarns)
	}
	if htmlquery.FindOne(doc, "//section[@id='pacing']/p[@class='note']") == nil {
		t.Error("a late paced task must come with the note on why percentiles cannot show it")
	}
}

// TestWriteChartData checks the JSON block the charts are drawn from.
func TestWriteChartData(t *testing.T) {
	run, s := fixture(nil)
	_, doc := render(t, run, s)
	block := htmlquery.FindOne(doc, "//script[@id='loadrun-data']")
	if block == nil {
		t.Fatal("no chart data block")
	}
	var got chartData
	if err := json.Unmarshal([]byte(htmlquery.InnerText(block)), &got); err != nil {
		t.Fatalf("chart data is not JSON: %v", err)
	}
	if len(got.Charts) != 3 {
		t.Fatalf("got %d charts, want 3", len(got.Charts))
	}
	rps := got.Charts[0].Series[0]
	if len(rps.X) != 30 || len(rps.Y) != 30 {
		t.Fatalf("requests/s has %d x and %d y values, want 30 of each", len(rps.X), len(rps.Y))
	}
	// Second 12: 10 users × 4, one login, the 250 ms outlier and a failure.
	if rps.X[11] != float64(t0.Add(12*time.Second).Unix()) || *rps.Y[11] != 43 {
		t.Errorf("point 12 = (%v, %v), want (%v, 43)", rps.X[11], *rps.Y[11], t0.Add(12*time.Second).Unix())
	}
	users := got.Charts[2].Series[0]
	if *users.Y[0] != 1 || *users.Y[29] != 10 {
		t.Errorf("users go from %v to %v, want 1 to 10", *users.Y[0], *users.Y[29])
	}
	p99 := got.Charts[1].Series[2]
	// The interval histogram keeps two significant digits.
	if got := *p99.Y[11]; got < 250 || got > 253 {
		t.Errorf("p99 in second 12 = %v ms, want 250 within 1%%", got)
	}
	for _, c := range got.Charts {
		if n := htmlquery.FindOne(doc, "//figure[@id='"+c.ID+"']"); n == nil {
			t.Errorf("no element for chart %s", c.ID)
		}
	}
	if got.Merged {
		t.Error("a 30 s history has no merged points")
	}
}

// TestWriteEscapes feeds markup, quotes, template delimiters and line
// separators through every field that comes from the target or the user,
// and checks that each shows as text and none becomes markup or script.
func TestWriteEscapes(t *testing.T) {
	payloads := []string{
		// Closing the script block the chart data lives in.
		"</script><script>alert(1)</script>",
		// An element with an event handler.
		`<img src=x onerror=alert(1)>`,
		// Breaking out of an attribute.
		`" onmouseover="alert(1)" x='`,
		// Template delimiters are data, not template.
		"{{.Run}} {{template \"entry\"}}",
		// JavaScript line terminators.
		"line\u2028separator\u2029paragraph",
		// An HTML comment and a CDATA opener.
		"<!-- x --> <![CDATA[ y ]]>",
	}
	for _, p := range payloads {
		t.Run(p, func(t *testing.T) {
			key := stats.Key{Method: "GET", Name: p}
			run, s := fixture(func(st *stats.Stats, rec *stats.Recorder) {
				rec.Request(key, msf(3), 10, "HTTP 500: "+p)
				rec.Check(key, p, false)
				rec.Pacing(p, 0, true)
				st.Rendezvous(p, 1, stats.ReleaseByShortfall, nil)
			})
			run.Scenario, run.File, run.Host = p, p, p
			run.Warnings = append(run.Warnings, p)
			run.Thresholds = append(run.Thresholds, thresholds.Result{Request: p, Rule: p, Value: p, Message: p})
			out, doc := render(t, run, s)

			for _, raw := range []string{"<script>alert", "<img", `" onmouseover`, "<!-- x", "<![CDATA["} {
				if strings.Contains(p, raw) && strings.Contains(out, raw) {
					t.Errorf("%q reached the document unescaped", raw)
				}
			}
			if n := len(htmlquery.Find(doc, "//img|//*[@onerror]|//*[@onmouseover]")); n > 0 {
				t.Errorf("the payload made %d elements or handlers", n)
			}
			if got := len(htmlquery.Find(doc, "//script")); got != 4 {
				t.Errorf("got %d script elements, want the report's own 4", got)
			}
			// Target text never enters a script: the chart data is ours alone.
			for _, sc := range htmlquery.Find(doc, "//script") {
				if strings.Contains(htmlquery.InnerText(sc), p) {
					t.Errorf("payload inside a <script>")
				}
			}
			// It still reads as it came, in each place it is shown.
			for _, where := range []string{"//title", "//h1", "//section[@id='requests']//td[contains(@class,'name')]",
				"//section[@id='failures']//pre", "//section[@id='checks']//td", "//section[@id='pacing']//td",
				"//section[@id='rendezvous']//td", "//section[@id='warnings']//li", "//section[@id='thresholds']//td"} {
				found := false
				for _, n := range htmlquery.Find(doc, where) {
					found = found || strings.Contains(htmlquery.InnerText(n), p)
				}
				if !found {
					t.Errorf("payload not shown as text in %s", where)
				}
			}
		})
	}
}

// TestWriteLineSeparatorsInScript checks that U+2028 and U+2029 can never
// end a line inside the embedded JSON: html/template escapes them.
func TestWriteLineSeparatorsInScript(t *testing.T) {
	var buf bytes.Buffer
	d := chartData{Charts: []chart{{ID: "x", Title: "a\u2028b\u2029c</script>"}}}
	if err := page.ExecuteTemplate(&buf, "report", &view{Charts: d}); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	start := strings.Index(out, `id="loadrun-data">`)
	block := out[start : start+strings.Index(out[start:], "</script>")]
	for _, raw := range []string{"\u2028", "\u2029", "</script"} {
		if strings.Contains(block, raw) {
			t.Errorf("%q unescaped in the JSON block", raw)
		}
	}
	if !strings.Contains(block, `\u2028`) || !strings.Contains(block, `\u003c/script\u003e`) {
		t.Errorf("JSON block lacks the escapes: %s", block)
	}
}

// TestWriteEmpty checks runs that measured nothing.
func TestWriteEmpty(t *testing.T) {
	tests := []struct {
		name string
		s    *stats.Snapshot
	}{
		// The CLI may have nothing to show at all.
		{"nil snapshot", nil},
		// A run stopped before its first tick.
		{"no requests", stats.New(t0, 1).Snapshot(t0)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, doc := render(t, reports.Run{}, tt.s)
			if got := cells(doc, "//section[@id='requests']//tfoot/tr"); !slices.Equal(got, []string{"", "Aggregated", "0", "0", "0.00%", "-", "-", "-", "-", "0.00", "0.00", "0 B"}) {
				t.Errorf("total row = %q", got)
			}
			for _, want := range []string{"No request failed.", "No history was recorded", "(unnamed scenario)"} {
				if !strings.Contains(out, want) {
					t.Errorf("missing %q", want)
				}
			}
			for _, absent := range []string{`id="checks"`, `id="thresholds"`, `id="warnings"`, `id="percentiles"`} {
				if strings.Contains(out, absent) {
					t.Errorf("empty run shows %s", absent)
				}
			}
		})
	}
}

// failingWriter fails every write, as a full disk does.
type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

// TestWriteError checks that a write error is returned, not swallowed.
func TestWriteError(t *testing.T) {
	run, s := fixture(nil)
	err := Write(failingWriter{}, run, s)
	if err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Errorf("got %v, want the writer's error", err)
	}
}

// TestWriteSelfContained checks that nothing is fetched when the report
// opens: no element loads a URL.
func TestWriteSelfContained(t *testing.T) {
	run, s := fixture(nil)
	out, doc := render(t, run, s)
	if n := htmlquery.Find(doc, "//*[@src]|//link|//*[@href]|//iframe|//object|//embed"); len(n) > 0 {
		t.Errorf("%d elements reference another resource", len(n))
	}
	for _, u := range []string{"@import", "url(http", "url(//", "fetch(", "XMLHttpRequest"} {
		if strings.Contains(out, u) {
			t.Errorf("document contains %q", u)
		}
	}
}

// TestWriteVerdictBanner: the report opens with the run's verdict, the
// same one the exit code gives, so nobody reads a failed run as a pass.
func TestWriteVerdictBanner(t *testing.T) {
	tests := []struct {
		name      string
		verdict   reports.Verdict
		wantClass string // "" = no banner
		wantText  string
	}{
		// A run that passed.
		{"passed", reports.Verdict{Pass: true, Reason: "all 3 thresholds held"}, "verdict pass", "PASSED all 3 thresholds held exit code 0"},
		// A run that failed a rule.
		{"failed", reports.Verdict{ExitCode: 1, Reason: "12 of 300 requests failed"}, "verdict fail", "FAILED 12 of 300 requests failed exit code 1"},
		// A run that measured nothing is a failure too.
		{"nothing measured", reports.Verdict{ExitCode: 3, NothingMeasured: true, Reason: "nothing was measured: every request was cut"},
			"verdict fail", "FAILED nothing was measured: every request was cut exit code 3"},
		// Text in the reason is text, never markup.
		{"escaped", reports.Verdict{ExitCode: 1, Reason: `check "<script>alert(1)</script>" failed`}, "verdict fail",
			`FAILED check "<script>alert(1)</script>" failed exit code 1`},
		// No verdict (an old summary): no banner rather than a wrong one.
		{"unknown", reports.Verdict{}, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			run, s := fixture(nil)
			run.Verdict = tt.verdict
			_, doc := render(t, run, s)
			n := htmlquery.FindOne(doc, "//div[@id='verdict']")
			if tt.wantClass == "" {
				if n != nil {
					t.Errorf("banner %q, want none", htmlquery.InnerText(n))
				}
				return
			}
			if n == nil {
				t.Fatal("no verdict banner")
			}
			if got := htmlquery.SelectAttr(n, "class"); got != tt.wantClass {
				t.Errorf("class %q, want %q", got, tt.wantClass)
			}
			if got := strings.Join(strings.Fields(htmlquery.InnerText(n)), " "); got != tt.wantText {
				t.Errorf("banner %q, want %q", got, tt.wantText)
			}
			if htmlquery.FindOne(n, ".//script") != nil {
				t.Error("the reason was written as markup")
			}
		})
	}
}

// TestWriteOpenModel checks the open model's arrivals section, its tile
// and the load shape in the header; a closed-model run shows none.
func TestWriteOpenModel(t *testing.T) {
	s := stats.New(t0, 1)
	for i := range 200 {
		s.Arrival(20*time.Millisecond, i%4 == 0)
	}
	s.Tick(t0.Add(time.Second))
	run := reports.Run{Scenario: "open", Load: "arrival rate 200/s for 1s, max 5 users, constant arrivals"}
	out, doc := render(t, run, s.Snapshot(t0.Add(time.Second)))
	if got := cells(doc, "//section[@id='arrivals']//tbody/tr"); !slices.Equal(got, []string{"200", "50", "25.00%", "50.0", "150", "20"}) {
		t.Errorf("arrivals row = %q", got)
	}
	for _, want := range []string{"arrival rate 200/s for 1s, max 5 users", ">Dropped<"} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q", want)
		}
	}
	closed, _ := render(t, reports.Run{}, stats.New(t0, 1).Snapshot(t0))
	if strings.Contains(closed, `id="arrivals"`) {
		t.Errorf("a closed-model run shows arrivals")
	}
}
