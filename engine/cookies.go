package engine

import (
	"strings"
	"time"

	"github.com/valyala/fasthttp"
)

// cookieJar is one virtual user's cookies, kept the way a browser keeps
// them (RFC 6265: domain and path matching, host-only cookies, expiry,
// secure). A user has a handful of cookies, so a slice is the right store.
type cookieJar struct {
	cookies []jarCookie
}

type jarCookie struct {
	name, value string
	domain      string // lower case, no leading dot
	hostOnly    bool
	path        string
	secure      bool
	expires     time.Time // zero: a session cookie
}

// store records the Set-Cookie headers of a response to a request for
// host (without port) and path.
func (j *cookieJar) store(resp *fasthttp.Response, host string, path []byte, now time.Time) {
	c := fasthttp.AcquireCookie()
	defer fasthttp.ReleaseCookie(c)
	for _, value := range resp.Header.Cookies() {
		c.Reset()
		if c.ParseBytes(value) != nil || len(c.Key()) == 0 {
			continue
		}
		jc := jarCookie{
			name:   string(c.Key()),
			value:  string(c.Value()),
			path:   string(c.Path()),
			secure: c.Secure(),
		}
		if d := strings.ToLower(strings.TrimPrefix(string(c.Domain()), ".")); d != "" {
			if !domainMatch(host, d) {
				continue // a server may not set cookies for another site
			}
			jc.domain = d
		} else {
			jc.domain = host
			jc.hostOnly = true
		}
		if jc.path == "" || jc.path[0] != '/' {
			jc.path = defaultPath(path)
		}
		expired := false
		if ma := c.MaxAge(); ma != 0 {
			if ma < 0 {
				expired = true
			} else {
				jc.expires = now.Add(time.Duration(ma) * time.Second)
			}
		} else if exp := c.Expire(); !exp.Equal(fasthttp.CookieExpireUnlimited) {
			jc.expires = exp
			expired = !exp.After(now)
		}
		j.set(jc, expired)
	}
}

func (j *cookieJar) set(jc jarCookie, expired bool) {
	for i := range j.cookies {
		old := &j.cookies[i]
		if old.name == jc.name && old.domain == jc.domain && old.path == jc.path {
			if expired {
				j.cookies = append(j.cookies[:i], j.cookies[i+1:]...)
			} else {
				*old = jc
			}
			return
		}
	}
	if !expired {
		j.cookies = append(j.cookies, jc)
	}
}

// apply adds the cookies that a browser would send with a request.
func (j *cookieJar) apply(req *fasthttp.Request, host string, path []byte, secure bool, now time.Time) {
	for i := 0; i < len(j.cookies); i++ {
		c := &j.cookies[i]
		if !c.expires.IsZero() && !c.expires.After(now) {
			j.cookies = append(j.cookies[:i], j.cookies[i+1:]...)
			i--
			continue
		}
		if c.secure && !secure {
			continue
		}
		if c.hostOnly && c.domain != host || !c.hostOnly && !domainMatch(host, c.domain) {
			continue
		}
		if !pathMatch(path, c.path) {
			continue
		}
		req.Header.SetCookie(c.name, c.value)
	}
}

func domainMatch(host, domain string) bool {
	host = strings.ToLower(host)
	if host == domain {
		return true
	}
	return strings.HasSuffix(host, domain) && host[len(host)-len(domain)-1] == '.' && net4(host)
}

// net4 rejects domain matching on IP addresses, which only match exactly.
func net4(host string) bool {
	for i := 0; i < len(host); i++ {
		if c := host[i]; (c < '0' || c > '9') && c != '.' {
			return true
		}
	}
	return false
}

func pathMatch(reqPath []byte, cookiePath string) bool {
	if len(reqPath) == 0 {
		reqPath = []byte{'/'}
	}
	if string(reqPath) == cookiePath {
		return true
	}
	if len(reqPath) > len(cookiePath) && string(reqPath[:len(cookiePath)]) == cookiePath {
		return cookiePath[len(cookiePath)-1] == '/' || reqPath[len(cookiePath)] == '/'
	}
	return false
}

func defaultPath(p []byte) string {
	if len(p) == 0 || p[0] != '/' {
		return "/"
	}
	i := strings.LastIndexByte(string(p), '/')
	if i == 0 {
		return "/"
	}
	return string(p[:i])
}
