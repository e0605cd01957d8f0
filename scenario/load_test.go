package scenario

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

// users is a minimal user type for load tests.
const oneUser = "users: [{name: a, tasks: [{steps: [{log: x}]}]}]\n"

// TestParseLoad checks that each form of the load section becomes its model.
func TestParseLoad(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want Shape
	}{
		{
			// Closed-model stages: users ramp to each target.
			name: "closed stages",
			src:  "load:\n  stages:\n    - {duration: 30s, users: 50}\n    - {duration: 2m, users: 50}\n    - {duration: 30s, users: 0}\n",
			want: Shape{Stages: []*Stage{{Duration: 30 * time.Second, Users: 50}, {Duration: 2 * time.Minute, Users: 50}, {Duration: 30 * time.Second}}, Arrivals: ArrivalsConstant},
		},
		{
			// A constant arrival rate per second, with its duration and users.
			name: "constant rate",
			src:  "load:\n  arrival_rate: 50/s\n  duration: 2m\n  max_users: 500\n  arrivals: constant\n",
			want: Shape{Rate: &Rate{PerSecond: 50, Text: "50/s"}, Duration: 2 * time.Minute, MaxUsers: 500, Arrivals: ArrivalsConstant},
		},
		{
			// A rate per minute, Poisson arrivals.
			name: "per minute, poisson",
			src:  "load:\n  arrival_rate: 3000/m\n  max_users: 10\n  arrivals: poisson\n",
			want: Shape{Rate: &Rate{PerSecond: 50, Text: "3000/m"}, MaxUsers: 10, Arrivals: ArrivalsPoisson},
		},
		{
			// Ramping arrival rate stages.
			name: "rate stages",
			src:  "load:\n  max_users: 1000\n  stages:\n    - {duration: 1m, rate: 10/s}\n    - {duration: 2m, rate: 200/s}\n",
			want: Shape{Stages: []*Stage{{Duration: time.Minute, Rate: &Rate{PerSecond: 10, Text: "10/s"}}, {Duration: 2 * time.Minute, Rate: &Rate{PerSecond: 200, Text: "200/s"}}}, MaxUsers: 1000, Arrivals: ArrivalsConstant},
		},
		{
			// A rate of 0 between stages is a pause, not an error.
			name: "zero rate in the middle",
			src:  "load:\n  max_users: 5\n  stages:\n    - {duration: 1s, rate: 5/s}\n    - {duration: 1s, rate: 0/s}\n    - {duration: 1s, rate: 7200/h}\n",
			want: Shape{Stages: []*Stage{{Duration: time.Second, Rate: &Rate{PerSecond: 5, Text: "5/s"}}, {Duration: time.Second, Rate: &Rate{Text: "0/s"}}, {Duration: time.Second, Rate: &Rate{PerSecond: 2, Text: "7200/h"}}}, MaxUsers: 5, Arrivals: ArrivalsConstant},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := Parse("f.yaml", []byte(tc.src+oneUser))
			if err != nil {
				t.Fatal(err)
			}
			if got, want := showShape(s.Load), showShape(&tc.want); got != want {
				t.Errorf("got\n  %s\nwant\n  %s", got, want)
			}
		})
	}
}

// showShape renders a shape without positions, for comparison.
func showShape(l *Shape) string {
	if l == nil {
		return "nil"
	}
	var b strings.Builder
	for _, st := range l.Stages {
		b.WriteString("[" + st.Duration.String())
		if st.Rate != nil {
			b.WriteString(" rate " + showRate(st.Rate))
		} else {
			b.WriteString(" users " + strconv.Itoa(st.Users))
		}
		b.WriteString("] ")
	}
	if l.Rate != nil {
		b.WriteString("rate " + showRate(l.Rate) + " ")
	}
	b.WriteString("duration " + l.Duration.String() + " max_users " + strconv.Itoa(l.MaxUsers) + " arrivals " + string(l.Arrivals))
	return b.String()
}

func showRate(r *Rate) string {
	return r.Text + "=" + strconv.FormatFloat(r.PerSecond, 'g', -1, 64) + "/s"
}

