package syscalls

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/bits"
	"strconv"
	"strings"

	"gvisor.dev/gvisor/pkg/errors/linuxerr"

	"oyako/fs"
	"oyako/signals"
)

// Pure formatters for strace mode: each turns the bytes of a structure
// (or a value) into the text strace 6.1 prints for it, so that they can
// be checked on the host against real strace output. The decoders of
// arrays of strings at the end read memory through an interface that a
// host test can fake.

// cHex formats v as C's "%#x" does: "0" for zero, "0x..." otherwise.
func cHex(v uint64) string {
	if v == 0 {
		return "0"
	}
	return "0x" + strconv.FormatUint(v, 16)
}

// ptr formats a pointer: NULL or hex.
func ptr(v uint64) string {
	if v == 0 {
		return "NULL"
	}
	return cHex(v)
}

// flagList joins the names of the bits of v in the order given, with any
// bits left over in hex; empty is what an empty set prints as.
func flagList(v uint64, names []flagName, empty string) string {
	var parts []string
	for _, f := range names {
		if f.v != 0 && v&f.v == f.v {
			parts = append(parts, f.name)
			v &^= f.v
		}
	}
	if v != 0 {
		parts = append(parts, cHex(v))
	}
	if len(parts) == 0 {
		return empty
	}
	return strings.Join(parts, "|")
}

// openFlags formats open(2) flags: the access mode always shows, so
// O_RDONLY (zero) is named too.
func openFlags(v uint64) string {
	s := flagList(v, openFlagNames, "O_RDONLY")
	if v&3 == 0 && v != 0 {
		s = "O_RDONLY|" + s
	}
	return s
}

// fmtTimespec formats a struct timespec.
func fmtTimespec(b []byte) string {
	le := binary.LittleEndian
	return fmt.Sprintf("{tv_sec=%d, tv_nsec=%d}", int64(le.Uint64(b)), int64(le.Uint64(b[8:])))
}

// fmtRlimit formats a struct rlimit (rlimit64), as strace shows sizes:
// RLIM64_INFINITY, or a multiple of 1024 as N*1024.
func fmtRlimit(b []byte) string {
	f := func(v uint64) string {
		if v == ^uint64(0) {
			return "RLIM64_INFINITY"
		}
		if v%1024 == 0 && v != 0 {
			return fmt.Sprintf("%d*1024", v/1024)
		}
		return strconv.FormatUint(v, 10)
	}
	le := binary.LittleEndian
	return fmt.Sprintf("{rlim_cur=%s, rlim_max=%s}", f(le.Uint64(b)), f(le.Uint64(b[8:])))
}

// fmtStat formats a struct stat abbreviated as strace does: the type and
// mode, then the device number for device nodes or the size otherwise.
func fmtStat(b []byte) string {
	le := binary.LittleEndian
	mode := le.Uint32(b[24:])
	typ := map[uint32]string{0o140000: "S_IFSOCK", 0o120000: "S_IFLNK", 0o100000: "S_IFREG", 0o060000: "S_IFBLK", 0o040000: "S_IFDIR", 0o020000: "S_IFCHR", 0o010000: "S_IFIFO"}[mode&0o170000]
	s := fmt.Sprintf("{st_mode=%s|%#o", typ, mode&0o7777)
	if mode&0o170000 == 0o020000 || mode&0o170000 == 0o060000 {
		rdev := le.Uint64(b[40:])
		s += fmt.Sprintf(", st_rdev=makedev(%#x, %#x)", rdev>>8&0xfff|rdev>>32&^0xfff, rdev&0xff|rdev>>12&^0xff)
	} else {
		s += fmt.Sprintf(", st_size=%d", int64(le.Uint64(b[48:])))
	}
	return s + ", ...}"
}

// utsLen is the length of each field of struct utsname.
const utsLen = 65

// fmtUtsname formats the first two fields of a struct utsname, as strace
// does without -v.
func fmtUtsname(b []byte) string {
	field := func(i int) string {
		f := b[i*utsLen : (i+1)*utsLen]
		if n := bytes.IndexByte(f, 0); n >= 0 {
			f = f[:n]
		}
		return quote(f, utsLen)
	}
	return "{sysname=" + field(0) + ", nodename=" + field(1) + ", ...}"
}

