package shmring

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/tachyon-ipc/tachyon-go/internal/peerproc"
	"github.com/tachyon-ipc/tachyon-go/internal/sys"
)

// The cross-process test: this test binary re-executes itself as the peer
// (internal/peerproc). The parent creates two rings, fwd (parent → peer) and
// rev (peer → parent), and sends their memfds, plus four doorbell eventfds
// in doorbell mode, over the socketpair with SCM_RIGHTS. Both processes then
// produce and consume at once, each side blocking on a ring far smaller than
// the data.

const crossRole = "shmring-crossproc"

// Stream salts of the two directions.
const (
	fwdSalt = 0xF0
	revSalt = 0x0F
)

func init() { peerproc.Register(crossRole, crossPeer) }

func TestCrossProcess(t *testing.T) {
	const capacity, maxSize = 4096, 3000
	frames := uint64(200_000)
	if testing.Short() {
		frames = 100_000
	}
	for _, mode := range []string{"futex", "doorbell"} {
		t.Run(mode, func(t *testing.T) { runCrossProcess(t, mode, capacity, maxSize, frames) })
	}
}

func runCrossProcess(t *testing.T, mode string, capacity, maxSize int, frames uint64) {
	fwd, rev := testRing(t, capacity), testRing(t, capacity)
	fds := []int{fwd.Fd(), rev.Fd()}
	var popts, copts []Option
	var fwdSpace, revData *Doorbell // ours: we produce on fwd and consume rev
	if mode == "doorbell" {
		var fwdSpaceFd, revDataFd int
		fwdSpace, fwdSpaceFd = testDoorbellFd(t)
		revData, revDataFd = testDoorbellFd(t)
		defer sys.Close(fwdSpaceFd)
		defer sys.Close(revDataFd)
		fds = append(fds, fwdSpaceFd, revDataFd)
	}
	var out bytes.Buffer // written by one goroutine of exec, read after Wait
	args := []string{mode, strconv.Itoa(capacity), strconv.Itoa(maxSize), strconv.FormatUint(frames, 10)}
	peer, sock, err := peerproc.Start(crossRole, args, &peerproc.Options{Output: &out})
	if err != nil {
		t.Fatal(err)
	}
	defer sock.Close()
	defer peer.Kill()
	if err := sys.SendFds(sock, []byte("rings"), fds...); err != nil {
		t.Fatal(err)
	}
	if mode == "doorbell" {
		// The peer's own doorbells come back as ringers: fwd data, rev space.
		sock.SetReadDeadline(time.Now().Add(hangGuard))
		_, rfds, err := sys.RecvFds(sock, make([]byte, 16), 2)
		if err != nil || len(rfds) != 2 {
			t.Fatalf("peer's ringers: %v (%d descriptors)", err, len(rfds))
		}
		sock.SetReadDeadline(time.Time{})
		fwdData, revSpace := testRinger(t, rfds[0]), testRinger(t, rfds[1])
		popts = []Option{WithDoorbells(fwdSpace, fwdData)}
		copts = []Option{WithDoorbells(revData, revSpace)}
	}
	p, err := fwd.Producer(popts...)
	if err != nil {
		t.Fatal(err)
	}
	c, err := rev.Consumer(copts...)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()

	ctx, cancel := context.WithTimeout(context.Background(), hangGuard)
	defer cancel()
	peerErr := make(chan error, 1)
	go func() {
		<-peer.Done()
		err := peer.Wait(hangGuard) // returns at once: the peer has exited
		if err != nil {
			cancel() // do not wait for frames that will never come
		}
		peerErr <- err
	}()
	start := time.Now()
	prodErr := make(chan error, 1)
	go func() { prodErr <- newStream(fwdSalt, maxSize).produce(ctx, p, frames) }()
	if err := newStream(revSalt, maxSize).consume(ctx, c, frames); err != nil {
		// Stop our producer, and let the peer's fail fast: it sees
		// ErrPeerClosed on rev and an early EOF on fwd.
		cancel()
		c.Close()
		t.Errorf("receiving from the peer: %v", err)
	}
	if err := <-prodErr; err != nil {
		t.Errorf("sending to the peer: %v", err)
	}
	p.Close()
	select {
	case err := <-peerErr:
		if err != nil {
			t.Errorf("peer: %v\n%s", err, out.Bytes())
		}
	case <-time.After(hangGuard):
		t.Errorf("peer still running after %v", hangGuard)
	}
	ps, cs := p.Stats(), c.Stats()
	t.Logf("%d frames each way in %v; we sent %d MB, received %d MB", frames,
		time.Since(start).Round(time.Millisecond), ps.Bytes>>20, cs.Bytes>>20)
	t.Logf("our producer %+v", ps)
	t.Logf("our consumer %+v", cs)
}

