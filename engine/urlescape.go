package engine

// How a request URL takes the values its template inserts, the way a
// browser builds a URL from a form or from encodeURIComponent:
//
//   - a value inserted after a '?' (a query name or value) or a '#' is
//     percent-encoded except for the unreserved characters A-Z a-z 0-9 - . _ ~,
//     so "tea pot & mugs" is one value, tea%20pot%20%26%20mugs;
//   - a value inserted into the path is one path segment: the same, except
//     that RFC 3986's sub-delimiters ! $ & ' ( ) * + , ; = and : @ stay,
//     and / ? # % are encoded;
//   - a value that begins the URL (`url: "${next}"`, an extracted link) is a
//     URL of its own: only bytes that cannot appear in a URL (controls, space,
//     non-ASCII, " < > \ ^ ` { | }) are encoded.
//
// The literal text of the URL is sent as written, and raw(x) inserts x as it
// is.

// escapeInserted percent-encodes dst[start:], a value just inserted into a
// URL whose text so far is dst[:start]. It encodes in place, growing dst,
// so it allocates only when dst must grow.
func escapeInserted(dst []byte, start int) []byte {
	keep := keepInPath
	switch {
	case start == 0:
		keep = keepInURL
	case inQuery(dst[:start]):
		keep = keepInQuery
	}
	n := 0
	for _, c := range dst[start:] {
		if !keep(c) {
			n++
		}
	}
	if n == 0 {
		return dst
	}
	end := len(dst)
	dst = append(dst, make([]byte, 2*n)...)
	// Walk backwards so that each byte is read before it is overwritten.
	w := len(dst)
	for r := end - 1; r >= start; r-- {
		c := dst[r]
		if keep(c) {
			w--
			dst[w] = c
			continue
		}
		w -= 3
		dst[w], dst[w+1], dst[w+2] = '%', upperHex[c>>4], upperHex[c&15]
	}
	return dst
}

const upperHex = "0123456789ABCDEF"

// inQuery reports whether text written so far has left the path.
func inQuery(b []byte) bool {
	for _, c := range b {
		if c == '?' || c == '#' {
			return true
		}
	}
	return false
}

func unreserved(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~'
}

func keepInQuery(c byte) bool { return unreserved(c) }

func keepInPath(c byte) bool {
	switch c {
	case '!', '$', '&', '\'', '(', ')', '*', '+', ',', ';', '=', ':', '@':
		return true
	}
	return unreserved(c)
}

func keepInURL(c byte) bool {
	if c <= ' ' || c >= 0x7f {
		return false
	}
	switch c {
	case '"', '<', '>', '\\', '^', '`', '{', '|', '}':
		return false
	}
	return true
}
