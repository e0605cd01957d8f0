package scenario

import (
	"fmt"
	"math"
	"net/url"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// scenario reads the top mapping.
func (p *parser) scenario(n *yaml.Node) *Scenario {
	s := &Scenario{Pos: p.pos(n)}
	f, ok := p.mapping(n, "scenario", "scenario")
	if !ok {
		return s
	}
	if v := f.get("name"); v != nil {
		s.Name, _ = p.str(v, "name")
	}
	if v := f.get("description"); v != nil {
		s.Description, _ = p.str(v, "description")
	}
	if v := f.get("host"); v != nil {
		s.Host, _ = p.host(v, "host")
	}
	if v := f.get("http2"); v != nil {
		s.HTTP2, _ = p.boolean(v, "http2")
	}
	if v := f.get("tls"); v != nil {
		s.TLS = p.tls(v)
	}
	if v := f.get("vars"); v != nil {
		s.Vars = p.assigns(v, "vars")
	}
	if v := f.get("data"); v != nil {
		s.Data = p.pools(v)
	}
	if v := f.get("load"); v != nil {
		s.Load = p.load(v)
	}
	if v := f.get("users"); v != nil {
		s.Users = p.users(v)
	} else {
		p.errorf(n, "the scenario has no users; add `users:` with at least one user type and its tasks")
	}
	if s.Load != nil && s.Load.Open() {
		for _, u := range s.Users {
			if u.FixedCount > 0 {
				p.errs.Add(u.Pos, "user type %q: fixed_count applies to the closed model; in the open model each arrival picks its user type by weight", u.Name)
			}
		}
	}
	if v := f.get("thresholds"); v != nil {
		for _, item := range p.list(v, "thresholds") {
			if t := p.threshold(item); t != nil {
				s.Thresholds = append(s.Thresholds, t)
			}
		}
	}
	return s
}

// host reads a base URL. Templated hosts are left for the engine to check.
func (p *parser) host(n *yaml.Node, label string) (string, bool) {
	s, ok := p.nonEmpty(n, label)
	if !ok || strings.Contains(s, "${") {
		return s, ok
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		p.errorf(deref(n), "%s: %q is not a base URL; write it as http://host[:port] or https://host[:port]", label, s)
		return s, false
	}
	return s, true
}

// users reads the user types.
func (p *parser) users(n *yaml.Node) []*UserType {
	if isEmpty(n) {
		p.errorf(deref(n), "users: is empty; add at least one user type with tasks")
		return nil
	}
	items := p.list(n, "users")
	var out []*UserType
	names := map[string]Pos{}
	for _, item := range items {
		u := p.user(item)
		if u == nil {
			continue
		}
		if u.Name != "" {
			if first, dup := names[u.Name]; dup {
				p.errs.Add(u.Pos, "user type %q is declared twice (first at %s)", u.Name, first)
			} else {
				names[u.Name] = u.Pos
			}
		}
		out = append(out, u)
	}
	return out
}

func (p *parser) user(n *yaml.Node) *UserType {
	f, ok := p.mapping(n, "user", "users")
	if !ok {
		p.lostRequests = true
		return nil
	}
	u := &UserType{Pos: p.pos(f.node), Weight: 1}
	if v := f.get("name"); v != nil {
		u.Name, _ = p.nonEmpty(v, "name")
	} else {
		p.errorf(f.node, "a user type needs a name")
	}
	if v := f.get("weight"); v != nil {
		u.Weight = p.weight(v)
	}
	if v := f.get("fixed_count"); v != nil {
		if n, ok := p.integer(v, "fixed_count"); ok {
			if n < 1 {
				p.errorf(deref(v), "fixed_count: must be 1 or more, got %d (leave it out to share users by weight)", n)
			} else {
				u.FixedCount = n
			}
		}
	}
	if v := f.get("host"); v != nil {
		u.Host, _ = p.host(v, "host")
	}
	if v := f.get("http2"); v != nil {
		if b, ok := p.boolean(v, "http2"); ok {
			u.HTTP2 = &b
		}
	}
	if v := f.get("wait"); v != nil {
		u.Wait = p.wait(v, "wait", "wait")
	}
	if v := f.get("on_start"); v != nil {
		u.OnStart = p.steps(v, "on_start")
	}
	if v := f.get("tasks"); v != nil {
		if isEmpty(v) {
			p.errorf(v, "tasks: is empty; a user type needs at least one task")
		}
		for _, item := range p.list(v, "tasks") {
			if t := p.task(item); t != nil {
				u.Tasks = append(u.Tasks, t)
			}
		}
	} else {
		p.errorf(f.node, "user type %q has no tasks; add `tasks:` with at least one task", u.Name)
	}
	if v := f.get("on_stop"); v != nil {
		u.OnStop = p.steps(v, "on_stop")
	}
	return u
}

// weight reads a weight, which must be at least 1.
// MaxWeight bounds a user type's or task's weight: weights are relative, so
// no scenario needs more, and sums of weights stay far from overflowing.
const MaxWeight = 1_000_000

func (p *parser) weight(n *yaml.Node) int {
	w, ok := p.integer(n, "weight")
	if !ok {
		return 1
	}
	if w < 1 {
		p.errorf(deref(n), "weight: must be 1 or more, got %d", w)
		return 1
	}
	if w > MaxWeight {
		p.errorf(deref(n), "weight: at most %d, got %d (weights are relative: 2 and 1 mean twice as often)", MaxWeight, w)
		return 1
	}
	return w
}

func (p *parser) task(n *yaml.Node) *Task {
	f, ok := p.mapping(n, "task", "tasks")
	if !ok {
		p.lostRequests = true
		return nil
	}
	t := &Task{Pos: p.pos(f.node), Weight: 1}
	if v := f.get("name"); v != nil {
		t.Name, _ = p.str(v, "name")
	}
	if v := f.get("weight"); v != nil {
		t.Weight = p.weight(v)
	}
	if v := f.get("wait"); v != nil {
		t.Wait = p.wait(v, "wait", "wait")
	}
	if v := f.get("steps"); v != nil {
		if isEmpty(v) {
			p.errorf(v, "steps: is empty; a task needs at least one step")
		}
		t.Steps = p.steps(v, "steps")
	} else {
		p.errorf(f.node, "a task needs steps")
	}
	return t
}

// wait reads a think time: a bare duration (constant) or a mapping of kind
// "wait" (min/max, constant, pacing) or "think" (no pacing).
func (p *parser) wait(n *yaml.Node, kind, label string) *Wait {
	n = deref(n)
	w := &Wait{Pos: p.pos(n)}
	if n.Kind == yaml.ScalarNode {
		d, ok := p.duration(n, label)
		if !ok {
			return nil
		}
		w.Kind, w.Constant = WaitConstant, d
		return w
	}
	if n.Kind != yaml.MappingNode {
		p.errorf(n, "%s: expected a duration or {min, max}, got %s", label, describe(n))
		return nil
	}
	f, ok := p.mapping(n, kind, label)
	if !ok {
		return nil
	}
	var chosen []string
	for _, e := range f.list {
		if e.key != "max" {
			chosen = append(chosen, e.key)
		}
	}
	if len(chosen) == 0 && !f.has("max") {
		p.errorf(n, "%s: is empty; write {min: 1s, max: 5s}, {constant: 1s} or a duration", label)
		return nil
	}
	if len(chosen) > 1 {
		p.errorf(f.key(chosen[1]), "%s: %s and %s cannot be combined; choose {min, max}, {constant} or {pacing}", label, chosen[0], chosen[1])
		return nil
	}
	switch {
	case f.has("constant"):
		w.Kind = WaitConstant
		w.Constant, ok = p.duration(f.get("constant"), label+".constant")
	case f.has("pacing"):
		w.Kind = WaitPacing
		w.Pacing, ok = p.duration(f.get("pacing"), label+".pacing")
		if ok && w.Pacing == 0 {
			p.errorf(f.get("pacing"), "%s.pacing: must be more than 0", label)
			ok = false
		}
	default:
		if !f.has("min") || !f.has("max") {
			p.errorf(n, "%s: needs both min and max", label)
			return nil
		}
		w.Kind = WaitBetween
		var okMin, okMax bool
		w.Min, okMin = p.duration(f.get("min"), label+".min")
		w.Max, okMax = p.duration(f.get("max"), label+".max")
		ok = okMin && okMax
		if ok && w.Min > w.Max {
			p.errorf(f.get("min"), "%s: min (%s) is more than max (%s)", label, w.Min, w.Max)
			ok = false
		}
	}
	if !ok {
		return nil
	}
	return w
}

// duration reads a Go duration string ("1m30s") or a number of seconds.
func (p *parser) duration(n *yaml.Node, label string) (time.Duration, bool) {
	n = deref(n)
	if n.Kind != yaml.ScalarNode || n.ShortTag() == "!!null" || n.ShortTag() == "!!bool" {
		p.errorf(n, "%s: expected a duration such as 500ms, 2s or 1m30s, got %s", label, describe(n))
		return 0, false
	}
	var d time.Duration
	switch v := scalarValue(n).(type) {
	case int64:
		if v > math.MaxInt64/int64(time.Second) || v < math.MinInt64/int64(time.Second) {
			p.errorf(n, "%s: %d seconds is too long", label, v)
			return 0, false
		}
		d = time.Duration(v) * time.Second
	case float64:
		if isInfOrNaN(v) || math.Abs(v) > float64(math.MaxInt64/int64(time.Second)) {
			p.errorf(n, "%s: %s is not a usable number of seconds", label, n.Value)
			return 0, false
		}
		d = time.Duration(v * float64(time.Second))
	default:
		s := strings.TrimSpace(n.Value)
		if f, err := strconv.ParseFloat(s, 64); err == nil && !isInfOrNaN(f) && math.Abs(f) < float64(math.MaxInt64/int64(time.Second)) {
			d = time.Duration(f * float64(time.Second))
			break
		}
		var err error
		d, err = time.ParseDuration(s)
		if err != nil {
			p.errorf(n, "%s: %q is not a duration; write it like 500ms, 2s or 1m30s (units ns, us, ms, s, m, h)", label, n.Value)
			return 0, false
		}
	}
	if d < 0 {
		p.errorf(n, "%s: must not be negative, got %s", label, n.Value)
		return 0, false
	}
	return d, true
}

// pools reads `data`: pool name -> definition, in file order.
func (p *parser) pools(n *yaml.Node) []*Pool {
	n = deref(n)
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		p.errorf(n, "data: expected a mapping of pool names to definitions, got %s", describe(n))
		return nil
	}
	var out []*Pool
	for _, e := range p.entries(n) {
		p.poolNames = append(p.poolNames, e.key)
		if pool := p.pool(e); pool != nil {
			out = append(out, pool)
		} else {
			p.claimed[e.key] = true
		}
	}
	return out
}

