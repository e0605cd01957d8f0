package scenario

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/loadrun/loadrun/internal/regular"
	"go.yaml.in/yaml/v3"
)

// Load reads and parses the scenario file at path. Scenario.Dir is set to
// the file's folder, against which data files are resolved.
func Load(path string) (*Scenario, error) {
	data, err := readRegular(path)
	if err != nil {
		msg := err.Error()
		var pe *fs.PathError
		if errors.As(err, &pe) {
			msg = pe.Err.Error()
		}
		return nil, ErrorList{Errorf(Pos{File: path}, "cannot read the scenario: %s", msg)}
	}
	s, err := Parse(path, data)
	if s != nil {
		s.Dir = filepath.Dir(path)
	}
	return s, err
}

// MaxFileSize bounds a scenario file: a scenario is written by a person, so
// anything larger is a mistake (a data file given as the scenario, say)
// that must not be read whole into memory.
const MaxFileSize = 16 << 20

// readRegular reads a scenario file, refusing anything but a regular file of
// at most MaxFileSize bytes: a FIFO or a device would block the read forever.
func readRegular(path string) ([]byte, error) {
	f, err := regular.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxFileSize {
		return nil, fmt.Errorf("the file is larger than %d MiB; a scenario file is text written by a person", MaxFileSize>>20)
	}
	return data, nil
}

// Parse turns a YAML or JSON scenario into the model. filename is used only
// in positions; a name ending in .json is parsed as strict JSON. On problems
// the error is an ErrorList holding every problem found, in file order, and
// the scenario returned with it (nil only when the file is not YAML or JSON
// at all) holds every part that parsed, with Incomplete set: compiling it
// finds the problems of the later layers (patterns, paths, templates,
// thresholds, data files) in the same pass. Only a scenario returned
// without an error may be run.
func Parse(filename string, data []byte) (*Scenario, error) {
	p := &parser{file: filename, claimed: map[string]bool{}}
	if isJSONName(filename) && !p.strictJSON(data) {
		return nil, p.errs
	}
	root := p.document(data)
	if root == nil {
		return nil, p.errs
	}
	s := p.scenario(root)
	p.checkUses()
	if len(p.errs) > 0 {
		SortErrors(p.errs)
		// A node reached through several aliases is reported once.
		p.errs = slices.CompactFunc(p.errs, func(a, b *Error) bool { return *a == *b })
		s.Incomplete = true
		for name := range p.claimed {
			s.Unparsed = append(s.Unparsed, name)
		}
		sort.Strings(s.Unparsed)
		s.LostRequests = p.lostRequests
		return s, p.errs
	}
	return s, nil
}

// SortErrors orders errors by file, line and column, keeping the order of
// errors at one position.
func SortErrors(l ErrorList) {
	sort.SliceStable(l, func(i, j int) bool {
		a, b := l[i].Pos, l[j].Pos
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Col < b.Col
	})
}

// parser walks one file's node tree, collecting every problem rather than
// stopping at the first, so a user fixes a file in one round.
type parser struct {
	file string
	errs ErrorList
	// uses are the `use:` steps seen, checked against the pools at the end
	// because data may be declared after the users that draw from it.
	uses []*Use
	// poolNames are the keys under data, in file order.
	poolNames []string
	// claimed are the variables that elements which did not parse would
	// set (an extract with a bad pattern key still names its var), so that
	// later checks do not also call them unset.
	claimed map[string]bool
	// lostRequests is set when a step, task or user type holding requests
	// did not parse: their names are unknown.
	lostRequests bool
	// src is the file's text, read again to place YAML syntax errors.
	src []byte
}

