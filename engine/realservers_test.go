package engine_test

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Debian's nginx and tinyproxy are servers nobody here wrote. Tests start
// them on a free loopback port, as the current user, with their own
// configuration, pid and log files in a temporary directory. Locally a
// missing binary skips the test with a message; CI (.ci/run) installs them
// and sets LOADRUN_REQUIRE_SERVERS=1 (CI=true, as CI services set, does
// too), so there a missing binary fails.

// needBinary returns the path of a server binary, or skips (fails in CI).
func needBinary(t *testing.T, name, pkg string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		for _, dir := range []string{"/usr/sbin", "/usr/bin"} {
			if p := filepath.Join(dir, name); fileExists(p) {
				return p
			}
		}
		if os.Getenv("LOADRUN_REQUIRE_SERVERS") != "" || os.Getenv("CI") == "true" {
			t.Fatalf("%s is not installed (apt-get install -y %s) and LOADRUN_REQUIRE_SERVERS or CI=true is set", name, pkg)
		}
		t.Skipf("%s is not installed: apt-get install -y %s to run this test against it", name, pkg)
	}
	return path
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// freePort returns a loopback port that was free a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// startServer runs a server process until the test ends and waits until
// port accepts connections.
func startServer(t *testing.T, port int, bin string, args ...string) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	var out lockedBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatalf("%s: %v", bin, err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-exited
	})
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	for deadline := time.Now().Add(15 * time.Second); ; {
		select {
		case <-exited:
			t.Fatalf("%s exited: %s", bin, out.String())
		default:
		}
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			c.Close()
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not listen on %s: %s", bin, addr, out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// readLog waits for a log file to hold n lines matching substr (servers
// may write a line after the response), then returns those lines.
func readLog(t *testing.T, path, substr string, n int) []string {
	t.Helper()
	var lines []string
	for deadline := time.Now().Add(5 * time.Second); ; {
		data, _ := os.ReadFile(path)
		lines = lines[:0]
		for _, l := range strings.Split(string(data), "\n") {
			if strings.Contains(l, substr) {
				lines = append(lines, l)
			}
		}
		if len(lines) >= n || time.Now().After(deadline) {
			return lines
		}
		time.Sleep(20 * time.Millisecond)
	}
}
