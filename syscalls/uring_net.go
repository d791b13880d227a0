package syscalls

import (
	"encoding/binary"

	"gvisor.dev/gvisor/pkg/errors/linuxerr"

	"oyako/fs"
	"oyako/kernel/task"
	"oyako/socket"
	"oyako/uring"
)

// The io_uring socket opcodes (io_uring/net.c): SOCKET, CONNECT,
// ACCEPT (one-shot and multishot), SEND, RECV (multishot too, and with
// provided buffers), SENDMSG, RECVMSG and SHUTDOWN, carried out with the
// code of socket(2), connect(2), accept4(2), sendto(2), recvfrom(2),
// sendmsg(2), recvmsg(2) and shutdown(2).
//
// A request's own file is passed to the socket only where Linux passes
// its flags (connect): io_uring receives, sends and accepts without
// looking at O_NONBLOCK, waiting for readiness instead.
//
// Limits: SEND takes no provided buffer; IORING_RECVSEND_BUNDLE,
// multishot RECV's total length limit and the zero-copy sends are not
// implemented (EINVAL, or EOPNOTSUPP for the opcodes).

// IORING_RECVSEND_* and IORING_ACCEPT_* flags (sqe->ioprio).
const (
	recvsendPollFirst = 1 << 0
	recvMultishot     = 1 << 1
	acceptMultishot   = 1 << 0
	acceptDontwait    = 1 << 1
	acceptPollFirst   = 1 << 2
)

// ioTask is the task a request is issued with (the submitter, the SQ
// thread, or a worker acting as the submitting process).
func ioTask(r *uring.Req) *task.Task { return r.Task.(*task.Task) }

// prepTask is the task that submitted a request: what its prep reads
// from user memory is read as that process.
func prepTask(r *uring.Req) *task.Task { return r.Submitter().(*task.Task) }

// reqSocket is sock_from_file on a request's file (ENOTSOCK).
func reqSocket(r *uring.Req) (socket.Socket, error) {
	s, ok := r.File.Ops().(socket.Socket)
	if !ok {
		return nil, linuxerr.ENOTSOCK
	}
	return s, nil
}

// installResult gives a file a request opened a descriptor of the
// issuing process, or puts it in the ring's registered slot fileIndex
// (sqe->file_index: the slot plus one, or IORING_FILE_INDEX_ALLOC) as
// io_fixed_fd_install does. It takes f's reference.
func installResult(r *uring.Req, f *fs.File, cloexec bool, fileIndex uint32) (int32, error) {
	if fileIndex != 0 {
		return r.Ring.InstallFixed(f, fileIndex)
	}
	fd, err := installNew(ioTask(r), f, cloexec)
	return int32(fd), err
}

// socketData is IORING_OP_SOCKET's arguments (struct io_socket).
type socketData struct {
	domain, typ, protocol uintptr
	slot                  uint32
}

// prepSocket is io_socket_prep: sqe->fd is the domain, off the type
// and len the protocol; no address, rw_flags or buffer index (EINVAL);
// SOCK_CLOEXEC makes no sense for a slot (EINVAL).
func prepSocket(r *uring.Req) error {
	s := &r.SQE
	if err := uring.NoFields(s.Addr, uint64(s.OpFlags), uint64(s.BufIndex)); err != nil {
		return err
	}
	flags := uint32(s.Off) &^ socket.SOCK_TYPE_MASK
	if s.FileIndex != 0 && flags&socket.SOCK_CLOEXEC != 0 {
		return linuxerr.EINVAL
	}
	if flags&^(socket.SOCK_CLOEXEC|socket.SOCK_NONBLOCK) != 0 {
		return linuxerr.EINVAL
	}
	r.Data = &socketData{uintptr(uint32(s.Fd)), uintptr(s.Off), uintptr(s.Len), uint32(s.FileIndex)}
	return nil
}

// issueSocket is io_socket: room for a descriptor first (EMFILE), then
// socket(2)'s checks and the socket.
func issueSocket(r *uring.Req) (int32, error) {
	d := r.Data.(*socketData)
	t := ioTask(r)
	if d.slot == 0 {
		if err := t.Proc.FDs().Room(); err != nil {
			return 0, err
		}
	}
	f, flags, err := newSocket(t, d.domain, d.typ, d.protocol)
	if err != nil {
		return 0, err
	}
	return installResult(r, f, flags&socket.SOCK_CLOEXEC != 0, d.slot)
}

