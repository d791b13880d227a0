package signals

// SignalfdSiginfoSize is sizeof(struct signalfd_siginfo)
// (include/uapi/linux/signalfd.h): what read(2) on a signalfd returns
// per signal.
const SignalfdSiginfoSize = 128

// Offsets in struct signalfd_siginfo.
const (
	ssiSigno    = 0
	ssiErrno    = 4
	ssiCode     = 8
	ssiPid      = 12
	ssiUID      = 16
	ssiFD       = 20
	ssiTid      = 24
	ssiBand     = 28
	ssiOverrun  = 32
	ssiTrapno   = 36
	ssiStatus   = 40
	ssiInt      = 44
	ssiPtr      = 48
	ssiUtime    = 56
	ssiStime    = 64
	ssiAddr     = 72
	ssiAddrLsb  = 80
	ssiSyscall  = 84
	ssiCallAddr = 88
	ssiArch     = 96
)

// Layout is which member of siginfo's union a signal's information uses
// (enum siginfo_layout, include/linux/signal.h).
type Layout int

// Siginfo layouts.
const (
	SIL_KILL Layout = iota
	SIL_TIMER
	SIL_POLL
	SIL_FAULT
	SIL_FAULT_TRAPNO
	SIL_FAULT_MCEERR
	SIL_FAULT_BNDERR
	SIL_FAULT_PKUERR
	SIL_FAULT_PERF_EVENT
	SIL_CHLD
	SIL_RT
	SIL_SYS
)

// The highest si_code of each signal's kernel codes (NSIG* in
// include/uapi/asm-generic/siginfo.h, as of Linux 6.6), and the codes
// with layouts of their own.
const (
	nsigILL  = 11
	nsigFPE  = 15
	nsigSEGV = 10
	nsigBUS  = 5
	nsigTRAP = 6
	nsigCHLD = 6
	nsigPOLL = 6
	nsigSYS  = 2

	segvBNDERR  = 3
	segvPKUERR  = 4
	busMCEERRAR = 4
	busMCEERRAO = 5
	trapPERF    = 6
)

// SiginfoLayout returns the layout of a siginfo with sig and code
// (siginfo_layout, kernel/signal.c): a kernel code (between SI_USER and
// SI_KERNEL) no higher than the signal's count of codes selects that
// signal's layout, any other low code of any signal SIGPOLL's; of the
// codes user space may send, SI_TIMER and SI_SIGIO have layouts of their
// own and the other negative ones carry a value (SIL_RT); the rest
// (SI_USER, SI_KERNEL) name a sender.
func SiginfoLayout(sig int, code int32) Layout {
	if code > SI_USER && code < SI_KERNEL {
		limit, layout := int32(0), SIL_KILL
		switch sig {
		case SIGILL:
			limit, layout = nsigILL, SIL_FAULT
		case SIGFPE:
			limit, layout = nsigFPE, SIL_FAULT
		case SIGSEGV:
			limit, layout = nsigSEGV, SIL_FAULT
		case SIGBUS:
			limit, layout = nsigBUS, SIL_FAULT
		case SIGTRAP:
			limit, layout = nsigTRAP, SIL_FAULT
		case SIGCHLD:
			limit, layout = nsigCHLD, SIL_CHLD
		case SIGIO:
			limit, layout = nsigPOLL, SIL_POLL
		case SIGSYS:
			limit, layout = nsigSYS, SIL_SYS
		}
		switch {
		case limit != 0 && code <= limit:
			switch {
			case sig == SIGBUS && (code == busMCEERRAR || code == busMCEERRAO):
				return SIL_FAULT_MCEERR
			case sig == SIGSEGV && code == segvBNDERR:
				return SIL_FAULT_BNDERR
			case sig == SIGSEGV && code == segvPKUERR:
				return SIL_FAULT_PKUERR
			case sig == SIGTRAP && code == trapPERF:
				return SIL_FAULT_PERF_EVENT
			}
			return layout
		case code <= nsigPOLL:
			return SIL_POLL
		}
		return SIL_KILL
	}
	switch {
	case code == SI_TIMER:
		return SIL_TIMER
	case code == SI_SIGIO:
		return SIL_POLL
	case code < 0:
		return SIL_RT
	}
	return SIL_KILL
}

// Signalfd converts the siginfo to the struct signalfd_siginfo a read of
// a signalfd returns (signalfd_copyinfo, fs/signalfd.c): the number,
// errno and code, then the fields the layout carries, each widened or
// narrowed to its fixed-size slot; everything else is zero.
func (s *SigInfo) Signalfd() [SignalfdSiginfoSize]byte {
	var r [SignalfdSiginfoSize]byte
	u32 := func(off int) uint32 { return le.Uint32(s[off:]) }
	u64 := func(off int) uint64 { return le.Uint64(s[off:]) }
	le.PutUint32(r[ssiSigno:], u32(0))
	le.PutUint32(r[ssiErrno:], u32(4))
	le.PutUint32(r[ssiCode:], u32(8))
	// The union starts at offset 16 of siginfo; each layout's fields:
	// kill and rt: pid 16, uid 20, value 24; timer: tid 16, overrun 20,
	// value 24; poll: band 16 (long), fd 24; fault: addr 16, addr_lsb 24
	// (short); chld: pid 16, uid 20, status 24, utime 32, stime 40;
	// sys: call_addr 16, syscall 24, arch 28.
	switch SiginfoLayout(s.Signo(), s.Code()) {
	case SIL_KILL:
		le.PutUint32(r[ssiPid:], u32(16))
		le.PutUint32(r[ssiUID:], u32(20))
	case SIL_TIMER:
		le.PutUint32(r[ssiTid:], u32(16))
		le.PutUint32(r[ssiOverrun:], u32(20))
		le.PutUint64(r[ssiPtr:], u64(24))
		le.PutUint32(r[ssiInt:], u32(24))
	case SIL_POLL:
		le.PutUint32(r[ssiBand:], u32(16))
		le.PutUint32(r[ssiFD:], u32(24))
	case SIL_FAULT, SIL_FAULT_BNDERR, SIL_FAULT_PKUERR, SIL_FAULT_PERF_EVENT:
		// The last three are only raised by faults that deliver them at
		// once; an injected one reads as a plain fault.
		le.PutUint64(r[ssiAddr:], u64(16))
	case SIL_FAULT_TRAPNO:
		le.PutUint64(r[ssiAddr:], u64(16))
		le.PutUint32(r[ssiTrapno:], u32(24))
	case SIL_FAULT_MCEERR:
		le.PutUint64(r[ssiAddr:], u64(16))
		le.PutUint16(r[ssiAddrLsb:], le.Uint16(s[24:]))
	case SIL_CHLD:
		le.PutUint32(r[ssiPid:], u32(16))
		le.PutUint32(r[ssiUID:], u32(20))
		le.PutUint32(r[ssiStatus:], u32(24))
		le.PutUint64(r[ssiUtime:], u64(32))
		le.PutUint64(r[ssiStime:], u64(40))
	case SIL_RT:
		le.PutUint32(r[ssiPid:], u32(16))
		le.PutUint32(r[ssiUID:], u32(20))
		le.PutUint64(r[ssiPtr:], u64(24))
		le.PutUint32(r[ssiInt:], u32(24))
	case SIL_SYS:
		le.PutUint64(r[ssiCallAddr:], u64(16))
		le.PutUint32(r[ssiSyscall:], u32(24))
		le.PutUint32(r[ssiArch:], u32(28))
	}
	return r
}
