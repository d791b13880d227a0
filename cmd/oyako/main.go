// Command oyako is oyako's host tool: it builds the kernel image and boots
// it under QEMU.
//
//	oyako build                   build build/oyako.elf
//	oyako qemu [flags] [args]     boot the kernel (args go on its command line)
//	oyako run [flags] ELF [ARGS]  run a Linux program as init (a dynamically
//	                              linked one with its libraries from this host;
//	                              -p 8080:80 forwards host port 8080 to the guest's 80)
//	oyako run -gdb ELF [ARGS]     the same, halted under gdb (docs/gdb.md)
//	oyako gdb [flags] [args]      boot halted and attach gdb
//	oyako bench                   run the benchmarks on Linux and on oyako
//	oyako bench-linux             the same, Linux booted in the same QEMU
//	oyako fuzz [-n N] [-seed S]   run the system call fuzzer (make fuzz)
//	oyako profile                 count the instructions of system call paths (make profile)
//
// qemu, run and gdb have no time limit unless -timeout gives one.
//
// oyako qemu exits with the kernel's own exit status (0 after the
// self-check passes), which the kernel reports on QEMU's debugcon port;
// oyako run exits with the program's (128+signal if a signal killed it).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"
	"unsafe"

	"oyako/qemu"
)

func usage() {
	fmt.Fprintf(os.Stderr, `usage:
  oyako build
  oyako qemu [-userland busybox|debian] [-lib PATH]... [-add PATH]... [-m SIZE] [-machine microvm|q35] [-kvm] [-timeout D] [-net] [-p HOSTPORT:GUESTPORT]... [kernel args...]
  oyako run [-v] [-strace] [-t] [-i=false] [-rootfs DIR] [-lib PATH]... [-add PATH]... [-m SIZE] [-kvm] [-timeout D] [-net] [-p HOSTPORT:GUESTPORT]... [-kernel IMAGE] ELF [ARGS...]
  oyako run -gdb [-batch] [-ex CMD]... [run flags] ELF [ARGS...]
  oyako gdb [-m SIZE] [-machine microvm|q35] [-batch] [-ex CMD]... [kernel args...]
  oyako bench [-n ITERATIONS]
  oyako bench-linux [-n ITERATIONS] [-only procs]
  oyako fuzz [-n CALLS] [-seed N] [-m SIZE] [fuzzer flags...]
  oyako profile [-funcs N] [-keep FILE | -trace FILE]
`)
	os.Exit(2)
}

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	var err error
	status := 0
	switch os.Args[1] {
	case "build":
		var path string
		path, err = qemu.BuildKernel("")
		if err == nil {
			fmt.Println(path)
		}
	case "qemu":
		status, err = cmdQEMU(os.Args[2:])
	case "run":
		status, err = cmdRun(os.Args[2:])
	case "gdb":
		err = cmdGDB(os.Args[2:])
	case "bench":
		err = cmdBench(os.Args[2:])
	case "bench-linux":
		err = cmdBenchLinux(os.Args[2:])
	case "fuzz":
		status, err = cmdFuzz(os.Args[2:])
	case "profile":
		err = cmdProfile(os.Args[2:])
	default:
		usage()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "oyako:", err)
		if errors.Is(err, qemu.ErrTimeout) {
			os.Exit(124)
		}
		os.Exit(125)
	}
	os.Exit(status)
}

type bootFlags struct {
	mem, machine string
	kvm          bool
	timeout      time.Duration
	net          bool
	forwards     forwardFlag
}

// forwardFlag collects -p HOSTPORT:GUESTPORT flags.
type forwardFlag []qemu.Forward

func (f *forwardFlag) String() string { return fmt.Sprint(*f) }
func (f *forwardFlag) Set(s string) error {
	fw, err := qemu.ParseForward(s)
	if err != nil {
		return err
	}
	*f = append(*f, fw)
	return nil
}

