package rendezvous

import (
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/loadrun/loadrun/scenario"
)

func TestRuleNeeded(t *testing.T) {
	tests := []struct {
		rule  Rule
		alive int
		want  int
	}{
		// A count does not depend on the population.
		{Rule{Count: 50}, 10, 50},
		// Half of 40.
		{Rule{Percent: 50}, 40, 20},
		// A fraction of a user rounds up: 50% of 5 is 3.
		{Rule{Percent: 50}, 5, 3},
		// Binary rounding must not ask for a user more: 10% of 30 is 3, not 4.
		{Rule{Percent: 10}, 30, 3},
		// A third of 3 is 1 even though 33.333...% of 3 is 0.99999.
		{Rule{Percent: 100.0 / 3}, 3, 1},
		// Never less than one user, even with nobody alive.
		{Rule{Percent: 50}, 0, 1},
		// 100% is everyone.
		{Rule{Percent: 100}, 37, 37},
		// A tiny percentage of a few users is still one user.
		{Rule{Percent: 0.1}, 10, 1},
	}
	for _, tt := range tests {
		if got := tt.rule.Needed(tt.alive); got != tt.want {
			t.Errorf("%+v.Needed(%d) = %d, want %d", tt.rule, tt.alive, got, tt.want)
		}
	}
}

func TestRuleReady(t *testing.T) {
	tests := []struct {
		rule       Rule
		waiting    int
		alive      int
		wantReason Reason
		wantOK     bool
	}{
		// Nobody waiting is never a group, whatever the population.
		{Rule{Count: 1}, 0, 0, 0, false},
		// Still gathering.
		{Rule{Count: 50}, 49, 200, 0, false},
		// Full.
		{Rule{Count: 50}, 50, 200, ByCount, true},
		// Everyone alive is here but the group cannot fill: shortfall.
		{Rule{Count: 50}, 10, 10, ByShortfall, true},
		// More waiting than the engine counts alive (a stop being reported): shortfall.
		{Rule{Count: 50}, 10, 9, ByShortfall, true},
		// Fewer alive than needed but some of them are elsewhere: keep waiting.
		{Rule{Count: 50}, 9, 10, 0, false},
		// Full beats shortfall when both hold.
		{Rule{Count: 10}, 10, 10, ByCount, true},
		// Percent of the population.
		{Rule{Percent: 50}, 20, 40, ByCount, true},
		// Percent not reached.
		{Rule{Percent: 50}, 19, 40, 0, false},
		// The population shrank: 15 is half of 30.
		{Rule{Percent: 50}, 15, 30, ByCount, true},
		// A count barrier without a population never falls short.
		{Rule{Count: 50}, 49, math.MaxInt, 0, false},
	}
	for _, tt := range tests {
		gotReason, gotOK := tt.rule.Ready(tt.waiting, tt.alive)
		if gotReason != tt.wantReason || gotOK != tt.wantOK {
			t.Errorf("%+v.Ready(%d, %d) = %v, %v, want %v, %v",
				tt.rule, tt.waiting, tt.alive, gotReason, gotOK, tt.wantReason, tt.wantOK)
		}
	}
}

func TestValidate(t *testing.T) {
	pos := scenario.Pos{File: "sale.yaml", Line: 7, Col: 9}
	tests := []struct {
		name string
		def  scenario.Rendezvous
		// want holds the messages expected, in order; none means valid.
		want []string
	}{
		{"count", scenario.Rendezvous{Pos: pos, Name: "buy", Count: 50, Timeout: 10 * time.Second}, nil},
		{"percent and last policy", scenario.Rendezvous{Pos: pos, Name: "buy", Percent: 100, Policy: "last"}, nil},
		{"no name", scenario.Rendezvous{Pos: pos, Count: 5},
			[]string{"sale.yaml:7:9: rendezvous needs a name"}},
		{"both sizes", scenario.Rendezvous{Pos: pos, Name: "buy", Count: 5, Percent: 50},
			[]string{`sale.yaml:7:9: rendezvous "buy": give count or percent, not both`}},
		{"no size", scenario.Rendezvous{Pos: pos, Name: "buy"},
			[]string{`sale.yaml:7:9: rendezvous "buy" needs count or percent`}},
		{"negative count", scenario.Rendezvous{Pos: pos, Name: "buy", Count: -3},
			[]string{`sale.yaml:7:9: rendezvous "buy": count must be at least 1, got -3`}},
		{"percent over 100", scenario.Rendezvous{Pos: pos, Name: "buy", Percent: 150},
			[]string{`sale.yaml:7:9: rendezvous "buy": percent must be more than 0 and at most 100, got 150`}},
		{"percent NaN", scenario.Rendezvous{Pos: pos, Name: "buy", Percent: math.NaN()},
			[]string{`sale.yaml:7:9: rendezvous "buy": percent must be more than 0 and at most 100, got NaN`}},
		{"negative percent", scenario.Rendezvous{Pos: pos, Name: "buy", Percent: -5},
			[]string{`sale.yaml:7:9: rendezvous "buy": percent must be more than 0 and at most 100, got -5`}},
		{"every problem at once", scenario.Rendezvous{Pos: pos, Name: "buy", Count: 5, Timeout: -time.Second, Policy: "frist"},
			[]string{
				`sale.yaml:7:9: rendezvous "buy": timeout must not be negative, got -1s`,
				`sale.yaml:7:9: rendezvous "buy": policy must be "first" or "last", got "frist"`,
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Validate(&tt.def)
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			var list scenario.ErrorList
			if !errors.As(err, &list) {
				t.Fatalf("Validate() = %v (%T), want a scenario.ErrorList", err, err)
			}
			got := strings.Split(err.Error(), "\n")
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("Validate() =\n%s\nwant\n%s", err, strings.Join(tt.want, "\n"))
			}
		})
	}
	if err := Validate(nil); err == nil {
		t.Error("Validate(nil) = nil, want an error")
	}
}

func TestNewRejects(t *testing.T) {
	// A percent of an unknown population cannot be computed.
	if _, err := New(&scenario.Rendezvous{Name: "buy", Percent: 50}, nil, nil); err == nil {
		t.Error("New(percent, nil population) = nil error, want one")
	}
	// An invalid definition is not made into a barrier.
	if b, err := New(&scenario.Rendezvous{Name: "buy"}, nil, nil); err == nil || b != nil {
		t.Errorf("New(no size) = %v, %v, want nil and an error", b, err)
	}
}
