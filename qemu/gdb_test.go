package qemu

import (
	"context"
	"debug/elf"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"oyako/kernel/mm"
)

// gdbProgram runs `oyako run -gdb -batch` on program with the gdb
// commands and returns gdb's output (the program's output mixed in) once
// the program exited with status want, which oyako run passes on.
func gdbProgram(t *testing.T, program string, args []string, cmds []string, want int) string {
	t.Helper()
	argv := []string{"run", "-kernel", kernelImage(t), "-gdb", "-batch", "-timeout", "2m"}
	for _, c := range cmds {
		argv = append(argv, "-ex", c)
	}
	argv = append(append(argv, program), args...)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, oyakoTool(t), argv...)
	cmd.Dir = mustRoot(t)
	b, err := cmd.CombinedOutput()
	out := strings.ReplaceAll(string(b), "\r\n", "\n")
	status := 0
	if e, ok := err.(*exec.ExitError); ok {
		status = e.ExitCode()
	} else if err != nil {
		t.Fatalf("oyako run -gdb: %v\n%s", err, out)
	}
	if status != want {
		t.Fatalf("oyako run -gdb exited %d, not with the program's status %d\n%s", status, want, out)
	}
	if testing.Verbose() {
		t.Logf("%s", out)
	}
	return out
}

