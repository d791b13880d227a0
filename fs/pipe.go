package fs

import (
	"encoding/binary"
	"sync"

	"gvisor.dev/gvisor/pkg/errors/linuxerr"

	"oyako/kernel/mm"
)

// Pipe sizes (include/linux/pipe_fs_i.h, include/uapi/linux/limits.h,
// fs/pipe.c).
const (
	PageSize       = 4096
	PipeBuf        = 4096 // PIPE_BUF: writes this small are atomic
	PipeDefBuffers = 16   // PIPE_DEF_BUFFERS: slots of a new pipe
	PipeBufSize    = PipeDefBuffers * PageSize
	// PipeMaxSize is /proc/sys/fs/pipe-max-size's default: the largest
	// capacity F_SETPIPE_SZ gives a caller without CAP_SYS_RESOURCE.
	PipeMaxSize = 1 << 20
)

// Flags of a pipe buffer (PIPE_BUF_FLAG_*).
const (
	bufCanMerge = 1 << iota // later small writes may append to it
	bufPacket               // O_DIRECT: a read returns at most this buffer
	bufShared               // its page is also in another pipe (tee, partial splice)
	bufCharged              // its page is charged to user memory (mm.ChargeUser)
	bufPoolPage             // its page is a whole page of the pool (pipePages)
)

// pipeBuf is one slot of a pipe: part of a page (struct pipe_buffer). tee
// and partial pipe-to-pipe splices share pages between pipes; a shared
// buffer never has bufCanMerge on the copy, so appends to the page land
// past every other pipe's view of it.
type pipeBuf struct {
	page     []byte
	off, len int
	flags    uint8
}

// Pipe is an anonymous pipe (fs/pipe.c): a ring of page-sized buffers with
// a read end and a write end. As in Linux, capacity is counted in buffers,
// not bytes: a write fills fresh pages and merges into the last buffer only
// a tail smaller than a page, and only outside packet mode, so what a
// non-blocking writer can put in before EAGAIN depends on its write sizes
// exactly as it does on Linux.
//
// The pipe-side primitives of splice(2) and tee(2) are here too: SpliceIn
// and SpliceOut move data between the pipe and a kernel buffer, and
// SplicePipes and Tee link two pipes.
type Pipe struct {
	mu      sync.Mutex
	bufs    []pipeBuf // occupied slots bufs[start:], oldest first
	start   int
	slots   int // capacity in buffers (pipe->max_usage)
	readers int
	writers int
	q       Queue
	attr    Attr
	// rCounter and wCounter count the opens of each kind of a named
	// pipe's ends (r_counter, w_counter): FIFO opens wait for them to
	// move.
	rCounter, wCounter int
	// SigPipe is called when a write finds no readers (Linux sends
	// SIGPIPE); the write fails with EPIPE either way. Without it, a Ctx
	// with a SigPipe method gets the signal.
	SigPipe func(c Ctx)
}

// NewPipe returns the read and write ends of a new pipe. flags are
// pipe2's: O_NONBLOCK goes to both ends, O_DIRECT (packet mode) to the
// write end only, as create_pipe_files does.
func NewPipe(flags uint32) (r, w *File) {
	p := newPipe()
	name := "pipe:[" + itoa(p.attr.Ino) + "]"
	r = NewFile(p, name, O_RDONLY|flags&O_NONBLOCK, &pipeEnd{p: p, reader: true, hupAfter: -1})
	w = NewFile(p, name, O_WRONLY|flags&(O_NONBLOCK|O_DIRECT), &pipeEnd{p: p, writer: true, hupAfter: -1})
	return r, w
}

// newPipe makes an empty pipe with one reader and one writer.
func newPipe() *Pipe {
	now := Now()
	return &Pipe{readers: 1, writers: 1, slots: PipeDefBuffers,
		attr: Attr{Dev: 9, Ino: NewIno(), Mode: S_IFIFO | 0o600, Nlink: 1, Blksize: 4096, Atime: now, Mtime: now, Ctime: now}}
}

