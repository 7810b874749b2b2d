package ringvar_test

import (
	"encoding/json"
	"errors"
	"expvar"
	"testing"

	"github.com/tachyon-ipc/tachyon-go/shmring"
	"github.com/tachyon-ipc/tachyon-go/shmring/ringvar"
)

func TestPublishStats(t *testing.T) {
	r, err := shmring.Create("tachyon-go-ringvar-test", 4096)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	p, err := r.Producer()
	if err != nil {
		t.Fatal(err)
	}
	if err := ringvar.Publish("test.producer", p.Stats); err != nil {
		t.Fatal(err)
	}
	if err := ringvar.Publish("test.producer", p.Stats); !errors.Is(err, ringvar.ErrTaken) {
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
	if err := json.Unmarshal([]byte(expvar.Get("test.producer").String()), &got); err != nil {
		t.Fatal(err)
	}
	if got.Frames != 3 || got.Bytes != 30 || got.Publishes != 3 {
		t.Fatalf("expvar shows %+v, want 3 frames, 30 bytes, 3 publications", got)
	}
}