func (p *parser) pool(e entry) *Pool {
	name, ok := p.nonEmpty(e.k, "data")
	if !ok {
		return nil
	}
	label := "data." + name
	before := len(p.errs)
	f, ok := p.mapping(e.v, "pool", label)
	if !ok {
		return nil
	}
	pool := &Pool{Pos: p.pos(e.k), Name: name, Mode: Cycle}
	switch {
	case f.has("file") && f.has("rows"):
		p.errorf(f.key("rows"), "%s: file and rows cannot be combined; a pool reads a file or lists its rows", label)
	case f.has("file"):
		pool.File, _ = p.nonEmpty(f.get("file"), label+".file")
	case f.has("rows"):
		pool.Rows = p.rows(f.get("rows"), label+".rows")
	default:
		p.errorf(f.node, "%s: needs a file (file: users.csv) or inline rows (rows: [...])", label)
	}
	if v := f.get("mode"); v != nil {
		if m, ok := p.oneOf(v, label+".mode", poolModes); ok {
			pool.Mode = PoolMode(m)
		}
	}
	if v := f.get("on_exhausted"); v != nil {
		if m, ok := p.oneOf(v, label+".on_exhausted", exhaustPolicies); ok {
			pool.OnExhausted = OnExhausted(m)
			if pool.Mode != UniqueOnce {
				p.errorf(f.key("on_exhausted"), "%s.on_exhausted: applies only to mode: unique-once (this pool is %s)", label, pool.Mode)
			}
		}
	}
	if pool.Mode == UniqueOnce && pool.OnExhausted == "" {
		pool.OnExhausted = StopVirtualUser
	}
	if v := f.get("timeout"); v != nil {
		pool.Timeout, _ = p.duration(v, label+".timeout")
		if pool.Mode != UniqueRecycle {
			p.errorf(f.key("timeout"), "%s.timeout: applies only to mode: unique-recycle (this pool is %s)", label, pool.Mode)
		}
	}
	if pool.Mode == UniqueRecycle && pool.Timeout == 0 {
		pool.Timeout = 10 * time.Second
	}
	p.poolFormat(f, pool, label)
	if len(p.errs) > before {
		// A pool with a problem is not opened: its file and format may
		// be wrong, and a second error about them would mislead.
		return nil
	}
	return pool
}

