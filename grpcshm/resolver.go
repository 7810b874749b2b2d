package grpcshm

import (
	"fmt"

	"google.golang.org/grpc/resolver"
)

// Scheme is the gRPC target scheme of shared-memory paths, registered when
// the package initialises: "shm:///abs/path" or "shm:relative/path". Unlike
// "passthrough:///abs/path", it hands the dialer the path intact.
const Scheme = "shm"

func init() { resolver.Register(shmResolverBuilder{}) }

// shmResolverBuilder resolves a "shm:" target to its socket path, once.
type shmResolverBuilder struct{}

func (shmResolverBuilder) Scheme() string { return Scheme }

func (shmResolverBuilder) Build(t resolver.Target, cc resolver.ClientConn, _ resolver.BuildOptions) (resolver.Resolver, error) {
	path, err := targetPath(t)
	if err != nil {
		return nil, err
	}
	if err := cc.UpdateState(resolver.State{Addresses: []resolver.Address{{Addr: path}}}); err != nil {
		return nil, err
	}
	return nopResolver{}, nil
}

// OverrideAuthority gives every shared-memory channel the :authority
// "localhost", as gRPC does for "unix:" targets: a path is no host name.
func (shmResolverBuilder) OverrideAuthority(resolver.Target) string { return "localhost" }

// targetPath returns the socket path of a parsed "shm:" target.
func targetPath(t resolver.Target) (string, error) {
	if t.URL.Host != "" {
		return "", fmt.Errorf("grpcshm: target %q has a host; write shm:///abs/path or shm:relative/path", t.URL.String())
	}
	path := t.URL.Path
	if path == "" {
		path = t.URL.Opaque
	}
	if path == "" {
		return "", fmt.Errorf("grpcshm: target %q has no socket path", t.URL.String())
	}
	return path, nil
}

type nopResolver struct{}

func (nopResolver) ResolveNow(resolver.ResolveNowOptions) {}
func (nopResolver) Close()                                {}
