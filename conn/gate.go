package conn

// gate is a mutex whose waiters give up when the connection closes: a Read
// queued behind a WriteTo that is stuck in its io.Writer must still return
// net.ErrClosed when Close is called. Uncontended, it costs one non-blocking
// channel send.
type gate chan struct{}

func newGate() gate { return make(gate, 1) }

// lock takes the gate, or reports false once closed is closed.
func (g gate) lock(closed <-chan struct{}) bool {
	select {
	case g <- struct{}{}:
		return true
	default:
	}
	select {
	case g <- struct{}{}:
		return true
	case <-closed:
		return false
	}
}

// tryLock takes the gate only if it is free.
func (g gate) tryLock() bool {
	select {
	case g <- struct{}{}:
		return true
	default:
		return false
	}
}

func (g gate) unlock() { <-g }
