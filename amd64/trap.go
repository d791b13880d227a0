package amd64

// Page-fault error code bits (Intel SDM vol. 3A §4.7).
const (
	PFPresent = 1 << 0
	PFWrite   = 1 << 1
	PFUser    = 1 << 2
	PFRsvd    = 1 << 3
	PFInstr   = 1 << 4
	PFPK      = 1 << 5
)

//go:generate sh -c "go run gen_vectors.go > vectors.s"

// TrapHandler handles every interrupt and exception: it is called by the
// entry stubs with the interrupted context's frame, on that vector's IST
// stack, interrupts off, FS pointing at the kernel's fake g. When it
// returns, the frame is resumed; it may instead resume another frame.
var trapHandler func(f *Frame)

// SetTrapHandler installs the kernel's trap handler.
func SetTrapHandler(h func(f *Frame)) { trapHandler = h }

// trap is called from trapCommon (trap.s).
func trap(f *Frame) {
	if trapHandler == nil {
		// Before the kernel installed its handler: nothing can be done.
		var l [64]byte
		n := copy(l[:], "oyako: trap before handler installed, vector ")
		l[n] = byte('0' + f.Vector/100%10)
		l[n+1] = byte('0' + f.Vector/10%10)
		l[n+2] = byte('0' + f.Vector%10)
		l[n+3] = '\n'
		SerialWrite(l[:n+4])
		QEMUExit(0x7f)
		HaltForever()
	}
	trapHandler(f)
}

// Resume restores the context in f and continues it; it does not return.
// f may be anywhere in memory (a thread's saved frame): IRETQ loads the
// stack pointer from it.
func Resume(f *Frame)

// SwitchTo saves the caller's context into save, so that resuming save
// returns from this call, and resumes next. Interrupts should be off.
func SwitchTo(save, next *Frame)

// EnterUser saves the caller's context into kcont, so that resuming kcont
// returns from this call, and enters the ring-3 context user. With sysret
// it returns to ring 3 by SYSRET (see Frame.CanSysret), otherwise by
// IRETQ. Interrupts must be off.
func EnterUser(kcont, user *Frame, sysret bool)

// RestoreFrameBX resumes the Frame whose address is in BX. It is the
// register-argument entry of the restore path for assembly elsewhere
// (entry_SYSCALL_64 resuming a kernel continuation); Go code calls Resume.
func RestoreFrameBX()

// SaveFPU saves the vector-register state into area (XSaveSize bytes,
// 64-byte aligned).
func SaveFPU(area uintptr)

// idleLoop enables interrupts and halts, forever.
func idleLoop()

// IdleLoopPC returns the address to start an idle thread at.
func IdleLoopPC() uintptr { return idleLoopPC }

var idleLoopPC uintptr
