package httpclient

import (
	"crypto/tls"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/loadrun/loadrun/stats"
	"github.com/valyala/fasthttp"
)

// MaxRedirects is how many redirects a request follows before it fails.
const MaxRedirects = 10

// Session is one virtual user's HTTP state, like a browser tab: its own
// keep-alive connections, TLS sessions and cookies. Requests go through the
// fast HTTP/1.1 client unless they need the net/http one (HTTP/2 asked for
// an https URL, or a proxy applies). It is used by one goroutine at a time;
// only Abort may be called from another.
type Session struct {
	opts  Options
	tls   *tls.Config
	fast  Client
	proxy func(*url.URL) (*url.URL, error) // nil: no proxy configured
	jar   Jar

	mu      sync.Mutex // guards net against Abort
	net     Client     // made on first use
	aborted bool
}

// NewSession returns a user's session with clients made from o.
func NewSession(o Options) *Session {
	s := &Session{opts: o, tls: o.sessionTLS(), proxy: o.proxyFunc()}
	s.fast = newFastClient(o, s.tls)
	return s
}

// NewSessionWith returns a session whose every request goes through c
// (tests, and clients made outside this package).
func NewSessionWith(c Client) *Session { return &Session{fast: c} }

// clientFor picks the client for a request to u.
func (s *Session) clientFor(u *fasthttp.URI, isTLS bool) Client {
	if !(s.opts.HTTP2 && isTLS) && s.proxy == nil {
		return s.fast // the plain path: no allocation, no lookup
	}
	if !(s.opts.HTTP2 && isTLS) {
		if p, err := s.proxy(&url.URL{Scheme: string(u.Scheme()), Host: string(u.Host())}); err != nil || p == nil {
			return s.fast
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.net == nil {
		s.net = newNetClient(s.opts, s.tls, s.proxy)
		if s.aborted {
			s.net.Abort()
		}
	}
	return s.net
}

// Abort cuts the request in flight; later requests fail with ErrAborted.
func (s *Session) Abort() {
	s.fast.Abort()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.aborted = true
	if s.net != nil {
		s.net.Abort()
	}
}

// Close releases the session's connections.
func (s *Session) Close() {
	s.fast.Close()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.net != nil {
		s.net.Close()
	}
}

// Jar is the session's cookie jar.
func (s *Session) Jar() *Jar { return &s.jar }

// Send performs req with the session's cookies, following redirects when
// follow is set, as a browser does. sent, when not nil, sees the first hop
// as it goes on the wire (cookies added). It returns the time of the whole
// exchange (all hops), whether any byte of a response arrived (x.Answered,
// even when the hop then failed), and the error of the hop that failed.
func (s *Session) Send(req *fasthttp.Request, resp *fasthttp.Response, x *Exchange, follow bool, deadline time.Time, sent func(*fasthttp.Request)) (total time.Duration, answered bool, err error) {
	if x.Timed {
		x.Phases = stats.PhaseTimes{}
	}
	x.Answered = false
	for hop := 0; ; hop++ {
		uri := req.URI()
		scheme := uri.Scheme()
		isTLS := string(scheme) == "https"
		if !isTLS && string(scheme) != "http" {
			return total, answered, fmt.Errorf("unsupported URL scheme %q", scheme)
		}
		hostname := hostName(uri.Host())
		now := time.Now()
		s.jar.apply(req, hostname, uri.Path(), isTLS, now)
		if sent != nil && hop == 0 {
			sent(req)
		}
		elapsed, err := s.clientFor(uri, isTLS).RoundTrip(req, resp, x, deadline)
		total += elapsed
		if err != nil {
			return total, answered || x.Answered, err
		}
		answered = true
		s.jar.store(resp, hostname, uri.Path(), now)
		code := resp.StatusCode()
		if !follow || !isRedirect(code) {
			return total, answered, nil
		}
		loc := resp.Header.Peek("Location")
		if len(loc) == 0 {
			return total, answered, nil
		}
		if hop >= MaxRedirects {
			return total, answered, ErrTooManyRedirects
		}
		from := origin(uri)
		next := uri.String()
		req.SetRequestURI(next)
		req.URI().UpdateBytes(loc)
		req.URI().DisablePathNormalizing = true // the Location as the server wrote it
		if origin(req.URI()) != from {
			stripCredentials(&req.Header)
		}
		if code == 301 || code == 302 || code == 303 {
			if !req.Header.IsHead() {
				req.Header.SetMethod("GET")
			}
			req.ResetBody()
			req.Header.Del("Content-Type")
		}
		req.Header.DelAllCookies()
	}
}

// ErrTooManyRedirects fails a request that was redirected more than
// MaxRedirects times.
var ErrTooManyRedirects = fmt.Errorf("stopped after %d redirects", MaxRedirects)

// origin is a URL's scheme, host and port (RFC 6454), the unit that
// credentials are scoped to.
func origin(u *fasthttp.URI) string {
	isTLS := string(u.Scheme()) == "https"
	_, addr := hostAndAddr(strings.ToLower(string(u.Host())), isTLS)
	return string(u.Scheme()) + "://" + addr
}

// keptAcrossOrigins are the request header fields that follow a redirect
// to another origin. Every other field the scenario set goes: Authorization,
// Proxy-Authorization and Cookie as browsers, curl and net/http drop them,
// and any custom field (X-Api-Key, X-Auth-Token, …), which may carry a
// credential too. The new origin's own cookies come from the jar.
var keptAcrossOrigins = map[string]bool{
	"Accept": true, "Accept-Encoding": true, "Accept-Language": true,
	"Cache-Control": true, "Pragma": true, "User-Agent": true,
	"Content-Type": true, "Content-Language": true, "Content-Length": true,
	"Host": true,
}

// stripCredentials drops the header fields that must not follow a
// redirect to another origin.
func stripCredentials(h *fasthttp.RequestHeader) {
	var drop []string
	for k := range h.All() {
		if name := string(k); !keptAcrossOrigins[http.CanonicalHeaderKey(name)] {
			drop = append(drop, name)
		}
	}
	for _, name := range drop {
		h.Del(name)
	}
	h.DelAllCookies()
}

func isRedirect(code int) bool {
	return code == 301 || code == 302 || code == 303 || code == 307 || code == 308
}

// hostName is a URL host without its port and IPv6 brackets, for cookies:
// a part of host, so that a request does not allocate it.
func hostName(host []byte) []byte {
	if len(host) > 0 && host[0] == '[' {
		for i := len(host) - 1; i > 0; i-- {
			if host[i] == ']' {
				return host[1:i]
			}
		}
		return host
	}
	for i := len(host) - 1; i >= 0; i-- {
		if host[i] == ':' {
			return host[:i]
		}
	}
	return host
}
