package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDistributedLargeMessages: a standalone nats-server at its default
// max_payload (1 MB) carries a run whose bundle (a 3 MB data file) and
// whose statistics (300 request names of 4,000 bytes: every worker's
// snapshot is over 1 MB) are each larger than one message.
func TestDistributedLargeMessages(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and nats-server and runs several processes")
	}
	bin := buildLoadrun(t)
	natsURL := startNATS(t)
	ids, target := newIDServer(t)
	dir := t.TempDir()
	var data strings.Builder
	data.WriteString("id,name,pad\n")
	pad := strings.Repeat("p", 7000)
	for i := range 300 {
		fmt.Fprintf(&data, "%d,/%03d/%s,%s\n", i, i, strings.Repeat("n", 4000), pad)
	}
	if err := os.WriteFile(filepath.Join(dir, "items.csv"), []byte(data.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	if data.Len() < 3<<20 {
		t.Fatalf("the data file is %d bytes, want over 3 MB", data.Len())
	}
	file := filepath.Join(dir, "large.yaml")
	if err := os.WriteFile(file, []byte(`
name: large
host: `+target+`
data:
  items: {file: items.csv, mode: cycle}
users:
  - name: U
    wait: {constant: 5ms}
    tasks:
      - steps:
          - use: items
          - request: {url: "/it?u=${items.id}", name: "${items.name}"}
`), 0o600); err != nil {
		t.Fatal(err)
	}
	c := startDist(t, bin, 2, []string{"--nats", natsURL}, file, "--nats", natsURL, "-u", "4", "-r", "0", "-n", "1200")
	s := c.finish(t, exitOK)
	if n := len(ids.get("/it")); n != 1200 || s.Aggregated.Requests != 1200 {
		t.Errorf("%d requests at the target, %d counted; want 1200", n, s.Aggregated.Requests)
	}
	if len(s.Requests) != 300 {
		t.Errorf("%d request names in the summary, want 300", len(s.Requests))
	}
	for _, w := range c.workers {
		if code := w.wait(t, distLimit); code != exitOK {
			t.Errorf("%s exit code %d", w.name, code)
		}
		if !strings.Contains(w.stderr.String(), "received large.yaml and 1 data file(s)") {
			t.Errorf("%s did not get the data file:\n%s", w.name, w.stderr.String())
		}
	}
	for _, p := range append([]*proc{c.master}, c.workers...) {
		if strings.Contains(p.stderr.String(), "maximum payload") {
			t.Errorf("%s hit the server's max payload:\n%s", p.name, p.stderr.String())
		}
	}
}
