package cluster

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/loadrun/loadrun/engine/rendezvous"
	"github.com/nats-io/nats.go"
)

// TestParts: messages over the part size go in parts over a real server
// and come back whole, byte for byte, also when two senders' parts
// interleave; a message that fits goes as it is.
func TestParts(t *testing.T) {
	_, conn := natsOnLoopback(t)
	recv, a1, a2 := conn("receiver"), conn("a1"), conn("a2")
	if got := partSize(recv); got != 1<<20-partRoom {
		t.Errorf("part size %d on the embedded server, want NATS's default max payload (1 MB) less %d", got, partRoom)
	}
	var mu sync.Mutex
	var got [][]byte
	arrived := make(chan struct{}, 16)
	asm := newAssembler(func(b []byte) {
		mu.Lock()
		got = append(got, bytes.Clone(b))
		mu.Unlock()
		arrived <- struct{}{}
	}, t.Logf)
	sub, err := recv.Subscribe("parts", asm.onMsg)
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Unsubscribe()
	if err := recv.Flush(); err != nil {
		t.Fatal(err)
	}
	rnd := rand.New(rand.NewPCG(1, 2))
	payload := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(rnd.Uint32())
		}
		return b
	}
	small, big1, big2 := payload(900), payload(3<<20+17), payload(50_000)
	// The two senders publish at once; each one's parts stay in order.
	var wg sync.WaitGroup
	for _, s := range []struct {
		nc   *nats.Conn
		from string
		data []byte
		size int
	}{{a1, "a1", big1, partSize(a1)}, {a2, "a2", big2, 1000}} {
		wg.Go(func() {
			if err := publishParts(s.nc, "parts", s.from, 7, s.data, s.size); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if err := publishParts(a1, "parts", "a1", 8, small, 1000); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		select {
		case <-arrived:
		case <-time.After(20 * time.Second):
			t.Fatalf("%d of 3 messages arrived", len(got))
		}
	}
	mu.Lock()
	defer mu.Unlock()
	for _, want := range [][]byte{small, big1, big2} {
		found := false
		for _, g := range got {
			found = found || bytes.Equal(g, want)
		}
		if !found {
			t.Errorf("the message of %d bytes did not arrive whole", len(want))
		}
	}
	if len(asm.pending) != 0 {
		t.Errorf("%d messages left half-assembled", len(asm.pending))
	}
}

// TestAssemblerDrops: what the assembler does with parts that cannot make
// a whole message. Each row feeds parts (sender, message, I/N) and says
// which messages come out whole.
func TestAssemblerDrops(t *testing.T) {
	type part struct{ from, id, part string }
	for _, tc := range []struct {
		name  string
		parts []part
		want  []string // the whole messages, as their parts' texts joined
	}{
		// In order: one message.
		{"whole", []part{{"w", "1", "1/3"}, {"w", "1", "2/3"}, {"w", "1", "3/3"}}, []string{"w1:1/3 w1:2/3 w1:3/3"}},
		// A lost middle part drops the message; the next one is whole.
		{"gap", []part{{"w", "1", "1/3"}, {"w", "1", "3/3"}, {"w", "2", "1/2"}, {"w", "2", "2/2"}}, []string{"w2:1/2 w2:2/2"}},
		// A newer message replaces an unfinished older one.
		{"newer wins", []part{{"w", "1", "1/2"}, {"w", "2", "1/2"}, {"w", "1", "2/2"}, {"w", "2", "2/2"}}, []string{"w2:1/2 w2:2/2"}},
		// Parts without their first one are ignored.
		{"no start", []part{{"w", "1", "2/2"}}, nil},
		// Two senders do not mix.
		{"senders apart", []part{{"a", "1", "1/2"}, {"b", "1", "1/2"}, {"b", "1", "2/2"}, {"a", "1", "2/2"}}, []string{"b1:1/2 b1:2/2", "a1:1/2 a1:2/2"}},
		// Headers that make no sense are dropped, not trusted.
		{"bad headers", []part{{"w", "1", "x/2"}, {"w", "1", "3/2"}, {"w", "1", "0/2"}, {"w", "1", "1/999999999"}}, nil},
		// The count must not change within a message.
		{"count changes", []part{{"w", "1", "1/2"}, {"w", "1", "2/3"}, {"w", "1", "3/3"}}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			asm := newAssembler(func(b []byte) { got = append(got, strings.TrimSpace(string(b))) }, t.Logf)
			for _, p := range tc.parts {
				m := nats.NewMsg("s")
				m.Header.Set(hdrFrom, p.from)
				m.Header.Set(hdrMsg, p.id)
				m.Header.Set(hdrPart, p.part)
				m.Data = []byte(fmt.Sprintf("%s%s:%s ", p.from, p.id, p.part))
				asm.onMsg(m)
			}
			if strings.Join(got, "|") != strings.Join(tc.want, "|") {
				t.Errorf("whole messages %q, want %q", got, tc.want)
			}
		})
	}
}

