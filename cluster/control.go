package cluster

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/loadrun/loadrun/schedule"
	"github.com/loadrun/loadrun/stats"
	"github.com/nats-io/nats.go"
)

// Start begins the run on the workers that joined: each gets its share of
// every user type and of the spawn rate.
func (m *Master) Start() error {
	return m.StartWith(m.cfg.Users, m.cfg.Rate, m.cfg.RunTime)
}

// StartWith starts the run with these users, spawn rate and run time
// instead of the configuration's (the web UI's start form). A master
// runs one test: a second start is refused.
func (m *Master) StartWith(users int, rate float64, runTime time.Duration) error {
	if users < 0 {
		return fmt.Errorf("users must be 0 or more, not %d", users)
	}
	m.mu.Lock()
	if !m.started.IsZero() {
		m.mu.Unlock()
		return errors.New("the run has already started")
	}
	if m.liveLocked() == 0 {
		m.mu.Unlock()
		return errors.New("no worker has joined")
	}
	if sh := m.cfg.Shape; sh.open() && sh.MaxUsers < m.liveLocked() {
		n := m.liveLocked()
		m.mu.Unlock()
		return fmt.Errorf("max_users %d is less than the %d workers: each worker runs at least one of the users; give max_users %d or more, or fewer workers", sh.MaxUsers, n, n)
	}
	m.started = time.Now()
	m.statsStart = m.started
	m.users, m.rate = users, rate
	var follow *schedule.Schedule
	if sh := m.cfg.Shape; sh != nil {
		s := sh.Schedule
		if sh.open() {
			// The run time ends the schedule: each worker's part ends with
			// it, after its last arrival on its own clock.
			cp := *sh
			cp.Schedule, runTime = cut(s, runTime), 0
			m.shape = &cp
			// The master walks the workers' arrivals, to deal them again
			// from a given one when a worker is lost.
			m.users, m.rate = sh.MaxUsers, 0
			m.walk = cp.Schedule.Arrivals(sh.Process, sh.Seed)
			m.walkAt, m.walkOK = m.walk.Next()
		} else {
			// Users follow the schedule, dealt all at once at each change;
			// the run lasts the schedule unless -t says otherwise (the last
			// target then holds), as in one process.
			m.users, m.rate, follow = s.Users(0), 0, s
			if runTime <= 0 && s.Duration() != schedule.Forever {
				runTime = s.Duration()
			}
		}
	}
	if runTime > 0 {
		m.runTimer = time.AfterFunc(runTime, func() { m.Stop("run time reached") })
	}
	m.mu.Unlock()
	m.rdv.start(m.started)
	m.rebalance("")
	if follow != nil {
		go m.follow(follow, m.started)
	}
	return nil
}

// SetUsers changes the cluster's users and spawn rate mid-run.
func (m *Master) SetUsers(users int, rate float64) error {
	if users < 0 {
		return fmt.Errorf("users must be 0 or more, not %d", users)
	}
	if m.cfg.Shape != nil {
		return errors.New("this run follows its load shape (stages or an arrival rate): its users cannot be set")
	}
	m.mu.Lock()
	if m.started.IsZero() || m.stopping {
		m.mu.Unlock()
		return errors.New("the run is not running")
	}
	m.users, m.rate = users, rate
	m.mu.Unlock()
	m.rebalance("")
	return nil
}

// rebalance sends every live worker its share of the users.
func (m *Master) rebalance(why string) {
	m.mu.Lock()
	if m.stopping || m.started.IsZero() {
		m.mu.Unlock()
		return
	}
	var live []*worker
	for _, name := range m.order {
		if w := m.workers[name]; w.ready && w.info.State != StateLost && !w.ended {
			live = append(live, w)
		}
	}
	var out []send
	if m.cfg.Shape.open() {
		out = m.dealArrivalsLocked(live)
		live = nil
	}
	split := Split(m.users, m.cfg.Weights, m.cfg.Fixed, len(live))
	for i, w := range live {
		if m.cfg.Shape != nil && why == "" && w.gen > 0 && slices.Equal(w.counts, split[i]) {
			continue // a schedule's change that leaves this worker's users as they are
		}
		mine := 0
		for _, c := range split[i] {
			mine += c
		}
		if w.info.State == StateJoined {
			w.info.State = StateRunning
		}
		w.counts = split[i]
		w.peak = max(w.peak, mine)
		w.gen++
		// Until its heartbeat says otherwise, a worker's users count as
		// alive for percent rendezvous and shortfalls.
		m.rdv.setAlive(w.info.Name, mine)
		out = append(out, send{w.info.Name, control{Op: opAssign, Counts: split[i], Rate: Share(m.rate, mine, m.users),
			IDBase: (w.seq - 1) * UserIDSpan, Budgeted: m.cfg.Iterations > 0, Gen: w.gen, Resets: m.resets}})
	}
	m.mu.Unlock()
	if why != "" {
		m.logf("%s: users rebalanced over %d worker(s)", why, len(out))
	}
	for _, s := range out {
		m.publish(m.subj.control(s.name), s.c)
	}
}

