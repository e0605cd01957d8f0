// Package httpclient is loadrun's HTTP client: one Session per virtual
// user, with its own connections, cookies and TLS sessions, following
// redirects as a browser does, over a Client that carries one request and
// its response on the wire.
//
// Requests and responses are fasthttp values whichever Client carries
// them, so the engine builds a request once, and extractors and checks read
// every response the same way. The fast Client (fast.go) drives fasthttp's
// writer and parser over the user's own net.Conn; other Clients (HTTP/2,
// proxies) implement the same interface with the same timing definition.
package httpclient

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"net/url"
	"sync"
	"time"

	"github.com/loadrun/loadrun/stats"
	"github.com/valyala/fasthttp"
)

// DefaultBodyCap is how much of a response body is kept for extractors,
// checks and debug output. The rest is read, counted and discarded, so a
// 100 MiB download costs 1 MiB of memory at most.
const DefaultBodyCap = 1 << 20

// DefaultMaxHeaderBytes bounds a response's header block (status line,
// header fields and the blank line). Real sites send 8–32 KiB (CSP, JWT
// cookies); a larger block fails its request with ErrHeaderTooLarge.
const DefaultMaxHeaderBytes = 64 << 10

// DialFunc opens a connection to addr ("host:port") over network ("tcp").
// It is the hook through which tests use in-memory listeners and a run may
// bind a source address; ctx carries the request's deadline.
type DialFunc func(ctx context.Context, network, addr string) (net.Conn, error)

// Client carries one request and its response on the wire: it does not
// follow redirects or keep cookies (Session does). A Client belongs to one
// virtual user and is used by one goroutine at a time, except Abort.
type Client interface {
	// RoundTrip sends req and reads the response header into resp and up to
	// x.BodyCap bytes of the body into x. elapsed runs from just before the
	// first byte of the request is written (connection set-up included when
	// a new connection is needed) to the last byte of the body read. When
	// x.Timed, the hop's phases are added to x.Phases.
	RoundTrip(req *fasthttp.Request, resp *fasthttp.Response, x *Exchange, deadline time.Time) (elapsed time.Duration, err error)
	// Abort closes every connection so that a request in flight returns
	// ErrAborted at once, as do later ones. Any goroutine may call it.
	Abort()
	// Close releases the client's connections at the end of its user's life.
	Close()
}

// Options configure a user's client. The zero value is a plain HTTP/1.1
// client that dials with net.Dialer and verifies certificates.
type Options struct {
	// TLS is the base TLS configuration (nil: verify, no client certificate).
	// Each Session gets its own clone with its own session cache.
	TLS *tls.Config
	// Dial opens connections (nil: net.Dialer).
	Dial DialFunc
	// MaxHeaderBytes bounds a response header block (0: DefaultMaxHeaderBytes).
	MaxHeaderBytes int
	// HTTP2 sends https requests over HTTP/2 when the server offers it
	// (ALPN), through the net/http client; http requests stay HTTP/1.1.
	HTTP2 bool
	// Proxy, when set, carries every request except those to hosts NoProxy
	// names (HTTP CONNECT for https; user:password@ in the URL is sent as
	// Proxy-Authorization basic credentials).
	Proxy *url.URL
	// NoProxy lists hosts reached directly, as NO_PROXY does: host names
	// (matching their subdomains too), ".domain", IP addresses, CIDR
	// ranges, any with :port, or "*".
	NoProxy string
	// ProxyFromEnvironment uses HTTP_PROXY, HTTPS_PROXY and NO_PROXY (or
	// their lower-case forms) when Proxy is not set, with Go's rules: a
	// loopback host is never proxied from the environment.
	ProxyFromEnvironment bool
	// FullHandshakes turns TLS session resumption off: every new connection
	// of a user makes a full handshake. By default each user keeps its own
	// session cache and resumes, as a browser does.
	FullHandshakes bool
}

func (o *Options) maxHeader() int {
	if o.MaxHeaderBytes > 0 {
		return o.MaxHeaderBytes
	}
	return DefaultMaxHeaderBytes
}

// sessionTLS is a user's own TLS configuration: the base one with the
// user's own session cache, so that the user resumes its TLS sessions on
// reconnects and no user resumes another's.
func (o *Options) sessionTLS() *tls.Config {
	var conf *tls.Config
	if o.TLS != nil {
		conf = o.TLS.Clone()
	} else {
		conf = &tls.Config{}
	}
	if !o.FullHandshakes {
		conf.ClientSessionCache = tls.NewLRUClientSessionCache(16)
	} else {
		conf.ClientSessionCache = nil
		conf.SessionTicketsDisabled = true
	}
	return conf
}

// ErrAborted is returned for requests cut by a hard stop of the run; they
// are not measurements.
var ErrAborted = errors.New("request aborted: the run stopped")

// Exchange is one request's response body and timing, reused by a user
// from request to request. Its body buffer comes from a pool on the first
// read and goes back with Release, so a thinking user holds none.
type Exchange struct {
	// Body is the first BodyCap bytes of the response body, as received
	// (not decoded).
	Body []byte
	// Size is the full body size as read from the wire.
	Size int64
	// BodyCap is how much of a body is kept (0: DefaultBodyCap).
	BodyCap int
	// Timed asks for the request's phases. Only then are the extra
	// timestamps taken: a run without phases pays one branch.
	Timed bool
	// Phases sums the phases of the hops that got a response, so a
	// redirected request's phases add up like its time.
	Phases stats.PhaseTimes
	// Answered is set once any byte of a response arrived (even one that
	// then failed to parse or timed out): a run in which none ever did
	// could not reach its target. Send clears it.
	Answered bool

	hop stats.PhaseTimes // the current attempt's phases
	buf *[]byte          // Body's pool slot, nil when Body is not from the pool
}

// bodyPool holds body buffers between requests. At 10,000 users a 4 KiB
// buffer each would be 40 MiB of idle memory, while only the few users
// inside a request at any instant need one.
var bodyPool = sync.Pool{New: func() any { return new([]byte) }}

// maxPooledBody keeps a rare large download from pinning its buffer.
const maxPooledBody = 64 << 10

// Release gives the body buffer back once nobody reads x.Body any more.
func (x *Exchange) Release() {
	if x.buf == nil {
		return
	}
	if cap(x.Body) <= maxPooledBody {
		*x.buf = x.Body[:0]
		bodyPool.Put(x.buf)
	}
	x.buf, x.Body = nil, nil
}

// bodyBuffer readies x.Body for a new body.
func (x *Exchange) bodyBuffer() {
	if x.buf == nil {
		x.buf = bodyPool.Get().(*[]byte)
		x.Body = *x.buf
	}
	x.Body = x.Body[:0]
	x.Size = 0
	if x.BodyCap <= 0 {
		x.BodyCap = DefaultBodyCap
	}
}

// beginHop starts a hop's phases; it returns nil when phases are off.
func (x *Exchange) beginHop() *stats.PhaseTimes {
	if !x.Timed {
		return nil
	}
	x.hop = stats.PhaseTimes{}
	return &x.hop
}

// endHop adds a hop that got a response to the request's phases.
func (x *Exchange) endHop() {
	if x.Timed {
		addPhases(&x.Phases, &x.hop)
	}
}

// dialer returns the options' dial function.
func (o *Options) dialer() DialFunc {
	if o.Dial != nil {
		return o.Dial
	}
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		d := net.Dialer{KeepAlive: -1}
		return d.DialContext(ctx, network, addr)
	}
}
