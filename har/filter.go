package har

import (
	"mime"
	"net/url"
	"path"
	"strings"
)

// staticExtensions are file extensions of assets a browser fetches by
// itself for a page (images, fonts, style sheets, scripts, media).
var staticExtensions = map[string]bool{
	".css": true, ".js": true, ".mjs": true, ".map": true,
	".png": true, ".jpg": true, ".jpeg": true, ".gif": true, ".svg": true, ".ico": true,
	".webp": true, ".avif": true, ".bmp": true, ".tif": true, ".tiff": true,
	".woff": true, ".woff2": true, ".ttf": true, ".otf": true, ".eot": true,
	".mp4": true, ".webm": true, ".ogg": true, ".mp3": true, ".wav": true, ".m4a": true,
	".flac": true, ".mov": true, ".avi": true,
}

// IsStatic reports whether a recorded exchange fetched a static asset,
// judged by the response's MIME type and, failing that, the URL's
// extension. A JSON or HTML answer is never static.
func IsStatic(e *Entry) bool {
	mt := mediaType(e.Response.MimeType)
	if mt == "" {
		mt = mediaType(Get(e.Response.Headers, "Content-Type"))
	}
	switch {
	case strings.HasPrefix(mt, "image/"), strings.HasPrefix(mt, "font/"),
		strings.HasPrefix(mt, "audio/"), strings.HasPrefix(mt, "video/"),
		mt == "text/css", mt == "text/javascript", mt == "application/javascript",
		mt == "application/x-javascript", mt == "application/ecmascript",
		mt == "application/font-woff", mt == "application/vnd.ms-fontobject",
		mt == "application/x-font-ttf":
		return true
	case mt == "application/json", strings.HasSuffix(mt, "+json"), mt == "text/html",
		mt == "application/xhtml+xml", mt == "text/plain", strings.HasSuffix(mt, "xml"):
		return false
	}
	u, err := url.Parse(e.Request.URL)
	if err != nil {
		return false
	}
	return staticExtensions[strings.ToLower(path.Ext(u.Path))]
}

// mediaType is the lower-case type/subtype of a Content-Type value.
func mediaType(ct string) string {
	if ct == "" {
		return ""
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		mt, _, _ = strings.Cut(ct, ";")
	}
	return strings.ToLower(strings.TrimSpace(mt))
}

// isTextType reports whether a MIME type holds text worth searching.
func isTextType(ct string) bool {
	mt := mediaType(ct)
	return mt == "" || strings.HasPrefix(mt, "text/") || strings.Contains(mt, "json") ||
		strings.Contains(mt, "xml") || strings.Contains(mt, "javascript") ||
		mt == "application/x-www-form-urlencoded"
}

// HeaderVerdict says whether a recorded request header goes into the
// scenario and, if not, why.
type HeaderVerdict int

// Header verdicts.
const (
	KeepHeader    HeaderVerdict = iota
	DropCookie                  // the user's cookie jar sends cookies
	DropPseudo                  // HTTP/2 pseudo-headers (:authority, :path, …)
	DropBrowser                 // a header the browser or the HTTP client adds by itself
	DropBodyTyped               // Content-Type of a form or JSON body: loadrun sets it
	DropInvalid                 // not a valid header name
)

// browserHeaders are request headers a browser (or loadrun's own HTTP
// client) adds by itself: sending the recorded values would describe the
// recording browser, not the test, or break the exchange (a stale
// Content-Length, a conditional request answered 304, an encoding loadrun
// did not ask for).
var browserHeaders = map[string]bool{
	"host": true, "content-length": true, "connection": true, "keep-alive": true,
	"accept-encoding": true, "accept-language": true, "user-agent": true,
	"upgrade-insecure-requests": true, "cache-control": true, "pragma": true,
	"te": true, "trailer": true, "transfer-encoding": true, "upgrade": true,
	"dnt": true, "priority": true, "purpose": true, "referer": true, "origin": true,
	"if-none-match": true, "if-modified-since": true, "if-range": true,
	"proxy-connection": true, "save-data": true,
	"device-memory": true, "downlink": true, "ect": true, "rtt": true, "dpr": true,
	"viewport-width": true, "width": true,
}

// FilterHeader decides about one request header.
func FilterHeader(name string) HeaderVerdict {
	n := strings.ToLower(name)
	switch {
	case strings.HasPrefix(n, ":"):
		return DropPseudo
	case !validHeaderName(n):
		return DropInvalid
	case n == "cookie":
		return DropCookie
	case strings.HasPrefix(n, "sec-"), strings.HasPrefix(n, "proxy-"), browserHeaders[n]:
		return DropBrowser
	}
	return KeepHeader
}

// navigationAccept reports whether an Accept value is the one a browser
// sends by itself for a page, an image or a script (rather than one an
// application chose, such as application/json).
func navigationAccept(v string) bool {
	v = strings.TrimSpace(v)
	return v == "*/*" || strings.HasPrefix(v, "text/html") || strings.HasPrefix(v, "image/") ||
		strings.HasPrefix(v, "text/css")
}

// hostMatches reports whether a URL's host is one of the --include-host
// values (a bare name matches any port).
func hostMatches(host string, include []string) bool {
	name := host
	if h, _, ok := strings.Cut(host, ":"); ok && !strings.HasPrefix(host, "[") {
		name = h
	}
	for _, in := range include {
		in = strings.ToLower(strings.TrimSpace(in))
		if u, err := url.Parse(in); err == nil && u.Host != "" {
			in = strings.ToLower(u.Host)
		}
		if in == host || in == name {
			return true
		}
	}
	return false
}

// validHeaderName reports whether name is an HTTP token (RFC 9110).
func validHeaderName(name string) bool {
	if name == "" {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' {
			continue
		}
		if !strings.ContainsRune("!#$%&'*+-.^_`|~", rune(c)) {
			return false
		}
	}
	return true
}
