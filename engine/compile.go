package engine

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/loadrun/loadrun/checks"
	"github.com/loadrun/loadrun/datasource"
	"github.com/loadrun/loadrun/engine/rendezvous"
	"github.com/loadrun/loadrun/extractors"
	"github.com/loadrun/loadrun/internal/suggest"
	"github.com/loadrun/loadrun/scenario"
	"github.com/loadrun/loadrun/template"
	"github.com/loadrun/loadrun/thresholds"
)

// Plan is a scenario compiled for running: every template, pattern, path,
// expression and data file is compiled or loaded once, here.
type Plan struct {
	Scenario *scenario.Scenario
	users    []*userPlan
	// pools are opened once by Compile (which checks every data file) and
	// handed to the first run; a later run of the same plan opens fresh
	// ones with openPool, so that no run sees rows another run used.
	pools      []datasource.Pool
	openPool   PoolOpener
	poolsMu    sync.Mutex
	poolsTaken bool
	poolIndex  map[string]int
	barriers   []*scenario.Rendezvous // one per distinct name
	thresholds []*thresholds.Threshold
	vars       []assign
	// extractedBy tells, for an unset-variable error, which steps set a variable.
	extractedBy map[string][]string
	// http is the scenario's HTTP client settings (http2, tls:).
	http httpPlan
}

// CompileOptions adjust compilation.
type CompileOptions struct {
	// Host overrides the scenario's host (the -H flag).
	Host string
	// Thresholds are extra rules (the --threshold flag), as written.
	Thresholds []string
	// OpenPool opens a `data:` pool; nil is datasource.Open. A distributed
	// worker passes one that leases rows from its master.
	OpenPool PoolOpener
}

// PoolOpener opens the pool a `data:` entry declares; dir is the
// scenario's directory, against which relative file paths resolve.
type PoolOpener func(def *scenario.Pool, dir string) (datasource.Pool, error)

type userPlan struct {
	name    string
	weight  int
	base    *url.URL
	http2   bool
	wait    *waitPlan
	onStart []step
	tasks   []*taskPlan
	onStop  []step
	// cumWeights holds the running sum of the task weights: a random
	// number below the last is a weighted choice by binary search, at no
	// cost in memory whatever the weights (a table with each task index
	// weight times took 17 GB for weight 2147483647).
	cumWeights []int
}

type taskPlan struct {
	index int
	name  string
	wait  *waitPlan
	steps []step
}

type waitPlan struct {
	kind                       scenario.WaitKind
	min, max, constant, pacing time.Duration
}

// defaultWait applies when no wait is set anywhere: a constant 1 s, as
// README promises (Locust waits 0 s; a load test without think time by
// accident hammers the target, so loadrun asks for it explicitly).
var defaultWait = &waitPlan{kind: scenario.WaitConstant, constant: time.Second}

func (w *waitPlan) duration(rnd *rand.Rand) time.Duration {
	switch w.kind {
	case scenario.WaitBetween:
		if w.max <= w.min {
			return w.min
		}
		return w.min + time.Duration(rnd.Int64N(int64(w.max-w.min)+1))
	case scenario.WaitConstant:
		return w.constant
	}
	return 0
}

// assign is one variable of `vars` or `set`: a template, or a typed YAML
// literal (a number stays a number).
type assign struct {
	name    string
	value   *template.Template
	literal any
	typed   bool
}

// eval is the value the variable gets.
func (a assign) eval(v template.Vars) (any, error) {
	if a.typed {
		return a.literal, nil
	}
	return a.value.Value(v)
}

// compiler collects every error instead of stopping at the first.
type compiler struct {
	plan *Plan
	errs scenario.ErrorList
	// setBy lists, for each variable, the steps that set it (for messages).
	setBy map[string][]string
	// rendezvous only checks definitions; a run makes its own barriers.
	rendezvous *rendezvous.Set
	// reads are the variable reads of the user type being compiled,
	// checked against what it sets once all its steps are seen.
	reads []template.Ref
	// requestNames are the stats rows requests make ("GET /cart"), for
	// thresholds naming a request; dynamicNames is set when a name is
	// rendered at run time and cannot be known.
	requestNames []string
	dynamicNames bool
}

