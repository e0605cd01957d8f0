package main

import (
	"encoding/json"
	"flag"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
)

// TestWebFlagsRefused: web flags that cannot work exit 2 with a message
// saying why, before anything listens or loads.
func TestWebFlagsRefused(t *testing.T) {
	file := scenarioFor(t, "http://127.0.0.1:1", "/", "{constant: 1s}")
	for _, tc := range []struct {
		name string
		args []string
		msg  string
	}{
		// Every interface, no auth: anyone on the network could start load.
		{"all interfaces", []string{"--web", "--web-addr", "0.0.0.0:0"}, "give --web-auth USER:PASS"},
		{"no host", []string{"--web", "--web-addr", ":0"}, "give --web-auth USER:PASS"},
		{"IPv6 any", []string{"--web", "--web-addr", "[::]:0"}, "give --web-auth USER:PASS"},
		{"LAN address", []string{"--web", "--web-addr", "192.0.2.1:8089"}, "listens beyond this machine"},
		{"auth without colon", []string{"--web", "--web-auth", "tester"}, "USER:PASS"},
		{"auth without password", []string{"--web", "--web-auth", "tester:"}, "USER:PASS"},
		{"no port", []string{"--web", "--web-addr", "127.0.0.1"}, "HOST:PORT"},
		{"negative autoquit", []string{"--web", "--autoquit", "-3"}, "--autoquit"},
		{"autostart without web", []string{"--autostart"}, "--autostart needs --web"},
		{"auth without web", []string{"--web-auth", "a:b"}, "--web-auth needs --web"},
		// The form runs users at a spawn rate, not a load shape.
		{"stages", []string{"--web", "--stages", "10s:5"}, "a load shape"},
	} {
		code, _, stderr := runCLI(t, append([]string{"run", file}, tc.args...)...)
		if code != exitUsage || !strings.Contains(stderr, tc.msg) {
			t.Errorf("%s: exit %d, stderr %q; want exit 2 saying %q", tc.name, code, stderr, tc.msg)
		}
		if strings.Contains(stderr, "Web UI on") {
			t.Errorf("%s: the web UI started", tc.name)
		}
	}
}

// TestWebFlagsAllowed: a wider address is allowed with auth.
func TestWebFlagsAllowed(t *testing.T) {
	for _, args := range [][]string{
		{"--web"},
		{"--web", "--web-addr", "0.0.0.0:8089", "--web-auth", "tester:secret"},
		{"--web", "--web-addr", "localhost:8089"},
		{"--web", "--web-addr", "[::1]:8089", "--autostart", "--autoquit", "0"},
	} {
		var f runFlags
		fs := flag.NewFlagSet("run", flag.ContinueOnError)
		f.register(fs)
		if err := fs.Parse(args); err != nil {
			t.Fatal(err)
		}
		if err := f.web.check(fs); err != nil {
			t.Errorf("%v: %v", args, err)
		}
	}
}

var webAddrLine = regexp.MustCompile(`Web UI on (http://\S+)/`)

// webBase waits for the CLI to print the web UI's address.
func webBase(t *testing.T, c *cli) string {
	t.Helper()
	var base string
	waitFor(t, "the web UI address", func() bool {
		m := webAddrLine.FindStringSubmatch(c.stderr.String())
		if m != nil {
			base = m[1]
		}
		return m != nil
	})
	return base
}

