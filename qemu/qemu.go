package qemu

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Binary is the QEMU system emulator oyako runs on.
const Binary = "qemu-system-x86_64"

// Config describes one boot.
type Config struct {
	Kernel  string        // bootable image (BuildKernel's result)
	Initrd  string        // optional initramfs
	Append  string        // kernel command line
	Memory  string        // guest RAM, e.g. "128M" (default)
	Machine string        // "microvm" (default) or "q35"
	KVM     bool          // use KVM instead of TCG
	Timeout time.Duration // kill QEMU after this long (default 2 minutes; NoTimeout: never)
	// Console receives the serial console as it arrives (may be nil).
	Console io.Writer
	// Stdin, if set, feeds the serial console.
	Stdin io.Reader
	// Stdio, if set, makes some of init's standard streams pipes to
	// the host instead of the console (see Stdio).
	Stdio *Stdio
	// OwnGroup runs QEMU in a process group of its own, so that the
	// signals a terminal sends its foreground group (^C) reach the
	// harness only, which may pass them on through Stdin. QEMU then
	// must not read a terminal, and dies with the harness.
	OwnGroup bool
	// GDBPort, if not 0, starts QEMU halted with its gdb stub on this port.
	GDBPort int
	// Started, if set, is called with the QEMU process once it runs.
	Started func(*os.Process)
	// Net, if set, gives the guest a network device (see Net).
	Net *Net
	// Foreign boots a kernel other than oyako (Linux, for make
	// bench-linux): nothing reports an exit status on the side channel,
	// and the run ends when QEMU exits (Result.Status stays -1).
	Foreign bool
}

// Result is the outcome of a boot.
type Result struct {
	// Status is the kernel's exit status, from its "oyako-exit N" line on
	// the debugcon side channel; -1 if the kernel never said.
	Status int
	// QEMUStatus is QEMU's own exit status.
	QEMUStatus int
	Serial     []byte // everything the serial console printed
	Side       []byte // everything written to the debugcon side channel
	Elapsed    time.Duration
}

// NoTimeout as Config.Timeout lets QEMU run as long as the guest does: a
// person at the shell or in gdb (the watchdog is for tests).
const NoTimeout time.Duration = -1

// ErrTimeout is wrapped by Run's error when QEMU was killed for running
// past its timeout.
var ErrTimeout = errors.New("QEMU timed out")

// Args returns QEMU's command line for c, with the side channel going to
// sidePath.
func Args(c *Config, sidePath string) []string {
	machine := c.Machine
	if machine == "" {
		machine = "microvm"
	}
	mem := c.Memory
	if mem == "" {
		mem = "128M"
	}
	args := []string{
		"-machine", machine,
		"-m", mem,
		"-nographic", "-no-reboot", "-monitor", "none",
		// The serial console on stdio, with ^C going to the guest (its
		// terminal's foreground job) instead of killing QEMU.
		"-chardev", "stdio,id=console,signal=off",
		"-serial", "chardev:console",
		"-kernel", c.Kernel,
		"-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
		"-chardev", "file,id=oyakoside,path=" + sidePath,
		"-device", "isa-debugcon,iobase=0xe9,chardev=oyakoside",
	}
	if c.KVM {
		args = append(args, "-accel", "kvm", "-cpu", "host")
	} else {
		args = append(args, "-accel", "tcg", "-cpu", "max")
	}
	if c.Append != "" {
		args = append(args, "-append", c.Append)
	}
	if c.Initrd != "" {
		args = append(args, "-initrd", c.Initrd)
	}
	if c.Net != nil {
		args = append(args, c.Net.args(machine)...)
	}
	if c.GDBPort != 0 {
		args = append(args, "-gdb", "tcp:127.0.0.1:"+strconv.Itoa(c.GDBPort), "-S")
	}
	return args
}

