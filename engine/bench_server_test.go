package engine

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"strconv"
	"sync"
	"testing"
)

// The benchmarks' target answers with canned responses from a small
// HTTP/1.1 loop on 127.0.0.1 instead of an httptest server: -benchmem
// counts every allocation of the process, and net/http's server makes
// about ten per request, which would hide the client's own two or three.
// Both clients (ours and net/http's) are measured against this same target.

// benchBody is the ~60-byte JSON document the side-by-side workload serves.
const benchBody = `{"id":42,"name":"teapot","price":9.5,"tags":["kitchen","tea"]}`

var (
	respPlain = cannedResponse("200 OK", "", benchBody)
	respLogin = cannedResponse("200 OK", "", `{"token":"tok-3f9a2c","user":"bench"}`)
	respItem  = cannedResponse("200 OK", "X-Request-Id: r-1234\r\n", benchBody)
	respNotFd = cannedResponse("404 Not Found", "", `{"error":"not found"}`)
)

func cannedResponse(status, headers, body string) []byte {
	return []byte("HTTP/1.1 " + status + "\r\nContent-Type: application/json\r\n" + headers +
		"Content-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n" + body)
}

// cannedServer serves keep-alive connections until closed.
type cannedServer struct {
	ln    net.Listener
	wg    sync.WaitGroup
	mu    sync.Mutex
	conns map[net.Conn]struct{}
}

// URL is the server's base URL.
func (s *cannedServer) URL() string { return "http://" + s.ln.Addr().String() }

func startCannedServer(tb testing.TB) *cannedServer {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	s := &cannedServer{ln: ln, conns: map[net.Conn]struct{}{}}
	s.wg.Add(1)
	go s.accept()
	tb.Cleanup(s.close)
	return s
}

func (s *cannedServer) accept() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		s.conns[c] = struct{}{}
		s.mu.Unlock()
		s.wg.Add(1)
		go s.serve(c)
	}
}

func (s *cannedServer) close() {
	s.ln.Close()
	s.mu.Lock()
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
}

// serve answers requests on c in order. It reads with ReadSlice and writes
// prebuilt bytes, so the server side allocates nothing per request.
func (s *cannedServer) serve(c net.Conn) {
	defer s.wg.Done()
	defer func() {
		s.mu.Lock()
		delete(s.conns, c)
		s.mu.Unlock()
		c.Close()
	}()
	// Small buffers: BenchmarkIdleUserMemory counts this side too.
	br := bufio.NewReaderSize(c, 512)
	bw := bufio.NewWriterSize(c, 512)
	for {
		line, err := br.ReadSlice('\n')
		if err != nil {
			return
		}
		resp := route(line)
		bodyLen := 0
		for {
			h, err := br.ReadSlice('\n')
			if err != nil {
				return
			}
			if len(bytes.TrimRight(h, "\r\n")) == 0 {
				break
			}
			if n, ok := contentLength(h); ok {
				bodyLen = n
			}
		}
		if bodyLen > 0 {
			if _, err := br.Discard(bodyLen); err != nil {
				return
			}
		}
		if _, err := bw.Write(resp); err != nil {
			return
		}
		// Pipelined requests are answered together, like a real server.
		if br.Buffered() == 0 {
			if err := bw.Flush(); err != nil {
				return
			}
		}
	}
}

// route picks the canned answer for a request line "METHOD /path HTTP/1.1".
func route(line []byte) []byte {
	_, rest, _ := bytes.Cut(line, []byte{' '})
	path, _, _ := bytes.Cut(rest, []byte{' '})
	// A proxy receives the absolute form (http://host/path): its path
	// answers the same, so the canned server can stand in for a proxy.
	if bytes.HasPrefix(path, []byte("http://")) {
		if i := bytes.IndexByte(path[len("http://"):], '/'); i >= 0 {
			path = path[len("http://")+i:]
		}
	}
	switch {
	case bytes.Equal(path, []byte("/")):
		return respPlain
	case bytes.Equal(path, []byte("/login")):
		return respLogin
	case bytes.HasPrefix(path, []byte("/items/")):
		return respItem
	}
	return respNotFd
}

// contentLength parses a Content-Length header line without allocating.
func contentLength(h []byte) (int, bool) {
	const name = "content-length:"
	if len(h) < len(name) || !bytes.EqualFold(h[:len(name)], []byte(name)) {
		return 0, false
	}
	n := 0
	for _, c := range bytes.TrimSpace(h[len(name):]) {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// TestCannedServer keeps the benchmarks' target honest: each route answers
// what the benchmarks expect, over one keep-alive connection.
func TestCannedServer(t *testing.T) {
	s := startCannedServer(t)
	c, err := net.Dial("tcp", s.ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	br := bufio.NewReader(c)
	tests := []struct {
		req  string
		want []byte
	}{
		// The plain workload's document.
		{"GET / HTTP/1.1\r\nHost: x\r\n\r\n", respPlain},
		// A login with a form body, which must be skipped, not parsed as a request.
		{"POST /login HTTP/1.1\r\nHost: x\r\nContent-Length: 7\r\n\r\nu=a&p=b", respLogin},
		// Any item id.
		{"GET /items/7?u=1 HTTP/1.1\r\nHost: x\r\n\r\n", respItem},
		// Anything else.
		{"GET /nope HTTP/1.1\r\nHost: x\r\n\r\n", respNotFd},
	}
	for _, tt := range tests {
		if _, err := io.WriteString(c, tt.req); err != nil {
			t.Fatal(err)
		}
		got := make([]byte, len(tt.want))
		if _, err := io.ReadFull(br, got); err != nil {
			t.Fatalf("%q: %v", tt.req, err)
		}
		if !bytes.Equal(got, tt.want) {
			t.Errorf("%q: got %q, want %q", tt.req, got, tt.want)
		}
	}
}
