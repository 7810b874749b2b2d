package bench

import (
	"context"
	"net"
	"net/rpc"
)

// net/rpc over any NetTransport: the peer process serves one Echo method
// (the standard library's gob codec) on the accepted connection, and the
// measuring process times client.Call round trips of Size-byte payloads,
// as a net/rpc user of the transport would see them.

const modeRPC = "net/rpc"

// RPCScenario is the name of every net/rpc scenario ("rpc-shm/call").
const RPCScenario = "call"

// RegisterNetRPC adds the net/rpc call scenario over t, as transport
// "rpc-" + t.Name, compared with net/rpc over the Unix socket
// ("rpc-unix/call"). Call it from an init function, after
// RegisterNetTransport(t) has run in the peer too (the built-in transports
// register in this package's init).
func RegisterNetRPC(t NetTransport) {
	Register(Scenario{Transport: "rpc-" + t.Name, Name: RPCScenario, Kind: Latency, Sizes: EchoSizes,
		Baseline: "rpc-" + Unix.Name + "/" + RPCScenario,
		Run:      func(ctx context.Context, p Params) (Result, error) { return runNet(ctx, t, modeRPC, p) }})
}

// rpcEcho is the served service.
type rpcEcho struct{}

// Echo returns its argument.
func (rpcEcho) Echo(args []byte, reply *[]byte) error {
	*reply = args
	return nil
}

// serveRPC serves net/rpc on c until the client closes it.
func serveRPC(c net.Conn) error {
	srv := rpc.NewServer()
	if err := srv.RegisterName("Echo", rpcEcho{}); err != nil {
		return err
	}
	srv.ServeConn(c) // returns when the client hangs up
	return nil
}

// rpcCalls times client.Call round trips over c.
func rpcCalls(c net.Conn, p Params) (Result, error) {
	client := rpc.NewClient(c)
	defer client.Close()
	msg := payload(p.Size)
	var reply []byte
	return MeasureRTT(p, func() error {
		reply = reply[:0]
		if err := client.Call("Echo.Echo", msg, &reply); err != nil {
			return err
		}
		return checkEcho(reply, msg)
	})
}
