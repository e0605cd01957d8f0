package cluster

// TypeCounts splits users between user types exactly as a single-process
// run does: each type with a fixed count (fixed[t] > 0, Locust's
// fixed_count) gets it first, in scenario order, as far as the users go;
// the weights of the other types share the rest, each its floor share and
// the remainders to the largest fractions, ties to the earlier type (8
// users at 3:1 are 6 and 2). A weight below 1 counts as 1, as the engine
// reads it. fixed may be nil (no fixed counts).
func TypeCounts(users int, weights, fixed []int) []int {
	out := make([]int, len(weights))
	isFixed := func(t int) bool { return t < len(fixed) && fixed[t] > 0 }
	for t := range weights {
		if isFixed(t) && users > 0 {
			out[t] = min(fixed[t], users)
			users -= out[t]
		}
	}
	total := 0
	for t, w := range weights {
		if !isFixed(t) {
			total += max(w, 1)
		}
	}
	if total == 0 || users <= 0 {
		return out
	}
	rems := make([]int, len(weights))
	given := 0
	for t, w := range weights {
		rems[t] = -1
		if isFixed(t) {
			continue
		}
		w = max(w, 1)
		out[t] = users * w / total
		rems[t] = users * w % total
		given += out[t]
	}
	for ; given < users; given++ {
		best := -1
		for j := range rems {
			if rems[j] >= 0 && (best < 0 || rems[j] > rems[best]) {
				best = j
			}
		}
		out[best]++
		rems[best] = -1
	}
	return out
}

// Split assigns users to workers: out[w][t] is how many users of type t
// worker w runs. The per-type totals are exactly TypeCounts(users, weights, fixed),
// each worker's total differs from any other's by at most one, and so does
// each type's count between workers. It deals the users of every type in
// turn, round-robin over the workers, continuing where the previous type
// stopped: a contiguous run of one type dealt round-robin lands at most one
// apart on any two workers, and so does the whole deal.
func Split(users int, weights, fixed []int, workers int) [][]int {
	if workers <= 0 {
		return nil
	}
	out := make([][]int, workers)
	for w := range out {
		out[w] = make([]int, len(weights))
	}
	next := 0
	for t, n := range TypeCounts(users, weights, fixed) {
		for range n {
			out[next][t]++
			next = (next + 1) % workers
		}
	}
	return out
}

// Share is a worker's part of a global spawn rate: rate times its share of
// the users, so that the whole cluster starts rate users per second.
func Share(rate float64, mine, users int) float64 {
	if users <= 0 || rate <= 0 {
		return rate
	}
	return rate * float64(mine) / float64(users)
}
