package main

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/loadrun/loadrun/demo"
)

// These tests use loadrun as a CI job does: build the binary, run it on a
// scenario with thresholds, read the exit code, the JSON summary and the
// JUnit XML.

// pipelineLimit bounds one run of the built binary.
const pipelineLimit = 30 * time.Second

// buildLoadrun builds the binary once per test process, the way
// deploy/Dockerfile builds the image's (see dockerBuild), and returns its
// path; later calls return the same binary.
func buildLoadrun(t *testing.T) string {
	t.Helper()
	built.once.Do(func() { built.bin, built.err = dockerBuild() })
	if built.err != nil {
		t.Fatal(built.err)
	}
	return built.bin
}

// built is the binary buildLoadrun made, in a folder TestMain removes.
var built struct {
	once sync.Once
	dir  string
	bin  string
	err  error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if built.dir != "" {
		os.RemoveAll(built.dir)
	}
	os.Exit(code)
}

// execResult is one run of the binary as a pipeline sees it.
type execResult struct {
	code           int
	stdout, stderr string
}

// execLoadrun runs the binary with args and returns its exit code and output.
func execLoadrun(t *testing.T, bin string, args ...string) execResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), pipelineLimit)
	defer cancel()
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	res := execResult{stdout: stdout.String(), stderr: stderr.String()}
	var exit *exec.ExitError
	switch {
	case ctx.Err() != nil:
		t.Fatalf("loadrun %s did not end within %s\nstderr:\n%s", strings.Join(args, " "), pipelineLimit, res.stderr)
	case errors.As(err, &exit):
		res.code = exit.ExitCode()
	case err != nil:
		t.Fatalf("loadrun %s: %v", strings.Join(args, " "), err)
	}
	return res
}

// summary is the part of the JSON summary (reports/JSON.md) a CI job reads.
type summary struct {
	SchemaVersion int `json:"schema_version"`
	Aggregated    struct {
		Requests int64 `json:"requests"`
		Failures int64 `json:"failures"`
	} `json:"aggregated"`
	Checks []struct {
		Check string `json:"check"`
		Pass  int64  `json:"pass"`
		Fail  int64  `json:"fail"`
	} `json:"checks"`
	Thresholds []struct {
		Request string `json:"request"`
		Rule    string `json:"rule"`
		Value   string `json:"value"`
		Pass    bool   `json:"pass"`
		Message string `json:"message"`
	} `json:"thresholds"`
}

// junit is JUnit XML as CI servers read it.
type junit struct {
	Tests    int `xml:"tests,attr"`
	Failures int `xml:"failures,attr"`
	Suites   []struct {
		Name     string `xml:"name,attr"`
		Tests    int    `xml:"tests,attr"`
		Failures int    `xml:"failures,attr"`
		Cases    []struct {
			Classname string `xml:"classname,attr"`
			Name      string `xml:"name,attr"`
			Failure   *struct {
				Message string `xml:"message,attr"`
				Type    string `xml:"type,attr"`
				Text    string `xml:",chardata"`
			} `xml:"failure"`
		} `xml:"testcase"`
	} `xml:"testsuite"`
}

// readJSONFile reads the JSON file at path (a summary) into a T, the part
// of it a test reads.
func readJSONFile[T any](t *testing.T, path string) T {
	t.Helper()
	var v T
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("no JSON summary: %v", err)
	}
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatalf("JSON summary %s does not parse: %v", path, err)
	}
	return v
}

func readJUnit(t *testing.T, path string) junit {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("no JUnit file: %v", err)
	}
	var j junit
	if err := xml.Unmarshal(data, &j); err != nil {
		t.Fatalf("JUnit XML does not parse: %v", err)
	}
	return j
}

// examplesChecksRules are the thresholds of examples/checks.yaml as JUnit
// names them (a rule limited to a request is "REQUEST: RULE").
var examplesChecksRules = []string{"fail_ratio < 1%", "p95 < 500ms", "checks > 99%", "GET /api/cart: p99 < 800ms", "max < 5s"}

