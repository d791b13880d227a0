package amd64

import (
	"sync/atomic"

	"github.com/usbarmory/tamago/amd64/lapic"
	"github.com/usbarmory/tamago/soc/intel/ioapic"
)

// The interrupt controllers, driven through tamago's lapic and ioapic
// packages. Both address registers with 32-bit physical addresses, so the
// kernel identity-maps the MMIO window (mm.MMIOBase) in every address space.
var (
	LAPIC  = lapic.LAPIC{Base: 0xfee00000}
	IOAPIC = ioapic.IOAPIC{Index: 0, Base: 0xfec00000, GSIBase: 0}
	// IOAPIC2 is the second IOAPIC of QEMU's microvm with ACPI (GSIs 24
	// to 47, where its virtio-mmio transports interrupt:
	// IO_APIC_SECONDARY_ADDRESS and _IRQBASE in hw/i386/microvm.c).
	// IOAPIC2Present says whether InitIOAPIC found it.
	IOAPIC2        = ioapic.IOAPIC{Index: 1, Base: 0xfec10000, GSIBase: 24}
	IOAPIC2Present bool
)

// NumIRQs is the number of GSIs the kernel routes (two IOAPICs of 24).
const NumIRQs = 48

// LAPIC registers tamago's driver does not cover (Intel SDM vol. 3A §10.5.4).
const (
	lapicTPR        = 0x080
	lapicSVR        = 0x0f0
	lapicTimerInit  = 0x380
	lapicTimerCount = 0x390
	lapicTimerDiv   = 0x3e0
	lapicLVTTimer   = 0x320
	lapicMask       = 1 << 16

	apicBaseEnable = 1 << 11
)

// Vectors the kernel assigns.
const (
	VectorTimer    = 0xec // LAPIC timer
	VectorSpurious = 0xff // LAPIC spurious interrupt
	// VectorIRQBase is the vector of ISA IRQ 0 through the IOAPIC;
	// GSI n has vector VectorIRQBase+n, for n < NumIRQs.
	VectorIRQBase = 0x30
)

func lapicReg(off uint32) *uint32 { return (*uint32)(Ptr(uintptr(LAPIC.Base + off))) }

func lapicRead(off uint32) uint32     { return atomic.LoadUint32(lapicReg(off)) }
func lapicWrite(off uint32, v uint32) { atomic.StoreUint32(lapicReg(off), v) }

// InitLAPIC enables the local APIC with the spurious vector, accepting all
// priorities, with its timer stopped and masked.
func InitLAPIC() {
	Wrmsr(MSR_APIC_BASE, Rdmsr(MSR_APIC_BASE)|apicBaseEnable)
	lapicWrite(lapicSVR, VectorSpurious)
	LAPIC.Enable()
	lapicWrite(lapicTPR, 0)
	lapicWrite(lapicTimerDiv, 0x3) // divide by 16
	lapicWrite(lapicTimerInit, 0)
	lapicWrite(lapicLVTTimer, lapicMask|VectorTimer)
}

// LAPICEOI signals the end of an interrupt to the local APIC.
func LAPICEOI() { LAPIC.ClearInterrupt() }

// LAPICTimerStart starts the timer counting down from count (in ticks of
// the divided bus clock) in one-shot mode; at zero it raises VectorTimer.
// A count of 0 stops it.
func LAPICTimerStart(count uint32) {
	LAPIC.SetTimer(VectorTimer, lapic.TIMER_MODE_ONE_SHOT)
	lapicWrite(lapicTimerInit, count)
}

// LAPICTimerStartMasked runs the timer without interrupts (calibration).
func LAPICTimerStartMasked(count uint32) {
	lapicWrite(lapicLVTTimer, lapicMask|VectorTimer)
	lapicWrite(lapicTimerInit, count)
}

// LAPICTimerCount returns the timer's current count.
func LAPICTimerCount() uint32 { return lapicRead(lapicTimerCount) }

// InitIOAPIC initializes the IOAPIC, and the second one if the machine
// has it (all redirection entries start masked). An IOAPIC's version
// register reads 0x11 or 0x20 in its low byte (QEMU's
// IOAPIC_VER_DEF is 0x20) with the highest entry's index above it; an
// address with nothing behind it reads as all zeros or all ones.
func InitIOAPIC() {
	IOAPIC.Init()
	v := IOAPIC2.Version()
	if ver := v & 0xff; (ver == 0x11 || ver == 0x20) && v>>16&0xff == 23 {
		IOAPIC2Present = true
		IOAPIC2.Init()
	}
}

// EnableIRQ routes GSI irq (an ISA IRQ below 16) to VectorIRQBase+irq on
// the boot CPU, edge-triggered.
func EnableIRQ(irq int) {
	if irq >= IOAPIC2.GSIBase {
		if IOAPIC2Present {
			IOAPIC2.EnableInterrupt(irq, VectorIRQBase+irq)
		}
		return
	}
	IOAPIC.EnableInterrupt(irq, VectorIRQBase+irq)
}

// DisablePIC masks the legacy 8259 PICs, whose interrupts the IOAPIC
// replaces.
func DisablePIC() {
	Outb(0x21, 0xff)
	Outb(0xa1, 0xff)
}
