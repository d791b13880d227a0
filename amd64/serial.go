package amd64

import "github.com/usbarmory/tamago/soc/intel/uart"

// COM1 is the PC's first serial port, the kernel console. Reception goes
// through tamago's 16550 driver, transmission through serialTx (below);
// Init adds the line setup the driver leaves to firmware (QEMU's
// emulation does not need a baud rate, a real 16550 does).
var COM1 = uart.UART{Index: 1, Base: 0x3f8, DTR: true, RTS: true}

// 16550 register offsets and bits not exported by the tamago driver.
const (
	uartIER     = 1
	uartLCR     = 3
	uartDLL     = 0
	uartDLM     = 1
	uartLCRDLAB = 0x80
	uart8N1     = 0x03
	uartIERRx   = 0x01 // interrupt on received data
)

// InitSerial programs COM1 for 115200 8N1 with no interrupts. It leaves
// the FIFO setting alone: switching the FIFO on clears it, which would
// lose input that arrived during boot.
func InitSerial() {
	base := COM1.Base
	Outb(base+uartIER, 0)
	Outb(base+uartLCR, uartLCRDLAB)
	Outb(base+uartDLL, 1) // 115200 baud
	Outb(base+uartDLM, 0)
	Outb(base+uartLCR, uart8N1)
	COM1.Init()
}

// EnableSerialRxInterrupt makes COM1 raise IRQ 4 when a byte arrives.
func EnableSerialRxInterrupt() {
	Outb(COM1.Base+uartIER, uartIERRx)
}

// The console's writers are nosplit, down to the port I/O: the kernel
// log writes under its spin lock with interrupts off, and goroutines log
// too. A goroutine must not reach a stack check there: the Go scheduler
// may preempt it in one and resume it on another thread, leaving its own
// thread running other goroutines with interrupts off (the timer cannot
// preempt it any more) and the lock held.

// SerialWriteRaw sends b to COM1 unchanged.
//
//go:nosplit
func SerialWriteRaw(b []byte) {
	for _, c := range b {
		serialTx(c)
	}
}

// SerialWrite sends b to COM1, translating "\n" into "\r\n" as a tty
// with ONLCR would (for kernel messages, which do not go through the
// console's line discipline).
//
//go:nosplit
func SerialWrite(b []byte) {
	for _, c := range b {
		if c == '\n' {
			serialTx('\r')
		}
		serialTx(c)
	}
}

// serialTx sends c once the transmit holding register is empty, as the
// tamago driver's Tx does, without its stack check.
//
//go:nosplit
func serialTx(c byte) {
	for Inb(COM1.Base+uart.LSR)&(1<<uart.LSR_THRE) == 0 {
	}
	Outb(COM1.Base+uart.THR, c)
}

// QEMU's debug devices (see qemu/ for the matching command line).
const (
	// DebugExitPort is isa-debug-exit: writing v makes QEMU exit with
	// status (v<<1)|1.
	DebugExitPort = 0xf4
	// DebugConPort is isa-debugcon: bytes written here go to a host file.
	// The kernel uses it as a side channel to the host harness, separate
	// from the console the program's output goes to.
	DebugConPort = 0xe9
)

// DebugConWrite writes b to the debugcon port.
func DebugConWrite(b []byte) {
	for _, c := range b {
		Outb(DebugConPort, c)
	}
}

// QEMUExit asks QEMU to exit with status (v<<1)|1. It returns only when no
// isa-debug-exit device is present.
func QEMUExit(v uint32) {
	Outl(DebugExitPort, v)
}