func (c *compiler) err(err error, pos scenario.Pos) {
	if err == nil {
		return
	}
	switch e := err.(type) {
	case *scenario.Error:
		c.errs = append(c.errs, e)
	case scenario.ErrorList:
		c.errs = append(c.errs, e...)
	default:
		c.errs = append(c.errs, &scenario.Error{Pos: pos, Msg: err.Error()})
	}
}

// LoadPlan reads, parses and compiles a scenario file in one pass: when the
// file has structural problems, everything that did parse is still compiled,
// so that the error lists every problem of every layer (keys, patterns,
// paths, templates, unset variables, thresholds, data files) at once, in
// file order. A plan is returned only when there is no problem at all.
func LoadPlan(path string, opts CompileOptions) (*Plan, error) {
	sc, err := scenario.Load(path)
	if sc == nil {
		return nil, err
	}
	return compileParsed(sc, err, opts)
}

// ParsePlan is LoadPlan for a scenario held in memory; dir is the folder
// data files are read from.
func ParsePlan(filename string, data []byte, dir string, opts CompileOptions) (*Plan, error) {
	sc, err := scenario.Parse(filename, data)
	if sc == nil {
		return nil, err
	}
	sc.Dir = dir
	return compileParsed(sc, err, opts)
}

// incompleteMsg is Compile's error for a scenario that did not parse,
// which LoadPlan leaves out: the parse errors say why.
const incompleteMsg = "the scenario did not parse; it cannot be run"

func compileParsed(sc *scenario.Scenario, parseErr error, opts CompileOptions) (*Plan, error) {
	plan, compileErr := Compile(sc, opts)
	if parseErr == nil {
		return plan, compileErr
	}
	var all scenario.ErrorList
	for _, err := range []error{parseErr, compileErr} {
		var list scenario.ErrorList
		if errors.As(err, &list) {
			for _, e := range list {
				if e.Msg != incompleteMsg {
					all = append(all, e)
				}
			}
		} else if err != nil {
			all = append(all, &scenario.Error{Pos: scenario.Pos{File: sc.File}, Msg: err.Error()})
		}
	}
	scenario.SortErrors(all)
	all = slices.CompactFunc(all, func(a, b *scenario.Error) bool { return *a == *b })
	return nil, all
}

