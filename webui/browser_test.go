//go:build unix

package webui

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Payloads a hostile target sends back. Had either run in the page, the
// title would change, window.pwned would be set or <body> would be marked.
const (
	scriptPayload = `</script><script>window.pwned=1;document.title='pwned'</script>`
	imgPayload    = `<img src=x onerror="window.pwned=1;document.body.setAttribute('data-pwned','1')">`
)

// hostileTarget answers every request with markup in a header and in a
// JSON body, so that check failures carry it into the statistics.
func hostileTarget(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{ReadHeaderTimeout: 5 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Evil", scriptPayload)
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"name": %q}`, imgPayload)
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return "http://" + ln.Addr().String()
}

// browserScenario browses the demo shop and asks the hostile target for
// values whose checks fail, with a threshold, a checkpoint and a pool.
func browserScenario(t testing.TB, evil string) string {
	return fmt.Sprintf(`
name: web UI browser test
host: http://127.0.0.1:1
data:
  pages: {rows: [{path: /}, {path: /about}], mode: cycle}
thresholds:
  - "fail_ratio < 90%%"
  - {request: "GET page", rule: "p95 < 5s"}
users:
  - name: Visitor
    wait: {min: 50ms, max: 150ms}
    tasks:
      - name: browse
        weight: 3
        steps:
          - use: pages
          - request:
              url: ${pages.path}
              name: page
              check:
                - status: 200
      - name: hostile
        steps:
          - request:
              url: %s/evil
              name: '%s'
              check:
                - header: X-Evil
                  equals: fine
                - jsonpath: $.name
                  equals: fine
`, evil, strings.ReplaceAll(imgPayload, "'", "''"))
}

// TestBrowser drives the page in headless Chromium as a tester would: the
// form is prefilled, Start runs load, the statistics rows and the charts
// update, Edit users changes the users, Stop ends the run with a verdict,
// and markup the target sent shows as text without running.
func TestBrowser(t *testing.T) {
	findChromium(t)
	target, _ := demoTarget(t)
	evil := hostileTarget(t)
	ctrl := newLocal(t, browserScenario(t, evil), target)
	srv := New(ctrl, Options{Title: "web UI browser test", Loopback: true, Version: "test",
		Defaults: Params{Users: 2, SpawnRate: 10, Host: target, RunTime: 5 * time.Minute}})
	base := serve(t, srv)

	b := startBrowser(t, 1400, 1000)
	b.navigate(base + "/")
	b.waitFor("the start form", `document.body.getAttribute("data-state") === "ready" && !document.getElementById("start").hidden`, 20*time.Second)

	// The form is prefilled from the defaults (-u, -r, -t, -H).
	var form map[string]string
	b.eval(`({users: document.getElementById("f-users").value, rate: document.getElementById("f-rate").value,
		host: document.getElementById("f-host").value, time: document.getElementById("f-time").value})`, &form)
	if want := map[string]string{"users": "2", "rate": "10", "host": target, "time": "5m0s"}; fmt.Sprint(form) != fmt.Sprint(want) {
		t.Errorf("form prefilled with %v, want %v", form, want)
	}
	shots := os.Getenv("LOADRUN_WEBUI_SCREENSHOTS")
	if shots != "" {
		b.screenshot(filepath.Join(shots, "start.png"))
	}

	// Fill the form and press Start.
	b.eval(`(function () {
		document.getElementById("f-users").value = "3";
		document.getElementById("f-rate").value = "20";
		document.getElementById("f-time").value = "";
		document.getElementById("btn-start").click();
		return true; })()`, nil)
	b.waitFor("the run to start", `["spawning", "running"].includes(document.body.getAttribute("data-state"))`, 20*time.Second)
	if st := ctrl.Status(); st.TargetUsers != 3 || st.RunTime != 0 {
		t.Errorf("started with %d users and run time %v, want 3 and none (the form's values)", st.TargetUsers, st.RunTime)
	}
	b.waitFor("statistics rows with requests",
		`document.querySelectorAll("#stats-table tbody tr:not(.empty)").length >= 2 &&
		 Number(document.querySelector("#stats-table tfoot td:nth-child(3)").textContent.replace(/,/g, "")) > 0`, 30*time.Second)
	var firstCount, laterCount float64
	b.eval(`Number(document.querySelector("#stats-table tfoot td:nth-child(3)").textContent.replace(/,/g, ""))`, &firstCount)
	b.waitFor("the request count to grow",
		fmt.Sprintf(`Number(document.querySelector("#stats-table tfoot td:nth-child(3)").textContent.replace(/,/g, "")) > %v`, firstCount), 30*time.Second)
	b.eval(`Number(document.querySelector("#stats-table tfoot td:nth-child(3)").textContent.replace(/,/g, ""))`, &laterCount)

	// Sorting by a column puts the rows in its order.
	b.eval(`document.querySelector('#stats-table th[data-key="requests"]').click()`, nil)
	var sorted bool
	b.eval(`(function () {
		var n = Array.from(document.querySelectorAll("#stats-table tbody td:nth-child(3)")).map(function (td) { return Number(td.textContent.replace(/,/g, "")); });
		return n.length > 1 && n.every(function (v, i) { return i === 0 || n[i - 1] >= v; }); })()`, &sorted)
	if !sorted {
		t.Error("clicking # Requests did not sort the rows by request count, largest first")
	}

	// The charts draw, and keep drawing new points.
	b.eval(`document.querySelector('.tabs [data-tab="charts"]').click()`, nil)
	b.waitFor("the charts to draw points", `Number(document.getElementById("chart-rps").getAttribute("data-points")) >= 2 &&
		document.querySelectorAll("#chart-rps canvas, #chart-rt canvas, #chart-users canvas").length === 3`, 30*time.Second)
	var points int
	b.eval(`Number(document.getElementById("chart-rps").getAttribute("data-points"))`, &points)
	b.waitFor("the charts to grow", fmt.Sprintf(`Number(document.getElementById("chart-rps").getAttribute("data-points")) > %d`, points), 30*time.Second)

	// Edit users: 3 → 5.
	b.eval(`document.getElementById("btn-edit").click()`, nil)
	b.waitFor("the edit dialog", `document.getElementById("edit").open`, 10*time.Second)
	b.eval(`(function () {
		document.getElementById("e-users").value = "5";
		document.getElementById("btn-edit-apply").click();
		return true; })()`, nil)
	b.waitFor("5 users in the header", `document.getElementById("st-users").textContent === "5"`, 30*time.Second)
	if st := ctrl.Status(); st.TargetUsers != 5 {
		t.Errorf("after Edit users the run has %d target users, want 5", st.TargetUsers)
	}
	if shots != "" {
		b.eval(`document.querySelector('.tabs [data-tab="stats"]').click()`, nil)
		b.screenshot(filepath.Join(shots, "running.png"))
		b.eval(`document.querySelector('.tabs [data-tab="charts"]').click()`, nil)
		time.Sleep(300 * time.Millisecond)
		b.screenshot(filepath.Join(shots, "charts.png"))
	}

	// The target's markup is shown as text in the failures table and ran nowhere.
	b.eval(`document.querySelector('.tabs [data-tab="failures"]').click()`, nil)
	b.waitFor("the hostile failures", `document.getElementById("failures-table").textContent.includes("<script>window.pwned=1")`, 30*time.Second)
	var statsText string
	b.eval(`document.getElementById("stats-table").textContent`, &statsText)
	if !strings.Contains(statsText, imgPayload) {
		t.Errorf("the statistics do not show the request name %q as text", imgPayload)
	}
	var pwned map[string]any
	b.eval(`({title: document.title, pwned: typeof window.pwned, marked: document.body.hasAttribute("data-pwned"),
		scripts: document.scripts.length, imgs: document.querySelectorAll("img").length})`, &pwned)
	if pwned["title"] == "pwned" || pwned["pwned"] != "undefined" || pwned["marked"] != false || pwned["imgs"] != float64(0) || pwned["scripts"] != float64(2) {
		t.Errorf("target-supplied markup ran or became elements: %v", pwned)
	}

	// Stop: the run ends and the verdict shows.
	b.eval(`document.getElementById("btn-stop").click()`, nil)
	b.waitFor("the run to stop", `document.body.getAttribute("data-state") === "stopped"`, 30*time.Second)
	b.waitFor("the verdict and New test", `!document.getElementById("verdict").hidden && !document.getElementById("btn-new").hidden`, 10*time.Second)
	b.eval(`document.querySelector('.tabs [data-tab="thresholds"]').click()`, nil)
	var thresholds int
	b.eval(`document.querySelectorAll("#thresholds-table tbody tr").length`, &thresholds)
	if thresholds != 2 {
		t.Errorf("the thresholds tab lists %d rules, want 2", thresholds)
	}
	if shots != "" {
		b.screenshot(filepath.Join(shots, "stopped.png"))
	}
	if errs := b.pageErrors(); len(errs) > 0 {
		t.Errorf("the page logged errors: %v", errs)
	}
	t.Logf("requests seen in the page: %v then %v; chart points %d", firstCount, laterCount, points)
}
