package engine_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
	"github.com/loadrun/loadrun/engine"
	"github.com/loadrun/loadrun/stats"
)

// phasesScenario requests /slow (the handler sleeps 20 ms before it
// answers), /small and /large (the body comes in four flushed chunks 5 ms
// apart) in every iteration.
const phasesScenario = `
name: phases
users:
  - name: u
    wait: 0s
    tasks:
      - name: t
        steps:
          - request: {url: /slow}
          - request: {url: /small}
          - request: {url: /large}
`

const (
	handlerSleep = 20 * time.Millisecond
	chunkGap     = 5 * time.Millisecond
	chunks       = 4
)

// phasesHandler serves phasesScenario's three paths.
func phasesHandler(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/slow":
		time.Sleep(handlerSleep)
		w.Write([]byte("slept"))
	case "/large":
		chunk := []byte(strings.Repeat("x", 64<<10))
		for i := range chunks {
			if i > 0 {
				time.Sleep(chunkGap)
			}
			w.Write(chunk)
			w.(http.Flusher).Flush()
		}
	default:
		w.Write([]byte("small"))
	}
}

// phaseOf finds the phase row of GET path.
func phaseOf(t *testing.T, s *stats.Snapshot, path string) *stats.PhaseEntry {
	t.Helper()
	for _, p := range s.Phases {
		if p.Key == (stats.Key{Method: "GET", Name: path}) {
			return p
		}
	}
	t.Fatalf("no phase row GET %s in %d rows", path, len(s.Phases))
	return nil
}

// median is a phase histogram's 50th percentile (highest equivalent
// value: never below the true median).
func median(h *hdrhistogram.PackedHistogram) time.Duration {
	return time.Duration(h.ValueAtPercentile(50)) * time.Microsecond
}

// TestPhasesOnRealServers runs the scenario over plain HTTP and over TLS
// with keep-alive: each user connects (and shakes hands) once, wait covers
// the handler's sleep, and a body that takes longer to arrive takes longer
// to download.
func TestPhasesOnRealServers(t *testing.T) {
	const users, iterations = 3, 12
	tests := []struct {
		name string
		tls  bool
	}{
		// Plain HTTP: connects, no handshakes.
		{"http", false},
		// HTTPS: as many handshakes as connections.
		{"https", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewUnstartedServer(http.HandlerFunc(phasesHandler))
			// What the server accepted is the truth the engine's count is held to.
			conns := connCounter(srv)
			if tt.tls {
				srv.StartTLS()
			} else {
				srv.Start()
			}
			defer srv.Close()
			snap := runToEnd(t, phasesScenario, srv.URL, users, 0,
				engine.Options{Iterations: iterations, Phases: true, Insecure: true, Timeout: 10 * time.Second})
			if snap.Total.Failures != 0 {
				t.Fatalf("%d failures: %v", snap.Total.Failures, errorsOf(snap))
			}
			if len(snap.Phases) != 3 {
				t.Fatalf("%d phase rows, want 3 (one per request)", len(snap.Phases))
			}
			all := snap.PhasesTotal()
			wantHandshakes := int64(0)
			if tt.tls {
				wantHandshakes = conns.Load()
			}
			// Keep-alive: one connection per user that ran, and the engine
			// counted exactly the connections the server accepted.
			if all.Conns != conns.Load() || all.Conns < 1 || all.Conns > users {
				t.Errorf("Conns = %d, server accepted %d, want equal and 1..%d", all.Conns, conns.Load(), users)
			}
			if all.Handshakes != wantHandshakes || all.TLS.TotalCount() != wantHandshakes {
				t.Errorf("Handshakes = %d (%d samples), want %d", all.Handshakes, all.TLS.TotalCount(), wantHandshakes)
			}
			if all.Connect.TotalCount() != all.Conns {
				t.Errorf("%d connect samples, want one per connection (%d)", all.Connect.TotalCount(), all.Conns)
			}
			for _, p := range snap.Phases {
				e := entry(t, snap, p.Method, p.Name)
				if p.Requests != e.Requests || p.Wait.TotalCount() != e.Requests || p.Download.TotalCount() != e.Requests {
					t.Errorf("%s: %d timed, %d wait and %d download samples, want %d (every request)",
						p.Key, p.Requests, p.Wait.TotalCount(), p.Download.TotalCount(), e.Requests)
				}
			}
			// Generous upper bounds: a loaded 2-core machine under -race
			// may be slow, never faster than the server's sleeps.
			slow := phaseOf(t, snap, "/slow")
			if got := median(slow.Wait); got < handlerSleep || got > handlerSleep+time.Second {
				t.Errorf("/slow wait p50 = %v, want the handler's %v (+ at most 1s)", got, handlerSleep)
			}
			// The body comes in the segment of the first byte: none of the
			// sleep may be counted as download.
			if got := median(slow.Download); got >= handlerSleep {
				t.Errorf("/slow download p50 = %v, want far below the handler's %v sleep", got, handlerSleep)
			}
			small, large := phaseOf(t, snap, "/small"), phaseOf(t, snap, "/large")
			minLarge := (chunks - 1) * chunkGap
			if got := median(large.Download); got < minLarge {
				t.Errorf("/large download p50 = %v, want at least %v (%d gaps of %v after the first byte)",
					got, minLarge, chunks-1, chunkGap)
			}
			if s, l := median(small.Download), median(large.Download); s >= l {
				t.Errorf("download p50: /small %v, /large %v, want /small faster", s, l)
			}
		})
	}
}

