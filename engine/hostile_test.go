package engine_test

import (
	"fmt"
	"net"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/loadrun/loadrun/engine"
)

// hostileServer answers each path with a differently broken response,
// varying its bytes with a counter so that a failure text that quotes
// them would make a new row every time.
func hostileServer(t *testing.T) string {
	t.Helper()
	var n atomic.Int64
	return "http://" + rawServer(t, func(c net.Conn, path string) {
		i := n.Add(1)
		switch path {
		case "/chunk-stall":
			fmt.Fprintf(c, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n")
			time.Sleep(2 * time.Second)
		case "/chunk-stall-mid":
			fmt.Fprintf(c, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n64\r\nhello")
			time.Sleep(2 * time.Second)
		case "/bad-status":
			fmt.Fprintf(c, "HTTP/1.1 2x%d OK\r\nContent-Length: 0\r\n\r\n", i)
		case "/bad-status-line":
			fmt.Fprintf(c, "HTTP/1.1%d\r\nContent-Length: 0\r\n\r\n", i)
		case "/bad-header":
			fmt.Fprintf(c, "HTTP/1.1 200 OK\r\nBogus header line %d\r\nContent-Length: 0\r\n\r\n", i)
		case "/bad-length":
			fmt.Fprintf(c, "HTTP/1.1 200 OK\r\nContent-Length: x%d\r\n\r\n", i)
		case "/bad-chunk":
			fmt.Fprintf(c, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz%d\r\nhello\r\n0\r\n\r\n", i)
		case "/short-body":
			fmt.Fprintf(c, "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\nonly %d bytes", i)
		case "/huge-header":
			fmt.Fprintf(c, "HTTP/1.1 200 OK\r\nX-Big: %s%d\r\nContent-Length: 0\r\n\r\n", strings.Repeat("b", 70<<10), i)
		}
	})
}

// TestFailureTextsOneRowPerKind: each kind of broken answer is one row of
// the failures table however many times it happens, from however many
// connections and with whatever bytes: no addresses, ports, byte dumps or
// varying values in the text (a chunked-body timeout was one row per client
// port, a malformed status line one row per value).
func TestFailureTextsOneRowPerKind(t *testing.T) {
	base := hostileServer(t)
	kinds := []string{"chunk-stall", "chunk-stall-mid", "bad-status", "bad-status-line", "bad-header", "bad-length", "bad-chunk", "short-body", "huge-header"}
	var steps strings.Builder
	for _, k := range kinds {
		fmt.Fprintf(&steps, "          - request: {url: /%s, name: %s, timeout: 300ms}\n", k, k)
	}
	src := "users:\n  - name: U\n    wait: 0s\n    tasks:\n      - steps:\n" + steps.String()
	// 4 users take one iteration each, at once: the two stalls of each
	// wait out their 300 ms timeout in parallel with the other users'.
	const iters = 4
	snap := runToEnd(t, src, base, iters, 0, engine.Options{Iterations: iters})
	digits := regexp.MustCompile(`\d{2,}|\d+\.\d+\.\d+|:\d+`)
	for _, k := range kinds {
		var texts []string
		var count int64
		for _, e := range snap.Errors {
			if e.Name == k {
				texts = append(texts, e.Error)
				count += e.Count
			}
		}
		if len(texts) != 1 || count != iters {
			t.Errorf("%s: %d failures in %d rows %q, want %d in one row", k, count, len(texts), texts, iters)
			continue
		}
		if m := digits.FindString(strings.ReplaceAll(texts[0], "300ms", "")); m != "" || len(texts[0]) > 120 {
			t.Errorf("%s: failure text %q carries a varying value (%q) or a dump", k, texts[0], m)
		}
		t.Logf("%-16s %s", k, texts[0])
	}
}
