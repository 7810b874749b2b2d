//go:build linux

package main

import (
	"testing"
	"time"
)

func TestAddRates(t *testing.T) {
	t0 := time.Now()
	seg := func(ino, head, tail, frames uint64) segment {
		return segment{Ino: ino, Capacity: 4096, Head: head, Tail: tail,
			Producer: &counters[uint64]{Frames: frames, Bytes: 100 * frames, Publishes: frames},
			Consumer: &counters[uint64]{Frames: frames / 2}}
	}
	prev := &snapshot{Time: t0, Segments: []segment{seg(1, 1000, 500, 10), seg(2, 5000, 5000, 50)}}
	cur := &snapshot{Time: t0.Add(2 * time.Second), Segments: []segment{
		seg(1, 3000, 1500, 30), // 2 s later
		seg(2, 64, 0, 1),       // a new ring on a reused inode
		seg(3, 0, 0, 0),        // new
	}}
	addRates(prev, cur)
	r := cur.Segments[0].Rates
	if r == nil {
		t.Fatal("no rates")
	}
	want := rates{Seconds: 2, HeadBytes: 1000, TailBytes: 500,
		Producer: &counters[float64]{Frames: 10, Bytes: 1000, Publishes: 10},
		Consumer: &counters[float64]{Frames: 5}}
	if r.Seconds != want.Seconds || r.HeadBytes != want.HeadBytes || r.TailBytes != want.TailBytes ||
		*r.Producer != *want.Producer || *r.Consumer != *want.Consumer {
		t.Errorf("rates %+v %+v %+v, want %+v %+v %+v", r, r.Producer, r.Consumer, want, want.Producer, want.Consumer)
	}
	if cur.Segments[1].Rates != nil || cur.Segments[2].Rates != nil {
		t.Errorf("rates for a reused inode or a new ring: %+v, %+v", cur.Segments[1].Rates, cur.Segments[2].Rates)
	}
}
