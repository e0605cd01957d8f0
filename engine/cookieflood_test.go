package engine_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/loadrun/loadrun/engine"
	"github.com/loadrun/loadrun/engine/httpclient"
)

// TestCookieFlood: a server that sets a new cookie on every response. The
// jar keeps the browser limit (50 per site), so the Cookie header a user
// sends, and the work per request, stop growing; before, the jar grew
// without end and each request cost O(n) cookies (60k → 135 req/s).
func TestCookieFlood(t *testing.T) {
	var n atomic.Int64
	var mu sync.Mutex
	maxSent := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		maxSent = max(maxSent, len(r.Cookies()))
		mu.Unlock()
		http.SetCookie(w, &http.Cookie{Name: fmt.Sprintf("c%d", n.Add(1)), Value: "v"})
	}))
	defer srv.Close()
	src := "users:\n  - name: U\n    wait: 0s\n    tasks: [{steps: [{request: {url: /}}]}]\n"
	snap := runToEnd(t, src, srv.URL, 1, 0, engine.Options{Iterations: 400})
	wantAllPassed(t, snap, 400)
	if maxSent != httpclient.MaxCookiesPerDomain {
		t.Errorf("the user sent up to %d cookies, want the limit %d", maxSent, httpclient.MaxCookiesPerDomain)
	}
}
