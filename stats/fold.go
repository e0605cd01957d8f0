package stats

// foldable is an entry kind that shards record into and folds sum up
// (PhaseEntry, PacingEntry): what it takes to keep one folded row of it.
type foldable[E any] interface {
	comparable
	// add adds o's samples to the entry.
	add(o E)
	// plus is a new entry holding the entry's and o's samples, its
	// histograms sized to fit; neither is changed.
	plus(o E) E
	// reset empties the entry, keeping its storage.
	reset()
	// empty is true when nothing was recorded since the last reset.
	empty() bool
}

// folded keeps the entries of one kind the way rows keep requests: one
// folded row per key however many shards recorded it, so memory grows with
// keys, not keys × shards. The shards' entries only hold what was recorded
// since the last fold. It is owned by Stats.mu.
type folded[K comparable, E foldable[E]] struct {
	rows map[K]*foldedRow[E]
	// fresh is an empty entry of k.
	fresh func(k K) E
}

type foldedRow[E any] struct {
	// cum is the row as last published: immutable, shared by snapshots.
	cum E
	// pending is what was folded since then, tick what was absorbed since
	// the last Tick (the zero E when nothing was).
	pending, tick E
}

func newFolded[K comparable, E foldable[E]](fresh func(K) E) folded[K, E] {
	return folded[K, E]{rows: make(map[K]*foldedRow[E]), fresh: fresh}
}

// take moves a shard's entry of k into its row's pending samples and
// empties the shard's entry. An empty entry is skipped.
func (f *folded[K, E]) take(k K, e E) {
	if e.empty() {
		return
	}
	r := f.rows[k]
	if r == nil {
		r = &foldedRow[E]{cum: f.fresh(k), pending: f.fresh(k)}
		f.rows[k] = r
	}
	r.pending.add(e)
	e.reset()
}

// absorb adds each row's pending samples to a new cumulative entry (the
// published one may be read meanwhile) and to the row's tick entry.
func (f *folded[K, E]) absorb() {
	var none E
	for k, r := range f.rows {
		if r.pending.empty() {
			continue
		}
		r.cum = r.cum.plus(r.pending)
		if r.tick == none {
			// The pending samples become the interval's: no copy, and no
			// storage kept between folds beyond the shards' own.
			r.tick, r.pending = r.pending, f.fresh(k)
			continue
		}
		r.tick.add(r.pending)
		r.pending.reset()
	}
}

// published lists the cumulative entries, each shared with the snapshots
// that listed it before; nil when there are none.
func (f *folded[K, E]) published() []E {
	if len(f.rows) == 0 {
		return nil
	}
	out := make([]E, 0, len(f.rows))
	for _, r := range f.rows {
		out = append(out, r.cum)
	}
	return out
}

// takeTick hands over the entries absorbed since the last Tick and starts
// a new interval; nil when there are none.
func (f *folded[K, E]) takeTick() []E {
	var out []E
	var none E
	for _, r := range f.rows {
		if r.tick != none {
			out = append(out, r.tick)
			r.tick = none
		}
	}
	return out
}
