// Package ringvar publishes transport statistics as expvar variables, so
// they appear as JSON under /debug/vars beside the process's other metrics.
//
// It is a package of its own because importing expvar registers the
// /debug/vars handler on http.DefaultServeMux: programs that use shmring
// without it keep their mux untouched.
package ringvar

import (
	"errors"
	"expvar"
	"fmt"
	"sync"
)

// ErrTaken means an expvar of that name is already published; expvar itself
// would panic.
var ErrTaken = errors.New("ringvar: expvar name already published")

// mu serialises Publish calls, so two of them cannot race to one name.
var mu sync.Mutex

// Publish publishes f as the expvar name; f runs on every read of the
// variable and its result is encoded as JSON. Typical f are a Producer's or
// Consumer's Stats method, or a Ring's Info. expvar has no way to unpublish:
// publish once per process, under a unique name (for example one that
// carries a connection number).
func Publish[T any](name string, f func() T) error {
	mu.Lock()
	defer mu.Unlock()
	if expvar.Get(name) != nil {
		return fmt.Errorf("%w: %q", ErrTaken, name)
	}
	expvar.Publish(name, expvar.Func(func() any { return f() }))
	return nil
}
