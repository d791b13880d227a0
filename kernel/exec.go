package kernel

import (
	"errors"
	"io"
	"strings"

	"gvisor.dev/gvisor/pkg/errors/linuxerr"

	"oyako/amd64"
	"oyako/fs"
	"oyako/kernel/elfload"
	"oyako/kernel/initstack"
	"oyako/kernel/mm"
	"oyako/kernel/sched"
	"oyako/kernel/vdso"
)

// ErrDynamic is returned by exec for a dynamically linked program (one
// with PT_INTERP): oyako runs static programs only.
var ErrDynamic = errors.New("dynamically linked program (has an ELF interpreter); oyako runs static programs")

// Limits of execve(2) arguments.
const (
	maxArgStrlen = 32 * mm.PageSize // MAX_ARG_STRLEN
	maxArgBytes  = 2 << 20          // what the 8 MiB stack limit allows (stack/4)
	maxArgs      = 0x7fffffff
)

// regularReader reads a regular file.
type regularReader struct{ f fs.Regular }

func (r regularReader) ReadAt(p []byte, off int64) (int, error) {
	n, err := r.f.ReadAt(p, off)
	if err == nil && n < len(p) {
		return n, io.EOF
	}
	return n, err
}

// loadProgram resolves path, checks that it is a static ELF executable and
// builds a new address space with its segments, heap start and stack.
// It returns the address space, the image and the executable's path.
func loadProgram(c fs.Ctx, cwd fs.Dir, path string) (*mm.AddressSpace, *elfload.Image, string, error) {
	n, err := Root.Resolve(c, cwd, path, true)
	if err != nil {
		return nil, nil, "", err
	}
	if _, ok := n.(fs.Dir); ok {
		return nil, nil, "", linuxerr.EACCES
	}
	reg, ok := n.(fs.Regular)
	if !ok {
		return nil, nil, "", linuxerr.EACCES
	}
	if a := reg.Attr(); a.Mode&0o111 == 0 {
		return nil, nil, "", linuxerr.EACCES
	}
	r := regularReader{reg}
	img, err := elfload.Parse(r, mm.ETDynBase)
	if err != nil {
		return nil, nil, "", err
	}
	if img.Interp != "" {
		return nil, img, "", ErrDynamic
	}
	as, err := mm.NewAddressSpace()
	if err != nil {
		return nil, nil, "", err
	}
	obj, ok := reg.(mm.Object)
	if !ok {
		return nil, nil, "", linuxerr.EACCES
	}
	abs := absPath(cwd, path)
	for _, s := range img.Segments {
		if err := mapSegment(as, obj, s, abs); err != nil {
			as.DecRef(nil)
			return nil, nil, "", err
		}
	}
	as.SetBrk(uintptr(img.BrkStart))
	const stackSize = 8 << 20 // RLIMIT_STACK
	if _, err := as.Map(mm.MapParams{Addr: mm.StackTop - stackSize, Length: stackSize, Prot: mm.ProtRead | mm.ProtWrite, Flags: mm.MapPrivate | mm.MapAnonymous | mm.MapFixed | mm.MapGrowsDown, Name: "[stack]"}); err != nil {
		as.DecRef(nil)
		return nil, nil, "", err
	}
	return as, img, abs, nil
}

// mapSegment maps a PT_LOAD segment as binfmt_elf's elf_load does: the
// file's pages privately (shared with the file until written), the rest
// of the last file page cleared if the segment is writable (padzero), and
// anonymous zero pages for the bss beyond.
func mapSegment(as *mm.AddressSpace, obj mm.Object, s elfload.Segment, name string) error {
	start := uintptr(s.Vaddr) &^ (mm.PageSize - 1)
	fileEnd := uintptr(mm.PageAlignUp(s.Vaddr + s.Filesz))
	memEnd := uintptr(mm.PageAlignUp(s.Vaddr + s.Memsz))
	pageOff := s.Off - int64(s.Vaddr-uint64(start))
	if fileEnd > start {
		if _, err := as.Map(mm.MapParams{Addr: start, Length: fileEnd - start, Prot: s.Prot, Flags: mm.MapPrivate | mm.MapFixed, Obj: obj, Off: pageOff, Name: name}); err != nil {
			return err
		}
		if s.Memsz > s.Filesz && s.Prot&mm.ProtWrite != 0 {
			zeroStart := uintptr(s.Vaddr + s.Filesz)
			if err := as.ZeroOut(zeroStart, int(fileEnd-zeroStart)); err != nil {
				return err
			}
		}
	}
	if memEnd > fileEnd {
		if _, err := as.Map(mm.MapParams{Addr: fileEnd, Length: memEnd - fileEnd, Prot: s.Prot, Flags: mm.MapPrivate | mm.MapAnonymous | mm.MapFixed}); err != nil {
			return err
		}
	}
	return nil
}

// absPath makes path absolute against cwd (lexically).
func absPath(cwd fs.Dir, path string) string {
	if strings.HasPrefix(path, "/") {
		return path
	}
	base := Root.PathOf(cwd)
	if base == "/" {
		return "/" + path
	}
	return base + "/" + path
}

