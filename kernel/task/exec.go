package task

import (
	"io"
	"strings"

	"oyako/kernel"

	"gvisor.dev/gvisor/pkg/errors/linuxerr"

	"oyako/amd64"
	"oyako/fs"
	"oyako/kernel/binfmt"
	"oyako/kernel/elfload"
	"oyako/kernel/initstack"
	"oyako/kernel/mm"
	"oyako/kernel/sched"
	"oyako/kernel/vdso"
)

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

// maxInterpDepth bounds nested "#!" interpreters (exec_binprm's depth).
const maxInterpDepth = 5

// ExecFile is an executable found by exec: the inode and the canonical
// path of the file (what /proc/PID/exe shows).
type ExecFile struct {
	Node fs.Inode
	Path string
}

// OpenExec resolves an executable as do_open_execat does: a regular file
// with an execute bit (root may run anything with one) on a mount that
// allows running programs, EACCES for directories and anything else.
func OpenExec(c fs.Ctx, cwd fs.Path, path string, follow bool) (ExecFile, error) {
	p, abs, err := Root.Realpath(c, cwd, path, follow)
	if err != nil {
		return ExecFile{}, err
	}
	n := p.Node
	if p.Mnt != nil && p.Mnt.NoExec() {
		return ExecFile{}, linuxerr.EACCES
	}
	if _, ok := n.(fs.Symlink); ok {
		return ExecFile{}, linuxerr.ELOOP // AT_SYMLINK_NOFOLLOW on a link
	}
	if _, ok := n.(fs.Regular); !ok {
		return ExecFile{}, linuxerr.EACCES
	}
	if a := n.Attr(); a.Mode&0o111 == 0 {
		return ExecFile{}, linuxerr.EACCES
	}
	return ExecFile{Node: n, Path: abs}, nil
}

// loadedELF is the plan of a program exec mapped, and of its interpreter
// for a dynamically linked program (nil for a static one).
type loadedELF struct {
	prog, interp *elfload.Image
}

// entry is where the new program starts: the interpreter's entry point
// if it has one, which jumps to the program's (AT_ENTRY) once done.
func (l loadedELF) entry() uint64 {
	if l.interp != nil {
		return l.interp.Entry
	}
	return l.prog.Entry
}

// base is AT_BASE: where the interpreter was loaded, 0 without one.
func (l loadedELF) base() uint64 {
	if l.interp != nil {
		return l.interp.Bias
	}
	return 0
}

// loadELF builds a new address space for the ELF program f, as
// load_elf_binary does: its segments, heap start and stack, and for a
// program with PT_INTERP the interpreter it names, resolved from cwd
// (ENOENT when missing, ELIBBAD when not x86-64 ELF). A position-
// independent program with an interpreter goes to mm.ETDynBase; the
// interpreter, and an ET_DYN program without one (static-PIE, or ld.so
// run as a command), go as a whole where top-down mmap allocation finds
// room, and the latter's heap starts at mm.LoaderBrk.
func loadELF(c fs.Ctx, cwd fs.Path, f ExecFile) (*mm.AddressSpace, loadedELF, error) {
	var l loadedELF
	img, err := elfload.Parse(regularReader{f.Node.(fs.Regular)})
	if err != nil {
		return nil, l, err
	}
	l.prog = img
	objs := []mm.Object{nil, nil}
	names := []string{f.Path, ""}
	var ok bool
	if objs[0], ok = f.Node.(mm.Object); !ok {
		return nil, l, linuxerr.EACCES
	}
	if img.Interp != "" {
		fi, err := OpenExec(c, cwd, img.Interp, true)
		if err != nil {
			return nil, l, err
		}
		if l.interp, err = elfload.ParseInterp(regularReader{fi.Node.(fs.Regular)}); err != nil {
			return nil, l, err
		}
		if objs[1], ok = fi.Node.(mm.Object); !ok {
			return nil, l, linuxerr.EACCES
		}
		names[1] = fi.Path
	}
	as, err := mm.NewAddressSpace()
	if err != nil {
		return nil, l, err
	}
	fail := func(err error) (*mm.AddressSpace, loadedELF, error) {
		as.DecRef(nil)
		return nil, l, err
	}
	// load_elf_binary's placement: a PIE with an interpreter at
	// ELF_ET_DYN_BASE; an ET_DYN without one (a loader) and the
	// interpreter where mmap(NULL, ...) would put them.
	loader := img.Relocatable() && l.interp == nil
	if img.Relocatable() && !loader {
		lo, _ := img.Span()
		img.Rebase(mm.ETDynBase - lo)
	}
	for i, im := range []*elfload.Image{l.prog, l.interp} {
		if im == nil {
			continue
		}
		if im.Relocatable() && (i == 1 || loader) {
			if err := placeTopDown(as, im); err != nil {
				return fail(err)
			}
		}
		for _, s := range im.Segments {
			if err := mapSegment(as, objs[i], s, names[i]); err != nil {
				return fail(err)
			}
		}
	}
	brk := uintptr(img.BrkStart)
	if loader {
		brk = mm.LoaderBrk
	}
	as.SetBrk(brk)
	const stackSize = 8 << 20 // RLIMIT_STACK
	if _, err := as.Map(mm.MapParams{Addr: mm.StackTop - stackSize, Length: stackSize, Prot: mm.ProtRead | mm.ProtWrite, Flags: mm.MapPrivate | mm.MapAnonymous | mm.MapFixed | mm.MapGrowsDown, Name: "[stack]"}); err != nil {
		return fail(err)
	}
	return as, l, nil
}

