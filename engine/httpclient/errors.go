package httpclient

import (
	"errors"
	"io"
	"net"
	"os"
	"regexp"
	"strings"
	"syscall"
	"time"

	"github.com/valyala/fasthttp"
)

// Describe turns a transport error into the short, stable text shown in
// the failures table: one row per kind of failure, never one per
// connection, value or byte sequence. Texts carry no addresses, ports,
// byte dumps or values read from the target; timeout is the request's
// timeout, named in a timeout's text.
func Describe(err error, timeout time.Duration) string {
	// Not net.Error: fasthttp's ErrTimeout has Timeout but not Temporary.
	var te interface{ Timeout() bool }
	switch {
	case errors.As(err, &te) && te.Timeout(), errors.Is(err, os.ErrDeadlineExceeded):
		return "timeout after " + timeout.String()
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, syscall.ECONNRESET):
		return "connection reset by peer"
	case errors.Is(err, syscall.EPIPE):
		return "broken pipe"
	case errors.Is(err, errNoResponse):
		return errNoResponse.Error()
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return "connection closed before the response ended"
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		if dnsErr.IsNotFound {
			return "DNS: no such host"
		}
		return "DNS: " + scrub(dnsErr.Err)
	}
	var chunk fasthttp.ErrBrokenChunk
	if errors.As(err, &chunk) {
		return "malformed chunked body"
	}
	var opErr *net.OpError
	if errors.As(err, &opErr) && opErr.Err != nil {
		return opErr.Op + ": " + scrub(opErr.Err.Error())
	}
	msg := err.Error()
	switch {
	case strings.Contains(msg, "i/o timeout"):
		// A timeout some library wrapped without %w.
		return "timeout after " + timeout.String()
	case strings.Contains(msg, "hex number"), strings.Contains(msg, "chunk"):
		return "malformed chunked body"
	}
	// fasthttp quotes the bytes it could not parse and dumps its buffer.
	if rest, ok := strings.CutPrefix(msg, "error when reading response headers: "); ok {
		return "malformed response: " + withoutQuotes(rest)
	}
	return scrub(msg)
}

// errNoResponse is a connection the server closed before any byte of the
// response.
var errNoResponse = errors.New("connection closed before any response byte")

// withoutQuotes cuts a parse error at the first value it quotes from the
// response (`invalid response status code "2x11"`, `missing colon:
// "Bogus…": buffer size=60, contents: …`), keeping what kind it is.
func withoutQuotes(s string) string {
	if i := strings.Index(s, ": buffer size="); i >= 0 {
		s = s[:i]
	}
	if i := strings.IndexByte(s, '"'); i >= 0 {
		s = s[:i]
	}
	return strings.TrimRight(s, ": ")
}

// addrPattern finds the network addresses that make one row per connection.
var addrPattern = regexp.MustCompile(`(?:tcp|udp)[46]? \S+->\S+: |\[?[0-9a-fA-F:.]+\]?:\d+(->)?`)

// scrub removes addresses and quoted values from an error text.
func scrub(s string) string {
	s = addrPattern.ReplaceAllString(s, "")
	return strings.Join(strings.Fields(withoutQuotes(s)), " ")
}
