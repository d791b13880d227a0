package signals

import (
	"encoding/binary"
	"testing"
	"unsafe"
)

// TestLayout checks the frame structures against Linux's sizes and the
// offsets of arch/x86/include/uapi/asm/sigcontext.h and ucontext.h.
func TestLayout(t *testing.T) {
	var f RtSigframe
	mc := &f.Uc.Mcontext
	for _, c := range []struct {
		name      string
		got, want uintptr
	}{
		{"sizeof(sigcontext)", unsafe.Sizeof(f.Uc.Mcontext), SigcontextSize},
		{"sizeof(ucontext)", unsafe.Sizeof(f.Uc), UcontextSize},
		{"sizeof(rt_sigframe)", unsafe.Sizeof(f), RtSigframeSize},
		{"uc_stack", unsafe.Offsetof(f.Uc.Stack), 16},
		{"uc_mcontext", unsafe.Offsetof(f.Uc.Mcontext), 40},
		{"uc_sigmask", unsafe.Offsetof(f.Uc.Sigmask), 296},
		{"info", unsafe.Offsetof(f.Info), InfoOffset},
		{"sc.rdi", unsafe.Offsetof(mc.Rdi), 64},
		{"sc.rax", unsafe.Offsetof(mc.Rax), 104},
		{"sc.rsp", unsafe.Offsetof(mc.Rsp), 120},
		{"sc.rip", unsafe.Offsetof(mc.Rip), 128},
		{"sc.eflags", unsafe.Offsetof(mc.Eflags), 136},
		{"sc.cs", unsafe.Offsetof(mc.Cs), 144},
		{"sc.ss", unsafe.Offsetof(mc.Ss), 150},
		{"sc.err", unsafe.Offsetof(mc.Err), 152},
		{"sc.trapno", unsafe.Offsetof(mc.Trapno), 160},
		{"sc.oldmask", unsafe.Offsetof(mc.Oldmask), 168},
		{"sc.cr2", unsafe.Offsetof(mc.Cr2), 176},
		{"sc.fpstate", unsafe.Offsetof(mc.Fpstate), 184},
		{"ss_size", unsafe.Offsetof(f.Uc.Stack.Size), 16},
	} {
		if c.got != c.want {
			t.Errorf("%s = %d, want %d", c.name, c.got, c.want)
		}
	}
}

var xsaveFPU = FPU{XSave: true, Size: 832, Features: 7}

func TestBuildFrame(t *testing.T) {
	state := make([]byte, 832)
	state[0] = 0x7f // FCW
	d := &Delivery{
		Regs:     Regs{Rsp: 0x7ffffffde008, Rip: 0x401000, Rax: 42, Eflags: 0x246 | flagDF | flagTF},
		Info:     KillInfo(SIGUSR1, SI_USER, 7, 0),
		Action:   Sigaction{Handler: 0x402000, Flags: SA_SIGINFO | SA_RESTORER, Restorer: 0x403000},
		OldMask:  0x5,
		Alt:      NoAltStack,
		FPUState: state,
	}
	b, ok := BuildFrame(d, xsaveFPU)
	if !ok {
		t.Fatal("frame refused")
	}
	if b.FPState%64 != 0 || b.FPState+uint64(len(b.FP)) > d.Regs.Rsp-128 {
		t.Errorf("fpstate at %#x (%d bytes) is not 64-aligned below the red zone", b.FPState, len(b.FP))
	}
	if (b.Frame+8)%16 != 0 || b.Frame+RtSigframeSize > b.FPState {
		t.Errorf("frame at %#x: want (frame+8)%%16 == 0, below fpstate %#x", b.Frame, b.FPState)
	}
	le := binary.LittleEndian
	if le.Uint64(b.Bytes) != 0x403000 {
		t.Error("pretcode is not the restorer")
	}
	if len(b.Info) != 128 || (*SigInfo)(b.Info).Signo() != SIGUSR1 {
		t.Error("siginfo missing with SA_SIGINFO")
	}
	if le.Uint32(b.FP[464:]) != FP_XSTATE_MAGIC1 || le.Uint32(b.FP[832:]) != FP_XSTATE_MAGIC2 || le.Uint32(b.FP[468:]) != 836 {
		t.Error("fpstate software bytes or trailing magic wrong")
	}
	r := HandlerRegs(d, b)
	if r.Rdi != SIGUSR1 || r.Rsi != b.Frame+InfoOffset || r.Rdx != b.Frame+8 || r.Rip != 0x402000 || r.Rsp != b.Frame || r.Rax != 0 {
		t.Errorf("handler registers %+v", r)
	}
	if r.Eflags&(flagDF|flagTF) != 0 {
		t.Error("DF or TF left set for the handler")
	}
	// Round trip through sigreturn's parser.
	full := append(append([]byte(nil), b.Bytes...), b.Info...)
	ret := ParseFrame(full, 0x202)
	if ret.Regs.Rip != 0x401000 || ret.Regs.Rax != 42 || ret.Regs.Rsp != d.Regs.Rsp || ret.Mask != 0x5 || ret.FPState != b.FPState {
		t.Errorf("parsed %+v", ret)
	}
	if ret.Regs.Eflags != 0x202&^fixEflags|(0x246|flagDF|flagTF)&fixEflags {
		t.Errorf("eflags %#x", ret.Regs.Eflags)
	}
	// Without SA_SIGINFO the siginfo space is left alone; without
	// SA_RESTORER there is no frame.
	d.Action.Flags = SA_RESTORER
	if b, _ := BuildFrame(d, xsaveFPU); b.Info != nil {
		t.Error("siginfo written without SA_SIGINFO")
	}
	d.Action.Flags = 0
	if _, ok := BuildFrame(d, xsaveFPU); ok {
		t.Error("frame built without a restorer")
	}
}

