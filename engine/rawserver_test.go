package engine_test

import (
	"bufio"
	"net"
	"strings"
	"testing"
)

// rawServer serves raw TCP on a loopback port for as long as the test runs:
// for each connection it reads one request head and calls answer with the
// request's path, then closes the connection. Tests of broken servers write
// whatever bytes they like, which net/http would not let them.
func rawServer(t *testing.T, answer func(c net.Conn, path string)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				br := bufio.NewReader(c)
				path := ""
				for first := true; ; first = false {
					line, err := br.ReadString('\n')
					if err != nil {
						return
					}
					if line == "\r\n" {
						break
					}
					if f := strings.Fields(line); first && len(f) > 1 {
						path = f[1]
					}
				}
				answer(c, path)
			}()
		}
	}()
	return ln.Addr().String()
}
