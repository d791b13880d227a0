// Package netlink is oyako's AF_NETLINK socket family, NETLINK_ROUTE
// only (net/netlink/af_netlink.c, net/core/rtnetlink.c): the sockets
// through which programs ask the kernel about the network — Go's
// net.Interfaces and InterfaceAddrs (syscall.NetlinkRIB), busybox's ip,
// iproute2. A socket binds a port ID (its process's ID, or a negative
// one when that is taken), sends requests to the kernel (port 0) and
// receives the answers as datagrams: RTM_GETLINK, RTM_GETADDR,
// RTM_GETROUTE and RTM_GETNEIGH dumps of socket/inet's stack, sent a
// datagram at a time as the reader takes them and ended by NLMSG_DONE,
// RTM_GETLINK of one link, and NLMSG_ERROR acknowledgements and errors
// as netlink_ack makes them. Messages to another port go to that socket.
// Queued datagrams count against the receive buffer (and the kernel's
// budget for user data): an answer that finds it full is dropped and the
// next receive reports ENOBUFS, as netlink_overrun does; a message to a
// full socket is EAGAIN or waits.
//
// Limits: nothing can be changed through it (RTM_NEWADDR and the like
// are EOPNOTSUPP); multicast groups can be joined but no notification
// is ever sent (the interfaces do not change once the system is up);
// no strict checking of dump requests, no extended acknowledgement
// attributes, no socket filters; other netlink protocols are
// EPROTONOSUPPORT.
package netlink

import (
	"encoding/binary"
	"sync"
	"time"

	"gvisor.dev/gvisor/pkg/abi/linux"
	gerrors "gvisor.dev/gvisor/pkg/errors"
	"gvisor.dev/gvisor/pkg/errors/linuxerr"

	"oyako/fs"
	"oyako/kernel/mm"
	"oyako/socket"
	"oyako/socket/inet"
)

// AF_NETLINK is the address family (include/linux/socket.h).
const AF_NETLINK = 16

// rtnlGroups is how many multicast groups NETLINK_ROUTE has
// (RTNLGRP_MAX).
const rtnlGroups = 36

// goodSize is NLMSG_GOODSIZE, the most a dump puts in a datagram before
// the reader has shown a larger buffer: a page less struct
// skb_shared_info. maxDumpSize caps what a larger buffer earns
// (SKB_WITH_OVERHEAD(32768), netlink_recvmsg).
const (
	goodSize    = 4096 - 320
	maxDumpSize = 32768 - 320
)

// ports are the bound sockets by port ID (nl_table's hash).
var ports struct {
	sync.Mutex
	m     map[uint32]*Sock
	rover int32 // the next negative port autobind tries
}

// Sock is a NETLINK_ROUTE socket.
type Sock struct {
	typ int
	ino uint64
	q   fs.Queue

	mu        sync.Mutex
	portID    uint32
	bound     bool
	groups    uint64 // joined multicast groups, bit g-1 for group g
	connected bool
	dstPID    uint32
	dstGroup  uint32
	recv      []datagram
	released  bool     // the file is closed
	rmem      int      // bytes queued in recv (sk_rmem_alloc)
	err       error    // sk_err: ENOBUFS after an answer was dropped
	room      fs.Queue // senders waiting for rmem to fall under rcvbuf
	// dump holds a running dump's messages not yet queued; dumpSeq and
	// dumping say which request it answers.
	dump        [][]byte
	dumping     bool
	dumpSeq     uint32
	maxRecv     int
	sndbuf      int
	rcvbuf      int
	timeo       socket.Timeouts
	passcred    bool
	capAck      bool
	extAck      bool
	strictCheck bool
	pktinfo     bool
	bcastError  bool
	noENOBUFS   bool
}

// datagram is a queued message and the port that sent it (0: the
// kernel).
type datagram struct {
	data []byte
	from uint32
}

