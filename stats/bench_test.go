package stats

import (
	"fmt"
	"runtime"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkRequest records from one goroutine, the per-request cost.
func BenchmarkRequest(b *testing.B) {
	s := New(t0, 8)
	r := s.Recorder(0)
	k := Key{Method: "GET", Name: "/api/items"}
	r.Request(k, time.Millisecond, 100, "")
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		r.Request(k, time.Duration(i&0xffff)*time.Microsecond, 100, "")
	}
}

// BenchmarkRequestFailure records failures, which also count in Errors.
func BenchmarkRequestFailure(b *testing.B) {
	s := New(t0, 8)
	r := s.Recorder(0)
	k := Key{Method: "GET", Name: "/api/items"}
	r.Request(k, time.Millisecond, 100, "HTTP 500")
	b.ReportAllocs()
	for b.Loop() {
		r.Request(k, time.Millisecond, 100, "HTTP 500")
	}
}

// BenchmarkRequestParallel records from GOMAXPROCS goroutines, each a user
// with its own shard as the engine does (shards = 4×GOMAXPROCS).
func BenchmarkRequestParallel(b *testing.B) {
	s := New(t0, 4*runtime.GOMAXPROCS(0))
	keys := make([]Key, 20)
	for i := range keys {
		keys[i] = Key{Method: "GET", Name: fmt.Sprintf("/api/%d", i)}
	}
	var users atomic.Int64
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		u := int(users.Add(1))
		r := s.Recorder(u)
		i := 0
		for pb.Next() {
			i++
			r.Request(keys[i%len(keys)], time.Duration(i&0xffff)*time.Microsecond, 100, "")
		}
	})
}

// BenchmarkSnapshot merges 20 names × 8 shards, as a console refresh does.
func BenchmarkSnapshot(b *testing.B) {
	s := New(t0, 8)
	for u := range 8 {
		r := s.Recorder(u)
		for i := range 20 {
			k := Key{Method: "GET", Name: fmt.Sprintf("/api/%d", i)}
			for j := range 1000 {
				r.Request(k, time.Duration(j*97+u)*time.Microsecond, 100, "")
			}
		}
	}
	s.Tick(t0.Add(time.Second))
	b.ReportAllocs()
	for b.Loop() {
		s.Snapshot(t0.Add(time.Second))
	}
}

// BenchmarkTick closes one second of 20 names × 8 shards.
func BenchmarkTick(b *testing.B) {
	s := New(t0, 8)
	keys := make([]Key, 20)
	for i := range keys {
		keys[i] = Key{Method: "GET", Name: fmt.Sprintf("/api/%d", i)}
	}
	now := t0
	b.ReportAllocs()
	for b.Loop() {
		for u := range 8 {
			s.Recorder(u).Request(keys[u], time.Millisecond, 0, "")
		}
		now = now.Add(time.Second)
		s.Tick(now)
	}
}
