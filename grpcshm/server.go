package grpcshm

import (
	"errors"
	"fmt"
	"net"
	"reflect"
	"strings"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/tachyon-ipc/tachyon-go/conn"
)

// Server is a gRPC server for generated services (pb.RegisterFooServer(s,
// impl)) that serves every kind of client on one listener: Channel clients
// on the direct path (gRPC's API over shared-memory frames, no HTTP/2), and
// HTTP/2 gRPC clients (NewClient, grpc.NewClient with Dialer) through a
// grpc.Server it holds with the same registrations. Each accepted
// connection goes one way or the other by the protocol its dialer named in
// the connection's hello (conn.Protocol). Get one from NewServer; its
// methods are safe for concurrent use.
type Server struct {
	opts serverOptions
	h2   *grpc.Server // serves HTTP/2 connections
	h2q  *connQueue   // feeds h2

	mu        sync.Mutex
	services  map[string]*service
	names     map[string]string // every registered "/service/method", by itself
	listeners map[net.Listener]struct{}
	conns     map[*serverConn]struct{}
	h2Serving bool
	draining  bool // GracefulStop began
	stopped   bool // Stop or GracefulStop began
	idle      *sync.Cond
}

// service is one registered service.
type service struct {
	impl    any
	methods map[string]*grpc.MethodDesc
	streams map[string]*grpc.StreamDesc
	info    grpc.ServiceInfo
}

// NewServer returns a Server with no service registered.
func NewServer(opts ...ServerOption) *Server {
	o := serverOptions{maxRecv: defaultMaxRecvMsgSize, maxSend: defaultMaxSendMsgSize, window: DefaultWindow, spin: DefaultSpin}
	for _, opt := range opts {
		opt(&o)
	}
	o.unaryInt = chainUnaryServer(o.unary)
	o.streamInt = chainStreamServer(o.stream)
	h2opts := append(ServerOptions(),
		grpc.Creds(CredentialsOr(insecure.NewCredentials())),
		grpc.ChainUnaryInterceptor(o.unary...),
		grpc.ChainStreamInterceptor(o.stream...),
		grpc.MaxRecvMsgSize(o.maxRecv),
		grpc.MaxSendMsgSize(o.maxSend),
	)
	s := &Server{
		opts: o, h2: grpc.NewServer(append(h2opts, o.grpcOpts...)...), h2q: newConnQueue(),
		services: make(map[string]*service), names: make(map[string]string), listeners: make(map[net.Listener]struct{}),
		conns: make(map[*serverConn]struct{}),
	}
	s.idle = sync.NewCond(&s.mu)
	return s
}