// wCounterNow returns how many write opens the pipe has seen.
func (p *Pipe) wCounterNow() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.wCounter
}

// PipeOf returns the pipe f is an end of, or nil (get_pipe_info).
func PipeOf(f *File) *Pipe {
	if e, ok := f.ops.(*pipeEnd); ok {
		return e.p
	}
	return nil
}

// Attr implements Inode.
func (p *Pipe) Attr() Attr { return p.attr }

// The ring. Callers hold p.mu.

func (p *Pipe) n() int         { return len(p.bufs) - p.start }
func (p *Pipe) full() bool     { return p.n() >= p.slots }
func (p *Pipe) tail() *pipeBuf { return &p.bufs[p.start] }
func (p *Pipe) last() *pipeBuf { return &p.bufs[len(p.bufs)-1] }
func (p *Pipe) push(b pipeBuf) { p.bufs = append(p.bufs, b) }
func (p *Pipe) readable() bool { return p.n() > 0 || p.writers == 0 }
func (p *Pipe) writable() bool { return !p.full() || p.readers == 0 }

// pipePages recycles the pages of consumed buffers. Linux keeps one such
// page per pipe (tmp_page, anon_pipe_buf_release); a pool shared by every
// pipe spares most writes a fresh zeroed page, whose allocation and
// clearing cost as much as the copy itself. The pool is bounded (256
// KiB), so that pipes that went quiet do not keep the kernel's heap large.
var pipePages struct {
	sync.Mutex
	free [][]byte
}

const pipePoolMax = 64 // pages

func getPipePage() []byte {
	pipePages.Lock()
	if n := len(pipePages.free); n > 0 {
		pg := pipePages.free[n-1]
		pipePages.free[n-1] = nil
		pipePages.free = pipePages.free[:n-1]
		pipePages.Unlock()
		return pg
	}
	pipePages.Unlock()
	return make([]byte, PageSize)
}

func putPipePage(pg []byte) {
	pipePages.Lock()
	if len(pipePages.free) < pipePoolMax {
		pipePages.free = append(pipePages.free, pg)
	}
	pipePages.Unlock()
}

// A pipe's pages are memory a program made the kernel hold, so each page
// a write or a splice puts in is charged to user memory (mm/reserve.go):
// when memory is short the write fails with ENOMEM (pipe_write's
// alloc_page failing) instead of the kernel's heap growing into the
// reserve. The charge goes with the buffer when splice moves it to
// another pipe; a tee'd copy shares the page and is not charged again.

// pop drops the oldest buffer, keeping its page for reuse unless another
// pipe may still read it (anon_pipe_buf_release) or it moved to another
// pipe (moved), and gives back its charge unless it moved.
func (p *Pipe) pop(moved bool) {
	b := p.tail()
	if !moved && b.flags&bufCharged != 0 {
		mm.UnchargeUser(1)
	}
	if !moved && b.flags&(bufShared|bufPoolPage) == bufPoolPage {
		putPipePage(b.page)
	}
	*b = pipeBuf{}
	p.start++
	switch {
	case p.start == len(p.bufs):
		p.bufs, p.start = p.bufs[:0], 0
	case p.start >= 64 && 2*p.start >= len(p.bufs):
		k := copy(p.bufs, p.bufs[p.start:])
		clear(p.bufs[k:])
		p.bufs, p.start = p.bufs[:k], 0
	}
}

// newPage returns a page for a new buffer.
func (p *Pipe) newPage() []byte { return getPipePage() }

// consume removes n bytes from the front, across buffers.
func (p *Pipe) consume(n int) {
	for n > 0 {
		b := p.tail()
		k := min(n, b.len)
		b.off += k
		b.len -= k
		n -= k
		if b.len == 0 {
			p.pop(false)
		}
	}
}

// peek copies up to len(dst) bytes from the front, across buffers and
// packet boundaries, without consuming them.
func (p *Pipe) peek(dst []byte) int {
	done := 0
	for i := p.start; i < len(p.bufs) && done < len(dst); i++ {
		b := &p.bufs[i]
		done += copy(dst[done:], b.page[b.off:b.off+b.len])
	}
	return done
}

