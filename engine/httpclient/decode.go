package httpclient

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"io"
	"sync"
)

// Bodies are kept as received. When a scenario asked for compression
// (an Accept-Encoding header) and the server used it, extractors, checks and
// debug output read the decoded body instead, up to the same cap, so that a
// compression bomb costs no more memory than a plain body.

var gzipReaders sync.Pool

// Decode returns body decoded per the Content-Encoding enc, appended
// to dst[:0], or body itself for identity and encodings we do not decode
// (br, zstd). A truncated or corrupt body yields what could be decoded.
func Decode(dst, body, enc []byte, limit int) []byte {
	var r io.Reader
	switch {
	case bytes.EqualFold(enc, []byte("gzip")), bytes.EqualFold(enc, []byte("x-gzip")):
		zr, _ := gzipReaders.Get().(*gzip.Reader)
		var err error
		if zr == nil {
			zr, err = gzip.NewReader(bytes.NewReader(body))
		} else {
			err = zr.Reset(bytes.NewReader(body))
		}
		if err != nil {
			return body
		}
		defer gzipReaders.Put(zr)
		r = zr
	case bytes.EqualFold(enc, []byte("deflate")):
		fr := flate.NewReader(bytes.NewReader(body))
		defer fr.Close()
		r = fr
	default:
		return body
	}
	buf := bytes.NewBuffer(dst[:0])
	io.Copy(buf, io.LimitReader(r, int64(limit)))
	return buf.Bytes()
}
