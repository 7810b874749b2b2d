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
	handlers  map[string]handler // by full method name, "/service/method"
	listeners map[net.Listener]struct{}
	conns     map[*serverConn]struct{}
	h2Serving bool
	draining  bool // GracefulStop began
	stopped   bool // Stop or GracefulStop began
	idle      *sync.Cond
}

// service is one registered service.
type service struct {
	impl any
	info grpc.ServiceInfo
}

// handler is one registered method: unary (md) or streaming (sd).
type handler struct {
	full string // "/service/method", the string calls carry as their method
	svc  *service
	md   *grpc.MethodDesc
	sd   *grpc.StreamDesc
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
		services: make(map[string]*service), handlers: make(map[string]handler), listeners: make(map[net.Listener]struct{}),
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
	svc := &service{impl: impl, info: grpc.ServiceInfo{Metadata: desc.Metadata}}
	add := func(method string, h handler) {
		h.full, h.svc = "/"+desc.ServiceName+"/"+method, svc
		if _, dup := s.handlers[h.full]; !dup { // a unary method wins over a stream of its name, as in grpc-go
			s.handlers[h.full] = h
		}
	}
	for i := range desc.Methods {
		m := &desc.Methods[i]
		add(m.MethodName, handler{md: m})
		svc.info.Methods = append(svc.info.Methods, grpc.MethodInfo{Name: m.MethodName})
	}
	for i := range desc.Streams {
		st := &desc.Streams[i]
		add(st.StreamName, handler{sd: st})
		svc.info.Methods = append(svc.info.Methods, grpc.MethodInfo{Name: st.StreamName,
			IsClientStream: st.ClientStreams, IsServerStream: st.ServerStreams})
	}
	s.services[desc.ServiceName] = svc
	s.h2.RegisterService(desc, impl)
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

// lookup finds the handler of a full method name "/service/method", as a
// call's headers frame spells it; a miss is an error that says what is
// unknown, as grpc-go's server says it.
func (s *Server) lookup(full []byte) (handler, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if h, ok := s.handlers[string(full)]; ok { // a lookup that copies nothing
		return h, nil
	}
	name := strings.TrimPrefix(string(full), "/")
	i := strings.LastIndex(name, "/")
	switch {
	case i < 0:
		return handler{}, fmt.Errorf("malformed method name: %q", full)
	case s.services[name[:i]] == nil:
		return handler{}, fmt.Errorf("unknown service %v", name[:i])
	}
	return handler{}, fmt.Errorf("unknown method %v for service %v", name[i+1:], name[:i])
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
