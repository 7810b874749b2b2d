//go:build linux

package conn_test

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
	"unsafe"

	"github.com/tachyon-ipc/tachyon-go/conn"
	"github.com/tachyon-ipc/tachyon-go/internal/peerproc"
	"golang.org/x/sys/unix"
)

// The attacker is a peer process (this test binary, re-executed) that
// finishes sessions with a listener of ours by hand, with raw system calls,
// then abuses everything a session gave it: the sleeping words in the
// shared control blocks, the ringing ends of our doorbells, and its copies
// of the ringing ends it gave us. The tests in attack_*_test.go check that
// our end of such a session still closes, honours its deadlines and holds
// no OS thread per blocked call (issue 14).

func init() {
	peerproc.Register("attacker", attackerRole)
}

// Offsets of the two sleeping words in a ring's control block (ABI.md §1),
// written out here so the attacker hits the wire layout, not the code's
// constants.
const (
	offConsumerSleeping = 384
	offProducerSleeping = 520
)

// attackRing is the ring size the attacker asks for: the smallest, so that
// a Write of ours fills it at once.
const attackRing = 4 << 10

// attack is what the attacker does to its sessions; parseAttack reads it
// from a comma-separated list of these flags:
//
//	words=V  store V (any u32; 0x prefix for hex) in all four sleeping words
//	         of both rings, over and over: ours (so that our waits nap or
//	         lose their sleep advertisement) and its own (so that we ring
//	         its doorbells, which it never reads)
//	block    clear O_NONBLOCK (F_SETFL) on every socket descriptor of the
//	         sessions: the session socket, the ringing ends of our
//	         doorbells, its own doorbells, and its copies of the ringing
//	         ends it gave us (whose file descriptions our ringers share)
//	fill     fill its own doorbells' queues, through its copies of the
//	         ringing ends, so that our rings of them find a full queue
//	flood    keep our doorbells' queues full, over and over
//	shut     shutdown(SHUT_RDWR) the ringing ends of our doorbells and its
//	         copies of the ringing ends it gave us
//	close    close the ringing ends of our doorbells
//	steal    read, over and over, whatever any of its sockets offers
type attack struct {
	words                          bool
	word                           uint32
	block, fill, flood, shut, shed bool
	steal                          bool
}

func parseAttack(s string) (attack, error) {
	var a attack
	for _, f := range strings.Split(s, ",") {
		switch v, ok := strings.CutPrefix(f, "words="); {
		case ok:
			w, err := strconv.ParseUint(v, 0, 32)
			if err != nil {
				return a, fmt.Errorf("attack %q: %v", f, err)
			}
			a.words, a.word = true, uint32(w)
		case f == "block":
			a.block = true
		case f == "fill":
			a.fill = true
		case f == "flood":
			a.flood = true
		case f == "shut":
			a.shut = true
		case f == "close":
			a.shed = true
		case f == "steal":
			a.steal = true
		default:
			return a, fmt.Errorf("unknown attack %q", f)
		}
	}
	return a, nil
}

// heldSession is one session the attacker finished by hand, with every
// descriptor and mapping it holds.
type heldSession struct {
	sock    int       // the session (liveness) socket; kept open: closing it would tell us
	segs    [2][]byte // the client-to-server and server-to-client rings, mapped read-write
	ringers [2]int    // the ringing ends of our two doorbells; -1 once closed
	bells   [2]int    // its own doorbells, never read (but by steal)
	gave    [2]int    // its copies of the ringing ends it gave us
}

