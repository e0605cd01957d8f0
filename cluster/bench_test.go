package cluster

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/loadrun/loadrun/stats"
	"github.com/nats-io/nats.go"
)

// BenchmarkMasterSecond is one second of a master's statistics work with
// 100 workers: decoding the 100 snapshots they ship (each with 20 request
// names, errors and checks) and merging them once (the console and the
// aborting thresholds read one merged snapshot per tick). ns/op is the CPU
// time per second of run: 10,000,000 ns/op would be 1% of a core.
func BenchmarkMasterSecond(b *testing.B) {
	const workers, names = 100, 20
	start := time.Now()
	m := &Master{workers: map[string]*worker{}, started: start, rdv: newRendezvousServer(nil, subjects{}, func(string, ...any) {})}
	var msgs [][]byte
	for i := range workers {
		name := fmt.Sprintf("w%d", i)
		m.workers[name] = &worker{info: WorkerInfo{Name: name, State: StateRunning}}
		m.order = append(m.order, name)
		st := stats.New(start, 1)
		rec := st.Recorder(i)
		for n := range names {
			k := stats.Key{Method: "GET", Name: fmt.Sprintf("/api/items/%d", n)}
			for j := range 500 {
				rec.Request(k, time.Duration(1+(i*j+n)%200)*time.Millisecond, 512, "")
			}
			rec.Request(k, time.Second, 0, "HTTP 503")
			rec.Check(k, "status 200", true)
		}
		st.Tick(start.Add(time.Second))
		enc, err := encodeSnapshot(st.Snapshot(start.Add(time.Second)))
		if err != nil {
			b.Fatal(err)
		}
		msgs = append(msgs, []byte(fmt.Sprintf(`{"worker":%q,"seq":SEQ,"snap":%s}`, name, enc)))
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		seq := []byte(fmt.Sprint(i + 1))
		for _, msg := range msgs {
			m.onStats(&nats.Msg{Data: bytes.Replace(msg, []byte("SEQ"), seq, 1)})
		}
		if s := m.Snapshot(); s.Total.Requests != workers*names*501 {
			b.Fatalf("merged %d requests", s.Total.Requests)
		}
	}
}

// BenchmarkWorkerShip is a worker's statistics work each second at the
// most request names a run keeps (300, each with a spread of response
// times): encoding its cumulative snapshot for the master. ns/op is the
// CPU time per second of run.
func BenchmarkWorkerShip(b *testing.B) {
	start := time.Now()
	st := stats.New(start, 1)
	rec := st.Recorder(0)
	for n := range stats.MaxNames {
		k := stats.Key{Method: "GET", Name: fmt.Sprintf("/api/items/%d", n)}
		for j := range 200 {
			rec.Request(k, time.Duration(1+j*j)*time.Millisecond/10, 512, "")
		}
	}
	st.Tick(start.Add(time.Second))
	s := st.Latest()
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if _, err := encodeSnapshot(s); err != nil {
			b.Fatal(err)
		}
	}
}
