//go:build unix

package httpclient

import (
	"crypto/tls"
	"net"
	"syscall"
)

// closedByPeer reports whether the server has closed (or written to) an
// idle keep-alive connection, by peeking at the socket without blocking and
// without consuming anything. It costs one system call, spent only before
// requests that must not be retried.
func closedByPeer(c net.Conn) bool {
	if tc, ok := c.(*tls.Conn); ok {
		c = tc.NetConn() // a close_notify or a FIN shows on the socket
	}
	sc, ok := c.(syscall.Conn)
	if !ok {
		return false
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return true
	}
	closed := false
	err = raw.Read(func(fd uintptr) bool {
		var b [1]byte
		n, _, err := syscall.Recvfrom(int(fd), b[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		switch {
		case err == syscall.EAGAIN || err == syscall.EWOULDBLOCK:
			closed = false // quiet: alive
		case err != nil, n == 0:
			closed = true // reset, or EOF
		default:
			closed = true // bytes nobody asked for: the stream is out of step
		}
		return true // never wait for readiness
	})
	return closed || err != nil
}
