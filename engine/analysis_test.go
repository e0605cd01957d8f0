package engine_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/loadrun/loadrun/engine"
)

// compileMessages parses and compiles src as one pass does and returns
// every message, one per line.
func compileMessages(t *testing.T, name, src string, opts engine.CompileOptions) string {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := engine.LoadPlan(path, opts)
	if err == nil {
		return ""
	}
	return strings.ReplaceAll(err.Error(), dir+string(filepath.Separator), "")
}

// TestUnsetVariables: a variable that nothing sets for a user type is a
// load error at the `${`, listing the names that are set and the nearest.
func TestUnsetVariables(t *testing.T) {
	const head = "host: http://127.0.0.1:1\n"
	tests := []struct {
		name string
		src  string
		want string
	}{
		{
			// A typo of an extracted variable.
			name: "typo of an extract",
			src: head + `users:
  - name: U
    tasks:
      - steps:
          - request: {url: /login, extract: [{var: token, header: X-Token}]}
          - request: {url: "/cart?t=${tokn}"}
`,
			want: `s.yaml:7:37: variable tokn is never set (set in user type "U" (vars, set, extract, use): token, user_id); did you mean token?`,
		},
		{
			// The example: nothing near it, so no suggestion.
			name: "undefined variable",
			src: head + `vars: {base: shop}
users:
  - name: U
    tasks: [{steps: [{request: {url: "/${base}/${undefinedVar}"}}]}]
`,
			want: `s.yaml:5:48: variable undefinedVar is never set (set in user type "U" (vars, set, extract, use): base, user_id)`,
		},
		{
			// A pool read without a use step says to add one.
			name: "pool without use",
			src: head + `data:
  accounts: {rows: [{name: a}]}
users:
  - name: U
    tasks: [{steps: [{request: {url: "/u/${accounts.name}"}}]}]
`,
			want: `s.yaml:6:42: variable accounts is never set: it is a pool; add - use: accounts before this step`,
		},
		{
			// Each user type sees only what it sets: B reads A's token.
			name: "another user type's variable",
			src: head + `users:
  - name: A
    tasks: [{steps: [{set: {token: x}}]}]
  - name: B
    tasks: [{steps: [{log: "${token}"}]}]
`,
			want: `s.yaml:6:29: variable token is never set (set in user type "B" (vars, set, extract, use): user_id)`,
		},
		{
			// A var may read only the vars above it and user_id.
			name: "var reads a later var",
			src: head + `vars:
  a: "${b}-${user_id}"
  b: x
users:
  - name: U
    tasks: [{steps: [{log: "${a}"}]}]
`,
			want: `s.yaml:3:7: variable b is never set (set in vars above it: user_id)`,
		},
		{
			// set, use, extract in on_start, task and on_stop all count, in
			// any order; ?? and user_id need nothing.
			name: "all setters",
			src: head + `data:
  p: {rows: [{c: "1"}]}
users:
  - name: U
    on_start: [{use: p}]
    tasks:
      - steps:
          - log: "${n} ${p.c} ${later} ${missing ?? 'x'} ${user_id} ${count}"
          - request: {url: /, extract: [{var: n, status: true}]}
    on_stop: [{set: {later: "1", count: 0}}]
`,
			want: ``,
		},
		{
			// A threshold on a request no step has.
			name: "threshold on unknown request",
			src: head + `users:
  - name: U
    tasks: [{steps: [{request: {url: /cart, name: cart}}]}]
thresholds:
  - {request: "GET carts", rule: "p95 < 1s"}
  - {request: cart, rule: "p95 < 1s"}
  - {request: "GET cart", rule: "p95 < 1s"}
`,
			want: `s.yaml:6:5: threshold on request "GET carts": no request has that name; did you mean "GET cart"?`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := compileMessages(t, "s.yaml", tt.src, engine.CompileOptions{}); got != tt.want {
				t.Errorf("got\n  %s\nwant\n  %s", got, tt.want)
			}
		})
	}
}

