package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// maxStall bounds /admin/stall, so that no request can hold the target long.
const maxStall = 10 * time.Second

// target is the server whose own measurements are the truth loadrun is
// compared with: /work takes exactly its service time and records how long
// it really took, from the handler's first line to its last.
type target struct {
	service time.Duration
	// spin is how much of the service time is spun rather than slept: the
	// scheduler wakes a sleeper late, and spinning the last stretch makes
	// the service time exact.
	spin  time.Duration
	start time.Time

	// stallUntil is the end of the current stall in ns since start (0: none).
	stallUntil atomic.Int64
	ids        atomic.Int64
	// stalled counts the /work requests that arrived while a stall held.
	stalled atomic.Int64

	mu   sync.Mutex
	hist *hdrhistogram.Histogram // service times in µs, 3 significant digits
}

func newTarget(service, spin time.Duration) *target {
	return &target{service: service, spin: spin, start: time.Now(), hist: newHist()}
}

func newHist() *hdrhistogram.Histogram {
	return hdrhistogram.New(1, int64(time.Hour/time.Microsecond), 3)
}

// handler routes the target's endpoints.
func (tg *target) handler() http.Handler {
	m := http.NewServeMux()
	m.HandleFunc("GET /work", tg.work)
	m.HandleFunc("GET /truth", tg.truth)
	m.HandleFunc("POST /reset", tg.reset)
	m.HandleFunc("POST /admin/stall", tg.stall)
	return m
}

// work holds the request through any stall in force, then serves it in
// exactly the service time, and records the whole time the handler took,
// from its first line to the response written to the socket: a stalled
// request's truth includes its stall.
func (tg *target) work(w http.ResponseWriter, r *http.Request) {
	began := time.Now()
	if until := tg.stallUntil.Load(); until != 0 {
		if left := time.Duration(until - int64(time.Since(tg.start))); left > 0 {
			tg.stalled.Add(1)
			time.Sleep(left)
		}
	}
	preciseSleep(tg.service, tg.spin)
	id := tg.ids.Add(1)
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprintf(w, `{"id":%d,"token":"t%d","user":%s}`, id, id, strconv.Quote(r.URL.Query().Get("u")))
	// The response leaves in the flush, not when the handler returns: the
	// truth ends when the last byte is handed to the kernel.
	if http.NewResponseController(w).Flush() != nil {
		return // the client went away: no service to measure
	}
	took := time.Since(began)
	tg.mu.Lock()
	// Clamped to the histogram's range by the library, so it cannot fail
	// for any time this handler can take.
	_ = tg.hist.RecordValue(max(1, took.Microseconds()))
	tg.mu.Unlock()
}

// preciseSleep waits d: a timer sleep for all but the last spin, then a
// spin on the monotonic clock that yields to other requests.
func preciseSleep(d, spin time.Duration) {
	deadline := time.Now().Add(d)
	if d > spin {
		time.Sleep(d - spin)
	}
	for time.Now().Before(deadline) {
		// The target has one CPU: a spinner that never yields would hold
		// back every other request's wake-up until its own spin ends.
		runtime.Gosched()
	}
}

// Truth is what the target measured, in milliseconds.
type Truth struct {
	Count int64   `json:"count"`
	P50   float64 `json:"p50"`
	P90   float64 `json:"p90"`
	P99   float64 `json:"p99"`
	P999  float64 `json:"p99_9"`
	Max   float64 `json:"max"`
	// Stalled is how many requests arrived while a stall held them.
	Stalled int64 `json:"stalled"`
}

func (tg *target) truth(w http.ResponseWriter, r *http.Request) {
	tg.mu.Lock()
	t := truthOf(tg.hist)
	tg.mu.Unlock()
	t.Stalled = tg.stalled.Load()
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(t)
}

// truthOf summarises a histogram of microseconds.
func truthOf(h *hdrhistogram.Histogram) Truth {
	ms := func(us int64) float64 { return float64(us) / 1000 }
	if h.TotalCount() == 0 {
		return Truth{}
	}
	return Truth{
		Count: h.TotalCount(),
		P50:   ms(h.ValueAtPercentile(50)),
		P90:   ms(h.ValueAtPercentile(90)),
		P99:   ms(h.ValueAtPercentile(99)),
		P999:  ms(h.ValueAtPercentile(99.9)),
		Max:   ms(h.Max()),
	}
}

// reset forgets the measurements and any stall, between cases.
func (tg *target) reset(w http.ResponseWriter, r *http.Request) {
	tg.stallUntil.Store(0)
	tg.stalled.Store(0)
	tg.mu.Lock()
	tg.hist.Reset()
	tg.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

// stall holds every /work request arriving in the next ?ms= milliseconds
// until it ends, as a server pausing for garbage
// collection or a lock would.
func (tg *target) stall(w http.ResponseWriter, r *http.Request) {
	ms, err := strconv.Atoi(r.URL.Query().Get("ms"))
	d := time.Duration(ms) * time.Millisecond
	if err != nil || d <= 0 || d > maxStall {
		http.Error(w, fmt.Sprintf("stall: ms must be 1..%d, not %q", maxStall/time.Millisecond, r.URL.Query().Get("ms")), http.StatusBadRequest)
		return
	}
	tg.stallUntil.Store(int64(time.Since(tg.start) + d))
	w.WriteHeader(http.StatusNoContent)
}