// attackerRole dials args[0] args[1] times, finishing each session by hand,
// starts the attack args[2] describes, reports ready once it is under way,
// and keeps it up until its control socket closes.
func attackerRole(args []string) error {
	n, err := strconv.Atoi(args[1])
	if err != nil {
		return err
	}
	a, err := parseAttack(args[2])
	if err != nil {
		return err
	}
	sessions := make([]*heldSession, n)
	for i := range sessions {
		if sessions[i], err = sessionByHand(args[0]); err != nil {
			return fmt.Errorf("session %d: %w", i, err)
		}
	}
	for _, s := range sessions {
		if err := s.begin(a); err != nil {
			return err
		}
		s.round(a)
	}
	ctl, err := peerproc.Announce()
	if err != nil {
		return err
	}
	stop := make(chan struct{})
	go func() {
		peerproc.AwaitHangup(ctl)
		close(stop)
	}()
	for {
		select {
		case <-stop:
			return nil
		default:
		}
		for _, s := range sessions {
			s.round(a)
		}
		// Paces the attack so that it takes a share of the CPU, not all
		// of it: this is no synchronisation.
		time.Sleep(20 * time.Microsecond)
	}
}

// sessionByHand connects to path and runs the dialer's side of the session
// (ABI.md §5) with raw system calls: the hello, Tachyon's handshake with the
// two ring memfds, which it maps, the listener's offer with the ringing
// ends of our doorbells, and an acknowledgement with the ringing ends of
// two doorbells of its own, of which it keeps copies.
func sessionByHand(path string) (*heldSession, error) {
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	s := &heldSession{sock: fd}
	// Every blocking call of the handshake is bounded.
	tv := unix.Timeval{Sec: 10}
	unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv)
	unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_SNDTIMEO, &tv)
	if err := unix.Connect(fd, &unix.SockaddrUnix{Name: path}); err != nil {
		return nil, fmt.Errorf("connect: %w", err)
	}
	if err := sendAll(fd, clientHello(sessVersion, attackRing, attackRing), nil); err != nil {
		return nil, fmt.Errorf("hello: %w", err)
	}
	hs, rings, err := recvWithFds(fd, 32, 2)
	if err != nil {
		return nil, fmt.Errorf("handshake: %w", err)
	}
	if len(rings) != 2 {
		return nil, fmt.Errorf("handshake carried %d memfds", len(rings))
	}
	caps := [2]int{int(binary.NativeEndian.Uint32(hs[hsCapacityFwd:])), int(binary.NativeEndian.Uint32(hs[hsCapacityRev:]))}
	for i, rfd := range rings {
		s.segs[i], err = unix.Mmap(rfd, 0, 768+caps[i], unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
		unix.Close(rfd)
		if err != nil {
			return nil, fmt.Errorf("mmap ring %d: %w", i, err)
		}
	}
	offer, ringers, err := recvWithFds(fd, sessionMessageSize, 2)
	if err != nil {
		return nil, fmt.Errorf("offer: %w", err)
	}
	if len(ringers) != 2 || binary.NativeEndian.Uint32(offer[12:]) != 0 {
		return nil, fmt.Errorf("offer % x carried %d doorbells", offer, len(ringers))
	}
	copy(s.ringers[:], ringers)
	var theirs [2]int
	for i := range s.bells {
		pair, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			return nil, err
		}
		s.bells[i], s.gave[i], theirs[i] = pair[0], pair[1], pair[1]
	}
	if err := sendAll(fd, sessionOffer(sessVersion, sessFeatureBells), theirs[:]); err != nil {
		return nil, fmt.Errorf("acknowledgement: %w", err)
	}
	return s, nil
}

// sendAll writes b on fd, with the descriptors fds attached to its first
// byte.
func sendAll(fd int, b []byte, fds []int) error {
	var oob []byte
	if len(fds) > 0 {
		oob = unix.UnixRights(fds...)
	}
	for len(b) > 0 {
		n, err := unix.SendmsgN(fd, b, oob, nil, unix.MSG_NOSIGNAL)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return err
		}
		b, oob = b[n:], nil
	}
	return nil
}

