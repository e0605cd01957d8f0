package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/antchfx/htmlquery"
)

// These tests run a master and several worker processes of the built
// binary on loopback, as a user does, each on free ports.

// distLimit bounds each process of a distributed test.
const distLimit = 90 * time.Second

// proc is one running loadrun process.
type proc struct {
	name           string
	cmd            *exec.Cmd
	stdout, stderr syncBuffer
	done           chan struct{}
	code           int
}

func startProc(t *testing.T, bin, name string, args ...string) *proc {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), distLimit)
	p := &proc{name: name, done: make(chan struct{})}
	p.cmd = exec.CommandContext(ctx, bin, args...)
	p.cmd.Stdout, p.cmd.Stderr = &p.stdout, &p.stderr
	if err := p.cmd.Start(); err != nil {
		cancel()
		t.Fatalf("starting %s: %v", name, err)
	}
	go func() {
		defer cancel()
		err := p.cmd.Wait()
		var exit *exec.ExitError
		switch {
		case errors.As(err, &exit):
			p.code = exit.ExitCode()
		case err != nil:
			p.code = -1
		}
		close(p.done)
	}()
	t.Cleanup(func() {
		_ = p.cmd.Process.Kill()
		<-p.done
		if t.Failed() {
			t.Logf("%s stderr:\n%s", name, p.stderr.String())
		}
	})
	return p
}

// wait waits for the process to exit and returns its exit code.
func (p *proc) wait(t *testing.T, limit time.Duration) int {
	t.Helper()
	select {
	case <-p.done:
		return p.code
	case <-time.After(limit):
		t.Fatalf("%s did not exit within %s\nstderr:\n%s", p.name, limit, p.stderr.String())
		return -1
	}
}

