package listener_test

import (
	"bufio"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tachyon-ipc/tachyon-go/listener"
)

// Nothing is allocated for a client before its valid hello (issue 14,
// attack 5: 200 clients that never spoke once left 401 MiB of rings).

// noHelloClients is how many clients TestNoMemoryBeforeHello opens.
const noHelloClients = 200

// TestNoMemoryBeforeHello: noHelloClients clients in another process
// connect and send nothing, garbage, a hello of the wrong version or half a
// hello, and hold their connections. Until every handshake has failed, this
// process (the listener's) must never hold a memfd more than before, and
// Stats must file each client under NoHello or Failed.
func TestNoMemoryBeforeHello(t *testing.T) {
	path := socketPath(t)
	l := listen(t, path, listener.WithPlainClients(false)) // the shared-memory-only listener
	base := memfds(t)
	shmBefore := meminfo(t, "Shmem")
	startSilentClients(t, path, noHelloClients, true, false)

	peak, samples := base, 0
	deadline := time.Now().Add(30 * time.Second)
	for {
		peak = max(peak, memfds(t))
		samples++
		st := l.Stats()
		if st.NoHello+st.Failed+st.Handshaken+st.Refused+st.Evicted >= noHelloClients {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 30 s only %+v of %d clients are accounted for", st, noHelloClients)
		}
		time.Sleep(time.Millisecond) // sampling, not synchronisation
	}
	st := l.Stats()
	shmAfter := meminfo(t, "Shmem")
	t.Logf("%d clients without a valid hello: %+v; memfds in the listener's process: %d before, at most %d in %d samples; "+
		"machine Shmem %+d KiB (other processes included)",
		noHelloClients, st, base, peak, samples, (shmAfter-shmBefore)>>10)
	if peak > base {
		t.Errorf("the listener held %d memfds while no client had sent a valid hello, %d before", peak, base)
	}
	want := noHelloClients / numKinds
	if st.Accepted != noHelloClients || st.Handshaken != 0 || st.NoHello != uint64(2*want) ||
		st.Failed != uint64(2*want) || st.Refused != 0 || st.Evicted != 0 {
		t.Errorf("Stats %+v; want %d accepted, %d without a hello (silent, half a hello), %d failed (HTTP, version 1)",
			st, noHelloClients, 2*want, 2*want)
	}
}

// memfds counts this process's descriptors that are memfds.
func memfds(t *testing.T) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range ents {
		// A descriptor closed since ReadDir has no link: skip it.
		if dst, err := os.Readlink(filepath.Join("/proc/self/fd", e.Name())); err == nil && strings.HasPrefix(dst, "/memfd:") {
			n++
		}
	}
	return n
}

// meminfo returns a field of /proc/meminfo, in bytes.
func meminfo(t *testing.T, field string) int64 {
	t.Helper()
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), field+":"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return kb << 10
		}
	}
	t.Fatalf("no %s in /proc/meminfo", field)
	return 0
}