// send is a control message for one worker.
type send struct {
	name string
	c    control
}

// ResetStats starts the run's statistics afresh, as Locust's Reset stats
// does: every worker resets its own (so merged percentiles stay exact),
// and the master drops the statistics it holds and any counted before the
// reset that are still on the way. The -n budget and the workers' users
// are not touched.
func (m *Master) ResetStats() error {
	m.mu.Lock()
	if m.started.IsZero() || m.stopping {
		m.mu.Unlock()
		return errors.New("the run is not running")
	}
	m.resets++
	resets, now := m.resets, time.Now()
	m.statsStart = now
	for _, w := range m.workers {
		w.wire, w.snap, w.history = nil, nil, nil
		m.holdLocked(w, 0)
	}
	m.mu.Unlock()
	m.rdv.resetStats(now)
	m.logf("statistics reset")
	m.publish(m.subj.broadcast(), control{Op: opReset, Resets: resets})
	return nil
}

// UserIDSpan is how many user numbers each worker has: worker k (in join
// order, from 0) numbers its users from k*UserIDSpan+1.
const UserIDSpan = 1_000_000

func (m *Master) onBeat(msg *nats.Msg) {
	var b beat
	if json.Unmarshal(msg.Data, &b) != nil {
		m.drops.logf(m.logf, "a heartbeat that is not one: dropped")
		return
	}
	m.mu.Lock()
	w := m.workers[b.Worker]
	if w != nil && !b.valid() {
		m.mu.Unlock()
		m.drops.logf(m.logf, "worker %s: a heartbeat with state %s or a negative number (not one it sends): dropped", b.Worker, peerText(strconv.Quote(b.State)))
		return
	}
	b.Reason = peerText(b.Reason)
	if w == nil || w.info.State == StateLost {
		m.mu.Unlock()
		if w != nil {
			// A lost worker that comes back stays out: its users already run
			// elsewhere. Tell it so that it stops.
			m.publish(m.subj.control(b.Worker), control{Op: opGone, Reason: "this worker was declared lost; its users run on other workers"})
		}
		return
	}
	w.lastSeen = time.Now()
	w.beat = b
	w.answered = w.answered || b.Answered
	w.info.Users, w.info.CPU = b.Users, b.CPU
	w.info.Requests, w.info.Failures = b.Requests, b.Failures
	switch {
	case b.Ended:
		w.info.State = StateStopped
	case b.State != "" && w.info.State != StateJoined:
		w.info.State = b.State
	}
	newlyEnded := b.Ended && !w.ended
	if newlyEnded {
		w.ended = true
	}
	live, stopping := m.liveLocked(), m.stopping
	current := b.Gen == w.gen
	m.mu.Unlock()
	if current {
		m.rdv.setAlive(b.Worker, b.Alive)
	}
	m.budget.report(b.Worker, b.IterDone)
	if newlyEnded && !stopping {
		switch {
		case b.Global:
			m.Stop(b.Reason)
		case live == 0:
			m.Stop(b.Reason)
		}
	}
	m.checkDone()
}

func (m *Master) onPopulation(msg *nats.Msg) {
	var p population
	if json.Unmarshal(msg.Data, &p) != nil || p.Alive < 0 {
		m.drops.logf(m.logf, "a population message that is not one: dropped")
		return
	}
	m.mu.Lock()
	w := m.workers[p.Worker]
	current := w != nil && w.info.State != StateLost && p.Gen == w.gen
	m.mu.Unlock()
	if current {
		m.rdv.setAlive(p.Worker, p.Alive)
	}
}

