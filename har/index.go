package har

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// sourceKind is where in a response a value was found.
type sourceKind int

const (
	fromJSON sourceKind = iota
	fromHeader
	fromHTML
	fromCookie
)

// source is one place in a recorded response that held a value, and how an
// extractor finds it again.
type source struct {
	step int // the step whose response holds the value
	kind sourceKind
	// key is the JSON member name, the header name, or the HTML element's
	// name/id (or the attribute when the element has neither).
	key string
	// reqPath is the URL path of the request that got this response (for
	// naming and for tying ids to the path they are used in).
	reqPath string

	jsonPath string // fromJSON: $.a.b[0]
	number   bool   // fromJSON: the value is a JSON number

	header string // fromHeader: the header name as recorded; fromCookie: the cookie name
	nth    int    // fromHeader: which of the header's values

	tag, attr      string // fromHTML
	idAttr, idVal  string // fromHTML: the attribute that names the element
	quote, idQuote byte   // fromHTML: the quotes around the value and the name

	// checked, pattern, nth, found cache htmlPattern: a source's pattern is
	// built and run over its body once.
	checked      bool
	pattern      string
	patternNth   int
	patternFound bool
}

// describe says where the value was found, for comments and the summary.
func (s *source) describe() string {
	switch s.kind {
	case fromJSON:
		return "JSON " + s.jsonPath
	case fromHeader:
		return "header " + s.header
	case fromCookie:
		return "cookie " + s.header
	}
	if s.idAttr != "" {
		return fmt.Sprintf("HTML <%s %s=%q> %s", s.tag, s.idAttr, s.idVal, s.attr)
	}
	return fmt.Sprintf("HTML <%s> %s", s.tag, s.attr)
}

// index maps values seen in responses to the places that held them, the
// earliest first. It is bounded: at most maxPerValue places per value and
// Limits.MaxIndexedValues in all.
type index struct {
	m   map[string][]*source
	n   int
	lim Limits
}

const (
	maxPerValue = 4
	// maxValueLen is the longest value indexed (long enough for a JWT).
	maxValueLen = 8 << 10
)

func newIndex(lim Limits) *index { return &index{m: map[string][]*source{}, lim: lim} }

// A distinctive value is indexed under itself; any other only for JSON
// members and headers, under the value and the member's name, since it is
// found only where a name ties it to the request that sends it.
func (ix *index) add(v string, s *source) {
	if v == "" || len(v) > maxValueLen || ix.n >= ix.lim.MaxIndexedValues {
		return
	}
	if !distinctive(v) {
		if s.kind == fromHTML || s.kind == fromCookie {
			return
		}
		v += "\x00" + normKey(s.key)
	}
	list := ix.m[v]
	if len(list) >= maxPerValue {
		return
	}
	ix.m[v] = append(list, s)
	ix.n++
}

