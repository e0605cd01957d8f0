package httpclient

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/klauspost/compress/zstd"
	brrr "github.com/molecule-man/go-brrr"
)

// Bodies are kept as received. When a scenario asked for compression
// (an Accept-Encoding header) and the server used it, extractors, checks and
// debug output read the decoded body instead, up to the same cap, so that a
// compression bomb costs no more memory than a plain body.
//
// Decoded: gzip (and x-gzip), deflate (the zlib format of RFC 9110
// §8.4.1.2, and raw deflate as browsers accept it too), br and zstd.

var (
	gzipReaders   sync.Pool
	brotliReaders sync.Pool
	zstdReaders   sync.Pool
)

// zstdMaxWindow bounds a zstd decoder's memory: RFC 8878 §3.1.1.1.2 asks
// HTTP decoders to accept windows of 8 MiB and allows refusing larger ones.
const zstdMaxWindow = 8 << 20

// Decode returns body decoded per the Content-Encoding enc, appended to
// dst[:0] and cut at limit bytes, or body itself for identity and encodings
// it does not know. truncated says body is only the first part of what the
// server sent (the body cap), so a stream that ends early is not an error
// then; otherwise a corrupt or truncated body is an error naming its
// encoding.
func Decode(dst, body, enc []byte, limit int, truncated bool) ([]byte, error) {
	var r io.Reader
	src := bytes.NewReader(body)
	switch {
	case equalFold(enc, "gzip"), equalFold(enc, "x-gzip"):
		zr, _ := gzipReaders.Get().(*gzip.Reader)
		var err error
		if zr == nil {
			zr, err = gzip.NewReader(src)
		} else {
			err = zr.Reset(src)
		}
		if err != nil {
			return dst[:0], decodeError("gzip", err, truncated)
		}
		defer gzipReaders.Put(zr)
		r = zr
	case equalFold(enc, "deflate"):
		if isZlib(body) {
			zr, err := zlib.NewReader(src)
			if err != nil {
				return dst[:0], decodeError("deflate", err, truncated)
			}
			defer zr.Close()
			r = zr
		} else {
			fr := flate.NewReader(src)
			defer fr.Close()
			r = fr
		}
	case equalFold(enc, "br"):
		br, _ := brotliReaders.Get().(*brrr.Reader)
		if br == nil {
			br = brrr.NewReader(src)
		} else {
			br.Reset(src)
		}
		defer brotliReaders.Put(br)
		r = br
	case equalFold(enc, "zstd"):
		zr, _ := zstdReaders.Get().(*zstd.Decoder)
		var err error
		if zr == nil {
			zr, err = zstd.NewReader(src, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxWindow(zstdMaxWindow), zstd.WithDecoderLowmem(true))
		} else {
			err = zr.Reset(src)
		}
		if err != nil {
			return dst[:0], decodeError("zstd", err, truncated)
		}
		defer zstdReaders.Put(zr)
		r = zr
	default:
		return body, nil
	}
	buf := bytes.NewBuffer(dst[:0])
	_, err := io.Copy(buf, io.LimitReader(r, int64(limit)))
	if err != nil {
		return buf.Bytes(), decodeError(string(enc), err, truncated)
	}
	return buf.Bytes(), nil
}

// isZlib reports whether b starts with a zlib header (RFC 1950): deflate
// method, a window of at most 32 KiB, and a check value.
func isZlib(b []byte) bool {
	return len(b) >= 2 && b[0]&0x0f == 8 && b[0]>>4 <= 7 && (uint16(b[0])<<8|uint16(b[1]))%31 == 0
}

func equalFold(b []byte, s string) bool { return bytes.EqualFold(b, []byte(s)) }

// decodeError is the failure of a body that does not decode; a stream cut
// by the body cap is not one.
func decodeError(enc string, err error, truncated bool) error {
	// go-brrr says "brotli: truncated input" where the others say EOF.
	if truncated && (errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) || strings.Contains(err.Error(), "truncated")) {
		return nil
	}
	return fmt.Errorf("corrupt %s body", enc)
}
