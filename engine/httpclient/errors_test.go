package httpclient

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/valyala/fasthttp"
)

// TestDescribe: each kind of transport failure has one text, whatever
// connection, address or bytes it came with.
func TestDescribe(t *testing.T) {
	opErr := func(op string, err error) error {
		return &net.OpError{Op: op, Net: "tcp", Source: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 42452},
			Addr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 8080}, Err: err}
	}
	cases := []struct {
		err  error
		want string
	}{
		{opErr("read", os.ErrDeadlineExceeded), "timeout after 2s"},                                               // a deadline
		{fmt.Errorf("wrapped without w: %v", opErr("read", os.ErrDeadlineExceeded)), "timeout after 2s"},          // the per-port row
		{errors.New("read tcp 127.0.0.1:42452->127.0.0.1:8080: i/o timeout"), "timeout after 2s"},                 // as text only
		{opErr("dial", syscall.ECONNREFUSED), "connection refused"},                                               // nothing listens
		{opErr("read", syscall.ECONNRESET), "connection reset by peer"},                                           // a reset
		{opErr("write", syscall.EPIPE), "broken pipe"},                                                            // a write after close
		{opErr("read", errors.New("use of closed network connection")), "read: use of closed network connection"}, // other socket errors
		{errNoResponse, "connection closed before any response byte"},                                             // closed before a byte
		{io.ErrUnexpectedEOF, "connection closed before the response ended"},                                      // a short body
		{fasthttp.ErrBrokenChunk{}, "malformed chunked body"},                                                     // a broken chunk
		{errors.New("empty hex number"), "malformed chunked body"},                                                // a bad chunk size
		{errors.New(`error when reading response headers: invalid response status code "2x11"`), "malformed response: invalid response status code"},
		{errors.New(`error when reading response headers: malformed mime header: missing colon: "Bogus 7": buffer size=60, contents: "HTTP/1.1 200 OK\r\nBogus 7"`), "malformed response: malformed mime header: missing colon"},
		{&net.DNSError{Err: "no such host", Name: "shop.test", IsNotFound: true}, "DNS: no such host"}, // the name is in the request's row already
		{errors.New("proxy 127.0.0.1:3128 said no"), "proxy said no"},                                  // addresses in other texts
		{ErrHeaderTooLarge, ErrHeaderTooLarge.Error()},                                                 // our own texts stay
	}
	for _, c := range cases {
		if got := Describe(c.err, 2*time.Second); got != c.want {
			t.Errorf("%v: %q, want %q", c.err, got, c.want)
		}
	}
}
