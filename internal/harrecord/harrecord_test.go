package harrecord_test

import (
	"bytes"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/loadrun/loadrun/har"
	"github.com/loadrun/loadrun/internal/harrecord"
)

// TestRecord records a cookie, a form post and a binary answer, and reads
// the document back with the har package.
func TestRecord(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/login":
			http.SetCookie(w, &http.Cookie{Name: "sid", Value: "abc"})
			w.Header().Set("Content-Type", "text/html")
			w.Write([]byte("<p>hi " + r.PostFormValue("user") + "</p>"))
		case "/bin":
			w.Header().Set("Content-Type", "application/octet-stream")
			w.Write([]byte{0xff, 0x00, 0xfe})
		}
	}))
	defer srv.Close()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	rec := &harrecord.Recorder{}
	c := &http.Client{Jar: jar, Transport: rec}
	resp, err := c.PostForm(srv.URL+"/login", map[string][]string{"user": {"ann"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp, err = c.Get(srv.URL + "/bin?x=1"); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	var doc bytes.Buffer
	if err := rec.WriteHAR(&doc); err != nil {
		t.Fatal(err)
	}
	log, err := har.Read("rec.har", &doc, har.DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	if len(log.Entries) != 2 {
		t.Fatalf("%d entries, want 2", len(log.Entries))
	}
	login, bin := log.Entries[0], log.Entries[1]
	if login.Request.Body != "user=ann" || !strings.HasPrefix(login.Request.MimeType, "application/x-www-form-urlencoded") {
		t.Errorf("login request body %q (%s)", login.Request.Body, login.Request.MimeType)
	}
	if got := login.Response.Body; got != "<p>hi ann</p>" {
		t.Errorf("login response body %q", got)
	}
	if got := har.Get(bin.Request.Headers, "Cookie"); got != "sid=abc" {
		t.Errorf("the jar's cookie is not recorded: %q", got)
	}
	if got := bin.Response.Body; got != "\xff\x00\xfe" {
		t.Errorf("binary body %q, want it back from base64", got)
	}
	if login.Started.IsZero() || bin.Started.Before(login.Started) {
		t.Errorf("start times %v, %v", login.Started, bin.Started)
	}
}