// maxExpanded bounds the node count of a document with its aliases
// expanded, so that a few lines of nested aliases ("billion laughs") cannot
// make the parser build an enormous model.
const maxExpanded = 1 << 20

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// document parses data into a node tree and returns the top mapping, or nil
// when the file cannot be used at all.
func (p *parser) document(data []byte) (root *yaml.Node) {
	p.src = data
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	err := func() (err error) {
		// The YAML library is third-party code fed arbitrary bytes; a
		// bug in it must still come out as an error, never a crash.
		defer func() {
			if r := recover(); r != nil {
				err = fmt.Errorf("yaml: %v", r)
			}
		}()
		return dec.Decode(&doc)
	}()
	if errors.Is(err, io.EOF) || (err == nil && len(doc.Content) == 0) {
		p.errs.Add(Pos{File: p.file, Line: 1, Col: 1}, "the file is empty; a scenario needs at least users with tasks")
		return nil
	}
	if err != nil {
		p.yamlError(err)
		return nil
	}
	var extra yaml.Node
	if err := func() (err error) {
		defer func() {
			if r := recover(); r != nil {
				err = fmt.Errorf("yaml: %v", r)
			}
		}()
		return dec.Decode(&extra)
	}(); err == nil {
		at := &extra
		if len(extra.Content) > 0 {
			at = extra.Content[0]
		}
		p.errs.Add(p.pos(at), "a scenario file holds one document; remove the second \"---\" and what follows")
	} else if !errors.Is(err, io.EOF) {
		p.yamlError(err)
	}
	top := doc.Content[0]
	if !p.aliasesOK(top) {
		return nil
	}
	top = deref(top)
	if top.Kind != yaml.MappingNode {
		p.errs.Add(p.pos(top), "a scenario must be a mapping with name, host, users, ...; got %s", describe(top))
		return nil
	}
	return top
}

// aliasesOK rejects aliases that refer to their own anchor and documents
// whose expanded size is out of proportion.
func (p *parser) aliasesOK(root *yaml.Node) bool {
	const inProgress = -1
	size := map[*yaml.Node]int{}
	ok := true
	var walk func(n *yaml.Node) int
	walk = func(n *yaml.Node) int {
		if s, seen := size[n]; seen {
			if s == inProgress {
				return maxExpanded + 1
			}
			return s
		}
		size[n] = inProgress
		total := 1
		if n.Kind == yaml.AliasNode && n.Alias != nil {
			if s, seen := size[n.Alias]; seen && s == inProgress {
				p.errs.Add(p.pos(n), "alias *%s refers to the anchor that contains it", n.Value)
				ok = false
				total = maxExpanded + 1
			} else {
				total += walk(n.Alias)
			}
		}
		for _, c := range n.Content {
			total += walk(c)
			if total > maxExpanded {
				total = maxExpanded + 1
				break
			}
		}
		size[n] = total
		return total
	}
	if walk(root) > maxExpanded && ok {
		p.errs.Add(p.pos(root), "the document expands to more than %d elements through aliases", maxExpanded)
		ok = false
	}
	return ok
}

func (p *parser) pos(n *yaml.Node) Pos {
	return Pos{File: p.file, Line: max(n.Line, 1), Col: n.Column}
}

func (p *parser) errorf(n *yaml.Node, format string, args ...any) {
	p.errs.Add(p.pos(n), format, args...)
}

// deref follows aliases to the node they name.
func deref(n *yaml.Node) *yaml.Node {
	for i := 0; n.Kind == yaml.AliasNode && n.Alias != nil && i < 100; i++ {
		n = n.Alias
	}
	return n
}

// describe names what a node is, for "expected X, got Y" messages.
func describe(n *yaml.Node) string {
	n = deref(n)
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if n.ShortTag() == "!!null" {
			return "nothing"
		}
		v := n.Value
		if len(v) > 40 {
			v = v[:37] + "..."
		}
		return strconv.Quote(v)
	}
	return "an unexpected YAML element"
}

// entry is one key/value pair of a mapping.
type entry struct {
	key  string
	k, v *yaml.Node
}

