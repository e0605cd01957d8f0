package har_test

import (
	"strings"
	"testing"
	"time"

	"github.com/loadrun/loadrun/har"
	"github.com/loadrun/loadrun/scenario"
)

func TestIsStatic(t *testing.T) {
	tests := []struct {
		url, mime string
		want      bool
	}{
		{"http://x.test/a.png", "image/png", true},                      // an image by type
		{"http://x.test/font", "font/woff2", true},                      // a font by type, no extension
		{"http://x.test/s", "text/css; charset=utf-8", true},            // a style sheet by type
		{"http://x.test/app", "application/javascript", true},           // a script by type
		{"http://x.test/v", "video/mp4", true},                          // media
		{"http://x.test/app.js?v=3", "", true},                          // no type: by extension
		{"http://x.test/logo.SVG", "", true},                            // extensions in any case
		{"http://x.test/data.js", "application/json", false},            // JSON is never static, whatever the name
		{"http://x.test/page.css", "text/html", false},                  // nor HTML
		{"http://x.test/api/items", "", false},                          // no type, no extension
		{"http://x.test/download.pdf", "application/pdf", false},        // a document the user asked for
		{"http://x.test/x.woff2", "application/octet-stream", true},     // a generic type: by extension
		{"http://x.test/a", "application/x-www-form-urlencoded", false}, // a form answer
	}
	for _, tt := range tests {
		e := &har.Entry{Request: har.Request{Method: "GET", URL: tt.url}, Response: har.Response{Status: 200, MimeType: tt.mime}}
		if got := har.IsStatic(e); got != tt.want {
			t.Errorf("IsStatic(%s, %q) = %v, want %v", tt.url, tt.mime, got, tt.want)
		}
	}
}

func TestFilterHeader(t *testing.T) {
	tests := []struct {
		name string
		want har.HeaderVerdict
	}{
		{"Cookie", har.DropCookie},           // the jar sends cookies
		{":authority", har.DropPseudo},       // HTTP/2 pseudo-headers
		{":path", har.DropPseudo},            //
		{"sec-fetch-mode", har.DropBrowser},  // every sec-* header
		{"Sec-CH-UA", har.DropBrowser},       // in any case
		{"content-length", har.DropBrowser},  // would be stale
		{"Accept-Encoding", har.DropBrowser}, // loadrun asks for what it decodes
		{"User-Agent", har.DropBrowser},      // the recording browser's
		{"connection", har.DropBrowser},      // the client's business
		{"If-None-Match", har.DropBrowser},   // cache revalidation would answer 304
		{"Referer", har.DropBrowser},         // names the recorded host
		{"Authorization", har.KeepHeader},    // the application's
		{"X-CSRF-Token", har.KeepHeader},     //
		{"X-Requested-With", har.KeepHeader}, // some servers check it
		{"Content-Type", har.KeepHeader},     // kept for raw bodies
		{"Accept", har.KeepHeader},           // kept unless a browser default (see TestDrops)
	}
	for _, tt := range tests {
		if got := har.FilterHeader(tt.name); got != tt.want {
			t.Errorf("FilterHeader(%q) = %v, want %v", tt.name, got, tt.want)
		}
	}
}

