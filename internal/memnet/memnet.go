// Package memnet is an in-memory network for tests: a Listener whose Dial
// hands the server one end of a net.Pipe. Served through loadrun's dial hook
// (engine.Options.Dial, httpclient.Options.Dial), virtual users reach a
// server without sockets, so engine tests can run in testing/synctest's
// virtual time.
package memnet

import (
	"context"
	"errors"
	"net"
	"sync"
)

// Listener is an in-memory net.Listener. Its zero value is not usable: call
// Listen.
type Listener struct {
	conns chan net.Conn
	done  chan struct{}
	once  sync.Once
}

// Listen returns a new in-memory listener.
func Listen() *Listener {
	return &Listener{conns: make(chan net.Conn), done: make(chan struct{})}
}

// Accept waits for the next Dial.
func (l *Listener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

// Close stops Accept and refuses later Dials.
func (l *Listener) Close() error {
	l.once.Do(func() { close(l.done) })
	return nil
}

// Addr is a placeholder address: every Dial reaches this listener.
func (l *Listener) Addr() net.Addr { return addr{} }

// ErrRefused is what Dial returns once the listener is closed.
var ErrRefused = errors.New("memnet: connection refused")

// Dial connects to the listener whatever network and address are asked
// for; it has the signature of the dial hooks.
func (l *Listener) Dial(ctx context.Context, network, address string) (net.Conn, error) {
	client, server := net.Pipe()
	select {
	case l.conns <- server:
		return client, nil
	case <-l.done:
	case <-ctx.Done():
		client.Close()
		server.Close()
		return nil, ctx.Err()
	}
	client.Close()
	server.Close()
	return nil, ErrRefused
}

type addr struct{}

func (addr) Network() string { return "memnet" }
func (addr) String() string  { return "memnet" }
