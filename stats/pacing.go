package stats

import "time"

func newPacingEntry(task string) *PacingEntry {
	return &PacingEntry{Task: task, Lateness: newHist()}
}

// Pacing records one scheduled start of a paced task. skipped is true when
// the slot was dropped because the user was too far behind; otherwise the
// iteration ran, late by late (0 when on time).
func (r *Recorder) Pacing(task string, late time.Duration, skipped bool) {
	sh := r.sh
	sh.mu.Lock()
	p := sh.pacing[task]
	if p == nil {
		p = newPacingEntry(task)
		sh.pacing[task] = p
	}
	p.record(late, skipped)
	sh.mu.Unlock()
}

func (p *PacingEntry) record(late time.Duration, skipped bool) {
	switch {
	case skipped:
		p.Skipped++
	case late > 0:
		p.Iterations++
		p.Late++
		us, _ := micros(late)
		_ = p.Lateness.RecordValue(us) // clamped: cannot fail
	default:
		p.Iterations++
	}
}

// PacingSkipped records n slots of a paced task dropped at once because the
// user was too far behind: counted, never looped over, so a pacing far
// shorter than the work (1ns) costs one call, not one per slot.
func (r *Recorder) PacingSkipped(task string, n int64) {
	if n <= 0 {
		return
	}
	sh := r.sh
	sh.mu.Lock()
	p := sh.pacing[task]
	if p == nil {
		p = newPacingEntry(task)
		sh.pacing[task] = p
	}
	p.Skipped += n
	sh.mu.Unlock()
}

// add adds another entry's counts and lateness to p; o's histogram may be
// nil (an entry read from a file that lacked it).
func (p *PacingEntry) add(o *PacingEntry) {
	p.Iterations += o.Iterations
	p.Late += o.Late
	p.Skipped += o.Skipped
	if o.Lateness != nil {
		p.Lateness.Merge(o.Lateness)
	}
}

// plus is a new entry holding p's and o's samples; neither is changed.
func (p *PacingEntry) plus(o *PacingEntry) *PacingEntry {
	c := newPacingEntry(p.Task)
	c.add(p)
	c.add(o)
	c.Lateness.Compact()
	return c
}

// reset empties the entry for the next fold, keeping its storage.
func (p *PacingEntry) reset() {
	p.Iterations, p.Late, p.Skipped = 0, 0, 0
	p.Lateness.Reset()
}

func (p *PacingEntry) empty() bool { return p.Iterations == 0 && p.Skipped == 0 }
