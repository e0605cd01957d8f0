//go:build !unix

package httpclient

import "net"

// closedByPeer cannot peek at a socket here; a stale connection then fails
// the request that finds it, which is counted.
func closedByPeer(net.Conn) bool { return false }
