package engine

import (
	"bufio"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/loadrun/loadrun/stats"
	"github.com/valyala/fasthttp"
)

// DefaultBodyCap is how much of a response body is kept for extractors,
// checks and debug output. The rest is read, counted and discarded, so a
// 100 MiB download costs 1 MiB of memory at most.
const DefaultBodyCap = 1 << 20

// session is one virtual user's HTTP state: its own keep-alive connection
// per host and its own cookies, like a browser tab. It is used by one
// goroutine at a time; only abort may be called from another.
//
// We drive fasthttp's request writer and response parser over our own
// connections instead of using a fasthttp.HostClient per user: a user then
// owns exactly its connections, holds no buffers and no goroutines while it
// thinks (buffers come from pools per request), and the time we measure runs
// from the first byte written to the last byte read.
type session struct {
	conns []*hostConn // usually one; a short slice beats a map
	// connsMu orders the owner's appends to conns with abort's reads from
	// another goroutine. The owner reads conns without it: reads do not
	// race with reads, and only the owner writes.
	connsMu sync.Mutex
	jar     cookieJar
	tlsConf *tls.Config
	aborted atomic.Bool
}

type hostConn struct {
	host     string // as written in URLs: host or host:port
	hostname string // without the port, for cookies
	addr     string // host:port, to dial
	isTLS    bool
	conn     atomic.Pointer[connBox]
}

// connBox lets abort close the current connection from another goroutine.
type connBox struct{ c net.Conn }

var (
	readerPool sync.Pool
	writerPool sync.Pool
)

func acquireReader(c net.Conn) *bufio.Reader {
	if v := readerPool.Get(); v != nil {
		br := v.(*bufio.Reader)
		br.Reset(c)
		return br
	}
	return bufio.NewReaderSize(c, 4096)
}

func releaseReader(br *bufio.Reader) {
	br.Reset(nil)
	readerPool.Put(br)
}

func acquireWriter(c net.Conn) *bufio.Writer {
	if v := writerPool.Get(); v != nil {
		bw := v.(*bufio.Writer)
		bw.Reset(c)
		return bw
	}
	return bufio.NewWriterSize(c, 4096)
}

func releaseWriter(bw *bufio.Writer) {
	bw.Reset(nil)
	writerPool.Put(bw)
}

// errAborted is returned for requests cut by a hard stop of the run; they
// are not measurements and are not recorded.
var errAborted = errors.New("request aborted: the run stopped")

// hostConnFor returns the connection slot for a URL's host (host or
// host:port), creating it. It takes the host as bytes and compares them
// without a conversion, so the request path does not allocate the host
// string every time: only a new host does.
func (s *session) hostConnFor(host []byte, isTLS bool) *hostConn {
	for _, hc := range s.conns {
		if hc.host == string(host) && hc.isTLS == isTLS {
			return hc
		}
	}
	hc := &hostConn{host: string(host), isTLS: isTLS}
	hc.hostname, hc.addr = hostAndAddr(hc.host, isTLS)
	s.connsMu.Lock()
	s.conns = append(s.conns, hc)
	s.connsMu.Unlock()
	return hc
}

// abort closes every connection so that a request in flight returns at
// once; later requests fail with errAborted.
func (s *session) abort() {
	s.aborted.Store(true)
	for _, hc := range s.connsSnapshot() {
		if b := hc.conn.Swap(nil); b != nil {
			b.c.Close()
		}
	}
}

// connsSnapshot is the connection slots as of now, safe to call from any
// goroutine. A slot added after it is seen by its request as aborted.
func (s *session) connsSnapshot() []*hostConn {
	s.connsMu.Lock()
	defer s.connsMu.Unlock()
	return s.conns
}

// close releases the user's connections at the end of its life.
func (s *session) close() {
	for _, hc := range s.conns {
		if b := hc.conn.Swap(nil); b != nil {
			b.c.Close()
		}
	}
}

