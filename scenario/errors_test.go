package scenario

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// errorCases are scenarios with problems and every message each must give,
// with its exact line and column.
var errorCases = []struct {
	name string
	src  string
	want []string
}{
	{
		// The YAML library gives the line of the open bracket; the column
		// is the bracket's.
		name: "bad yaml syntax",
		src:  "name: x\nusers:\n  - name: [a\n",
		want: []string{"f.yaml:3:11: invalid YAML: did not find expected ',' or ']'"},
	},
	{
		// A parser error on a later line is not off by one.
		name: "missing key on a later line",
		src:  "users: []\nname: x\n- b\n",
		want: []string{"f.yaml:3:1: invalid YAML: did not find expected key"},
	},
	{
		// A tab used for indentation is a syntax error in YAML: say it is
		// a tab, and where.
		name: "tab indentation",
		src:  "users:\n\t- name: a\n",
		want: []string{"f.yaml:2:1: invalid YAML: a tab character indents this line; YAML indents with spaces only"},
	},
	{
		// A tab after spaces, deeper in the file, is found where it is.
		name: "tab after spaces",
		src:  "users:\n  - name: a\n  \tweight: 1\n",
		want: []string{"f.yaml:3:3: invalid YAML: a tab character indents this line; YAML indents with spaces only"},
	},
	{
		// A value holding ": " needs quotes; the column is the second colon.
		name: "colon in a plain value",
		src:  "name: a: b\nusers: []\n",
		want: []string{"f.yaml:1:8: invalid YAML: mapping values are not allowed in this context"},
	},
	{
		// An unclosed flow mapping points at its brace.
		name: "unclosed brace",
		src:  "users:\n  - {name: a\n",
		want: []string{"f.yaml:2:5: invalid YAML: did not find expected ',' or '}'"},
	},
	{
		// A url indented at the step's level (request: left empty) says
		// where it belongs, and the empty request: is not a second error.
		name: "url under a step",
		src:  "host: http://127.0.0.1\nusers:\n  - name: a\n    tasks:\n      - steps:\n          - request:\n            url: /\n",
		want: []string{`f.yaml:7:13: unknown key "url" in a step: it belongs under request: (indent it below request:)`},
	},
	{
		// check: written beside request: says where it goes.
		name: "check at step level",
		src:  "host: http://127.0.0.1\nusers:\n  - name: a\n    tasks:\n      - steps:\n          - request: {url: /}\n            check: [{status: 200}]\n",
		want: []string{`f.yaml:7:13: unknown key "check" in a step: it belongs under request: (indent it below request:)`},
	},
	{
		// Request keys in a step without request: name the step kind.
		name: "url without request",
		src:  "host: http://127.0.0.1\nusers:\n  - name: a\n    tasks:\n      - steps:\n          - url: /\n",
		want: []string{`f.yaml:6:13: unknown key "url" in a step: it belongs to a request, as - request: {url: /path}`},
	},
	{
		// An empty file says what a scenario needs.
		name: "empty file",
		src:  "",
		want: []string{"f.yaml:1:1: the file is empty; a scenario needs at least users with tasks"},
	},
	{
		// The top of the file must be a mapping.
		name: "top is a list",
		src:  "- a\n- b\n",
		want: []string{`f.yaml:1:1: a scenario must be a mapping with name, host, users, ...; got a list`},
	},
	{
		// A second document would be silently ignored otherwise.
		name: "two documents",
		src:  "users: [{name: a, tasks: [{steps: [{log: x}]}]}]\n---\nname: b\n",
		want: []string{`f.yaml:3:1: a scenario file holds one document; remove the second "---" and what follows`},
	},
	{
		// A weight must be a whole number.
		name: "weight not a number",
		src:  "users:\n  - name: a\n    weight: abc\n    tasks: [{steps: [{log: x}]}]\n",
		want: []string{`f.yaml:3:13: weight: expected a whole number, got "abc"`},
	},
	{
		// Transposed letters are one edit away.
		name: "unknown key with suggestion",
		src:  "users:\n  - name: a\n    wiat: 1s\n    tasks: [{steps: [{log: x}]}]\n",
		want: []string{`f.yaml:3:5: unknown key "wiat" in a user type; did you mean "wait"?`},
	},
	{
		// A key far from any known one lists the choices instead.
		name: "unknown key without suggestion",
		src:  "users:\n  - name: a\n    tasks: [{steps: [{log: x}]}]\nzzzzzz: 1\n",
		want: []string{`f.yaml:4:1: unknown key "zzzzzz" in the scenario (known keys: data, description, host, http2, load, name, thresholds, tls, users, vars)`},
	},
	{
		// No users at all.
		name: "no users",
		src:  "name: x\n",
		want: []string{"f.yaml:1:1: the scenario has no users; add `users:` with at least one user type and its tasks"},
	},
	{
		// A request must name its url.
		name: "request without url",
		src:  "users:\n  - name: a\n    tasks:\n      - steps:\n          - request: {method: GET}\n",
		want: []string{"f.yaml:5:22: a request needs a url, such as url: /cart"},
	},
	{
		// A user type runs tasks; without them it does nothing.
		name: "user type without tasks",
		src:  "users:\n  - name: a\n    weight: 2\n",
		want: []string{`f.yaml:2:5: user type "a" has no tasks; add ` + "`tasks:`" + ` with at least one task`},
	},
	{
		// An extract stores into a variable, which must be named.
		name: "extract without var",
		src:  "users:\n  - name: a\n    tasks:\n      - steps:\n          - request:\n              url: /\n              extract:\n                - {regex: 'a(b)'}\n",
		want: []string{"f.yaml:8:19: an extract needs var: the variable that receives the value"},
	},
	{
		// An extract needs a place to look.
		name: "extract without source",
		src:  "users:\n  - name: a\n    tasks:\n      - steps:\n          - request:\n              url: /\n              extract:\n                - {var: x, match: last}\n",
		want: []string{"f.yaml:8:19: an extract needs a source: one of regex, jsonpath, xpath, header, cookie, left/right, status"},
	},
	{
		// A zero weight would never run.
		name: "zero weight",
		src:  "users:\n  - name: a\n    weight: 0\n    tasks: [{steps: [{log: x}]}]\n",
		want: []string{"f.yaml:3:13: weight: must be 1 or more, got 0"},
	},
	{
		// Negative task weights too.
		name: "negative task weight",
		src:  "users:\n  - name: a\n    tasks: [{weight: -2, steps: [{log: x}]}]\n",
		want: []string{"f.yaml:3:22: weight: must be 1 or more, got -2"},
	},
	{
		// min after max is a typo the user must see.
		name: "wait min greater than max",
		src:  "users:\n  - name: a\n    wait: {min: 5s, max: 1s}\n    tasks: [{steps: [{log: x}]}]\n",
		want: []string{"f.yaml:3:17: wait: min (5s) is more than max (1s)"},
	},
	{
		// A duration without a unit that is not a number.
		name: "bad duration",
		src:  "users:\n  - name: a\n    wait: 5 seconds\n    tasks: [{steps: [{log: x}]}]\n",
		want: []string{`f.yaml:3:11: wait: "5 seconds" is not a duration; write it like 500ms, 2s or 1m30s (units ns, us, ms, s, m, h)`},
	},
	{
		// Negative durations make no sense.
		name: "negative duration",
		src:  "users:\n  - name: a\n    tasks: [{steps: [{think: -1s}]}]\n",
		want: []string{"f.yaml:3:30: think: must not be negative, got -1s"},
	},
	{
		// A step does exactly one thing.
		name: "two kinds in one step",
		src:  "users:\n  - name: a\n    tasks:\n      - steps:\n          - log: x\n            think: 1s\n",
		want: []string{`f.yaml:6:13: a step does one thing but this one has both "log" and "think"; split it into two steps`},
	},
	{
		// A step with only a name does nothing.
		name: "step without kind",
		src:  "users:\n  - name: a\n    tasks:\n      - steps:\n          - name: nothing\n",
		want: []string{"f.yaml:5:13: a step needs one of: request, think, log, set, use, rendezvous"},
	},
	{
		// A misspelt kind is reported once, as a typo, not also as a
		// step without a kind.
		name: "misspelt step kind",
		src:  "users: [{name: a, tasks: [{steps: [{reqest: {url: /}}]}]}]\n",
		want: []string{`f.yaml:1:37: unknown key "reqest" in a step; did you mean "request"?`},
	},
	{
		// The same for a check.
		name: "misspelt check kind",
		src:  "users: [{name: a, tasks: [{steps: [{request: {url: /, check: [{jsonpth: $.a}]}}]}]}]\n",
		want: []string{`f.yaml:1:64: unknown key "jsonpth" in a check; did you mean "jsonpath"?`},
	},
	{
		// A string where a list of steps belongs.
		name: "steps not a list",
		src:  "users: [{name: a, tasks: [{steps: GET /}]}]\n",
		want: []string{`f.yaml:1:35: steps: expected a list, got "GET /"`},
	},
	{
		// Two user types with one name would merge in the stats.
		name: "duplicate user type",
		src:  "users:\n  - name: a\n    tasks: [{steps: [{log: x}]}]\n  - name: a\n    tasks: [{steps: [{log: x}]}]\n",
		want: []string{`f.yaml:4:5: user type "a" is declared twice (first at f.yaml:2:5)`},
	},
	{
		// Pools are keys of data; a second one with the same name.
		name: "duplicate pool",
		src:  "data:\n  p: {file: a.csv}\n  p: {file: b.csv}\nusers: [{name: a, tasks: [{steps: [{use: p}]}]}]\n",
		want: []string{`f.yaml:3:3: "p" is written twice in this mapping (first at f.yaml:2:3)`},
	},
	{
		// use must name a declared pool; a near name is suggested.
		name: "use of undeclared pool",
		src:  "data:\n  accounts: {file: a.csv}\nusers: [{name: a, tasks: [{steps: [{use: acounts}]}]}]\n",
		want: []string{`f.yaml:3:42: use: pool "acounts" is not declared under data; did you mean "accounts"?`},
	},
	{
		// An unknown pool mode, with a suggestion.
		name: "unknown pool mode",
		src:  "data:\n  p: {file: a.csv, mode: unique}\nusers: [{name: a, tasks: [{steps: [{use: p}]}]}]\n",
		want: []string{`f.yaml:2:26: data.p.mode: unknown value "unique" (one of: cycle, unique-once, unique-recycle, random)`},
	},
	{
		// A rendezvous releases after a count or a percentage.
		name: "rendezvous without count or percent",
		src:  "users:\n  - name: a\n    tasks: [{steps: [{rendezvous: {name: r}}]}]\n",
		want: []string{"f.yaml:3:35: a rendezvous needs count (a number of users) or percent (of the running users)"},
	},
	{
		// Percent is of the running users: above 100 cannot be reached.
		name: "percent above 100",
		src:  "users:\n  - name: a\n    tasks: [{steps: [{rendezvous: {name: r, percent: 150}}]}]\n",
		want: []string{"f.yaml:3:54: rendezvous.percent: must be more than 0 and at most 100, got 150"},
	},
	{
		// Zero percent would release at once.
		name: "percent zero",
		src:  "users:\n  - name: a\n    tasks: [{steps: [{rendezvous: {name: r, percent: 0}}]}]\n",
		want: []string{"f.yaml:3:54: rendezvous.percent: must be more than 0 and at most 100, got 0"},
	},
	{
		// A body is either json, form or raw text.
		name: "json and form together",
		src:  "users:\n  - name: a\n    tasks: [{steps: [{request: {url: /, json: {a: 1}, form: {b: 2}}}]}]\n",
		want: []string{"f.yaml:3:55: request: json and form cannot be combined; a request has one body"},
	},
	{
		// A comparator does not apply to status.
		name: "comparator on status",
		src:  "users:\n  - name: a\n    tasks: [{steps: [{request: {url: /, check: [{status: 200, equals: 200}]}}]}]\n",
		want: []string{"f.yaml:3:63: check: equals does not apply to a status check; comparators follow regex, jsonpath, xpath or header"},
	},
	{
		// matches takes a pattern.
		name: "matches not a string",
		src:  "users:\n  - name: a\n    tasks: [{steps: [{request: {url: /, check: [{jsonpath: $.a, matches: [1]}]}}]}]\n",
		want: []string{"f.yaml:3:74: matches: expected a string, got a list"},
	},
	{
		// Two comparators on one check.
		name: "two comparators",
		src:  "users:\n  - name: a\n    tasks: [{steps: [{request: {url: /, check: [{jsonpath: $.a, equals: 1, \">\": 0}]}}]}]\n",
		want: []string{`f.yaml:3:76: check: equals and > cannot be combined; a check has at most one comparator`},
	},
	{
		// A status that is no HTTP status.
		name: "bad status",
		src:  "users:\n  - name: a\n    tasks: [{steps: [{request: {url: /, check: [{status: [200, 700]}]}}]}]\n",
		want: []string{`f.yaml:3:64: status: "700" is not a status code (100 to 599) or class (such as 2xx)`},
	},
	{
		// A variable name that templates could not refer to.
		name: "set with bad variable name",
		src:  "users:\n  - name: a\n    tasks: [{steps: [{set: {1x: 2}}]}]\n",
		want: []string{`f.yaml:3:29: set: "1x" is not a variable name (letters, digits and _, not starting with a digit)`},
	},
	{
		// A threshold mapping needs its rule.
		name: "threshold without rule",
		src:  "users: [{name: a, tasks: [{steps: [{log: x}]}]}]\nthresholds:\n  - {request: GET /, abort: true}\n",
		want: []string{`f.yaml:3:5: a threshold needs a rule, such as rule: "p95 < 300ms"`},
	},
	{
		// An unknown on_failure value, with a suggestion.
		name: "bad on_failure",
		src:  "users: [{name: a, tasks: [{steps: [{log: x, on_failure: stop}]}]}]\n",
		want: []string{`f.yaml:1:57: on_failure: unknown value "stop" (one of: continue, end-iteration, stop-user)`},
	},
	{
		// A host that is not a URL.
		name: "bad host",
		src:  "host: localhost:8080\nusers: [{name: a, tasks: [{steps: [{log: x}]}]}]\n",
		want: []string{`f.yaml:1:7: host: "localhost:8080" is not a base URL; write it as http://host[:port] or https://host[:port]`},
	},
	{
		// An alias to its own anchor would never end.
		name: "recursive alias",
		src:  "users: &u [*u]\n",
		want: []string{"f.yaml:1:12: alias *u refers to the anchor that contains it"},
	},
	{
		// Nested aliases that expand a thousand-fold per level are
		// refused before the walk ("billion laughs").
		name: "alias bomb",
		src:  aliasBomb,
		want: []string{"f.yaml:1:1: the document expands to more than 1048576 elements through aliases"},
	},
	{
		// YAML 1.1's yes is a plain string in YAML 1.2.
		name: "yes is no boolean",
		src:  "users: [{name: a, tasks: [{steps: [{request: {url: /, follow_redirects: yes}}]}]}]\n",
		want: []string{`f.yaml:1:73: follow_redirects: expected true or false, got "yes"`},
	},
	{
		// A threshold is a rule or a mapping, never a list.
		name: "threshold as list",
		src:  "users: [{name: a, tasks: [{steps: [{log: x}]}]}]\nthresholds: [[p95 < 1s]]\n",
		want: []string{`f.yaml:2:14: thresholds: expected a rule such as "p95 < 300ms" or a mapping, got a list`},
	},
	{
		// A bad element reused through aliases is reported once.
		name: "aliased error once",
		src:  "x-s: &s {log: x, think: 1s}\nusers: [{name: a, tasks: [{steps: [*s, *s]}]}]\n",
		want: []string{`f.yaml:1:18: a step does one thing but this one has both "log" and "think"; split it into two steps`},
	},
	{
		// A method must be a token.
		name: "bad method",
		src:  "users: [{name: a, tasks: [{steps: [{request: {url: /, method: 'GE T'}}]}]}]\n",
		want: []string{`f.yaml:1:63: method: "GE T" is not an HTTP method (GET, POST, PUT, DELETE, ...)`},
	},
	{
		// A boundary extract needs both ends.
		name: "left without right",
		src:  "users: [{name: a, tasks: [{steps: [{request: {url: /, extract: [{var: v, left: a}]}}]}]}]\n",
		want: []string{"f.yaml:1:74: extract: left needs right; a boundary extract is left: '...' with right: '...'"},
	},
}