// entries lists a mapping's pairs in file order, with `<<` merge keys
// expanded (explicit keys win over merged ones) and duplicates reported.
func (p *parser) entries(n *yaml.Node) []entry {
	explicit := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := deref(n.Content[i])
		if k.Kind == yaml.ScalarNode && k.ShortTag() != "!!merge" {
			explicit[k.Value] = true
		}
	}
	seen := map[string]bool{}
	firstAt := map[string]*yaml.Node{}
	var out []entry
	var merge func(m *yaml.Node, depth int)
	merge = func(m *yaml.Node, depth int) {
		m = deref(m)
		switch {
		case depth > 10:
			p.errorf(m, "merge keys (<<) are nested too deeply")
		case m.Kind == yaml.MappingNode:
			for i := 0; i+1 < len(m.Content); i += 2 {
				k := deref(m.Content[i])
				if k.Kind != yaml.ScalarNode {
					continue
				}
				if k.ShortTag() == "!!merge" {
					merge(m.Content[i+1], depth+1)
					continue
				}
				if !explicit[k.Value] && !seen[k.Value] {
					seen[k.Value] = true
					out = append(out, entry{k.Value, k, m.Content[i+1]})
				}
			}
		case m.Kind == yaml.SequenceNode:
			for _, c := range m.Content {
				merge(c, depth+1)
			}
		default:
			p.errorf(m, "a merge key (<<) needs a mapping or a list of mappings, got %s", describe(m))
		}
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := deref(n.Content[i]), n.Content[i+1]
		switch {
		case k.Kind != yaml.ScalarNode:
			p.errorf(k, "a key must be a plain name, got %s", describe(k))
		case k.ShortTag() == "!!merge":
			merge(v, 0)
		case firstAt[k.Value] != nil:
			p.errorf(k, "%q is written twice in this mapping (first at %s)", k.Value, p.pos(firstAt[k.Value]))
		default:
			seen[k.Value] = true
			firstAt[k.Value] = k
			out = append(out, entry{k.Value, k, v})
		}
	}
	return out
}

// fields is a checked mapping of a known kind.
type fields struct {
	node *yaml.Node
	list []entry
	m    map[string]entry
	// unknown counts the keys reported as unknown, so that a typo in a
	// kind key ("reqest") is not also reported as a missing kind.
	unknown int
	// misplaced counts request keys written at a step's level (a url
	// indented too little), which leave `request:` itself empty.
	misplaced int
}

// entryIndex finds key among a mapping node's own keys.
func (p *parser) entryIndex(n *yaml.Node, key string) (int, bool) {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if deref(n.Content[i]).Value == key {
			return i, true
		}
	}
	return 0, false
}

func (f *fields) get(key string) *yaml.Node {
	if e, ok := f.m[key]; ok {
		return deref(e.v)
	}
	return nil
}

func (f *fields) has(key string) bool {
	_, ok := f.m[key]
	return ok
}

func (f *fields) key(key string) *yaml.Node { return f.m[key].k }

// mapping checks that n is a mapping of the given kind and reports unknown
// keys. label names the element in a type error ("request: expected ...").
func (p *parser) mapping(n *yaml.Node, kind, label string) (*fields, bool) {
	n = deref(n)
	if n.Kind != yaml.MappingNode {
		p.errorf(n, "%s: expected a mapping, got %s", label, describe(n))
		return nil, false
	}
	f := &fields{node: n, m: map[string]entry{}}
	for _, e := range p.entries(n) {
		if kind == "scenario" && strings.HasPrefix(e.key, "x-") {
			// Top-level x- keys hold YAML anchors for reuse, as in
			// Compose files; the test never reads them.
			continue
		}
		if !contains(knownKeys[kind], e.key) {
			if kind == "step" && contains(knownKeys["request"], e.key) {
				f.misplaced++
				if _, hasRequest := p.entryIndex(n, "request"); hasRequest {
					p.errorf(e.k, "unknown key %q in a step: it belongs under request: (indent it below request:)", e.key)
				} else {
					example := "url: /path"
					if e.key != "url" {
						example += ", " + e.key + ": ..."
					}
					p.errorf(e.k, "unknown key %q in a step: it belongs to a request, as - request: {%s}", e.key, example)
				}
			} else {
				p.errorf(e.k, "%s", unknownKey(kind, e.key))
			}
			f.unknown++
			continue
		}
		f.list = append(f.list, e)
		f.m[e.key] = e
	}
	return f, true
}