// TestParseFixedCount checks fixed_count on a user type.
func TestParseFixedCount(t *testing.T) {
	s, err := Parse("f.yaml", []byte("users:\n  - {name: admin, fixed_count: 2, tasks: [{steps: [{log: x}]}]}\n  - {name: shopper, tasks: [{steps: [{log: x}]}]}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if s.Users[0].FixedCount != 2 || s.Users[1].FixedCount != 0 {
		t.Errorf("fixed counts %d, %d; want 2, 0", s.Users[0].FixedCount, s.Users[1].FixedCount)
	}
}

// loadErrorCases are load sections with problems and the exact messages.
var loadErrorCases = []struct {
	name string
	src  string
	want []string
	// schema is true when the JSON Schema can see the problem too.
	schema bool
}{
	{
		// A stage without a duration.
		name:   "stage without duration",
		src:    "load:\n  stages:\n    - {users: 5}\n",
		want:   []string{"f.yaml:3:7: load.stages[0]: needs a duration, such as {duration: 30s, users: 10}"},
		schema: true,
	},
	{
		// A stage without users or rate.
		name:   "stage without target",
		src:    "load:\n  stages:\n    - {duration: 5s}\n",
		want:   []string{"f.yaml:3:7: load.stages[0]: needs users (closed model) or rate (open model), such as {duration: 30s, users: 10}"},
		schema: true,
	},
	{
		// Negative users.
		name:   "negative users",
		src:    "load:\n  stages:\n    - {duration: 5s, users: -3}\n",
		want:   []string{"f.yaml:3:29: load.stages[0].users: must be 0 or more, got -3"},
		schema: true,
	},
	{
		// A negative stage duration.
		name:   "negative duration",
		src:    "load:\n  stages:\n    - {duration: -5s, users: 3}\n",
		want:   []string{"f.yaml:3:18: load.stages[0].duration: must not be negative, got -5s"},
		schema: true,
	},
	{
		// A negative rate.
		name:   "negative rate",
		src:    "load:\n  max_users: 5\n  stages:\n    - {duration: 5s, rate: -3/s}\n",
		want:   []string{`f.yaml:4:28: load.stages[0].rate: "-3/s": a rate must not be negative`},
		schema: true,
	},
	{
		// A rate that is not a rate.
		name:   "bad rate unit",
		src:    "load:\n  arrival_rate: 5/d\n  max_users: 5\n",
		want:   []string{`f.yaml:2:17: load.arrival_rate: "5/d" is not a rate; write it like 50/s, 3000/m or 2/h`},
		schema: true,
	},
	{
		// The last rate stage at 0.
		name: "zero rate at the end",
		src:  "load:\n  max_users: 5\n  stages:\n    - {duration: 5s, rate: 5/s}\n    - {duration: 5s, rate: 0/s}\n",
		want: []string{"f.yaml:5:28: load.stages[1].rate: a rate of 0 with no stage after it; the run ends with the last stage, so end with the last stage that has arrivals"},
	},
	{
		// A constant rate of 0.
		name: "zero arrival rate",
		src:  "load:\n  arrival_rate: 0/s\n  max_users: 5\n",
		want: []string{"f.yaml:2:17: load.arrival_rate: a rate of 0 with no stage after it would start nothing; give a rate above 0"},
	},
	{
		// max_users below 1.
		name:   "max_users zero",
		src:    "load:\n  arrival_rate: 5/s\n  max_users: 0\n",
		want:   []string{"f.yaml:3:14: load.max_users: must be 1 or more, got 0"},
		schema: true,
	},
	{
		// The open model without max_users.
		name:   "open without max_users",
		src:    "load:\n  arrival_rate: 5/s\n",
		want:   []string{"f.yaml:2:3: load: the open model needs max_users, the most users that may run iterations at once (arrivals finding none free are dropped and counted)"},
		schema: true,
	},
	{
		// Users and rate stages mixed.
		name: "mixed stages",
		src:  "load:\n  max_users: 5\n  stages:\n    - {duration: 5s, rate: 5/s}\n    - {duration: 5s, users: 3}\n",
		want: []string{"f.yaml:5:22: load.stages[1]: users in a list of rate stages; all stages ramp users (closed model) or all ramp a rate (open model)"},
	},
	{
		// Both forms of the open model at once.
		name:   "arrival_rate and stages",
		src:    "load:\n  arrival_rate: 5/s\n  max_users: 5\n  stages: [{duration: 5s, rate: 5/s}]\n",
		want:   []string{"f.yaml:4:3: load: arrival_rate and stages cannot be combined; a constant rate is arrival_rate with duration, a changing one is stages with rate"},
		schema: true,
	},
	{
		// max_users means nothing to closed stages.
		name: "max_users with users stages",
		src:  "load:\n  max_users: 5\n  stages: [{duration: 5s, users: 5}]\n",
		want: []string{"f.yaml:2:3: load.max_users: applies to the open model (arrival_rate, or stages with rate); closed-model stages set users"},
	},
	{
		// An empty load section.
		name:   "empty load",
		src:    "load: {}\n",
		want:   []string{"f.yaml:1:7: load: needs stages (users or rates over time) or arrival_rate; for example stages: [{duration: 30s, users: 10}]"},
		schema: true,
	},
	{
		// A typo in a stage key.
		name:   "unknown stage key",
		src:    "load:\n  stages:\n    - {duration: 5s, user: 3}\n",
		want:   []string{`f.yaml:3:22: unknown key "user" in a load stage; did you mean "users"?`},
		schema: true,
	},
	{
		// An unknown arrival process.
		name:   "bad arrivals",
		src:    "load:\n  arrival_rate: 5/s\n  max_users: 5\n  arrivals: poison\n",
		want:   []string{`f.yaml:4:13: load.arrivals: unknown value "poison" (one of: constant, poisson); did you mean "poisson"?`},
		schema: true,
	},
	{
		// fixed_count below 1.
		name:   "fixed_count zero",
		src:    "users:\n  - {name: b, fixed_count: 0, tasks: [{steps: [{log: x}]}]}\n",
		want:   []string{"f.yaml:2:28: fixed_count: must be 1 or more, got 0 (leave it out to share users by weight)"},
		schema: true,
	},
	{
		// fixed_count in the open model.
		name: "fixed_count open",
		src:  "load: {arrival_rate: 5/s, max_users: 5}\nusers:\n  - {name: b, fixed_count: 2, tasks: [{steps: [{log: x}]}]}\n",
		want: []string{`f.yaml:3:5: user type "b": fixed_count applies to the closed model; in the open model each arrival picks its user type by weight`},
	},
}

func TestParseLoadErrors(t *testing.T) {
	for _, tc := range loadErrorCases {
		t.Run(tc.name, func(t *testing.T) {
			src := tc.src
			if !strings.Contains(src, "users:\n  -") {
				src += oneUser
			}
			_, err := Parse("f.yaml", []byte(src))
			if err == nil {
				t.Fatalf("got no error, want %q", tc.want)
			}
			if got := err.Error(); got != strings.Join(tc.want, "\n") {
				t.Errorf("got\n  %s\nwant\n  %s", got, strings.Join(tc.want, "\n  "))
			}
		})
	}
}

// TestSchemaLoad checks that the schema accepts each load form and rejects
// the problems it can see, as the parser does.
func TestSchemaLoad(t *testing.T) {
	root := loadSchema(t)
	check := func(name, src string, wantValid bool) {
		var doc any
		if err := yaml.Unmarshal([]byte(src), &doc); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		w := &walker{root: root}
		w.validate(root, doc, "")
		if wantValid && len(w.errs) > 0 {
			t.Errorf("%s: the schema rejects what the parser accepts: %v", name, w.errs)
		}
		if !wantValid && len(w.errs) == 0 {
			t.Errorf("%s: the schema accepts what the parser rejects", name)
		}
	}
	for _, tc := range loadErrorCases {
		if tc.schema {
			src := tc.src
			if !strings.Contains(src, "users:\n  -") {
				src += oneUser
			}
			check(tc.name, src, false)
		}
	}
	valid := []string{
		"load: {stages: [{duration: 30s, users: 50}, {duration: 2m, users: 0}]}\n",
		"load: {arrival_rate: 50/s, duration: 2m, max_users: 500, arrivals: poisson}\n",
		"load: {arrival_rate: 3000/m, max_users: 5}\n",
		"load: {max_users: 5, stages: [{duration: 1m, rate: 10/s}, {duration: 1m, rate: 2.5/s}]}\n",
		"load: {arrival_rate: 12, max_users: 5}\n",
	}
	for _, src := range valid {
		if _, err := Parse("f.yaml", []byte(src+oneUser)); err != nil {
			t.Fatalf("%s: %v", src, err)
		}
		check(src, src+oneUser, true)
	}
}
