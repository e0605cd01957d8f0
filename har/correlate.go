package har

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"github.com/expr-lang/expr/builtin"

	"github.com/loadrun/loadrun/template"
)

// where says in which part of a request a value was sent.
type where struct {
	part   string // path, query, form, json, header, body, url
	key    string // the field, member or header name
	prev   string // path: the segment before this one
	number bool   // json: the value is a JSON number
}

func (w where) String() string {
	switch w.part {
	case "path", "url", "body":
		return w.part
	case "json":
		return "JSON " + w.key
	}
	return w.part + " " + w.key
}

// correlator decides, request by request, which sent values came from an
// earlier response (correlated: extracted and sent back as a variable),
// which the user typed (vars), and which stay as recorded.
type correlator struct {
	steps []*step
	ix    *index
	opts  Options
	sum   *Summary

	bySource  map[*source]*Correlation
	taken     map[string]bool       // variable names in use
	suffix    map[string]int        // the last number added to a name taken twice
	typed     map[string][]typedVar // value → vars typed with it
	firstSent map[string]int        // distinctive value → the step that first sent it
	reserved  map[string]bool       // names a variable must not take
	vars      []kv                  // the scenario's vars, in order
}

type typedVar struct{ name, key string }

// maxTypedLen is the longest typed value made a variable; longer ones
// (a pasted document, a query language text) stay in the request.
const maxTypedLen = 200

// Correlation is one value the server handed out that the recording sent
// back: the variable it became and where it was found.
type Correlation struct {
	Var string
	// Found is the response that held it first and where in it, e.g.
	// `GET /login (step 2): HTML <input name="csrf"> value`.
	Found string
	// Extractor is the extractor kind added there (jsonpath, header, regex).
	Extractor string
	// Uses are the requests that send it, e.g. `POST /login (step 3) form csrf`.
	Uses []string
}

func newCorrelator(steps []*step, opts Options, sum *Summary) *correlator {
	c := &correlator{steps: steps, ix: newIndex(opts.Limits), opts: opts, sum: sum,
		bySource: map[*source]*Correlation{}, taken: map[string]bool{}, suffix: map[string]int{},
		typed: map[string][]typedVar{}, firstSent: map[string]int{}, reserved: map[string]bool{}}
	for _, n := range append(template.FunctionNames(), builtin.Names...) {
		c.reserved[n] = true
	}
	for _, n := range []string{"user_id", "true", "false", "nil", "in", "not", "and", "or",
		"matches", "contains", "startsWith", "endsWith", "let", "if", "else", "env", "status", "body"} {
		c.reserved[n] = true
	}
	return c
}

// commonValues are never correlated without a tie, whatever their length.
var commonValues = map[string]bool{
	"true": true, "false": true, "null": true, "none": true, "undefined": true,
	"yes": true, "no": true, "on": true, "off": true, "json": true, "html": true,
	"text": true, "utf-8": true, "en-us": true, "en-gb": true, "submit": true,
	"login": true, "logout": true, "home": true, "index": true, "default": true,
	"created": true, "success": true, "error": true, "active": true, "admin": true,
}

// distinctive reports whether a value is unlikely to appear by chance:
// long enough, not a common word, and not a short number or plain word.
// Other values are correlated only when tied to their source by name.
func distinctive(v string) bool {
	if len(v) < 4 || commonValues[strings.ToLower(v)] {
		return false
	}
	digits, letters, other := 0, 0, 0
	for _, c := range v {
		switch {
		case c >= '0' && c <= '9':
			digits++
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z':
			letters++
		default:
			other++
		}
	}
	switch {
	case letters == 0 && other <= 1: // a number (or a decimal one)
		return len(v) >= 5
	case digits == 0 && other == 0: // a plain word
		return len(v) >= 12
	}
	return len(v) >= 6 || digits > 0 && letters > 0
}

