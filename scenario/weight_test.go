package scenario_test

import (
	"strings"
	"testing"

	"github.com/loadrun/loadrun/scenario"
)

// TestWeightBound: a weight above scenario.MaxWeight is an error at the
// weight's position; before the bound, weight 2147483647 made loading
// allocate a 17 GB task table.
func TestWeightBound(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want string // "" = no error
	}{
		// The largest weight allowed.
		{"max task weight", "users:\n  - name: a\n    tasks:\n      - {weight: 1000000, steps: [{think: 1s}]}\n", ""},
		// A task weight past it, at the value's line and column.
		{"task weight", "users:\n  - name: a\n    tasks:\n      - weight: 2147483647\n        steps: [{think: 1s}]\n", "f.yaml:4:17: weight: at most 1000000, got 2147483647"},
		// A user type's weight past it.
		{"user weight", "users:\n  - name: a\n    weight: 1000001\n    tasks: [{steps: [{think: 1s}]}]\n", "f.yaml:3:13: weight: at most 1000000, got 1000001"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := scenario.Parse("f.yaml", []byte(tt.src))
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("unexpected error: %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("error %v, want %q", err, tt.want)
			}
		})
	}
}
