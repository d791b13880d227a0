package signals

import (
	"encoding/binary"
	"unsafe"
)

// This file lays out the x86-64 signal frame exactly as Linux's
// arch/x86/kernel/signal_64.c (x64_setup_rt_frame) and signal.c
// (get_sigframe) build it, and reads it back for rt_sigreturn. It works
// on bytes and plain register values so that the layout is tested on the
// host; the kernel copies the bytes to and from the user stack.

// Regs are the user registers a signal frame saves: struct pt_regs'
// general registers, RIP, RFLAGS and RSP, in sigcontext's order.
type Regs struct {
	R8, R9, R10, R11, R12, R13, R14, R15 uint64
	Rdi, Rsi, Rbp, Rbx, Rdx, Rax, Rcx    uint64
	Rsp, Rip, Eflags                     uint64
}

// Sigcontext is struct sigcontext (arch/x86/include/uapi/asm/sigcontext.h,
// the 64-bit variant): 256 bytes.
type Sigcontext struct {
	Regs                 // r8 ... eflags
	Cs, Gs, Fs, Ss       uint16
	Err, Trapno, Oldmask uint64
	Cr2, Fpstate         uint64
	Reserved1            [8]uint64
}

// StackT is stack_t (sigaltstack).
type StackT struct {
	Sp    uint64
	Flags int32
	_     int32
	Size  uint64
}

// Ucontext is struct ucontext as the kernel writes it (uapi
// asm-generic/ucontext.h with x86's sigcontext): 304 bytes.
type Ucontext struct {
	Flags    uint64
	Link     uint64
	Stack    StackT
	Mcontext Sigcontext
	Sigmask  uint64
}

// RtSigframe is struct rt_sigframe (arch/x86/include/asm/sigframe.h):
// the handler's return address, the ucontext and the siginfo. The
// fpstate lives apart, above it on the stack.
type RtSigframe struct {
	Pretcode uint64
	Uc       Ucontext
	Info     SigInfo
}

// Sizes checked by the tests against Linux's.
const (
	SigcontextSize = 256
	UcontextSize   = 304
	RtSigframeSize = 440
	// InfoOffset is where siginfo starts in the frame.
	InfoOffset = 8 + UcontextSize
)

// uc_flags (arch/x86/include/uapi/asm/ucontext.h).
const (
	UC_FP_XSTATE         = 0x1
	UC_SIGCONTEXT_SS     = 0x2
	UC_STRICT_RESTORE_SS = 0x4
)

// sigaltstack flags.
const (
	SS_ONSTACK    = 1
	SS_DISABLE    = 2
	SS_AUTODISARM = -1 << 31 // 1<<31 as the int ss_flags holds it
	// MINSIGSTKSZ is the smallest alternate stack sigaltstack accepts.
	MINSIGSTKSZ = 2048
)

// The software-reserved bytes of the FXSAVE image and the magic numbers
// that mark an XSAVE frame (arch/x86/include/uapi/asm/sigcontext.h).
const (
	FP_XSTATE_MAGIC1      = 0x46505853
	FP_XSTATE_MAGIC2      = 0x46505845
	FP_XSTATE_MAGIC2_SIZE = 4
	fxSwBytesOffset       = 464 // struct _fpx_sw_bytes in fxsave's padding
	xsaveHeaderOffset     = 512
	mxcsrOffset           = 24
	mxcsrMaskOffset       = 28
	// MXCSRMaskDefault is the MXCSR mask when FXSAVE reports 0.
	MXCSRMaskDefault = 0xffbf
)

// AltStack is a thread's sigaltstack state (task_struct's sas_ss_sp,
// sas_ss_size and sas_ss_flags: the flags as the program gave them).
// Threads start with NoAltStack.
type AltStack struct {
	Sp, Size uint64
	Flags    int32
}

// NoAltStack is a thread without an alternate stack (sas_ss_reset).
var NoAltStack = AltStack{Flags: SS_DISABLE}

