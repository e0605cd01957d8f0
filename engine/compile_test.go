package engine_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/loadrun/loadrun/engine"
	"github.com/loadrun/loadrun/scenario"
)

// TestRendezvousDefinedAlike: steps that name one rendezvous meet at one
// barrier, so they must define it alike; a step that does not is a load
// error at its own position that points at the first definition.
func TestRendezvousDefinedAlike(t *testing.T) {
	src := `host: http://127.0.0.1:1
users:
  - name: U
    tasks:
      - steps:
          - rendezvous: {name: buy, count: 5}
          - rendezvous: {name: buy, count: 5}
          - rendezvous: {name: buy, count: 6}
`
	sc, err := scenario.Parse("rz.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	_, err = engine.Compile(sc, engine.CompileOptions{})
	var list scenario.ErrorList
	if !errors.As(err, &list) || len(list) != 1 {
		t.Fatalf("got %v, want exactly one error", err)
	}
	got := list[0].Error()
	for _, want := range []string{"rz.yaml:8:25:", `rendezvous "buy"`, "rz.yaml:6:25"} {
		if !strings.Contains(got, want) {
			t.Errorf("error %q, want it to contain %q", got, want)
		}
	}
}
