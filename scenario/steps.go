package scenario

import (
	"fmt"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// steps reads a list of steps (on_start, steps, on_stop).
func (p *parser) steps(n *yaml.Node, label string) []*Step {
	var out []*Step
	for _, item := range p.list(n, label) {
		if s := p.step(item, label); s != nil {
			out = append(out, s)
		} else {
			p.claimStep(item)
		}
	}
	return out
}

// claimStep records the variables a step that did not parse would set (its
// set keys, use pool and extract vars), so that their readers are not also
// reported as reading variables nothing sets.
func (p *parser) claimStep(n *yaml.Node) {
	n = deref(n)
	if n.Kind != yaml.MappingNode {
		return
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := deref(n.Content[i]), deref(n.Content[i+1])
		switch k.Value {
		case "set":
			if v.Kind == yaml.MappingNode {
				for j := 0; j+1 < len(v.Content); j += 2 {
					p.claimed[deref(v.Content[j]).Value] = true
				}
			}
		case "use":
			if v.Kind == yaml.ScalarNode {
				p.claimed[v.Value] = true
			} else {
				p.claimKey(v, "pool")
			}
		case "request":
			p.claimExtracts(v)
			p.lostRequests = true
		}
	}
}

// claimExtracts records the vars of a request node's extracts.
func (p *parser) claimExtracts(req *yaml.Node) {
	if req.Kind != yaml.MappingNode {
		return
	}
	for i := 0; i+1 < len(req.Content); i += 2 {
		if deref(req.Content[i]).Value == "extract" {
			if list := deref(req.Content[i+1]); list.Kind == yaml.SequenceNode {
				for _, e := range list.Content {
					p.claimKey(deref(e), "var")
				}
			}
		}
	}
}

// claimKey records the scalar value of key in mapping n as a claimed name.
func (p *parser) claimKey(n *yaml.Node, key string) {
	if n.Kind != yaml.MappingNode {
		return
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if deref(n.Content[i]).Value == key {
			if v := deref(n.Content[i+1]); v.Kind == yaml.ScalarNode {
				p.claimed[v.Value] = true
			}
		}
	}
}

// presentKeys lists which of keys a mapping has, in file order.
func presentKeys(f *fields, keys []string) []string {
	var out []string
	for _, e := range f.list {
		if contains(keys, e.key) {
			out = append(out, e.key)
		}
	}
	return out
}

func (p *parser) step(n *yaml.Node, label string) *Step {
	f, ok := p.mapping(n, "step", label)
	if !ok {
		return nil
	}
	s := &Step{Pos: p.pos(f.node), OnFailure: Continue}
	if v := f.get("name"); v != nil {
		s.Name, _ = p.str(v, "name")
	}
	if v := f.get("on_failure"); v != nil {
		if m, ok := p.oneOf(v, "on_failure", onFailures); ok {
			s.OnFailure = OnFailure(m)
		}
	}
	kinds := presentKeys(f, stepKinds)
	switch {
	case len(kinds) == 0:
		if f.unknown == 0 {
			p.errorf(f.node, "a step needs one of: %s", strings.Join(stepKinds, ", "))
		}
		return nil
	case len(kinds) > 1:
		p.errorf(f.key(kinds[1]), "a step does one thing but this one has both %q and %q; split it into two steps", kinds[0], kinds[1])
		return nil
	}
	v := f.get(kinds[0])
	switch kinds[0] {
	case "request":
		if f.misplaced > 0 && isEmpty(v) {
			// `request:` with its keys indented at the step's level:
			// each of them is reported already.
			return nil
		}
		s.Request = p.request(v)
		ok = s.Request != nil
	case "think":
		s.Think = p.wait(v, "think", "think")
		ok = s.Think != nil
	case "log":
		var t Template
		t, ok = p.template(v, "log")
		s.Log = &t
	case "set":
		s.Set = p.assigns(v, "set")
		ok = len(s.Set) > 0
	case "use":
		s.Use = p.use(v)
		ok = s.Use != nil
	case "rendezvous":
		s.Rendezvous = p.rendezvous(v)
		ok = s.Rendezvous != nil
	}
	if !ok {
		return nil
	}
	return s
}

// isToken tells whether s is an HTTP token (RFC 9110), the syntax of
// methods and header names.
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
		case strings.ContainsRune("!#$%&'*+-.^_`|~", r):
		default:
			return false
		}
	}
	return true
}

