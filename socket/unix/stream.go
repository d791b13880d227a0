package unix

import (
	"time"

	"gvisor.dev/gvisor/pkg/errors/linuxerr"

	"oyako/fs"
	"oyako/socket"
)

// wait is socket.Wait with mu released while it waits; ready is
// checked under mu. It returns with mu held again.
func wait(c fs.Ctx, q *fs.Queue, mask uint32, deadline time.Time, ready func() bool) (timedOut bool, err error) {
	mu.Unlock()
	timedOut, err = socket.Wait(c, q, mask, deadline, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return ready()
	})
	mu.Lock()
	return timedOut, err
}

// Listen implements listen(2) (unix_listen): stream and seqpacket
// sockets only (EOPNOTSUPP), bound ones (EINVAL), not connected
// (EINVAL). A listener's credentials are the ones its clients see as
// SO_PEERCRED. The caller has cut backlog to somaxconn (__sys_listen).
func (s *Sock) Listen(c fs.Ctx, backlog int) error {
	if !s.connectionBased() {
		return linuxerr.EOPNOTSUPP
	}
	mu.Lock()
	var n notes
	defer func() { unlock(n, nil) }()
	if s.addr == nil || s.state != stateClose && s.state != stateListen {
		return linuxerr.EINVAL
	}
	if backlog > s.backlog {
		n.add(&s.peerWait, evAll)
	}
	s.backlog = backlog
	s.state = stateListen
	s.peerCred, s.hasPeerCred = socket.EffectiveCred(c), true
	return nil
}

// Somaxconn is net.core.somaxconn, listen's largest backlog.
const Somaxconn = somaxconn

// Connect implements connect(2) (unix_stream_connect, unix_dgram_connect).
func (s *Sock) Connect(c fs.Ctx, f *fs.File, names socket.Names, addr []byte) error {
	if s.typ == socket.SOCK_DGRAM {
		return s.dgramConnect(c, names, addr)
	}
	if err := validateAddr(addr); err != nil {
		return err
	}
	node, err := lookup(names, addr)
	if err != nil {
		return err
	}
	nb := socket.Nonblock(f, 0)
	mu.Lock()
	var n notes
	defer func() { unlock(n, nil) }()
	if s.passcred {
		if err := s.autobindLocked(); err != nil {
			return err
		}
	}
	dl := socket.Deadline(s.timeo.Snd)
	for {
		other, err := findOther(node, addr, s.typ)
		if err != nil {
			return err
		}
		if other.state != stateListen || other.shutdown&rcvShutdown != 0 {
			return linuxerr.ECONNREFUSED
		}
		if len(other.recv) > other.backlog {
			if nb {
				return linuxerr.EAGAIN
			}
			// unix_wait_for_peer: until the listener accepts, dies or
			// is shut down; then look it up again.
			timedOut, err := wait(c, &other.peerWait, evAll, dl, func() bool {
				return other.dead || other.shutdown&rcvShutdown != 0 || len(other.recv) <= other.backlog
			})
			if err != nil {
				return err
			}
			nb = timedOut
			continue
		}
		switch s.state {
		case stateEstablished:
			return linuxerr.EISCONN
		case stateListen:
			return linuxerr.EINVAL
		}
		if s.dead {
			return linuxerr.EINVAL
		}
		// The server's end is made now and waits on the listener's
		// queue until accept takes it; the client is connected at
		// once and may write before it is accepted.
		emb := newSock(s.typ)
		emb.state = stateEstablished
		emb.peer = s
		emb.peerCred, emb.hasPeerCred = socket.EffectiveCred(c), true
		emb.addr = other.addr
		s.peerCred, s.hasPeerCred = other.peerCred, true
		s.state = stateEstablished
		s.peer = emb
		other.recv = append(other.recv, &skb{conn: emb})
		n.add(&other.q, evIn)
		return nil
	}
}

