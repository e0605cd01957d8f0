package stats

import "sync"

// MaxNames bounds the distinct request rows of a run. Each row keeps an HDR
// histogram (about 190 KB at 3 significant digits) in every shard, so a
// scenario that names requests after their data (`name: "/item/${id}"`)
// would otherwise grow without bound. Rows past the bound are counted under
// OtherNames, per method, and reports say so.
const MaxNames = 300

// OtherNames is the row name that collects requests once MaxNames distinct
// names were seen.
const OtherNames = "(other names: too many distinct request names)"

// nameSet admits request rows up to MaxNames for the whole run. It is
// consulted only when a shard sees a row for the first time, so the hot
// path never takes its lock.
type nameSet struct {
	mu    sync.Mutex
	known map[Key]struct{}
	limit int
}

func newNameSet(limit int) *nameSet {
	return &nameSet{known: make(map[Key]struct{}), limit: limit}
}

// admit returns k, or the overflow row for k's method once the set is full.
func (n *nameSet) admit(k Key) Key {
	n.mu.Lock()
	defer n.mu.Unlock()
	if _, ok := n.known[k]; ok {
		return k
	}
	if len(n.known) >= n.limit {
		return Key{Method: k.Method, Name: OtherNames}
	}
	n.known[k] = struct{}{}
	return k
}
