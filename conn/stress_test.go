package conn_test

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/tachyon-ipc/tachyon-go/conn"
)

// Many connections at once through an echo peer process, each carrying
// checksummed, numbered messages of random sizes: every message must come
// back intact and in order.

// stressShape returns how many connections and messages per connection.
func stressShape() (conns, msgs int) {
	if testing.Short() {
		return 16, 2000
	}
	return 64, 10000
}

// maxStressPayload bounds a message's payload; sizes are uniform below it,
// so messages span one to several frames of the 16 KiB rings.
const maxStressPayload = 3000

func TestManyConnsInOrder(t *testing.T) {
	conns, msgs := stressShape()
	ps := peerSetup{path: sockPath(t), size: 16 << 10, spin: 20 * time.Microsecond}
	startPeer(t, "echo", ps)
	start := time.Now()
	var wg sync.WaitGroup
	errs := make(chan error, conns)
	for i := range conns {
		c := dial(t, ps.path)
		wg.Go(func() {
			defer c.Close()
			if err := echoChecked(c, uint64(i), msgs); err != nil {
				errs <- fmt.Errorf("connection %d: %w", i, err)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	t.Logf("%d connections × %d messages echoed in %v", conns, msgs, time.Since(start))
}

// A message is seq (u32), payload length (u32), payload, CRC-32 of all
// that (u32). Payloads come from a generator seeded per connection, so the
// reader knows each message's size without being told.
const msgOverhead = 12

// echoChecked writes msgs messages on c from one goroutine and reads them
// back from another, checking order and checksums.
func echoChecked(c *conn.Conn, id uint64, msgs int) error {
	c.SetDeadline(time.Now().Add(5 * time.Minute))
	wrote := make(chan error, 1)
	go func() {
		rng := rand.New(rand.NewPCG(id, 1))
		buf := make([]byte, msgOverhead+maxStressPayload)
		for seq := range msgs {
			m := encodeMsg(buf, uint32(seq), rng)
			if _, err := c.Write(m); err != nil {
				wrote <- fmt.Errorf("write %d: %w", seq, err)
				return
			}
		}
		wrote <- nil
	}()
	rng := rand.New(rand.NewPCG(id, 1))
	want := make([]byte, msgOverhead+maxStressPayload)
	got := make([]byte, msgOverhead+maxStressPayload)
	for seq := range msgs {
		m := encodeMsg(want, uint32(seq), rng)
		if _, err := io.ReadFull(c, got[:len(m)]); err != nil {
			return fmt.Errorf("read %d: %w", seq, err)
		}
		if s := binary.LittleEndian.Uint32(got); s != uint32(seq) {
			return fmt.Errorf("message %d arrived as number %d", seq, s)
		}
		sum := binary.LittleEndian.Uint32(got[len(m)-4:])
		if crc32.ChecksumIEEE(got[:len(m)-4]) != sum || string(got[:len(m)]) != string(m) {
			return fmt.Errorf("message %d (%d bytes) corrupted", seq, len(m))
		}
	}
	return <-wrote
}

// encodeMsg writes message seq with the next random payload into buf and
// returns it.
func encodeMsg(buf []byte, seq uint32, rng *rand.Rand) []byte {
	n := rng.IntN(maxStressPayload + 1)
	binary.LittleEndian.PutUint32(buf, seq)
	binary.LittleEndian.PutUint32(buf[4:], uint32(n))
	for i := 8; i < 8+n; i += 8 {
		var w [8]byte
		binary.LittleEndian.PutUint64(w[:], rng.Uint64())
		copy(buf[i:8+n], w[:])
	}
	m := buf[:8+n+4]
	binary.LittleEndian.PutUint32(m[8+n:], crc32.ChecksumIEEE(m[:8+n]))
	return m
}
