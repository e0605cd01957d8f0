package cluster

import (
	"context"
	"strings"
	"testing"
	"time"
)

func TestSubjectToken(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		// A plain name stays.
		{"load-1_a", "load-1_a"},
		// A space, dots and wildcards would make a bad or too wide subject.
		{"evil > *.x", "evil_____x"},
		// Line breaks and other bytes too.
		{"a\r\nb\x00é", "a__b___"},
		// Nothing at all.
		{"", "worker"},
		// Long names are cut.
		{strings.Repeat("n", 100), strings.Repeat("n", maxName)},
	} {
		if got := subjectToken(tc.in); got != tc.want {
			t.Errorf("subjectToken(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestWorkerOddName: a worker whose --name is no NATS subject token (a
// space, a wildcard) joins under a safe name and runs; it used to fail
// with "invalid subject" while the master waited for it.
func TestWorkerOddName(t *testing.T) {
	c := startCluster(t, plainScenario, MasterConfig{Users: 2, Rate: 0, Iterations: 50}, 0)
	c.addWorker("evil >")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := c.master.WaitWorkers(ctx, 1); err != nil {
		t.Fatal(err)
	}
	if err := c.master.Start(); err != nil {
		t.Fatal(err)
	}
	s := c.wait(1)
	if s.Total.Requests != 50 {
		t.Errorf("%d requests, want 50", s.Total.Requests)
	}
	if ws := c.master.Workers(); len(ws) != 1 || ws[0].Name != "evil__" {
		t.Errorf("workers %+v, want one named evil__", ws)
	}
}
