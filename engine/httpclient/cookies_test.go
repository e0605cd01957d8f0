package httpclient

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/valyala/fasthttp"
)

var jarNow = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// setFrom stores the Set-Cookie header lines as received from rawURL.
func setFrom(t *testing.T, j *Jar, rawURL string, now time.Time, lines ...string) {
	t.Helper()
	u, err := url.Parse(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range lines {
		c, err := http.ParseSetCookie(line)
		if err != nil {
			t.Fatalf("%q: %v", line, err)
		}
		j.Set(c, u.Hostname(), u.EscapedPath(), now)
	}
}

// sent is the Cookie header a request to rawURL carries at now.
func sent(t *testing.T, j *Jar, rawURL string, now time.Time) string {
	t.Helper()
	u, err := url.Parse(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	req := fasthttp.AcquireRequest()
	defer fasthttp.ReleaseRequest(req)
	req.SetRequestURI(rawURL)
	j.apply(req, []byte(u.Hostname()), []byte(u.EscapedPath()), u.Scheme == "https", now)
	return string(req.Header.Peek("Cookie"))
}

// TestJar follows net/http/cookiejar's table in spirit (written anew):
// each row sets cookies from one URL, then asks what requests to other
// URLs send. The rules are RFC 6265's as browsers apply them.
func TestJar(t *testing.T) {
	type query struct{ url, want string }
	cases := []struct {
		name    string
		from    string
		set     []string
		queries []query
	}{
		{ // a cookie without Domain goes back to its host only
			"host-only", "http://www.host.test/",
			[]string{"a=1"},
			[]query{{"http://www.host.test/", "a=1"}, {"http://host.test/", ""}, {"http://sub.www.host.test/", ""}, {"http://www.host.test:8080/x", "a=1"}},
		},
		{ // Domain widens a cookie to the domain and its subdomains
			"domain cookie", "http://www.host.test/",
			[]string{"a=1; Domain=host.test"},
			[]query{{"http://host.test/", "a=1"}, {"http://www.host.test/", "a=1"}, {"http://a.b.host.test/", "a=1"}, {"http://otherhost.test/", ""}, {"http://ost.test/", ""}},
		},
		{ // a leading dot and upper case mean the same domain
			"leading dot", "http://WWW.Host.Test/",
			[]string{"a=1; Domain=.HOST.test"},
			[]query{{"http://host.test/", "a=1"}, {"http://x.host.test/", "a=1"}},
		},
		{ // a site may not set a cookie for another site
			"foreign domain", "http://www.host.test/",
			[]string{"a=1; Domain=other.test", "b=2; Domain=www.host.test.evil"},
			[]query{{"http://other.test/", ""}, {"http://www.host.test/", ""}},
		},
		{ // the case: Domain=co.uk is a public suffix, refused
			"public suffix", "http://shop.example.co.uk/",
			[]string{"a=1; Domain=co.uk", "b=2; Domain=example.co.uk"},
			[]query{{"http://evil.co.uk/", ""}, {"http://shop.example.co.uk/", "b=2"}, {"http://other.example.co.uk/", "b=2"}},
		},
		{ // other public suffixes: a cookie for all of github.io or com
			"public suffix 2", "http://me.github.io/",
			[]string{"a=1; Domain=github.io", "b=2; Domain=io"},
			[]query{{"http://you.github.io/", ""}, {"http://me.github.io/", ""}},
		},
		{ // a public suffix's own host may set one for itself only
			"public suffix host", "http://co.uk/",
			[]string{"a=1; Domain=co.uk"},
			[]query{{"http://co.uk/", "a=1"}, {"http://evil.co.uk/", ""}},
		},
		{ // a trailing dot is malformed
			"trailing dot", "http://www.host.test/",
			[]string{"a=1; Domain=host.test."},
			[]query{{"http://www.host.test/", ""}},
		},
		{ // an IP address takes host-only cookies and never domain-matches
			"ip", "http://127.0.0.1/",
			[]string{"a=1", "b=2; Domain=127.0.0.1", "c=3; Domain=0.0.1"},
			[]query{{"http://127.0.0.1:9000/", "a=1; b=2"}, {"http://0.0.1/", ""}, {"http://1.127.0.0.1/", ""}},
		},
		{ // IPv6 literals are hosts like any other
			"ipv6", "http://[::1]:8080/",
			[]string{"a=1"},
			[]query{{"http://[::1]/", "a=1"}, {"http://127.0.0.1/", ""}},
		},
		{ // localhost
			"localhost", "http://localhost:8080/",
			[]string{"a=1", "b=2; Domain=localhost"},
			[]query{{"http://localhost/", "a=1; b=2"}},
		},
		{ // Path limits a cookie to a path and below, on / boundaries
			"path", "http://h.test/x",
			[]string{"a=1; Path=/a", "b=2; Path=/a/"},
			[]query{{"http://h.test/a", "a=1"}, {"http://h.test/a/b", "b=2; a=1"}, {"http://h.test/ab", ""}, {"http://h.test/", ""}},
		},
		{ // no Path (or one not starting with /): the request's directory
			"default path", "http://h.test/dir/page",
			[]string{"a=1", "b=2; Path=rel"},
			[]query{{"http://h.test/dir", "a=1; b=2"}, {"http://h.test/dir/x", "a=1; b=2"}, {"http://h.test/other", ""}, {"http://h.test/", ""}},
		},
		{ // default path of a top-level page is /
			"default path root", "http://h.test/page",
			[]string{"a=1"},
			[]query{{"http://h.test/any/where", "a=1"}},
		},
		{ // Secure cookies go over https only
			"secure", "https://h.test/",
			[]string{"a=1; Secure", "b=2"},
			[]query{{"https://h.test/", "a=1; b=2"}, {"http://h.test/", "b=2"}},
		},
		{ // longer paths first, then older cookies first
			"order", "http://h.test/",
			[]string{"c=3", "a=1; Path=/x/y", "b=2; Path=/x", "d=4"},
			[]query{{"http://h.test/x/y/z", "a=1; b=2; c=3; d=4"}},
		},
		{ // the same name, domain and path replace the cookie in its place
			"replace", "http://h.test/",
			[]string{"a=1", "b=2", "a=3"},
			[]query{{"http://h.test/", "a=3; b=2"}},
		},
		{ // Max-Age=0 and a past Expires delete; -1 too
			"delete", "http://h.test/",
			[]string{"a=1", "b=2", "c=3", "a=x; Max-Age=0", "b=x; Expires=Thu, 01 Jan 1970 00:00:00 GMT", "c=x; Max-Age=-1"},
			[]query{{"http://h.test/", ""}},
		},
		{ // a cookie that arrives already expired is not stored
			"expired on arrival", "http://h.test/",
			[]string{"a=1; Expires=Thu, 01 Jan 1970 00:00:00 GMT", "b=2; Max-Age=0"},
			[]query{{"http://h.test/", ""}},
		},
		{ // Max-Age wins over Expires
			"max-age first", "http://h.test/",
			[]string{"a=1; Max-Age=100; Expires=Thu, 01 Jan 1970 00:00:00 GMT"},
			[]query{{"http://h.test/", "a=1"}},
		},
		{ // a domain cookie and a host-only one of the same name are two cookies
			"host-only and domain", "http://www.h.test/",
			[]string{"a=host", "b=dom; Domain=h.test"},
			[]query{{"http://www.h.test/", "a=host; b=dom"}, {"http://x.h.test/", "b=dom"}},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var j Jar
			setFrom(t, &j, c.from, jarNow, c.set...)
			for _, q := range c.queries {
				if got := sent(t, &j, q.url, jarNow); got != q.want {
					t.Errorf("to %s: Cookie %q, want %q", q.url, got, q.want)
				}
			}
		})
	}
}

// TestJarExpiry: cookies expire with time, session cookies do not.
func TestJarExpiry(t *testing.T) {
	var j Jar
	setFrom(t, &j, "http://h.test/", jarNow, "a=1; Max-Age=10", "b=2; Expires="+jarNow.Add(20*time.Second).Format(http.TimeFormat), "c=3")
	steps := []struct {
		after time.Duration
		want  string
	}{
		{0, "a=1; b=2; c=3"},               // all alive
		{9 * time.Second, "a=1; b=2; c=3"}, // before the first expiry
		{10 * time.Second, "b=2; c=3"},     // Max-Age reached
		{21 * time.Second, "c=3"},          // Expires passed
		{24 * time.Hour, "c=3"},            // a session cookie lives with the user
	}
	for _, s := range steps {
		if got := sent(t, &j, "http://h.test/", jarNow.Add(s.after)); got != s.want {
			t.Errorf("after %s: %q, want %q", s.after, got, s.want)
		}
	}
}

// TestJarLimits: at most MaxCookiesPerDomain per site and MaxCookies in
// all, the least recently used evicted first, so a server setting a new
// cookie on every response keeps the jar (and each request's work) bounded.
func TestJarLimits(t *testing.T) {
	var j Jar
	setFrom(t, &j, "http://h.test/", jarNow, "keep=1; Path=/k")
	for i := range 10000 {
		setFrom(t, &j, "http://h.test/", jarNow, fmt.Sprintf("c%d=v; Path=/c", i))
		if i%10 == 0 {
			sent(t, &j, "http://h.test/k", jarNow) // keep=1 stays in use
		}
	}
	if j.Len() != MaxCookiesPerDomain {
		t.Errorf("jar holds %d cookies for one site, want %d", j.Len(), MaxCookiesPerDomain)
	}
	if got := sent(t, &j, "http://h.test/k", jarNow); got != "keep=1" {
		t.Errorf("the cookie in use was evicted: %q", got)
	}
	got := sent(t, &j, "http://h.test/c", jarNow)
	if !strings.HasPrefix(got, "c9951=v;") || !strings.HasSuffix(got, "c9999=v") {
		t.Errorf("want the newest 49 c cookies, got %.100s … %s", got, got[max(0, len(got)-40):])
	}
	// Subdomains count towards their site.
	setFrom(t, &j, "http://a.h.test/", jarNow, "sub=1")
	if j.Len() != MaxCookiesPerDomain {
		t.Errorf("a subdomain's cookie went past the site's limit: %d", j.Len())
	}
	// Across many sites: MaxCookies in all.
	var all Jar
	for i := range MaxCookies + 100 {
		setFrom(t, &all, fmt.Sprintf("http://s%d.test/", i), jarNow, "a=1")
	}
	if all.Len() != MaxCookies {
		t.Errorf("jar holds %d cookies, want %d", all.Len(), MaxCookies)
	}
	if sent(t, &all, "http://s0.test/", jarNow) != "" || sent(t, &all, fmt.Sprintf("http://s%d.test/", MaxCookies+99), jarNow) != "a=1" {
		t.Errorf("the oldest site's cookie should have gone, the newest stayed")
	}
}
