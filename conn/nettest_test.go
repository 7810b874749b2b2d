package conn

import (
	"fmt"
	"net"
	"testing"
	"time"

	"golang.org/x/net/nettest"
)

// ringSizes are the sizes every conformance run uses: small enough that data
// wraps constantly, and the default-like large one.
var ringSizes = []int{4 << 10, 1 << 20}

// spinModes run each test with the adaptive spin on and off.
var spinModes = []struct {
	name string
	spin time.Duration
}{{"spin", 20 * time.Microsecond}, {"nospin", 0}}

func TestNettestPipe(t *testing.T) {
	for _, size := range ringSizes {
		for _, sm := range spinModes {
			t.Run(fmt.Sprintf("%dKiB/%s", size>>10, sm.name), func(t *testing.T) {
				nettest.TestConn(t, func() (c1, c2 net.Conn, stop func(), err error) {
					a, b, err := Pipe(WithRingSize(size), WithSpin(sm.spin))
					if err != nil {
						return nil, nil, nil, err
					}
					return a, b, func() { a.Close(); b.Close() }, nil
				})
			})
		}
	}
}
