package main

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// report is what one tool says about one run, in its own words: how many
// requests it completed, how many failed, and its median and 99th
// percentile response times (each tool computes them its own way).
type report struct {
	requests, failures int64
	p50, p99           time.Duration
}

// usage is what GNU time -v says about the generator process.
type usage struct {
	cpu   time.Duration // user + system
	wall  time.Duration
	rssKB int64 // peak resident set size
}

// parseTimeV reads the output of `/usr/bin/time -v -o FILE`.
func parseTimeV(out []byte) (usage, error) {
	var u usage
	var seen int
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		key, val, ok := strings.Cut(strings.TrimSpace(sc.Text()), "): ")
		if !ok {
			continue
		}
		switch key {
		case "User time (seconds", "System time (seconds":
			f, err := strconv.ParseFloat(val, 64)
			if err != nil {
				return u, fmt.Errorf("time -v: %s: %w", key, err)
			}
			u.cpu += time.Duration(f * float64(time.Second))
			seen++
		case "Maximum resident set size (kbytes":
			n, err := strconv.ParseInt(val, 10, 64)
			if err != nil {
				return u, fmt.Errorf("time -v: peak RSS: %w", err)
			}
			u.rssKB = n
			seen++
		case "Elapsed (wall clock) time (h:mm:ss or m:ss":
			d, err := parseClock(val)
			if err != nil {
				return u, err
			}
			u.wall = d
			seen++
		}
	}
	if seen != 4 {
		return u, fmt.Errorf("time -v: found %d of the 4 lines it needs (user, system, peak RSS, elapsed)", seen)
	}
	return u, nil
}

// parseClock reads time's elapsed format, "m:ss.cc" or "h:mm:ss".
func parseClock(s string) (time.Duration, error) {
	parts := strings.Split(s, ":")
	var total float64
	for _, p := range parts {
		f, err := strconv.ParseFloat(p, 64)
		if err != nil {
			return 0, fmt.Errorf("time -v: elapsed %q: %w", s, err)
		}
		total = total*60 + f
	}
	return time.Duration(total * float64(time.Second)), nil
}

// parseLoadrun reads loadrun's --json summary (reports/JSON.md).
func parseLoadrun(out []byte) (report, error) {
	var doc struct {
		Aggregated *struct {
			Requests    int64              `json:"requests"`
			Failures    int64              `json:"failures"`
			Percentiles map[string]float64 `json:"percentiles_ms"`
		} `json:"aggregated"`
	}
	if err := json.Unmarshal(out, &doc); err != nil {
		return report{}, fmt.Errorf("loadrun JSON: %w", err)
	}
	a := doc.Aggregated
	if a == nil {
		return report{}, fmt.Errorf("loadrun JSON: no aggregated entry")
	}
	return report{
		requests: a.Requests,
		failures: a.Failures,
		p50:      millis(a.Percentiles["50"]),
		p99:      millis(a.Percentiles["99"]),
	}, nil
}

// parseWrk reads `wrk --latency` output.
func parseWrk(out []byte) (report, error) {
	var r report
	var haveCount bool
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		switch {
		case len(f) >= 3 && f[1] == "requests" && f[2] == "in":
			n, err := strconv.ParseInt(f[0], 10, 64)
			if err != nil {
				return r, fmt.Errorf("wrk: request count %q: %w", f[0], err)
			}
			r.requests, haveCount = n, true
		case len(f) == 2 && (f[0] == "50%" || f[0] == "99%"):
			d, err := parseUnitDuration(f[1])
			if err != nil {
				return r, fmt.Errorf("wrk: %s: %w", f[0], err)
			}
			if f[0] == "50%" {
				r.p50 = d
			} else {
				r.p99 = d
			}
		case len(f) == 5 && f[0] == "Non-2xx" && f[1] == "or":
			n, err := strconv.ParseInt(f[4], 10, 64)
			if err != nil {
				return r, fmt.Errorf("wrk: non-2xx count: %w", err)
			}
			r.failures += n
		case len(f) >= 2 && f[0] == "Socket" && f[1] == "errors:":
			// "Socket errors: connect 0, read 0, write 0, timeout 0"
			for i := 3; i < len(f); i += 2 {
				n, err := strconv.ParseInt(strings.TrimSuffix(f[i], ","), 10, 64)
				if err != nil {
					return r, fmt.Errorf("wrk: socket errors: %w", err)
				}
				r.failures += n
			}
		}
	}
	if !haveCount || r.p50 == 0 {
		return r, fmt.Errorf("wrk: no request count or latency distribution (was --latency given?)")
	}
	return r, nil
}

