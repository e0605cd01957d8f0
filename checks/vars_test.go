package checks

import (
	"net/http"
	"testing"

	"github.com/loadrun/loadrun/extractors"
	"github.com/loadrun/loadrun/scenario"
	"github.com/loadrun/loadrun/template"
)

// TestChecksWithVariables: expected values are templates rendered with the
// user's variables, and expr checks read them, so a test can check that the
// server echoed what this user sent.
func TestChecksWithVariables(t *testing.T) {
	echo := &canned{status: 200, header: http.Header{"Content-Type": {"application/json"}, "X-User": {"v7"}},
		body: []byte(`{"user": "v7", "id": 7, "items": [1, 2, 3], "greeting": "hello user 7"}`)}
	vars := template.Vars{"user_id": 7, "token": "v7", "n": 3, "other": 8}
	tests := []struct {
		name string
		c    scenario.Check
		// wantMsg is "" for a pass, else the exact failure message.
		wantMsg string
	}{
		// The case: equals a templated value.
		{"equals template", scenario.Check{Kind: "jsonpath", Arg: "$.user", Op: "equals", Value: "v${user_id}"}, ""},
		// A template that renders otherwise fails, showing both values.
		{"equals template fail", scenario.Check{Kind: "jsonpath", Arg: "$.user", Op: "equals", Value: "v${other}"}, `check jsonpath $.user equals v${other}: got "v7", expected "v8"`},
		// A number compared with a templated number.
		{"numeric template", scenario.Check{Kind: "jsonpath", Arg: "$.id", Op: ">=", Value: "${user_id}"}, ""},
		// A list of templates.
		{"in templates", scenario.Check{Kind: "header", Arg: "X-User", Op: "in", Value: []any{"x", "${token}"}}, ""},
		// A body search with a template.
		{"contains template", scenario.Check{Kind: "contains", Arg: "user ${user_id}"}, ""},
		// An unset variable fails the check, naming it.
		{"unset", scenario.Check{Kind: "jsonpath", Arg: "$.user", Op: "equals", Value: "${nope}"}, `check jsonpath $.user equals ${nope}: variable nope is not set`},
		// expr sees the user's variables.
		{"expr vars", scenario.Check{Kind: "expr", Arg: `json("$.id") == user_id && header("x-user") == token && len(json("$.items")) == n`}, ""},
		// expr with a variable named like a function argument.
		{"expr vars map", scenario.Check{Kind: "expr", Arg: `vars.token == "v7" && upper(token) == "V7"`}, ""},
		// expr reading an unset variable fails, naming it.
		{"expr unset", scenario.Check{Kind: "expr", Arg: `json("$.id") == missing`}, `check expr json("$.id") == missing: variable missing is not set`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Compile(&tt.c)
			if err != nil {
				t.Fatalf("Compile: %v", err)
			}
			src := extractors.NewSource()
			src.Reset(echo)
			ok, msg := c.Run(src, vars)
			if ok != (tt.wantMsg == "") || msg != tt.wantMsg {
				t.Errorf("got %v %q, want message %q", ok, msg, tt.wantMsg)
			}
		})
	}
}

// TestCheckRefs: a check's variable reads are reported for the load-time
// unset-variable analysis.
func TestCheckRefs(t *testing.T) {
	c, err := Compile(&scenario.Check{Kind: "expr", Arg: `status == 200 && json("$.id") == user_id && token != ""`})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range c.Refs() {
		got = append(got, r.Var)
	}
	if len(got) != 2 || got[0] != "token" || got[1] != "user_id" {
		t.Errorf("refs %v, want [token user_id]", got)
	}
}