// OnStack reports whether sp lies on the alternate stack (on_sig_stack).
func (a AltStack) OnStack(sp uint64) bool {
	return a.Size != 0 && sp > a.Sp && sp-a.Sp <= a.Size
}

// ReportFlags returns the ss_flags sigaltstack(2) reports to a thread
// whose stack pointer is sp (sas_ss_flags and SS_AUTODISARM).
func (a AltStack) ReportFlags(sp uint64) int32 {
	f := a.Flags & SS_AUTODISARM
	switch {
	case a.Size == 0:
		f |= SS_DISABLE
	case a.OnStack(sp):
		f |= SS_ONSTACK
	}
	return f
}

// Set changes the alternate stack as do_sigaltstack does for a thread at
// sp: EPERM (ok false, errno "EPERM") while running on it, EINVAL for a bad
// mode, ENOMEM for a stack smaller than min.
func (a *AltStack) Set(n StackT, sp, min uint64) (errno string) {
	if a.OnStack(sp) {
		return "EPERM"
	}
	mode := n.Flags &^ SS_AUTODISARM
	if mode != SS_DISABLE && mode != SS_ONSTACK && mode != 0 {
		return "EINVAL"
	}
	if a.Sp == n.Sp && a.Size == n.Size && a.Flags == n.Flags {
		return ""
	}
	if mode == SS_DISABLE {
		n.Sp, n.Size = 0, 0
	} else if n.Size < min {
		return "ENOMEM"
	}
	*a = AltStack{Sp: n.Sp, Size: n.Size, Flags: n.Flags}
	return ""
}

// FPU describes the vector state format of the machine.
type FPU struct {
	// XSave is set when the state is in XSAVE format (else FXSAVE's 512
	// bytes); Size is its size and Features XCR0.
	XSave    bool
	Size     int
	Features uint64
}

// frameSize is the room the saved vector state takes on the stack
// (fpu__alloc_mathframe: the state plus the trailing magic for XSAVE).
func (f FPU) frameSize() uint64 {
	if f.XSave {
		return uint64(f.Size) + FP_XSTATE_MAGIC2_SIZE
	}
	return 512
}

// Sizes in Linux's worst-case signal frame (arch/x86/kernel/signal.c
// init_sigframe_size, with CONFIG_IA32_EMULATION as distributions build
// it): struct sigframe_ia32 is the largest frame header, and
// fpu__get_fpstate_size adds room for a legacy fsave header.
const (
	sigframeIA32Size = 732 // struct sigframe_ia32
	fregsStateSize   = 112 // struct fregs_state
)

// FrameSize is the value of AT_MINSIGSTKSZ, computed as Linux's
// init_sigframe_size does: the largest frame header and the vector
// state (with its magic and an fsave header), each with its worst-case
// alignment padding, rounded up to 16. A 64-bit frame (BuildFrame)
// always fits in it.
func (f FPU) FrameSize() uint64 {
	size := sigframeIA32Size + 15 + f.frameSize() + fregsStateSize + 63
	return (size + 15) &^ 15
}

// Delivery is what the kernel knows when it delivers a signal to a
// handler.
type Delivery struct {
	Regs    Regs
	Info    SigInfo
	Action  Sigaction
	OldMask uint64 // the mask to restore on return (uc_sigmask)
	Alt     AltStack
	// Err, Trapno and Cr2 describe the exception that caused the signal
	// (zero otherwise), as thread.error_code, trap_nr and cr2.
	Err, Trapno, Cr2 uint64
	// FPUState is the thread's vector state image (FPU.Size bytes).
	FPUState []byte
}

// Sigaction is struct kernel_sigaction as rt_sigaction(2) passes it.
type Sigaction struct {
	Handler, Flags, Restorer, Mask uint64
}

// Handler values.
const (
	SIG_DFL = 0
	SIG_IGN = 1
)

