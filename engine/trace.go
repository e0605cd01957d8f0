package engine

import (
	"strings"
	"time"

	"github.com/valyala/fasthttp"
)

// Tracer sees what virtual users do, for debug mode and verbose output.
// Its methods are called from user goroutines, concurrently.
type Tracer interface {
	// Request is called once per request step, after its extractors and checks ran.
	Request(user int, t *RequestTrace)
	// Set is called when a set or use step gives a variable a value.
	Set(user int, name string, value any)
	// Log is called for `log` steps and rendezvous releases.
	Log(user int, msg string)
}

// TraceExcerpt is how much of a body a trace keeps.
const TraceExcerpt = 2048

// RequestTrace is one request as sent and its response as received.
type RequestTrace struct {
	Step     string
	Method   string
	URL      string
	Header   [][2]string
	Body     string // excerpt
	Status   int
	RespHdr  [][2]string
	RespBody string // excerpt
	Size     int64
	Elapsed  time.Duration
	// Extracted are the values saved by the request's extractors, in order.
	Extracted []Extracted
	Checks    []CheckTrace
	// Error is why the request failed ("" when it did not).
	Error string
}

// Extracted is one variable set from a response.
type Extracted struct {
	Var   string
	Value any
	Error string
}

// CheckTrace is one checkpoint's outcome.
type CheckTrace struct {
	Name string
	OK   bool
	Msg  string
}

func excerpt(b []byte) string {
	if len(b) > TraceExcerpt {
		return string(b[:TraceExcerpt]) + "…"
	}
	return string(b)
}

// request records the request as it goes on the wire (the response is
// added later): its header fields are read back from the bytes fasthttp
// writes, so the Cookie header appears once, as sent.
func (t *RequestTrace) request(req *fasthttp.Request) {
	t.Method, t.URL = string(req.Header.Method()), req.URI().String()
	t.Body = excerpt(req.Body())
	if t.Body == "" && req.PostArgs().Len() > 0 {
		t.Body = excerpt(req.PostArgs().QueryString())
	}
	t.Header = t.Header[:0]
	lines := strings.Split(string(req.Header.Header()), "\r\n")
	for _, line := range lines[1:] { // the first is the request line
		if k, v, ok := strings.Cut(line, ":"); ok {
			t.Header = append(t.Header, [2]string{k, strings.TrimSpace(v)})
		}
	}
}

func (t *RequestTrace) response(resp *fasthttp.Response, body []byte, size int64, elapsed time.Duration) {
	t.Status = resp.StatusCode()
	for k, v := range resp.Header.All() {
		t.RespHdr = append(t.RespHdr, [2]string{string(k), string(v)})
	}
	t.RespBody = excerpt(body)
	t.Size = size
	t.Elapsed = elapsed
}
