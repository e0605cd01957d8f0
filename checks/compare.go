package checks

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/loadrun/loadrun/extractors"
	"github.com/loadrun/loadrun/scenario"
	"github.com/loadrun/loadrun/template"
)

// operand is a value to compare with, kept as text and, when it reads as a
// number, as that number too.
type operand struct {
	text  string
	num   float64
	isNum bool
}

func newOperand(s string) operand {
	o := operand{text: s}
	o.num, o.isNum = parseNum(s)
	return o
}

func parseNum(s string) (float64, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, false
	}
	f, err := strconv.ParseFloat(s, 64)
	return f, err == nil
}

// equal compares numerically when both sides are numbers ("3" equals "3.0"),
// else as strings.
func (o operand) equal(actual string) bool {
	if o.isNum {
		if f, ok := parseNum(actual); ok {
			return f == o.num
		}
	}
	return actual == o.text
}

// comparator is a compiled `op: value` pair of a check.
type comparator struct {
	op   string
	want operand
	list []operand
	re   *regexp.Regexp
	// shown is the value as rendered in the check's name.
	shown string
	// tmpl is the expected value when it holds `${}` (it is rendered
	// with the user's variables for each response); listTmpl holds, for
	// `in`, each item's template, nil for a literal item.
	tmpl     *template.Template
	listTmpl []*template.Template
}

// compileComparator checks that the value suits the operator, so that a
// `>` against a word fails at load and not ten thousand times at run time.
// A value holding `${}` is a template, checked when it is rendered.
func compileComparator(op string, value any, pos scenario.Pos) (*comparator, error) {
	c := &comparator{op: op}
	if op == "in" {
		items, ok := listOf(value)
		if !ok {
			return nil, fmt.Errorf("%q needs a list of values, got %s", op, describe(value))
		}
		shown := make([]string, len(items))
		for i, it := range items {
			t, err := compileTemplate(it, pos)
			if err != nil {
				return nil, err
			}
			if t != nil && c.listTmpl == nil {
				c.listTmpl = make([]*template.Template, len(items))
			}
			if t != nil {
				c.listTmpl[i] = t
			}
			c.list = append(c.list, newOperand(it))
			shown[i] = render(it)
		}
		c.shown = "[" + strings.Join(shown, ", ") + "]"
		return c, nil
	}
	text, ok := scalarText(value)
	if !ok {
		return nil, fmt.Errorf("%q needs a single value, got %s", op, describe(value))
	}
	t, err := compileTemplate(text, pos)
	if err != nil {
		return nil, err
	}
	c.shown = render(text)
	if t != nil {
		c.tmpl, c.shown = t, text
		if !isComparator(op) {
			return nil, unknownComparator(op)
		}
		return c, nil
	}
	return c, c.set(text, func() string { return describe(value) })
}

// set makes text the expected value, checking that it suits the operator.
func (c *comparator) set(text string, described func() string) error {
	c.want = newOperand(text)
	switch c.op {
	case "equals", "not_equals", "contains", "not_contains":
	case "<", "<=", ">", ">=":
		if !c.want.isNum {
			return fmt.Errorf("%q needs a number, got %s", c.op, described())
		}
	case "matches":
		re, err := regexp.Compile(text)
		if err != nil {
			return fmt.Errorf("matches: %v", err)
		}
		c.re = re
	default:
		return unknownComparator(c.op)
	}
	return nil
}

func isComparator(op string) bool {
	switch op {
	case "equals", "not_equals", "contains", "not_contains", "<", "<=", ">", ">=", "matches", "in":
		return true
	}
	return false
}

func unknownComparator(op string) error {
	return fmt.Errorf("unknown comparator %q (want equals, not_equals, <, <=, >, >=, in, matches, contains or not_contains)", op)
}