// Accept implements accept4(2) (unix_accept): the first pending
// connection as a new socket file, which inherits SO_PASSCRED.
func (s *Sock) Accept(c fs.Ctx, f *fs.File, flags uint32) (*fs.File, error) {
	if !s.connectionBased() {
		return nil, linuxerr.EOPNOTSUPP
	}
	mu.Lock()
	var n notes
	if s.state != stateListen {
		unlock(n, nil)
		return nil, linuxerr.EINVAL
	}
	nb := socket.Nonblock(f, 0)
	dl := socket.Deadline(s.timeo.Rcv)
	for len(s.recv) == 0 {
		err := error(nil)
		switch {
		case s.err != nil:
			err = s.takeErr()
		case s.shutdown&rcvShutdown != 0 || s.state != stateListen:
			err = linuxerr.EINVAL
		case nb:
			err = linuxerr.EAGAIN
		}
		if err == nil {
			var timedOut bool
			timedOut, err = wait(c, &s.q, evIn, dl, func() bool {
				return len(s.recv) > 0 || s.err != nil || s.shutdown&rcvShutdown != 0 || s.state != stateListen
			})
			nb = timedOut
		}
		if err != nil {
			unlock(n, nil)
			return nil, err
		}
	}
	b := s.recv[0]
	s.recv = s.recv[1:]
	n.add(&s.peerWait, evAll)
	emb := b.conn
	emb.passcred = s.passcred
	nf := emb.newFile(c, flags)
	unlock(n, nil)
	return nf, nil
}

// takeErr is sock_error: the pending error, cleared.
func (s *Sock) takeErr() error {
	e := s.err
	s.err = nil
	return e
}

// streamSend is unix_stream_sendmsg: the data cut into buffers of at
// most half the send buffer, each waiting for room in it; EPIPE (and
// SIGPIPE unless MSG_NOSIGNAL) when this end is shut down for writing
// or the peer for reading; what was sent before an error is the result.
func (s *Sock) streamSend(c fs.Ctx, m *socket.SendMsg, nb bool) (int, error) {
	total := m.Data.Len()
	oob := m.Flags&socket.MSG_OOB != 0
	inband := total
	if oob {
		// CONFIG_AF_UNIX_OOB: the last byte goes out of band.
		if total == 0 {
			return 0, linuxerr.EOPNOTSUPP
		}
		inband--
	}
	mu.Lock()
	var n notes
	defer func() { unlock(n, nil) }()
	if len(m.Addr) > 0 {
		if s.state == stateEstablished {
			return 0, linuxerr.EISCONN
		}
		return 0, linuxerr.EOPNOTSUPP
	}
	peer := s.peer
	if peer == nil {
		return 0, linuxerr.ENOTCONN
	}
	if s.shutdown&sendShutdown != 0 {
		if m.Flags&socket.MSG_NOSIGNAL == 0 {
			socket.SigPipe(c)
		}
		return 0, linuxerr.EPIPE
	}
	dl := socket.Deadline(s.timeo.Snd)
	sent := 0
	filesSent := false
	for sent < inband || oob {
		size := min(inband-sent, s.sndbuf/2-64, maxStreamSkb)
		last := oob && sent == inband
		if last {
			size = 1
		}
		size = max(size, 1)
		if err := s.allocWait(c, &nb, dl, size+skbOverhead); err != nil {
			return partial(sent, err)
		}
		data := make([]byte, size)
		if err := m.Data.ReadAt(data, sent); err != nil {
			memRelease(size+skbOverhead, &n)
			return partial(sent, err)
		}
		if peer.dead || peer.shutdown&rcvShutdown != 0 {
			memRelease(size+skbOverhead, &n)
			if sent == 0 && m.Flags&socket.MSG_NOSIGNAL == 0 {
				socket.SigPipe(c)
			}
			return partial(sent, linuxerr.EPIPE)
		}
		b := s.newSkb(data)
		if last {
			// queue_oob: the byte is the peer's out-of-band mark
			// (SIGURG, which needs F_SETOWN, is not sent).
			peer.oob = b
			oob = false
			n.add(&peer.q, fs.EventPri)
		}
		if !filesSent {
			b.attachFiles(m.Files)
			filesSent = true
		}
		b.addCreds(c, s, peer, m.Creds)
		peer.recv = append(peer.recv, b)
		n.add(&peer.q, evIn)
		sent += size
	}
	return sent, nil
}

