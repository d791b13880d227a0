package qemu

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"
)

// The conformance suite runs each program natively and in oyako and
// requires the same transcript and exit status (DESIGN.md §7). Its last
// step checks that together the programs made every system call stage 2
// implements and took the error paths that matter.
func TestConformance(t *testing.T) {
	t.Run("c", conformanceC)
	t.Run("go", conformanceGo)
	t.Run("busybox", conformanceBusybox)
	t.Run("sh", conformanceShell)
	t.Run("proc", conformanceProcShapes)
	t.Run("isolation", isolation)
	t.Run("vdso", conformanceVDSO)
	t.Run("coverage", checkCoverage)
}

func userPrograms(t *testing.T) (root, dir string) {
	t.Helper()
	kernelImage(t)
	root, err := RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := exec.LookPath("gcc"); err != nil {
		t.Fatal("gcc is needed to build the conformance programs (make test installs it)")
	}
	return root, t.TempDir()
}

// compare runs c on both sides, requires the same transcript and exit
// status, adds oyako's system call counters to the suite's coverage and
// returns oyako's outcome.
func compare(t *testing.T, c Case) *Outcome {
	t.Helper()
	host, oy := runSides(t, c)
	sameOutcome(t, host, oy)
	return oy
}

// sameOutcome requires the same transcript and exit status of both sides.
func sameOutcome(t *testing.T, host, oy *Outcome) {
	t.Helper()
	if d := Diff(host.Output, oy.Output); d != "" {
		t.Errorf("transcripts differ:\n%s", d)
	}
	if host.Status != oy.Status {
		t.Errorf("exit status: linux %d, oyako %d", host.Status, oy.Status)
	}
	if t.Failed() {
		t.Logf("oyako side channel: %s", oy.Side)
	}
}

// runSides runs c natively and in oyako and adds oyako's system call
// counters to the suite's coverage.
func runSides(t *testing.T, c Case) (host, oy *Outcome) {
	t.Helper()
	host, oy = runBoth(t, c)
	coverage.add(SyscallStats(oy.Side))
	return host, oy
}

// runBoth runs c natively and in oyako, with the kernel's system call
// counters in oyako's side channel.
func runBoth(t *testing.T, c Case) (host, oy *Outcome) {
	t.Helper()
	ctx := context.Background()
	host, err := RunHost(ctx, c, time.Minute)
	if err != nil {
		t.Fatalf("native: %v", err)
	}
	oy, err = RunOyako(ctx, kernelImage(t), c, 2*time.Minute, "sysstats")
	if err != nil {
		var sofar []byte
		if oy != nil {
			sofar = oy.Output
		}
		t.Fatalf("oyako: %v\noutput so far:\n%s", err, sofar)
	}
	return host, oy
}

