package template

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/builtin"
	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/parser"
	"github.com/expr-lang/expr/vm"

	didyoumean "github.com/loadrun/loadrun/internal/suggest"
	"github.com/loadrun/loadrun/scenario"
)

// Vars are one virtual user's variables. Values are whatever the user put
// there: strings from extractors, map[string]string rows from pools, typed
// values from `set` expressions. Each user owns its Vars; nothing here
// shares them between goroutines.
type Vars map[string]any

// Ref is one variable an expression reads.
type Ref struct {
	// Var is the variable's name.
	Var string
	// Field is the member read from it (`${pool.col}` reads Var "pool",
	// Field "col"); "" when the variable is read as a whole or indexed by a
	// computed key.
	Field string
	// Pos is where the expression is in the scenario.
	Pos scenario.Pos
	// Optional is set when a missing variable is allowed: the left side of
	// `??` and the root of a `?.` chain.
	Optional bool
}

// UnsetError is rendering a variable that does not exist in the user's Vars.
// It is returned instead of writing the literal `${name}` or "<nil>" into a
// request.
type UnsetError struct {
	// Var is the variable's name, or "pool.col" for a missing pool column.
	Var string
}

// Error is "variable csrf is not set".
func (e *UnsetError) Error() string { return "variable " + e.Var + " is not set" }

// exprKind picks how an expression is evaluated.
type exprKind uint8

const (
	// kindProgram runs the compiled expr program.
	kindProgram exprKind = iota
	// kindIdent is `name`: a map lookup, no VM.
	kindIdent
	// kindMember is `name.field`: two map lookups, no VM.
	kindMember
)

// Expr is one compiled expression, safe for concurrent use.
type Expr struct {
	src  string
	pos  scenario.Pos
	kind exprKind
	// name and field are the fast path's lookups.
	name, field string
	prog        *vm.Program
	refs        []Ref
	// required are the variables (and pool columns) that must exist before
	// the program runs, in source order without repeats.
	required []need
}

// options are the compile options every expression shares. Variables are
// not declared: they exist only at run time, so undefined ones are allowed
// and checked against the user's Vars before the program runs.
var options = sync.OnceValue(func() []expr.Option {
	return append([]expr.Option{
		expr.Env(map[string]any{}),
		expr.AllowUndefinedVariables(),
		expr.Patch(defaultChains{}),
	}, untypedFunctions()...)
})

// defaultChains makes `a.b ?? x` give x when a is unset or has no b. A
// tester writing a default for a pool column means "if there is none", but
// expr fails fetching b from an unset a, and a missing key of a
// map[string]string row reads as "" rather than nil. expr's get() returns
// nil in both cases, so the member chain left of ?? is rewritten into it.
type defaultChains struct{}

// Visit implements ast.Visitor.
func (defaultChains) Visit(node *ast.Node) {
	b, ok := (*node).(*ast.BinaryNode)
	if !ok || b.Operator != "??" {
		return
	}
	switch b.Left.(type) {
	case *ast.MemberNode, *ast.ChainNode:
		ast.Patch(&b.Left, toGet(b.Left))
	}
}

// toGet turns a.b.c into get(get(a, "b"), "c"); method calls stay as they are.
func toGet(n ast.Node) ast.Node {
	switch x := n.(type) {
	case *ast.ChainNode:
		return toGet(x.Node)
	case *ast.MemberNode:
		if x.Method {
			return x
		}
		g := &ast.BuiltinNode{Name: "get", Arguments: []ast.Node{toGet(x.Node), x.Property}}
		g.SetLocation(x.Location())
		return g
	}
	return n
}

// vms are reused between evaluations: a fresh VM allocates its stack on
// every run, which shows on the request hot path.
var vms = sync.Pool{New: func() any { return new(vm.VM) }}

// CompileExpr compiles a bare expression (no `${}`), such as a `set` value
// written as an expression or a check's condition. Errors are at pos.
func CompileExpr(src string, pos scenario.Pos) (*Expr, error) {
	return compileExpr(src, pos, "")
}

