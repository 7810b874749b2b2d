package conn_test

import (
	"testing"
	"time"

	"github.com/tachyon-ipc/tachyon-go/conn"
)

// Frame mode waits on the futex word first (DefaultFramesFutexStage),
// unless the connection was opened with WithFutexStage or Frames is given
// WithFramesFutexStage; byte mode keeps the connection's stage.
func TestFramesFutexStage(t *testing.T) {
	for _, tc := range []struct {
		name      string
		opts      []conn.Option
		frameOpts []conn.FramesOption
		want      time.Duration
	}{
		{"default", nil, nil, conn.DefaultFramesFutexStage},
		{"connection option kept", []conn.Option{conn.WithFutexStage(0)}, nil, 0},
		{"connection option kept, nonzero", []conn.Option{conn.WithFutexStage(3 * time.Millisecond)}, nil, 3 * time.Millisecond},
		{"frames option", []conn.Option{conn.WithFutexStage(0)}, []conn.FramesOption{conn.WithFramesFutexStage(5 * time.Millisecond)}, 5 * time.Millisecond},
		{"frames option off", nil, []conn.FramesOption{conn.WithFramesFutexStage(0)}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, s, err := conn.Pipe(tc.opts...)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			defer s.Close()
			if got := conn.FutexStage(s); got != conn.FutexStage(c) {
				t.Fatalf("ends differ before frame mode: %v and %v", got, conn.FutexStage(c))
			}
			if _, err := c.Frames(tc.frameOpts...); err != nil {
				t.Fatal(err)
			}
			if got := conn.FutexStage(c); got != tc.want {
				t.Errorf("futex stage in frame mode: %v, want %v", got, tc.want)
			}
		})
	}
	c, s, err := conn.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	defer s.Close()
	if got := conn.FutexStage(c); got != 0 {
		t.Errorf("byte mode's futex stage: %v, want 0", got)
	}
	if _, err := c.Frames(conn.WithFramesFutexStage(-time.Millisecond)); err == nil {
		t.Error("a negative futex stage was accepted")
	}
}
