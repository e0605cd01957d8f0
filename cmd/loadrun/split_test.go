package main

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/loadrun/loadrun/cluster"
	"github.com/loadrun/loadrun/engine"
)

// TestMasterSplitIsOneProcess: the per-type users a master deals to its
// workers (cluster.TypeCounts, from the scenario's weights and fixed
// counts as master.go reads them) are those of one process with the same
// -u (engine's split), for random scenarios and every count up to 60. The
// two are written apart because the cluster may not import the engine.
func TestMasterSplitIsOneProcess(t *testing.T) {
	rnd := rand.New(rand.NewPCG(1, 2))
	for c := range 200 {
		var src strings.Builder
		src.WriteString("host: http://127.0.0.1:1\nusers:\n")
		types := 1 + rnd.IntN(5)
		for i := range types {
			fmt.Fprintf(&src, "  - name: T%d\n    weight: %d\n", i, 1+rnd.IntN(7))
			if rnd.IntN(3) == 0 {
				fmt.Fprintf(&src, "    fixed_count: %d\n", 1+rnd.IntN(4))
			}
			src.WriteString("    tasks: [{steps: [{request: {url: /}}]}]\n")
		}
		plan, err := engine.ParsePlan("split.yaml", []byte(src.String()), t.TempDir(), engine.CompileOptions{})
		if err != nil {
			t.Fatalf("case %d: %v\n%s", c, err, src.String())
		}
		var weights []int
		for _, u := range plan.Scenario.Users {
			weights = append(weights, u.Weight)
		}
		fixed := fixedCounts(plan.Scenario)
		for n := range 61 {
			one, master := plan.SplitUsers(n), cluster.TypeCounts(n, weights, fixed)
			if !slices.Equal(one, master) {
				t.Fatalf("case %d, %d users: one process %v, a master %v\n%s", c, n, one, master, src.String())
			}
		}
	}
}
