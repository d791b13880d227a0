package unix

import (
	"gvisor.dev/gvisor/pkg/errors/linuxerr"

	"oyako/fs"
	"oyako/socket"
)

// maySend is unix_may_send: a socket connected elsewhere takes
// datagrams only from its peer.
func maySend(s, other *Sock) bool { return other.peer == nil || other.peer == s }

// recvqFull is unix_recvq_full: more buffers queued than the backlog
// (max_dgram_qlen for datagram sockets, listen's for listeners).
func (s *Sock) recvqFull() bool { return len(s.recv) > s.backlog }

// dgramConnect is unix_dgram_connect: AF_UNSPEC dissolves the
// association; an address names the only socket this one sends to
// (EPERM if that one is connected elsewhere) and receives from. A
// changed peer drops what the old one had queued here, and the old peer,
// if connected back, sees ECONNRESET.
func (s *Sock) dgramConnect(c fs.Ctx, names socket.Names, addr []byte) error {
	if len(addr) < 2 {
		return linuxerr.EINVAL
	}
	var node fs.Inode
	unspec := family(addr) == socket.AF_UNSPEC
	if !unspec {
		if err := validateAddr(addr); err != nil {
			return err
		}
		var err error
		if node, err = lookup(names, addr); err != nil {
			return err
		}
	}
	mu.Lock()
	var n notes
	var drop []*fs.File
	defer func() { unlock(n, drop) }()
	var other *Sock
	if !unspec {
		if s.passcred {
			if err := s.autobindLocked(); err != nil {
				return err
			}
		}
		var err error
		if other, err = findOther(node, addr, s.typ); err != nil {
			return err
		}
		if !maySend(s, other) {
			return linuxerr.EPERM
		}
		s.state = stateEstablished
		other.state = stateEstablished
	}
	old := s.peer
	s.peer = other
	if old == nil {
		return nil
	}
	if other == nil {
		s.state = stateClose
	}
	delete(old.relay, s)
	n.add(&s.q, evOut)
	if other != old {
		s.dgramDisconnected(old, &n, &drop)
		if old.peer == nil {
			old.state = stateClose
		}
	}
	return nil
}

// dgramDisconnected is unix_dgram_disconnected: s no longer receives
// from old; what old queued here is dropped, and old, if it was
// connected to s, gets ECONNRESET.
func (s *Sock) dgramDisconnected(old *Sock, n *notes, drop *[]*fs.File) {
	if len(s.recv) == 0 {
		return
	}
	for _, b := range s.recv {
		b.free(n, drop)
	}
	s.recv = nil
	n.add(&s.peerWait, evAll)
	if !old.dead && old.peer == s {
		old.err = linuxerr.ECONNRESET
		n.add(&old.q, fs.EventErr)
	}
}