// TestGDBSyscall follows one write(2) from a user program into the
// kernel and back, as docs/gdb.md walks it: a breakpoint on the program's
// main and write, stepi over its SYSCALL instruction into
// entry_SYSCALL_64, a breakpoint on the Go handler, the helpers' view of
// the task, the copy from user memory, the serial driver, SYSRETQ back to
// ring 3 with the result in RAX, and the program's own exit status.
func TestGDBSyscall(t *testing.T) {
	prog, err := BuildUserC(mustRoot(t), t.TempDir(), "walk")
	if err != nil {
		t.Fatal(err)
	}
	out := gdbProgram(t, prog, nil, []string{
		"break main",
		"continue",
		"break write",
		"continue",
		"x/5i $pc",
		"delete",
		// Run to write's SYSCALL instruction (glibc's write has two: a
		// plain one and one inside the cancellation dance; whichever is
		// reached), as "advance *ADDR" does in the walkthrough.
		`python [gdb.execute("tbreak *" + l.split()[0 if l.split()[0] != "=>" else 1]) for l in gdb.execute("x/40i $pc", to_string=True).splitlines() if "syscall" in l]`,
		"continue",
		"info registers rax rdi rdx",
		"x/s $rsi",
		"x/i $pc",
		"stepi",
		"echo after-stepi:\\n",
		"info symbol $pc",
		"info registers cs",
		"break 'oyako/syscalls.sysWrite'",
		"continue",
		"bt",
		"oyako-regs",
		"oyako-syscall",
		"oyako-ps",
		"print 'oyako/syscalls.sysCallTable'[1]",
		// Each breakpoint goes before the next is set: a function
		// entered again from its own prologue (morestack, or a
		// preemption request the Go scheduler placed in the stack
		// guard) would stop at it a second time. CI saw sysWrite's stop
		// twice for the one write on a loaded host.
		"delete",
		"break 'oyako/kernel/mm.(*AddressSpace).CopyIn'",
		"continue",
		"bt 4",
		"delete",
		"break 'oyako/amd64.SerialWriteRaw'",
		"continue",
		"bt 9",
		"delete",
		"break 'oyako/amd64.EnterUser'",
		"continue",
		"oyako-regs",
		// To the SYSRETQ instruction, then over it.
		`python [gdb.execute("advance *" + l.split()[0 if l.split()[0] != "=>" else 1]) for l in gdb.execute("x/120i $pc", to_string=True).splitlines() if "sysretq" in l][:1]`,
		"x/i $pc",
		// Over it. Under a loaded host, QEMU's gdb stub has once (in
		// hundreds of runs) reported the step with the PC still on
		// SYSRETQ; a second stepi then returns to ring 3.
		`python [gdb.execute("stepi") for _ in range(3) if int(gdb.parse_and_eval("$cs")) & 3 == 0]`,
		"echo back-in-ring-3:\\n",
		"print $cs & 3",
		"print $rax",
		"delete",
		"continue",
	}, 3)
	mustContain(t, out,
		`Breakpoint 1, 0x[0-9a-f]+ in main \(\)`,
		`Breakpoint 2, 0x[0-9a-f]+ in write \(\)`,
		`<write\+\d+>:\s+mov\s+\$0x1,%eax\n\s+0x[0-9a-f]+ <write\+\d+>:\s+syscall`,
		`rax\s+0x1\s+1\nrdi\s+0x1\s+1\nrdx\s+0x6\s+6\n0x[0-9a-f]+:\s+"hello\\n"`,
		`=> 0x[0-9a-f]+ <write\+\d+>:\s+syscall`,
		`after-stepi:\noyako/syscalls.entry_SYSCALL_64.abi0 in section .text.*\ncs\s+0x10\s+16\n`,
		`Breakpoint \d+, oyako/syscalls.sysWrite \(`,
		`#1\s+0x[0-9a-f]+ in oyako/syscalls.Dispatch \(`,
		`#2\s+0x[0-9a-f]+ in oyako/kernel/task.\(\*Task\).run \(`,
		`task 1 \(init\), pid 1: saved by entry_SYSCALL_64: the task is in a system call\nRIP: 0033:0x[0-9a-f]+  RSP: 002b:`,
		`RAX: ffffffffffffffda RBX`,
		`ORIG_RAX: 0000000000000001 \(write: RAX was 1 at the SYSCALL instruction\)`,
		`RDX: 0000000000000006 RSI: [0-9a-f]+ RDI: 0000000000000001`,
		`(?m)^write\(1, "hello\\n", 6\)$`,
		`>\s+1\s+1 R\s+0x[0-9a-f]+\s+init\s+write\(1, "hello\\n", 6\)`,
		`\$1 = \{name = "write", fn = .*<oyako/syscalls\[sysCallTable\]`,
		`#2\s+0x[0-9a-f]+ in oyako/syscalls.writeFrom \(.*\n#3\s+0x[0-9a-f]+ in oyako/syscalls.sysWrite`,
		`#1\s+oyako/kernel/klog.ConsoleRaw .*\n#2\s+0x[0-9a-f]+ in oyako/fs.\(\*TTY\).Write`,
		`the frame EnterUser is returning to ring 3 with\n.*\nRAX: 0000000000000006 `,
		`=> 0x[0-9a-f]+ <oyako/amd64.EnterUser\+\d+>:\s+sysretq`,
		`back-in-ring-3:\n\$2 = 3\n\$3 = 6\n`,
		`(?m)^hello$`,
	)
	// The user RIP oyako-regs shows is the instruction after the SYSCALL
	// inside the program's write.
	m := regexp.MustCompile(`RIP: 0033:0x([0-9a-f]+)`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no user RIP in\n%s", out)
	}
	rip, _ := strconv.ParseUint(m[1], 16, 64)
	if sym := symbolAt(t, prog, rip); !strings.HasSuffix(sym, "write") {
		t.Errorf("user RIP %#x is in %q, not in write\n%s", rip, sym, out)
	}
}

// TestGDBStaticPIE checks that a static-PIE program's symbols are loaded
// where the kernel maps it (ET_DYN without an interpreter: top-down below
// mm.MmapBase, as Linux places it): break main stops in main, and the
// program still finishes with its status.
func TestGDBStaticPIE(t *testing.T) {
	prog, err := BuildUserCAs(mustRoot(t), t.TempDir(), "walk", "walk-pie", "-static-pie")
	if err != nil {
		t.Fatal(err)
	}
	out := gdbProgram(t, prog, nil, []string{"break main", "continue", "info symbol $pc", "continue"}, 3)
	mustContain(t, out,
		`Breakpoint 1, 0x00007ffff7[0-9a-f]+ in main \(\)`,
		`(?m)^main in section \.text of .*walk-pie$`,
	)
}

