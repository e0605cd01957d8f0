// Package cluster runs one load test on many machines: a master that owns
// the run and its guarantees, and workers that run its virtual users,
// coordinated over NATS (an embedded server by default, or an existing one).
//
// The master ships the scenario and every data file to each worker that
// joins (workers need only the binary), splits the users by type exactly as
// a single process would and spreads them evenly over the workers, serves
// the shared state of a run (unique pool rows, the -n iteration budget,
// rendezvous groups counted over all workers) by request-reply, and merges
// the statistics every worker ships each second into one snapshot, exactly:
// counters are summed and percentiles come from merged HDR histograms.
//
// Faults: a worker silent for LostAfter is lost (its users go to the other
// workers, the unique-recycle rows it held go back to their pools); a
// master silent for OrphanAfter makes every worker stop its users.
//
// Everything on the wire is JSON (histograms in HdrHistogram's compressed
// encoding) on subjects under "loadrun.RUN.", where RUN is chosen by the
// master; only joining uses the fixed subject "loadrun.join".
package cluster

import (
	"encoding/json"
	"strings"
	"sync/atomic"
	"time"

	"github.com/loadrun/loadrun/internal/termsafe"
)

// Protocol is the version of the messages below. Workers and masters also
// compare their loadrun versions: a run on a mix of builds could not keep
// the guarantees of a single-process run. Builds without a release version
// all say "dev", so the protocol is what tells them apart. 2: histograms
// as buckets (hist.go), large messages in parts (parts.go).
const Protocol = 2

// Timing of the cluster's liveness checks.
const (
	// Heartbeat is how often masters and workers say they are alive, and
	// how often workers ship statistics.
	Heartbeat = time.Second
	// LostAfter is how long a worker may be silent before it is lost.
	LostAfter = 3 * time.Second
	// OrphanAfter is how long a master may be silent before its workers
	// stop their users and exit.
	OrphanAfter = 5 * time.Second
)

// joinSubject is where workers ask to join. It is the one subject outside
// a run's prefix, since a worker does not know the run before it joins.
const joinSubject = "loadrun.join"

// subjects are the names of one run's NATS subjects.
type subjects struct{ prefix string }

func newSubjects(run string) subjects { return subjects{prefix: "loadrun." + run} }

func (s subjects) control(worker string) string { return s.prefix + ".ctl." + worker }
func (s subjects) broadcast() string            { return s.prefix + ".ctl" }
func (s subjects) masterBeat() string           { return s.prefix + ".master" }
func (s subjects) beat() string                 { return s.prefix + ".beat" }
func (s subjects) stats() string                { return s.prefix + ".stats" }
func (s subjects) bundle() string               { return s.prefix + ".bundle" }
func (s subjects) ready() string                { return s.prefix + ".ready" }
func (s subjects) lease() string                { return s.prefix + ".lease" }
func (s subjects) iterations() string           { return s.prefix + ".iter" }
func (s subjects) reply(worker string) string   { return s.prefix + ".reply." + worker }
func (s subjects) arrive() string               { return s.prefix + ".rdv" }
func (s subjects) population() string           { return s.prefix + ".pop" }
func (s subjects) release() string              { return s.prefix + ".rdv.release" }

// joinRequest is a worker asking to take part.
type joinRequest struct {
	Protocol int    `json:"protocol"`
	Version  string `json:"version"`
	Name     string `json:"name"`
	Token    string `json:"token,omitempty"`
	Host     string `json:"host"`
	CPUs     int    `json:"cpus"`
}

// joinReply accepts a worker (Error empty) or says why not.
type joinReply struct {
	Error string `json:"error,omitempty"`
	Run   string `json:"run,omitempty"`
	// Worker is the name the worker goes by in this run: its --name, made
	// unique by the master.
	Worker string `json:"worker,omitempty"`
	// BundleSize is the length of the encoded bundle, fetched in chunks.
	BundleSize int `json:"bundle_size,omitempty"`
	// Later says the master's test is ending and it runs another after
	// it: the worker asks again in a moment.
	Later bool `json:"later,omitempty"`
}

// bundleChunk asks for part of the encoded bundle.
type bundleChunk struct {
	Offset int `json:"offset"`
	Max    int `json:"max"`
}

// readyMsg tells the master a worker has the scenario and listens for
// its assignments.
type readyMsg struct {
	Worker string `json:"worker"`
}

// Control operations, master to worker.
const (
	opAssign = "assign" // start, or change, the users this worker runs
	opStop   = "stop"   // stop gracefully: users finish their iteration
	opKill   = "kill"   // stop at once
	opGone   = "gone"   // the worker is no longer part of the run (it was lost)
	opReset  = "reset"  // reset the statistics (the web UI's Reset stats)
)

// control is a command to one worker or, on the broadcast subject, to all.
type control struct {
	Op string `json:"op"`
	// Counts is the users of each type this worker runs.
	Counts []int `json:"counts,omitempty"`
	// Arrivals, instead of Counts, is the worker's part of an open-model
	// run: the first assignment starts it, later ones change the deal.
	Arrivals *wireArrivals `json:"arrivals,omitempty"`
	// Rate is this worker's share of the spawn rate.
	Rate float64 `json:"rate,omitempty"`
	// IDBase is added to the worker's user numbers, so that user_id is
	// unique in the cluster.
	IDBase int `json:"id_base,omitempty"`
	// Budgeted says the run has an iteration budget that the worker draws
	// from the master.
	Budgeted bool `json:"budgeted,omitempty"`
	// Gen numbers the assignments; heartbeats echo the last one applied.
	Gen int64 `json:"gen,omitempty"`
	// Resets is how many times the run's statistics were reset (opReset,
	// and every assignment): a worker's statistics say since which reset
	// they count.
	Resets int64 `json:"resets,omitempty"`
	// Stay, on a stop, says the master runs another test after this one:
	// the worker joins it once its final statistics are sent.
	Stay   bool   `json:"stay,omitempty"`
	Reason string `json:"reason,omitempty"`
}

