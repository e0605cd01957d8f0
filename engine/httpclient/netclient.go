package httpclient

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"sync"
	"time"

	"github.com/loadrun/loadrun/stats"
	"github.com/valyala/fasthttp"
)

// netClient is the Client for HTTP/2 and for requests through a proxy: a
// net/http Transport of the user's own (its own connections and TLS session
// cache), whose HTTP/2 is golang.org/x/net/http2 as bundled in net/http. Requests and responses are
// converted from and to fasthttp's, so cookies, redirects, extractors,
// checks and stats work as with the fast client, and the time is measured
// the same way: from just before the request is handed to the transport
// (connection set-up included when a new one is needed) to the last body
// byte read. It allocates per request (net/http does), so it is used only
// when asked for (HTTP/2) or needed (a proxy).
type netClient struct {
	t      *http.Transport
	ctx    context.Context // cancelled by Abort
	cancel context.CancelFunc
	mu     sync.Mutex // orders Abort with closing idle connections
}

func newNetClient(o Options, tlsConf *tls.Config, proxy func(*url.URL) (*url.URL, error)) *netClient {
	dial := o.dialer()
	t := &http.Transport{
		DialContext:            dial,
		TLSClientConfig:        tlsConf,
		DisableCompression:     true, // bodies are kept as received, as the fast client does
		MaxResponseHeaderBytes: int64(o.maxHeader()),
		MaxIdleConnsPerHost:    1,
		ForceAttemptHTTP2:      o.HTTP2,
	}
	if proxy != nil {
		t.Proxy = func(r *http.Request) (*url.URL, error) { return proxy(r.URL) }
	}
	// net/http's HTTP/2 is golang.org/x/net/http2, bundled; x/net's own
	// ConfigureTransports is deprecated in favour of Protocols.
	var protos http.Protocols
	protos.SetHTTP1(true)
	protos.SetHTTP2(o.HTTP2)
	t.Protocols = &protos
	c := &netClient{t: t}
	c.ctx, c.cancel = context.WithCancel(context.Background())
	return c
}

// RoundTrip implements Client.
func (c *netClient) RoundTrip(req *fasthttp.Request, resp *fasthttp.Response, x *Exchange, deadline time.Time) (time.Duration, error) {
	if c.ctx.Err() != nil {
		return 0, ErrAborted
	}
	ctx := c.ctx
	if !deadline.IsZero() {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, deadline)
		defer cancel()
	}
	hr, err := toNetRequest(ctx, req)
	if err != nil {
		return 0, err
	}
	pt := x.beginHop()
	var p phaseTracer
	if pt != nil {
		hr = hr.WithContext(httptrace.WithClientTrace(ctx, p.trace()))
	}
	start := time.Now()
	hresp, err := c.t.RoundTrip(hr)
	if err != nil {
		return time.Since(start), c.err(err)
	}
	defer hresp.Body.Close()
	headers := time.Now()
	fromNetResponse(hresp, resp)
	x.bodyBuffer()
	if !req.Header.IsHead() {
		err = x.readFrom(hresp.Body)
	}
	end := time.Now()
	elapsed := end.Sub(start)
	if err != nil {
		return elapsed, c.err(err)
	}
	if pt != nil {
		p.phases(pt, start, headers, end)
		x.endHop()
	}
	return elapsed, nil
}

// err names an error of an aborted client as such.
func (c *netClient) err(err error) error {
	if c.ctx.Err() != nil {
		return ErrAborted
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return errTimeout{}
	}
	return err
}

// errTimeout is a request that ran past its deadline.
type errTimeout struct{}

func (errTimeout) Error() string { return "timeout" }
func (errTimeout) Timeout() bool { return true }

// Abort implements Client.
func (c *netClient) Abort() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.cancel()
	c.t.CloseIdleConnections()
}

// Close implements Client.
func (c *netClient) Close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t.CloseIdleConnections()
}

