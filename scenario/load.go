package scenario

import "time"

// Arrivals says how the open model spaces arrivals.
type Arrivals string

// Arrival processes.
const (
	// ArrivalsConstant spaces arrivals evenly (1/rate apart at a steady rate).
	ArrivalsConstant Arrivals = "constant"
	// ArrivalsPoisson draws exponential gaps with the same mean, as
	// independent users arriving at random would.
	ArrivalsPoisson Arrivals = "poisson"
)

// Shape is the `load:` section: the shape of the load. Exactly one model is
// set. The closed model has Stages with Users: a fixed population of users
// loops over its tasks and ramps linearly to each stage's target. The open
// model has Rate (constant, for Duration) or Stages with Rate (ramping):
// task iterations start at that rate, run by free users out of MaxUsers,
// whatever the response times.
type Shape struct {
	Pos
	// Stages, in order; each ramps linearly from the previous stage's
	// target (0 before the first) to its own over its duration.
	Stages []*Stage
	// Rate is the constant arrival rate (arrival_rate), nil otherwise.
	Rate *Rate
	// Duration bounds a constant arrival rate (0: until -t, -n or a stop).
	Duration time.Duration
	// MaxUsers is how many users may run iterations at once in the open
	// model; an arrival finding none free is dropped and counted.
	MaxUsers int
	// Arrivals is the open model's arrival process (default constant).
	Arrivals Arrivals
}

// Open reports whether the load is the open model (arrival rates).
func (l *Shape) Open() bool {
	return l.Rate != nil || len(l.Stages) > 0 && l.Stages[0].Rate != nil
}

// Stage is one step of a load shape: over Duration, ramp to Users (closed
// model) or to Rate (open model).
type Stage struct {
	Pos
	Duration time.Duration
	Users    int
	// Rate is the target arrival rate of an open-model stage, nil in the
	// closed model.
	Rate *Rate
}

// Rate is an arrival rate as written ("50/s", "3000/m", "2/h").
type Rate struct {
	Pos
	// PerSecond is the rate in arrivals per second.
	PerSecond float64
	// Text is the rate as written, for messages.
	Text string
}