// TestAssemblerBounded: an assembler holds at most maxSenders unfinished
// messages and maxHeld bytes, dropping the oldest, and refuses a message
// over maxWhole.
func TestAssemblerBounded(t *testing.T) {
	asm := newAssembler(func([]byte) { t.Error("a message came out whole") }, nil)
	for i := range maxSenders + 10 {
		m := nats.NewMsg("s")
		m.Header.Set(hdrFrom, fmt.Sprint("w", i))
		m.Header.Set(hdrMsg, "1")
		m.Header.Set(hdrPart, "1/2")
		asm.onMsg(m)
	}
	if n := len(asm.pending); n != maxSenders {
		t.Errorf("%d unfinished messages held, want at most %d", n, maxSenders)
	}
	if _, ok := asm.pending["w0"]; ok {
		t.Error("the oldest unfinished message was kept")
	}
	asm.pending, asm.held = map[string]*partial{"w": {id: "1", next: 2, n: 3, data: make([]byte, maxWhole-10)}}, maxWhole-10
	if asm.add("w", "1", 2, 3, make([]byte, 11)) != nil || len(asm.pending) != 0 || asm.held != 0 {
		t.Errorf("a message over maxWhole was kept (%d bytes held)", asm.held)
	}
	// Over the budget for all senders, the oldest message goes first, then
	// the one that does not fit alone. (held stands for messages too large
	// to allocate here.)
	now := time.Now()
	asm.pending = map[string]*partial{
		"old":   {id: "1", next: 2, n: 3, data: make([]byte, 10), started: now.Add(-2 * time.Second)},
		"newer": {id: "1", next: 2, n: 3, data: make([]byte, 10), started: now.Add(-time.Second)},
		"w":     {id: "1", next: 2, n: 3, started: now},
	}
	asm.held = maxHeld - 5
	if asm.add("w", "1", 2, 3, make([]byte, 12)); len(asm.pending) != 2 || asm.pending["old"] != nil || asm.held != maxHeld-3 {
		t.Errorf("after a part over the budget: %d messages held, %d bytes; want the oldest dropped", len(asm.pending), asm.held)
	}
	asm.pending = map[string]*partial{"w": {id: "1", next: 2, n: 3, started: now}}
	asm.held = maxHeld - 5
	if asm.add("w", "1", 2, 3, make([]byte, 12)); len(asm.pending) != 0 {
		t.Error("a message that alone is over the budget was kept")
	}
	if err := publishParts(nil, "s", "w", 1, make([]byte, maxWhole+1), 1000); err == nil || !strings.Contains(err.Error(), "MiB") {
		t.Errorf("publishing a message over maxWhole: %v", err)
	}
}

// TestLargeRelease: the release of a group too large for one message (a
// hundred and fifty thousand users, 1.3 MB of JSON) reaches the worker in
// parts and frees every one of its waiting users.
func TestLargeRelease(t *testing.T) {
	_, conn := natsOnLoopback(t)
	subj := newSubjects("t")
	s := newRendezvousServer(conn("master"), subj, t.Logf)
	c := &barrierClient{nc: conn("w"), subj: subj, worker: "w", waiting: map[uint64]*waiter{}}
	const n = 150_000
	now := time.Now()
	g := &gathering{name: "big\nname", rule: rendezvous.Rule{Count: n}, timeout: time.Minute}
	var chans []chan rendezvous.Release
	for i := range uint64(n) {
		ch := make(chan rendezvous.Release, 1)
		c.waiting[i+1_000_000] = &waiter{ch: ch, at: now}
		chans = append(chans, ch)
		g.members = append(g.members, member{worker: "w", id: i + 1_000_000, at: now})
	}
	sub, err := c.nc.Subscribe(subj.release(), newAssembler(func(b []byte) { c.onRelease(&nats.Msg{Data: b}) }, t.Logf).onMsg)
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Unsubscribe()
	if err := c.nc.Flush(); err != nil {
		t.Fatal(err)
	}
	s.mu.Lock()
	s.releaseLocked(g, rendezvous.ByCount, now)
	s.mu.Unlock()
	for i, ch := range chans {
		select {
		case r := <-ch:
			if r.Size != n || r.Reason != rendezvous.ByCount {
				t.Fatalf("user %d released with %+v", i, r)
			}
		case <-time.After(20 * time.Second):
			t.Fatalf("user %d of %d was never released", i, n)
		}
	}
}