// Create makes a netlink socket (netlink_create): SOCK_RAW or SOCK_DGRAM
// (ESOCKTNOSUPPORT otherwise), protocol NETLINK_ROUTE (EPROTONOSUPPORT
// for the others, as for protocols with no kernel socket).
func Create(c fs.Ctx, typ, protocol int, flags uint32) (*fs.File, error) {
	if typ != socket.SOCK_RAW && typ != socket.SOCK_DGRAM {
		return nil, linuxerr.ESOCKTNOSUPPORT
	}
	if protocol < 0 || protocol >= linux.NETLINK_CRYPTO+1 {
		return nil, linuxerr.EPROTONOSUPPORT
	}
	if protocol != linux.NETLINK_ROUTE {
		return nil, linuxerr.EPROTONOSUPPORT
	}
	s := &Sock{typ: typ, ino: fs.NewIno(), sndbuf: socket.WmemDefault, rcvbuf: socket.RmemDefault}
	return socket.NewFile(c, s.ino, flags, s), nil
}

// ProtoName implements socket.ProtoNamer (netlink_proto).
func (s *Sock) ProtoName() string { return "NETLINK" }

// sockaddr is a struct sockaddr_nl.
func sockaddr(pid, groups uint32) []byte {
	b := make([]byte, linux.SockAddrNetlinkSize)
	binary.LittleEndian.PutUint16(b, AF_NETLINK)
	binary.LittleEndian.PutUint32(b[4:], pid)
	binary.LittleEndian.PutUint32(b[8:], groups)
	return b
}

// parseSockaddr checks a sockaddr_nl (EINVAL if short or of another
// family) and returns its port and groups.
func parseSockaddr(addr []byte) (pid, groups uint32, err error) {
	if len(addr) < linux.SockAddrNetlinkSize || binary.LittleEndian.Uint16(addr) != AF_NETLINK {
		return 0, 0, linuxerr.EINVAL
	}
	return binary.LittleEndian.Uint32(addr[4:]), binary.LittleEndian.Uint32(addr[8:]), nil
}

// insertLocked binds s to port pid (netlink_insert): EADDRINUSE if
// another socket has it. The caller holds s.mu.
func (s *Sock) insertLocked(pid uint32) error {
	ports.Lock()
	defer ports.Unlock()
	if _, taken := ports.m[pid]; taken {
		return linuxerr.EADDRINUSE
	}
	if ports.m == nil {
		ports.m = map[uint32]*Sock{}
	}
	ports.m[pid] = s
	s.portID, s.bound = pid, true
	return nil
}

// autobindLocked binds s to its process's ID, or when that is taken to
// a negative port from -4096 down (netlink_autobind).
func (s *Sock) autobindLocked(c fs.Ctx) error {
	if s.bound {
		return nil
	}
	if s.insertLocked(uint32(c.PID())) == nil {
		return nil
	}
	for {
		ports.Lock()
		if ports.rover > -4096 {
			ports.rover = -4096
		}
		pid := ports.rover
		ports.rover--
		ports.Unlock()
		if s.insertLocked(uint32(pid)) == nil {
			return nil
		}
	}
}

// Bind implements socket.Socket (netlink_bind): a port of the caller's
// choosing, or 0 for one picked for it; the groups to join. A bound
// socket may only be bound again to its own port.
func (s *Sock) Bind(c fs.Ctx, _ socket.Names, addr []byte) error {
	pid, groups, err := parseSockaddr(addr)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.bound {
		if pid != s.portID {
			return linuxerr.EINVAL
		}
	} else if pid != 0 {
		if err := s.insertLocked(pid); err != nil {
			return err
		}
	} else if err := s.autobindLocked(c); err != nil {
		return err
	}
	s.groups = s.groups&^0xffffffff | uint64(groups)
	return nil
}

// Connect implements socket.Socket (netlink_connect): the default
// destination; AF_UNSPEC disconnects.
func (s *Sock) Connect(c fs.Ctx, _ *fs.File, _ socket.Names, addr []byte) error {
	if len(addr) < 2 {
		return linuxerr.EINVAL
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if binary.LittleEndian.Uint16(addr) == socket.AF_UNSPEC {
		s.connected, s.dstPID, s.dstGroup = false, 0, 0
		return nil
	}
	pid, groups, err := parseSockaddr(addr)
	if err != nil {
		return err
	}
	if err := s.autobindLocked(c); err != nil {
		return err
	}
	s.connected, s.dstPID, s.dstGroup = true, pid, ffs(groups)
	return nil
}

// ffs is the number of the lowest set bit, from 1; 0 for none.
func ffs(x uint32) uint32 {
	for i := uint32(0); i < 32; i++ {
		if x&(1<<i) != 0 {
			return i + 1
		}
	}
	return 0
}

// Listen implements socket.Socket: netlink sockets do not listen.
func (s *Sock) Listen(fs.Ctx, int) error { return linuxerr.EOPNOTSUPP }

// Accept implements socket.Socket.
func (s *Sock) Accept(fs.Ctx, *fs.File, uint32) (*fs.File, error) {
	return nil, linuxerr.EOPNOTSUPP
}

// Shutdown implements socket.Socket (sock_no_shutdown).
func (s *Sock) Shutdown(int) error { return linuxerr.EOPNOTSUPP }

// SockName implements socket.Socket: the bound port (0 before) and the
// first 32 groups.
func (s *Sock) SockName() []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return sockaddr(s.portID, uint32(s.groups))
}

