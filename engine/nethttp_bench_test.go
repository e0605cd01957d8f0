package engine

import (
	"io"
	"net/http"
	"sync/atomic"
	"testing"
	"time"
)

// The net/http baseline: the same GET loop as BenchmarkPlainGET, with a
// net/http Transport tuned the way a load tool would (hey, vegeta): one
// Transport per user so each keeps its own connection, no compression,
// one request value built once and sent with RoundTrip (no Client, no
// redirect machinery), the body drained into a reused buffer, the time
// taken around the exchange. It is what we would ship if we dropped
// fasthttp's parser; the figures decide (bench/README.md).

// netUser is one user of the baseline.
type netUser struct {
	tr  *http.Transport
	req *http.Request
	buf []byte
}

func newNetUser(tb testing.TB, url string) *netUser {
	tb.Helper()
	tr := &http.Transport{
		MaxIdleConnsPerHost: 1,
		DisableCompression:  true,
		IdleConnTimeout:     time.Minute,
	}
	tb.Cleanup(tr.CloseIdleConnections)
	req, err := http.NewRequest(http.MethodGet, url+"/", nil)
	if err != nil {
		tb.Fatal(err)
	}
	return &netUser{tr: tr, req: req, buf: make([]byte, 4096)}
}

// get does one request and reports its time and body size, failing tb on
// an error (from a benchmark goroutine: Error, not Fatal).
func (n *netUser) get(tb testing.TB) (time.Duration, int) {
	start := time.Now()
	resp, err := n.tr.RoundTrip(n.req)
	if err != nil {
		tb.Error(err)
		return 0, 0
	}
	size := 0
	for {
		k, err := resp.Body.Read(n.buf)
		size += k
		if err == io.EOF {
			break
		}
		if err != nil {
			tb.Error(err)
			break
		}
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || size != len(benchBody) {
		tb.Errorf("got HTTP %d with %d bytes, want 200 with %d", resp.StatusCode, size, len(benchBody))
	}
	return time.Since(start), size
}

// BenchmarkNetHTTPGET is the baseline of BenchmarkPlainGET: one user,
// net/http client, same target. It records nothing, so the difference is
// a lower bound of what net/http would cost us.
func BenchmarkNetHTTPGET(b *testing.B) {
	s := startCannedServer(b)
	u := newNetUser(b, s.URL())
	u.get(b)
	b.ReportAllocs()
	for b.Loop() {
		u.get(b)
	}
}

// BenchmarkNetHTTPUsers is the baseline of BenchmarkPlainGETUsers: 50
// users with their own Transport and connection on the 2 cores.
func BenchmarkNetHTTPUsers(b *testing.B) {
	const users = 50
	s := startCannedServer(b)
	us := make([]*netUser, users)
	for i := range us {
		us[i] = newNetUser(b, s.URL())
		us[i].get(b)
	}
	var next atomic.Int64
	b.SetParallelism((users + 1) / 2)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		u := us[int(next.Add(1)-1)%users]
		for pb.Next() {
			u.get(b)
		}
	})
}
