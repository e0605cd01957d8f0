package engine

import (
	"math"
	"time"
)

// Ramp is the closed model's spawn schedule: Users users started at Rate
// per second, the first at once (Rate 0: all at once). It is a pure
// function of the time since the ramp began, so that a schedule made of
// stages, or a master's, replaces it without a clock of its own.
type Ramp struct {
	Users int
	Rate  float64
}

// Started is how many of the ramp's users have started by elapsed, and
// when the next one starts (more is false once all have).
func (r Ramp) Started(elapsed time.Duration) (n int, next time.Duration, more bool) {
	if r.Users <= 0 {
		return 0, 0, false
	}
	if r.Rate <= 0 || math.IsInf(r.Rate, 1) {
		return r.Users, 0, false
	}
	if elapsed < 0 {
		elapsed = 0
	}
	// User i (from 0) starts at i/Rate: n is the number of i with
	// at(i) <= elapsed. The float estimate is corrected against at itself,
	// so that at the instant at(n) user n counts as started and the next
	// start is always in the future (the closed model, sleeping until
	// then, never spins).
	f := math.Floor(elapsed.Seconds()*r.Rate) + 1
	if f >= float64(r.Users)+1 {
		return r.Users, 0, false
	}
	n = max(int(f), 0)
	for n < r.Users && r.at(n) <= elapsed {
		n++
	}
	for n > 0 && r.at(n-1) > elapsed {
		n--
	}
	if n >= r.Users {
		return r.Users, 0, false
	}
	return n, r.at(n), true
}

// at is when user i (from 0) starts.
func (r Ramp) at(i int) time.Duration {
	return time.Duration(float64(i) / r.Rate * float64(time.Second))
}
