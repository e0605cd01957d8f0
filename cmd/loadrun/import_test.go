package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/loadrun/loadrun/demo"
	"github.com/loadrun/loadrun/har"
	"github.com/loadrun/loadrun/internal/harrecord"
)

var update = flag.Bool("update", false, "record examples/recorded-shop.har again and rewrite examples/recorded-shop.yaml")

// browser is an http.Client that behaves like a browser for the demo shop:
// a cookie jar, the headers a browser adds, and every exchange recorded.
type browser struct {
	t      *testing.T
	base   string
	client *http.Client
	rec    *harrecord.Recorder
}

func newBrowser(t *testing.T, base string) *browser {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	rec := &harrecord.Recorder{}
	return &browser{t: t, base: base, rec: rec, client: &http.Client{Jar: jar, Transport: rec, Timeout: 10 * time.Second}}
}

// do sends one request with browser headers and returns the body; it
// fails the test on an unexpected status.
func (b *browser) do(method, url, contentType, body string, want int, headers ...string) string {
	b.t.Helper()
	if strings.HasPrefix(url, "/") {
		url = b.base + url
	}
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		b.t.Fatal(err)
	}
	req.Header.Set("User-Agent", "Mozilla/5.0 (X11; Linux x86_64) Chrome/131.0")
	req.Header.Set("Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8")
	req.Header.Set("Accept-Language", "en-US,en;q=0.9")
	req.Header.Set("Sec-Fetch-Mode", "navigate")
	req.Header.Set("Sec-Ch-Ua-Platform", `"Linux"`)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
		req.Header.Set("Origin", b.base)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := b.client.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		b.t.Fatal(err)
	}
	if resp.StatusCode != want {
		b.t.Fatalf("%s %s: status %d, want %d: %s", method, url, resp.StatusCode, want, data)
	}
	return string(data)
}

// recordShopSession records, against a live demo target, what a user does
// in a browser: open the shop (with its static assets and a third-party
// request), open the login page (a CSRF token in a hidden field), log in
// through the JSON API (which hands out a session token), order a teapot
// with that token and look at the order whose id the order call returned.
// pause is called where the user would think.
func recordShopSession(t *testing.T, base, thirdParty string, pause func()) []byte {
	t.Helper()
	b := newBrowser(t, base)
	b.do("GET", "/", "", "", 200)
	for _, asset := range []string{"/static/style.css", "/static/app.js", "/static/logo.svg"} {
		b.do("GET", asset, "", "", 200, "Accept", "*/*", "Sec-Fetch-Dest", "script")
	}
	b.do("GET", thirdParty+"/json", "", "", 200, "Accept", "*/*")
	pause()
	page := b.do("GET", "/login", "", "", 200)
	m := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no csrf field on the login page:\n%s", page)
	}
	pause()
	login := b.do("POST", "/login", "application/json",
		fmt.Sprintf(`{"username":"user7","password":"pass7","csrf":%q}`, m[1]), 200, "Accept", "application/json")
	var profile struct{ Data struct{ Token string } }
	if err := json.Unmarshal([]byte(login), &profile); err != nil || profile.Data.Token == "" {
		t.Fatalf("login answer %q: %v", login, err)
	}
	pause()
	created := b.do("POST", "/api/orders", "application/json", `{"item":"teapot","qty":2}`, 201,
		"Accept", "application/json", "X-CSRF-Token", profile.Data.Token)
	var order struct{ ID int64 }
	if err := json.Unmarshal([]byte(created), &order); err != nil || order.ID == 0 {
		t.Fatalf("order answer %q: %v", created, err)
	}
	b.do("GET", fmt.Sprintf("/api/orders/%d", order.ID), "", "", 200, "Accept", "application/json")
	pause()
	b.do("GET", fmt.Sprintf("/orders/%d", order.ID), "", "", 200)
	var out bytes.Buffer
	if err := b.rec.WriteHAR(&out); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// serveDemo serves a fresh demo target for the test.
func serveDemo(t *testing.T) (*demo.App, string) {
	t.Helper()
	app := demo.New(demo.Options{})
	srv := httptest.NewServer(app)
	t.Cleanup(srv.Close)
	return app, srv.URL
}

