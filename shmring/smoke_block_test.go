package shmring

import (
	"context"
	"encoding/binary"
	"testing"
	"time"
)

func TestSmokeBlocking(t *testing.T) {
	for _, mode := range []string{"futex", "doorbell", "nospin-doorbell"} {
		t.Run(mode, func(t *testing.T) {
			var opts []Option
			var popts, copts []Option
			if mode != "futex" {
				data, _ := NewDoorbell()
				space, _ := NewDoorbell()
				defer data.Close()
				defer space.Close()
				popts = []Option{WithDoorbells(space, data)}
				copts = []Option{WithDoorbells(data, space)}
			}
			if mode == "nospin-doorbell" {
				opts = append(opts, WithSpin(0))
			}
			r, err := Create("t", 1024)
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			p, _ := r.Producer(append(popts, opts...)...)
			c, _ := r.Consumer(append(copts, opts...)...)
			const n = 200000
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			done := make(chan error, 1)
			go func() {
				var buf [8]byte
				for i := range n {
					binary.LittleEndian.PutUint64(buf[:], uint64(i))
					if err := p.Send(ctx, 1, buf[:(i%8)+1]); err != nil {
						done <- err
						return
					}
				}
				p.Close()
				done <- nil
			}()
			for i := 0; ; i++ {
				f, err := c.AcquireContext(ctx)
				if err != nil {
					if i != n {
						t.Fatalf("after %d frames: %v", i, err)
					}
					break
				}
				var buf [8]byte
				binary.LittleEndian.PutUint64(buf[:], uint64(i))
				if string(f.Payload) != string(buf[:(i%8)+1]) {
					t.Fatalf("frame %d wrong", i)
				}
				c.Commit()
			}
			if err := <-done; err != nil {
				t.Fatal(err)
			}
			t.Logf("producer %+v", p.Stats())
			t.Logf("consumer %+v", c.Stats())
		})
	}
}
