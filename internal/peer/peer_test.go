package peer

import (
	"errors"
	"os"
	"strings"
	"testing"
)

func TestPolicy(t *testing.T) {
	var p Policy
	me := os.Geteuid()
	if !p.Allowed(me) || p.Allowed(me+1) {
		t.Fatal("the zero Policy must allow exactly our effective uid")
	}
	if err := p.SetUIDs(nil); err == nil {
		t.Fatal("SetUIDs(nil) succeeded")
	}
	if err := p.SetUIDs([]int{-1}); err == nil {
		t.Fatal("SetUIDs(-1) succeeded")
	}
	if err := p.SetUIDs([]int{me + 1}); err != nil {
		t.Fatal(err)
	}
	err := p.Check(42, me)
	if !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), "pid 42 runs as uid") {
		t.Fatalf("Check = %v", err)
	}
	p.SetAny()
	if p.Check(42, me+7) != nil {
		t.Fatal("SetAny still refuses")
	}
	if err := p.SetUIDs([]int{me}); err != nil || p.Allowed(me+7) {
		t.Fatal("SetUIDs after SetAny must win")
	}
}
