package conn

import (
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
	toServer, err := shmring.Create(memfdName("c2s", "pipe"), cfg.toServer)
	if err != nil {
		return nil, nil, err
	}
	defer toServer.Close()
	toClient, err := shmring.Create(memfdName("s2c", "pipe"), cfg.toClient)
	if err != nil {
		return nil, nil, err
	}
	defer toClient.Close()
	bells, err := newBells()
	if err != nil {
		return nil, nil, err
	}
	defer sys.CloseAll(bells[:])
	end := func(server bool) (*Conn, error) {
		ts, err := shmring.Attach(toServer.Fd(), cfg.toServer)
		if err != nil {
			return nil, err
		}
		tc, err := shmring.Attach(toClient.Fd(), cfg.toClient)
		if err != nil {
			ts.Close()
			return nil, err
		}
		var dups [numBells]int
		for i, fd := range bells {
			if dups[i], err = sys.Dup(fd); err != nil {
				sys.CloseAll(dups[:i])
				ts.Close()
				tc.Close()
				return nil, err
			}
		}
		addr := &Addr{Path: "pipe"}
		return newConn(endpoint{server: server, cfg: cfg, local: addr, remote: addr}, ts, tc, dups)
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
