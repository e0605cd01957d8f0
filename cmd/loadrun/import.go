package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/loadrun/loadrun/engine"
	"github.com/loadrun/loadrun/har"
	"github.com/loadrun/loadrun/scenario"
)

const importUsage = `Usage: loadrun import har FILE.har [-o scenario.yaml] [--host URL] [--include-host HOST]... [--keep-static] [--no-think]

Turns a browser recording (DevTools, Network tab, "Save all as HAR") into a
scenario: static assets, other hosts, cookies and browser headers are
dropped, ids in names grouped, and values the server handed out (tokens,
ids) extracted and sent back as ${variables}. A summary goes to stderr.
`

// importCmd converts a recording into a scenario file.
func importCmd(args []string, e env) int {
	if len(args) == 0 || args[0] != "har" {
		fmt.Fprint(e.stderr, importUsage)
		return exitUsage
	}
	fs := newFlagSet("import har", e.stderr)
	var opts har.Options
	out := fs.String("o", "", "write the scenario to FILE (default: standard output)")
	fs.StringVar(&opts.Host, "host", "", "the scenario's host (default: the recorded main host)")
	fs.Var(listValue{&opts.IncludeHosts}, "include-host", "also keep requests to HOST (repeatable)")
	fs.BoolVar(&opts.KeepStatic, "keep-static", false, "keep images, fonts, CSS, JS and media")
	fs.BoolVar(&opts.NoThink, "no-think", false, "no think steps from the recorded pauses")
	fs.Usage = func() {
		fmt.Fprint(e.stderr, importUsage)
		fs.PrintDefaults()
	}
	files, err := parseArgs(fs, args[1:])
	if err != nil {
		return exitUsage
	}
	if len(files) != 1 {
		fmt.Fprint(e.stderr, importUsage)
		return exitUsage
	}
	if opts.Host != "" && !strings.HasPrefix(opts.Host, "http://") && !strings.HasPrefix(opts.Host, "https://") {
		fmt.Fprintf(e.stderr, "loadrun import har: --host %q: want a URL such as http://127.0.0.1:8080\n", opts.Host)
		return exitUsage
	}
	f, err := os.Open(files[0])
	if err != nil {
		fmt.Fprintln(e.stderr, "loadrun import har:", err)
		return exitUsage
	}
	defer f.Close()
	log, err := har.Read(files[0], f, har.DefaultLimits)
	if err != nil {
		fmt.Fprintln(e.stderr, "loadrun import har:", err)
		return exitUsage
	}
	name := strings.TrimSuffix(filepath.Base(files[0]), filepath.Ext(files[0]))
	opts.Name, opts.Output = name, *out
	res, err := har.Convert(log, opts)
	if err != nil {
		fmt.Fprintln(e.stderr, "loadrun import har:", err)
		return exitUsage
	}
	// The scenario must load as it is; if it does not, that is a bug of
	// the import, said plainly rather than written out.
	target := *out
	if target == "" {
		target = name + ".yaml"
	}
	sc, err := scenario.Parse(target, res.YAML)
	if err == nil {
		_, err = engine.Compile(sc, engine.CompileOptions{})
	}
	if err != nil {
		fmt.Fprintf(e.stderr, "loadrun import har: the imported scenario does not load (a bug of the import; please report it with the HAR):\n")
		printScenarioError(e.stderr, err)
		return exitFailed
	}
	if err := res.Summary.Write(e.stderr); err != nil {
		return exitFailed
	}
	if *out == "" {
		if _, err := e.stdout.Write(res.YAML); err != nil {
			return exitFailed
		}
		return exitOK
	}
	if err := os.WriteFile(*out, res.YAML, 0o644); err != nil {
		fmt.Fprintln(e.stderr, "loadrun import har:", err)
		return exitFailed
	}
	fmt.Fprintf(e.stderr, "wrote %s (try it: loadrun debug %s)\n", *out, *out)
	return exitOK
}
