package rendezvous

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"github.com/loadrun/loadrun/scenario"
)

func TestSetAdd(t *testing.T) {
	at := func(line int) scenario.Pos { return scenario.Pos{File: "sale.yaml", Line: line, Col: 9} }
	first := &scenario.Rendezvous{Pos: at(7), Name: "buy", Count: 50, Timeout: 10 * time.Second}
	tests := []struct {
		name string
		def  *scenario.Rendezvous
		// same says Add returns the first "buy" barrier; want is the error otherwise.
		same bool
		want string
	}{
		// The same definition in another task meets at the same barrier.
		{"same definition", &scenario.Rendezvous{Pos: at(20), Name: "buy", Count: 50, Timeout: 10 * time.Second}, true, ""},
		// An explicit "first" policy is the default one.
		{"default policy spelled out", &scenario.Rendezvous{Pos: at(21), Name: "buy", Count: 50, Timeout: 10 * time.Second, Policy: "first"}, true, ""},
		// Another name is another barrier.
		{"other name", &scenario.Rendezvous{Pos: at(22), Name: "pay", Count: 50}, false, ""},
		// A different count for the same name is a mistake in the scenario.
		{"different count", &scenario.Rendezvous{Pos: at(23), Name: "buy", Count: 5, Timeout: 10 * time.Second}, false,
			`sale.yaml:23:9: rendezvous "buy" is defined differently at sale.yaml:7:9 (count 50, timeout 10s, policy first); every step naming it must agree, here: count 5, timeout 10s, policy first`},
		// So is a different policy.
		{"different policy", &scenario.Rendezvous{Pos: at(24), Name: "buy", Count: 50, Timeout: 10 * time.Second, Policy: "last"}, false,
			`sale.yaml:24:9: rendezvous "buy" is defined differently at sale.yaml:7:9 (count 50, timeout 10s, policy first); every step naming it must agree, here: count 50, timeout 10s, policy last`},
		// An invalid definition is reported as Validate does.
		{"invalid", &scenario.Rendezvous{Pos: at(25), Name: "buy", Percent: 120}, false,
			`sale.yaml:25:9: rendezvous "buy": percent must be more than 0 and at most 100, got 120`},
	}
	set := NewSet(newPopulation(100), nil)
	buy, err := set.Add(first)
	if err != nil {
		t.Fatalf("Add(first): %v", err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := set.Add(tt.def)
			switch {
			case tt.want != "":
				if err == nil || err.Error() != tt.want {
					t.Errorf("Add() error = %v, want %s", err, tt.want)
				}
			case err != nil:
				t.Errorf("Add() error = %v, want nil", err)
			case (got == buy) != tt.same:
				t.Errorf("Add() returned the first barrier: %v, want %v", got == buy, tt.same)
			}
		})
	}
	if set.Get("buy") != buy || set.Get("nope") != nil {
		t.Error("Get does not find the barriers by name")
	}
	if buy.Name() != "buy" {
		t.Errorf("Name() = %q, want buy", buy.Name())
	}
}

// TestSetFanOut tells every barrier of the set about stops and the end.
func TestSetFanOut(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		pop := newPopulation(10)
		set := NewSet(pop, nil)
		buy, err := set.Add(&scenario.Rendezvous{Name: "buy", Count: 10, Timeout: time.Minute})
		if err != nil {
			t.Fatal(err)
		}
		pay, err := set.Add(&scenario.Rendezvous{Name: "pay", Count: 10, Timeout: time.Minute})
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		out := make(chan outcome, 10)
		for range 4 {
			arrive(context.Background(), buy, 0, out)
		}
		for range 4 {
			arrive(context.Background(), pay, 0, out)
		}
		time.Sleep(time.Second)
		synctest.Wait()
		// Six users stop: the four at each barrier are all that is left there.
		pop.n.Store(4)
		set.PopulationChanged()
		for range 8 {
			if o := <-out; o.err != nil || o.rel.Reason != ByShortfall || o.rel.Size != 4 || o.at.Sub(start) != time.Second {
				t.Errorf("release = %+v, %v after %v, want by shortfall, size 4 after 1s", o.rel, o.err, o.at.Sub(start))
			}
		}
		arrive(context.Background(), buy, 0, out)
		arrive(context.Background(), pay, 0, out)
		synctest.Wait()
		set.Close()
		for range 2 {
			if o := <-out; o.err != nil || o.rel.Reason != ByShortfall || o.rel.Size != 1 {
				t.Errorf("release at close = %+v, %v, want by shortfall, size 1", o.rel, o.err)
			}
		}
		if _, err := pay.Wait(context.Background()); !errors.Is(err, ErrClosed) {
			t.Errorf("Wait after Close = %v, want ErrClosed", err)
		}
	})
}
