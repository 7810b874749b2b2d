package shmring_test

import (
	"fmt"
	"log"

	"github.com/tachyon-ipc/tachyon-go/shmring"
)

// dot is any numeric routine that takes plain slices.
func dot(a, b []float32) float32 {
	var s float32
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}

// A producer writes a vector straight into the ring as []float32; the
// consumer hands the frame to a numeric routine as []float32, with no copy
// and no decoding on either side.
func ExampleView() {
	r, err := shmring.Create("example-vectors", 1<<16)
	if err != nil {
		log.Fatal(err)
	}
	defer r.Close()
	p, _ := r.Producer()
	c, _ := r.Consumer()

	v, err := shmring.AcquireView[float32](p, 4)
	if err != nil {
		log.Fatal(err)
	}
	copy(v, []float32{1, 2, 3, 4})
	if err := shmring.CommitView(p, v, 1); err != nil {
		log.Fatal(err)
	}

	f, err := c.Acquire()
	if err != nil {
		log.Fatal(err)
	}
	x, err := shmring.View[float32](f) // aliases the ring until Commit
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(dot(x, []float32{1, 1, 1, 1}), dot(x, x))
	c.Commit() // x is invalid from here on
	// Output: 10 30
}
