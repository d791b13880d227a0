// Package signals holds the facts about Linux signals that the kernel's
// layers share: the numbers and names of signal(7), the mask rules of
// rt_sigprocmask(2), the default actions, siginfo's layouts (and
// signalfd's records of them), and the x86-64 rt_sigframe that handlers
// run on and rt_sigreturn(2) reads back. It is pure data and small
// functions without hardware, so the host tests cover them, and the
// runtime services (which may not allocate) can use the constants.
//
// Limits: the state that changes as signals are sent and delivered
// (pending sets, actions, masks, group stop, timers) belongs to processes
// and threads, and lives with them in kernel/task (signal.go, deliver.go).
package signals

// Signal numbers on x86-64 (arch/x86/include/uapi/asm/signal.h).
const (
	SIGHUP    = 1
	SIGINT    = 2
	SIGQUIT   = 3
	SIGILL    = 4
	SIGTRAP   = 5
	SIGABRT   = 6
	SIGBUS    = 7
	SIGFPE    = 8
	SIGKILL   = 9
	SIGUSR1   = 10
	SIGSEGV   = 11
	SIGUSR2   = 12
	SIGPIPE   = 13
	SIGALRM   = 14
	SIGTERM   = 15
	SIGSTKFLT = 16
	SIGCHLD   = 17
	SIGCONT   = 18
	SIGSTOP   = 19
	SIGTSTP   = 20
	SIGTTIN   = 21
	SIGTTOU   = 22
	SIGURG    = 23
	SIGXCPU   = 24
	SIGXFSZ   = 25
	SIGVTALRM = 26
	SIGPROF   = 27
	SIGWINCH  = 28
	SIGIO     = 29
	SIGPWR    = 30
	SIGSYS    = 31
	SIGRTMIN  = 32
	SIGRTMAX  = 64 // _NSIG
)

// names are the names of signals 1-31 (index 0 unused).
var names = [...]string{"0", "SIGHUP", "SIGINT", "SIGQUIT", "SIGILL", "SIGTRAP", "SIGABRT", "SIGBUS", "SIGFPE", "SIGKILL", "SIGUSR1",
	"SIGSEGV", "SIGUSR2", "SIGPIPE", "SIGALRM", "SIGTERM", "SIGSTKFLT", "SIGCHLD", "SIGCONT", "SIGSTOP", "SIGTSTP", "SIGTTIN",
	"SIGTTOU", "SIGURG", "SIGXCPU", "SIGXFSZ", "SIGVTALRM", "SIGPROF", "SIGWINCH", "SIGIO", "SIGPWR", "SIGSYS"}

// Name returns strace's name for sig: "SIGSEGV", "SIGRTMIN", "SIGRT_3", or
// the number for anything else.
func Name(sig int) string {
	switch {
	case sig > 0 && sig < len(names):
		return names[sig]
	case sig == SIGRTMIN:
		return "SIGRTMIN"
	case sig > SIGRTMIN && sig <= SIGRTMAX:
		return "SIGRT_" + itoa(sig-SIGRTMIN)
	}
	return itoa(sig)
}

func itoa(v int) string {
	if v < 0 {
		return "-" + itoa(-v)
	}
	if v < 10 {
		return string(rune('0' + v))
	}
	return itoa(v/10) + string(rune('0'+v%10))
}

// Bit returns sig's bit in a sigset_t.
func Bit(sig int) uint64 { return 1 << (sig - 1) }

// Unblockable are the signals no mask can block (SIGKILL, SIGSTOP).
const Unblockable = 1<<(SIGKILL-1) | 1<<(SIGSTOP-1)

// UAPIFlags are the sa_flags bits the kernel keeps (UAPI_SA_FLAGS with
// x86's SA_RESTORER): since Linux 5.11 rt_sigaction clears the others, so
// that programs can probe for support (SA_UNSUPPORTED stays clear).
const UAPIFlags = SA_NOCLDSTOP | SA_NOCLDWAIT | SA_SIGINFO | SA_EXPOSE_TAGBITS |
	SA_RESTORER | SA_ONSTACK | SA_RESTART | SA_NODEFER | SA_RESETHAND

// sa_flags (arch/x86/include/uapi/asm/signal.h, include/uapi/asm-generic/signal-defs.h).
const (
	SA_NOCLDSTOP      = 0x1
	SA_NOCLDWAIT      = 0x2
	SA_SIGINFO        = 0x4
	SA_UNSUPPORTED    = 0x400
	SA_EXPOSE_TAGBITS = 0x800
	SA_RESTORER       = 0x04000000
	SA_ONSTACK        = 0x08000000
	SA_RESTART        = 0x10000000
	SA_NODEFER        = 0x40000000
	SA_RESETHAND      = 0x80000000
)

// rt_sigprocmask's how argument.
const (
	SIG_BLOCK   = 0
	SIG_UNBLOCK = 1
	SIG_SETMASK = 2
)

// ApplyMask returns the mask rt_sigprocmask(how, set) leaves behind old
// (kernel/signal.c sigprocmask), or ok false for an unknown how (EINVAL).
// SIGKILL and SIGSTOP are never blocked.
func ApplyMask(old uint64, how uint64, set uint64) (mask uint64, ok bool) {
	switch how {
	case SIG_BLOCK:
		mask = old | set
	case SIG_UNBLOCK:
		mask = old &^ set
	case SIG_SETMASK:
		mask = set
	default:
		return old, false
	}
	return mask &^ Unblockable, true
}

// DefaultKills reports whether sig's default action ends the process
// (Term or Core in signal(7)); the others are ignored or stop it.
func DefaultKills(sig int) bool {
	switch sig {
	case SIGCHLD, SIGCONT, SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU, SIGURG, SIGWINCH:
		return false
	}
	return sig >= 1 && sig <= SIGRTMAX
}
