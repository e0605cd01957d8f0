package engine

import (
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"

	"github.com/loadrun/loadrun/scenario"
	"github.com/loadrun/loadrun/template"
)

// jsonBody is a `json:` request body compiled once. A body without
// templates is marshalled at load and sent as is; otherwise the tree is
// walked per request and only its template strings are rendered.
type jsonBody struct {
	static []byte // set when the body has no templates
	root   jsonNode
}

type jsonNode struct {
	kind  byte // 'l' literal (raw JSON), 't' template string, 'o' object, 'a' array
	raw   []byte
	tmpl  *template.Template
	keys  [][]byte // object keys, JSON-encoded with quotes
	nodes []jsonNode
}

func compileJSON(v any, pos scenario.Pos) (*jsonBody, error) {
	root, err := buildJSON(v, pos)
	if err != nil {
		return &jsonBody{}, err
	}
	b := &jsonBody{root: root}
	if len(b.templates()) == 0 {
		b.static, _ = b.render(nil, nil)
	}
	return b, nil
}

func buildJSON(v any, pos scenario.Pos) (jsonNode, error) {
	switch x := v.(type) {
	case string:
		t, err := template.Compile(scenario.Template{Pos: pos, Text: x})
		if err != nil {
			return jsonNode{}, err
		}
		if t.IsStatic() {
			raw, _ := json.Marshal(x)
			return jsonNode{kind: 'l', raw: raw}, nil
		}
		return jsonNode{kind: 't', tmpl: t}, nil
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		n := jsonNode{kind: 'o'}
		for _, k := range keys {
			child, err := buildJSON(x[k], pos)
			if err != nil {
				return n, err
			}
			kb, _ := json.Marshal(k)
			n.keys = append(n.keys, kb)
			n.nodes = append(n.nodes, child)
		}
		return n, nil
	case []any:
		n := jsonNode{kind: 'a'}
		for _, e := range x {
			child, err := buildJSON(e, pos)
			if err != nil {
				return n, err
			}
			n.nodes = append(n.nodes, child)
		}
		return n, nil
	default:
		raw, err := json.Marshal(x)
		if err != nil {
			return jsonNode{}, scenario.Errorf(pos, "json body: %v", err)
		}
		return jsonNode{kind: 'l', raw: raw}, nil
	}
}

func (b *jsonBody) templates() []*template.Template {
	var out []*template.Template
	var walk func(n *jsonNode)
	walk = func(n *jsonNode) {
		if n.tmpl != nil {
			out = append(out, n.tmpl)
		}
		for i := range n.nodes {
			walk(&n.nodes[i])
		}
	}
	walk(&b.root)
	return out
}

// render appends the body for vars to dst.
func (b *jsonBody) render(dst []byte, vars template.Vars) ([]byte, error) {
	if b.static != nil {
		return append(dst, b.static...), nil
	}
	return b.root.render(dst, vars)
}

func (n *jsonNode) render(dst []byte, vars template.Vars) ([]byte, error) {
	switch n.kind {
	case 'l':
		return append(dst, n.raw...), nil
	case 't':
		v, err := n.tmpl.Value(vars)
		if err != nil {
			return dst, err
		}
		return appendJSONValue(dst, v)
	case 'o':
		dst = append(dst, '{')
		for i := range n.nodes {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = append(dst, n.keys[i]...)
			dst = append(dst, ':')
			var err error
			if dst, err = n.nodes[i].render(dst, vars); err != nil {
				return dst, err
			}
		}
		return append(dst, '}'), nil
	case 'a':
		dst = append(dst, '[')
		for i := range n.nodes {
			if i > 0 {
				dst = append(dst, ',')
			}
			var err error
			if dst, err = n.nodes[i].render(dst, vars); err != nil {
				return dst, err
			}
		}
		return append(dst, ']'), nil
	}
	return dst, fmt.Errorf("json body: bad node %q", n.kind)
}

// appendJSONValue encodes a template's typed value: a `${n}` that holds a
// number stays a number, a string becomes a JSON string.
func appendJSONValue(dst []byte, v any) ([]byte, error) {
	switch x := v.(type) {
	case string:
		return appendJSONString(dst, x), nil
	case int:
		return strconv.AppendInt(dst, int64(x), 10), nil
	case int64:
		return strconv.AppendInt(dst, x, 10), nil
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return dst, fmt.Errorf("json body: %v is not a JSON number", x)
		}
		return strconv.AppendFloat(dst, x, 'f', -1, 64), nil
	case bool:
		return strconv.AppendBool(dst, x), nil
	case nil:
		return append(dst, "null"...), nil
	}
	raw, err := json.Marshal(v)
	if err != nil {
		return dst, fmt.Errorf("json body: %v", err)
	}
	return append(dst, raw...), nil
}

// appendJSONString quotes s as a JSON string (strconv.Quote is Go syntax,
// whose \x escapes JSON does not accept).
func appendJSONString(dst []byte, s string) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			dst = append(dst, '\\', c)
		case c == '\n':
			dst = append(dst, '\\', 'n')
		case c == '\r':
			dst = append(dst, '\\', 'r')
		case c == '\t':
			dst = append(dst, '\\', 't')
		case c < 0x20:
			dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		default:
			dst = append(dst, c)
		}
	}
	return append(dst, '"')
}