func (m *Master) onStats(msg *nats.Msg) {
	var s statsMsg
	if json.Unmarshal(msg.Data, &s) != nil {
		m.drops.logf(m.logf, "statistics that are not JSON: dropped")
		return
	}
	m.mu.Lock()
	w := m.workers[s.Worker]
	known := w != nil && s.Seq > w.statSeq && !w.final
	m.mu.Unlock()
	if !known {
		return
	}
	// Checked once the worker is known: its name is then one the master
	// gave, safe to print.
	snap, err := decodeWire(s.Snap)
	if err != nil {
		m.drops.logf(m.logf, "statistics from %s: %v: dropped", s.Worker, err)
		return
	}
	m.mu.Lock()
	if s.Seq <= w.statSeq || w.final {
		m.mu.Unlock()
		return
	}
	w.lastSeen = time.Now()
	w.statSeq = s.Seq
	w.answered = w.answered || s.Answered
	if s.Resets < m.resets {
		// Counted before the latest reset: the worker's next statistics
		// count from it (a final one has nothing after the reset).
		if s.Final {
			w.final, w.wire, w.history = true, nil, nil
			m.holdLocked(w, 0)
		}
		m.mu.Unlock()
		m.checkDone()
		return
	}
	// What the master keeps of every worker's statistics is bounded: past
	// maxStatsHeld (many workers of huge statistics, or a peer joining
	// as many and sending 64 MiB each) a shipment is dropped.
	histLen := len(snap.History)
	if !s.Final {
		histLen = min(len(w.history)+histLen, maxHistory)
	}
	cost := len(s.Snap) + histLen*pointCost
	if m.statsHeld-w.held+cost > maxStatsHeld {
		m.mu.Unlock()
		m.drops.logf(m.logf, "statistics from %s: over the %d MiB the master keeps of all workers' statistics: dropped", s.Worker, maxStatsHeld>>20)
		return
	}
	m.holdLocked(w, cost)
	// The statistics are the worker's numbers as the merge counts them:
	// the table shows them when its heartbeat is behind (the final ones even
	// when its last heartbeat is still on the way).
	if snap.Total != nil && (s.Final || snap.Total.Requests > w.info.Requests) {
		w.info.Requests, w.info.Failures = snap.Total.Requests, snap.Total.Failures
	}
	// Said once, whatever the heartbeats (handled apart, often first)
	// already put in the table.
	first := snap.Total != nil && snap.Total.Requests > 0 && !w.counted
	w.counted = w.counted || first
	lateFinal := s.Final && w.info.State == StateLost
	if s.Final {
		w.history = snap.History
		w.final = true
		w.info.Complete = true
	} else {
		w.history = append(w.history, snap.History...)
		if over := len(w.history) - maxHistory; over > 0 {
			w.history = slices.Delete(w.history, 0, over)
		}
	}
	snap.History = nil
	w.wire = snap
	m.mu.Unlock()
	if first {
		m.logf("worker %s: statistics coming in (%d requests so far)", s.Worker, snap.Total.Requests)
	}
	if lateFinal {
		m.logf("worker %s, lost, was only cut off: its final statistics came in and are counted", s.Worker)
	}
	m.checkDone()
}

func (m *Master) onIterations(msg *nats.Msg) {
	var r iterRequest
	if json.Unmarshal(msg.Data, &r) != nil || r.Want < 0 || r.Done < 0 {
		m.drops.logf(m.logf, "an iteration request that is not one: dropped")
		return
	}
	m.mu.Lock()
	w := m.workers[r.Worker]
	lost := w == nil || w.info.State == StateLost
	m.mu.Unlock()
	if lost {
		respond(msg, iterReply{})
		return
	}
	grant := m.budget.take(r.Worker, r.Want, r.Done)
	if msg.Reply != "" {
		respond(msg, iterReply{Grant: grant})
	}
}

// heartbeat tells workers the master is alive and declares silent
// workers lost.
func (m *Master) heartbeat() {
	t := time.NewTicker(Heartbeat / 4)
	defer t.Stop()
	last := time.Time{}
	for {
		select {
		case <-m.quit:
			return
		case now := <-t.C:
			if now.Sub(last) >= Heartbeat {
				last = now
				m.publish(m.subj.masterBeat(), struct {
					Run string `json:"run"`
				}{m.run})
			}
			m.checkLost(now)
		}
	}
}

func (m *Master) checkLost(now time.Time) {
	m.mu.Lock()
	var lost []string
	for _, name := range m.order {
		w := m.workers[name]
		if w.info.State == StateLost || w.final || now.Sub(w.lastSeen) < LostAfter {
			continue
		}
		w.info.State = StateLost
		w.info.Lost = now
		w.info.Users = 0
		lost = append(lost, name)
	}
	live := m.liveLocked()
	stopping := m.stopping
	m.mu.Unlock()
	for _, name := range lost {
		m.logf("worker %s lost: silent for %s", name, LostAfter)
		m.leases.workerLost(name)
		m.budget.workerLost(name)
		m.rdv.workerLost(name)
		m.publish(m.subj.control(name), control{Op: opGone, Reason: "this worker was declared lost"})
	}
	if len(lost) > 0 {
		switch {
		case stopping:
			m.checkDone()
		case live == 0:
			m.Stop("every worker was lost")
		default:
			m.rebalance(fmt.Sprintf("worker %s lost", lost[0]))
		}
	}
}

// Stop ends the run: every worker stops its users gracefully and sends its
// final statistics. The first reason given is kept.
func (m *Master) Stop(reason string) { m.end(reason, opStop) }

