//go:build linux

package grpcshm_test

import (
	"context"
	"flag"
	"fmt"
	"os"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"text/tabwriter"
	"time"

	"golang.org/x/sys/unix"

	"github.com/tachyon-ipc/tachyon-go/internal/grpcbench"
	"github.com/tachyon-ipc/tachyon-go/internal/hist"
	"github.com/tachyon-ipc/tachyon-go/shmring"
)

var (
	compare         = flag.Bool("grpc.compare", false, "run TestGRPCComparison, the interleaved gRPC transport comparison")
	compareRounds   = flag.Int("grpc.rounds", 3, "comparison rounds (every transport once per scenario per round)")
	compareDuration = flag.Duration("grpc.duration", time.Second, "measured time of one transport in one round")
	compareRun      = flag.String("grpc.scenarios", "", "regexp selecting the comparison's scenarios")
	comparePin      = flag.String("grpc.pin", "", "pin this process and the remote servers: 'clientCPU:serverCPU', e.g. 0:1")
	compareVariants = flag.String("grpc.variants", "", "extra columns with their own tuning, "+
		"e.g. 'shm-1m=shm:ring=1048576,window=8388608;shm-nospin=shm:spin=-1ns' "+
		"(keys: spin ring workers rbuf wbuf window inproc plain)")
)

// parseVariants parses -grpc.variants on top of the base tuning.
func parseVariants(spec string, base grpcbench.Tuning) ([]benchTransport, error) {
	var out []benchTransport
	for _, v := range strings.Split(spec, ";") {
		if v = strings.TrimSpace(v); v == "" {
			continue
		}
		name, rest, ok := strings.Cut(v, "=")
		if !ok {
			return nil, fmt.Errorf("variant %q: want name=transport:key=value,…", v)
		}
		transport, kvs, _ := strings.Cut(rest, ":")
		bt := benchTransport{name: name, transport: transport, remote: transport != grpcbench.Bufconn, tune: &grpcbench.Tuning{}}
		*bt.tune = base
		for _, kv := range strings.Split(kvs, ",") {
			if kv == "" {
				continue
			}
			k, val, _ := strings.Cut(kv, "=")
			var err error
			switch k {
			case "spin":
				var d time.Duration
				if d, err = time.ParseDuration(val); err == nil {
					bt.tune.Spin = d
					if d < 0 {
						bt.tune.Spin = grpcbench.NoSpin
					}
				}
			case "ring":
				bt.tune.RingSize, err = strconv.Atoi(val)
			case "workers":
				var n int
				n, err = strconv.Atoi(val)
				bt.tune.StreamWorkers = uint32(n)
			case "rbuf":
				bt.tune.ReadBuffer, err = strconv.Atoi(val)
			case "wbuf":
				bt.tune.WriteBuffer, err = strconv.Atoi(val)
			case "window":
				var n int
				n, err = strconv.Atoi(val)
				bt.tune.Window = int32(n)
			case "inproc":
				bt.remote = false
			case "plain":
				bt.tune.Plain = true
			default:
				err = fmt.Errorf("unknown key %q", k)
			}
			if err != nil {
				return nil, fmt.Errorf("variant %q: %v", v, err)
			}
		}
		out = append(out, bt)
	}
	return out, nil
}

