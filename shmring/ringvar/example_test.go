package ringvar_test

import (
	"fmt"
	"log"

	"github.com/tachyon-ipc/tachyon-go/shmring"
	"github.com/tachyon-ipc/tachyon-go/shmring/ringvar"
)

// Publish a ring's consumer counters and its whole control-block snapshot;
// an HTTP server on http.DefaultServeMux then serves them at /debug/vars.
func ExamplePublish() {
	r, err := shmring.Create("example", 4096)
	if err != nil {
		log.Fatal(err)
	}
	defer r.Close()
	c, err := r.Consumer()
	if err != nil {
		log.Fatal(err)
	}
	if err := ringvar.Publish("ring.example.consumer", c.Stats); err != nil {
		log.Fatal(err)
	}
	err = ringvar.Publish("ring.example.info", func() shmring.Info {
		in, _ := r.Info()
		return in
	})
	fmt.Println(err)
	// Output: <nil>
}
