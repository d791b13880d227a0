package kernel

import (
	"oyako/amd64"
	"oyako/kernel/klog"
	"oyako/kernel/ktime"
	"oyako/kernel/mm"
	"oyako/kernel/sched"
)

// Page-fault error code bits (amd64.PF*).
const (
	pfPresent = amd64.PFPresent
	pfWrite   = amd64.PFWrite
	pfUser    = amd64.PFUser
	pfRsvd    = amd64.PFRsvd
	pfInstr   = amd64.PFInstr
	pfPK      = amd64.PFPK
)

var (
	interruptCount [256]uint64
	spurious       uint64
)

// handleTrap is the kernel's handler for every interrupt and exception
// (amd64.SetTrapHandler). It runs on the vector's IST stack with
// interrupts off.
func handleTrap(f *amd64.Frame) {
	v := f.Vector
	interruptCount[v&0xff]++
	switch {
	case v == amd64.VectorTimer:
		amd64.LAPICEOI()
		if faultInIRQ {
			crashPageFault(0xdead1000) // crash=irq: a bug in an interrupt handler
		}
		if kicksPending.Load() > 0 {
			sched.SetKickDeadline(ktime.Now() + kickInterval)
			if f.FromUser() && kickRequested() {
				// userTrap does not return, so Tick below does not
				// run: program the one-shot timer, which has just
				// fired, here (SetKickDeadline reprograms it only
				// when the kick deadline moves). Otherwise the
				// kicked context may go back to ring 3 with no
				// timer armed and spin there for ever, the CPU's
				// other threads and timers starved.
				sched.Rearm()
				userTrap(f, 0, EventKick)
			}
		}
		sched.Tick(f)
		// Tick returned: the interrupted context goes on, here.
		if f.FromUser() {
			if ev := longRunEvent(); ev != 0 {
				userTrap(f, 0, ev)
			}
		}
	case v == amd64.VectorSpurious:
		spurious++ // no EOI for spurious interrupts
	case v >= amd64.VectorIRQBase && v < amd64.VectorIRQBase+amd64.NumIRQs:
		amd64.LAPICEOI()
		deviceInterrupt(int(v - amd64.VectorIRQBase))
		sched.MaybePreempt(f, ktime.Now())
	case v < amd64.FirstIRQVector && f.FromUser():
		var cr2 uint64
		if v == amd64.VectorPF {
			cr2 = amd64.ReadCR2() // only meaningful for page faults
		}
		userTrap(f, cr2, v)
	case v == amd64.VectorPF:
		cr2 := amd64.ReadCR2()
		if f.Regs.OrigRax&(pfUser|pfPresent|pfRsvd) == 0 &&
			mm.Kernel.Fault(uintptr(cr2), f.Regs.OrigRax&pfWrite != 0, f.Regs.OrigRax&pfInstr != 0) {
			return
		}
		kernelFault(f, cr2)
	case v < amd64.FirstIRQVector:
		kernelFault(f, amd64.ReadCR2())
	default:
		amd64.LAPICEOI()
		var l klog.Line
		l.S("oyako: unexpected interrupt vector ").U(v).Print()
	}
}

// deviceInterrupt handles ISA IRQ irq. Device interrupts wake the kernel
// runtime's poller, so a Go driver blocked on an interrupt fd runs.
func deviceInterrupt(irq int) {
	if irq == comIRQ {
		comInterrupt()
		return
	}
	if virtioIRQ[irq] != 0 {
		virtioInterrupt(irq)
		return
	}
	WakePollers()
}