// poolFormat reads the format and the CSV options, which make sense only
// for CSV files.
func (p *parser) poolFormat(f *fields, pool *Pool, label string) {
	if v := f.get("format"); v != nil {
		pool.Format, _ = p.oneOf(v, label+".format", formats)
		if f.has("rows") {
			p.errorf(f.key("format"), "%s.format: applies to a file, not to inline rows", label)
		}
	} else if pool.File != "" {
		switch strings.ToLower(pathExt(pool.File)) {
		case ".csv", ".tsv", ".txt":
			pool.Format = "csv"
		case ".json":
			pool.Format = "json"
		default:
			p.errorf(f.get("file"), "%s: cannot tell the format of %q from its name; add format: csv or format: json", label, pool.File)
		}
	}
	csvOnly := func(key string) bool {
		if !f.has(key) {
			return false
		}
		if pool.Format != "csv" && pool.Format != "" || f.has("rows") {
			p.errorf(f.key(key), "%s.%s: applies only to CSV files", label, key)
			return false
		}
		return true
	}
	if csvOnly("delimiter") {
		if s, ok := p.str(f.get("delimiter"), label+".delimiter"); ok {
			r := []rune(s)
			if len(r) != 1 || r[0] == '"' || r[0] == '\n' || r[0] == '\r' || r[0] == 0xFFFD {
				p.errorf(f.get("delimiter"), "%s.delimiter: must be one character other than a quote or a line break, got %q", label, s)
			} else {
				pool.Delimiter = r[0]
			}
		}
	}
	if pool.Format == "csv" && pool.Delimiter == 0 {
		pool.Delimiter = ','
	}
	if csvOnly("no_header") {
		pool.NoHeader, _ = p.boolean(f.get("no_header"), label+".no_header")
	}
	if csvOnly("columns") {
		for _, c := range p.list(f.get("columns"), label+".columns") {
			if s, ok := p.nonEmpty(c, label+".columns"); ok {
				pool.Columns = append(pool.Columns, s)
			}
		}
		if !pool.NoHeader {
			p.errorf(f.key("columns"), "%s.columns: names the columns of a file without a header row; add no_header: true", label)
		}
	}
}