// exchange is one request/response on the wire.
type exchange struct {
	// body receives the first bodyCap bytes of the response body. It comes
	// from bodyPool on the first read and goes back with release.
	body    []byte
	buf     *[]byte // body's pool slot, nil when body is not from the pool
	bodyCap int
	// size is the full body size as read from the wire.
	size int64
	// timed asks for the request's phases (Options.Phases). Only then are
	// the extra timestamps taken: a run without phases pays one branch.
	timed bool
	// hop is the phases of the current attempt; phases sums the hops that
	// got a response, so a redirected request's phases add up like its time.
	hop    stats.PhaseTimes
	phases stats.PhaseTimes
}

// bodyPool holds body buffers between requests. A thinking user holds
// none: at 10,000 users a 4 KiB buffer each would be 40 MiB of idle memory,
// while only the few users inside a request at any instant need one.
var bodyPool = sync.Pool{New: func() any { return new([]byte) }}

// maxPooledBody keeps a rare large download from pinning its buffer.
const maxPooledBody = 64 << 10

// release gives the body buffer back once nobody reads x.body any more:
// after the extractors, checks and trace of the request are done.
func (x *exchange) release() {
	if x.buf == nil {
		return
	}
	if cap(x.body) <= maxPooledBody {
		*x.buf = x.body[:0]
		bodyPool.Put(x.buf)
	}
	x.buf, x.body = nil, nil
}

// roundTrip sends req to addr and reads the response header into resp and
// up to x.bodyCap bytes of the body into x.body. A request on a kept-alive
// connection that the server closed while idle is retried once on a fresh
// connection, as browsers do; nothing was received, so nothing is measured
// twice. elapsed covers writing the request through reading the last byte.
func (s *session) roundTrip(hc *hostConn, req *fasthttp.Request, resp *fasthttp.Response, x *exchange, deadline time.Time) (elapsed time.Duration, err error) {
	for attempt := 0; ; attempt++ {
		if s.aborted.Load() {
			return 0, errAborted
		}
		start := time.Now()
		var pt *stats.PhaseTimes
		if x.timed {
			x.hop = stats.PhaseTimes{}
			pt = &x.hop
		}
		box := hc.conn.Load()
		if box != nil && !replayable(req) && closedByPeer(box.c) {
			// A request that must not be sent twice is not retried, so do
			// not send it on a connection the server has already closed.
			s.drop(hc, box)
			box = nil
		}
		fresh := box == nil
		if fresh {
			c, err := s.dial(hc, deadline, pt)
			if err != nil {
				return time.Since(start), err
			}
			box = &connBox{c: c}
			hc.conn.Store(box)
			if s.aborted.Load() { // abort raced with the dial
				c.Close()
				return 0, errAborted
			}
		}
		c := box.c
		if !deadline.IsZero() {
			c.SetDeadline(deadline)
		}
		err = s.exchangeOn(c, req, resp, x)
		elapsed = time.Since(start)
		if err == nil {
			if pt != nil {
				addPhases(&x.phases, pt)
			}
			if resp.ConnectionClose() || req.ConnectionClose() {
				s.drop(hc, box)
			}
			return elapsed, nil
		}
		s.drop(hc, box)
		if s.aborted.Load() {
			return elapsed, errAborted
		}
		// Retry only when a reused connection gave us nothing at all (the
		// server had closed it while we were idle), and only a request that
		// may be sent twice: a POST the server acted on before dropping the
		// connection must not be repeated, as browsers and net/http agree.
		if !fresh && attempt == 0 && replayable(req) && errors.Is(err, errNothingReceived) {
			continue
		}
		if errors.Is(err, errNothingReceived) {
			err = errors.Unwrap(err)
		}
		return elapsed, err
	}
}

// replayable reports whether a request may be sent again after a failure
// that left no answer: idempotent methods (RFC 9110), or any request that
// carries an idempotency key.
func replayable(req *fasthttp.Request) bool {
	switch string(req.Header.Method()) {
	case "GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE":
		return true
	}
	return len(req.Header.Peek("Idempotency-Key")) > 0
}

// errNothingReceived wraps a failure that happened before any byte of the
// response arrived.
var errNothingReceived = errors.New("connection closed before any response byte")

type nothingReceived struct{ err error }

func (e nothingReceived) Error() string        { return e.err.Error() }
func (e nothingReceived) Unwrap() error        { return e.err }
func (e nothingReceived) Is(target error) bool { return target == errNothingReceived }

