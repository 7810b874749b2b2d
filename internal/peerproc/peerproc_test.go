package peerproc

import (
	"io"
	"os"
	"testing"
	"time"
)

func TestMain(m *testing.M) {
	Register("echo", func(args []string) error {
		c, err := Socket()
		if err != nil {
			return err
		}
		defer c.Close()
		_, err = io.Copy(c, c)
		return err
	})
	Register("ready", func(args []string) error {
		c, err := Announce()
		if err != nil {
			return err
		}
		AwaitHangup(c)
		return nil
	})
	Register("never-ready", func(args []string) error {
		select {} // killed by StartReady's bound
	})
	Run()
	os.Exit(m.Run())
}

func TestEchoPeer(t *testing.T) {
	p, c, err := Start("echo", []string{"a", "b"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Write([]byte("hello")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 5)
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.ReadFull(c, buf); err != nil || string(buf) != "hello" {
		t.Fatalf("echo: %q %v", buf, err)
	}
	c.CloseWrite()
	if err := p.Wait(10 * time.Second); err != nil {
		t.Fatalf("peer exit: %v", err)
	}
}

func TestStartReadyAndHangup(t *testing.T) {
	p, c, err := StartReady("ready", nil, nil, 30*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	c.Close() // the role's AwaitHangup returns and it exits
	if err := p.Wait(30 * time.Second); err != nil {
		t.Fatalf("peer exit: %v", err)
	}
}

func TestStartReadyBounded(t *testing.T) {
	if _, _, err := StartReady("never-ready", nil, nil, 200*time.Millisecond); err == nil {
		t.Fatal("a role that never announces was reported ready")
	}
}
