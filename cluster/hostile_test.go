package cluster

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/loadrun/loadrun/scenario"
	"github.com/nats-io/nats.go"
)

// Tests of what a buggy or hostile peer (one that knows the token, or any
// client of a --nats server without authentication) can send: each is
// refused or dropped with a reason, and never panics, hangs, grows memory
// without bound or reaches the terminal as an escape sequence.

// TestHostileSnapshots: statistics a worker cannot have sent are refused;
// names in them are escaped.
func TestHostileSnapshots(t *testing.T) {
	for _, tc := range []struct {
		name, in string
	}{
		// A null row would crash the merge.
		{"null entry", `{"Entries":[null]}`},
		{"null error", `{"Errors":[null]}`},
		{"null check", `{"Checks":[null]}`},
		{"null rendezvous", `{"Rendezvous":[null]}`},
		{"null pacing", `{"Pacing":[null]}`},
		{"null phases", `{"Phases":[null]}`},
		// Negative counts.
		{"negative requests", `{"Entries":[{"Name":"/","Requests":-1}]}`},
		{"negative total", `{"Total":{"Name":"","Failures":-5}}`},
		{"negative error count", `{"Errors":[{"Name":"/","Error":"x","Count":-1}]}`},
		{"negative users", `{"Users":-3}`},
		// A histogram with 2^63 samples in one bucket, one claiming 2^62
		// buckets, and one with its geometry absurd.
		{"huge counts", histEntry(1, 1000, 3, 2, 10, 1<<62, 0, 1<<62)},
		{"bucket count", histEntry(1, 1000, 3, 1<<62, 1, 1)},
		{"geometry", histEntry(1<<45, 1<<62, 9, 0)},
	} {
		if _, err := decodeSnapshot([]byte(tc.in)); err == nil {
			t.Errorf("%s: decoded", tc.name)
		}
	}
	s, err := decodeSnapshot([]byte(`{"Entries":[{"Name":"/\u001b]0;x\u0007","Requests":1}],"Errors":[{"Name":"/","Error":"e\u001b[2J","Count":1}],"Interval":{"Entries":[null]}}`))
	if err != nil {
		t.Fatal(err)
	}
	if got := s.Entries[0].Name + s.Errors[0].Error; strings.ContainsAny(got, "\x1b\x07") || s.Interval != nil {
		t.Errorf("names %q kept raw, or an interval kept", got)
	}
}

// histEntry is a snapshot with one entry whose histogram is these uvarints
// after the packed kind.
func histEntry(v ...uint64) string {
	b := []byte{histPacked}
	for _, x := range v {
		b = binary.AppendUvarint(b, x)
	}
	return `{"Entries":[{"Name":"/","Requests":1,"Hist":"` + base64.StdEncoding.EncodeToString(b) + `"}]}`
}

// TestAssemblerHostile: parts that never make a message are dropped, and
// so are their drops' log lines after the first few.
func TestAssemblerHostile(t *testing.T) {
	part := func(from, id, p string, n int) *nats.Msg {
		m := nats.NewMsg("s")
		m.Header.Set(hdrFrom, from)
		m.Header.Set(hdrMsg, id)
		m.Header.Set(hdrPart, p)
		m.Data = make([]byte, n)
		return m
	}
	var logged []string
	asm := newAssembler(func([]byte) { t.Error("a message came out whole") }, func(f string, a ...any) { logged = append(logged, fmt.Sprintf(f, a...)) })
	now := time.Now()
	asm.now = func() time.Time { return now }
	// A header claiming a million parts, or a part past the count.
	asm.onMsg(part("a", "1", "1/1000000", 10))
	asm.onMsg(part("a", "1", "3/2", 10))
	if len(asm.pending) != 0 {
		t.Errorf("bad headers kept %d messages", len(asm.pending))
	}
	// Senders that start messages and never end them: a while later they
	// are all gone (TestAssemblerBounded bounds them meanwhile).
	for i := range 100 {
		asm.onMsg(part(fmt.Sprint("s", i), "1", "1/9", 1000))
	}
	if asm.held != 100*1000 {
		t.Errorf("%d bytes held for 100 parts of 1000", asm.held)
	}
	now = now.Add(partsWithin + time.Second)
	asm.onMsg(part("late", "1", "2/2", 10)) // any part sweeps
	if len(asm.pending) != 0 || asm.held != 0 {
		t.Errorf("%d unfinished messages (%d bytes) outlived %s", len(asm.pending), asm.held, partsWithin)
	}
	if len(logged) == 0 || len(logged) > 10 {
		t.Errorf("%d drops logged, want a few (the first ten at most)", len(logged))
	}
}

