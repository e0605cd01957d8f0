package checks

import (
	"io"
	"net/http"
	"os"
	"testing"
	"time"
)

// canned is a Response built by hand, for pure tests on fixed bodies.
type canned struct {
	status  int
	header  http.Header
	body    []byte
	elapsed time.Duration
}

func (c *canned) StatusCode() int                   { return c.status }
func (c *canned) HeaderValues(name string) []string { return c.header.Values(name) }
func (c *canned) Cookie(string) (string, bool)      { return "", false }
func (c *canned) Body() []byte                      { return c.body }
func (c *canned) Elapsed() time.Duration            { return c.elapsed }

// fetch GETs url from a local test server and keeps the whole body.
func fetch(t testing.TB, url string) *canned {
	t.Helper()
	start := time.Now()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return &canned{status: resp.StatusCode, header: resp.Header, body: body, elapsed: time.Since(start)}
}

func readFile(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// sharedTestdata holds the canned page and JSON document that the
// extractors tests use too: checks and extractors read the same bodies.
const sharedTestdata = "../extractors/testdata/"

// htmlPage is the ~5 KB order page in testdata.
func htmlPage(t testing.TB) *canned {
	return &canned{
		status:  200,
		header:  http.Header{"Content-Type": {"text/html; charset=utf-8"}, "X-Trace": {"a", "b"}},
		body:    readFile(t, sharedTestdata+"page.html"),
		elapsed: 120 * time.Millisecond,
	}
}

// jsonDoc is the ~2 KB item list in testdata.
func jsonDoc(t testing.TB) *canned {
	return &canned{
		status:  200,
		header:  http.Header{"Content-Type": {"application/json"}},
		body:    readFile(t, sharedTestdata+"items.json"),
		elapsed: 35 * time.Millisecond,
	}
}