// aliasBomb is ten levels of ten aliases each: 10^10 nodes if expanded.
var aliasBomb = func() string {
	var b strings.Builder
	b.WriteString("x-0: &a0 [x, x, x, x, x, x, x, x, x, x]\n")
	for i := 1; i < 10; i++ {
		fmt.Fprintf(&b, "x-%d: &a%d [", i, i)
		for j := range 10 {
			if j > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "*a%d", i-1)
		}
		b.WriteString("]\n")
	}
	b.WriteString("users: [{name: a, tasks: [{steps: [{request: {url: /, json: *a9}}]}]}]\n")
	return b.String()
}()

func TestParseErrors(t *testing.T) {
	for _, tc := range errorCases {
		t.Run(tc.name, func(t *testing.T) {
			s, err := Parse("f.yaml", []byte(tc.src))
			if err == nil {
				t.Fatalf("got no error and %+v, want %q", s, tc.want)
			}
			if s != nil && !s.Incomplete {
				t.Errorf("got a complete scenario with an error")
			}
			var list ErrorList
			if !errors.As(err, &list) {
				t.Fatalf("got error of type %T, want ErrorList", err)
			}
			var got []string
			for _, e := range list {
				got = append(got, e.Error())
			}
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("got\n  %s\nwant\n  %s", strings.Join(got, "\n  "), strings.Join(tc.want, "\n  "))
			}
		})
	}
}

