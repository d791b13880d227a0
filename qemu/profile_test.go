package qemu

import (
	"bytes"
	"context"
	"debug/elf"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestProfile runs the instruction profile (make profile) and checks what
// makes it worth comparing: every profiled call came back to the user
// instruction after its SYSCALL, the parts add up to the total, the entry
// stub, the handler and the return are there, the last instruction left
// ring 0, and two getpid round trips in one boot are the same
// instructions (the count is deterministic).
func TestProfile(t *testing.T) {
	kernel := kernelImage(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	start := time.Now()
	calls, err := Profile(ctx, kernel, "")
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	PrintProfile(&out, calls, 10)
	t.Logf("profile in %v:\n%s", time.Since(start).Round(time.Second), out.String())
	k, err := loadKernelText(kernel)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range calls {
		if c.Back == 0 || c.Back >= 1<<47 {
			t.Errorf("%s: returned to %#x, not to user space", c.Name, c.Back)
		}
		if c.Back != calls[0].Back {
			t.Errorf("%s: returned to %#x, getpid to %#x: not the instruction after the same SYSCALL", c.Name, c.Back, calls[0].Back)
		}
		sum := 0
		for _, p := range ProfileParts {
			sum += c.Parts[p]
		}
		if sum != c.Total() || len(c.Parts) > len(ProfileParts) {
			t.Errorf("%s: parts %v add up to %d, total %d", c.Name, c.Parts, sum, c.Total())
		}
		funcs := 0
		for _, f := range c.Funcs {
			funcs += f.N
		}
		if funcs != c.Total() {
			t.Errorf("%s: functions add up to %d, total %d", c.Name, funcs, c.Total())
		}
		for _, p := range []string{PartEntry, PartHandler, PartReturn} {
			if c.Parts[p] == 0 {
				t.Errorf("%s: no instructions in part %q", c.Name, p)
			}
		}
		if c.Parts[PartOther] != 0 {
			t.Errorf("%s: %d instructions outside the kernel's symbols", c.Name, c.Parts[PartOther])
		}
		last, err := k.decode(c.Trace[len(c.Trace)-1])
		if err != nil {
			t.Fatal(err)
		}
		if s := last.Op.String(); s != "SYSRET" && s != "IRETQ" {
			t.Errorf("%s: the last kernel instruction is %v, not SYSRET or IRETQ", c.Name, last)
		}
	}
	if a, b := calls[0], calls[1]; a.Nr != 39 || b.Nr != 39 || !slices.Equal(a.Trace, b.Trace) {
		t.Errorf("two getpid round trips (system calls %d and %d) took %d and %d instructions: not the same path", a.Nr, b.Nr, a.Total(), b.Total())
	}
	if calls[2].Nr != 0 || calls[3].Nr != 1 {
		t.Errorf("profiled calls %d and %d, want read (0) and write (1)", calls[2].Nr, calls[3].Nr)
	}
	// getpid and the device read and write are served on the fast path
	// (syscalls/fast.go): no goroutine switch, so no Dispatch and no
	// runtime service; getppid is not.
	through := func(c *ProfileCall, fn string) bool {
		for _, f := range c.Funcs {
			if f.Name == fn {
				return true
			}
		}
		return false
	}
	for _, c := range calls[:4] {
		if through(c, "oyako/syscalls.Dispatch") || through(c, "oyako/kernel.svcRunUser") || !through(c, "oyako/syscalls.fastSyscall") {
			t.Errorf("%s did not take the fast path", c.Name)
		}
	}
	if c := calls[4]; c.Nr != 110 || !through(c, "oyako/syscalls.Dispatch") {
		t.Errorf("%s (system call %d) did not go through Dispatch", c.Name, c.Nr)
	}
}

// TestProfileClassify checks the classification rules on made-up paths:
// today's (entry, save, a goroutine switch into Dispatch, the handler,
// back through the task loop, EnterUser) and a fast path where the entry
// stub calls the handler itself and returns with SYSRET.
func TestProfileClassify(t *testing.T) {
	names := []string{
		"oyako/syscalls.entry_SYSCALL_64.abi0",
		"oyako/amd64.SaveFPU.abi0",
		"fpuSave",
		"oyako/amd64.RestoreFrameBX.abi0",
		"runtime.exitsyscall",
		"oyako/kernel/task.(*Task).run",
		"oyako/syscalls.Dispatch",
		"oyako/syscalls.sysGetpid",
		"oyako/kernel/task.(*Task).Pid",
		"oyako/amd64.EnterUser.abi0",
		"oyako/amd64.RestoreSSE",
	}
	// The functions are 4 KiB of NOPs each at 0x1000, 0x2000, ...; the
	// last byte of task.run is a SYSCALL (0f 05 at 0xffe), its runtime's.
	k := &kernelText{names: map[uint64]string{}}
	text := bytes.Repeat([]byte{0x90}, 0x1000*(len(names)+1))
	for i, n := range names {
		k.syms = append(k.syms, elf.Symbol{Name: n, Value: uint64(0x1000 * (i + 1)), Size: 0x1000, Info: byte(elf.STT_FUNC)})
		if n == "oyako/kernel/task.(*Task).run" {
			copy(text[0x1000*(i+1)+0xffe:], []byte{0x0f, 0x05})
		}
	}
	k.progs = []*elf.Prog{{ProgHeader: elf.ProgHeader{Type: elf.PT_LOAD, Flags: elf.PF_X, Filesz: uint64(len(text))}, ReaderAt: bytes.NewReader(text)}}
	at := func(name string) uint64 {
		for _, s := range k.syms {
			if s.Name == name || strings.TrimSuffix(s.Name, ".abi0") == name {
				return s.Value
			}
		}
		t.Fatalf("no symbol %s", name)
		return 0
	}
	syscallIn := func(name string) uint64 { return at(name) + 0xffe }
	// path makes a trace of steps: a function's name and how many of
	// its instructions ran, or an address.
	path := func(steps ...any) []uint64 {
		var tr []uint64
		off := uint64(0)
		for i := 0; i < len(steps); i += 2 {
			if a, ok := steps[i].(uint64); ok {
				tr = append(tr, a)
				i--
				continue
			}
			for j := 0; j < steps[i+1].(int); j++ {
				off++
				tr = append(tr, at(steps[i].(string))+off)
			}
		}
		return tr
	}
	for _, tc := range []struct {
		name  string
		trace []uint64
		want  map[string]int
	}{{
		name: "today",
		trace: path(
			"oyako/syscalls.entry_SYSCALL_64", 10, "oyako/amd64.SaveFPU", 2, "fpuSave", 3,
			"oyako/syscalls.entry_SYSCALL_64", 2, "oyako/amd64.RestoreFrameBX", 1,
			"runtime.exitsyscall", 5, "oyako/kernel/task.(*Task).run", 4,
			"oyako/syscalls.Dispatch", 6, "oyako/syscalls.sysGetpid", 2,
			"oyako/kernel/task.(*Task).Pid", 3, "oyako/syscalls.sysGetpid", 1,
			"oyako/syscalls.Dispatch", 7, "oyako/kernel/task.(*Task).run", 7,
			syscallIn("oyako/kernel/task.(*Task).run"),
			"oyako/syscalls.entry_SYSCALL_64", 9, "oyako/amd64.EnterUser", 11,
		),
		want: map[string]int{PartEntry: 12, PartSave: 5, PartSwitch: 10, PartDispatch: 13,
			PartHandler: 6, PartBack: 17, PartReturn: 11},
	}, {
		name: "fast path through a Go dispatcher",
		trace: path(
			"oyako/syscalls.entry_SYSCALL_64", 10, "oyako/syscalls.Dispatch", 3,
			"oyako/syscalls.sysGetpid", 2, "oyako/syscalls.Dispatch", 2,
			"oyako/syscalls.entry_SYSCALL_64", 4, "oyako/amd64.RestoreSSE", 3,
			"oyako/syscalls.entry_SYSCALL_64", 2,
		),
		want: map[string]int{PartEntry: 10, PartDispatch: 5, PartHandler: 2, PartReturn: 9},
	}, {
		name: "fast path",
		trace: path(
			"oyako/syscalls.entry_SYSCALL_64", 10, "oyako/syscalls.sysGetpid", 2,
			"oyako/kernel/task.(*Task).Pid", 3, "oyako/syscalls.sysGetpid", 1,
			"oyako/syscalls.entry_SYSCALL_64", 4, "oyako/amd64.RestoreSSE", 3,
			"oyako/syscalls.entry_SYSCALL_64", 2,
		),
		want: map[string]int{PartEntry: 10, PartHandler: 6, PartReturn: 9},
	}, {
		name:  "no handler",
		trace: path("oyako/syscalls.entry_SYSCALL_64", 3, "runtime.exitsyscall", 4, "oyako/amd64.EnterUser", 2),
		want:  map[string]int{PartEntry: 3, PartOther: 4, PartReturn: 2},
	}} {
		c := &ProfileCall{Trace: tc.trace}
		k.classify(c)
		for _, p := range ProfileParts {
			if c.Parts[p] != tc.want[p] {
				t.Errorf("%s: %s has %d instructions, want %d (all: %v)", tc.name, p, c.Parts[p], tc.want[p], c.Parts)
			}
		}
	}
}
