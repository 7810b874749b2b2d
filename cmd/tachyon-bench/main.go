// Command tachyon-bench measures tachyon-go against a Unix socket, TCP
// loopback and the machine's cache-line and wire-format floors, between two
// real processes: it re-executes itself as the peer of every measurement.
//
// With no flags it runs every registered scenario (the floor probes, raw ring
// ping-pong and one-way streaming, the same over a connection in frame mode,
// net.Conn echo and io.Copy over shared memory, a Unix socket and TCP, gRPC
// unary over each, net/rpc calls over shared memory and a Unix socket) in
// interleaved rounds, A B C A B C …, so that a noisy
// neighbour hits every transport alike, and prints one table:
// p50, p99, p99.9 and max round trip, throughput, the ratio to the Unix
// socket and to the floor, and the spread between rounds. It takes about a
// minute on two cores.
//
// Usage:
//
//	tachyon-bench [-quick] [-only list] [-sizes list] [-duration d] [-count n]
//	              [-cpu a,b] [-spin d] [-gogc n] [-json] [-json-file f] [-svg file] [-list]
//	              [-cxx [-cxxpeer path] [-cxx-spin n]]
//
// -cxx runs the comparison with Tachyon's C++ core (internal/cxxpeer):
// C++↔C++, Go↔C++ both ways and Go↔Go, ping-pong 32 B and one-way 32 B and
// 1 KiB, beside the Unix socket's echo and io.Copy, and prints their
// per-round medians relative to C++↔C++.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/tachyon-ipc/tachyon-go/internal/bench"
	"github.com/tachyon-ipc/tachyon-go/internal/peerproc"
)

func main() {
	peerproc.Run() // plays the peer role when started as one
	os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
}

// config is the parsed command line.
type config struct {
	only     []string      // transports, scenarios or keys to run; empty: all
	sizes    []int         // payload sizes replacing the defaults; empty: defaults
	duration time.Duration // measuring time of one scenario in one round
	warmup   time.Duration
	rounds   int
	cpus     []int         // [this process, peer]; empty: no pinning
	spin     time.Duration // bench.Params.Spin
	spinText string
	gogc     string // -gogc: GOGC of this process and every peer; empty: as the environment has it
	json     bool
	svg      string
	jsonFile string // -json-file: the JSON document, beside the table
	list     bool
	quick    bool
	cxx      cxxConfig // -cxx, -cxxpeer, -cxx-spin
}

// pinnedSpin is the shared-memory sides' spin budget under -cpu with two
// CPUs and -spin default: shmring's default where a process may use two
// CPUs (shmring.DefaultSpin).
const pinnedSpin = 20 * time.Microsecond

// Exit codes.
const (
	exitOK     = 0
	exitFailed = 1 // a scenario failed
	exitUsage  = 2
)

