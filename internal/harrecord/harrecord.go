// Package harrecord records HTTP exchanges made through an http.Client
// into a HAR 1.2 document, as a browser's developer tools save them. Tests
// use it to record real sessions against the demo target and feed them to
// `loadrun import har`.
package harrecord

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// Recorder is an http.RoundTripper that records every exchange it carries.
// It is safe for concurrent use.
type Recorder struct {
	// Transport sends the requests (nil: http.DefaultTransport).
	Transport http.RoundTripper
	// Now is the clock (nil: time.Now).
	Now func() time.Time

	mu      sync.Mutex
	entries []entry
}

// RoundTrip sends req and records it with its response. Bodies are read
// whole (the recorder is for tests and small sessions).
func (r *Recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	now := time.Now
	if r.Now != nil {
		now = r.Now
	}
	tr := r.Transport
	if tr == nil {
		tr = http.DefaultTransport
	}
	var reqBody []byte
	if req.Body != nil {
		b, err := io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return nil, err
		}
		reqBody = b
		req.Body = io.NopCloser(bytes.NewReader(b))
	}
	start := now()
	resp, err := tr.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	e := entry{
		StartedDateTime: start.UTC().Format("2006-01-02T15:04:05.000Z"),
		Time:            float64(now().Sub(start).Microseconds()) / 1000,
		Request: request{
			Method: req.Method, URL: req.URL.String(), HTTPVersion: "HTTP/1.1",
			Headers: requestHeaders(req), QueryString: query(req),
			Cookies: []nv{}, HeadersSize: -1, BodySize: len(reqBody),
		},
		Response: response{
			Status: resp.StatusCode, StatusText: http.StatusText(resp.StatusCode), HTTPVersion: "HTTP/1.1",
			Headers: headerList(resp.Header), Cookies: []nv{},
			RedirectURL: resp.Header.Get("Location"), HeadersSize: -1, BodySize: len(body),
			Content: content{Size: len(body), MimeType: resp.Header.Get("Content-Type")},
		},
		Cache:   struct{}{},
		Timings: timings{Send: 0, Wait: float64(now().Sub(start).Microseconds()) / 1000, Receive: 0},
	}
	if reqBody != nil {
		e.Request.PostData = &postData{MimeType: req.Header.Get("Content-Type"), Text: string(reqBody)}
	}
	if utf8.Valid(body) {
		e.Response.Content.Text = string(body)
	} else {
		e.Response.Content.Text = base64.StdEncoding.EncodeToString(body)
		e.Response.Content.Encoding = "base64"
	}
	r.mu.Lock()
	r.entries = append(r.entries, e)
	r.mu.Unlock()
	return resp, nil
}

// WriteHAR writes what was recorded as a HAR 1.2 document.
func (r *Recorder) WriteHAR(w io.Writer) error {
	r.mu.Lock()
	doc := har{Log: log{Version: "1.2", Creator: creator{Name: "loadrun harrecord", Version: "1"},
		Pages: []struct{}{}, Entries: append([]entry{}, r.entries...)}}
	r.mu.Unlock()
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(doc)
}

// requestHeaders lists the headers as sent, with Host and the cookies the
// client's jar added.
func requestHeaders(req *http.Request) []nv {
	hs := headerList(req.Header)
	hs = append([]nv{{"Host", req.Host}}, hs...)
	if req.Host == "" {
		hs[0].Value = req.URL.Host
	}
	return hs
}

func headerList(h http.Header) []nv {
	names := make([]string, 0, len(h))
	for k := range h {
		names = append(names, k)
	}
	sort.Strings(names)
	var out []nv
	for _, k := range names {
		for _, v := range h[k] {
			out = append(out, nv{k, v})
		}
	}
	if out == nil {
		out = []nv{}
	}
	return out
}

func query(req *http.Request) []nv {
	out := []nv{}
	for _, part := range strings.Split(req.URL.RawQuery, "&") {
		if part == "" {
			continue
		}
		k, v, _ := strings.Cut(part, "=")
		out = append(out, nv{k, v})
	}
	return out
}

// The HAR 1.2 document (http://www.softwareishard.com/blog/har-12-spec/).
type (
	har struct {
		Log log `json:"log"`
	}
	log struct {
		Version string     `json:"version"`
		Creator creator    `json:"creator"`
		Pages   []struct{} `json:"pages"`
		Entries []entry    `json:"entries"`
	}
	creator struct {
		Name    string `json:"name"`
		Version string `json:"version"`
	}
	entry struct {
		StartedDateTime string   `json:"startedDateTime"`
		Time            float64  `json:"time"`
		Request         request  `json:"request"`
		Response        response `json:"response"`
		Cache           struct{} `json:"cache"`
		Timings         timings  `json:"timings"`
	}
	request struct {
		Method      string    `json:"method"`
		URL         string    `json:"url"`
		HTTPVersion string    `json:"httpVersion"`
		Cookies     []nv      `json:"cookies"`
		Headers     []nv      `json:"headers"`
		QueryString []nv      `json:"queryString"`
		PostData    *postData `json:"postData,omitempty"`
		HeadersSize int       `json:"headersSize"`
		BodySize    int       `json:"bodySize"`
	}
	postData struct {
		MimeType string `json:"mimeType"`
		Text     string `json:"text"`
	}
	response struct {
		Status      int     `json:"status"`
		StatusText  string  `json:"statusText"`
		HTTPVersion string  `json:"httpVersion"`
		Cookies     []nv    `json:"cookies"`
		Headers     []nv    `json:"headers"`
		Content     content `json:"content"`
		RedirectURL string  `json:"redirectURL"`
		HeadersSize int     `json:"headersSize"`
		BodySize    int     `json:"bodySize"`
	}
	content struct {
		Size     int    `json:"size"`
		MimeType string `json:"mimeType"`
		Text     string `json:"text"`
		Encoding string `json:"encoding,omitempty"`
	}
	timings struct {
		Send    float64 `json:"send"`
		Wait    float64 `json:"wait"`
		Receive float64 `json:"receive"`
	}
	nv struct {
		Name  string `json:"name"`
		Value string `json:"value"`
	}
)
