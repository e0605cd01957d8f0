package cluster

import (
	"encoding/json"
	"io"
	"testing"
	"time"

	"github.com/loadrun/loadrun/datasource"
	"github.com/loadrun/loadrun/engine/rendezvous"
	"github.com/loadrun/loadrun/internal/termsafe"
	"github.com/loadrun/loadrun/scenario"
	"github.com/loadrun/loadrun/schedule"
	"github.com/nats-io/nats.go"
)

// Handlers of a master, by the first byte of a FuzzMasterMessages input.
const (
	inJoin = iota
	inBundle
	inReady
	inBeat
	inStats
	inLease
	inIter
	inArrival
	inPopulation
	inKinds
)

// fuzzMaster is a master whose run started with worker w1 (2 users), over
// a real NATS server, serving a unique-recycle pool of 3 rows that users
// wait rowWait for.
func fuzzMaster(t testing.TB, nc *nats.Conn, b *Bundle, rowWait time.Duration) *Master {
	l, err := datasource.NewLender(&scenario.Pool{Name: "p", Mode: scenario.UniqueRecycle, Timeout: rowWait}, 3)
	if err != nil {
		t.Fatal(err)
	}
	m, err := NewMaster(MasterConfig{Conn: nc, Version: "test", Bundle: b, Weights: []int{1}, Users: 2, Rate: 1,
		Pools: []PoolDef{{Name: "p", Mode: scenario.UniqueRecycle, Lender: l}}, Log: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	m.onJoin(&nats.Msg{Data: mustJSON(t, joinRequest{Protocol: Protocol, Version: "test", Name: "w1"})})
	m.onReady(&nats.Msg{Data: mustJSON(t, readyMsg{Worker: "w1"})})
	if err := m.Start(); err != nil {
		t.Fatal(err)
	}
	return m
}

func mustJSON(t testing.TB, v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// FuzzMasterMessages: any message on any of the subjects a master
// serves, from a peer that knows the run: the master never panics, keeps
// its workers table printable and bounded, and still merges statistics.
func FuzzMasterMessages(f *testing.F) {
	_, connect := natsOnLoopback(f)
	nc := connect("master")
	b := &Bundle{Name: "s.yaml", Scenario: []byte("name: x\n")}

	snap, err := encodeSnapshot(seedSnapshot(f))
	if err != nil {
		f.Fatal(err)
	}
	for _, seed := range []struct {
		kind byte
		v    any
	}{
		{inJoin, joinRequest{Protocol: Protocol, Version: "test", Name: "w2\x1b[2J", Host: "h\x1b]0;x\x07", CPUs: 2}},
		{inBundle, bundleChunk{Offset: 0, Max: 1 << 20}},
		{inReady, readyMsg{Worker: "w1"}},
		{inBeat, beat{Worker: "w1", State: StateRunning, Users: 2, Alive: 2, Gen: 1, Requests: 5}},
		{inBeat, beat{Worker: "w1", State: "\x1b[31m", Ended: true, Reason: "\x1b]0;t\x07", Global: true}},
		{inStats, statsMsg{Worker: "w1", Seq: 1, Snap: snap}},
		{inLease, leaseRequest{Worker: "w1", ID: 1, Pool: "p", Take: 1}},
		{inLease, leaseRequest{Worker: "x y\r\nPUB a 1", ID: 1, Pool: "p", Take: 1 << 40}},
		{inIter, iterRequest{Worker: "w1", Want: 100, Done: 1}},
		{inArrival, arrival{Worker: "w1", Name: "r", ID: 1, Count: 2, Timeout: time.Millisecond}},
		{inPopulation, population{Worker: "w1", Alive: -5, Gen: 1}},
	} {
		f.Add(seed.kind, mustJSON(f, seed.v))
	}
	f.Fuzz(func(t *testing.T, kind byte, data []byte) {
		m := fuzzMaster(t, nc, b, time.Millisecond)
		defer m.Close()
		msg := &nats.Msg{Data: data}
		switch kind % inKinds {
		case inJoin:
			m.onJoin(msg)
		case inBundle:
			m.onBundle(msg)
		case inReady:
			m.onReady(msg)
		case inBeat:
			m.onBeat(msg)
		case inStats:
			m.onStats(msg)
		case inLease:
			m.leases.onRequest(msg)
		case inIter:
			m.onIterations(msg)
		case inArrival:
			m.rdv.onArrival(msg)
		case inPopulation:
			m.onPopulation(msg)
		}
		_ = m.Snapshot()
		for _, w := range m.Workers() {
			if termsafe.Line(w.Host) != w.Host || termsafe.Line(w.State) != w.State || len(w.Host) > maxPeerText+8 {
				t.Fatalf("a worker's host %q or state %q is not printable as it is", w.Host, w.State)
			}
		}
		if r := m.Reason(); termsafe.Line(r) != r {
			t.Fatalf("the run's reason %q is not printable as it is", r)
		}
	})
}

// FuzzWorkerMessages: what a worker decodes from its master besides the
// bundle: control messages (an open-model assignment's schedule is
// walked), rendezvous releases and lease replies.
func FuzzWorkerMessages(f *testing.F) {
	sh := &Shape{Schedule: schedule.Constant(10, time.Second), MaxUsers: 3}
	for _, c := range []control{
		{Op: opAssign, Counts: []int{1, 2}, Rate: 1, Gen: 1},
		{Op: opAssign, Arrivals: encodeArrivals(sh, 3, deal{Slot: 0, Of: 2}), Gen: 1},
		{Op: opAssign, Arrivals: &wireArrivals{Stages: []wireStage{{Duration: -1, Target: -5}, {Duration: 1 << 62, Target: 1e300}}, Deal: deal{Of: 0}}},
		{Op: opStop, Reason: "\x1b]0;x\x07"},
	} {
		f.Add(byte(0), mustJSON(f, c))
	}
	f.Add(byte(1), mustJSON(f, release{Name: "r", Seq: 1, Size: 2, Members: map[string][]uint64{"w": {1, 2}}}))
	f.Add(byte(2), mustJSON(f, leaseReply{ID: 1, Pool: "p", Rows: []int{-1, 1 << 40}}))
	f.Fuzz(func(t *testing.T, kind byte, data []byte) {
		switch kind % 3 {
		case 0:
			var c control
			if json.Unmarshal(data, &c) != nil || c.Arrivals == nil {
				return
			}
			_ = dealText(c.Arrivals)
			s, err := c.Arrivals.schedule()
			if err != nil {
				return
			}
			a := s.Arrivals(schedule.Process(c.Arrivals.Process), c.Arrivals.Seed)
			var d deals
			d.add(c.Arrivals.Deal)
			for n := range int64(100) {
				if _, ok := a.Next(); !ok {
					break
				}
				_ = d.take(n)
			}
		case 1:
			c := &barrierClient{worker: "w", waiting: map[uint64]*waiter{}}
			ch := make(chan rendezvous.Release, 1)
			c.waiting[1] = &waiter{ch: ch, at: time.Now()}
			c.onRelease(&nats.Msg{Data: data})
		case 2:
			c := &caller{worker: "w", pending: map[uint64]chan leaseReply{}}
			c.pending[1] = make(chan leaseReply, 1)
			c.onReply(&nats.Msg{Data: data})
		}
	})
}