func (b *bootFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&b.mem, "m", "128M", "guest RAM")
	fs.StringVar(&b.machine, "machine", "microvm", "QEMU machine: microvm or q35")
	fs.BoolVar(&b.kvm, "kvm", false, "use KVM instead of TCG")
	fs.DurationVar(&b.timeout, "timeout", 0, "kill QEMU after this long (0: never)")
	fs.BoolVar(&b.net, "net", false, "give the guest a network (eth0 on QEMU's user network; implied by -p)")
	fs.Var(&b.forwards, "p", "forward a host port to the guest: [HOSTADDR:]HOSTPORT:GUESTPORT[/udp] (repeatable)")
}

func (b *bootFlags) config(kernel string, args []string) qemu.Config {
	timeout := b.timeout
	if timeout == 0 {
		timeout = qemu.NoTimeout
	}
	c := qemu.Config{
		Kernel:  kernel,
		Append:  strings.Join(args, " "),
		Memory:  b.mem,
		Machine: b.machine,
		KVM:     b.kvm,
		Timeout: timeout,
	}
	if b.net || len(b.forwards) > 0 {
		if b.machine != "microvm" {
			fmt.Fprintf(os.Stderr, "oyako: -machine %s: no driver for its network device (virtio-net-pci); the guest has only lo\n", b.machine)
		}
		c.Net = &qemu.Net{Forwards: b.forwards}
	}
	return c
}

func cmdQEMU(argv []string) (int, error) {
	fs := flag.NewFlagSet("qemu", flag.ExitOnError)
	var b bootFlags
	b.register(fs)
	userland := fs.String("userland", "busybox", "the demo's programs: busybox, or debian (this host's bash, coreutils, ... with their libraries)")
	var libs, adds multiFlag
	fs.Var(&libs, "lib", "a host library to add at its path and in /usr/lib, with its libraries (repeatable)")
	fs.Var(&adds, "add", "a host file or directory to add at the same path, with the libraries its programs need (repeatable)")
	fs.Parse(argv)
	memSet := false
	fs.Visit(func(f *flag.Flag) { memSet = memSet || f.Name == "m" })
	if *userland == "debian" && !memSet {
		// The image is some 20 MB, and the kernel copies it into
		// its files.
		b.mem = "256M"
	}
	kernel, err := qemu.BuildKernel("")
	if err != nil {
		return 0, err
	}
	// The demo system: a shell script as init that starts busybox sh or
	// Debian's bash (the kernel option selfcheck runs the self-check
	// instead).
	bb, err := qemu.FindBusybox()
	if err != nil {
		return 0, err
	}
	initrd, err := qemu.Shell{Busybox: bb, Userland: *userland, Libs: libs, Add: adds}.Build()
	if err != nil {
		return 0, err
	}
	path, err := qemu.TempInitramfs(initrd)
	if err != nil {
		return 0, err
	}
	defer os.Remove(path)
	c := b.config(kernel, fs.Args())
	c.Initrd = path
	c.Console = os.Stdout
	c.Stdin = consoleInput()
	res, err := qemu.Run(context.Background(), c)
	if res != nil {
		for _, l := range qemu.DecodeCrash(res.Serial, kernel) {
			fmt.Println(l)
		}
	}
	if err != nil {
		return 0, err
	}
	return res.Status, nil
}

// interactive reports whether standard input is a terminal.
func interactive() bool { return isTTY(os.Stdin) }