func (p *parser) request(n *yaml.Node) *Request {
	f, ok := p.mapping(n, "request", "request")
	if !ok {
		return nil
	}
	r := &Request{Pos: p.pos(f.node), Method: "GET"}
	if v := f.get("method"); v != nil {
		if m, ok := p.str(v, "method"); ok {
			if isToken(m) {
				r.Method = strings.ToUpper(m)
			} else {
				p.errorf(v, "method: %q is not an HTTP method (GET, POST, PUT, DELETE, ...)", m)
			}
		}
	}
	if v := f.get("url"); v != nil {
		if u, ok := p.nonEmpty(v, "url"); ok {
			r.URL = Template{Pos: p.textPos(deref(v)), Text: u}
		}
	} else {
		p.errorf(f.node, "a request needs a url, such as url: /cart")
	}
	urlOK := r.URL.Text != ""
	r.Name = r.URL
	if v := f.get("name"); v != nil {
		if t, ok := p.template(v, "name"); ok {
			r.Name = t
		}
	}
	if v := f.get("headers"); v != nil {
		r.Headers = p.kvs(v, "headers")
		for _, h := range r.Headers {
			if !isToken(h.Key) {
				p.errs.Add(h.Pos, "headers: %q is not a valid header name", h.Key)
			}
		}
	}
	if v := f.get("query"); v != nil {
		r.Query = p.kvs(v, "query")
	}
	if bodies := presentKeys(f, []string{"json", "form", "body"}); len(bodies) > 1 {
		p.errorf(f.key(bodies[1]), "request: %s and %s cannot be combined; a request has one body", bodies[0], bodies[1])
	}
	if v := f.get("form"); v != nil {
		r.Form = p.kvs(v, "form")
	}
	if v := f.get("json"); v != nil {
		r.JSON, r.HasJSON = p.jsonValue(v), true
	}
	if v := f.get("body"); v != nil {
		if t, ok := p.template(v, "body"); ok {
			r.Body = &t
		}
	}
	if v := f.get("timeout"); v != nil {
		r.Timeout, _ = p.duration(v, "timeout")
	}
	if v := f.get("follow_redirects"); v != nil {
		if b, ok := p.boolean(v, "follow_redirects"); ok {
			r.FollowRedirects = &b
		}
	}
	if v := f.get("extract"); v != nil {
		for _, item := range p.list(v, "extract") {
			if e := p.extract(item); e != nil {
				r.Extract = append(r.Extract, e)
			} else {
				p.claimKey(deref(item), "var")
			}
		}
	}
	if v := f.get("check"); v != nil {
		for _, item := range p.list(v, "check") {
			if c := p.check(item); c != nil {
				r.Check = append(r.Check, c)
			}
		}
	}
	if !urlOK {
		return nil
	}
	return r
}

func (p *parser) use(n *yaml.Node) *Use {
	n = deref(n)
	u := &Use{Pos: p.pos(n)}
	if n.Kind == yaml.MappingNode {
		f, ok := p.mapping(n, "use", "use")
		if !ok {
			return nil
		}
		v := f.get("pool")
		if v == nil {
			p.errorf(n, "use: needs the pool's name, as use: {pool: users}")
			return nil
		}
		u.Pos = p.pos(v)
		n = v
	}
	var ok bool
	if u.Pool, ok = p.nonEmpty(n, "use"); !ok {
		return nil
	}
	p.uses = append(p.uses, u)
	return u
}

