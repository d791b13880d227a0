package fs

import (
	"encoding/binary"
	"sync"
	"time"

	"gvisor.dev/gvisor/pkg/errors/linuxerr"

	"oyako/signals"
)

// Termios is the kernel's struct termios (include/uapi/asm-generic/termbits.h).
type Termios struct {
	Iflag, Oflag, Cflag, Lflag uint32
	Line                       uint8
	CC                         [19]uint8
}

// termios flag bits and control characters.
const (
	IGNBRK = 0o1
	BRKINT = 0o2
	ISTRIP = 0o40
	INLCR  = 0o100
	IGNCR  = 0o200
	ICRNL  = 0o400
	IXON   = 0o2000

	OPOST = 0o1
	ONLCR = 0o4
	OCRNL = 0o10

	B38400 = 0o17
	CS8    = 0o60
	CREAD  = 0o200
	HUPCL  = 0o2000

	ISIG    = 0o1
	ICANON  = 0o2
	ECHO    = 0o10
	ECHOE   = 0o20
	ECHOK   = 0o40
	ECHONL  = 0o100
	ECHOCTL = 0o1000
	ECHOKE  = 0o4000
	NOFLSH  = 0o200
	TOSTOP  = 0o400
	IEXTEN  = 0o100000

	VINTR    = 0
	VQUIT    = 1
	VERASE   = 2
	VKILL    = 3
	VEOF     = 4
	VTIME    = 5
	VMIN     = 6
	VSTART   = 8
	VSTOP    = 9
	VSUSP    = 10
	VEOL     = 11
	VREPRINT = 12
	VDISCARD = 13
	VWERASE  = 14
	VLNEXT   = 15
	VEOL2    = 16

	termiosSize = 36
)

// DefaultTermios is Linux's tty_std_termios (drivers/tty/tty_io.c), what a
// fresh tty (and a pty) starts with.
func DefaultTermios() Termios {
	t := Termios{
		Iflag: ICRNL | IXON,
		Oflag: OPOST | ONLCR,
		Cflag: B38400 | CS8 | CREAD | HUPCL,
		Lflag: ISIG | ICANON | ECHO | ECHOE | ECHOK | ECHOCTL | ECHOKE | IEXTEN,
	}
	cc := map[int]uint8{VINTR: 3, VQUIT: 28, VERASE: 127, VKILL: 21, VEOF: 4, VMIN: 1, VSTART: 17, VSTOP: 19, VSUSP: 26, VREPRINT: 18, VDISCARD: 15, VWERASE: 23, VLNEXT: 22}
	for i, c := range cc {
		t.CC[i] = c
	}
	return t
}

func (t *Termios) marshal() []byte {
	b := make([]byte, termiosSize)
	binary.LittleEndian.PutUint32(b[0:], t.Iflag)
	binary.LittleEndian.PutUint32(b[4:], t.Oflag)
	binary.LittleEndian.PutUint32(b[8:], t.Cflag)
	binary.LittleEndian.PutUint32(b[12:], t.Lflag)
	b[16] = t.Line
	copy(b[17:], t.CC[:])
	return b
}

func (t *Termios) unmarshal(b []byte) {
	t.Iflag = binary.LittleEndian.Uint32(b[0:])
	t.Oflag = binary.LittleEndian.Uint32(b[4:])
	t.Cflag = binary.LittleEndian.Uint32(b[8:])
	t.Lflag = binary.LittleEndian.Uint32(b[12:])
	t.Line = b[16]
	copy(t.CC[:], b[17:])
}

// Winsize is struct winsize.
type Winsize struct{ Row, Col, Xpixel, Ypixel uint16 }

// tty ioctl requests (include/uapi/asm-generic/ioctls.h).
const (
	TCGETS     = 0x5401
	TCSETS     = 0x5402
	TCSETSW    = 0x5403
	TCSETSF    = 0x5404
	TCXONC     = 0x540a
	TCFLSH     = 0x540b
	TIOCSCTTY  = 0x540e
	TIOCGPGRP  = 0x540f
	TIOCSPGRP  = 0x5410
	TIOCOUTQ   = 0x5411
	TIOCGWINSZ = 0x5413
	TIOCSWINSZ = 0x5414
	FIONREAD   = 0x541b
	TIOCNOTTY  = 0x5422
	TIOCGSID   = 0x5429
)