// Compile turns a scenario into a Plan. The error, when not nil, is a
// scenario.ErrorList with every problem and its position. An Incomplete
// scenario (one returned with parse errors) is compiled for its own
// problems and never gives a plan.
func Compile(sc *scenario.Scenario, opts CompileOptions) (*Plan, error) {
	c := &compiler{
		plan:       &Plan{Scenario: sc, poolIndex: map[string]int{}, openPool: opts.OpenPool},
		setBy:      map[string][]string{},
		rendezvous: rendezvous.NewSet(rendezvous.PopulationFunc(func() int { return 0 }), nil),
	}
	p := c.plan
	if p.openPool == nil {
		p.openPool = datasource.Open
	}
	host := sc.Host
	if opts.Host != "" {
		host = opts.Host
	}
	for _, def := range sc.Data {
		pool, err := p.openPool(def, sc.Dir)
		if err != nil {
			c.err(err, def.Pos)
			continue
		}
		p.poolIndex[def.Name] = len(p.pools)
		p.pools = append(p.pools, pool)
	}
	// vars are set in file order when a user starts: one may read the
	// user's id and the vars above it.
	known := map[string]bool{"user_id": true}
	for _, name := range sc.Unparsed {
		known[name] = true
	}
	for _, a := range sc.Vars {
		c.setBy[a.Var] = append(c.setBy[a.Var], "vars")
		if a.HasLiteral {
			p.vars = append(p.vars, assign{name: a.Var, literal: a.Literal, typed: true})
		} else if t := c.template(a.Value); t != nil {
			p.vars = append(p.vars, assign{name: a.Var, value: t})
		}
		c.checkReads(known, "vars above it", "")
		known[a.Var] = true
	}
	c.httpSettings(sc)
	for _, ut := range sc.Users {
		up := c.userType(ut, host)
		up.http2 = sc.HTTP2
		if ut.HTTP2 != nil {
			up.http2 = *ut.HTTP2
		}
		p.users = append(p.users, up)
	}
	for _, t := range sc.Thresholds {
		th, err := thresholds.Parse(t)
		c.err(err, t.Pos)
		if th != nil {
			p.thresholds = append(p.thresholds, th)
			if !sc.LostRequests {
				c.thresholdRequest(t)
			}
		}
	}
	for i, rule := range opts.Thresholds {
		t := &scenario.Threshold{Pos: scenario.Pos{File: fmt.Sprintf("--threshold #%d", i+1)}, Rule: rule}
		if req, r, ok := strings.Cut(rule, ":"); ok && strings.ContainsAny(r, "<>=") && !strings.ContainsAny(req, "<>=") {
			t.Request, t.Rule = strings.TrimSpace(req), strings.TrimSpace(r)
		}
		th, err := thresholds.Parse(t)
		c.err(err, t.Pos)
		if th != nil {
			p.thresholds = append(p.thresholds, th)
			if !sc.LostRequests {
				c.thresholdRequest(t)
			}
		}
	}
	p.extractedBy = c.setBy
	if len(c.errs) > 0 {
		scenario.SortErrors(c.errs)
		return nil, c.errs
	}
	if sc.Incomplete {
		return nil, scenario.ErrorList{scenario.Errorf(sc.Pos, "%s", incompleteMsg)}
	}
	return p, nil
}

// takePools gives a run its pools: the ones Compile opened to the first
// run, freshly opened ones to every later run (a unique-once pool must
// not start a second run exhausted, a unique-recycle one with rows held
// by users of the first).
func (p *Plan) takePools() ([]datasource.Pool, error) {
	p.poolsMu.Lock()
	defer p.poolsMu.Unlock()
	if !p.poolsTaken {
		p.poolsTaken = true
		return p.pools, nil
	}
	out := make([]datasource.Pool, 0, len(p.pools))
	for _, def := range p.Scenario.Data {
		pool, err := p.openPool(def, p.Scenario.Dir)
		if err != nil {
			return nil, err
		}
		out = append(out, pool)
	}
	return out, nil
}

