package grpcbench

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"time"

	"github.com/tachyon-ipc/tachyon-go/internal/peerproc"
	"github.com/tachyon-ipc/tachyon-go/internal/sys"
)

// PeerRole is the peerproc role of a benchmark server in another process.
const PeerRole = "grpcbench-server"

func init() { peerproc.Register(PeerRole, serverRole) }

// Bounds on a remote server's start and exit.
const (
	startTimeout = 30 * time.Second
	exitTimeout  = 15 * time.Second
)

// Server is a running benchmark server, in this process or another.
type Server struct {
	Transport string
	Addr      string // the listener's Addr().String()

	dir  string // socket directory, removed by Close
	lis  net.Listener
	grpc GRPCServer // in-process only

	peer *peerproc.Peer // remote only
	ctl  *net.UnixConn  // remote only: closing it stops the server
	ctlr *bufio.Reader  // remote only: ctl's answers
}

// StartLocalServer serves the benchmark service over transport in this
// process.
func StartLocalServer(transport string, tu Tuning) (*Server, error) {
	dir, err := os.MkdirTemp("", "grpcbench-")
	if err != nil {
		return nil, err
	}
	lis, err := Listen(transport, dir, tu)
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	s := &Server{Transport: transport, Addr: lis.Addr().String(), dir: dir, lis: lis, grpc: NewServer(transport, tu)}
	go s.grpc.Serve(lis)
	return s, nil
}

// StartServer serves the benchmark service over transport in a new process
// (this binary re-executed in PeerRole), which dies with us.
func StartServer(transport string, tu Tuning) (*Server, error) {
	if transport == Bufconn {
		return nil, errors.New("grpcbench: bufconn works in one process only")
	}
	cfg, err := json.Marshal(tu)
	if err != nil {
		return nil, err
	}
	p, ctl, err := peerproc.Start(PeerRole, []string{transport, string(cfg)}, &peerproc.Options{
		Env:  []string{"GORACE=atexit_sleep_ms=0"},
		Attr: sys.DieWithParent(),
	})
	if err != nil {
		return nil, err
	}
	ctl.SetReadDeadline(time.Now().Add(startTimeout))
	ctlr := bufio.NewReader(ctl)
	line, err := ctlr.ReadString('\n')
	if err != nil {
		ctl.Close()
		p.Kill()
		return nil, fmt.Errorf("grpcbench: %s server did not start: %w", transport, err)
	}
	ctl.SetReadDeadline(time.Time{})
	return &Server{Transport: transport, Addr: strings.TrimSuffix(line, "\n"), peer: p, ctl: ctl, ctlr: ctlr}, nil
}

// Dial returns a client of s with tu's client-side settings.
func (s *Server) Dial(tu Tuning) (*Client, error) {
	if s.lis != nil {
		return DialListener(s.Transport, s.lis, tu)
	}
	return Dial(s.Transport, s.Addr, tu)
}

// Pid returns the server's process id.
func (s *Server) Pid() int {
	if s.peer == nil {
		return os.Getpid()
	}
	return s.peer.Pid()
}

// Close stops the server and, for a remote one, waits for its process to
// exit.
func (s *Server) Close() error {
	if s.peer == nil {
		s.grpc.Stop()
		return os.RemoveAll(s.dir)
	}
	s.ctl.Close()
	return s.peer.Wait(exitTimeout)
}

// serverRole runs in the peer: args are the transport and the JSON tuning.
// It reports the listener's address as a line on the control socket,
// answers the questions that come on it (answerQueries) and serves until it
// closes.
func serverRole(args []string) error {
	if len(args) != 2 {
		return fmt.Errorf("grpcbench: server role wants 2 arguments, got %d", len(args))
	}
	var tu Tuning
	if err := json.Unmarshal([]byte(args[1]), &tu); err != nil {
		return err
	}
	ctl, err := peerproc.Socket()
	if err != nil {
		return err
	}
	defer ctl.Close()
	s, err := StartLocalServer(args[0], tu)
	if err != nil {
		return err
	}
	defer s.Close()
	if _, err := io.WriteString(ctl, s.Addr+"\n"); err != nil {
		return err
	}
	answerQueries(ctl) // until the measuring process closes its end or dies
	return nil
}
