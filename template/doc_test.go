package template

import (
	"bufio"
	"os"
	"strings"
	"testing"

	"github.com/loadrun/loadrun/scenario"
)

// Every example in FUNCTIONS.md compiles and renders; a result written in
// backticks must be exactly what renders, so the table cannot go stale.
func TestFunctionsDoc(t *testing.T) {
	f, err := os.Open("FUNCTIONS.md")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows := 0
	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		cells := strings.Split(strings.Trim(sc.Text(), "|"), " | ")
		if len(cells) != 4 || !strings.HasPrefix(strings.TrimSpace(cells[2]), "`${") {
			continue
		}
		rows++
		example := strings.Trim(strings.TrimSpace(cells[2]), "`")
		result := strings.TrimSpace(cells[3])
		tpl, err := Compile(scenario.Template{Pos: scenario.Pos{File: "FUNCTIONS.md", Line: line}, Text: example})
		if err != nil {
			t.Errorf("FUNCTIONS.md:%d: %v", line, err)
			continue
		}
		got, err := tpl.Render(nil, nil)
		if err != nil {
			t.Errorf("FUNCTIONS.md:%d: %s: %v", line, example, err)
			continue
		}
		if want, exact := strings.CutPrefix(result, "`"); exact && strings.HasSuffix(want, "`") {
			if want = strings.TrimSuffix(want, "`"); string(got) != want {
				t.Errorf("FUNCTIONS.md:%d: %s = %q, table says %q", line, example, got, want)
			}
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if rows < 40 {
		t.Errorf("found %d example rows in FUNCTIONS.md, want at least 40", rows)
	}
}