func TestAltStack(t *testing.T) {
	alt := AltStack{Sp: 0x10000, Size: 0x4000}
	d := &Delivery{
		Regs:     Regs{Rsp: 0x7ffffffde000},
		Action:   Sigaction{Flags: SA_ONSTACK | SA_RESTORER},
		Alt:      alt,
		FPUState: make([]byte, 832),
	}
	b, ok := BuildFrame(d, xsaveFPU)
	if !ok || !alt.OnStack(b.Frame) || b.FPState+uint64(len(b.FP)) > 0x14000 {
		t.Fatalf("frame at %#x not on the alternate stack", b.Frame)
	}
	// Already on it: nest below the current stack pointer.
	d.Regs.Rsp = 0x13000
	if b2, _ := BuildFrame(d, xsaveFPU); b2.Frame >= 0x13000-128 {
		t.Errorf("nested frame at %#x", b2.Frame)
	}
	// Overflowing it is refused (SIGSEGV).
	d.Regs.Rsp = 0x10100
	if _, ok := BuildFrame(d, xsaveFPU); ok {
		t.Error("overflowing frame accepted")
	}
	// sigaltstack's rules.
	var a AltStack = NoAltStack
	if a.ReportFlags(0) != SS_DISABLE {
		t.Error("fresh thread's altstack not disabled")
	}
	if e := a.Set(StackT{Sp: 0x10000, Size: 100}, 0, MINSIGSTKSZ); e != "ENOMEM" {
		t.Errorf("small stack: %q", e)
	}
	if e := a.Set(StackT{Sp: 0x10000, Size: 0x4000, Flags: SS_AUTODISARM}, 0, MINSIGSTKSZ); e != "" {
		t.Fatal(e)
	}
	if a.ReportFlags(0x11000) != SS_ONSTACK|SS_AUTODISARM {
		t.Errorf("flags on the stack %#x", a.ReportFlags(0x11000))
	}
	if e := a.Set(StackT{Flags: SS_DISABLE}, 0x11000, MINSIGSTKSZ); e != "EPERM" {
		t.Errorf("change while on it: %q", e)
	}
	if e := a.Set(StackT{Flags: 7}, 0, MINSIGSTKSZ); e != "EINVAL" {
		t.Errorf("bad mode: %q", e)
	}
}

