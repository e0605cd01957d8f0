package extractors

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/tidwall/gjson"
)

// JSONPath is a compiled JSON path: a JSONPath-style `$...` path translated
// to gjson syntax, or a native gjson path kept as written. See README.md for
// the accepted syntax.
type JSONPath struct {
	src   string
	gpath string
	// depth is how many levels of arrays the result is wrapped in because of
	// wildcards: 0 means one value, 1 an array whose elements are the
	// matches, 2 an array of arrays (`$.a[*].b[*]`), and so on.
	depth int
}

// CompileJSONPath translates and checks a path once, at load.
func CompileJSONPath(path string) (*JSONPath, error) {
	gpath, depth, err := translateJSONPath(path)
	if err != nil {
		return nil, err
	}
	return &JSONPath{src: path, gpath: gpath, depth: depth}, nil
}

// String returns the path as written.
func (p *JSONPath) String() string { return p.src }

// GJSON returns the gjson path the path was translated to.
func (p *JSONPath) GJSON() string { return p.gpath }

// Multi reports whether the path selects a list of matches (it has a
// wildcard) rather than one value.
func (p *JSONPath) Multi() bool { return p.depth > 0 }

// Get returns the raw gjson result: for a Multi path, an array of matches
// (nested once per extra wildcard).
func (p *JSONPath) Get(body []byte) gjson.Result { return gjson.GetBytes(body, p.gpath) }

// Each calls yield with every match in document order until yield returns
// false. JSON null counts as no match, so that a default applies to it.
func (p *JSONPath) Each(body []byte, yield func(gjson.Result) bool) {
	r := p.Get(body)
	if !r.Exists() {
		return
	}
	eachAt(r, p.depth, yield)
}

func eachAt(r gjson.Result, depth int, yield func(gjson.Result) bool) bool {
	if depth == 0 {
		if r.Type == gjson.Null {
			return true
		}
		return yield(r)
	}
	if !r.IsArray() {
		// A wildcard over an object or a scalar: gjson yields nothing useful,
		// and neither does JSONPath.
		return true
	}
	more := true
	r.ForEach(func(_, v gjson.Result) bool {
		more = eachAt(v, depth-1, yield)
		return more
	})
	return more
}

// ResultText is the text an extractor saves for a JSON value: strings
// unquoted, numbers and booleans as written, objects and arrays as raw JSON.
func ResultText(r gjson.Result) string {
	if r.Type == gjson.String {
		return r.Str
	}
	return r.Raw
}

// translateJSONPath turns `$.a.b[0]`, `$.items[*].id`, `$['a b']` and
// `$..name` into gjson paths. Paths not starting with `$` are native gjson
// and pass through unchanged.
func translateJSONPath(path string) (gpath string, depth int, err error) {
	path = strings.TrimSpace(path)
	if path == "" {
		return "", 0, fmt.Errorf("empty JSON path")
	}
	if path[0] != '$' {
		return path, nativeDepth(path), nil
	}
	var parts []string
	// Wildcards are held back until a segment follows them, so that a
	// trailing `$.items[*]` selects the elements (path `items`, one level of
	// matches) instead of gjson's `items.#`, which is the array's length.
	pending := 0
	push := func(p string) {
		for ; pending > 0; pending-- {
			parts = append(parts, "#")
		}
		parts = append(parts, p)
	}
	i := 1
	for i < len(path) {
		switch {
		case strings.HasPrefix(path[i:], ".."):
			name, n := scanName(path[i+2:])
			if name == "" || name == "*" {
				return "", 0, fmt.Errorf("%q: `..` must be followed by a member name", path)
			}
			if i != 1 || i+2+n != len(path) {
				return "", 0, fmt.Errorf("%q: `..name` is only supported as the whole path (`$..name`)", path)
			}
			return "@dig:" + gjson.Escape(name), 1, nil
		case path[i] == '.':
			name, n := scanName(path[i+1:])
			if name == "" {
				return "", 0, fmt.Errorf("%q: missing member name after `.` at offset %d", path, i)
			}
			i += 1 + n
			if name == "*" {
				pending++
				depth++
				continue
			}
			if name == "#" {
				// `$.items.#` is the array's length, as in gjson.
				if i != len(path) {
					return "", 0, fmt.Errorf("%q: `.#` (the length) must end the path; use `[*]` for every element", path)
				}
				push("#")
				continue
			}
			push(gjson.Escape(name))
		case path[i] == '[':
			end, seg, wild, err := scanBracket(path, i)
			if err != nil {
				return "", 0, err
			}
			i = end
			if wild {
				pending++
				depth++
				continue
			}
			push(seg)
		default:
			return "", 0, fmt.Errorf("%q: unexpected %q at offset %d (want `.name`, `[n]`, `[*]` or `['name']`)", path, path[i], i)
		}
	}
	if len(parts) == 0 {
		// `$` or `$[*]`: the whole document, or its elements.
		return "@this", depth, nil
	}
	return strings.Join(parts, "."), depth, nil
}

// scanName reads a member name up to the next `.` or `[`.
func scanName(s string) (name string, n int) {
	for n < len(s) && s[n] != '.' && s[n] != '[' {
		n++
	}
	return s[:n], n
}

// scanBracket reads `[n]`, `[*]`, `['name']` or `["name"]` starting at
// path[i] == '['.
func scanBracket(path string, i int) (end int, seg string, wild bool, err error) {
	rest := path[i+1:]
	switch {
	case strings.HasPrefix(rest, "*]"):
		return i + 3, "", true, nil
	case strings.HasPrefix(rest, "?"):
		return 0, "", false, fmt.Errorf("%q: filter expressions are not supported; use a native gjson query such as `items.#(price<10)#.name`", path)
	case len(rest) > 0 && (rest[0] == '\'' || rest[0] == '"'):
		q := rest[0]
		close := strings.IndexByte(rest[1:], q)
		if close < 0 || !strings.HasPrefix(rest[1+close+1:], "]") {
			return 0, "", false, fmt.Errorf("%q: unterminated quoted name at offset %d", path, i)
		}
		name := rest[1 : 1+close]
		return i + 1 + close + 3, gjson.Escape(name), false, nil
	}
	close := strings.IndexByte(rest, ']')
	if close < 0 {
		return 0, "", false, fmt.Errorf("%q: missing `]` after offset %d", path, i)
	}
	idx := rest[:close]
	n, convErr := strconv.Atoi(idx)
	switch {
	case convErr != nil:
		return 0, "", false, fmt.Errorf("%q: bad index %q (want a number, `*` or a quoted name)", path, idx)
	case n < 0:
		return 0, "", false, fmt.Errorf("%q: negative index %d is not supported (use match: last)", path, n)
	}
	return i + 1 + close + 1, strconv.Itoa(n), false, nil
}

// nativeDepth guesses how many wildcard levels a native gjson path has:
// `#.` segments (`items.#.id`) and `#(...)#` queries each return a list;
// `@dig:` returns every match.
func nativeDepth(p string) int {
	d := 0
	if strings.HasPrefix(p, "@dig:") {
		d++
	}
	for i := 0; i < len(p); i++ {
		if p[i] == '\\' {
			i++
			continue
		}
		if p[i] != '#' {
			continue
		}
		atStart := i == 0 || p[i-1] == '.' || p[i-1] == '|'
		if atStart && i+1 < len(p) && p[i+1] == '.' {
			d++
		}
		if i > 0 && p[i-1] == ')' {
			d++
		}
	}
	return d
}
