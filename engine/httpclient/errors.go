package httpclient

import (
	"errors"
	"net"
	"os"
	"strings"
	"syscall"
	"time"
)

// Describe turns a transport error into the short, stable text shown in
// the failures table: one row per kind of failure, not per connection.
// timeout is the request's timeout, named in a timeout's text.
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
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return "DNS: " + dnsErr.Err + " " + dnsErr.Name
	}
	var opErr *net.OpError
	if errors.As(err, &opErr) && opErr.Err != nil {
		return opErr.Op + ": " + opErr.Err.Error()
	}
	// fasthttp quotes the bytes it could not parse: one row per kind of
	// malformed answer, not one per distinct garbage.
	msg := err.Error()
	if rest, ok := strings.CutPrefix(msg, "error when reading response headers: "); ok {
		if i := strings.Index(rest, `: response "`); i >= 0 {
			rest = rest[:i]
		}
		return "malformed response: " + rest
	}
	return msg
}