// request rewrites one step's request, correlating as it goes.
func (c *correlator) request(s *step) {
	rq := &s.entry.Request
	s.method = rq.Method
	segs := strings.Split(s.u.EscapedPath(), "/")
	templated := make([]bool, len(segs))
	prev := ""
	anyPath := false
	for i, seg := range segs {
		if seg == "" {
			continue
		}
		dec, err := url.PathUnescape(seg)
		if err != nil {
			dec = seg
		}
		if v, ok := c.value(s, dec, where{part: "path", prev: prev}); ok {
			segs[i], templated[i], anyPath = "${"+v+"}", true, true
		} else {
			segs[i] = escapeTemplate(seg)
		}
		prev = dec
	}
	s.url = strings.Join(segs, "/")
	if s.url == "" {
		s.url = "/"
	}
	query := c.pairs(s, s.u.RawQuery, "query")
	if !anyPath && hasIDSegment(s.u.Path) {
		// A URL handed out whole, e.g. a Location header after a POST.
		whole := s.u.RequestURI()
		if v, ok := c.value(s, whole, where{part: "url"}); ok {
			s.url, query = "${"+v+"}", nil
		}
	}
	if s.absolute && !strings.HasPrefix(s.url, "${") {
		s.url = s.u.Scheme + "://" + s.u.Host + s.url
	}
	s.query = query
	if dupKeys(query) {
		// Repeated keys cannot be a YAML mapping: keep the query in the URL.
		s.url += "?" + rawPairs(query)
		s.query = nil
	}
	s.name = groupedName(s, strings.Split(s.u.EscapedPath(), "/"), templated)
	if s.name == "" && dupKeys(query) {
		s.name = escapeTemplate(s.u.EscapedPath())
	}
	c.headers(s)
	c.body(s)
	if st := s.final.Response.Status; st >= 400 && st <= 599 {
		s.status = st
	}
	s.logout = containsAny(s.u.Path, logoutWords)
	s.login = !s.logout && (rq.Method == "POST" && containsAny(s.u.Path, loginWords) || s.login)
}

func hasIDSegment(p string) bool {
	for _, seg := range strings.Split(p, "/") {
		if idLike(seg) {
			return true
		}
	}
	return false
}

// headers keeps the request headers a test should send.
func (c *correlator) headers(s *step) {
	rq := &s.entry.Request
	isForm, isJSON := bodyKind(rq)
	for _, h := range rq.Headers {
		verdict := FilterHeader(h.Name)
		lower := strings.ToLower(h.Name)
		if verdict == KeepHeader && lower == "content-type" && (isForm || isJSON) {
			verdict = DropBodyTyped
		}
		if verdict == KeepHeader && lower == "accept" && navigationAccept(h.Value) {
			verdict = DropBrowser
		}
		if verdict != KeepHeader {
			c.sum.dropHeader(h.Name, verdict)
			continue
		}
		val := h.Value
		scheme, token, hasScheme := strings.Cut(val, " ")
		if hasScheme && (strings.EqualFold(scheme, "Bearer") || strings.EqualFold(scheme, "Token")) {
			if v, ok := c.value(s, token, where{part: "header", key: h.Name}); ok {
				s.headers = append(s.headers, kv{h.Name, escapeTemplate(scheme) + " ${" + v + "}"})
				continue
			}
		} else if v, ok := c.value(s, val, where{part: "header", key: h.Name}); ok {
			s.headers = append(s.headers, kv{h.Name, "${" + v + "}"})
			continue
		}
		s.headers = append(s.headers, kv{h.Name, escapeTemplate(val)})
	}
}

// bodyKind says whether a request body is written as `form:` or `json:`.
func bodyKind(rq *Request) (form, isJSON bool) {
	if !rq.HasBody || rq.Body == "" {
		return false, false
	}
	mt := mediaType(rq.MimeType)
	if mt == "" {
		mt = mediaType(Get(rq.Headers, "Content-Type"))
	}
	switch {
	case mt == "application/x-www-form-urlencoded":
		return !dupKeys(splitPairs(rq.Body)), false
	case strings.Contains(mt, "json"):
		return false, json.Valid([]byte(rq.Body))
	}
	return false, false
}

// body writes the request body as form, json or raw text.
func (c *correlator) body(s *step) {
	rq := &s.entry.Request
	if !rq.HasBody || rq.Body == "" {
		return
	}
	isForm, isJSON := bodyKind(rq)
	switch {
	case isForm:
		for _, p := range c.pairs(s, rq.Body, "form") {
			s.form = append(s.form, p)
			if isPasswordKey(p.k) {
				s.login = true
			}
		}
		if s.form == nil {
			s.form = []kv{}
		}
	case isJSON:
		dec := json.NewDecoder(strings.NewReader(rq.Body))
		dec.UseNumber()
		if v, err := decodeOrdered(dec, 0); err == nil {
			var b bytes.Buffer
			writeJSON(&b, c.jsonValue(s, v, ""))
			s.jsonBody = b.String()
			return
		}
		fallthrough
	default:
		text := rq.Body
		var out strings.Builder
		last := 0
		type repl struct {
			at, end int
			v       string
		}
		var rs []repl
		for _, o := range tokenOffsets(text) {
			tok := text[o[0]:o[1]]
			if !distinctive(tok) {
				continue
			}
			if v, ok := c.value(s, tok, where{part: "body"}); ok {
				rs = append(rs, repl{o[0], o[1], v})
			}
		}
		for _, r := range rs {
			out.WriteString(escapeTemplate(text[last:r.at]))
			out.WriteString("${" + r.v + "}")
			last = r.end
		}
		out.WriteString(escapeTemplate(text[last:]))
		b := out.String()
		s.body = &b
		if ct := Get(rq.Headers, "Content-Type"); ct == "" && rq.MimeType != "" {
			s.headers = append(s.headers, kv{"Content-Type", escapeTemplate(rq.MimeType)})
		}
	}
}

