package grpcshm

import (
	"context"
	"errors"
	"fmt"
	"net"

	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/peer"

	"github.com/tachyon-ipc/tachyon-go/conn"
)

// ErrNotShm is the handshake error of Credentials on a connection that is not
// a shared-memory connection (its RemoteAddr is not a *conn.Addr).
var ErrNotShm = errors.New("grpcshm: not a shared-memory connection")

// AuthType is the AuthType of AuthInfo and the SecurityProtocol of the
// credentials.
const AuthType = "shm"

// AuthInfo is what the shared-memory credentials know about the peer of a
// connection: its process credentials as the kernel reported them when the
// rings were set up (SO_PEERCRED), and the socket path. For an in-process
// conn.Pipe they are this process's own. The security level is
// credentials.PrivacyAndIntegrity: the bytes never leave the two processes'
// shared mappings.
type AuthInfo struct {
	credentials.CommonAuthInfo
	PID, UID, GID int
	Path          string
}

// AuthType returns "shm".
func (AuthInfo) AuthType() string { return AuthType }

// ValidateAuthority accepts any :authority override: a path has no server
// name to check it against.
func (AuthInfo) ValidateAuthority(string) error { return nil }

// PeerFromContext returns the shared-memory AuthInfo of the peer of the RPC
// whose context is ctx, if it came over shared memory and the server uses
// Credentials or CredentialsOr.
func PeerFromContext(ctx context.Context) (AuthInfo, bool) {
	p, ok := peer.FromContext(ctx)
	if !ok {
		return AuthInfo{}, false
	}
	ai, ok := p.AuthInfo.(AuthInfo)
	return ai, ok
}

// Credentials returns transport credentials for shared-memory connections.
// Their handshakes exchange no bytes: each side reads the peer's identity
// from the connection's RemoteAddr, so either side may use them alone. A
// connection that is not a shared-memory one fails the handshake with
// ErrNotShm.
func Credentials() credentials.TransportCredentials { return &shmCreds{} }

// CredentialsOr returns credentials that treat shared-memory connections as
// Credentials does and hand every other connection to fallback: one set of
// credentials for a server that also listens on TCP, or for a client whose
// target may be remote.
func CredentialsOr(fallback credentials.TransportCredentials) credentials.TransportCredentials {
	return &shmCreds{fallback: fallback}
}

type shmCreds struct {
	fallback   credentials.TransportCredentials // nil: shared memory only
	serverName string                           // OverrideServerName, for Info
}

// authInfo derives the AuthInfo of a shared-memory connection.
func authInfo(c net.Conn) (AuthInfo, bool) {
	a, ok := c.RemoteAddr().(*conn.Addr)
	if !ok {
		return AuthInfo{}, false
	}
	return AuthInfo{
		CommonAuthInfo: credentials.CommonAuthInfo{SecurityLevel: credentials.PrivacyAndIntegrity},
		PID:            a.PID, UID: a.UID, GID: a.GID, Path: a.Path,
	}, true
}

func (c *shmCreds) ClientHandshake(ctx context.Context, authority string, raw net.Conn) (net.Conn, credentials.AuthInfo, error) {
	if ai, ok := authInfo(raw); ok {
		return raw, ai, nil
	}
	if c.fallback != nil {
		return c.fallback.ClientHandshake(ctx, authority, raw)
	}
	return nil, nil, c.notShm(raw)
}

func (c *shmCreds) ServerHandshake(raw net.Conn) (net.Conn, credentials.AuthInfo, error) {
	if ai, ok := authInfo(raw); ok {
		return raw, ai, nil
	}
	if c.fallback != nil {
		return c.fallback.ServerHandshake(raw)
	}
	return nil, nil, c.notShm(raw)
}

func (c *shmCreds) notShm(raw net.Conn) error {
	a := raw.RemoteAddr()
	return fmt.Errorf("%w: peer %s address %s (use CredentialsOr for other transports)", ErrNotShm, a.Network(), a)
}

// Info reports the security protocol "shm"; with a fallback, its server
// name.
func (c *shmCreds) Info() credentials.ProtocolInfo {
	//lint:ignore SA1019 Info must still report the deprecated field gRPC defines
	info := credentials.ProtocolInfo{SecurityProtocol: AuthType, ServerName: c.serverName}
	//lint:ignore SA1019 as above: the fallback's server name
	if c.fallback != nil && info.ServerName == "" {
		//lint:ignore SA1019 as above
		info.ServerName = c.fallback.Info().ServerName
	}
	return info
}

func (c *shmCreds) Clone() credentials.TransportCredentials {
	clone := &shmCreds{serverName: c.serverName}
	if c.fallback != nil {
		clone.fallback = c.fallback.Clone()
	}
	return clone
}

// OverrideServerName is deprecated in gRPC and only recorded (and passed to
// the fallback).
func (c *shmCreds) OverrideServerName(name string) error {
	c.serverName = name
	if c.fallback != nil {
		//lint:ignore SA1019 forwarding the deprecated method to the fallback
		return c.fallback.OverrideServerName(name)
	}
	return nil
}