// TestImportRoundTrip records a real session against one demo target,
// imports it, and runs the imported scenario with several users against a
// fresh demo target: every request passes. The same recording imported
// without correlation (a plain replay of the recorded tokens and ids)
// fails on a fresh target.
func TestImportRoundTrip(t *testing.T) {
	_, recorded := serveDemo(t)
	_, other := serveDemo(t)
	// The recorder's target has served earlier orders, so the recorded
	// order id is not the one a fresh target hands out first.
	dir := t.TempDir()
	harFile := filepath.Join(dir, "shop.har")
	if err := os.WriteFile(harFile, recordShopSession(t, recorded, other, func() {}), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "shop.yaml")
	code, stdout, stderr := runCLI(t, "import", "har", harFile, "-o", out)
	if code != exitOK {
		t.Fatalf("import: exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	imported, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("summary:\n%s\nscenario:\n%s", stderr, imported)
	for _, want := range []string{
		"static assets", // the CSS, JS and SVG
		"other hosts",   // the third-party request
		"cookie",        // the Cookie header
		"user-agent",    // a browser header
		"csrf  found in GET /login (step 2): HTML <input name=\"csrf\"> value (regex)",
		"token  found in POST /login (step 3): JSON $.data.token (jsonpath)",
		"order_id  found in POST /api/orders (step 4): JSON $.id (jsonpath)",
		"typed values made vars (put your test data there): username, password, item\n",
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("summary lacks %q:\n%s", want, stderr)
		}
	}
	for _, want := range []string{
		"X-Csrf-Token: '${token}'",
		"url: '/api/orders/${order_id}'",
		"name: '/api/orders/[id]'",
		"url: '/orders/${order_id}'",
		"on_start:",
	} {
		if !bytes.Contains(imported, []byte(want)) {
			t.Errorf("scenario lacks %q", want)
		}
	}
	if code, _, stderr := runCLI(t, "validate", out); code != exitOK {
		t.Fatalf("validate: exit %d\n%s", code, stderr)
	}

	// Five users, each logging in and ordering several times, against a
	// target that never saw the recording.
	app, fresh := serveDemo(t)
	summary := filepath.Join(dir, "run.json")
	code, stdout, stderr = runCLI(t, "run", out, "-H", fresh, "-u", "5", "-r", "0", "-n", "25", "-t", "20s", "-q", "--json", summary)
	if code != exitOK {
		t.Fatalf("run: exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	requests, failures := runTotals(t, summary)
	t.Logf("imported scenario, 5 users, 25 iterations, fresh target: %d requests, %d failures", requests, failures)
	if failures != 0 || requests < 5*3+25*3 {
		t.Errorf("imported scenario: %d requests, %d failures; want at least %d requests and no failure\n%s", requests, failures, 5*3+25*3, stdout)
	}
	if got := app.Stats().Orders; got < 25 {
		t.Errorf("fresh target saw %d orders, want at least 25 (one per iteration)", got)
	}

	// The same recording replayed as recorded: the token and the order id
	// belong to the recording's session, so orders are refused.
	log, err := har.Read(harFile, bytes.NewReader(mustRead(t, harFile)), har.DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	res, err := har.Convert(log, har.Options{Replay: true})
	if err != nil {
		t.Fatal(err)
	}
	replay := filepath.Join(dir, "replay.yaml")
	if err := os.WriteFile(replay, res.YAML, 0o644); err != nil {
		t.Fatal(err)
	}
	_, fresh2 := serveDemo(t)
	code, stdout, _ = runCLI(t, "run", replay, "-H", fresh2, "-u", "5", "-r", "0", "-n", "25", "-t", "20s", "-q", "--json", summary)
	requests, failures = runTotals(t, summary)
	t.Logf("plain replay, 5 users, 25 iterations, fresh target: %d requests, %d failures", requests, failures)
	if code != exitFailed || failures < 25 {
		t.Errorf("plain replay: exit %d, %d failures of %d requests; want exit 1 and every order refused\n%s", code, failures, requests, stdout)
	}
}

func mustRead(t *testing.T, file string) []byte {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// runTotals reads the total requests and failures of a JSON summary.
func runTotals(t *testing.T, file string) (requests, failures int64) {
	t.Helper()
	var doc struct {
		Aggregated struct {
			Requests int64 `json:"requests"`
			Failures int64 `json:"failures"`
		} `json:"aggregated"`
	}
	if err := json.Unmarshal(mustRead(t, file), &doc); err != nil {
		t.Fatal(err)
	}
	return doc.Aggregated.Requests, doc.Aggregated.Failures
}

// exampleHAR and exampleScenario are the recording kept in examples/ and
// its import, which TestExamplesRun runs against the demo target.
var (
	exampleHAR      = filepath.Join("..", "..", "examples", "recorded-shop.har")
	exampleScenario = filepath.Join("..", "..", "examples", "recorded-shop.yaml")
)

// TestRecordedShopExample checks that examples/recorded-shop.yaml is what
// importing examples/recorded-shop.har gives. With -update it records the
// session again (with the user's pauses, which become think steps) and
// rewrites both files:
//
//	go test ./cmd/loadrun -run TestRecordedShopExample -update
func TestRecordedShopExample(t *testing.T) {
	if *update {
		_, target := serveDemo(t)
		_, other := serveDemo(t)
		pause := func() { time.Sleep(1100 * time.Millisecond) }
		if err := os.WriteFile(exampleHAR, recordShopSession(t, target, other, pause), 0o644); err != nil {
			t.Fatal(err)
		}
		if code, _, stderr := runCLI(t, "import", "har", exampleHAR, "--host", "http://127.0.0.1:8080", "-o", exampleScenario); code != exitOK {
			t.Fatalf("import: exit %d\n%s", code, stderr)
		}
	}
	out := filepath.Join(t.TempDir(), "recorded-shop.yaml")
	code, _, stderr := runCLI(t, "import", "har", exampleHAR, "--host", "http://127.0.0.1:8080", "-o", out)
	if code != exitOK {
		t.Fatalf("import: exit %d\n%s", code, stderr)
	}
	got, want := mustRead(t, out), mustRead(t, exampleScenario)
	if !bytes.Equal(got, want) {
		t.Errorf("importing %s no longer gives %s (run with -update if the change is meant):\n%s", exampleHAR, exampleScenario, got)
	}
	for _, want := range []string{"- think: 1s", "${csrf}", "${token}", "${order_id}"} {
		if !bytes.Contains(got, []byte(want)) {
			t.Errorf("example lacks %q", want)
		}
	}
}

// TestImportCommandErrors: bad command lines and bad files exit 2 with a
// message saying what is wrong.
func TestImportCommandErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.har")
	if err := os.WriteFile(bad, []byte("{\"log\": {\"entries\": [\n  {\"request\": {\"method\": \"GET\", \"url\": \"http://a.test/\"}}\n]}}"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no format", []string{"import"}, "Usage: loadrun import har FILE.har"},
		{"unknown format", []string{"import", "pcap", "x"}, "Usage: loadrun import har FILE.har"},
		{"no file", []string{"import", "har"}, "Usage: loadrun import har FILE.har"},
		{"missing file", []string{"import", "har", filepath.Join(dir, "none.har")}, "no such file"},
		{"host without scheme", []string{"import", "har", bad, "--host", "127.0.0.1:8080"}, `--host "127.0.0.1:8080": want a URL`},
		{"entry without response", []string{"import", "har", bad}, bad + ":2:3: log.entries[0]: GET http://a.test/ has no response"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(t, tt.args...)
			if code != exitUsage {
				t.Errorf("exit %d, want %d", code, exitUsage)
			}
			if !strings.Contains(stderr, tt.want) {
				t.Errorf("stderr lacks %q:\n%s", tt.want, stderr)
			}
			if stdout != "" {
				t.Errorf("stdout %q, want nothing", stdout)
			}
		})
	}
}

// TestImportToStdout: without -o the scenario goes to stdout and the
// summary to stderr.
func TestImportToStdout(t *testing.T) {
	code, stdout, stderr := runCLI(t, "import", "har", exampleHAR, "--no-think", "--host", "http://127.0.0.1:8080")
	if code != exitOK {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	if !strings.HasPrefix(stdout, "# Imported by `loadrun import har` from recorded-shop.har") || strings.Contains(stdout, "think:") {
		t.Errorf("stdout is not the scenario without think steps:\n%s", stdout)
	}
	if !strings.Contains(stderr, "correlated 3 values") || strings.Contains(stderr, "wrote ") {
		t.Errorf("stderr:\n%s", stderr)
	}
}
