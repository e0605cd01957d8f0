package main

import (
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// hangingServer answers /ok at once and holds /hang until the client goes
// away; it counts every request whose header it read, as a server log would.
func hangingServer(t *testing.T) (*httptest.Server, *atomic.Int64) {
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		if strings.HasPrefix(r.URL.Path, "/hang") {
			<-r.Context().Done()
			return
		}
		w.Write([]byte("ok"))
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

// endSummary is the part of the JSON summary these tests read.
type endSummary struct {
	Aggregated struct {
		Requests int64 `json:"requests"`
		Failures int64 `json:"failures"`
	} `json:"aggregated"`
	Errors []struct {
		Error string `json:"error"`
		Count int64  `json:"count"`
	} `json:"errors"`
}

// TestCutAtEndOfRun: requests still waiting for their response when the
// run ends are counted, as one failures row "cut at end of run", in every
// report; the server's count equals loadrun's; a run whose every request
// hung is not a pass. Before the fix they vanished and the run passed.
func TestCutAtEndOfRun(t *testing.T) {
	tests := []struct {
		name  string
		steps string // the task's steps
		users string
		args  []string
		// wantCode is the exit code; wantCut the requests cut at the end.
		wantCode int
		wantCut  int64
		stderr   string
	}{
		// The server accepts and never answers: every request is cut at the
		// run time, nothing was measured (exit 3, not a pass).
		{"all hang, run time", `[{request: {url: /hang}}]`, "2", []string{"-t", "1s", "--stop-timeout", "0"}, exitNoTarget, 2, "still waiting for its response"},
		// The same ended by the stop timeout after -t: users finish their
		// task until it passes, then their requests are cut.
		{"all hang, stop timeout", `[{request: {url: /hang}}]`, "2", []string{"-t", "500ms", "--stop-timeout", "500ms"}, exitNoTarget, 2, "never answered"},
		// 5 answered requests then a hung one per user: the hung ones are
		// counted as failures, the run fails.
		{"some hang", `[{request: {url: /ok}}, {request: {url: /ok}}, {request: {url: /ok}}, {request: {url: /ok}}, {request: {url: /ok}}, {request: {url: /hang}}]`, "3", []string{"-t", "1s", "--stop-timeout", "0"}, exitFailed, 3, "Result: FAILED"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, served := hangingServer(t)
			dir := t.TempDir()
			file := writeScenario(t, "s.yaml", `
host: `+srv.URL+`
users:
  - name: U
    wait: {constant: 10s}
    tasks: [{name: t, steps: `+tt.steps+`}]
`)
			jsonPath, csvPrefix := filepath.Join(dir, "s.json"), filepath.Join(dir, "run")
			args := append([]string{"run", file, "-u", tt.users, "-r", "0", "-q", "--json", jsonPath, "--csv", csvPrefix}, tt.args...)
			code, stdout, stderr := runCLI(t, args...)
			if code != tt.wantCode {
				t.Errorf("exit code %d, want %d\nstderr:\n%s", code, tt.wantCode, stderr)
			}
			if !strings.Contains(stderr, tt.stderr) {
				t.Errorf("stderr lacks %q:\n%s", tt.stderr, stderr)
			}
			s := readJSONFile[endSummary](t, jsonPath)
			if got := served.Load(); got != s.Aggregated.Requests {
				t.Errorf("the server saw %d requests, loadrun counted %d", got, s.Aggregated.Requests)
			}
			var cutRows int
			for _, e := range s.Errors {
				if e.Error == "cut at end of run" {
					cutRows++
					if e.Count != tt.wantCut {
						t.Errorf("%d requests cut, want %d", e.Count, tt.wantCut)
					}
				}
			}
			if cutRows != 1 {
				t.Errorf("%d 'cut at end of run' rows in the JSON errors, want 1: %+v", cutRows, s.Errors)
			}
			if !strings.Contains(stdout, "cut at end of run") {
				t.Errorf("the console summary does not show the cut requests:\n%s", stdout)
			}
			failures, err := os.ReadFile(csvPrefix + "_failures.csv")
			if err != nil {
				t.Fatal(err)
			}
			if strings.Count(string(failures), "cut at end of run") != 1 {
				t.Errorf("failures CSV has not one cut row:\n%s", failures)
			}
		})
	}
}

// TestKillCountsInFlight: a second Ctrl-C (kill) cuts requests in flight
// and counts them too.
func TestKillCountsInFlight(t *testing.T) {
	srv, served := hangingServer(t)
	file := scenarioFor(t, srv.URL, "/hang", "{constant: 10s}")
	jsonPath := filepath.Join(t.TempDir(), "s.json")
	c := launch("run", file, "-u", "3", "-r", "0", "-q", "--json", jsonPath, "--stop-timeout", "1h")
	waitFor(t, "requests", func() bool { return served.Load() == 3 })
	c.signals <- os.Interrupt
	time.Sleep(100 * time.Millisecond) // graceful stop: the users keep waiting
	c.signals <- os.Interrupt
	if code := c.exit(t, 10*time.Second); code != exitNoTarget {
		t.Errorf("exit code %d, want %d\nstderr:\n%s", code, exitNoTarget, c.stderr.String())
	}
	s := readJSONFile[endSummary](t, jsonPath)
	if s.Aggregated.Requests != 3 || s.Aggregated.Failures != 3 {
		t.Errorf("counted %d requests, %d failures; want 3 and 3 (all cut)", s.Aggregated.Requests, s.Aggregated.Failures)
	}
}

// TestNothingMeasured: a run that measured nothing, or whose target never
// sent a byte back, is exit 3 with a message that says what happened.
// Before the fix -u 0 and an all-unsent run passed (exit 0), and every
// such run was "the target never answered".
func TestNothingMeasured(t *testing.T) {
	hung, _ := hangingServer(t)
	tlsSrv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) }))
	t.Cleanup(tlsSrv.Close)
	ok, _ := counting(t)
	garbage := garbageServer(t)
	tests := []struct {
		name string
		host string
		url  string
		args []string
		code int
		want string // in stderr
	}{
		// No users: nothing was sent, and the run ends at once (before, it
		// waited for -t or Ctrl-C, then passed).
		{"-u 0", ok.URL, "/json", []string{"-u", "0"}, exitNoTarget, "Nothing was measured: the run had no users (-u 0)"},
		// Every request failed before it was sent (an unset variable).
		{"unsent", ok.URL, "/json?x=${nope}", []string{"-n", "2"}, exitNoTarget, "failed before it was sent: variable nope is not set"},
		// A server that never answers, with a short request timeout.
		{"timeouts", hung.URL, "/hang", []string{"-n", "2", "--timeout", "200ms"}, exitNoTarget, "every request timed out (timeout after 200ms)"},
		// A self-signed certificate: verification failed, --insecure named.
		{"tls", tlsSrv.URL, "/", []string{"-n", "2"}, exitNoTarget, "--insecure"},
		// Bytes came back, if not HTTP: the target answered, the run failed.
		{"garbage", garbage, "/", []string{"-n", "2"}, exitFailed, "Result: FAILED"},
		// With --insecure the same server passes.
		{"tls insecure", tlsSrv.URL, "/", []string{"-n", "2", "--insecure"}, exitOK, "Result: PASSED"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// on_stop sets nope, too late for the task: a variable that
			// nothing sets at all would be a load error, not an unsent run.
			file := scenarioFor(t, tt.host, tt.url, "{constant: 10ms}\n    on_stop: [{set: {nope: late}}]")
			code, _, stderr := runCLI(t, append([]string{"run", file, "-q"}, tt.args...)...)
			if code != tt.code {
				t.Errorf("exit code %d, want %d\nstderr:\n%s", code, tt.code, stderr)
			}
			if !strings.Contains(stderr, tt.want) {
				t.Errorf("stderr lacks %q:\n%s", tt.want, stderr)
			}
		})
	}
}

// garbageServer answers every connection with bytes that are not HTTP.
func garbageServer(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				buf := make([]byte, 4096)
				c.Read(buf)
				c.Write([]byte("SSH-2.0-OpenSSH_9.6\r\n\r\n"))
			}()
		}
	}()
	return "http://" + ln.Addr().String()
}