func conformanceC(t *testing.T) {
	root, dir := userPrograms(t)
	rootfs := filepath.Join(root, "user", "rootfs")
	for _, c := range []struct {
		name, src, mode string
		mountNS         bool // natively in a mount namespace of its own (Case.MountNS)
		init            bool // run as init natively too (Case.Init)
	}{
		{"files", "files", "-static", false, false},
		{"memory", "memory", "-static", false, false},
		{"threads", "threads", "-static", false, false},
		{"misc", "misc", "-static", false, false},
		{"execself", "execself", "-static", false, false},
		{"interp", "interp", "-static", false, false},
		{"locks", "locks", "-static", false, false},
		{"pipes", "pipes", "-static", false, false},
		{"procfs", "procfs", "-static", false, false},
		{"vfs", "vfs", "-static", false, false},
		// Extended attributes: tmpfs's, procfs's, pipes', sockets'.
		{"xattr", "xattr", "-static", false, false},
		{"epollnest", "epollnest", "-static", false, false},
		{"readiness", "readiness", "-static", false, false},
		{"biglen", "biglen", "-static", false, false},
		{"badframe", "badframe", "-static", false, false},
		{"stopcont", "stopcont", "-static", false, false},
		{"vforkthread", "vforkthread", "-static", false, false},
		{"sigqueue", "sigqueue", "-static", false, false},
		{"timers", "timers", "-static", false, false},
		{"timerfd", "timerfd", "-static", false, false},
		{"signalfd", "signalfd", "-static", false, false},
		{"sigframe", "sigframe", "-static", false, false},
		{"sigreturn", "sigreturn", "-static", false, false},
		// AF_UNIX sockets (stage 7), and an edge-triggered epoll echo
		// server with 100 forked clients.
		{"unix_stream", "unix_stream", "-static", false, false},
		{"unix_dgram", "unix_dgram", "-static", false, false},
		{"unix_scm", "unix_scm", "-static", false, false},
		{"unix_echo", "unix_echo", "-static", false, false},
		// Network interfaces (stage 10): SIOCGIF* on every kind of
		// socket, NETLINK_ROUTE sockets, all about lo.
		{"netinfo", "netinfo", "-static", false, false},
		// preadv, pwritev and their v2 forms with the RWF_ flags.
		{"preadv", "preadv", "-static", false, false},
		// Vector registers, MXCSR and x87 kept across the fast path, the
		// slow path, a switch to another process and a signal handler.
		{"vecstate", "vecstate", "-static", false, false},
		// io_uring (stage 8): setup's checks, plain, vectored, fixed
		// buffer and fixed file I/O, register, the probe, enter; SQPOLL.
		{"uring_basic", "uring_basic", "-static", false, false},
		{"uring_sqpoll", "uring_sqpoll", "-static", false, false},
		// io_uring's socket and file-system opcodes (stage 8), and an
		// echo server on io_uring with 100 forked clients.
		{"uring_net", "uring_net", "-static", false, false},
		{"uring_fs", "uring_fs", "-static", false, false},
		{"uring_echo", "uring_echo", "-static", false, false},
		// io_uring through liburing (stage 8): chains, drain, overflow
		// and interrupted waits; timeouts and cancellation; polls.
		{"uring_link", "uring_link", "-static", false, false},
		{"uring_timeout", "uring_timeout", "-static", false, false},
		{"uring_poll", "uring_poll", "-static", false, false},
		// Native mounts need root and a mount namespace of their own.
		{"mounts", "mounts", "-static", true, false},
		// Processes: their results depend on the process tree, so they
		// run as init on both sides.
		{"locks2", "locks2", "-static", false, true},
		{"priority", "priority", "-static", false, true},
		{"fork", "fork", "-static", false, true},
		{"vfork", "vfork", "-static", false, true},
		{"shm", "shm", "-static", false, true},
		{"signals", "signals", "-static", false, true},
		// The same checks as a static PIE (ET_DYN without an interpreter).
		{"misc-pie", "misc", "-static-pie", false, false},
		{"memory-pie", "memory", "-static-pie", false, false},
		{"fork-pie", "fork", "-static-pie", false, true},
	} {
		prog, err := BuildUserCAs(root, dir, c.src, c.name, c.mode)
		if err != nil {
			t.Fatal(err)
		}
		if c.mountNS && os.Geteuid() != 0 {
			t.Run(c.name, func(t *testing.T) { t.Skip("mounting natively needs root") })
			continue
		}
		coverage.expect()
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			compare(t, Case{Name: c.name, Program: prog, Rootfs: rootfs, MountNS: c.mountNS, Init: c.init})
		})
	}
	// TCP, UDP and ICMP echo sockets over loopback (stage 10), and the
	// epoll and io_uring echo servers with 1,000 connections: natively in
	// a network namespace of their own (Case.NetNS), whose ports, backlog
	// and ping_group_range are theirs as oyako's are.
	for _, name := range []string{"tcp", "udp", "inet_cmsg", "uring_inet", "tcp_echo", "uring_tcp_echo"} {
		prog, err := BuildUserC(root, dir, name)
		if err != nil {
			t.Fatal(err)
		}
		if os.Geteuid() != 0 {
			t.Run(name, func(t *testing.T) { t.Skip("a network namespace natively needs root") })
			continue
		}
		coverage.expect()
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			compare(t, Case{Name: name, Program: prog, Rootfs: rootfs, NetNS: true})
		})
	}
	// ftruncate of mapped files: skipped until oyako has ftruncate.
	shm := filepath.Join(dir, "shm")
	coverage.expect()
	t.Run("shm-truncate", func(t *testing.T) {
		t.Parallel()
		c := Case{Name: "shm-truncate", Program: shm, Args: []string{"truncate"}, Rootfs: rootfs, Init: true}
		host, oy := runSides(t, c)
		if SyscallStats(oy.Side)["ftruncate"].Errnos["ENOSYS"] {
			t.Skip("oyako has no ftruncate(2) yet")
		}
		if d := Diff(host.Output, oy.Output); d != "" || host.Status != oy.Status {
			t.Errorf("transcripts differ (exit status linux %d, oyako %d):\n%s", host.Status, oy.Status, d)
		}
	})
}