// pickTask chooses a task index by weight: the first whose running weight
// sum exceeds r, a uniform number in [0, total weight).
func (up *userPlan) pickTask(r int) int {
	lo, hi := 0, len(up.cumWeights)-1
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		if up.cumWeights[mid] > r {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	return lo
}

// Thresholds are the plan's pass/fail rules: the scenario's, then those
// given in CompileOptions.
func (p *Plan) Thresholds() []*thresholds.Threshold { return p.thresholds }

// thresholdRequest checks that a threshold's request is a row some request
// makes: a rule over a name no step has can never pass.
func (c *compiler) thresholdRequest(t *scenario.Threshold) {
	if t.Request == "" || c.dynamicNames {
		return
	}
	for _, n := range c.requestNames {
		if n == t.Request {
			return
		}
		if _, name, _ := strings.Cut(n, " "); name == t.Request {
			return
		}
	}
	msg := fmt.Sprintf("threshold on request %q: no request has that name", t.Request)
	if s := suggest.Closest(t.Request, c.requestNames); s != "" {
		msg += fmt.Sprintf("; did you mean %q?", s)
	} else if len(c.requestNames) > 0 {
		msg += fmt.Sprintf(" (requests: %s)", strings.Join(limit(c.requestNames, 10), ", "))
	}
	c.errs.Add(t.Pos, "%s", msg)
}

// limit keeps the first n items of a list shown in a message, saying how
// many more there are.
func limit(list []string, n int) []string {
	if len(list) <= n {
		return list
	}
	return append(list[:n:n], fmt.Sprintf("and %d more", len(list)-n))
}

// checkReads reports the variables read since the last call that nothing in
// known sets, with the names that are set and the nearest of them. scope
// says where the names come from.
func (c *compiler) checkReads(known map[string]bool, scope, pools string) {
	reads := c.reads
	c.reads = nil
	var names []string
	for _, r := range reads {
		if r.Optional || known[r.Var] {
			continue
		}
		if names == nil {
			for n := range known {
				names = append(names, n)
			}
			slices.Sort(names)
		}
		msg := fmt.Sprintf("variable %s is never set", r.Var)
		if pools != "" && slices.Contains(strings.Split(pools, ","), r.Var) {
			msg += fmt.Sprintf(": it is a pool; add - use: %s before this step", r.Var)
		} else {
			msg += fmt.Sprintf(" (set in %s: %s)", scope, strings.Join(limit(names, 20), ", "))
			if s := suggest.Closest(r.Var, names); s != "" {
				msg += fmt.Sprintf("; did you mean %s?", s)
			}
		}
		c.errs.Add(r.Pos, "%s", msg)
	}
}

func (c *compiler) userType(ut *scenario.UserType, host string) *userPlan {
	up := &userPlan{name: ut.Name, weight: max(ut.Weight, 1), wait: compileWait(ut.Wait)}
	if ut.Host != "" {
		host = ut.Host
	}
	if host != "" {
		u, err := url.Parse(host)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			c.errs.Add(ut.Pos, "host %q is not an http(s) URL such as http://127.0.0.1:8080", host)
		} else {
			u.Path = strings.TrimSuffix(u.Path, "/")
			up.base = u
		}
	}
	up.onStart = c.steps(ut.OnStart, ut.Name+" on_start", up)
	for i, t := range ut.Tasks {
		tp := &taskPlan{index: i, name: t.Name, wait: compileWait(t.Wait)}
		if tp.name == "" {
			tp.name = fmt.Sprintf("task %d", i+1)
		}
		tp.steps = c.steps(t.Steps, tp.name, up)
		up.tasks = append(up.tasks, tp)
		sum := max(t.Weight, 1)
		if n := len(up.cumWeights); n > 0 {
			sum += up.cumWeights[n-1]
		}
		up.cumWeights = append(up.cumWeights, sum)
	}
	up.onStop = c.steps(ut.OnStop, ut.Name+" on_stop", up)
	c.checkReads(c.userSets(ut), fmt.Sprintf("user type %q (vars, set, extract, use)", ut.Name), strings.Join(c.plan.Scenario.PoolNames(), ","))
	return up
}

// userSets are the names a user of type ut can have set: the scenario's
// vars, user_id, and every set, extract and use of its steps. A read of
// any other name fails on every run, so it is a load error. Order is not
// considered: a task may read what another task set earlier.
func (c *compiler) userSets(ut *scenario.UserType) map[string]bool {
	sc := c.plan.Scenario
	known := map[string]bool{"user_id": true}
	for _, a := range sc.Vars {
		known[a.Var] = true
	}
	for _, n := range sc.Unparsed {
		known[n] = true
	}
	add := func(steps []*scenario.Step) {
		for _, s := range steps {
			for _, a := range s.Set {
				known[a.Var] = true
			}
			if s.Use != nil {
				known[s.Use.Pool] = true
			}
			if s.Request != nil {
				for _, e := range s.Request.Extract {
					known[e.Var] = true
				}
			}
		}
	}
	add(ut.OnStart)
	for _, t := range ut.Tasks {
		add(t.Steps)
	}
	add(ut.OnStop)
	return known
}

func compileWait(w *scenario.Wait) *waitPlan {
	if w == nil {
		return nil
	}
	return &waitPlan{kind: w.Kind, min: w.Min, max: w.Max, constant: w.Constant, pacing: w.Pacing}
}