// bytes is FIONREAD: the data held.
func (p *Pipe) bytes() int {
	n := 0
	for i := p.start; i < len(p.bufs); i++ {
		n += p.bufs[i].len
	}
	return n
}

func (p *Pipe) sigpipe(c Ctx) {
	if p.SigPipe != nil {
		p.SigPipe(c)
	} else if s, ok := c.(interface{ SigPipe() }); ok {
		s.SigPipe()
	}
}

// waitReadable and waitWritable block, with no lock held, until the pipe
// has data or no writers (pipe_readable), or room or no readers
// (pipe_writable). They return the caller's interruption error.
func (p *Pipe) waitReadable(c Ctx) error {
	return WaitReady(c, &p.q, EventIn, func() bool { p.mu.Lock(); defer p.mu.Unlock(); return p.readable() })
}

func (p *Pipe) waitWritable(c Ctx) error {
	return WaitReady(c, &p.q, EventOut, func() bool { p.mu.Lock(); defer p.mu.Unlock(); return p.writable() })
}

// read is pipe_read: it copies from as many buffers as dst can take, but
// stops after a packet buffer, and a packet larger than dst loses its
// rest. It blocks only while nothing has been read.
func (p *Pipe) read(c Ctx, dst []byte, nonblock bool) (int, error) {
	if len(dst) == 0 {
		return 0, nil
	}
	p.mu.Lock()
	done := 0
	for {
		for p.n() > 0 && done < len(dst) {
			b := p.tail()
			k := copy(dst[done:], b.page[b.off:b.off+b.len])
			done += k
			b.off += k
			b.len -= k
			packet := b.flags&bufPacket != 0
			if packet {
				b.len = 0
			}
			if b.len == 0 {
				p.pop(false)
			}
			if packet {
				dst = dst[:done]
			}
		}
		if done > 0 || p.writers == 0 {
			break
		}
		p.mu.Unlock()
		if nonblock {
			return 0, linuxerr.EAGAIN
		}
		if err := p.waitReadable(c); err != nil {
			return 0, err
		}
		p.mu.Lock()
	}
	p.mu.Unlock()
	if done > 0 {
		p.q.Notify(EventOut)
	}
	return done, nil
}

// write is pipe_write. A tail of src smaller than a page first merges into
// the last buffer if it fits there (never in packet mode or into an empty
// pipe); the rest goes into fresh buffers of at most a page each. A write
// of at most PIPE_BUF bytes thus needs one free slot or a merge, and goes
// in whole or not at all; larger writes may be partial when non-blocking,
// and wait for room otherwise.
func (p *Pipe) write(c Ctx, src []byte, nonblock, packet bool) (int, error) {
	if len(src) == 0 {
		return 0, nil
	}
	p.mu.Lock()
	if p.readers == 0 {
		p.mu.Unlock()
		p.sigpipe(c)
		return 0, linuxerr.EPIPE
	}
	done := 0
	if tail := len(src) & (PageSize - 1); tail != 0 && p.n() > 0 {
		if b := p.last(); b.flags&bufCanMerge != 0 && b.off+b.len+tail <= PageSize {
			copy(b.page[b.off+b.len:], src[:tail])
			b.len += tail
			done = tail
		}
	}
	var err error
	broken := false
	for done < len(src) {
		if p.readers == 0 {
			broken = true
			if done == 0 {
				err = linuxerr.EPIPE
			}
			break
		}
		if !p.full() {
			if !mm.ChargeUser(1) {
				if done == 0 {
					err = linuxerr.ENOMEM
				}
				break
			}
			b := pipeBuf{page: p.newPage(), flags: bufCanMerge | bufCharged | bufPoolPage}
			if packet {
				b.flags = bufPacket | bufCharged | bufPoolPage
			}
			b.len = copy(b.page, src[done:])
			done += b.len
			p.push(b)
			continue
		}
		if nonblock {
			if done == 0 {
				err = linuxerr.EAGAIN
			}
			break
		}
		p.mu.Unlock()
		if done > 0 {
			p.q.Notify(EventIn)
		}
		if werr := p.waitWritable(c); werr != nil {
			if done == 0 {
				return 0, werr
			}
			return done, nil
		}
		p.mu.Lock()
	}
	p.mu.Unlock()
	if broken {
		p.sigpipe(c)
	}
	if done > 0 {
		p.q.Notify(EventIn)
	}
	return done, err
}