// runStreams wires the program's standard streams as the same program
// would have them if run here (docker run's conventions): each stream
// that is a terminal here is the console terminal there, anything else
// (a pipe, a file, /dev/null, a closed descriptor) is a pipe carrying
// the same bytes. With forceTTY all three are the console (docker run
// -t), fed by this stdin; without input, stdin is empty (a pipe at its
// end, or a console nobody types on). It returns the writer the console
// goes through: this terminal (stdout if it is one, else stderr, else
// stdin's); with no terminal, stderr if verbose, else nowhere.
func runStreams(c *qemu.Config, forceTTY, input, verbose bool) *qemu.CRLFWriter {
	if forceTTY {
		if input {
			c.Stdin = consoleInput()
		}
		w := &qemu.CRLFWriter{W: os.Stdout}
		c.Console = w
		return w
	}
	inTTY, outTTY, errTTY := isTTY(os.Stdin), isTTY(os.Stdout), isTTY(os.Stderr)
	st := &qemu.Stdio{}
	switch {
	case !input:
		st.Stdin = strings.NewReader("")
	case inTTY:
		c.Stdin = os.Stdin // QEMU puts the terminal in raw mode
	default:
		st.Stdin = os.Stdin
		st.StdinGone = func() { os.Stdin.Close() }
	}
	if c.Stdin == nil {
		// No terminal in raw mode takes ^C to the console: the
		// signals a terminal sends become its characters.
		c.Stdin = newSignalInput()
		c.OwnGroup = true
	}
	if !outTTY {
		st.Stdout = os.Stdout
	}
	if !errTTY {
		if !outTTY && sameFile(os.Stdout, os.Stderr) {
			st.StderrIsStdout = true
		} else {
			st.Stderr = os.Stderr
		}
	}
	c.Stdio = st
	// A host reader that went away makes writes fail with EPIPE instead
	// of killing the harness, which then closes the program's pipe.
	signal.Ignore(syscall.SIGPIPE)
	// With no terminal here, the console is a terminal nobody looks
	// at: its output (the echo of a ^C passed on, what a program writes
	// to /dev/tty) is dropped, unless the kernel log or strace's lines
	// were asked for.
	console := io.Discard
	if verbose {
		console = os.Stderr
	}
	switch {
	case outTTY:
		console = os.Stdout
	case errTTY:
		console = os.Stderr
	case inTTY:
		if tty, err := os.OpenFile("/dev/tty", os.O_WRONLY, 0); err == nil {
			console = tty
		}
	}
	w := &qemu.CRLFWriter{W: console}
	c.Console = w
	return w
}

// signalInput feeds the console the characters of the terminal signals
// oyako receives: ^C for SIGINT, ^\ for SIGQUIT. The console's line
// discipline turns them back into the signals, for the program's
// foreground process group (docker run's --sig-proxy, for what a
// terminal would send).
type signalInput chan os.Signal

func newSignalInput() signalInput {
	ch := make(signalInput, 4)
	signal.Notify(ch, syscall.SIGINT, syscall.SIGQUIT)
	return ch
}

func (s signalInput) Read(p []byte) (int, error) {
	if <-s == syscall.SIGQUIT {
		p[0] = 0x1c
	} else {
		p[0] = 0x03
	}
	return 1, nil
}

// isTTY reports whether f is a terminal (isatty: the TCGETS ioctl; a
// character device such as /dev/null is not one).
func isTTY(f *os.File) bool {
	var t syscall.Termios
	_, _, e := syscall.Syscall(syscall.SYS_IOCTL, f.Fd(), syscall.TCGETS, uintptr(unsafe.Pointer(&t)))
	return e == 0
}

// sameFile reports whether a and b are the same open file or pipe (2>&1).
func sameFile(a, b *os.File) bool {
	var sa, sb syscall.Stat_t
	if syscall.Fstat(int(a.Fd()), &sa) != nil || syscall.Fstat(int(b.Fd()), &sb) != nil {
		return false
	}
	return sa.Dev == sb.Dev && sa.Ino == sb.Ino
}

// windowSize is the size of this terminal (the first of stdin, stdout and
// stderr that is one).
func windowSize() (ws struct{ Row, Col, X, Y uint16 }, ok bool) {
	for _, f := range []*os.File{os.Stdin, os.Stdout, os.Stderr} {
		if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, f.Fd(), syscall.TIOCGWINSZ, uintptr(unsafe.Pointer(&ws))); e == 0 {
			return ws, true
		}
	}
	return ws, false
}