func (p *parser) rendezvous(n *yaml.Node) *Rendezvous {
	f, ok := p.mapping(n, "rendezvous", "rendezvous")
	if !ok {
		return nil
	}
	r := &Rendezvous{Pos: p.pos(f.node), Timeout: 30 * time.Second, Policy: "first"}
	ok = true
	if v := f.get("name"); v != nil {
		r.Name, ok = p.nonEmpty(v, "rendezvous.name")
	} else {
		p.errorf(f.node, "a rendezvous needs a name; users meet at the rendezvous of the same name")
		ok = false
	}
	switch {
	case f.has("count") && f.has("percent"):
		p.errorf(f.key("percent"), "rendezvous: count and percent cannot be combined; choose one")
		ok = false
	case f.has("count"):
		c, okC := p.integer(f.get("count"), "rendezvous.count")
		if okC && c < 1 {
			p.errorf(f.get("count"), "rendezvous.count: must be 1 or more, got %d", c)
			okC = false
		}
		r.Count, ok = c, ok && okC
	case f.has("percent"):
		pc, okP := p.number(f.get("percent"), "rendezvous.percent")
		if okP && (pc <= 0 || pc > 100) {
			p.errorf(f.get("percent"), "rendezvous.percent: must be more than 0 and at most 100, got %s", f.get("percent").Value)
			okP = false
		}
		r.Percent, ok = pc, ok && okP
	default:
		p.errorf(f.node, "a rendezvous needs count (a number of users) or percent (of the running users)")
		ok = false
	}
	if v := f.get("timeout"); v != nil {
		d, okT := p.duration(v, "rendezvous.timeout")
		if okT && d == 0 {
			p.errorf(v, "rendezvous.timeout: must be more than 0")
			okT = false
		}
		r.Timeout, ok = d, ok && okT
	}
	if v := f.get("policy"); v != nil {
		var okP bool
		r.Policy, okP = p.oneOf(v, "rendezvous.policy", policies)
		ok = ok && okP
	}
	if !ok {
		return nil
	}
	return r
}

// scalarList reads a list of scalars as Go values (for `in`).
func (p *parser) scalarList(n *yaml.Node, label string) ([]any, bool) {
	n = deref(n)
	if n.Kind != yaml.SequenceNode {
		p.errorf(n, "%s: expected a list of values, got %s", label, describe(n))
		return nil, false
	}
	out := make([]any, 0, len(n.Content))
	for _, c := range n.Content {
		c = deref(c)
		if c.Kind != yaml.ScalarNode {
			p.errorf(c, "%s: expected a plain value, got %s", label, describe(c))
			return nil, false
		}
		out = append(out, scalarValue(c))
	}
	return out, true
}

// statusSpec validates one accepted status: a code such as 200 or a class
// such as 2xx.
func statusSpec(s string) (string, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	if len(s) == 3 && s[0] >= '1' && s[0] <= '5' {
		if s[1:] == "xx" || s[1] >= '0' && s[1] <= '9' && s[2] >= '0' && s[2] <= '9' {
			return s, nil
		}
	}
	return "", fmt.Errorf("%q is not a status code (100 to 599) or class (such as 2xx)", s)
}

// statuses reads a status check's argument: a code, a class, a
// comma-separated text of them, or a list.
func (p *parser) statuses(n *yaml.Node) ([]string, bool) {
	n = deref(n)
	var parts []*yaml.Node
	switch n.Kind {
	case yaml.SequenceNode:
		parts = n.Content
		if len(parts) == 0 {
			p.errorf(n, "status: the list is empty")
			return nil, false
		}
	case yaml.ScalarNode:
		parts = []*yaml.Node{n}
	default:
		p.errorf(n, "status: expected a code (200), a class (2xx) or a list of them, got %s", describe(n))
		return nil, false
	}
	var out []string
	ok := true
	for _, part := range parts {
		text, okS := p.str(part, "status")
		if !okS {
			ok = false
			continue
		}
		for _, s := range strings.Split(text, ",") {
			spec, err := statusSpec(s)
			if err != nil {
				p.errorf(deref(part), "status: %v", err)
				ok = false
				continue
			}
			out = append(out, spec)
		}
	}
	return out, ok
}
