package extractors

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"regexp"
	"strconv"

	"github.com/loadrun/loadrun/scenario"
	"github.com/tidwall/gjson"
)

// Extractor is one compiled `extract` entry: where to look, which match to
// keep and into which variable. It holds no per-request state and is safe
// for concurrent use.
type Extractor struct {
	v    string
	desc string // `regex "name=..."`, for messages
	find finder
	mode matchMode
	idx  int // for matchIndex; negative counts from the end
	def  *string
}

// finder produces the candidate values of one extractor kind in document
// order, handing each to the picker until it has what it needs.
type finder interface {
	find(src *Source, p *picker) error
	// where describes what was searched, for a miss: "in body of 512 bytes".
	where(src *Source) string
}

// Compile checks and compiles an extract entry. Errors are *scenario.Error
// at e.Pos.
func Compile(e *scenario.Extract) (*Extractor, error) {
	x := &Extractor{v: e.Var, def: e.Default}
	var err error
	x.mode, x.idx, err = parseMatch(e.Match)
	if err != nil {
		return nil, scenario.Errorf(e.Pos, "extractor %q: %v", e.Var, err)
	}
	x.desc = fmt.Sprintf("%s %s", e.Kind, quote(e.Expr))
	switch e.Kind {
	case scenario.ExtractRegex:
		x.find, err = compileRegex(e)
	case scenario.ExtractJSONPath:
		var p *JSONPath
		p, err = CompileJSONPath(e.Expr)
		x.find = jsonFinder{p}
	case scenario.ExtractXPath:
		var p *XPath
		p, err = CompileXPath(e.Expr)
		x.find = xpathFinder{p}
	case scenario.ExtractHeader:
		if e.Expr == "" {
			err = fmt.Errorf("missing header name")
		}
		x.find = headerFinder(e.Expr)
	case scenario.ExtractCookie:
		if e.Expr == "" {
			err = fmt.Errorf("missing cookie name")
		}
		x.find = cookieFinder(e.Expr)
	case scenario.ExtractBoundary:
		if e.Left == "" && e.Right == "" {
			err = fmt.Errorf("boundary needs left, right or both")
		}
		x.desc = fmt.Sprintf("boundary %s…%s", quote(e.Left), quote(e.Right))
		x.find = boundaryFinder{left: []byte(e.Left), right: []byte(e.Right)}
	case scenario.ExtractStatus:
		x.desc = "status"
		x.find = statusFinder{}
	default:
		err = fmt.Errorf("unknown kind %q (want regex, jsonpath, xpath, header, cookie, boundary or status)", e.Kind)
	}
	if err != nil {
		return nil, scenario.Errorf(e.Pos, "extractor %q (%s): %v", e.Var, x.desc, err)
	}
	return x, nil
}

// Var is the user variable the value is saved into.
func (x *Extractor) Var() string { return x.v }

// Extract finds the value in the response: a string, or a []string for
// `match: all`. When nothing matches it returns the default (a one-element
// list for `match: all`) or, without a default, an error that names the
// extractor and what was searched. rnd picks for `match: random`; nil uses
// the top-level generator.
func (x *Extractor) Extract(src *Source, rnd *rand.Rand) (any, error) {
	p := &src.pick
	p.reset(x.mode, x.idx, rnd)
	if err := x.find.find(src, p); err != nil {
		return nil, fmt.Errorf("extractor %q (%s): %v", x.v, x.desc, err)
	}
	if v, ok := p.result(); ok {
		return v, nil
	}
	if x.def != nil {
		if x.mode == matchAll {
			return []string{*x.def}, nil
		}
		return *x.def, nil
	}
	where := x.find.where(src)
	if x.mode == matchIndex && p.count > 0 {
		return nil, fmt.Errorf("extractor %q (%s): no match at index %d %s (%d matches)", x.v, x.desc, x.idx, where, p.count)
	}
	return nil, fmt.Errorf("extractor %q (%s): no match %s", x.v, x.desc, where)
}

type regexFinder struct {
	re    *regexp.Regexp
	group int
}

func compileRegex(e *scenario.Extract) (finder, error) {
	re, err := regexp.Compile(e.Expr)
	if err != nil {
		return nil, err
	}
	group := 0
	if re.NumSubexp() > 0 {
		group = 1
	}
	if e.HasGroup {
		group = e.Group
	}
	if group < 0 || group > re.NumSubexp() {
		return nil, fmt.Errorf("group %d does not exist (the pattern has %d)", group, re.NumSubexp())
	}
	return regexFinder{re: re, group: group}, nil
}

