package engine

import "github.com/loadrun/loadrun/stats"

// checkOrder lists the plan's checkpoints in scenario order (each user
// type's on_start, tasks and on_stop, steps in order), so that reports
// list them as the scenario reads. A request whose name is a template has
// no fixed row, so its checks are left to the reports' default order.
func (p *Plan) checkOrder() []stats.CheckID {
	var out []stats.CheckID
	add := func(steps []step) {
		for _, st := range steps {
			r, ok := st.(*requestStep)
			if !ok || r.name != nil {
				continue
			}
			for _, c := range r.checks {
				out = append(out, stats.CheckID{Request: stats.Key{Method: r.method, Name: r.staticName}, Name: c.Name()})
			}
		}
	}
	for _, u := range p.users {
		add(u.onStart)
		for _, t := range u.tasks {
			add(t.steps)
		}
		add(u.onStop)
	}
	return out
}