// TestPipeline builds loadrun and runs examples/checks.yaml against the demo
// target as a CI job would: once as shipped (it passes), once with a rule no
// run can meet (it fails), and with a broken scenario and a dead host.
func TestPipeline(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the loadrun binary")
	}
	bin := buildLoadrun(t)
	example := filepath.Join("..", "..", "examples", "checks.yaml")

	tests := []struct {
		name      string
		extra     []string // flags past the common ones
		wantCode  int
		wantFails []string // JUnit names of the thresholds that fail
	}{
		// The example's own thresholds hold against the demo target.
		{"passes", nil, exitOK, nil},
		// A p99 under a microsecond cannot hold: the run fails on it alone.
		{"fails", []string{"--threshold", "p99 < 1us"}, exitFailed, []string{"p99 < 1us"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			jsonFile, junitFile := filepath.Join(dir, "summary.json"), filepath.Join(dir, "junit.xml")
			args := append([]string{"run", example, "--demo", "-u", "5", "-r", "10", "-t", "2s", "-q",
				"--json", jsonFile, "--junit", junitFile}, tt.extra...)
			res := execLoadrun(t, bin, args...)
			if res.code != tt.wantCode {
				t.Fatalf("exit code %d, want %d\nstdout:\n%s\nstderr:\n%s", res.code, tt.wantCode, res.stdout, res.stderr)
			}
			verdict := map[int]string{exitOK: "Result: PASSED", exitFailed: "Result: FAILED"}[tt.wantCode]
			if !strings.Contains(res.stderr, verdict) {
				t.Errorf("stderr lacks %q:\n%s", verdict, res.stderr)
			}

			sum := readJSONFile[summary](t, jsonFile)
			if sum.SchemaVersion != 1 || sum.Aggregated.Requests == 0 || sum.Aggregated.Failures != 0 {
				t.Errorf("summary: schema %d, %d requests, %d failures; want schema 1, some requests, no failures",
					sum.SchemaVersion, sum.Aggregated.Requests, sum.Aggregated.Failures)
			}
			wantRules := append(append([]string(nil), examplesChecksRules...), tt.wantFails...)
			if len(sum.Thresholds) != len(wantRules) {
				t.Fatalf("summary has %d thresholds, want %d: %+v", len(sum.Thresholds), len(wantRules), sum.Thresholds)
			}
			values := map[string]string{} // JUnit name → measured value in the summary
			for i, th := range sum.Thresholds {
				name := th.Rule
				if th.Request != "" {
					name = th.Request + ": " + th.Rule
				}
				if name != wantRules[i] {
					t.Errorf("threshold %d is %q, want %q", i, name, wantRules[i])
				}
				wantPass := !contains(tt.wantFails, name)
				if th.Pass != wantPass || th.Value == "" {
					t.Errorf("threshold %q: pass %v, value %q; want pass %v with a measured value", name, th.Pass, th.Value, wantPass)
				}
				values[name] = th.Value
			}

			j := readJUnit(t, junitFile)
			// The verdict suite has one case, "something was measured",
			// which passed: thresholds were given, so no default-rule case.
			if j.Tests != len(wantRules)+len(sum.Checks)+1 || j.Failures != len(tt.wantFails) {
				t.Errorf("JUnit: %d tests, %d failures; want %d (thresholds) + %d (checkpoints) + 1 (verdict) tests, %d failures",
					j.Tests, j.Failures, len(wantRules), len(sum.Checks), len(tt.wantFails))
			}
			if len(j.Suites) != 3 {
				t.Fatalf("JUnit has %d suites, want 3 (thresholds, checks, verdict)", len(j.Suites))
			}
			var names, failed []string
			for _, c := range j.Suites[0].Cases {
				names = append(names, c.Name)
				if c.Failure == nil {
					continue
				}
				failed = append(failed, c.Name)
				// The failure says which rule and what was measured, and it
				// is the value the JSON summary holds: the reports agree.
				msg := c.Failure.Message
				if c.Failure.Type != "threshold" || !strings.Contains(msg, c.Name) || !strings.Contains(msg, "measured "+values[c.Name]) {
					t.Errorf("failure of %q: type %q, message %q; want type threshold naming the rule and %q",
						c.Name, c.Failure.Type, msg, "measured "+values[c.Name])
				}
			}
			if strings.Join(names, "|") != strings.Join(wantRules, "|") {
				t.Errorf("threshold test cases %q, want %q", names, wantRules)
			}
			if strings.Join(failed, "|") != strings.Join(tt.wantFails, "|") {
				t.Errorf("failed test cases %q, want %q", failed, tt.wantFails)
			}
			if got := len(j.Suites[1].Cases); got != len(sum.Checks) || got == 0 || j.Suites[1].Failures != 0 {
				t.Errorf("checks suite: %d cases, %d failed; want one per checkpoint of the summary (%d), none failed",
					got, j.Suites[1].Failures, len(sum.Checks))
			}
		})
	}

	// A misspelt key and a value of the wrong type: both reported at their
	// file:line:col, and nothing runs.
	t.Run("bad scenario", func(t *testing.T) {
		t.Parallel()
		file := writeScenario(t, "broken.yaml", "users:\n  - name: U\n    wiat: 1s\n    tasks:\n      - steps: [{request: {url: /, timeout: soon}}]\n")
		res := execLoadrun(t, bin, "run", file, "--demo", "-n", "1")
		if res.code != exitUsage {
			t.Errorf("exit code %d, want %d\nstderr:\n%s", res.code, exitUsage, res.stderr)
		}
		for _, want := range []string{
			file + `:3:5: unknown key "wiat" in a user type; did you mean "wait"?`,
			file + `:5:45: timeout: "soon" is not a duration`,
		} {
			if !strings.Contains(res.stderr, want) {
				t.Errorf("stderr lacks %q:\n%s", want, res.stderr)
			}
		}
	})

	// Nothing listens on port 1: the target never answered.
	t.Run("unreachable", func(t *testing.T) {
		t.Parallel()
		res := execLoadrun(t, bin, "run", example, "-H", "http://127.0.0.1:1", "-u", "1", "-n", "3", "-t", "5s", "-q")
		if res.code != exitNoTarget {
			t.Errorf("exit code %d, want %d\nstderr:\n%s", res.code, exitNoTarget, res.stderr)
		}
		if !strings.Contains(res.stderr, "The target never answered") {
			t.Errorf("stderr does not say the target never answered:\n%s", res.stderr)
		}
	})
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// TestCtrlCAtRendezvous interrupts a run while 4 users wait at a barrier
// that could hold them for a minute (a fifth user, busy elsewhere, keeps it
// from releasing by shortfall), with a 30 s stop timeout: the run ends
// promptly and the final summary shows the group the stop released.
func TestCtrlCAtRendezvous(t *testing.T) {
	app := demo.New(demo.Options{})
	srv := httptest.NewServer(app)
	defer srv.Close()
	file := writeScenario(t, "rendezvous.yaml", `
name: rendezvous stop
host: `+srv.URL+`
users:
  - name: Buyer
    weight: 4
    wait: {constant: 0s}
    tasks:
      - name: flash_sale
        steps:
          - request: {url: /product/7}
          - log: at the barrier
          - rendezvous: {name: buy, count: 50, timeout: 60s}
          - request: {method: POST, url: /cart, query: {group: buy}, name: buy}
  - name: Browser
    weight: 1
    wait: {constant: 50ms}
    tasks:
      - steps: [{request: {url: /json}}]
`)
	c := launch("run", file, "-u", "5", "-r", "0", "-q", "-v", "--stop-timeout", "30s")
	// Each buyer logs (-v) the step before it joins the barrier, with no
	// I/O in between; the product page's count at the server came a whole
	// response earlier, and a pause after it let a buyer be late on a busy
	// machine. Were one late, the summary below would show a smaller group
	// and the test would say so.
	waitFor(t, "the buyers at the rendezvous", func() bool { return strings.Count(c.stderr.String(), "at the barrier") >= 4 })
	c.signals <- os.Interrupt
	begin := time.Now()
	code := c.exit(t, 10*time.Second)
	took := time.Since(begin)
	t.Logf("Ctrl-C with 4 users waiting: exit %d after %s", code, took)
	if took > 5*time.Second {
		t.Errorf("the run took %s to end after Ctrl-C; a barrier must not hold up the stop", took)
	}
	if code != exitOK {
		t.Errorf("exit code %d, want %d\nstderr:\n%s", code, exitOK, c.stderr.String())
	}
	if !strings.Contains(c.stderr.String(), "Run ended: stopped") {
		t.Errorf("stderr does not say the run was stopped:\n%s", c.stderr.String())
	}
	out := c.stdout.String()
	// The row: name, groups, by count, timeout, shortfall | size min avg max | waits.
	row := regexp.MustCompile(`(?m)^buy +1 +0 +0 +1 +\| +4 +4\.0 +4 +\|`)
	if !strings.Contains(out, "Rendezvous") || !row.MatchString(out) {
		t.Errorf("the summary lacks the rendezvous row of one group of 4 released by shortfall:\n%s", out)
	}
	if got := len(app.Stats().Arrivals); got != 4 {
		t.Errorf("the server saw %d purchases, want 4: users released by the stop finish their task", got)
	}
}
