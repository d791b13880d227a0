package inet

import (
	"io"
	"sync"
	"sync/atomic"
	"time"

	"gvisor.dev/gvisor/pkg/errors/linuxerr"
	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv4"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv6"
	"gvisor.dev/gvisor/pkg/tcpip/transport/icmp"
	"gvisor.dev/gvisor/pkg/tcpip/transport/tcp"
	"gvisor.dev/gvisor/pkg/tcpip/transport/udp"
	"gvisor.dev/gvisor/pkg/waiter"

	"oyako/fs"
	"oyako/socket"
)

// IP protocol numbers (include/uapi/linux/in.h).
const (
	IPPROTO_IP     = 0
	IPPROTO_ICMP   = 1
	IPPROTO_TCP    = 6
	IPPROTO_UDP    = 17
	IPPROTO_IPV6   = 41
	IPPROTO_ICMPV6 = 58
	IPPROTO_RAW    = 255
)

// Sock is an AF_INET or AF_INET6 socket: a netstack endpoint, the
// options netstack does not keep, and the bridge from the endpoint's
// waiter queue to the file's readiness queue.
type Sock struct {
	family, typ, protocol int
	ep                    tcpip.Endpoint
	wq                    *waiter.Queue
	entry                 waiter.Entry
	q                     fs.Queue
	ino                   uint64

	mu         sync.Mutex
	timeo      socket.Timeouts
	lingerSecs int32        // SO_LINGER's l_linger as set
	ttlSet     bool         // IP_TTL or IPV6_UNICAST_HOPS set (not -1)
	shut       atomic.Int32 // sk_shutdown: shutRcv|shutSnd as shutdown(2) set them
	// timestamp is SO_TIMESTAMP or SO_TIMESTAMPNS when one is on
	// (sock_set_timestamp: the later one wins), 0 otherwise.
	timestamp int
}

// The bits of Linux's sk_shutdown.
const (
	shutRcv = 1 // RCV_SHUTDOWN
	shutSnd = 2 // SEND_SHUTDOWN
)

// registry holds the live sockets, for /proc/net/tcp and friends.
var registry socket.Set[*Sock]

// ForEach calls fn for every live inet socket, in no order, without
// locks held by this package.
func ForEach(fn func(*Sock)) {
	for _, s := range registry.List() {
		fn(s)
	}
}

// Family returns AF_INET or AF_INET6.
func (s *Sock) Family() int { return s.family }

// Type implements what io_uring's MSG_WAITALL retry asks: the socket's
// type (SOCK_STREAM, SOCK_DGRAM, SOCK_RAW).
func (s *Sock) Type() int { return s.typ }

// ProtoName implements socket.ProtoNamer: the name of the struct proto
// inet_create or inet6_create chose (tcp_prot's "TCP", tcpv6_prot's
// "TCPv6", and UDP, PING and RAW likewise).
func (s *Sock) ProtoName() string {
	var name string
	switch {
	case s.typ == socket.SOCK_STREAM:
		name = "TCP"
	case s.typ == socket.SOCK_RAW:
		name = "RAW"
	case s.protocol == IPPROTO_UDP:
		name = "UDP"
	default:
		name = "PING"
	}
	if s.family == socket.AF_INET6 {
		name += "v6"
	}
	return name
}

// Protocol returns the socket's protocol (IPPROTO_TCP...).
func (s *Sock) Protocol() int { return s.protocol }

// Endpoint returns the netstack endpoint behind the socket.
func (s *Sock) Endpoint() tcpip.Endpoint { return s.ep }

// Ino returns the socket's inode number.
func (s *Sock) Ino() uint64 { return s.ino }

