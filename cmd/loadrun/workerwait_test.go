package main

import (
	"net"
	"regexp"
	"strings"
	"testing"
	"time"
)

// freeLoopbackAddr is a loopback address nothing listens on (a port the
// kernel just handed out and that was closed again).
func freeLoopbackAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// TestWorkerWaitsForMaster: a worker started before its master (as pods of
// a Deployment start in any order) keeps trying and joins once the master
// is up; the test then runs to its end.
func TestWorkerWaitsForMaster(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs several processes")
	}
	bin := buildLoadrun(t)
	addr := freeLoopbackAddr(t)
	worker := startProc(t, bin, "worker", "worker", "--master", addr, "--name", "early")
	worker.await(t, regexp.MustCompile(`waiting for the master at (\S+)`), 20*time.Second)
	file := writeScenario(t, "early.yaml", `
name: early
users:
  - name: U
    wait: {constant: 0s}
    tasks: [{steps: [{request: {url: /}}]}]
`)
	master := startProc(t, bin, "master", "master", file, "--demo", "--expect-workers", "1", "--bind", addr, "-u", "2", "-n", "20", "-q")
	if code := master.wait(t, distLimit); code != exitOK {
		t.Fatalf("master: exit %d\n%s", code, master.stderr.String())
	}
	if code := worker.wait(t, 20*time.Second); code != exitOK {
		t.Errorf("worker: exit %d\n%s", code, worker.stderr.String())
	}
}

// TestWorkerGivesUp: a worker whose master never comes gives up after
// --connect-timeout, saying so.
func TestWorkerGivesUp(t *testing.T) {
	var out, errs syncBuffer
	code := run([]string{"worker", "--master", freeLoopbackAddr(t), "--connect-timeout", "1500ms"}, env{stdout: &out, stderr: &errs})
	if code != exitUsage || !strings.Contains(errs.String(), "no NATS server answers") || !strings.Contains(errs.String(), "gave up after --connect-timeout 1.5s") {
		t.Errorf("exit %d, stderr %q; want exit %d, no server, gave up", code, errs.String(), exitUsage)
	}
	// --connect-timeout 0 tries once.
	errs = syncBuffer{}
	if code := run([]string{"worker", "--master", freeLoopbackAddr(t), "--connect-timeout", "0"}, env{stdout: &out, stderr: &errs}); code != exitUsage || strings.Contains(errs.String(), "waiting") {
		t.Errorf("--connect-timeout 0: exit %d, stderr %q; want one try", code, errs.String())
	}
}
