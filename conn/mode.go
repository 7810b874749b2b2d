package conn

import "errors"

// A connection carries either a byte stream (Read, Write, ReadFrom,
// WriteTo) or frames (Frames), chosen by the first call that uses it and
// kept for its life: a frame boundary cannot be told apart from a chunk
// boundary of the stream, so the two cannot be mixed on one end.

// How a connection is used; Conn.mode moves once from modeUnset.
const (
	modeUnset  = 0
	modeBytes  = 1
	modeFrames = 2
)

// Errors of mixing the byte stream and the frame API on one end; compare
// with errors.Is.
var (
	// ErrFrameMode means Read, Write, ReadFrom or WriteTo was called on a
	// connection that Frames switched to frames.
	ErrFrameMode = errors.New("conn: connection is in frame mode: use its Frames, not Read or Write")

	// ErrByteMode means Frames was called on a connection whose Read,
	// Write, ReadFrom or WriteTo had already been called.
	ErrByteMode = errors.New("conn: Read or Write already used this connection as a byte stream: Frames needs a fresh connection")
)

// useBytes fixes the connection in byte mode, unless it is in frame mode.
func (c *Conn) useBytes() error {
	m := c.mode.Load()
	if m == modeUnset {
		c.mode.CompareAndSwap(modeUnset, modeBytes)
		m = c.mode.Load()
	}
	if m == modeFrames {
		return ErrFrameMode
	}
	return nil
}