// windowChanges sends this terminal's size each time it changes
// (SIGWINCH).
func windowChanges() <-chan [2]uint16 {
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGWINCH)
	sizes := make(chan [2]uint16)
	go func() {
		for range sig {
			if ws, ok := windowSize(); ok {
				sizes <- [2]uint16{ws.Row, ws.Col}
			}
		}
	}()
	return sizes
}

// consoleInput is what feeds the serial console: the terminal itself
// (QEMU puts it in raw mode), or anything else followed by ^D, the
// console's end-of-file (a serial port cannot signal the end of input).
func consoleInput() io.Reader {
	if interactive() {
		return os.Stdin
	}
	return &qemu.EOFReader{R: os.Stdin}
}

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, "; ") }
func (m *multiFlag) Set(s string) error { *m = append(*m, s); return nil }

func cmdGDB(argv []string) error {
	fs := flag.NewFlagSet("gdb", flag.ExitOnError)
	var b bootFlags
	b.register(fs)
	var g gdbFlags
	g.register(fs)
	fs.Parse(argv)
	kernel, err := qemu.BuildKernel("")
	if err != nil {
		return err
	}
	c := b.config(kernel, fs.Args())
	fmt.Fprintf(os.Stderr, "oyako: QEMU is halted at the first instruction; try: break 'oyako/kernel.Start', continue, bt\n")
	_, err = qemu.GDB(context.Background(), qemu.GDBConfig{
		Boot:     c,
		Commands: g.cmds,
		Batch:    g.batch,
		Stdin:    os.Stdin,
		Stdout:   os.Stdout,
		Stderr:   os.Stderr,
	})
	return err
}

func cmdRun(argv []string) (int, error) {
	fs := flag.NewFlagSet("run", flag.ExitOnError)
	var b bootFlags
	b.register(fs)
	verbose := fs.Bool("v", false, "show the kernel's banner and log")
	strace := fs.Bool("strace", false, "print the program's system calls (strace format)")
	rootfs := fs.String("rootfs", "", "directory to add to the initramfs")
	var libs, adds multiFlag
	fs.Var(&libs, "lib", "a host library the program dlopens: added at its path and in /usr/lib, with its libraries (repeatable)")
	fs.Var(&adds, "add", "a host file or directory to add at the same path, with the libraries its programs need (repeatable)")
	forceTTY := fs.Bool("t", false, "give the program the console terminal as stdin, stdout and stderr, whatever they are here")
	input := fs.Bool("i", true, "give the program this stdin (-i=false: an empty one)")
	image := fs.String("kernel", "", "boot this kernel image instead of building one")
	var g gdbFlags
	fs.BoolVar(&g.on, "gdb", false, "start halted under gdb with the kernel's and the program's symbols")
	g.register(fs)
	fs.Parse(argv)
	if fs.NArg() < 1 {
		usage()
	}
	kernel := *image
	if kernel == "" {
		var err error
		if kernel, err = qemu.BuildKernel(""); err != nil {
			return 0, err
		}
	}
	img := qemu.Initramfs{Program: fs.Arg(0), Rootfs: *rootfs, Libs: libs, Add: adds}
	if g.on {
		return runGDB(kernel, b, g, img, *verbose, *strace, fs.Args())
	}
	var opts []string
	if !*verbose {
		opts = append(opts, "quiet")
	}
	if *strace {
		opts = append(opts, "strace")
	}
	if ws, ok := windowSize(); ok {
		opts = append(opts, fmt.Sprintf("winsize=%dx%d", ws.Row, ws.Col))
	}
	c, remove, err := qemu.ImageBoot(b.config(kernel, nil), img, opts, fs.Args()[1:])
	if err != nil {
		return 0, err
	}
	defer remove()
	virtio := c.Machine == "microvm"
	if !virtio && !*forceTTY {
		// Pipes need microvm's virtio-mmio transports.
		fmt.Fprintf(os.Stderr, "oyako: -machine %s: the program's streams are the console (-t)\n", c.Machine)
		*forceTTY = true
	}
	console := runStreams(&c, *forceTTY, *input, *verbose || *strace)
	if _, ok := windowSize(); ok && virtio {
		if c.Stdio == nil {
			c.Stdio = &qemu.Stdio{}
		}
		c.Stdio.Resize = windowChanges()
	}
	res, err := qemu.Run(context.Background(), c)
	console.Flush()
	if res != nil {
		printKernelReports(res.Side, res.Serial, kernel)
	}
	if err != nil {
		return 0, err
	}
	return res.Status, nil
}