// prepConnect is io_connect_prep: the address (sqe->addr, its length in
// sqe->addr2) is copied at submission (EFAULT, EINVAL).
func prepConnect(r *uring.Req) error {
	s := &r.SQE
	if err := uring.NoFields(uint64(s.Len), uint64(s.BufIndex), uint64(s.OpFlags), uint64(uint32(s.FileIndex))); err != nil {
		return err
	}
	addr, err := addrIn(prepTask(r), uintptr(s.Addr), int32(s.Off))
	if err != nil {
		return err
	}
	r.Data = addr
	return nil
}

// issueConnect is io_connect: connect(2) on the request's file, whose
// O_NONBLOCK counts (__sys_connect_file passes its flags). A connect
// that waits (an AF_UNIX listener's full backlog) waits on a worker.
func issueConnect(r *uring.Req) (int32, error) {
	s, err := reqSocket(r)
	if err != nil {
		return 0, err
	}
	t := ioTask(r)
	return 0, s.Connect(t, r.File, names{t}, r.Data.([]byte))
}

// acceptData is IORING_OP_ACCEPT's arguments (struct io_accept).
type acceptData struct {
	addr, lenAddr uintptr
	flags         uint32
	slot          uint32
}

// prepAccept is io_accept_prep: the peer address and its length's
// address (sqe->addr, addr2), accept4's flags, IORING_ACCEPT_* in
// sqe->ioprio; a slot (sqe->file_index) excludes SOCK_CLOEXEC, and a
// multishot accept may only allocate slots (EINVAL).
func prepAccept(r *uring.Req) error {
	s := &r.SQE
	if err := uring.NoFields(uint64(s.Len), uint64(s.BufIndex)); err != nil {
		return err
	}
	d := &acceptData{addr: uintptr(s.Addr), lenAddr: uintptr(s.Off), flags: s.OpFlags, slot: uint32(s.FileIndex)}
	iou := uint32(s.Ioprio)
	if iou&^(acceptMultishot|acceptDontwait|acceptPollFirst) != 0 {
		return linuxerr.EINVAL
	}
	if d.slot != 0 {
		if d.flags&socket.SOCK_CLOEXEC != 0 {
			return linuxerr.EINVAL
		}
		if iou&acceptMultishot != 0 && d.slot != uring.FileIndexAlloc {
			return linuxerr.EINVAL
		}
	}
	if d.flags&^(socket.SOCK_CLOEXEC|socket.SOCK_NONBLOCK) != 0 {
		return linuxerr.EINVAL
	}
	if iou&acceptMultishot != 0 {
		r.Multishot()
	}
	if iou&acceptDontwait != 0 {
		r.NoRetry = true
	}
	r.Data = d
	return nil
}

// issueAccept is io_accept: room for a descriptor first (EMFILE), then
// do_accept; a multishot accept posts each connection and goes on.
func issueAccept(r *uring.Req) (int32, error) {
	d := r.Data.(*acceptData)
	s, err := reqSocket(r)
	if err != nil {
		return 0, err
	}
	t := ioTask(r)
	if d.slot == 0 {
		if err := t.Proc.FDs().Room(); err != nil {
			return 0, err
		}
	}
	nf, err := acceptFile(t, nil, s, d.addr, d.lenAddr, d.flags)
	if err != nil {
		return 0, err
	}
	return installResult(r, nf, d.flags&socket.SOCK_CLOEXEC != 0, d.slot)
}

// srData is a send's or receive's arguments (struct io_sr_msg).
type srData struct {
	addr  uintptr // the buffer, or the struct msghdr of SENDMSG and RECVMSG
	len   int
	flags int    // msg_flags
	iou   uint16 // IORING_RECVSEND_* flags
	to    []byte // SEND's destination address (sendto)
	group uint16 // the provided-buffer group of a RECV that selects one
	// done counts what earlier tries moved (a stream MSG_WAITALL
	// transfer goes on where it stopped: io_net_retry); polled that a
	// POLL_FIRST request waited once; waitData that a multishot RECV
	// found the socket empty after its last CQE and waits for data
	// before it takes a buffer.
	done     int
	polled   bool
	waitData bool
	// mh is a SENDMSG's or RECVMSG's struct msghdr, read at submission
	// with its iovecs (iov, total); a RECVMSG that takes a provided
	// buffer reads only the length of its one iovec.
	mh    msghdr
	iov   []iovec
	total int
}

