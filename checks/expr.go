package checks

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/parser"
	"github.com/expr-lang/expr/vm"
	"github.com/loadrun/loadrun/extractors"
	"github.com/loadrun/loadrun/internal/suggest"
	"github.com/loadrun/loadrun/scenario"
	"github.com/loadrun/loadrun/template"
)

// exprEnv is what an expr check sees. Its functions read the response being
// checked through src, so each env is bound to one goroutine at a time: they
// are pooled per check, never shared.
type exprEnv struct {
	Status  int     `expr:"status"`
	Body    string  `expr:"body"`
	Elapsed float64 `expr:"elapsed"` // milliseconds

	// Headers holds only the headers the expression names as constants
	// (`headers["content-type"]`): a Response can be asked for a header by
	// name but not for all of them, and filling a map per request would cost
	// more than the check.
	Headers map[string]string `expr:"headers"`

	// Vars are the user's variables: a name the check does not define
	// (`user_id`, `token`) reads vars.name (see userVars).
	Vars map[string]any `expr:"vars"`

	Header func(name string) string          `expr:"header"`
	JSON   func(path string) (any, error)    `expr:"json"`
	XPath  func(path string) (any, error)    `expr:"xpath"`
	Regex  func(pattern string) (any, error) `expr:"regex"`
	src    *extractors.Source
	cache  *compiledArgs
	vm     vm.VM
}

// compiledArgs holds the paths and patterns an expression passes to json(),
// xpath() and regex(). Those written as constants are compiled with the
// expression, so their errors show at load; one computed at run time (say
// from a header) is compiled per call and not kept, so that a stream of
// different responses cannot grow the cache without bound.
type compiledArgs struct {
	json  sync.Map // string → *extractors.JSONPath
	xpath sync.Map // string → *extractors.XPath
	regex sync.Map // string → *regexp.Regexp
}

type exprCheck struct {
	// vars are the user variables the expression reads, in source order
	// without repeats: each must be set before it runs.
	vars     []string
	src      string
	program  *vm.Program
	usesBody bool
	headers  []string // names read through `headers`, as written
	args     *compiledArgs
	envs     sync.Pool
}

// scan records, while the expression compiles, whether it reads `body`
// and which constant arguments it passes to json(), xpath() and regex().
type scan struct {
	usesBody bool
	args     *compiledArgs
	err      error
	// headerRefs counts every `headers` identifier, headerNames the ones
	// indexed by a constant; a difference means a use the map cannot serve.
	headerRefs  int
	headerNames []string
}

func (s *scan) Visit(node *ast.Node) {
	switch n := (*node).(type) {
	case *ast.IdentifierNode:
		switch n.Value {
		case "body":
			s.usesBody = true
		case "headers":
			s.headerRefs++
		}
	case *ast.MemberNode:
		id, ok := n.Node.(*ast.IdentifierNode)
		if !ok || id.Value != "headers" {
			return
		}
		if name, ok := n.Property.(*ast.StringNode); ok {
			s.headerNames = append(s.headerNames, name.Value)
		}
	case *ast.CallNode:
		id, ok := n.Callee.(*ast.IdentifierNode)
		if !ok || len(n.Arguments) != 1 {
			return
		}
		arg, ok := n.Arguments[0].(*ast.StringNode)
		if !ok {
			return
		}
		var err error
		switch id.Value {
		case "json":
			_, err = s.args.jsonPath(arg.Value, true)
		case "xpath":
			_, err = s.args.xpathExpr(arg.Value, true)
		case "regex":
			_, err = s.args.regexp(arg.Value, true)
		}
		if err != nil && s.err == nil {
			s.err = fmt.Errorf("%s(%q): %v", id.Value, arg.Value, err)
		}
	}
}

func compileExpr(src string) (*exprCheck, error) {
	if strings.TrimSpace(src) == "" {
		return nil, fmt.Errorf("empty expression")
	}
	sc := &scan{args: &compiledArgs{}}
	uv := newUserVars(src)
	opts := append([]expr.Option{expr.Env(exprEnv{}), expr.AsBool(), expr.Patch(uv), expr.Patch(sc)}, template.Functions()...)
	program, err := expr.Compile(src, opts...)
	if err != nil {
		return nil, err
	}
	if sc.err != nil {
		return nil, sc.err
	}
	if sc.headerRefs != len(sc.headerNames) {
		return nil, fmt.Errorf(`headers can only be indexed by a constant name, as in headers["content-type"]; use header(name) for a computed one`)
	}
	// A name one typo away from one of the check's own (stauts) is far
	// more likely a slip than a user variable.
	for _, name := range uv.names() {
		if s := suggest.Closest(name, ownNames); s != "" {
			return nil, fmt.Errorf("unknown name %s (did you mean %s? a variable of yours of that name reads as vars.%s)", name, s, name)
		}
	}
	e := &exprCheck{src: src, program: program, usesBody: sc.usesBody, headers: sc.headerNames, args: sc.args, vars: uv.names()}
	e.envs.New = func() any { return e.newEnv() }
	return e, nil
}