// Built is a signal frame ready to be written to the user stack.
type Built struct {
	// Frame is the address of the rt_sigframe, FPState that of the
	// vector state; the handler starts with RSP = Frame.
	Frame, FPState uint64
	// Bytes are the rt_sigframe's bytes up to siginfo (written at
	// Frame), Info siginfo's (written at Frame+InfoOffset only with
	// SA_SIGINFO, as Linux leaves the space untouched otherwise) and FP
	// the vector state (written at FPState).
	Bytes, Info, FP []byte
	// Disarm is set when SS_AUTODISARM asks to disable the alternate
	// stack now that the frame is on it.
	Disarm bool
}

// BuildFrame lays out the frame for d (get_sigframe, x64_setup_rt_frame,
// copy_fpstate_to_sigframe). It reports false when the frame cannot be
// built: no SA_RESTORER (x86-64 has no kernel-provided restorer) or an
// alternate stack too small for it; Linux then forces SIGSEGV.
func BuildFrame(d *Delivery, fpu FPU) (Built, bool) {
	if d.Action.Flags&SA_RESTORER == 0 {
		return Built{}, false
	}
	sp := d.Regs.Rsp - 128 // the red zone
	onAlt := d.Alt.OnStack(d.Regs.Rsp)
	if d.Action.Flags&SA_ONSTACK != 0 && d.Alt.Size != 0 && !d.Alt.OnStack(sp) {
		sp = d.Alt.Sp + d.Alt.Size
		onAlt = true
	}
	fpAddr := (sp - fpu.frameSize()) &^ 63
	frame := (fpAddr-RtSigframeSize)&^15 - 8 // align_sigframe
	if onAlt && !d.Alt.OnStack(frame) {
		return Built{}, false // the frame would overflow the alternate stack
	}
	var f RtSigframe
	f.Pretcode = d.Action.Restorer
	f.Uc.Flags = UC_SIGCONTEXT_SS | UC_STRICT_RESTORE_SS
	if fpu.XSave {
		f.Uc.Flags |= UC_FP_XSTATE
	}
	f.Uc.Stack = StackT{Sp: d.Alt.Sp, Flags: d.Alt.Flags, Size: d.Alt.Size}
	mc := &f.Uc.Mcontext
	mc.Regs = d.Regs
	mc.Cs, mc.Ss = userCS, userDS
	mc.Err, mc.Trapno, mc.Cr2 = d.Err, d.Trapno, d.Cr2
	mc.Oldmask = d.OldMask
	mc.Fpstate = fpAddr
	f.Uc.Sigmask = d.OldMask
	f.Info = d.Info
	b := unsafe.Slice((*byte)(unsafe.Pointer(&f)), RtSigframeSize)
	out := Built{
		Frame:   frame,
		FPState: fpAddr,
		Bytes:   append([]byte(nil), b[:InfoOffset]...),
		Disarm:  onAlt && d.Alt.Flags&SS_AUTODISARM != 0,
	}
	if d.Action.Flags&SA_SIGINFO != 0 {
		out.Info = append([]byte(nil), b[InfoOffset:]...)
	}
	out.FP = fpFrame(d.FPUState, fpu)
	return out, true
}

// fpFrame is the vector state as the signal frame holds it: the XSAVE
// image with the software bytes that describe it and the trailing
// magic, or the plain FXSAVE image.
func fpFrame(state []byte, fpu FPU) []byte {
	size := int(fpu.frameSize())
	fp := make([]byte, size)
	copy(fp, state[:min(len(state), fpu.Size)])
	if !fpu.XSave {
		return fp
	}
	le := binary.LittleEndian
	sw := fp[fxSwBytesOffset:]
	le.PutUint32(sw[0:], FP_XSTATE_MAGIC1)
	le.PutUint32(sw[4:], uint32(size)) // extended_size
	le.PutUint64(sw[8:], fpu.Features) // xfeatures
	le.PutUint32(sw[16:], uint32(fpu.Size))
	le.PutUint32(fp[fpu.Size:], FP_XSTATE_MAGIC2)
	return fp
}

// Segment selectors sigcontext reports (arch/x86/include/asm/segment.h:
// __USER_CS and __USER_DS).
const (
	userCS = 0x33
	userDS = 0x2b
)