// TestWebAutostart: --autostart runs the test from the flags at once,
// --autoquit quits after it; the report files are written and the exit
// code follows the usual rules.
func TestWebAutostart(t *testing.T) {
	srv, served := counting(t)
	for _, tc := range []struct {
		name string
		url  string
		want int
	}{
		{"passes", "/json", exitOK},
		// Every request fails: with no thresholds that fails the run.
		{"fails", "/status/500", exitFailed},
	} {
		file := scenarioFor(t, srv.URL, tc.url, "{constant: 20ms}")
		dir := t.TempDir()
		jsonPath := filepath.Join(dir, "s.json")
		code, _, stderr := runCLI(t, "run", file, "--web", "--web-addr", "127.0.0.1:0", "--autostart", "--autoquit", "0",
			"-u", "2", "-r", "0", "-t", "1s", "--json", jsonPath, "--csv", filepath.Join(dir, "r"))
		if code != tc.want {
			t.Errorf("%s: exit %d, want %d:\n%s", tc.name, code, tc.want, stderr)
		}
		data, err := os.ReadFile(jsonPath)
		if err != nil {
			t.Fatalf("%s: no JSON report: %v", tc.name, err)
		}
		var sum struct {
			Aggregated struct{ Requests int64 }
		}
		if err := json.Unmarshal(data, &sum); err != nil || sum.Aggregated.Requests == 0 {
			t.Errorf("%s: JSON report %v, %d requests", tc.name, err, sum.Aggregated.Requests)
		}
		if _, err := os.Stat(filepath.Join(dir, "r_stats.csv")); err != nil {
			t.Errorf("%s: no CSV report: %v", tc.name, err)
		}
		if !strings.Contains(stderr, "Run ended: run time reached") {
			t.Errorf("%s: stderr:\n%s", tc.name, stderr)
		}
	}
	if served.Load() == 0 {
		t.Error("no request reached the target")
	}
}

// TestWebStartFromPage: with --web no load goes out until Start; the form
// is prefilled from the flags; basic auth guards the page; Ctrl-C stops
// the running test, writes its reports and quits with its exit code.
func TestWebStartFromPage(t *testing.T) {
	srv, served := counting(t)
	file := scenarioFor(t, srv.URL, "/json", "{constant: 20ms}")
	jsonPath := filepath.Join(t.TempDir(), "s.json")
	c := launch("run", file, "--web", "--web-addr", "127.0.0.1:0", "--web-auth", "tester:s3cret",
		"-u", "3", "-r", "7", "-t", "10m", "--json", jsonPath)
	base := webBase(t, c)
	call := func(method, path, body string, auth bool) (int, string) {
		req, err := http.NewRequest(method, base+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		if auth {
			req.SetBasicAuth("tester", "s3cret")
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		data, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(data)
	}
	if code, _ := call("GET", "/", "", false); code != http.StatusUnauthorized {
		t.Errorf("GET / without auth: %d, want 401", code)
	}
	code, body := call("GET", "/api/state", "", true)
	var st struct {
		State    string
		Defaults struct {
			Users     int
			SpawnRate float64 `json:"spawn_rate"`
			Host      string
			RunTime   string `json:"run_time"`
		}
	}
	if err := json.Unmarshal([]byte(body), &st); err != nil || code != 200 {
		t.Fatalf("state: %d %s", code, body)
	}
	if st.State != "ready" || st.Defaults.Users != 3 || st.Defaults.SpawnRate != 7 || st.Defaults.Host != srv.URL || st.Defaults.RunTime != "10m0s" {
		t.Errorf("state before start: %+v", st)
	}
	if n := served.Load(); n != 0 {
		t.Errorf("%d requests went out before Start", n)
	}
	if code, body := call("POST", "/api/start", `{"users": 2, "spawn_rate": 0, "run_time": ""}`, true); code != 200 {
		t.Fatalf("start: %d %s", code, body)
	}
	waitFor(t, "requests", func() bool { return served.Load() >= 5 })
	c.signals <- syscall.SIGINT
	if code := c.exit(t, cmdLimit); code != exitOK {
		t.Errorf("exit %d after Ctrl-C, want 0:\n%s", code, c.stderr.String())
	}
	if !strings.Contains(c.stderr.String(), "Run ended: stopped") {
		t.Errorf("stderr:\n%s", c.stderr.String())
	}
	if _, err := os.Stat(jsonPath); err != nil {
		t.Errorf("no JSON report after Ctrl-C: %v", err)
	}
}

// TestWebQuitBeforeStart: Ctrl-C before any test quits at once with 0.
func TestWebQuitBeforeStart(t *testing.T) {
	c := launch("run", scenarioFor(t, "http://127.0.0.1:1", "/", "{constant: 1s}"), "--web", "--web-addr", "127.0.0.1:0")
	webBase(t, c)
	c.signals <- syscall.SIGINT
	if code := c.exit(t, cmdLimit); code != exitOK {
		t.Errorf("exit %d, want 0:\n%s", code, c.stderr.String())
	}
}
