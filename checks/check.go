// Package checks compiles and runs checkpoints (assertions) on responses:
// status codes, body content, JSON and XPath values compared with expected
// ones, response time limits and expr-lang boolean expressions.
//
// Everything is compiled once at load; Run reads the response through an
// extractors.Source so that a body parsed for one xpath check or extractor is
// not parsed again for the next.
package checks

import (
	"bytes"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/loadrun/loadrun/extractors"
	"github.com/loadrun/loadrun/scenario"
	"github.com/loadrun/loadrun/template"
	"github.com/tidwall/gjson"
)

// Check is one compiled checkpoint. It holds no per-response state and is
// safe for concurrent use.
type Check struct {
	name string
	kind scenario.CheckKind

	statuses []statusRange
	sub      []byte // contains, not_contains
	re       *regexp.Regexp
	group    int
	json     *extractors.JSONPath
	xpath    *extractors.XPath
	header   string
	maxTime  time.Duration
	expr     *exprCheck
	cmp      *comparator // nil: the value must merely exist
	// subTmpl is a contains/not_contains text holding `${}`, rendered
	// with the user's variables for each response.
	subTmpl *template.Template
	// templated is set when anything expected reads the user's variables.
	templated bool
	refs      []template.Ref
}

// Compile checks and compiles a checkpoint. Errors are *scenario.Error at c.Pos.
func Compile(c *scenario.Check) (*Check, error) {
	k, err := compile(c)
	if err != nil {
		return nil, scenario.Errorf(c.Pos, "check %s: %v", strings.TrimSpace(string(c.Kind)+" "+extractors.Truncate(c.Arg, 60)), err)
	}
	k.name = c.Name
	if k.name == "" {
		k.name = k.render(c)
	}
	return k, nil
}

func compile(c *scenario.Check) (*Check, error) {
	k := &Check{kind: c.Kind}
	var err error
	if c.Op != "" {
		switch c.Kind {
		case scenario.CheckRegex, scenario.CheckJSONPath, scenario.CheckXPath, scenario.CheckHeader:
			if k.cmp, err = compileComparator(c.Op, c.Value, c.Pos); err != nil {
				return nil, err
			}
			k.refs = append(k.refs, k.cmp.refs()...)
		default:
			return nil, fmt.Errorf("a %s check takes no comparator (got %q)", c.Kind, c.Op)
		}
	}
	switch c.Kind {
	case scenario.CheckStatus:
		specs := c.Statuses
		if len(specs) == 0 && c.Arg != "" {
			specs = []string{c.Arg}
		}
		k.statuses, err = parseStatuses(specs)
	case scenario.CheckContains, scenario.CheckNotContains:
		if c.Arg == "" {
			err = fmt.Errorf("missing the text to look for")
		}
		k.sub = []byte(c.Arg)
		if err == nil {
			if k.subTmpl, err = compileTemplate(c.Arg, c.Pos); k.subTmpl != nil {
				k.refs = append(k.refs, k.subTmpl.Refs()...)
			}
		}
	case scenario.CheckRegex:
		k.re, err = regexp.Compile(c.Arg)
		if err == nil && k.re.NumSubexp() > 0 {
			k.group = 1
		}
	case scenario.CheckJSONPath:
		k.json, err = extractors.CompileJSONPath(c.Arg)
	case scenario.CheckXPath:
		k.xpath, err = extractors.CompileXPath(c.Arg)
	case scenario.CheckHeader:
		if c.Arg == "" {
			err = fmt.Errorf("missing header name")
		}
		k.header = c.Arg
	case scenario.CheckMaxTime:
		k.maxTime = c.MaxTime
		if k.maxTime == 0 && c.Arg != "" {
			k.maxTime, err = time.ParseDuration(strings.TrimSpace(c.Arg))
		}
		if err == nil && k.maxTime <= 0 {
			err = fmt.Errorf("max_time needs a positive duration such as 500ms")
		}
	case scenario.CheckExpr:
		k.expr, err = compileExpr(c.Arg)
		if err == nil {
			k.refs = append(k.refs, k.expr.refs(c.Pos)...)
		}
	default:
		err = fmt.Errorf("unknown kind %q (want status, contains, not_contains, regex, jsonpath, xpath, header, max_time or expr)", c.Kind)
	}
	if err != nil {
		return nil, err
	}
	k.templated = k.subTmpl != nil || k.cmp != nil && (k.cmp.tmpl != nil || k.cmp.listTmpl != nil)
	return k, nil
}

// Refs are the user variables the check reads: those of templated
// expected values and those an expr check names.
func (k *Check) Refs() []template.Ref { return k.refs }

