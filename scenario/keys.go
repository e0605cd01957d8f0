package scenario

import (
	"fmt"
	"sort"
	"strings"

	"github.com/loadrun/loadrun/internal/suggest"
)

// knownKeys lists, for each kind of mapping in a scenario file, the keys the
// parser accepts, in the order the documentation shows them. It is the single
// table the parser checks unknown keys against, and the schema test compares
// it with schema/scenario.schema.json (each kind is a definition there), so a
// key added here without a schema entry fails a test.
var knownKeys = map[string][]string{
	"scenario":   {"name", "description", "host", "http2", "tls", "vars", "data", "load", "users", "thresholds"},
	"tls":        {"cert", "key", "ca", "full_handshakes"},
	"pool":       {"file", "rows", "format", "mode", "on_exhausted", "timeout", "delimiter", "no_header", "columns"},
	"user":       {"name", "weight", "fixed_count", "host", "http2", "wait", "on_start", "tasks", "on_stop"},
	"task":       {"name", "weight", "wait", "steps"},
	"wait":       {"min", "max", "constant", "pacing"},
	"think":      {"min", "max", "constant"},
	"step":       {"name", "on_failure", "request", "think", "log", "set", "use", "rendezvous"},
	"request":    {"method", "url", "name", "headers", "query", "form", "json", "body", "timeout", "follow_redirects", "extract", "check"},
	"use":        {"pool"},
	"rendezvous": {"name", "count", "percent", "timeout", "policy"},
	"extract":    {"var", "regex", "jsonpath", "xpath", "header", "cookie", "left", "right", "status", "group", "match", "default"},
	"check":      {"name", "status", "contains", "not_contains", "regex", "jsonpath", "xpath", "header", "max_time", "expr", "equals", "not_equals", "<", "<=", ">", ">=", "in", "matches"},
	"threshold":  {"request", "rule", "abort", "grace"},
	"load":       {"stages", "arrival_rate", "duration", "max_users", "arrivals"},
	"stage":      {"duration", "users", "rate"},
}

// kindNames are how messages name each mapping kind.
var kindNames = map[string]string{
	"scenario":   "the scenario",
	"tls":        "tls",
	"pool":       "a data pool",
	"user":       "a user type",
	"task":       "a task",
	"wait":       "a wait",
	"think":      "a think time",
	"step":       "a step",
	"request":    "a request",
	"use":        "use",
	"rendezvous": "a rendezvous",
	"extract":    "an extract",
	"check":      "a check",
	"threshold":  "a threshold",
	"load":       "load",
	"stage":      "a load stage",
}

// stepKinds are the step keys that say what a step does; exactly one is set.
var stepKinds = []string{"request", "think", "log", "set", "use", "rendezvous"}

// extractSources are the extract keys that say where a value comes from
// (left and right together make one source, "boundary").
var extractSources = []string{"regex", "jsonpath", "xpath", "header", "cookie", "left", "status"}

// checkKinds are the check keys that say what is checked. contains and
// not_contains double as comparators after a kind that finds a value.
var checkKinds = []string{"status", "contains", "not_contains", "regex", "jsonpath", "xpath", "header", "max_time", "expr"}

// comparators compare the value a jsonpath, xpath, header or regex check found.
var comparators = []string{"equals", "not_equals", "<", "<=", ">", ">=", "in", "matches", "contains", "not_contains"}

// Enumerations of values, shared with the schema test.
var (
	poolModes       = []string{string(Cycle), string(UniqueOnce), string(UniqueRecycle), string(Random)}
	exhaustPolicies = []string{string(StopVirtualUser), string(StopTest)}
	onFailures      = []string{string(Continue), string(EndIteration), string(StopUser)}
	policies        = []string{"first", "last"}
	formats         = []string{"csv", "json"}
	matchWords      = []string{"first", "last", "random", "all"}
	arrivalKinds    = []string{string(ArrivalsConstant), string(ArrivalsPoisson)}
)

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// unknownKey explains an unknown key: the closest known key when one is
// near enough to be a typo, else the whole list so the user sees the choices.
func unknownKey(kind, key string) string {
	known := knownKeys[kind]
	if best := closest(key, known); best != "" {
		return fmt.Sprintf("unknown key %q in %s; did you mean %q?", key, kindNames[kind], best)
	}
	sorted := append([]string(nil), known...)
	sort.Strings(sorted)
	return fmt.Sprintf("unknown key %q in %s (known keys: %s)", key, kindNames[kind], strings.Join(sorted, ", "))
}

// closest returns the candidate nearest to s when it is a plausible typo.
func closest(s string, candidates []string) string { return suggest.Closest(s, candidates) }
