package reports

import (
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/loadrun/loadrun/stats"
	"github.com/loadrun/loadrun/thresholds"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata with the current output")

// t0 is the fixture run's start; a fixed date keeps golden files stable.
var t0 = time.Date(2026, 11, 26, 6, 51, 32, 0, time.UTC)

func msf(v float64) time.Duration { return time.Duration(v * float64(time.Millisecond)) }

// fixture is a six-second run recorded through the stats API with known
// samples: sub-millisecond and multi-millisecond times, a row that always
// fails, a name longer than the console column, one with a newline and a
// tab, checks, a rendezvous, a late paced task, request phases and a saturated generator.
func fixture() (Run, *stats.Snapshot) {
	st := stats.New(t0, 2)
	st.SetUsers(5)
	rec := st.Recorder(0)
	other := st.Recorder(1)
	root := stats.Key{Method: "GET", Name: "/"}
	login := stats.Key{Method: "POST", Name: "/login"}
	broken := stats.Key{Method: "GET", Name: "/status/503"}
	long := stats.Key{Method: "GET", Name: "/api/v1/catalogue/categories/electronics/products/search?q=${query}&page=${page}&sort=price"}
	odd := stats.Key{Method: "GET", Name: "/weird\nname\twith controls"}
	for i := range 100 {
		rec.Request(root, msf(0.5+float64(i)*0.04), 116, "")
		rec.Check(root, "status 200", true)
	}
	for _, v := range []float64{9.57, 10.65, 11.6, 12.3, 250} {
		other.Request(login, msf(v), 191, "")
	}
	for i := range 40 {
		other.Request(broken, msf(0.76+float64(i%5)*0.9), 0, "HTTP 503 Service Unavailable")
		other.Check(broken, "status 200", false)
	}
	for i := range 7 {
		rec.Request(long, msf(20+float64(i)), 2048, "")
	}
	rec.Request(odd, msf(3), 10, "unexpected EOF\nwhile reading\tbody")
	// Phases of the kept-alive root (two users, so two connections) and of
	// the login over TLS, whose first request opened the connection.
	for i := range 100 {
		(&[2]*stats.Recorder{rec, other})[i%2].Phases(root, stats.PhaseTimes{Connect: msf(0.2), Send: msf(0.01),
			Wait: msf(0.4 + float64(i)*0.03), Download: msf(0.05), NewConn: i < 2})
	}
	for i, v := range []float64{9.57, 10.65, 11.6, 12.3, 250} {
		other.Phases(login, stats.PhaseTimes{Connect: msf(1.5), TLS: msf(6), Send: msf(0.02),
			Wait: msf(v - 8), Download: msf(0.1), NewConn: i == 0, NewTLS: i == 0})
	}
	st.Tick(t0.Add(time.Second))
	st.Tick(t0.Add(2 * time.Second))
	st.Rendezvous("checkout", 5, stats.ReleaseByCount, []time.Duration{msf(1), msf(40), msf(80), msf(120), msf(150)})
	st.Rendezvous("checkout", 3, stats.ReleaseByTimeout, []time.Duration{msf(500), msf(500), msf(500)})
	rec.Pacing("browse", 0, false)
	rec.Pacing("browse", msf(250), false)
	rec.Pacing("browse", 0, true)
	st.SetCPU(97)
	s := st.Snapshot(t0.Add(6 * time.Second))
	run := Run{
		Scenario: "shop", File: "shop.yaml", Host: "http://127.0.0.1:8089",
		Users: 5, SpawnRate: 5, RunTime: 6 * time.Second,
		Start: t0, End: t0.Add(6 * time.Second), Version: "0.1.0",
		Thresholds: []thresholds.Result{
			{Rule: "p95 < 300ms", Metric: "p95", Value: "11ms", Pass: true},
			{Request: "GET /status/503", Rule: "fail_ratio < 1%", Metric: "fail_ratio", Value: "100%", Message: "100% of 40 requests failed", Aborted: true},
			{Request: "GET /missing", Rule: "p99 < 1s", Metric: "p99", Message: "no samples for GET /missing"},
		},
		Verdict:  Verdict{ExitCode: 1, Reason: `2 of 3 thresholds failed: "GET /status/503: fail_ratio < 1%" (100% of 40 requests failed)`},
		Warnings: []string{"3 iterations of browse started late"},
	}
	return run, s
}

// golden compares got with testdata/name, or rewrites it under -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if string(got) != string(want) {
		t.Errorf("%s differs from the golden file (go test -update rewrites it):\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}
