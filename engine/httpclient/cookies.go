package httpclient

import (
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/valyala/fasthttp"
	"golang.org/x/net/publicsuffix"
)

// Browser limits on stored cookies (RFC 6265 §6.1 asks for at least 50 per
// domain and 3000 in all). Past them the least recently used cookie goes,
// so a server that sets a new cookie on every response costs a bounded
// amount of memory and time per request.
const (
	MaxCookiesPerDomain = 50
	MaxCookies          = 3000
)

// Jar is one virtual user's cookies, kept the way a browser keeps them
// (RFC 6265): domain and path matching, host-only cookies, no cookie for a
// public suffix (golang.org/x/net/publicsuffix), expiry, secure, and the
// limits above. A user has a handful of cookies, so a slice is the store.
type Jar struct {
	cookies []jarCookie
	seq     uint64 // orders creation and last use
	match   []int  // scratch: the cookies one request sends
}

type jarCookie struct {
	name, value string
	domain      string // lower case, no leading dot
	site        string // the registrable domain (eTLD+1), for the per-domain limit
	hostOnly    bool
	path        string
	secure      bool
	expires     time.Time // zero: a session cookie
	created     uint64
	used        uint64
}

// store records the Set-Cookie headers of a response to a request for
// host (without port, IPv6 without brackets) and path.
func (j *Jar) store(resp *fasthttp.Response, host, path []byte, now time.Time) {
	for _, value := range resp.Header.Cookies() {
		c, err := http.ParseSetCookie(string(value))
		if err != nil || c.Name == "" {
			continue
		}
		j.Set(c, string(host), string(path), now)
	}
}

// Set stores c as received in a response to a request for host and path,
// or ignores it when a browser would. Tests and debug use it directly.
func (j *Jar) Set(c *http.Cookie, host, reqPath string, now time.Time) {
	host = strings.ToLower(host)
	domain, hostOnly, ok := cookieDomain(host, c.Domain)
	if !ok {
		return // a server may not set cookies for another site
	}
	jc := jarCookie{
		name:     c.Name,
		value:    c.Value,
		domain:   domain,
		site:     site(domain),
		hostOnly: hostOnly,
		path:     c.Path,
		secure:   c.Secure,
	}
	if jc.path == "" || jc.path[0] != '/' {
		jc.path = defaultPath(reqPath)
	}
	expired := false
	switch {
	case c.MaxAge < 0:
		expired = true
	case c.MaxAge > 0:
		jc.expires = now.Add(time.Duration(c.MaxAge) * time.Second)
	case !c.Expires.IsZero():
		jc.expires = c.Expires
		expired = !c.Expires.After(now)
	}
	j.put(jc, expired, now)
}

// cookieDomain decides the domain a cookie is stored for (RFC 6265 §5.3
// steps 4–6): the request host for a cookie without a Domain attribute (a
// host-only cookie), else the attribute when the host is in it and it is
// not a public suffix. An IP address host only takes host-only cookies.
func cookieDomain(host, attr string) (domain string, hostOnly, ok bool) {
	attr = strings.ToLower(strings.TrimPrefix(attr, "."))
	if attr == "" {
		return host, true, true
	}
	if strings.HasSuffix(attr, ".") || strings.HasPrefix(attr, ".") {
		return "", false, false
	}
	if isIP(host) {
		return host, true, attr == host
	}
	if ps, _ := publicsuffix.PublicSuffix(attr); ps == attr {
		// Domain=co.uk: only the public suffix's own host may set it, and
		// then only for itself.
		return host, true, attr == host
	}
	if !domainMatch(host, attr) {
		return "", false, false
	}
	return attr, false, true
}

// site is the registrable domain of a cookie domain, the unit of the
// per-domain limit.
func site(domain string) string {
	if isIP(domain) {
		return domain
	}
	if s, err := publicsuffix.EffectiveTLDPlusOne(domain); err == nil {
		return s
	}
	return domain
}

func isIP(host string) bool { _, err := netip.ParseAddr(host); return err == nil }

// put replaces the cookie of the same name, domain and path (keeping its
// creation order, as RFC 6265 §5.3 step 11 says), deletes it when expired,
// or adds it, evicting past the limits.
func (j *Jar) put(jc jarCookie, expired bool, now time.Time) {
	j.seq++
	jc.created, jc.used = j.seq, j.seq
	for i := range j.cookies {
		old := &j.cookies[i]
		if old.name == jc.name && old.domain == jc.domain && old.path == jc.path {
			if expired {
				j.remove(i)
			} else {
				jc.created = old.created
				*old = jc
			}
			return
		}
	}
	if expired {
		return
	}
	j.cookies = append(j.cookies, jc)
	if j.count(jc.site) > MaxCookiesPerDomain {
		j.evict(now, jc.site)
	}
	if len(j.cookies) > MaxCookies {
		j.evict(now, "")
	}
}

