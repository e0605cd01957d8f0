package httpclient

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"io"
	"strings"
	"testing"

	"github.com/klauspost/compress/zstd"
	brrr "github.com/molecule-man/go-brrr"
)

func compress(t *testing.T, enc, s string) []byte {
	t.Helper()
	var b bytes.Buffer
	var w io.WriteCloser
	var err error
	switch enc {
	case "gzip":
		w = gzip.NewWriter(&b)
	case "zlib":
		w = zlib.NewWriter(&b)
	case "raw":
		w, err = flate.NewWriter(&b, flate.DefaultCompression)
	case "br":
		w, err = brrr.NewWriter(&b, 5)
	case "zstd":
		w, err = zstd.NewWriter(&b)
	}
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(w, s)
	w.Close()
	return b.Bytes()
}

func half(b []byte) []byte { return b[:len(b)/2] }

// TestDecode: every supported Content-Encoding decodes; deflate is zlib
// with raw deflate as the fallback browsers allow; a corrupt body is an
// error, a body cut by the cap is not; an unknown encoding passes through.
func TestDecode(t *testing.T) {
	const text = "hello, compressed world; hello, compressed world"
	big := strings.Repeat("0", 3<<20)
	cases := []struct {
		name      string
		enc       string
		body      []byte
		limit     int
		truncated bool
		want      string
		err       string
	}{
		{name: "gzip", enc: "gzip", body: compress(t, "gzip", text), want: text},
		{name: "x-gzip", enc: "x-gzip", body: compress(t, "gzip", text), want: text},
		{name: "deflate is zlib", enc: "deflate", body: compress(t, "zlib", text), want: text},
		{name: "deflate raw fallback", enc: "Deflate", body: compress(t, "raw", text), want: text},
		{name: "brotli", enc: "br", body: compress(t, "br", text), want: text},
		{name: "zstd", enc: "zstd", body: compress(t, "zstd", text), want: text},
		{name: "identity", enc: "identity", body: []byte(text), want: text},
		{name: "unknown passes through", enc: "compress", body: []byte("as is"), want: "as is"},
		{name: "bomb cut at the limit", enc: "gzip", body: compress(t, "gzip", big), limit: 1 << 20, want: big[:1<<20]},
		{name: "zstd bomb cut at the limit", enc: "zstd", body: compress(t, "zstd", big), limit: 1 << 20, want: big[:1<<20]},
		{name: "corrupt gzip", enc: "gzip", body: []byte("not gzip at all"), err: "corrupt gzip body"},
		{name: "corrupt deflate", enc: "deflate", body: append(compress(t, "zlib", text)[:2], 0xff, 0xff, 0xff), err: "corrupt deflate body"},
		{name: "corrupt brotli", enc: "br", body: []byte{0xff, 0xff, 0xff, 0xff}, err: "corrupt br body"},
		{name: "corrupt zstd", enc: "zstd", body: []byte("definitely not zstd"), err: "corrupt zstd body"},
		{name: "truncated gzip is corrupt", enc: "gzip", body: compress(t, "gzip", text)[:20], err: "corrupt gzip body"},
		{name: "cut by the body cap is not", enc: "gzip", body: half(compress(t, "gzip", big)), truncated: true},
		{name: "zlib cut by the body cap", enc: "deflate", body: half(compress(t, "zlib", big)), truncated: true},
		{name: "br cut by the body cap", enc: "br", body: half(compress(t, "br", big)), truncated: true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			limit := c.limit
			if limit == 0 {
				limit = DefaultBodyCap * 4
			}
			got, err := Decode(nil, c.body, []byte(c.enc), limit, c.truncated)
			if c.err != "" {
				if err == nil || err.Error() != c.err {
					t.Fatalf("error %v, want %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("error %v", err)
			}
			if c.want != "" && string(got) != c.want {
				t.Errorf("decoded %d bytes %.40q, want %d bytes %.40q", len(got), got, len(c.want), c.want)
			}
		})
	}
}