// render names a check that has no name of its own, for stats and messages.
func (k *Check) render(c *scenario.Check) string {
	var s string
	switch c.Kind {
	case scenario.CheckStatus:
		s = "status " + strings.Join(c.Statuses, ",")
		if len(c.Statuses) == 0 {
			s = "status " + c.Arg
		}
	case scenario.CheckContains, scenario.CheckNotContains, scenario.CheckRegex:
		s = string(c.Kind) + " " + strconv.Quote(extractors.Truncate(c.Arg, 60))
	case scenario.CheckMaxTime:
		s = "max_time " + k.maxTime.String()
	default:
		s = string(c.Kind) + " " + extractors.Truncate(c.Arg, 80)
	}
	if k.cmp != nil {
		s += " " + k.cmp.op + " " + k.cmp.shown
	}
	return s
}

// Name is the check's label: its name as written, or a short rendering such
// as `status 2xx` or `jsonpath $.items.# equals 3`.
func (k *Check) Name() string { return k.name }

// IsStatus reports whether this is a status check. A request with one
// decides for itself which statuses are good; without one, the engine fails
// a status >= 400.
func (k *Check) IsStatus() bool { return k.kind == scenario.CheckStatus }

// Run evaluates the check on a response for a user whose variables are vars:
// expected values holding `${}` are rendered with them and an expr check
// reads them. On failure msg names the check and shows what was found,
// e.g. `check status 200: got 503`.
func (k *Check) Run(src *extractors.Source, vars template.Vars) (ok bool, msg string) {
	if k.templated {
		r := *k
		if k.subTmpl != nil {
			sub, err := k.subTmpl.String(vars)
			if err != nil {
				return k.fail("%v", err)
			}
			r.sub = []byte(sub)
		}
		if k.cmp != nil {
			cmp, err := k.cmp.resolve(vars)
			if err != nil {
				return k.fail("%v", err)
			}
			r.cmp = cmp
		}
		return r.run(src, vars)
	}
	return k.run(src, vars)
}

func (k *Check) run(src *extractors.Source, vars template.Vars) (ok bool, msg string) {
	resp := src.Response()
	switch k.kind {
	case scenario.CheckStatus:
		if statusOK(k.statuses, resp.StatusCode()) {
			return true, ""
		}
		return k.fail("got %d", resp.StatusCode())
	case scenario.CheckContains:
		if bytes.Contains(resp.Body(), k.sub) {
			return true, ""
		}
		return k.fail("not found in the body")
	case scenario.CheckNotContains:
		if i := bytes.Index(resp.Body(), k.sub); i >= 0 {
			return k.fail("found at byte %d of the body", i)
		}
		return true, ""
	case scenario.CheckRegex:
		return k.runRegex(resp.Body())
	case scenario.CheckJSONPath:
		return k.runJSON(resp.Body())
	case scenario.CheckXPath:
		val, found, err := k.xpath.First(src)
		if err != nil {
			return k.fail("%v", err)
		}
		if !found {
			return k.fail("no node in the body")
		}
		return k.compare(val)
	case scenario.CheckHeader:
		vals := resp.HeaderValues(k.header)
		if len(vals) == 0 {
			return k.fail("no such header in the response")
		}
		if k.cmp == nil {
			return true, ""
		}
		// Several fields of one header compare as their comma-joined list,
		// which is what HTTP says they mean.
		if len(vals) == 1 {
			return k.compare(vals[0])
		}
		return k.compare(strings.Join(vals, ", "))
	case scenario.CheckMaxTime:
		if e := resp.Elapsed(); e > k.maxTime {
			return k.fail("exceeded")
		}
		return true, ""
	case scenario.CheckExpr:
		return k.expr.run(k, src, vars)
	}
	return k.fail("unknown kind %q", k.kind)
}

func (k *Check) runRegex(body []byte) (bool, string) {
	if k.cmp == nil {
		if k.re.Match(body) {
			return true, ""
		}
		return k.fail("no match in the body")
	}
	m := k.re.FindSubmatchIndex(body)
	if m == nil {
		return k.fail("no match in the body")
	}
	lo, hi := m[2*k.group], m[2*k.group+1]
	if lo < 0 {
		return k.compare("")
	}
	return k.compare(string(body[lo:hi]))
}

func (k *Check) runJSON(body []byte) (bool, string) {
	r := k.json.Get(body)
	if !r.Exists() {
		if !gjson.ValidBytes(body) {
			return k.fail("the body is not valid JSON")
		}
		return k.fail("not found in the JSON body")
	}
	if k.cmp == nil {
		return true, ""
	}
	return k.compare(extractors.ResultText(r))
}

func (k *Check) compare(actual string) (bool, string) {
	if k.cmp == nil {
		return true, ""
	}
	if ok, why := k.cmp.test(actual); !ok {
		if k.templated {
			// The name shows the template; say what it was for this user.
			why += ", expected " + k.cmp.shown
		}
		return false, "check " + k.name + ": " + why
	}
	return true, ""
}

func (k *Check) fail(format string, args ...any) (bool, string) {
	return false, "check " + k.name + ": " + fmt.Sprintf(format, args...)
}
