package bench

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"os/exec"
	"strconv"
	"time"

	"github.com/tachyon-ipc/tachyon-go/internal/hist"
	"github.com/tachyon-ipc/tachyon-go/internal/sys"
)

// cxxProc is one running tachyon-cxxpeer process (internal/cxxpeer).
type cxxProc struct {
	cmd    *exec.Cmd
	out    *bufio.Reader
	stderr bytes.Buffer
}

// startCxx starts the peer binary in mode with key=value args. peerSide
// pins it to p.PeerCPUs[0] when pinning was asked for; the other C++ side of
// a C++↔C++ pair inherits this process's CPU.
func startCxx(ctx context.Context, peer CxxPeer, p Params, mode string, peerSide bool, args ...string) (*cxxProc, error) {
	if peerSide && len(p.PeerCPUs) > 0 {
		args = append(args, "cpu="+strconv.Itoa(p.PeerCPUs[0]))
	}
	cmd := exec.CommandContext(ctx, peer.Path, append([]string{mode}, args...)...)
	cmd.SysProcAttr = sys.DieWithParent()
	c := &cxxProc{cmd: cmd}
	cmd.Stderr = &c.stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	c.out = bufio.NewReaderSize(out, 1<<16)
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("bench: starting C++ peer: %w", err)
	}
	return c, nil
}

// line reads the peer's next report line and checks its first word.
func (c *cxxProc) line(word string, fields ...*int64) error {
	s, err := c.out.ReadString('\n')
	if err != nil {
		return c.failed(err)
	}
	var got string
	dst := []any{&got}
	for _, f := range fields {
		dst = append(dst, f)
	}
	if _, err := fmt.Sscan(s, dst...); err != nil || got != word {
		return fmt.Errorf("%w: C++ peer said %q", ErrBadMessage, s)
	}
	return nil
}

// samples reads a ping's round-trip times into a histogram.
func (c *cxxProc) samples() (*hist.Histogram, int64, time.Duration, error) {
	var n int64
	if err := c.line("samples", &n); err != nil {
		return nil, 0, 0, err
	}
	h := hist.New()
	var total int64
	var b [8]byte
	for range n {
		if _, err := io.ReadFull(c.out, b[:]); err != nil {
			return nil, 0, 0, c.failed(err)
		}
		v := int64(binary.LittleEndian.Uint64(b[:]))
		h.Record(v)
		total += v
	}
	return h, n, time.Duration(total), nil
}

// wait waits for the peer's exit.
func (c *cxxProc) wait() error {
	if err := c.cmd.Wait(); err != nil {
		return c.failed(err)
	}
	return nil
}

// kill stops a peer after a failure on our side.
func (c *cxxProc) kill() {
	c.cmd.Process.Kill()
	c.cmd.Wait()
}

func (c *cxxProc) failed(err error) error {
	return fmt.Errorf("bench: C++ peer: %w (stderr: %q)", err, bytes.TrimSpace(c.stderr.Bytes()))
}

// monotonicNs is CLOCK_MONOTONIC, the clock the C++ peer reports in.
func monotonicNs() int64 { return sys.MonotonicNanos() }

// cxxTiming are the arguments that make a C++ sender measure as p asks.
func cxxTiming(p Params) []string {
	return []string{
		"size=" + strconv.Itoa(p.Size),
		"warmup-ms=" + strconv.FormatInt(max(p.Warmup, 0).Milliseconds(), 10),
		"duration-ms=" + strconv.FormatInt(max(p.Duration.Milliseconds(), 1), 10),
		"count=" + strconv.Itoa(p.Count),
	}
}
