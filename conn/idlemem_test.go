//go:build linux

package conn_test

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tachyon-ipc/tachyon-go/conn"
)

// What an idle connection costs in shared memory (issue 14, attack 5: every
// idle connection once pinned its two pre-faulted 1 MiB rings). Rings are
// no longer pre-faulted: an idle, unused connection should cost the pages
// of its two control blocks.

// maxIdleShmem is the most shared memory an idle, unused connection with
// the default ring sizes may have resident, in either process (issue 14).
const maxIdleShmem = 64 << 10

// idleMemConns is how many idle connections TestIdleMemoryPerConn opens.
func idleMemConns() int {
	if testing.Short() {
		return 200
	}
	return 1000
}

// TestIdleMemoryPerConn opens idleMemConns connections with the default
// ring sizes to a listener in another process and reports, per connection,
// the growth of the shared memory each process has resident (RssShmem of
// /proc/PID/status: pages its own page tables map) and of the machine's
// Shmem (/proc/meminfo, which other processes also move). Each process's
// figure must be at most maxIdleShmem.
func TestIdleMemoryPerConn(t *testing.T) {
	n := idleMemConns()
	ensureFDs(t, uint64(8*n+200))
	path := sockPath(t)
	p, _ := startPeer(t, "hold", peerSetup{path: path, size: conn.DefaultRingSize, spin: 20 * time.Microsecond})
	peerStatus := fmt.Sprintf("/proc/%d/status", p.Pid())

	ours, theirs, machine := kibField(t, "/proc/self/status", "RssShmem"),
		kibField(t, peerStatus, "RssShmem"), kibField(t, "/proc/meminfo", "Shmem")
	cs := make([]*conn.Conn, 0, n)
	defer func() {
		for _, c := range cs {
			c.Close()
		}
	}()
	for range n {
		cs = append(cs, dial(t, path))
	}
	send, recv := cs[0].RingSizes()
	dOurs := kibField(t, "/proc/self/status", "RssShmem") - ours
	dTheirs := kibField(t, peerStatus, "RssShmem") - theirs
	dMachine := kibField(t, "/proc/meminfo", "Shmem") - machine
	per := func(kib int64) string { return fmt.Sprintf("%.1f KiB", float64(kib)/float64(n)) }
	t.Logf("%d idle connections with %d KiB + %d KiB rings: RssShmem per connection %s in the dialer, %s in the listener; "+
		"machine Shmem %s per connection (%+d KiB in all, other processes included)",
		n, send>>10, recv>>10, per(dOurs), per(dTheirs), per(dMachine), dMachine)
	for _, m := range []struct {
		who string
		kib int64
	}{{"dialer", dOurs}, {"listener", dTheirs}} {
		if m.kib<<10 > int64(n)*maxIdleShmem {
			t.Errorf("the %s has %s of shared memory resident per idle connection, want at most %d KiB",
				m.who, per(m.kib), maxIdleShmem>>10)
		}
	}
}

// kibField returns a "Name:   123 kB" field of a /proc file, in KiB.
func kibField(t *testing.T, file, name string) int64 {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), name+":"); ok {
			kib, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return kib
		}
	}
	t.Fatalf("no %s in %s", name, file)
	return 0
}
