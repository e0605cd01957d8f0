package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/loadrun/loadrun/engine"
)

// readmeScenarios are README's YAML examples, each made a whole scenario:
// a list of steps becomes a task's steps, `tasks:` a user type's, and a
// `thresholds:` or `data:` section gets users around it as needed.
func readmeScenarios(t *testing.T) map[string]string {
	t.Helper()
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	blocks := regexp.MustCompile("(?s)```yaml\n(.*?)```").FindAllStringSubmatch(string(readme), -1)
	out := map[string]string{}
	for i, b := range blocks {
		src := b[1]
		name := "readme-" + strings.Fields(src)[0] + "-" + string(rune('a'+i))
		indent := func(s, by string) string {
			return by + strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n"+by) + "\n"
		}
		switch {
		case strings.HasPrefix(src, "- "):
			src = "users:\n  - name: U\n    tasks:\n      - steps:\n" + indent(src, "          ")
		case strings.HasPrefix(src, "tasks:"):
			src = "users:\n  - name: U\n" + indent(src, "    ")
		case strings.HasPrefix(src, "thresholds:"):
			src = "users: [{name: U, tasks: [{steps: [{request: {method: GET, url: /api/cart}}]}]}]\n" + src
		case !regexp.MustCompile(`(?m)^users:`).MatchString(src):
			// A section of its own (load:): any user type will do.
			src += "users: [{name: U, tasks: [{steps: [{request: {url: /}}]}]}]\n"
		}
		out[name] = src
	}
	if len(out) < 5 {
		t.Fatalf("found %d YAML examples in README", len(out))
	}
	return out
}

// TestReadmeExamplesValidate: every YAML example in README compiles as
// written (variables set, requests named, pools found), so the docs never
// show a scenario that validate rejects. Data files are examples/data's.
func TestReadmeExamplesValidate(t *testing.T) {
	dir := filepath.Join("..", "..", "examples", "data")
	for name, src := range readmeScenarios(t) {
		t.Run(name, func(t *testing.T) {
			_, err := engine.ParsePlan(name+".yaml", []byte(src), dir, engine.CompileOptions{Host: "http://127.0.0.1:1"})
			if err != nil {
				t.Errorf("README example does not validate:\n%s\n---\n%s", err, src)
			}
		})
	}
}

// TestReadmeScenariosRun: README's whole scenarios (those with their own
// users) run against the demo target and pass, bounded in iterations.
func TestReadmeScenariosRun(t *testing.T) {
	data := filepath.Join("..", "..", "examples", "data")
	for name, src := range readmeScenarios(t) {
		if !strings.HasPrefix(name, "readme-name:") && !strings.HasPrefix(name, "readme-data:") {
			continue
		}
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			for _, f := range []string{"accounts.json", "new_users.csv", "urls.csv"} {
				b, err := os.ReadFile(filepath.Join(data, f))
				if err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(dir, f), b, 0o600); err != nil {
					t.Fatal(err)
				}
			}
			file := filepath.Join(dir, "s.yaml")
			if err := os.WriteFile(file, []byte(src), 0o600); err != nil {
				t.Fatal(err)
			}
			code, stdout, stderr := runCLI(t, "run", file, "--demo", "-u", "2", "-r", "0", "-n", "6", "-t", "10s", "-q")
			if code != exitOK {
				t.Errorf("exit code %d, want 0\n%s\n%s", code, stdout, stderr)
			}
		})
	}
}
