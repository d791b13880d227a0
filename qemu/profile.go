package qemu

import (
	"bufio"
	"bytes"
	"context"
	"debug/elf"
	_ "embed"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"golang.org/x/arch/x86/x86asm"
)

// The instruction profile of the system call path (make profile, oyako
// profile): user/c/profile.c makes tens of thousands of warm-up calls, then a
// few profiled ones through one SYSCALL instruction; gdb (qemu/gdb/
// profile.py) single-steps each of those from its SYSCALL to the first
// user instruction after it and records every RIP; the host maps the RIPs
// to the kernel's function symbols and classifies them. QEMU's gdb stub
// steps with interrupts and timers masked, so a count repeats exactly.

// profileTracer is the gdb command oyako-profile.
//
//go:embed gdb/profile.py
var profileTracer []byte

// The profiled calls of user/c/profile.c, in its order.
var profileCalls = []string{"getpid", "getpid (again)", "read 1 byte of /dev/zero", "write 1 byte to /dev/null", "getppid", "epoll_wait, one ready",
	"poll of 10, one ready", "select of 10, one ready", "stat of a file in /tmp", "openat of that file", "close",
	"io_uring_enter, 1 WRITE of 64 bytes to /dev/null", "io_uring_enter, 4 WRITEs of 64 bytes to /dev/null"}

// The parts of a system call's path, in the order the path runs them.
const (
	PartEntry    = "entry stub"          // the user SYSCALL's landing: registers into the frame
	PartSave     = "state save"          // vector (and other) state saved by the entry
	PartSwitch   = "switch to goroutine" // from the entry to the code that dispatches
	PartDispatch = "dispatch"            // the caller of the handler, outside the handler
	PartHandler  = "handler"             // the handler and all it calls
	PartBack     = "switch back"         // from the dispatcher to the final return code
	PartReturn   = "return"              // restoring user state and SYSRET/IRETQ
	PartOther    = "other"               // no kernel symbol, or no handler found
)

// ProfileParts lists the parts in the order the profile prints them.
var ProfileParts = []string{PartEntry, PartSave, PartSwitch, PartDispatch, PartHandler, PartBack, PartReturn, PartOther}

// The symbol rules of the classification. They are about names, not
// about today's path, so that a faster path (a handler called straight
// from the entry stub, a partial vector save) is still classified:
//
//   - The leading run of instructions in entry stub symbols (entryRE)
//     and state save symbols (saveRE) is the entry stub and the state
//     save.
//   - The handler is the first function matching handlerRE (syscalls'
//     sysFoo) and everything executed until the CPU is back in the
//     function that called it, the dispatcher. The dispatcher's own
//     instructions, from its first to its last in the path, are the
//     dispatch part (with what it calls besides the handler); if the
//     dispatcher is the entry stub itself, there is no dispatch part.
//   - The trailing run of instructions in return symbols (returnRE) is
//     the return; entry stub symbols count too unless the kernel's
//     runtime made a system call after the handler (then they are the
//     stub's kernel half, serving that call on the way back).
//   - What lies between the entry and the dispatcher is the switch to the
//     task's goroutine; between the dispatcher and the return, the switch
//     back.
//   - An instruction outside every kernel symbol is other.
var (
	entryRE = regexp.MustCompile(`^oyako/syscalls\.entry_`)
	saveRE  = regexp.MustCompile(`^(oyako/amd64\.)?[A-Za-z0-9_]*(Save|save)[A-Za-z0-9_]*$`)
	// Handlers: sysX, and the fast path's fastX (syscalls/fast.go), whose
	// dispatcher fastSyscall is not one.
	handlerRE      = regexp.MustCompile(`^oyako/syscalls\.(sys|fast)[A-Z]`)
	fastDispatcher = "oyako/syscalls.fastSyscall"
	returnRE       = regexp.MustCompile(`^oyako/amd64\.EnterUser$|^(oyako/amd64\.)?[A-Za-z0-9_]*(Restore|restore)[A-Za-z0-9_]*$`)
)