// prepSend is io_sendmsg_prep for SEND and SENDMSG: the flags of
// sqe->ioprio are IORING_RECVSEND_POLL_FIRST only; MSG_NOSIGNAL is
// always added (io_uring never raises SIGPIPE); MSG_DONTWAIT makes a
// send that would wait fail. SEND takes a destination in addr2 and
// addr_len (the low half of sqe->file_index; the high half must be
// zero) and its buffer must be user memory (EFAULT); SENDMSG takes
// neither addr2 nor file_index, and its struct msghdr, destination and
// iovecs are read now (EFAULT, EINVAL, EMSGSIZE), its control data when
// it is issued.
func prepSend(r *uring.Req, msg bool) error {
	s := &r.SQE
	d := &srData{addr: uintptr(s.Addr), len: int(min(s.Len, maxRWCount)), iou: s.Ioprio,
		flags: int(int32(s.OpFlags)) | socket.MSG_NOSIGNAL}
	if msg && (s.Off != 0 || s.FileIndex != 0) {
		return linuxerr.EINVAL
	}
	if d.iou&^recvsendPollFirst != 0 {
		return linuxerr.EINVAL
	}
	if d.flags&socket.MSG_DONTWAIT != 0 {
		r.NoRetry = true
	}
	if msg {
		t := prepTask(r)
		m, iov, total, err := readMsg(t, d.addr)
		if err != nil {
			return err
		}
		if d.to, err = msgName(t, m); err != nil {
			return err
		}
		d.mh, d.iov, d.total = m, iov, total
	} else {
		if uint32(s.FileIndex)>>16 != 0 {
			return linuxerr.EINVAL
		}
		if s.Off != 0 {
			to, err := addrIn(prepTask(r), uintptr(s.Off), int32(uint16(s.FileIndex)))
			if err != nil {
				return err
			}
			d.to = to
		}
		if err := accessOK(d.addr, uintptr(d.len)); err != nil {
			return err
		}
	}
	r.Data = d
	return nil
}

// prepRecv is io_recvmsg_prep for RECV and RECVMSG: no addr2; the flags
// of sqe->ioprio are IORING_RECVSEND_POLL_FIRST and
// IORING_RECV_MULTISHOT, which needs a provided buffer and no
// MSG_WAITALL (EINVAL); MSG_DONTWAIT makes a receive that would wait
// fail. RECV's buffer, when it names one, must be user memory (EFAULT);
// RECVMSG's struct msghdr and iovecs are read now.
func prepRecv(r *uring.Req, msg bool) error {
	s := &r.SQE
	d := &srData{addr: uintptr(s.Addr), len: int(min(s.Len, maxRWCount)), iou: s.Ioprio, flags: int(int32(s.OpFlags))}
	if s.Off != 0 {
		return linuxerr.EINVAL
	}
	if d.iou&^(recvsendPollFirst|recvMultishot) != 0 {
		return linuxerr.EINVAL
	}
	if d.flags&socket.MSG_DONTWAIT != 0 {
		r.NoRetry = true
	}
	if r.BufferSelect() {
		d.group = s.BufIndex
	}
	if d.iou&recvMultishot != 0 {
		if !r.BufferSelect() || d.flags&socket.MSG_WAITALL != 0 {
			return linuxerr.EINVAL
		}
		r.Multishot()
	}
	if s.FileIndex != 0 { // optlen: multishot RECV's total limit is not implemented
		return linuxerr.EINVAL
	}
	if !msg && !r.BufferSelect() {
		if err := accessOK(d.addr, uintptr(d.len)); err != nil {
			return err
		}
	}
	if msg && r.BufferSelect() {
		if err := prepRecvmsgBuffer(r, d); err != nil {
			return err
		}
	} else if msg {
		m, iov, total, err := readMsg(prepTask(r), d.addr)
		if err != nil {
			return err
		}
		d.mh, d.iov, d.total = m, iov, total
	}
	r.Data = d
	return nil
}

// recvmsgOutSize is sizeof(struct io_uring_recvmsg_out) {u32 namelen,
// controllen, payloadlen, flags}: what a multishot RECVMSG writes at the
// start of each buffer.
const recvmsgOutSize = 16