// recvWithFds reads exactly size bytes from fd and the descriptors (at most
// max) that came with them.
func recvWithFds(fd, size, max int) ([]byte, []int, error) {
	b := make([]byte, size)
	var fds []int
	for n := 0; n < size; {
		oob := make([]byte, unix.CmsgSpace(4*max))
		k, oobn, _, _, err := unix.Recvmsg(fd, b[n:], oob, unix.MSG_CMSG_CLOEXEC)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return nil, fds, err
		}
		if k == 0 {
			return nil, fds, errors.New("listener hung up")
		}
		msgs, err := unix.ParseSocketControlMessage(oob[:oobn])
		if err != nil {
			return nil, fds, err
		}
		for _, m := range msgs {
			got, err := unix.ParseUnixRights(&m)
			if err != nil {
				return nil, fds, err
			}
			fds = append(fds, got...)
		}
		n += k
	}
	return b, fds, nil
}

// begin does the attack's one-time damage.
func (s *heldSession) begin(a attack) error {
	if a.shed {
		for i, fd := range s.ringers {
			unix.Close(fd)
			s.ringers[i] = -1
		}
	}
	if a.shut {
		for _, fd := range append(s.ringers[:], s.gave[:]...) {
			if fd >= 0 {
				unix.Shutdown(fd, unix.SHUT_RDWR)
			}
		}
	}
	if a.fill {
		for _, fd := range s.gave {
			fillQueue(fd)
		}
	}
	if a.block {
		for _, fd := range s.sockets() {
			flags, err := unix.FcntlInt(uintptr(fd), unix.F_GETFL, 0)
			if err != nil {
				return fmt.Errorf("F_GETFL: %w", err)
			}
			if _, err := unix.FcntlInt(uintptr(fd), unix.F_SETFL, flags&^unix.O_NONBLOCK); err != nil {
				return fmt.Errorf("F_SETFL: %w", err)
			}
		}
	}
	return nil
}

// sockets lists every socket descriptor of the session the attacker holds.
func (s *heldSession) sockets() []int {
	fds := []int{s.sock}
	for _, group := range [][2]int{s.ringers, s.bells, s.gave} {
		for _, fd := range group {
			if fd >= 0 {
				fds = append(fds, fd)
			}
		}
	}
	return fds
}

// round is one pass of the attack's repeated damage.
func (s *heldSession) round(a attack) {
	if a.words {
		for _, seg := range s.segs {
			for _, off := range []int{offConsumerSleeping, offProducerSleeping} {
				(*atomic.Uint32)(unsafe.Pointer(&seg[off])).Store(a.word)
			}
		}
	}
	if a.flood {
		for _, fd := range s.ringers {
			if fd >= 0 {
				fillQueue(fd)
			}
		}
	}
	if a.steal {
		var buf [4096]byte
		for _, fd := range s.sockets() {
			unix.Recvfrom(fd, buf[:], unix.MSG_DONTWAIT)
		}
	}
}

// fillQueue sends on fd without blocking until its peer's queue is full
// (or the socket refuses), at most a bounded number of times.
func fillQueue(fd int) {
	var buf [4096]byte
	for range 1024 {
		if _, err := unix.SendmsgN(fd, buf[:], nil, nil, unix.MSG_DONTWAIT|unix.MSG_NOSIGNAL); err != nil {
			return
		}
	}
}

// underAttack starts an attacker process that opens n sessions with a
// listener of ours and abuses them as mode says (see attack); it returns
// our ends of them once the abuse is under way. Everything is closed, and
// the attacker killed, when the test ends.
func underAttack(t *testing.T, n int, mode string) []*conn.Conn {
	t.Helper()
	path := sockPath(t)
	l := listen(t, path, conn.WithRingSize(attackRing))
	startRole(t, "attacker", []string{path, strconv.Itoa(n), mode}, nil)
	cs := make([]*conn.Conn, n)
	for i := range cs {
		cs[i] = accept(t, l)
		t.Cleanup(func() { cs[i].Close() })
	}
	return cs
}
