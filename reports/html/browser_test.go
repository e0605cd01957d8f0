//go:build unix

package html

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/antchfx/htmlquery"
	"github.com/loadrun/loadrun/stats"
)

// browserTimeout bounds everything the browser test asks of Chromium; a
// browser that hangs is killed with its whole process group.
const browserTimeout = 60 * time.Second

// Payloads the target under test sends back. Had either run in the report,
// it would have changed the title or marked <body>, which the test checks.
const (
	scriptPayload = `</script><script>document.title='pwned'</script>`
	imgPayload    = `<img src=x onerror="document.body.setAttribute('data-pwned','1')">`
)

// findChromium returns the browser's path, or skips the test when it is not
// installed and the environment does not require it (CI sets
// LOADRUN_REQUIRE_BROWSER, where a missing browser is a failure; so does
// CI=true).
func findChromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "/usr/bin/chromium"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("LOADRUN_REQUIRE_BROWSER") != "" || os.Getenv("CI") == "true" {
		t.Fatal("chromium is not installed and LOADRUN_REQUIRE_BROWSER or CI=true is set: run .ci/install-chromium.sh")
	}
	t.Skip("chromium is not installed (run .ci/install-chromium.sh, or set LOADRUN_REQUIRE_BROWSER to make this a failure)")
	return ""
}

// runChromium runs headless Chromium with args in its own process group and
// kills the group when ctx ends or the browser exits, so no helper process
// outlives the test.
func runChromium(ctx context.Context, bin string, args ...string) ([]byte, error) {
	profile, err := os.MkdirTemp("", "loadrun-chromium-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(profile)
	base := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--hide-scrollbars", "--window-size=1400,2400", "--user-data-dir=" + profile}
	return runGroup(ctx, bin, append(base, args...)...)
}

// runGroup runs a command in its own process group, kills the group when
// ctx ends or the command exits, and returns its standard output.
func runGroup(ctx context.Context, bin string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if cmd.Process != nil {
		// Chromium leaves helpers (crashpad, zygote) behind on some exits.
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w (ctx: %v)\n%s", bin, err, ctx.Err(), lastLines(stderr.String(), 20))
	}
	return stdout.Bytes(), nil
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.Join(lines[max(len(lines)-n, 0):], "\n")
}

// liveLoad sends real requests from a few users to a 127.0.0.1 server whose
// error responses and paths carry markup, and records them through the
// stats API as the engine does: name from the URL path, error text from
// the response.
func liveLoad(t *testing.T, st *stats.Stats) {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/evil/") {
			w.WriteHeader(http.StatusInternalServerError)
			fmt.Fprint(w, scriptPayload+imgPayload)
			return
		}
		fmt.Fprint(w, "ok")
	}))
	defer srv.Close()
	paths := []string{"/ok", "/evil/" + imgPayload}
	const users, perUser = 4, 25
	var wg sync.WaitGroup
	errs := make(chan error, users)
	for u := range users {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rec := st.Recorder(100 + u)
			for i := range perUser {
				path := paths[i%len(paths)]
				start := time.Now()
				resp, err := srv.Client().Get(srv.URL + (&url.URL{Path: path}).EscapedPath())
				if err != nil {
					errs <- err
					return
				}
				body, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				if err != nil {
					errs <- err
					return
				}
				errText := ""
				if resp.StatusCode >= 400 {
					errText = fmt.Sprintf("HTTP %d: %s", resp.StatusCode, body)
				}
				rec.Request(stats.Key{Method: "GET", Name: resp.Request.URL.Path}, time.Since(start), int64(len(body)), errText)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("load against the test server: %v", err)
	}
}

