package kernel

import (
	"os"
	"sync"
	"sync/atomic"
	"syscall"

	"oyako/amd64"
	"oyako/fs"
	"oyako/kernel/klog"
)

// The console is a TTY on COM1. Output goes straight to the serial port.
// Input arrives by interrupt: the IRQ 4 handler moves the received bytes
// into a ring buffer and signals an eventfd of the kernel's own runtime;
// a goroutine blocked reading that eventfd (through the Go runtime's
// poller, so it costs nothing while idle) feeds the bytes to the line
// discipline. This is how device interrupts reach ordinary Go code.

// Console is the console terminal.
var Console *fs.TTY

const (
	comIRQ   = 4
	ringSize = 4096
)

var (
	rxRing     [ringSize]byte
	rxHead     atomic.Uint32 // written by the interrupt handler
	rxTail     atomic.Uint32 // written by the console goroutine
	rxDropped  atomic.Uint64
	irqEventfd [amd64.NumIRQs]int32 // runtime eventfd object per IRQ, +1 (0: none)
)

// StartConsole creates the console TTY and starts its input path.
func StartConsole() error {
	Console = fs.NewTTY(klog.ConsoleRaw)
	if err := onIRQ(comIRQ, "console input", drainRx); err != nil {
		return err
	}
	amd64.EnableSerialRxInterrupt()
	amd64.EnableIRQ(comIRQ)
	// The IOAPIC sees edges: input that arrived before the interrupt was
	// unmasked raised the line already and will not raise it again until
	// the UART is read. Read it now.
	flags := amd64.SaveFlagsCli()
	comInterrupt()
	amd64.RestoreFlags(flags)
	drainRx()
	return nil
}

// onIRQ makes interrupt irq run fn in a goroutine of its own: the
// interrupt signals an eventfd of the kernel's runtime, which the
// goroutine reads through the runtime's poller. fn runs at least once
// after each interrupt (several interrupts may make one call).
func onIRQ(irq int, name string, fn func()) error {
	fd, _, e := syscall.RawSyscall(syscall.SYS_EVENTFD2, 0, syscall.O_NONBLOCK|syscall.O_CLOEXEC, 0)
	if e != 0 {
		return e
	}
	bindIRQ(irq, int(fd))
	f := os.NewFile(fd, name)
	go func() {
		var b [8]byte
		for {
			if _, err := f.Read(b[:]); err != nil {
				klog.Log("oyako: " + name + " stopped: " + err.Error())
				return
			}
			fn()
		}
	}()
	return nil
}

// bindIRQ makes interrupt irq signal the runtime eventfd fd.
func bindIRQ(irq, fd int) {
	flags := rlock.Lock()
	if f, err := getFD(uint64(fd)); err == 0 && f.kind == rfEventfd {
		irqEventfd[irq] = int32(f.obj) + 1
	}
	rlock.Unlock(flags)
}

// comInterrupt runs in interrupt context: it empties the UART's receive
// FIFO into the ring buffer and signals the console goroutine.
func comInterrupt() {
	for {
		c, ok := amd64.COM1.Rx()
		if !ok {
			break
		}
		h, t := rxHead.Load(), rxTail.Load()
		if h-t >= ringSize {
			rxDropped.Add(1)
			continue
		}
		rxRing[h%ringSize] = c
		rxHead.Store(h + 1)
	}
	signalIRQ(comIRQ)
}

// signalIRQ adds one to the eventfd bound to irq and wakes its pollers.
func signalIRQ(irq int) {
	obj := irqEventfd[irq] - 1
	if obj < 0 {
		return
	}
	eventfds[obj].count++
	notifyEventfd(int(obj))
}

// rxMu serializes drainRx: StartConsole drains what arrived before the
// console goroutine runs, and the goroutine may already be draining.
// Without it both would take the same bytes (tail not yet advanced) and
// give them to the console twice, or out of order.
var rxMu sync.Mutex

// drainRx passes the received bytes to the console.
func drainRx() {
	rxMu.Lock()
	defer rxMu.Unlock()
	var buf [ringSize]byte
	t := rxTail.Load()
	h := rxHead.Load()
	n := 0
	for ; t != h; t++ {
		buf[n] = rxRing[t%ringSize]
		n++
	}
	rxTail.Store(t)
	if n > 0 {
		Console.Input(buf[:n])
	}
}
