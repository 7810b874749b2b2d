//go:build linux

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tachyon-ipc/tachyon-go/conn"
	"github.com/tachyon-ipc/tachyon-go/internal/peerproc"
	"github.com/tachyon-ipc/tachyon-go/listener"
	"github.com/tachyon-ipc/tachyon-go/shmring"
)

func TestMain(m *testing.M) {
	peerproc.Run()
	os.Exit(m.Run())
}

func init() { peerproc.Register("server", serverRole) }

// Bytes by which the server role reports progress on its control socket.
const (
	serverListening = 1
	serverAccepted  = 2
)

// serverRole listens on args[0], accepts one connection and holds it without
// reading a byte until the test closes its control socket; then it closes
// the connection and the listener.
func serverRole(args []string) error {
	ctl, err := peerproc.Socket()
	if err != nil {
		return err
	}
	defer ctl.Close()
	l, err := listener.Listen(args[0])
	if err != nil {
		return err
	}
	defer l.Close()
	if _, err := ctl.Write([]byte{serverListening}); err != nil {
		return err
	}
	c, err := l.AcceptConn()
	if err != nil {
		return err
	}
	defer c.Close()
	if _, err := ctl.Write([]byte{serverAccepted}); err != nil {
		return err
	}
	io.Copy(io.Discard, ctl) // until the test closes its end (or dies)
	return nil
}

// bound is the limit of every wait in these tests.
const bound = 30 * time.Second

// expectByte reads one byte from the peer's control socket, bounded.
func expectByte(t *testing.T, ctl *net.UnixConn, want byte) {
	t.Helper()
	ctl.SetReadDeadline(time.Now().Add(bound))
	var b [1]byte
	if _, err := io.ReadFull(ctl, b[:]); err != nil || b[0] != want {
		t.Fatalf("peer: got byte %d (%v), want %d", b[0], err, want)
	}
}

// sockPath returns a fresh socket path short enough for sun_path.
func sockPath(t *testing.T) string {
	dir, err := os.MkdirTemp("", "ttop")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return filepath.Join(dir, "sock")
}

// runTop runs the command in this process and returns its standard output.
func runTop(t *testing.T, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), bound)
	defer cancel()
	var out, errb bytes.Buffer
	if code := run(ctx, args, &out, &errb); code != exitOK {
		t.Fatalf("tachyon-top %v exited %d\nstdout:\n%s\nstderr:\n%s", args, code, out.String(), errb.String())
	}
	return out.String()
}

// topJSON runs tachyon-top -once -json and returns the rings on path, by
// direction.
func topJSON(t *testing.T, path string) map[string]segment {
	t.Helper()
	var snap snapshot
	out := runTop(t, "-once", "-json")
	if err := json.Unmarshal([]byte(out), &snap); err != nil {
		t.Fatalf("bad JSON: %v\n%s", err, out)
	}
	rings := map[string]segment{}
	for _, s := range snap.Segments {
		if s.Path == path {
			if _, dup := rings[s.Direction]; dup {
				t.Fatalf("two %s rings on %s:\n%s", s.Direction, path, out)
			}
			rings[s.Direction] = s
		}
	}
	return rings
}

// slot is the ring space a frame of n payload bytes takes (ABI.md §2): a
// 64-byte header, then the payload, rounded up to whole 64-byte slots.
func slot(n int) int {
	return (shmring.HeaderSize + n + shmring.MsgAlignment - 1) / shmring.MsgAlignment * shmring.MsgAlignment
}

// TestLiveConn opens a connection to a server in another process, writes
// 1000 bytes the server does not read, and checks what tachyon-top sees;
// then closes both ends and checks that the rings are gone.
func TestLiveConn(t *testing.T) {
	path := sockPath(t)
	peer, ctl, err := peerproc.Start("server", []string{path}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer peer.Kill()
	defer ctl.Close()
	expectByte(t, ctl, serverListening)
	ctx, cancel := context.WithTimeout(context.Background(), bound)
	defer cancel()
	c, err := conn.Dial(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	expectByte(t, ctl, serverAccepted)
	const n = 1000 // one frame: conn writes small writes whole
	if _, err := c.Write(make([]byte, n)); err != nil {
		t.Fatal(err)
	}

	rings := topJSON(t, path)
	if len(rings) != 2 {
		t.Fatalf("rings on %s: %+v, want c2s and s2c", path, rings)
	}
	me := os.Getpid()
	pids := []int{me, peer.Pid()}
	slices.Sort(pids)
	for dir, s := range rings {
		if s.CreatorPID != peer.Pid() || !slices.Equal(s.PeerPIDs, []int{me}) || !slices.Equal(s.PIDs, pids) {
			t.Errorf("%s: creator %d, peers %v, pids %v; want creator %d (server), peers [%d]",
				dir, s.CreatorPID, s.PeerPIDs, s.PIDs, peer.Pid(), me)
		}
		if s.Capacity != conn.DefaultRingSize || s.State != "ready" || !s.Extended || s.ProducerEOF || s.ConsumerGone {
			t.Errorf("%s: %+v", dir, s)
		}
		if s.Name != conn.MemfdPrefix+dir+":"+path {
			t.Errorf("%s: name %q", dir, s.Name)
		}
	}
	c2s, s2c := rings["c2s"], rings["s2c"]
	if want := slot(n); c2s.Fill != want || c2s.Head != uint64(want) || c2s.Tail != 0 {
		t.Errorf("c2s: fill %d, head %d, tail %d; want fill = head = %d, tail 0", c2s.Fill, c2s.Head, c2s.Tail, want)
	}
	if want := (counters[uint64]{Frames: 1, Bytes: n, Publishes: 1}); c2s.Producer == nil || *c2s.Producer != want {
		t.Errorf("c2s producer counters %+v, want %+v", c2s.Producer, want)
	}
	if c2s.Consumer == nil || *c2s.Consumer != (counters[uint64]{}) {
		t.Errorf("c2s consumer counters %+v, want zeros", c2s.Consumer)
	}
	if s2c.Fill != 0 || s2c.Head != 0 {
		t.Errorf("s2c: fill %d, head %d; want 0", s2c.Fill, s2c.Head)
	}

	text := runTop(t, "-once")
	fill := fmt.Sprintf("%d B (%.1f%%)", slot(n), 100*float64(slot(n))/conn.DefaultRingSize)
	for _, want := range []string{path, fill, "c2s", "s2c", "producer", "consumer"} {
		if !strings.Contains(text, want) {
			t.Errorf("text output lacks %q:\n%s", want, text)
		}
	}

	c.Close()
	ctl.Close()
	if err := peer.Wait(bound); err != nil {
		t.Fatalf("server: %v", err)
	}
	// Both ends closed every descriptor; the rings vanish with the last.
	deadline := time.Now().Add(bound)
	for rings := topJSON(t, path); len(rings) > 0; rings = topJSON(t, path) {
		if time.Now().After(deadline) {
			t.Fatalf("rings still listed after both ends closed: %+v", rings)
		}
	}
}
