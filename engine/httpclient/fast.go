package httpclient

import (
	"bufio"
	"context"
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

// fastClient is the HTTP/1.1 Client: it drives fasthttp's request writer
// and response parser over the user's own connections instead of using a
// fasthttp.HostClient per user. A user then owns exactly its connections,
// holds no buffers and no goroutines while it thinks (buffers come from
// pools per request), and the time measured runs from the first byte
// written to the last byte read.
type fastClient struct {
	conns []*hostConn // usually one; a short slice beats a map
	// connsMu orders the owner's appends to conns with Abort's reads from
	// another goroutine. The owner reads conns without it: reads do not
	// race with reads, and only the owner writes.
	connsMu   sync.Mutex
	tlsConf   *tls.Config
	dial      DialFunc
	maxHeader int
	aborted   atomic.Bool
}

func newFastClient(o Options, tlsConf *tls.Config) *fastClient {
	return &fastClient{tlsConf: tlsConf, dial: o.dialer(), maxHeader: o.maxHeader()}
}

type hostConn struct {
	host  string // as written in URLs: host or host:port
	addr  string // host:port, to dial
	isTLS bool
	conn  atomic.Pointer[connBox]
}

// connBox lets Abort close the current connection from another goroutine.
type connBox struct{ c net.Conn }

var (
	readerPool    sync.Pool
	bigReaderPool sync.Pool
	writerPool    sync.Pool
)

// readBufferSize holds the header blocks of nearly every response; a larger
// block is read again through a reader of the configured maximum size.
const readBufferSize = 4096

func acquireReader(c io.Reader) *bufio.Reader {
	if v := readerPool.Get(); v != nil {
		br := v.(*bufio.Reader)
		br.Reset(c)
		return br
	}
	return bufio.NewReaderSize(c, readBufferSize)
}

func releaseReader(br *bufio.Reader) {
	br.Reset(nil)
	readerPool.Put(br)
}

// acquireBigReader returns a reader of at least size bytes over r.
func acquireBigReader(r io.Reader, size int) *bufio.Reader {
	if v := bigReaderPool.Get(); v != nil {
		br := v.(*bufio.Reader)
		if br.Size() >= size {
			br.Reset(r)
			return br
		}
	}
	return bufio.NewReaderSize(r, size)
}

func releaseBigReader(br *bufio.Reader) {
	br.Reset(nil)
	bigReaderPool.Put(br)
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

// hostConnFor returns the connection slot for a URL's host (host or
// host:port), creating it. It takes the host as bytes and compares them
// without a conversion, so the request path does not allocate the host
// string every time: only a new host does.
func (s *fastClient) hostConnFor(host []byte, isTLS bool) *hostConn {
	for _, hc := range s.conns {
		if hc.host == string(host) && hc.isTLS == isTLS {
			return hc
		}
	}
	hc := &hostConn{host: string(host), isTLS: isTLS}
	_, hc.addr = hostAndAddr(hc.host, isTLS)
	s.connsMu.Lock()
	s.conns = append(s.conns, hc)
	s.connsMu.Unlock()
	return hc
}

// Abort closes every connection so that a request in flight returns at
// once; later requests fail with ErrAborted.
func (s *fastClient) Abort() {
	s.aborted.Store(true)
	s.connsMu.Lock()
	conns := s.conns
	s.connsMu.Unlock()
	for _, hc := range conns {
		if b := hc.conn.Swap(nil); b != nil {
			b.c.Close()
		}
	}
}

// Close releases the user's connections at the end of its life.
func (s *fastClient) Close() {
	for _, hc := range s.conns {
		if b := hc.conn.Swap(nil); b != nil {
			b.c.Close()
		}
	}
}

// RoundTrip implements Client. A request on a kept-alive connection that
// the server closed while idle is retried once on a fresh connection, as
// browsers do; nothing was received, so nothing is measured twice.
func (s *fastClient) RoundTrip(req *fasthttp.Request, resp *fasthttp.Response, x *Exchange, deadline time.Time) (elapsed time.Duration, err error) {
	uri := req.URI()
	isTLS := string(uri.Scheme()) == "https"
	hc := s.hostConnFor(uri.Host(), isTLS)
	for attempt := 0; ; attempt++ {
		if s.aborted.Load() {
			return 0, ErrAborted
		}
		start := time.Now()
		pt := x.beginHop()
		box := hc.conn.Load()
		if box != nil && !replayable(req) && closedByPeer(box.c) {
			// A request that must not be sent twice is not retried, so do
			// not send it on a connection the server has already closed.
			s.drop(hc, box)
			box = nil
		}
		fresh := box == nil
		if fresh {
			c, err := s.dialHost(hc, deadline, pt)
			if err != nil {
				return time.Since(start), err
			}
			box = &connBox{c: c}
			hc.conn.Store(box)
			if s.aborted.Load() { // Abort raced with the dial
				c.Close()
				return 0, ErrAborted
			}
		}
		c := box.c
		if !deadline.IsZero() {
			c.SetDeadline(deadline)
		}
		err = s.exchangeOn(c, req, resp, x)
		elapsed = time.Since(start)
		if err == nil {
			x.endHop()
			if resp.ConnectionClose() || req.ConnectionClose() {
				s.drop(hc, box)
			}
			return elapsed, nil
		}
		s.drop(hc, box)
		if s.aborted.Load() {
			return elapsed, ErrAborted
		}
		// Retry only when a reused connection gave us nothing at all (the
		// server had closed it while we were idle), and only a request that
		// may be sent twice: a POST the server acted on before dropping the
		// connection must not be repeated, as browsers and net/http agree.
		if !fresh && attempt == 0 && replayable(req) && errors.Is(err, errNothingReceived) {
			continue
		}
		if errors.Is(err, errNothingReceived) {
			if err = errors.Unwrap(err); err == io.ErrUnexpectedEOF {
				err = errNoResponse
			}
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

func (s *fastClient) drop(hc *hostConn, box *connBox) {
	if hc.conn.CompareAndSwap(box, nil) {
		box.c.Close()
	}
}

// exchangeOn writes req on c and reads the response. When x.Timed it
// splits its time into the hop's send, wait and download.
func (s *fastClient) exchangeOn(c net.Conn, req *fasthttp.Request, resp *fasthttp.Response, x *Exchange) error {
	var mark time.Time
	if x.Timed {
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
	if x.Timed {
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
	x.Answered = true
	if x.Timed {
		mark = lap(&x.hop.Wait, mark)
	}
	r := br
	if err = resp.Read(br); err != nil && isSmallBuffer(err) {
		// A header block larger than the pooled buffer: fasthttp consumed
		// nothing, so read it again through a reader of the full limit.
		if s.maxHeader <= readBufferSize {
			return ErrHeaderTooLarge
		}
		big := acquireBigReader(br, s.maxHeader)
		defer releaseBigReader(big)
		r = big
		resp.Reset()
		resp.StreamBody = true
		resp.SkipBody = req.Header.IsHead()
		if err = resp.Read(big); err != nil && isSmallBuffer(err) {
			return ErrHeaderTooLarge
		}
	}
	if err != nil {
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
	if x.Timed {
		lap(&x.hop.Download, mark)
	}
	if r.Buffered() > 0 || br.Buffered() > 0 {
		// Bytes after the response: the server is out of step with us.
		resp.SetConnectionClose()
	}
	return nil
}

// isSmallBuffer reports fasthttp's "header block larger than the read
// buffer". It is a function of its own so that the target of errors.As
// escapes only on that path, not on every request.
func isSmallBuffer(err error) bool {
	var small *fasthttp.ErrSmallBuffer
	return errors.As(err, &small)
}

// ErrHeaderTooLarge fails a response whose header block exceeds
// Options.MaxHeaderBytes.
var ErrHeaderTooLarge = errors.New("response header block too large (raise it with --max-header-size)")

// readBody keeps the first x.BodyCap bytes and counts the rest.
func readBody(resp *fasthttp.Response, x *Exchange) error {
	x.bodyBuffer()
	r := resp.BodyStream()
	if r == nil {
		return nil
	}
	return x.readFrom(r)
}

// readFrom reads a body from r into x, keeping the first BodyCap bytes.
func (x *Exchange) readFrom(r io.Reader) error {
	for len(x.Body) < x.BodyCap {
		if len(x.Body) == cap(x.Body) {
			x.Body = slices.Grow(x.Body, min(max(cap(x.Body), 4096), x.BodyCap-len(x.Body)))
		}
		n, err := r.Read(x.Body[len(x.Body):min(cap(x.Body), x.BodyCap)])
		x.Body = x.Body[:len(x.Body)+n]
		x.Size += int64(n)
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
	// Past the cap: count, do not keep. io.Discard reads with a pooled buffer.
	n, err := io.Copy(io.Discard, r)
	x.Size += n
	return err
}

// dialHost opens a connection to hc, with its TLS handshake for https. pt,
// when not nil, receives the connect and handshake times.
func (s *fastClient) dialHost(hc *hostConn, deadline time.Time, pt *stats.PhaseTimes) (net.Conn, error) {
	var mark time.Time
	if pt != nil {
		mark = time.Now()
	}
	ctx := context.Background()
	if !deadline.IsZero() {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, deadline)
		defer cancel()
	}
	c, err := s.dial(ctx, "tcp", hc.addr)
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
	host, _, _ := net.SplitHostPort(hc.addr)
	tc := tls.Client(c, tlsFor(s.tlsConf, host))
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

// tlsFor returns conf for a handshake with host: with host as the server
// name unless conf names one.
func tlsFor(conf *tls.Config, host string) *tls.Config {
	if conf == nil {
		conf = &tls.Config{}
	}
	if conf.ServerName == "" {
		conf = conf.Clone()
		conf.ServerName = host
	}
	return conf
}

// hostAndAddr splits a URL host into the host name (for cookies) and a
// dial address, with the scheme's default port when it has none. An IPv6
// literal keeps its brackets in the address ("[::1]:80") and loses them in
// the name ("::1").
func hostAndAddr(host string, isTLS bool) (string, string) {
	if h, _, err := net.SplitHostPort(host); err == nil {
		return h, host
	}
	port := "80"
	if isTLS {
		port = "443"
	}
	name := host
	if len(name) > 1 && name[0] == '[' && name[len(name)-1] == ']' {
		name = name[1 : len(name)-1]
	}
	return name, net.JoinHostPort(name, port)
}
