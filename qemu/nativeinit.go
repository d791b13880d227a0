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

// A native run "as init" reproduces the place a program has in oyako, for
// cases whose results depend on it: the program is /init, process 1 of
// its own PID namespace (so orphans come back to it, kill(-1) reaches
// only its own descendants, and ps sees only them), with a root
// directory holding the same files as oyako's root (a chroot into a copy
// of the case's rootfs) and its own /proc. /dev is the host's, bound
// into the new root.
//
// Go's os/exec can create the namespaces (SysProcAttr.Cloneflags) but
// not mount anything inside them, and the proc file system must be
// mounted from inside the new PID namespace to show it. So the harness
// starts its own binary again, as the namespace's first process, with
// nativeInitEnv naming the new root; package initialization sees the
// variable and runs nativeInit, which mounts /proc and /dev, chroots,
// and executes /init in its place (keeping PID 1, the session and the
// controlling terminal).

// nativeInitEnv names the new root in the environment of the harness
// binary started as a native init.
const nativeInitEnv = "OYAKO_NATIVE_INIT_ROOT"

func init() {
	if root := os.Getenv(nativeInitEnv); root != "" {
		nativeInit(root, os.Args[1:])
	}
}

// nativeInit runs in the new namespaces: it makes the mounts it adds
// private to them, mounts /proc and /dev under root, enters root and
// executes /init with argv. It never returns.
func nativeInit(root string, argv []string) {
	fail := func(what string, err error) {
		fmt.Fprintf(os.Stderr, "oyako native init: %s: %v\n", what, err)
		os.Exit(125)
	}
	if err := syscall.Mount("", "/", "", syscall.MS_REC|syscall.MS_PRIVATE, ""); err != nil {
		fail("making / private", err)
	}
	if err := syscall.Mount("proc", root+"/proc", "proc", syscall.MS_NOSUID|syscall.MS_NODEV|syscall.MS_NOEXEC, ""); err != nil {
		fail("mounting /proc", err)
	}
	if err := syscall.Mount("/dev", root+"/dev", "", syscall.MS_BIND|syscall.MS_REC, ""); err != nil {
		fail("binding /dev", err)
	}
	if err := syscall.Chroot(root); err != nil {
		fail("chroot", err)
	}
	if err := syscall.Chdir("/"); err != nil {
		fail("chdir", err)
	}
	resetSignals()
	// ETXTBSY: the harness wrote /init moments ago, and a process another
	// test forked meanwhile may still hold the writable descriptor until
	// it executes its own program (golang.org/issue/22315): try again.
	err := syscall.Exec("/init", argv, nativeEnv)
	for i := 0; i < 100 && err == syscall.ETXTBSY; i++ {
		time.Sleep(20 * time.Millisecond)
		err = syscall.Exec("/init", argv, nativeEnv)
	}
	fail("executing /init", err)
}

// resetSignals gives the program what the kernel gives init: every
// signal's default action (a signal the harness was started with ignored
// would stay ignored across execve) and none blocked.
func resetSignals() {
	var dfl [4]uint64 // struct kernel_sigaction: handler SIG_DFL, no flags or mask
	for sig := 1; sig <= 64; sig++ {
		if sig != int(syscall.SIGKILL) && sig != int(syscall.SIGSTOP) {
			syscall.RawSyscall6(syscall.SYS_RT_SIGACTION, uintptr(sig), uintptr(unsafe.Pointer(&dfl)), 0, 8, 0, 0)
		}
	}
	var none uint64
	syscall.RawSyscall6(syscall.SYS_RT_SIGPROCMASK, 2 /* SIG_SETMASK */, uintptr(unsafe.Pointer(&none)), 0, 8, 0, 0)
}

// RunNativeInit runs the program installed as root/init with argv as
// oyako runs init (see above), on a pseudo-terminal, feeding it stdin
// followed by the EOF character. root must contain proc and dev
// directories. The harness must run as root.
func RunNativeInit(ctx context.Context, root string, argv []string, stdin []byte, timeout time.Duration) (*NativeResult, error) {
	if os.Geteuid() != 0 {
		return nil, fmt.Errorf("running %s natively as init needs root (a PID and a mount namespace, mounts, chroot)", argv[0])
	}
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	return runOnPTY(ctx, root+"/init", stdin, timeout, func(ctx context.Context) *exec.Cmd {
		cmd := exec.CommandContext(ctx, self)
		cmd.Args = append([]string{"oyako-native-init"}, argv...)
		cmd.Env = []string{nativeInitEnv + "=" + root}
		cmd.SysProcAttr = &syscall.SysProcAttr{
			Setsid: true, Setctty: true, Ctty: 0,
			Cloneflags: syscall.CLONE_NEWPID | syscall.CLONE_NEWNS,
			Pdeathsig:  syscall.SIGKILL,
		}
		return cmd
	})
}
