package engine_test

import (
	"bytes"
	"compress/gzip"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/loadrun/loadrun/engine"
)

// TestCompressedBodies: a scenario that asks for compression (as browsers
// do) still extracts from and checks the decoded body; a body that
// decompresses to far more than the cap is decoded only up to the cap.
func TestCompressedBodies(t *testing.T) {
	zip := func(s string) []byte {
		var b bytes.Buffer
		// The fastest level: a quarter of the default's time under -race
		// for 4 MiB of zeros, and still about 5 KB.
		zw, _ := gzip.NewWriterLevel(&b, gzip.BestSpeed)
		zw.Write([]byte(s))
		zw.Close()
		return b.Bytes()
	}
	page := zip(`<html><input name="csrf" value="tok-123"></html>`)
	bomb := zip(strings.Repeat("0", 4<<20) + "TAIL") // 4 MiB of zeros in ~5 KB, past the 1 MiB cap
	var got []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/page", "/bomb":
			if r.Header.Get("Accept-Encoding") != "gzip" {
				t.Errorf("%s: Accept-Encoding %q, want gzip as the scenario says", r.URL.Path, r.Header.Get("Accept-Encoding"))
			}
			w.Header().Set("Content-Encoding", "gzip")
			if r.URL.Path == "/page" {
				w.Write(page)
			} else {
				w.Write(bomb)
			}
		case "/use":
			got = append(got, r.URL.Query().Get("csrf"))
		}
	}))
	defer srv.Close()
	src := `
users:
  - name: U
    wait: {constant: 0s}
    tasks:
      - steps:
          - request:
              url: /page
              headers: {Accept-Encoding: gzip}
              extract: [{var: csrf, regex: 'name="csrf" value="([^"]+)"'}]
              check: [{contains: tok-123}]
          - request: {url: "/use?csrf=${csrf}"}
          - request:
              url: /bomb
              headers: {Accept-Encoding: gzip}
              check: [{not_contains: TAIL}]
`
	snap := runToEnd(t, src, srv.URL, 1, 0, engine.Options{Iterations: 2})
	if snap.Total.Failures != 0 {
		t.Fatalf("failures: %v", errorsOf(snap))
	}
	if len(got) != 2 || got[0] != "tok-123" {
		t.Errorf("server got csrf %q, want tok-123 twice", got)
	}
	if e := entry(t, snap, "GET", "/bomb"); e.ContentBytes != 2*int64(len(bomb)) {
		t.Errorf("bomb content bytes: got %d, want %d (as received, compressed)", e.ContentBytes, 2*len(bomb))
	}
}