// ProfileCall is the profile of one system call.
type ProfileCall struct {
	Name  string   // what the call was
	Nr    int      // its number (RAX at SYSCALL)
	Trace []uint64 // RIPs of the kernel instructions, in execution order
	// Back is the user RIP the call returned to (0 if stepping gave up).
	Back uint64
	// Parts counts instructions per part (ProfileParts); Funcs per
	// function, largest first; Costly the instructions that are
	// expensive under TCG, largest first, and CostlyByPart the same per
	// part.
	Parts        map[string]int
	Funcs        []Count
	Costly       []Count
	CostlyByPart map[string][]Count
	// Classes is the part of each instruction of Trace.
	Classes []string
}

// Total is the number of kernel instructions of the round trip.
func (c *ProfileCall) Total() int { return len(c.Trace) }

// Count is a name and how many instructions it had.
type Count struct {
	Name string
	N    int
}

// Profile builds user/c/profile.c, boots kernel with it as init under
// gdb, traces its profiled system calls and classifies the instructions.
// The trace goes to keepTrace if it is not "" (for ProfileTrace). It
// takes some seconds: each instruction is a gdb single step.
func Profile(ctx context.Context, kernel, keepTrace string) ([]*ProfileCall, error) {
	root, err := RepoRoot()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "oyako-profile-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	prog, err := BuildUserC(root, dir, "profile")
	if err != nil {
		return nil, err
	}
	marks, err := elfSymbols(prog, "profile_begin", "profile_syscall", "profile_end")
	if err != nil {
		return nil, err
	}
	script := filepath.Join(dir, "profile.py")
	if err := os.WriteFile(script, profileTracer, 0o644); err != nil {
		return nil, err
	}
	trace := keepTrace
	if trace == "" {
		trace = filepath.Join(dir, "trace")
	}
	c, remove, err := ProgramBoot(Config{Kernel: kernel, Timeout: 5 * time.Minute}, prog, "", []string{"quiet"}, nil)
	if err != nil {
		return nil, err
	}
	defer remove()
	var out lockedBuffer // the console and gdb's errors
	c.Console = &out
	res, err := GDB(ctx, GDBConfig{
		Boot:    c,
		Program: prog,
		Commands: []string{
			"source " + script,
			fmt.Sprintf("oyako-profile %s %#x %#x %#x", trace, marks[0], marks[1], marks[2]),
			"continue",
		},
		Batch:  true,
		Stdout: io.Discard,
		Stderr: &out,
	})
	if err != nil {
		return nil, fmt.Errorf("gdb: %v\n%s", err, out.Bytes())
	}
	if res == nil || res.Status != 0 {
		st := -1
		if res != nil {
			st = res.Status
		}
		return nil, fmt.Errorf("profile program ended with status %d, not 0\n%s", st, out.Bytes())
	}
	f, err := os.Open(trace)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return ProfileTrace(kernel, f)
}

// ProfileTrace classifies the calls of a trace that qemu/gdb/profile.py
// wrote for kernel (the ELF image it traced).
func ProfileTrace(kernel string, r io.Reader) ([]*ProfileCall, error) {
	calls, err := parseTrace(r)
	if err != nil {
		return nil, err
	}
	if len(calls) != len(profileCalls) {
		return nil, fmt.Errorf("traced %d system calls, want %d", len(calls), len(profileCalls))
	}
	k, err := loadKernelText(kernel)
	if err != nil {
		return nil, err
	}
	for i, call := range calls {
		call.Name = profileCalls[i]
		k.classify(call)
	}
	return calls, nil
}

// elfSymbols returns the addresses of the named symbols of an ELF file.
func elfSymbols(path string, names ...string) ([]uint64, error) {
	f, err := elf.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	syms, err := f.Symbols()
	if err != nil {
		return nil, err
	}
	addrs := make([]uint64, len(names))
	for i, n := range names {
		for _, s := range syms {
			if s.Name == n {
				addrs[i] = s.Value
			}
		}
		if addrs[i] == 0 {
			return nil, fmt.Errorf("%s: no symbol %s", path, n)
		}
	}
	return addrs, nil
}

