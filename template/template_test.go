package template

import (
	"errors"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/loadrun/loadrun/scenario"
)

// vars is the user every rendering test runs as.
func vars() Vars {
	return Vars{
		"token":    "abc123",
		"n":        42,
		"f":        2.5,
		"ok":       true,
		"nothing":  nil,
		"list":     []any{"a", 1, true},
		"names":    []string{"x", "y"},
		"accounts": map[string]string{"username": "alice", "password": "s3cret"},
		"user":     map[string]any{"id": 7, "tags": []any{"t1", "t2"}},
		"date":     "2024-01-02",
		"text":     "not a map",
	}
}

func TestRender(t *testing.T) {
	tests := []struct {
		text string
		want string
	}{
		// No template at all.
		{"/static/path?q=1", "/static/path?q=1"},
		// The empty string.
		{"", ""},
		// A lone dollar and a dollar before a non-brace stay as written.
		{"cost: $5 and $x", "cost: $5 and $x"},
		// $${ is a literal ${ and is not evaluated.
		{"$${token}", "${token}"},
		// An escape next to a real expression.
		{"$${a} ${token}", "${a} abc123"},
		// A plain variable.
		{"Bearer ${token}", "Bearer abc123"},
		// Spaces inside the braces are allowed.
		{"${ token }", "abc123"},
		// Several parts with literals between them.
		{"/u/${accounts.username}/n/${n}?t=${token}", "/u/alice/n/42?t=abc123"},
		// Pool fields by dot and by index syntax.
		{"${accounts.username}:${accounts[\"password\"]}", "alice:s3cret"},
		// A field of a map[string]any.
		{"${user.id}", "7"},
		// Ints have no decimals.
		{"${n}", "42"},
		// Floats in shortest form.
		{"${f}", "2.5"},
		// Float arithmetic keeps its shortest exact form.
		{"${0.1 + 0.2}", "0.30000000000000004"},
		// A float that is whole prints without a decimal point.
		{"${f * 2}", "5"},
		// A large float prints without an exponent.
		{"${1e6 * 1.0}", "1000000"},
		// Bools.
		{"${ok}/${!ok}", "true/false"},
		// A variable set to nil renders as nothing.
		{"[${nothing}]", "[]"},
		// Lists are joined with commas.
		{"${list}|${names}", "a,1,true|x,y"},
		// A general expression with a builtin of expr.
		{"id-${upper(token)}-${len(token)}", "id-ABC123-6"},
		// string() of a function result, as in the brief.
		{`${ "id-" + string(randInt(5, 5)) }`, "id-5"},
		// A closing brace inside a string literal does not end the expression.
		{`${ "}" + token }`, "}abc123"},
		// A map literal inside the expression.
		{`${ {"a": token}.a }`, "abc123"},
		// ?? gives a default for an unset variable.
		{`${missing ?? "dflt"}`, "dflt"},
		// ?? also covers a missing pool and a missing column.
		{`${nopool.col ?? "d1"}/${accounts.nocol ?? "d2"}`, "d1/d2"},
		// ?. on an unset variable gives nil, which renders as nothing.
		{"[${missing?.x}]", "[]"},
		// A variable named like an expr builtin works on its own.
		{"${date}", "2024-01-02"},
		// A let binding is not a variable of the user.
		{"${let x = n + 1; x * 2}", "86"},
		// A predicate's # is not a variable either.
		{"${filter([1, 2, 3], # > 1)}", "2,3"},
		// A method on a time value.
		{"${formatTime(now(), 'X2006') != ''}", "true"},
		// Multi-byte text around an expression.
		{"héllo ${token} wörld", "héllo abc123 wörld"},
	}
	for _, tt := range tests {
		tpl, err := Compile(scenario.Template{Text: tt.text})
		if err != nil {
			t.Errorf("Compile(%q): %v", tt.text, err)
			continue
		}
		got, err := tpl.Render([]byte("pre:"), vars())
		if err != nil {
			t.Errorf("Render(%q): %v", tt.text, err)
			continue
		}
		if want := "pre:" + tt.want; string(got) != want {
			t.Errorf("Render(%q) = %q, want %q", tt.text, got, want)
		}
	}
}

func TestValue(t *testing.T) {
	tests := []struct {
		text string
		want any
	}{
		// A single variable keeps its type.
		{"${n}", 42},
		// So does a single expression.
		{"${n + 1}", 43},
		// A float stays a float.
		{"${f}", 2.5},
		// A bool stays a bool.
		{"${n > 40}", true},
		// A list stays a list.
		{"${names}", []string{"x", "y"}},
		// A pool field is a string, as in the row.
		{"${accounts.username}", "alice"},
		// Text around the expression makes a string.
		{"n=${n}", "n=42"},
		// Two expressions make a string.
		{"${n}${n}", "4242"},
		// A space outside the braces makes a string.
		{" ${n}", " 42"},
		// A static template is its text with escapes resolved.
		{"$${n}", "${n}"},
		// A variable set to nil is nil.
		{"${nothing}", nil},
	}
	for _, tt := range tests {
		tpl, err := Compile(scenario.Template{Text: tt.text})
		if err != nil {
			t.Errorf("Compile(%q): %v", tt.text, err)
			continue
		}
		got, err := tpl.Value(vars())
		if err != nil {
			t.Errorf("Value(%q): %v", tt.text, err)
			continue
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Value(%q) = %#v, want %#v", tt.text, got, tt.want)
		}
	}
}

