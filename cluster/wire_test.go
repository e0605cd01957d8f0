package cluster

import (
	"bytes"
	"reflect"
	"testing"
	"time"

	"github.com/loadrun/loadrun/stats"
)

// sampleSnapshot records one of everything a snapshot can hold.
func sampleSnapshot(t testing.TB, start time.Time, n int) *stats.Snapshot {
	t.Helper()
	st := stats.New(start, 2)
	for i := range n {
		rec := st.Recorder(i)
		k := stats.Key{Method: "GET", Name: "/items"}
		rec.Request(k, time.Duration(i+1)*time.Millisecond, 100, "")
		if i%3 == 0 {
			rec.Request(stats.Key{Method: "POST", Name: "/cart"}, 7*time.Millisecond, 10, "HTTP 500")
		}
		rec.Unsent(stats.Key{Method: "POOL", Name: "accounts"}, "no free row")
		rec.Check(k, "status 200", i%2 == 0)
		rec.Pacing("browse", time.Duration(i)*time.Millisecond, i%4 == 0)
		rec.Phases(k, stats.PhaseTimes{Connect: time.Millisecond, Send: time.Microsecond, Wait: 2 * time.Millisecond, Download: 3 * time.Microsecond, NewConn: true})
	}
	st.Rendezvous("buy", 3, stats.ReleaseByCount, []time.Duration{time.Millisecond, 2 * time.Millisecond, 3 * time.Millisecond})
	st.SetUsers(n)
	st.SetCPU(42)
	st.Tick(start.Add(time.Second))
	return st.Snapshot(start.Add(1500 * time.Millisecond))
}

func TestSnapshotWireRoundTrip(t *testing.T) {
	s := sampleSnapshot(t, time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC), 20)
	b, err := encodeSnapshot(s)
	if err != nil {
		t.Fatal(err)
	}
	got, err := decodeSnapshot(b)
	if err != nil {
		t.Fatal(err)
	}
	// Histograms compare by content; everything else must be equal as it is.
	var c histCodec
	encoded := map[string][2][]byte{"total": {c.enc(got.Total.Hist), c.enc(s.Total.Hist)}}
	for i := range s.Entries {
		encoded["entry "+s.Entries[i].Name] = [2][]byte{c.enc(got.Entries[i].Hist), c.enc(s.Entries[i].Hist)}
		got.Entries[i].Hist, s.Entries[i].Hist = nil, nil
	}
	got.Total.Hist, s.Total.Hist = nil, nil
	for i := range s.Rendezvous {
		g, w := got.Rendezvous[i], s.Rendezvous[i]
		encoded["sizes"] = [2][]byte{c.enc(g.Sizes), c.enc(w.Sizes)}
		encoded["wait"] = [2][]byte{c.enc(g.Wait), c.enc(w.Wait)}
		g.Sizes, w.Sizes, g.Wait, w.Wait = nil, nil, nil, nil
	}
	for i := range s.Pacing {
		encoded["lateness"] = [2][]byte{c.enc(got.Pacing[i].Lateness), c.enc(s.Pacing[i].Lateness)}
		got.Pacing[i].Lateness, s.Pacing[i].Lateness = nil, nil
	}
	for i := range s.Phases {
		g, w := got.Phases[i], s.Phases[i]
		encoded["connect"] = [2][]byte{c.enc(g.Connect), c.enc(w.Connect)}
		encoded["phase wait"] = [2][]byte{c.enc(g.Wait), c.enc(w.Wait)}
		g.Connect, w.Connect, g.TLS, w.TLS, g.Send, w.Send, g.Wait, w.Wait, g.Download, w.Download = nil, nil, nil, nil, nil, nil, nil, nil, nil, nil
	}
	if c.err != nil {
		t.Fatal(c.err)
	}
	for name, pair := range encoded {
		if len(pair[0]) == 0 || !bytes.Equal(pair[0], pair[1]) {
			t.Errorf("%s histogram differs after the round trip", name)
		}
	}
	// Times lose only their monotonic reading.
	for _, x := range []*stats.Snapshot{s, got} {
		x.Start, x.Time = x.Start.Round(0), x.Time.Round(0)
		for i := range x.History {
			x.History[i].Time = x.History[i].Time.Round(0)
		}
	}
	if !reflect.DeepEqual(got, s) {
		t.Errorf("round trip changed the snapshot:\n got %+v\nwant %+v", got, s)
	}
	if len(s.Entries) == 0 || len(s.Errors) == 0 || len(s.Checks) == 0 || len(s.Rendezvous) == 0 || len(s.Pacing) == 0 || len(s.Phases) == 0 || len(s.History) == 0 {
		t.Fatal("the sample lacks a part of the snapshot; the test would prove nothing about it")
	}
}

func TestDecodeSnapshotErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   string
	}{
		// Not JSON at all.
		{"garbage", "not json"},
		// A histogram that is not an HdrHistogram encoding.
		{"bad histogram", `{"Entries":[{"Name":"x","Hist":"AAAA"}]}`},
	} {
		if _, err := decodeSnapshot([]byte(tc.in)); err == nil {
			t.Errorf("%s: no error", tc.name)
		}
	}
}