// parseTrace reads the tracer's file (see qemu/gdb/profile.py). A RIP
// that repeats the one before it is one instruction, not two: a REP
// string instruction steps once per iteration, and QEMU's stub has been
// seen to report a step over SYSRETQ with the PC still on it.
func parseTrace(r io.Reader) ([]*ProfileCall, error) {
	var calls []*ProfileCall
	var cur *ProfileCall
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		switch {
		case len(f) == 2 && f[0] == "call":
			n, err := strconv.Atoi(f[1])
			if err != nil {
				return nil, fmt.Errorf("trace: %q", sc.Text())
			}
			cur = &ProfileCall{Nr: n}
			calls = append(calls, cur)
		case cur == nil:
			return nil, fmt.Errorf("trace: %q before a call", sc.Text())
		case len(f) == 2 && f[0] == "back":
			v, err := strconv.ParseUint(f[1], 16, 64)
			if err != nil {
				return nil, fmt.Errorf("trace: %q", sc.Text())
			}
			cur.Back = v
		case len(f) == 2 && f[0] == "lost":
			return nil, fmt.Errorf("trace: stepping call %d gave up at %s", cur.Nr, f[1])
		case len(f) == 1:
			v, err := strconv.ParseUint(f[0], 16, 64)
			if err != nil {
				return nil, fmt.Errorf("trace: %q", sc.Text())
			}
			if n := len(cur.Trace); n > 0 && cur.Trace[n-1] == v {
				continue
			}
			cur.Trace = append(cur.Trace, v)
		default:
			return nil, fmt.Errorf("trace: %q", sc.Text())
		}
	}
	return calls, sc.Err()
}

// kernelText is what the classification needs of the kernel ELF: its
// function symbols, sorted, and its executable sections' bytes.
type kernelText struct {
	syms  []elf.Symbol
	progs []*elf.Prog
	names map[uint64]string // cache of symbolName
}

func loadKernelText(path string) (*kernelText, error) {
	f, err := elf.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	syms, err := f.Symbols()
	if err != nil {
		return nil, err
	}
	k := &kernelText{names: map[uint64]string{}}
	for _, s := range syms {
		if elf.ST_TYPE(s.Info) == elf.STT_FUNC {
			k.syms = append(k.syms, s)
		}
	}
	sort.Slice(k.syms, func(i, j int) bool { return k.syms[i].Value < k.syms[j].Value })
	for _, p := range f.Progs {
		if p.Type == elf.PT_LOAD && p.Flags&elf.PF_X != 0 {
			k.progs = append(k.progs, p)
		}
	}
	// Keep the executable segments' bytes: the file is closed on return.
	for i, p := range k.progs {
		b := make([]byte, p.Filesz)
		if _, err := p.ReadAt(b, 0); err != nil {
			return nil, err
		}
		cp := *p
		cp.ReaderAt = bytes.NewReader(b)
		k.progs[i] = &cp
	}
	return k, nil
}

// symbolName names the kernel function holding addr ("" if none), without
// the assembler's ABI suffix.
func (k *kernelText) symbolName(addr uint64) string {
	if n, ok := k.names[addr]; ok {
		return n
	}
	i := sort.Search(len(k.syms), func(i int) bool { return k.syms[i].Value > addr }) - 1
	name := ""
	if i >= 0 && (k.syms[i].Size == 0 || addr < k.syms[i].Value+k.syms[i].Size) {
		name = strings.TrimSuffix(k.syms[i].Name, ".abi0")
	}
	k.names[addr] = name
	return name
}

// decode disassembles the kernel instruction at addr.
func (k *kernelText) decode(addr uint64) (x86asm.Inst, error) {
	for _, p := range k.progs {
		if addr >= p.Vaddr && addr < p.Vaddr+p.Filesz {
			b := make([]byte, 15)
			n, _ := p.ReadAt(b, int64(addr-p.Vaddr))
			return x86asm.Decode(b[:n], 64)
		}
	}
	return x86asm.Inst{}, fmt.Errorf("%#x is not in the kernel's text", addr)
}