// fmtInts formats an array of C ints: "[3, 4]".
func fmtInts(b []byte) string {
	var parts []string
	for i := 0; i+4 <= len(b); i += 4 {
		parts = append(parts, strconv.Itoa(int(int32(binary.LittleEndian.Uint32(b[i:])))))
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// fmtSigset formats a 64-signal mask as strace does: "[INT TERM]", or,
// when more than half the signals are in it, the complement as
// "~[KILL STOP]".
func fmtSigset(mask uint64) string {
	prefix := "["
	if bits.OnesCount64(mask) > 32 {
		prefix, mask = "~[", ^mask
	}
	var names []string
	for sig := 1; sig <= signals.SIGRTMAX; sig++ {
		if mask&signals.Bit(sig) != 0 {
			names = append(names, strings.TrimPrefix(signals.Name(sig), "SIG"))
		}
	}
	return prefix + strings.Join(names, " ") + "]"
}

// sigactionFlagNames are sa_flags in strace's order.
var sigactionFlagNames = []flagName{{0x04000000, "SA_RESTORER"}, {0x08000000, "SA_ONSTACK"}, {0x10000000, "SA_RESTART"},
	{0x40000000, "SA_NODEFER"}, {0x80000000, "SA_RESETHAND"}, {4, "SA_SIGINFO"}, {1, "SA_NOCLDSTOP"}, {2, "SA_NOCLDWAIT"}}

// fmtSigaction formats the kernel's struct sigaction (handler, flags,
// restorer, mask: 32 bytes on x86-64).
func fmtSigaction(b []byte) string {
	le := binary.LittleEndian
	h, flags, restorer, mask := le.Uint64(b), le.Uint64(b[8:]), le.Uint64(b[16:]), le.Uint64(b[24:])
	handler := cHex(h)
	switch h {
	case 0:
		handler = "SIG_DFL"
	case 1:
		handler = "SIG_IGN"
	}
	s := "{sa_handler=" + handler + ", sa_mask=" + fmtSigset(mask) + ", sa_flags=" + flagList(flags, sigactionFlagNames, "0")
	if flags&0x04000000 != 0 {
		s += ", sa_restorer=" + cHex(restorer)
	}
	return s + "}"
}

// fmtStack formats a stack_t (ss_sp, ss_flags, ss_size: 24 bytes).
func fmtStack(b []byte) string {
	le := binary.LittleEndian
	flags := flagList(uint64(le.Uint32(b[8:])), []flagName{{1, "SS_ONSTACK"}, {2, "SS_DISABLE"}, {1 << 31, "SS_AUTODISARM"}}, "0")
	return fmt.Sprintf("{ss_sp=%s, ss_flags=%s, ss_size=%d}", ptr(le.Uint64(b)), flags, le.Uint64(b[16:]))
}

// Termios flag names in strace's order (include/uapi/asm-generic/termbits.h).
var (
	termIflagNames = []flagName{{1, "IGNBRK"}, {2, "BRKINT"}, {4, "IGNPAR"}, {0o10, "PARMRK"}, {0o20, "INPCK"}, {0o40, "ISTRIP"},
		{0o100, "INLCR"}, {0o200, "IGNCR"}, {0o400, "ICRNL"}, {0o1000, "IUCLC"}, {0o2000, "IXON"}, {0o4000, "IXANY"},
		{0o10000, "IXOFF"}, {0o20000, "IMAXBEL"}, {0o40000, "IUTF8"}}
	termOflagNames = []flagName{{1, "OPOST"}, {2, "OLCUC"}, {4, "ONLCR"}, {0o10, "OCRNL"}, {0o20, "ONOCR"}, {0o40, "ONLRET"},
		{0o100, "OFILL"}, {0o200, "OFDEL"}}
	termCflagNames = []flagName{{0o100, "CSTOPB"}, {0o200, "CREAD"}, {0o400, "PARENB"}, {0o1000, "PARODD"}, {0o2000, "HUPCL"},
		{0o4000, "CLOCAL"}, {0x80000000, "CRTSCTS"}}
	termLflagNames = []flagName{{1, "ISIG"}, {2, "ICANON"}, {4, "XCASE"}, {0o10, "ECHO"}, {0o20, "ECHOE"}, {0o40, "ECHOK"},
		{0o100, "ECHONL"}, {0o200, "NOFLSH"}, {0o100000, "IEXTEN"}, {0o1000, "ECHOCTL"}, {0o2000, "ECHOPRT"}, {0o4000, "ECHOKE"},
		{0o10000, "FLUSHO"}, {0o40000, "PENDIN"}, {0o400, "TOSTOP"}, {0o200000, "EXTPROC"}}
	baudNames = map[uint32]string{0: "B0", 1: "B50", 2: "B75", 3: "B110", 4: "B134", 5: "B150", 6: "B200", 7: "B300", 8: "B600",
		9: "B1200", 10: "B1800", 11: "B2400", 12: "B4800", 13: "B9600", 14: "B19200", 15: "B38400", 0o10001: "B57600",
		0o10002: "B115200", 0o10003: "B230400", 0o10004: "B460800", 0o10005: "B500000", 0o10006: "B576000", 0o10007: "B921600",
		0o10010: "B1000000", 0o10011: "B1152000", 0o10012: "B1500000", 0o10013: "B2000000", 0o10014: "B2500000",
		0o10015: "B3000000", 0o10016: "B3500000", 0o10017: "B4000000"}
)

// fmtTermios formats a struct termios as strace does without -v: the four
// flag words decoded, the rest elided.
func fmtTermios(b []byte) string {
	le := binary.LittleEndian
	iflag, oflag, cflag, lflag := le.Uint32(b), le.Uint32(b[4:]), le.Uint32(b[8:]), le.Uint32(b[12:])
	// c_oflag: the delay fields first, then the flags.
	delay := func(v, mask uint32, names ...string) string {
		shift := bits.TrailingZeros32(mask)
		return names[(v&mask)>>shift]
	}
	o := strings.Join([]string{
		delay(oflag, 0o400, "NL0", "NL1"),
		delay(oflag, 0o3000, "CR0", "CR1", "CR2", "CR3"),
		delay(oflag, 0o14000, "TAB0", "TAB1", "TAB2", "XTABS"),
		delay(oflag, 0o20000, "BS0", "BS1"),
		delay(oflag, 0o40000, "VT0", "VT1"),
		delay(oflag, 0o100000, "FF0", "FF1"),
	}, "|")
	if rest := flagList(uint64(oflag&0o377|oflag&^0o177777), termOflagNames, ""); rest != "" {
		o += "|" + rest
	}
	const cbaud, csize = 0o10017, 0o60
	baud, ok := baudNames[cflag&cbaud]
	if !ok {
		baud = cHex(uint64(cflag & cbaud))
	}
	c := baud + "|" + []string{"CS5", "CS6", "CS7", "CS8"}[(cflag&csize)>>4] + "|" + flagList(uint64(cflag&^(cbaud|csize)), termCflagNames, "")
	return "{c_iflag=" + flagList(uint64(iflag), termIflagNames, "") + ", c_oflag=" + o + ", c_cflag=" + c +
		", c_lflag=" + flagList(uint64(lflag), termLflagNames, "") + ", ...}"
}

// fmtWinsize formats a struct winsize.
func fmtWinsize(b []byte) string {
	le := binary.LittleEndian
	return fmt.Sprintf("{ws_row=%d, ws_col=%d, ws_xpixel=%d, ws_ypixel=%d}", le.Uint16(b), le.Uint16(b[2:]), le.Uint16(b[4:]), le.Uint16(b[6:]))
}

// ioctlNames are the console's requests as strace names them (it cannot
// tell the terminal requests from the OSS sequencer's with the same
// numbers, and says so).
var ioctlNames = map[uint64]string{0x5401: "TCGETS", 0x5402: "SNDCTL_TMR_START or TCSETS", 0x5403: "SNDCTL_TMR_STOP or TCSETSW",
	0x5404: "SNDCTL_TMR_CONTINUE or TCSETSF", 0x540f: "TIOCGPGRP", 0x5410: "TIOCSPGRP", 0x5413: "TIOCGWINSZ",
	0x5414: "TIOCSWINSZ", 0x541b: "FIONREAD", 0x5421: "FIONBIO", 0x5451: "FIOCLEX", 0x5450: "FIONCLEX"}

var fcntlNames = map[uint64]string{fDupfd: "F_DUPFD", fGetfd: "F_GETFD", fSetfd: "F_SETFD", fGetfl: "F_GETFL", fSetfl: "F_SETFL",
	fGetlk: "F_GETLK", fSetlk: "F_SETLK", fSetlkw: "F_SETLKW", 8: "F_SETOWN", 9: "F_GETOWN", fDupfdCloexec: "F_DUPFD_CLOEXEC",
	fSetpipeSz: "F_SETPIPE_SZ", fGetpipeSz: "F_GETPIPE_SZ", fOfdGetlk: "F_OFD_GETLK", fOfdSetlk: "F_OFD_SETLK", fOfdSetlkw: "F_OFD_SETLKW"}

// fmtFlock formats struct flock as strace does; l_pid only for the
// F_GETLK commands, whose result it is.
func fmtFlock(b []byte, getlk bool) string {
	l := decodeFlock(b)
	s := fmt.Sprintf("{l_type=%s, l_whence=%s, l_start=%d, l_len=%d",
		enumName(uint64(uint16(l.Type)), []string{"F_RDLCK", "F_WRLCK", "F_UNLCK"}),
		enumName(uint64(uint16(l.Whence)), []string{"SEEK_SET", "SEEK_CUR", "SEEK_END"}), l.Start, l.Len)
	if getlk {
		s += fmt.Sprintf(", l_pid=%d", l.PID)
	}
	return s + "}"
}

var flockOpNames = []flagName{{fs.LOCK_SH, "LOCK_SH"}, {fs.LOCK_EX, "LOCK_EX"}, {fs.LOCK_NB, "LOCK_NB"},
	{fs.LOCK_UN, "LOCK_UN"}, {fs.LOCK_MAND, "LOCK_MAND"}, {64, "LOCK_READ"}, {128, "LOCK_WRITE"}}

var msyncFlagNames = []flagName{{msAsync, "MS_ASYNC"}, {msInvalidate, "MS_INVALIDATE"}, {msSync, "MS_SYNC"}}

var closeRangeFlagNames = []flagName{{closeRangeUnshare, "CLOSE_RANGE_UNSHARE"}, {closeRangeCloexec, "CLOSE_RANGE_CLOEXEC"}}

var spliceFlagNames = []flagName{{1, "SPLICE_F_MOVE"}, {2, "SPLICE_F_NONBLOCK"}, {4, "SPLICE_F_MORE"}, {8, "SPLICE_F_GIFT"}}

var fdFlagNames = []flagName{{fdCloexec, "FD_CLOEXEC"}}

// fmtFcntlArg formats fcntl's third argument for cmd; show is false for
// commands that take none.
func fmtFcntlArg(cmd, arg uint64) (s string, show bool) {
	switch cmd {
	case fGetfd, fGetfl, fGetpipeSz, 9: // 9: F_GETOWN
		return "", false
	case fSetfd:
		return flagList(arg, fdFlagNames, "0"), true
	case fSetfl:
		return openFlags(arg), true
	case fDupfd, fDupfdCloexec, fSetpipeSz, 8:
		return strconv.FormatInt(int64(int32(arg)), 10), true
	}
	return cHex(arg), true
}

// fmtFcntlRet formats fcntl's result for cmd: the flag words are shown
// decoded after the number.
func fmtFcntlRet(cmd, ret uint64) string {
	switch {
	case cmd == fGetfd && ret != 0:
		return cHex(ret) + " (flags " + flagList(ret, fdFlagNames, "0") + ")"
	case cmd == fGetfl:
		return cHex(ret) + " (flags " + openFlags(ret) + ")"
	}
	return strconv.FormatUint(ret, 10)
}

var madviseNames = map[uint64]string{0: "MADV_NORMAL", 1: "MADV_RANDOM", 2: "MADV_SEQUENTIAL", 3: "MADV_WILLNEED",
	4: "MADV_DONTNEED", 8: "MADV_FREE", 9: "MADV_REMOVE", 10: "MADV_DONTFORK", 11: "MADV_DOFORK", 12: "MADV_MERGEABLE",
	13: "MADV_UNMERGEABLE", 14: "MADV_HUGEPAGE", 15: "MADV_NOHUGEPAGE", 16: "MADV_DONTDUMP", 17: "MADV_DODUMP",
	18: "MADV_WIPEONFORK", 19: "MADV_KEEPONFORK", 20: "MADV_COLD", 21: "MADV_PAGEOUT", 22: "MADV_POPULATE_READ",
	23: "MADV_POPULATE_WRITE", 24: "MADV_DONTNEED_LOCKED", 25: "MADV_COLLAPSE", 100: "MADV_HWPOISON", 101: "MADV_SOFT_OFFLINE"}

// fmtMadvise formats madvise's advice.
func fmtMadvise(v uint64) string {
	if n, ok := madviseNames[v]; ok {
		return n
	}
	return cHex(v) + " /* MADV_??? */"
}

// fmtCPUSet formats the first n bytes of a CPU mask as a list: "[0 1]".
func fmtCPUSet(b []byte) string {
	var cpus []string
	for i, c := range b {
		for j := 0; j < 8; j++ {
			if c&(1<<j) != 0 {
				cpus = append(cpus, strconv.Itoa(i*8+j))
			}
		}
	}
	return "[" + strings.Join(cpus, " ") + "]"
}

var mremapFlagNames = []flagName{{1, "MREMAP_MAYMOVE"}, {2, "MREMAP_FIXED"}, {4, "MREMAP_DONTUNMAP"}}

// fmtClone formats the arguments of the raw clone system call (flags,
// stack, parent_tid, child_tid, tls on x86-64) as strace does, showing
// only the pointers the flags use.
func fmtClone(flags, stack, parentTID, childTID, tls uint64) string {
	const (
		cloneSettls        = 0x80000
		cloneParentSettid  = 0x100000
		cloneChildCleartid = 0x200000
		cloneChildSettid   = 0x1000000
	)
	s := "child_stack=" + ptr(stack) + ", flags=" + flagList(flags&^0xff, cloneFlagNames, "0")
	if sig := int(flags & 0xff); sig != 0 {
		if flags&^0xff == 0 {
			s = "child_stack=" + ptr(stack) + ", flags=" + signals.Name(sig)
		} else {
			s += "|" + signals.Name(sig)
		}
	}
	if flags&cloneParentSettid != 0 {
		s += ", parent_tid=" + ptr(parentTID)
	}
	if flags&(cloneChildSettid|cloneChildCleartid) != 0 {
		s += ", child_tidptr=" + ptr(childTID)
	}
	if flags&cloneSettls != 0 {
		s += ", tls=" + ptr(tls)
	}
	return s
}

// straceMaxStrlen is strace's default -s: how many bytes of a string it
// shows, and how many elements of an array of strings.
const straceMaxStrlen = 32

// userMemory is what the decoders of pointer arguments read: a task's
// address space (*task.Task), or a fake one in host tests.
type userMemory interface {
	CopyIn(addr uintptr, dst []byte) error
	CopyInString(addr uintptr, max int) (string, error)
}

// fmtStr formats a string as strace's printstr does: at most
// straceMaxStrlen bytes, and "..." after the quote if there are more.
func fmtStr(s string) string {
	if len(s) > straceMaxStrlen {
		return quote([]byte(s), straceMaxStrlen) + "..."
	}
	return quote([]byte(s), straceMaxStrlen)
}

// readStr formats the NUL-terminated string at addr with fmtStr, or its
// address if it cannot be read.
func readStr(m userMemory, addr uintptr) string {
	s, err := m.CopyInString(addr, straceMaxStrlen+1)
	if err == nil {
		return fmtStr(s)
	}
	if linuxerr.Equals(linuxerr.ENAMETOOLONG, err) { // longer than shown
		b := make([]byte, straceMaxStrlen)
		if m.CopyIn(addr, b) == nil {
			return quote(b, straceMaxStrlen) + "..."
		}
	}
	return ptr(uint64(addr))
}

// readWord reads the pointer at addr; it fails where addr+8 wraps.
func readWord(m userMemory, addr uintptr) (uintptr, error) {
	var b [8]byte
	if addr+8 < addr {
		return 0, linuxerr.EFAULT
	}
	if err := m.CopyIn(addr, b[:]); err != nil {
		return 0, err
	}
	return uintptr(binary.LittleEndian.Uint64(b[:])), nil
}

// fmtArgv formats a NULL-terminated array of strings (execve's argv) as
// strace's printargv does: "["a", "b"]" with at most straceMaxStrlen
// strings and then "...", the array's address if its first pointer cannot
// be read, and "... /* ADDR */" at the first pointer after that which
// cannot.
func fmtArgv(m userMemory, addr uintptr) string {
	if addr == 0 {
		return "NULL"
	}
	var elems []string
	for n, p := 0, addr; ; n, p = n+1, p+8 {
		word, err := readWord(m, p)
		if p < addr || err != nil { // wrapped around, or unreadable
			if n == 0 {
				return cHex(uint64(addr))
			}
			elems = append(elems, "... /* "+cHex(uint64(p))+" */")
			break
		}
		if word == 0 {
			break
		}
		if n == straceMaxStrlen {
			elems = append(elems, "...")
			break
		}
		elems = append(elems, readStr(m, word))
	}
	return "[" + strings.Join(elems, ", ") + "]"
}

// fmtArgvStrings formats strings the kernel holds as fmtArgv formats them
// from user memory.
func fmtArgvStrings(argv []string) string {
	var elems []string
	for n, s := range argv {
		if n == straceMaxStrlen {
			elems = append(elems, "...")
			break
		}
		elems = append(elems, fmtStr(s))
	}
	return "[" + strings.Join(elems, ", ") + "]"
}

// fmtEnvp formats execve's envp as strace does without -v (printargc):
// the address and the number of strings, "0x7ffc... /* 3 vars */", with
// ", unterminated" when a pointer cannot be read before the NULL; only
// the address when the first cannot.
func fmtEnvp(m userMemory, addr uintptr) string {
	if addr == 0 {
		return "NULL"
	}
	n := 0
	for p := addr; ; p += 8 {
		word, err := readWord(m, p)
		if p < addr || err != nil {
			if n == 0 {
				return cHex(uint64(addr))
			}
			return fmtEnvCount(addr, n, true)
		}
		if word == 0 {
			return fmtEnvCount(addr, n, false)
		}
		n++
	}
}

// fmtEnvCount is fmtEnvp's text for n strings at addr.
func fmtEnvCount(addr uintptr, n int, unterminated bool) string {
	s := cHex(uint64(addr)) + " /* " + strconv.Itoa(n) + " var"
	if n != 1 {
		s += "s"
	}
	if unterminated {
		s += ", unterminated"
	}
	return s + " */"
}

// fmtOffset formats a loff_t argument as strace does: "[N]".
func fmtOffset(b []byte) string {
	return "[" + strconv.FormatInt(int64(binary.LittleEndian.Uint64(b)), 10) + "]"
}

var waitOptionNames = []flagName{{1, "WNOHANG"}, {2, "WUNTRACED"}, {4, "WEXITED"}, {8, "WCONTINUED"},
	{0x1000000, "WNOWAIT"}, {0x20000000, "__WNOTHREAD"}, {0x40000000, "__WALL"}, {0x80000000, "__WCLONE"}}

// fmtWaitStatus formats a wait status as strace does:
// [{WIFEXITED(s) && WEXITSTATUS(s) == 0}].
func fmtWaitStatus(b []byte) string {
	st := int(binary.LittleEndian.Uint32(b))
	switch sig := st & 0x7f; {
	case sig == 0:
		return fmt.Sprintf("[{WIFEXITED(s) && WEXITSTATUS(s) == %d}]", st>>8&0xff)
	case sig == 0x7f:
		return fmt.Sprintf("[{WIFSTOPPED(s) && WSTOPSIG(s) == %s}]", signals.Name(st>>8&0xff))
	case st == 0xffff:
		return "[{WIFCONTINUED(s)}]"
	default:
		core := ""
		if st&0x80 != 0 {
			core = " && WCOREDUMP(s)"
		}
		return fmt.Sprintf("[{WIFSIGNALED(s) && WTERMSIG(s) == %s%s}]", signals.Name(sig), core)
	}
}

// siCodeNames are strace's names of si_code values.
var siCodeNames = map[int32]string{0: "SI_USER", 0x80: "SI_KERNEL", -1: "SI_QUEUE", -2: "SI_TIMER", -6: "SI_TKILL"}

var chldCodeNames = []string{"", "CLD_EXITED", "CLD_KILLED", "CLD_DUMPED", "CLD_TRAPPED", "CLD_STOPPED", "CLD_CONTINUED"}

var faultCodeNames = map[int]map[int32]string{
	signals.SIGSEGV: {1: "SEGV_MAPERR", 2: "SEGV_ACCERR"},
	signals.SIGBUS:  {1: "BUS_ADRALN", 2: "BUS_ADRERR"},
	signals.SIGILL:  {1: "ILL_ILLOPC", 2: "ILL_ILLOPN", 5: "ILL_PRVOPC"},
	signals.SIGFPE:  {1: "FPE_INTDIV"},
	signals.SIGTRAP: {1: "TRAP_BRKPT"},
}

// fmtSiginfo formats a siginfo as strace prints it with a signal:
// {si_signo=SIGCHLD, si_code=CLD_EXITED, si_pid=2, ...}.
func fmtSiginfo(si signals.SigInfo) string {
	sig, code := si.Signo(), si.Code()
	le := binary.LittleEndian
	head := "{si_signo=" + signals.Name(sig) + ", si_code="
	if sig == signals.SIGCHLD && code > 0 && int(code) < len(chldCodeNames) {
		st := si.Status()
		status := strconv.Itoa(int(st))
		if code != signals.CLD_EXITED {
			status = signals.Name(int(st))
		}
		return fmt.Sprintf("%s%s, si_pid=%d, si_uid=%d, si_status=%s, si_utime=%d, si_stime=%d}", head, chldCodeNames[code],
			si.PID(), le.Uint32(si[20:]), status, int64(le.Uint64(si[32:])), int64(le.Uint64(si[40:])))
	}
	if names, ok := faultCodeNames[sig]; ok && code > 0 {
		name, ok := names[code]
		if !ok {
			name = strconv.Itoa(int(code))
		}
		addr := le.Uint64(si[16:])
		a := "NULL"
		if addr != 0 {
			a = fmt.Sprintf("%#x", addr)
		}
		return head + name + ", si_addr=" + a + "}"
	}
	name, ok := siCodeNames[code]
	if !ok {
		name = strconv.Itoa(int(code))
	}
	switch code {
	case signals.SI_KERNEL:
		return head + name + "}"
	case signals.SI_TIMER:
		return fmt.Sprintf("%s%s, si_timerid=%#x, si_overrun=%d, si_int=%d, si_ptr=%#x}", head, name,
			le.Uint32(si[16:]), int32(le.Uint32(si[20:])), int32(le.Uint32(si[24:])), le.Uint64(si[24:]))
	}
	return fmt.Sprintf("%s%s, si_pid=%d, si_uid=%d}", head, name, si.PID(), le.Uint32(si[20:]))
}

var renameFlagNames = []flagName{{fs.RENAME_NOREPLACE, "RENAME_NOREPLACE"}, {fs.RENAME_EXCHANGE, "RENAME_EXCHANGE"}, {fs.RENAME_WHITEOUT, "RENAME_WHITEOUT"}}

// sfdFlagNames are signalfd4(2)'s flags (SFD_* are O_* values).
var sfdFlagNames = []flagName{{fs.O_CLOEXEC, "SFD_CLOEXEC"}, {fs.O_NONBLOCK, "SFD_NONBLOCK"}}

var mountFlagNames = []flagName{{fs.MS_RDONLY, "MS_RDONLY"}, {fs.MS_NOSUID, "MS_NOSUID"}, {fs.MS_NODEV, "MS_NODEV"},
	{fs.MS_NOEXEC, "MS_NOEXEC"}, {fs.MS_SYNCHRONOUS, "MS_SYNCHRONOUS"}, {fs.MS_REMOUNT, "MS_REMOUNT"},
	{fs.MS_MANDLOCK, "MS_MANDLOCK"}, {fs.MS_DIRSYNC, "MS_DIRSYNC"}, {fs.MS_NOSYMFOLLOW, "MS_NOSYMFOLLOW"},
	{fs.MS_NOATIME, "MS_NOATIME"}, {fs.MS_NODIRATIME, "MS_NODIRATIME"}, {fs.MS_BIND, "MS_BIND"},
	{fs.MS_MOVE, "MS_MOVE"}, {fs.MS_REC, "MS_REC"}, {fs.MS_SILENT, "MS_SILENT"}, {fs.MS_POSIXACL, "MS_POSIXACL"},
	{fs.MS_UNBINDABLE, "MS_UNBINDABLE"}, {fs.MS_PRIVATE, "MS_PRIVATE"}, {fs.MS_SLAVE, "MS_SLAVE"},
	{fs.MS_SHARED, "MS_SHARED"}, {fs.MS_RELATIME, "MS_RELATIME"}, {fs.MS_STRICTATIME, "MS_STRICTATIME"},
	{fs.MS_LAZYTIME, "MS_LAZYTIME"}}

var umountFlagNames = []flagName{{fs.MNT_FORCE, "MNT_FORCE"}, {fs.MNT_DETACH, "MNT_DETACH"}, {fs.MNT_EXPIRE, "MNT_EXPIRE"}, {fs.UMOUNT_NOFOLLOW, "UMOUNT_NOFOLLOW"}}

var fallocFlagNames = []flagName{{fs.FALLOC_FL_KEEP_SIZE, "FALLOC_FL_KEEP_SIZE"}, {fs.FALLOC_FL_PUNCH_HOLE, "FALLOC_FL_PUNCH_HOLE"},
	{fs.FALLOC_FL_COLLAPSE_RANGE, "FALLOC_FL_COLLAPSE_RANGE"}, {fs.FALLOC_FL_ZERO_RANGE, "FALLOC_FL_ZERO_RANGE"},
	{fs.FALLOC_FL_INSERT_RANGE, "FALLOC_FL_INSERT_RANGE"}, {fs.FALLOC_FL_UNSHARE_RANGE, "FALLOC_FL_UNSHARE_RANGE"}}

// fmtFileMode formats a mode with its file type, as strace shows mknod's:
// S_IFIFO|0644.
func fmtFileMode(v uint64) string {
	types := map[uint64]string{fs.S_IFREG: "S_IFREG", fs.S_IFDIR: "S_IFDIR", fs.S_IFCHR: "S_IFCHR", fs.S_IFBLK: "S_IFBLK",
		fs.S_IFIFO: "S_IFIFO", fs.S_IFLNK: "S_IFLNK", fs.S_IFSOCK: "S_IFSOCK"}
	perm := fmt.Sprintf("%#o", v&0o7777)
	if name, ok := types[v&fs.S_IFMT]; ok {
		return name + "|" + perm
	}
	if v&fs.S_IFMT != 0 {
		return fmt.Sprintf("%#o", v)
	}
	return perm
}