// Run boots the kernel and waits for QEMU to exit or the timeout.
func Run(ctx context.Context, c Config) (*Result, error) {
	if _, err := exec.LookPath(Binary); err != nil {
		return nil, fmt.Errorf("%s not found: install Debian's qemu-system-x86 (make qemu does)", Binary)
	}
	timeout := c.Timeout
	if timeout == 0 {
		timeout = 2 * time.Minute
	}
	dir, err := os.MkdirTemp("", "oyako-qemu-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	side := filepath.Join(dir, "side.log")

	wiring, err := newStdioWiring(c.Stdio, 3)
	if err != nil {
		return nil, err
	}
	defer wiring.close()
	if w := c.Stdio.KernelWords(); len(w) > 0 {
		c.Append = strings.TrimSpace(strings.Join(w, " ") + " " + c.Append)
	}

	cancel := context.CancelFunc(func() {})
	if timeout != NoTimeout {
		ctx, cancel = context.WithTimeout(ctx, timeout)
	}
	defer cancel()
	cmd := exec.CommandContext(ctx, Binary, append(Args(&c, side), wiring.args...)...)
	cmd.ExtraFiles = wiring.qemu
	// QEMU dies with the harness: a test binary killed by its deadline
	// (or a person's ^C to oyako) must not leave a guest running. With
	// OwnGroup it has a process group of its own, so that a terminal's
	// ^C reaches only the harness, which passes it on.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: c.OwnGroup, Pdeathsig: syscall.SIGKILL}
	var serial lockedBuffer
	out := io.Writer(&serial)
	if c.Console != nil {
		out = io.MultiWriter(&serial, c.Console)
	}
	cmd.Stdout = out
	var qemuErr bytes.Buffer
	cmd.Stderr = &qemuErr
	// A file (a terminal) goes to QEMU as it is. Any other reader is
	// copied through a pipe by a goroutine Wait does not wait for: the
	// reader may block forever (EOFReader keeps the input open).
	var stdinPipe *os.File
	switch in := c.Stdin.(type) {
	case nil:
	case *os.File:
		cmd.Stdin = in
	default:
		pr, pw, err := os.Pipe()
		if err != nil {
			return nil, err
		}
		defer pr.Close()
		cmd.Stdin = pr
		stdinPipe = pw
		go func() {
			io.Copy(pw, in)
		}()
	}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		if stdinPipe != nil {
			stdinPipe.Close()
		}
		return nil, err
	}
	wiring.start()
	if c.Started != nil {
		c.Started(cmd.Process)
	}
	waitErr := cmd.Wait()
	wiring.wait()
	if stdinPipe != nil {
		stdinPipe.Close()
	}
	res := &Result{Status: -1, Serial: serial.Bytes(), Elapsed: time.Since(start)}
	res.Side, _ = os.ReadFile(side)
	res.Status = parseExit(res.Side)
	if cmd.ProcessState != nil {
		res.QEMUStatus = cmd.ProcessState.ExitCode()
	}
	if ctx.Err() == context.DeadlineExceeded {
		return res, fmt.Errorf("%w after %v; last serial output:\n%s", ErrTimeout, timeout, Tail(res.Serial, 30))
	}
	if c.Foreign {
		if waitErr != nil {
			return res, fmt.Errorf("QEMU: %v: %s; last serial output:\n%s", waitErr, strings.TrimSpace(qemuErr.String()), Tail(res.Serial, 30))
		}
		return res, nil
	}
	if res.Status < 0 {
		msg := strings.TrimSpace(qemuErr.String())
		if waitErr != nil && msg == "" {
			msg = waitErr.Error()
		}
		return res, fmt.Errorf("QEMU exited (status %d) without the kernel reporting an exit status: %s; last serial output:\n%s",
			res.QEMUStatus, msg, Tail(res.Serial, 30))
	}
	// isa-debug-exit reports (v<<1)|1; a mismatch means something other
	// than the kernel ended QEMU.
	if want := (res.Status<<1 | 1) & 0xff; res.QEMUStatus != want {
		return res, fmt.Errorf("kernel reported status %d but QEMU exited with %d", res.Status, res.QEMUStatus)
	}
	return res, nil
}

// parseExit finds the kernel's "oyako-exit N" line.
func parseExit(side []byte) int {
	sc := bufio.NewScanner(bytes.NewReader(side))
	status := -1
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "oyako-exit "); ok {
			if n, err := strconv.Atoi(strings.TrimSpace(v)); err == nil {
				status = n
			}
		}
	}
	return status
}

// Tail returns the last n lines of b.
func Tail(b []byte, n int) string {
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) Bytes() []byte {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]byte(nil), l.b.Bytes()...)
}