func TestRenderErrors(t *testing.T) {
	tests := []struct {
		text    string
		unset   string // the UnsetError's Var, or "" for another error
		wantMsg string
	}{
		// A missing variable on the fast path.
		{"x=${csrf}", "csrf", "variable csrf is not set"},
		// A missing pool.
		{"${accounts2.username}", "accounts2", "variable accounts2 is not set"},
		// A missing column of a pool row.
		{"${accounts.usernme}", "accounts.usernme", "variable accounts.usernme is not set"},
		// A missing variable inside a general expression is caught before running.
		{"${upper(csrf) + token}", "csrf", "variable csrf is not set"},
		// A missing column inside a general expression, not read as "".
		{"${upper(accounts.usernme)}", "accounts.usernme", "variable accounts.usernme is not set"},
		// The first missing variable is named.
		{"${a + b}", "a", "variable a is not set"},
		// A runtime error names the expression and has no snippet lines.
		{"${n / 0 > text}", "", "evaluating n / 0 > text: invalid operation"},
		// A function's own error comes through.
		{"${randInt(5, 1)}", "", "randInt: min 5 is greater than max 1"},
		// A member of something that is not a map goes to expr and fails there.
		{"${text.field}", "", "evaluating text.field"},
	}
	for _, tt := range tests {
		tpl, err := Compile(scenario.Template{Text: tt.text})
		if err != nil {
			t.Errorf("Compile(%q): %v", tt.text, err)
			continue
		}
		_, err = tpl.Render(nil, vars())
		if err == nil {
			t.Errorf("Render(%q): no error, want %q", tt.text, tt.wantMsg)
			continue
		}
		if strings.Contains(err.Error(), "\n") {
			t.Errorf("Render(%q) error has several lines: %q", tt.text, err)
		}
		var ue *UnsetError
		if got := errors.As(err, &ue); got != (tt.unset != "") {
			t.Errorf("Render(%q) error %T is UnsetError: %v, want %v", tt.text, err, got, tt.unset != "")
		} else if got && ue.Var != tt.unset {
			t.Errorf("Render(%q) UnsetError.Var = %q, want %q", tt.text, ue.Var, tt.unset)
		}
		if !strings.Contains(err.Error(), tt.wantMsg) {
			t.Errorf("Render(%q) error = %q, want it to contain %q", tt.text, err, tt.wantMsg)
		}
	}
}

func TestCompileErrors(t *testing.T) {
	pos := scenario.Pos{File: "s.yaml", Line: 3, Col: 10}
	tests := []struct {
		text string
		want string
	}{
		// Unterminated ${ points at the ${ (offset 5 from col 10).
		{"/api/${id", "s.yaml:3:15: unterminated ${"},
		// A syntax error inside the expression.
		{"${1 +}", "s.yaml:3:10: ${1 +}: unexpected token"},
		// The second expression's position.
		{"a ${x} ${x +}", "s.yaml:3:17: ${x +}: unexpected token EOF"},
		// The text before a syntax error is quoted in place of expr's caret.
		{"${a +* b}", `s.yaml:3:10: ${a +* b}: unexpected token Operator("*") (after "a +")`},
		// An unknown function with a suggestion.
		{"${randint(1, 2)}", "s.yaml:3:10: ${randint(1, 2)}: unknown function randint (did you mean randInt?)"},
		// An unknown function with nothing close.
		{"${frobnicate()}", "s.yaml:3:10: ${frobnicate()}: unknown function frobnicate"},
		// Wrong number of arguments to one of ours.
		{"${randInt(1)}", "s.yaml:3:10: ${randInt(1)}: randInt takes 2 arguments (min, max), got 1"},
		// Wrong number of arguments to expr's builtin.
		{"${upper()}", "s.yaml:3:10: ${upper()}: not enough arguments to call upper"},
		// An empty expression.
		{"x${ }", "s.yaml:3:11: empty expression ${ }"},
		// An unterminated string literal inside the expression.
		{`${"abc}`, "s.yaml:3:10: unterminated ${"},
		// Columns count characters, not bytes.
		{"é${1 +}", "s.yaml:3:11: "},
	}
	for _, tt := range tests {
		_, err := Compile(scenario.Template{Pos: pos, Text: tt.text})
		if err == nil {
			t.Errorf("Compile(%q): no error, want %q", tt.text, tt.want)
			continue
		}
		var se *scenario.Error
		if !errors.As(err, &se) {
			t.Errorf("Compile(%q) error is %T, want *scenario.Error", tt.text, err)
		}
		if got := err.Error(); !strings.HasPrefix(got, tt.want) || strings.Contains(got, "\n") {
			t.Errorf("Compile(%q) error = %q, want one line starting %q", tt.text, got, tt.want)
		}
	}
}

