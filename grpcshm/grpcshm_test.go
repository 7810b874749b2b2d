package grpcshm_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/resolver"
	"google.golang.org/grpc/status"

	"github.com/tachyon-ipc/tachyon-go/conn"
	"github.com/tachyon-ipc/tachyon-go/grpcshm"
	"github.com/tachyon-ipc/tachyon-go/listener"
	"github.com/tachyon-ipc/tachyon-go/shmring"
)

// A plain grpc.NewServer() on grpcshm.Listen and grpcshm.NewClient with no
// options: the one-line adoption.
func TestNewClientNoOptions(t *testing.T) {
	path := sockPath(t)
	lis, err := grpcshm.Listen(path)
	if err != nil {
		t.Fatal(err)
	}
	serve(t, newHealthServer(), lis)
	for _, target := range []string{path, "shm://" + path} {
		cc, err := grpcshm.NewClient(target)
		if err != nil {
			t.Fatal(err)
		}
		closeCC(t, cc)
		tr, p := check(t, cc)
		if got := trailer(tr, "auth-type"); got != "none" {
			t.Errorf("%s: server without credentials saw auth type %q", target, got)
		}
		if _, ok := p.Addr.(*conn.Addr); !ok {
			t.Errorf("%s: client's peer address is %T, want *conn.Addr", target, p.Addr)
		}
		if p.AuthInfo == nil || p.AuthInfo.AuthType() != grpcshm.AuthType {
			t.Errorf("%s: client auth info %v, want shm", target, p.AuthInfo)
		}
	}
}

// The server in another process: both sides learn the other's pid from the
// credentials alone.
func TestCredentialsCrossProcess(t *testing.T) {
	path := sockPath(t)
	p, ctl := startPeer(t, "health-server", path)
	defer func() {
		ctl.Close()
		if err := p.Wait(30 * time.Second); err != nil {
			t.Errorf("server: %v", err)
		}
	}()
	cc, err := grpcshm.NewClient(path)
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close()
	tr, peerInfo := check(t, cc)
	if got, want := trailer(tr, "peer-pid"), strconv.Itoa(os.Getpid()); got != want {
		t.Errorf("server saw pid %s, want %s", got, want)
	}
	if got, want := trailer(tr, "peer-uid"), strconv.Itoa(os.Getuid()); got != want {
		t.Errorf("server saw uid %s, want %s", got, want)
	}
	if got := trailer(tr, "security-level"); got != "PrivacyAndIntegrity" {
		t.Errorf("server saw security level %s", got)
	}
	ai, ok := peerInfo.AuthInfo.(grpcshm.AuthInfo)
	if !ok {
		t.Fatalf("client auth info %T, want grpcshm.AuthInfo", peerInfo.AuthInfo)
	}
	if ai.PID != p.Pid() || ai.UID != os.Getuid() || ai.GID != os.Getgid() || ai.Path != path {
		t.Errorf("client saw %+v, want pid %d uid %d gid %d path %s", ai, p.Pid(), os.Getuid(), os.Getgid(), path)
	}
}

// Server-side credentials with a client that uses none of ours but the
// dialer: the handshake exchanges no bytes, so either side may use them alone.
func TestServerCredentialsAlone(t *testing.T) {
	path := sockPath(t)
	lis, err := grpcshm.Listen(path)
	if err != nil {
		t.Fatal(err)
	}
	serve(t, newHealthServer(grpc.Creds(grpcshm.Credentials())), lis)
	cc, err := grpc.NewClient("shm://"+path, grpc.WithContextDialer(grpcshm.Dialer), insecureCreds)
	if err != nil {
		t.Fatal(err)
	}
	closeCC(t, cc)
	tr, _ := check(t, cc)
	if got := trailer(tr, "peer-pid"); got != strconv.Itoa(os.Getpid()) {
		t.Errorf("server saw pid %s, want ours", got)
	}
	// gRPC's own unix resolver hands the dialer the path intact too.
	cc2, err := grpc.NewClient("unix://"+path, grpc.WithContextDialer(grpcshm.NewDialer(conn.WithSpin(0))), insecureCreds)
	if err != nil {
		t.Fatal(err)
	}
	closeCC(t, cc2)
	check(t, cc2)
}