// addResponse indexes one step's final response: JSON members first, then
// headers, then HTML attributes of named elements, then other attributes,
// so that within one response the plainest extractor wins.
func (ix *index) addResponse(step int, reqPath string, r *Response) {
	budget := ix.lim.MaxValuesPerResponse
	add := func(v string, s *source) {
		if budget > 0 {
			budget--
			ix.add(v, s)
		}
	}
	body := r.Body
	mt := mediaType(r.MimeType)
	if mt == "" {
		mt = mediaType(Get(r.Headers, "Content-Type"))
	}
	trimmed := strings.TrimSpace(body)
	if strings.Contains(mt, "json") || (mt == "" || mt == "text/plain") && (strings.HasPrefix(trimmed, "{") || strings.HasPrefix(trimmed, "[")) {
		walkJSONBody(body, func(path, key, v string, number bool) bool {
			add(v, &source{step: step, kind: fromJSON, key: key, reqPath: reqPath, jsonPath: path, number: number})
			return budget > 0
		})
	}
	seen := map[string]int{}
	for _, h := range r.Headers {
		n := strings.ToLower(h.Name)
		nth := seen[n]
		seen[n]++
		if n == "set-cookie" {
			// A cookie's value sent back elsewhere than in Cookie (a
			// double-submit CSRF header such as X-XSRF-TOKEN).
			pair, _, _ := strings.Cut(h.Value, ";")
			if name, v, ok := strings.Cut(pair, "="); ok && validHeaderName(strings.TrimSpace(name)) {
				name = strings.TrimSpace(name)
				add(strings.Trim(strings.TrimSpace(v), `"`), &source{step: step, kind: fromCookie, key: name, reqPath: reqPath, header: name})
			}
			continue
		}
		if !usefulResponseHeader(n) {
			continue
		}
		add(strings.TrimSpace(h.Value), &source{step: step, kind: fromHeader, key: h.Name, reqPath: reqPath, header: h.Name, nth: nth})
	}
	if strings.Contains(mt, "html") || strings.Contains(mt, "xml") || mt == "" && strings.HasPrefix(trimmed, "<") {
		var unnamed []func()
		walkHTML(body, func(tag, attr, idAttr, idVal string, idQuote byte, raw string, quote byte) bool {
			v := html.UnescapeString(raw)
			if v != raw { // the extractor would see the escaped text
				return budget > 0
			}
			key := idVal
			if key == "" {
				key = attr
			}
			s := &source{step: step, kind: fromHTML, key: key, reqPath: reqPath, tag: tag, attr: attr, idAttr: idAttr, idVal: idVal, quote: quote, idQuote: idQuote}
			if idAttr != "" {
				add(v, s)
			} else if len(unnamed) < budget {
				unnamed = append(unnamed, func() { add(v, s) })
			}
			return budget > 0
		})
		for _, f := range unnamed {
			f()
		}
	}
}

// quietHeaders are response headers that never carry a value a client
// sends back (or that the cookie jar handles: Set-Cookie).
var quietHeaders = map[string]bool{
	"date": true, "content-length": true, "content-type": true, "server": true,
	"cache-control": true, "expires": true, "last-modified": true, "vary": true,
	"connection": true, "keep-alive": true, "transfer-encoding": true,
	"content-encoding": true, "age": true, "accept-ranges": true, "set-cookie": true,
	"strict-transport-security": true, "x-content-type-options": true,
	"x-frame-options": true, "x-xss-protection": true, "referrer-policy": true,
	"content-security-policy": true, "pragma": true, "via": true, "alt-svc": true,
	"permissions-policy": true, "report-to": true, "nel": true, "server-timing": true,
	"x-powered-by": true, "content-language": true, "content-disposition": true,
}

func usefulResponseHeader(lower string) bool {
	return !quietHeaders[lower] && !strings.HasPrefix(lower, ":") &&
		!strings.HasPrefix(lower, "access-control-") && !strings.HasPrefix(lower, "cross-origin-")
}

// walkJSONBody calls f for every string and number member of a JSON body
// with its JSON path; it stops when f returns false. Members whose names
// cannot be written in a path are skipped.
func walkJSONBody(body string, f func(path, key, v string, number bool) bool) {
	dec := json.NewDecoder(strings.NewReader(body))
	dec.UseNumber()
	var root any
	if err := dec.Decode(&root); err != nil {
		return
	}
	walkJSON(root, "$", "", f)
}

func walkJSON(v any, path, key string, f func(path, key, v string, number bool) bool) bool {
	switch x := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			p, ok := memberPath(path, k)
			if ok && !walkJSON(x[k], p, k, f) {
				return false
			}
		}
	case []any:
		for i, e := range x {
			if !walkJSON(e, path+"["+strconv.Itoa(i)+"]", key, f) {
				return false
			}
		}
	case string:
		return f(path, key, x, false)
	case json.Number:
		return f(path, key, x.String(), true)
	}
	return true
}