// TestPhasesOffOrFailed: a run without Options.Phases records no phases,
// and with them a request that got no response records none either (its
// phases are not complete), while it still counts as a failure.
func TestPhasesOffOrFailed(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(phasesHandler))
	defer srv.Close()
	refused := httptest.NewServer(http.NotFoundHandler())
	refused.Close() // nothing listens on its address any more
	tests := []struct {
		name         string
		host         string
		phases       bool
		wantFailures bool
	}{
		// Phases off: the rows are there, the phases are not.
		{"off", srv.URL, false, false},
		// Phases on but the connection is refused: no response, no phases.
		{"refused", refused.URL, true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			snap := runToEnd(t, phasesScenario, tt.host, 1, 0,
				engine.Options{Iterations: 2, Phases: tt.phases, Timeout: 5 * time.Second})
			if snap.Total.Requests != 6 {
				t.Errorf("%d requests, want 6", snap.Total.Requests)
			}
			if got := snap.Total.Failures > 0; got != tt.wantFailures {
				t.Errorf("failures = %d, want failures %v", snap.Total.Failures, tt.wantFailures)
			}
			if len(snap.Phases) != 0 {
				t.Errorf("%d phase rows, want none", len(snap.Phases))
			}
		})
	}
}

// TestPhasesAddUpOverRedirects follows a redirect to /slow: the request's
// wait covers the sleep of the hop it was redirected to.
func TestPhasesAddUpOverRedirects(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/go" {
			http.Redirect(w, r, "/slow", http.StatusFound)
			return
		}
		phasesHandler(w, r)
	}))
	defer srv.Close()
	const src = `
name: redirect
users:
  - name: u
    wait: 0s
    tasks:
      - name: t
        steps:
          - request: {url: /go}
`
	snap := runToEnd(t, src, srv.URL, 1, 0, engine.Options{Iterations: 3, Phases: true, Timeout: 10 * time.Second})
	p := phaseOf(t, snap, "/go")
	if p.Requests != 3 || p.Conns != 1 {
		t.Errorf("requests, conns = %d, %d, want 3 timed over 1 kept-alive connection", p.Requests, p.Conns)
	}
	if got := median(p.Wait); got < handlerSleep {
		t.Errorf("wait p50 = %v, want at least the redirected hop's %v", got, handlerSleep)
	}
}