// beat is a worker's heartbeat.
type beat struct {
	Worker string `json:"worker"`
	State  string `json:"state"`
	// Users is how many users run now; Alive adds those the worker will
	// still start (what percent rendezvous count).
	Users int `json:"users"`
	Alive int `json:"alive"`
	// Gen is the last assignment the worker applied: an Alive count from
	// before the latest assignment is stale.
	Gen int64   `json:"gen"`
	CPU float64 `json:"cpu"`
	// Requests and Failures are the worker's totals so far.
	Requests int64 `json:"requests"`
	Failures int64 `json:"failures"`
	// Answered says an HTTP response came back to this worker.
	Answered bool `json:"answered,omitempty"`
	// IterDone is how many budgeted iterations the worker finished.
	IterDone int64 `json:"iter_done"`
	// Ended says the worker's run ended by itself, and why.
	Ended  bool   `json:"ended,omitempty"`
	Reason string `json:"reason,omitempty"`
	// Global says the reason ends the whole run (on_exhausted: stop-test).
	Global bool `json:"global,omitempty"`
}

// valid says a heartbeat is one a worker sends: a state of the workers
// table (it is shown) and no negative count.
func (b *beat) valid() bool {
	switch b.State {
	case StateJoined, StateRunning, StateStopping, StateStopped:
	default:
		return false
	}
	return b.Users >= 0 && b.Alive >= 0 && b.CPU >= 0 && b.Requests >= 0 && b.Failures >= 0 && b.IterDone >= 0
}

// statsMsg carries a worker's cumulative snapshot.
type statsMsg struct {
	Worker string          `json:"worker"`
	Seq    int64           `json:"seq"`
	Final  bool            `json:"final,omitempty"`
	Snap   json.RawMessage `json:"snap"`
	// Answered says an HTTP response came back to this worker, so that the
	// final statistics alone tell the master the target answered.
	Answered bool `json:"answered,omitempty"`
	// Resets is the reset the statistics count from (control.Resets):
	// statistics from before the master's latest reset are dropped.
	Resets int64 `json:"resets,omitempty"`
}

// leaseRequest takes rows of a unique pool, or gives rows back.
type leaseRequest struct {
	Worker string `json:"worker"`
	ID     uint64 `json:"id"`
	Pool   string `json:"pool"`
	// Take is how many rows are wanted (unique-once prefetches a batch;
	// unique-recycle takes one and may wait for it).
	Take int   `json:"take,omitempty"`
	Give []int `json:"give,omitempty"`
}

// leaseReply answers a leaseRequest with a Take; it goes to the worker's
// reply subject, matched by ID.
type leaseReply struct {
	ID        uint64 `json:"id"`
	Pool      string `json:"pool"`
	Rows      []int  `json:"rows,omitempty"`
	Exhausted bool   `json:"exhausted,omitempty"`
	Timeout   bool   `json:"timeout,omitempty"`
	Error     string `json:"error,omitempty"`
}

// iterRequest asks for more iterations of the budget and reports how many
// the worker finished.
type iterRequest struct {
	Worker string `json:"worker"`
	Want   int64  `json:"want"`
	Done   int64  `json:"done"`
}

// iterReply grants iterations; zero means the budget is spent.
type iterReply struct {
	Grant int64 `json:"grant"`
}

// arrival is a user reaching (or leaving, when Leave) a rendezvous.
type arrival struct {
	Worker  string        `json:"worker"`
	Name    string        `json:"name"`
	ID      uint64        `json:"id"`
	Leave   bool          `json:"leave,omitempty"`
	Count   int           `json:"count,omitempty"`
	Percent float64       `json:"percent,omitempty"`
	Timeout time.Duration `json:"timeout,omitempty"`
	Last    bool          `json:"last,omitempty"`
}

// population is a worker's users alive, sent when it changes.
type population struct {
	Worker string `json:"worker"`
	Alive  int    `json:"alive"`
	Gen    int64  `json:"gen"`
}

// release frees one group of a rendezvous on every worker.
type release struct {
	Name    string              `json:"name"`
	Seq     uint64              `json:"seq"`
	Reason  int                 `json:"reason"`
	Size    int                 `json:"size"`
	Members map[string][]uint64 `json:"members"`
}

// maxPeerText bounds a text from a peer (a reason, an error, a host name)
// as this side prints or keeps it.
const maxPeerText = 1024

// peerText is a text from a peer as it may be printed: control characters
// escaped (never a raw terminal escape), at most maxPeerText bytes.
func peerText(s string) string {
	if len(s) > maxPeerText {
		s = strings.ToValidUTF8(s[:maxPeerText], "") + "…"
	}
	return termsafe.Line(s)
}

// dropLog says why messages from peers were dropped: the first few times,
// then every thousandth time with a count, so that a peer sending nonsense
// cannot flood the log. Safe for concurrent use.
type dropLog struct{ n atomic.Int64 }

func (d *dropLog) logf(logf func(string, ...any), format string, args ...any) {
	n := d.n.Add(1)
	switch {
	case logf == nil:
	case n <= 10:
		logf(format, args...)
	case n%1000 == 0:
		logf(format+" (%d messages dropped so far)", append(args, n)...)
	}
}
