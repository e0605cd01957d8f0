package stats

import (
	"fmt"
	"testing"
	"time"
)

// TestNamesBounded: a scenario that names requests after their data must
// not grow the statistics without bound; rows past MaxNames are counted,
// per method, under OtherNames, and no request is lost.
func TestNamesBounded(t *testing.T) {
	s := New(time.Unix(0, 0), 4)
	const n = MaxNames + 50
	for i := range n {
		r := s.Recorder(i)
		r.Request(Key{Method: "GET", Name: fmt.Sprintf("/item/%d", i)}, time.Millisecond, 10, "")
		r.Phases(Key{Method: "GET", Name: fmt.Sprintf("/item/%d", i)}, PhaseTimes{Wait: time.Millisecond})
	}
	// A name seen before the bound keeps its own row in every shard.
	s.Recorder(1).Request(Key{Method: "GET", Name: "/item/0"}, time.Millisecond, 10, "")
	snap := s.Snapshot(time.Unix(10, 0))
	if got, want := len(snap.Entries), MaxNames+1; got != want {
		t.Fatalf("rows: got %d, want %d (MaxNames plus the overflow row)", got, want)
	}
	other := snap.Entry(Key{Method: "GET", Name: OtherNames})
	if other == nil || other.Requests != 50 {
		t.Fatalf("overflow row: got %+v, want 50 requests", other)
	}
	if e := snap.Entry(Key{Method: "GET", Name: "/item/0"}); e == nil || e.Requests != 2 {
		t.Errorf("/item/0: got %+v, want its own row with 2 requests", e)
	}
	if snap.Total.Requests != n+1 {
		t.Errorf("total: got %d, want %d", snap.Total.Requests, n+1)
	}
	if got := len(snap.Phases); got != MaxNames+1 {
		t.Errorf("phase rows: got %d, want %d", got, MaxNames+1)
	}
}
