package engine_test

import (
	"sync"
	"testing"

	"github.com/loadrun/loadrun/engine"
)

// traces keeps every RequestTrace of a run.
type traces struct {
	mu  sync.Mutex
	all []*engine.RequestTrace
}

func (tr *traces) Request(_ int, t *engine.RequestTrace) {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	tr.all = append(tr.all, t)
}
func (tr *traces) Set(int, string, any) {}
func (tr *traces) Log(int, string)      {}

// TestTraceShowsTheWire: the debug view lists the request's header fields
// as they went on the wire: the Cookie header once (it was shown joined and
// then once per cookie), the same text go-httpbin received. The cookies are
// set by two requests: go-httpbin's /cookies/set writes its Set-Cookie fields
// in Go map order, and the jar sends cookies of the same path in creation
// order (RFC 6265 §5.4), so one response setting both would make the order
// random.
func TestTraceShowsTheWire(t *testing.T) {
	base := startHTTPBin(t)
	src := `
users:
  - name: U
    tasks:
      - steps:
          - request: {url: "/cookies/set?a=1", follow_redirects: false}
          - request: {url: "/cookies/set?b=2", follow_redirects: false}
          - request:
              url: /headers
              headers: {X-Test: yes}
              extract:
                - {var: echoed, jsonpath: "$.headers.Cookie[0]"}
              check:
                - jsonpath: "$.headers.Cookie[0]"
                  equals: "a=1; b=2"
`
	tr := &traces{}
	snap := runToEnd(t, src, base, 1, 0, engine.Options{Iterations: 1, Tracer: tr})
	wantAllPassed(t, snap, 3)
	if len(tr.all) != 3 {
		t.Fatalf("%d traces, want 3", len(tr.all))
	}
	var cookies []string
	xtest := 0
	for _, h := range tr.all[2].Header {
		switch h[0] {
		case "Cookie":
			cookies = append(cookies, h[1])
		case "X-Test":
			xtest++
		}
	}
	if len(cookies) != 1 || cookies[0] != "a=1; b=2" || xtest != 1 {
		t.Errorf("trace shows Cookie %q and X-Test %d times, want one Cookie \"a=1; b=2\" and one X-Test; all: %v", cookies, xtest, tr.all[2].Header)
	}
}
