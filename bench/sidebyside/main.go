// Command sidebyside benchmarks loadrun against other load generators on
// the same workloads, on this machine, and prints markdown tables:
//
//	go run ./bench/sidebyside            # about 10 minutes with the defaults
//	go run ./bench/sidebyside -d 5 -runs 1 -tools loadrun,wrk
//
// The generator is pinned to CPU 0 and bench/target to CPU 1 with taskset;
// the generator's CPU time and peak RSS come from GNU time -v. Every
// request goes to 127.0.0.1. See bench/README.md for what is measured and
// how to read it.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/loadrun/loadrun/bench/internal/proc"
)

func main() {
	var o options
	flag.IntVar(&o.seconds, "d", 10, "seconds per run")
	flag.IntVar(&o.runs, "runs", 3, "runs per tool and workload; the median run is shown")
	flag.IntVar(&o.users, "u", 50, "concurrent users/connections for the throughput workloads")
	flag.StringVar(&o.tools, "tools", "loadrun,wrk,hey,vegeta,locust-fast,locust", "tools of the plain workload, in table order")
	flag.StringVar(&o.memUsers, "mem", "200,2000,10000", "user counts of the memory-per-user workload (\"\" skips it)")
	flag.BoolVar(&o.skipFlow, "no-flow", false, "skip the scenario workload")
	flag.StringVar(&o.keep, "keep", "", "keep every run's raw output in this directory (default: a temporary one, removed)")
	flag.Parse()
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "sidebyside:", err)
		os.Exit(1)
	}
}

type options struct {
	seconds, runs, users int
	tools, memUsers      string
	skipFlow             bool
	keep                 string
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "[%s] %s\n", time.Now().Format("15:04:05"), fmt.Sprintf(format, args...))
}

func run(o options) error {
	if o.seconds < 1 || o.runs < 1 || o.users < 1 {
		return fmt.Errorf("-d, -runs and -u must be at least 1")
	}
	raiseFileLimit()
	root, err := moduleRoot()
	if err != nil {
		return err
	}
	dir := o.keep
	if dir == "" {
		if dir, err = os.MkdirTemp("", "sidebyside-"); err != nil {
			return err
		}
		defer os.RemoveAll(dir)
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	timeBin, why := findTime()
	if timeBin == "" {
		return fmt.Errorf("GNU time: %s", why)
	}
	h := &harness{dir: dir, timeBin: timeBin, pin: havePath("taskset")}
	if !h.pin {
		logf("taskset not found: running without CPU pinning")
	}
	logf("building loadrun and bench/target")
	loadrun, target := filepath.Join(dir, "loadrun"), filepath.Join(dir, "target")
	for _, b := range [][2]string{{loadrun, "./cmd/loadrun"}, {target, "./bench/target"}} {
		cmd := exec.Command("go", "build", "-o", b[0], b[1])
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("go build %s: %v\n%s", b[1], err, out)
		}
	}
	url, stop, err := h.startTarget(target)
	if err != nil {
		return err
	}
	defer stop()
	logf("target at %s", url)

	w := workload{users: o.users, rate: "0", seconds: o.seconds, target: url,
		scenario: filepath.Join(root, "bench/scenarios/plain.yaml"),
		locust:   filepath.Join(root, "bench/locust/plain.py")}
	tools, notes := pickTools(o.tools, loadrun)
	fmt.Printf("## Plain GET: %d users, no think time, %d s, median of %d runs\n\n", o.users, o.seconds, o.runs)
	fmt.Print(throughputTable(h.measureAll("plain", tools, w, o.runs)))
	printNotes(notes)

	if !o.skipFlow {
		fw := w
		fw.scenario = filepath.Join(root, "bench/scenarios/flow.yaml")
		fw.locust = filepath.Join(root, "bench/locust/flow.py")
		flowTools := []tool{loadrunTool(loadrun)}
		if p, _ := findOrInstall("locust"); p != "" {
			flowTools = append(flowTools, locustTool(p, "locust-fast", "Shopper"))
		}
		fmt.Printf("\n## Scenario (login, templated request, 2 extractors, 2 checks): %d users, %d s, median of %d runs\n\n", o.users, o.seconds, o.runs)
		fmt.Print(throughputTable(h.measureAll("flow", flowTools, fw, o.runs)))
	}

	if counts := parseCounts(o.memUsers); len(counts) > 0 {
		mw := w
		mw.scenario = filepath.Join(root, "bench/scenarios/think.yaml")
		fmt.Printf("\n## Memory per user: GET then 1 s think time, %d s per run\n\n", o.seconds)
		fmt.Print(memoryTable(h.measureMemory(loadrunTool(loadrun), mw, counts), o.seconds))
	}
	return nil
}

