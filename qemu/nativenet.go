package qemu

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"syscall"
	"time"
	"unsafe"
)

// A native run in a network namespace of its own (Case.NetNS) gives a
// network program the loopback device oyako gives it, apart from the
// host's: its ports, its TIME_WAIT sockets and its backlog are its own,
// so that concurrent test runs and whatever else listens on the host do
// not show in its transcript. A new namespace's lo is down and its
// net.ipv4.ping_group_range is "1 0" (no group may open ICMP echo
// sockets); oyako's lo is up and every group may, as most distributions
// set it. Go's os/exec can create the namespace but not configure it
// before the program starts, so the harness starts its own binary as
// the namespace's first process with nativeNetEnv naming the program;
// package initialization sees the variable and runs nativeNet, which
// brings lo up, opens ping_group_range and executes the program in its
// place.

// nativeNetEnv names the program in the environment of the harness
// binary started in a new network namespace.
const nativeNetEnv = "OYAKO_NATIVE_NET_PROGRAM"

func init() {
	if prog := os.Getenv(nativeNetEnv); prog != "" {
		nativeNet(prog, os.Args[1:])
	}
}

// nativeNet configures the new network namespace and executes program
// with argv. It never returns.
func nativeNet(program string, argv []string) {
	fail := func(what string, err error) {
		fmt.Fprintf(os.Stderr, "oyako native net: %s: %v\n", what, err)
		os.Exit(125)
	}
	if err := linkUp("lo"); err != nil {
		fail("bringing lo up", err)
	}
	// /proc/sys/net shows the namespace of the process that opens it.
	if err := os.WriteFile("/proc/sys/net/ipv4/ping_group_range", []byte("0 2147483647\n"), 0o644); err != nil {
		fail("ping_group_range", err)
	}
	resetSignals()
	fail("executing "+program, syscall.Exec(program, argv, nativeEnv))
}

// linkUp sets IFF_UP on the interface name (SIOCGIFFLAGS, SIOCSIFFLAGS).
func linkUp(name string) error {
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_DGRAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer syscall.Close(fd)
	var ifr struct {
		name  [syscall.IFNAMSIZ]byte
		flags uint16
		_     [22]byte
	}
	copy(ifr.name[:], name)
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, uintptr(fd), syscall.SIOCGIFFLAGS, uintptr(unsafe.Pointer(&ifr))); e != 0 {
		return e
	}
	ifr.flags |= syscall.IFF_UP
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, uintptr(fd), syscall.SIOCSIFFLAGS, uintptr(unsafe.Pointer(&ifr))); e != 0 {
		return e
	}
	return nil
}

// runNativeNet is RunNative in a network namespace of the program's own
// (see above); that needs root.
func runNativeNet(ctx context.Context, program string, argv []string, dir string, stdin []byte, timeout time.Duration) (*NativeResult, error) {
	if os.Geteuid() != 0 {
		return nil, fmt.Errorf("running %s natively in a network namespace needs root", argv[0])
	}
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	return runOnPTY(ctx, program, stdin, timeout, func(ctx context.Context) *exec.Cmd {
		cmd := exec.CommandContext(ctx, self)
		cmd.Args = argv
		cmd.Dir = dir
		cmd.Env = []string{nativeNetEnv + "=" + program}
		cmd.SysProcAttr = &syscall.SysProcAttr{
			Setsid: true, Setctty: true, Ctty: 0,
			Cloneflags: syscall.CLONE_NEWNET,
			Pdeathsig:  syscall.SIGKILL,
		}
		return cmd
	})
}
