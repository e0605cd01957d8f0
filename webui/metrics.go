package webui

import (
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// metricQuantiles are the response-time quantiles /metrics exposes, from
// the run's exact HDR histograms.
var metricQuantiles = []float64{0.5, 0.9, 0.95, 0.99}

// collector turns the latest snapshot into Prometheus metrics at each
// scrape. Counters restart from 0 after "Reset stats" or a new run, which
// Prometheus' rate() reads as a counter reset.
type collector struct {
	s *Server

	requests, failures, rt, users, target, state, rps, failPerSec, checks, threshold, cpu *prometheus.Desc
}

func newCollector(s *Server) *collector {
	req := []string{"method", "name"}
	return &collector{
		s:          s,
		requests:   prometheus.NewDesc("loadrun_requests_total", "Requests completed, per request name.", req, nil),
		failures:   prometheus.NewDesc("loadrun_failures_total", "Requests that failed, per request name.", req, nil),
		rt:         prometheus.NewDesc("loadrun_response_time_seconds", "Response times, per request name (quantiles from every sample).", req, nil),
		users:      prometheus.NewDesc("loadrun_users", "Virtual users running.", nil, nil),
		target:     prometheus.NewDesc("loadrun_target_users", "Virtual users asked for.", nil, nil),
		state:      prometheus.NewDesc("loadrun_state", "1 for the state the run is in.", []string{"state"}, nil),
		rps:        prometheus.NewDesc("loadrun_current_rps", "Requests per second over the last few seconds, all requests.", nil, nil),
		failPerSec: prometheus.NewDesc("loadrun_current_failures_per_second", "Failures per second over the last few seconds, all requests.", nil, nil),
		checks:     prometheus.NewDesc("loadrun_checks_total", "Checkpoint results, per request, check and result.", []string{"method", "name", "check", "result"}, nil),
		threshold:  prometheus.NewDesc("loadrun_threshold_pass", "1 when a threshold holds on the statistics so far, 0 when it does not.", []string{"request", "rule"}, nil),
		cpu:        prometheus.NewDesc("loadrun_generator_cpu_percent", "loadrun's own CPU use, in percent of the cores it may use.", nil, nil),
	}
}

// Describe sends every descriptor.
func (c *collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.requests, c.failures, c.rt, c.users, c.target, c.state, c.rps, c.failPerSec, c.checks, c.threshold, c.cpu} {
		ch <- d
	}
}

// Collect sends the metrics of the latest snapshot.
func (c *collector) Collect(ch chan<- prometheus.Metric) {
	st, run, snap := c.s.report()
	ch <- prometheus.MustNewConstMetric(c.users, prometheus.GaugeValue, float64(st.Users))
	ch <- prometheus.MustNewConstMetric(c.target, prometheus.GaugeValue, float64(st.TargetUsers))
	for _, name := range []string{StateReady, StateSpawning, StateRunning, StateStopping, StateStopped} {
		v := 0.0
		if name == st.State {
			v = 1
		}
		ch <- prometheus.MustNewConstMetric(c.state, prometheus.GaugeValue, v, name)
	}
	for _, t := range run.Thresholds {
		v := 0.0
		if t.Pass {
			v = 1
		}
		ch <- prometheus.MustNewConstMetric(c.threshold, prometheus.GaugeValue, v, t.Request, t.Rule)
	}
	if snap == nil {
		return
	}
	ch <- prometheus.MustNewConstMetric(c.cpu, prometheus.GaugeValue, finite(snap.CPU))
	if snap.Total != nil {
		ch <- prometheus.MustNewConstMetric(c.rps, prometheus.GaugeValue, finite(snap.Total.CurrentRPS))
		ch <- prometheus.MustNewConstMetric(c.failPerSec, prometheus.GaugeValue, finite(snap.Total.CurrentFailPerSec))
	}
	for _, e := range snap.Entries {
		ch <- prometheus.MustNewConstMetric(c.requests, prometheus.CounterValue, float64(e.Requests), e.Method, e.Name)
		ch <- prometheus.MustNewConstMetric(c.failures, prometheus.CounterValue, float64(e.Failures), e.Method, e.Name)
		var timed uint64
		if e.Hist != nil {
			timed = uint64(e.Hist.TotalCount())
		}
		q := make(map[float64]float64, len(metricQuantiles))
		for _, p := range metricQuantiles {
			q[p] = e.Percentile(p * 100).Seconds()
		}
		ch <- prometheus.MustNewConstSummary(c.rt, timed, e.SumTime.Seconds(), q, e.Method, e.Name)
	}
	for _, k := range snap.Checks {
		ch <- prometheus.MustNewConstMetric(c.checks, prometheus.CounterValue, float64(k.Pass), k.Request.Method, k.Request.Name, k.Name, "pass")
		ch <- prometheus.MustNewConstMetric(c.checks, prometheus.CounterValue, float64(k.Fail), k.Request.Method, k.Request.Name, k.Name, "fail")
	}
}

// metrics serves the Prometheus text exposition of the live run from a
// registry of the server's own (no global registry: two servers in one
// process, as tests run them, do not clash).
func (s *Server) metrics() http.Handler {
	reg := prometheus.NewRegistry()
	reg.MustRegister(newCollector(s))
	return promhttp.HandlerFor(reg, promhttp.HandlerOpts{Timeout: 10 * time.Second})
}