// Dismiss ends the run as Stop does, and sends every worker away even when
// the master was configured to keep them (Stay): the master is quitting.
func (m *Master) Dismiss(reason string) {
	m.mu.Lock()
	m.dismissed = true
	m.mu.Unlock()
	m.Stop(reason)
	_ = m.cfg.Conn.FlushTimeout(time.Second) // the master is about to exit
}

// Kill ends the run at once on every worker.
func (m *Master) Kill(reason string) { m.end(reason, opKill) }

func (m *Master) end(reason, op string) {
	m.mu.Lock()
	if m.stopping && op == opStop {
		// Already ending: a second stop (the run time reached after Ctrl-C,
		// say) has nothing to add. A timer left running used to log and
		// publish long after the run, past the end of a test.
		m.mu.Unlock()
		return
	}
	if !m.stopping {
		m.stopping = true
		close(m.halt)
		m.reason = reason
		if m.runTimer != nil {
			m.runTimer.Stop()
		}
		for _, w := range m.workers {
			if w.info.State != StateLost && !w.ended {
				w.info.State = StateStopping
			}
		}
	}
	m.mu.Unlock()
	m.mu.Lock()
	stay := m.cfg.Stay && !m.dismissed
	m.mu.Unlock()
	m.logf("stopping: %s", reason)
	m.rdv.close()
	m.publish(m.subj.broadcast(), control{Op: op, Reason: reason, Stay: stay})
	m.checkDone()
}

// checkDone closes Done once the run is stopping and every worker that is
// not lost sent its final statistics.
func (m *Master) checkDone() {
	m.mu.Lock()
	if !m.stopping {
		m.mu.Unlock()
		return
	}
	for _, w := range m.workers {
		if w.info.State != StateLost && !w.final {
			m.mu.Unlock()
			return
		}
	}
	m.mu.Unlock()
	m.doneOnce.Do(func() {
		m.mu.Lock()
		m.ended = time.Now()
		for _, w := range m.workers {
			if w.info.State != StateLost {
				w.info.State = StateStopped
				w.info.Users = 0
			}
		}
		m.mu.Unlock()
		close(m.done)
	})
}

// Done is closed when the run stopped and every worker's final statistics
// are in (or the worker was lost).
func (m *Master) Done() <-chan struct{} { return m.done }

// Reason says why the run ended.
func (m *Master) Reason() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.reason
}

// Times are the start and (once done) the end of the run.
func (m *Master) Times() (start, end time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.started, m.ended
}

// Users is the users running on all workers and the number asked for.
func (m *Master) Users() (running, target int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, w := range m.workers {
		if w.info.State != StateLost {
			running += w.info.Users
		}
	}
	return running, m.users
}

// Answered reports whether any worker got an HTTP response.
func (m *Master) Answered() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, w := range m.workers {
		if w.beat.Answered || w.answered {
			return true
		}
	}
	return false
}

// Snapshot merges every worker's latest statistics, lost workers' last
// ones included, with the rendezvous groups the master released: counters
// are summed, percentiles come from the merged histograms.
func (m *Master) Snapshot() *stats.Snapshot {
	m.mu.Lock()
	if m.started.IsZero() {
		m.mu.Unlock()
		return nil
	}
	now, start := time.Now(), m.statsStart
	if !m.ended.IsZero() {
		now = m.ended
	}
	snaps := make([]*stats.Snapshot, 0, len(m.workers))
	users := 0
	for _, name := range m.order {
		w := m.workers[name]
		if w.wire == nil {
			continue
		}
		if w.snap == nil || w.snapSeq != w.statSeq {
			snap, err := w.wire.snapshot()
			if err != nil {
				m.logf("statistics from %s: %v", name, err)
				continue
			}
			w.snap, w.snapSeq = snap, w.statSeq
		}
		s := *w.snap
		s.History = w.history
		snaps = append(snaps, &s)
		if w.info.State != StateLost {
			users += w.info.Users
		}
	}
	m.mu.Unlock()
	out := m.rdv.snapshot(now)
	for _, s := range snaps {
		out = stats.Merge(out, s)
	}
	out.Start, out.Time, out.Users = start, now, users
	return out
}

// Close stops serving and the heartbeat; it does not close the connection.
func (m *Master) Close() {
	m.closeOnce.Do(func() {
		close(m.quit)
		for _, s := range m.subs {
			_ = s.Unsubscribe()
		}
		// The server forgets the subscriptions before a next master of
		// this process subscribes: a join is never sent to this one. (A
		// second at most: a NATS server that is gone has nothing to forget.)
		_ = m.cfg.Conn.FlushTimeout(time.Second)
		m.rdv.close()
		m.leases.close()
	})
}
