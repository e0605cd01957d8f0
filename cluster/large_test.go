package cluster

import (
	"fmt"
	"strings"
	"testing"
)

// TestLargeStatistics: statistics larger than the server's max payload
// (the embedded server keeps NATS's default, 1 MB) reach the master, in
// parts, and merge exactly: 300 request names of 4,000 bytes make each
// worker's snapshot over 1 MB.
func TestLargeStatistics(t *testing.T) {
	c := startCluster(t, plainScenario, MasterConfig{Users: 4, Rate: 0, Iterations: 3000}, 2)
	names := make([]string, 300)
	for i := range names {
		names[i] = fmt.Sprintf("/%03d/%s", i, strings.Repeat("x", 4000))
	}
	c.ledger.mu.Lock()
	c.ledger.names = names
	c.ledger.mu.Unlock()
	if err := c.master.Start(); err != nil {
		t.Fatal(err)
	}
	s := c.wait(2)
	if s.Total.Requests != 3000 || len(s.Entries) != 300 {
		t.Fatalf("the master merged %d requests under %d names, want 3000 under 300", s.Total.Requests, len(s.Entries))
	}
	for _, w := range c.master.Workers() {
		c.master.mu.Lock()
		snap, err := c.master.workers[w.Name].wire.snapshot()
		c.master.mu.Unlock()
		if err != nil {
			t.Fatal(err)
		}
		b, err := encodeSnapshot(snap)
		if err != nil {
			t.Fatal(err)
		}
		if size := partSize(c.conns[w.Name]); len(b) <= size {
			t.Errorf("%s's statistics are %d bytes, not over a part (%d): the test proves nothing", w.Name, len(b), size)
		}
	}
}
