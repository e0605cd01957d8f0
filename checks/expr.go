package checks

import (
	"fmt"
	"regexp"
	"strings"
	"sync"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/vm"
	"github.com/loadrun/loadrun/extractors"
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
	opts := append([]expr.Option{expr.Env(exprEnv{}), expr.AsBool(), expr.Patch(sc)}, template.Functions()...)
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
	e := &exprCheck{src: src, program: program, usesBody: sc.usesBody, headers: sc.headerNames, args: sc.args}
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

func (e *exprCheck) run(k *Check, src *extractors.Source) (bool, string) {
	env := e.envs.Get().(*exprEnv)
	defer func() {
		env.src, env.Body = nil, "" // keep no response alive in the pool
		e.envs.Put(env)
	}()
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
