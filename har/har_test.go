package har_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/loadrun/loadrun/har"
)

// TestReadErrors feeds files that are not HARs an import can use: each
// gets an error saying what is wrong and where, never a panic.
func TestReadErrors(t *testing.T) {
	okEntry := `{"startedDateTime":"2026-11-30T09:00:00Z","time":1,"request":{"method":"GET","url":"http://a.test/","headers":[]},"response":{"status":200,"headers":[],"content":{"mimeType":"text/html","text":"x"}}}`
	tests := []struct {
		name string
		in   string
		lim  har.Limits
		want string // the whole message, or its start
	}{
		{"empty file", "", har.Limits{}, "f.har: the file is empty"},
		{"not JSON", "GET / HTTP/1.1", har.Limits{}, "f.har:1:1: not valid JSON"},
		{"bad JSON inside", "{\"log\": {\"entries\": [\n  {\"request\": }\n]}}", har.Limits{}, "f.har:2:15: not valid JSON: invalid character '}'"},
		{"cut short", `{"log": {"entries": [` + okEntry, har.Limits{}, "f.har:1:"},
		{"a list, not an object", `[1, 2]`, har.Limits{}, "f.har:1:1: a HAR document is a JSON object"},
		{"no log", `{"version": "1.2"}`, har.Limits{}, "f.har: no \"log\" object: this is not a HAR file"},
		{"no entries", `{"log": {"version": "1.2", "pages": []}}`, har.Limits{}, "f.har:1:9: log: no \"entries\" list"},
		{"entries not a list", `{"log": {"entries": {}}}`, har.Limits{}, "f.har:1:21: log.entries: log.entries is not a list"},
		{"entry without response", "{\"log\": {\"entries\": [" + okEntry + ",\n {\"request\": {\"method\": \"POST\", \"url\": \"http://a.test/x\"}}]}}", har.Limits{},
			"f.har:2:2: log.entries[1]: POST http://a.test/x has no response"},
		{"entry without request", `{"log": {"entries": [{"response": {"status": 200}}]}}`, har.Limits{}, "f.har:1:22: log.entries[0]: the entry has no request"},
		{"a number as text", `{"log": {"entries": [{"request": {"method": "GET", "url": "http://a.test/"}, "response": {"status": "200"}}]}}`, har.Limits{},
			"f.har:1:22: log.entries[0].response.status: a JSON string where a number was meant"},
		{"bad base64 request body", `{"log": {"entries": [{"request": {"method": "POST", "url": "http://a.test/", "postData": {"mimeType": "text/plain", "text": "!!", "encoding": "base64"}}, "response": {"status": 200}}]}}`, har.Limits{},
			"f.har:1:22: log.entries[0]: POST http://a.test/: the request body is marked base64 but is not"},
		{"file too large", `{"log": {"entries": []}}`, har.Limits{MaxFileBytes: 10}, "f.har: the file is larger than"},
		{"too many entries", `{"log": {"entries": [` + okEntry + "," + okEntry + `]}}`, har.Limits{MaxEntries: 1}, "f.har:1:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			log, err := har.Read("f.har", strings.NewReader(tt.in), tt.lim)
			if err == nil {
				t.Fatalf("no error; read %d entries", len(log.Entries))
			}
			var he *har.Error
			if !errors.As(err, &he) {
				t.Errorf("error %T, want *har.Error", err)
			}
			if !strings.HasPrefix(err.Error(), tt.want) {
				t.Errorf("error\n  %s\nwant it to start with\n  %s", err, tt.want)
			}
		})
	}
}

// TestReadBodies: base64 response bodies are decoded, bodies are cut at
// the search limit, and params-only form posts get a body.
func TestReadBodies(t *testing.T) {
	doc := `{"log": {"entries": [
	 {"request": {"method": "GET", "url": "http://a.test/"},
	  "response": {"status": 200, "content": {"mimeType": "application/json", "text": "eyJ0b2tlbiI6ImFiYyJ9", "encoding": "base64"}}},
	 {"request": {"method": "GET", "url": "http://a.test/big"},
	  "response": {"status": 200, "content": {"mimeType": "text/plain", "text": "0123456789abcdef"}}},
	 {"request": {"method": "POST", "url": "http://a.test/f", "postData": {"mimeType": "application/x-www-form-urlencoded", "params": [{"name": "a b", "value": "c&d"}]}},
	  "response": {"status": 200, "content": {"mimeType": "image/png", "text": "not base64!", "encoding": "base64"}}}
	]}}`
	log, err := har.Read("f.har", strings.NewReader(doc), har.Limits{MaxBodyBytes: 8})
	if err != nil {
		t.Fatal(err)
	}
	if got := log.Entries[0].Response.Body; got != `{"token"` { // decoded, then cut at 8 bytes
		t.Errorf("base64 body %q", got)
	}
	if got := log.Entries[1].Response.Body; got != "01234567" {
		t.Errorf("cut body %q", got)
	}
	if got := log.Entries[2].Request.Body; got != "a+b=c%26d" {
		t.Errorf("params body %q", got)
	}
	if got := log.Entries[2].Response.BodyNote; !strings.Contains(got, "not base64") {
		t.Errorf("a bad base64 response body should be noted, got %q", got)
	}
}

// TestConvertErrors: recordings with nothing to import say so.
func TestConvertErrors(t *testing.T) {
	tests := []struct {
		name string
		exs  []ex
		want string
	}{
		{"only static assets", []ex{{url: "http://a.test/x.png", respMime: "image/png", respBody: "x"}},
			"test.har: every request was dropped (1 static assets"},
		{"no http request", []ex{{url: "data:text/plain,hi"}}, "test.har: log.entries: no http or https request"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			log, err := har.Read("test.har", bytes.NewReader(harDoc(t, tt.exs...)), har.DefaultLimits)
			if err != nil {
				t.Fatal(err)
			}
			_, err = har.Convert(log, har.Options{})
			if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
				t.Errorf("error %v, want it to start with %q", err, tt.want)
			}
		})
	}
}