// prepRecvmsgBuffer is io_msg_copy_hdr for a RECVMSG that takes a
// provided buffer: the struct msghdr is read now (EFAULT); it may have
// no iovec or one, whose length bounds the receive (more: EINVAL); a
// multishot one gives the room its buffers keep for the name and the
// control data, which must not overflow (io_recvmsg_mshot_prep).
func prepRecvmsgBuffer(r *uring.Req, d *srData) error {
	t := prepTask(r)
	m, err := readMsghdr(t, d.addr)
	if err != nil {
		return err
	}
	switch {
	case m.iovlen > 1:
		return linuxerr.EINVAL
	case m.iovlen == 1:
		var b [16]byte
		if err := t.CopyIn(m.iov, b[:]); err != nil {
			return err
		}
		d.len = int(min(binary.LittleEndian.Uint64(b[8:]), maxRWCount))
	default:
		d.len = 0
	}
	if r.IsMultishot() {
		if m.namelen < 0 || uint64(m.controllen) > 1<<31-1-recvmsgOutSize-uint64(m.namelen) {
			return linuxerr.EOVERFLOW
		}
		d.len = 0 // the whole buffer
	}
	d.mh = m
	return nil
}

// streamRetry is io_net_retry: a MSG_WAITALL transfer on a stream or
// seqpacket socket goes on after a partial one.
func streamRetry(s socket.Socket, flags int) bool {
	if flags&socket.MSG_WAITALL == 0 {
		return false
	}
	ts, ok := s.(interface{ Type() int })
	return ok && (ts.Type() == socket.SOCK_STREAM || ts.Type() == socket.SOCK_SEQPACKET)
}

// nonempty is IORING_CQE_F_SOCK_NONEMPTY for a stream socket that still
// holds data after a receive (msg_inq > 0, which only
// unix_stream_read_generic sets).
func nonempty(s socket.Socket) uint32 {
	if q, ok := s.(interface {
		Type() int
		InQ() int
	}); ok && q.Type() == socket.SOCK_STREAM && q.InQ() > 0 {
		return uring.CQEFSockNonempty
	}
	return 0
}

// waitData makes the request wait for something to read before it goes
// on (a POLL_FIRST request's first issue; a multishot RECV that emptied
// the socket): a one-byte MSG_PEEK, whose wait the issuing task refuses
// when nothing is there (EAGAIN, and the request waits for POLLIN).
func waitData(t *task.Task, s socket.Socket) error {
	var probe [1]byte
	var out socket.RecvMsg
	_, err := s.Recv(t, nil, probe[:], socket.MSG_PEEK, &out)
	dropFiles(out.Files)
	if linuxerr.Equals(linuxerr.EAGAIN, err) {
		return err
	}
	return nil
}

// issueSend is io_send: sendto(2) without SIGPIPE, the rest of a stream
// MSG_WAITALL send carried on after a partial one.
func issueSend(r *uring.Req) (int32, error) {
	d := r.Data.(*srData)
	s, err := reqSocket(r)
	if err != nil {
		return 0, err
	}
	t := ioTask(r)
	want := d.len - d.done
	m := &socket.SendMsg{Flags: d.flags, Addr: d.to, Data: userData{t, []iovec{{d.addr + uintptr(d.done), uintptr(want)}}, want}}
	n, err := s.Send(t, nil, names{t}, m)
	return srResult(r, d, s, n, want, err)
}

// srResult ends a transfer's try (the end of io_send and io_recv): a
// stream MSG_WAITALL transfer that moved less than asked because it
// would have waited tries again for the rest; otherwise the result
// counts what earlier tries moved, which an error does not undo.
func srResult(r *uring.Req, d *srData, s socket.Socket, n, want int, err error) (int32, error) {
	if err == nil && n > 0 && n < want && r.Task.WouldBlock() && !r.BufferSelect() && streamRetry(s, d.flags) {
		d.done += n
		return 0, linuxerr.EAGAIN
	}
	if err != nil {
		if d.done > 0 && !linuxerr.Equals(linuxerr.EAGAIN, err) {
			return int32(d.done), nil
		}
		return 0, err
	}
	return int32(d.done + n), nil
}

