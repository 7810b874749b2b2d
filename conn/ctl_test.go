package conn_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net"
	"syscall"
	"testing"
	"time"

	"github.com/tachyon-ipc/tachyon-go/conn"
)

// The control line between a test and the peer roles of this package is
// the peerproc socketpair: single bytes for "ready" and "go", and one JSON
// line per report.

// report is what a peer role tells the test about a call it made.
type report struct {
	Err   string `json:",omitempty"` // the call's error text; empty on success
	Errno int    `json:",omitempty"` // the syscall.Errno the error wraps, if any
	EOF   bool   `json:",omitempty"` // the error was bare io.EOF (compared with ==)
	At    int64  `json:",omitempty"` // unix nanoseconds when the call returned
	Bytes int64  `json:",omitempty"` // bytes the role read
	Sum   string `json:",omitempty"` // hex SHA-256 of those bytes
	UID   int    `json:",omitempty"` // the remote uid the role saw
	// WriteBack is the error of a write the role made after reading.
	WriteBack      string `json:",omitempty"`
	WriteBackErrno int    `json:",omitempty"`
}

// errReport fills the error fields of a report.
func errReport(err error) report {
	r := report{At: time.Now().UnixNano()}
	if err != nil {
		r.Err = err.Error()
		r.EOF = err == io.EOF
		var errno syscall.Errno
		if errors.As(err, &errno) {
			r.Errno = int(errno)
		}
	}
	return r
}

func (r report) is(errno syscall.Errno) bool { return r.Errno == int(errno) }

// sendReport writes r as one JSON line.
func sendReport(ctl *net.UnixConn, r report) error {
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	ctl.SetWriteDeadline(time.Now().Add(30 * time.Second))
	_, err = ctl.Write(append(b, '\n'))
	return err
}

// readReport reads one JSON line, bounded by timeout. It reads byte by byte
// so that nothing after the line is consumed.
func readReport(t testing.TB, ctl *net.UnixConn, timeout time.Duration) report {
	t.Helper()
	ctl.SetReadDeadline(time.Now().Add(timeout))
	defer ctl.SetReadDeadline(time.Time{})
	var line []byte
	var b [1]byte
	for {
		if _, err := io.ReadFull(ctl, b[:]); err != nil {
			t.Fatalf("reading the peer's report: %v (got %q)", err, line)
		}
		if b[0] == '\n' {
			break
		}
		line = append(line, b[0])
	}
	var r report
	if err := json.Unmarshal(line, &r); err != nil {
		t.Fatalf("peer report %q: %v", line, err)
	}
	return r
}

// signal writes one control byte.
func signal(ctl *net.UnixConn) error {
	ctl.SetWriteDeadline(time.Now().Add(30 * time.Second))
	_, err := ctl.Write([]byte{1})
	return err
}

// awaitSignal reads one control byte, bounded by timeout.
func awaitSignal(ctl *net.UnixConn, timeout time.Duration) error {
	ctl.SetReadDeadline(time.Now().Add(timeout))
	defer ctl.SetReadDeadline(time.Time{})
	var b [1]byte
	_, err := io.ReadFull(ctl, b[:])
	return err
}

// mustSignal and mustAwait are the test side's signal and awaitSignal.
func mustSignal(t testing.TB, ctl *net.UnixConn) {
	t.Helper()
	if err := signal(ctl); err != nil {
		t.Fatalf("signalling the peer: %v", err)
	}
}

func mustAwait(t testing.TB, ctl *net.UnixConn) {
	t.Helper()
	if err := awaitSignal(ctl, 30*time.Second); err != nil {
		t.Fatalf("waiting for the peer: %v", err)
	}
}

// dialFrom is Dial as a peer role makes it: bounded, with options.
func dialFrom(path string, opts ...conn.Option) (*conn.Conn, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return conn.Dial(ctx, path, opts...)
}

// digest is the hex SHA-256 of b.
func digest(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}