// TestBundlePaths: a bundle names files only inside the worker's folder:
// names with separators, dot-dot, absolute paths or control characters are
// refused, and a symbolic link in the folder does not lead out of it.
func TestBundlePaths(t *testing.T) {
	const sc = "name: x\nhost: http://127.0.0.1:1\ndata:\n  d: {file: %s}\nusers:\n  - name: U\n    tasks:\n      - steps:\n          - request: {url: \"/\"}\n"
	for _, tc := range []struct {
		name, file, data string
	}{
		// The scenario's name climbs out.
		{"../../x.yaml", "d.csv", ""},
		// An absolute name.
		{"/tmp/x.yaml", "d.csv", ""},
		// Dot-dot itself, and no name.
		{"..", "d.csv", ""},
		{"", "d.csv", ""},
		// A name that is a terminal escape.
		{"s\x1b]0;x\x07.yaml", "d.csv", ""},
		// A data file whose base name is dot-dot.
		{"s.yaml", "x/..", "a\n1\n"},
	} {
		root := t.TempDir()
		dir := filepath.Join(root, "w")
		if err := os.Mkdir(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		b := &Bundle{Name: tc.name, Scenario: fmt.Appendf(nil, sc, tc.file), Data: map[string][]byte{"d": []byte(tc.data)}}
		_, err := b.Load(dir)
		if err == nil {
			t.Errorf("name %q, file %q: loaded", tc.name, tc.file)
		} else if strings.ContainsAny(err.Error(), "\x1b\x07") {
			t.Errorf("name %q: the error holds a raw escape: %q", tc.name, err)
		}
		if entries, _ := os.ReadDir(root); len(entries) != 1 {
			t.Errorf("name %q, file %q: %d entries beside the worker's folder", tc.name, tc.file, len(entries))
		}
	}

	// Symbolic links to outside, where the scenario and a data file go.
	outside := t.TempDir()
	dir := t.TempDir()
	if err := os.Symlink(filepath.Join(outside, "s.yaml"), filepath.Join(dir, "s.yaml")); err != nil {
		t.Fatal(err)
	}
	b := &Bundle{Name: "s.yaml", Scenario: fmt.Appendf(nil, sc, "d.csv"), Data: map[string][]byte{"d": []byte("a\n1\n")}}
	if _, err := b.Load(dir); err == nil {
		t.Error("the scenario was written through a symbolic link")
	}
	dir = t.TempDir()
	if err := os.Symlink(outside, filepath.Join(dir, "data")); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Load(dir); err == nil {
		t.Error("a data file was written through a symbolic link")
	}
	if entries, _ := os.ReadDir(outside); len(entries) != 0 {
		t.Errorf("%d files written outside the worker's folder", len(entries))
	}
}

// TestWorkerHostileJoinReply: a master's answer to joining that announces
// a 10 GB scenario or names that are not subject tokens is an error, with
// nothing allocated for it.
func TestWorkerHostileJoinReply(t *testing.T) {
	srv, err := Serve("127.0.0.1:0", "")
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	for _, tc := range []struct {
		name  string
		reply joinReply
		want  string
	}{
		// A size the worker would allocate at once.
		{"10 GB", joinReply{Run: "r", Worker: "w", BundleSize: 10 << 30}, "announced a scenario"},
		// A negative size made the worker panic (makeslice).
		{"negative", joinReply{Run: "r", Worker: "w", BundleSize: -1}, "announced a scenario"},
		// Names that would go into the worker's subjects as they are.
		{"run", joinReply{Run: "r.>", Worker: "w", BundleSize: 10}, "subject tokens"},
		{"worker", joinReply{Run: "r", Worker: "w x\r\nPUB y 1", BundleSize: 10}, "subject tokens"},
		// A refusal that is a terminal escape.
		{"refusal", joinReply{Error: "no\x1b]0;x\x07"}, `no\x1b]0;x\x07`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			master, err := Connect(srv.URL(), "", "master")
			if err != nil {
				t.Fatal(err)
			}
			defer master.Close()
			sub, err := master.Subscribe(joinSubject, func(m *nats.Msg) {
				b, _ := json.Marshal(tc.reply)
				_ = m.Respond(b)
			})
			if err != nil {
				t.Fatal(err)
			}
			defer sub.Unsubscribe()
			if err := master.Flush(); err != nil {
				t.Fatal(err)
			}
			nc, err := Connect(srv.URL(), "", "w")
			if err != nil {
				t.Fatal(err)
			}
			defer nc.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			err = RunWorker(ctx, WorkerConfig{Conn: nc, Name: "w", Version: "test", Dir: t.TempDir(),
				NewRun: func(*scenario.Scenario, Hooks, []string) (Run, error) { return nil, fmt.Errorf("not here") }})
			if err == nil || !strings.Contains(err.Error(), tc.want) || strings.ContainsAny(err.Error(), "\x1b\x07") {
				t.Errorf("RunWorker: %v; want an error saying %q, escaped", err, tc.want)
			}
		})
	}
}

