package cluster

import (
	"net"
	"strings"
	"testing"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
)

func TestLoopback(t *testing.T) {
	for _, tc := range []struct {
		addr string
		want bool
	}{
		{"127.0.0.1:4222", true}, // the default
		{"localhost:4222", true}, // by name
		{"[::1]:4222", true},     // IPv6 loopback
		{"127.0.0.2:1", true},    // all of 127/8 is loopback
		{"0.0.0.0:4222", false},  // every interface
		{":4222", false},         // no host: every interface
		{"10.1.2.3:4222", false}, // a LAN address
		{"example.com:1", false}, // a name that is not localhost
	} {
		if got := Loopback(tc.addr); got != tc.want {
			t.Errorf("Loopback(%q) = %v, want %v", tc.addr, got, tc.want)
		}
	}
}

// TestToken: the embedded server admits only clients with its token, and
// says so in words.
func TestToken(t *testing.T) {
	srv, err := Serve("127.0.0.1:0", "s3cret")
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	for _, tc := range []struct {
		name, token string
		ok          bool
	}{
		{"right token", "s3cret", true},
		{"wrong token", "guess", false},
		{"no token", "", false},
	} {
		nc, err := Connect(srv.URL(), tc.token, "t")
		if tc.ok {
			if err != nil {
				t.Errorf("%s: %v", tc.name, err)
			} else {
				nc.Close()
			}
			continue
		}
		if err == nil {
			nc.Close()
			t.Errorf("%s: connected", tc.name)
		} else if !strings.Contains(err.Error(), "--token") {
			t.Errorf("%s: %v does not name --token", tc.name, err)
		}
	}
}

// TestServeFreePort: port 0 picks a free port, never NATS's default.
func TestServeFreePort(t *testing.T) {
	srv, err := Serve("127.0.0.1:0", "")
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	if strings.HasSuffix(srv.Addr(), ":4222") || strings.HasSuffix(srv.Addr(), ":0") {
		t.Errorf("port 0 listens on %s", srv.Addr())
	}
}

func TestServeBadAddress(t *testing.T) {
	for _, addr := range []string{"nohostport", "127.0.0.1:http", "127.0.0.1:99999"} {
		if s, err := Serve(addr, ""); err == nil {
			s.Close()
			t.Errorf("Serve(%q) started", addr)
		}
	}
}

// TestServePortInUse: a port another listener holds is refused with a
// message, at once rather than after a wait for readiness.
func TestServePortInUse(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	s, err := Serve(l.Addr().String(), "")
	if err == nil {
		s.Close()
		t.Fatalf("Serve(%q) started on a port in use", l.Addr())
	}
	if !strings.Contains(err.Error(), "port in use") {
		t.Errorf("error %q does not say the port may be in use", err)
	}
}

// TestConnectRefusesServer: a NATS server loadrun cannot run over is
// refused at once with a message saying why, not found out mid-test.
func TestConnectRefusesServer(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts server.Options
		want string
	}{
		// A max_payload below what the control messages need.
		{"small max_payload", server.Options{MaxPayload: 4096}, "max_payload 4096 bytes"},
		// No message headers (before nats-server 2.2): parts carry headers.
		{"no headers", server.Options{NoHeaderSupport: true}, "headers"},
	} {
		o := tc.opts
		o.Host, o.Port, o.NoLog, o.NoSigs = "127.0.0.1", server.RANDOM_PORT, true, true
		ns, err := server.NewServer(&o)
		if err != nil {
			t.Fatal(err)
		}
		ns.Start()
		_, err = Connect(ns.ClientURL(), "", "t")
		ns.Shutdown()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error naming %q", tc.name, err, tc.want)
		}
	}
}

// natsOnLoopback starts an embedded NATS server on a free loopback port
// for the test and returns a function that connects a client to it under
// name; the test's cleanup closes both.
func natsOnLoopback(tb testing.TB) (*Server, func(name string) *nats.Conn) {
	tb.Helper()
	srv, err := Serve("127.0.0.1:0", "")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(srv.Close)
	return srv, func(name string) *nats.Conn {
		tb.Helper()
		nc, err := Connect(srv.URL(), "", name)
		if err != nil {
			tb.Fatal(err)
		}
		tb.Cleanup(nc.Close)
		return nc
	}
}
