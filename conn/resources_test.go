package conn_test

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tachyon-ipc/tachyon-go/conn"
)

// resources counts what connections hold in this process: open descriptors,
// mappings of our ring memfds, goroutines.
type resources struct {
	fds, maps, goroutines int
}

func (r resources) String() string {
	return fmt.Sprintf("%d fds, %d ring mappings, %d goroutines", r.fds, r.maps, r.goroutines)
}

// atMost reports whether every count in r is at most base's.
func (r resources) atMost(base resources) bool {
	return r.fds <= base.fds && r.maps <= base.maps && r.goroutines <= base.goroutines
}

func countResources(t testing.TB) resources {
	t.Helper()
	return resources{fds: openFDs(t), maps: ringMappings(t), goroutines: runtime.NumGoroutine()}
}

// openFDs counts this process's open descriptors.
func openFDs(t testing.TB) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(ents)
}

// ringMappings counts the lines of /proc/self/maps that map one of the
// memfds package conn names (conn.MemfdPrefix).
func ringMappings(t testing.TB) int {
	t.Helper()
	b, err := os.ReadFile("/proc/self/maps")
	if err != nil {
		t.Fatal(err)
	}
	return bytes.Count(b, []byte(conn.MemfdPrefix))
}

// osThreads returns the Threads: line of /proc/self/status.
func osThreads(t testing.TB) int {
	t.Helper()
	f, err := os.Open("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "Threads:"); ok {
			n, err := strconv.Atoi(strings.TrimSpace(v))
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
	}
	t.Fatal("no Threads: line in /proc/self/status")
	return 0
}

// settle waits, polling for at most 10 s, until the resources are back to
// base (background goroutines take a moment to finish) and fails the test
// if they are not.
func settle(t testing.TB, base resources) resources {
	t.Helper()
	var now resources
	if !eventually(10*time.Second, func() bool {
		now = countResources(t)
		return now.atMost(base)
	}) {
		t.Fatalf("leak: baseline %v, now %v", base, now)
	}
	return now
}

// poll waits until cond holds, failing the test after timeout and naming
// what it waited for.
func poll(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	if !eventually(timeout, cond) {
		t.Fatalf("timed out after %v waiting for %s", timeout, what)
	}
}

// eventually calls cond until it holds (true) or timeout passes (false). It
// is the only waiting-by-looking these tests do, for states nothing signals
// (a goroutine parked, a goroutine finished).
func eventually(timeout time.Duration, cond func() bool) bool {
	end := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(end) {
			return false
		}
		time.Sleep(time.Millisecond)
	}
	return true
}
