package conformance

import (
	"net"
	"testing"

	"golang.org/x/net/nettest"
)

// RunConn runs nettest.TestConn on connections made by tr: the net.Conn
// contract (basic I/O, racy reads and writes, deadlines, Close unblocking
// pending calls, concurrent methods).
func RunConn(t *testing.T, tr Transport) {
	lis := listen(t, tr)
	nettest.TestConn(t, func() (c1, c2 net.Conn, stop func(), err error) {
		c1, c2, err = pair(tr, lis)
		if err != nil {
			return nil, nil, nil, err
		}
		return c1, c2, func() { c1.Close(); c2.Close() }, nil
	})
}
