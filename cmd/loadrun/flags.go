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

// newFlagSet makes a flag set that reports errors to w instead of exiting.
func newFlagSet(name string, w io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(w)
	return fs
}

// parseArgs parses flags placed before, between or after positional
// arguments (`loadrun run file.yaml -u 10` as well as `-u 10 file.yaml`),
// which the flag package alone does not.
func parseArgs(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		if rest[0] == "--" {
			return append(pos, rest[1:]...), nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}