// TTY is a terminal with Linux's line discipline (n_tty) in canonical and
// non-canonical mode: input processing, echo, line editing, and output
// processing. It is the console: its device is the serial port, whose
// driver calls Input and gives Output.
type TTY struct {
	streamOps
	mu      sync.Mutex
	termios Termios
	winsize Winsize
	out     func([]byte)
	// buf is the input not read yet (n_tty's read buffer), in both
	// modes. In canonical mode the completed lines are buf[:ends[len-1]]
	// (ends holds each line's end; a line ended by the EOF character is
	// marked in eof and its terminator is not returned) and the rest is
	// the line being edited. Switching modes keeps the data, as
	// n_tty_set_termios does.
	buf  []byte
	ends []int
	eof  []bool
	wake chan struct{}
	// session is the session whose controlling terminal this is (0:
	// none), pgrp its foreground process group; the kernel's job-control
	// ioctls maintain them.
	session int32
	pgrp    int32
	q       Queue
	// Signal, if set, is called for ISIG characters with the signal number.
	Signal func(pgrp int32, sig int)
}

// NewTTY makes a terminal writing to out.
func NewTTY(out func([]byte)) *TTY {
	return &TTY{termios: DefaultTermios(), out: out, wake: make(chan struct{})}
}

func (t *TTY) notify() {
	close(t.wake)
	t.wake = make(chan struct{})
}

// ttyBufSize is N_TTY_BUF_SIZE: input beyond it is dropped, and a
// canonical line holds at most ttyBufSize-1 characters.
const ttyBufSize = 4096

// lineStart is where the line being edited begins.
func (t *TTY) lineStart() int {
	if len(t.ends) == 0 {
		return 0
	}
	return t.ends[len(t.ends)-1]
}

// endLine completes the line being edited; eof marks an EOF character,
// whose own byte is not part of the line.
func (t *TTY) endLine(eof bool) {
	t.ends = append(t.ends, len(t.buf))
	t.eof = append(t.eof, eof)
}

// Input feeds bytes received from the device through the line discipline
// (n_tty_receive_buf): input processing, signals, line editing in
// canonical mode, and echo.
func (t *TTY) Input(b []byte) {
	t.mu.Lock()
	var echo []byte
	var sigs []int
	tm := &t.termios
	for _, c := range b {
		if tm.Iflag&ISTRIP != 0 {
			c &= 0x7f
		}
		switch {
		case c == '\r' && tm.Iflag&IGNCR != 0:
			continue
		case c == '\r' && tm.Iflag&ICRNL != 0:
			c = '\n'
		case c == '\n' && tm.Iflag&INLCR != 0:
			c = '\r'
		}
		if tm.Lflag&ISIG != 0 && c != 0 {
			sig := 0
			switch c {
			case tm.CC[VINTR]:
				sig = 2 // SIGINT
			case tm.CC[VQUIT]:
				sig = 3 // SIGQUIT
			case tm.CC[VSUSP]:
				sig = 20 // SIGTSTP
			}
			if sig != 0 {
				// isig: the input is flushed unless NOFLSH.
				if tm.Lflag&NOFLSH == 0 {
					t.buf, t.ends, t.eof = t.buf[:0], nil, nil
				}
				echo = t.echoChar(echo, c)
				sigs = append(sigs, sig)
				continue
			}
		}
		if tm.Lflag&ICANON == 0 {
			if len(t.buf) < ttyBufSize {
				t.buf = append(t.buf, c)
			}
			echo = t.echoChar(echo, c)
			continue
		}
		line := t.buf[t.lineStart():]
		switch {
		case c == tm.CC[VERASE] || c == '\b' && tm.CC[VERASE] == 127:
			if len(line) > 0 {
				t.buf = t.buf[:len(t.buf)-1]
				if tm.Lflag&ECHO != 0 && tm.Lflag&ECHOE != 0 {
					echo = append(echo, '\b', ' ', '\b')
				}
			}
		case c == tm.CC[VKILL]:
			if tm.Lflag&ECHO != 0 && tm.Lflag&ECHOKE != 0 {
				for range line {
					echo = append(echo, '\b', ' ', '\b')
				}
			}
			t.buf = t.buf[:t.lineStart()]
		case c == tm.CC[VWERASE] && tm.Lflag&IEXTEN != 0:
			n := len(line)
			for n > 0 && line[n-1] == ' ' {
				n--
				echo = append(echo, '\b', ' ', '\b')
			}
			for n > 0 && line[n-1] != ' ' {
				n--
				echo = append(echo, '\b', ' ', '\b')
			}
			t.buf = t.buf[:t.lineStart()+n]
		case c == tm.CC[VEOF]:
			// n_tty stores the EOF character as __DISABLED_CHAR: a NUL
			// that raw mode would read, canonical mode never returns.
			t.endLine(true)
			t.buf = append(t.buf, 0)
		case c == '\n' || (c != 0 && (c == tm.CC[VEOL] || c == tm.CC[VEOL2])):
			t.buf = append(t.buf, c)
			t.endLine(false)
			if tm.Lflag&ECHO != 0 || c == '\n' && tm.Lflag&ECHONL != 0 {
				echo = t.outputProcess(echo, []byte{c})
			}
		default:
			if len(line) >= ttyBufSize-1 {
				continue // the line is full: only its end is taken
			}
			t.buf = append(t.buf, c)
			echo = t.echoChar(echo, c)
		}
	}
	if len(echo) > 0 && t.out != nil {
		t.out(echo)
	}
	t.notify()
	pgrp, signal := t.pgrp, t.Signal
	t.mu.Unlock()
	t.q.Notify(EventIn)
	for _, sig := range sigs {
		if signal != nil {
			signal(pgrp, sig)
		}
	}
}

