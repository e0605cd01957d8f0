package scenario

import (
	"cmp"
	"fmt"
	"math"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// ParseRate reads an arrival rate: a number of arrivals per second, minute
// or hour ("50/s", "3000/m", "2.5/h") or a bare number (per second). It is
// shared by the scenario parser and the --arrival-rate flag.
func ParseRate(s string) (float64, error) {
	text := strings.TrimSpace(s)
	num, unit, hasUnit := strings.Cut(text, "/")
	per := 1.0
	if hasUnit {
		switch strings.TrimSpace(unit) {
		case "s", "sec", "second":
			per = 1
		case "m", "min", "minute":
			per = 60
		case "h", "hour":
			per = 3600
		default:
			return 0, fmt.Errorf("%q is not a rate; write it like 50/s, 3000/m or 2/h", s)
		}
	}
	v, err := strconv.ParseFloat(strings.TrimSpace(num), 64)
	if err != nil || isInfOrNaN(v) || v > 1e9 {
		return 0, fmt.Errorf("%q is not a rate; write it like 50/s, 3000/m or 2/h", s)
	}
	if v < 0 {
		return 0, fmt.Errorf("%q: a rate must not be negative", s)
	}
	return v / per, nil
}

// rate reads an arrival rate scalar.
func (p *parser) rate(n *yaml.Node, label string) *Rate {
	n = deref(n)
	if n.Kind != yaml.ScalarNode || n.ShortTag() == "!!null" || n.ShortTag() == "!!bool" {
		p.errorf(n, "%s: expected a rate such as 50/s or 3000/m, got %s", label, describe(n))
		return nil
	}
	v, err := ParseRate(n.Value)
	if err != nil {
		p.errorf(n, "%s: %v", label, err)
		return nil
	}
	return &Rate{Pos: p.pos(n), PerSecond: v, Text: strings.TrimSpace(n.Value)}
}

// load reads the `load:` section and checks that it describes one model.
func (p *parser) load(n *yaml.Node) *Shape {
	f, ok := p.mapping(n, "load", "load")
	if !ok {
		return nil
	}
	l := &Shape{Pos: p.pos(f.node), Arrivals: ArrivalsConstant}
	bad := false
	if v := f.get("arrival_rate"); v != nil {
		if l.Rate = p.rate(v, "load.arrival_rate"); l.Rate == nil {
			bad = true
		} else if l.Rate.PerSecond == 0 {
			p.errorf(v, "load.arrival_rate: a rate of 0 with no stage after it would start nothing; give a rate above 0")
			bad = true
		}
	}
	if v := f.get("stages"); v != nil {
		if f.has("arrival_rate") {
			p.errorf(f.key("stages"), "load: arrival_rate and stages cannot be combined; a constant rate is arrival_rate with duration, a changing one is stages with rate")
			bad = true
		}
		l.Stages, ok = p.stages(v)
		bad = bad || !ok
	}
	if !f.has("arrival_rate") && !f.has("stages") && f.unknown == 0 {
		p.errorf(f.node, "load: needs stages (users or rates over time) or arrival_rate; for example stages: [{duration: 30s, users: 10}]")
		return nil
	}
	if v := f.get("duration"); v != nil {
		if d, ok := p.duration(v, "load.duration"); ok {
			l.Duration = d
			if f.has("stages") {
				p.errorf(f.key("duration"), "load.duration: applies to arrival_rate; stages have their own durations")
				bad = true
			}
		} else {
			bad = true
		}
	}
	open := l.Open() || f.has("arrival_rate")
	if v := f.get("max_users"); v != nil {
		if m, ok := p.integer(v, "load.max_users"); ok {
			switch {
			case m < 1:
				p.errorf(deref(v), "load.max_users: must be 1 or more, got %d", m)
				bad = true
			case !open && !bad:
				p.errorf(f.key("max_users"), "load.max_users: applies to the open model (arrival_rate, or stages with rate); closed-model stages set users")
				bad = true
			default:
				l.MaxUsers = m
			}
		} else {
			bad = true
		}
	} else if open {
		p.errorf(f.node, "load: the open model needs max_users, the most users that may run iterations at once (arrivals finding none free are dropped and counted)")
		bad = true
	}
	if v := f.get("arrivals"); v != nil {
		if a, ok := p.oneOf(v, "load.arrivals", arrivalKinds); ok {
			l.Arrivals = Arrivals(a)
			if !open && !bad {
				p.errorf(f.key("arrivals"), "load.arrivals: applies to the open model (arrival_rate, or stages with rate)")
				bad = true
			}
		} else {
			bad = true
		}
	}
	if bad {
		return nil
	}
	return l
}

// stages reads a list of stages that are all closed ({duration, users}) or
// all open ({duration, rate}).
func (p *parser) stages(n *yaml.Node) ([]*Stage, bool) {
	if isEmpty(n) {
		p.errorf(deref(n), "load.stages: is empty; list at least one {duration, users} or {duration, rate}")
		return nil, false
	}
	var out []*Stage
	ok := true
	kind := "" // "users" or "rate", from the first stage that says
	for i, item := range p.list(n, "load.stages") {
		label := fmt.Sprintf("load.stages[%d]", i)
		f, good := p.mapping(item, "stage", label)
		if !good {
			ok = false
			continue
		}
		st := &Stage{Pos: p.pos(f.node)}
		if v := f.get("duration"); v != nil {
			st.Duration, good = p.duration(v, label+".duration")
			ok = ok && good
		} else {
			p.errorf(f.node, "%s: needs a duration, such as {duration: 30s, users: 10}", label)
			ok = false
		}
		switch {
		case f.has("users") && f.has("rate"):
			p.errorf(f.key("rate"), "%s: users and rate cannot be combined; a stage ramps users (closed model) or an arrival rate (open model)", label)
			ok = false
			continue
		case f.has("users"):
			if u, good := p.integer(f.get("users"), label+".users"); !good {
				ok = false
			} else if u < 0 {
				p.errorf(f.get("users"), "%s.users: must be 0 or more, got %d", label, u)
				ok = false
			} else {
				st.Users = u
			}
			if kind == "rate" {
				p.errorf(f.key("users"), "%s: users in a list of rate stages; all stages ramp users (closed model) or all ramp a rate (open model)", label)
				ok = false
			}
			kind = cmp.Or(kind, "users")
		case f.has("rate"):
			if st.Rate = p.rate(f.get("rate"), label+".rate"); st.Rate == nil {
				ok = false
			}
			if kind == "users" {
				p.errorf(f.key("rate"), "%s: rate in a list of users stages; all stages ramp users (closed model) or all ramp a rate (open model)", label)
				ok = false
			}
			kind = cmp.Or(kind, "rate")
		default:
			if f.unknown == 0 {
				p.errorf(f.node, "%s: needs users (closed model) or rate (open model), such as {duration: 30s, users: 10}", label)
			}
			ok = false
		}
		out = append(out, st)
	}
	if ok && kind == "rate" {
		last := out[len(out)-1]
		if last.Rate.PerSecond == 0 {
			p.errs.Add(last.Rate.Pos, "load.stages[%d].rate: a rate of 0 with no stage after it; the run ends with the last stage, so end with the last stage that has arrivals", len(out)-1)
			ok = false
		}
	}
	if ok {
		var total float64
		for _, st := range out {
			total += st.Duration.Seconds()
		}
		if total <= 0 || math.IsInf(total, 0) {
			p.errorf(deref(n), "load.stages: the stages last 0 s in all; give at least one a duration")
			ok = false
		}
	}
	return out, ok
}