// where names a step for messages: "task 'browse', step 2".
func where(scope string, i int, s *scenario.Step) string {
	if s.Name != "" {
		return fmt.Sprintf("step '%s'", s.Name)
	}
	return fmt.Sprintf("'%s' step %d", scope, i+1)
}

func (c *compiler) steps(list []*scenario.Step, scope string, up *userPlan) []step {
	var out []step
	for i, s := range list {
		st := c.step(s, where(scope, i, s), up)
		if st != nil {
			out = append(out, st)
		}
	}
	return out
}

func (c *compiler) step(s *scenario.Step, name string, up *userPlan) step {
	switch {
	case s.Request != nil:
		return c.request(s, name, up)
	case s.Think != nil:
		return &thinkStep{wait: compileWait(s.Think)}
	case s.Log != nil:
		return &logStep{msg: c.template(*s.Log), name: name, onFailure: s.OnFailure}
	case s.Set != nil:
		st := &setStep{name: name, onFailure: s.OnFailure}
		for _, a := range s.Set {
			c.setBy[a.Var] = append(c.setBy[a.Var], name)
			if a.HasLiteral {
				st.assigns = append(st.assigns, assign{name: a.Var, literal: a.Literal, typed: true})
			} else {
				st.assigns = append(st.assigns, assign{name: a.Var, value: c.template(a.Value)})
			}
		}
		return st
	case s.Use != nil:
		i, ok := c.plan.poolIndex[s.Use.Pool]
		if !ok {
			if !c.poolFailed(s.Use.Pool) {
				c.errs.Add(s.Use.Pos, "use: no pool named %q under data", s.Use.Pool)
			}
			return nil
		}
		c.setBy[s.Use.Pool] = append(c.setBy[s.Use.Pool], name)
		return &useStep{pool: i, name: s.Use.Pool, onFailure: s.OnFailure}
	case s.Rendezvous != nil:
		// The barrier package's own set checks each definition and that
		// every step naming a rendezvous defines it alike.
		if _, err := c.rendezvous.Add(s.Rendezvous); err != nil {
			c.err(err, s.Pos)
			return nil
		}
		idx := slices.IndexFunc(c.plan.barriers, func(b *scenario.Rendezvous) bool { return b.Name == s.Rendezvous.Name })
		if idx < 0 {
			idx = len(c.plan.barriers)
			c.plan.barriers = append(c.plan.barriers, s.Rendezvous)
		}
		return &rendezvousStep{barrier: idx, name: s.Rendezvous.Name}
	}
	c.errs.Add(s.Pos, "step has no kind (request, think, log, set, use or rendezvous)")
	return nil
}

// poolFailed reports whether a pool of that name was declared but failed
// to load, so that its uses do not add a second, misleading error.
func (c *compiler) poolFailed(name string) bool {
	for _, d := range c.plan.Scenario.Data {
		if d.Name == name {
			return true
		}
	}
	return false
}

// template compiles t, recording any error.
func (c *compiler) template(t scenario.Template) *template.Template {
	tt, err := template.Compile(t)
	c.err(err, t.Pos)
	c.refs(tt)
	return tt
}

// read records variable reads for the unset-variable check.
func (c *compiler) read(refs []template.Ref) { c.reads = append(c.reads, refs...) }

// refs reports `${pool.column}` references to columns a pool lacks.
// Unknown plain variables are not errors: they may be set at run time, and
// an unset one fails its request with a message naming where it is set.
func (c *compiler) refs(t *template.Template) {
	if t == nil {
		return
	}
	c.read(t.Refs())
	for _, r := range t.Refs() {
		i, ok := c.plan.poolIndex[r.Var]
		if !ok || r.Field == "" || r.Optional {
			continue
		}
		pool := c.plan.pools[i]
		found := false
		for _, col := range pool.Columns() {
			if col == r.Field {
				found = true
				break
			}
		}
		if !found {
			c.errs.Add(r.Pos, "pool %q has no column %q (columns: %s)", r.Var, r.Field, strings.Join(pool.Columns(), ", "))
		}
	}
}

