// Package scenario is the model of a load test as a QA engineer writes it:
// a YAML or JSON file of hosts, user types, tasks and steps. It parses and
// validates such files and keeps the position of every element so that any
// later stage (template, extractor and check compilation in the engine) can
// report `file:line:col: what is wrong`.
//
// The model is plain data: nothing here sends a request or compiles an
// expression. Strings that may hold `${...}` templates are kept as written.
package scenario

import "time"

// Pos is where an element starts in its scenario file.
type Pos struct {
	File string
	Line int // 1-based; 0 when unknown
	Col  int // 1-based
}

// Scenario is one load test.
type Scenario struct {
	Pos
	Name string
	// Description is free text about the test, shown in reports.
	Description string
	// Host is the default base URL (scheme://host[:port]) for relative URLs.
	Host string
	// HTTP2 sends https requests over HTTP/2 when the server offers it.
	HTTP2 bool
	// TLS is the `tls:` section (nil when absent).
	TLS *TLS
	// Users are the user types (Locust user classes), in file order.
	Users []*UserType
	// Data are the parameter pools, in file order.
	Data []*Pool
	// Thresholds are the pass/fail criteria of the run.
	Thresholds []*Threshold
	// Vars are variables every virtual user starts with, in file order.
	Vars []*Assign
	// Load is the `load:` section (nil: users, spawn rate and run time
	// come from the command line).
	Load *Shape
	// Dir is the folder of the scenario file; data file paths are relative to it.
	Dir string
	// Incomplete is set on a scenario returned with parse errors: it holds
	// only the parts that parsed, to be compiled for their own problems
	// (never run).
	Incomplete bool
	// Unparsed lists, in an Incomplete scenario, the variables that parts
	// which did not parse would set; later checks take them as set.
	Unparsed []string
	// LostRequests is set in an Incomplete scenario when requests (a step,
	// task or user type holding them) did not parse: request names are
	// then not all known.
	LostRequests bool
}

// UserType is one kind of virtual user.
type UserType struct {
	Pos
	Name string
	// Weight is this type's share of the spawned users (default 1).
	Weight int
	// FixedCount, when more than 0, runs exactly this many users of this
	// type (Locust's fixed_count); the weights share the rest.
	FixedCount int
	// Host overrides the scenario's host for this user type when set.
	Host string
	// HTTP2 overrides the scenario's http2 for this user type when set.
	HTTP2 *bool
	// Wait is the think time between tasks (nil: constant 1 s).
	Wait    *Wait
	OnStart []*Step
	Tasks   []*Task
	OnStop  []*Step
}

// Task is a weighted list of steps that a user picks at random and runs in order.
type Task struct {
	Pos
	Name string
	// Weight is how often the task is picked relative to its siblings (default 1).
	Weight int
	// Wait overrides the user type's wait after this task when set.
	Wait  *Wait
	Steps []*Step
}

// WaitKind says how a wait is computed.
type WaitKind int

const (
	// WaitBetween waits a uniformly random time in [Min, Max].
	WaitBetween WaitKind = iota + 1
	// WaitConstant waits exactly Constant.
	WaitConstant
	// WaitPacing keeps a fixed start-to-start interval of Pacing per task
	// iteration: the wait is Pacing minus the time the iteration took.
	WaitPacing
)

// Wait is a think time: {min, max}, {constant} or {pacing}.
// In YAML a bare duration ("500ms") means constant.
type Wait struct {
	Pos
	Kind     WaitKind
	Min, Max time.Duration
	Constant time.Duration
	Pacing   time.Duration
}

// OnFailure says what a failed step does to the user.
type OnFailure string

const (
	// Continue goes on with the next step (default).
	Continue OnFailure = "continue"
	// EndIteration abandons the rest of the current task iteration.
	EndIteration OnFailure = "end-iteration"
	// StopUser stops this virtual user (it still runs on_stop).
	StopUser OnFailure = "stop-user"
)

// Step is one thing a user does. Exactly one of the kind fields is set;
// new kinds are new fields, so the step list never changes shape.
type Step struct {
	Pos
	// Name labels the step in messages (optional).
	Name string
	// OnFailure applies to a failed request, check or extraction of this step.
	OnFailure OnFailure

	Request    *Request
	Think      *Wait       // think: 2s | {min, max}
	Log        *Template   // log: "message with ${vars}"
	Set        []*Assign   // set: {var: expression, ...}
	Use        *Use        // use: pool
	Rendezvous *Rendezvous // rendezvous: {name, count|percent, timeout}
}

// Template is a string as written that may contain `${expression}` parts.
type Template struct {
	Pos
	Text string
}

// Assign sets a variable in a `set` step or in the scenario's `vars`. The
// value is a template like any other string; a template that is exactly one
// `${expr}` keeps the expression's type (a number stays a number). A YAML
// number, bool or null is kept as that typed value in Literal (HasLiteral
// set), so `counter: 0` is the number 0, not the text "0".
type Assign struct {
	Pos
	Var   string
	Value Template
	// Literal is the value of a YAML number (int64 or float64), bool or
	// null, when HasLiteral is set; Value then holds its text.
	Literal    any
	HasLiteral bool
}

// KV is one ordered name/value pair (headers, query, form).
type KV struct {
	Pos
	Key   string
	Value Template
}

