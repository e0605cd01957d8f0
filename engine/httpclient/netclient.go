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
		p.pt = pt
		hr = hr.WithContext(httptrace.WithClientTrace(ctx, p.trace()))
	}
	start := time.Now()
	p.start = start
	hresp, err := c.t.RoundTrip(hr)
	if err != nil {
		return time.Since(start), c.err(err)
	}
	defer hresp.Body.Close()
	if pt != nil {
		p.mark = time.Now()
		if !p.gotFirst.IsZero() {
			pt.Wait = p.gotFirst.Sub(p.wrote)
		}
	}
	fromNetResponse(hresp, resp)
	x.bodyBuffer()
	if !req.Header.IsHead() {
		err = x.readFrom(hresp.Body)
	}
	elapsed := time.Since(start)
	if err != nil {
		return elapsed, c.err(err)
	}
	if pt != nil {
		pt.Download = time.Since(p.mark)
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
// client reports.
type phaseTracer struct {
	pt                         *stats.PhaseTimes
	start, connStart, tlsStart time.Time
	wrote, gotFirst, mark      time.Time
}

func (p *phaseTracer) trace() *httptrace.ClientTrace {
	return &httptrace.ClientTrace{
		ConnectStart: func(string, string) { p.connStart = time.Now() },
		ConnectDone: func(string, string, error) {
			p.pt.Connect += time.Since(p.connStart)
			p.pt.NewConn = true
		},
		TLSHandshakeStart: func() { p.tlsStart = time.Now() },
		TLSHandshakeDone: func(tls.ConnectionState, error) {
			p.pt.TLS += time.Since(p.tlsStart)
			p.pt.NewTLS = true
		},
		GotConn:              func(httptrace.GotConnInfo) { p.mark = time.Now() },
		WroteRequest:         func(httptrace.WroteRequestInfo) { p.wrote = time.Now(); p.pt.Send = p.wrote.Sub(p.mark) },
		GotFirstResponseByte: func() { p.gotFirst = time.Now() },
	}
}
