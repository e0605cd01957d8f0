package proc

import (
	"context"
	"net"
	"os"
	"os/exec"
	"testing"
	"time"
)

// TestStartServer runs this test binary as a small server that prints its
// address and then a lot more; StartServer returns the address, the server
// answers on it, and stop ends it.
func TestStartServer(t *testing.T) {
	if os.Getenv("PROC_TEST_SERVER") == "1" {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			os.Exit(1)
		}
		os.Stdout.WriteString(ln.Addr().String() + "\n")
		for range 10000 { // more than a pipe holds: must be drained
			os.Stdout.WriteString("chatter chatter chatter chatter chatter\n")
		}
		for {
			c, err := ln.Accept()
			if err != nil {
				os.Exit(0)
			}
			c.Close()
		}
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	t.Setenv("PROC_TEST_SERVER", "1")
	addr, stop, err := StartServer(ctx, []string{self, "-test.run=^TestStartServer$"})
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatalf("dialling the address the server printed (%q): %v", addr, err)
	}
	c.Close()
}

// TestStartServerNoAddress: a command that exits without printing is an
// error, not a hang.
func TestStartServerNoAddress(t *testing.T) {
	if _, err := exec.LookPath("true"); err != nil {
		t.Skip("no true(1)")
	}
	if _, _, err := StartServer(context.Background(), []string{"true"}); err == nil {
		t.Error("no error for a server that printed nothing")
	}
}

// TestPin: without taskset the command is unchanged; with it, it is
// prefixed.
func TestPin(t *testing.T) {
	got := Pin(1, []string{"x", "y"})
	if CanPin() {
		if len(got) != 5 || got[0] != "taskset" || got[2] != "1" {
			t.Errorf("Pin = %q, want taskset -c 1 x y", got)
		}
	} else if len(got) != 2 {
		t.Errorf("Pin = %q without taskset, want the command unchanged", got)
	}
}
