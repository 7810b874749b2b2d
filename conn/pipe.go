package conn

import (
	"os"

	"github.com/tachyon-ipc/tachyon-go/internal/sys"
	"github.com/tachyon-ipc/tachyon-go/shmring"
)

// Pipe returns the two ends of an in-process shared-memory connection, like
// net.Pipe but buffered by real rings: each end maps the rings on its own,
// exactly as two processes would. It is meant for tests and benchmarks.
// Ring-size and spin options apply to both ends.
func Pipe(opts ...Option) (client, server *Conn, err error) {
	cfg, err := newConfig(opts)
	if err != nil {
		return nil, nil, err
	}
	sizes := [2]int{cfg.toServer, cfg.toClient}
	toServer, toClient, err := ringPair(func(i int) (*shmring.Ring, error) {
		return shmring.Create(memfdName(ringDirs[i], "pipe"), sizes[i])
	})
	if err != nil {
		return nil, nil, err
	}
	defer toServer.Close() // each end maps its own
	defer toClient.Close()
	fds := [2]int{toServer.Fd(), toClient.Fd()}
	// Each end parks on doorbells of its own and rings the other's, as
	// two processes would after the session exchange.
	var ringFds [2][numBells]int // per end (client, server): its doorbells' ringing ends
	var bells [2][numBells]*shmring.Doorbell
	for e := range 2 {
		if bells[e], ringFds[e], err = ownBells(); err != nil {
			if e == 1 {
				closeBells(bells[0])
				sys.CloseAll(ringFds[0][:])
			}
			return nil, nil, err
		}
	}
	end := func(e int, server bool) (*Conn, error) {
		ts, tc, err := ringPair(func(i int) (*shmring.Ring, error) { return shmring.Attach(fds[i], sizes[i]) })
		if err != nil {
			closeBells(bells[e])
			sys.CloseAll(ringFds[1-e][:])
			return nil, err
		}
		// The peer of a Pipe end is this very process: say so, rather than
		// leave zero credentials that read as root.
		local := &Addr{Path: "pipe"}
		remote := &Addr{Path: "pipe", PID: os.Getpid(), UID: os.Getuid(), GID: os.Getgid()}
		var ringers [numBells]*shmring.Ringer
		for i, fd := range ringFds[1-e] {
			if ringers[i], err = shmring.OpenRinger(fd); err != nil {
				closeRingers(ringers)
				sys.CloseAll(ringFds[1-e][i+1:])
				closeBells(bells[e])
				ts.Close()
				tc.Close()
				return nil, err
			}
		}
		return newConn(endpoint{server: server, cfg: cfg, local: local, remote: remote}, ts, tc,
			wakeSet{bells: bells[e], ringers: ringers})
	}
	if client, err = end(0, false); err != nil {
		closeBells(bells[1])
		sys.CloseAll(ringFds[0][:])
		return nil, nil, err
	}
	if server, err = end(1, true); err != nil {
		client.Close()
		return nil, nil, err
	}
	return client, server, nil
}
