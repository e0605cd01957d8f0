package checks

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/loadrun/loadrun/extractors"
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
}

// compileComparator checks that the value suits the operator, so that a
// `>` against a word fails at load and not ten thousand times at run time.
func compileComparator(op string, value any) (*comparator, error) {
	c := &comparator{op: op}
	if op == "in" {
		items, ok := listOf(value)
		if !ok {
			return nil, fmt.Errorf("%q needs a list of values, got %s", op, describe(value))
		}
		shown := make([]string, len(items))
		for i, it := range items {
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
	c.want = newOperand(text)
	c.shown = render(text)
	switch op {
	case "equals", "not_equals", "contains", "not_contains":
	case "<", "<=", ">", ">=":
		if !c.want.isNum {
			return nil, fmt.Errorf("%q needs a number, got %s", op, describe(value))
		}
	case "matches":
		re, err := regexp.Compile(text)
		if err != nil {
			return nil, fmt.Errorf("matches: %v", err)
		}
		c.re = re
	default:
		return nil, fmt.Errorf("unknown comparator %q (want equals, not_equals, <, <=, >, >=, in, matches, contains or not_contains)", op)
	}
	return c, nil
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