// readableLocked reports how much a read could return now: in canonical
// mode whether a line is complete, in raw mode whether VMIN characters
// (at least one) are there.
func (t *TTY) readableLocked() bool {
	if t.termios.Lflag&ICANON != 0 {
		return len(t.ends) > 0
	}
	return len(t.buf) > 0 && len(t.buf) >= int(t.termios.CC[VMIN])
}

// Readiness implements Pollable.
func (t *TTY) Readiness(_ *File, mask uint32) uint32 {
	t.mu.Lock()
	defer t.mu.Unlock()
	r := uint32(EventOut | EventWrNorm)
	if t.readableLocked() {
		r |= EventIn | EventRdNorm
	}
	return r & mask
}

// EventQueue implements Pollable.
func (t *TTY) EventQueue() *Queue { return &t.q }

// echoChar appends the echo of c (control characters as ^X with ECHOCTL).
func (t *TTY) echoChar(echo []byte, c byte) []byte {
	tm := &t.termios
	if tm.Lflag&ECHO == 0 {
		return echo
	}
	if tm.Lflag&ECHOCTL != 0 && (c < 0x20 && c != '\t' && c != '\n' || c == 0x7f) {
		return append(echo, '^', c^0x40)
	}
	return t.outputProcess(echo, []byte{c})
}

// outputProcess applies OPOST output processing (ONLCR, OCRNL).
func (t *TTY) outputProcess(dst, p []byte) []byte {
	tm := &t.termios
	if tm.Oflag&OPOST == 0 {
		return append(dst, p...)
	}
	for _, c := range p {
		switch {
		case c == '\n' && tm.Oflag&ONLCR != 0:
			dst = append(dst, '\r', '\n')
		case c == '\r' && tm.Oflag&OCRNL != 0:
			dst = append(dst, '\n')
		default:
			dst = append(dst, c)
		}
	}
	return dst
}

// Read implements FileOps (n_tty_read). Canonical mode returns at most
// one line (nothing for an EOF character at the start of a line);
// non-canonical mode follows VMIN and VTIME.
func (t *TTY) Read(c Ctx, f *File, p []byte, _ int64) (int, error) {
	// n_tty_read's job_control: a background reader gets SIGTTIN, except
	// through /dev/console.
	if !IsConsole(f) {
		if err := t.checkChange(c, signals.SIGTTIN); err != nil {
			return 0, err
		}
	}
	if len(p) == 0 {
		return 0, nil
	}
	for {
		t.mu.Lock()
		if t.termios.Lflag&ICANON == 0 {
			t.mu.Unlock()
			return t.readRaw(c, f, p)
		}
		if len(t.ends) > 0 {
			data, end := t.ends[0], t.ends[0]
			if t.eof[0] {
				end++ // the EOF character's byte is not data
			}
			n := copy(p, t.buf[:data])
			if n < data {
				end = n // the rest of the line stays for the next read
			} else {
				t.ends, t.eof = t.ends[1:], t.eof[1:]
			}
			t.buf = t.buf[end:]
			for i := range t.ends {
				t.ends[i] -= end
			}
			t.mu.Unlock()
			return n, nil
		}
		wake := t.wake
		t.mu.Unlock()
		if f != nil && f.Flags()&O_NONBLOCK != 0 {
			return 0, linuxerr.EAGAIN
		}
		if err := c.Block(wake); err != nil {
			return 0, err
		}
	}
}

