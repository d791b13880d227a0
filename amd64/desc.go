package amd64

import "unsafe"

// Segment selectors, with Linux's GDT layout (arch/x86/include/asm/segment.h)
// so that SYSCALL/SYSRET work as on Linux and user programs see the same
// CS and SS values.
const (
	GDTEntryKernel32CS = 1
	GDTEntryKernelCS   = 2
	GDTEntryKernelDS   = 3
	GDTEntryUser32CS   = 4
	GDTEntryUserDS     = 5
	GDTEntryUserCS     = 6
	GDTEntryTSS        = 8 // 16 bytes: entries 8 and 9
	gdtEntries         = 10

	KernelCS = GDTEntryKernelCS * 8   // 0x10
	KernelDS = GDTEntryKernelDS * 8   // 0x18
	User32CS = GDTEntryUser32CS*8 | 3 // 0x23
	UserDS   = GDTEntryUserDS*8 | 3   // 0x2b
	UserCS   = GDTEntryUserCS*8 | 3   // 0x33
	TSSSel   = GDTEntryTSS * 8        // 0x40
)

// Segment descriptors (Intel SDM vol. 3A §3.4.5), as Linux's GDT_ENTRY_INIT.
const (
	descKernel32CS = 0x00cf9b000000ffff
	descKernelCS   = 0x00af9b000000ffff // L=1: 64-bit code
	descKernelDS   = 0x00cf93000000ffff
	descUser32CS   = 0x00cffb000000ffff
	descUserDS     = 0x00cff3000000ffff
	descUserCS     = 0x00affb000000ffff
)

// TSS is the 64-bit task-state segment (Intel SDM vol. 3A §8.7). Its
// 64-bit fields sit at 4-byte offsets, so it is kept as bytes.
type TSS [104]byte

const tssIOMapBase = 102

// SetRSP0 sets the stack the CPU switches to on an interrupt from ring 3
// through a gate without an IST entry.
func (t *TSS) SetRSP0(sp uintptr) { putU64(t[4:], uint64(sp)) }

// SetIST sets interrupt stack table entry i (1..7).
func (t *TSS) SetIST(i int, sp uintptr) { putU64(t[36+8*(i-1):], uint64(sp)) }

// IST returns interrupt stack table entry i.
func (t *TSS) IST(i int) uintptr { return uintptr(getU64(t[36+8*(i-1):])) }

func putU64(b []byte, v uint64) {
	for i := 0; i < 8; i++ {
		b[i] = byte(v >> (8 * i))
	}
}

func getU64(b []byte) uint64 {
	var v uint64
	for i := 0; i < 8; i++ {
		v |= uint64(b[i]) << (8 * i)
	}
	return v
}

// Interrupt stack table slots. Every vector runs on an IST stack (DESIGN.md
// §4): goroutine and service stacks are too small and precisely bounded to
// take an interrupt frame, and a fault inside a handler for one class gets
// a fresh stack of another class.
const (
	ISTDoubleFault = 1 // #DF
	ISTNMI         = 2 // NMI and #MC
	ISTPageFault   = 3 // #PF
	ISTException   = 4 // every other exception
	ISTIRQ         = 5 // device and timer interrupts
	NumIST         = 5
)

// Exception vectors (Intel SDM vol. 3A table 6-1).
const (
	VectorDE  = 0 // divide error
	VectorDB  = 1 // debug
	VectorNMI = 2
	VectorBP  = 3  // breakpoint (INT3)
	VectorOF  = 4  // overflow
	VectorBR  = 5  // bound range
	VectorUD  = 6  // invalid opcode
	VectorNM  = 7  // device not available
	VectorDF  = 8  // double fault
	VectorTS  = 10 // invalid TSS
	VectorNP  = 11 // segment not present
	VectorSS  = 12 // stack-segment fault
	VectorGP  = 13 // general protection
	VectorPF  = 14 // page fault
	VectorMF  = 16 // x87 floating point
	VectorAC  = 17 // alignment check
	VectorMC  = 18 // machine check
	VectorXM  = 19 // SIMD floating point
	VectorVE  = 20 // virtualization
	VectorCP  = 21 // control protection

	// FirstIRQVector is the first vector used for interrupts.
	FirstIRQVector = 32
)

// VectorName returns a short name for an exception vector.
func VectorName(v uint64) string {
	names := [...]string{
		"#DE divide error", "#DB debug", "NMI", "#BP breakpoint", "#OF overflow",
		"#BR bound range exceeded", "#UD invalid opcode", "#NM device not available",
		"#DF double fault", "coprocessor segment overrun", "#TS invalid TSS",
		"#NP segment not present", "#SS stack-segment fault", "#GP general protection",
		"#PF page fault", "reserved", "#MF x87 floating-point", "#AC alignment check",
		"#MC machine check", "#XM SIMD floating-point", "#VE virtualization",
		"#CP control protection",
	}
	if v < uint64(len(names)) {
		return names[v]
	}
	if v == VectorSyscall {
		return "syscall"
	}
	if v >= FirstIRQVector && v < 256 {
		return "interrupt"
	}
	return "reserved"
}

// gate is an IDT entry (Intel SDM vol. 3A §6.14.1).
type gate struct {
	offLow   uint16
	selector uint16
	ist      uint8
	typeAttr uint8
	offMid   uint16
	offHigh  uint32
	_        uint32
}

var idt [256]gate

var idtPointer DescriptorPointer

// InitIDT fills the IDT with the entry stubs and loads it. INT3 and INTO
// are callable from ring 3, as on Linux; every other gate is ring 0 only,
// so "int $n" from user mode raises #GP.
func InitIDT() {
	for v := range idt {
		ist := ISTIRQ
		switch {
		case v == VectorDF:
			ist = ISTDoubleFault
		case v == VectorNMI || v == VectorMC:
			ist = ISTNMI
		case v == VectorPF:
			ist = ISTPageFault
		case v < FirstIRQVector:
			ist = ISTException
		}
		dpl := uint8(0)
		if v == VectorBP || v == VectorOF {
			dpl = 3
		}
		off := vectorTable[v]
		idt[v] = gate{
			offLow:   uint16(off),
			selector: KernelCS,
			ist:      uint8(ist),
			typeAttr: 0x8e | dpl<<5, // present, 64-bit interrupt gate
			offMid:   uint16(off >> 16),
			offHigh:  uint32(off >> 32),
		}
	}
	loadIDT()
}

// loadIDT loads the (shared) IDT on the calling CPU.
func loadIDT() {
	idtPointer = makeDescriptorPointer(uintptr(unsafe.Pointer(&idt)), uint16(unsafe.Sizeof(idt)-1))
	lidt(&idtPointer)
}

// vectorTable holds the entry stub address of every vector (vectors.s).
var vectorTable [256]uintptr
