package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
)

// workload is one benchmark configuration, the same for every tool.
type workload struct {
	users    int
	rate     string // loadrun's spawn rate, users per second; "0": all at once
	seconds  int
	target   string // base URL of bench/target
	scenario string // loadrun scenario file
	locust   string // locust file and user class, "" when Locust has no equivalent
}

// tool is one load generator: how to run it on a workload and how to read
// what it says. run's command is timed; collect, when set, turns files the
// run left in dir into the text parse reads (untimed).
type tool struct {
	name    string
	command func(w workload, dir string) (argv []string, stdin string)
	collect func(dir string) ([]byte, error)
	parse   func([]byte) (report, error)
}

func loadrunTool(bin string) tool {
	return tool{
		name: "loadrun",
		command: func(w workload, dir string) ([]string, string) {
			return []string{bin, "run", w.scenario, "-u", strconv.Itoa(w.users), "-r", w.rate,
				"-t", strconv.Itoa(w.seconds) + "s", "-q", "-H", w.target,
				"--json", filepath.Join(dir, "loadrun.json")}, ""
		},
		collect: func(dir string) ([]byte, error) { return os.ReadFile(filepath.Join(dir, "loadrun.json")) },
		parse:   parseLoadrun,
	}
}

func wrkTool(bin string) tool {
	return tool{
		name: "wrk",
		command: func(w workload, _ string) ([]string, string) {
			// One thread: the generator has one core.
			return []string{bin, "-t1", "-c" + strconv.Itoa(w.users), "-d" + strconv.Itoa(w.seconds) + "s",
				"--latency", w.target + "/"}, ""
		},
		parse: parseWrk,
	}
}

func heyTool(bin string) tool {
	return tool{
		name: "hey",
		command: func(w workload, _ string) ([]string, string) {
			return []string{bin, "-z", strconv.Itoa(w.seconds) + "s", "-c", strconv.Itoa(w.users),
				"-disable-compression", w.target + "/"}, ""
		},
		parse: parseHey,
	}
}

func vegetaTool(bin string) tool {
	return tool{
		name: "vegeta",
		command: func(w workload, dir string) ([]string, string) {
			// -rate=0 sends as fast as the workers can, a closed model
			// like the others; the workers are the users.
			n := strconv.Itoa(w.users)
			return []string{bin, "attack", "-rate=0", "-workers=" + n, "-max-workers=" + n,
				"-duration=" + strconv.Itoa(w.seconds) + "s", "-keepalive=true",
				"-output=" + filepath.Join(dir, "vegeta.bin")}, "GET " + w.target + "/\n"
		},
		collect: func(dir string) ([]byte, error) {
			out, err := exec.Command(bin, "report", "-type=json", filepath.Join(dir, "vegeta.bin")).Output()
			if err != nil {
				return nil, fmt.Errorf("vegeta report: %w", err)
			}
			return out, nil
		},
		parse: parseVegeta,
	}
}

// locustTool runs one Locust user class; label names it in the table.
func locustTool(bin, label, class string) tool {
	return tool{
		name: label,
		command: func(w workload, dir string) ([]string, string) {
			n := strconv.Itoa(w.users)
			return []string{bin, "-f", w.locust, class, "--headless", "-u", n, "-r", n,
				"-t", strconv.Itoa(w.seconds) + "s", "-H", w.target, "--only-summary",
				"--csv", filepath.Join(dir, "locust"), "--loglevel", "WARNING"}, ""
		},
		collect: func(dir string) ([]byte, error) { return os.ReadFile(filepath.Join(dir, "locust_stats.csv")) },
		parse:   parseLocust,
	}
}

// findOrInstall returns the path of a peer's binary, installing it when
// missing: Go tools with `go install`, the others from Debian packages
// (only when running as root and apt has a candidate). It returns "" with
// the reason when the tool cannot be had.
func findOrInstall(name string) (string, string) {
	if p := lookPath(name); p != "" {
		return p, ""
	}
	switch name {
	case "hey", "vegeta":
		mod := map[string]string{"hey": "github.com/rakyll/hey@latest", "vegeta": "github.com/tsenart/vegeta/v12@latest"}[name]
		logf("installing %s: go install %s", name, mod)
		cmd := exec.Command("go", "install", mod)
		cmd.Env = append(os.Environ(), "GOFLAGS=")
		cmd.Dir = os.TempDir() // outside our module, so go.mod is not touched
		if out, err := cmd.CombinedOutput(); err != nil {
			return "", fmt.Sprintf("go install %s failed: %v: %s", mod, err, strings.TrimSpace(string(out)))
		}
	case "wrk", "locust":
		pkg := map[string]string{"wrk": "wrk", "locust": "python3-locust"}[name]
		out, err := exec.Command("apt-cache", "policy", pkg).Output()
		if err != nil || !strings.Contains(string(out), "Candidate:") || strings.Contains(string(out), "Candidate: (none)") {
			return "", "no Debian package " + pkg + " available"
		}
		if os.Geteuid() != 0 {
			return "", "missing; install it with: sudo apt-get install " + pkg
		}
		logf("installing %s: apt-get install -y %s", name, pkg)
		if out, err := exec.Command("apt-get", "install", "-y", pkg).CombinedOutput(); err != nil {
			return "", fmt.Sprintf("apt-get install %s failed: %v: %s", pkg, err, lastLine(out))
		}
	}
	if p := lookPath(name); p != "" {
		return p, ""
	}
	return "", "not found after installing"
}

// lookPath finds name on PATH or in Go's install directory.
func lookPath(name string) string {
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	if gobin, err := exec.Command("go", "env", "GOBIN", "GOPATH").Output(); err == nil {
		lines := strings.Split(strings.TrimSpace(string(gobin)), "\n")
		dirs := []string{}
		if len(lines) > 0 && lines[0] != "" {
			dirs = append(dirs, lines[0])
		}
		if len(lines) > 1 {
			for _, gp := range filepath.SplitList(lines[1]) {
				dirs = append(dirs, filepath.Join(gp, "bin"))
			}
		}
		for _, d := range dirs {
			p := filepath.Join(d, name)
			if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
				return p
			}
		}
	}
	return ""
}

func lastLine(b []byte) string {
	s := strings.TrimSpace(string(b))
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		return s[i+1:]
	}
	return s
}