func conformanceGo(t *testing.T) {
	root, dir := userPrograms(t)
	prog, err := BuildUserGo(root, dir, "threads")
	if err != nil {
		t.Fatal(err)
	}
	coverage.expect()
	t.Run("threads", func(t *testing.T) {
		compare(t, Case{Name: "go-threads", Program: prog, Rootfs: filepath.Join(root, "user", "rootfs")})
	})
	// runtime/pprof samples with timer_create and ITIMER_PROF.
	prog, err = BuildUserGo(root, dir, "profile")
	if err != nil {
		t.Fatal(err)
	}
	coverage.expect()
	t.Run("profile", func(t *testing.T) {
		compare(t, Case{Name: "go-profile", Program: prog, Rootfs: filepath.Join(root, "user", "rootfs")})
	})
	// package net over AF_UNIX sockets: servers and 100 clients in
	// goroutines on the runtime's poller.
	prog, err = BuildUserGo(root, dir, "unixnet")
	if err != nil {
		t.Fatal(err)
	}
	coverage.expect()
	t.Run("unixnet", func(t *testing.T) {
		compare(t, Case{Name: "go-unixnet", Program: prog, Rootfs: filepath.Join(root, "user", "rootfs")})
	})
	// os/exec runs busybox applets: the shell cases' root.
	prog, err = BuildUserGo(root, dir, "exec")
	if err != nil {
		t.Fatal(err)
	}
	coverage.expect()
	t.Run("exec", func(t *testing.T) {
		compare(t, Case{Name: "go-exec", Program: prog, Rootfs: shellRootfs(t), Init: true})
	})
	// os/signal, faults turned into panics, asynchronous preemption,
	// SIGPIPE and a child killed by a signal; its children are busybox
	// applets.
	prog, err = BuildUserGo(root, dir, "signals")
	if err != nil {
		t.Fatal(err)
	}
	coverage.expect()
	t.Run("signals", func(t *testing.T) {
		compare(t, Case{Name: "go-signals", Program: prog, Rootfs: shellRootfs(t), Init: true})
	})
}

// busybox is Debian's busybox-static; the same binary runs on both sides.
func busybox(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("busybox")
	if err != nil {
		for _, c := range []string{"/bin/busybox", "/usr/bin/busybox"} {
			if _, err := exec.LookPath(c); err == nil {
				return c
			}
		}
		t.Fatal("busybox-static is needed (make test installs it)")
	}
	return p
}

func conformanceBusybox(t *testing.T) {
	root, _ := userPrograms(t)
	bb := busybox(t)
	rootfs := filepath.Join(root, "user", "rootfs")
	cases := []struct {
		name  string
		args  []string
		stdin string
	}{
		{"echo", []string{"echo", "hi", "there"}, ""},
		{"uname", []string{"uname", "-s"}, ""},
		{"cat-file", []string{"cat", "data/hello.txt"}, ""},
		{"cat-stdin", []string{"cat"}, "from stdin\nsecond line\n"},
		{"wc", []string{"wc", "data/hello.txt"}, ""},
		{"wc-stdin", []string{"wc", "-l"}, "a\nb\nc\n"},
		{"ls", []string{"ls", "data/dir"}, ""},
		{"ls-l", []string{"ls", "-l", "data/hello.txt"}, ""},
		{"sha256sum", []string{"sha256sum", "data/hello.txt"}, ""},
		{"sleep", []string{"sleep", "0.05"}, ""},
		{"false", []string{"false"}, ""},
		{"cat-missing", []string{"cat", "data/nope"}, ""},
	}
	for _, c := range cases {
		coverage.expect()
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			compare(t, Case{Name: c.name, Program: bb, Args: c.args, Stdin: []byte(c.stdin), Rootfs: rootfs})
		})
	}
	// Shell scripts of user/sh, run by busybox sh in the rootfs with the
	// script added.
	for _, c := range []struct {
		name, script string
		mountNS      bool
	}{
		{"sh-files", "files.sh", false},
		{"sh-mount", "mount.sh", true},
	} {
		if c.mountNS && os.Geteuid() != 0 {
			t.Run(c.name, func(t *testing.T) { t.Skip("mounting natively needs root") })
			continue
		}
		dir := t.TempDir()
		if err := copyTree(rootfs, dir); err != nil {
			t.Fatal(err)
		}
		script, err := os.ReadFile(filepath.Join(root, "user", "sh", c.script))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, c.script), script, 0o644); err != nil {
			t.Fatal(err)
		}
		coverage.expect()
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			compare(t, Case{Name: c.name, Program: bb, Args: []string{"sh", c.script}, Rootfs: dir, MountNS: c.mountNS})
		})
	}
}

