// Package initstack lays out the initial stack a Linux x86-64 program is
// entered with (System V AMD64 ABI §3.4.1; Linux's create_elf_tables in
// fs/binfmt_elf.c): argc, the argv and envp pointer arrays, the auxiliary
// vector, and the strings and random bytes they point to.
//
// The boot path uses it to start the kernel's own Go runtime, and the ELF
// loader to start user programs. Build does not allocate, so it can run
// before the Go runtime is initialized.
package initstack

// Auxiliary vector types (include/uapi/linux/auxvec.h).
const (
	AT_NULL         = 0
	AT_PHDR         = 3
	AT_PHENT        = 4
	AT_PHNUM        = 5
	AT_PAGESZ       = 6
	AT_BASE         = 7
	AT_FLAGS        = 8
	AT_ENTRY        = 9
	AT_UID          = 11
	AT_EUID         = 12
	AT_GID          = 13
	AT_EGID         = 14
	AT_PLATFORM     = 15
	AT_HWCAP        = 16
	AT_CLKTCK       = 17
	AT_SECURE       = 23
	AT_RANDOM       = 25
	AT_HWCAP2       = 26
	AT_EXECFN       = 31
	AT_SYSINFO_EHDR = 33
	AT_MINSIGSTKSZ  = 51
)

// Aux is one auxiliary vector entry.
type Aux struct{ Type, Value uint64 }

// Params describes the initial stack.
type Params struct {
	Argv []string
	Envp []string
	// Auxv holds the entries that are plain values; Build adds AT_RANDOM,
	// AT_EXECFN and AT_PLATFORM (pointing at data it places on the stack)
	// and the terminating AT_NULL.
	Auxv     []Aux
	Random   [16]byte
	ExecFn   string // AT_EXECFN, if not empty
	Platform string // AT_PLATFORM, if not empty
	// Addrs is scratch room for the string addresses, at least one per
	// argument and environment string. The caller provides it (early
	// boot cannot allocate), so that Build's frame stays small: the exec
	// path runs it on a task goroutine's stack.
	Addrs []uint64

	// Build reports where the argument strings and the environment
	// strings lie ([ArgStart, ArgEnd) and [EnvStart, EnvEnd): Linux's
	// mm->arg_start ... env_end, which /proc/PID/cmdline and environ read).
	ArgStart, ArgEnd, EnvStart, EnvEnd uint64
}

// Build writes the initial stack into mem, which is the memory just below
// address top, and returns the stack pointer (16-byte aligned, pointing at
// argc). ok is false if mem is too small.
func Build(mem []byte, top uint64, p *Params) (sp uint64, ok bool) {
	w := writer{mem: mem, top: top, pos: len(mem)}
	// Strings first, highest: execfn, then envp and argv strings, then
	// the platform string, then the random bytes.
	execfn := w.str(p.ExecFn)
	addrs := p.Addrs
	if len(addrs) < len(p.Envp)+len(p.Argv) {
		return 0, false
	}
	envpAddr, argvAddr := addrs[:len(p.Envp)], addrs[len(p.Envp):len(p.Envp)+len(p.Argv)]
	p.EnvEnd = w.addr(w.pos)
	for i := len(p.Envp) - 1; i >= 0; i-- {
		envpAddr[i] = w.str(p.Envp[i])
	}
	p.EnvStart, p.ArgEnd = w.addr(w.pos), w.addr(w.pos)
	for i := len(p.Argv) - 1; i >= 0; i-- {
		argvAddr[i] = w.str(p.Argv[i])
	}
	p.ArgStart = w.addr(w.pos)
	platform := w.str(p.Platform)
	random := w.bytes(p.Random[:])

	// Then the pointer area, 16-byte aligned at argc.
	nAux := len(p.Auxv) + 1 // AT_NULL
	if p.ExecFn != "" {
		nAux++
	}
	if p.Platform != "" {
		nAux++
	}
	nAux++ // AT_RANDOM
	words := 1 + len(p.Argv) + 1 + len(p.Envp) + 1 + 2*nAux
	w.pos &^= 15
	w.pos -= 8 * words
	if w.pos < 0 {
		return 0, false
	}
	w.pos &^= 15
	if w.pos < 0 {
		return 0, false
	}
	at := w.pos
	put := func(v uint64) {
		for i := 0; i < 8; i++ {
			mem[at+i] = byte(v >> (8 * i))
		}
		at += 8
	}
	put(uint64(len(p.Argv)))
	for i := range p.Argv {
		put(argvAddr[i])
	}
	put(0)
	for i := range p.Envp {
		put(envpAddr[i])
	}
	put(0)
	for _, a := range p.Auxv {
		put(a.Type)
		put(a.Value)
	}
	put(AT_RANDOM)
	put(random)
	if p.ExecFn != "" {
		put(AT_EXECFN)
		put(execfn)
	}
	if p.Platform != "" {
		put(AT_PLATFORM)
		put(platform)
	}
	put(AT_NULL)
	put(0)
	if w.bad {
		return 0, false
	}
	return w.addr(w.pos), true
}

type writer struct {
	mem []byte
	top uint64
	pos int
	bad bool
}

func (w *writer) addr(pos int) uint64 { return w.top - uint64(len(w.mem)-pos) }

// str places s and a NUL below the current position; returns its address.
func (w *writer) str(s string) uint64 {
	if w.pos < len(s)+1 {
		w.bad = true
		return 0
	}
	w.pos -= len(s) + 1
	copy(w.mem[w.pos:], s)
	w.mem[w.pos+len(s)] = 0
	return w.addr(w.pos)
}

func (w *writer) bytes(b []byte) uint64 {
	if w.pos < len(b) {
		w.bad = true
		return 0
	}
	w.pos -= len(b)
	copy(w.mem[w.pos:], b)
	return w.addr(w.pos)
}