// compileExpr compiles src; shown is how the expression appears in error
// messages ("${...}" inside a template, else the bare text).
func compileExpr(src string, pos scenario.Pos, shown string) (*Expr, error) {
	if shown == "" {
		shown = "expression " + src
	}
	if strings.TrimSpace(src) == "" {
		return nil, scenario.Errorf(pos, "empty expression %s", shown)
	}
	sh := newShadowing(src)
	prog, err := expr.Compile(src, append(slices.Clip(options()), expr.Patch(sh))...)
	if err != nil {
		return nil, scenario.Errorf(pos, "%s: %s", shown, exprMessage(err, src, true))
	}
	e := &Expr{src: src, pos: pos, prog: prog, kind: kindProgram}
	root := prog.Node()
	a := analyze(root, sh)
	if a.badCall != "" {
		msg := fmt.Sprintf("%s: unknown function %s", shown, a.badCall)
		if s := suggest(a.badCall); s != "" {
			msg += " (did you mean " + s + "?)"
		}
		return nil, scenario.Errorf(pos, "%s", msg)
	}
	if a.badArity != "" {
		return nil, scenario.Errorf(pos, "%s: %s", shown, a.badArity)
	}
	e.refs, e.required = a.refs(pos)
	switch n := root.(type) {
	case *ast.IdentifierNode:
		if n.Value != "$env" {
			e.kind, e.name = kindIdent, n.Value
		}
	case *ast.MemberNode:
		if id := sh.patched[n]; id != nil {
			e.kind, e.name = kindIdent, id.Value
			break
		}
		id, ok := n.Node.(*ast.IdentifierNode)
		prop, isStr := n.Property.(*ast.StringNode)
		if ok && isStr && !n.Optional && !n.Method && id.Value != "$env" {
			e.kind, e.name, e.field = kindMember, id.Value, prop.Value
		}
	}
	return e, nil
}

// Eval evaluates the expression over the user's variables. A variable the
// expression needs and v lacks is an *UnsetError.
func (e *Expr) Eval(v Vars) (any, error) {
	switch e.kind {
	case kindIdent:
		x, ok := v[e.name]
		if !ok {
			return nil, &UnsetError{Var: e.name}
		}
		return x, nil
	case kindMember:
		x, ok := v[e.name]
		if !ok {
			return nil, &UnsetError{Var: e.name}
		}
		switch m := x.(type) {
		case map[string]string:
			f, ok := m[e.field]
			if !ok {
				return nil, &UnsetError{Var: e.name + "." + e.field}
			}
			return f, nil
		case map[string]any:
			f, ok := m[e.field]
			if !ok {
				return nil, &UnsetError{Var: e.name + "." + e.field}
			}
			return f, nil
		}
		// Anything else (a struct, a string) gets expr's own member rules
		// and error messages.
	}
	for _, n := range e.required {
		if err := n.check(v); err != nil {
			return nil, err
		}
	}
	m := vms.Get().(*vm.VM)
	out, err := m.Run(e.prog, map[string]any(v))
	vms.Put(m)
	if err != nil {
		return nil, fmt.Errorf("evaluating %s: %s", e.src, exprMessage(err, e.src, false))
	}
	return out, nil
}

// appendTo renders the expression's value onto dst. A pool column is
// appended straight from the row: returning it through Eval would box the
// string into an interface, one allocation per request.
func (e *Expr) appendTo(dst []byte, v Vars) ([]byte, error) {
	if e.kind == kindMember {
		if row, ok := v[e.name].(map[string]string); ok {
			f, ok := row[e.field]
			if !ok {
				return dst, &UnsetError{Var: e.name + "." + e.field}
			}
			return append(dst, f...), nil
		}
	}
	x, err := e.Eval(v)
	if err != nil {
		return dst, err
	}
	return AppendValue(dst, x)
}

// appendRaw is appendTo that also reports whether the value is Raw.
func (e *Expr) appendRaw(dst []byte, v Vars) ([]byte, bool, error) {
	if e.kind == kindMember {
		dst, err := e.appendTo(dst, v)
		return dst, false, err
	}
	x, err := e.Eval(v)
	if err != nil {
		return dst, false, err
	}
	_, raw := x.(Raw)
	dst, err = AppendValue(dst, x)
	return dst, raw, err
}

// Refs lists the variables the expression reads, in source order.
func (e *Expr) Refs() []Ref { return e.refs }

// Text is the expression as written.
func (e *Expr) Text() string { return e.src }

// Pos is where the expression is in the scenario, for run-time messages.
func (e *Expr) Pos() scenario.Pos { return e.pos }