// TestMasterHostileWorker: a worker of the run (or any client) sending
// heartbeats, leases and rendezvous arrivals no worker sends: each is
// dropped, the master's tables stay printable and bounded.
func TestMasterHostileWorker(t *testing.T) {
	_, connect := natsOnLoopback(t)
	nc := connect("master")
	m := fuzzMaster(t, nc, &Bundle{Name: "s.yaml"}, time.Minute)
	defer m.Close()
	send := func(h nats.MsgHandler, v any) { h(&nats.Msg{Data: mustJSON(t, v)}) }

	// A heartbeat with a state that is an escape sequence, and one with a
	// reason that is: the first is dropped, the second's reason escaped.
	send(m.onBeat, beat{Worker: "w1", State: "\x1b[2J", Users: 1})
	send(m.onBeat, beat{Worker: "w1", State: StateRunning, Users: -1})
	if w := m.Workers()[0]; w.State != StateRunning || w.Users < 0 {
		t.Errorf("worker after hostile heartbeats: %+v", w)
	}
	send(m.onBeat, beat{Worker: "w1", State: StateStopped, Ended: true, Global: true, Reason: "bye\x1b]0;x\x07"})
	if r := m.Reason(); r != `bye\x1b]0;x\x07` {
		t.Errorf("reason %q, want it escaped", r)
	}

	// Unique-recycle waits: at most the worker's users (2) and the slack;
	// none for a name that is not a worker (a subject injection).
	before := len(m.leases.waits)
	send(m.leases.onRequest, leaseRequest{Worker: "x\r\nPUB y 1", Pool: "p", Take: 1})
	if len(m.leases.waits) != before {
		t.Error("a lease request from no worker of the run was served")
	}
	replies, err := nc.SubscribeSync(m.subj.reply("w1"))
	if err != nil {
		t.Fatal(err)
	}
	// 3 rows are free: 3 requests are served at once, the rest wait.
	for i := range 3 + 2 + waitSlack + 50 {
		send(m.leases.onRequest, leaseRequest{Worker: "w1", ID: uint64(i), Pool: "p", Take: 1})
	}
	m.leases.mu.Lock()
	waits := m.leases.waits["w1"]
	m.leases.mu.Unlock()
	if waits > 2+waitSlack {
		t.Errorf("%d waits for rows, over the worker's users and the slack", waits)
	}
	refused := 0
	for {
		msg, err := replies.NextMsg(5 * time.Second)
		if err != nil {
			break
		}
		var r leaseReply
		if json.Unmarshal(msg.Data, &r) == nil && strings.Contains(r.Error, "more than its users") {
			if refused++; refused == 50 {
				break
			}
		}
	}
	if refused < 50 {
		t.Errorf("%d lease requests over the bound refused, want 50", refused)
	}

	// Rendezvous: new names beyond maxBarriers, and arrivals beyond the
	// worker's users, are dropped.
	m.rdv.mu.Lock()
	m.rdv.closed = false // still gathering, as in a run
	m.rdv.mu.Unlock()
	// A name over maxBarrierName, sent while there is room for it.
	long := strings.Repeat("n", maxBarrierName+1)
	send(m.rdv.onArrival, arrival{Worker: "w1", Name: long, ID: 1, Count: 2})
	m.rdv.mu.Lock()
	longHeld := m.rdv.barriers[long] != nil
	m.rdv.mu.Unlock()
	if longHeld {
		t.Errorf("an arrival at a rendezvous named with %d bytes was gathered", len(long))
	}
	for i := range maxBarriers + 10 {
		send(m.rdv.onArrival, arrival{Worker: "w1", Name: fmt.Sprint("r", i), ID: uint64(i), Count: 1 << 30})
	}
	m.rdv.mu.Lock()
	n, waiting := len(m.rdv.barriers), m.rdv.waiting["w1"]
	m.rdv.mu.Unlock()
	if n > maxBarriers || waiting > 2+waitSlack {
		t.Errorf("%d rendezvous and %d users waiting held", n, waiting)
	}
	send(m.rdv.onArrival, arrival{Worker: "nobody", Name: "r", ID: 1, Count: 2})
	m.rdv.mu.Lock()
	waiting2 := m.rdv.waiting["nobody"]
	m.rdv.mu.Unlock()
	if waiting2 != 0 {
		t.Error("an arrival from no worker of the run was counted")
	}
}

