// Package proc starts and stops the benchmarks' child processes (targets
// and load generators), the same way for bench/sidebyside and
// bench/latency: pinned to a CPU with taskset when it is installed, a
// server's address read from its first line of output, a process group
// killed as a whole on Unix.
package proc

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
)

// CanPin reports whether taskset is installed, so that Pin pins.
func CanPin() bool {
	_, err := exec.LookPath("taskset")
	return err == nil
}

// Pin returns argv run on CPU cpu under taskset, or argv itself when
// taskset is not installed.
func Pin(cpu int, argv []string) []string {
	if !CanPin() {
		return argv
	}
	return append([]string{"taskset", "-c", strconv.Itoa(cpu)}, argv...)
}

// StartServer starts argv, a server that prints the address it listens on
// as its first line of standard output, and returns that address and a
// function that kills it and waits for it. The rest of its output is
// drained, so that a chatty server never blocks on a full pipe; its
// standard error goes to ours.
func StartServer(ctx context.Context, argv []string) (addr string, stop func(), err error) {
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return "", nil, err
	}
	if err := cmd.Start(); err != nil {
		return "", nil, fmt.Errorf("starting %s: %w", argv[0], err)
	}
	stop = func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	}
	r := bufio.NewReader(out)
	line, err := r.ReadString('\n')
	if err != nil {
		stop()
		return "", nil, fmt.Errorf("%s printed no address: %w", argv[0], err)
	}
	go func() { _, _ = io.Copy(io.Discard, r) }()
	return strings.TrimSpace(line), stop, nil
}
