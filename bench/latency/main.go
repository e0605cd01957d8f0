// Command latency measures how far loadrun's reported response times are
// from the truth, as the target itself measured it, and what a server stall
// looks like in loadrun's numbers:
//
//	go run ./bench/latency                 # 20 users, 8 s per case
//	go run ./bench/latency -d 4s -u 10
//
// It starts a target (stdlib net/http on 127.0.0.1, pinned to CPU 1 with
// taskset when there is one and two CPUs) whose /work handler takes exactly
// the service time and records its own times in an HDR histogram; builds
// loadrun and runs it pinned to CPU 0; and prints markdown tables. See
// README.md. It is a benchmark: CI does not run it.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/loadrun/loadrun/bench/internal/proc"
)

// config is the benchmark's flags.
type config struct {
	users   int
	rate    float64
	run     time.Duration
	service time.Duration
	spin    time.Duration
	stall   time.Duration
	pacing  time.Duration
	open    float64
	keep    string
}

func main() {
	var c config
	serve := flag.String("serve", "", "internal: serve the target on this address and print its URL")
	flag.IntVar(&c.users, "u", 20, "users")
	flag.Float64Var(&c.rate, "r", 0, "users started per second (0: all at once)")
	flag.DurationVar(&c.run, "d", 8*time.Second, "run time of each case")
	flag.DurationVar(&c.service, "service", 20*time.Millisecond, "the target's exact service time")
	flag.DurationVar(&c.spin, "spin", 0, "how much of the service time the target spins rather than sleeps, e.g. 1ms (default 0: sleep only; see README)")
	flag.DurationVar(&c.stall, "stall", 500*time.Millisecond, "the stall of the stall case")
	flag.DurationVar(&c.pacing, "pacing", 50*time.Millisecond, "the pacing of the stall case (steady demand: users×1/pacing per second)")
	flag.Float64Var(&c.open, "open", 200, "the open-model case's arrival rate per second (0: skip the case)")
	flag.StringVar(&c.keep, "keep", "", "keep scenarios and JSON summaries in this directory")
	flag.Parse()
	if *serve != "" {
		if err := serveTarget(*serve, c.service, c.spin, os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, "latency target:", err)
			os.Exit(1)
		}
		return
	}
	if err := bench(c); err != nil {
		fmt.Fprintln(os.Stderr, "latency:", err)
		os.Exit(1)
	}
}

// serveTarget serves the target until the process is ended, after printing
// its URL on the first line of out.
func serveTarget(addr string, service, spin time.Duration, out io.Writer) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	if _, err := fmt.Fprintf(out, "http://%s\n", ln.Addr()); err != nil {
		return err
	}
	return http.Serve(ln, newTarget(service, spin).handler())
}

// pinned reports whether CPU pinning is possible: taskset present and two
// CPUs to put the tool and the target on.
func pinned() bool {
	return proc.CanPin() && runtime.NumCPU() >= 2
}

func bench(c config) error {
	if c.users <= 0 || c.run <= 0 || c.service <= 0 || c.pacing <= 0 {
		return errors.New("-u, -d, -service and -pacing must be positive")
	}
	if c.stall <= 0 || c.stall > maxStall || c.stall >= c.run {
		return fmt.Errorf("-stall must be positive, at most %s and shorter than -d", maxStall)
	}
	dir := c.keep
	if dir == "" {
		tmp, err := os.MkdirTemp("", "loadrun-latency-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		dir = tmp
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	// The whole benchmark is bounded: three runs, the build and some slack.
	ctx, cancel := context.WithTimeout(context.Background(), 3*c.run+5*time.Minute)
	defer cancel()

	loadrun, err := buildLoadrun(ctx, dir)
	if err != nil {
		return err
	}
	base, stop, err := startTarget(ctx, c.service, c.spin)
	if err != nil {
		return err
	}
	defer stop()

	pin := "loadrun on CPU 0, target on CPU 1 (taskset)"
	if !pinned() {
		pin = "no CPU pinning (taskset missing or one CPU): loadrun and the target share the CPUs"
	}
	fmt.Printf("# loadrun latency benchmark\n\n%d CPUs, %s, %s; %d users, %s per case, service time %s.\n\n",
		runtime.NumCPU(), runtime.Version(), pin, c.users, c.run, c.service)

	fmt.Printf("## Overhead: a target that takes exactly %s (template, extractor, check)\n\n", c.service)
	users := []string{"-u", fmt.Sprint(c.users), "-r", fmt.Sprint(c.rate)}
	s, t, err := runCase(ctx, c, loadrun, base, dir, "overhead", overheadScenario, users, nil)
	if err != nil {
		return err
	}
	if err := overheadTable(os.Stdout, s, t); err != nil {
		return err
	}
	fmt.Printf("\nloadrun's CPU: %.0f %%%s.\n\n", s.Snapshot.CPUPercent, saturated(s))

	fmt.Printf("## Stall: one %s stall at %s under steady demand (pacing %s, %d users)\n\n", c.stall, c.run/2, c.pacing, c.users)
	fire := func() error {
		return post(ctx, fmt.Sprintf("%s/admin/stall?ms=%d", base, c.stall.Milliseconds()))
	}
	s, t, err = runCase(ctx, c, loadrun, base, dir, "stall", fmt.Sprintf(pacedScenario, c.pacing), users, fire)
	if err != nil {
		return err
	}
	if err := stallTable(os.Stdout, stallCase{Run: c.run, Stall: c.stall, Service: c.service, Summary: s, Truth: t}); err != nil {
		return err
	}
	fmt.Printf("\nloadrun's CPU: %.0f %%%s.\n", s.Snapshot.CPUPercent, saturated(s))
	if c.open <= 0 {
		return nil
	}

	// Enough users that none is missing when every request of the stall
	// is held at once: the rate × (stall + a second).
	maxUsers := int(c.open*(c.stall.Seconds()+1)) + c.users
	fmt.Printf("\n## Open model: one %s stall at %s under %g arrivals per second (max %d users)\n\n", c.stall, c.run/2, c.open, maxUsers)
	open := []string{"--arrival-rate", fmt.Sprintf("%g/s", c.open), "--max-users", fmt.Sprint(maxUsers)}
	s, t, err = runCase(ctx, c, loadrun, base, dir, "open", openScenario, open, fire)
	if err != nil {
		return err
	}
	if err := openTable(os.Stdout, openCase{Rate: c.open, Stall: c.stall, Summary: s, Truth: t}); err != nil {
		return err
	}
	fmt.Printf("\nloadrun's CPU: %.0f %%%s.\n", s.Snapshot.CPUPercent, saturated(s))
	return nil
}

// openScenario is one request per iteration: in the open model each
// arrival sends one /work request, whatever the earlier ones are doing.
const openScenario = `name: latency open model
users:
  - name: U
    tasks:
      - name: work
        steps:
          - request: {url: "/work?u=${user_id}", name: /work}
`

func saturated(s *summary) string {
	if s.Snapshot.Saturated {
		return " (saturated: the figures include loadrun's own queueing)"
	}
	return ""
}

// overheadScenario does per request what a real scenario does: renders a
// template, extracts a value the next request sends, runs two checks.
const overheadScenario = `name: latency overhead
vars: {token: start}
users:
  - name: U
    wait: {constant: 0s}
    tasks:
      - name: work
        steps:
          - request:
              url: /work?u=${user_id}&t=${token}
              name: /work
              extract: [{var: token, jsonpath: $.token}]
              check: [{status: 200}, {contains: '"user"'}]
`

// pacedScenario is steady demand: every user starts an iteration every
// pacing (%s), so the rate does not depend on the response time.
const pacedScenario = `name: latency stall
users:
  - name: U
    wait: {pacing: %s}
    tasks:
      - name: work
        steps:
          - request: {url: "/work?u=${user_id}", name: /work}
`

// buildLoadrun builds ./cmd/loadrun of the module this benchmark is in.
func buildLoadrun(ctx context.Context, dir string) (string, error) {
	out, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", errors.New("run this from inside the loadrun module (go run ./bench/latency)")
	}
	bin := filepath.Join(dir, "loadrun")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/loadrun")
	cmd.Dir = filepath.Dir(gomod)
	if msg, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("building loadrun: %w\n%s", err, msg)
	}
	return bin, nil
}