// await waits until the process's stderr matches re and returns the first
// submatch.
func (p *proc) await(t *testing.T, re *regexp.Regexp, limit time.Duration) string {
	t.Helper()
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		if m := re.FindStringSubmatch(p.stderr.String()); m != nil {
			return m[len(m)-1]
		}
		select {
		case <-p.done:
			t.Fatalf("%s exited (%d) before printing %q\nstderr:\n%s", p.name, p.code, re, p.stderr.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
	t.Fatalf("%s did not print %q within %s\nstderr:\n%s", p.name, re, limit, p.stderr.String())
	return ""
}

var listening = regexp.MustCompile(`Master listening on (\S+)`)

// distCluster is a master process and its worker processes.
type distCluster struct {
	master  *proc
	workers []*proc
	json    string
}

// startDist starts a master on a free port with args and n workers that
// join it with join (nil: --master ADDR).
func startDist(t *testing.T, bin string, n int, join []string, args ...string) *distCluster {
	t.Helper()
	c := &distCluster{json: filepath.Join(t.TempDir(), "summary.json")}
	margs := append([]string{"master"}, args...)
	margs = append(margs, "--expect-workers", fmt.Sprint(n), "-q", "--json", c.json)
	if join == nil {
		margs = append(margs, "--bind", "127.0.0.1:0")
	}
	c.master = startProc(t, bin, "master", margs...)
	if join == nil {
		join = []string{"--master", c.master.await(t, listening, 20*time.Second)}
	}
	for i := range n {
		name := fmt.Sprintf("w%d", i+1)
		c.workers = append(c.workers, startProc(t, bin, name, append([]string{"worker", "--name", name}, join...)...))
	}
	return c
}

// distSummary is the part of the master's JSON summary these tests read.
type distSummary struct {
	Aggregated struct {
		Requests int64 `json:"requests"`
		Failures int64 `json:"failures"`
	} `json:"aggregated"`
	Requests []struct {
		Name     string `json:"name"`
		Requests int64  `json:"requests"`
		Failures int64  `json:"failures"`
	} `json:"requests"`
	Rendezvous []struct {
		Name    string  `json:"name"`
		Groups  int64   `json:"groups"`
		ByCount int64   `json:"by_count"`
		SizeMin float64 `json:"size_min"`
		SizeMax float64 `json:"size_max"`
	} `json:"rendezvous"`
	Warnings []string `json:"warnings"`
	Workers  []struct {
		Name     string `json:"name"`
		State    string `json:"state"`
		Requests int64  `json:"requests"`
	} `json:"workers"`
}

func (c *distCluster) finish(t *testing.T, wantCode int) distSummary {
	t.Helper()
	if code := c.master.wait(t, distLimit); code != wantCode {
		t.Errorf("master exit code %d, want %d\nstderr:\n%s\nstdout:\n%s", code, wantCode, c.master.stderr.String(), c.master.stdout.String())
	}
	return readJSONFile[distSummary](t, c.json)
}

// idServer records, per path, the user ids (query u) it was sent.
type idServer struct {
	mu  sync.Mutex
	ids map[string][]string
}

func (s *idServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.ids[r.URL.Path] = append(s.ids[r.URL.Path], r.URL.Query().Get("u"))
	s.mu.Unlock()
	w.Write([]byte("ok"))
}

func (s *idServer) get(path string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.ids[path])
}

// newIDServer starts an idServer on loopback for the test and returns it
// with its URL.
func newIDServer(t *testing.T) (*idServer, string) {
	t.Helper()
	ids := &idServer{ids: map[string][]string{}}
	srv := httptest.NewServer(ids)
	t.Cleanup(srv.Close)
	return ids, srv.URL
}

// awaitHits waits until path was requested at least n times, failing the
// test after limit (a cluster that never loads fails instead of hanging).
func (s *idServer) awaitHits(t *testing.T, path string, n int, limit time.Duration) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for len(s.get(path)) < n {
		if time.Now().After(deadline) {
			t.Fatalf("%d requests to %s within %s, want %d", len(s.get(path)), path, limit, n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// startNATS builds nats-server from the module and starts it on a free
// port with a max_payload of 1 MB, returning its URL.
func startNATS(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(t.TempDir(), "nats-server")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	build := exec.CommandContext(ctx, "go", "build", "-o", bin, "github.com/nats-io/nats-server/v2")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building nats-server: %v\n%s", err, out)
	}
	// max_payload as NATS ships it (1 MB), written out so that a change of
	// the default cannot make the tests easier.
	conf := filepath.Join(t.TempDir(), "nats.conf")
	if err := os.WriteFile(conf, []byte("max_payload: 1048576\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	// -p -1 picks a free port; the server logs it.
	p := startProc(t, bin, "nats-server", "-c", conf, "-a", "127.0.0.1", "-p", "-1")
	return "nats://" + p.await(t, regexp.MustCompile(`Listening for client connections on (\S+)`), 20*time.Second)
}

// checkWorkerReports reads the workers table back from the CSV file and
// the HTML report of a distributed run whose JSON summary is s: the same
// workers with the same states and requests, lost ones marked.
func checkWorkerReports(t *testing.T, csvPrefix, htmlPath string, s distSummary) {
	t.Helper()
	rows := readCSV(t, csvPrefix+"_workers.csv")
	if len(rows) != len(s.Workers)+1 {
		t.Fatalf("workers CSV has %d rows for %d workers:\n%q", len(rows)-1, len(s.Workers), rows)
	}
	col := func(name string) int { return slices.Index(rows[0], name) }
	for i, w := range s.Workers {
		r := rows[i+1]
		if r[col("Name")] != w.Name || r[col("State")] != w.State || r[col("Requests")] != fmt.Sprint(w.Requests) {
			t.Errorf("workers CSV row %q; the JSON summary has %+v", r, w)
		}
		if lost := r[col("Lost At")] != ""; lost != (w.State == "lost") {
			t.Errorf("workers CSV row %q: Lost At does not match state %s", r, w.State)
		}
	}
	f, err := os.Open(htmlPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := htmlquery.Parse(f)
	if err != nil {
		t.Fatal(err)
	}
	trs := htmlquery.Find(doc, "//section[@id='workers']//tbody/tr")
	if len(trs) != len(s.Workers) {
		t.Fatalf("HTML report has %d worker rows for %d workers", len(trs), len(s.Workers))
	}
	for i, w := range s.Workers {
		tds := htmlquery.Find(trs[i], "./td")
		name, reqs := htmlquery.InnerText(tds[0]), htmlquery.InnerText(tds[4])
		marked := htmlquery.SelectAttr(trs[i], "class") == "lost"
		if name != w.Name || reqs != fmt.Sprint(w.Requests) || marked != (w.State == "lost") {
			t.Errorf("HTML worker row %q %q (marked lost: %v); the JSON summary has %+v", name, reqs, marked, w)
		}
	}
}
