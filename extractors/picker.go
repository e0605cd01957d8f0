package extractors

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
)

// matchMode is which of several matches an extractor keeps.
type matchMode int

const (
	matchFirst matchMode = iota
	matchLast
	matchRandom
	matchAll
	matchIndex
)

// parseMatch reads `match:` as written: first (or empty), last, random, all,
// or a 0-based index; a negative index counts from the end (-1 is the last).
func parseMatch(s string) (matchMode, int, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "first":
		return matchFirst, 0, nil
	case "last":
		return matchLast, 0, nil
	case "random":
		return matchRandom, 0, nil
	case "all":
		return matchAll, 0, nil
	}
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil {
		return 0, 0, fmt.Errorf("bad match %q (want first, last, random, all or an index such as 0 or -1)", s)
	}
	return matchIndex, n, nil
}

// cand is one candidate value: a slice of the body (regex, boundary) or a
// string (headers, JSON, XPath). Body slices become strings only when kept,
// so scanning many matches for `last` or `random` allocates once.
type cand struct {
	b []byte
	s string
}

func (c cand) String() string {
	if c.b != nil {
		return string(c.b)
	}
	return c.s
}

// picker chooses among candidates as they are found, in one pass and without
// keeping the ones it does not need.
type picker struct {
	mode  matchMode
	idx   int
	rnd   *rand.Rand
	count int // candidates seen
	have  bool
	kept  cand
	all   []string
	tail  []cand // for a negative index: every candidate, since the end is unknown
}

func (p *picker) reset(mode matchMode, idx int, rnd *rand.Rand) {
	*p = picker{mode: mode, idx: idx, rnd: rnd, tail: p.tail[:0]}
}

// add offers one candidate and reports whether more are wanted.
func (p *picker) add(c cand) bool {
	p.count++
	switch p.mode {
	case matchFirst:
		p.kept, p.have = c, true
		return false
	case matchLast:
		p.kept, p.have = c, true
	case matchRandom:
		// Reservoir sampling: the k-th candidate replaces the kept one with
		// probability 1/k, which leaves each equally likely.
		if p.intN(p.count) == 0 {
			p.kept, p.have = c, true
		}
	case matchAll:
		p.all = append(p.all, c.String())
	case matchIndex:
		if p.idx < 0 {
			p.tail = append(p.tail, c)
			return true
		}
		if p.count-1 == p.idx {
			p.kept, p.have = c, true
			return false
		}
	}
	return true
}

func (p *picker) intN(n int) int {
	if p.rnd != nil {
		return p.rnd.IntN(n)
	}
	return rand.IntN(n)
}

// result returns the chosen value, or false when nothing was chosen.
func (p *picker) result() (any, bool) {
	switch {
	case p.mode == matchAll:
		if len(p.all) == 0 {
			return nil, false
		}
		return p.all, true
	case p.mode == matchIndex && p.idx < 0:
		i := len(p.tail) + p.idx
		if i < 0 {
			return nil, false
		}
		v := p.tail[i].String()
		clear(p.tail) // drop references to the body
		return v, true
	case p.have:
		return p.kept.String(), true
	}
	return nil, false
}