// recvUrg is unix_stream_recv_urg: MSG_OOB reads the out-of-band byte
// (EINVAL if there is none or it is read inline), which stays in the
// queue as a spent buffer. The caller holds mu.
func (s *Sock) recvUrg(buf []byte, flags int, out *socket.RecvMsg) (int, error) {
	b := s.oob
	if s.oobinline || b == nil {
		return 0, linuxerr.EINVAL
	}
	if len(buf) == 0 {
		return 0, linuxerr.EFAULT
	}
	buf[0] = b.data[b.consumed]
	if flags&socket.MSG_PEEK == 0 {
		s.oob = nil
		b.consumed++
	}
	out.Flags |= socket.MSG_OOB
	return 1, nil
}

// allocWait is sock_alloc_send_pskb's loop: a pending error (taken)
// or a send side shut down (EPIPE) first, then room in the send buffer
// and size bytes of kernel memory (reserved on success: the caller
// makes a buffer of them with newSkb or gives them back with
// memRelease), waited for unless *nb (EAGAIN). A timeout makes *nb
// true. The caller holds mu.
func (s *Sock) allocWait(c fs.Ctx, nb *bool, dl time.Time, size int) error {
	for {
		switch {
		case s.err != nil:
			return s.takeErr()
		case s.shutdown&sendShutdown != 0:
			return linuxerr.EPIPE
		case s.wmem < s.sndbuf:
			if memCharge(size) {
				return nil
			}
			if *nb {
				memWaiters[s] = true
				return linuxerr.EAGAIN
			}
			gen := memGen
			timedOut, err := wait(c, &memQ, evOut, dl, func() bool {
				return memGen != gen || s.err != nil || s.shutdown&sendShutdown != 0
			})
			if err != nil {
				return err
			}
			*nb = timedOut
			continue
		case *nb:
			return linuxerr.EAGAIN
		}
		timedOut, err := wait(c, &s.q, evOut, dl, func() bool {
			return s.wmem < s.sndbuf || s.err != nil || s.shutdown&sendShutdown != 0
		})
		if err != nil {
			return err
		}
		*nb = timedOut
	}
}

// maxStreamSkb is the most one stream buffer holds (SKB_MAX_HEAD(0) +
// UNIX_SKB_FRAGS_SZ).
const maxStreamSkb = 3776 + 32768

// partial is a transfer's result: the bytes moved if any, else err.
func partial(done int, err error) (int, error) {
	if done > 0 {
		return done, nil
	}
	return 0, err
}

// attachFiles gives the buffer its own references to files
// (unix_attach_fds).
func (b *skb) attachFiles(files []*fs.File) {
	if len(files) == 0 {
		return
	}
	b.files = make([]*fs.File, len(files))
	for i, f := range files {
		f.IncRef()
		b.files[i] = f
	}
	inflightAdd(b.files)
}

// addCreds is unix_scm_to_skb with maybe_add_creds: explicit
// SCM_CREDENTIALS, else the sender's own when either end asked for
// credentials (SO_PASSCRED) or the receiver has not been accepted yet.
func (b *skb) addCreds(c fs.Ctx, s, other *Sock, explicit *socket.Cred) {
	switch {
	case explicit != nil:
		b.hasCred, b.cred = true, *explicit
	case s.passcred || other.passcred || other.file == nil:
		b.hasCred, b.cred = true, socket.RealCred(c)
	}
}

// credOf is the SCM_CREDENTIALS a buffer reports: pid 0 and the
// overflow IDs when it carries none (__scm_recv_common).
func (b *skb) credOf() *socket.Cred {
	if !b.hasCred {
		return &socket.Cred{PID: 0, UID: overflowID, GID: overflowID}
	}
	c := b.cred
	return &c
}

const overflowID = 65534