// hungListener accepts Unix connections and never answers them, so a dial
// waits in the handshake until its context ends.
func hungListener(t *testing.T) string {
	path := sockPath(t)
	ul, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	var held []net.Conn
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ul.Accept()
			if err != nil {
				return
			}
			held = append(held, c)
		}
	}()
	t.Cleanup(func() {
		ul.Close()
		<-done
		for _, c := range held {
			c.Close()
		}
	})
	return path
}

func TestDialerHonoursContext(t *testing.T) {
	path := hungListener(t)
	t.Run("deadline", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		c, err := grpcshm.Dialer(ctx, path)
		// conn.Dial reports context.DeadlineExceeded or the socket's
		// "i/o timeout", whichever timer fires first.
		timeout := errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded)
		if c != nil || !timeout {
			t.Fatalf("Dialer = %v, %v; want nil and a timeout", c, err)
		}
	})
	t.Run("cancel", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		errc := make(chan error, 1)
		go func() {
			c, err := grpcshm.Dialer(ctx, path)
			if c != nil {
				c.Close()
			}
			errc <- err
		}()
		cancel()
		select {
		case err := <-errc:
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("Dialer after cancel: %v, want context.Canceled", err)
			}
		case <-time.After(30 * time.Second):
			t.Fatal("Dialer ignored the cancellation")
		}
	})
	t.Run("grpc", func(t *testing.T) {
		cc, err := grpcshm.NewClient(path)
		if err != nil {
			t.Fatal(err)
		}
		defer cc.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		_, err = healthpb.NewHealthClient(cc).Check(ctx, &healthpb.HealthCheckRequest{}, grpc.WaitForReady(true))
		if status.Code(err) != codes.DeadlineExceeded {
			t.Fatalf("Check on a hung listener: %v, want DeadlineExceeded", err)
		}
	})
}

// fakeCC records the state a resolver reports.
type fakeCC struct {
	resolver.ClientConn
	state resolver.State
}

func (f *fakeCC) UpdateState(s resolver.State) error { f.state = s; return nil }