// TestThresholdFlagRequest: a --threshold rule on an unknown request is a
// load error too.
func TestThresholdFlagRequest(t *testing.T) {
	src := "host: http://127.0.0.1:1\nusers: [{name: U, tasks: [{steps: [{request: {url: /cart}}]}]}]\n"
	got := compileMessages(t, "s.yaml", src, engine.CompileOptions{Thresholds: []string{"GET /crt: p95 < 1s"}})
	want := `--threshold #1: threshold on request "GET /crt": no request has that name; did you mean "GET /cart"?`
	if got != want {
		t.Errorf("got\n  %s\nwant\n  %s", got, want)
	}
}

// TestEveryLayerAtOnce: a file with a problem in every layer (a key typo,
// a template, a regex, an XPath, a JSONPath, an unset variable, a threshold
// rule, a threshold request and a data file) lists all of them in one pass.
func TestEveryLayerAtOnce(t *testing.T) {
	src := `name: every layer
host: http://127.0.0.1:8080
hots: typo
data:
  accounts: {file: missing.csv}
users:
  - name: Shopper
    tasks:
      - name: browse
        steps:
          - request:
              url: /items/${itemId
              extract:
                - {var: token, regex: 'token=(['}
                - {var: title, xpath: '//h1['}
              check:
                - jsonpath: '$.items[?('
          - request: {url: "/cart?t=${tokn}", name: cart}
thresholds:
  - "p95 < 300 parsecs"
  - {request: "GET carts", rule: "p99 < 1s"}
`
	want := []string{
		`every.yaml:3:1: unknown key "hots" in the scenario; did you mean "host"?`,
		`every.yaml:5:3: data pool "accounts": data file missing.csv not found`,
		`every.yaml:12:27: unterminated ${ in "/items/${itemId": a } is missing (write $${ for a literal ${)`,
		"every.yaml:14:19: extractor \"token\" (regex \"token=([\"): error parsing regexp: missing closing ]: `[`",
		`every.yaml:15:19: extractor "title" (xpath "//h1["): expression must evaluate to a node-set`,
		"every.yaml:17:19: check jsonpath $.items[?(: \"$.items[?(\": filter expressions are not supported; use a native gjson query such as `items.#(price<10)#.name`",
		`every.yaml:18:37: variable tokn is never set (set in user type "Shopper" (vars, set, extract, use): title, token, user_id); did you mean token?`,
		`every.yaml:20:5: threshold "p95 < 300 parsecs": bad duration "300 parsecs": want e.g. 300ms, 1.5s or 2m`,
		`every.yaml:21:5: threshold on request "GET carts": no request has that name; did you mean "GET cart"?`,
	}
	got := strings.Split(compileMessages(t, "every.yaml", src, engine.CompileOptions{}), "\n")
	if len(got) != len(want) {
		t.Fatalf("got %d messages, want %d:\n  %s", len(got), len(want), strings.Join(got, "\n  "))
	}
	for i := range want {
		if !strings.HasPrefix(got[i], want[i]) {
			t.Errorf("message %d:\n  got  %s\n  want %s", i+1, got[i], want[i])
		}
	}
}

// TestBrokenSetterIsNotUnset: a variable whose extract did not parse is not
// also reported as never set; only the extract's own problem is.
func TestBrokenSetterIsNotUnset(t *testing.T) {
	src := `host: http://127.0.0.1:1
users:
  - name: U
    tasks:
      - steps:
          - request: {url: /, extract: [{var: token, regx: 'a'}]}
          - request: {url: "/${token}"}
`
	want := `s.yaml:6:54: unknown key "regx" in an extract; did you mean "regex"?`
	if got := compileMessages(t, "s.yaml", src, engine.CompileOptions{}); got != want {
		t.Errorf("got\n  %s\nwant\n  %s", got, want)
	}
}