// TestDrops imports a recording with everything a browser does by itself
// and checks what is left, what the summary says and the options that keep
// more.
func TestDrops(t *testing.T) {
	exs := []ex{
		{url: "https://app.test/", reqHeaders: []string{":authority", "app.test", ":method", "GET", "cookie", "sid=1",
			"accept", "text/html,application/xhtml+xml", "sec-fetch-dest", "document", "accept-encoding", "gzip, br",
			"user-agent", "Mozilla/5.0"}, respMime: htmlType, respBody: "<p>home</p>"},
		{url: "https://app.test/static/site.css", respMime: "text/css", respBody: "p{}"},
		{url: "https://app.test/img/logo.png", respMime: "image/png", respBody: "x", base64: true},
		{url: "https://fonts.example.com/roboto.woff2", respMime: "font/woff2", respBody: "x"},
		{url: "https://analytics.example.com/collect?v=1", respMime: "text/plain", respBody: "ok"},
		{method: "OPTIONS", url: "https://app.test/api/x", reqHeaders: []string{"Access-Control-Request-Method", "POST"}, status: 204},
		{url: "https://app.test/gone", status: -1}, // no answer (status 0)
		{method: "POST", url: "https://app.test/login", reqMime: formType, reqBody: "user=ann&password=pw",
			reqHeaders: []string{"content-type", formType, "content-length", "20", "origin", "https://app.test"},
			status:     302, respHeaders: []string{"Location", "/home"}},
		{url: "https://app.test/home", respMime: htmlType, respBody: "<p>welcome</p>"},
		{url: "https://app.test/api/me", reqHeaders: []string{"accept", "application/json"}, respMime: jsonType, respBody: `{}`},
		{url: "https://app.test/missing", status: 404, respMime: htmlType, respBody: "<p>no</p>"},
	}
	im := importHAR(t, har.Options{}, exs...)
	sum := im.summary(t)
	for _, want := range []string{
		"11 entries, 4 requests kept (host https://app.test)",
		"2  static assets: images, fonts, CSS, JS, media (keep them with --keep-static)",
		"2  other hosts (keep them with --include-host): https://fonts.example.com, https://analytics.example.com",
		"1  CORS preflight",
		"1  no answer recorded",
		"1  redirect followed (loadrun follows redirects by itself): GET https://app.test/home",
		"cookie (the user's cookie jar sends cookies)",
		":authority, :method (HTTP/2 pseudo-headers)",
		"accept, sec-fetch-dest, accept-encoding, user-agent, content-length, origin (added by the browser or the HTTP client)",
		"content-type (loadrun sets the type of form and json bodies)",
	} {
		if !strings.Contains(sum, want) {
			t.Errorf("summary lacks %q:\n%s", want, sum)
		}
	}
	reqs := im.requests()
	var urls []string
	for _, r := range reqs {
		urls = append(urls, r.URL.Text)
	}
	if got, want := strings.Join(urls, " "), "/ /login /api/me /missing"; got != want {
		t.Errorf("requests %q, want %q\n%s", got, want, im.yaml)
	}
	for _, r := range reqs {
		for _, h := range r.Headers {
			if h.Key != "accept" || r.URL.Text != "/api/me" {
				t.Errorf("%s keeps header %s", r.URL.Text, h.Key)
			}
		}
	}
	if len(reqs[3].Check) != 1 || !strings.Contains(im.yaml, "- status: 404   # as recorded") {
		t.Errorf("a recorded 404 should be checked as such:\n%s", im.yaml)
	}
	// The login is followed by another request and never logged out of:
	// the steps up to it run once per user.
	if got := len(im.sc.Users[0].OnStart); got != 2 {
		t.Errorf("on_start has %d steps, want 2 (/ and the login)\n%s", got, im.yaml)
	}

	more := importHAR(t, har.Options{KeepStatic: true, IncludeHosts: []string{"fonts.example.com"}, Host: "http://127.0.0.1:9"}, exs...)
	var kept []string
	for _, r := range more.requests() {
		kept = append(kept, r.URL.Text)
	}
	if got, want := strings.Join(kept, " "), "/ /static/site.css /img/logo.png https://fonts.example.com/roboto.woff2 /login /api/me /missing"; got != want {
		t.Errorf("with --keep-static --include-host: requests %q, want %q", got, want)
	}
	if more.sc.Host != "http://127.0.0.1:9" {
		t.Errorf("--host: host %q", more.sc.Host)
	}
}

// TestThinkAndOnStart checks think steps from the recorded pauses and
// which recordings put their login in on_start.
func TestThinkAndOnStart(t *testing.T) {
	session := func(logout bool) []ex {
		exs := []ex{
			{url: "http://a.test/login", respMime: htmlType, respBody: "<p></p>", took: 50 * time.Millisecond},
			// 3.4 s after the page finished loading: a user typing.
			{method: "POST", url: "http://a.test/login", reqMime: formType, reqBody: "u=ann&password=pw", at: 3450 * time.Millisecond, respMime: htmlType, respBody: "<p></p>"},
			// 300 ms later: the browser loading, not a pause.
			{url: "http://a.test/cart", at: 3800 * time.Millisecond, respMime: htmlType, respBody: "<p></p>"},
			// 2 minutes later: capped.
			{url: "http://a.test/cart", at: 124 * time.Second, respMime: htmlType, respBody: "<p></p>"},
		}
		if logout {
			exs = append(exs, ex{method: "POST", url: "http://a.test/logout", respMime: jsonType, respBody: `{}`})
		}
		return exs
	}
	tests := []struct {
		name    string
		opts    har.Options
		logout  bool
		thinks  string
		onStart int
	}{
		{"pauses become think steps", har.Options{}, false, "3s 1m0s", 3},           // rounded, short gaps dropped, long ones capped; on_start: page, think, login
		{"--no-think drops them", har.Options{NoThink: true}, false, "", 2},         // on_start: page, login
		{"a logout keeps the login in the task", har.Options{}, true, "3s 1m0s", 0}, // every iteration logs in again
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			im := importHAR(t, tt.opts, session(tt.logout)...)
			u := im.sc.Users[0]
			var thinks []string
			for _, s := range append(append([]*scenario.Step{}, u.OnStart...), u.Tasks[0].Steps...) {
				if s.Think != nil {
					thinks = append(thinks, s.Think.Constant.String())
				}
			}
			if got := strings.Join(thinks, " "); got != tt.thinks {
				t.Errorf("thinks %q, want %q\n%s", got, tt.thinks, im.yaml)
			}
			if got := len(u.OnStart); got != tt.onStart {
				t.Errorf("on_start has %d steps, want %d\n%s", got, tt.onStart, im.yaml)
			}
		})
	}
}
