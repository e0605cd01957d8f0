package engine_test

import (
	"testing"
	"testing/synctest"
	"time"

	"github.com/loadrun/loadrun/engine"
	"github.com/loadrun/loadrun/schedule"
)

const oneRequest = `
users:
  - name: u
    wait: {constant: 100ms}
    tasks:
      - steps:
          - request: {url: /api/items}
`

// TestStagesFollowTheSchedule ramps users along closed-model stages against
// the demo target, in virtual time, and reads the users over time from the
// stats history: up to 9 in 2.5 s, hold 2 s, down to 0 in 2.5 s. (No
// change falls on a whole second, where the stats tick: two timers at one
// instant run in either order.)
func TestStagesFollowTheSchedule(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		_, dial := virtualDemo(t)
		plan := compile(t, oneRequest, vhost)
		r := engine.NewRunner(plan, engine.Options{Dial: dial})
		ramp := 2500 * time.Millisecond
		sh := &engine.Shape{Schedule: schedule.Stages([]schedule.Stage{{Duration: ramp, Target: 9}, {Duration: 2 * time.Second, Target: 9}, {Duration: ramp, Target: 0}})}
		if err := r.StartShape(sh); err != nil {
			t.Fatal(err)
		}
		<-r.Done()
		snap := r.Snapshot()
		var users []int
		for _, p := range snap.History {
			users = append(users, p.Users)
		}
		t.Logf("users per second: %v", users)
		// floor(9·t/2.5) rising, then 9, then floor(9 − 9·(t−4.5)/2.5).
		want := []int{3, 7, 9, 9, 7, 3}
		if len(users) < len(want) {
			t.Fatalf("history %v, want %v", users, want)
		}
		for i, w := range want {
			if users[i] != w {
				t.Errorf("second %d: %d users, want %d (history %v)", i+1, users[i], w, users)
			}
		}
		if last := users[len(users)-1]; last != 0 {
			t.Errorf("the run ended with %d users, want 0", last)
		}
		if start, end := r.Times(); end.Sub(start) != 7*time.Second {
			got := end.Sub(start)
			t.Errorf("the run lasted %s, want the schedule's 7s", got)
		}
	})
}

// TestFixedCount runs a closed-model ramp where one user type has a
// fixed_count: exactly that many users of it run, however many users
// there are, and the weights share the rest (server side: distinct users
// per path).
func TestFixedCount(t *testing.T) {
	var rec recorder
	src := `
users:
  - name: admin
    fixed_count: 1
    weight: 100
    wait: {constant: 100ms}
    tasks: [{steps: [{request: {url: "/admin?u=${user_id}"}}]}]
  - name: shopper
    wait: {constant: 100ms}
    tasks: [{steps: [{request: {url: "/shop?u=${user_id}"}}]}]
`
	synctest.Test(t, func(t *testing.T) {
		dial := virtualHost(t, rec.wrap(nil))
		r := engine.NewRunner(compile(t, src, vhost), engine.Options{Dial: dial})
		sh := &engine.Shape{Schedule: schedule.Stages([]schedule.Stage{{Duration: 500 * time.Millisecond, Target: 6}, {Duration: time.Second, Target: 6}})}
		if err := r.StartShape(sh); err != nil {
			t.Fatal(err)
		}
		<-r.Done()
	})
	users := map[string]map[string]bool{}
	for _, h := range rec.all() {
		if users[h.path] == nil {
			users[h.path] = map[string]bool{}
		}
		users[h.path][h.user] = true
	}
	if len(users["/admin"]) != 1 || len(users["/shop"]) != 5 {
		t.Errorf("%d admin users and %d shoppers, want 1 and 5 (fixed_count 1 despite its weight of 100)", len(users["/admin"]), len(users["/shop"]))
	}
}
