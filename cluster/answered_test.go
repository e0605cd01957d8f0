package cluster

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/loadrun/loadrun/stats"
	"github.com/nats-io/nats.go"
)

// TestFinalStatisticsSayAnswered: a worker's final statistics can reach the
// master before its last heartbeat; the master must then still know that
// the target answered, or a run that got responses ends "the target never
// answered" (exit 3). It failed before statsMsg carried Answered.
func TestFinalStatisticsSayAnswered(t *testing.T) {
	start := time.Now()
	m := &Master{workers: map[string]*worker{}, started: start, rdv: newRendezvousServer(nil, subjects{}, func(string, ...any) {})}
	m.workers["w"] = &worker{info: WorkerInfo{Name: "w", State: StateRunning}}
	m.order = []string{"w"}

	st := stats.New(start, 1)
	st.Recorder(0).Request(stats.Key{Method: "GET", Name: "/"}, time.Millisecond, 10, "")
	st.Tick(start.Add(time.Second))
	enc, err := encodeSnapshot(st.Snapshot(start.Add(time.Second)))
	if err != nil {
		t.Fatal(err)
	}
	msg, err := json.Marshal(statsMsg{Worker: "w", Seq: 1, Final: true, Snap: enc, Answered: true})
	if err != nil {
		t.Fatal(err)
	}
	if m.Answered() {
		t.Fatal("answered before any word from the worker")
	}
	m.onStats(&nats.Msg{Data: msg})
	if !m.Answered() {
		t.Error("the final statistics said the target answered, but the master does not know it")
	}
}
