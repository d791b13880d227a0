package qemu

import (
	"context"
	"debug/elf"
	"fmt"
	"os"
	"os/exec"
	"oyako/kernel/mm"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

var (
	oyakoOnce sync.Once
	oyakoBin  string
	oyakoErr  error
)

// oyakoTool builds the host tool, cmd/oyako, once per test binary.
func oyakoTool(t *testing.T) string {
	t.Helper()
	kernelImage(t) // skips in -short mode; warms the build cache
	oyakoOnce.Do(func() {
		dir, err := os.MkdirTemp("", "oyako-tool-")
		if err != nil {
			oyakoErr = err
			return
		}
		oyakoBin = filepath.Join(dir, "oyako")
		cmd := exec.Command("go", "build", "-o", oyakoBin, "./cmd/oyako")
		cmd.Dir = mustRoot(t)
		if b, err := cmd.CombinedOutput(); err != nil {
			oyakoErr = fmt.Errorf("go build ./cmd/oyako: %v\n%s", err, b)
		}
	})
	if oyakoErr != nil {
		t.Fatal(oyakoErr)
	}
	return oyakoBin
}

// gdbProgram runs `oyako run -gdb -batch` on program with the gdb
// commands and returns gdb's output (the program's output mixed in) once
// the program exited with status want, which oyako run passes on.
func gdbProgram(t *testing.T, program string, args []string, cmds []string, want int) string {
	t.Helper()
	argv := []string{"run", "-gdb", "-batch", "-timeout", "2m"}
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
// kernel and back, as the README's walkthrough does: a breakpoint on the
// program's main, stepi over its SYSCALL instruction into
// entry_SYSCALL_64, a breakpoint on the Go handler, the helpers' view of
// the task, finish, and the program's own exit status at the end.
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
		"delete",
		// Run to write's SYSCALL instructions (glibc's write has two: a
		// plain one and one inside the cancellation dance), then step
		// over the one reached.
		`python [gdb.execute("tbreak *" + l.split()[0 if l.split()[0] != "=>" else 1]) for l in gdb.execute("x/40i $pc", to_string=True).splitlines() if "syscall" in l]`,
		"continue",
		"x/i $pc",
		"stepi",
		"echo after-stepi:\\n",
		"info symbol $pc",
		"break 'oyako/syscalls.sysWrite'",
		"continue",
		"bt",
		"oyako-regs",
		"oyako-syscall",
		"oyako-ps",
		"finish",
		// Back in ring 3 after the kernel's return: RAX holds write's
		// result, RIP is the instruction after the SYSCALL.
		`python gdb.execute("tbreak *%#x" % user_regs(current_task())[0]["Rip"])`,
		"continue",
		"echo back-in-ring-3:\\n",
		"print $cs & 3",
		"print $rax",
		"continue",
	}, 3)
	mustContain(t, out,
		`Breakpoint 1, 0x[0-9a-f]+ in main \(\)`,
		`Breakpoint 2, 0x[0-9a-f]+ in write \(\)|Breakpoint 2, 0x[0-9a-f]+ in __libc_write \(\)`,
		`=> 0x[0-9a-f]+ <[_a-z]*write\+\d+>:\s+syscall`,
		`after-stepi:\noyako/syscalls.entry_SYSCALL_64.abi0 in section .text`,
		`Breakpoint 5, oyako/syscalls.sysWrite \(`,
		`#1\s+0x[0-9a-f]+ in oyako/syscalls.Dispatch \(`,
		`#2\s+0x[0-9a-f]+ in oyako/kernel/task.\(\*Task\).run \(`,
		`task 1 \(init\), pid 1: saved by entry_SYSCALL_64: the task is in a system call`,
		`ORIG_RAX: 0000000000000001 \(write: RAX was 1 at the SYSCALL instruction\)`,
		`RDX: 0000000000000006 RSI: [0-9a-f]+ RDI: 0000000000000001`,
		`(?m)^write\(1, "hello\\n", 6\)$`,
		`>\s+1\s+1 R\s+0x[0-9a-f]+\s+init\s+write\(1, "hello\\n", 6\)`,
		`in oyako/syscalls.Dispatch \(t=0x[0-9a-f]+\) at .*dispatch.go:\d+\n\d+\s+ret, err = e.fn\(t, a\)`,
		`back-in-ring-3:\n\$1 = 3\n\$2 = 6\n`,
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
	if etDynBase != mm.ETDynBase {
		t.Fatalf("etDynBase %#x, kernel/mm.ETDynBase %#x", etDynBase, mm.ETDynBase)
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
	cmd := exec.CommandContext(ctx, tool, "run", bb, "sh", "-c", "sleep 150; echo slept")
	cmd.Dir = mustRoot(t)
	b, err := cmd.CombinedOutput()
	if err != nil || strings.TrimSpace(string(b)) != "slept" {
		t.Fatalf("oyako run of sleep 150: %v after %v\n%s", err, time.Since(start).Round(time.Second), b)
	}
}
