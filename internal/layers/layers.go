// Package layers states which of loadrun's packages may import which: the
// dependency rule of DESIGN.md as data (cmd → session → engine → leaves;
// reports read snapshots; the engine never imports the web UI, the cluster
// or reports; nothing imports cmd). Its test reads every package's imports
// and fails on an import the rules forbid, so the layering cannot rot
// unnoticed. Nothing else imports this package.
package layers

import (
	"fmt"
	"slices"
	"strings"
)

// Rule forbids the packages matching From to import those matching Never
// (unless they match Except). Patterns are package paths relative to the
// module: "engine" is that package, "engine/..." it and every package under
// it, "..." every package.
type Rule struct {
	From   string
	Never  []string
	Except []string
	// Why is the rule in words, for the failure message.
	Why string
}

// leaves are the packages the engine is built on; they import no layer
// above them.
var leaves = []string{"scenario", "template", "extractors", "checks", "datasource", "stats", "thresholds", "schedule"}

// above are the layers over the leaves, in the order they import one
// another.
var above = []string{"cmd/...", "session", "webui", "cluster", "har", "reports/...", "engine/..."}

// Rules returns the dependency rules of DESIGN.md.
func Rules() []Rule {
	rules := []Rule{
		{From: "...", Never: []string{"cmd/..."}, Why: "nothing imports cmd: only the command parses flags, catches signals and exits"},
		{From: "engine/...", Never: []string{"session", "webui", "cluster", "reports/...", "har"},
			Why: "the engine never imports the web UI, the cluster or reports; the session drives it"},
		{From: "reports/...", Never: []string{"engine/...", "session", "webui", "cluster", "har"},
			Why: "reports are functions of a snapshot: they read stats (and thresholds results), never a run"},
		{From: "session", Never: []string{"webui", "cluster", "har"},
			Why: "a session runs a plan; the web UI and the cluster drive sessions, not the other way round"},
		{From: "webui", Never: []string{"cluster", "har"},
			Why: "the web UI drives a Controller; cmd wires it to a session or a cluster master"},
		{From: "cluster", Never: []string{"webui", "har"},
			Why: "the cluster serves runs; cmd puts the web UI in front of a master"},
		{From: "har", Never: []string{"engine/...", "session", "webui", "cluster", "reports/..."},
			Why: "an imported recording is scenario text, compiled like a hand-written file"},
		{From: "internal/...", Never: []string{"..."}, Except: []string{"internal/..."},
			Why: "internal helpers sit under every layer: they import none of loadrun's other packages"},
		{From: "demo", Never: []string{"..."},
			Why: "the demo target stands for any server: it imports nothing of loadrun's"},
	}
	for _, leaf := range leaves {
		rules = append(rules, Rule{From: leaf, Never: above,
			Why: "leaves (" + strings.Join(leaves, ", ") + ") import no layer above them"})
	}
	return rules
}

// Match reports whether package path pkg (relative to the module) matches
// pattern.
func Match(pattern, pkg string) bool {
	switch {
	case pattern == "...":
		return true
	case strings.HasSuffix(pattern, "/..."):
		base := strings.TrimSuffix(pattern, "/...")
		return pkg == base || strings.HasPrefix(pkg, base+"/")
	}
	return pattern == pkg
}

func matchAny(patterns []string, pkg string) bool {
	return slices.ContainsFunc(patterns, func(p string) bool { return Match(p, pkg) })
}

// Check returns one error per import of imports (each package's imports of
// the module's own packages, relative paths) that a rule forbids, sorted.
func Check(rules []Rule, imports map[string][]string) []error {
	var errs []error
	pkgs := make([]string, 0, len(imports))
	for p := range imports {
		pkgs = append(pkgs, p)
	}
	slices.Sort(pkgs)
	for _, from := range pkgs {
		for _, to := range imports[from] {
			if to == from {
				continue
			}
			for _, r := range rules {
				if Match(r.From, from) && matchAny(r.Never, to) && !matchAny(r.Except, to) {
					errs = append(errs, fmt.Errorf("%s imports %s: %s", from, to, r.Why))
					break
				}
			}
		}
	}
	return errs
}