func (s *session) drop(hc *hostConn, box *connBox) {
	if hc.conn.CompareAndSwap(box, nil) {
		box.c.Close()
	}
}

// exchangeOn writes req on c and reads the response. When x.timed it
// splits its time into x.hop's send, wait and download.
func (s *session) exchangeOn(c net.Conn, req *fasthttp.Request, resp *fasthttp.Response, x *exchange) error {
	var mark time.Time
	if x.timed {
		mark = time.Now()
	}
	bw := acquireWriter(c)
	err := req.Write(bw)
	if err == nil {
		err = bw.Flush()
	}
	releaseWriter(bw)
	if err != nil {
		return nothingReceived{err}
	}
	if x.timed {
		mark = lap(&x.hop.Send, mark)
	}
	br := acquireReader(c)
	defer releaseReader(br)
	resp.Reset()
	resp.StreamBody = true
	resp.SkipBody = req.Header.IsHead()
	// fasthttp reports any failure before the first byte as io.EOF; peek
	// first so that a reset or a timeout is named as such in the stats.
	if _, err := br.Peek(1); err != nil {
		var te interface{ Timeout() bool }
		if errors.As(err, &te) && te.Timeout() {
			return err // the deadline is spent: nothing to retry
		}
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nothingReceived{err}
	}
	if x.timed {
		mark = lap(&x.hop.Wait, mark)
	}
	if err := resp.Read(br); err != nil {
		if err == io.EOF {
			return nothingReceived{io.ErrUnexpectedEOF}
		}
		return err
	}
	if err := readBody(resp, x); err != nil {
		resp.CloseBodyStream()
		return err
	}
	if err := resp.CloseBodyStream(); err != nil {
		return err
	}
	if x.timed {
		lap(&x.hop.Download, mark)
	}
	if br.Buffered() > 0 {
		// Bytes after the response: the server is out of step with us.
		resp.SetConnectionClose()
	}
	return nil
}

// readBody keeps the first x.bodyCap bytes and counts the rest.
func readBody(resp *fasthttp.Response, x *exchange) error {
	if x.buf == nil {
		x.buf = bodyPool.Get().(*[]byte)
		x.body = *x.buf
	}
	x.body = x.body[:0]
	x.size = 0
	r := resp.BodyStream()
	if r == nil {
		return nil
	}
	for len(x.body) < x.bodyCap {
		if len(x.body) == cap(x.body) {
			x.body = slices.Grow(x.body, min(max(cap(x.body), 4096), x.bodyCap-len(x.body)))
		}
		n, err := r.Read(x.body[len(x.body):min(cap(x.body), x.bodyCap)])
		x.body = x.body[:len(x.body)+n]
		x.size += int64(n)
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
	// Past the cap: count, do not keep. io.Discard reads with a pooled buffer.
	n, err := io.Copy(io.Discard, r)
	x.size += n
	return err
}

// dial opens a connection to hc, with its TLS handshake for https. pt, when
// not nil, receives the connect and handshake times.
func (s *session) dial(hc *hostConn, deadline time.Time, pt *stats.PhaseTimes) (net.Conn, error) {
	var mark time.Time
	if pt != nil {
		mark = time.Now()
	}
	d := net.Dialer{Deadline: deadline, KeepAlive: -1}
	c, err := d.Dial("tcp", hc.addr)
	if err != nil {
		return nil, err
	}
	if pt != nil {
		mark = lap(&pt.Connect, mark)
		pt.NewConn = true
	}
	if !hc.isTLS {
		return c, nil
	}
	conf := s.tlsConf
	if conf == nil {
		conf = &tls.Config{}
	}
	if conf.ServerName == "" {
		conf = conf.Clone()
		host, _, _ := net.SplitHostPort(hc.addr)
		conf.ServerName = host
	}
	tc := tls.Client(c, conf)
	if !deadline.IsZero() {
		tc.SetDeadline(deadline)
	}
	if err := tc.Handshake(); err != nil {
		c.Close()
		return nil, err
	}
	if pt != nil {
		lap(&pt.TLS, mark)
		pt.NewTLS = true
	}
	return tc, nil
}