// costlyName names the instructions that are expensive under TCG (QEMU
// emulates them in helpers, flushes or leaves its translated code for
// them) or that matter on real hardware (fences, serializing and locked
// instructions); "" for the others.
func costlyName(in x86asm.Inst) string {
	switch in.Op {
	case x86asm.XSAVE, x86asm.XSAVE64, x86asm.XSAVEC, x86asm.XSAVEC64, x86asm.XSAVEOPT, x86asm.XSAVEOPT64,
		x86asm.XSAVES, x86asm.XSAVES64, x86asm.XRSTOR, x86asm.XRSTOR64, x86asm.XRSTORS, x86asm.XRSTORS64,
		x86asm.FXSAVE, x86asm.FXSAVE64, x86asm.FXRSTOR, x86asm.FXRSTOR64,
		x86asm.RDMSR, x86asm.WRMSR, x86asm.SWAPGS, x86asm.SYSCALL, x86asm.SYSRET, x86asm.IRETQ,
		x86asm.CLI, x86asm.STI, x86asm.POPF, x86asm.POPFQ, x86asm.RDTSC, x86asm.RDTSCP,
		x86asm.LFENCE, x86asm.MFENCE, x86asm.SFENCE, x86asm.INVLPG, x86asm.CPUID, x86asm.XGETBV,
		x86asm.WRFSBASE, x86asm.WRGSBASE, x86asm.RDFSBASE, x86asm.RDGSBASE:
		name := in.Op.String()
		if in.Op == x86asm.SYSRET && in.DataSize == 64 {
			name = "SYSRETQ"
		}
		return name
	case x86asm.MOV:
		if r, ok := in.Args[0].(x86asm.Reg); ok && r >= x86asm.CR0 && r <= x86asm.CR15 {
			return "MOV to " + r.String()
		}
		if r, ok := in.Args[0].(x86asm.Reg); ok && r >= x86asm.DR0 && r <= x86asm.DR7 {
			return "MOV to " + r.String()
		}
	case x86asm.XCHG:
		for _, a := range in.Args {
			if _, ok := a.(x86asm.Mem); ok {
				return "XCHG with memory (locked)"
			}
		}
	}
	for _, p := range in.Prefix {
		if p&0xFF == x86asm.PrefixLOCK {
			return "LOCK " + in.Op.String()
		}
	}
	return ""
}

// classify fills in the parts, the per-function and the costly
// instruction counts of call, by the rules above entryRE.
func (k *kernelText) classify(call *ProfileCall) {
	n := len(call.Trace)
	names := make([]string, n)
	for i, rip := range call.Trace {
		names[i] = k.symbolName(rip)
	}
	class := make([]string, n)
	// The leading entry stub and state save.
	lead := 0
	for ; lead < n; lead++ {
		if entryRE.MatchString(names[lead]) {
			class[lead] = PartEntry
		} else if saveRE.MatchString(names[lead]) {
			class[lead] = PartSave
		} else {
			break
		}
	}
	// The handler and its caller, the dispatcher.
	h0, h1 := -1, -1
	caller := ""
	for i := lead; i < n; i++ {
		if handlerRE.MatchString(names[i]) && names[i] != fastDispatcher {
			h0 = i
			break
		}
	}
	if h0 > 0 {
		caller = names[h0-1]
		h1 = n
		for i := h0 + 1; i < n; i++ {
			if names[i] == caller {
				h1 = i
				break
			}
		}
	}
	// The trailing return. The entry stub's code is part of it unless the
	// kernel's runtime made a system call after the handler: then that
	// code is the stub's kernel half serving it, on the way back.
	runtimeCalls := false
	for i := max(lead, h1); i < n; i++ {
		if in, err := k.decode(call.Trace[i]); err == nil && in.Op == x86asm.SYSCALL {
			runtimeCalls = true
		}
	}
	tail := n
	for tail > lead && tail > h1 && (returnRE.MatchString(names[tail-1]) || !runtimeCalls && entryRE.MatchString(names[tail-1])) {
		tail--
		class[tail] = PartReturn
	}
	stubDispatched := caller != "" && entryRE.MatchString(caller)
	d0, d1 := -1, -1
	if h0 > 0 && !stubDispatched {
		for i := lead; i < tail; i++ {
			if names[i] == caller {
				if d0 < 0 {
					d0 = i
				}
				d1 = i + 1
			}
		}
	}
	for i := lead; i < tail; i++ {
		switch {
		case names[i] == "":
			class[i] = PartOther
		case h0 < 0:
			class[i] = PartOther
		case i >= h0 && i < h1:
			class[i] = PartHandler
		case d0 >= 0 && i >= d0 && i < d1:
			class[i] = PartDispatch
		case i < h0 && (d0 < 0 || i < d0):
			class[i] = PartSwitch
		default:
			class[i] = PartBack
		}
	}
	call.Classes = class
	call.Parts = map[string]int{}
	funcs := map[string]int{}
	costly := map[string]int{}
	byPart := map[string]map[string]int{}
	for i, rip := range call.Trace {
		call.Parts[class[i]]++
		name := names[i]
		if name == "" {
			name = fmt.Sprintf("%#x (no symbol)", rip)
		}
		funcs[name]++
		if in, err := k.decode(rip); err == nil {
			if c := costlyName(in); c != "" {
				costly[c]++
				if byPart[class[i]] == nil {
					byPart[class[i]] = map[string]int{}
				}
				byPart[class[i]][c]++
			}
		}
	}
	call.Funcs = sortedCounts(funcs)
	call.Costly = sortedCounts(costly)
	call.CostlyByPart = map[string][]Count{}
	for p, m := range byPart {
		call.CostlyByPart[p] = sortedCounts(m)
	}
}

