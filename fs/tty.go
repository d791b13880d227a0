package fs

import (
	"encoding/binary"
	"sync"

	"gvisor.dev/gvisor/pkg/errors/linuxerr"
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
	line    []byte   // the canonical line being edited
	lines   [][]byte // completed canonical input; an empty slice is EOF
	raw     []byte   // non-canonical input
	wake    chan struct{}
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

// Input feeds bytes received from the device through the line discipline.
func (t *TTY) Input(b []byte) {
	t.mu.Lock()
	defer t.mu.Unlock()
	var echo []byte
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
				echo = t.echoChar(echo, c)
				t.line = t.line[:0]
				if t.Signal != nil {
					t.Signal(t.pgrp, sig)
				}
				continue
			}
		}
		if tm.Lflag&ICANON == 0 {
			t.raw = append(t.raw, c)
			echo = t.echoChar(echo, c)
			continue
		}
		switch {
		case c == tm.CC[VERASE] || c == '\b' && tm.CC[VERASE] == 127:
			if len(t.line) > 0 {
				t.line = t.line[:len(t.line)-1]
				if tm.Lflag&ECHO != 0 && tm.Lflag&ECHOE != 0 {
					echo = append(echo, '\b', ' ', '\b')
				}
			}
		case c == tm.CC[VKILL]:
			if tm.Lflag&ECHO != 0 && tm.Lflag&ECHOKE != 0 {
				for range t.line {
					echo = append(echo, '\b', ' ', '\b')
				}
			}
			t.line = t.line[:0]
		case c == tm.CC[VWERASE] && tm.Lflag&IEXTEN != 0:
			for len(t.line) > 0 && t.line[len(t.line)-1] == ' ' {
				t.line = t.line[:len(t.line)-1]
				echo = append(echo, '\b', ' ', '\b')
			}
			for len(t.line) > 0 && t.line[len(t.line)-1] != ' ' {
				t.line = t.line[:len(t.line)-1]
				echo = append(echo, '\b', ' ', '\b')
			}
		case c == tm.CC[VEOF]:
			t.lines = append(t.lines, append([]byte(nil), t.line...))
			t.line = t.line[:0]
		case c == '\n' || (c != 0 && (c == tm.CC[VEOL] || c == tm.CC[VEOL2])):
			t.line = append(t.line, c)
			t.lines = append(t.lines, append([]byte(nil), t.line...))
			t.line = t.line[:0]
			if tm.Lflag&ECHO != 0 || c == '\n' && tm.Lflag&ECHONL != 0 {
				echo = t.outputProcess(echo, []byte{c})
			}
		default:
			t.line = append(t.line, c)
			echo = t.echoChar(echo, c)
		}
	}
	if len(echo) > 0 && t.out != nil {
		t.out(echo)
	}
	t.notify()
	t.q.Notify(EventIn)
}

// switchCanon keeps the input already received when ICANON changes, as
// n_tty_set_termios does with its single read buffer: leaving canonical
// mode makes the completed lines and the line being edited readable as
// raw bytes (an end-of-file mark reads as the NUL byte n_tty stores for
// it); entering it makes the raw bytes readable as one line, without a
// newline (a pushed line).
func (t *TTY) switchCanon(canon bool) {
	if canon {
		if len(t.raw) > 0 {
			t.lines = append(t.lines, t.raw)
			t.raw = nil
		}
		return
	}
	for _, l := range t.lines {
		if len(l) == 0 {
			l = []byte{0}
		}
		t.raw = append(t.raw, l...)
	}
	t.raw = append(t.raw, t.line...)
	t.lines, t.line = nil, nil
}

// Readiness implements Pollable.
func (t *TTY) Readiness(_ *File, mask uint32) uint32 {
	t.mu.Lock()
	defer t.mu.Unlock()
	r := uint32(EventOut | EventWrNorm)
	if len(t.lines) > 0 || t.termios.Lflag&ICANON == 0 && len(t.raw) > 0 {
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

// Read implements FileOps: canonical mode returns at most one line (an
// empty read for an EOF character at the start of a line); non-canonical
// mode honours VMIN with VTIME 0.
func (t *TTY) Read(c Ctx, f *File, p []byte, _ int64) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	for {
		t.mu.Lock()
		if t.termios.Lflag&ICANON != 0 {
			if len(t.lines) > 0 {
				l := t.lines[0]
				n := copy(p, l)
				if n < len(l) {
					t.lines[0] = l[n:]
				} else {
					t.lines = t.lines[1:]
				}
				t.mu.Unlock()
				return n, nil
			}
		} else {
			min := int(t.termios.CC[VMIN])
			if len(t.raw) > 0 && len(t.raw) >= min || min == 0 {
				n := copy(p, t.raw)
				t.raw = t.raw[n:]
				t.mu.Unlock()
				return n, nil
			}
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

// Splice implements Splicer (tty_fops: copy_splice_read,
// iter_file_splice_write).
func (t *TTY) Splice() (read, write bool) { return true, true }

// Write implements FileOps.
func (t *TTY) Write(_ Ctx, _ *File, p []byte, _ int64) (int, error) {
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
		b := make([]byte, termiosSize)
		if err := c.CopyIn(arg, b); err != nil {
			return 0, err
		}
		t.mu.Lock()
		wasCanon := t.termios.Lflag&ICANON != 0
		t.termios.unmarshal(b)
		if cmd == TCSETSF {
			t.line, t.lines, t.raw = nil, nil, nil
		}
		if canon := t.termios.Lflag&ICANON != 0; canon != wasCanon {
			t.switchCanon(canon)
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
		t.mu.Lock()
		t.winsize = Winsize{binary.LittleEndian.Uint16(b[0:]), binary.LittleEndian.Uint16(b[2:]), binary.LittleEndian.Uint16(b[4:]), binary.LittleEndian.Uint16(b[6:])}
		t.mu.Unlock()
		return 0, nil
	case FIONREAD:
		t.mu.Lock()
		n := len(t.raw)
		for _, l := range t.lines {
			n += len(l)
		}
		t.mu.Unlock()
		b := make([]byte, 4)
		binary.LittleEndian.PutUint32(b, uint32(n))
		return 0, c.CopyOut(arg, b)
	case TIOCOUTQ:
		return 0, c.CopyOut(arg, make([]byte, 4))
	case TCFLSH:
		t.mu.Lock()
		if arg == 0 || arg == 2 { // TCIFLUSH, TCIOFLUSH
			t.line, t.lines, t.raw = nil, nil, nil
		}
		t.mu.Unlock()
		return 0, nil
	case TCXONC:
		return 0, nil
	}
	return 0, linuxerr.ENOTTY
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

// SetSession makes the terminal the controlling terminal of session sid
// with foreground group pgrp (0, 0: of no session).
func (t *TTY) SetSession(sid, pgrp int32) {
	t.mu.Lock()
	t.session, t.pgrp = sid, pgrp
	t.mu.Unlock()
}
