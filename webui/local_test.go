package webui

import (
	"testing"
	"time"

	"github.com/loadrun/loadrun/stats"
)

// poolScenario draws from a unique-once pool until it runs out (each user
// then stops by itself, ending the run) and from a unique-recycle pool.
const poolScenario = `
name: pools
host: http://127.0.0.1:1
data:
  ids: {rows: [{id: "1"}, {id: "2"}, {id: "3"}, {id: "4"}, {id: "5"}], mode: unique-once}
  seats: {rows: [{n: a}, {n: b}], mode: unique-recycle}
  pages: {rows: [{p: /}], mode: cycle}
users:
  - name: Buyer
    wait: {constant: 10ms}
    tasks:
      - name: buy
        steps:
          - use: seats
          - use: pages
          - use: ids
          - request: {url: "/?id=${ids.id}&seat=${seats.n}", name: buy}
`

// waitDone waits for the controller's run to end by itself.
func waitDone(t *testing.T, l *Local) {
	t.Helper()
	select {
	case <-l.Session().Done():
	case <-time.After(30 * time.Second):
		t.Fatalf("the run did not end by itself: %+v", l.Status())
	}
	l.Session().Result()
}

// TestLocalPools: the Data pools tab counts rows drawn, left and held, per
// run; a second run starts with fresh pools.
func TestLocalPools(t *testing.T) {
	target, _ := demoTarget(t)
	l := newLocal(t, poolScenario, target)
	want := map[string]PoolStatus{
		"ids":   {Name: "ids", Mode: "unique-once", Rows: 5, Drawn: 5, Left: 0, InUse: 0, Exhausted: 2},
		"seats": {Name: "seats", Mode: "unique-recycle", Rows: 2, Drawn: 7, Left: 2, InUse: 0},
		"pages": {Name: "pages", Mode: "cycle", Rows: 1, Drawn: 7, Left: -1},
	}
	for run, p := range []Params{
		{Users: 2, SpawnRate: 0},                               // the session compiled at start
		{Users: 2, SpawnRate: 0},                               // its second run: pools opened again
		{Users: 2, SpawnRate: 0, Host: "http://" + target[7:]}, // same host written again: same session
		{Users: 2, SpawnRate: 0, RunTime: time.Minute},         // a new session for another run time
	} {
		if err := l.Start(p); err != nil {
			t.Fatalf("run %d: %v", run, err)
		}
		waitDone(t, l)
		_, snap := l.Report()
		if e := snap.Entry(stats.Key{Method: "GET", Name: "buy"}); e == nil || e.Requests != 5 {
			t.Fatalf("run %d: %+v requests named buy, want 5 (one per id)", run, e)
		}
		got := l.Pools()
		if len(got) != 3 {
			t.Fatalf("run %d: %d pools: %+v", run, len(got), got)
		}
		for _, p := range got {
			w := want[p.Name]
			// Each of the 2 users draws seats and pages once more before
			// the draw of ids that finds none left.
			if p != w {
				t.Errorf("run %d: pool %s: %+v, want %+v", run, p.Name, p, w)
			}
		}
	}
}