// readRaw is a non-canonical read: with VMIN > 0 it waits for VMIN
// characters, VTIME (tenths of a second) then limiting the gap after each
// one; with VMIN 0 it returns what there is, waiting up to VTIME for
// something to come.
func (t *TTY) readRaw(c Ctx, f *File, p []byte) (int, error) {
	t.mu.Lock()
	min, vtime := int(t.termios.CC[VMIN]), time.Duration(t.termios.CC[VTIME])*100*time.Millisecond
	t.mu.Unlock()
	var deadline time.Time // zero: wait as long as it takes
	gap := time.Duration(0)
	if min > 0 {
		gap = vtime
	} else {
		if vtime == 0 {
			deadline = time.Unix(0, 1) // long past: do not wait
		} else {
			deadline = time.Now().Add(vtime)
		}
		min = 1
	}
	hasInput := func() bool {
		t.mu.Lock()
		defer t.mu.Unlock()
		return len(t.buf) > 0
	}
	n := 0
	for n < len(p) {
		t.mu.Lock()
		if len(t.buf) > 0 {
			k := copy(p[n:], t.buf)
			t.buf = t.buf[k:]
			t.ends, t.eof = nil, nil
			t.mu.Unlock()
			if n += k; n >= min {
				break
			}
			if gap > 0 {
				deadline = time.Now().Add(gap)
			}
			continue
		}
		t.mu.Unlock()
		if !deadline.IsZero() && !time.Now().Before(deadline) {
			break
		}
		if f != nil && f.Flags()&O_NONBLOCK != 0 {
			if n > 0 {
				break
			}
			return 0, linuxerr.EAGAIN
		}
		timedOut, err := WaitReadyDeadline(c, &t.q, EventIn, hasInput, deadline)
		if err != nil {
			if n > 0 {
				break
			}
			return 0, err
		}
		if timedOut {
			break
		}
	}
	return n, nil
}

// Write implements FileOps. With TOSTOP set, a background writer gets
// SIGTTOU (n_tty_write), except through /dev/console.
func (t *TTY) Write(c Ctx, f *File, p []byte, _ int64) (int, error) {
	t.mu.Lock()
	tostop := t.termios.Lflag&TOSTOP != 0
	t.mu.Unlock()
	if tostop && !IsConsole(f) {
		if err := t.checkChange(c, signals.SIGTTOU); err != nil {
			return 0, err
		}
	}
	t.mu.Lock()
	out := t.outputProcess(make([]byte, 0, len(p)+len(p)/8), p)
	t.mu.Unlock()
	if t.out != nil {
		t.out(out)
	}
	return len(p), nil
}