// Exec replaces t's process image with the program at path (execve(2)):
// new address space and initial stack, registers and vector state reset,
// close-on-exec descriptors closed. Other threads are not supported yet
// (the caller must be the only task).
func (t *Task) Exec(path string, argv, envp []string) error {
	total := 0
	for _, s := range append(append([]string(nil), argv...), envp...) {
		if len(s)+1 > maxArgStrlen {
			return linuxerr.E2BIG
		}
		total += len(s) + 1 + 8
	}
	if total > maxArgBytes {
		return linuxerr.E2BIG
	}
	p := t.Proc
	as, img, abs, err := loadProgram(t, p.Cwd(), path)
	if err != nil {
		return err
	}
	ehdr, err := vdso.MapInto(as)
	if err != nil {
		as.DecRef(nil)
		return err
	}
	sp, err := buildUserStack(as, img, abs, argv, envp, ehdr)
	if err != nil {
		as.DecRef(nil)
		return err
	}
	p.mu.Lock()
	old := p.as.Swap(as)
	p.exe = abs
	p.argv = append([]string(nil), argv...)
	p.mu.Unlock()
	if i := strings.LastIndexByte(abs, '/'); i >= 0 {
		p.SetName(abs[i+1:])
	}
	if old != nil {
		old.DecRef(dropAddressSpace)
	}
	p.fds.CloseOnExec()
	// The new program starts without the old one's registrations: rseq
	// (bprm_execve calls rseq_execve), the robust futex list and
	// clear_child_tid (exec_mm_release; with one thread and no vfork no
	// one else shares the old memory, so nothing is written there).
	t.Rseq, t.RseqLen, t.RseqSig = 0, 0, 0
	t.RobustList, t.RobustLen = 0, 0
	t.ClearChildTID = 0
	t.resetFPU()
	fpu := t.uc.Frame.FPU
	t.uc.Frame = amd64.Frame{FPU: fpu}
	t.uc.Frame.Regs = amd64.PtRegs{Rip: img.Entry, Rsp: sp, Cs: amd64.UserCS, Ss: amd64.UserDS, Eflags: amd64.FlagIF | 0x2}
	return nil
}

// buildUserStack lays out argv, envp and the auxiliary vector at the top of
// the new stack (Linux's create_elf_tables) and returns the stack pointer.
// ehdr is the vDSO's address (AT_SYSINFO_EHDR; 0 leaves it out).
func buildUserStack(as *mm.AddressSpace, img *elfload.Image, execfn string, argv, envp []string, ehdr uint64) (uint64, error) {
	size := 4096
	for _, s := range append(append([]string{execfn}, argv...), envp...) {
		size += len(s) + 1 + 8
	}
	mem := make([]byte, (size+mm.PageSize-1)&^(mm.PageSize-1))
	var random [16]byte
	RandomBytes(random[:])
	hwcap2 := uint64(0)
	if amd64.ReadCR4()&amd64.CR4_FSGSBASE != 0 {
		hwcap2 |= 2 // HWCAP2_FSGSBASE
	}
	p := initstack.Params{
		Argv: argv,
		Envp: envp,
		Auxv: []initstack.Aux{
			{Type: initstack.AT_MINSIGSTKSZ, Value: 2048},
			{Type: initstack.AT_HWCAP, Value: uint64(amd64.CPU.Leaf1EDX)},
			{Type: initstack.AT_PAGESZ, Value: mm.PageSize},
			{Type: initstack.AT_CLKTCK, Value: 100},
			{Type: initstack.AT_PHDR, Value: img.Phdr},
			{Type: initstack.AT_PHENT, Value: img.Phent},
			{Type: initstack.AT_PHNUM, Value: img.Phnum},
			{Type: initstack.AT_BASE, Value: 0},
			{Type: initstack.AT_FLAGS, Value: 0},
			{Type: initstack.AT_ENTRY, Value: img.Entry},
			{Type: initstack.AT_UID, Value: 0},
			{Type: initstack.AT_EUID, Value: 0},
			{Type: initstack.AT_GID, Value: 0},
			{Type: initstack.AT_EGID, Value: 0},
			{Type: initstack.AT_SECURE, Value: 0},
			{Type: initstack.AT_HWCAP2, Value: hwcap2},
		},
		Random:   random,
		ExecFn:   execfn,
		Platform: "x86_64",
	}
	if ehdr != 0 {
		// First, as Linux's ARCH_DLINFO puts it.
		p.Auxv = append([]initstack.Aux{{Type: initstack.AT_SYSINFO_EHDR, Value: ehdr}}, p.Auxv...)
	}
	sp, ok := initstack.Build(mem, mm.StackTop, &p)
	if !ok {
		return 0, linuxerr.E2BIG
	}
	used := mm.StackTop - sp
	if err := as.CopyOut(uintptr(sp), mem[uint64(len(mem))-used:]); err != nil {
		return 0, err
	}
	return sp, nil
}

// RandomBytes fills b from the CPU's random number generator.
func RandomBytes(b []byte) {
	for i := 0; i < len(b); i += 8 {
		v := RandomUint64()
		for j := 0; j < 8 && i+j < len(b); j++ {
			b[i+j] = byte(v >> (8 * j))
		}
	}
}

func init() { mm.FlushTLB = sched.FlushCR3 }

// dropAddressSpace makes sure no thread runs on a page table about to be
// freed.
func dropAddressSpace(root uint64) { sched.DropCR3(root) }
