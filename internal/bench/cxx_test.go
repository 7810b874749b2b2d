package bench

import (
	"context"
	"testing"
	"time"
)

// TestCxxScenarios runs every comparison scenario against the C++ peer when
// one is built (see internal/cxxpeer); CI has none and skips.
func TestCxxScenarios(t *testing.T) {
	peer := CxxPeer{Path: DefaultCxxPeerPath()}
	if err := peer.Check(); err != nil {
		t.Skip(err)
	}
	for _, s := range CxxScenarios(peer) {
		for _, size := range s.Sizes {
			t.Run(s.Key()+"/"+FormatSize(size), func(t *testing.T) {
				const count = 2000
				p := Params{Size: size, Count: count, Warmup: 5 * time.Millisecond}
				res, err := s.Run(context.Background(), p)
				if err != nil {
					t.Fatal(err)
				}
				if res.Msgs != count || res.Elapsed <= 0 {
					t.Fatalf("measured %d messages in %v, want %d", res.Msgs, res.Elapsed, count)
				}
				if s.Kind == Latency && (res.Hist == nil || res.Hist.Count() != count) {
					t.Fatalf("bad histogram: %+v", res.Hist)
				}
			})
		}
	}
}

func TestCxxPeerMissing(t *testing.T) {
	if err := (CxxPeer{Path: t.TempDir()}).Check(); err == nil {
		t.Fatal("a directory passed as the C++ peer")
	}
}