func (e *exprCheck) newEnv() *exprEnv {
	env := &exprEnv{cache: e.args}
	if len(e.headers) > 0 {
		env.Headers = make(map[string]string, len(e.headers))
	}
	env.Header = func(name string) string {
		vals := env.src.Response().HeaderValues(name)
		if len(vals) == 1 {
			return vals[0]
		}
		return strings.Join(vals, ", ")
	}
	env.JSON = func(path string) (any, error) {
		p, err := env.cache.jsonPath(path, false)
		if err != nil {
			return nil, err
		}
		return p.Get(env.src.Response().Body()).Value(), nil
	}
	env.XPath = func(path string) (any, error) {
		x, err := env.cache.xpathExpr(path, false)
		if err != nil {
			return nil, err
		}
		v, found, err := x.First(env.src)
		if err != nil || !found {
			return nil, err
		}
		return v, nil
	}
	env.Regex = func(pattern string) (any, error) {
		re, err := env.cache.regexp(pattern, false)
		if err != nil {
			return nil, err
		}
		body := env.src.Response().Body()
		m := re.FindSubmatchIndex(body)
		if m == nil {
			return nil, nil
		}
		g := 0
		if re.NumSubexp() > 0 {
			g = 1
		}
		if m[2*g] < 0 {
			return "", nil
		}
		return string(body[m[2*g]:m[2*g+1]]), nil
	}
	return env
}

func (e *exprCheck) run(k *Check, src *extractors.Source, vars template.Vars) (bool, string) {
	for _, name := range e.vars {
		if _, ok := vars[name]; !ok {
			return k.fail("%v", &template.UnsetError{Var: name})
		}
	}
	env := e.envs.Get().(*exprEnv)
	defer func() {
		env.src, env.Body, env.Vars = nil, "", nil // keep no response or user alive in the pool
		e.envs.Put(env)
	}()
	env.Vars = vars
	resp := src.Response()
	env.src = src
	env.Status = resp.StatusCode()
	env.Elapsed = float64(resp.Elapsed().Microseconds()) / 1000
	if e.usesBody {
		env.Body = src.BodyString()
	}
	for _, name := range e.headers {
		env.Headers[name] = env.Header(name)
	}
	out, err := env.vm.Run(e.program, env)
	if err != nil {
		return k.fail("%v", firstLine(err.Error()))
	}
	if b, _ := out.(bool); b {
		return true, ""
	}
	return k.fail("false (status %d)", env.Status)
}

// firstLine keeps the message of an expr runtime error and drops the
// source excerpt expr appends, which the check's name already shows.
func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

func (c *compiledArgs) jsonPath(path string, keep bool) (*extractors.JSONPath, error) {
	if v, ok := c.json.Load(path); ok {
		return v.(*extractors.JSONPath), nil
	}
	p, err := extractors.CompileJSONPath(path)
	if err != nil {
		return nil, err
	}
	if keep {
		c.json.Store(path, p)
	}
	return p, nil
}

func (c *compiledArgs) xpathExpr(path string, keep bool) (*extractors.XPath, error) {
	if v, ok := c.xpath.Load(path); ok {
		return v.(*extractors.XPath), nil
	}
	x, err := extractors.CompileXPath(path)
	if err != nil {
		return nil, err
	}
	if keep {
		c.xpath.Store(path, x)
	}
	return x, nil
}

func (c *compiledArgs) regexp(pattern string, keep bool) (*regexp.Regexp, error) {
	if v, ok := c.regex.Load(pattern); ok {
		return v.(*regexp.Regexp), nil
	}
	re, err := regexp.Compile(pattern)
	if err != nil {
		return nil, err
	}
	if keep {
		c.regex.Store(pattern, re)
	}
	return re, nil
}

// envNames are the names an expr check defines itself; any other
// identifier that is not a function is a user variable.
var envNames = map[string]bool{
	"status": true, "body": true, "elapsed": true, "headers": true,
	"header": true, "json": true, "xpath": true, "regex": true, "vars": true, "$env": true,
}

// ownNames are envNames as a list, for suggestions.
var ownNames = []string{"status", "body", "elapsed", "headers", "header", "json", "xpath", "regex", "vars"}

// userVars rewrites each identifier that names a user variable into
// vars.name, so that `json("$.id") == user_id` compares with the user's
// id. Called names stay functions; `let` names stay theirs.
type userVars struct {
	declared map[string]bool
	patched  map[*ast.MemberNode]string
}

func newUserVars(src string) *userVars {
	u := &userVars{declared: map[string]bool{}, patched: map[*ast.MemberNode]string{}}
	if tree, err := parser.Parse(src); err == nil {
		ast.Find(tree.Node, func(n ast.Node) bool {
			if d, ok := n.(*ast.VariableDeclaratorNode); ok {
				u.declared[d.Name] = true
			}
			return false
		})
	}
	return u
}

// Visit implements ast.Visitor.
func (u *userVars) Visit(node *ast.Node) {
	switch n := (*node).(type) {
	case *ast.IdentifierNode:
		if envNames[n.Value] || u.declared[n.Value] {
			return
		}
		m := &ast.MemberNode{Node: &ast.IdentifierNode{Value: "vars"}, Property: &ast.StringNode{Value: n.Value}}
		m.SetLocation(n.Location())
		u.patched[m] = n.Value
		ast.Patch(node, m)
	case *ast.CallNode:
		if m, ok := n.Callee.(*ast.MemberNode); ok {
			if name, ok := u.patched[m]; ok {
				n.Callee = &ast.IdentifierNode{Value: name}
				delete(u.patched, m)
			}
		}
	}
}

// names are the variables read, in source order without repeats (the
// patcher may run more than once; only nodes still in the tree count).
func (u *userVars) names() []string {
	var out []string
	for _, name := range u.patched {
		if !slices.Contains(out, name) {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}

// refs are the variables as template.Refs at the check's position.
func (e *exprCheck) refs(pos scenario.Pos) []template.Ref {
	out := make([]template.Ref, len(e.vars))
	for i, name := range e.vars {
		out[i] = template.Ref{Var: name, Pos: pos}
	}
	return out
}
