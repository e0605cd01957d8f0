// Command loadrun runs declarative HTTP load tests:
//
//	loadrun run scenario.yaml -u 100 -r 10 -t 5m
//
// Every subcommand is a function of its arguments and an env (standard
// streams and signals), so tests run the CLI in-process.
package main

import (
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/loadrun/loadrun/internal/suggest"
)

// Exit codes: a pipeline reads them.
const (
	exitOK       = 0 // every threshold held (no thresholds: no request failed)
	exitFailed   = 1 // a threshold, checkpoint or request failed
	exitUsage    = 2 // bad scenario, bad flags
	exitNoTarget = 3 // the run could not start: the target never answered
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

// env is what a command may touch of the process.
type env struct {
	stdout, stderr io.Writer
	// signals delivers interrupts (Ctrl-C); nil in tests that need none.
	signals <-chan os.Signal
}

func main() {
	sig := make(chan os.Signal, 2)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	os.Exit(run(os.Args[1:], env{stdout: os.Stdout, stderr: os.Stderr, signals: sig}))
}

const usage = `loadrun runs HTTP load tests described in YAML or JSON scenario files.

Usage:
  loadrun run FILE [flags]       run a load test (loadrun run -h for flags)
  loadrun master FILE --expect-workers N [flags]
                                 run a load test over workers (every flag of run; loadrun master -h)
  loadrun worker --master HOST:PORT [--name NAME] [--token SECRET]
                                 join a master and run its share of the users (or --nats nats://HOST:PORT)
  loadrun validate FILE...       check scenario files without running them
  loadrun debug FILE [flags]     run one user through on_start, each task once and on_stop, showing every request
  loadrun import har FILE.har    turn a browser recording into a correlated scenario (-o FILE)
  loadrun demo [--addr ADDR]     serve the built-in demo target (default 127.0.0.1:8080)
  loadrun report SUMMARY.json    render reports again from a JSON summary
  loadrun version                print the version
`

// commands are the subcommands, for suggestions.
var commands = []string{"run", "validate", "debug", "import", "demo", "report", "version", "help"}

func run(args []string, e env) int {
	if len(args) == 0 {
		fmt.Fprint(e.stderr, usage)
		return exitUsage
	}
	if len(args) > 1 && helpRequested(args[1:]) {
		// Help is what was asked for: it goes to stdout, and the run is
		// a success (`loadrun run --help | less`, CI checks).
		e.stderr = e.stdout
		dispatch(args, e)
		return exitOK
	}
	return dispatch(args, e)
}

func dispatch(args []string, e env) int {
	switch args[0] {
	case "run":
		return runCmd(args[1:], e)
	case "master":
		return masterCmd(args[1:], e)
	case "worker":
		return workerCmd(args[1:], e)
	case "validate":
		return validateCmd(args[1:], e)
	case "debug":
		return debugCmd(args[1:], e)
	case "import":
		return importCmd(args[1:], e)
	case "demo":
		return demoCmd(args[1:], e)
	case "report":
		return reportCmd(args[1:], e)
	case "version", "--version", "-V":
		fmt.Fprintln(e.stdout, "loadrun", version)
		return exitOK
	case "help", "-h", "--help":
		fmt.Fprint(e.stdout, usage)
		return exitOK
	}
	hint := ""
	if s := suggest.Closest(args[0], commands); s != "" {
		hint = fmt.Sprintf("; did you mean %q?", s)
	}
	fmt.Fprintf(e.stderr, "loadrun: unknown command %q%s\n\n%s", args[0], hint, usage)
	return exitUsage
}