func TestResolverKeepsPath(t *testing.T) {
	b := resolver.Get(grpcshm.Scheme)
	if b == nil {
		t.Fatal("scheme shm not registered")
	}
	for target, want := range map[string]string{
		"shm:///tmp/a b/s.sock": "/tmp/a b/s.sock",
		"shm:///tmp/x%25y":      "/tmp/x%y",
		"shm:rel/s.sock":        "rel/s.sock",
		"shm://host/tmp/s":      "", // error
		"shm:":                  "", // error
	} {
		u, err := url.Parse(target)
		if err != nil {
			t.Fatal(err)
		}
		var cc fakeCC
		r, err := b.Build(resolver.Target{URL: *u}, &cc, resolver.BuildOptions{})
		if want == "" {
			if err == nil {
				t.Errorf("%s: resolved to %v, want an error", target, cc.state.Addresses)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", target, err)
			continue
		}
		r.Close()
		if len(cc.state.Addresses) != 1 || cc.state.Addresses[0].Addr != want {
			t.Errorf("%s: resolved to %v, want %q", target, cc.state.Addresses, want)
		}
	}
}

// A socket path with characters that URLs escape reaches the dialer intact.
func TestNewClientOddPath(t *testing.T) {
	dir, err := os.MkdirTemp("", "g s%#?")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := dir + "/s"
	lis, err := grpcshm.Listen(path)
	if err != nil {
		t.Fatal(err)
	}
	serve(t, newHealthServer(), lis)
	cc, err := grpcshm.NewClient(path)
	if err != nil {
		t.Fatal(err)
	}
	closeCC(t, cc)
	check(t, cc)
}

// Beyond one machine: the same client code reaches the service over shared
// memory, TCP and a plain Unix socket, and one server serves all three with
// CredentialsOr.
func TestFallbackToSockets(t *testing.T) {
	s := newHealthServer(grpc.Creds(grpcshm.CredentialsOr(insecure.NewCredentials())))
	path := sockPath(t)
	shmLis, err := grpcshm.Listen(path)
	if err != nil {
		t.Fatal(err)
	}
	tcpLis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	unixPath := sockPath(t)
	unixLis, err := net.Listen("unix", unixPath)
	if err != nil {
		t.Fatal(err)
	}
	serve(t, s, shmLis)
	go s.Serve(tcpLis) // serve's cleanup stops s, which closes these too
	go s.Serve(unixLis)

	// The client code under test: one function for every target.
	connect := func(target string) (*grpc.ClientConn, error) {
		return grpcshm.NewClient(target, grpc.WithTransportCredentials(grpcshm.CredentialsOr(insecure.NewCredentials())))
	}
	for target, wantAuth := range map[string]string{
		path:                               grpcshm.AuthType,
		"shm://" + path:                    grpcshm.AuthType,
		tcpLis.Addr().String():             "insecure",
		"dns:///" + tcpLis.Addr().String(): "insecure",
		"passthrough:///" + tcpLis.Addr().String(): "insecure",
		"unix://" + unixPath:                       "insecure",
	} {
		cc, err := connect(target)
		if err != nil {
			t.Fatalf("%s: %v", target, err)
		}
		tr, p := check(t, cc)
		cc.Close()
		if got := trailer(tr, "auth-type"); got != wantAuth {
			t.Errorf("%s: server saw auth type %s, want %s", target, got, wantAuth)
		}
		_, isShm := p.Addr.(*conn.Addr)
		if isShm != (wantAuth == grpcshm.AuthType) {
			t.Errorf("%s: connection went over %T", target, p.Addr)
		}
	}
}

// Credentials alone refuse a connection that is not shared memory, on
// either side, instead of claiming its security level.
func TestCredentialsRefuseSockets(t *testing.T) {
	tcpLis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	serve(t, newHealthServer(grpc.Creds(grpcshm.Credentials())), tcpLis)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for name, creds := range map[string]grpc.DialOption{
		"client": grpc.WithTransportCredentials(grpcshm.Credentials()),
		"server": insecureCreds,
	} {
		cc, err := grpcshm.NewClient(tcpLis.Addr().String(), creds)
		if err != nil {
			t.Fatal(err)
		}
		_, err = healthpb.NewHealthClient(cc).Check(ctx, &healthpb.HealthCheckRequest{})
		cc.Close()
		if status.Code(err) != codes.Unavailable {
			t.Errorf("%s side with shm credentials over TCP: %v, want Unavailable", name, err)
		}
		if name == "client" && !strings.Contains(err.Error(), grpcshm.ErrNotShm.Error()) {
			t.Errorf("client error %q does not say %q", err, grpcshm.ErrNotShm)
		}
	}
}

// A remote target gets no credentials by default: gRPC refuses it at once
// rather than sending plaintext anywhere unasked.
func TestRemoteTargetNeedsCredentials(t *testing.T) {
	if cc, err := grpcshm.NewClient("dns:///example.invalid:443"); err == nil {
		cc.Close()
		t.Fatal("NewClient of a remote target without credentials succeeded")
	}
}

// ringMapping returns the size of this process's mapping of the
// client-to-server ring of the connection at path, from /proc/self/maps.
func ringMapping(t *testing.T, path string) int {
	t.Helper()
	maps, err := os.ReadFile("/proc/self/maps")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(maps), "\n") {
		if !strings.Contains(line, conn.MemfdPrefix+"c2s:"+path) {
			continue
		}
		var lo, hi uint64
		if _, err := fmt.Sscanf(line, "%x-%x", &lo, &hi); err != nil {
			t.Fatal(err)
		}
		return int(hi - lo)
	}
	t.Fatalf("no mapping of %s's ring", path)
	return 0
}

// Listen's rings are DefaultRingSize unless the options say otherwise.
func TestListenRingSize(t *testing.T) {
	for _, tc := range []struct {
		opts []listener.Option
		want int
	}{
		{nil, grpcshm.DefaultRingSize},
		{[]listener.Option{listener.WithConnOptions(conn.WithRingSize(64 << 10))}, 64 << 10},
	} {
		path := sockPath(t)
		lis, err := grpcshm.Listen(path, tc.opts...)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		c, err := grpcshm.Dialer(ctx, path)
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		s, err := lis.Accept()
		if err != nil {
			t.Fatal(err)
		}
		// Two mappings (one per end) of control block + ring, page-rounded.
		if got := ringMapping(t, path); got < tc.want || got > tc.want+2*shmring.ControlSize+4096 {
			t.Errorf("ring mapping of %d bytes, want a %d-byte ring", got, tc.want)
		}
		c.Close()
		s.Close()
		lis.Close()
	}
}