func (j *Jar) count(site string) int {
	n := 0
	for i := range j.cookies {
		if j.cookies[i].site == site {
			n++
		}
	}
	return n
}

// evict removes the expired cookies, or else the least recently used one,
// of site ("" for any site).
func (j *Jar) evict(now time.Time, site string) {
	before := len(j.cookies)
	j.dropExpired(now)
	if len(j.cookies) < before {
		return
	}
	lru := -1
	for i := range j.cookies {
		c := &j.cookies[i]
		if (site == "" || c.site == site) && (lru < 0 || c.used < j.cookies[lru].used) {
			lru = i
		}
	}
	if lru >= 0 {
		j.remove(lru)
	}
}

func (j *Jar) dropExpired(now time.Time) {
	for i := 0; i < len(j.cookies); i++ {
		if c := &j.cookies[i]; !c.expires.IsZero() && !c.expires.After(now) {
			j.remove(i)
			i--
		}
	}
}

func (j *Jar) remove(i int) {
	j.cookies = append(j.cookies[:i], j.cookies[i+1:]...)
}

// Len is the number of cookies stored (expired ones included until a
// request or a new cookie drops them).
func (j *Jar) Len() int { return len(j.cookies) }

// apply adds the cookies that a browser would send with a request to host
// (no port) and path over a secure (https) or plain connection: longer
// paths first, then older cookies first (RFC 6265 §5.4).
func (j *Jar) apply(req *fasthttp.Request, host, path []byte, secure bool, now time.Time) {
	if len(j.cookies) == 0 {
		return
	}
	j.dropExpired(now)
	j.match = j.match[:0]
	for i := range j.cookies {
		c := &j.cookies[i]
		if c.secure && !secure {
			continue
		}
		if c.hostOnly && !equalFoldHost(host, c.domain) || !c.hostOnly && !domainMatch(string(host), c.domain) {
			continue
		}
		if !pathMatch(path, c.path) {
			continue
		}
		j.match = append(j.match, i)
	}
	// Insertion sort: a request sends a handful of cookies.
	for a := 1; a < len(j.match); a++ {
		for b := a; b > 0 && j.before(j.match[b], j.match[b-1]); b-- {
			j.match[b], j.match[b-1] = j.match[b-1], j.match[b]
		}
	}
	j.seq++
	for k, i := range j.match {
		c := &j.cookies[i]
		c.used = j.seq
		if !j.sentBefore(k) {
			req.Header.SetCookie(c.name, c.value)
		}
	}
}

// sentBefore reports whether a cookie of the same name as the k-th matched
// one comes before it. fasthttp keeps one cookie per name, so only the
// first, the most specific, is sent where a browser would send both.
func (j *Jar) sentBefore(k int) bool {
	name := j.cookies[j.match[k]].name
	for _, i := range j.match[:k] {
		if j.cookies[i].name == name {
			return true
		}
	}
	return false
}

// before orders the cookies a request sends.
func (j *Jar) before(a, b int) bool {
	ca, cb := &j.cookies[a], &j.cookies[b]
	if len(ca.path) != len(cb.path) {
		return len(ca.path) > len(cb.path)
	}
	return ca.created < cb.created
}

func equalFoldHost(host []byte, domain string) bool {
	return len(host) == len(domain) && strings.EqualFold(string(host), domain)
}

// domainMatch is RFC 6265 §5.1.3: host is domain or ends with "."+domain,
// and is not an IP address.
func domainMatch(host, domain string) bool {
	if strings.EqualFold(host, domain) {
		return true
	}
	n := len(host) - len(domain)
	return n > 0 && host[n-1] == '.' && strings.EqualFold(host[n:], domain) && !isIP(host)
}

// pathMatch is RFC 6265 §5.1.4.
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

// defaultPath is RFC 6265 §5.1.4's default-path of a request path.
func defaultPath(p string) string {
	if p == "" || p[0] != '/' {
		return "/"
	}
	i := strings.LastIndexByte(p, '/')
	if i == 0 {
		return "/"
	}
	return p[:i]
}