// tokenOffsets lists [start, end) of each token of a free-form body.
func tokenOffsets(body string) [][2]int {
	var out [][2]int
	pos := 0
	tokens(body, func(tok string) {
		i := strings.Index(body[pos:], tok)
		out = append(out, [2]int{pos + i, pos + i + len(tok)})
		pos += i + len(tok)
	})
	return out
}

// tmplString is a JSON string that holds a template (not escaped again).
type tmplString string

// jsonValue rewrites a JSON request body, correlating its members.
func (c *correlator) jsonValue(s *step, v any, key string) any {
	switch x := v.(type) {
	case *object:
		out := &object{keys: x.keys, vals: make(map[string]any, len(x.vals))}
		for _, k := range x.keys {
			out.vals[k] = c.jsonValue(s, x.vals[k], k)
			if isPasswordKey(k) {
				s.login = true
			}
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = c.jsonValue(s, e, key)
		}
		return out
	case string:
		if v, ok := c.value(s, x, where{part: "json", key: key}); ok {
			return tmplString("${" + v + "}")
		}
		return x
	case json.Number:
		if v, ok := c.value(s, x.String(), where{part: "json", key: key, number: true}); ok {
			if strings.ContainsAny(x.String(), ".eE") {
				return tmplString("${float(" + v + ")}")
			}
			return tmplString("${int(" + v + ")}")
		}
		return x
	}
	return v
}

// pairs correlates urlencoded pairs (a query or a form body).
func (c *correlator) pairs(s *step, raw, part string) []kv {
	var out []kv
	for _, p := range splitPairs(raw) {
		if v, ok := c.value(s, p.v, where{part: part, key: p.k}); ok {
			out = append(out, kv{p.k, "${" + v + "}"})
			continue
		}
		out = append(out, kv{p.k, escapeTemplate(p.v)})
	}
	return out
}

// splitPairs decodes a=1&b=2 keeping order and repeats.
func splitPairs(raw string) []kv {
	var out []kv
	for _, part := range strings.Split(raw, "&") {
		if part == "" {
			continue
		}
		k, v, _ := strings.Cut(part, "=")
		dk, err := url.QueryUnescape(k)
		if err != nil {
			dk = k
		}
		dv, err := url.QueryUnescape(v)
		if err != nil {
			dv = v
		}
		out = append(out, kv{dk, dv})
	}
	return out
}

// rawPairs encodes written pairs back into a query string; the engine
// percent-encodes a template's value in a query itself.
func rawPairs(ps []kv) string {
	parts := make([]string, len(ps))
	for i, p := range ps {
		v := p.v
		if !(strings.HasPrefix(v, "${") && strings.HasSuffix(v, "}") && strings.Count(v, "${") == 1) {
			v = formEscape(strings.ReplaceAll(v, "$${", "${"))
		}
		parts[i] = formEscape(p.k) + "=" + v
	}
	return strings.Join(parts, "&")
}

func formEscape(s string) string { return url.QueryEscape(s) }

func dupKeys(ps []kv) bool {
	seen := map[string]bool{}
	for _, p := range ps {
		if seen[p.k] {
			return true
		}
		seen[p.k] = true
	}
	return false
}

// value decides about one sent value: the variable it is sent as, if any.
func (c *correlator) value(s *step, v string, w where) (string, bool) {
	if c.opts.Replay || v == "" {
		return "", false
	}
	dist := distinctive(v)
	if src := c.find(v, w, dist); src != nil {
		corr := c.bySource[src]
		if corr == nil {
			corr = c.addExtractor(src, v)
		}
		if corr != nil {
			use := fmt.Sprintf("%s %s", s.label(), w)
			if len(corr.Uses) < 20 {
				corr.Uses = append(corr.Uses, use)
			}
			s.uses = append(s.uses, fmt.Sprintf("${%s}: from %s", corr.Var, corr.Found))
			return corr.Var, true
		}
	}
	if _, seen := c.firstSent[v]; dist && !seen {
		c.firstSent[v] = s.n
	}
	if (w.part != "form" && w.part != "json") || w.number || len(v) > maxTypedLen || strings.ContainsAny(v, "\r\n") {
		return "", false
	}
	for _, t := range c.typed[v] {
		if dist || normKey(t.key) == normKey(w.key) {
			return t.name, true
		}
	}
	name := c.newName(w.key, "value")
	c.typed[v] = append(c.typed[v], typedVar{name, w.key})
	c.vars = append(c.vars, kv{name, escapeTemplate(v)})
	c.sum.Vars = append(c.sum.Vars, name)
	return name, true
}

