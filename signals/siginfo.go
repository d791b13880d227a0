package signals

import "encoding/binary"

// SigInfo is struct siginfo (include/uapi/asm-generic/siginfo.h) as it
// reaches user space: 128 bytes, si_signo, si_errno and si_code first,
// then a union whose layout si_code selects. The constructors fill the
// layouts the kernel produces.
type SigInfo [128]byte

// si_code values (include/uapi/asm-generic/siginfo.h).
const (
	SI_USER    = 0
	SI_KERNEL  = 0x80
	SI_QUEUE   = -1
	SI_TIMER   = -2
	SI_MESGQ   = -3
	SI_ASYNCIO = -4
	SI_SIGIO   = -5
	SI_TKILL   = -6

	CLD_EXITED    = 1
	CLD_KILLED    = 2
	CLD_DUMPED    = 3
	CLD_TRAPPED   = 4
	CLD_STOPPED   = 5
	CLD_CONTINUED = 6

	SEGV_MAPERR = 1
	SEGV_ACCERR = 2
	BUS_ADRALN  = 1
	BUS_ADRERR  = 2
	ILL_ILLOPN  = 2
	ILL_PRVOPC  = 5
	FPE_INTDIV  = 1
	TRAP_BRKPT  = 1
)

var le = binary.LittleEndian

// Signo returns si_signo.
func (s *SigInfo) Signo() int { return int(int32(le.Uint32(s[0:]))) }

// Code returns si_code.
func (s *SigInfo) Code() int32 { return int32(le.Uint32(s[8:])) }

// PID returns si_pid (of the kill, chld and rt layouts).
func (s *SigInfo) PID() int32 { return int32(le.Uint32(s[16:])) }

// Status returns si_status (chld layout).
func (s *SigInfo) Status() int32 { return int32(le.Uint32(s[24:])) }

// SetSigno sets si_signo.
func (s *SigInfo) SetSigno(sig int) { le.PutUint32(s[0:], uint32(sig)) }

func (s *SigInfo) head(sig int, code int32) {
	le.PutUint32(s[0:], uint32(sig))
	le.PutUint32(s[8:], uint32(code))
}

// KillInfo is what kill(2), tkill(2) and the kernel's own sends put in
// siginfo: the sender's pid and uid.
func KillInfo(sig int, code int32, pid int32, uid uint32) SigInfo {
	var s SigInfo
	s.head(sig, code)
	le.PutUint32(s[16:], uint32(pid))
	le.PutUint32(s[20:], uid)
	return s
}

// ChldInfo is SIGCHLD's siginfo: the child, how it changed state
// (CLD_*), its exit status or signal, and its CPU times in clock ticks.
func ChldInfo(code int32, pid int32, uid uint32, status int32, utime, stime int64) SigInfo {
	var s SigInfo
	s.head(SIGCHLD, code)
	le.PutUint32(s[16:], uint32(pid))
	le.PutUint32(s[20:], uid)
	le.PutUint32(s[24:], uint32(status))
	le.PutUint64(s[32:], uint64(utime))
	le.PutUint64(s[40:], uint64(stime))
	return s
}

// FaultInfo is the siginfo of a signal a fault raises: si_addr.
func FaultInfo(sig int, code int32, addr uint64) SigInfo {
	var s SigInfo
	s.head(sig, code)
	le.PutUint64(s[16:], addr)
	return s
}

// TimerInfo is the siginfo of a POSIX timer's signal (the _timer layout):
// si_tid (the timer's ID, glibc's si_timerid), si_overrun, si_value.
func TimerInfo(sig int, timerID int32, value uint64) SigInfo {
	var s SigInfo
	s.head(sig, SI_TIMER)
	le.PutUint32(s[16:], uint32(timerID))
	le.PutUint64(s[24:], value)
	return s
}

// AddOverrun adds n to a timer signal's si_overrun, which stays at most
// INT_MAX (timer_overrun_to_int).
func (s *SigInfo) AddOverrun(n int64) {
	sum := int64(int32(le.Uint32(s[20:]))) + n
	le.PutUint32(s[20:], uint32(min(max(sum, 0), 1<<31-1)))
}
