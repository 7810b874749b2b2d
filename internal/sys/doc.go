// Package sys holds every raw system call tachyon-go makes, each behind a
// name that says what it does: creating and checking sealed memfds, mapping
// them, binding them to a NUMA node, futex waits and wakes, eventfds, and
// passing file descriptors over Unix sockets. The rest of the module never
// calls golang.org/x/sys/unix directly.
package sys