// exprMessage is expr's error without its multi-line source snippet, which
// would break a `file:line:col: message` line. For a compile error the text
// before the failing point replaces the snippet's caret; a run-time error
// already names its whole (short) expression.
func exprMessage(err error, src string, compiling bool) string {
	var fe *file.Error
	if !errors.As(err, &fe) {
		msg, _, _ := strings.Cut(err.Error(), "\n")
		return msg
	}
	// An EOF error's position is not where the text ends; the message
	// already says where.
	if compiling && fe.Line == 1 && fe.Column > 0 && !strings.Contains(fe.Message, "EOF") {
		if r := []rune(src); fe.Column <= len(r) {
			return fmt.Sprintf("%s (after %q)", fe.Message, strings.TrimSpace(string(r[:fe.Column])))
		}
	}
	return fe.Message
}

// analysis is what an expression's tree says about variables and calls.
type analysis struct {
	idents   []*ast.IdentifierNode
	callees  map[ast.Node]bool
	optional map[*ast.IdentifierNode]bool
	declared map[string]bool
	fields   map[*ast.IdentifierNode]string
	// env maps each `$env.name` read (a variable named like a function)
	// to an identifier standing for the variable.
	env      map[*ast.MemberNode]*ast.IdentifierNode
	shadow   *shadowing
	badCall  string
	badArity string
}

// analyze walks the tree once. ast.Walk visits children before parents, so
// identifiers are collected first and sorted into variables, callees and
// `let` names when the walk is over.
func analyze(root ast.Node, sh *shadowing) *analysis {
	a := &analysis{
		callees:  map[ast.Node]bool{},
		optional: map[*ast.IdentifierNode]bool{},
		declared: map[string]bool{},
		fields:   map[*ast.IdentifierNode]string{},
		env:      map[*ast.MemberNode]*ast.IdentifierNode{},
		shadow:   sh,
	}
	ast.Walk(&root, a)
	return a
}

// Visit implements ast.Visitor.
func (a *analysis) Visit(node *ast.Node) {
	switch n := (*node).(type) {
	case *ast.IdentifierNode:
		a.idents = append(a.idents, n)
	case *ast.CallNode:
		id, ok := n.Callee.(*ast.IdentifierNode)
		if !ok {
			return // a method call such as now().Format(...)
		}
		a.callees[id] = true
		fn, known := functionByName[id.Value]
		if !known && a.badCall == "" {
			a.badCall = id.Value
			return
		}
		if known && a.badArity == "" {
			a.badArity = fn.arityError(len(n.Arguments))
		}
	case *ast.MemberNode:
		if orig := a.shadow.patched[n]; orig != nil {
			// A variable named like a function, read through $env
			// (see shadowing): the variable itself.
			id := &ast.IdentifierNode{Value: orig.Value}
			a.env[n] = id
			a.idents = append(a.idents, id)
			return
		}
		if id := a.ident(n.Node); id != nil {
			if s, ok := n.Property.(*ast.StringNode); ok {
				a.fields[id] = s.Value
			}
		}
	case *ast.BuiltinNode:
		// get(a, "b") reads a.b; `a.b ?? x` is compiled into it.
		if n.Name == "get" && len(n.Arguments) == 2 {
			if id := a.ident(n.Arguments[0]); id != nil {
				if s, ok := n.Arguments[1].(*ast.StringNode); ok {
					a.fields[id] = s.Value
				}
			}
		}
	case *ast.BinaryNode:
		if n.Operator == "??" {
			if id := a.rootIdent(n.Left); id != nil {
				a.optional[id] = true
			}
		}
	case *ast.ChainNode:
		if id := a.rootIdent(n.Node); id != nil {
			a.optional[id] = true
		}
	case *ast.VariableDeclaratorNode:
		a.declared[n.Name] = true
	}
}

// ident is the variable a node reads as a whole: an identifier, or a
// variable named like a function read through $env; nil for anything else.
func (a *analysis) ident(n ast.Node) *ast.IdentifierNode {
	switch x := n.(type) {
	case *ast.IdentifierNode:
		return x
	case *ast.MemberNode:
		return a.env[x]
	}
	return nil
}

