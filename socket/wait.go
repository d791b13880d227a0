package socket

import (
	"time"

	"gvisor.dev/gvisor/pkg/errors/linuxerr"

	"oyako/fs"
)

// Nonblock tells whether an operation on f with flags may not wait:
// MSG_DONTWAIT, or O_NONBLOCK on the file (f is nil for io_uring's
// probes, which never wait).
func Nonblock(f *fs.File, flags int) bool {
	return flags&MSG_DONTWAIT != 0 || f != nil && f.Flags()&fs.O_NONBLOCK != 0
}

// Deadline turns an SO_RCVTIMEO or SO_SNDTIMEO value into a deadline
// from now (zero: wait forever).
func Deadline(d time.Duration) time.Time {
	if d <= 0 {
		return time.Time{}
	}
	return time.Now().Add(d)
}

// Wait blocks until ready holds, q reports one of mask's events, or the
// deadline (zero: none) passes. An interruption is sock_intr_errno's:
// ERESTARTSYS without a timeout, EINTR with one.
func Wait(c fs.Ctx, q *fs.Queue, mask uint32, deadline time.Time, ready func() bool) (timedOut bool, err error) {
	timedOut, err = fs.WaitReadyDeadline(c, q, mask, ready, deadline)
	if err != nil && !deadline.IsZero() && linuxerr.Equals(linuxerr.ERESTARTSYS, err) {
		err = linuxerr.EINTR
	}
	return timedOut, err
}

// Reader is the receive side of a socket (Socket.Recv).
type Reader interface {
	Recv(c fs.Ctx, f *fs.File, buf []byte, flags int, out *RecvMsg) (int, error)
}

// SpliceRead is read(2) and splice's read of a socket (sock_read_iter,
// sock_splice_read): a receive without flags, MSG_DONTWAIT when the
// splice is SPLICE_F_NONBLOCK; descriptors a message carried are closed,
// as there is no control buffer to take them.
func SpliceRead(c fs.Ctx, f *fs.File, s Reader, p []byte, nonblock bool) (int, error) {
	flags := 0
	if nonblock {
		flags = MSG_DONTWAIT
	}
	var out RecvMsg
	n, err := s.Recv(c, f, p, flags, &out)
	for _, g := range out.Files {
		g.DecRef()
	}
	return n, err
}

// SigPipe sends SIGPIPE to the caller, if it can take signals (a send
// on a stream that cannot send any more; io_uring's contexts cannot).
func SigPipe(c fs.Ctx) {
	if s, ok := c.(interface{ SigPipe() }); ok {
		s.SigPipe()
	}
}
