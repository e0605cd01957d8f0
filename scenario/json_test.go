package scenario

import (
	"errors"
	"strings"
	"testing"
)

// TestJSONErrors: a .json scenario is JSON, not YAML: its syntax errors
// say JSON, with the line and column, and what YAML would accept but JSON
// does not (trailing commas, comments, single quotes) is refused.
func TestJSONErrors(t *testing.T) {
	cases := []struct {
		name string
		src  string
		want string
	}{
		{
			// A trailing comma in an object points at the comma.
			name: "trailing comma in object",
			src:  "{\n  \"name\": \"x\",\n  \"users\": []\n,}\n",
			want: `f.json:4:1: invalid JSON: a comma before "}"; JSON allows no trailing comma`,
		},
		{
			// A trailing comma in a list, on the same line.
			name: "trailing comma in list",
			src:  "{\"users\": [1, 2,]}",
			want: `f.json:1:16: invalid JSON: a comma before "]"; JSON allows no trailing comma`,
		},
		{
			// A missing comma between members.
			name: "missing comma",
			src:  "{\n  \"name\": \"x\"\n  \"host\": \"http://127.0.0.1\"\n}\n",
			want: `f.json:3:3: invalid JSON: unexpected character '"' after object key:value pair`,
		},
		{
			// Single quotes are YAML, not JSON.
			name: "single quotes",
			src:  "{'name': 'x'}",
			want: `f.json:1:2: invalid JSON: unexpected character '\'' looking for beginning of object key string`,
		},
		{
			// A file cut short says so, at its end.
			name: "unterminated",
			src:  "{\"name\": \"x\",\n \"users\": [\n",
			want: `f.json:3:1: invalid JSON: the file ends before its last value is closed (a } or ] is missing)`,
		},
		{
			// Two values in one file.
			name: "second value",
			src:  "{\"name\": \"x\"}\n{}\n",
			want: `f.json:2:1: invalid JSON: unexpected text after the scenario's closing }`,
		},
		{
			// A JSON file's structural problems keep their positions.
			name: "unknown key keeps its position",
			src:  "{\n  \"name\": \"x\",\n  \"hots\": \"http://127.0.0.1\",\n  \"users\": [{\"name\": \"a\", \"tasks\": [{\"steps\": [{\"log\": \"x\"}]}]}]\n}\n",
			want: `f.json:3:3: unknown key "hots" in the scenario; did you mean "host"?`,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("f.json", []byte(tc.src))
			var list ErrorList
			if !errors.As(err, &list) {
				t.Fatalf("got %v, want an ErrorList", err)
			}
			var got []string
			for _, e := range list {
				got = append(got, e.Error())
			}
			if strings.Join(got, "\n") != tc.want {
				t.Errorf("got\n  %s\nwant\n  %s", strings.Join(got, "\n  "), tc.want)
			}
		})
	}
}

// TestJSONValid: valid JSON parses as it did through the YAML reader.
func TestJSONValid(t *testing.T) {
	src := `{"host": "http://127.0.0.1", "users": [{"name": "a", "tasks": [{"steps": [{"request": {"url": "/\u00e9"}}]}]}]}`
	s, err := Parse("f.json", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if got := s.Users[0].Tasks[0].Steps[0].Request.URL.Text; got != "/é" {
		t.Errorf("url %q, want /é", got)
	}
}
