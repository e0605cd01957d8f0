package scenario

import (
	"cmp"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

const schemaPath = "../schema/scenario.schema.json"

func loadSchema(t *testing.T) map[string]any {
	t.Helper()
	data, err := os.ReadFile(schemaPath)
	if err != nil {
		t.Fatal(err)
	}
	var s map[string]any
	if err := json.Unmarshal(data, &s); err != nil {
		t.Fatalf("%s: %v", schemaPath, err)
	}
	return s
}

// schemaObject finds the object schema of a mapping kind: the root for the
// scenario, a definition of the same name for the others.
func schemaObject(t *testing.T, root map[string]any, kind string) map[string]any {
	t.Helper()
	if kind == "scenario" {
		return root
	}
	defs, _ := root["definitions"].(map[string]any)
	obj, ok := defs[kind].(map[string]any)
	if !ok {
		t.Fatalf("schema has no definitions/%s for the parser's %q keys", kind, kind)
	}
	return obj
}

// TestSchemaMatchesKeyTables keeps the schema and the parser in step: each
// mapping kind's properties in the schema are exactly the parser's keys,
// and the schema rejects other keys as the parser does.
func TestSchemaMatchesKeyTables(t *testing.T) {
	root := loadSchema(t)
	for kind, keys := range knownKeys {
		obj := schemaObject(t, root, kind)
		props, _ := obj["properties"].(map[string]any)
		var got []string
		for k := range props {
			got = append(got, k)
		}
		sort.Strings(got)
		want := slices.Clone(keys)
		sort.Strings(want)
		if !slices.Equal(got, want) {
			t.Errorf("%s: schema properties %v, parser keys %v", kind, got, want)
		}
		if obj["additionalProperties"] != false {
			t.Errorf("%s: schema allows unknown keys, the parser does not", kind)
		}
	}
}

// TestSchemaEnums checks that enumerated values agree with the parser's.
func TestSchemaEnums(t *testing.T) {
	root := loadSchema(t)
	tests := []struct {
		kind, key string
		want      []string
	}{
		// Pool modes and policies.
		{"pool", "mode", poolModes},
		{"pool", "on_exhausted", exhaustPolicies},
		{"pool", "format", formats},
		// Step failure handling.
		{"step", "on_failure", onFailures},
		// Rendezvous timeout policy.
		{"rendezvous", "policy", policies},
	}
	for _, tc := range tests {
		prop, _ := schemaObject(t, root, tc.kind)["properties"].(map[string]any)[tc.key].(map[string]any)
		var got []string
		for _, v := range asSlice(prop["enum"]) {
			got = append(got, fmt.Sprint(v))
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s.%s: schema enum %v, parser %v", tc.kind, tc.key, got, tc.want)
		}
	}
}

func asSlice(v any) []any { s, _ := v.([]any); return s }

// TestSchemaAcceptsExamples validates every sample file against the schema.
func TestSchemaAcceptsExamples(t *testing.T) {
	root := loadSchema(t)
	files, _ := filepath.Glob("testdata/*.yaml")
	more, _ := filepath.Glob("testdata/*.json")
	for _, f := range append(files, more...) {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var doc any
		if err := yaml.Unmarshal(data, &doc); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		w := &walker{root: root}
		w.validate(root, doc, "")
		for _, e := range w.errs {
			t.Errorf("%s: %s", f, e)
		}
	}
}

// TestSchemaRejectsStructuralErrors checks, on error cases the schema can
// see, that the schema agrees with the parser (and that the walker can fail).
func TestSchemaRejectsStructuralErrors(t *testing.T) {
	root := loadSchema(t)
	schemaVisible := []string{
		"top is a list", "weight not a number", "unknown key with suggestion",
		"unknown key without suggestion", "no users", "request without url",
		"user type without tasks", "extract without var", "extract without source",
		"zero weight", "negative task weight", "bad duration", "negative duration",
		"two kinds in one step", "step without kind", "unknown pool mode",
		"rendezvous without count or percent", "percent above 100", "percent zero",
		"json and form together", "set with bad variable name", "threshold without rule",
		"bad on_failure", "bad host", "bad method", "left without right", "bad status",
		"matches not a string", "comparator on status",
	}
	for _, tc := range errorCases {
		if !slices.Contains(schemaVisible, tc.name) {
			continue
		}
		var doc any
		if err := yaml.Unmarshal([]byte(tc.src), &doc); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		w := &walker{root: root}
		w.validate(root, doc, "")
		if len(w.errs) == 0 {
			t.Errorf("%s: the schema accepts what the parser rejects with %q", tc.name, tc.want[0])
		}
	}
}

// walker validates a decoded YAML document against the subset of JSON
// Schema draft-07 the loadrun schema uses. An unknown keyword is an error,
// so the schema cannot silently grow rules this walker ignores.
type walker struct {
	root map[string]any
	errs []string
}

// annotations are keywords that describe rather than constrain.
var annotations = map[string]bool{
	"$schema": true, "$id": true, "title": true, "description": true,
	"examples": true, "default": true, "definitions": true, "$comment": true,
}

func (w *walker) fail(path, format string, args ...any) {
	w.errs = append(w.errs, fmt.Sprintf("%s: %s", cmp.Or(path, "/"), fmt.Sprintf(format, args...)))
}

// valid runs a sub-schema without recording its errors (for oneOf, anyOf, not).
func (w *walker) valid(s any, v any, path string) bool {
	sub := &walker{root: w.root}
	sub.validate(s, v, path)
	return len(sub.errs) == 0
}

func (w *walker) validate(schema any, v any, path string) {
	s, ok := schema.(map[string]any)
	if !ok {
		w.fail(path, "schema is not an object: %v", schema)
		return
	}
	for key, arg := range s {
		switch key {
		case "$ref":
			name := strings.TrimPrefix(arg.(string), "#/definitions/")
			def, ok := w.root["definitions"].(map[string]any)[name]
			if !ok {
				w.fail(path, "dangling $ref %v", arg)
				continue
			}
			w.validate(def, v, path)
		case "type":
			types, ok := arg.([]any)
			if !ok {
				types = []any{arg}
			}
			if !slices.ContainsFunc(types, func(t any) bool { return hasType(v, t.(string)) }) {
				w.fail(path, "%s is not of type %v", show(v), arg)
			}
		case "enum":
			if !slices.ContainsFunc(asSlice(arg), func(e any) bool { return sameValue(e, v) }) {
				w.fail(path, "%s is not one of %v", show(v), arg)
			}
		case "const":
			if !sameValue(arg, v) {
				w.fail(path, "%s is not %v", show(v), arg)
			}
		case "pattern":
			if str, ok := v.(string); ok && !regexp.MustCompile(arg.(string)).MatchString(str) {
				w.fail(path, "%q does not match %s", str, arg)
			}
		case "minLength", "maxLength":
			if str, ok := v.(string); ok {
				n := len([]rune(str))
				if key == "minLength" && n < int(arg.(float64)) || key == "maxLength" && n > int(arg.(float64)) {
					w.fail(path, "%q: %s %v", str, key, arg)
				}
			}
		case "minimum", "maximum", "exclusiveMinimum":
			if f, ok := toFloat(v); ok {
				lim := arg.(float64)
				if key == "minimum" && f < lim || key == "maximum" && f > lim || key == "exclusiveMinimum" && f <= lim {
					w.fail(path, "%v breaks %s %v", f, key, lim)
				}
			}
		case "minItems":
			if list, ok := v.([]any); ok && len(list) < int(arg.(float64)) {
				w.fail(path, "needs at least %v items", arg)
			}
		case "items":
			for i, item := range asList(v) {
				w.validate(arg, item, fmt.Sprintf("%s/%d", path, i))
			}
		case "required":
			if m, ok := v.(map[string]any); ok {
				for _, r := range asSlice(arg) {
					if _, has := m[r.(string)]; !has {
						w.fail(path, "missing %q", r)
					}
				}
			}
		case "properties", "patternProperties", "additionalProperties", "propertyNames":
			// Handled together below, since they depend on one another.
		case "allOf":
			for _, sub := range asSlice(arg) {
				w.validate(sub, v, path)
			}
		case "anyOf", "oneOf":
			n := 0
			for _, sub := range asSlice(arg) {
				if w.valid(sub, v, path) {
					n++
				}
			}
			if n == 0 || key == "oneOf" && n > 1 {
				w.fail(path, "%s matches %d of the %s branches", show(v), n, key)
			}
		case "not":
			if w.valid(arg, v, path) {
				w.fail(path, "%s matches a forbidden form", show(v))
			}
		default:
			if !annotations[key] {
				w.fail(path, "the walker does not know keyword %q", key)
			}
		}
	}
	w.object(s, v, path)
}

// object applies properties, patternProperties, additionalProperties and
// propertyNames to a mapping.
func (w *walker) object(s map[string]any, v any, path string) {
	m, ok := v.(map[string]any)
	if !ok {
		return
	}
	props, _ := s["properties"].(map[string]any)
	patterns, _ := s["patternProperties"].(map[string]any)
	for k, val := range m {
		sub := path + "/" + k
		if names, ok := s["propertyNames"]; ok {
			w.validate(names, k, sub)
		}
		matched := false
		if p, ok := props[k]; ok {
			w.validate(p, val, sub)
			matched = true
		}
		for pat, p := range patterns {
			if regexp.MustCompile(pat).MatchString(k) {
				w.validate(p, val, sub)
				matched = true
			}
		}
		if matched {
			continue
		}
		switch extra := s["additionalProperties"].(type) {
		case bool:
			if !extra {
				w.fail(sub, "unknown key")
			}
		case map[string]any:
			w.validate(extra, val, sub)
		}
	}
}

func asList(v any) []any { l, _ := v.([]any); return l }

func toFloat(v any) (float64, bool) {
	switch n := v.(type) {
	case int:
		return float64(n), true
	case int64:
		return float64(n), true
	case uint64:
		return float64(n), true
	case float64:
		return n, true
	}
	return 0, false
}

func hasType(v any, t string) bool {
	switch t {
	case "object":
		_, ok := v.(map[string]any)
		return ok
	case "array":
		_, ok := v.([]any)
		return ok
	case "string":
		_, ok := v.(string)
		return ok
	case "boolean":
		_, ok := v.(bool)
		return ok
	case "null":
		return v == nil
	case "number":
		_, ok := toFloat(v)
		return ok
	case "integer":
		f, ok := toFloat(v)
		return ok && f == math.Trunc(f)
	}
	return false
}

func sameValue(a, b any) bool {
	fa, okA := toFloat(a)
	fb, okB := toFloat(b)
	if okA || okB {
		return okA && okB && fa == fb
	}
	return a == b
}

func show(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}