// issueRecv is io_recv: recvfrom(2) into the request's buffer or into
// one it takes from its group when data comes (IOSQE_BUFFER_SELECT: the
// buffer goes back unused when nothing was received, and the CQE names
// it otherwise). A multishot RECV posts each receive and goes on until
// EOF, an error, or a group without buffers (-ENOBUFS).
func issueRecv(r *uring.Req) (int32, error) {
	d := r.Data.(*srData)
	s, err := reqSocket(r)
	if err != nil {
		return 0, err
	}
	t := ioTask(r)
	if d.iou&recvsendPollFirst != 0 && !d.polled || d.waitData {
		if err := waitData(t, s); err != nil {
			return 0, err
		}
		d.polled, d.waitData = true, false
	}
	addr, want := d.addr+uintptr(d.done), d.len-d.done
	var sel *uring.Selected
	if r.BufferSelect() {
		if sel, err = r.Ring.SelectBuffer(t, d.group, uint32(d.len)); err != nil {
			return 0, err
		}
		addr, want = uintptr(sel.Addr), int(sel.Len)
	}
	buf := make([]byte, min(want, recvChunk))
	var out socket.RecvMsg
	n, err := s.Recv(t, nil, buf, d.flags, &out)
	dropFiles(out.Files)
	if err == nil && n > 0 && !out.Discarded {
		err = t.CopyOut(addr, buf[:min(n, len(buf))])
	}
	if sel != nil {
		if err != nil || n == 0 {
			sel.Recycle()
		} else {
			r.CFlags = sel.Commit()
		}
	}
	if err == nil && n > 0 {
		r.CFlags |= nonempty(s)
	}
	if r.IsMultishot() {
		switch {
		case err != nil:
			return 0, err
		case n == 0:
			r.EndMultishot() // EOF ends it
		case s.Readiness(r.File, fs.EventIn) == 0:
			d.waitData = true
		}
		return int32(n), nil
	}
	return srResult(r, d, s, n, want, err)
}

// issueSendmsg is io_sendmsg: sendmsg(2) without SIGPIPE.
func issueSendmsg(r *uring.Req) (int32, error) {
	d := r.Data.(*srData)
	s, err := reqSocket(r)
	if err != nil {
		return 0, err
	}
	n, err := sendmsgTo(ioTask(r), nil, s, d.mh, d.to, d.iov, d.total, d.flags)
	return int32(n), err
}

// issueRecvmsg is io_recvmsg: recvmsg(2), which writes msg_flags and
// msg_controllen back.
func issueRecvmsg(r *uring.Req) (int32, error) {
	d := r.Data.(*srData)
	s, err := reqSocket(r)
	if err != nil {
		return 0, err
	}
	t := ioTask(r)
	if d.iou&recvsendPollFirst != 0 && !d.polled || d.waitData {
		if err := waitData(t, s); err != nil {
			return 0, err
		}
		d.polled, d.waitData = true, false
	}
	if !r.BufferSelect() {
		n, err := recvmsgTo(t, nil, s, d.addr, d.mh, d.iov, d.total, d.flags)
		if err == nil && n > 0 {
			r.CFlags |= nonempty(s)
		}
		return int32(n), err
	}
	sel, err := r.Ring.SelectBuffer(t, d.group, uint32(d.len))
	if err != nil {
		return 0, err
	}
	var n int
	if r.IsMultishot() {
		var eof bool
		if n, eof, err = recvmsgMultishot(t, s, d, sel); eof {
			r.EndMultishot()
		}
	} else {
		n, err = recvmsgTo(t, nil, s, d.addr, d.mh, []iovec{{uintptr(sel.Addr), uintptr(sel.Len)}}, int(sel.Len), d.flags)
	}
	if err != nil || n == 0 {
		sel.Recycle()
	} else {
		r.CFlags = sel.Commit() | nonempty(s)
	}
	if err == nil && r.IsMultishot() && s.Readiness(r.File, fs.EventIn) == 0 {
		d.waitData = true
	}
	return int32(n), err
}