// rootIdent is the variable at the start of a member chain (`a` in a.b.c).
func (a *analysis) rootIdent(n ast.Node) *ast.IdentifierNode {
	for {
		switch x := n.(type) {
		case *ast.IdentifierNode:
			return x
		case *ast.MemberNode:
			if id := a.env[x]; id != nil {
				return id
			}
			n = x.Node
		case *ast.ChainNode:
			n = x.Node
		case *ast.BuiltinNode:
			if x.Name != "get" || len(x.Arguments) != 2 {
				return nil
			}
			n = x.Arguments[0]
		default:
			return nil
		}
	}
}

// need is a variable, or a column of a row variable, that an expression
// cannot run without.
type need struct{ name, field string }

// check is the same test the fast path makes, so that `${accounts.usrname}`
// and `${upper(accounts.usrname)}` fail alike: expr itself would read a
// missing column of a map[string]string row as "".
func (n need) check(v Vars) error {
	x, ok := v[n.name]
	if !ok {
		return &UnsetError{Var: n.name}
	}
	if n.field == "" {
		return nil
	}
	switch m := x.(type) {
	case map[string]string:
		_, ok = m[n.field]
	case map[string]any:
		_, ok = m[n.field]
	}
	if !ok {
		return &UnsetError{Var: n.name + "." + n.field}
	}
	return nil
}

// refs turns the collected identifiers into Refs and the variables that
// must be set before running.
func (a *analysis) refs(pos scenario.Pos) (refs []Ref, required []need) {
	seen := map[need]bool{}
	for _, id := range a.idents {
		if a.callees[id] || a.declared[id.Value] || id.Value == "$env" {
			continue
		}
		opt := a.optional[id]
		n := need{id.Value, a.fields[id]}
		refs = append(refs, Ref{Var: n.name, Field: n.field, Pos: pos, Optional: opt})
		if !opt && !seen[n] {
			seen[n] = true
			required = append(required, n)
		}
	}
	return refs, required
}

// shadowing lets a user variable take the name of a function: README's
// `set: {count: "${count + 1}"}` reads the variable count, though count is
// also an expr built-in. An identifier that names a function but is not
// called is rewritten into `$env.name`, the variable of that name; a called
// one (`randInt(1, 6)`) stays the function, and names declared with `let`
// stay theirs.
type shadowing struct {
	declared map[string]bool
	// patched maps each rewritten node to the identifier it replaced, to
	// put back where the identifier turns out to be a callee.
	patched map[*ast.MemberNode]*ast.IdentifierNode
}

// newShadowing reads the expression's `let` names first: the patch sees
// identifiers before the declarations that enclose them.
func newShadowing(src string) *shadowing {
	s := &shadowing{declared: map[string]bool{}, patched: map[*ast.MemberNode]*ast.IdentifierNode{}}
	if tree, err := parser.Parse(src); err == nil {
		ast.Find(tree.Node, func(n ast.Node) bool {
			if d, ok := n.(*ast.VariableDeclaratorNode); ok {
				s.declared[d.Name] = true
			}
			return false
		})
	}
	return s
}

// Visit implements ast.Visitor.
func (s *shadowing) Visit(node *ast.Node) {
	switch n := (*node).(type) {
	case *ast.IdentifierNode:
		if !isFunctionName(n.Value) || s.declared[n.Value] {
			return
		}
		m := &ast.MemberNode{Node: &ast.IdentifierNode{Value: "$env"}, Property: &ast.StringNode{Value: n.Value}}
		m.SetLocation(n.Location())
		s.patched[m] = n
		ast.Patch(node, m)
	case *ast.CallNode:
		if m, ok := n.Callee.(*ast.MemberNode); ok {
			if id := s.patched[m]; id != nil {
				n.Callee = id
				delete(s.patched, m)
			}
		}
	}
}

// isFunctionName tells names that expr would take for a function.
func isFunctionName(name string) bool {
	if _, ok := functionByName[name]; ok {
		return true
	}
	_, ok := builtin.Index[name]
	return ok
}

// suggest finds the function name closest to a misspelt one, counting
// expr's own builtins, so "randint" suggests "randInt".
func suggest(name string) string {
	names := make([]string, 0, len(functions)+len(builtin.Builtins))
	for _, f := range functions {
		names = append(names, f.name)
	}
	for _, f := range builtin.Builtins {
		names = append(names, f.Name)
	}
	return didyoumean.Closest(name, names)
}