// PeerName implements socket.Socket: the default destination, the
// kernel's port 0 until connected (netlink_getname never fails).
func (s *Sock) PeerName() ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var groups uint32
	if s.dstGroup != 0 {
		groups = 1 << (s.dstGroup - 1)
	}
	return sockaddr(s.dstPID, groups), nil
}

// Send implements socket.Socket (netlink_sendmsg): to the kernel, whose
// answers are queued before Send returns, or to another socket's port.
func (s *Sock) Send(c fs.Ctx, f *fs.File, _ socket.Names, m *socket.SendMsg) (int, error) {
	if m.Flags&socket.MSG_OOB != 0 {
		return 0, linuxerr.EOPNOTSUPP
	}
	s.mu.Lock()
	dstPID, dstGroup := s.dstPID, s.dstGroup
	if m.Addr != nil {
		pid, groups, err := parseSockaddr(m.Addr)
		if err != nil {
			s.mu.Unlock()
			return 0, err
		}
		dstPID, dstGroup = pid, ffs(groups)
	}
	if err := s.autobindLocked(c); err != nil {
		s.mu.Unlock()
		return 0, err
	}
	from, sndbuf := s.portID, s.sndbuf
	s.mu.Unlock()
	n := m.Data.Len()
	if n > sndbuf-32 {
		return 0, linuxerr.EMSGSIZE
	}
	// The message is held while it is handled: charged like queued
	// data, ENOBUFS when memory is short (netlink_alloc_large_skb).
	if !charge(n) {
		return 0, linuxerr.ENOBUFS
	}
	defer uncharge(n)
	data := make([]byte, n)
	if err := m.Data.ReadAt(data, 0); err != nil {
		return 0, err
	}
	if dstGroup != 0 && dstPID == 0 {
		// A message to a multicast group reaches the group's other
		// members; no socket here listens to groups.
		return n, nil
	}
	if dstPID != 0 {
		ports.Lock()
		peer := ports.m[dstPID]
		ports.Unlock()
		if peer == nil {
			return 0, linuxerr.ECONNREFUSED
		}
		if err := peer.deliver(c, f, m.Flags, datagram{data: data, from: from}); err != nil {
			return 0, err
		}
		return n, nil
	}
	s.toKernel(data)
	return n, nil
}

// deliver queues a message from another socket (netlink_unicast to a
// user socket): ECONNREFUSED if the receiver is connected to another
// port; while its queue is past its receive buffer, EAGAIN for a sender
// that may not wait, else a wait for room (netlink_attachskb).
func (s *Sock) deliver(c fs.Ctx, f *fs.File, flags int, d datagram) error {
	for {
		s.mu.Lock()
		if s.released || s.connected && s.dstPID != d.from {
			s.mu.Unlock()
			return linuxerr.ECONNREFUSED
		}
		if s.rmem < s.rcvbuf {
			err := s.queueLocked(d)
			s.mu.Unlock()
			if err == nil {
				s.q.Notify(fs.EventIn)
			}
			return err
		}
		s.mu.Unlock()
		if socket.Nonblock(f, flags) {
			return linuxerr.EAGAIN
		}
		err := fs.WaitReady(c, &s.room, fs.EventOut, func() bool {
			s.mu.Lock()
			defer s.mu.Unlock()
			return s.rmem < s.rcvbuf || s.released
		})
		if err != nil {
			return err
		}
	}
}

// queueLocked queues d, its bytes charged to the kernel's budget for
// user data (ENOBUFS when spent).
func (s *Sock) queueLocked(d datagram) error {
	if !charge(len(d.data)) {
		return linuxerr.ENOBUFS
	}
	s.recv = append(s.recv, d)
	s.rmem += len(d.data)
	return nil
}

