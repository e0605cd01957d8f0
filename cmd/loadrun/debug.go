package main

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/loadrun/loadrun/engine"
	"github.com/loadrun/loadrun/internal/termsafe"
	"github.com/loadrun/loadrun/reports"
	"github.com/valyala/fasthttp"
)

// debugCmd runs one user through a scenario, showing every request, its
// response, each extracted value, each check and every log line.
func debugCmd(args []string, e env) int {
	fs := newFlagSet("debug", e.stderr)
	host := fs.String("H", "", "host to use instead of the scenario's")
	fs.StringVar(host, "host", "", "host to use instead of the scenario's")
	useDemo := fs.Bool("demo", false, "start the built-in demo target and point the scenario at it")
	insecure := fs.Bool("insecure", false, "skip TLS certificate verification")
	var hf httpFlags
	hf.register(fs)
	files, err := parseArgs(fs, args)
	if err != nil {
		return exitUsage
	}
	if len(files) != 1 {
		fmt.Fprintln(e.stderr, "Usage: loadrun debug FILE [-H HOST] [--demo]")
		return exitUsage
	}
	if *useDemo {
		addr, stop, err := startDemo()
		if err != nil {
			fmt.Fprintln(e.stderr, "loadrun debug:", err)
			return exitFailed
		}
		defer stop()
		*host = addr
	}
	plan, ok := loadPlan(files[0], engine.CompileOptions{Host: *host}, e)
	if !ok {
		return exitUsage
	}
	p := &debugPrinter{w: e.stdout}
	opts := engine.Options{Tracer: p, Insecure: *insecure, StopTimeout: time.Second}
	if err := hf.apply(&opts); err != nil {
		fmt.Fprintln(e.stderr, "loadrun debug:", err)
		return exitUsage
	}
	snap := engine.Debug(plan, opts)
	fmt.Fprintln(e.stdout)
	reports.WriteErrors(e.stdout, snap)
	reports.WriteChecks(e.stdout, snap)
	if snap.Total != nil && snap.Total.Failures > 0 {
		fmt.Fprintf(e.stdout, "%d of %d requests failed\n", snap.Total.Failures, snap.Total.Requests)
		return exitFailed
	}
	fmt.Fprintf(e.stdout, "all %d requests succeeded\n", snap.Total.Requests)
	return exitOK
}

// debugPrinter writes traces for a person reading a terminal.
type debugPrinter struct {
	mu sync.Mutex
	w  io.Writer
}

// Request prints one exchange. Everything that came from the target or was
// rendered from it (URL, headers, bodies, values, messages) goes through
// termsafe: a body holding an escape sequence must not drive the terminal.
func (p *debugPrinter) Request(user int, t *engine.RequestTrace) {
	p.mu.Lock()
	defer p.mu.Unlock()
	w := p.w
	fmt.Fprintf(w, "\n→ %s %s   (%s)\n", line(t.Method), line(t.URL), line(t.Step))
	for _, h := range t.Header {
		fmt.Fprintf(w, "  %s: %s\n", line(h[0]), line(h[1]))
	}
	if t.Body != "" {
		fmt.Fprintf(w, "%s\n", indent(termsafe.Text(t.Body)))
	}
	if t.Status != 0 {
		fmt.Fprintf(w, "← %d %s   %s   %d bytes\n", t.Status, fasthttp.StatusMessage(t.Status), fmtDur(t.Elapsed), t.Size)
		for _, h := range t.RespHdr {
			fmt.Fprintf(w, "  %s: %s\n", line(h[0]), line(h[1]))
		}
		if t.RespBody != "" {
			fmt.Fprintf(w, "%s\n", indent(termsafe.Text(t.RespBody)))
		}
	}
	for _, x := range t.Extracted {
		if x.Error != "" {
			fmt.Fprintf(w, "  ✗ extract %s: %s\n", x.Var, line(x.Error))
		} else {
			fmt.Fprintf(w, "  = %s = %q\n", x.Var, fmt.Sprint(x.Value))
		}
	}
	for _, c := range t.Checks {
		if c.OK {
			fmt.Fprintf(w, "  ✓ %s\n", line(c.Name))
		} else {
			fmt.Fprintf(w, "  ✗ %s\n", line(c.Msg))
		}
	}
	if t.Error != "" {
		fmt.Fprintf(w, "  FAILED: %s\n", line(t.Error))
	}
}

// line escapes target text printed on one line.
func line(s string) string { return termsafe.Line(s) }

func (p *debugPrinter) Set(user int, name string, value any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintf(p.w, "  = %s = %s\n", name, line(fmt.Sprint(value)))
}

func (p *debugPrinter) Log(user int, msg string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintf(p.w, "# %s\n", line(msg))
}

func indent(s string) string {
	return "    " + strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n    ")
}

func fmtDur(d time.Duration) string {
	return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond))
}
