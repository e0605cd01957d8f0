package main

import (
	"flag"
	"io"
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestHelpIsSuccess: help asked for is output, not an error: every
// subcommand's -h, -help and --help exit 0 with the usage on stdout and
// nothing on stderr (before, `loadrun run --help` exited 2 to stderr).
func TestHelpIsSuccess(t *testing.T) {
	tests := []struct {
		args []string
		want string // the first line of stdout
	}{
		// run's flags, in the three spellings.
		{[]string{"run", "--help"}, "Usage: loadrun run FILE [flags]"},
		{[]string{"run", "-h"}, "Usage: loadrun run FILE [flags]"},
		{[]string{"run", "scenario.yaml", "-help"}, "Usage: loadrun run FILE [flags]"},
		// Every other subcommand.
		{[]string{"validate", "--help"}, "Usage: loadrun validate FILE..."},
		{[]string{"debug", "--help"}, "Usage: loadrun debug FILE [flags]"},
		{[]string{"demo", "--help"}, "Usage: loadrun demo [--addr ADDR]"},
		{[]string{"report", "--help"}, "Usage: loadrun report SUMMARY.json [flags]"},
		{[]string{"import", "har", "--help"}, "Usage: loadrun import har FILE.har [-o scenario.yaml] [--host URL] [--include-host HOST]... [--keep-static] [--no-think]"},
		// The top level.
		{[]string{"--help"}, "loadrun runs HTTP load tests described in YAML or JSON scenario files."},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			code, stdout, stderr := runCLI(t, tt.args...)
			if code != exitOK {
				t.Errorf("exit code %d, want 0", code)
			}
			if first, _, _ := strings.Cut(stdout, "\n"); first != tt.want {
				t.Errorf("stdout starts %q, want %q", first, tt.want)
			}
			if stderr != "" {
				t.Errorf("stderr %q, want nothing", stderr)
			}
		})
	}
}

// TestVersion: --version, -V and version print the version and exit 0.
func TestVersion(t *testing.T) {
	for _, arg := range []string{"--version", "-V", "version"} {
		code, stdout, _ := runCLI(t, arg)
		if code != exitOK || stdout != "loadrun "+version+"\n" {
			t.Errorf("%s: exit %d, stdout %q", arg, code, stdout)
		}
	}
}

// TestUnknownFlagSuggests: a misspelt flag or command names the closest
// known one in one short message (no flag list dumped), exit 2.
func TestUnknownFlagSuggests(t *testing.T) {
	tests := []struct {
		args []string
		want string // stderr exactly
	}{
		// A typo of a long flag.
		{[]string{"run", "s.yaml", "--usrs", "3"}, "flag provided but not defined: -usrs\ndid you mean --users?\n(loadrun run -h lists every flag)\n"},
		// A typo of Locust's spelling.
		{[]string{"run", "s.yaml", "--spawnrate", "3"}, "flag provided but not defined: -spawnrate\ndid you mean --spawn-rate?\n(loadrun run -h lists every flag)\n"},
		// Nothing near: only where the list is.
		{[]string{"validate", "--zzzzzz"}, "flag provided but not defined: -zzzzzz\n(loadrun validate -h lists every flag)\n"},
		// A bad value names the flag.
		{[]string{"run", "s.yaml", "-u", "many"}, "invalid value \"many\" for flag -u: parse error\n(loadrun run -h lists every flag)\n"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			code, _, stderr := runCLI(t, tt.args...)
			if code != exitUsage {
				t.Errorf("exit code %d, want 2", code)
			}
			if stderr != tt.want {
				t.Errorf("stderr\n%q\nwant\n%q", stderr, tt.want)
			}
		})
	}
	code, _, stderr := runCLI(t, "rn", "s.yaml")
	if code != exitUsage || !strings.HasPrefix(stderr, `loadrun: unknown command "rn"; did you mean "run"?`) {
		t.Errorf("unknown command: exit %d, stderr %q", code, stderr)
	}
}

// TestLocustHabits: a Locust command line from a CI file works as it is:
// --headless and --no-web are accepted (run is headless), -f names the
// file, -c/--clients are --users and --hatch-rate is --spawn-rate.
func TestLocustHabits(t *testing.T) {
	srv, served := counting(t)
	file := scenarioFor(t, srv.URL, "/json", "{constant: 0s}")
	tests := []struct {
		name string
		args []string
	}{
		// Locust 2's spellings with -f.
		{"locust 2", []string{"run", "-f", file, "--headless", "--users", "2", "--spawn-rate", "2", "-n", "4", "-q"}},
		// The older -c and --hatch-rate, --no-web.
		{"locust 0.x", []string{"run", "-f", file, "--no-web", "-c", "2", "--hatch-rate", "2", "-n", "4", "-q"}},
		// --clients.
		{"clients", []string{"run", file, "--clients", "2", "-r", "0", "-n", "4", "-q"}},
		// validate -f.
		{"validate -f", []string{"validate", "-f", file}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := served.Load()
			code, _, stderr := runCLI(t, tt.args...)
			if code != exitOK {
				t.Fatalf("exit code %d, want 0\n%s", code, stderr)
			}
			if tt.args[0] == "run" {
				if n := served.Load() - before; n != 4 {
					t.Errorf("server saw %d requests, want 4", n)
				}
				// -r 0 starts them all at once.
				if !strings.Contains(stderr, "Ramping to 2 users at a rate of") && !strings.Contains(stderr, "Starting 2 users all at once") {
					t.Errorf("the alias did not set the users:\n%s", stderr)
				}
			}
		})
	}
}

// TestRunFlagsDocumented: every flag of `loadrun run` (aliases included) is
// in its help and in README's flag table.
func TestRunFlagsDocumented(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, help, _ := runCLI(t, "run", "--help")
	var f runFlags
	fs := newFlagSet("run", io.Discard)
	f.register(fs)
	addAliases(fs, new([]string))
	row := regexp.MustCompile("(?m)^\\| [^|]*`([^`]+)`")
	table := map[string]bool{}
	for _, m := range row.FindAllStringSubmatch(string(readme), -1) {
		table[m[1]] = true
	}
	// A row may name several spellings: `-u`, `--users`, `-c`, `--clients`.
	rowNames := regexp.MustCompile("(?m)^\\| (`-[^|]*)\\|")
	for _, m := range rowNames.FindAllStringSubmatch(string(readme), -1) {
		for _, w := range regexp.MustCompile("`(-[^` ]+)").FindAllStringSubmatch(m[1], -1) {
			table[w[1]] = true
		}
	}
	fs.VisitAll(func(fl *flag.Flag) {
		name := dashes(fl.Name)
		if !table[name] {
			t.Errorf("%s is not in README's flag table", name)
		}
		if !regexp.MustCompile(`(?m)^  -` + regexp.QuoteMeta(fl.Name) + `[ \t\n]`).MatchString(help + "\n") {
			t.Errorf("-%s is not in run --help", fl.Name)
		}
	})
}