// toNetRequest converts a fasthttp request as the fast client would write it.
func toNetRequest(ctx context.Context, req *fasthttp.Request) (*http.Request, error) {
	var body []byte
	if b := req.Body(); len(b) > 0 {
		body = b
	} else if req.PostArgs().Len() > 0 {
		body = req.PostArgs().QueryString()
	}
	hr, err := http.NewRequestWithContext(ctx, string(req.Header.Method()), req.URI().String(), bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	if len(body) == 0 {
		hr.Body, hr.ContentLength = http.NoBody, 0
	}
	for k, v := range req.Header.All() {
		switch string(k) {
		case "Host":
			hr.Host = string(v)
		case "Content-Length":
		default:
			hr.Header.Add(string(k), string(v))
		}
	}
	if _, ok := hr.Header["User-Agent"]; !ok {
		// The fast client sends none unless the scenario sets one; an empty
		// value keeps net/http from sending its own.
		hr.Header["User-Agent"] = []string{""}
	}
	return hr, nil
}

// fromNetResponse copies a net/http response's status and header fields
// into resp, as the fast client's parser would have filled it.
func fromNetResponse(hresp *http.Response, resp *fasthttp.Response) {
	resp.Reset()
	resp.SetStatusCode(hresp.StatusCode)
	for k, vs := range hresp.Header {
		for _, v := range vs {
			resp.Header.Add(k, v)
		}
	}
	if hresp.Close {
		resp.SetConnectionClose()
	}
}

// phaseTracer splits a net/http request's time into the phases the fast
// client reports. Its callbacks may run on the transport's goroutines (an
// HTTP/2 write can finish after the response began), hence the mutex.
type phaseTracer struct {
	mu                       sync.Mutex
	connect, tls             time.Duration
	newConn, newTLS          bool
	connStart, tlsStart      time.Time
	gotConn, wrote, gotFirst time.Time
}

func (p *phaseTracer) at(t *time.Time) func() {
	return func() {
		p.mu.Lock()
		*t = time.Now()
		p.mu.Unlock()
	}
}

func (p *phaseTracer) trace() *httptrace.ClientTrace {
	return &httptrace.ClientTrace{
		ConnectStart: func(string, string) { p.at(&p.connStart)() },
		ConnectDone: func(string, string, error) {
			p.mu.Lock()
			p.connect += time.Since(p.connStart)
			p.newConn = true
			p.mu.Unlock()
		},
		TLSHandshakeStart: p.at(&p.tlsStart),
		TLSHandshakeDone: func(tls.ConnectionState, error) {
			p.mu.Lock()
			p.tls += time.Since(p.tlsStart)
			p.newTLS = true
			p.mu.Unlock()
		},
		GotConn:              func(httptrace.GotConnInfo) { p.at(&p.gotConn)() },
		WroteRequest:         func(httptrace.WroteRequestInfo) { p.at(&p.wrote)() },
		GotFirstResponseByte: p.at(&p.gotFirst),
	}
}

// phases fills pt as the fast client does: connect and TLS for a new
// connection, send up to the request written, wait to the first response
// byte, download from there (header parsing included) to the last body
// byte. start, headers and end are the request's start, the return of
// RoundTrip and the end of the body.
func (p *phaseTracer) phases(pt *stats.PhaseTimes, start, headers, end time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	pt.Connect, pt.TLS, pt.NewConn, pt.NewTLS = p.connect, p.tls, p.newConn, p.newTLS
	first := p.gotFirst
	if first.IsZero() || first.After(headers) {
		first = headers
	}
	sent := p.wrote
	if sent.IsZero() || sent.After(first) {
		sent = first // an HTTP/2 write may end after the answer began
	}
	from := p.gotConn
	if from.IsZero() || from.After(sent) {
		from = start
	}
	pt.Send = sent.Sub(from)
	pt.Wait = first.Sub(sent)
	pt.Download = end.Sub(first)
}
