package main

import (
	"net/http/httptest"
	"os"
	"testing"

	"github.com/loadrun/loadrun/demo"
	"github.com/loadrun/loadrun/reports"
)

// TestDistributedPercentRendezvous: a percent rendezvous counts the users
// of the whole cluster. 9 users on 3 worker processes, percent 50: every
// group released by count has ceil(9 × 50 %) = 5 users, from several
// workers (a worker alone has 3 users, and 50 % of them would be 2). The
// run ends by time: the users waiting then are released short, in smaller
// groups (as users stop, fewer are alive to fill one).
func TestDistributedPercentRendezvous(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs several processes")
	}
	bin := buildLoadrun(t)
	app := demo.New(demo.Options{})
	srv := httptest.NewServer(app)
	defer srv.Close()
	file := writeScenario(t, "percent.yaml", `
name: percent
host: `+srv.URL+`
users:
  - name: Buyer
    wait: {constant: 50ms}
    tasks:
      - steps:
          - rendezvous: {name: buy, percent: 50, timeout: 60s}
          - request: {url: /rendezvous/arrive, query: {group: buy}, name: buy}
`)
	c := startDist(t, bin, 3, nil, file, "-u", "9", "-r", "0", "-t", "5s")
	c.finish(t, exitOK)
	f, err := os.Open(c.json)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	_, s, err := reports.ReadJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Rendezvous) != 1 {
		t.Fatalf("rendezvous %+v", s.Rendezvous)
	}
	r := s.Rendezvous[0]
	if r.ByCount < 3 || r.ByTimeout != 0 {
		t.Fatalf("%d groups released by count and %d by timeout; want several by count, none by timeout", r.ByCount, r.ByTimeout)
	}
	if n := r.Sizes.CountAtValue(5); n != r.ByCount {
		t.Errorf("%d groups of 5 users, want every one of the %d released by count", n, r.ByCount)
	}
	if max := r.Sizes.Max(); max != 5 {
		t.Errorf("largest group %d users, want 5", max)
	}
	if r.Groups != r.ByCount+r.ByShortfall {
		t.Errorf("%d groups: %d by count, %d by shortfall; want the rest released short, at the end", r.Groups, r.ByCount, r.ByShortfall)
	}
	// At the target: every group by count is 5 requests (the users released
	// short at the end may send theirs too, one each at most).
	arrivals := int64(len(app.Stats().Arrivals))
	if want := 5 * r.ByCount; arrivals < want || arrivals > want+9 {
		t.Errorf("%d arrivals at the target for %d groups of 5", arrivals, r.ByCount)
	}
	t.Logf("%d groups of 5 by count, %d short at the end; %d arrivals at the target", r.ByCount, r.ByShortfall, arrivals)
}