// parseUnitDuration reads wrk's "438.00us", "1.23ms", "2.00s", "1.50m".
func parseUnitDuration(s string) (time.Duration, error) {
	for _, u := range []struct {
		suffix string
		unit   time.Duration
	}{{"us", time.Microsecond}, {"ms", time.Millisecond}, {"s", time.Second}, {"m", time.Minute}, {"h", time.Hour}} {
		if v, ok := strings.CutSuffix(s, u.suffix); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				return 0, err
			}
			return time.Duration(f * float64(u.unit)), nil
		}
	}
	return 0, fmt.Errorf("%q has no time unit", s)
}

// parseHey reads hey's default text summary. hey prints no request total:
// it is the sum of the status code and error distributions.
func parseHey(out []byte) (report, error) {
	var r report
	section := ""
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if strings.HasSuffix(line, ":") && !strings.HasPrefix(line, "[") {
			section = line
			continue
		}
		f := strings.Fields(line)
		if len(f) > 0 {
			// hey's latest release prints "50%% in": a doubled Printf verb.
			f[0] = strings.ReplaceAll(f[0], "%%", "%")
		}
		switch {
		case section == "Latency distribution:" && len(f) == 4 && (f[0] == "50%" || f[0] == "99%"):
			secs, err := strconv.ParseFloat(f[2], 64)
			if err != nil {
				return r, fmt.Errorf("hey: %s: %w", f[0], err)
			}
			d := time.Duration(secs * float64(time.Second))
			if f[0] == "50%" {
				r.p50 = d
			} else {
				r.p99 = d
			}
		case section == "Status code distribution:" && len(f) >= 2 && strings.HasPrefix(f[0], "["):
			// "[200]	96958 responses"
			n, err := strconv.ParseInt(f[1], 10, 64)
			if err != nil {
				return r, fmt.Errorf("hey: %s %q: %w", section, line, err)
			}
			r.requests += n
			if code := strings.Trim(f[0], "[]"); !strings.HasPrefix(code, "2") {
				r.failures += n
			}
		case section == "Error distribution:" && len(f) >= 1 && strings.HasPrefix(f[0], "["):
			// "[5]	Get "http://…": EOF": the count is in the brackets.
			n, err := strconv.ParseInt(strings.Trim(f[0], "[]"), 10, 64)
			if err != nil {
				return r, fmt.Errorf("hey: %s %q: %w", section, line, err)
			}
			r.requests += n
			r.failures += n
		}
	}
	if r.requests == 0 || r.p50 == 0 {
		return r, fmt.Errorf("hey: no status code or latency distribution in its output")
	}
	return r, nil
}

// parseVegeta reads `vegeta report -type=json`; latencies are nanoseconds.
func parseVegeta(out []byte) (report, error) {
	var doc struct {
		Latencies struct {
			P50 int64 `json:"50th"`
			P99 int64 `json:"99th"`
		} `json:"latencies"`
		Requests int64   `json:"requests"`
		Success  float64 `json:"success"`
	}
	if err := json.Unmarshal(out, &doc); err != nil {
		return report{}, fmt.Errorf("vegeta JSON report: %w", err)
	}
	if doc.Requests == 0 {
		return report{}, fmt.Errorf("vegeta JSON report: no requests")
	}
	return report{
		requests: doc.Requests,
		failures: doc.Requests - int64(math.Round(doc.Success*float64(doc.Requests))),
		p50:      time.Duration(doc.Latencies.P50),
		p99:      time.Duration(doc.Latencies.P99),
	}, nil
}

// parseLocust reads the Aggregated row of Locust's --csv PREFIX_stats.csv.
func parseLocust(out []byte) (report, error) {
	rows, err := csv.NewReader(bytes.NewReader(out)).ReadAll()
	if err != nil {
		return report{}, fmt.Errorf("locust CSV: %w", err)
	}
	if len(rows) < 2 {
		return report{}, fmt.Errorf("locust CSV: no rows")
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[h] = i
	}
	for _, want := range []string{"Name", "Request Count", "Failure Count", "50%", "99%"} {
		if _, ok := col[want]; !ok {
			return report{}, fmt.Errorf("locust CSV: no %q column", want)
		}
	}
	for _, row := range rows[1:] {
		if row[col["Name"]] != "Aggregated" {
			continue
		}
		var r report
		var errs [4]error
		r.requests, errs[0] = strconv.ParseInt(row[col["Request Count"]], 10, 64)
		r.failures, errs[1] = strconv.ParseInt(row[col["Failure Count"]], 10, 64)
		var p50, p99 float64
		p50, errs[2] = strconv.ParseFloat(row[col["50%"]], 64)
		p99, errs[3] = strconv.ParseFloat(row[col["99%"]], 64)
		for _, err := range errs {
			if err != nil {
				return r, fmt.Errorf("locust CSV: Aggregated row: %w", err)
			}
		}
		r.p50, r.p99 = millis(p50), millis(p99)
		return r, nil
	}
	return report{}, fmt.Errorf("locust CSV: no Aggregated row")
}

func millis(ms float64) time.Duration { return time.Duration(ms * float64(time.Millisecond)) }
