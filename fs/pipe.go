package fs

import (
	"sync"

	"gvisor.dev/gvisor/pkg/errors/linuxerr"
)

// Pipe sizes (include/linux/pipe_fs_i.h, limits.h).
const (
	PipeBufSize = 16 * 4096 // default capacity
	PipeBuf     = 4096      // writes this small are atomic
)

// Pipe is an anonymous pipe (fs/pipe.c): a bounded byte buffer with a read
// end and a write end.
type Pipe struct {
	mu      sync.Mutex
	buf     []byte
	readers int
	writers int
	q       Queue
	attr    Attr
	// SigPipe is called when a write finds no readers (Linux sends
	// SIGPIPE); the write fails with EPIPE either way.
	SigPipe func(c Ctx)
}

// NewPipe returns the read and write ends of a new pipe.
func NewPipe(flags uint32) (r, w *File) {
	now := Now()
	p := &Pipe{readers: 1, writers: 1, attr: Attr{Dev: 9, Ino: NewIno(), Mode: S_IFIFO | 0o600, Nlink: 1, Blksize: 4096, Atime: now, Mtime: now, Ctime: now}}
	r = NewFile(p, "pipe:["+itoa(p.attr.Ino)+"]", O_RDONLY|flags&O_NONBLOCK, &pipeEnd{p: p, reader: true})
	w = NewFile(p, "pipe:["+itoa(p.attr.Ino)+"]", O_WRONLY|flags&O_NONBLOCK, &pipeEnd{p: p})
	return r, w
}

// Attr implements Inode.
func (p *Pipe) Attr() Attr { return p.attr }

// pipeEnd is the FileOps of one end.
type pipeEnd struct {
	streamOps
	p      *Pipe
	reader bool
}

func (e *pipeEnd) Read(c Ctx, f *File, dst []byte, _ int64) (int, error) {
	if len(dst) == 0 {
		return 0, nil
	}
	p := e.p
	for {
		p.mu.Lock()
		if len(p.buf) > 0 {
			n := copy(dst, p.buf)
			p.buf = p.buf[n:]
			p.mu.Unlock()
			p.q.Notify(EventOut)
			return n, nil
		}
		if p.writers == 0 {
			p.mu.Unlock()
			return 0, nil // EOF
		}
		p.mu.Unlock()
		if f.Flags()&O_NONBLOCK != 0 {
			return 0, linuxerr.EAGAIN
		}
		if err := WaitReady(c, &p.q, EventIn, func() bool {
			p.mu.Lock()
			defer p.mu.Unlock()
			return len(p.buf) > 0 || p.writers == 0
		}); err != nil {
			return 0, err
		}
	}
}

func (e *pipeEnd) Write(c Ctx, f *File, src []byte, _ int64) (int, error) {
	p := e.p
	done := 0
	for done < len(src) || len(src) == 0 {
		p.mu.Lock()
		if p.readers == 0 {
			p.mu.Unlock()
			if p.SigPipe != nil {
				p.SigPipe(c)
			}
			if done > 0 {
				return done, nil
			}
			return 0, linuxerr.EPIPE
		}
		room := PipeBufSize - len(p.buf)
		rest := len(src) - done
		// A write of at most PIPE_BUF bytes goes in whole or not at all.
		if room > 0 && (rest > PipeBuf || room >= rest) {
			n := min(room, rest)
			p.buf = append(p.buf, src[done:done+n]...)
			done += n
			p.mu.Unlock()
			p.q.Notify(EventIn)
			if len(src) == 0 {
				return 0, nil
			}
			continue
		}
		p.mu.Unlock()
		if f.Flags()&O_NONBLOCK != 0 {
			if done > 0 {
				return done, nil
			}
			return 0, linuxerr.EAGAIN
		}
		if err := WaitReady(c, &p.q, EventOut, func() bool {
			p.mu.Lock()
			defer p.mu.Unlock()
			return p.readers == 0 || PipeBufSize-len(p.buf) >= min(rest, PipeBuf)
		}); err != nil {
			if done > 0 {
				return done, nil
			}
			return 0, err
		}
	}
	return done, nil
}

// Readiness implements Pollable.
func (e *pipeEnd) Readiness(_ *File, mask uint32) uint32 {
	p := e.p
	p.mu.Lock()
	defer p.mu.Unlock()
	var r uint32
	if e.reader {
		if len(p.buf) > 0 {
			r |= EventIn
		}
		if p.writers == 0 {
			r |= EventHup
		}
	} else {
		if PipeBufSize-len(p.buf) >= PipeBuf {
			r |= EventOut
		}
		if p.readers == 0 {
			r |= EventErr
		}
	}
	return r & (mask | EventErr | EventHup)
}

// EventQueue implements Pollable.
func (e *pipeEnd) EventQueue() *Queue { return &e.p.q }

// Release implements Releaser: the end is gone.
func (e *pipeEnd) Release(*File) {
	p := e.p
	p.mu.Lock()
	if e.reader {
		p.readers--
	} else {
		p.writers--
	}
	p.mu.Unlock()
	p.q.Notify(EventIn | EventOut | EventHup | EventErr)
}

// Ioctl implements Ioctler: FIONREAD.
func (e *pipeEnd) Ioctl(c Ctx, _ *File, cmd uint32, arg uintptr) (uintptr, error) {
	if cmd != FIONREAD {
		return 0, linuxerr.ENOTTY
	}
	e.p.mu.Lock()
	n := len(e.p.buf)
	e.p.mu.Unlock()
	return 0, c.CopyOut(arg, []byte{byte(n), byte(n >> 8), byte(n >> 16), byte(n >> 24)})
}

func itoa(v uint64) string {
	var b [20]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + v%10)
		v /= 10
		if v == 0 {
			return string(b[i:])
		}
	}
}