// TestGRPCComparison prints the gRPC comparison as one table: every
// scenario of BenchmarkGRPC over every transport, the transports
// interleaved round after round (A B C … A B C …) so a noisy neighbour hits
// them alike, histograms merged over the rounds, ratios to the Unix socket
// and to bufconn from the same run, and the spread of the per-round
// figures. It only runs with -grpc.compare:
//
//	go test -run GRPCComparison -grpc.compare -grpc.rounds 5 ./grpcshm
func TestGRPCComparison(t *testing.T) {
	if !*compare {
		t.Skip("run with -grpc.compare")
	}
	tu := benchTuning()
	var sel *regexp.Regexp
	if *compareRun != "" {
		sel = regexp.MustCompile(*compareRun)
	}
	var transports []benchTransport
	for _, bt := range benchTransports {
		if selected(bt.name) {
			transports = append(transports, bt)
		}
	}
	variants, err := parseVariants(*compareVariants, tu)
	if err != nil {
		t.Fatal(err)
	}
	transports = append(transports, variants...)
	var clientCPU, serverCPU = -1, -1
	if *comparePin != "" {
		if _, err := fmt.Sscanf(*comparePin, "%d:%d", &clientCPU, &serverCPU); err != nil {
			t.Fatalf("-grpc.pin %q: %v", *comparePin, err)
		}
		if err := pinProcess(os.Getpid(), clientCPU); err != nil {
			t.Fatal(err)
		}
	}
	clients := make([]*grpcbenchClient, len(transports))
	for i, bt := range transports {
		btu := tu
		if bt.tune != nil {
			btu = *bt.tune
			t.Logf("%s: %s tuning %+v", bt.name, bt.transport, btu)
		}
		c, err := newBenchClient(bt, btu)
		if err != nil {
			t.Fatal(err)
		}
		defer c.close(t)
		clients[i] = c
		if serverCPU >= 0 && bt.remote {
			if err := pinProcess(c.srv.Pid(), serverCPU); err != nil {
				t.Fatal(err)
			}
		}
	}
	type cell struct {
		tx, rx shmring.Stats // the client's ring counters over the measured phases
		hist   *hist.Histogram
		per    []float64 // per-round p50 (unary) or throughput (stream)
		msgs   int64
		bytes  int64
		elapse time.Duration
	}
	var scenarios []benchScenario
	for _, sc := range benchScenarios {
		if sel == nil || sel.MatchString(sc.name) {
			scenarios = append(scenarios, sc)
		}
	}
	cells := make([][]cell, len(scenarios))
	for i := range cells {
		cells[i] = make([]cell, len(transports))
		for j := range cells[i] {
			cells[i][j].hist = hist.New()
		}
	}
	load0, _ := os.ReadFile("/proc/loadavg")
	for r := range *compareRounds {
		for i, sc := range scenarios {
			for j, bt := range transports {
				fmt.Fprintf(os.Stderr, "\rround %d/%d %-15s %-11s", r+1, *compareRounds, sc.name, bt.name)
				l := sc.load
				l.Duration, l.Warmup = *compareDuration, *compareDuration/5
				ctx, cancel := context.WithTimeout(context.Background(), 10*l.Duration+time.Minute)
				var res grpcbench.Result
				var err error
				tx0, rx0 := clients[j].cc.ShmStats()
				if sc.stream {
					res, err = grpcbench.ServerStream(ctx, clients[j].cc, l)
				} else {
					res, err = grpcbench.Unary(ctx, clients[j].cc, l)
				}
				cancel()
				if err != nil {
					t.Fatalf("%s over %s: %v", sc.name, bt.name, err)
				}
				c := &cells[i][j]
				tx1, rx1 := clients[j].cc.ShmStats()
				c.tx, c.rx = addStats(c.tx, subStats(tx1, tx0)), addStats(c.rx, subStats(rx1, rx0))
				c.msgs += res.Msgs
				c.bytes += res.Bytes
				c.elapse += res.Elapsed
				if sc.stream {
					c.per = append(c.per, res.BytesPerSec())
				} else {
					c.hist.Merge(res.Hist)
					c.per = append(c.per, float64(res.Hist.Percentile(50)))
				}
			}
		}
	}
	fmt.Fprintln(os.Stderr)
	load1, _ := os.ReadFile("/proc/loadavg")

	var sb strings.Builder
	fmt.Fprintf(&sb, "gRPC comparison, %s; %d rounds × %v, interleaved; tuning %+v\n", time.Now().UTC().Format("2006-01-02 15:04 UTC"),
		*compareRounds, *compareDuration, tu)
	fmt.Fprintf(&sb, "load average %s → %s; GOMAXPROCS %d; pinning %q\n", firstField(load0), firstField(load1),
		runtime.GOMAXPROCS(0), *comparePin)
	tw := tabwriter.NewWriter(&sb, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "scenario\ttransport\tp50\tp99\tQPS\tMB/s\tp50 vs unix\tp50 vs bufconn\tspread\twakes sent\treader parks\treader spin wins\t")
	for i, sc := range scenarios {
		unix, buf := slices.IndexFunc(transports, func(b benchTransport) bool { return b.name == "unix" }),
			slices.IndexFunc(transports, func(b benchTransport) bool { return b.name == "bufconn" })
		for j, bt := range transports {
			c := cells[i][j]
			qps := float64(c.msgs) / c.elapse.Seconds()
			mbs := float64(c.bytes) / c.elapse.Seconds() / 1e6
			if sc.stream {
				ratio := func(k int) string {
					if k < 0 {
						return "–"
					}
					o := cells[i][k]
					return fmt.Sprintf("%.2f× thr", (float64(c.bytes)/c.elapse.Seconds())/(float64(o.bytes)/o.elapse.Seconds()))
				}
				fmt.Fprintf(tw, "%s\t%s\t–\t–\t%.0f\t%.1f\t%s\t%s\t%s\t%s\n", sc.name, bt.name, qps, mbs, ratio(unix), ratio(buf), spread(c.per),
					perMsg(c.tx, c.rx, c.msgs))
				continue
			}
			p50 := c.hist.Percentile(50)
			ratio := func(k int) string {
				if k < 0 {
					return "–"
				}
				return fmt.Sprintf("%.2f×", float64(p50)/float64(cells[i][k].hist.Percentile(50)))
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%.0f\t%.1f\t%s\t%s\t%s\t%s\n", sc.name, bt.name, us(p50), us(c.hist.Percentile(99)),
				qps, mbs, ratio(unix), ratio(buf), spread(c.per), perMsg(c.tx, c.rx, c.msgs))
		}
	}
	tw.Flush()
	t.Log("\n" + sb.String())
	fmt.Print(sb.String())
}