// TestGDBProcesses stops a forked pipeline at a breakpoint and lists its
// processes with oyako-ps.
func TestGDBProcesses(t *testing.T) {
	out := gdbProgram(t, busybox(t), []string{"sh", "-c", "sleep 1 | cat; exit 4"}, []string{
		// Once sleep sleeps, the CPU goes idle only when cat waits in
		// read and sh in wait4 as well: stop there.
		"break 'oyako/syscalls.sysClockNanosleep'",
		"continue",
		"delete",
		"oyako-maps",
		"break *'oyako/amd64.idleLoop.abi0'",
		"continue",
		"echo idle:\\n",
		"oyako-ps",
		"print/x $oyako_cr3(1)",
		"oyako-log",
		"delete",
		"continue",
	}, 4)
	// $oyako_cr3 names the page table oyako-ps shows for the process.
	if m := regexp.MustCompile(`(?m)^\s+1\s+1 S\s+(0x[0-9a-f]+)\s+init`).FindStringSubmatch(out); m == nil || !strings.Contains(out, "$1 = "+m[1]+"\n") {
		t.Errorf("$oyako_cr3(1) is not init's CR3 in oyako-ps")
	}
	mustContain(t, out,
		`(?m)^[0-9a-f]+-[0-9a-f]+ r-xp [0-9a-f]+ /init$`,
		`(?m)^[0-9a-f]+-[0-9a-f]+ rw-p 00000000 \[stack\]$`,
		`idle:\n\s+PID\s+TID S\s+CR3\s+COMM\s+SYSCALL\n`,
		`(?m)^\s+1\s+1 S\s+0x[0-9a-f]+\s+init\s+wait4\(-1, 0x[0-9a-f]+, 0, NULL\)$`,
		`(?m)^\s+\d+\s+\d+ S\s+0x[0-9a-f]+\s+sleep\s+clock_nanosleep\(CLOCK_REALTIME, 0, \{tv_sec=1, tv_nsec=0\}, 0x[0-9a-f]+\)$`,
		`(?m)^\s+\d+\s+\d+ S\s+0x[0-9a-f]+\s+cat\s+read\(0, 0x[0-9a-f]+, \d+\)$`,
		`oyako: RAM: \d+ MiB in the memory map`, // from the log ring, though "quiet"
	)
}

// symbolAt names the function of program that holds addr.
func symbolAt(t *testing.T, program string, addr uint64) string {
	_, syms := openELF(t, program)
	for _, s := range syms {
		if elf.ST_TYPE(s.Info) == elf.STT_FUNC && addr >= s.Value && addr < s.Value+s.Size {
			return s.Name
		}
	}
	return ""
}

// openELF opens an ELF file for the test and reads its symbols.
func openELF(t *testing.T, path string) (*elf.File, []elf.Symbol) {
	t.Helper()
	f, err := elf.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	syms, err := f.Symbols()
	if err != nil {
		t.Fatal(err)
	}
	return f, syms
}

func mustRoot(t *testing.T) string {
	root, err := RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	return root
}

func TestETDynBase(t *testing.T) {
	// The constant qemu's symbol loading uses is the kernel's.
	if etDynBase != mm.ETDynBase || mmapBase != mm.MmapBase {
		t.Fatalf("etDynBase %#x, mmapBase %#x; kernel/mm: ETDynBase %#x, MmapBase %#x", etDynBase, mmapBase, mm.ETDynBase, mm.MmapBase)
	}
}

// TestRunNoTimeLimit runs a program for longer than the two minutes
// oyako run once killed everything after: a person's program, shell or
// debugging session runs as long as it likes (the tests pass their own
// limits, as this one does to the host tool's process).
func TestRunNoTimeLimit(t *testing.T) {
	tool := oyakoTool(t)
	bb := busybox(t)
	t.Parallel() // it sleeps: let the conformance cases use the CPU
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	start := time.Now()
	cmd := exec.CommandContext(ctx, tool, "run", "-kernel", kernelImage(t), bb, "sh", "-c", "sleep 150; echo slept")
	cmd.Dir = mustRoot(t)
	b, err := cmd.CombinedOutput()
	if err != nil || strings.TrimSpace(string(b)) != "slept" {
		t.Fatalf("oyako run of sleep 150: %v after %v\n%s", err, time.Since(start).Round(time.Second), b)
	}
}