// answerLocked queues the kernel's answer d unless the receive buffer
// is full or memory is short: then it is dropped and the next receive
// reports ENOBUFS (netlink_overrun), unless NETLINK_NO_ENOBUFS.
func (s *Sock) answerLocked(d []byte) {
	if s.rmem < s.rcvbuf && s.queueLocked(datagram{data: d}) == nil {
		return
	}
	if !s.noENOBUFS {
		s.err = linuxerr.ENOBUFS
	}
}

// Queued datagrams are held in the kernel's heap; their bytes are
// charged to the budget for user data a page at a time.
var mem struct {
	sync.Mutex
	queued int
}

func pagesOf(n int) int { return (n + 4095) / 4096 }

func charge(n int) bool {
	mem.Lock()
	defer mem.Unlock()
	if more := pagesOf(mem.queued+n) - pagesOf(mem.queued); more > 0 && !mm.ChargeUser(more) {
		return false
	}
	mem.queued += n
	return true
}

func uncharge(n int) {
	mem.Lock()
	defer mem.Unlock()
	if less := pagesOf(mem.queued) - pagesOf(mem.queued-n); less > 0 {
		mm.UnchargeUser(less)
	}
	mem.queued -= n
}

// errno is err's number, for NLMSG_ERROR.
func errno(err error) int32 {
	if e, ok := err.(*gerrors.Error); ok {
		return int32(e.Errno())
	}
	return int32(linuxerr.EINVAL.Errno())
}

// toKernel is netlink_rcv_skb for a message to the kernel: each request
// in it handled in turn, an acknowledgement for each that asked for one
// or failed; a header that does not fit ends the processing.
func (s *Sock) toKernel(data []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	queued := len(s.recv)
	for len(data) >= headerLen {
		h := parseHeader(data)
		if h.Len < headerLen || int(h.Len) > len(data) {
			break
		}
		msg := data[:h.Len]
		var r request
		if h.Flags&linux.NLM_F_REQUEST != 0 && h.Type >= linux.NLMSG_MIN_TYPE {
			r = rtnetlink(msg, s.portID)
			if r.isDump {
				if s.dumping {
					r = request{err: linuxerr.EBUSY}
				} else {
					// netlink_dump_start: the first part now, no
					// acknowledgement.
					s.dump, s.dumping, s.dumpSeq = r.dump, true, h.Seq
					s.fillDumpLocked()
					data = data[min(align(int(h.Len)), len(data)):]
					continue
				}
			}
		}
		if r.reply != nil {
			s.answerLocked(r.reply)
		}
		if h.Flags&linux.NLM_F_ACK != 0 || r.err != nil {
			var e int32
			if r.err != nil {
				e = errno(r.err)
			}
			s.answerLocked(errorMessage(msg, e, s.portID, s.capAck))
		}
		data = data[min(align(int(h.Len)), len(data)):]
	}
	if len(s.recv) > queued {
		defer s.q.Notify(fs.EventIn)
	}
}

// fillDumpLocked queues the running dump's next datagram (netlink_dump):
// as many messages as fit in the larger of NLMSG_GOODSIZE and the
// largest buffer the reader has used, or, once they are all sent,
// NLMSG_DONE alone, which ends the dump.
func (s *Sock) fillDumpLocked() {
	if !s.dumping {
		return
	}
	if len(s.dump) == 0 {
		if s.queueLocked(datagram{data: doneMessage(s.dumpSeq, s.portID)}) == nil {
			s.dump, s.dumping = nil, false
		}
		return
	}
	size := max(goodSize, s.maxRecv)
	var d []byte
	k := 0
	for k < len(s.dump) && (k == 0 || len(d)+len(s.dump[k]) <= size) {
		d = append(d, s.dump[k]...)
		k++
	}
	// Short of memory, the dump waits for the next receive.
	if s.queueLocked(datagram{data: d}) == nil {
		s.dump = s.dump[k:]
	}
}

