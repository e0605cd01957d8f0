package main

import (
	"errors"
	"flag"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/loadrun/loadrun/engine"
	"github.com/loadrun/loadrun/scenario"
	"github.com/loadrun/loadrun/schedule"
	"github.com/loadrun/loadrun/session"
)

// shapeFlags are the flags that give a load shape without editing the
// scenario's load section (and override it).
type shapeFlags struct {
	stages      string
	arrivalRate string
	maxUsers    int
	arrivals    string
	// set records which flags were given, so that -u/-r given explicitly
	// override a scenario's load section and defaults do not.
	set map[string]bool
	// resolved and desc are the shape a master follows and its
	// description, for its reports and console (mastershape.go).
	resolved *engine.Shape
	desc     string
}

func (f *shapeFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.stages, "stages", "", `load stages DURATION:TARGET,..., e.g. "30s:50,2m:50,30s:0" (users) or "1m:10/s,2m:200/s" (arrival rates, with --max-users)`)
	fs.StringVar(&f.arrivalRate, "arrival-rate", "", "open model: start task iterations at this rate, e.g. 50/s or 3000/m (with --max-users)")
	fs.IntVar(&f.maxUsers, "max-users", 0, "open model: the most users running iterations at once; arrivals finding none free are dropped")
	fs.StringVar(&f.arrivals, "arrivals", "", "open model: constant (evenly spaced, default) or poisson arrivals")
}

// resolve picks the load shape of a run: --stages, then --arrival-rate,
// then -u/-r when given, then the scenario's load section; nil means the
// classic -u/-r run. runTime is -t, which bounds any shape.
func (f *shapeFlags) resolve(sc *scenario.Scenario, runTime time.Duration) (*engine.Shape, string, error) {
	if f.maxUsers < 0 || f.set["max-users"] && f.maxUsers < 1 {
		return nil, "", fmt.Errorf("--max-users must be 1 or more, not %d", f.maxUsers)
	}
	var file *scenario.Shape
	if sc != nil {
		file = sc.Load
	}
	process, err := f.process(file)
	if err != nil {
		return nil, "", err
	}
	maxUsers := f.maxUsers
	if maxUsers == 0 && file != nil {
		maxUsers = file.MaxUsers
	}
	openNeeds := func(what string) error {
		if maxUsers < 1 {
			return fmt.Errorf("%s is the open model: give --max-users, the most users that may run iterations at once", what)
		}
		return nil
	}
	switch {
	case f.stages != "":
		stages, open, err := parseStages(f.stages)
		if err != nil {
			return nil, "", fmt.Errorf("--stages: %w", err)
		}
		if !open {
			if f.set["max-users"] || f.set["arrivals"] {
				return nil, "", errors.New("--max-users and --arrivals apply to the open model; these --stages set users")
			}
			return &engine.Shape{Schedule: schedule.Stages(stages)}, "stages " + f.stages, nil
		}
		if err := openNeeds("--stages with rates"); err != nil {
			return nil, "", err
		}
		sh := &engine.Shape{Schedule: schedule.Ramping(stages), MaxUsers: maxUsers, Process: process}
		return sh, fmt.Sprintf("stages %s, max %d users, %s arrivals", f.stages, maxUsers, processName(process)), nil
	case f.arrivalRate != "":
		rate, err := scenario.ParseRate(f.arrivalRate)
		if err != nil {
			return nil, "", fmt.Errorf("--arrival-rate: %w", err)
		}
		if rate == 0 {
			return nil, "", errors.New("--arrival-rate: a rate of 0 would start nothing; give a rate above 0")
		}
		if err := openNeeds("--arrival-rate"); err != nil {
			return nil, "", err
		}
		d := runTime
		if d == 0 && file != nil && file.Rate != nil {
			d = file.Duration
		}
		sh := &engine.Shape{Schedule: schedule.Constant(rate, d), MaxUsers: maxUsers, Process: process}
		return sh, describeRate(f.arrivalRate, d, maxUsers, process), nil
	case f.set["u"] || f.set["users"] || f.set["c"] || f.set["clients"] || f.set["r"] || f.set["spawn-rate"] || f.set["hatch-rate"]:
		if f.set["max-users"] || f.set["arrivals"] {
			return nil, "", errors.New("--max-users and --arrivals apply to the open model (--arrival-rate, or a load section with arrival_rate)")
		}
		return nil, "", nil
	case file != nil:
		sh := engine.ShapeOf(file)
		if !file.Open() {
			if f.set["max-users"] || f.set["arrivals"] {
				return nil, "", errors.New("--max-users and --arrivals apply to the open model; this scenario's load stages set users")
			}
			return sh, "stages " + stagesText(file), nil
		}
		sh.MaxUsers, sh.Process = maxUsers, process
		if file.Rate != nil {
			d := file.Duration
			if runTime > 0 {
				d = runTime // -t overrides the duration
				sh.Schedule = schedule.Constant(file.Rate.PerSecond, d)
			}
			return sh, describeRate(file.Rate.Text, d, maxUsers, process), nil
		}
		return sh, fmt.Sprintf("stages %s, max %d users, %s arrivals", stagesText(file), maxUsers, processName(process)), nil
	}
	if f.set["max-users"] || f.set["arrivals"] {
		return nil, "", errors.New("--max-users and --arrivals apply to the open model (--arrival-rate, or a load section with arrival_rate)")
	}
	return nil, "", nil
}