// isEmpty tells an empty list or a bare key (null) apart from other values.
func isEmpty(n *yaml.Node) bool {
	n = deref(n)
	return n.Kind == yaml.SequenceNode && len(n.Content) == 0 ||
		n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

// list returns a sequence's items; a missing or null value is an empty list.
func (p *parser) list(n *yaml.Node, label string) []*yaml.Node {
	n = deref(n)
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" {
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		p.errorf(n, "%s: expected a list, got %s", label, describe(n))
		return nil
	}
	return n.Content
}

// str reads a scalar as text; numbers and booleans are kept as written.
func (p *parser) str(n *yaml.Node, label string) (string, bool) {
	n = deref(n)
	if n.Kind != yaml.ScalarNode || n.ShortTag() == "!!null" {
		p.errorf(n, "%s: expected a string, got %s", label, describe(n))
		return "", false
	}
	return n.Value, true
}

// nonEmpty is str that also rejects "".
func (p *parser) nonEmpty(n *yaml.Node, label string) (string, bool) {
	s, ok := p.str(n, label)
	if ok && strings.TrimSpace(s) == "" {
		p.errorf(deref(n), "%s: must not be empty", label)
		return "", false
	}
	return s, ok
}

func (p *parser) integer(n *yaml.Node, label string) (int, bool) {
	n = deref(n)
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!int" {
		if v, err := strconv.ParseInt(n.Value, 0, 32); err == nil {
			return int(v), true
		}
		p.errorf(n, "%s: %s is too large", label, n.Value)
		return 0, false
	}
	p.errorf(n, "%s: expected a whole number, got %s", label, describe(n))
	return 0, false
}

func (p *parser) number(n *yaml.Node, label string) (float64, bool) {
	n = deref(n)
	if n.Kind == yaml.ScalarNode {
		if v, ok := scalarValue(n).(float64); ok && !isInfOrNaN(v) {
			return v, true
		}
		if v, ok := scalarValue(n).(int64); ok {
			return float64(v), true
		}
	}
	p.errorf(n, "%s: expected a number, got %s", label, describe(n))
	return 0, false
}

func isInfOrNaN(f float64) bool { return f != f || f > 1e308 || f < -1e308 }

func (p *parser) boolean(n *yaml.Node, label string) (bool, bool) {
	n = deref(n)
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!bool" {
		if b, ok := scalarValue(n).(bool); ok {
			return b, true
		}
	}
	p.errorf(n, "%s: expected true or false, got %s", label, describe(n))
	return false, false
}

// oneOf reads a string that must be one of choices.
func (p *parser) oneOf(n *yaml.Node, label string, choices []string) (string, bool) {
	s, ok := p.str(n, label)
	if !ok {
		return "", false
	}
	if !contains(choices, s) {
		hint := ""
		if c := closest(s, choices); c != "" {
			hint = fmt.Sprintf("; did you mean %q?", c)
		}
		p.errorf(deref(n), "%s: unknown value %q (one of: %s)%s", label, s, strings.Join(choices, ", "), hint)
		return "", false
	}
	return s, true
}

var identifier = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// ident reads a variable name.
func (p *parser) ident(n *yaml.Node, label string) (string, bool) {
	s, ok := p.str(n, label)
	if ok && !identifier.MatchString(s) {
		p.errorf(deref(n), "%s: %q is not a variable name (letters, digits and _, not starting with a digit)", label, s)
		return "", false
	}
	return s, ok
}

