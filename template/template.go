// Package template compiles and renders the `${expression}` strings of a
// scenario. Every string a request sends (url, query, headers, form, JSON
// strings, body, name), a `log` message and a `set` value may hold
// `${...}`; the inside is an expr-lang expression over one virtual user's
// variables (Vars).
//
// Everything is compiled once when the scenario loads, so syntax errors and
// unknown functions are reported with the scenario position before any load
// is sent. Rendering is on the request hot path: a static string costs a copy,
// `${name}` and `${pool.col}` are map lookups without the expression VM, and
// only other expressions run a compiled program.
package template

import (
	"strings"
	"unicode/utf8"

	"github.com/loadrun/loadrun/scenario"
)

// Template is one compiled template string, safe for concurrent use.
type Template struct {
	text  string
	parts []part
	// static is the rendered text when there is no `${}` at all (escapes
	// already resolved), so rendering is one append.
	static   string
	isStatic bool
	// staticValue is static boxed once, so that Value of a static template
	// does not allocate per call.
	staticValue any
	refs        []Ref
}

// part is a literal run of text or one expression.
type part struct {
	lit  string
	expr *Expr
}

// Compile parses t's `${...}` parts and compiles each expression. `$${` is
// a literal `${`. Errors are *scenario.Error at the `${` when the text is
// on one line, else at t.Pos.
func Compile(t scenario.Template) (*Template, error) {
	out := &Template{text: t.Text}
	var lit strings.Builder
	s := t.Text
	for i := 0; i < len(s); {
		switch {
		case strings.HasPrefix(s[i:], "$${"):
			lit.WriteString("${")
			i += 3
		case strings.HasPrefix(s[i:], "${"):
			pos := partPos(t, i)
			end := closingBrace(s, i+2)
			if end < 0 {
				return nil, scenario.Errorf(pos, "unterminated ${ in %q: a } is missing (write $${ for a literal ${)", s)
			}
			src := s[i+2 : end]
			e, err := compileExpr(src, pos, s[i:end+1])
			if err != nil {
				return nil, err
			}
			if lit.Len() > 0 {
				out.parts = append(out.parts, part{lit: lit.String()})
				lit.Reset()
			}
			out.parts = append(out.parts, part{expr: e})
			out.refs = append(out.refs, e.refs...)
			i = end + 1
		default:
			// Copy up to the next '$' in one go; most text has none.
			j := strings.IndexByte(s[i+1:], '$')
			if j < 0 {
				j = len(s)
			} else {
				j += i + 1
			}
			lit.WriteString(s[i:j])
			i = j
		}
	}
	if lit.Len() > 0 {
		out.parts = append(out.parts, part{lit: lit.String()})
	}
	if len(out.parts) == 0 {
		out.isStatic = true
	} else if len(out.parts) == 1 && out.parts[0].expr == nil {
		out.isStatic, out.static = true, out.parts[0].lit
	}
	out.staticValue = out.static
	return out, nil
}

// MustCompile is Compile for templates written in Go code (tests, the demo),
// where a bad template is a programming error. It panics on error and must
// not be used on scenario input.
func MustCompile(text string) *Template {
	t, err := Compile(scenario.Template{Text: text})
	if err != nil {
		panic(err)
	}
	return t
}

// partPos is the scenario position of the `${` at byte offset off. The
// column can be moved only when the text is on one line: inside a block
// scalar the YAML position says nothing about columns. Pos.Col is where the
// scalar starts, which for a quoted scalar is its quote, one column earlier.
func partPos(t scenario.Template, off int) scenario.Pos {
	pos := t.Pos
	if pos.Line > 0 && pos.Col > 0 && !strings.ContainsAny(t.Text, "\n\r") {
		pos.Col += utf8.RuneCountInString(t.Text[:off])
	}
	return pos
}

// closingBrace finds the `}` that ends an expression starting at from,
// skipping braces inside string literals and nested map literals
// (`${ {"a": 1}.a }`), or -1.
func closingBrace(s string, from int) int {
	depth := 0
	for i := from; i < len(s); i++ {
		switch c := s[i]; c {
		case '"', '\'', '`':
			i = stringEnd(s, i)
			if i < 0 {
				return -1
			}
		case '{':
			depth++
		case '}':
			if depth == 0 {
				return i
			}
			depth--
		}
	}
	return -1
}

// stringEnd is the index of the quote closing the literal opened at i, or -1.
func stringEnd(s string, i int) int {
	q := s[i]
	for j := i + 1; j < len(s); j++ {
		switch s[j] {
		case '\\':
			if q != '`' {
				j++
			}
		case q:
			return j
		}
	}
	return -1
}

// Render appends the rendered text to dst. A variable the template reads
// and v lacks is an *UnsetError; other evaluation errors name the expression.
// After an error dst may hold part of the text: callers drop it.
func (t *Template) Render(dst []byte, v Vars) ([]byte, error) {
	if t.isStatic {
		return append(dst, t.static...), nil
	}
	for i := range t.parts {
		p := &t.parts[i]
		if p.expr == nil {
			dst = append(dst, p.lit...)
			continue
		}
		var err error
		if dst, err = p.expr.appendTo(dst, v); err != nil {
			return dst, err
		}
	}
	return dst, nil
}

// RenderEscaped is Render for text with a grammar, such as a URL: after
// each inserted value (not literal text) is appended at dst[start:], escape
// rewrites it in place, reading dst[:start] for its context. A value made
// by raw(x) is kept as it is.
func (t *Template) RenderEscaped(dst []byte, v Vars, escape func(dst []byte, start int) []byte) ([]byte, error) {
	if t.isStatic {
		return append(dst, t.static...), nil
	}
	for i := range t.parts {
		p := &t.parts[i]
		if p.expr == nil {
			dst = append(dst, p.lit...)
			continue
		}
		start := len(dst)
		var err error
		var raw bool
		if dst, raw, err = p.expr.appendRaw(dst, v); err != nil {
			return dst, err
		}
		if !raw {
			dst = escape(dst, start)
		}
	}
	return dst, nil
}

// Value is the template's value: for a template that is exactly one
// `${expr}` the expression's typed value (a number stays a number, a list
// stays a list), otherwise the rendered string.
func (t *Template) Value(v Vars) (any, error) {
	if t.isStatic {
		return t.staticValue, nil
	}
	if len(t.parts) == 1 {
		return t.parts[0].expr.Eval(v)
	}
	b, err := t.Render(nil, v)
	if err != nil {
		return nil, err
	}
	return string(b), nil
}

// String renders the template to a string; a convenience for places off
// the hot path (log messages, names).
func (t *Template) String(v Vars) (string, error) {
	if t.isStatic {
		return t.static, nil
	}
	b, err := t.Render(nil, v)
	return string(b), err
}

// IsStatic is true when the template has no `${}`: it renders the same for
// every user and can be rendered once at compile time.
func (t *Template) IsStatic() bool { return t.isStatic }

// Text is the template as written, escapes included.
func (t *Template) Text() string { return t.text }

// Refs lists the variables the template reads, in source order (a variable
// read twice appears twice).
func (t *Template) Refs() []Ref { return t.refs }