// startTarget runs this program again as the target, pinned to CPU 1 when
// it can be, and returns its URL and how to stop it. Without pinning the
// target is served in-process.
func startTarget(ctx context.Context, service, spin time.Duration) (string, func(), error) {
	if !pinned() {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return "", nil, err
		}
		srv := &http.Server{Handler: newTarget(service, spin).handler()}
		go srv.Serve(ln)
		return "http://" + ln.Addr().String(), func() { srv.Close() }, nil
	}
	self, err := os.Executable()
	if err != nil {
		return "", nil, err
	}
	return proc.StartServer(ctx, proc.Pin(1, []string{self, "-serve", "127.0.0.1:0", "-service", service.String(), "-spin", spin.String()}))
}

// runCase resets the target, runs loadrun on scenario with the load flags
// for c.run (calling mid at half time when set), and returns loadrun's
// summary and the target's truth.
func runCase(ctx context.Context, c config, loadrun, base, dir, name, scenario string, load []string, mid func() error) (*summary, Truth, error) {
	if err := post(ctx, base+"/reset"); err != nil {
		return nil, Truth{}, err
	}
	file := filepath.Join(dir, name+".yaml")
	if err := os.WriteFile(file, []byte(scenario), 0o644); err != nil {
		return nil, Truth{}, err
	}
	jsonPath := filepath.Join(dir, name+".json")
	argv := append([]string{loadrun, "run", file, "-H", base}, load...)
	argv = append(argv, "-t", c.run.String(), "-q", "--json", jsonPath)
	if pinned() {
		argv = proc.Pin(0, argv)
	}
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	var stderr strings.Builder
	cmd.Stdout, cmd.Stderr = io.Discard, &stderr
	if err := cmd.Start(); err != nil {
		return nil, Truth{}, fmt.Errorf("starting loadrun: %w", err)
	}
	if mid != nil {
		time.Sleep(c.run / 2)
		if err := mid(); err != nil {
			cmd.Process.Kill()
			cmd.Wait()
			return nil, Truth{}, err
		}
	}
	// Exit code 1 only says some request failed; the summary shows it.
	var exit *exec.ExitError
	if err := cmd.Wait(); err != nil && !(errors.As(err, &exit) && exit.ExitCode() == 1) {
		return nil, Truth{}, fmt.Errorf("loadrun %s: %w\n%s", name, err, stderr.String())
	}
	f, err := os.Open(jsonPath)
	if err != nil {
		return nil, Truth{}, err
	}
	defer f.Close()
	s, err := readSummary(f)
	if err != nil {
		return nil, Truth{}, err
	}
	t, err := getTruth(ctx, base)
	return s, t, err
}

func post(ctx context.Context, url string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 1024))
		return fmt.Errorf("POST %s: %s %s", url, resp.Status, msg)
	}
	return nil
}

func getTruth(ctx context.Context, base string) (Truth, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/truth", nil)
	if err != nil {
		return Truth{}, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return Truth{}, err
	}
	defer resp.Body.Close()
	return readTruth(resp.Body)
}