// waitRoom waits as a writer for a free slot (wait_for_space and
// opipe_prep): EPIPE, after SigPipe, when there are no readers, EAGAIN when
// nonblock. It returns with p.mu held only on success.
func (p *Pipe) waitRoom(c Ctx, nonblock bool) error {
	p.mu.Lock()
	for {
		if p.readers == 0 {
			p.mu.Unlock()
			p.sigpipe(c)
			return linuxerr.EPIPE
		}
		if !p.full() {
			return nil
		}
		p.mu.Unlock()
		if nonblock {
			return linuxerr.EAGAIN
		}
		if err := p.waitWritable(c); err != nil {
			return err
		}
		p.mu.Lock()
	}
}

// waitData waits as a reader until the pipe has data or no writers
// (ipipe_prep): EAGAIN when nonblock. It returns with p.mu held only on
// success.
func (p *Pipe) waitData(c Ctx, nonblock bool) error {
	p.mu.Lock()
	for !p.readable() {
		p.mu.Unlock()
		if nonblock {
			return linuxerr.EAGAIN
		}
		if err := p.waitReadable(c); err != nil {
			return err
		}
		p.mu.Lock()
	}
	return nil
}

// spliceIn fills the pipe from a file (splice_file_to_pipe). It waits as a
// writer for a free slot, then, holding the pipe as Linux holds its mutex,
// calls read once with a buffer as large as the free slots can take (at
// most n) and queues what it read in buffers cut at the source's page
// boundaries: pageOff is the source position's offset in its page (0 for
// sources without pages). When the data straddles one page more than there
// are free slots, the last piece stays out; spliceIn returns the bytes
// queued. Spliced buffers take no merges of later writes.
func (p *Pipe) spliceIn(c Ctx, n, pageOff int, nonblock bool, read func([]byte) (int, error)) (int, error) {
	if err := p.waitRoom(c, nonblock); err != nil {
		return 0, err
	}
	n = min(n, (p.slots-p.n())*PageSize)
	// The pages of the new buffers are page-aligned windows of one
	// buffer, charged before the read takes anything from the source.
	pages := (pageOff + n + PageSize - 1) / PageSize
	if !mm.ChargeUser(pages) {
		p.mu.Unlock()
		return 0, linuxerr.ENOMEM
	}
	buf := make([]byte, pageOff+n)
	k, err := read(buf[pageOff:])
	done := 0
	for at := pageOff; done < k && !p.full(); at = (at/PageSize + 1) * PageSize {
		base := at / PageSize * PageSize
		piece := min(base+PageSize-at, k-done)
		end := min(base+PageSize, len(buf))
		p.push(pipeBuf{page: buf[base:end:end], off: at - base, len: piece, flags: bufCharged})
		pages--
		done += piece
	}
	mm.UnchargeUser(pages)
	p.mu.Unlock()
	if done > 0 {
		p.q.Notify(EventIn)
		return done, nil
	}
	return 0, err
}

// spliceOut drains the pipe into a file (iter_file_splice_write). It waits
// as a reader until the pipe has data (0 at end of file, EAGAIN when
// nonblock), then, holding the pipe, hands write up to n bytes gathered
// across buffers and packet boundaries, and consumes what write took. It
// goes on while n is not reached and data remains, and returns the total.
func (p *Pipe) spliceOut(c Ctx, n int, nonblock bool, write func([]byte) (int, error)) (int, error) {
	done := 0
	var err error
	p.mu.Lock()
	for done < n {
		if p.n() == 0 {
			if p.writers == 0 || done > 0 {
				break
			}
			p.mu.Unlock()
			if err = p.waitData(c, nonblock); err != nil {
				return 0, err
			}
			continue
		}
		chunk := make([]byte, min(n-done, p.bytes()))
		k, werr := write(chunk[:p.peek(chunk)])
		if k > 0 {
			p.consume(k)
			done += k
		}
		if werr != nil || k <= 0 {
			err = werr
			break
		}
	}
	p.mu.Unlock()
	if done > 0 {
		p.q.Notify(EventOut)
		return done, nil
	}
	return 0, err
}