func (f *shapeFlags) process(file *scenario.Shape) (schedule.Process, error) {
	switch f.arrivals {
	case "":
		if file != nil && file.Arrivals == scenario.ArrivalsPoisson {
			return schedule.Poisson, nil
		}
		return schedule.Even, nil
	case "constant":
		return schedule.Even, nil
	case "poisson":
		return schedule.Poisson, nil
	}
	return 0, fmt.Errorf("--arrivals: %q is not constant or poisson", f.arrivals)
}

func processName(p schedule.Process) string {
	if p == schedule.Poisson {
		return "poisson"
	}
	return "constant"
}

func describeRate(rate string, d time.Duration, maxUsers int, p schedule.Process) string {
	s := "arrival rate " + rate
	if d > 0 {
		s += " for " + d.String()
	}
	return fmt.Sprintf("%s, max %d users, %s arrivals", s, maxUsers, processName(p))
}

// stagesText writes a scenario's stages as --stages would take them.
func stagesText(l *scenario.Shape) string {
	parts := make([]string, 0, len(l.Stages))
	for _, st := range l.Stages {
		target := strconv.Itoa(st.Users)
		if st.Rate != nil {
			target = st.Rate.Text
		}
		parts = append(parts, st.Duration.String()+":"+target)
	}
	return strings.Join(parts, ",")
}

// parseStages reads "30s:50,2m:50,30s:0" (users) or "1m:10/s,2m:200/s"
// (rates); open is true for rates. Every stage is of one kind.
func parseStages(text string) (stages []schedule.Stage, open bool, err error) {
	var total time.Duration
	items := strings.Split(text, ",")
	for i, item := range items {
		durText, target, ok := strings.Cut(strings.TrimSpace(item), ":")
		if !ok || strings.TrimSpace(target) == "" || strings.TrimSpace(durText) == "" {
			return nil, false, fmt.Errorf("stage %d %q: want DURATION:USERS (30s:50) or DURATION:RATE (1m:10/s)", i+1, item)
		}
		d, err := parseDuration(durText)
		if err != nil {
			return nil, false, fmt.Errorf("stage %d: %w", i+1, err)
		}
		total += d
		target = strings.TrimSpace(target)
		isRate := strings.Contains(target, "/")
		if i > 0 && isRate != open {
			return nil, false, fmt.Errorf("stage %d %q: every stage sets users (30s:50) or every stage sets a rate (1m:10/s), not both", i+1, item)
		}
		open = isRate
		var v float64
		if isRate {
			if v, err = scenario.ParseRate(target); err != nil {
				return nil, false, fmt.Errorf("stage %d: %w", i+1, err)
			}
			if v == 0 && i == len(items)-1 {
				return nil, false, fmt.Errorf("stage %d %q: a rate of 0 with no stage after it; end with the last stage that has arrivals", i+1, item)
			}
		} else {
			n, err := strconv.Atoi(target)
			if err != nil || n < 0 {
				return nil, false, fmt.Errorf("stage %d %q: users must be a whole number, 0 or more", i+1, item)
			}
			v = float64(n)
		}
		stages = append(stages, schedule.Stage{Duration: d, Target: v})
	}
	if total <= 0 {
		return nil, false, errors.New("the stages last 0 s in all; give at least one a duration")
	}
	return stages, open, nil
}

// shapeLine is the live console's view of a shaped run: the stage and the
// target users or rate, and for the open model the busy users and drops.
func shapeLine(sess *session.Session, droppedPerSec float64, dropped int64) string {
	st, ok := sess.Shape()
	if !ok {
		return ""
	}
	if !st.Open {
		return fmt.Sprintf("Stage %d/%d: target %d users", st.Stage, st.Stages, int(st.Target))
	}
	return fmt.Sprintf("Stage %d/%d: rate %.1f/s   users made: %d/%d   dropped: %d (%.1f/s)",
		st.Stage, st.Stages, st.Target, st.Users, st.MaxUsers, dropped, droppedPerSec)
}