// gdbFlags are the debugging flags of oyako gdb and oyako run -gdb.
type gdbFlags struct {
	on, batch bool // on: oyako run -gdb
	cmds      multiFlag
}

// register adds -ex and -batch (oyako run adds -gdb itself).
func (g *gdbFlags) register(fs *flag.FlagSet) {
	fs.Var(&g.cmds, "ex", "a gdb command to run after attaching (repeatable)")
	fs.BoolVar(&g.batch, "batch", false, "run gdb in batch mode (exit after the -ex commands)")
}

// runGDB runs program (args[0]) as init under gdb: QEMU starts halted,
// gdb loads the kernel's symbols, the program's at the addresses it will
// run at, and oyako's helpers, and attaches. The program's output goes to
// the terminal with gdb's; its input is empty (gdb reads the terminal).
// It returns the program's exit status if it ended during the session.
func runGDB(kernel string, b bootFlags, g gdbFlags, img qemu.Initramfs, verbose, strace bool, args []string) (int, error) {
	opts := []string{"gdb"}
	if !verbose {
		opts = append(opts, "quiet")
	}
	if strace {
		opts = append(opts, "strace")
	}
	c, remove, err := qemu.ImageBoot(b.config(kernel, nil), img, opts, args[1:])
	if err != nil {
		return 0, err
	}
	defer remove()
	out := &qemu.CRLFWriter{W: os.Stdout}
	c.Console = out
	if !g.batch {
		fmt.Fprintf(os.Stderr, "oyako: QEMU is halted before the kernel's first instruction; try: break main, continue, oyako-ps (see docs/gdb.md)\n")
	}
	res, err := qemu.GDB(context.Background(), qemu.GDBConfig{
		Boot:     c,
		Program:  args[0],
		Commands: g.cmds,
		Batch:    g.batch,
		Stdin:    os.Stdin,
		Stdout:   os.Stdout,
		Stderr:   os.Stderr,
	})
	out.Flush()
	if err != nil {
		return 0, err
	}
	if res == nil {
		return 0, nil // gdb quit while the program still ran
	}
	return res.Status, nil
}

// buildBench builds the kernel and user/c/bench.c, in a temporary
// directory that done removes.
func buildBench() (kernel, prog string, done func(), err error) {
	if kernel, err = qemu.BuildKernel(""); err != nil {
		return "", "", nil, err
	}
	root, err := qemu.RepoRoot()
	if err != nil {
		return "", "", nil, err
	}
	dir, err := os.MkdirTemp("", "oyako-bench-")
	if err != nil {
		return "", "", nil, err
	}
	if prog, err = qemu.BuildUserC(root, dir, "bench"); err != nil {
		os.RemoveAll(dir)
		return "", "", nil, err
	}
	return kernel, prog, func() { os.RemoveAll(dir) }, nil
}

// cmdBench builds user/c/bench.c and runs it natively and in oyako, one
// after the other, and prints both sides with their ratio.
func cmdBench(argv []string) error {
	fs := flag.NewFlagSet("bench", flag.ExitOnError)
	n := fs.Int("n", 200000, "iterations per round")
	fs.Parse(argv)
	kernel, prog, done, err := buildBench()
	if err != nil {
		return err
	}
	defer done()
	res, err := qemu.BenchSideBySide(context.Background(), kernel, qemu.Case{Program: prog, Args: []string{fmt.Sprint(*n)}, Add: qemu.BenchAdd()}, 10*time.Minute)
	if err != nil {
		return err
	}
	fmt.Printf("oyako bench: user/c/bench.c, %d iterations x 9 rounds, median of rounds; oyako under QEMU TCG\n", *n)
	qemu.PrintBench(os.Stdout, res)
	streams, err := qemu.BenchStdio(context.Background(), kernel, 64<<20, 3)
	if err != nil {
		return err
	}
	qemu.PrintStdioBench(os.Stdout, streams)
	return nil
}