// crossPeer is the peer process: it consumes fwd and produces rev.
func crossPeer(args []string) error {
	if len(args) != 4 {
		return fmt.Errorf("want 4 arguments, got %q", args)
	}
	mode := args[0]
	capacity, err1 := strconv.Atoi(args[1])
	maxSize, err2 := strconv.Atoi(args[2])
	frames, err3 := strconv.ParseUint(args[3], 10, 64)
	if err := errors.Join(err1, err2, err3); err != nil {
		return err
	}
	sock, err := peerproc.Socket()
	if err != nil {
		return err
	}
	defer sock.Close()
	want := 2
	if mode == "doorbell" {
		want = 4
	}
	sock.SetReadDeadline(time.Now().Add(hangGuard))
	_, fds, err := sys.RecvFds(sock, make([]byte, 16), want)
	if err != nil {
		return fmt.Errorf("receiving descriptors: %w", err)
	}
	if len(fds) != want {
		sys.CloseAll(fds)
		return fmt.Errorf("got %d descriptors, want %d", len(fds), want)
	}
	fwd, err := Attach(fds[0], capacity)
	sys.Close(fds[0])
	if err != nil {
		return err
	}
	defer fwd.Close()
	rev, err := Attach(fds[1], capacity)
	sys.Close(fds[1])
	if err != nil {
		return err
	}
	defer rev.Close()
	var popts, copts []Option
	if mode == "doorbell" {
		// Ours: fwd data (we consume fwd), rev space (we produce on rev);
		// the parent's ringers came with the rings: fwd space, rev data.
		fwdData, fwdDataFd, err := NewDoorbell()
		if err != nil {
			return err
		}
		defer fwdData.Close()
		revSpace, revSpaceFd, err := NewDoorbell()
		if err != nil {
			sys.Close(fwdDataFd)
			return err
		}
		defer revSpace.Close()
		err = sys.SendFds(sock, []byte("bells"), fwdDataFd, revSpaceFd)
		sys.Close(fwdDataFd)
		sys.Close(revSpaceFd)
		if err != nil {
			return err
		}
		fwdSpace, err := OpenRinger(fds[2])
		if err != nil {
			sys.Close(fds[3])
			return err
		}
		defer fwdSpace.Close()
		revData, err := OpenRinger(fds[3])
		if err != nil {
			return err
		}
		defer revData.Close()
		copts = []Option{WithDoorbells(fwdData, fwdSpace)}
		popts = []Option{WithDoorbells(revSpace, revData)}
	}
	c, err := fwd.Consumer(copts...)
	if err != nil {
		return err
	}
	defer c.Close()
	p, err := rev.Producer(popts...)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), hangGuard)
	defer cancel()
	// The parent keeps the socket open until we exit: EOF means it died.
	go func() {
		sock.SetReadDeadline(time.Time{})
		sock.Read(make([]byte, 1))
		cancel()
	}()
	prodErr := make(chan error, 1)
	go func() { prodErr <- newStream(revSalt, maxSize).produce(ctx, p, frames) }()
	cerr := newStream(fwdSalt, maxSize).consume(ctx, c, frames)
	if cerr != nil {
		cancel()
		c.Close()
	}
	perr := <-prodErr
	p.Close()
	return errors.Join(cerr, perr)
}
