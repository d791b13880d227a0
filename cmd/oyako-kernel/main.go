// Command oyako-kernel is the oyako kernel image: an ordinary static Go
// program for linux/amd64, booted on bare metal by boot/ (imported below
// for its side effect of being linked in). Its argv is the kernel command
// line; words after "--" are the arguments of the init program:
//
//	quiet          no banner and no kernel log lines on the console
//	strace         print init's system calls in strace's format
//	rtrace         log every system call the kernel's Go runtime makes
//	init=PATH      the program to run as process 1 (default /init)
//	argv0=NAME     init's argv[0] (default PATH)
//	crash=KIND     crash deliberately: pagefault, gp, ud, panic (in Go
//	               code), service (in a runtime service), irq (in an
//	               interrupt handler), hang
//	selfcheck      run the self-check even if there is an initramfs
//	sysstats       when init exits, write per-system-call counts and the
//	               errnos returned to the side channel (oyako-sys lines)
//	stdio=XYZ      init's stdin, stdout and stderr: t the console
//	               terminal (the default), p a pipe to the host through
//	               the virtio console's port 1, 2 or 3; stderr may be 1,
//	               the pipe of stdout (kernel.StartStdio)
//	winsize=RxC    the console terminal's window size in rows and columns
//	resize         the virtio console's port 4 brings the host terminal's
//	               later sizes
//
// With an initramfs (QEMU -initrd) it runs init as process 1 on the
// console and powers off with init's exit status (128+signal if a signal
// killed it). Without one it runs the self-check and powers off with 0 if
// every check passed.
package main

import (
	"encoding/base64"
	"fmt"
	"io"
	"os"
	"strings"

	glog "gvisor.dev/gvisor/pkg/log"
	"gvisor.dev/gvisor/pkg/tcpip"

	"oyako/boot"
	"oyako/fs"
	"oyako/kernel"
	"oyako/kernel/klog"
	"oyako/kernel/netdev"
	"oyako/kernel/selfcheck"
	"oyako/kernel/task"
	"oyako/socket/inet"
	"oyako/syscalls"
)

func main() {
	kernel.Start()
	var opts struct {
		quiet, strace, selfcheck bool
		sysstats, resize         bool
		args64                   bool // the words after "--" are base64 (qemu.InitCmdline)
		init, argv0, crash       string
		stdio, winsize           string
		initArgs                 []string
	}
	opts.init = "/init"
	args := os.Args[1:]
	for i, arg := range args {
		if arg == "--" {
			opts.initArgs = args[i+1:]
			break
		}
		switch {
		case arg == "quiet":
			opts.quiet = true
		case arg == "strace":
			opts.strace = true
		case arg == "selfcheck":
			opts.selfcheck = true
		case arg == "sysstats":
			opts.sysstats = true
		case arg == "gdb":
			// A debugger is attached: keep each system call in
			// progress decoded for its helpers (oyako-syscall).
			task.DebugSyscalls = true
		case arg == "resize":
			opts.resize = true
		case arg == "args64":
			opts.args64 = true
		case strings.HasPrefix(arg, "init="):
			opts.init = strings.TrimPrefix(arg, "init=")
		case strings.HasPrefix(arg, "argv0="):
			opts.argv0 = strings.TrimPrefix(arg, "argv0=")
		case strings.HasPrefix(arg, "crash="):
			opts.crash = strings.TrimPrefix(arg, "crash=")
		case strings.HasPrefix(arg, "stdio="):
			opts.stdio = strings.TrimPrefix(arg, "stdio=")
		case strings.HasPrefix(arg, "winsize="):
			opts.winsize = strings.TrimPrefix(arg, "winsize=")
		}
	}
	if opts.args64 {
		for i, a := range opts.initArgs {
			b, err := base64.RawURLEncoding.DecodeString(a)
			if err != nil {
				fmt.Printf("oyako: args64: argument %d: %v\n", i+1, err)
				kernel.PowerOff(2)
			}
			opts.initArgs[i] = string(b)
		}
	}
	// A quiet boot keeps the banner in the log ring only (oyako-log).
	var banner io.Writer = os.Stdout
	if opts.quiet {
		banner = klog.RingOnly{}
	}
	// gVisor's packages (netstack) log through its pkg/log, whose
	// default target is standard error: here the console, where a
	// program's output goes. Their warnings (a SYN dropped by a full
	// listen queue) belong to the kernel's log, like the banner.
	glog.SetTarget(glog.GoogleEmitter{Writer: &glog.Writer{Next: banner}})
	kernel.PrintBanner(banner)
	fmt.Fprintf(banner, "oyako: entered at physical %#x by the PVH loader\n", boot.BootInfo().PVHEntry)
	if opts.crash != "" {
		fmt.Printf("oyako: crashing on purpose: %s\n", opts.crash)
		if err := kernel.Crash(opts.crash); err != nil {
			fmt.Println("oyako:", err)
			os.Exit(1)
		}
	}
	if initramfs := kernel.Initramfs(); initramfs != nil && !opts.selfcheck {
		argv0 := opts.argv0
		if argv0 == "" {
			argv0 = opts.init
		}
		status := runInit(initramfs, opts.init, append([]string{argv0}, opts.initArgs...), opts.strace, opts.stdio, opts.winsize, opts.resize)
		if opts.sysstats {
			syscalls.ReportStats()
		}
		kernel.PowerOff(status)
	}
	runSelfCheck()
}

