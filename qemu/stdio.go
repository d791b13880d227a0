package qemu

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"syscall"
)

// Stdio gives the guest's init standard streams that are pipes to the
// host rather than the console terminal (the kernel's stdio= option,
// kernel/stdio.go). Each piped stream is a port of a virtio console
// (QEMU's virtio-serial-device on virtio-mmio, a virtserialport per
// stream: nr 1 stdin, 2 stdout, 3 stderr) whose character device is one
// end of a socket pair; the harness copies between the other end and the
// host's streams:
//
//   - stdin: Stdin is copied to the port, then the socket's write side
//     is shut down. QEMU reads the socket only while the guest has
//     receive buffers, so the copy moves as fast as the program reads,
//     and the end of Stdin reaches the guest after every byte before it
//     (QEMU's PORT_OPEN 0 when its read sees end of file). A full close
//     would not do: QEMU's socket character device drops the connection
//     as soon as poll reports a hang-up, even with unread data.
//   - stdout, stderr: what the port carries is written to Stdout and
//     Stderr until QEMU exits. When a write fails (the host's reader
//     went away: EPIPE), the socket is closed, QEMU closes the port and
//     the program's writes fail with EPIPE and SIGPIPE as they would
//     natively.
type Stdio struct {
	// Stdin, if not nil, is the program's standard input, a pipe.
	Stdin io.Reader
	// StdinGone, if set, is called when the program has closed every
	// read end of its stdin pipe: the host's writer should learn that
	// no one reads (close the host's stdin).
	StdinGone func()
	// Stdout and Stderr, if not nil, receive the program's standard
	// output and error, pipes.
	Stdout, Stderr io.Writer
	// StderrIsStdout makes the program's stderr its stdout pipe (the
	// host's stderr is its stdout, as after 2>&1); Stderr is unused.
	StderrIsStdout bool
	// Resize, if not nil, brings the host terminal's new window sizes
	// (rows, columns) for the console (port 4; the kernel's resize
	// option).
	Resize <-chan [2]uint16
}

// Modes is the kernel's stdio= word for s: t for a stream that stays on
// the console, p for a pipe, 1 for stderr sharing stdout's pipe.
func (s *Stdio) Modes() string {
	m := []byte("ttt")
	if s == nil {
		return string(m)
	}
	if s.Stdin != nil {
		m[0] = 'p'
	}
	if s.Stdout != nil {
		m[1] = 'p'
	}
	switch {
	case s.StderrIsStdout && s.Stdout != nil:
		m[2] = '1'
	case s.Stderr != nil:
		m[2] = 'p'
	}
	return string(m)
}

// KernelWords are the kernel command-line words for s.
func (s *Stdio) KernelWords() []string {
	var w []string
	if m := s.Modes(); m != "ttt" {
		w = append(w, "stdio="+m)
	}
	if s != nil && s.Resize != nil {
		w = append(w, "resize")
	}
	return w
}

// stdioWiring is a Stdio's sockets during a run.
type stdioWiring struct {
	s      *Stdio
	args   []string        // QEMU's arguments for the device and ports
	qemu   []*os.File      // QEMU's ends, its descriptors 3, 4, ...
	conns  []*net.UnixConn // the harness's ends
	ids    []int           // port number of each
	copies sync.WaitGroup  // the output copies
}

// newStdioWiring makes a socket pair per piped stream. firstFD is the
// descriptor QEMU gets the first of its ends as.
func newStdioWiring(s *Stdio, firstFD int) (*stdioWiring, error) {
	w := &stdioWiring{s: s}
	modes := []byte(s.Modes())
	if s != nil && s.Resize != nil {
		modes = append(modes, 'p')
	}
	if string(modes) == "ttt" {
		return w, nil
	}
	// Modern virtio-mmio (QEMU defaults to the legacy interface), one
	// virtio-serial device with ports 1 to 4.
	w.args = []string{"-global", "virtio-mmio.force-legacy=false", "-device", "virtio-serial-device,max_ports=5"}
	for i, m := range modes {
		if m != 'p' {
			continue
		}
		fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
		if err != nil {
			w.close()
			return nil, err
		}
		mine := os.NewFile(uintptr(fds[0]), "stdio")
		c, err := net.FileConn(mine)
		mine.Close()
		if err != nil {
			syscall.Close(fds[1])
			w.close()
			return nil, err
		}
		w.conns = append(w.conns, c.(*net.UnixConn))
		w.qemu = append(w.qemu, os.NewFile(uintptr(fds[1]), "stdio-qemu"))
		id := i + 1
		w.ids = append(w.ids, id)
		fd := firstFD + len(w.qemu) - 1
		w.args = append(w.args,
			"-chardev", fmt.Sprintf("socket,id=stdio%d,fd=%d", id, fd),
			"-device", fmt.Sprintf("virtserialport,nr=%d,chardev=stdio%d", id, id))
	}
	return w, nil
}

// start begins the copies, once QEMU runs with its ends (which are then
// closed here, so that QEMU's exit ends the output).
func (w *stdioWiring) start() {
	for _, f := range w.qemu {
		f.Close()
	}
	w.qemu = nil
	for i, c := range w.conns {
		switch w.ids[i] {
		case 1:
			go w.copyIn(c)
		case 2:
			w.copies.Add(1)
			go w.copyOut(c, w.s.Stdout)
		case 3:
			w.copies.Add(1)
			go w.copyOut(c, w.s.Stderr)
		case 4:
			go sendSizes(c, w.s.Resize)
		}
	}
}

// copyIn feeds the program's stdin; the run does not wait for it (the
// host's stdin may never end).
func (w *stdioWiring) copyIn(c *net.UnixConn) {
	go func() {
		// Anything the guest sends on this port means its reader is
		// gone.
		var b [1]byte
		if n, _ := c.Read(b[:]); n > 0 && w.s.StdinGone != nil {
			w.s.StdinGone()
		}
	}()
	io.Copy(c, w.s.Stdin)
	c.CloseWrite()
}

// sendSizes passes window sizes on (the run does not wait for it).
func sendSizes(c *net.UnixConn, sizes <-chan [2]uint16) {
	for ws := range sizes {
		rec := []byte{byte(ws[0]), byte(ws[0] >> 8), byte(ws[1]), byte(ws[1] >> 8)}
		if _, err := c.Write(rec); err != nil {
			return
		}
	}
}

// copyOut copies one output stream until QEMU exits, or until the host's
// reader is gone.
func (w *stdioWiring) copyOut(c *net.UnixConn, dst io.Writer) {
	defer w.copies.Done()
	buf := make([]byte, 256<<10)
	for {
		n, err := c.Read(buf)
		if n > 0 {
			if _, werr := dst.Write(buf[:n]); werr != nil {
				c.Close() // QEMU closes the port: EPIPE in the guest
				return
			}
		}
		if err != nil {
			if !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) {
				fmt.Fprintln(os.Stderr, "oyako: stdio:", err)
			}
			c.Close()
			return
		}
	}
}

// wait waits for the output copies to end (after QEMU exited).
func (w *stdioWiring) wait() { w.copies.Wait() }

// close releases everything (after a failed start).
func (w *stdioWiring) close() {
	for _, f := range w.qemu {
		f.Close()
	}
	for _, c := range w.conns {
		c.Close()
	}
}