// pickTools resolves the -tools list into runnable tools, installing the
// peers that are missing; tools that cannot be had become notes.
func pickTools(list, loadrun string) ([]tool, []string) {
	var tools []tool
	var notes []string
	for _, name := range strings.Split(list, ",") {
		name = strings.TrimSpace(name)
		bin := name
		if strings.HasPrefix(name, "locust") {
			bin = "locust"
		}
		if name == "loadrun" {
			tools = append(tools, loadrunTool(loadrun))
			continue
		}
		p, why := findOrInstall(bin)
		if p == "" {
			notes = append(notes, fmt.Sprintf("%s skipped: %s", name, why))
			continue
		}
		switch name {
		case "wrk":
			tools = append(tools, wrkTool(p))
		case "hey":
			tools = append(tools, heyTool(p))
		case "vegeta":
			tools = append(tools, vegetaTool(p))
		case "locust-fast":
			tools = append(tools, locustTool(p, name, "FastGetter"))
		case "locust":
			tools = append(tools, locustTool(p, name, "Getter"))
		default:
			notes = append(notes, fmt.Sprintf("%s skipped: unknown tool", name))
		}
	}
	return tools, notes
}

func printNotes(notes []string) {
	for _, n := range notes {
		fmt.Printf("\n- %s\n", n)
	}
}

func parseCounts(s string) []int {
	var out []int
	for _, f := range strings.Split(s, ",") {
		if n, err := strconv.Atoi(strings.TrimSpace(f)); err == nil && n > 0 {
			out = append(out, n)
		}
	}
	return out
}

// harness runs generators under time -v, pinned.
type harness struct {
	dir     string
	timeBin string
	pin     bool
}

// startTarget starts bench/target pinned to CPU 1 and returns its URL.
func (h *harness) startTarget(bin string) (string, func(), error) {
	argv := []string{bin, "-addr", "127.0.0.1:0"}
	if h.pin {
		argv = proc.Pin(1, argv)
	}
	return proc.StartServer(context.Background(), argv)
}

// result is one run of one tool.
type result struct {
	tool  string
	users int
	report
	usage
	err error
}

// perCPUSecond is the headline figure: requests per generator CPU-second.
func (r result) perCPUSecond() float64 {
	if r.cpu <= 0 {
		return 0
	}
	return float64(r.requests) / r.cpu.Seconds()
}

// measureAll runs each tool runs times and keeps each tool's median run.
func (h *harness) measureAll(name string, tools []tool, w workload, runs int) []result {
	var out []result
	for _, t := range tools {
		var rs []result
		for i := 1; i <= runs; i++ {
			logf("%s: %s, run %d of %d", name, t.name, i, runs)
			r := h.measure(t, w, filepath.Join(h.dir, name, t.name, strconv.Itoa(i)))
			if r.err != nil {
				logf("%s: %s: %v", name, t.name, r.err)
			}
			rs = append(rs, r)
			time.Sleep(time.Second) // let TIME_WAIT sockets and the target settle
		}
		out = append(out, median(rs))
	}
	return out
}