// isolation: a program that touches kernel memory or runs a privileged
// instruction is killed (SIGSEGV: status 139) as on Linux, and kernel
// pointers given to system calls fail with EFAULT.
func isolation(t *testing.T) {
	root, dir := userPrograms(t)
	prog, err := BuildUserC(root, dir, "isolation")
	if err != nil {
		t.Fatal(err)
	}
	for _, what := range []string{"kread", "kwrite", "kexec", "null", "hlt", "cli", "wrmsr", "cr3", "inb", "outb", "kptr"} {
		coverage.expect()
		t.Run(what, func(t *testing.T) {
			t.Parallel()
			oy := compare(t, Case{Name: what, Program: prog, Args: []string{what}})
			if what != "kptr" {
				if oy.Status != 139 {
					t.Errorf("status %d, want 139", oy.Status)
				}
				if r := SideReports(oy.Side); len(r) != 1 || !regexp.MustCompile(`^pid 1 \(init\) killed by signal 11 \(SIGSEGV\): (page fault at RIP 0x[0-9a-f]+, CR2 0x[0-9a-f]+|#GP general protection at RIP 0x[0-9a-f]+), error code 0x[0-9a-f]+: \S`).MatchString(r[0]) {
					t.Errorf("fault report: %q", r)
				}
			}
		})
	}
}

// conformanceVDSO runs the vDSO programs on both sides. The clock programs
// read the time a million times; the kernel's counters must show only the
// clock system calls the program says it made itself, and the kernel's own
// runtime must have made none (it reads the vDSO too).
func conformanceVDSO(t *testing.T) {
	root, dir := userPrograms(t)
	vdso, err := BuildUserC(root, dir, "vdso")
	if err != nil {
		t.Fatal(err)
	}
	clockC, err := BuildUserCAs(root, dir, "clock", "clock-c", "-static")
	if err != nil {
		t.Fatal(err)
	}
	clockGo, err := BuildUserGo(root, dir, "clock")
	if err != nil {
		t.Fatal(err)
	}
	coverage.expect()
	t.Run("parse", func(t *testing.T) {
		t.Parallel()
		compare(t, Case{Name: "vdso", Program: vdso})
	})
	for _, c := range []struct {
		name, prog string
		calls      []string // system calls whose counts the program prints
	}{
		{"clock-c", clockC, []string{"clock_gettime", "gettimeofday", "time"}},
		{"clock-go", clockGo, []string{"clock_gettime"}},
	} {
		coverage.expect()
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			oy := compare(t, Case{Name: c.name, Program: c.prog})
			stats := SyscallStats(oy.Side)
			for _, call := range c.calls {
				m := regexp.MustCompile(`(?m)^raw ` + call + ` system calls: (\d+)$`).FindSubmatch(oy.Output)
				if m == nil {
					t.Fatalf("no count of %s system calls in the output:\n%s", call, oy.Output)
				}
				if got := strconv.FormatUint(stats[call].Calls, 10); got != string(m[1]) {
					t.Errorf("the kernel counted %s %s system calls; the program made %s (the rest went through the vDSO)", got, call, m[1])
				}
			}
			if n := ServiceStats(oy.Side)["clock_gettime"].Calls; n != 0 {
				t.Errorf("the kernel's runtime made %d clock_gettime system calls; it should read the vDSO", n)
			}
		})
	}
}