func (f regexFinder) find(src *Source, p *picker) error {
	body := src.resp.Body()
	if p.mode == matchFirst {
		if m := f.re.FindSubmatchIndex(body); m != nil {
			p.add(groupOf(body, m, f.group))
		}
		return nil
	}
	for _, m := range f.re.FindAllSubmatchIndex(body, -1) {
		if !p.add(groupOf(body, m, f.group)) {
			break
		}
	}
	return nil
}

// groupOf returns one group of a match; a group that took no part in the
// match (an optional one) is the empty string, not a miss.
func groupOf(body []byte, m []int, g int) cand {
	lo, hi := m[2*g], m[2*g+1]
	if lo < 0 {
		return cand{b: body[:0]}
	}
	return cand{b: body[lo:hi]}
}

func (regexFinder) where(src *Source) string { return bodyWhere(src) }

func bodyWhere(src *Source) string {
	return "in the body"
}

type boundaryFinder struct{ left, right []byte }

// find yields every non-overlapping left…right occurrence, as LoadRunner's
// web_reg_save_param does. An empty left starts at the beginning of the body
// (so there is at most one match); an empty right runs to its end.
func (f boundaryFinder) find(src *Source, p *picker) error {
	body := src.resp.Body()
	for pos := 0; pos <= len(body); {
		i := bytes.Index(body[pos:], f.left)
		if i < 0 {
			return nil
		}
		start := pos + i + len(f.left)
		end := len(body)
		if len(f.right) > 0 {
			j := bytes.Index(body[start:], f.right)
			if j < 0 {
				return nil
			}
			end = start + j
		}
		if !p.add(cand{b: body[start:end]}) || len(f.left) == 0 || len(f.right) == 0 {
			return nil
		}
		pos = end + len(f.right)
	}
	return nil
}

func (boundaryFinder) where(src *Source) string { return bodyWhere(src) }

type jsonFinder struct{ p *JSONPath }

func (f jsonFinder) find(src *Source, p *picker) error {
	f.p.Each(src.resp.Body(), func(r gjson.Result) bool {
		if r.Type == gjson.String {
			return p.add(cand{s: r.Str})
		}
		return p.add(cand{s: r.Raw})
	})
	return nil
}

func (f jsonFinder) where(src *Source) string {
	body := src.resp.Body()
	if !gjson.ValidBytes(body) {
		return "(the body is not valid JSON)"
	}
	return fmt.Sprintf("in the JSON body (gjson path %q)", f.p.gpath)
}

type xpathFinder struct{ x *XPath }

func (f xpathFinder) find(src *Source, p *picker) error {
	return f.x.Each(src, func(s string) bool { return p.add(cand{s: s}) })
}

func (xpathFinder) where(src *Source) string { return bodyWhere(src) }

type headerFinder string

func (f headerFinder) find(src *Source, p *picker) error {
	for _, v := range src.resp.HeaderValues(string(f)) {
		if !p.add(cand{s: v}) {
			break
		}
	}
	return nil
}

func (f headerFinder) where(*Source) string { return "(no such header in the response)" }

type cookieFinder string

func (f cookieFinder) find(src *Source, p *picker) error {
	if v, ok := src.resp.Cookie(string(f)); ok {
		p.add(cand{s: v})
	}
	return nil
}

func (f cookieFinder) where(*Source) string { return "(the response sets no such cookie)" }

type statusFinder struct{}

func (statusFinder) find(src *Source, p *picker) error {
	p.add(cand{s: strconv.Itoa(src.resp.StatusCode())})
	return nil
}

func (statusFinder) where(*Source) string { return "" }

// quote renders a pattern for a message, cut short if long so that a page
// of regex does not drown the error.
func quote(s string) string {
	const limit = 40
	if len(s) > limit {
		cut := limit
		for cut > 0 && !utf8RuneStart(s[cut]) {
			cut--
		}
		return strconv.Quote(s[:cut]) + "…"
	}
	return strconv.Quote(s)
}

func utf8RuneStart(b byte) bool { return b&0xC0 != 0x80 }

// Truncate shortens s to about max bytes for messages, on a rune boundary,
// marking the cut.
func Truncate(s string, limit int) string {
	if len(s) <= limit {
		return s
	}
	cut := limit
	for cut > 0 && !utf8RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…" + fmt.Sprintf(" (%d bytes)", len(s))
}