// runInit runs the init program and returns the exit status to power off
// with, once its output reached the host.
func runInit(initramfs []byte, path string, argv []string, strace bool, stdio, winsize string, resize bool) int {
	if err := kernel.StartConsole(); err != nil {
		fmt.Println("oyako: console:", err)
		return 1
	}
	if winsize != "" {
		var rows, cols uint16
		if _, err := fmt.Sscanf(winsize, "%dx%d", &rows, &cols); err != nil {
			fmt.Printf("oyako: winsize=%s: want ROWSxCOLS\n", winsize)
		}
		kernel.Console.Resize(fs.Winsize{Row: rows, Col: cols})
	}
	if err := task.SetupRoot(initramfs); err != nil {
		fmt.Println("oyako: initramfs:", err)
		return 1
	}
	startNetwork()
	files, err := kernel.StartStdio(stdio, resize)
	if err != nil {
		// The streams stay on the console.
		fmt.Println("oyako: stdio:", err)
	}
	defer kernel.FlushStdio()
	// Linux gives init HOME and TERM; PATH is docker's default, so that
	// programs that look commands up (Go's os/exec) find them, as they
	// would in a container. qemu.RunNative gives native runs the same.
	envp := []string{"HOME=/", "TERM=linux", "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}
	if strace {
		syscalls.StraceExecve(path, argv, envp)
	}
	p, err := task.StartInit(path, argv, envp, strace, files)
	if err != nil {
		fmt.Printf("oyako: cannot run %s: %v\n", path, err)
		return task.ExecStatus(err)
	}
	<-p.Done()
	if strace {
		syscalls.StraceExited(p.ExitStatus())
	}
	return task.ShellStatus(p.ExitStatus())
}

// QEMU's user network (slirp): the guest's address, the gateway (the
// host, 10.0.2.2) and the DNS server (10.0.2.3, in /etc/resolv.conf).
var (
	eth0Addr    = tcpip.AddrFrom4([4]byte{10, 0, 2, 15})
	eth0Gateway = tcpip.AddrFrom4([4]byte{10, 0, 2, 2})
)

// startNetwork brings up eth0 if QEMU gives a virtio network device,
// configured statically as QEMU's user network expects. The driver
// starts now (about 3 ms under TCG: its buffers and the device's set-up;
// the probe alone, without a device, takes 0.2 ms); the network stack,
// ten times that, is then made in the background with eth0 in it
// (inet.AddInterface, inet.Stack).
func startNetwork() {
	dev, err := kernel.StartNet()
	if err != nil {
		fmt.Println("oyako: eth0:", err)
		return
	}
	if dev == nil {
		return
	}
	_, err = inet.AddInterface(inet.Interface{
		Name:      "eth0",
		Link:      netdev.New(dev, dev.MAC, dev.MTU),
		Addr:      eth0Addr,
		PrefixLen: 24,
		Gateway:   eth0Gateway,
	})
	if err != nil {
		fmt.Println("oyako: eth0:", err)
		return
	}
	// With a device, make the stack now, in the background, so that
	// eth0 answers from boot as Linux's does: ARP and NDP, IPv6
	// autoconfiguration, and a reset for a connection to a port nobody
	// listens on (a host's connection through a forwarded port would
	// otherwise wait until a program first used the network). Without
	// one, the stack waits for the first socket.
	go inet.Stack()
	m := dev.MAC
	klog.Log(fmt.Sprintf("oyako: eth0: virtio-net %02x:%02x:%02x:%02x:%02x:%02x, %v/24 via %v, MTU %d",
		m[0], m[1], m[2], m[3], m[4], m[5], eth0Addr, eth0Gateway, dev.MTU))
}

func runSelfCheck() {
	res, err := selfcheck.Run(os.Stdout, selfcheck.Config{
		Goroutines:   1000,
		RAMBytes:     ramSize(),
		GCFactor:     4,
		FramesInUse:  kernel.MemoryInUse,
		PeakFrames:   kernel.PeakMemory,
		ServiceCalls: kernel.ServiceCalls,
	})
	if err != nil {
		fmt.Printf("self-check FAILED: %v\n", err)
		os.Exit(1)
	}
	fmt.Printf("self-check ok (checks took %v; %.0f ms since the PVH entry; peak memory %d MiB)\n",
		res.Elapsed.Round(1e6), float64(kernel.Uptime())/1e6, kernel.PeakMemory(false)>>20)
}

// ramSize is the guest's RAM size: the memory map's RAM rounded up to 16
// MiB, since firmware holes make it slightly less than QEMU's -m.
func ramSize() uint64 {
	const unit = 16 << 20
	return (kernel.Boot.RAMBytes() + unit - 1) / unit * unit
}
