package scenario

import (
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

func (p *parser) extract(n *yaml.Node) *Extract {
	f, ok := p.mapping(n, "extract", "extract")
	if !ok {
		return nil
	}
	e := &Extract{Pos: p.pos(f.node), Match: "first"}
	ok = true
	if v := f.get("var"); v != nil {
		e.Var, ok = p.ident(v, "extract.var")
	} else {
		p.errorf(f.node, "an extract needs var: the variable that receives the value")
		ok = false
	}
	if f.has("right") && !f.has("left") {
		p.errorf(f.key("right"), "extract: right needs left; a boundary extract is left: '...' with right: '...'")
		ok = false
	}
	sources := presentKeys(f, extractSources)
	switch {
	case len(sources) == 0:
		if !f.has("right") && f.unknown == 0 {
			p.errorf(f.node, "an extract needs a source: one of regex, jsonpath, xpath, header, cookie, left/right, status")
		}
		return nil
	case len(sources) > 1:
		p.errorf(f.key(sources[1]), "extract: %s and %s cannot be combined; an extract has one source", sources[0], sources[1])
		return nil
	}
	src := sources[0]
	v := f.get(src)
	switch src {
	case "status":
		e.Kind = ExtractStatus
		if b, okB := p.boolean(v, "extract.status"); okB && !b {
			p.errorf(v, "extract.status: write status: true to store the response status, or leave it out")
			ok = false
		} else if !okB {
			ok = false
		}
	case "left":
		e.Kind = ExtractBoundary
		var okL, okR bool
		e.Left, okL = p.nonEmpty(v, "extract.left")
		if r := f.get("right"); r != nil {
			e.Right, okR = p.str(r, "extract.right")
		} else {
			p.errorf(f.key("left"), "extract: left needs right; a boundary extract is left: '...' with right: '...'")
		}
		ok = ok && okL && okR
	default:
		e.Kind = ExtractKind(src)
		var okE bool
		e.Expr, okE = p.nonEmpty(v, "extract."+src)
		ok = ok && okE
	}
	if v := f.get("group"); v != nil {
		g, okG := p.integer(v, "extract.group")
		switch {
		case !okG:
			ok = false
		case e.Kind != ExtractRegex:
			p.errorf(f.key("group"), "extract.group: applies only to regex extracts")
			ok = false
		case g < 0:
			p.errorf(v, "extract.group: must be 0 or more, got %d", g)
			ok = false
		default:
			e.Group, e.HasGroup = g, true
		}
	}
	if v := f.get("match"); v != nil {
		m, okM := p.match(v)
		e.Match, ok = m, ok && okM
	}
	if v := f.get("default"); v != nil {
		if d, okD := p.str(v, "extract.default"); okD {
			e.Default = &d
		} else {
			ok = false
		}
	}
	if !ok {
		return nil
	}
	return e
}

// match reads first, last, random, all or a 0-based index.
func (p *parser) match(n *yaml.Node) (string, bool) {
	s, ok := p.str(n, "extract.match")
	if !ok {
		return "", false
	}
	if contains(matchWords, s) {
		return s, true
	}
	if i, err := strconv.ParseInt(s, 10, 32); err == nil {
		return strconv.FormatInt(i, 10), true
	}
	p.errorf(deref(n), "extract.match: expected first, last, random, all or an index (0, 1, ...; -1 is the last), got %q", s)
	return "", false
}

// findsValue are the check kinds that find a value a comparator can test.
var findsValue = []string{"regex", "jsonpath", "xpath", "header"}

func (p *parser) check(n *yaml.Node) *Check {
	f, ok := p.mapping(n, "check", "check")
	if !ok {
		return nil
	}
	c := &Check{Pos: p.pos(f.node)}
	primary := presentKeys(f, []string{"status", "regex", "jsonpath", "xpath", "header", "max_time", "expr"})
	ops := presentKeys(f, comparators)
	var kind string
	switch {
	case len(primary) > 1:
		p.errorf(f.key(primary[1]), "check: %s and %s cannot be combined; write two checks", primary[0], primary[1])
		return nil
	case len(primary) == 1:
		kind = primary[0]
	default:
		// Without a kind that finds a value, contains and not_contains
		// are the kind: they search the body.
		bodyKinds := presentKeys(f, []string{"contains", "not_contains"})
		if len(bodyKinds) == 0 {
			if f.unknown == 0 {
				p.errorf(f.node, "a check needs one of: %s", strings.Join(checkKinds, ", "))
			}
			return nil
		}
		if len(bodyKinds) > 1 {
			p.errorf(f.key(bodyKinds[1]), "check: %s and %s cannot be combined; write two checks", bodyKinds[0], bodyKinds[1])
			return nil
		}
		kind = bodyKinds[0]
		ops = presentKeys(f, []string{"equals", "not_equals", "<", "<=", ">", ">=", "in", "matches"})
	}
	c.Kind = CheckKind(kind)
	ok = true
	v := f.get(kind)
	switch kind {
	case "status":
		c.Statuses, ok = p.statuses(v)
		c.Arg = strings.Join(c.Statuses, ",")
	case "max_time":
		c.MaxTime, ok = p.duration(v, "max_time")
		if ok && c.MaxTime == 0 {
			p.errorf(v, "max_time: must be more than 0")
			ok = false
		}
		c.Arg = v.Value
	default:
		c.Arg, ok = p.nonEmpty(v, kind)
	}
	if v := f.get("name"); v != nil {
		var okN bool
		c.Name, okN = p.str(v, "check.name")
		ok = ok && okN
	}
	if len(ops) > 0 && !contains(findsValue, kind) {
		p.errorf(f.key(ops[0]), "check: %s does not apply to a %s check; comparators follow regex, jsonpath, xpath or header", ops[0], kind)
		return nil
	}
	if len(ops) > 1 {
		p.errorf(f.key(ops[1]), "check: %s and %s cannot be combined; a check has at most one comparator", ops[0], ops[1])
		return nil
	}
	if len(ops) == 1 {
		c.Op = ops[0]
		var okV bool
		c.Value, okV = p.comparand(f.get(c.Op), c.Op)
		ok = ok && okV
	}
	if !ok {
		return nil
	}
	return c
}

// comparand reads a comparator's value, keeping its YAML type.
func (p *parser) comparand(n *yaml.Node, op string) (any, bool) {
	switch op {
	case "in":
		return p.scalarList(n, op)
	case "matches", "contains", "not_contains":
		return p.str(n, op)
	}
	if n.Kind != yaml.ScalarNode {
		p.errorf(n, "%s: expected a plain value, got %s", op, describe(n))
		return nil, false
	}
	if op != "equals" && op != "not_equals" {
		switch v := scalarValue(n).(type) {
		case int64, float64:
		case string:
			if !strings.Contains(v, "${") {
				p.errorf(n, "%s: expected a number, got %s", op, describe(n))
				return nil, false
			}
			// A template: its rendering is checked for each response.
		default:
			p.errorf(n, "%s: expected a number, got %s", op, describe(n))
			return nil, false
		}
	}
	return scalarValue(n), true
}
