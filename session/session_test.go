package session_test

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/loadrun/loadrun/engine"
	"github.com/loadrun/loadrun/session"
)

// TestSecondRun runs the same session twice, as the web UI's "New test"
// does: the second run starts with fresh statistics and a fresh
// unique-once pool (every row again, each once), not where the first ended.
func TestSecondRun(t *testing.T) {
	var mu sync.Mutex
	var seen []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.URL.Query().Get("row"))
		mu.Unlock()
	}))
	t.Cleanup(srv.Close)
	src := `
data:
  rows: {rows: [{id: a}, {id: b}, {id: c}], mode: unique-once}
users:
  - name: U
    wait: {constant: 0s}
    tasks:
      - steps: [{use: rows}, {request: {url: "/?row=${rows.id}", name: row}}]
`
	s := newSession(t, src, srv.URL, engine.Options{})
	for run := 1; run <= 2; run++ {
		mu.Lock()
		seen = nil
		mu.Unlock()
		if err := s.Start(1, 0); err != nil {
			t.Fatalf("run %d: Start: %v", run, err)
		}
		res := wait(t, s)
		mu.Lock()
		got := slices.Sorted(slices.Values(seen))
		mu.Unlock()
		if want := []string{"a", "b", "c"}; !slices.Equal(got, want) {
			t.Errorf("run %d: rows sent %v, want %v", run, got, want)
		}
		if n := res.Snapshot.Total.Requests; n != 3 {
			t.Errorf("run %d: %d requests counted, want 3 (fresh statistics)", run, n)
		}
		if res.Run.Verdict.ExitCode != 0 {
			t.Errorf("run %d: verdict %+v, want a pass", run, res.Run.Verdict)
		}
	}
}

// TestStartWhileRunning refuses a second Start while a run goes.
func TestStartWhileRunning(t *testing.T) {
	_, host := demoTarget(t)
	s := start(t, "users: [{name: U, wait: {constant: 1s}, tasks: [{steps: [{request: {url: /json}}]}]}]", host, 1, 0, engine.Options{})
	if err := s.Start(1, 0); err == nil {
		t.Fatal("a second Start during a run was accepted")
	}
	s.Stop()
	wait(t, s)
}

// TestBadRates refuses spawn rates that cannot be scheduled.
func TestBadRates(t *testing.T) {
	tests := []struct {
		rate float64
		ok   bool
	}{
		{0, true},     // all at once
		{0.5, true},   // one user every 2 s
		{1e300, true}, // as fast as possible
		{nan(), false},
		{inf(), false},
		{-1, false},
		{1e-300, false}, // one user in 10^292 years: a mistake
	}
	for _, tt := range tests {
		if err := session.CheckRate(tt.rate); (err == nil) != tt.ok {
			t.Errorf("CheckRate(%v) = %v, want ok %v", tt.rate, err, tt.ok)
		}
	}
}

func nan() float64 { z := 0.0; return z / z }
func inf() float64 { z := 0.0; return 1 / z }

// TestReportsCheck finds report paths that cannot be written before a run.
func TestReportsCheck(t *testing.T) {
	dir := t.TempDir()
	existing := filepath.Join(dir, "old.json")
	if err := os.WriteFile(existing, []byte("keep"), 0o644); err != nil {
		t.Fatal(err)
	}
	readOnly := filepath.Join(dir, "ro")
	if err := os.Mkdir(readOnly, 0o555); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		reports session.Reports
		wantErr string
	}{
		// New files in an existing directory.
		{"fine", session.Reports{CSV: filepath.Join(dir, "run"), JSON: filepath.Join(dir, "a.json"), HTML: filepath.Join(dir, "a.html"), JUnit: filepath.Join(dir, "a.xml")}, ""},
		// An existing file is writable (and kept as it is by the check).
		{"existing", session.Reports{JSON: existing}, ""},
		// The directory does not exist.
		{"no dir", session.Reports{HTML: filepath.Join(dir, "missing", "r.html")}, "--html"},
		// A directory where the file should be.
		{"dir", session.Reports{JUnit: dir}, "is a directory"},
		// The CSV prefix's directory does not exist.
		{"csv", session.Reports{CSV: filepath.Join(dir, "nope", "run")}, "--csv"},
	}
	if os.Geteuid() != 0 { // root writes anywhere
		tests = append(tests, struct {
			name    string
			reports session.Reports
			wantErr string
		}{"read-only dir", session.Reports{JSON: filepath.Join(readOnly, "r.json")}, "permission denied"})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.reports.Check()
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("Check: %v, want no error", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("Check: %v, want an error containing %q", err, tt.wantErr)
			}
		})
	}
	if b, _ := os.ReadFile(existing); string(b) != "keep" {
		t.Errorf("Check changed an existing file: %q", b)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 2 {
		names := []string{}
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("Check left files behind: %v", names)
	}
}

// TestSnapshotPerTick: readers share the snapshot of the last tick, and
// the final one after the run holds every request.
func TestSnapshotPerTick(t *testing.T) {
	synctest.Test(t, testSnapshotPerTick)
}

func testSnapshotPerTick(t *testing.T) {
	dial := virtualDemo(t)
	s := start(t, "users: [{name: U, wait: {constant: 10ms}, tasks: [{steps: [{request: {url: /json}}]}]}]", vhost, 1, 0, engine.Options{RunTime: 2500 * time.Millisecond, Dial: dial})
	// Before the first tick a read takes a snapshot of its own; from the
	// first tick on, every read until the next tick shares one.
	deadline := time.Now().Add(runLimit)
	a := s.Snapshot()
	for a != s.Snapshot() {
		if time.Now().After(deadline) {
			t.Fatal("reads never shared a tick's snapshot")
		}
		time.Sleep(10 * time.Millisecond)
		a = s.Snapshot()
	}
	res := wait(t, s)
	if res.Snapshot.Total.Requests < a.Total.Requests {
		t.Errorf("final snapshot has %d requests, fewer than a tick's %d", res.Snapshot.Total.Requests, a.Total.Requests)
	}
}
