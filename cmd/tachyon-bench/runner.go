package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"strings"
	"time"

	"github.com/tachyon-ipc/tachyon-go/internal/bench"
)

// job is one scenario at one payload size: one row of the table.
type job struct {
	s    bench.Scenario
	size int
}

func (j job) label() string { return j.s.Key() + " " + bench.FormatSize(j.size) }

// plan lists the jobs the flags select, in registration order.
func plan(all []bench.Scenario, cfg *config) []job {
	var jobs []job
	for _, s := range all {
		if !selected(s, cfg.only) {
			continue
		}
		sizes := s.Sizes
		if len(cfg.sizes) > 0 && !s.FixedSize {
			sizes = cfg.sizes
		}
		for _, size := range sizes {
			jobs = append(jobs, job{s: s, size: size})
		}
	}
	return jobs
}

// selected reports whether -only names the scenario's transport, its name
// or its key.
func selected(s bench.Scenario, only []string) bool {
	if len(only) == 0 {
		return true
	}
	for _, o := range only {
		if o == s.Transport || o == s.Name || o == s.Key() {
			return true
		}
	}
	return false
}

// environment describes the run for the table header and the JSON.
type environment struct {
	Date       time.Time     `json:"date"`
	Go         string        `json:"go"`
	OS         string        `json:"os"`
	Arch       string        `json:"arch"`
	Kernel     string        `json:"kernel"`
	CPUModel   string        `json:"cpu_model"`
	CPUs       int           `json:"cpus"`
	GOMAXPROCS int           `json:"gomaxprocs"`
	Rounds     int           `json:"rounds"`
	Duration   time.Duration `json:"duration_ns"`
	Spin       string        `json:"spin"`
	GOGC       string        `json:"gogc"`
	Pinning    string        `json:"pinning"`
	// LoadBefore and LoadAfter are the 1-minute load averages when the run
	// started and ended: above CPUs, other work competed for the CPUs.
	LoadBefore float64 `json:"load_before"`
	LoadAfter  float64 `json:"load_after"`

	peerCPUs []int
}

// newEnvironment records the machine and applies -cpu: this process goes
// to the first CPU, the peer to the second. Pinning is best effort: where
// the kernel refuses, the run goes on unpinned and says so.
func newEnvironment(cfg *config) *environment {
	env := &environment{
		Date: time.Now().UTC(), Go: runtime.Version(), OS: runtime.GOOS, Arch: runtime.GOARCH,
		Kernel: readLine("/proc/sys/kernel/osrelease"), CPUModel: cpuModel(),
		CPUs: runtime.NumCPU(), GOMAXPROCS: runtime.GOMAXPROCS(0),
		Rounds: cfg.rounds, Duration: cfg.duration, Spin: cfg.spinText, GOGC: gogcText(), Pinning: "off",
		LoadBefore: loadAverage(),
	}
	if len(cfg.cpus) > 0 {
		peer := cfg.cpus[len(cfg.cpus)-1]
		if err := bench.PinProcess(cfg.cpus[:1]); err != nil {
			env.Pinning = fmt.Sprintf("refused (%v), unpinned", errors.Unwrap(err))
		} else {
			env.peerCPUs = []int{peer}
			env.Pinning = fmt.Sprintf("this process on CPU %d, peer on CPU %d", cfg.cpus[0], peer)
		}
	}
	return env
}

func readLine(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return "unknown"
	}
	return strings.TrimSpace(string(b))
}

// loadAverage returns the 1-minute load average, or -1 where unknown.
func loadAverage() float64 {
	var load float64
	if _, err := fmt.Sscan(readLine("/proc/loadavg"), &load); err != nil {
		return -1
	}
	return load
}

// busy reports whether other work competed for the CPUs when the run
// began. The load after the run says little: the run's own spinning peers
// keep two CPUs busy, which alone lifts a 2-CPU machine's load average to
// about 2 by the end.
func (e *environment) busy() bool {
	return e.LoadBefore > float64(e.CPUs)
}

func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "unknown"
	}
	for line := range strings.Lines(string(b)) {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}

// measure runs every job once per round, rounds after rounds, so that a
// disturbance on the machine spreads over all transports alike.
func measure(ctx context.Context, jobs []job, cfg *config, env *environment, prog *progress) *report {
	runs := make([][]round, len(jobs))
	total := len(jobs) * cfg.rounds
	for r := range cfg.rounds {
		for i, j := range jobs {
			prog.step(r*len(jobs)+i, total, r, cfg.rounds, j.label())
			p := bench.Params{
				Size: j.size, Duration: cfg.duration, Warmup: cfg.warmup,
				Spin: cfg.spin, PeerCPUs: env.peerCPUs,
			}
			res, err := j.s.Run(ctx, p)
			if err != nil {
				prog.fail(j.label(), r, err)
			}
			runs[i] = append(runs[i], round{res: res, err: err})
		}
		prog.roundDone(r, cfg.rounds)
	}
	prog.finish()
	env.LoadAfter = loadAverage()
	return summarize(jobs, runs, env)
}
