package html

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/antchfx/htmlquery"
	"github.com/loadrun/loadrun/reports"
)

// TestWorkersSection: a distributed run's report has a Workers section
// with one row per worker; a lost worker's row is marked with the time it
// was lost and the section says what its numbers miss; names and hosts
// from the workers' machines are text, never markup.
func TestWorkersSection(t *testing.T) {
	run, s := fixture(nil)
	run.Workers = []reports.Worker{
		{Name: "w1", Host: "load-1", State: "stopped", Requests: 1200, Failures: 3, CPU: 41.4},
		{Name: "<script>alert(1)</script>", Host: `"><img src=x onerror=alert(2)>`, State: "lost", Requests: 300, CPU: 12,
			Lost: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)},
	}
	page, doc := render(t, run, s)
	rows := htmlquery.Find(doc, "//section[@id='workers']//tbody/tr")
	if len(rows) != 2 {
		t.Fatalf("%d worker rows, want 2", len(rows))
	}
	tests := []struct {
		name  string
		row   int
		class string
		want  []string
	}{
		// A worker that ran to the end.
		{"stopped", 0, "live", []string{"w1", "load-1", "stopped", "0", "1200", "3", "41%"}},
		// A lost worker: marked, with when; its hostile name and host as text.
		{"lost", 1, "lost", []string{"<script>alert(1)</script>", `"><img src=x onerror=alert(2)>`, "lost lost at 03:04:05", "0", "300", "0", "12%"}},
	}
	for _, tt := range tests {
		var got []string
		for _, td := range htmlquery.Find(rows[tt.row], "./td") {
			got = append(got, strings.Join(strings.Fields(htmlquery.InnerText(td)), " "))
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("%s row\n got %q\nwant %q", tt.name, got, tt.want)
		}
		if c := htmlquery.SelectAttr(rows[tt.row], "class"); c != tt.class {
			t.Errorf("%s row has class %q, want %q", tt.name, c, tt.class)
		}
	}
	if htmlquery.FindOne(doc, "//section[@id='workers']//tr[@class='lost']//span[contains(@class,'badge')]") == nil {
		t.Error("the lost worker has no badge")
	}
	note := htmlquery.FindOne(doc, "//section[@id='workers']/p[@class='note']")
	if note == nil || !strings.Contains(htmlquery.InnerText(note), "last report") {
		t.Error("the section does not say a lost worker's numbers end at its last report")
	}
	for _, raw := range []string{"<script>alert(1)", "<img src=x"} {
		if strings.Contains(page, raw) {
			t.Errorf("%q reached the document unescaped", raw)
		}
	}

	// No lost worker: no note. A run in one process: no section.
	run.Workers = run.Workers[:1]
	if _, doc := render(t, run, s); htmlquery.FindOne(doc, "//section[@id='workers']/p[@class='note']") != nil {
		t.Error("a note about lost workers without one")
	}
	run.Workers = nil
	if _, doc := render(t, run, s); htmlquery.FindOne(doc, "//section[@id='workers']") != nil {
		t.Error("a run in one process has a Workers section")
	}
}
