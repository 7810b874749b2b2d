package sys

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"golang.org/x/sys/unix"
)

func TestParseNodeList(t *testing.T) {
	for in, want := range map[string][]int{
		"0":       {0},
		"0-1":     {0, 1},
		"0-2,4":   {0, 1, 2, 4},
		"1,3-4,7": {1, 3, 4, 7},
		"":        nil,
	} {
		got, err := parseNodeList(in)
		if err != nil || !slices.Equal(got, want) {
			t.Errorf("parseNodeList(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"x", "1-", "3-1", "-1", "0-5000"} {
		if got, err := parseNodeList(bad); err == nil {
			t.Errorf("parseNodeList(%q) = %v, want an error", bad, got)
		}
	}
}

func TestOnlineNUMANodesFakeTree(t *testing.T) {
	dir := t.TempDir()
	old := nodeDir
	t.Cleanup(func() { nodeDir = old })

	nodeDir = filepath.Join(dir, "missing")
	if _, err := OnlineNUMANodes(); !errors.Is(err, ErrNoNUMA) {
		t.Fatalf("no node list: got %v, want ErrNoNUMA", err)
	}
	nodeDir = dir
	if err := os.WriteFile(filepath.Join(dir, "online"), []byte("0-1,3\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := OnlineNUMANodes()
	if err != nil || !slices.Equal(got, []int{0, 1, 3}) {
		t.Fatalf("OnlineNUMANodes = %v, %v", got, err)
	}
}

// TestMbindPreferred binds a real shared memfd mapping to node 0, which every
// Linux machine has.
func TestMbindPreferred(t *testing.T) {
	fd, err := CreateSealedMemfd("tachyon-go-numa-test", 1<<16)
	if err != nil {
		t.Fatal(err)
	}
	defer Close(fd)
	mem, err := MapShared(fd, 1<<16)
	if err != nil {
		t.Fatal(err)
	}
	defer Unmap(mem)
	err = MbindPreferred(mem, 0)
	if errors.Is(err, unix.ENOSYS) || errors.Is(err, unix.EPERM) {
		t.Skipf("mbind unavailable here: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	if err := MbindPreferred(mem, -1); err == nil {
		t.Fatal("node -1 accepted")
	}
	if err := MbindPreferred(mem, MaxNUMANodes); err == nil {
		t.Fatal("node MaxNUMANodes accepted")
	}
}
