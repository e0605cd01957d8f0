package rendezvous

import (
	"fmt"
	"sync"

	"github.com/loadrun/loadrun/scenario"
)

// Set holds the barriers of one run by name: steps in different tasks or
// user types that name the same rendezvous meet at the same barrier. The
// engine fills it while compiling and fans population changes and the end of
// the run out to every barrier.
type Set struct {
	pop    Population
	report func(Group)

	mu     sync.Mutex
	byName map[string]*Local
	defs   map[string]*scenario.Rendezvous
	all    []*Local
}

// NewSet makes an empty set whose barriers share pop and report (see New).
func NewSet(pop Population, report func(Group)) *Set {
	return &Set{
		pop:    pop,
		report: report,
		byName: map[string]*Local{},
		defs:   map[string]*scenario.Rendezvous{},
	}
}

// Add returns the barrier for def's name, making it on first use. Every step
// naming a rendezvous must define it alike (count, percent, timeout, policy);
// a step that does not gets an error at its position pointing to the first.
func (s *Set) Add(def *scenario.Rendezvous) (*Local, error) {
	if err := Validate(def); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if b, ok := s.byName[def.Name]; ok {
		first := s.defs[def.Name]
		if !sameDefinition(first, def) {
			return nil, scenario.ErrorList{scenario.Errorf(def.Pos,
				"rendezvous %q is defined differently at %s (%s); every step naming it must agree, here: %s",
				def.Name, first.Pos, describe(first), describe(def))}
		}
		return b, nil
	}
	b, err := New(def, s.pop, s.report)
	if err != nil {
		return nil, err
	}
	s.byName[def.Name] = b
	s.defs[def.Name] = def
	s.all = append(s.all, b)
	return b, nil
}

// Get returns the barrier named name, or nil when none was added.
func (s *Set) Get(name string) *Local {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.byName[name]
}

// PopulationChanged tells every barrier that users stopped or started.
func (s *Set) PopulationChanged() {
	for _, b := range s.barriers() {
		b.PopulationChanged()
	}
}

// Close releases every barrier's waiters for the end of the run.
func (s *Set) Close() {
	for _, b := range s.barriers() {
		b.Close()
	}
}

// barriers copies the list so that no barrier is called with the set locked.
func (s *Set) barriers() []*Local {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*Local(nil), s.all...)
}

// sameDefinition compares what decides releases; an empty policy is "first".
func sameDefinition(a, b *scenario.Rendezvous) bool {
	policy := func(p string) string {
		if p == "" {
			return "first"
		}
		return p
	}
	return a.Count == b.Count && a.Percent == b.Percent && a.Timeout == b.Timeout &&
		policy(a.Policy) == policy(b.Policy)
}

// describe renders the parts of a definition that sameDefinition compares.
func describe(d *scenario.Rendezvous) string {
	size := fmt.Sprintf("count %d", d.Count)
	if d.Count == 0 {
		size = fmt.Sprintf("percent %g", d.Percent)
	}
	timeout := "default timeout"
	if d.Timeout > 0 {
		timeout = "timeout " + d.Timeout.String()
	}
	policy := d.Policy
	if policy == "" {
		policy = "first"
	}
	return size + ", " + timeout + ", policy " + policy
}