// find returns the earliest source that may have handed v out.
func (c *correlator) find(v string, w where, dist bool) *source {
	var cands []*source
	if dist {
		first, sent := c.firstSent[v]
		for _, s := range c.ix.m[v] {
			if !sent || s.step < first {
				cands = append(cands, s)
			}
		}
	} else {
		// Short values only where a name ties them to their source.
		var keys []string
		switch w.part {
		case "path":
			if w.prev != "" {
				keys = []string{"id", normKey(singular(w.prev)) + "id"}
			}
		case "query", "form", "json", "header":
			keys = []string{normKey(w.key)}
		}
		// The collection an "id" must come from: the path segment before
		// it, or the field's own name (order_id ← POST /orders {"id"}).
		collection := normKey(singular(w.prev))
		if nk := normKey(w.key); w.part != "path" && len(nk) > 2 && strings.HasSuffix(nk, "id") {
			keys, collection = append(keys, "id"), nk[:len(nk)-2]
		}
		for _, k := range keys {
			for _, s := range c.ix.m[v+"\x00"+k] {
				if k == "id" && collection != normKey(singular(lastSegment(s.reqPath))) {
					continue
				}
				cands = append(cands, s)
			}
		}
		slices.SortStableFunc(cands, func(a, b *source) int { return a.step - b.step })
	}
	for _, s := range cands {
		if w.part == "url" && s.kind == fromHTML {
			continue // a link on a page: the recorded path is as good
		}
		if s.kind != fromHTML || c.bySource[s] != nil {
			return s
		}
		if _, _, ok := s.htmlPattern(c.steps[s.step].final.Response.Body, v); ok {
			return s
		}
	}
	return nil
}

// addExtractor adds the extractor for src to its step and names the variable.
func (c *correlator) addExtractor(src *source, v string) *Correlation {
	st := c.steps[src.step]
	x := &extract{}
	switch src.kind {
	case fromJSON:
		x.kind, x.expr = "jsonpath", src.jsonPath
	case fromHeader:
		x.kind, x.expr, x.nth = "header", src.header, src.nth
	case fromCookie:
		x.kind, x.expr = "cookie", src.header
	case fromHTML:
		pattern, nth, ok := src.htmlPattern(st.final.Response.Body, v)
		if !ok {
			return nil
		}
		x.kind, x.expr, x.nth = "regex", pattern, nth
	}
	x.v = c.newName(c.nameFor(src), "value")
	corr := &Correlation{Var: x.v, Found: st.label() + ": " + src.describe(), Extractor: x.kind}
	x.comment = fmt.Sprintf("%s: handed out here (%s), sent back later", x.v, src.describe())
	st.extracts = append(st.extracts, x)
	c.bySource[src] = corr
	c.sum.Correlations = append(c.sum.Correlations, corr)
	return corr
}

// nameFor picks a variable name for a source: the JSON member, header or
// HTML field name; an "id" member is named after its collection
// (POST /api/orders → order_id).
func (c *correlator) nameFor(src *source) string {
	if normKey(src.key) == "id" {
		if seg := lastSegment(src.reqPath); seg != "/" && seg != "." && !idLike(seg) {
			return singular(seg) + "_id"
		}
	}
	return src.key
}

var nonIdent = regexp.MustCompile(`[^A-Za-z0-9_]+`)

// newName makes a free variable name from a hint.
func (c *correlator) newName(hint, fallback string) string {
	n := strings.Trim(nonIdent.ReplaceAllString(hint, "_"), "_")
	n = strings.ToLower(n)
	if n == "" {
		n = fallback
	}
	if n[0] >= '0' && n[0] <= '9' {
		n = "v_" + n
	}
	if c.reserved[n] {
		n += "_value"
	}
	name := n
	for c.taken[name] {
		c.suffix[n]++
		name = fmt.Sprintf("%s_%d", n, c.suffix[n]+1)
	}
	c.taken[name] = true
	return name
}
