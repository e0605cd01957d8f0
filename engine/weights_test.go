package engine

import (
	"runtime"
	"testing"

	"github.com/loadrun/loadrun/scenario"
)

// TestTaskPickByWeight: pickTask maps each number below the total weight
// to the task whose share holds it, so IntN(total) is a weighted choice.
func TestTaskPickByWeight(t *testing.T) {
	up := &userPlan{cumWeights: []int{3, 4, 1000004}} // weights 3, 1, 1000000
	tests := []struct{ r, want int }{
		{0, 0},       // first of task 0's 3
		{2, 0},       // last of task 0's 3
		{3, 1},       // task 1's only number
		{4, 2},       // first of task 2's million
		{1000003, 2}, // last number below the total
	}
	for _, tt := range tests {
		if got := up.pickTask(tt.r); got != tt.want {
			t.Errorf("pickTask(%d) = %d, want %d", tt.r, got, tt.want)
		}
	}
}

// TestHugeWeightCostsNothing compiles tasks with the largest weights
// allowed: compiling takes no memory in proportion to the weights (the old
// table took 8 bytes per unit of weight, 17 GB for 2147483647).
func TestHugeWeightCostsNothing(t *testing.T) {
	src := "users:\n  - name: a\n    tasks:\n      - {weight: 1000000, steps: [{think: 1s}]}\n      - {weight: 1000000, steps: [{think: 1s}]}\n"
	sc, err := scenario.Parse("f.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	if _, err := Compile(sc, CompileOptions{}); err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&after)
	if n := after.TotalAlloc - before.TotalAlloc; n > 1<<20 {
		t.Errorf("compiling allocated %d bytes, want under 1 MiB", n)
	}
}
