package engine

import (
	"runtime"
	"time"
)

// cpuMeter measures loadrun's own CPU use, as a percentage of the cores it
// may use (GOMAXPROCS, which follows CPU affinity and cgroup limits). A
// generator near 100 % queues its own work, and the latencies it reports
// then include that queueing: the console and reports say so.
type cpuMeter struct {
	last    time.Time
	lastCPU time.Duration
}

func newCPUMeter() *cpuMeter {
	m := &cpuMeter{last: time.Now()}
	m.lastCPU, _ = processCPU()
	return m
}

func (m *cpuMeter) sample(now time.Time) (float64, bool) {
	cpu, ok := processCPU()
	if !ok {
		return 0, false
	}
	wall := now.Sub(m.last)
	used := cpu - m.lastCPU
	m.last, m.lastCPU = now, cpu
	if wall <= 0 {
		return 0, false
	}
	return 100 * float64(used) / float64(wall) / float64(runtime.GOMAXPROCS(0)), true
}
