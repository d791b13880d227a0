package qemu

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"time"
	"unsafe"
)

// Native runs programs on the host Linux the way oyako runs init, so that
// their transcripts can be compared (DESIGN.md §7): argv[0] is the
// program's name, the environment is HOME=/, TERM=linux and docker's PATH, the working
// directory holds the same files as oyako's root, and standard input,
// output and error are a terminal (a pseudo-terminal here, the console
// there), read through the same "\r\n" translation.

// openPTY opens a pseudo-terminal pair.
func openPTY() (master, slave *os.File, err error) {
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		return nil, nil, err
	}
	var unlock int32
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, m.Fd(), syscall.TIOCSPTLCK, uintptr(unsafe.Pointer(&unlock))); e != 0 {
		m.Close()
		return nil, nil, e
	}
	var n uint32
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, m.Fd(), syscall.TIOCGPTN, uintptr(unsafe.Pointer(&n))); e != 0 {
		m.Close()
		return nil, nil, e
	}
	s, err := os.OpenFile("/dev/pts/"+strconv.Itoa(int(n)), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		m.Close()
		return nil, nil, err
	}
	return m, s, nil
}

// NativeResult is a native run's transcript and status.
type NativeResult struct {
	Output []byte
	Status int // shell-style: exit code or 128+signal
}

// RunNative runs program with argv (argv[0] included) in dir on a
// pseudo-terminal, feeding it stdin followed by the EOF character.
func RunNative(ctx context.Context, program string, argv []string, dir string, stdin []byte, timeout time.Duration) (*NativeResult, error) {
	return runNative(ctx, program, argv, dir, stdin, timeout, false)
}

// runNative is RunNative, in a mount namespace of the program's own if
// mountNS is set (Go makes every mount in it private, so that nothing the
// program mounts reaches the host); that needs root.
func runNative(ctx context.Context, program string, argv []string, dir string, stdin []byte, timeout time.Duration, mountNS bool) (*NativeResult, error) {
	return runOnPTY(ctx, program, stdin, timeout, func(ctx context.Context) *exec.Cmd {
		cmd := exec.CommandContext(ctx, program)
		cmd.Args = argv
		cmd.Dir = dir
		cmd.Env = nativeEnv
		cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
		if mountNS {
			cmd.SysProcAttr.Unshareflags = syscall.CLONE_NEWNS
		}
		return cmd
	})
}

// nativeEnv is the environment oyako gives init (cmd/oyako-kernel):
// Linux's HOME and TERM, and docker's default PATH.
var nativeEnv = []string{"HOME=/", "TERM=linux", "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}

// runOnPTY starts the command newCmd makes (with ctx bounded by timeout)
// with a pseudo-terminal as its standard input, output and error and
// controlling terminal, feeds it stdin and EOF, and collects what it
// printed and its status.
func runOnPTY(ctx context.Context, program string, stdin []byte, timeout time.Duration, newCmd func(context.Context) *exec.Cmd) (*NativeResult, error) {
	m, s, err := openPTY()
	if err != nil {
		return nil, err
	}
	defer m.Close()
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := newCmd(ctx)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = s, s, s
	if err := cmd.Start(); err != nil {
		s.Close()
		return nil, err
	}
	s.Close()
	go func() {
		m.Write(stdin)
		m.Write([]byte{0x04})
	}()
	var out bytes.Buffer
	done := make(chan struct{})
	go func() {
		io.Copy(&CRLFWriter{W: &out}, m) // ends with EIO when the slave is closed
		close(done)
	}()
	werr := cmd.Wait()
	select {
	case <-done:
	case <-time.After(2 * time.Second):
	}
	res := &NativeResult{Output: out.Bytes()}
	if ctx.Err() != nil {
		return res, fmt.Errorf("native %s timed out", program)
	}
	var ee *exec.ExitError
	switch {
	case werr == nil:
	case errors.As(werr, &ee):
		ws := ee.Sys().(syscall.WaitStatus)
		if ws.Signaled() {
			res.Status = 128 + int(ws.Signal())
		} else {
			res.Status = ws.ExitStatus()
		}
	default:
		return res, werr
	}
	return res, nil
}