// lockPipes locks two pipes in a fixed order (pipe_double_lock), so that
// opposite splices or tees between them cannot deadlock.
func lockPipes(a, b *Pipe) {
	if a.attr.Ino > b.attr.Ino {
		a, b = b, a
	}
	a.mu.Lock()
	b.mu.Lock()
}

func unlockPipes(a, b *Pipe) {
	a.mu.Unlock()
	b.mu.Unlock()
}

// prepPipes waits until in has data or no writers and out has room
// (ipipe_prep, then opipe_prep).
func prepPipes(c Ctx, in, out *Pipe, nonblock bool) error {
	if err := in.waitData(c, nonblock); err != nil {
		return err
	}
	in.mu.Unlock()
	if err := out.waitRoom(c, nonblock); err != nil {
		return err
	}
	out.mu.Unlock()
	return nil
}

// share returns a copy of up to n bytes of b for another pipe: both sides
// now share the page, and the copy takes no merges, so appends to the page
// through b land past its view.
func (b *pipeBuf) share(n int) pipeBuf {
	b.flags |= bufShared
	o := *b
	o.flags &^= bufCanMerge | bufCharged
	o.len = min(o.len, n)
	return o
}

// splicePipes moves up to n bytes from in to out (splice_pipe_to_pipe),
// or with tee duplicates them (link_pipe). A splice moves whole buffers
// with their flags and shares a buffer only partly wanted, consuming what
// it took; a tee shares buffers from in's oldest on and consumes nothing.
// Both wait first for data in in and room in out; a splice returns 0 when
// in is empty and has no writers, a tee whenever there is nothing to do.
func splicePipes(c Ctx, in, out *Pipe, n int, nonblock, tee bool) (int, error) {
	for {
		if err := prepPipes(c, in, out, nonblock); err != nil {
			return 0, err
		}
		lockPipes(in, out)
		done, next := 0, in.start
		consumed, broken, retry := false, false, false
		var err error
		for done < n {
			if out.readers == 0 {
				broken = true
				if done == 0 {
					err = linuxerr.EPIPE
				}
				break
			}
			if tee {
				if next == len(in.bufs) || out.full() {
					break
				}
				out.push(in.bufs[next].share(n - done))
				done += out.last().len
				next++
				continue
			}
			if in.n() == 0 && in.writers == 0 {
				break
			}
			if in.n() == 0 || out.full() {
				if done == 0 && nonblock {
					err = linuxerr.EAGAIN
				}
				// Without progress, another reader or writer won the race.
				retry = done == 0 && !nonblock
				break
			}
			ib := in.tail()
			if n-done >= ib.len {
				out.push(*ib)
				in.pop(true)
				consumed = true
			} else {
				out.push(ib.share(n - done))
				ib.off += n - done
				ib.len -= n - done
			}
			done += out.last().len
		}
		unlockPipes(in, out)
		if broken {
			out.sigpipe(c)
		}
		if done > 0 {
			out.q.Notify(EventIn)
		}
		if consumed {
			in.q.Notify(EventOut)
		}
		if !retry {
			return done, err
		}
	}
}

// Size is F_GETPIPE_SZ: the capacity in bytes.
func (p *Pipe) Size() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.slots * PageSize
}

