package extractors

import (
	"fmt"
	"strconv"
	"sync"

	"github.com/antchfx/xpath"
)

// XPath is a compiled XPath expression usable from many goroutines at once.
//
// An *xpath.Expr keeps iteration state inside its query tree while it is
// evaluated, so one Expr must not be evaluated concurrently. XPath keeps a
// pool of compiled copies: a virtual user borrows one per evaluation, and
// steady state compiles nothing.
type XPath struct {
	src  string
	pool sync.Pool
}

// CompileXPath compiles an expression once, at load, to report errors early.
func CompileXPath(expr string) (*XPath, error) {
	first, err := xpath.Compile(expr)
	if err != nil {
		return nil, err
	}
	x := &XPath{src: expr}
	x.pool.Put(first)
	return x, nil
}

// String returns the expression as written.
func (x *XPath) String() string { return x.src }

func (x *XPath) get() (*xpath.Expr, error) {
	if e, ok := x.pool.Get().(*xpath.Expr); ok {
		return e, nil
	}
	return xpath.Compile(x.src)
}

// Each evaluates the expression on the Source's body (parsed as HTML or XML
// on first use) and calls yield with the text of each selected node in
// document order until yield returns false: an attribute's value, an
// element's inner text. An expression with a scalar result (`count(//tr)`,
// `string(//title)`, `//a = 'x'`) yields that one value as text.
func (x *XPath) Each(src *Source, yield func(string) bool) error {
	nav, err := src.navigator()
	if err != nil {
		return err
	}
	e, err := x.get()
	if err != nil {
		return fmt.Errorf("xpath %q: %v", x.src, err)
	}
	defer x.pool.Put(e)
	switch v := e.Evaluate(nav).(type) {
	case *xpath.NodeIterator:
		for v.MoveNext() {
			if !yield(v.Current().Value()) {
				break
			}
		}
	case string:
		yield(v)
	case float64:
		yield(strconv.FormatFloat(v, 'f', -1, 64))
	case bool:
		yield(strconv.FormatBool(v))
	}
	return nil
}

// First returns the text of the first selected node (see Each).
func (x *XPath) First(src *Source) (val string, found bool, err error) {
	err = x.Each(src, func(s string) bool {
		val, found = s, true
		return false
	})
	return val, found, err
}
