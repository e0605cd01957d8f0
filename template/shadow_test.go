package template

import (
	"errors"
	"reflect"
	"testing"

	"github.com/loadrun/loadrun/scenario"
)

// TestVariablesShadowFunctions: a user variable may be named like a
// function (count and len are expr built-ins, now and upper functions):
// read as a value it is the variable, called it is the function. README's
// `set: {count: "${count + 1}"}` depends on it.
func TestVariablesShadowFunctions(t *testing.T) {
	v := Vars{"count": 3, "len": 4, "now": "n", "upper": "u"}
	tests := []struct {
		text string
		want any
	}{
		// README's counter: count is the variable.
		{"${count + 1}", 4},
		// Alone, on the fast path.
		{"${count}", 3},
		// An expr built-in's name as a variable.
		{"${len * 2}", 8},
		// Called, the built-in is still the built-in; read, the variable.
		{`${len("abc") + count}`, 6},
		// One of our functions called with a variable of a function's name.
		{"${upper(now)}", "N"},
		// A built-in called with a predicate is untouched.
		{"${count(1..5, # > 2)}", 3},
		// A default for a shadowing variable.
		{"${count ?? 0}", 3},
	}
	for _, tt := range tests {
		tpl, err := Compile(scenario.Template{Text: tt.text})
		if err != nil {
			t.Errorf("Compile(%q): %v", tt.text, err)
			continue
		}
		got, err := tpl.Value(v)
		if err != nil {
			t.Errorf("Value(%q): %v", tt.text, err)
			continue
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Value(%q) = %#v, want %#v", tt.text, got, tt.want)
		}
	}
}

// TestShadowingVariableUnset: a shadowing variable that is not set is an
// unset variable like any other (never the function), and it is in Refs.
func TestShadowingVariableUnset(t *testing.T) {
	tpl, err := Compile(scenario.Template{Text: "${count + 1}"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = tpl.Value(Vars{})
	var unset *UnsetError
	if !errors.As(err, &unset) || unset.Var != "count" {
		t.Errorf("got %v, want count unset", err)
	}
	if refs := tpl.Refs(); len(refs) != 1 || refs[0].Var != "count" {
		t.Errorf("refs %+v, want count", refs)
	}
	// The default still applies.
	tpl, err = Compile(scenario.Template{Text: "${count ?? 7}"})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := tpl.Value(Vars{}); err != nil || got != 7 {
		t.Errorf("got %v, %v; want 7", got, err)
	}
}