// TestMasterJoinFlood: joins past MaxWorkers are refused, so a peer that
// joins in a loop cannot grow the master's workers table without bound.
func TestMasterJoinFlood(t *testing.T) {
	m := &Master{cfg: MasterConfig{Version: "test", Log: io.Discard}, workers: map[string]*worker{}, joined: make(chan struct{}, 1)}
	for i := range MaxWorkers + 5 {
		m.onJoin(&nats.Msg{Data: mustJSON(t, joinRequest{Protocol: Protocol, Version: "test", Name: fmt.Sprint("w", i), Host: "h\x1b[2J"})})
	}
	if len(m.workers) != MaxWorkers {
		t.Errorf("%d workers joined, want %d at most", len(m.workers), MaxWorkers)
	}
	if h := m.Workers()[0].Host; h != `h\x1b[2J` {
		t.Errorf("host %q, want it escaped", h)
	}
}

// TestMasterStatsBudget: what a master keeps of its workers' statistics
// is bounded for all of them together (a peer joining 10,000 times and
// sending 64 MiB each would otherwise hold 640 GiB): a shipment past the
// bound is dropped, and a reset gives its room back.
func TestMasterStatsBudget(t *testing.T) {
	_, connect := natsOnLoopback(t)
	nc := connect("master")
	m := fuzzMaster(t, nc, &Bundle{Name: "s.yaml"}, time.Millisecond)
	defer m.Close()
	snap, err := encodeSnapshot(seedSnapshot(t))
	if err != nil {
		t.Fatal(err)
	}
	requests := func() int64 {
		if s := m.Snapshot(); s != nil && s.Total != nil {
			return s.Total.Requests
		}
		return 0
	}
	m.mu.Lock()
	m.statsHeld = maxStatsHeld - 10 // what other workers hold
	m.mu.Unlock()
	m.onStats(&nats.Msg{Data: mustJSON(t, statsMsg{Worker: "w1", Seq: 1, Snap: snap})})
	if n := requests(); n != 0 {
		t.Errorf("statistics over the bound were kept: %d requests", n)
	}
	m.mu.Lock()
	m.statsHeld = 0
	m.mu.Unlock()
	m.onStats(&nats.Msg{Data: mustJSON(t, statsMsg{Worker: "w1", Seq: 2, Snap: snap})})
	m.mu.Lock()
	held := m.statsHeld
	m.mu.Unlock()
	if n := requests(); n != 50 || held < len(snap) {
		t.Errorf("statistics within the bound: %d requests, %d bytes held; want 50 and at least %d", n, held, len(snap))
	}
	if err := m.ResetStats(); err != nil {
		t.Fatal(err)
	}
	m.mu.Lock()
	held = m.statsHeld
	m.mu.Unlock()
	if held != 0 {
		t.Errorf("%d bytes held after a reset", held)
	}
}