// Ioctl implements Ioctler for the tty requests.
func (t *TTY) Ioctl(c Ctx, _ *File, cmd uint32, arg uintptr) (uintptr, error) {
	switch cmd {
	case TCGETS:
		t.mu.Lock()
		b := t.termios.marshal()
		t.mu.Unlock()
		return 0, c.CopyOut(arg, b)
	case TCSETS, TCSETSW, TCSETSF:
		// set_termios checks job control before it reads the argument.
		if err := t.checkChange(c, signals.SIGTTOU); err != nil {
			return 0, err
		}
		b := make([]byte, termiosSize)
		if err := c.CopyIn(arg, b); err != nil {
			return 0, err
		}
		t.mu.Lock()
		wasCanon := t.termios.Lflag&ICANON != 0
		t.termios.unmarshal(b)
		switch canon := t.termios.Lflag&ICANON != 0; {
		case cmd == TCSETSF:
			t.buf, t.ends, t.eof = t.buf[:0], nil, nil
		case canon && !wasCanon && len(t.buf) > 0:
			// n_tty_set_termios: what raw mode left unread reads as a
			// completed line.
			t.ends, t.eof = []int{len(t.buf)}, []bool{false}
		case !canon && wasCanon:
			t.ends, t.eof = nil, nil
		}
		t.notify()
		t.mu.Unlock()
		t.q.Notify(EventIn)
		return 0, nil
	case TIOCGWINSZ:
		t.mu.Lock()
		w := t.winsize
		t.mu.Unlock()
		b := make([]byte, 8)
		binary.LittleEndian.PutUint16(b[0:], w.Row)
		binary.LittleEndian.PutUint16(b[2:], w.Col)
		binary.LittleEndian.PutUint16(b[4:], w.Xpixel)
		binary.LittleEndian.PutUint16(b[6:], w.Ypixel)
		return 0, c.CopyOut(arg, b)
	case TIOCSWINSZ:
		b := make([]byte, 8)
		if err := c.CopyIn(arg, b); err != nil {
			return 0, err
		}
		t.Resize(Winsize{binary.LittleEndian.Uint16(b[0:]), binary.LittleEndian.Uint16(b[2:]), binary.LittleEndian.Uint16(b[4:]), binary.LittleEndian.Uint16(b[6:])})
		return 0, nil
	case FIONREAD:
		t.mu.Lock()
		n := len(t.buf)
		if t.termios.Lflag&ICANON != 0 {
			n = t.lineStart()
		}
		t.mu.Unlock()
		b := make([]byte, 4)
		binary.LittleEndian.PutUint32(b, uint32(n))
		return 0, c.CopyOut(arg, b)
	case TIOCOUTQ:
		return 0, c.CopyOut(arg, make([]byte, 4))
	case TCFLSH:
		if err := t.checkChange(c, signals.SIGTTOU); err != nil {
			return 0, err
		}
		t.mu.Lock()
		if arg == 0 || arg == 2 { // TCIFLUSH, TCIOFLUSH
			t.buf, t.ends, t.eof = t.buf[:0], nil, nil
		}
		t.mu.Unlock()
		return 0, nil
	case TCXONC:
		return 0, t.checkChange(c, signals.SIGTTOU)
	}
	return 0, linuxerr.ENOTTY
}

// JobControl is implemented by a Ctx that belongs to a process group (the
// kernel's tasks): TTYCheckChange is Linux's __tty_check_change
// (drivers/tty/tty_jobctrl.c), which stops a background process group
// that reads from its controlling terminal (sig SIGTTIN) or changes it
// (SIGTTOU).
type JobControl interface {
	TTYCheckChange(tty *TTY, sig int) error
}

// checkChange applies job control to the caller c for sig.
func (t *TTY) checkChange(c Ctx, sig int) error {
	if j, ok := c.(JobControl); ok {
		return j.TTYCheckChange(t, sig)
	}
	return nil
}

// IsConsole reports whether f was opened through /dev/console (device
// 5:1), which Linux gives its own file operations (console_fops, with
// redirected_tty_write): reads and TOSTOP writes through it skip job
// control ("don't stop on /dev/console", n_tty.c), and opening it never
// acquires a controlling terminal (tty_open's noctty). /dev/tty and the
// serial port's own node (/dev/ttyS0, 4:64) reach the same terminal
// without those exceptions.
func IsConsole(f *File) bool {
	if f == nil {
		return false
	}
	d, ok := f.Inode.(*Device)
	return ok && d.attr.Rdev == Mkdev(5, 1)
}

// SetForeground sets the foreground process group.
func (t *TTY) SetForeground(pgrp int32) {
	t.mu.Lock()
	t.pgrp = pgrp
	t.mu.Unlock()
}

// Foreground returns the foreground process group (0: none).
func (t *TTY) Foreground() int32 {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.pgrp
}

// Session returns the session the terminal controls (0: none).
func (t *TTY) Session() int32 {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.session
}

// Resize sets the window size (tty_do_resize): a new size is announced to
// the foreground process group with SIGWINCH.
func (t *TTY) Resize(w Winsize) {
	t.mu.Lock()
	changed := w != t.winsize
	t.winsize = w
	pgrp, signal := t.pgrp, t.Signal
	t.mu.Unlock()
	if changed && signal != nil && pgrp > 0 {
		signal(pgrp, 28) // SIGWINCH
	}
}

// SetSession makes the terminal the controlling terminal of session sid
// with foreground group pgrp (0, 0: of no session).
func (t *TTY) SetSession(sid, pgrp int32) {
	t.mu.Lock()
	t.session, t.pgrp = sid, pgrp
	t.mu.Unlock()
}