// Recv implements socket.Socket (netlink_recvmsg): the next datagram,
// cut to buf with MSG_TRUNC (and its whole length returned when the
// caller passed MSG_TRUNC), from the sending port.
func (s *Sock) Recv(c fs.Ctx, f *fs.File, buf []byte, flags int, out *socket.RecvMsg) (int, error) {
	s.mu.Lock()
	if err := s.err; err != nil {
		// A dropped answer is reported first, once (sock_error).
		s.err = nil
		s.mu.Unlock()
		return 0, err
	}
	if len(s.recv) == 0 {
		timeout := s.timeo.Rcv
		s.mu.Unlock()
		if socket.Nonblock(f, flags) || flags&socket.MSG_ERRQUEUE != 0 {
			return 0, linuxerr.EAGAIN
		}
		ready := func() bool {
			s.mu.Lock()
			defer s.mu.Unlock()
			return len(s.recv) > 0
		}
		var deadline time.Time
		if timeout > 0 {
			deadline = time.Now().Add(timeout)
		}
		timedOut, err := fs.WaitReadyDeadline(c, &s.q, fs.EventIn, ready, deadline)
		if err != nil {
			return 0, err
		}
		if timedOut {
			return 0, linuxerr.EAGAIN
		}
		s.mu.Lock()
	}
	defer s.mu.Unlock()
	if len(s.recv) == 0 {
		return 0, linuxerr.EAGAIN // another reader took it
	}
	d := s.recv[0]
	if flags&socket.MSG_PEEK == 0 {
		s.recv = s.recv[1:]
		s.rmem -= len(d.data)
		uncharge(len(d.data))
		defer s.room.Notify(fs.EventOut)
	}
	n := copy(buf, d.data)
	if n < len(d.data) {
		out.Flags |= socket.MSG_TRUNC
	}
	out.Addr = sockaddr(d.from, 0)
	s.maxRecv = min(max(s.maxRecv, len(buf)), maxDumpSize)
	if len(s.recv) == 0 {
		s.fillDumpLocked()
	}
	if flags&socket.MSG_TRUNC != 0 {
		return len(d.data), nil
	}
	return n, nil
}

// Read implements fs.FileOps: recv without flags.
func (s *Sock) Read(c fs.Ctx, f *fs.File, p []byte, _ int64) (int, error) {
	return s.Recv(c, f, p, 0, &socket.RecvMsg{})
}

// Write implements fs.FileOps: send to the default destination.
func (s *Sock) Write(c fs.Ctx, f *fs.File, p []byte, _ int64) (int, error) {
	return s.Send(c, f, nil, &socket.SendMsg{Data: socket.Bytes(p)})
}

// IsStream implements fs.Stream: sockets have no file position.
func (s *Sock) IsStream() bool { return true }

// EventQueue implements fs.Pollable.
func (s *Sock) EventQueue() *fs.Queue { return &s.q }

// Readiness implements fs.Pollable (datagram_poll): readable with a
// datagram queued, always writable.
func (s *Sock) Readiness(_ *fs.File, mask uint32) uint32 {
	s.mu.Lock()
	defer s.mu.Unlock()
	ev := uint32(fs.EventOut | fs.EventWrNorm)
	if len(s.recv) > 0 {
		ev |= fs.EventIn | fs.EventRdNorm
	}
	return ev & mask
}

// Release implements fs.Releaser: the port is free again.
func (s *Sock) Release(*fs.File) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.bound {
		ports.Lock()
		if ports.m[s.portID] == s {
			delete(ports.m, s.portID)
		}
		ports.Unlock()
	}
	for _, d := range s.recv {
		uncharge(len(d.data))
	}
	s.recv, s.dump, s.rmem = nil, nil, 0
	s.released = true
	s.room.Notify(fs.EventOut) // senders waiting for room give up
}

// Ioctl implements fs.Ioctler: netlink has no requests of its own, so
// every request is one of the interface requests any socket answers
// (sock_do_ioctl → dev_ioctl).
func (s *Sock) Ioctl(c fs.Ctx, _ *fs.File, cmd uint32, arg uintptr) (uintptr, error) {
	return inet.DevIoctl(c, cmd, arg)
}

// SOL_NETLINK is netlink's option level.
const SOL_NETLINK = 270

