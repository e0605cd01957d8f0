package engine_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/loadrun/loadrun/engine"
)

// TestCrossOriginRedirectDropsCredentials: a redirect to another origin
// (another host, port or scheme) carries none of Authorization,
// Proxy-Authorization, Cookie or the custom header fields the scenario set
// (they may be credentials: a Basic password and a Bearer token reached
// the other origin before); harmless fields go on, and a redirect within
// the origin keeps everything.
func TestCrossOriginRedirectDropsCredentials(t *testing.T) {
	var mu sync.Mutex
	seen := map[string]http.Header{} // by "server path"
	record := func(name string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			seen[name+" "+r.URL.Path] = r.Header.Clone()
			mu.Unlock()
		}
	}
	other := httptest.NewServer(record("other"))
	defer other.Close()
	// The other origin by name (localhost), so the jar's 127.0.0.1 cookies
	// are not the user's cookies there either.
	otherURL := strings.Replace(other.URL, "127.0.0.1", "localhost", 1)
	mux := http.NewServeMux()
	mux.HandleFunc("/away", func(w http.ResponseWriter, r *http.Request) {
		http.SetCookie(w, &http.Cookie{Name: "sid", Value: "secret-session"})
		http.Redirect(w, r, otherURL+"/landing", http.StatusFound)
	})
	mux.HandleFunc("/away-307", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, otherURL+"/landing-307", http.StatusTemporaryRedirect)
	})
	mux.HandleFunc("/near", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/landing", http.StatusFound)
	})
	mux.HandleFunc("/landing", record("same"))
	same := httptest.NewServer(mux)
	defer same.Close()
	src := `
users:
  - name: U
    tasks:
      - steps:
          - request:
              url: /away
              headers: &creds
                Authorization: Basic dXNlcjpwYXNz
                Proxy-Authorization: Basic cHJveHk6cGFzcw==
                X-Api-Key: k-123
                X-Auth-Token: Bearer tok
                Cookie: manual=1
                Accept: application/json
                Accept-Language: fr
          - request: {method: POST, url: /away-307, headers: *creds, json: {a: 1}}
          - request: {url: /near, headers: *creds}
`
	snap := runToEnd(t, src, same.URL, 1, 0, engine.Options{Iterations: 1})
	wantAllPassed(t, snap, 3)
	mu.Lock()
	defer mu.Unlock()
	for _, key := range []string{"other /landing", "other /landing-307"} {
		h := seen[key]
		if h == nil {
			t.Fatalf("%s was not reached: %v", key, seen)
		}
		for _, name := range []string{"Authorization", "Proxy-Authorization", "X-Api-Key", "X-Auth-Token", "Cookie"} {
			if v := h.Get(name); v != "" {
				t.Errorf("%s: %s: %q reached the other origin", key, name, v)
			}
		}
		if h.Get("Accept") != "application/json" || h.Get("Accept-Language") != "fr" {
			t.Errorf("%s: harmless fields lost: %v", key, h)
		}
	}
	if ct := seen["other /landing-307"].Get("Content-Type"); ct != "application/json" {
		t.Errorf("a 307 keeps its body and its Content-Type, got %q", ct)
	}
	h := seen["same /landing"]
	if h.Get("Authorization") == "" || h.Get("X-Api-Key") != "k-123" || !strings.Contains(h.Get("Cookie"), "sid=secret-session") {
		t.Errorf("a same-origin redirect lost fields: %v", h)
	}
}