// placeTopDown moves im to where mmap(NULL, ...) of its whole span would
// go (elf_map of the first segment with the total mapping size), so that
// its segments can then be mapped there with MAP_FIXED.
func placeTopDown(as *mm.AddressSpace, im *elfload.Image) error {
	lo, hi := im.Span()
	at, err := as.Map(mm.MapParams{Length: uintptr(hi - lo), Flags: mm.MapPrivate | mm.MapAnonymous})
	if err != nil {
		return err
	}
	if err := as.Unmap(at, uintptr(hi-lo)); err != nil {
		return err
	}
	im.Rebase(uint64(at) - lo)
	return nil
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

// ExecArgs are execve's arguments: the program (opened by the caller,
// so that execveat's directory and flags apply), the name it was given
// (AT_EXECFN, and what a script's interpreter receives), argv and envp.
type ExecArgs struct {
	File     ExecFile
	Filename string
	Argv     []string
	Envp     []string
	// FilenameInaccessible is set when Filename is /dev/fd/N/... for a
	// close-on-exec descriptor N (BINPRM_FLAGS_PATH_INACCESSIBLE): a
	// script's interpreter could not open it, so a script is refused.
	FilenameInaccessible bool
}

// Exec replaces t's process image with a program (execve(2)): a "#!"
// script runs its interpreter with the script's name as an argument; an
// ELF program gets a new address space and initial stack. Past the point
// of no return (begin_new_exec) the other threads are ended and t takes
// the process's ID, the descriptor table is unshared and close-on-exec
// descriptors closed, signal handlers reset, and the registers, vector
// state and per-thread state start afresh. Errors before that point
// leave the process as it was.
func (t *Task) Exec(a ExecArgs) error {
	if err := checkArgSize(a.Argv, a.Envp); err != nil {
		return err
	}
	f := a.File
	// name is how the file being looked at was named (bprm->interp):
	// the script's name that its interpreter receives.
	name := a.Filename
	for depth := 0; ; depth++ {
		var buf [binfmt.BufSize]byte
		n, err := f.Node.(fs.Regular).ReadAt(buf[:], 0)
		if err != nil && err != io.EOF {
			return err
		}
		sc, script, err := binfmt.ParseScript(buf[:n])
		if err != nil {
			return err
		}
		if !script {
			break
		}
		if depth >= maxInterpDepth {
			return linuxerr.ELOOP
		}
		if a.FilenameInaccessible {
			return linuxerr.ENOENT
		}
		// argv[0] is replaced by the interpreter, its argument and the
		// script's name (load_script); the interpreter's name is what a
		// script it is in turn gets (bprm_change_interp).
		argv := []string{sc.Interp}
		if sc.HasArg {
			argv = append(argv, sc.Arg)
		}
		argv = append(argv, name)
		if len(a.Argv) > 1 {
			argv = append(argv, a.Argv[1:]...)
		}
		a.Argv = argv
		name = sc.Interp
		if err := checkArgSize(a.Argv, a.Envp); err != nil {
			return err
		}
		if f, err = OpenExec(t, t.Proc.Cwd(), sc.Interp, true); err != nil {
			return err
		}
	}
	as, l, err := loadELF(t, t.Proc.Cwd(), f)
	if err != nil {
		return err
	}
	img := l.prog
	ehdr, err := vdso.MapInto(as)
	if err != nil {
		as.DecRef(nil)
		return err
	}
	st, err := buildUserStack(as, img, l.base(), a.Filename, a.Argv, a.Envp, ehdr, t.Proc.Creds())
	if err != nil {
		as.DecRef(nil)
		return err
	}
	as.SetLayout(programLayout(img, st.SP))

	// The point of no return.
	if err := t.deThread(); err != nil {
		as.DecRef(nil)
		return err
	}
	p := t.Proc
	p.imageEnd()
	t.dropRegisteredRings()
	old := p.as.Swap(as)
	t.releaseVfork()
	if old != nil {
		old.DecRef(dropAddressSpace)
	}
	p.mu.Lock()
	p.exe = f.Path
	p.argStart, p.argEnd, p.envStart, p.envEnd = uintptr(st.ArgStart), uintptr(st.ArgEnd), uintptr(st.EnvStart), uintptr(st.EnvEnd)
	if p.files.refs.Load() > 1 {
		// unshare_files: the table stops being shared with the
		// processes it was cloned with.
		files := newSharedFiles(p.files.t.Fork())
		p.files.put()
		p.setFiles(files)
	}
	files := p.files.t
	// flush_signal_handlers: caught signals go back to their default;
	// ignored ones stay ignored.
	if h := p.sighand; h != nil {
		if h.shared.Load() {
			h = h.copy()
			p.sighand = h
		}
		h.flushHandlers()
	}
	// setup_new_exec forgets the stack but keeps its flags.
	t.altStack.Sp, t.altStack.Size = 0, 0
	t.hasSaved = false
	p.creds.execCaps()
	p.deleteTimersLocked() // exit_itimers: POSIX timers end; the interval timers stay
	p.mu.Unlock()
	procMu.Lock()
	p.didExec = true
	procMu.Unlock()
	// The name is the file name execve was given, the last component
	// (begin_new_exec's kbasename(bprm->filename)): the script's for a
	// script, the link's for a symbolic link.
	t.SetComm(a.Filename[strings.LastIndexByte(a.Filename, '/')+1:])
	files.CloseOnExec()
	t.resetFPU()
	fpu := t.uc.Frame.FPU
	t.uc.Frame = amd64.Frame{FPU: fpu}
	t.uc.Frame.Regs = amd64.PtRegs{Rip: l.entry(), Rsp: st.SP, Cs: amd64.UserCS, Ss: amd64.UserDS, Eflags: amd64.FlagIF | 0x2}
	// A new program starts without the old one's registrations of
	// per-thread memory (rseq, the robust futex list, clear_child_tid),
	// which pointed into the old image.
	t.Rseq, t.RseqLen, t.RseqSig = 0, 0, 0
	t.RobustList, t.RobustLen = 0, 0
	t.ClearChildTID = 0
	t.inSyscall = false
	return nil
}

// programLayout is where the program's code and data lie, as
// load_elf_binary computes mm->start_code ... end_data from the PT_LOAD
// segments (the code from the executable ones, the data up to the end
// of the last one's file contents), and the initial stack pointer.
func programLayout(img *elfload.Image, sp uint64) mm.Layout {
	startCode, endCode, startData, endData := ^uint64(0), uint64(0), uint64(0), uint64(0)
	for _, s := range img.Segments {
		exec := s.Prot&mm.ProtExec != 0
		if exec && s.Vaddr < startCode {
			startCode = s.Vaddr
		}
		startData = max(startData, s.Vaddr)
		if exec {
			endCode = max(endCode, s.Vaddr+s.Filesz)
		}
		endData = max(endData, s.Vaddr+s.Filesz)
	}
	if startCode == ^uint64(0) {
		startCode = 0
	}
	return mm.Layout{StartCode: uintptr(startCode), EndCode: uintptr(endCode), StartData: uintptr(startData), EndData: uintptr(endData), StartStack: uintptr(sp)}
}

// checkArgSize applies execve's limits on the argument strings (E2BIG).
func checkArgSize(argv, envp []string) error {
	total := 0
	for _, l := range [2][]string{argv, envp} {
		for _, s := range l {
			if len(s)+1 > maxArgStrlen {
				return linuxerr.E2BIG
			}
			total += len(s) + 1 + 8
		}
	}
	if total > maxArgBytes {
		return linuxerr.E2BIG
	}
	return nil
}

// deThread ends the process's other threads and gives t the thread-group
// ID (de_thread), waiting until they are gone. A group exit already under
// way wins (EAGAIN, so that the exit proceeds).
func (t *Task) deThread() error {
	p := t.Proc
	p.mu.Lock()
	if p.sig.exiting {
		p.mu.Unlock()
		return linuxerr.EAGAIN
	}
	for _, o := range p.tasks {
		if o != t {
			o.exiting = true
			o.wakeLocked()
		}
	}
	for len(p.tasks) > 1 {
		if t.exiting {
			p.mu.Unlock()
			return linuxerr.EINTR
		}
		ch := p.tasksChanged
		wake := t.wake
		p.mu.Unlock()
		t.BeginSleep(false) // de_thread waits killable only
		select {
		case <-ch:
		case <-wake:
		}
		t.EndSleep()
		p.mu.Lock()
	}
	p.mu.Unlock()
	if t.TID != p.PID {
		procMu.Lock()
		p.mu.Lock()
		delete(tasks, t.TID)
		delete(p.tasks, t.TID)
		t.TID = p.PID
		tasks[t.TID] = t
		p.tasks[t.TID] = t
		p.name = t.comm
		t.start = p.startTime // the leader's (de_thread)
		p.mu.Unlock()
		procMu.Unlock()
	}
	return nil
}

// userStack is where buildUserStack put the initial stack: the stack
// pointer and the argument and environment strings.
type userStack struct {
	SP                                 uint64
	ArgStart, ArgEnd, EnvStart, EnvEnd uint64
}

// buildUserStack lays out argv, envp and the auxiliary vector at the top of
// the new stack (Linux's create_elf_tables) and returns the stack pointer.
// base is where the interpreter was loaded (AT_BASE, 0 for a static
// program); ehdr is the vDSO's address (AT_SYSINFO_EHDR; 0 leaves it out).
func buildUserStack(as *mm.AddressSpace, img *elfload.Image, base uint64, execfn string, argv, envp []string, ehdr uint64, creds Creds) (userStack, error) {
	// Each string with its NUL and pointer, and 1 KiB for the rest: the
	// auxiliary vector (about 20 entries of 16 bytes), argc, the NULL
	// terminators, the platform string, the random bytes and alignment.
	// A multiple of 16, so that Build's alignment is the addresses'.
	size := 1024
	for _, l := range [3][]string{{execfn}, argv, envp} {
		for _, s := range l {
			size += len(s) + 1 + 8
		}
	}
	mem := make([]byte, (size+15)&^15)
	var random [16]byte
	kernel.RandomBytes(random[:])
	hwcap2 := uint64(0)
	if amd64.ReadCR4()&amd64.CR4_FSGSBASE != 0 {
		hwcap2 |= 2 // HWCAP2_FSGSBASE
	}
	p := initstack.Params{
		Argv: argv,
		Envp: envp,
		Auxv: []initstack.Aux{
			{Type: initstack.AT_MINSIGSTKSZ, Value: MinSigStackSize()},
			{Type: initstack.AT_HWCAP, Value: uint64(amd64.CPU.Leaf1EDX)},
			{Type: initstack.AT_PAGESZ, Value: mm.PageSize},
			{Type: initstack.AT_CLKTCK, Value: 100},
			{Type: initstack.AT_PHDR, Value: img.Phdr},
			{Type: initstack.AT_PHENT, Value: img.Phent},
			{Type: initstack.AT_PHNUM, Value: img.Phnum},
			{Type: initstack.AT_BASE, Value: base},
			{Type: initstack.AT_FLAGS, Value: 0},
			{Type: initstack.AT_ENTRY, Value: img.Entry},
			{Type: initstack.AT_UID, Value: uint64(creds.RUID)},
			{Type: initstack.AT_EUID, Value: uint64(creds.EUID)},
			{Type: initstack.AT_GID, Value: uint64(creds.RGID)},
			{Type: initstack.AT_EGID, Value: uint64(creds.EGID)},
			{Type: initstack.AT_SECURE, Value: 0},
			{Type: initstack.AT_HWCAP2, Value: hwcap2},
		},
		Random:   random,
		ExecFn:   execfn,
		Platform: "x86_64",
		Addrs:    make([]uint64, len(argv)+len(envp)),
	}
	if ehdr != 0 {
		// First, as Linux's ARCH_DLINFO puts it.
		p.Auxv = append([]initstack.Aux{{Type: initstack.AT_SYSINFO_EHDR, Value: ehdr}}, p.Auxv...)
	}
	sp, ok := initstack.Build(mem, mm.StackTop, &p)
	if !ok {
		return userStack{}, linuxerr.E2BIG
	}
	used := mm.StackTop - sp
	if err := as.CopyOut(uintptr(sp), mem[uint64(len(mem))-used:]); err != nil {
		return userStack{}, err
	}
	return userStack{SP: sp, ArgStart: p.ArgStart, ArgEnd: p.ArgEnd, EnvStart: p.EnvStart, EnvEnd: p.EnvEnd}, nil
}

func init() { mm.FlushTLB = sched.FlushCR3 }

// dropAddressSpace makes sure no thread runs on a page table about to be
// freed.
func dropAddressSpace(root uint64) { sched.DropCR3(root) }