// recvmsgMultishot is io_recvmsg_multishot: the buffer receives a struct
// io_uring_recvmsg_out, then room for the name (msg_namelen bytes of the
// submitted msghdr) and the control data (msg_controllen), then the
// payload (EFAULT if the buffer cannot hold the header). The header
// gives the name's real length, the control data written, the payload's
// length before it was cut to the buffer, and the message flags; the
// result counts the header, both rooms and the payload kept. End of file
// ends the request, with a buffer of the header only.
func recvmsgMultishot(t *task.Task, s socket.Socket, d *srData, sel *uring.Selected) (n int, eof bool, err error) {
	room := recvmsgOutSize + int(d.mh.namelen) + int(d.mh.controllen)
	if int(sel.Len) < room {
		return 0, false, linuxerr.EFAULT
	}
	payload := int(sel.Len) - room
	buf := make([]byte, min(payload, recvChunk))
	var out socket.RecvMsg
	if n, err = s.Recv(t, nil, buf, d.flags, &out); err != nil {
		dropFiles(out.Files)
		return 0, false, err
	}
	ctl := msghdr{control: uintptr(sel.Addr) + uintptr(room) - uintptr(d.mh.controllen), controllen: d.mh.controllen}
	if d.mh.controllen == 0 {
		ctl.control = 0
	}
	used, ctrunc, err := scmRecv(t, ctl, &out, d.flags&socket.MSG_CMSG_CLOEXEC != 0)
	if err != nil {
		return 0, false, err
	}
	flags := out.Flags | d.flags&socket.MSG_CMSG_CLOEXEC
	if ctrunc {
		flags |= socket.MSG_CTRUNC
	}
	hdr := make([]byte, recvmsgOutSize+min(len(out.Addr), int(d.mh.namelen)))
	putU32(hdr, 0, uint32(len(out.Addr)))
	putU32(hdr, 4, uint32(used))
	putU32(hdr, 8, uint32(n))
	putU32(hdr, 12, uint32(flags))
	copy(hdr[recvmsgOutSize:], out.Addr)
	if err := t.CopyOut(uintptr(sel.Addr), hdr); err != nil {
		return 0, false, err
	}
	kept := min(n, len(buf))
	if err := t.CopyOut(uintptr(sel.Addr)+uintptr(room), buf[:kept]); err != nil {
		return 0, false, err
	}
	return room + kept, n == 0, nil
}

// prepShutdown is io_shutdown_prep: how is sqe->len; nothing else
// (EINVAL).
func prepShutdown(r *uring.Req) error {
	s := &r.SQE
	return uring.NoFields(s.Off, s.Addr, uint64(s.OpFlags), uint64(s.BufIndex), uint64(uint32(s.FileIndex)))
}

// issueShutdown is io_shutdown: shutdown(2).
func issueShutdown(r *uring.Req) (int32, error) {
	s, err := reqSocket(r)
	if err != nil {
		return 0, err
	}
	return 0, s.Shutdown(int(int32(r.SQE.Len)))
}

func init() {
	uring.Register(uring.OpSocket, &uring.Op{Name: "SOCKET", Prep: prepSocket, Issue: issueSocket})
	uring.Register(uring.OpConnect, &uring.Op{Name: "CONNECT", NeedsFile: true, Prep: prepConnect, Issue: issueConnect})
	uring.Register(uring.OpAccept, &uring.Op{Name: "ACCEPT", NeedsFile: true, PollIn: true, Ioprio: true,
		Prep: prepAccept, Issue: issueAccept})
	uring.Register(uring.OpSend, &uring.Op{Name: "SEND", NeedsFile: true, PollOut: true, Ioprio: true,
		Prep: func(r *uring.Req) error { return prepSend(r, false) }, Issue: issueSend})
	uring.Register(uring.OpRecv, &uring.Op{Name: "RECV", NeedsFile: true, PollIn: true, Ioprio: true, BufferSelect: true,
		Prep: func(r *uring.Req) error { return prepRecv(r, false) }, Issue: issueRecv})
	uring.Register(uring.OpSendmsg, &uring.Op{Name: "SENDMSG", NeedsFile: true, PollOut: true, Ioprio: true,
		Prep: func(r *uring.Req) error { return prepSend(r, true) }, Issue: issueSendmsg})
	uring.Register(uring.OpRecvmsg, &uring.Op{Name: "RECVMSG", NeedsFile: true, PollIn: true, Ioprio: true, BufferSelect: true,
		Prep: func(r *uring.Req) error { return prepRecv(r, true) }, Issue: issueRecvmsg})
	uring.Register(uring.OpShutdown, &uring.Op{Name: "SHUTDOWN", NeedsFile: true, Prep: prepShutdown, Issue: issueShutdown})
}