// dgramSend is unix_dgram_sendmsg (and, for a connected seqpacket
// socket, what unix_seqpacket_sendmsg leads to): one message to the
// named socket or the peer; EMSGSIZE past the send buffer; a receiver
// whose queue is full and that is not connected back makes the sender
// wait (or EAGAIN); a dead peer is forgotten with ECONNREFUSED (EPIPE
// for seqpacket).
func (s *Sock) dgramSend(c fs.Ctx, names socket.Names, m *socket.SendMsg, nb bool) (int, error) {
	if m.Flags&socket.MSG_OOB != 0 {
		return 0, linuxerr.EOPNOTSUPP
	}
	var node fs.Inode
	byName := len(m.Addr) > 0
	if byName {
		if err := validateAddr(m.Addr); err != nil {
			return 0, err
		}
	}
	mu.Lock()
	var n notes
	var drop []*fs.File
	defer func() { unlock(n, drop) }()
	var other *Sock
	if !byName {
		if other = s.peer; other == nil {
			return 0, linuxerr.ENOTCONN
		}
	}
	if s.passcred {
		if err := s.autobindLocked(); err != nil {
			return 0, err
		}
	}
	size := m.Data.Len()
	if size > s.sndbuf-32 {
		return 0, linuxerr.EMSGSIZE
	}
	dl := socket.Deadline(s.timeo.Snd)
	if err := s.allocWait(c, &nb, dl, size+skbOverhead); err != nil {
		return 0, err
	}
	reserved := size + skbOverhead
	defer func() {
		if reserved > 0 {
			memRelease(reserved, &n) // not queued: give the memory back
		}
	}()
	data := make([]byte, size)
	if err := m.Data.ReadAt(data, 0); err != nil {
		return 0, err
	}
	if byName {
		mu.Unlock()
		var err error
		node, err = lookup(names, m.Addr)
		mu.Lock()
		if err != nil {
			return 0, err
		}
	}
	for {
		if other == nil {
			if !byName {
				return 0, linuxerr.ECONNRESET
			}
			var err error
			if other, err = findOther(node, m.Addr, s.typ); err != nil {
				return 0, err
			}
		}
		if !maySend(s, other) {
			return 0, linuxerr.EPERM
		}
		if other.dead {
			if s.typ == socket.SOCK_SEQPACKET {
				return 0, linuxerr.EPIPE
			}
			if s.peer == other {
				s.peer = nil
				s.state = stateClose
				n.add(&s.q, evOut)
				s.dgramDisconnected(other, &n, &drop)
				return 0, linuxerr.ECONNREFUSED
			}
			other = nil
			continue
		}
		if other.shutdown&rcvShutdown != 0 {
			return 0, linuxerr.EPIPE
		}
		if other != s && other.peer != s && other.recvqFull() {
			if nb {
				if s.peer == other {
					other.addRelay(s)
				}
				return 0, linuxerr.EAGAIN
			}
			o := other
			timedOut, err := wait(c, &o.peerWait, evAll, dl, func() bool {
				return o.dead || o.shutdown&rcvShutdown != 0 || !o.recvqFull()
			})
			if err != nil {
				return 0, err
			}
			nb = timedOut
			continue
		}
		break
	}
	b := s.newSkb(data)
	reserved = 0
	b.attachFiles(m.Files)
	b.addCreds(c, s, other, m.Creds)
	other.recv = append(other.recv, b)
	n.add(&other.q, evIn)
	return size, nil
}

// addRelay is unix_dgram_peer_wake_connect: w, connected to s, waits
// for room in s's queue; s's next receive wakes it for writing.
func (s *Sock) addRelay(w *Sock) {
	if s.relay == nil {
		s.relay = map[*Sock]bool{}
	}
	s.relay[w] = true
}

// dgramRecv is __unix_dgram_recvmsg: one message, cut to the buffer
// (MSG_TRUNC in the flags; the whole length returned if asked with
// MSG_TRUNC), with its sender's address, credentials and descriptors.
// A pending error comes first; a socket shut down for reading returns
// 0 once empty (a non-blocking datagram socket EAGAIN).
func (s *Sock) dgramRecv(c fs.Ctx, buf []byte, flags int, nb bool, out *socket.RecvMsg) (int, error) {
	if flags&socket.MSG_OOB != 0 {
		return 0, linuxerr.EOPNOTSUPP
	}
	mu.Lock()
	var n notes
	var drop []*fs.File
	defer func() { unlock(n, drop) }()
	dl := socket.Deadline(s.timeo.Rcv)
	for {
		if s.err != nil {
			return 0, s.takeErr()
		}
		if len(s.recv) > 0 {
			break
		}
		if s.shutdown&rcvShutdown != 0 {
			if nb && s.typ == socket.SOCK_DGRAM {
				return 0, linuxerr.EAGAIN
			}
			return 0, nil
		}
		if s.connectionBased() && s.state != stateEstablished {
			return 0, linuxerr.ENOTCONN
		}
		if nb {
			return 0, linuxerr.EAGAIN
		}
		timedOut, err := wait(c, &s.q, evIn, dl, func() bool {
			return len(s.recv) > 0 || s.err != nil || s.shutdown&rcvShutdown != 0 || s.dead
		})
		if err != nil {
			return 0, err
		}
		nb = timedOut
	}
	b := s.recv[0]
	peek := flags&socket.MSG_PEEK != 0
	if !peek {
		s.recv = s.recv[1:]
		n.add(&s.peerWait, evOut)
		for w := range s.relay {
			n.add(&w.q, evOut)
		}
		s.relay = nil
	}
	if b.from != nil {
		out.Addr = b.from.addr
	}
	k := copy(buf, b.data)
	if k < len(b.data) {
		out.Flags |= socket.MSG_TRUNC
	}
	if s.passcred {
		out.Cred = b.credOf()
	}
	if peek {
		if len(b.files) > 0 {
			out.Files = dupFiles(b.files)
		}
	} else {
		out.Files = b.detachFiles()
		b.free(&n, &drop)
	}
	if flags&socket.MSG_TRUNC != 0 {
		return len(b.data), nil
	}
	return k, nil
}
