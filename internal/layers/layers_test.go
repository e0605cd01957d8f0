package layers

import (
	"bufio"
	"errors"
	"fmt"
	"go/build"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// moduleImports reads the module that holds this package: each package's
// imports of the module's own packages (non-test files, this platform's
// build), by path relative to the module, with where each import is.
func moduleImports(t *testing.T) (imports map[string][]string, where map[[2]string]string) {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	module := modulePath(t, filepath.Join(root, "go.mod"))
	imports = make(map[string][]string)
	where = make(map[[2]string]string)
	err = filepath.WalkDir(root, func(dir string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			return nil
		}
		if name := d.Name(); dir != root && (strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") || name == "testdata" || name == "node_modules") {
			return filepath.SkipDir
		}
		pkg, err := build.Default.ImportDir(dir, 0)
		var none *build.NoGoError
		if errors.As(err, &none) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%s: %w", dir, err)
		}
		rel, err := filepath.Rel(root, dir)
		if err != nil {
			return err
		}
		from := filepath.ToSlash(rel)
		imports[from] = []string{}
		for _, imp := range pkg.Imports {
			to, ok := strings.CutPrefix(imp, module+"/")
			if !ok {
				continue
			}
			imports[from] = append(imports[from], to)
			if pos := pkg.ImportPos[imp]; len(pos) > 0 {
				p, _ := filepath.Rel(root, pos[0].Filename)
				where[[2]string{from, to}] = fmt.Sprintf("%s:%d:%d", filepath.ToSlash(p), pos[0].Line, pos[0].Column)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return imports, where
}

func modulePath(t *testing.T, gomod string) string {
	t.Helper()
	f, err := os.Open(gomod)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if m, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), "module "); ok {
			return strings.Trim(strings.TrimSpace(m), `"`)
		}
	}
	t.Fatalf("%s: no module line", gomod)
	return ""
}

// TestImportsPointOneWay checks every package of the module against
// Rules: an import the rules forbid fails, with the file, line and column
// of the import and the rule in words.
func TestImportsPointOneWay(t *testing.T) {
	imports, where := moduleImports(t)
	// The reader must see the layering that does exist, or it proves
	// nothing: these imports are the spine of DESIGN.md's flow.
	for _, edge := range [][2]string{{"cmd/loadrun", "session"}, {"session", "engine"}, {"engine", "stats"}, {"reports", "stats"}, {"webui", "session"}} {
		if !slices.Contains(imports[edge[0]], edge[1]) {
			t.Fatalf("%s does not import %s as far as the test can read: the module was not read (packages found: %d)", edge[0], edge[1], len(imports))
		}
	}
	for _, err := range Check(Rules(), imports) {
		msg := err.Error()
		from, rest, _ := strings.Cut(msg, " imports ")
		to, _, _ := strings.Cut(rest, ":")
		t.Errorf("%s: %s", where[[2]string{from, to}], msg)
	}
}

// TestCheck runs the rules over small made-up graphs.
func TestCheck(t *testing.T) {
	tests := []struct {
		name    string
		imports map[string][]string
		want    []string // the errors' "from imports to" parts
	}{
		// The layering as DESIGN.md draws it passes.
		{"the flow", map[string][]string{
			"cmd/loadrun": {"session", "webui", "cluster", "har", "engine"},
			"session":     {"engine", "reports", "reports/html", "stats"},
			"engine":      {"engine/httpclient", "stats", "scenario", "internal/suggest"},
			"webui":       {"session", "reports", "engine"},
			"reports":     {"stats", "thresholds"},
			"thresholds":  {"stats", "scenario", "internal/suggest"},
			"scenario":    {"internal/regular", "internal/suggest"},
		}, nil},
		// The engine reaching up into the UI, the cluster or reports.
		{"engine up", map[string][]string{
			"engine":            {"webui", "stats"},
			"engine/httpclient": {"reports"},
			"engine/rendezvous": {"cluster"},
		}, []string{"engine imports webui", "engine/httpclient imports reports", "engine/rendezvous imports cluster"}},
		// Anything importing the command.
		{"cmd", map[string][]string{"session": {"cmd/loadrun"}, "stats": {"cmd/loadrun"}}, []string{"session imports cmd/loadrun", "stats imports cmd/loadrun"}},
		// A leaf importing the engine or a report.
		{"leaf up", map[string][]string{"stats": {"engine"}, "thresholds": {"reports"}, "schedule": {"session"}},
			[]string{"schedule imports session", "stats imports engine", "thresholds imports reports"}},
		// Reports reading a run instead of a snapshot.
		{"reports", map[string][]string{"reports/html": {"reports", "engine"}}, []string{"reports/html imports engine"}},
		// Internal helpers may use each other, nothing else of ours.
		{"internal", map[string][]string{"internal/harrecord": {"internal/regular"}, "internal/suggest": {"scenario"}},
			[]string{"internal/suggest imports scenario"}},
		// The demo target imports nothing of ours.
		{"demo", map[string][]string{"demo": {"internal/regular"}}, []string{"demo imports internal/regular"}},
		// "x/..." is x and what is under it, not a name that starts alike.
		{"pattern", map[string][]string{"engineering": {"webui"}, "reportsx": {"engine"}}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, err := range Check(Rules(), tt.imports) {
				head, _, _ := strings.Cut(err.Error(), ":")
				got = append(got, head)
			}
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}