// HandlerRegs returns the registers the handler starts with
// (x64_setup_rt_frame and handle_signal): RDI the signal, RSI siginfo,
// RDX the ucontext, RAX 0, RIP the handler, RSP the frame, and the
// direction, trap and resume flags clear.
func HandlerRegs(d *Delivery, b Built) Regs {
	r := d.Regs
	r.Rdi = uint64(d.Info.Signo())
	r.Rsi = b.Frame + InfoOffset
	r.Rdx = b.Frame + 8
	r.Rax = 0
	r.Rip = d.Action.Handler
	r.Rsp = b.Frame
	r.Eflags &^= flagDF | flagRF | flagTF
	return r
}

const (
	flagTF = 1 << 8
	flagDF = 1 << 10
	flagRF = 1 << 16
	// fixEflags are the flags sigreturn takes from the frame
	// (FIX_EFLAGS: AC, OF, DF, TF, SF, ZF, AF, PF, CF, RF).
	fixEflags = 1<<18 | 1<<11 | flagDF | flagTF | 1<<7 | 1<<6 | 1<<4 | 1<<2 | 1<<0 | flagRF
)

// Returned is what rt_sigreturn restores from a frame.
type Returned struct {
	Regs  Regs
	Mask  uint64
	Stack StackT
	// Cs and Ss are the selectors to return with, CPL 3 forced
	// (COPY_SEG_CPL3); BadSelector tells whether ring 3 can be entered
	// with them.
	Cs, Ss uint16
	// FPState is the address of the saved vector state (0: none, reset
	// to the initial state); UcFlags tells its format.
	FPState uint64
	UcFlags uint64
}

// ParseFrame reads the rt_sigframe bytes (RtSigframeSize of them, from
// the stack at RSP-8 when rt_sigreturn runs) as restore_sigcontext does.
// eflags are the current flags: only FIX_EFLAGS come from the frame.
func ParseFrame(b []byte, eflags uint64) Returned {
	var f RtSigframe
	copy(unsafe.Slice((*byte)(unsafe.Pointer(&f)), RtSigframeSize), b)
	mc := &f.Uc.Mcontext
	r := Returned{Regs: mc.Regs, Mask: f.Uc.Sigmask, Stack: f.Uc.Stack, FPState: mc.Fpstate, UcFlags: f.Uc.Flags}
	r.Regs.Eflags = eflags&^fixEflags | mc.Eflags&fixEflags
	r.Cs, r.Ss = mc.Cs|3, mc.Ss|3
	// Without UC_STRICT_RESTORE_SS a bad SS in 64-bit code is replaced
	// (force_valid_ss: the only valid one is the user data segment).
	if f.Uc.Flags&UC_STRICT_RESTORE_SS == 0 && r.Cs == userCS {
		r.Ss = userDS
	}
	return r
}

// BadSelector reports whether the CPU would refuse to return to r's
// selectors (IRET raises #GP: Linux delivers SIGSEGV, si_code SI_KERNEL)
// and the error code of that #GP: the selector at fault, or 0 for a null
// SS. A 32-bit code segment (compatibility mode, which Linux would run)
// is refused too: oyako runs 64-bit code only.
func (r Returned) BadSelector() (bad bool, errCode uint64) {
	switch {
	case r.Cs != userCS:
		return true, uint64(r.Cs &^ 3)
	case r.Ss != userDS:
		return true, uint64(r.Ss &^ 3)
	}
	return false, 0
}

// FPStateSize is the most rt_sigreturn reads at the saved vector
// state's address.
func (f FPU) FPStateSize() int { return int(f.frameSize()) }

// x87, SSE and AVX state components (XCR0 bits).
const (
	xfeatureFP  = 1 << 0
	xfeatureSSE = 1 << 1
	xfeatureAVX = 1 << 2
	// xsaveMinSize is the legacy area and the XSAVE header.
	xsaveMinSize = 512 + 64
)

