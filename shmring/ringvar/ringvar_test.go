package ringvar_test

import (
	"encoding/json"
	"errors"
	"expvar"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/tachyon-ipc/tachyon-go/shmring"
	"github.com/tachyon-ipc/tachyon-go/shmring/ringvar"
)

// runs numbers the expvar name, which lives for the whole process: a test
// run again with -count must not collide with its earlier self.
var runs atomic.Int32

func TestPublishStats(t *testing.T) {
	name := fmt.Sprintf("test.producer.%d", runs.Add(1))
	r, err := shmring.Create("tachyon-go-ringvar-test", 4096)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	p, err := r.Producer()
	if err != nil {
		t.Fatal(err)
	}
	if err := ringvar.Publish(name, p.Stats); err != nil {
		t.Fatal(err)
	}
	if err := ringvar.Publish(name, p.Stats); !errors.Is(err, ringvar.ErrTaken) {
		t.Fatalf("second Publish: got %v, want ErrTaken", err)
	}
	for range 3 {
		b, err := p.Acquire(10)
		if err != nil {
			t.Fatal(err)
		}
		copy(b, "0123456789")
		if err := p.Commit(10, 1); err != nil {
			t.Fatal(err)
		}
	}
	var got shmring.Stats
	if err := json.Unmarshal([]byte(expvar.Get(name).String()), &got); err != nil {
		t.Fatal(err)
	}
	if got.Frames != 3 || got.Bytes != 30 || got.Publishes != 3 {
		t.Fatalf("expvar shows %+v, want 3 frames, 30 bytes, 3 publications", got)
	}
}
