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
