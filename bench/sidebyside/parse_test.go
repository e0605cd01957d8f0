package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The samples in testdata are real outputs recorded by this harness
// (go run ./bench/sidebyside -keep DIR) on a 2-core machine.

func TestParseRecorded(t *testing.T) {
	tests := []struct {
		file  string
		parse func([]byte) (report, error)
		want  report
	}{
		// loadrun's --json summary: percentiles in exact milliseconds.
		{"loadrun.json", parseLoadrun, report{requests: 160219, p50: 582 * time.Microsecond, p99: 6871 * time.Microsecond}},
		// wrk --latency: units vary per line (us, ms).
		{"wrk.txt", parseWrk, report{requests: 134981, p50: 870 * time.Microsecond, p99: 26740 * time.Microsecond}},
		// hey 0.1.4 prints "50%% in"; the total is the status code distribution.
		{"hey.txt", parseHey, report{requests: 96958, p50: 1100 * time.Microsecond, p99: 7500 * time.Microsecond}},
		// vegeta report -type=json: nanoseconds.
		{"vegeta.json", parseVegeta, report{requests: 126104, p50: 532982, p99: 2894499}},
		// Locust's --csv stats: whole milliseconds, the Aggregated row.
		{"locust_stats.csv", parseLocust, report{requests: 18877, p50: 2 * time.Millisecond, p99: 9 * time.Millisecond}},
	}
	for _, tt := range tests {
		data, err := os.ReadFile(filepath.Join("testdata", tt.file))
		if err != nil {
			t.Fatal(err)
		}
		got, err := tt.parse(data)
		if err != nil {
			t.Errorf("%s: %v", tt.file, err)
			continue
		}
		if !near(got, tt.want) {
			t.Errorf("%s: got %+v, want %+v", tt.file, got, tt.want)
		}
	}
}

// near compares reports, allowing float rounding of the durations.
func near(a, b report) bool {
	close := func(x, y time.Duration) bool { d := x - y; return d > -time.Microsecond && d < time.Microsecond }
	return a.requests == b.requests && a.failures == b.failures && close(a.p50, b.p50) && close(a.p99, b.p99)
}

func TestParseFailures(t *testing.T) {
	tests := []struct {
		name  string
		parse func([]byte) (report, error)
		in    string
		want  report
	}{
		// wrk counts non-2xx answers and every kind of socket error as failed.
		{"wrk errors", parseWrk, "  Latency Distribution\n     50%    1.00ms\n     99%    2.00s\n  100 requests in 1.00s, 1KB read\n  Socket errors: connect 1, read 2, write 0, timeout 3\n  Non-2xx or 3xx responses: 4\n",
			report{requests: 100, failures: 10, p50: time.Millisecond, p99: 2 * time.Second}},
		// hey: errors are requests too, and a 500 is a failure.
		{"hey errors", parseHey, "Latency distribution:\n  50% in 0.0010 secs\n  99% in 0.0020 secs\n\nStatus code distribution:\n  [200]\t90 responses\n  [500]\t5 responses\n\nError distribution:\n  [5]\tGet \"http://127.0.0.1/\": EOF\n",
			report{requests: 100, failures: 10, p50: time.Millisecond, p99: 2 * time.Millisecond}},
		// vegeta reports a success ratio, not a failure count.
		{"vegeta errors", parseVegeta, `{"latencies":{"50th":1000000,"99th":2000000},"requests":200,"success":0.95}`,
			report{requests: 200, failures: 10, p50: time.Millisecond, p99: 2 * time.Millisecond}},
	}
	for _, tt := range tests {
		got, err := tt.parse([]byte(tt.in))
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if !near(got, tt.want) {
			t.Errorf("%s: got %+v, want %+v", tt.name, got, tt.want)
		}
	}
}

// TestParseGarbage: a tool that crashed or printed something else gives an
// error naming the tool, never a zero row that looks like a measurement.
func TestParseGarbage(t *testing.T) {
	parsers := map[string]func([]byte) (report, error){
		"loadrun": parseLoadrun, "wrk": parseWrk, "hey": parseHey, "vegeta": parseVegeta, "locust": parseLocust,
	}
	for name, parse := range parsers {
		for _, in := range []string{"", "panic: something went wrong\n", "{}"} {
			if got, err := parse([]byte(in)); err == nil {
				t.Errorf("%s(%q): got %+v and no error, want an error", name, in, got)
			} else if !strings.Contains(strings.ToLower(err.Error()), name) {
				t.Errorf("%s(%q): error %q does not name the tool", name, in, err)
			}
		}
	}
}

func TestParseTimeV(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "time.txt"))
	if err != nil {
		t.Fatal(err)
	}
	got, err := parseTimeV(data)
	if err != nil {
		t.Fatal(err)
	}
	want := usage{cpu: 1690 * time.Millisecond, wall: 3010 * time.Millisecond, rssKB: 17236}
	if d := got.cpu - want.cpu; d < -time.Millisecond || d > time.Millisecond || got.rssKB != want.rssKB || (got.wall-want.wall).Abs() > time.Millisecond {
		t.Errorf("got %+v, want %+v", got, want)
	}
	if _, err := parseTimeV([]byte("Command exited with non-zero status 1\n")); err == nil {
		t.Error("time -v output without its lines: got no error")
	}
}

func TestParseClock(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
	}{
		// m:ss.cc, the usual form.
		{"0:10.02", 10020 * time.Millisecond},
		// h:mm:ss for runs over an hour.
		{"1:00:01", time.Hour + time.Second},
	}
	for _, tt := range tests {
		got, err := parseClock(tt.in)
		if err != nil || (got-tt.want).Abs() > time.Millisecond {
			t.Errorf("parseClock(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
}

func TestMedianAndTable(t *testing.T) {
	mk := func(tool string, reqs int64, cpu time.Duration) result {
		return result{tool: tool, report: report{requests: reqs}, usage: usage{cpu: cpu, wall: 2 * cpu}}
	}
	// Three runs: the median by requests per CPU-second is the 2000/s one.
	got := median([]result{mk("x", 1000, time.Second), mk("x", 3000, time.Second), mk("x", 2000, time.Second)})
	if got.requests != 2000 {
		t.Errorf("median: got %d requests, want 2000", got.requests)
	}
	table := throughputTable([]result{mk("loadrun", 4000, time.Second), mk("peer", 1000, time.Second)})
	for _, want := range []string{"| loadrun | 4000 | 0 | 4,000 | 50 % |", "| peer | 1000 | 0 | 1,000 | 50 % |", "| 4.00 |"} {
		if !strings.Contains(table, want) {
			t.Errorf("table lacks %q:\n%s", want, table)
		}
	}
}