// Create makes a socket of family AF_INET or AF_INET6 (inet_create,
// inet6_create): SOCK_STREAM is TCP, SOCK_DGRAM UDP or, with
// IPPROTO_ICMP/IPPROTO_ICMPV6, an ICMP echo ("ping") socket, SOCK_RAW a
// raw socket (root only). A type the family has no protocol of is
// ESOCKTNOSUPPORT, a protocol the type does not have EPROTONOSUPPORT.
func Create(c fs.Ctx, family, typ, protocol int, flags uint32) (*fs.File, error) {
	netProto := ipv4.ProtocolNumber
	if family == socket.AF_INET6 {
		netProto = ipv6.ProtocolNumber
	}
	st := Stack()
	s := &Sock{family: family, typ: typ, protocol: protocol, wq: new(waiter.Queue), ino: fs.NewIno()}
	var ep tcpip.Endpoint
	var err tcpip.Error
	switch typ {
	case socket.SOCK_STREAM:
		if protocol != IPPROTO_IP && protocol != IPPROTO_TCP {
			return nil, linuxerr.EPROTONOSUPPORT
		}
		s.protocol = IPPROTO_TCP
		ep, err = st.NewEndpoint(tcp.ProtocolNumber, netProto, s.wq)
	case socket.SOCK_DGRAM:
		switch {
		case protocol == IPPROTO_IP || protocol == IPPROTO_UDP:
			s.protocol = IPPROTO_UDP
			ep, err = st.NewEndpoint(udp.ProtocolNumber, netProto, s.wq)
		case protocol == IPPROTO_ICMP && family == socket.AF_INET,
			protocol == IPPROTO_ICMPV6 && family == socket.AF_INET6:
			if !pingAllowed(c) {
				return nil, linuxerr.EACCES
			}
			proto := icmp.ProtocolNumber4
			if family == socket.AF_INET6 {
				proto = icmp.ProtocolNumber6
			}
			ep, err = st.NewEndpoint(proto, netProto, s.wq)
		default:
			return nil, linuxerr.EPROTONOSUPPORT
		}
	case socket.SOCK_RAW:
		if socket.EffectiveCred(c).UID != 0 {
			return nil, linuxerr.EPERM // CAP_NET_RAW
		}
		if protocol < 0 || protocol > 255 {
			return nil, linuxerr.EINVAL
		}
		ep, err = st.NewRawEndpoint(tcpip.TransportProtocolNumber(protocol), netProto, s.wq, true)
	default:
		return nil, linuxerr.ESOCKTNOSUPPORT
	}
	if err != nil {
		return nil, ErrnoOf(err)
	}
	s.ep = ep
	if family == socket.AF_INET6 && typ != socket.SOCK_RAW {
		// net.ipv6.bindv6only is 0: AF_INET6 sockets are dual-stack.
		ep.SocketOptions().SetV6Only(false)
	}
	return s.start(c, flags), nil
}

// pingAllowed is ping_init_sock's check: the caller's effective group
// is in net.ipv4.ping_group_range. Linux also accepts a supplementary
// group in the range; oyako looks at the effective group only.
func pingAllowed(c fs.Ctx) bool {
	gid := socket.EffectiveCred(c).GID
	fs.PingGroupRange.Lock()
	defer fs.PingGroupRange.Unlock()
	return fs.PingGroupRange.Lo <= gid && gid <= fs.PingGroupRange.Hi
}

// start hooks the socket's readiness to its file's queue, registers
// it and makes its file.
func (s *Sock) start(c fs.Ctx, flags uint32) *fs.File {
	s.entry = waiter.NewFunctionEntry(waiter.EventIn|waiter.EventPri|waiter.EventOut|waiter.EventErr|waiter.EventHUp|waiter.EventRdHUp,
		func(m waiter.EventMask) { s.q.Notify(uint32(m)) })
	s.wq.EventRegister(&s.entry)
	registry.Add(s)
	return socket.NewFile(c, s.ino, flags, s)
}

// Release implements fs.Releaser: the last close (inet_release).
func (s *Sock) Release(*fs.File) {
	registry.Remove(s)
	s.wq.EventUnregister(&s.entry)
	s.ep.Close()
}

// IsStream implements fs.Stream: sockets have no file position.
func (s *Sock) IsStream() bool { return true }

