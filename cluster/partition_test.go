package cluster

import (
	"context"
	"errors"
	"net"
	"strings"
	"sync"
	"testing"
	"time"
)

// gate is a TCP proxy between a worker and the NATS server that can hold
// every byte both ways, as a network partition does, and let them through
// again.
type gate struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	open   *sync.Cond
	closed bool // held shut
}

func newGate(t *testing.T, target string) *gate {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	g := &gate{ln: ln, target: target}
	g.open = sync.NewCond(&g.mu)
	t.Cleanup(func() { ln.Close(); g.set(false) })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s, err := net.Dial("tcp", target)
			if err != nil {
				c.Close()
				continue
			}
			go g.pipe(c, s)
			go g.pipe(s, c)
		}
	}()
	return g
}

// pipe copies src to dst, holding what it read while the gate is shut.
func (g *gate) pipe(src, dst net.Conn) {
	defer src.Close()
	defer dst.Close()
	buf := make([]byte, 64<<10)
	for {
		n, err := src.Read(buf)
		g.mu.Lock()
		for g.closed {
			g.open.Wait()
		}
		g.mu.Unlock()
		if n > 0 {
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

func (g *gate) set(shut bool) {
	g.mu.Lock()
	g.closed = shut
	g.mu.Unlock()
	g.open.Broadcast()
}

func (g *gate) url() string { return "nats://" + g.ln.Addr().String() }

// TestPartitionedWorker: a worker cut off from the master long enough to
// be lost, and then reachable again, stops its users (they run elsewhere
// now) and ships its final statistics, which the master counts: the
// merged total is every request any worker made, the requests of the
// partition included, and the warning says the lost worker's numbers are
// complete.
func TestPartitionedWorker(t *testing.T) {
	c := startCluster(t, plainScenario, MasterConfig{Users: 4, Rate: 0}, 1)
	g := newGate(t, strings.TrimPrefix(c.srv.URL(), "nats://"))
	c.addWorkerVia("cut", g.url())
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := c.master.WaitWorkers(ctx, 2); err != nil {
		t.Fatal(err)
	}
	if err := c.master.Start(); err != nil {
		t.Fatal(err)
	}
	info := func() WorkerInfo {
		for _, w := range c.master.Workers() {
			if w.Name == "cut" {
				return w
			}
		}
		t.Fatal("no worker cut")
		return WorkerInfo{}
	}
	waitFor := func(what string, ok func(WorkerInfo) bool) {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for !ok(info()) {
			if time.Now().After(deadline) {
				t.Fatalf("worker cut: %s did not happen: %+v", what, info())
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	waitFor("statistics with requests", func(w WorkerInfo) bool { return w.Requests > 0 })
	g.set(true)
	waitFor("the loss", func(w WorkerInfo) bool { return w.State == StateLost })
	g.set(false)
	// The worker hears it was lost (or, on a slow machine, that its master
	// fell silent); either way it stops and ships its final statistics.
	select {
	case err := <-c.errs:
		if !errors.Is(err, ErrRefused) && !errors.Is(err, ErrOrphaned) {
			t.Fatalf("the cut-off worker returned %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the cut-off worker went on running")
	}
	waitFor("its final statistics", func(w WorkerInfo) bool { return w.Complete })
	c.master.Stop("test over")
	s := c.wait(1)
	c.ledger.mu.Lock()
	made := c.ledger.requests
	c.ledger.mu.Unlock()
	if s.Total.Requests != made {
		t.Errorf("the master counted %d requests, the workers made %d", s.Total.Requests, made)
	}
	if w := info(); w.State != StateLost || !w.Complete {
		t.Errorf("worker cut at the end: %+v, want lost with its final statistics", w)
	}
}