// RegisterService registers a service and its implementation, as
// grpc.Server.RegisterService does (generated RegisterFooServer functions
// call it). It panics if impl does not implement the service or the
// service is registered twice, and must be called before Serve.
func (s *Server) RegisterService(desc *grpc.ServiceDesc, impl any) {
	if impl != nil {
		ht := reflect.TypeOf(desc.HandlerType).Elem()
		if st := reflect.TypeOf(impl); !st.Implements(ht) {
			panic(fmt.Sprintf("grpc: Server.RegisterService found the handler of type %v that does not satisfy %v", st, ht))
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, dup := s.services[desc.ServiceName]; dup {
		panic(fmt.Sprintf("grpc: Server.RegisterService found duplicate service registration for %q", desc.ServiceName))
	}
	svc := &service{impl: impl, methods: make(map[string]*grpc.MethodDesc), streams: make(map[string]*grpc.StreamDesc),
		info: grpc.ServiceInfo{Metadata: desc.Metadata}}
	for i := range desc.Methods {
		m := &desc.Methods[i]
		svc.methods[m.MethodName] = m
		s.addName(desc.ServiceName, m.MethodName)
		svc.info.Methods = append(svc.info.Methods, grpc.MethodInfo{Name: m.MethodName})
	}
	for i := range desc.Streams {
		st := &desc.Streams[i]
		svc.streams[st.StreamName] = st
		s.addName(desc.ServiceName, st.StreamName)
		svc.info.Methods = append(svc.info.Methods, grpc.MethodInfo{Name: st.StreamName,
			IsClientStream: st.ClientStreams, IsServerStream: st.ServerStreams})
	}
	s.services[desc.ServiceName] = svc
	s.h2.RegisterService(desc, impl)
}

func (s *Server) addName(service, method string) {
	full := "/" + service + "/" + method
	s.names[full] = full
}

// methodName returns the registered full method name that b spells, or a
// copy of b if none does.
func (s *Server) methodName(b []byte) string {
	s.mu.Lock()
	full, ok := s.names[string(b)]
	s.mu.Unlock()
	if ok {
		return full
	}
	return string(b)
}

// GetServiceInfo returns the registered services, as grpc.Server's does
// (reflection.Register uses it).
func (s *Server) GetServiceInfo() map[string]grpc.ServiceInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := make(map[string]grpc.ServiceInfo, len(s.services))
	for name, svc := range s.services {
		m[name] = svc.info
	}
	return m
}

// lookup finds the handler of a full method name "/service/method".
func (s *Server) lookup(full string) (svc *service, md *grpc.MethodDesc, sd *grpc.StreamDesc, err error) {
	name := strings.TrimPrefix(full, "/")
	i := strings.LastIndex(name, "/")
	if i < 0 {
		return nil, nil, nil, fmt.Errorf("malformed method name: %q", full)
	}
	s.mu.Lock()
	svc = s.services[name[:i]]
	s.mu.Unlock()
	if svc == nil {
		return nil, nil, nil, fmt.Errorf("unknown service %v", name[:i])
	}
	if md = svc.methods[name[i+1:]]; md != nil {
		return svc, md, nil, nil
	}
	if sd = svc.streams[name[i+1:]]; sd != nil {
		return svc, nil, sd, nil
	}
	return nil, nil, nil, fmt.Errorf("unknown method %v for service %v", name[i+1:], name[:i])
}

// Serve accepts connections on lis (from Listen) and serves them until
// Stop or GracefulStop, after which it returns nil; another Accept error
// ends it with that error. lis is closed when Serve returns. Connections
// that are not shared-memory ones (a TCP listener, say) are served with
// HTTP/2.
func (s *Server) Serve(lis net.Listener) error {
	s.mu.Lock()
	if s.stopped {
		s.mu.Unlock()
		lis.Close()
		return grpc.ErrServerStopped
	}
	s.listeners[lis] = struct{}{}
	if !s.h2Serving {
		s.h2Serving = true
		go s.h2.Serve(s.h2q)
	}
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.listeners, lis)
		s.mu.Unlock()
		lis.Close()
	}()
	var delay time.Duration
	for {
		c, err := lis.Accept()
		if err != nil {
			s.mu.Lock()
			stopped := s.stopped
			s.mu.Unlock()
			if stopped {
				return nil
			}
			var ne interface{ Temporary() bool }
			if errors.As(err, &ne) && ne.Temporary() {
				delay = min(max(2*delay, 5*time.Millisecond), time.Second)
				time.Sleep(delay)
				continue
			}
			return err
		}
		delay = 0
		if cc, ok := c.(*conn.Conn); ok && cc.Protocol() == DirectProtocol {
			s.serveDirect(cc)
			continue
		}
		if !s.h2q.push(c) {
			c.Close()
		}
	}
}

// Stop stops the server at once: listeners close, every call in progress
// is cancelled (its handler's context ends, its client sees
// codes.Unavailable) and every connection closes.
func (s *Server) Stop() {
	s.mu.Lock()
	s.stopped = true
	for l := range s.listeners {
		l.Close()
	}
	conns := make([]*serverConn, 0, len(s.conns))
	for sc := range s.conns {
		conns = append(conns, sc)
	}
	s.mu.Unlock()
	for _, sc := range conns {
		sc.close()
	}
	s.h2q.close()
	s.h2.Stop()
}

// GracefulStop stops the server once the calls in progress are done:
// listeners close at once, clients are told to make no new calls here (a
// Channel reconnects for its next call), and GracefulStop returns when
// every connection closed after its last call.
func (s *Server) GracefulStop() {
	s.mu.Lock()
	s.stopped, s.draining = true, true
	for l := range s.listeners {
		l.Close()
	}
	for sc := range s.conns {
		go sc.goAway()
	}
	s.mu.Unlock()
	h2done := make(chan struct{})
	go func() {
		s.h2q.close()
		s.h2.GracefulStop()
		close(h2done)
	}()
	s.mu.Lock()
	for len(s.conns) > 0 {
		s.idle.Wait()
	}
	s.mu.Unlock()
	<-h2done
}
