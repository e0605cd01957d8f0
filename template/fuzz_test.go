package template

import (
	"strings"
	"testing"

	"github.com/loadrun/loadrun/scenario"
)

// FuzzCompile feeds arbitrary text to Compile and renders what compiles:
// neither may panic, and an error must be an error, not a crash.
func FuzzCompile(f *testing.F) {
	for _, s := range []string{
		"", "plain", "${x}", "$${x}", "${", "${}", "${ {\"a\": 1}.a }", "${'}'}",
		"a${b.c}d${e ?? 1}", "${randInt(1, 2)}", "${nope()}", "${`x`}", "${\"\\\"}\"}",
		"$$${x}", "${1 +}", "${let a = 1; a}", "${[1,2][5]}",
	} {
		f.Add(s)
	}
	pos := scenario.Pos{File: "f.yaml", Line: 1, Col: 1}
	f.Fuzz(func(t *testing.T, text string) {
		tpl, err := Compile(scenario.Template{Pos: pos, Text: text})
		if err != nil {
			return
		}
		v := Vars{"x": 1, "b": map[string]string{"c": "d"}, "s": "str"}
		got, err := tpl.Render(nil, v)
		// Text with no ${ at all is never changed.
		if !strings.Contains(text, "${") && (err != nil || string(got) != text) {
			t.Errorf("Render(%q) = %q, %v; want the text unchanged", text, got, err)
		}
		// A static template reads no variables.
		if tpl.IsStatic() && len(tpl.Refs()) > 0 {
			t.Errorf("IsStatic(%q) = %v with refs %v", text, tpl.IsStatic(), tpl.Refs())
		}
		_, _ = tpl.Value(v)
	})
}