// GetSockOpt implements socket.Socket: SOL_SOCKET's options, and
// SOL_NETLINK's (netlink_getsockopt; other levels ENOPROTOOPT).
func (s *Sock) GetSockOpt(level, name int) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if level == socket.SOL_SOCKET {
		switch name {
		case socket.SO_TYPE:
			return socket.Int(int32(s.typ)), nil
		case socket.SO_DOMAIN:
			return socket.Int(AF_NETLINK), nil
		case socket.SO_PROTOCOL:
			return socket.Int(linux.NETLINK_ROUTE), nil
		case socket.SO_SNDBUF:
			return socket.Int(int32(s.sndbuf)), nil
		case socket.SO_RCVBUF:
			return socket.Int(int32(s.rcvbuf)), nil
		case socket.SO_PASSCRED:
			return socket.Bool(s.passcred), nil
		case socket.SO_RCVTIMEO, socket.SO_SNDTIMEO:
			return s.timeo.Get(name), nil
		case socket.SO_ERROR, socket.SO_ACCEPTCONN, socket.SO_REUSEADDR, socket.SO_KEEPALIVE,
			socket.SO_BROADCAST, socket.SO_DEBUG, socket.SO_DONTROUTE, socket.SO_OOBINLINE,
			socket.SO_PRIORITY, socket.SO_REUSEPORT:
			return socket.Int(0), nil
		}
		return nil, linuxerr.ENOPROTOOPT
	}
	if level != SOL_NETLINK {
		return nil, linuxerr.ENOPROTOOPT
	}
	switch name {
	case linux.NETLINK_PKTINFO:
		return socket.Bool(s.pktinfo), nil
	case linux.NETLINK_BROADCAST_ERROR:
		return socket.Bool(s.bcastError), nil
	case linux.NETLINK_NO_ENOBUFS:
		return socket.Bool(s.noENOBUFS), nil
	case linux.NETLINK_CAP_ACK:
		return socket.Bool(s.capAck), nil
	case linux.NETLINK_EXT_ACK:
		return socket.Bool(s.extAck), nil
	case linux.NETLINK_DUMP_STRICT_CHK:
		return socket.Bool(s.strictCheck), nil
	case linux.NETLINK_LIST_MEMBERSHIPS:
		b := make([]byte, 8)
		binary.LittleEndian.PutUint64(b, s.groups)
		return b, nil
	}
	return nil, linuxerr.ENOPROTOOPT
}

// SetSockOpt implements socket.Socket: SOL_SOCKET's buffer sizes,
// timeouts and SO_PASSCRED; SOL_NETLINK's flags and group membership
// (netlink_setsockopt).
func (s *Sock) SetSockOpt(level, name int, val []byte) error {
	if level == socket.SOL_SOCKET {
		return s.setSocket(name, val)
	}
	if level != SOL_NETLINK {
		return linuxerr.ENOPROTOOPT
	}
	var v int32
	if len(val) >= 4 {
		v = int32(binary.LittleEndian.Uint32(val))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	switch name {
	case linux.NETLINK_ADD_MEMBERSHIP, linux.NETLINK_DROP_MEMBERSHIP:
		if v <= 0 || v > rtnlGroups {
			return linuxerr.EINVAL
		}
		if name == linux.NETLINK_ADD_MEMBERSHIP {
			s.groups |= 1 << (v - 1)
		} else {
			s.groups &^= 1 << (v - 1)
		}
	case linux.NETLINK_PKTINFO:
		s.pktinfo = v != 0
	case linux.NETLINK_BROADCAST_ERROR:
		s.bcastError = v != 0
	case linux.NETLINK_NO_ENOBUFS:
		s.noENOBUFS = v != 0
	case linux.NETLINK_LISTEN_ALL_NSID:
	case linux.NETLINK_CAP_ACK:
		s.capAck = v != 0
	case linux.NETLINK_EXT_ACK:
		s.extAck = v != 0
	case linux.NETLINK_DUMP_STRICT_CHK:
		s.strictCheck = v != 0
	default:
		return linuxerr.ENOPROTOOPT
	}
	return nil
}

// setSocket sets a SOL_SOCKET option (sk_setsockopt).
func (s *Sock) setSocket(name int, val []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch name {
	case socket.SO_RCVTIMEO, socket.SO_SNDTIMEO:
		return s.timeo.Set(name, val)
	}
	v, err := socket.IntArg(val)
	if err != nil {
		return err
	}
	switch name {
	case socket.SO_SNDBUF, socket.SO_SNDBUFFORCE:
		s.sndbuf = socket.BufSize(name, v)
	case socket.SO_RCVBUF, socket.SO_RCVBUFFORCE:
		s.rcvbuf = socket.BufSize(name, v)
	case socket.SO_PASSCRED:
		s.passcred = v != 0
	default:
		return linuxerr.ENOPROTOOPT
	}
	return nil
}