func parseFlags(args []string, stderr io.Writer) (*config, error) {
	fs := flag.NewFlagSet("tachyon-bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfg := &config{}
	only := fs.String("only", "", "run only these transports, scenarios or transport/scenario keys (comma-separated, e.g. shm-raw,unix or echo)")
	sizes := fs.String("sizes", "", "payload sizes replacing each scenario's defaults (comma-separated, e.g. 32,4K,1M)")
	fs.DurationVar(&cfg.duration, "duration", 500*time.Millisecond, "measuring time of each scenario in each round")
	fs.IntVar(&cfg.rounds, "count", 3, "rounds: every scenario runs once per round, interleaved with the others")
	cpu := fs.String("cpu", "", "pin this process to the first CPU and the peer to the second (\"0,1\"); one CPU pins both")
	spin := fs.String("spin", "default", "spin budget of waiting shared-memory sides before they park (\"default\", \"0\" to park at once, \"50us\")")
	fs.StringVar(&cfg.gogc, "gogc", "", "GOGC of this process and every peer (\"400\", \"off\"); empty: as the environment sets it")
	fs.BoolVar(&cfg.json, "json", false, "print the results as JSON instead of a table")
	fs.StringVar(&cfg.svg, "svg", "", "also write a plot (SVG) to this file: latency by percentile beside throughput by payload size")
	fs.StringVar(&cfg.jsonFile, "json-file", "", "also write the results as JSON to this file (the table still goes to stdout)")
	fs.BoolVar(&cfg.list, "list", false, "list the scenarios and exit")
	fs.BoolVar(&cfg.quick, "quick", false, "a few seconds: every scenario, two short rounds")
	addCxxFlags(fs, &cfg.cxx)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: tachyon-bench [flags]\n\nMeasures shared memory against a Unix socket, TCP and the cache-line floor,\nbetween two processes. Flags:\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	cfg.warmup = 50 * time.Millisecond
	if cfg.quick {
		cfg.rounds, cfg.duration, cfg.warmup = 2, 30*time.Millisecond, 5*time.Millisecond
	}
	if cfg.rounds < 1 || cfg.duration <= 0 {
		return nil, fmt.Errorf("-count must be at least 1 and -duration positive")
	}
	for f := range strings.SplitSeq(*only, ",") {
		if f = strings.TrimSpace(f); f != "" {
			cfg.only = append(cfg.only, f)
		}
	}
	var err error
	if *sizes != "" {
		if cfg.sizes, err = bench.ParseSizes(*sizes); err != nil {
			return nil, err
		}
	}
	if cfg.cpus, err = bench.ParseCPUs(*cpu); err != nil {
		return nil, err
	}
	if len(cfg.cpus) > 2 {
		return nil, fmt.Errorf("-cpu takes one or two CPUs, not %d", len(cfg.cpus))
	}
	if err := checkGOGC(cfg.gogc); err != nil {
		return nil, err
	}
	cfg.spinText = *spin
	switch *spin {
	case "default", "":
		cfg.spinText = "default"
		if len(cfg.cpus) == 2 && cfg.cpus[0] != cfg.cpus[1] {
			// Each process then sees one CPU, where shmring's default is
			// not to spin (the peer would share it), but the pair spans
			// two: keep the multi-CPU default.
			cfg.spin, cfg.spinText = pinnedSpin, "default for two CPUs ("+pinnedSpin.String()+")"
		}
	default:
		d, err := time.ParseDuration(*spin)
		if *spin == "0" {
			d, err = 0, nil
		}
		if err != nil || d < 0 {
			return nil, fmt.Errorf("bad -spin %q", *spin)
		}
		cfg.spin = d
		if d == 0 {
			cfg.spin = bench.NoSpin
		}
	}
	return cfg, nil
}

// run is the whole command, with its streams given (the test calls it in
// process).
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cfg, err := parseFlags(args, stderr)
	if err == flag.ErrHelp {
		return exitOK
	}
	if err != nil {
		fmt.Fprintln(stderr, "tachyon-bench:", err)
		return exitUsage
	}
	jobs := plan(cfg.cxx.scenarios(bench.Scenarios(), cfg, stderr), cfg)
	if cfg.list {
		if err := writeList(stdout, jobs); err != nil {
			fmt.Fprintln(stderr, "tachyon-bench:", err)
			return exitFailed
		}
		return exitOK
	}
	if len(jobs) == 0 {
		fmt.Fprintln(stderr, "tachyon-bench: -only matches no scenario (see -list)")
		return exitUsage
	}
	if err := applyGOGC(cfg.gogc); err != nil {
		fmt.Fprintln(stderr, "tachyon-bench:", err)
		return exitFailed
	}
	env := newEnvironment(cfg)
	rep := measure(ctx, jobs, cfg, env, newProgress(stderr))
	rep.cxx = cxxJSON(&cfg.cxx, rep)
	if cfg.svg != "" {
		if err := writeSVG(cfg.svg, rep); err != nil {
			fmt.Fprintln(stderr, "tachyon-bench:", err)
			return exitFailed
		}
	}
	if cfg.jsonFile != "" {
		if err := writeJSONFile(cfg.jsonFile, rep); err != nil {
			fmt.Fprintln(stderr, "tachyon-bench:", err)
			return exitFailed
		}
	}
	if cfg.json {
		err = writeJSON(stdout, rep)
	} else {
		err = writeTable(stdout, rep)
		if err == nil {
			err = writeCxxTable(stdout, &cfg.cxx, rep)
		}
	}
	if err != nil {
		fmt.Fprintln(stderr, "tachyon-bench:", err)
		return exitFailed
	}
	if rep.failed() {
		return exitFailed
	}
	return exitOK
}
