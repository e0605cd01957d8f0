package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/loadrun/loadrun/internal/suggest"
)

// durationValue accepts Go durations ("1m30s") and, as Locust does, a
// bare number of seconds.
type durationValue struct{ d *time.Duration }

func (v durationValue) String() string {
	if v.d == nil || *v.d == 0 {
		return ""
	}
	return v.d.String()
}

func (v durationValue) Set(s string) error {
	d, err := parseDuration(s)
	if err != nil {
		return err
	}
	*v.d = d
	return nil
}

func parseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if f, err := strconv.ParseFloat(s, 64); err == nil || errors.Is(err, strconv.ErrRange) {
		switch {
		case f != f:
			return 0, fmt.Errorf("bad duration %q: not a number (use 30s, 5m, 1h30m or a number of seconds)", s)
		case f < 0:
			return 0, fmt.Errorf("negative duration %q", s)
		case f*float64(time.Second) >= float64(math.MaxInt64):
			return 0, fmt.Errorf("duration %q is too long: at most %s", s, time.Duration(math.MaxInt64).Truncate(time.Hour))
		}
		return time.Duration(f * float64(time.Second)), nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("bad duration %q (use 30s, 5m, 1h30m or a number of seconds)", s)
	}
	if d < 0 {
		return 0, fmt.Errorf("negative duration %q", s)
	}
	return d, nil
}

// listValue collects a repeatable flag.
type listValue struct{ list *[]string }

func (v listValue) String() string {
	if v.list == nil {
		return ""
	}
	return strings.Join(*v.list, "; ")
}

func (v listValue) Set(s string) error {
	*v.list = append(*v.list, s)
	return nil
}

// usageLines are the first line of each command's help.
var usageLines = map[string]string{
	"run":        "Usage: loadrun run FILE [flags]",
	"validate":   "Usage: loadrun validate FILE...",
	"debug":      "Usage: loadrun debug FILE [flags]",
	"demo":       "Usage: loadrun demo [--addr ADDR]",
	"report":     "Usage: loadrun report SUMMARY.json [flags]",
	"import har": "Usage: loadrun import har FILE.har [flags]",
}

// newFlagSet makes a flag set that reports errors to w instead of exiting.
// Its help (-h) is the command's usage line and every flag.
func newFlagSet(name string, w io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(w)
	fs.Usage = func() {
		line := usageLines[name]
		if line == "" {
			line = "Usage: loadrun " + name + " [flags]"
		}
		fmt.Fprintln(fs.Output(), line)
		fs.PrintDefaults()
	}
	return fs
}

// locustAliases are the spellings Locust users have in their fingers and
// CI files, each bound to the flag it means (Locust's own older names for
// them: -c/--clients for --users, --hatch-rate for --spawn-rate).
var locustAliases = []struct{ alias, target string }{
	{"c", "users"},
	{"clients", "users"},
	{"hatch-rate", "spawn-rate"},
}

// scenarioCommands take scenario files, which -f may name as Locust's -f
// names its locustfile.
var scenarioCommands = map[string]bool{"run": true, "validate": true, "debug": true}

// addAliases registers Locust's spellings on a flag set that has the flags
// they stand for: -c/--clients, --hatch-rate, -f FILE, and for run the
// no-ops --headless and --no-web (run never has a web UI of its own).
func addAliases(fs *flag.FlagSet, files *[]string) {
	for _, a := range locustAliases {
		if t := fs.Lookup(a.target); t != nil && fs.Lookup(a.alias) == nil {
			fs.Var(t.Value, a.alias, "same as --"+a.target+" (Locust's older spelling)")
		}
	}
	if scenarioCommands[fs.Name()] && fs.Lookup("f") == nil {
		fs.Var(listValue{files}, "f", "scenario `FILE`, as Locust's -f (the same as giving FILE)")
	}
	if fs.Name() == "run" {
		var noop bool
		for _, n := range []string{"headless", "no-web"} {
			if fs.Lookup(n) == nil {
				fs.BoolVar(&noop, n, false, "accepted for Locust compatibility; run is always headless")
			}
		}
	}
}

// helpRequested tells whether args ask for help (-h, -help, --help) before
// a "--" that ends the flags.
func helpRequested(args []string) bool {
	for _, a := range args {
		switch a {
		case "--":
			return false
		case "-h", "-help", "--help":
			return true
		}
	}
	return false
}

// parseArgs parses flags placed before, between or after positional
// arguments (`loadrun run file.yaml -u 10` as well as `-u 10 file.yaml`),
// which the flag package alone does not. Files named with -f come first.
// A bad flag gets one line saying what is wrong and, for an unknown one,
// the closest known flag, instead of the whole flag list; -h prints the
// help and returns flag.ErrHelp.
func parseArgs(fs *flag.FlagSet, args []string) ([]string, error) {
	var fromF []string
	addAliases(fs, &fromF)
	if !helpRequested(args) {
		usage := fs.Usage
		fs.Usage = func() {}
		defer func() { fs.Usage = usage }()
	}
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if !errors.Is(err, flag.ErrHelp) {
				explainFlagError(fs, err)
			}
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return append(fromF, pos...), nil
		}
		if rest[0] == "--" {
			return append(append(fromF, pos...), rest[1:]...), nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// explainFlagError adds to the flag package's message (already printed)
// the closest known flag, and where the list of flags is.
func explainFlagError(fs *flag.FlagSet, err error) {
	w := fs.Output()
	const undefined = "flag provided but not defined: -"
	if name, ok := strings.CutPrefix(err.Error(), undefined); ok {
		name = strings.TrimLeft(name, "-")
		var names []string
		fs.VisitAll(func(f *flag.Flag) { names = append(names, f.Name) })
		if s := suggest.Closest(name, names); s != "" {
			fmt.Fprintf(w, "did you mean %s?\n", dashes(s))
		}
	}
	fmt.Fprintf(w, "(loadrun %s -h lists every flag)\n", fs.Name())
}

// dashes writes a flag as people type it: -u, --users.
func dashes(name string) string {
	if len(name) == 1 {
		return "-" + name
	}
	return "--" + name
}
