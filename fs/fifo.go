package fs

import (
	"sync"

	"gvisor.dev/gvisor/pkg/errors/linuxerr"
)

// FIFO is a named pipe (fifo(7)): a RamFS inode whose opens share one Pipe
// for as long as any end is open (fifo_open in fs/pipe.c). Opening for
// reading waits for a writer and opening for writing waits for a reader,
// unless O_NONBLOCK: then a reader opens at once and a writer without a
// reader fails with ENXIO. O_RDWR never waits. What is in the pipe when
// the last end closes is discarded.
type FIFO struct {
	ramInode
	fmu  sync.Mutex
	pipe *Pipe
	// partner is closed, and replaced, whenever an end is opened: the
	// waiters for the other end look again (wake_up_partner).
	partner chan struct{}
}

// newFIFO makes a FIFO of mode created by c in dir.
func (fs *RamFS) newFIFO(c Ctx, dir *RamDir, mode uint32) *FIFO {
	f := &FIFO{partner: make(chan struct{})}
	fs.initInode(&f.ramInode, c, dir, S_IFIFO|mode&0o7777)
	return f
}

// Open implements Opener.
func (f *FIFO) Open(c Ctx, flags uint32) (FileOps, error) {
	f.fmu.Lock()
	defer f.fmu.Unlock()
	p := f.pipe
	if p == nil {
		p = newPipe()
		p.readers, p.writers = 0, 0
		f.pipe = p
	}
	end := &pipeEnd{p: p, hupAfter: -1, release: f.released}
	nonblock := flags&O_NONBLOCK != 0
	switch flags & O_ACCMODE {
	case O_RDONLY:
		end.reader = true
		p.mu.Lock()
		p.rCounter++
		p.readers++
		first := p.readers == 1
		writers := p.writers
		p.mu.Unlock()
		if first {
			f.wakePartner()
		}
		if writers == 0 {
			if nonblock {
				// No hang-up until a writer has come and gone.
				end.hupAfter = p.wCounterNow()
			} else if err := f.waitPartner(c, p, func() int { return p.wCounter }); err != nil {
				f.undo(end)
				return nil, err
			}
		}
	case O_WRONLY:
		p.mu.Lock()
		if nonblock && p.readers == 0 {
			p.mu.Unlock()
			f.dropIfUnusedLocked(p)
			return nil, linuxerr.ENXIO
		}
		end.writer = true
		p.wCounter++
		p.writers++
		first := p.writers == 1
		readers := p.readers
		p.mu.Unlock()
		if first {
			f.wakePartner()
		}
		if readers == 0 {
			if err := f.waitPartner(c, p, func() int { return p.rCounter }); err != nil {
				f.undo(end)
				return nil, err
			}
		}
	case O_RDWR:
		end.reader, end.writer = true, true
		p.mu.Lock()
		p.readers++
		p.writers++
		p.rCounter++
		p.wCounter++
		first := p.readers == 1 || p.writers == 1
		p.mu.Unlock()
		if first {
			f.wakePartner()
		}
	default:
		f.dropIfUnusedLocked(p)
		return nil, linuxerr.EINVAL
	}
	return end, nil
}

// wakePartner wakes the opens waiting for the other end. The caller holds
// f.fmu.
func (f *FIFO) wakePartner() {
	close(f.partner)
	f.partner = make(chan struct{})
}

// waitPartner waits, without f.fmu, until counter moves (wait_for_partner):
// an end of the other kind was opened. It returns the caller's
// interruption error.
func (f *FIFO) waitPartner(c Ctx, p *Pipe, counter func() int) error {
	p.mu.Lock()
	start := counter()
	p.mu.Unlock()
	for {
		ch := f.partner
		f.fmu.Unlock()
		err := c.Block(ch)
		f.fmu.Lock()
		if err != nil {
			return err
		}
		p.mu.Lock()
		moved := counter() != start
		p.mu.Unlock()
		if moved {
			return nil
		}
	}
}

// released runs when an end of p is closed: with no end left, the pipe
// and what it holds go.
func (f *FIFO) released(p *Pipe) {
	f.fmu.Lock()
	defer f.fmu.Unlock()
	f.dropIfUnusedLocked(p)
}

// undo takes back an end whose open failed. The caller holds f.fmu.
func (f *FIFO) undo(e *pipeEnd) {
	e.drop()
	f.dropIfUnusedLocked(e.p)
}

// dropIfUnusedLocked forgets p if nothing has it open. The caller holds
// f.fmu.
func (f *FIFO) dropIfUnusedLocked(p *Pipe) {
	p.mu.Lock()
	unused := p.readers == 0 && p.writers == 0
	p.mu.Unlock()
	if unused && f.pipe == p {
		f.pipe = nil
	}
}
