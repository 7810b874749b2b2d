package conn

// How a connection ends: the liveness socket that notices a dead peer,
// CloseWrite and Close, and the settling protocol that lets Close return
// without waiting for a side held by a goroutine stuck in user code.

import (
	"net"
)

// watch reads the liveness socket, on which the peer sends nothing after the
// handshake: its end means the peer closed or died. Blocked calls are woken
// to look at the rings once more.
func (c *Conn) watch() {
	defer close(c.watchDone)
	var b [64]byte
	for {
		if _, err := c.sock.Read(b[:]); err != nil {
			break
		}
	}
	c.peerGone.Store(true)
	c.rx.Interrupt()
	c.tx.Interrupt()
}

// CloseWrite shuts down the writing side: the peer reads io.EOF after the
// bytes already written; this side can still read. A Write in progress
// fails with EPIPE.
func (c *Conn) CloseWrite() error {
	if c.closed.Load() {
		return c.opError("close", net.ErrClosed)
	}
	c.shutWr.Store(true)
	c.tx.Interrupt()
	c.settleWrite()
	return nil
}

// Close closes the connection. Bytes already written stay readable by the
// peer, which then reads io.EOF; blocked calls on this side return
// net.ErrClosed. Close does not wait for a WriteTo or ReadFrom blocked in its
// io.Writer or io.Reader: that side is released when the call returns.
func (c *Conn) Close() error {
	if !c.closed.CompareAndSwap(false, true) {
		return c.opError("close", net.ErrClosed)
	}
	close(c.closing)
	c.rdDeadline.stop()
	c.wrDeadline.stop()
	c.tx.Interrupt()
	c.rx.Interrupt()
	c.settleWrite()
	c.settleRead()
	if c.sock != nil {
		c.sock.Close()
		<-c.watchDone
	}
	return nil
}

func (c *Conn) unlockRead() {
	c.rdMu.unlock()
	c.settleRead()
}

func (c *Conn) unlockWrite() {
	c.wrMu.unlock()
	c.settleWrite()
}

// settleRead closes the reading side once Close has begun, if it can take
// the lock; otherwise the holder does it in unlockRead. Whoever sets a flag
// and whoever releases the lock both call it after, so one of them sees
// both the flag and a free lock.
func (c *Conn) settleRead() {
	for c.closed.Load() && c.rdState.Load() != sideReleased {
		if !c.lightRx.revoke() || !c.rdMu.tryLock() {
			return
		}
		if c.rdState.Load() != sideReleased {
			c.rdView = nil
			c.rx.Close() // tells the peer's writer nobody reads any more
			c.rdState.Store(sideReleased)
			c.halfReleased()
		}
		c.rdMu.unlock()
	}
}

// settleWrite puts the EOF flag on our ring once CloseWrite or Close has
// begun, and releases the writing side after Close; same protocol as
// settleRead.
func (c *Conn) settleWrite() {
	for {
		want := int32(sideOpen)
		if c.shutWr.Load() {
			want = sideShut
		}
		if c.closed.Load() {
			want = sideReleased
		}
		if c.wrState.Load() >= want || !c.lightTx.revoke() || !c.wrMu.tryLock() {
			return
		}
		if st := c.wrState.Load(); st < sideShut {
			c.tx.Close() // publishes, then sets the EOF flag and wakes the peer
			c.wrState.Store(sideShut)
		}
		if want == sideReleased && c.wrState.Load() != sideReleased {
			c.wrState.Store(sideReleased)
			c.halfReleased()
		}
		c.wrMu.unlock()
	}
}

// halfReleased counts released sides; the second one frees the shared
// resources.
func (c *Conn) halfReleased() {
	if c.halves.Add(1) == 2 {
		c.release()
	}
}

// release frees the rings and doorbells (and the socket, when a setup
// fails before Close can). The peer keeps its own mappings; the memfds
// vanish with the last of them.
func (c *Conn) release() {
	if c.sock != nil && c.watchDone == nil {
		c.sock.Close()
	}
	c.txRing.Close()
	c.rxRing.Close()
	c.wake.close()
}
