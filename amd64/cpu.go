// Package amd64 is oyako's layer over the x86-64 CPU and the PC devices the
// kernel drives directly: CPUID, MSRs and control registers, descriptor
// tables (GDT, TSS, IDT), exception and interrupt entry stubs, the saved
// register frame, FPU/XSAVE state, the context switch, per-CPU data, and the
// LAPIC, IOAPIC, PIT, UART, RTC and QEMU debug ports.
//
// Scope and limits: it knows nothing of threads, processes or memory
// management; those live in kernel/. Assembly is kept to what cannot be
// written in Go, and every assembly function is declared and documented here
// or in the Go file paired with its .s file. One CPU for now; per-CPU data
// is reached through GS so that SMP can follow.
//
// Functions in this package may run where the Go runtime cannot help: in
// early boot, interrupt handlers and runtime services. They do not allocate
// and do not block.
package amd64

// Cpuid executes CPUID with EAX=leaf and ECX=subleaf.
func Cpuid(leaf, subleaf uint32) (eax, ebx, ecx, edx uint32)

// Rdmsr reads model-specific register msr.
func Rdmsr(msr uint32) uint64

// Wrmsr writes val to model-specific register msr.
func Wrmsr(msr uint32, val uint64)

// ReadCR0 returns CR0.
func ReadCR0() uint64

// WriteCR0 sets CR0.
func WriteCR0(v uint64)

// ReadCR2 returns CR2, the linear address of the last page fault.
func ReadCR2() uint64

// CurrentG returns the address of the calling goroutine's g, which the Go
// runtime keeps in the thread-local slot (and in R14 inside Go code). The
// kernel records it for debuggers: the gdb helpers match it against the g
// of the code they stopped in to find the task being served.
func CurrentG() uintptr

// ReadCR3 returns CR3, the physical address of the current PML4.
func ReadCR3() uint64

// WriteCR3 loads a new PML4, flushing non-global TLB entries.
func WriteCR3(v uint64)

// ReadCR4 returns CR4.
func ReadCR4() uint64

// WriteCR4 sets CR4.
func WriteCR4(v uint64)

// Invlpg drops the TLB entry for the page holding addr.
func Invlpg(addr uintptr)

// Rdtsc reads the time-stamp counter.
func Rdtsc() uint64

// Outb writes a byte to an I/O port.
func Outb(port uint16, v uint8)

// Inb reads a byte from an I/O port.
func Inb(port uint16) uint8

// Outl writes a 32-bit value to an I/O port.
func Outl(port uint16, v uint32)

// MMIORead32 and MMIOWrite32 access a 32-bit device register with one
// plain MOV. Being assembly, they are never merged, reordered or elided by
// the compiler, and unlike atomic.StoreUint32 (XCHG) they do not make QEMU's
// TCG run a locked instruction on I/O memory in its slow exclusive mode.
func MMIORead32(addr uintptr) uint32
func MMIOWrite32(addr uintptr, v uint32)

// Halt executes HLT: the CPU sleeps until the next interrupt.
func Halt()

// HaltForever disables interrupts and halts for good.
func HaltForever()

// SaveFlagsCli returns RFLAGS and then disables interrupts. In ring 3 (host
// unit tests of code that takes kernel locks) it leaves IF alone, as CLI
// would fault there; RestoreFlags is harmless in ring 3 (POPF ignores IF).
func SaveFlagsCli() uint64

// RestoreFlags loads RFLAGS (and with it the interrupt flag) from flags.
func RestoreFlags(flags uint64)

// ReadFlags returns RFLAGS.
func ReadFlags() uint64

// Sti enables interrupts.
func Sti()

// Cli disables interrupts.
func Cli()

// StiHalt enables interrupts and halts in one step: STI delays interrupt
// recognition by one instruction, so no interrupt can slip in between and
// leave the CPU halted with work pending.
func StiHalt()

// Pause hints a spin-wait loop to the CPU.
func Pause()

// Ud2 executes an undefined instruction (#UD). Used by the deliberate
// crash test.
func Ud2()

// Xgetbv reads extended control register index (XCR0 is 0).
func Xgetbv(index uint32) uint64

// Xsetbv writes extended control register index.
func Xsetbv(index uint32, v uint64)

// Rdrand returns a hardware random number; ok is false when the CPU had
// none ready.
func Rdrand() (v uint64, ok bool)

// Rdseed returns a hardware entropy sample; ok is false when none was ready.
func Rdseed() (v uint64, ok bool)

// DescriptorPointer is the 10-byte operand of LGDT and LIDT: a 16-bit
// limit followed by a 64-bit base, packed (Go would pad a struct).
type DescriptorPointer [5]uint16

func makeDescriptorPointer(base uintptr, limit uint16) DescriptorPointer {
	return DescriptorPointer{limit, uint16(base), uint16(base >> 16), uint16(base >> 32), uint16(base >> 48)}
}

func lgdt(p *DescriptorPointer)
func lidt(p *DescriptorPointer)
func ltr(sel uint16)
func reloadSegments(cs, ds uint16)

// RFLAGS bits.
const (
	FlagCF = 1 << 0
	FlagTF = 1 << 8
	FlagIF = 1 << 9
	FlagDF = 1 << 10
	FlagNT = 1 << 14
	FlagRF = 1 << 16
	FlagAC = 1 << 18
	FlagID = 1 << 21

	FlagIOPL = 3 << 12
)

// Interrupts reports whether flags has interrupts enabled.
func Interrupts(flags uint64) bool { return flags&FlagIF != 0 }

// FlushTLBAll drops every TLB entry, global ones included.
func FlushTLBAll()
