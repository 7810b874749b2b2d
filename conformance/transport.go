package conformance

import (
	"context"
	"errors"
	"fmt"
	"net"
	"testing"
	"time"
)

// Transport is the dialer/listener pair under test.
type Transport struct {
	// Listen returns a new listener. The suite closes it.
	Listen func() (net.Listener, error)
	// Dial connects to a listener Listen returned; addr is its Addr().
	Dial func(ctx context.Context, addr net.Addr) (net.Conn, error)
}

// Run runs every part of the suite as subtests.
func Run(t *testing.T, tr Transport) {
	t.Run("Conn", func(t *testing.T) { RunConn(t, tr) })
	t.Run("GRPC", func(t *testing.T) { RunGRPC(t, tr) })
	t.Run("HTTP", func(t *testing.T) { RunHTTP(t, tr) })
	t.Run("RPC", func(t *testing.T) { RunRPC(t, tr) })
	t.Run("Soak", func(t *testing.T) { RunSoak(t, tr) })
}

// waitLimit bounds every wait in the suite: a hang fails the test rather
// than the whole run.
const waitLimit = 30 * time.Second

// listen calls tr.Listen and closes the listener when the test ends.
func listen(t testing.TB, tr Transport) net.Listener {
	t.Helper()
	lis, err := tr.Listen()
	if err != nil {
		t.Fatalf("Listen: %v", err)
	}
	t.Cleanup(func() { lis.Close() })
	return lis
}

// pair connects a client to lis and returns both ends.
func pair(tr Transport, lis net.Listener) (client, server net.Conn, err error) {
	type accepted struct {
		c   net.Conn
		err error
	}
	ch := make(chan accepted, 1)
	go func() {
		c, err := lis.Accept()
		ch <- accepted{c, err}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	client, err = tr.Dial(ctx, lis.Addr())
	if err != nil {
		return nil, nil, fmt.Errorf("dial: %w", err)
	}
	select {
	case a := <-ch:
		if a.err != nil {
			client.Close()
			return nil, nil, fmt.Errorf("accept: %w", a.err)
		}
		return client, a.c, nil
	case <-time.After(waitLimit):
		client.Close()
		return nil, nil, errors.New("accept did not return the dialled connection")
	}
}

// dialer adapts tr.Dial to a fixed listener, for stacks that dial by name.
func dialer(tr Transport, lis net.Listener) func(ctx context.Context, _ string) (net.Conn, error) {
	addr := lis.Addr()
	return func(ctx context.Context, _ string) (net.Conn, error) { return tr.Dial(ctx, addr) }
}

// recv returns the next value of ch, or false after waitLimit.
func recv[T any](ch <-chan T) (T, bool) {
	select {
	case v := <-ch:
		return v, true
	case <-time.After(waitLimit):
		var zero T
		return zero, false
	}
}

// signal waits for ch to deliver, for at most waitLimit or until ctx ends.
func signal(ctx context.Context, ch <-chan struct{}) error {
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(waitLimit):
		return errors.New("timed out waiting for the other side")
	}
}