// streamRecv is unix_stream_read_generic: reads across buffers until
// the request is met or the queue is empty once at least the low-water
// mark (all of it with MSG_WAITALL) has arrived; never glues data from
// writers with different credentials when the reader has SO_PASSCRED;
// stops after a buffer that carried descriptors. MSG_PEEK copies
// without consuming (and duplicates descriptors).
func (s *Sock) streamRecv(c fs.Ctx, buf []byte, flags int, nb bool, out *socket.RecvMsg) (int, error) {
	mu.Lock()
	var n notes
	var drop []*fs.File
	defer func() { unlock(n, drop) }()
	if s.state != stateEstablished {
		return 0, linuxerr.EINVAL
	}
	if flags&socket.MSG_OOB != 0 {
		return s.recvUrg(buf, flags, out)
	}
	size := len(buf)
	target := 1
	if flags&socket.MSG_WAITALL != 0 {
		target = size
	} else {
		target = min(s.rcvlowat, size)
	}
	target = max(target, 1)
	peek := flags&socket.MSG_PEEK != 0
	dl := socket.Deadline(s.timeo.Rcv)
	copied := 0
	checkCreds := false
	var cred *socket.Cred
	pos := 0 // MSG_PEEK's place in the queue
	for copied < size || size == 0 {
		if pos >= len(s.recv) {
			if copied >= target || peek && copied > 0 {
				break
			}
			if s.err != nil {
				return partial(copied, s.takeErr())
			}
			if s.shutdown&rcvShutdown != 0 {
				break
			}
			if nb {
				return partial(copied, linuxerr.EAGAIN)
			}
			have := len(s.recv)
			timedOut, err := wait(c, &s.q, evIn, dl, func() bool {
				return len(s.recv) != have || s.err != nil || s.shutdown&rcvShutdown != 0 || s.dead
			})
			if err != nil {
				return partial(copied, err)
			}
			nb = timedOut
			continue
		}
		b := s.recv[pos]
		if b.len() == 0 || b == s.oob {
			// manage_oob: the out-of-band byte is a mark reads stop
			// at; read at the mark, it is dropped from the stream
			// (unless SO_OOBINLINE) and no longer out of band. A
			// buffer whose byte MSG_OOB took is passed over.
			if copied > 0 && (b.len() == 0 && (s.oob == nil || b == s.oob) || b == s.oob) {
				break
			}
			if b.len() == 0 || !s.oobinline {
				if !peek && b == s.oob {
					s.oob = nil
				}
				if peek {
					pos++
				} else {
					s.recv = append(s.recv[:pos:pos], s.recv[pos+1:]...)
					b.free(&n, &drop)
				}
				continue
			}
			if !peek {
				s.oob = nil
			}
		}
		if checkCreds {
			if !sameCreds(b, cred) {
				break
			}
		} else if s.passcred {
			cred = b.credOf()
			out.Cred = cred
			checkCreds = true
		}
		if out.Addr == nil && b.from != nil {
			out.Addr = b.from.addr
		}
		chunk := min(b.len(), size-copied)
		copy(buf[copied:], b.data[b.consumed:b.consumed+chunk])
		copied += chunk
		if peek {
			if len(b.files) > 0 {
				out.Files = dupFiles(b.files)
				break
			}
			pos++
			if size == 0 {
				break
			}
			continue
		}
		b.consumed += chunk
		if len(b.files) > 0 {
			out.Files = b.detachFiles()
		}
		if b.len() > 0 {
			break
		}
		s.recv = s.recv[1:]
		b.free(&n, &drop)
		if len(out.Files) > 0 || size == 0 {
			break
		}
	}
	if s.passcred && out.Cred == nil {
		out.Cred = &socket.Cred{} // nothing read: the cookie's zeroes
	}
	return copied, nil
}

func sameCreds(b *skb, c *socket.Cred) bool {
	return *b.credOf() == *c
}

// dupFiles takes new references to files (scm_fp_dup).
func dupFiles(files []*fs.File) []*fs.File {
	out := make([]*fs.File, len(files))
	for i, f := range files {
		f.IncRef()
		out[i] = f
	}
	return out
}