// XStateInFrame reports whether the vector state whose first 512
// bytes (the FXSAVE image with its software bytes) are legacy is an
// XSAVE image, and how much of it rt_sigreturn must read then (the
// state and the trailing magic): check_xstate_in_sigframe's size
// checks. Otherwise the frame is taken as a plain FXSAVE image of x87
// and SSE state.
func (f FPU) XStateInFrame(legacy []byte) (xsave bool, size int) {
	if !f.XSave || len(legacy) < 512 {
		return false, 512
	}
	sw := legacy[fxSwBytesOffset:]
	le := binary.LittleEndian
	magic1, ext, xsize := le.Uint32(sw[0:]), le.Uint32(sw[4:]), le.Uint32(sw[16:])
	if magic1 != FP_XSTATE_MAGIC1 || xsize < xsaveMinSize || xsize > uint32(f.Size) || xsize > ext {
		return false, 512
	}
	return true, max(int(xsize)+FP_XSTATE_MAGIC2_SIZE, f.Size)
}

// CheckFPState validates the vector state of a signal frame at addr
// before it is restored, as fpu__restore_sig and the XRSTOR or FXRSTOR
// it runs on the user's image would, so that nothing a program wrote
// makes XRSTOR fault in the kernel. b holds the bytes XStateInFrame asked
// for. It returns the image to load (in the kernel's XSAVE format) and
// whether it is acceptable: Linux raises SIGSEGV otherwise.
//
// An XSAVE image (both magics, sizes in range) must be 64-byte aligned;
// its header may name only enabled components, in the standard format
// (XCOMP_BV and the next 8 bytes zero: XRSTOR ignores the rest); the
// components restored are those the software bytes' xfeatures name, the
// others return to their initial state. Any other image is a plain
// FXSAVE one: 16-byte aligned, x87 and SSE state only. MXCSR's reserved
// bits must be clear when it is loaded.
func CheckFPState(b []byte, addr uint64, fpu FPU, mxcsrMask uint32) ([]byte, bool) {
	if len(b) < 512 {
		return nil, false
	}
	le := binary.LittleEndian
	xsave, size := fpu.XStateInFrame(b)
	if xsave && (len(b) < size || le.Uint32(b[le.Uint32(b[fxSwBytesOffset+16:]):]) != FP_XSTATE_MAGIC2) {
		xsave = false
	}
	if xsave && addr&63 != 0 || addr&15 != 0 {
		return nil, false // XRSTOR and FXRSTOR fault on a misaligned image
	}
	if mxcsrMask == 0 {
		mxcsrMask = MXCSRMaskDefault
	}
	rfbm := uint64(xfeatureFP | xfeatureSSE)
	if xsave {
		rfbm = le.Uint64(b[fxSwBytesOffset+8:]) & fpu.Features
	}
	if rfbm&(xfeatureSSE|xfeatureAVX) != 0 && le.Uint32(b[mxcsrOffset:])&^mxcsrMask != 0 {
		return nil, false
	}
	out := make([]byte, fpu.Size)
	copy(out, b[:512])
	// The software bytes are not state: XRSTOR ignores them, but clear
	// them so the area matches what XSAVE writes.
	clear(out[fxSwBytesOffset:512])
	if !fpu.XSave {
		return out, true
	}
	bv := uint64(xfeatureFP | xfeatureSSE) // FXRSTOR loads both from the legacy area
	if xsave {
		h := b[xsaveHeaderOffset : xsaveHeaderOffset+64]
		bv = le.Uint64(h[0:])
		if bv&^fpu.Features != 0 || le.Uint64(h[8:]) != 0 || le.Uint64(h[16:]) != 0 {
			return nil, false
		}
		copy(out[xsaveMinSize:], b[xsaveMinSize:fpu.Size])
		bv &= rfbm // components left out of xfeatures are initialized
		if rfbm&(xfeatureSSE|xfeatureAVX) == 0 {
			le.PutUint32(out[mxcsrOffset:], 0x1f80) // MXCSR comes from the initial state
		}
	}
	le.PutUint64(out[xsaveHeaderOffset:], bv)
	return out, true
}
