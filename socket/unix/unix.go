// Package unix implements AF_UNIX sockets (net/unix/af_unix.c):
// SOCK_STREAM, SOCK_DGRAM and SOCK_SEQPACKET; socketpair; binding to a
// path (a socket node in the file system) or to the abstract namespace,
// and autobind; listen, connect and accept with the listener's backlog;
// stream, datagram and sequenced-packet data with Linux's send-buffer
// accounting; shutdown; SCM_RIGHTS and SCM_CREDENTIALS; the options of
// SOL_SOCKET; poll readiness as unix_poll and unix_dgram_poll report it.
//
// All sockets share one lock: it keeps connect, accept, close and the
// peer links simple and race-free, at the cost of parallelism between
// unrelated sockets. Wake-ups run after the lock is dropped (epoll's
// callbacks take their own locks and ask for readiness).
//
// Bounds: each socket's queued data is bounded by its senders' send
// buffers (sk_sndbuf, at most 2 * WmemMax) and charged to the kernel's
// user-memory budget (mm.ChargeUser, ENOBUFS when it is spent); sockets
// are files, bounded by file-max. Descriptors in flight are counted per
// sending socket only.
//
// Limits: MSG_OOB sends no SIGURG; no SO_PEEK_OFF, no
// SO_PASSPIDFD/SO_PEERPIDFD, no SIOCUNIXFILE; no permission check on a
// socket node (every caller may write it, as root may); sockets sent over
// sockets in a cycle are collected by gc.go as unix_gc does.
package unix

import (
	"sync"

	"gvisor.dev/gvisor/pkg/errors/linuxerr"

	"oyako/fs"
	"oyako/kernel/mm"
	"oyako/socket"
)

// Connection states (the TCP_* values af_unix uses).
type state uint8

const (
	stateClose state = iota
	stateListen
	stateEstablished
)

// Shutdown bits (include/net/sock.h).
const (
	rcvShutdown  = 1
	sendShutdown = 2
	shutdownMask = 3
)

// maxDgramQlen is net.unix.max_dgram_qlen: a datagram socket's receive
// queue holds more than this many only from its connected peer.
const maxDgramQlen = 10

// somaxconn is net.core.somaxconn: listen's backlog is cut to it.
const somaxconn = 4096

// skbOverhead is what a queued buffer costs besides its data, in the
// send-buffer accounting (about SKB_TRUESIZE(0) on x86-64).
const skbOverhead = 576

// mu guards every socket's state (see the package comment).
var mu sync.Mutex

// Sock is an AF_UNIX socket (struct unix_sock with its struct sock).
type Sock struct {
	typ      int
	state    state
	shutdown int
	dead     bool  // released (SOCK_DEAD)
	err      error // sk_err: a pending error

	peer *Sock

	addr []byte   // the bound address (struct unix_address), nil if none
	node fs.Inode // the socket node of a path-bound socket

	recv    []*skb // the receive queue (for a listener: embryos)
	oob     *skb   // the out-of-band byte's buffer, in recv (oob_skb)
	wmem    int    // sk_wmem_alloc: bytes this socket has queued to others
	sndbuf  int
	rcvbuf  int
	backlog int // sk_max_ack_backlog

	passcred    bool
	peerCred    socket.Cred // SO_PEERCRED
	hasPeerCred bool
	reuseaddr   bool
	keepalive   bool
	oobinline   bool
	linger      [2]int32
	rcvlowat    int
	timeo       socket.Timeouts

	q        fs.Queue // the socket's wait queue (sk_sleep)
	peerWait fs.Queue // senders and connecters waiting for room here
	// relay holds datagram sockets connected to this one that found
	// its queue full (unix_dgram_peer_wake_connect): a receive wakes
	// them for writing.
	relay map[*Sock]bool

	file *fs.File // the socket's file, nil for an embryo not accepted
	ino  uint64
}

// skb is a queued buffer: data (stream: part of a write; datagram: one
// message) with what came with it, or a pending connection on a
// listener.
type skb struct {
	data     []byte
	consumed int // stream: bytes already read
	from     *Sock
	charge   int  // bytes charged to from.wmem
	hasCred  bool // creds were attached (UNIXCB(skb).pid set)
	cred     socket.Cred
	files    []*fs.File
	conn     *Sock // a listener's pending connection (the embryo)
	mem      int   // bytes charged to the user-memory budget (memCharge)
}