var plainMember = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// memberPath appends a member to a JSON path: $.a or $['a-b'].
func memberPath(path, k string) (string, bool) {
	if plainMember.MatchString(k) {
		return path + "." + k, true
	}
	if k == "" || strings.ContainsAny(k, `'\`) {
		return "", false
	}
	return path + "['" + k + "']", true
}

var (
	tagRe  = regexp.MustCompile(`<([a-zA-Z][a-zA-Z0-9-]*)(\s[^<>]*)?>`)
	attrRe = regexp.MustCompile(`([^\s"'<>/=]+)\s*=\s*(?:"([^"]*)"|'([^']*)')`)
)

// namingAttrs name an element, in order of preference.
var namingAttrs = []string{"name", "id", "property", "http-equiv", "itemprop"}

// layoutAttrs never hold a value a client sends back.
var layoutAttrs = map[string]bool{
	"id": true, "name": true, "class": true, "style": true, "type": true, "rel": true,
	"method": true, "lang": true, "dir": true, "charset": true, "role": true,
	"tabindex": true, "for": true, "width": true, "height": true, "target": true,
	"autocomplete": true, "property": true, "http-equiv": true, "itemprop": true,
	"xmlns": true, "media": true, "crossorigin": true, "integrity": true,
}

// walkHTML calls f for every quoted attribute value of every start tag.
func walkHTML(body string, f func(tag, attr, idAttr, idVal string, idQuote byte, raw string, quote byte) bool) {
	for _, m := range tagRe.FindAllStringSubmatchIndex(body, -1) {
		if m[4] < 0 {
			continue
		}
		// Names keep their recorded case: the pattern built from them
		// must match the page as the server writes it.
		tag := body[m[2]:m[3]]
		attrs := attrRe.FindAllStringSubmatch(body[m[4]:m[5]], -1)
		idAttr, idVal, idQuote := "", "", byte('"')
	naming:
		for _, want := range namingAttrs {
			for _, a := range attrs {
				if strings.EqualFold(a[1], want) && a[2]+a[3] != "" {
					idAttr, idVal = a[1], a[2]+a[3]
					if strings.HasSuffix(a[0], "'") {
						idQuote = '\''
					}
					break naming
				}
			}
		}
		for _, a := range attrs {
			name := a[1]
			if layoutAttrs[strings.ToLower(name)] {
				continue
			}
			quote, raw := byte('"'), a[2]
			if strings.HasSuffix(a[0], "'") {
				quote, raw = '\'', a[3]
			}
			if !f(tag, name, idAttr, idVal, idQuote, raw, quote) {
				return
			}
		}
	}
}

// htmlPattern is the regex that finds the source's attribute again,
// anchored on the element's tag and naming attribute, and the 0-based
// match index at which the recorded body holds value. ok is false when
// the pattern does not find the value in the recorded body.
func (s *source) htmlPattern(body, value string) (pattern string, nth int, ok bool) {
	if !s.checked {
		s.checked = true
		s.pattern, s.patternNth, s.patternFound = s.buildPattern(body, value)
	}
	return s.pattern, s.patternNth, s.patternFound
}

func (s *source) buildPattern(body, value string) (pattern string, nth int, ok bool) {
	q := regexp.QuoteMeta(string(s.quote))
	val := fmt.Sprintf(`\s%s=%s([^%s]*)%s`, regexp.QuoteMeta(s.attr), q, q, q)
	tag := `<` + regexp.QuoteMeta(s.tag) + `\b[^>]*`
	switch {
	case s.idAttr == "":
		pattern = tag + val
	default:
		iq := regexp.QuoteMeta(string(s.idQuote))
		id := fmt.Sprintf(`\s%s=%s%s%s`, regexp.QuoteMeta(s.idAttr), iq, regexp.QuoteMeta(s.idVal), iq)
		// The naming attribute may come before or after the value.
		before := tag + id + `[^>]*` + val
		if re, err := regexp.Compile(before); err == nil && re.MatchString(body) {
			pattern = before
		} else {
			pattern = tag + val + `[^>]*` + id
		}
	}
	re, err := regexp.Compile(pattern)
	if err != nil {
		return "", 0, false
	}
	for i, m := range re.FindAllStringSubmatch(body, -1) {
		if m[1] == value {
			return pattern, i, true
		}
	}
	return "", 0, false
}

// tokens splits a free-form body into candidate values.
func tokens(body string, f func(string)) {
	isTok := func(c byte) bool {
		return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
			bytes.IndexByte([]byte("-_.~+/"), c) >= 0
	}
	start := -1
	for i := 0; i <= len(body); i++ {
		if i < len(body) && isTok(body[i]) {
			if start < 0 {
				start = i
			}
			continue
		}
		if start >= 0 {
			f(body[start:i])
			start = -1
		}
	}
}