// scalarValue converts a scalar to the Go value of its YAML type: int64,
// float64, bool, nil or string. Values a type cannot hold stay strings.
func scalarValue(n *yaml.Node) any {
	switch n.ShortTag() {
	case "!!null":
		return nil
	case "!!bool":
		var b bool
		if n.Decode(&b) == nil {
			return b
		}
	case "!!int":
		var i int64
		if n.Decode(&i) == nil {
			return i
		}
	case "!!float":
		var f float64
		if n.Decode(&f) == nil {
			return f
		}
	}
	return n.Value
}

// template reads a string that may hold ${...} parts.
func (p *parser) template(n *yaml.Node, label string) (Template, bool) {
	s, ok := p.str(n, label)
	return Template{Pos: p.textPos(deref(n)), Text: s}, ok
}

// textPos is where a scalar's text starts: one column past the opening
// quote of a quoted scalar, so that an error inside a template can point at
// its `${` exactly (on one line, without escapes before it).
func (p *parser) textPos(n *yaml.Node) Pos {
	pos := p.pos(n)
	if n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) != 0 {
		pos.Col++
	}
	return pos
}

// kvs reads an ordered string map (headers, query, form).
func (p *parser) kvs(n *yaml.Node, label string) []KV {
	n = deref(n)
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		p.errorf(n, "%s: expected a mapping of names to values, got %s", label, describe(n))
		return nil
	}
	var out []KV
	for _, e := range p.entries(n) {
		v, ok := p.template(e.v, label+"."+e.key)
		if ok {
			out = append(out, KV{Pos: p.pos(e.k), Key: e.key, Value: v})
		}
	}
	return out
}

// assigns reads `vars` and `set`: identifiers mapped to templates.
func (p *parser) assigns(n *yaml.Node, label string) []*Assign {
	n = deref(n)
	if n.Kind != yaml.MappingNode {
		p.errorf(n, "%s: expected a mapping of variable names to values, got %s", label, describe(n))
		return nil
	}
	var out []*Assign
	for _, e := range p.entries(n) {
		name, okName := p.ident(e.k, label)
		v, okVal := p.template(e.v, label+"."+e.key)
		if !okName || !okVal {
			p.claimed[e.key] = true
			continue
		}
		a := &Assign{Pos: p.pos(e.k), Var: name, Value: v}
		// A YAML number, bool or null keeps its type: `counter: 0` is a
		// number that `${counter + 1}` can add to.
		if val := deref(e.v); val.Kind == yaml.ScalarNode && val.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) == 0 {
			switch x := scalarValue(val).(type) {
			case int64, float64, bool:
				a.Literal, a.HasLiteral = x, true
			case nil:
				a.HasLiteral = true
			}
		}
		out = append(out, a)
	}
	if len(out) == 0 && len(n.Content) == 0 {
		p.errorf(n, "%s: is empty", label)
	}
	return out
}

// jsonValue converts a YAML tree to the plain Go values a JSON body is
// built from. aliasesOK has bounded the expanded size already.
func (p *parser) jsonValue(n *yaml.Node) any {
	n = deref(n)
	switch n.Kind {
	case yaml.MappingNode:
		m := make(map[string]any, len(n.Content)/2)
		for _, e := range p.entries(n) {
			m[e.key] = p.jsonValue(e.v)
		}
		return m
	case yaml.SequenceNode:
		s := make([]any, 0, len(n.Content))
		for _, c := range n.Content {
			s = append(s, p.jsonValue(c))
		}
		return s
	case yaml.ScalarNode:
		v := scalarValue(n)
		if f, ok := v.(float64); ok && isInfOrNaN(f) {
			p.errorf(n, "json: %s cannot be written in JSON", n.Value)
			return nil
		}
		return v
	}
	return nil
}