// pinProcess pins every thread of process pid to cpu; threads it creates
// later inherit the mask.
func pinProcess(pid, cpu int) error {
	var set unix.CPUSet
	set.Set(cpu)
	tasks, err := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
	if err != nil {
		return err
	}
	for _, task := range tasks {
		tid, err := strconv.Atoi(task.Name())
		if err != nil {
			continue
		}
		if err := unix.SchedSetaffinity(tid, &set); err != nil && err != unix.ESRCH {
			return fmt.Errorf("pinning pid %d to CPU %d: %w", pid, cpu, err)
		}
	}
	return nil
}

// perMsg gives the client's ring counters per call (or stream message):
// wake system calls it sent, and how its reader's waits ended.
func perMsg(tx, rx shmring.Stats, msgs int64) string {
	if tx.Frames == 0 || msgs == 0 {
		return "–\t–\t–\t"
	}
	n := float64(msgs)
	return fmt.Sprintf("%.2f\t%.2f\t%.2f\t", float64(tx.Wakes)/n, float64(rx.Parks)/n, float64(rx.SpinWins)/n)
}

func addStats(a, b shmring.Stats) shmring.Stats {
	return shmring.Stats{Frames: a.Frames + b.Frames, Bytes: a.Bytes + b.Bytes, Publishes: a.Publishes + b.Publishes,
		Wakes: a.Wakes + b.Wakes, SpinWins: a.SpinWins + b.SpinWins, Parks: a.Parks + b.Parks, Waits: a.Waits + b.Waits}
}

func subStats(a, b shmring.Stats) shmring.Stats {
	return shmring.Stats{Frames: a.Frames - b.Frames, Bytes: a.Bytes - b.Bytes, Publishes: a.Publishes - b.Publishes,
		Wakes: a.Wakes - b.Wakes, SpinWins: a.SpinWins - b.SpinWins, Parks: a.Parks - b.Parks, Waits: a.Waits - b.Waits}
}

func us(ns int64) string { return fmt.Sprintf("%.1f µs", float64(ns)/1e3) }

// spread is (max − min) / median of the per-round figures.
func spread(v []float64) string {
	if len(v) < 2 {
		return "–"
	}
	s := slices.Clone(v)
	slices.Sort(s)
	return fmt.Sprintf("%.0f%%", 100*(s[len(s)-1]-s[0])/s[len(s)/2])
}

func firstField(b []byte) string {
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return "?"
	}
	return f[0]
}
