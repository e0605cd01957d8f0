package engine

import (
	"fmt"
	"slices"
	"testing"

	"github.com/loadrun/loadrun/scenario"
)

// TestSplitUsers checks how users are shared between user types: fixed
// counts first, in file order, then the weights share the rest exactly.
func TestSplitUsers(t *testing.T) {
	tests := []struct {
		name    string
		weights []int
		fixed   []int // 0: by weight
		n       int
		want    []int
	}{
		// Weights alone (8 at 3:1 are 6 and 2).
		{"weights", []int{3, 1}, []int{0, 0}, 8, []int{6, 2}},
		// One fixed type takes its count; the others share the rest 1:3.
		{"fixed first", []int{1, 1, 3}, []int{2, 0, 0}, 10, []int{2, 2, 6}},
		// Fewer users than the fixed counts: the first fixed types get them.
		{"short", []int{1, 1, 1}, []int{2, 3, 0}, 4, []int{2, 2, 0}},
		// Every type fixed: no more than their counts run.
		{"all fixed", []int{1, 1}, []int{1, 2}, 10, []int{1, 2}},
		// No users.
		{"none", []int{1, 1}, []int{1, 0}, 0, []int{0, 0}},
	}
	for _, tc := range tests {
		plan := &Plan{Scenario: &scenario.Scenario{}}
		for i, w := range tc.weights {
			plan.users = append(plan.users, &userPlan{name: fmt.Sprint(i), weight: w})
			plan.Scenario.Users = append(plan.Scenario.Users, &scenario.UserType{Weight: w, FixedCount: tc.fixed[i]})
		}
		if got := splitUsers(plan, tc.n); !slices.Equal(got, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}