// sortedCounts lists m largest first, then by name.
func sortedCounts(m map[string]int) []Count {
	var c []Count
	for k, v := range m {
		c = append(c, Count{k, v})
	}
	sort.Slice(c, func(i, j int) bool {
		if c[i].N != c[j].N {
			return c[i].N > c[j].N
		}
		return c[i].Name < c[j].Name
	})
	return c
}

// PrintProfile prints the parts of every call side by side, then each
// call's costly instructions and its functions, largest first (at most
// maxFuncs of them; 0: all).
func PrintProfile(w io.Writer, calls []*ProfileCall, maxFuncs int) {
	fmt.Fprintf(w, "%-22s", "part")
	for _, c := range calls {
		fmt.Fprintf(w, " %*s", colWidth(c), c.Name)
	}
	fmt.Fprintln(w)
	for _, p := range ProfileParts {
		fmt.Fprintf(w, "%-22s", p)
		for _, c := range calls {
			fmt.Fprintf(w, " %*d", colWidth(c), c.Parts[p])
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "%-22s", "total")
	for _, c := range calls {
		fmt.Fprintf(w, " %*d", colWidth(c), c.Total())
	}
	fmt.Fprintln(w)
	for i, c := range calls {
		fmt.Fprintf(w, "\n%s (system call %d): %d kernel instructions\n", c.Name, c.Nr, c.Total())
		if j := slices.IndexFunc(calls[:i], func(d *ProfileCall) bool { return slices.Equal(d.Trace, c.Trace) }); j >= 0 {
			fmt.Fprintf(w, "  the same instructions as %s\n", calls[j].Name)
			continue
		}
		fmt.Fprintf(w, "  expensive instructions: %s\n", countList(c.Costly))
		for _, p := range ProfileParts {
			if l := c.CostlyByPart[p]; len(l) > 0 {
				fmt.Fprintf(w, "    %s: %s\n", p, countList(l))
			}
		}
		for i, f := range c.Funcs {
			if maxFuncs > 0 && i == maxFuncs {
				fmt.Fprintf(w, "  %6s  ... %d more functions\n", "", len(c.Funcs)-maxFuncs)
				break
			}
			fmt.Fprintf(w, "  %6d  %s\n", f.N, f.Name)
		}
	}
}

// countList formats counts as "NAME N, NAME N" ("none" if empty).
func countList(l []Count) string {
	if len(l) == 0 {
		return "none"
	}
	var b strings.Builder
	for i, x := range l {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s %d", x.Name, x.N)
	}
	return b.String()
}

func colWidth(c *ProfileCall) int {
	if len(c.Name) < 8 {
		return 8
	}
	return len(c.Name)
}