// SetSize is F_SETPIPE_SZ (pipe_set_size): the capacity becomes size
// rounded up to a power-of-two number of pages, at least one. Growing
// beyond PipeMaxSize needs CAP_SYS_RESOURCE (privileged); shrinking below
// the number of buffers in use fails with EBUSY. It returns the new
// capacity. Linux's per-user limits (pipe-user-pages-soft and -hard) do not
// apply: they spare callers with CAP_SYS_RESOURCE or CAP_SYS_ADMIN, and
// oyako's one user is root with every capability.
func (p *Pipe) SetSize(size uint32, privileged bool) (int, error) {
	bytes := roundPipeSize(size)
	if bytes == 0 {
		return 0, linuxerr.EINVAL
	}
	slots := int(bytes / PageSize)
	p.mu.Lock()
	if slots > p.slots && bytes > PipeMaxSize && !privileged {
		p.mu.Unlock()
		return 0, linuxerr.EPERM
	}
	if slots < p.n() {
		p.mu.Unlock()
		return 0, linuxerr.EBUSY
	}
	p.slots = slots
	p.mu.Unlock()
	p.q.Notify(EventOut)
	return slots * PageSize, nil
}

// roundPipeSize is round_pipe_size: 0 for sizes above 2 GiB.
func roundPipeSize(size uint32) uint64 {
	if size > 1<<31 {
		return 0
	}
	r := uint64(PageSize)
	for r < uint64(size) {
		r <<= 1
	}
	return r
}

// pipeEnd is the FileOps of one end: a reader, a writer, or both (a
// named pipe opened O_RDWR).
type pipeEnd struct {
	streamOps
	p              *Pipe
	reader, writer bool
	// hupAfter suppresses EPOLLHUP for a reader while the pipe's write
	// opens are still at this count (a FIFO opened O_NONBLOCK before any
	// writer; filp->f_pipe); -1 never suppresses.
	hupAfter int
	// release runs after the end is closed (a FIFO drops its pipe).
	release func(*Pipe)
}

func (e *pipeEnd) Read(c Ctx, f *File, dst []byte, _ int64) (int, error) {
	return e.p.read(c, dst, f.Flags()&O_NONBLOCK != 0)
}

func (e *pipeEnd) Write(c Ctx, f *File, src []byte, _ int64) (int, error) {
	return e.p.write(c, src, f.Flags()&O_NONBLOCK != 0, f.Flags()&O_DIRECT != 0)
}

// Readiness implements Pollable (pipe_poll); without a defer, as poll,
// select and epoll_wait ask it for every watched pipe.
func (e *pipeEnd) Readiness(_ *File, mask uint32) uint32 {
	p := e.p
	p.mu.Lock()
	r := e.readinessLocked()
	p.mu.Unlock()
	return r & (mask | EventErr | EventHup)
}

// readinessLocked is the end's readiness, every event; p.mu is held.
func (e *pipeEnd) readinessLocked() uint32 {
	p := e.p
	var r uint32
	if e.reader {
		if p.n() > 0 {
			r |= EventIn | EventRdNorm
		}
		if p.writers == 0 && p.wCounter != e.hupAfter {
			r |= EventHup
		}
	}
	if e.writer {
		if !p.full() {
			r |= EventOut | EventWrNorm
		}
		if p.readers == 0 {
			r |= EventErr
		}
	}
	return r
}

// EventQueue implements Pollable.
func (e *pipeEnd) EventQueue() *Queue { return &e.p.q }

// Release implements Releaser: the end is gone.
func (e *pipeEnd) Release(*File) {
	e.drop()
	if e.release != nil {
		e.release(e.p)
	}
}

// drop takes the end's reader and writer off the pipe, frees what is in
// the pipe when it was the last end, and wakes whoever waits for them.
func (e *pipeEnd) drop() {
	p := e.p
	p.mu.Lock()
	if e.reader {
		p.readers--
	}
	if e.writer {
		p.writers--
	}
	if p.readers == 0 && p.writers == 0 {
		// The last end is gone: the data goes with the pipe
		// (free_pipe_info), and its charge with it.
		for p.n() > 0 {
			p.pop(false)
		}
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
	n := e.p.bytes()
	e.p.mu.Unlock()
	var b [4]byte
	binary.LittleEndian.PutUint32(b[:], uint32(n))
	return 0, c.CopyOut(arg, b[:])
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
