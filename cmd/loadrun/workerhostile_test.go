package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/loadrun/loadrun/cluster"
	"github.com/nats-io/nats.go"
)

// TestWorkerHostileMaster: what a master (or anything answering on its
// subject) says reaches the worker's terminal as text: a refusal holding
// an OSC sequence that would set the terminal's title is shown escaped.
func TestWorkerHostileMaster(t *testing.T) {
	srv, err := cluster.Serve("127.0.0.1:0", "")
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	nc, err := cluster.Connect(srv.URL(), "", "fake master")
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	sub, err := nc.Subscribe("loadrun.join", func(m *nats.Msg) {
		b, _ := json.Marshal(map[string]string{"error": "go away\x1b]0;pwned\x07\x9b31m"})
		_ = m.Respond(b)
	})
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Unsubscribe()
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	var wout, werr syncBuffer
	code := run([]string{"worker", "--nats", srv.URL(), "--connect-timeout", "0"}, env{stdout: &wout, stderr: &werr})
	out := werr.String()
	if code != exitUsage || !strings.Contains(out, `go away\x1b]0;pwned\x07`) {
		t.Errorf("exit %d, want %d and the refusal escaped:\n%q", code, exitUsage, out)
	}
	if strings.ContainsAny(out, "\x1b\x07") || strings.IndexByte(out, 0x9b) >= 0 {
		t.Errorf("a raw control character reached the terminal:\n%q", out)
	}
}