// compileTemplate compiles text when it holds `${`; nil when it does not.
func compileTemplate(text string, pos scenario.Pos) (*template.Template, error) {
	if !strings.Contains(text, "${") {
		return nil, nil
	}
	t, err := template.Compile(scenario.Template{Pos: pos, Text: text})
	if err != nil || t.IsStatic() {
		return nil, err
	}
	return t, nil
}

// resolve gives the comparator to test a response with: c itself when its
// expected value is literal, else one with the value rendered for vars.
func (c *comparator) resolve(vars template.Vars) (*comparator, error) {
	if c.tmpl == nil && c.listTmpl == nil {
		return c, nil
	}
	r := &comparator{op: c.op}
	if c.tmpl != nil {
		text, err := c.tmpl.String(vars)
		if err != nil {
			return nil, err
		}
		r.shown = render(text)
		if err := r.set(text, func() string { return render(text) }); err != nil {
			return nil, fmt.Errorf("expected value %s: %v", c.shown, err)
		}
		return r, nil
	}
	r.list = append([]operand(nil), c.list...)
	shown := make([]string, len(r.list))
	for i, t := range c.listTmpl {
		if t != nil {
			text, err := t.String(vars)
			if err != nil {
				return nil, err
			}
			r.list[i] = newOperand(text)
		}
		shown[i] = render(r.list[i].text)
	}
	r.shown = "[" + strings.Join(shown, ", ") + "]"
	return r, nil
}

// refs are the variables the expected values read.
func (c *comparator) refs() []template.Ref {
	var out []template.Ref
	if c.tmpl != nil {
		out = append(out, c.tmpl.Refs()...)
	}
	for _, t := range c.listTmpl {
		if t != nil {
			out = append(out, t.Refs()...)
		}
	}
	return out
}

// test compares the value found with the expected one; why explains a
// failure, with the actual value cut short.
func (c *comparator) test(actual string) (ok bool, why string) {
	switch c.op {
	case "equals":
		ok = c.want.equal(actual)
	case "not_equals":
		ok = !c.want.equal(actual)
	case "contains":
		ok = strings.Contains(actual, c.want.text)
	case "not_contains":
		ok = !strings.Contains(actual, c.want.text)
	case "matches":
		ok = c.re.MatchString(actual)
	case "in":
		for _, o := range c.list {
			if o.equal(actual) {
				ok = true
				break
			}
		}
	default:
		f, isNum := parseNum(actual)
		if !isNum {
			return false, "got " + render(extractors.Truncate(actual, 80)) + ", which is not a number"
		}
		switch c.op {
		case "<":
			ok = f < c.want.num
		case "<=":
			ok = f <= c.want.num
		case ">":
			ok = f > c.want.num
		case ">=":
			ok = f >= c.want.num
		}
	}
	if ok {
		return true, ""
	}
	return false, "got " + render(extractors.Truncate(actual, 80))
}

// render shows a value in a name or message: numbers bare, text quoted.
func render(s string) string {
	if _, ok := parseNum(s); ok {
		return s
	}
	return strconv.Quote(s)
}

// scalarText turns a YAML scalar (string, number, bool) into text.
func scalarText(v any) (string, bool) {
	switch v := v.(type) {
	case string:
		return v, true
	case int:
		return strconv.Itoa(v), true
	case int64:
		return strconv.FormatInt(v, 10), true
	case uint64:
		return strconv.FormatUint(v, 10), true
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64), true
	case bool:
		return strconv.FormatBool(v), true
	}
	return "", false
}

func listOf(v any) ([]string, bool) {
	switch v := v.(type) {
	case []string:
		return v, true
	case []any:
		out := make([]string, len(v))
		for i, it := range v {
			s, ok := scalarText(it)
			if !ok {
				return nil, false
			}
			out[i] = s
		}
		return out, true
	}
	return nil, false
}

func describe(v any) string {
	switch v := v.(type) {
	case nil:
		return "nothing"
	case []any, []string:
		return "a list"
	case map[string]any:
		return "a map"
	case string:
		return strconv.Quote(v)
	default:
		return fmt.Sprintf("%v", v)
	}
}
