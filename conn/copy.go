package conn

import (
	"context"
	"io"
	"net"
)

// WriteTo writes everything the peer sends to w until the peer closes (it
// returns nil then, like io.Copy) or an error occurs. Each frame's payload
// is handed to w.Write straight from the ring, so io.Copy(w, conn) copies
// every byte once, in w.Write, instead of twice.
//
// WriteTo holds the reading side while w.Write runs; Close does not wait
// for it, and the side is released when WriteTo returns.
func (c *Conn) WriteTo(w io.Writer) (int64, error) {
	if err := c.useBytes(); err != nil {
		return 0, c.opError("read", err)
	}
	if !c.rdMu.lock(c.closing) {
		return 0, c.opError("read", net.ErrClosed)
	}
	defer c.unlockRead()
	var total int64
	if err := c.readable(); err != nil {
		return 0, c.opError("read", err)
	}
	for {
		if len(c.rdView) == 0 {
			if err := c.fill(); err != nil {
				if err == io.EOF {
					return total, nil
				}
				return total, c.opError("read", err)
			}
		}
		n, err := w.Write(c.rdView)
		total += int64(n)
		c.rdView = c.rdView[n:]
		if len(c.rdView) == 0 {
			c.rx.Commit()
		}
		if err == nil && len(c.rdView) > 0 {
			err = io.ErrShortWrite
		}
		if err != nil {
			return total, err
		}
	}
}

// ReadFrom reads from r into the ring until r returns io.EOF (it returns
// nil then, like io.Copy) or an error occurs. r.Read fills frames in place,
// so io.Copy(conn, r) copies every byte once, in r.Read, instead of twice.
//
// ReadFrom holds the writing side while r.Read runs; Close does not wait
// for it, and the side is released when ReadFrom returns.
func (c *Conn) ReadFrom(r io.Reader) (int64, error) {
	if err := c.useBytes(); err != nil {
		return 0, c.opError("write", err)
	}
	if !c.wrMu.lock(c.closing) {
		return 0, c.opError("write", net.ErrClosed)
	}
	defer c.unlockWrite()
	var total int64
	for {
		if err := c.writable(); err != nil {
			return total, c.opError("write", err)
		}
		buf, err := c.reserve(context.Background(), c.minChunk, c.maxChunk)
		if err != nil {
			return total, c.opError("write", err)
		}
		n, rerr := r.Read(buf)
		if n > 0 {
			c.tx.Commit(n, 0)
			total += int64(n)
		} else {
			c.tx.Rollback()
		}
		switch {
		case rerr == io.EOF:
			return total, nil
		case rerr != nil:
			return total, rerr
		}
	}
}