// measure runs t once on w, keeping its raw output in dir.
func (h *harness) measure(t tool, w workload, dir string) result {
	res := result{tool: t.name, users: w.users}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		res.err = err
		return res
	}
	argv, stdin := t.command(w, dir)
	timeFile := filepath.Join(dir, "time.txt")
	full := []string{h.timeBin, "-v", "-o", timeFile}
	if h.pin {
		full = append(full, "taskset", "-c", "0")
	}
	full = append(full, argv...)
	ctx, cancel := context.WithTimeout(context.Background(), time.Duration(w.seconds+60)*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, full[0], full[1:]...)
	// Kill the whole group on timeout: time's child is the tool.
	proc.KillGroupOnCancel(cmd)
	cmd.Stdin = strings.NewReader(stdin)
	stdout, _ := os.Create(filepath.Join(dir, "stdout.txt"))
	stderr, _ := os.Create(filepath.Join(dir, "stderr.txt"))
	defer stdout.Close()
	defer stderr.Close()
	cmd.Stdout, cmd.Stderr = stdout, stderr
	os.WriteFile(filepath.Join(dir, "command.txt"), []byte(strings.Join(full, " ")+"\n"), 0o644)
	runErr := cmd.Run()
	tv, err := os.ReadFile(timeFile)
	if err == nil {
		res.usage, err = parseTimeV(tv)
	}
	if err != nil {
		res.err = fmt.Errorf("%v (run: %v)", err, runErr)
		return res
	}
	text, err := os.ReadFile(filepath.Join(dir, "stdout.txt"))
	if err == nil && t.collect != nil {
		text, err = t.collect(dir)
		if err == nil {
			err = os.WriteFile(filepath.Join(dir, "collected.txt"), text, 0o644)
		}
	}
	if err == nil {
		res.report, err = t.parse(text)
	}
	if err != nil {
		res.err = fmt.Errorf("%v (run: %v; raw output in %s)", err, runErr, dir)
	}
	return res
}

// measureMemory runs the think-time workload at each user count.
func (h *harness) measureMemory(t tool, w workload, counts []int) []result {
	var out []result
	for _, n := range counts {
		// Spawned over one second, so that the users' 1 s cycles are
		// spread out instead of hitting the target in one burst a second.
		w.users, w.rate = n, strconv.Itoa(n)
		logf("memory: %s, %d users", t.name, n)
		r := h.measure(t, w, filepath.Join(h.dir, "memory", strconv.Itoa(n)))
		if r.err != nil {
			logf("memory: %d users: %v", n, r.err)
		}
		out = append(out, r)
		time.Sleep(2 * time.Second)
	}
	return out
}

// raiseFileLimit lifts the open-files limit (see proc.RaiseFileLimit).
func raiseFileLimit() {
	if err := proc.RaiseFileLimit(); err != nil {
		logf("cannot raise the open files limit: %v", err)
	}
}

func moduleRoot() (string, error) {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}").Output()
	if err != nil {
		return "", fmt.Errorf("run me from inside the loadrun module: go list -m: %w", err)
	}
	return strings.TrimSpace(string(out)), nil
}

// findTime finds GNU time (not the shell keyword), installing the Debian
// package when missing.
func findTime() (string, string) {
	if _, err := os.Stat("/usr/bin/time"); err == nil {
		return "/usr/bin/time", ""
	}
	if os.Geteuid() != 0 {
		return "", "/usr/bin/time is missing; install it with: sudo apt-get install time"
	}
	logf("installing GNU time: apt-get install -y time")
	if out, err := exec.Command("apt-get", "install", "-y", "time").CombinedOutput(); err != nil {
		return "", fmt.Sprintf("apt-get install time: %v: %s", err, lastLine(out))
	}
	return "/usr/bin/time", ""
}

func havePath(name string) bool {
	_, err := exec.LookPath(name)
	return err == nil
}