func (b *skb) len() int { return len(b.data) - b.consumed }

// notes are wake-ups to make once mu is released.
type notes []note

type note struct {
	q  *fs.Queue
	ev uint32
}

func (n *notes) add(q *fs.Queue, ev uint32) { *n = append(*n, note{q, ev}) }

// unlock releases mu, then wakes what was noted and drops the file
// references freed under the lock.
func unlock(n notes, drop []*fs.File) {
	mu.Unlock()
	for _, x := range n {
		x.q.Notify(x.ev)
	}
	for _, f := range drop {
		f.DecRef()
	}
}

const (
	evIn  = fs.EventIn | fs.EventRdNorm
	evOut = fs.EventOut | fs.EventWrNorm | fs.EventWrBand
	evAll = evIn | evOut | fs.EventErr | fs.EventHup | fs.EventRdHup | fs.EventPri
)

// Create makes a socket of the given type and protocol, as unix_create:
// protocol 0 or PF_UNIX (else EPROTONOSUPPORT), SOCK_RAW taken as
// SOCK_DGRAM, other types ESOCKTNOSUPPORT. It returns the socket's file.
func Create(c fs.Ctx, typ, protocol int, flags uint32) (*fs.File, error) {
	if protocol != 0 && protocol != socket.AF_UNIX {
		return nil, linuxerr.EPROTONOSUPPORT
	}
	switch typ {
	case socket.SOCK_STREAM, socket.SOCK_DGRAM, socket.SOCK_SEQPACKET:
	case socket.SOCK_RAW:
		typ = socket.SOCK_DGRAM
	default:
		return nil, linuxerr.ESOCKTNOSUPPORT
	}
	s := newSock(typ)
	return s.newFile(c, flags), nil
}

func newSock(typ int) *Sock {
	s := &Sock{typ: typ, sndbuf: socket.WmemDefault, rcvbuf: socket.RmemDefault, backlog: maxDgramQlen, rcvlowat: 1, ino: fs.NewIno()}
	live.Add(s) // for /proc/net/unix
	return s
}

// newFile gives s its file (sock_alloc_file).
func (s *Sock) newFile(c fs.Ctx, flags uint32) *fs.File {
	f := socket.NewFile(c, s.ino, flags, s)
	s.file = f
	return f
}

// Pair makes two connected sockets (socketpair(2), unix_socketpair).
func Pair(c fs.Ctx, typ, protocol int, flags uint32) (*fs.File, *fs.File, error) {
	fa, err := Create(c, typ, protocol, flags)
	if err != nil {
		return nil, nil, err
	}
	fb, _ := Create(c, typ, protocol, flags)
	a, b := fa.Ops().(*Sock), fb.Ops().(*Sock)
	cred := socket.EffectiveCred(c)
	mu.Lock()
	a.peer, b.peer = b, a
	a.peerCred, b.peerCred = cred, cred
	a.hasPeerCred, b.hasPeerCred = true, true
	a.state, b.state = stateEstablished, stateEstablished
	mu.Unlock()
	return fa, fb, nil
}

// FromFile returns the socket behind f.
func FromFile(f *fs.File) (*Sock, bool) {
	s, ok := f.Ops().(*Sock)
	return s, ok
}

// Type returns the socket's type (SOCK_STREAM...).
func (s *Sock) Type() int { return s.typ }

// ProtoName implements socket.ProtoNamer: unix_stream_proto for stream
// sockets, unix_dgram_proto for the others.
func (s *Sock) ProtoName() string {
	if s.typ == socket.SOCK_STREAM {
		return "UNIX-STREAM"
	}
	return "UNIX"
}

func (s *Sock) connectionBased() bool { return s.typ != socket.SOCK_DGRAM }

// Namespaces of bound sockets: path-bound ones by their node
// (unix_find_socket_byinode), abstract ones by type and name (the
// abstract hash includes the type, so each type has its own names).
var (
	byNode     = map[fs.Inode]*Sock{}
	byAbstract = map[abstractKey]*Sock{}
)

type abstractKey struct {
	typ  int
	name string
}

// validateAddr is unix_validate_addr.
func validateAddr(addr []byte) error {
	if len(addr) <= 2 || len(addr) > 110 || family(addr) != socket.AF_UNIX {
		return linuxerr.EINVAL
	}
	return nil
}

func family(addr []byte) int {
	if len(addr) < 2 {
		return -1
	}
	return int(addr[0]) | int(addr[1])<<8
}