// artifactDir is where the report and its screenshot are kept:
// $LOADRUN_ARTIFACTS when set (CI uploads it), else the test's temp dir.
func artifactDir(t *testing.T) string {
	dir := os.Getenv("LOADRUN_ARTIFACTS")
	if dir == "" {
		return t.TempDir()
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestBrowser opens the report in headless Chromium and checks what a reader
// would see: the charts drew lines, the tables hold the run's numbers, no
// script failed, and markup sent by the target stayed text.
func TestBrowser(t *testing.T) {
	bin := findChromium(t)
	run, s := fixture(func(st *stats.Stats, _ *stats.Recorder) { liveLoad(t, st) })
	dir := artifactDir(t)
	report := filepath.Join(dir, "html-report.html")
	f, err := os.Create(report)
	if err != nil {
		t.Fatal(err)
	}
	if err := Write(f, run, s); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	pageURL := (&url.URL{Scheme: "file", Path: report}).String()

	ctx, cancel := context.WithTimeout(context.Background(), browserTimeout)
	defer cancel()
	dom, err := runChromium(ctx, bin, "--dump-dom", pageURL)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "html-report.dom.html"), dom, 0o644); err != nil {
		t.Fatal(err)
	}
	doc, err := htmlquery.Parse(bytes.NewReader(dom))
	if err != nil {
		t.Fatalf("parsing the dumped DOM: %v", err)
	}

	root := htmlquery.FindOne(doc, "/html")
	if errs := htmlquery.SelectAttr(root, "data-errors"); errs != "" {
		t.Errorf("the page reported errors: %s", errs)
	}
	if got := htmlquery.InnerText(htmlquery.FindOne(doc, "//title")); got != "loadrun report: shop" {
		t.Errorf("title = %q: a payload ran", got)
	}
	if htmlquery.FindOne(doc, "//body[@data-pwned]") != nil || len(htmlquery.Find(doc, "//img")) > 0 {
		t.Error("the <img onerror> payload became an element")
	}
	for _, id := range []string{"chart-rps", "chart-latency", "chart-users"} {
		fig := htmlquery.FindOne(doc, "//figure[@id='"+id+"']")
		if fig == nil {
			t.Errorf("%s: no chart element", id)
			continue
		}
		drawn, _ := strconv.Atoi(htmlquery.SelectAttr(fig, "data-drawn"))
		pixels, _ := strconv.Atoi(htmlquery.SelectAttr(fig, "data-pixels"))
		if drawn < 30 || pixels < 100 || htmlquery.FindOne(fig, ".//canvas") == nil {
			t.Errorf("%s: drew %d points and %d coloured pixels, want a canvas with at least 30 points and 100 pixels", id, drawn, pixels)
		}
	}
	if got := cells(doc, "//section[@id='requests']//tfoot/tr"); len(got) < 4 || got[2] != strconv.FormatInt(s.Total.Requests, 10) || got[3] != strconv.FormatInt(s.Total.Failures, 10) {
		t.Errorf("total row = %q, want %d requests and %d failures", got, s.Total.Requests, s.Total.Failures)
	}
	if got := cells(doc, rowOf("requests", "/")); len(got) < 3 || got[2] != "1020" {
		t.Errorf("row of / = %q, want 1020 requests", got)
	}
	evil := "/evil/" + imgPayload
	found := false
	for _, td := range htmlquery.Find(doc, "//section[@id='requests']//td[contains(@class,'name')]") {
		found = found || htmlquery.InnerText(td) == evil
	}
	if !found {
		t.Errorf("the request named %q is not shown as text", evil)
	}
	if pre := htmlquery.FindOne(doc, "//section[@id='failures']//pre[contains(., 'HTTP 500')]"); pre == nil ||
		htmlquery.InnerText(pre) != "HTTP 500: "+scriptPayload+imgPayload {
		t.Error("the error text from the target is not shown as text")
	}

	shot := filepath.Join(dir, "html-report.png")
	if _, err := runChromium(ctx, bin, "--screenshot="+shot, pageURL); err != nil {
		t.Fatal(err)
	}
	png, err := os.ReadFile(shot)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(png, []byte("\x89PNG")) || len(png) < 10_000 {
		t.Errorf("screenshot %s is not a plausible PNG (%d bytes)", shot, len(png))
	}
	t.Logf("report, dumped DOM and screenshot in %s", dir)
}

// TestRunGroupTimeout checks that a browser outliving its context is killed
// with its process group, helpers included, and the error says so.
func TestRunGroupTimeout(t *testing.T) {
	bin, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	// The background sleep stands for a browser helper: it shares the
	// group and holds stdout open, so only killing the group ends the run.
	start := time.Now()
	_, err = runGroup(ctx, bin, "-c", "sleep 30 & wait")
	if err == nil || !errors.Is(ctx.Err(), context.DeadlineExceeded) {
		t.Fatalf("got %v, want the run cut short by its deadline", err)
	}
	if elapsed := time.Since(start); elapsed > 20*time.Second {
		t.Errorf("took %v to stop: the process group was not killed", elapsed)
	}
}