// A template on several lines (a block scalar) keeps the scalar's position:
// its column says nothing about where a line's ${ is.
func TestCompileErrorMultiLine(t *testing.T) {
	pos := scenario.Pos{File: "s.yaml", Line: 3, Col: 10}
	_, err := Compile(scenario.Template{Pos: pos, Text: "line one\n  ${1 +}"})
	want := "s.yaml:3:10: "
	if err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("got %v, want an error starting %q", err, want)
	}
}

func TestRefs(t *testing.T) {
	pos := scenario.Pos{File: "s.yaml", Line: 1, Col: 1}
	tests := []struct {
		text string
		want []Ref
	}{
		// No expressions, no refs.
		{"plain", nil},
		// One variable at its ${.
		{"ab${token}", []Ref{{Var: "token", Pos: scenario.Pos{File: "s.yaml", Line: 1, Col: 3}}}},
		// A pool field.
		{"${accounts.username}", []Ref{{Var: "accounts", Field: "username", Pos: pos}}},
		// Function names, let names, $env and predicate pointers are not refs.
		{"${let x = 1; randInt(x, n) + len(filter(l, # > 1)) + $env.q}", []Ref{
			{Var: "n", Pos: pos}, {Var: "l", Pos: pos}}},
		// The left side of ?? is optional.
		{"${a.b ?? c}", []Ref{{Var: "a", Field: "b", Pos: pos, Optional: true}, {Var: "c", Pos: pos}}},
		// A default for a pool column keeps the field.
		{"${a.b.c ?? 1}", []Ref{{Var: "a", Field: "b", Pos: pos, Optional: true}}},
		// An index by a computed key has no Field.
		{"${row[k]}", []Ref{{Var: "row", Pos: pos}, {Var: "k", Pos: pos}}},
	}
	for _, tt := range tests {
		tpl, err := Compile(scenario.Template{Pos: pos, Text: tt.text})
		if err != nil {
			t.Errorf("Compile(%q): %v", tt.text, err)
			continue
		}
		if got := tpl.Refs(); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Refs(%q) = %+v, want %+v", tt.text, got, tt.want)
		}
	}
}

func TestStaticAndText(t *testing.T) {
	tests := []struct {
		text       string
		wantStatic bool
	}{
		// Plain text.
		{"/health", true},
		// An escape alone is still static.
		{"$${x}", true},
		// An expression is not.
		{"/u/${id}", false},
		// A constant expression is not static either: it is a template by intent.
		{"${1}", false},
	}
	for _, tt := range tests {
		tpl, err := Compile(scenario.Template{Text: tt.text})
		if err != nil {
			t.Fatalf("Compile(%q): %v", tt.text, err)
		}
		if got := tpl.IsStatic(); got != tt.wantStatic {
			t.Errorf("IsStatic(%q) = %v, want %v", tt.text, got, tt.wantStatic)
		}
		if got := tpl.Text(); got != tt.text {
			t.Errorf("Text() = %q, want %q", got, tt.text)
		}
	}
}

func TestCompileExpr(t *testing.T) {
	pos := scenario.Pos{File: "s.yaml", Line: 4, Col: 7}
	e, err := CompileExpr("n * 2 + accounts.username", pos)
	if err == nil {
		_, err = e.Eval(vars())
	}
	if err == nil || !strings.Contains(err.Error(), "evaluating n * 2 + accounts.username") {
		t.Errorf("Eval of int + string: got %v, want an evaluation error", err)
	}
	e, err = CompileExpr("n * 2", pos)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := e.Eval(vars()); err != nil || got != 84 {
		t.Errorf("Eval(n * 2) = %v, %v; want 84", got, err)
	}
	if got := e.Pos(); got != pos {
		t.Errorf("Pos() = %v, want %v", got, pos)
	}
	if got, want := e.Refs(), []Ref{{Var: "n", Pos: pos}}; !reflect.DeepEqual(got, want) {
		t.Errorf("Refs() = %+v, want %+v", got, want)
	}
	_, err = CompileExpr("frobnicate(1)", pos)
	if want := "s.yaml:4:7: expression frobnicate(1): unknown function frobnicate"; err == nil || err.Error() != want {
		t.Errorf("CompileExpr(frobnicate(1)) error = %v, want %q", err, want)
	}
}

// Each goroutine is one user with its own Vars; renders must never see
// another user's values, and -race must stay quiet.
func TestConcurrentUsers(t *testing.T) {
	tpls := []*Template{
		MustCompile("/u/${id}"),
		MustCompile("/u/${row.id}"),
		MustCompile("/u/${string(id + 0)}"),
	}
	const users, iterations = 16, 300
	var wg sync.WaitGroup
	errs := make(chan string, users)
	for u := range users {
		wg.Go(func() {
			v := Vars{"id": u, "row": map[string]string{"id": strconv.Itoa(u)}}
			want := "/u/" + strconv.Itoa(u)
			var buf []byte
			for i := range iterations {
				tpl := tpls[i%len(tpls)]
				var err error
				buf, err = tpl.Render(buf[:0], v)
				if err != nil || string(buf) != want {
					errs <- "user " + strconv.Itoa(u) + " rendered " + string(buf) + ", want " + want
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}
