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
	bells, err := newBells()
	if err != nil {
		return nil, nil, err
	}
	defer sys.CloseAll(bells[:]) // each end owns duplicates
	end := func(server bool) (*Conn, error) {
		ts, tc, err := ringPair(func(i int) (*shmring.Ring, error) { return shmring.Attach(fds[i], sizes[i]) })
		if err != nil {
			return nil, err
		}
		// The peer of a Pipe end is this very process: say so, rather than
		// leave zero credentials that read as root.
		local := &Addr{Path: "pipe"}
		remote := &Addr{Path: "pipe", PID: os.Getpid(), UID: os.Getuid(), GID: os.Getgid()}
		return assemble(endpoint{server: server, cfg: cfg, local: local, remote: remote}, ts, tc, func() ([numBells]int, error) {
			var dups [numBells]int
			for i, fd := range bells {
				if dups[i], err = sys.Dup(fd); err != nil {
					sys.CloseAll(dups[:i])
					return dups, err
				}
			}
			return dups, nil
		})
	}
	if client, err = end(false); err != nil {
		return nil, nil, err
	}
	if server, err = end(true); err != nil {
		client.Close()
		return nil, nil, err
	}
	return client, server, nil
}
