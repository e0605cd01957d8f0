package cluster

import (
	"encoding/json"
	"sync"

	"github.com/nats-io/nats.go"
)

// budgetServer is the master's -n: it grants iterations to workers in
// small batches and ends the run when the workers report them all done.
// Iterations granted to a worker that is lost and not reported done go
// back to the budget, so the total stays exact.
type budgetServer struct {
	total int64
	onAll func()

	mu        sync.Mutex
	remaining int64
	granted   map[string]int64
	done      map[string]int64
	workers   int
	fired     bool
}

func newBudgetServer(total int64, onAll func()) *budgetServer {
	return &budgetServer{total: total, onAll: onAll, remaining: total, granted: map[string]int64{}, done: map[string]int64{}}
}

// batch is how many iterations one grant gives: a few at a time, so that a
// worker rarely waits on the master, and never so many that one worker
// holds the last ones while the others idle.
func (b *budgetServer) batch(want int64) int64 {
	n := b.remaining / int64(8*max(b.workers, 1))
	return min(max(n, 1), want, 100, b.remaining)
}

// take grants up to want iterations to worker and records what it reports done.
func (b *budgetServer) take(worker string, want, done int64) int64 {
	b.mu.Lock()
	if _, ok := b.granted[worker]; !ok {
		b.workers++
	}
	b.recordLocked(worker, done)
	grant := int64(0)
	if want > 0 && b.remaining > 0 {
		grant = b.batch(want)
		b.remaining -= grant
		b.granted[worker] += grant
	}
	fire := b.checkLocked()
	b.mu.Unlock()
	if fire {
		b.onAll()
	}
	return grant
}

// report records how many iterations a worker finished.
func (b *budgetServer) report(worker string, done int64) {
	if b.total <= 0 {
		return
	}
	b.mu.Lock()
	b.recordLocked(worker, done)
	fire := b.checkLocked()
	b.mu.Unlock()
	if fire {
		b.onAll()
	}
}

func (b *budgetServer) recordLocked(worker string, done int64) {
	if done > b.done[worker] {
		b.done[worker] = done
	}
}

func (b *budgetServer) checkLocked() bool {
	if b.fired || b.total <= 0 {
		return false
	}
	var sum int64
	for _, d := range b.done {
		sum += d
	}
	if sum >= b.total {
		b.fired = true
		return true
	}
	return false
}

// workerLost puts back the iterations the worker was granted but did not
// report done.
func (b *budgetServer) workerLost(worker string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if unused := b.granted[worker] - b.done[worker]; unused > 0 {
		b.remaining += unused
		b.granted[worker] = b.done[worker]
	}
	if _, ok := b.granted[worker]; ok {
		b.workers--
		b.granted[worker] = b.done[worker]
	}
}

// Done is the iterations reported done by all workers.
func (b *budgetServer) doneTotal() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	var sum int64
	for _, d := range b.done {
		sum += d
	}
	return sum
}

// Budget is a worker's share of the cluster's -n: Take reserves one
// iteration (asking the master for a batch when none is left), Done counts
// one finished. A Budget is safe for concurrent use by the worker's users.
type Budget struct {
	nc     *nats.Conn
	subj   subjects
	worker string

	mu      sync.Mutex
	left    int64
	spent   bool
	done    int64
	granted int64
}

// budgetWant is how many iterations a worker asks for at a time.
const budgetWant = 100

// Take reserves one iteration; false means the cluster's budget is spent.
func (b *Budget) Take() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.left > 0 {
		b.left--
		return true
	}
	if b.spent {
		return false
	}
	// The lock is held across the request: the worker's other users wait
	// for this grant instead of each asking.
	req, _ := json.Marshal(iterRequest{Worker: b.worker, Want: budgetWant, Done: b.done})
	msg, err := b.nc.Request(b.subj.iterations(), req, OrphanAfter)
	if err != nil {
		return false
	}
	var r iterReply
	if json.Unmarshal(msg.Data, &r) != nil || r.Grant <= 0 {
		// The request reported every iteration done so far; any still
		// running is reported by Done when it ends.
		b.spent = true
		return false
	}
	grant := min(r.Grant, budgetWant) // a master's grant past the ask is not one
	b.granted += grant
	b.left = grant - 1
	return true
}

// Done counts one finished iteration. The worker's last granted
// iteration, once the budget is spent, is reported at once so that the
// master ends the run without waiting for a heartbeat.
func (b *Budget) Done() {
	b.mu.Lock()
	b.done++
	last := b.spent && b.left == 0 && b.done == b.granted
	done := b.done
	b.mu.Unlock()
	if last {
		req, _ := json.Marshal(iterRequest{Worker: b.worker, Done: done})
		_ = b.nc.Publish(b.subj.iterations(), req)
	}
}

// reopen lets users ask the master again: after a rebalance the budget may
// have iterations back from a lost worker.
func (b *Budget) reopen() {
	b.mu.Lock()
	b.spent = false
	b.mu.Unlock()
}

// Finished is how many iterations this worker finished.
func (b *Budget) Finished() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.done
}