// cmdProfile prints the instruction profile of the system call path
// (qemu.Profile): the instructions of each profiled call by part, its
// expensive instructions and its functions, largest first.
func cmdProfile(argv []string) error {
	fs := flag.NewFlagSet("profile", flag.ExitOnError)
	funcs := fs.Int("funcs", 0, "list at most this many functions per call (0: all)")
	trace := fs.String("trace", "", "classify this trace of build/oyako.elf (kept by -keep) instead of making one")
	keep := fs.String("keep", "", "keep the trace in this file")
	fs.Parse(argv)
	kernel, err := qemu.BuildKernel("")
	if err != nil {
		return err
	}
	var calls []*qemu.ProfileCall
	start := time.Now()
	if *trace != "" {
		f, err := os.Open(*trace)
		if err != nil {
			return err
		}
		defer f.Close()
		calls, err = qemu.ProfileTrace(kernel, f)
	} else {
		calls, err = qemu.Profile(context.Background(), kernel, *keep)
	}
	if err != nil {
		return err
	}
	fmt.Printf("oyako profile: kernel instructions per system call, from the user's SYSCALL to the next user instruction (%v)\n", time.Since(start).Round(time.Second))
	qemu.PrintProfile(os.Stdout, calls, *funcs)
	return nil
}

// cmdBenchLinux builds user/c/bench.c and boots it as /init on Debian's
// Linux cloud kernel and then on oyako, under the same QEMU flags, and
// prints one table of both with their ratio.
func cmdBenchLinux(argv []string) error {
	fs := flag.NewFlagSet("bench-linux", flag.ExitOnError)
	n := fs.Int("n", qemu.BenchLinuxIterations, "iterations per round")
	only := fs.String("only", "", `run one group of rows only: "procs" (process creation and sleep-process)`)
	fs.Parse(argv)
	args := []string{fmt.Sprint(*n)}
	switch *only {
	case "":
	case "procs":
		args = append([]string{*only}, args...)
	default:
		return fmt.Errorf("bench-linux: unknown group of rows %q", *only)
	}
	kernel, prog, done, err := buildBench()
	if err != nil {
		return err
	}
	defer done()
	start := time.Now()
	res, err := qemu.BenchLinux(context.Background(), kernel, qemu.Initramfs{Program: prog, Add: qemu.BenchAdd()}, args, 10*time.Minute)
	if err != nil {
		return err
	}
	fmt.Printf("oyako bench-linux: user/c/bench.c as /init, %d iterations x 9 rounds, median of rounds;\n", *n)
	fmt.Printf("QEMU %s, TCG, -cpu max, %s, on %s and on oyako (boots took %v and %v)\n",
		"microvm", qemu.BenchLinuxMemory, filepath.Base(res.LinuxKernel),
		res.Linux.Elapsed.Round(time.Second), res.Oyako.Elapsed.Round(time.Second))
	qemu.PrintLinuxBench(os.Stdout, res)
	fmt.Printf("total %v\n", time.Since(start).Round(time.Second))
	return nil
}

// printKernelReports prints, on stderr, what the kernel reported on its
// side channel and a crash report decoded from its console, if any.
func printKernelReports(side, serial []byte, kernel string) {
	for _, r := range qemu.SideReports(side) {
		fmt.Fprintln(os.Stderr, "oyako:", r)
	}
	for _, l := range qemu.DecodeCrash(serial, kernel) {
		fmt.Fprintln(os.Stderr, l)
	}
}
