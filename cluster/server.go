package cluster

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
)

// Server is a NATS server embedded in the master.
type Server struct {
	ns *server.Server
}

// Loopback reports whether addr (HOST:PORT or HOST) binds only to this
// machine. An empty host binds every interface, so it is not loopback.
func Loopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		host = addr
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Serve starts a NATS server on addr (HOST:PORT; port 0 picks a free one)
// that admits only clients with token, when token is not empty.
func Serve(addr, token string) (*Server, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("--bind %q: want HOST:PORT, such as 127.0.0.1:4222", addr)
	}
	p, err := strconv.Atoi(port)
	if err != nil || p < 0 || p > 65535 {
		return nil, fmt.Errorf("--bind %q: bad port %q", addr, port)
	}
	if p == 0 {
		// NATS reads port 0 as its default 4222; -1 asks for a free one.
		p = server.RANDOM_PORT
	}
	opts := &server.Options{
		Host:          host,
		Port:          p,
		NoLog:         true,
		NoSigs:        true,
		Authorization: token,
		// MaxPayload stays NATS's default (1 MB), as on a server of the
		// user's own: the bundle and large statistics go in parts, so the
		// embedded server tests the path an external one takes.
		// No HTTP monitoring, no clustering: one port, the one asked for.
	}
	ns, err := server.NewServer(opts)
	if err != nil {
		return nil, fmt.Errorf("starting the NATS server: %w", err)
	}
	// Start returns once the client listener is up or failed to open (it
	// runs the accept loop in a goroutine of its own), so its end is the
	// condition to wait for: a fixed wait for readiness ran out on a busy
	// machine although the server was starting fine.
	ns.Start()
	if ns.Addr() == nil {
		ns.Shutdown()
		return nil, fmt.Errorf("the NATS server did not start on %s (is the port in use?)", addr)
	}
	return &Server{ns: ns}, nil
}

// URL is the client URL of the server.
func (s *Server) URL() string { return s.ns.ClientURL() }

// Addr is the address the server listens on, HOST:PORT.
func (s *Server) Addr() string {
	if a, ok := s.ns.Addr().(*net.TCPAddr); ok {
		return a.String()
	}
	return s.ns.Addr().String()
}

// Close stops the server.
func (s *Server) Close() {
	s.ns.Shutdown()
	s.ns.WaitForShutdown()
}

// ErrNoServer is Connect's error when nothing answers at the address (yet:
// a worker may start before its master).
var ErrNoServer = errors.New("no NATS server answers")

// Connect opens a client connection to url (nats://HOST:PORT, or HOST:PORT)
// with token, failing with a message a person can act on.
func Connect(url, token, name string) (*nats.Conn, error) {
	opts := []nats.Option{
		nats.Name(name),
		nats.Timeout(5 * time.Second),
		// The liveness rules of the run (LostAfter, OrphanAfter) decide when
		// a peer is gone; the client just keeps trying meanwhile.
		nats.MaxReconnects(-1),
		nats.ReconnectWait(250 * time.Millisecond),
	}
	if token != "" {
		opts = append(opts, nats.Token(token))
	}
	nc, err := nats.Connect(url, opts...)
	switch {
	case err == nil:
		if err := checkServer(nc, url); err != nil {
			return nil, err
		}
		return nc, nil
	case errors.Is(err, nats.ErrAuthorization):
		return nil, fmt.Errorf("%s refused the connection: wrong or missing --token", url)
	case errors.Is(err, nats.ErrNoServers):
		return nil, fmt.Errorf("%w at %s (is the master running and the address right?)", ErrNoServer, url)
	}
	return nil, fmt.Errorf("connecting to %s: %w", url, err)
}

// minPayload is the smallest max_payload loadrun works with: every
// control message fits in it, and larger ones go in parts of it.
const minPayload = 64 << 10

// checkServer refuses a server loadrun cannot run over, closing nc: one
// without message headers (the parts of a large message carry theirs), or
// with a max_payload too small for its messages.
func checkServer(nc *nats.Conn, url string) error {
	switch {
	case !nc.HeadersSupported():
		nc.Close()
		return fmt.Errorf("the NATS server at %s does not support message headers: loadrun needs nats-server 2.2 or later", url)
	case nc.MaxPayload() < minPayload:
		max := nc.MaxPayload()
		nc.Close()
		return fmt.Errorf("the NATS server at %s has max_payload %d bytes: loadrun needs at least %d KiB (NATS's default, 1 MB, is fine)", url, max, minPayload>>10)
	}
	return nil
}