func (c *compiler) request(s *scenario.Step, name string, up *userPlan) step {
	r := s.Request
	rs := &requestStep{
		step:      name,
		method:    r.Method,
		timeout:   r.Timeout,
		follow:    r.FollowRedirects == nil || *r.FollowRedirects,
		onFailure: s.OnFailure,
		base:      up.base,
	}
	if rs.method == "" {
		rs.method = "GET"
	}
	rs.url = c.template(r.URL)
	if scheme := otherScheme(r.URL.Text); scheme != "" {
		c.errs.Add(r.URL.Pos, "url %q has the scheme %s: loadrun sends only http:// and https:// URLs", r.URL.Text, scheme)
	} else if up.base == nil && !isAbsolute(r.URL.Text) {
		c.errs.Add(r.URL.Pos, "url %q is relative but no host is set (add host: to the scenario or pass -H)", r.URL.Text)
	}
	switch {
	case r.Name.Text == "" || r.Name == r.URL:
		// No name written: the URL as written labels the row, unrendered,
		// so `/items/${id}` stays one row.
		rs.staticName = r.URL.Text
	default:
		if t := c.template(r.Name); t != nil && t.IsStatic() {
			rs.staticName = t.Text()
		} else {
			rs.name = t
			c.dynamicNames = true
		}
	}
	if rs.name == nil {
		c.requestNames = append(c.requestNames, rs.method+" "+rs.staticName)
	}
	for _, kv := range r.Headers {
		rs.headers = append(rs.headers, pair{key: kv.Key, value: c.template(kv.Value)})
	}
	for _, kv := range r.Query {
		rs.query = append(rs.query, pair{key: kv.Key, value: c.template(kv.Value)})
	}
	for _, kv := range r.Form {
		rs.form = append(rs.form, pair{key: kv.Key, value: c.template(kv.Value)})
	}
	if r.HasJSON {
		j, err := compileJSON(r.JSON, r.Pos)
		c.err(err, r.Pos)
		for _, t := range j.templates() {
			c.refs(t)
		}
		rs.json = j
	}
	if r.Body != nil {
		rs.body = c.template(*r.Body)
	}
	for _, e := range r.Extract {
		x, err := extractors.Compile(e)
		c.err(err, e.Pos)
		if x != nil {
			rs.extract = append(rs.extract, x)
			c.setBy[e.Var] = append(c.setBy[e.Var], name)
		}
	}
	for _, ck := range r.Check {
		k, err := checks.Compile(ck)
		c.err(err, ck.Pos)
		if k != nil {
			c.read(k.Refs())
			rs.checks = append(rs.checks, k)
			if k.IsStatus() {
				rs.statusChecked = true
			}
		}
	}
	return rs
}

// otherScheme is the scheme of a URL written with one other than http and
// https (ftp://…, file:…), or "". Without this check such a URL would be
// sent to the host as a path.
func otherScheme(u string) string {
	i := strings.IndexByte(u, ':')
	if i <= 0 {
		return ""
	}
	scheme := strings.ToLower(u[:i])
	for j, c := range scheme {
		if !('a' <= c && c <= 'z' || j > 0 && ('0' <= c && c <= '9' || c == '+' || c == '-' || c == '.')) {
			return "" // not a scheme: a relative URL such as /a:b
		}
	}
	switch {
	case scheme == "http" || scheme == "https":
		return ""
	case strings.HasPrefix(u[i:], "://"):
		return scheme
	}
	switch scheme {
	case "file", "data", "javascript", "mailto", "ws", "wss", "ftp":
		return scheme
	}
	return ""
}

func isAbsolute(u string) bool {
	return strings.HasPrefix(u, "http://") || strings.HasPrefix(u, "https://") || strings.HasPrefix(u, "${")
}