// EventQueue implements fs.Pollable.
func (s *Sock) EventQueue() *fs.Queue { return &s.q }

// Readiness implements fs.Pollable: netstack's readiness, whose event
// bits are Linux's (tcp_poll, udp_poll), with what the socket's own
// shutdown adds there: readable with RDHUP once its receiving side is
// shut, HUP once both are (netstack reports neither for a local
// shutdown).
func (s *Sock) Readiness(_ *fs.File, mask uint32) uint32 {
	r := uint32(s.ep.Readiness(waiter.EventMask(mask)))
	switch s.shut.Load() {
	case shutRcv | shutSnd:
		r |= uint32(waiter.EventHUp) & mask
		fallthrough
	case shutRcv:
		r |= uint32(waiter.ReadableEvents|waiter.EventRdHUp) & mask
	}
	// netstack answers a whole class (IN|RDNORM) for one of its bits;
	// Linux's poll callers see only what they asked for, and ERR and HUP.
	return r & (mask | fs.EventErr | fs.EventHup)
}

// Read implements fs.FileOps: recv with no flags (sock_read_iter).
func (s *Sock) Read(c fs.Ctx, f *fs.File, p []byte, _ int64) (int, error) {
	return s.SpliceRead(c, f, p, false)
}

// Write implements fs.FileOps: send with no flags (sock_write_iter).
func (s *Sock) Write(c fs.Ctx, f *fs.File, p []byte, _ int64) (int, error) {
	return s.Send(c, f, nil, &socket.SendMsg{Data: socket.Bytes(p)})
}

// Splice implements fs.Splicer: inet sockets splice both ways
// (tcp_splice_read, splice_to_socket).
func (s *Sock) Splice() (read, write bool) { return true, true }

// SpliceRead implements fs.SpliceReader (socket.SpliceRead).
func (s *Sock) SpliceRead(c fs.Ctx, f *fs.File, p []byte, nonblock bool) (int, error) {
	return socket.SpliceRead(c, f, s, p, nonblock)
}

// wait is socket.Wait for one of mask's events on the endpoint.
func (s *Sock) wait(c fs.Ctx, mask waiter.EventMask, deadline time.Time) (timedOut bool, err error) {
	return socket.Wait(c, &s.q, uint32(mask), deadline, func() bool {
		return s.ep.Readiness(mask) != 0
	})
}

func (s *Sock) timeouts() (rcv, snd time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.timeo.Rcv, s.timeo.Snd
}

func (s *Sock) stream() bool { return s.typ == socket.SOCK_STREAM }

// payload is a message's data as netstack reads it.
type payload struct {
	d   socket.Data
	off int
}

func (p *payload) Len() int { return p.d.Len() - p.off }

// Read implements io.Reader: EOF only when the data is all read (a
// read into an empty buffer is netstack's probe for EOF).
func (p *payload) Read(b []byte) (int, error) {
	if p.Len() == 0 {
		return 0, io.EOF
	}
	n := min(len(b), p.Len())
	if n == 0 {
		return 0, nil
	}
	if err := p.d.ReadAt(b[:n], p.off); err != nil {
		return 0, err
	}
	p.off += n
	return n, nil
}

// sliceWriter receives a read into a buffer. For a stream it takes what
// fits and reports a short write for the rest (so netstack keeps it
// queued); for a datagram it reports the whole write taken, the rest
// dropped as Linux truncates a datagram (the result's Total tells).
type sliceWriter struct {
	b        []byte
	n        int
	truncate bool
	discard  bool // MSG_TRUNC on a stream: count, do not copy
}

func (w *sliceWriter) Write(p []byte) (int, error) {
	room := len(w.b) - w.n
	if w.discard {
		k := min(room, len(p))
		w.n += k
		if k < len(p) {
			return k, io.ErrShortWrite
		}
		return k, nil
	}
	k := copy(w.b[w.n:], p)
	w.n += k
	if w.truncate {
		return len(p), nil
	}
	if k < len(p) {
		return k, io.ErrShortWrite
	}
	return k, nil
}