// Request is an HTTP request step.
type Request struct {
	Pos
	Method string   // default GET
	URL    Template // relative to the host, or absolute
	// Name is the stats label. Stats are keyed by (method, name), shown as
	// Locust does (a Type column and a Name column) and referred to as
	// "GET /path" in thresholds. When not written, Name is URL as written
	// (templates unrendered, so `/item/${id}` stays one row).
	Name    Template
	Headers []KV
	Query   []KV
	Form    []KV
	// JSON is the request body as a JSON value tree (maps, slices, strings,
	// numbers, bools, nil) whose strings may hold templates. HasJSON tells an
	// explicit `json: null` apart from no json key.
	JSON    any
	HasJSON bool
	Body    *Template
	// Timeout is the whole request's deadline (0: the run's default).
	Timeout time.Duration
	// FollowRedirects is nil for the default (follow).
	FollowRedirects *bool
	Extract         []*Extract
	Check           []*Check
}

// ExtractKind is where an extractor looks.
type ExtractKind string

// Extractor kinds.
const (
	ExtractRegex    ExtractKind = "regex"
	ExtractJSONPath ExtractKind = "jsonpath"
	ExtractXPath    ExtractKind = "xpath"
	ExtractHeader   ExtractKind = "header"
	ExtractCookie   ExtractKind = "cookie"
	ExtractBoundary ExtractKind = "boundary" // left/right
	ExtractStatus   ExtractKind = "status"
)

// Extract saves a value from a response into a user variable.
type Extract struct {
	Pos
	Var  string
	Kind ExtractKind
	// Expr is the pattern, path, header or cookie name (unused for status
	// and boundary).
	Expr        string
	Left, Right string // boundary
	// Group is the regex capture group (default 1 when the pattern has one, else 0).
	Group    int
	HasGroup bool
	// Match chooses among matches: "first" (default), "last", "random",
	// "all" (a list), or a 0-based index written as a number.
	Match string
	// Default applies when nothing matches; nil means a miss fails the request.
	Default *string
}

// CheckKind is what a checkpoint asserts on.
type CheckKind string

// Checkpoint kinds.
const (
	CheckStatus      CheckKind = "status"
	CheckContains    CheckKind = "contains"
	CheckNotContains CheckKind = "not_contains"
	CheckRegex       CheckKind = "regex"
	CheckJSONPath    CheckKind = "jsonpath"
	CheckXPath       CheckKind = "xpath"
	CheckHeader      CheckKind = "header"
	CheckMaxTime     CheckKind = "max_time"
	CheckExpr        CheckKind = "expr"
)

// Check is one checkpoint on a response.
type Check struct {
	Pos
	// Name labels the checkpoint in stats (default: a rendering of the check).
	Name string
	Kind CheckKind
	// Arg is the kind's argument as written: status spec ("200", "2xx",
	// "200,204"), substring, pattern, path, header name, duration or expression.
	Arg string
	// Statuses holds a status check's accepted codes and ranges as written
	// (each "200" or "2xx"); empty for other kinds.
	Statuses []string
	// Op compares the value found (jsonpath, xpath, header, regex) with Value:
	// "equals", "not_equals", "<", "<=", ">", ">=", "in", "matches",
	// "contains", "not_contains", or "" for "exists".
	Op    string
	Value any
	// MaxTime is set for max_time checks.
	MaxTime time.Duration
}

// Use draws the next row of a pool into the user's variables (`${pool.column}`).
type Use struct {
	Pos
	Pool string
}

// PoolMode is how a pool hands out rows.
type PoolMode string

// Pool modes.
const (
	Cycle         PoolMode = "cycle"
	UniqueOnce    PoolMode = "unique-once"
	UniqueRecycle PoolMode = "unique-recycle"
	Random        PoolMode = "random"
)

// OnExhausted says what happens when a unique-once pool runs out.
type OnExhausted string

// Exhaustion policies.
const (
	StopVirtualUser OnExhausted = "stop-user" // default
	StopTest        OnExhausted = "stop-test"
)

// Pool is a named source of test data rows.
type Pool struct {
	Pos
	Name string
	// File is the CSV or JSON file, as written (relative to Scenario.Dir).
	File string
	// Format is "csv" or "json" (default: from the file extension).
	Format      string
	Mode        PoolMode // default cycle
	OnExhausted OnExhausted
	Delimiter   rune // CSV; default ','
	NoHeader    bool // CSV without a header row: columns are col1, col2, ...
	Columns     []string
	// Rows written inline in the scenario.
	Rows []map[string]string
	// Timeout bounds a unique-recycle wait for a free row (default 10 s).
	Timeout time.Duration
}

// Rendezvous makes users wait at a named barrier and releases them together.
type Rendezvous struct {
	Pos
	Name    string
	Count   int     // release when this many users wait
	Percent float64 // or this percentage of the running users (0 < p <= 100)
	Timeout time.Duration
	// Policy says from when Timeout runs: "first" arrival (default) or "last".
	Policy string
}

// Threshold is a pass/fail criterion over the run or one request name.
type Threshold struct {
	Pos
	// Request limits the rule to one stats name ("" = all requests).
	Request string
	// Rule as written, e.g. "p95 < 300ms", "fail_ratio < 1%".
	Rule string
	// Abort ends the run early once the rule can no longer pass.
	Abort bool
	// Grace is how long after the start Abort is not applied.
	Grace time.Duration
}

// PoolNames lists the pools under data, parsed or not, in file order.
func (s *Scenario) PoolNames() []string {
	names := make([]string, 0, len(s.Data))
	for _, p := range s.Data {
		names = append(names, p.Name)
	}
	return names
}