// pathOf is unix_mkname_bsd: the path of a file-system address ends at
// its first NUL or at the address's end.
func pathOf(addr []byte) string {
	p := addr[2:]
	for i, b := range p {
		if b == 0 {
			return string(p[:i])
		}
	}
	return string(p)
}

// bsdAddr is the stored address of a path binding: family, path, NUL.
func bsdAddr(path string) []byte {
	a := make([]byte, 2, 2+len(path)+1)
	a[0] = socket.AF_UNIX
	a = append(a, path...)
	return append(a, 0)
}

// Bind implements bind(2) (unix_bind): an address of just the family
// autobinds; a path makes a socket node (EADDRINUSE if the name
// exists, EINVAL if the socket is bound already, the node removed
// again); an abstract name must be free among the sockets of its type.
func (s *Sock) Bind(c fs.Ctx, names socket.Names, addr []byte) error {
	if len(addr) == 2 && family(addr) == socket.AF_UNIX {
		return s.autobind()
	}
	if err := validateAddr(addr); err != nil {
		return err
	}
	if addr[2] != 0 {
		path := pathOf(addr)
		node, remove, err := names.MakeNode(path, fs.S_IFSOCK|0o777)
		if err != nil {
			if linuxerr.Equals(linuxerr.EEXIST, err) {
				return linuxerr.EADDRINUSE
			}
			return err
		}
		mu.Lock()
		if s.addr != nil {
			mu.Unlock()
			remove()
			return linuxerr.EINVAL
		}
		s.addr, s.node = bsdAddr(path), node
		byNode[node] = s
		mu.Unlock()
		return nil
	}
	mu.Lock()
	defer mu.Unlock()
	if s.addr != nil {
		return linuxerr.EINVAL
	}
	k := abstractKey{s.typ, string(addr[2:])}
	if byAbstract[k] != nil {
		return linuxerr.EADDRINUSE
	}
	s.addr = append([]byte(nil), addr...)
	byAbstract[k] = s
	return nil
}

// autobindNext is the next autobind name to try (Linux starts at a
// random one).
var autobindNext uint32

// autobind is unix_autobind: an abstract name of five hex digits, the
// first free one; ENOSPC when all 2^20 are taken.
func (s *Sock) autobind() error {
	mu.Lock()
	defer mu.Unlock()
	return s.autobindLocked()
}

func (s *Sock) autobindLocked() error {
	if s.addr != nil {
		return nil
	}
	for range 1 << 20 {
		n := autobindNext & 0xfffff
		autobindNext++
		name := "\x00" + hex5(n)
		k := abstractKey{s.typ, name}
		if byAbstract[k] == nil {
			s.addr = append([]byte{socket.AF_UNIX, 0}, name...)
			byAbstract[k] = s
			return nil
		}
	}
	return linuxerr.ENOSPC
}

func hex5(n uint32) string {
	const digits = "0123456789abcdef"
	var b [5]byte
	for i := 4; i >= 0; i-- {
		b[i] = digits[n&0xf]
		n >>= 4
	}
	return string(b[:])
}

// findOther is unix_find_other: the socket an address names. A path that
// does not resolve gives the lookup's error, one that is not a socket
// node or has no socket bound ECONNREFUSED, one bound by a socket of
// another type EPROTOTYPE; an abstract name not bound among sockets of
// this type ECONNREFUSED. The caller holds mu; the path lookup runs
// before it is taken (lookup).
func findOther(node fs.Inode, addr []byte, typ int) (*Sock, error) {
	if addr[2] != 0 {
		if node == nil || node.Attr().Mode&fs.S_IFMT != fs.S_IFSOCK {
			return nil, linuxerr.ECONNREFUSED
		}
		o := byNode[node]
		if o == nil {
			return nil, linuxerr.ECONNREFUSED
		}
		if o.typ != typ {
			return nil, linuxerr.EPROTOTYPE
		}
		return o, nil
	}
	o := byAbstract[abstractKey{typ, string(addr[2:])}]
	if o == nil {
		return nil, linuxerr.ECONNREFUSED
	}
	return o, nil
}

// lookup resolves a path address's node without mu held.
func lookup(names socket.Names, addr []byte) (fs.Inode, error) {
	if addr[2] == 0 {
		return nil, nil
	}
	if names == nil {
		return nil, linuxerr.ECONNREFUSED
	}
	return names.FindNode(pathOf(addr))
}

