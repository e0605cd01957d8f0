package main

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// median is the run with the median requests per CPU-second; failed runs
// sort last and are only shown when every run failed.
func median(rs []result) result {
	ok := slices.DeleteFunc(slices.Clone(rs), func(r result) bool { return r.err != nil })
	if len(ok) == 0 {
		return rs[len(rs)-1]
	}
	slices.SortFunc(ok, func(a, b result) int {
		switch x, y := a.perCPUSecond(), b.perCPUSecond(); {
		case x < y:
			return -1
		case x > y:
			return 1
		}
		return 0
	})
	return ok[len(ok)/2]
}

// throughputTable renders one workload's results; the last column is how
// many times more requests per CPU-second loadrun made than each tool
// (above 1: loadrun is cheaper).
func throughputTable(rs []result) string {
	var ours float64
	for _, r := range rs {
		if r.tool == "loadrun" && r.err == nil {
			ours = r.perCPUSecond()
		}
	}
	var b strings.Builder
	b.WriteString("| tool | requests | failed | requests per generator-CPU-second | generator busy | peak RSS | p50 | p99 | loadrun ÷ tool |\n")
	b.WriteString("|---|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, r := range rs {
		if r.err != nil {
			fmt.Fprintf(&b, "| %s | – | – | – | – | – | – | – | failed: %s |\n", r.tool, oneLine(r.err.Error()))
			continue
		}
		ratio := "–"
		if ours > 0 && r.perCPUSecond() > 0 {
			ratio = fmt.Sprintf("%.2f", ours/r.perCPUSecond())
		}
		busy := 0.0
		if r.wall > 0 {
			busy = 100 * r.cpu.Seconds() / r.wall.Seconds()
		}
		fmt.Fprintf(&b, "| %s | %d | %d | %s | %.0f %% | %s | %s | %s | %s |\n",
			r.tool, r.requests, r.failures, thousands(r.perCPUSecond()), busy, mib(r.rssKB),
			ms(r.p50), ms(r.p99), ratio)
	}
	return b.String()
}

// memoryTable renders the think-time runs and the slope of peak RSS per
// user between the smallest run and each larger one.
func memoryTable(rs []result, seconds int) string {
	var b strings.Builder
	b.WriteString("| users | peak RSS | requests/s (users × 1/s wanted) | failed | p50 | p99 | KiB per user (slope from the first row) |\n")
	b.WriteString("|---:|---:|---:|---:|---:|---:|---:|\n")
	var base *result
	for i := range rs {
		r := &rs[i]
		users := r.users
		if r.err != nil {
			fmt.Fprintf(&b, "| %d | – | – | – | – | – | failed: %s |\n", users, oneLine(r.err.Error()))
			continue
		}
		slope := "–"
		if base == nil {
			base = r
		} else if du := users - base.users; du > 0 {
			slope = fmt.Sprintf("%.1f", float64(r.rssKB-base.rssKB)/float64(du))
		}
		fmt.Fprintf(&b, "| %d | %s | %.0f | %d | %s | %s | %s |\n", users, mib(r.rssKB),
			float64(r.requests)/float64(seconds), r.failures, ms(r.p50), ms(r.p99), slope)
	}
	return b.String()
}

func thousands(f float64) string {
	s := fmt.Sprintf("%.0f", f)
	var out []byte
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	return string(out)
}

func mib(kb int64) string { return fmt.Sprintf("%.1f MiB", float64(kb)/1024) }

func ms(d time.Duration) string {
	return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond))
}

func oneLine(s string) string {
	s = strings.ReplaceAll(s, "\n", " ")
	s = strings.ReplaceAll(s, "|", "/")
	if len(s) > 160 {
		s = s[:160] + "…"
	}
	return s
}
