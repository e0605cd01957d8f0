package main

import (
	"context"
	"fmt"
	"os"

	"github.com/loadrun/loadrun/demo"
	"github.com/loadrun/loadrun/engine"
	"github.com/loadrun/loadrun/reports"
	"github.com/loadrun/loadrun/session"
)

// validateCmd checks scenario files: every problem of every file, each
// with its file:line:col.
func validateCmd(args []string, e env) int {
	fs := newFlagSet("validate", e.stderr)
	files, err := parseArgs(fs, args)
	if err != nil {
		return exitUsage
	}
	if len(files) == 0 {
		fmt.Fprintln(e.stderr, "Usage: loadrun validate FILE...")
		return exitUsage
	}
	code := exitOK
	for _, file := range files {
		if _, ok := loadPlan(file, engine.CompileOptions{}, e); !ok {
			code = exitUsage
			continue
		}
		fmt.Fprintf(e.stdout, "%s: ok\n", file)
	}
	return code
}

// demoCmd serves the demo target until interrupted.
func demoCmd(args []string, e env) int {
	fs := newFlagSet("demo", e.stderr)
	addr := fs.String("addr", demo.DefaultAddr, "address to listen on (keep it on loopback)")
	if _, err := parseArgs(fs, args); err != nil {
		return exitUsage
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		if e.signals != nil {
			<-e.signals
			cancel()
		}
	}()
	logf := func(format string, args ...any) { fmt.Fprintf(e.stderr, format+"\n", args...) }
	if err := demo.Serve(ctx, *addr, demo.New(demo.Options{}), logf); err != nil {
		fmt.Fprintln(e.stderr, "loadrun demo:", err)
		return exitFailed
	}
	return exitOK
}

// reportCmd renders reports again from a JSON summary.
func reportCmd(args []string, e env) int {
	fs := newFlagSet("report", e.stderr)
	var f runFlags
	fs.StringVar(&f.html, "html", "", "write the HTML report to FILE")
	fs.StringVar(&f.csv, "csv", "", "write CSV files with this prefix")
	fs.StringVar(&f.junit, "junit", "", "write JUnit XML to FILE")
	fs.StringVar(&f.json, "json", "", "write the JSON summary again to FILE")
	files, err := parseArgs(fs, args)
	if err != nil {
		return exitUsage
	}
	if len(files) != 1 {
		fmt.Fprintln(e.stderr, "Usage: loadrun report SUMMARY.json [--html FILE] [--csv PREFIX] [--junit FILE]")
		return exitUsage
	}
	in, err := os.Open(files[0])
	if err != nil {
		fmt.Fprintln(e.stderr, "loadrun report:", err)
		return exitUsage
	}
	defer in.Close()
	run, snap, err := reports.ReadJSON(in)
	if err != nil {
		fmt.Fprintf(e.stderr, "loadrun report: %s: %v\n", files[0], err)
		return exitUsage
	}
	if f.html == "" && f.csv == "" && f.junit == "" && f.json == "" {
		reports.WriteSummary(e.stdout, run, snap)
		return exitOK
	}
	out := session.Reports{CSV: f.csv, JSON: f.json, HTML: f.html, JUnit: f.junit}
	if err := out.Write(&session.Result{Run: run, Snapshot: snap}); err != nil {
		fmt.Fprintln(e.stderr, "loadrun report:", err)
		return exitFailed
	}
	return exitOK
}
