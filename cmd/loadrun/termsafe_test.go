package main

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestTargetTextEscaped: what a target sends reaches the terminal escaped:
// `loadrun debug` bodies and headers, and `log` steps under run -v. Before,
// an OSC sequence in a body set the terminal's title.
func TestTargetTextEscaped(t *testing.T) {
	const osc = "\x1b]0;pwned\x07"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("title=" + osc + ";\n\x9b31mred"))
	}))
	defer srv.Close()
	file := writeScenario(t, "s.yaml", `
host: `+srv.URL+`
users:
  - name: U
    wait: {constant: 0s}
    tasks:
      - steps:
          - request: {url: /, extract: [{var: title, regex: 'title=(.*);'}]}
          - log: "got ${title}"
`)
	for _, args := range [][]string{
		{"debug", file},
		{"run", file, "-v", "-n", "1", "-q"},
	} {
		_, stdout, stderr := runCLI(t, args...)
		out := stdout + stderr
		if strings.ContainsAny(out, "\x1b\x07") || strings.IndexByte(out, 0x9b) >= 0 {
			t.Errorf("%s: a raw control character reached the terminal:\n%q", args[0], out)
		}
		if !strings.Contains(out, `\x1b]0;pwned\x07`) {
			t.Errorf("%s: the escaped sequence is not shown:\n%s", args[0], out)
		}
	}
}
