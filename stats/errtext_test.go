package stats

import (
	"fmt"
	"testing"
	"time"
)

// TestNormalizeError: each kind of failure is one text, whatever address,
// port, byte dump or varying value it carried.
func TestNormalizeError(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		// A timeout reading a chunked body: one row, not one per client port.
		{"read tcp 127.0.0.1:42452->127.0.0.1:8080: i/o timeout", "read tcp <addr>-><addr>: i/o timeout"},
		// A refused dial names the target's address.
		{"dial tcp 10.0.0.7:9: connect: connection refused", "dial tcp <addr>: connect: connection refused"},
		// IPv6 with and without a port.
		{"dial tcp [::1]:8080: connect: connection refused", "dial tcp <addr>: connect: connection refused"},
		{"no route to [fe80::1%eth0]", "no route to <addr>"},
		// A malformed status line quoted in the message: the bytes vary.
		{`cannot parse response status "HTTP/1.1 2x0 OK\r\n"`, `cannot parse response status "…"`},
		// A long quoted dump of a header block.
		{`invalid header "X-Padding: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"`, `invalid header "…"`},
		// A short quoted text is a word: kept, with what varies inside replaced.
		{`bad value "onerror=x('data-pwned','1') id 123456"`, `bad value "onerror=x('data-pwned','1') id N"`},
		// A check's limit is kept.
		{"check jsonpath $.total < 12.5: got 13", "check jsonpath $.total < 12.5: got 13"},
		// Raw byte escapes.
		{`unexpected bytes \x00\x01\xff at start`, `unexpected bytes <bytes> at start`},
		// Body sizes and long ids vary; HTTP status codes do not.
		{"HTTP 503: body of 18342 bytes", "HTTP 503: body of N bytes"},
		{"order 1234567 not found", "order N not found"},
		// Decimals vary; a protocol version does not.
		{"HTTP/1.1 response took 623.41ms", "HTTP/1.1 response took Nms"},
		// A hash or UUID part.
		{"session 9b2c4e1a07d34f6b expired", "session <id> expired"},
		// Already a kind: returned unchanged.
		{"HTTP 500", "HTTP 500"},
		{`check "status 200" failed: got 404`, `check "status 200" failed: got 404`},
		{"timeout after 60s", "timeout after 60s"},
		{"variable csrf is not set (set by: login)", "variable csrf is not set (set by: login)"},
		// Words with digits stay (sha256, v2).
		{"bad sha256 in v2 header", "bad sha256 in v2 header"},
		// Unicode text is kept.
		{"réponse invalide: délai dépassé", "réponse invalide: délai dépassé"},
	}
	for _, tt := range tests {
		if got := NormalizeError(tt.in); got != tt.want {
			t.Errorf("NormalizeError(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestErrorsGroupedByKind: 10,000 timeouts from different client ports are
// one row of the snapshot's errors.
func TestErrorsGroupedByKind(t *testing.T) {
	s := New(t0, 4)
	for i := range 10000 {
		msg := fmt.Sprintf("read tcp 127.0.0.1:%d->127.0.0.1:8080: i/o timeout", 30000+i%20000)
		s.Recorder(i).Request(getRoot, time.Second, 0, msg)
	}
	snap := s.Snapshot(t0)
	if len(snap.Errors) != 1 || snap.Errors[0].Count != 10000 {
		t.Fatalf("errors = %+v, want one kind counted 10000 times", derefs(snap.Errors))
	}
}

// TestNormalizeErrorDoesNotAllocate: a text that is already a kind costs no
// allocation, so recording a failure stays allocation-free.
func TestNormalizeErrorDoesNotAllocate(t *testing.T) {
	msg := `check "status 200" failed: got 404`
	if got := testing.AllocsPerRun(100, func() { _ = NormalizeError(msg) }); got != 0 {
		t.Errorf("NormalizeError allocates %v times, want 0", got)
	}
}

func FuzzNormalizeError(f *testing.F) {
	for _, s := range []string{"read tcp 127.0.0.1:1->[::1]:2", `"\x00\x01"`, "1.2.3.4.5", "[", `"\`, "12.", "deadbeef1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		once := NormalizeError(s)
		if twice := NormalizeError(once); twice != once {
			t.Errorf("not idempotent: %q → %q → %q", s, once, twice)
		}
	})
}
