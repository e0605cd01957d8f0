package main

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

var webListening = regexp.MustCompile(`Web UI on (http://\S+)/ `)

// TestMasterWeb: a master with --web and two worker processes starts from
// POST /api/start, lists both workers, resets the statistics from POST
// /api/reset, stops from POST /api/stop and writes its JSON summary with
// the requests the target served after the reset; the workers join the
// next test, which a second POST /api/start (New test) runs and whose
// summary holds exactly its requests; Ctrl-C quits the master and sends
// the workers away (both exit 0).
func TestMasterWeb(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs several processes")
	}
	bin := buildLoadrun(t)
	srv, served := counting(t)
	file := scenarioFor(t, srv.URL, "/json", "{constant: 20ms}")
	jsonPath := filepath.Join(t.TempDir(), "summary.json")
	master := startProc(t, bin, "master", "master", file, "--expect-workers", "2", "--bind", "127.0.0.1:0",
		"--web", "--web-addr", "127.0.0.1:0", "-u", "4", "-r", "0", "-q", "--json", jsonPath)
	join := master.await(t, listening, 20*time.Second)
	base := master.await(t, webListening, 20*time.Second)
	var workers []*proc
	for _, name := range []string{"w1", "w2"} {
		workers = append(workers, startProc(t, bin, name, "worker", "--name", name, "--master", join))
	}
	call := func(method, path, body string) (int, string) {
		t.Helper()
		req, err := http.NewRequest(method, base+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		data, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(data)
	}
	type live struct {
		Aggregated struct {
			Requests int64 `json:"requests"`
		} `json:"aggregated"`
		Workers []struct {
			Name     string `json:"name"`
			State    string `json:"state"`
			Users    int    `json:"users"`
			Requests int64  `json:"requests"`
		} `json:"workers"`
	}
	stats := func() live {
		t.Helper()
		code, body := call("GET", "/api/stats", "")
		var l live
		if err := json.Unmarshal([]byte(body), &l); err != nil || code != 200 {
			t.Fatalf("stats: %d %s", code, body)
		}
		return l
	}
	waitFor(t, "two workers in the table", func() bool { return len(stats().Workers) == 2 })
	// Workers joined but nothing starts before Start is pressed.
	time.Sleep(300 * time.Millisecond)
	if n := served.Load(); n != 0 {
		t.Fatalf("%d requests went out before Start", n)
	}
	if code, body := call("POST", "/api/start", `{"users": 4, "spawn_rate": 0, "run_time": ""}`); code != 200 {
		t.Fatalf("start: %d %s", code, body)
	}
	waitFor(t, "both workers loading", func() bool {
		l := stats()
		if len(l.Workers) != 2 {
			return false
		}
		for _, w := range l.Workers {
			if w.Users != 2 || w.Requests == 0 {
				return false
			}
		}
		return true
	})
	// Reset stats: every worker counts again from the reset, so the
	// summary holds what the target served after it (give or take the
	// requests in flight as each worker reset).
	waitFor(t, "some requests before the reset", func() bool { return stats().Aggregated.Requests >= 50 })
	servedBefore := served.Load()
	if code, body := call("POST", "/api/reset", ""); code != 200 {
		t.Fatalf("reset: %d %s", code, body)
	}
	if n := stats().Aggregated.Requests; n >= servedBefore {
		t.Errorf("after the reset the page shows %d requests, as many as the %d before it", n, servedBefore)
	}
	for _, w := range workers {
		w.await(t, regexp.MustCompile(`statistics reset`), 20*time.Second)
	}
	servedAfter := served.Load() // every worker has reset by now
	waitFor(t, "requests counted after the reset", func() bool { return stats().Aggregated.Requests > 0 })
	if code, body := call("POST", "/api/stop", ""); code != 200 {
		t.Fatalf("stop: %d %s", code, body)
	}
	// Reports are written (a Ctrl-C before that would cut them short).
	master.await(t, regexp.MustCompile(`web UI stays up`), distLimit)
	testOne := served.Load()
	var one distSummary
	if b, err := os.ReadFile(jsonPath); err != nil || json.Unmarshal(b, &one) != nil {
		t.Fatalf("the first test's summary: %v", err)
	}
	// 4 users may each have had a request in flight when its worker reset.
	if n := testOne; one.Aggregated.Requests < n-servedAfter-4 || one.Aggregated.Requests > n-servedBefore+4 {
		t.Errorf("the first summary counts %d requests, the target served %d after the reset (%d to %d of %d in all)",
			one.Aggregated.Requests, n-servedAfter, n-servedBefore, n-servedAfter, n)
	}
	// New test: the workers joined the next test; it starts with them.
	waitFor(t, "both workers joined the next test", func() bool {
		return strings.Count(master.stderr.String(), "2 worker(s) ready") == 2
	})
	if code, body := call("POST", "/api/start", `{"users": 2, "spawn_rate": 0, "run_time": ""}`); code != 200 {
		t.Fatalf("second start: %d %s", code, body)
	}
	waitFor(t, "the second test loading on both workers", func() bool {
		l := stats()
		return len(l.Workers) == 2 && l.Workers[0].Users == 1 && l.Workers[1].Users == 1 && l.Aggregated.Requests > 0
	})
	if code, body := call("POST", "/api/stop", ""); code != 200 {
		t.Fatalf("second stop: %d %s", code, body)
	}
	waitFor(t, "the second test's reports, and both workers joined the third", func() bool {
		return strings.Count(master.stderr.String(), "web UI stays up") == 2 &&
			strings.Count(master.stderr.String(), "2 worker(s) ready") == 3
	})
	// The page stays up after the run until Ctrl-C, which sends the
	// workers waiting for a next test away.
	if err := master.cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	if code := master.wait(t, distLimit); code != exitOK {
		t.Errorf("master exit code %d, want 0\nstderr:\n%s", code, master.stderr.String())
	}
	for _, w := range workers {
		if code := w.wait(t, 20*time.Second); code != exitOK {
			t.Errorf("%s exit code %d, want 0\nstderr:\n%s", w.name, code, w.stderr.String())
		}
	}
	s := readJSONFile[distSummary](t, jsonPath)
	// The summary is the second test's: what the target served since.
	if n := served.Load() - testOne; s.Aggregated.Requests != n || n == 0 {
		t.Errorf("the summary counts %d requests, the target served %d in the second test", s.Aggregated.Requests, n)
	}
	if len(s.Workers) != 2 || s.Workers[0].Requests+s.Workers[1].Requests != s.Aggregated.Requests {
		t.Errorf("workers table %+v, total %d", s.Workers, s.Aggregated.Requests)
	}
}
