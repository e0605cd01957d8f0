package extractors

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
	cookies map[string]string
	body    []byte
	elapsed time.Duration
}

func (c *canned) StatusCode() int                   { return c.status }
func (c *canned) HeaderValues(name string) []string { return c.header.Values(name) }
func (c *canned) Body() []byte                      { return c.body }
func (c *canned) Elapsed() time.Duration            { return c.elapsed }
func (c *canned) Cookie(name string) (string, bool) {
	v, ok := c.cookies[name]
	return v, ok
}

// httpResponse adapts a net/http response fetched from an httptest server.
type httpResponse struct {
	resp    *http.Response
	body    []byte
	elapsed time.Duration
}

func (h *httpResponse) StatusCode() int                   { return h.resp.StatusCode }
func (h *httpResponse) HeaderValues(name string) []string { return h.resp.Header.Values(name) }
func (h *httpResponse) Body() []byte                      { return h.body }
func (h *httpResponse) Elapsed() time.Duration            { return h.elapsed }
func (h *httpResponse) Cookie(name string) (string, bool) {
	for _, c := range h.resp.Cookies() {
		if c.Name == name {
			return c.Value, true
		}
	}
	return "", false
}

// fetch GETs url and keeps the whole body.
func fetch(t testing.TB, url string) *httpResponse {
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
	return &httpResponse{resp: resp, body: body, elapsed: time.Since(start)}
}

func readFile(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// htmlPage is the ~5 KB order page in testdata, served as text/html.
func htmlPage(t testing.TB) *canned {
	return &canned{
		status: 200,
		header: http.Header{"Content-Type": {"text/html; charset=utf-8"}},
		body:   readFile(t, "testdata/page.html"),
	}
}

// jsonDoc is the ~2 KB item list in testdata, served as application/json.
func jsonDoc(t testing.TB) *canned {
	return &canned{
		status: 200,
		header: http.Header{"Content-Type": {"application/json"}},
		body:   readFile(t, "testdata/items.json"),
	}
}