func TestCheckFPState(t *testing.T) {
	good := fpFrame(make([]byte, 832), xsaveFPU)
	binary.LittleEndian.PutUint32(good[24:], 0x1f80)
	binary.LittleEndian.PutUint64(good[512:], 0x7)
	if _, ok := CheckFPState(good, 0x1000, xsaveFPU, 0xffff); !ok {
		t.Fatal("valid XSAVE image refused")
	}
	bad := append([]byte(nil), good...)
	binary.LittleEndian.PutUint64(bad[512:], 0x10) // a component not enabled
	if _, ok := CheckFPState(bad, 0x1000, xsaveFPU, 0xffff); ok {
		t.Error("XSTATE_BV outside XCR0 accepted")
	}
	bad = append([]byte(nil), good...)
	binary.LittleEndian.PutUint64(bad[520:], 1<<63) // compacted format
	if _, ok := CheckFPState(bad, 0x1000, xsaveFPU, 0xffff); ok {
		t.Error("compacted XSAVE accepted")
	}
	bad = append([]byte(nil), good...)
	binary.LittleEndian.PutUint32(bad[24:], 0xffff0000) // MXCSR reserved bits
	if _, ok := CheckFPState(bad, 0x1000, xsaveFPU, 0xffff); ok {
		t.Error("reserved MXCSR bits accepted")
	}
	// Without the magic it is a legacy FXSAVE image: header rebuilt.
	legacy := append([]byte(nil), good...)
	binary.LittleEndian.PutUint32(legacy[464:], 0)
	binary.LittleEndian.PutUint64(legacy[512:], 0x10)
	out, ok := CheckFPState(legacy, 0x1000, xsaveFPU, 0xffff)
	if !ok || binary.LittleEndian.Uint64(out[512:]) != 3 {
		t.Error("legacy image not taken as x87+SSE only")
	}
	// FXRSTOR needs 16-byte alignment, XRSTOR 64.
	if _, ok := CheckFPState(legacy[:512], 0x1010, xsaveFPU, 0xffff); !ok {
		t.Error("legacy image 16-byte aligned refused")
	}
	if _, ok := CheckFPState(good, 0x1010, xsaveFPU, 0xffff); ok {
		t.Error("XSAVE image 16-byte aligned accepted")
	}
	// XRSTOR checks header bytes 8 to 23 only.
	bad = append([]byte(nil), good...)
	bad[512+16] = 1
	if _, ok := CheckFPState(bad, 0x1000, xsaveFPU, 0xffff); ok {
		t.Error("header byte 16 accepted")
	}
	lax := append([]byte(nil), good...)
	lax[512+40] = 1
	if _, ok := CheckFPState(lax, 0x1000, xsaveFPU, 0xffff); !ok {
		t.Error("header byte 40 refused")
	}
	// Components left out of xfeatures return to their initial state.
	fpsse := append([]byte(nil), good...)
	binary.LittleEndian.PutUint64(fpsse[472:], 3)
	if out, ok := CheckFPState(fpsse, 0x1000, xsaveFPU, 0xffff); !ok || binary.LittleEndian.Uint64(out[512:]) != 3 {
		t.Error("xfeatures FP|SSE: AVX kept")
	}
	// A smaller xstate_size with the second magic there is an XSAVE image.
	small := append([]byte(nil), good...)
	binary.LittleEndian.PutUint32(small[480:], 576)
	binary.LittleEndian.PutUint32(small[576:], FP_XSTATE_MAGIC2)
	if xs, _ := xsaveFPU.XStateInFrame(small); !xs {
		t.Error("xstate_size 576 not taken as XSAVE")
	}
	if out, ok := CheckFPState(small, 0x1000, xsaveFPU, 0xffff); !ok || binary.LittleEndian.Uint64(out[512:]) != 7 {
		t.Error("xstate_size 576: AVX lost")
	}
}

// TestFrameSize checks AT_MINSIGSTKSZ against Linux's init_sigframe_size
// and that the largest 64-bit frame fits in it at any alignment.
func TestFrameSize(t *testing.T) {
	for _, c := range []struct {
		fpu  FPU
		want uint64
	}{
		{FPU{Size: 512}, 1440},                               // FXSAVE only
		{FPU{XSave: true, Size: 832, Features: 0x7}, 1760},   // x87, SSE, AVX
		{FPU{XSave: true, Size: 2432, Features: 0xe7}, 3360}, // AVX-512 (AMD layout)
	} {
		got := c.fpu.FrameSize()
		if got != c.want {
			t.Errorf("FrameSize(%+v) = %d, want %d", c.fpu, got, c.want)
		}
		for top := uint64(0x10000); top < 0x10040; top++ {
			d := Delivery{Regs: Regs{Rsp: top + 128}, Action: Sigaction{Flags: SA_RESTORER}, FPUState: make([]byte, c.fpu.Size)}
			b, ok := BuildFrame(&d, c.fpu)
			if !ok || top-b.Frame > got {
				t.Errorf("%+v: a frame below %#x takes %d bytes, more than %d", c.fpu, top, top-b.Frame, got)
			}
		}
	}
}