func pathExt(name string) string {
	if i := strings.LastIndexByte(name, '.'); i >= 0 && !strings.ContainsAny(name[i:], `/\`) {
		return name[i:]
	}
	return ""
}

// rows reads inline rows: a list of mappings of column -> scalar.
func (p *parser) rows(n *yaml.Node, label string) []map[string]string {
	if isEmpty(n) {
		p.errorf(deref(n), "%s: is empty; list at least one row", label)
	}
	var out []map[string]string
	for _, item := range p.list(n, label) {
		item = deref(item)
		if item.Kind != yaml.MappingNode {
			p.errorf(item, "%s: each row must be a mapping of column names to values, got %s", label, describe(item))
			continue
		}
		row := map[string]string{}
		for _, e := range p.entries(item) {
			if v, ok := p.str(e.v, fmt.Sprintf("%s.%s", label, e.key)); ok {
				row[e.key] = v
			}
		}
		out = append(out, row)
	}
	return out
}

// threshold reads a bare rule string or {request, rule, abort, grace}.
func (p *parser) threshold(n *yaml.Node) *Threshold {
	n = deref(n)
	t := &Threshold{Pos: p.pos(n)}
	if n.Kind == yaml.ScalarNode {
		var ok bool
		if t.Rule, ok = p.nonEmpty(n, "thresholds"); !ok {
			return nil
		}
		return t
	}
	if n.Kind != yaml.MappingNode {
		p.errorf(n, "thresholds: expected a rule such as \"p95 < 300ms\" or a mapping, got %s", describe(n))
		return nil
	}
	f, ok := p.mapping(n, "threshold", "thresholds")
	if !ok {
		return nil
	}
	if v := f.get("rule"); v != nil {
		t.Rule, _ = p.nonEmpty(v, "rule")
	} else {
		p.errorf(n, "a threshold needs a rule, such as rule: \"p95 < 300ms\"")
	}
	if v := f.get("request"); v != nil {
		t.Request, _ = p.nonEmpty(v, "request")
	}
	if v := f.get("abort"); v != nil {
		t.Abort, _ = p.boolean(v, "abort")
	}
	if v := f.get("grace"); v != nil {
		t.Grace, _ = p.duration(v, "grace")
	}
	return t
}

// checkUses reports `use:` steps naming a pool that `data` does not declare.
// (A pool declared twice is a key written twice in the data mapping.)
func (p *parser) checkUses() {
	// Names come from every data key, not only from pools that parsed, so
	// that a broken pool definition does not also flag each use of it.
	declared := map[string]bool{}
	names := p.poolNames
	for _, name := range names {
		declared[name] = true
	}
	for _, u := range p.uses {
		if declared[u.Pool] {
			continue
		}
		msg := fmt.Sprintf("use: pool %q is not declared under data", u.Pool)
		if c := closest(u.Pool, names); c != "" {
			msg += fmt.Sprintf("; did you mean %q?", c)
		} else if len(names) > 0 {
			msg += fmt.Sprintf(" (declared: %s)", strings.Join(names, ", "))
		}
		p.errs.Add(u.Pos, "%s", msg)
	}
}
