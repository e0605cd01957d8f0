package engine_test

import (
	"maps"
	"slices"
	"strconv"
	"testing"
	"testing/synctest"
	"time"

	"github.com/loadrun/loadrun/engine"
)

// TestClosedModelSetUsersMidRamp changes the users of a closed-model run in
// virtual time: a change during the ramp-up starts a new ramp at the new
// rate from that instant, and a change down stops the newest users. The
// run's state, users and Alive show each change when SetUsers returns.
func TestClosedModelSetUsersMidRamp(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var rc recorder
		dial := virtualHost(t, rc.wrap(nil))
		src := `
users:
  - name: U
    wait: {constant: 1h}
    on_start: [{request: {url: "/hi?u=${user_id}"}}]
    tasks: [{steps: [{think: 1ms}]}]
    on_stop: [{request: {url: "/bye?u=${user_id}"}}]
`
		begin := time.Now()
		r := start(t, src, vhost, 4, 2, engine.Options{Dial: dial})
		check := func(when string, state engine.State, running, target, alive int) {
			t.Helper()
			gotRunning, gotTarget := r.Users()
			if r.State() != state || gotRunning != running || gotTarget != target || r.Alive() != alive {
				t.Errorf("%s: %s with %d of %d users, %d alive; want %s with %d of %d, %d alive",
					when, r.State(), gotRunning, gotTarget, r.Alive(), state, running, target, alive)
			}
		}
		// 4 users at 2/s start at 0, 0.5 s, 1 s and 1.5 s; the users still
		// to come count in Alive from the start. (synctest.Wait lets the
		// executor's goroutine start the users due at this instant.)
		synctest.Wait()
		check("at the start", engine.Spawning, 1, 4, 4)
		time.Sleep(1200 * time.Millisecond)
		synctest.Wait()
		check("at 1.2 s", engine.Spawning, 3, 4, 4)
		// 3 more at 10/s from now: at 1.2 s, 1.3 s and 1.4 s.
		if err := r.SetUsers(6, 10); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		check("after SetUsers(6, 10)", engine.Spawning, 4, 6, 6)
		time.Sleep(time.Second)
		synctest.Wait()
		check("at 2.2 s", engine.Running, 6, 6, 6)
		if err := r.SetUsers(2, 0); err != nil {
			t.Fatal(err)
		}
		check("after SetUsers(2, 0)", engine.Running, 2, 2, 2)
		synctest.Wait()
		// 6 → 2 stops the newest users: 3, 4, 5 and 6 ran their on_stop.
		if got := byes(&rc); !slices.Equal(got, []int{3, 4, 5, 6}) {
			t.Errorf("on_stop ran for users %v, want 3, 4, 5 and 6", got)
		}
		r.Stop()
		wait(t, r)
		if got := byes(&rc); !slices.Equal(got, []int{1, 2, 3, 4, 5, 6}) {
			t.Errorf("after the stop, on_stop ran for users %v, want every user", got)
		}

		first := map[int]time.Duration{}
		for _, h := range rc.all() {
			id, _ := strconv.Atoi(h.user)
			if _, ok := first[id]; !ok && h.path == "/hi" {
				first[id] = h.at.Sub(begin)
			}
		}
		want := map[int]time.Duration{1: 0, 2: 500 * time.Millisecond, 3: time.Second,
			4: 1200 * time.Millisecond, 5: 1300 * time.Millisecond, 6: 1400 * time.Millisecond}
		if !maps.Equal(first, want) {
			t.Errorf("users started at %v, want %v", first, want)
		}
	})
}

// byes are the users whose on_stop sent /bye, in order of their numbers.
func byes(rc *recorder) []int {
	var ids []int
	for _, h := range rc.all() {
		if h.path == "/bye" {
			id, _ := strconv.Atoi(h.user)
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return ids
}