// TestParseReportsEveryError checks that one file's problems all come back,
// in file order, rather than only the first.
func TestParseReportsEveryError(t *testing.T) {
	src := `name: shop
hots: http://127.0.0.1
data:
  p: {file: a.csv, mode: sometimes}
users:
  - name: a
    weight: abc
    wait: {min: 3s, max: 1s}
    tasks:
      - name: t
        steps:
          - request: {method: GET}
          - log: x
            think: 1s
          - use: nope
          - rendezvous: {name: r}
  - name: a
    tasks: [{steps: [{request: {url: /, extract: [{regex: x}]}}]}]
`
	want := []string{
		`f.yaml:2:1: unknown key "hots" in the scenario; did you mean "host"?`,
		`f.yaml:4:26: data.p.mode: unknown value "sometimes" (one of: cycle, unique-once, unique-recycle, random)`,
		`f.yaml:7:13: weight: expected a whole number, got "abc"`,
		`f.yaml:8:17: wait: min (3s) is more than max (1s)`,
		`f.yaml:12:22: a request needs a url, such as url: /cart`,
		`f.yaml:14:13: a step does one thing but this one has both "log" and "think"; split it into two steps`,
		`f.yaml:15:18: use: pool "nope" is not declared under data (declared: p)`,
		`f.yaml:16:25: a rendezvous needs count (a number of users) or percent (of the running users)`,
		`f.yaml:17:5: user type "a" is declared twice (first at f.yaml:6:5)`,
		`f.yaml:18:51: an extract needs var: the variable that receives the value`,
	}
	_, err := Parse("f.yaml", []byte(src))
	if err == nil {
		t.Fatal("got no error")
	}
	got := strings.Split(err.Error(), "\n")
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n  %s\nwant\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}