// Release implements fs.Releaser: unix_release_sock.
func (s *Sock) Release(*fs.File) {
	mu.Lock()
	var n notes
	var drop []*fs.File
	s.releaseLocked(false, &n, &drop)
	gcLocked(&drop)
	unlock(n, drop)
}

func (s *Sock) releaseLocked(embryo bool, n *notes, drop *[]*fs.File) {
	if s.dead {
		return
	}
	if s.addr != nil {
		if s.node != nil {
			delete(byNode, s.node)
		} else if byAbstract[abstractKey{s.typ, string(s.addr[2:])}] == s {
			delete(byAbstract, abstractKey{s.typ, string(s.addr[2:])})
		}
	}
	s.dead = true
	live.Remove(s)
	delete(memWaiters, s)
	s.shutdown = shutdownMask
	wasListening := s.state == stateListen
	s.state = stateClose
	peer := s.peer
	s.peer = nil
	n.add(&s.peerWait, evAll)
	if peer != nil {
		if s.connectionBased() {
			peer.shutdown = shutdownMask
			if len(s.recv) > 0 || embryo {
				peer.err = linuxerr.ECONNRESET
			}
			n.add(&peer.q, evAll)
		}
		delete(peer.relay, s)
	}
	for _, b := range s.recv {
		if wasListening && b.conn != nil {
			b.conn.releaseLocked(true, n, drop)
		}
		b.free(n, drop)
	}
	s.recv = nil
	for w := range s.relay {
		n.add(&w.q, evOut)
	}
	s.relay = nil
	n.add(&s.q, evAll)
}

// free drops a buffer taken off a queue: its charge goes back to its
// sender (sock_wfree, which wakes a sender that can write again), its
// files are dropped.
func (b *skb) free(n *notes, drop *[]*fs.File) {
	if b.from != nil && b.charge > 0 {
		from := b.from
		from.wmem -= b.charge
		b.charge = 0
		if from.writable() {
			n.add(&from.q, evOut)
		}
	}
	if b.mem > 0 {
		memRelease(b.mem, n)
		b.mem = 0
	}
	*drop = append(*drop, b.detachFiles()...)
}

// detachFiles takes the buffer's files (unix_detach_fds).
func (b *skb) detachFiles() []*fs.File {
	fl := b.files
	b.files = nil
	if len(fl) > 0 {
		inflightDel(fl)
	}
	return fl
}

// writable is unix_writable: not a listener, and a quarter of the send
// buffer at most in flight; and not waiting for kernel memory.
func (s *Sock) writable() bool {
	return s.state != stateListen && s.wmem*4 <= s.sndbuf && !memWaiters[s]
}

// newSkb makes a buffer of data sent by s, charged to s's send buffer;
// allocWait reserved its memory.
func (s *Sock) newSkb(data []byte) *skb {
	size := len(data) + skbOverhead
	b := &skb{data: data, from: s, charge: size, mem: size}
	s.wmem += size
	return b
}

// Queued data is held in the kernel's heap, which has a budget: the
// bytes of every queued buffer are charged to the kernel's user-memory
// budget a page at a time (mm.ChargeUser). When it is spent, senders
// wait for memory as TCP's do under tcp_mem pressure
// (sk_stream_wait_memory): a blocking one sleeps on memQ, a
// non-blocking one gets EAGAIN and is not writable until memory is
// given back, which wakes it (memWaiters). All guarded by mu.
var (
	queued     int
	memGen     uint64 // counts memory given back
	memQ       fs.Queue
	memWaiters = map[*Sock]bool{}
)

func pagesOf(n int) int { return (n + fs.PageSize - 1) / fs.PageSize }

// memCharge reserves n bytes.
func memCharge(n int) bool {
	if more := pagesOf(queued+n) - pagesOf(queued); more > 0 && !mm.ChargeUser(more) {
		return false
	}
	queued += n
	return true
}

// memRelease gives back n bytes and wakes the senders waiting for
// memory.
func memRelease(n int, notes *notes) {
	if less := pagesOf(queued) - pagesOf(queued-n); less > 0 {
		mm.UnchargeUser(less)
	}
	queued -= n
	memGen++
	notes.add(&memQ, evOut)
	for w := range memWaiters {
		notes.add(&w.q, evOut)
	}
	clear(memWaiters)
}
