package demo_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/loadrun/loadrun/demo"
)

// start serves a fresh App on a loopback httptest server for one test.
func start(t testing.TB, opts demo.Options) (*demo.App, *httptest.Server) {
	t.Helper()
	a := demo.New(opts)
	srv := httptest.NewServer(a)
	t.Cleanup(srv.Close)
	return a, srv
}

// client is one browser: its own cookie jar and connections.
type client struct {
	t    testing.TB
	base string
	hc   *http.Client
}

func newClient(t testing.TB, srv *httptest.Server) *client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	return &client{t: t, base: srv.URL, hc: &http.Client{Jar: jar, Transport: tr}}
}

// do sends a request and returns the status, headers and body.
func (c *client) do(method, path, contentType, body string, header ...string) (int, http.Header, string) {
	c.t.Helper()
	req, err := http.NewRequest(method, c.base+path, strings.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatalf("%s %s: reading the body: %v", method, path, err)
	}
	return resp.StatusCode, resp.Header, string(b)
}

func (c *client) get(path string) (int, string) {
	c.t.Helper()
	code, _, body := c.do("GET", path, "", "")
	return code, body
}

func (c *client) postForm(path string, form url.Values, header ...string) (int, http.Header, string) {
	c.t.Helper()
	return c.do("POST", path, "application/x-www-form-urlencoded", form.Encode(), header...)
}

// login posts the form and returns the status and the page's CSRF token.
func (c *client) login(user, password string) (int, string) {
	c.t.Helper()
	code, _, body := c.postForm("/login", url.Values{"username": {user}, "password": {password}})
	return code, csrfOf(body)
}

var csrfField = regexp.MustCompile(`<input type="hidden" name="csrf" value="([^"]+)">`)

// csrfOf extracts the hidden csrf field as a scenario's extractor would.
func csrfOf(page string) string {
	m := csrfField.FindStringSubmatch(page)
	if m == nil {
		return ""
	}
	return m[1]
}

// decode parses a JSON body or fails the test.
func decode[T any](t testing.TB, body string) T {
	t.Helper()
	var v T
	if err := json.Unmarshal([]byte(body), &v); err != nil {
		t.Fatalf("decoding %q: %v", body, err)
	}
	return v
}
