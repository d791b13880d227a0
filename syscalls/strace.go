package syscalls

import (
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"

	"gvisor.dev/gvisor/pkg/errors/linuxerr"

	"oyako/kernel"
	"oyako/kernel/klog"
	"oyako/signals"
	"oyako/syscalls/sysno"
)

// strace mode (oyako run --strace, kernel command line "strace"): every
// system call of a traced task is printed in strace's format, with
// decoded strings, flags and structures for the common calls, when it
// returns (strace prints the same line, split around blocking calls).

type straceCall struct {
	nr   uint64
	args Args
	// atEntry holds the arguments strace shows as they were on entry
	// (offsets the call updates), by index.
	atEntry map[int]string
}

func straceEnter(t *kernel.Task, nr uint64, a *Args) *straceCall {
	st := &straceCall{nr: nr, args: *a}
	for i, spec := range argSpecs[straceName(nr)] {
		if spec == "off" {
			if st.atEntry == nil {
				st.atEntry = map[int]string{}
			}
			st.atEntry[i] = structArg(t, a[i], 8, false, nil, fmtOffset)
		}
	}
	return st
}

// fmtOffset formats a loff_t argument: "[N]".
func fmtOffset(b []byte) string {
	return "[" + strconv.FormatInt(int64(binary.LittleEndian.Uint64(b)), 10) + "]"
}

func straceName(nr uint64) string {
	if n := sysno.Name(nr); n != "" {
		return n
	}
	return "syscall_" + strconv.FormatUint(nr, 10)
}

func straceExit(t *kernel.Task, st *straceCall, ret uintptr, err error) {
	var b strings.Builder
	b.WriteString(straceName(st.nr))
	b.WriteString("(")
	b.WriteString(formatArgs(t, st, ret, err))
	b.WriteString(")")
	pad(&b)
	b.WriteString("= ")
	if err != nil {
		b.WriteString("-1 " + errnoName(Errno(err)))
	} else {
		b.WriteString(formatRet(st, ret))
	}
	straceLine(b.String())
}

func straceNoReturn(t *kernel.Task, st *straceCall) {
	var b strings.Builder
	b.WriteString(straceName(st.nr) + "(" + formatArgs(t, st, 0, nil) + ")")
	pad(&b)
	b.WriteString("= ?")
	straceLine(b.String())
}

// pad aligns the result at column 40, as strace does (its -a default).
func pad(b *strings.Builder) {
	const column = 40
	if n := b.Len(); n < column {
		b.WriteString(strings.Repeat(" ", column-n))
	} else {
		b.WriteString(" ")
	}
}

// StraceExited prints strace's last line for a process.
func StraceExited(status int) {
	if status&0x7f != 0 {
		straceLine(fmt.Sprintf("+++ killed by %s +++", signals.Name(status&0x7f)))
		return
	}
	straceLine(fmt.Sprintf("+++ exited with %d +++", status>>8))
}

// StraceExecve prints the execve line of a program the kernel started.
func StraceExecve(path string, argv, envp []string) {
	var q []string
	for _, a := range argv {
		q = append(q, quote([]byte(a), 1<<20))
	}
	straceLine(fmt.Sprintf("execve(%s, [%s], 0x%x /* %d vars */) = 0", quote([]byte(path), 1<<20), strings.Join(q, ", "), 0x7fffffffe000, len(envp)))
}

func straceLine(s string) { klog.Console([]byte(s + "\n")) }

func formatRet(st *straceCall, ret uintptr) string {
	switch st.nr {
	case sysno.SYS_fcntl:
		return fmtFcntlRet(uint64(st.args[1]), uint64(ret))
	case sysno.SYS_mmap, sysno.SYS_brk, sysno.SYS_mremap:
		return fmt.Sprintf("%#x", ret)
	}
	return strconv.FormatInt(int64(ret), 10)
}

// argSpecs says how strace shows each argument; see formatArg.
var argSpecs = map[string][]string{
	"read":              {"fd", "bufout:2", "u"},
	"write":             {"fd", "bufin:2", "u"},
	"pread64":           {"fd", "bufout:2", "u", "d"},
	"pwrite64":          {"fd", "bufin:2", "u", "d"},
	"readv":             {"fd", "iov:2", "d"},
	"writev":            {"fd", "iov:2", "d"},
	"open":              {"path", "oflags", "mode?o"},
	"openat":            {"dirfd", "path", "oflags", "mode?o"},
	"close":             {"fd"},
	"lseek":             {"fd", "d", "whence"},
	"fstat":             {"fd", "stat"},
	"stat":              {"path", "stat"},
	"lstat":             {"path", "stat"},
	"newfstatat":        {"dirfd", "path", "stat", "atflags"},
	"statx":             {"dirfd", "path", "atflags", "x", "p"},
	"getdents64":        {"fd", "p", "u"},
	"readlink":          {"path", "strout:2", "u"},
	"readlinkat":        {"dirfd", "path", "strout:3", "u"},
	"getcwd":            {"strout", "u"},
	"chdir":             {"path"},
	"fchdir":            {"fd"},
	"umask":             {"o"},
	"fcntl":             {"fd", "fcntl", "fcntlarg"},
	"dup":               {"fd"},
	"dup2":              {"fd", "fd"},
	"dup3":              {"fd", "fd", "oflags"},
	"pipe2":             {"pipefd", "oflags"},
	"pipe":              {"pipefd"},
	"splice":            {"fd", "off", "fd", "off", "u", "spliceflags"},
	"tee":               {"fd", "fd", "u", "spliceflags"},
	"sendfile":          {"fd", "fd", "off", "u"},
	"copy_file_range":   {"fd", "off", "fd", "off", "u", "x"},
	"ioctl":             {"fd", "ioctl", "ioctlarg"},
	"mmap":              {"p", "u", "prot", "mapflags", "fd", "x"},
	"munmap":            {"p", "u"},
	"mprotect":          {"p", "u", "prot"},
	"mremap":            {"p", "u", "u", "mremapflags", "mremapnew"},
	"madvise":           {"p", "u", "madv"},
	"brk":               {"p"},
	"arch_prctl":        {"archprctl", "p"},
	"set_tid_address":   {"p"},
	"set_robust_list":   {"p", "u"},
	"rseq":              {"p", "x", "d", "x"},
	"prlimit64":         {"d", "rlimit", "rlimin", "rlimout"},
	"getrlimit":         {"rlimit", "rlimout"},
	"setrlimit":         {"rlimit", "rlimin"},
	"getrandom":         {"bufout:1", "u", "grnd"},
	"exit":              {"d"},
	"exit_group":        {"d"},
	"uname":             {"uname"},
	"clock_gettime":     {"clock", "timespecout"},
	"clock_getres":      {"clock", "timespecout"},
	"nanosleep":         {"timespec", "p"},
	"clock_nanosleep":   {"clock", "d", "timespec", "p"},
	"futex":             {"p", "futexop", "d", "p", "p", "d"},
	"rt_sigaction":      {"sig", "sigaction", "sigactionout", "u"},
	"rt_sigprocmask":    {"sigprocmask", "sigset", "sigsetout", "u"},
	"sigaltstack":       {"stack", "stackout"},
	"clone3":            {"p", "u"},
	"sched_getaffinity": {"d", "u", "cpusetout"},
	"prctl":             {"prctl", "x", "x", "x", "x"},
	"tgkill":            {"d", "d", "sig"},
	"kill":              {"d", "sig"},
	"epoll_create1":     {"oflags"},
	"epoll_ctl":         {"fd", "d", "fd", "p"},
	"epoll_pwait":       {"fd", "p", "d", "d", "p", "u"},
	"eventfd2":          {"u", "oflags"},
	"execve":            {"path", "p", "p"},
	"wait4":             {"d", "p", "x", "p"},
	"access":            {"path", "o"},
	"faccessat":         {"dirfd", "path", "o"},
}

func formatArgs(t *kernel.Task, st *straceCall, ret uintptr, err error) string {
	name := straceName(st.nr)
	if st.nr == sysno.SYS_clone {
		a := st.args
		return fmtClone(uint64(a[0]), uint64(a[1]), uint64(a[2]), uint64(a[3]), uint64(a[4]))
	}
	spec, ok := argSpecs[name]
	if !ok {
		return "" // arguments of calls without a spec are not shown
	}
	var parts []string
	for i, s := range spec {
		if v, ok := st.atEntry[i]; ok {
			parts = append(parts, v)
		} else if v, show := formatArg(t, s, st.args, i, ret, err); show {
			parts = append(parts, v)
		}
	}
	return strings.Join(parts, ", ")
}

// formatArg formats argument i according to spec; show is false for
// arguments strace omits (the mode of an open without O_CREAT).
func formatArg(t *kernel.Task, spec string, a Args, i int, ret uintptr, err error) (string, bool) {
	v := a[i]
	kind, param, _ := strings.Cut(spec, ":")
	n := 0
	if param != "" {
		n, _ = strconv.Atoi(param)
	}
	switch kind {
	case "d":
		return strconv.FormatInt(int64(int32(v)), 10), true
	case "u":
		return strconv.FormatUint(uint64(v), 10), true
	case "x":
		return cHex(uint64(v)), true
	case "o":
		return fmt.Sprintf("%#o", v), true
	case "mode?o":
		if a[i-1]&(0o100|0o20000000) == 0 { // O_CREAT, O_TMPFILE
			return "", false
		}
		return fmt.Sprintf("%#o", v), true
	case "p":
		if v == 0 {
			return "NULL", true
		}
		return fmt.Sprintf("%#x", v), true
	case "fd":
		return strconv.Itoa(int(int32(v))), true
	case "dirfd":
		if int32(v) == -100 {
			return "AT_FDCWD", true
		}
		return strconv.Itoa(int(int32(v))), true
	case "path":
		s, e := t.CopyInString(v, 4096)
		if e != nil {
			return fmt.Sprintf("%#x", v), true
		}
		return quote([]byte(s), 1<<20), true
	case "bufin":
		return readBuf(t, v, int(a[n])), true
	case "bufout":
		if err != nil {
			return fmt.Sprintf("%#x", v), true
		}
		return readBuf(t, v, int(ret)), true
	case "strout":
		if err != nil {
			return fmt.Sprintf("%#x", v), true
		}
		return readBuf(t, v, int(ret)), true
	case "iov":
		return fmt.Sprintf("%#x", v), true
	case "oflags":
		return openFlags(uint64(v)), true
	case "atflags":
		return flagList(uint64(v), atFlagNames, "0"), true
	case "prot":
		return flagList(uint64(v), protNames, "PROT_NONE"), true
	case "mapflags":
		return flagList(uint64(v), mapFlagNames, "0"), true
	case "grnd":
		return flagList(uint64(v), grndNames, "0"), true
	case "whence":
		return enumName(uint64(v), []string{"SEEK_SET", "SEEK_CUR", "SEEK_END", "SEEK_DATA", "SEEK_HOLE"}), true
	case "archprctl":
		return enumMap(uint64(v), map[uint64]string{0x1001: "ARCH_SET_GS", 0x1002: "ARCH_SET_FS", 0x1003: "ARCH_GET_FS", 0x1004: "ARCH_GET_GS"}), true
	case "rlimit":
		return enumName(uint64(v), rlimitNames), true
	case "rlimin", "rlimout":
		return structArg(t, v, 16, kind == "rlimout", err, fmtRlimit), true
	case "clock":
		return enumName(uint64(v), []string{"CLOCK_REALTIME", "CLOCK_MONOTONIC", "CLOCK_PROCESS_CPUTIME_ID", "CLOCK_THREAD_CPUTIME_ID", "CLOCK_MONOTONIC_RAW", "CLOCK_REALTIME_COARSE", "CLOCK_MONOTONIC_COARSE", "CLOCK_BOOTTIME"}), true
	case "timespec", "timespecout":
		return structArg(t, v, 16, kind == "timespecout", err, fmtTimespec), true
	case "futexop":
		op := uint64(v)
		s := enumName(op&0x7f, []string{"FUTEX_WAIT", "FUTEX_WAKE", "FUTEX_FD", "FUTEX_REQUEUE", "FUTEX_CMP_REQUEUE", "FUTEX_WAKE_OP", "FUTEX_LOCK_PI", "FUTEX_UNLOCK_PI", "FUTEX_TRYLOCK_PI", "FUTEX_WAIT_BITSET", "FUTEX_WAKE_BITSET"})
		if op&128 != 0 {
			s += "_PRIVATE"
		}
		if op&256 != 0 {
			s = "FUTEX_CLOCK_REALTIME|" + s
		}
		return s, true
	case "sig":
		return signals.Name(int(v)), true
	case "sigprocmask":
		return enumName(uint64(v), []string{"SIG_BLOCK", "SIG_UNBLOCK", "SIG_SETMASK"}), true
	case "fcntl":
		return enumMap(uint64(v), fcntlNames), true
	case "fcntlarg":
		return fmtFcntlArg(uint64(a[1]), uint64(v))
	case "ioctl":
		return enumMap(uint64(v), ioctlNames), true
	case "ioctlarg":
		return ioctlArg(t, uint64(a[1]), v, err), true
	case "madv":
		return fmtMadvise(uint64(v)), true
	case "mremapflags":
		return flagList(uint64(v), mremapFlagNames, "0"), true
	case "mremapnew":
		if a[3]&2 == 0 { // MREMAP_FIXED
			return "", false
		}
		return ptr(uint64(v)), true
	case "sigset", "sigsetout":
		return structArg(t, v, 8, kind == "sigsetout", err, func(b []byte) string { return fmtSigset(binary.LittleEndian.Uint64(b)) }), true
	case "sigaction", "sigactionout":
		return structArg(t, v, 32, kind == "sigactionout", err, fmtSigaction), true
	case "stack", "stackout":
		return structArg(t, v, 24, kind == "stackout", err, fmtStack), true
	case "cpusetout":
		return structArg(t, v, int(ret), true, err, fmtCPUSet), true
	case "stat":
		return structArg(t, v, 144, true, err, fmtStat), true
	case "uname":
		return structArg(t, v, 2*utsLen, true, err, fmtUtsname), true
	case "spliceflags":
		return flagList(uint64(v), spliceFlagNames, "0"), true
	case "pipefd":
		return structArg(t, v, 8, true, err, fmtInts), true
	case "prctl":
		return enumMap(uint64(v), map[uint64]string{15: "PR_SET_NAME", 16: "PR_GET_NAME", 0x53564d41: "PR_SET_VMA"}), true
	}
	return fmt.Sprintf("%#x", v), true
}

// readBuf formats n bytes at addr as strace does: at most 32 bytes, then
// "..." after the quote.
func readBuf(t *kernel.Task, addr uintptr, n int) string {
	if n < 0 {
		n = 0
	}
	show := n
	if show > 32 {
		show = 32
	}
	b := make([]byte, show)
	if err := t.CopyIn(addr, b); err != nil && !linuxerr.Equals(linuxerr.EFAULT, err) {
		return fmt.Sprintf("%#x", addr)
	} else if err != nil {
		return fmt.Sprintf("%#x", addr)
	}
	s := quote(b, 32)
	if n > show {
		s += "..."
	}
	return s
}

// quote quotes b as strace does: C escapes if every byte is text, all
// bytes as \xNN otherwise.
func quote(b []byte, max int) string {
	if len(b) > max {
		b = b[:max]
	}
	text := true
	for _, c := range b {
		if (c < 0x20 || c >= 0x7f) && c != '\n' && c != '\t' && c != '\r' && c != '\v' && c != '\f' {
			text = false
			break
		}
	}
	var s strings.Builder
	s.WriteByte('"')
	for _, c := range b {
		if !text {
			fmt.Fprintf(&s, "\\x%02x", c)
			continue
		}
		switch c {
		case '\n':
			s.WriteString(`\n`)
		case '\t':
			s.WriteString(`\t`)
		case '\r':
			s.WriteString(`\r`)
		case '\v':
			s.WriteString(`\v`)
		case '\f':
			s.WriteString(`\f`)
		case '"':
			s.WriteString(`\"`)
		case '\\':
			s.WriteString(`\\`)
		default:
			s.WriteByte(c)
		}
	}
	s.WriteByte('"')
	return s.String()
}

type flagName struct {
	v    uint64
	name string
}

var openFlagNames = []flagName{{1, "O_WRONLY"}, {2, "O_RDWR"}, {0o100, "O_CREAT"}, {0o200, "O_EXCL"}, {0o400, "O_NOCTTY"},
	{0o1000, "O_TRUNC"}, {0o2000, "O_APPEND"}, {0o4000, "O_NONBLOCK"}, {0o4010000, "O_SYNC"}, {0o10000, "O_DSYNC"}, {0o40000, "O_DIRECT"},
	{0o100000, "O_LARGEFILE"}, {0o200000, "O_DIRECTORY"}, {0o400000, "O_NOFOLLOW"}, {0o1000000, "O_NOATIME"},
	{0o2000000, "O_CLOEXEC"}, {0o10000000, "O_PATH"}}
var atFlagNames = []flagName{{0x100, "AT_SYMLINK_NOFOLLOW"}, {0x200, "AT_REMOVEDIR"}, {0x400, "AT_SYMLINK_FOLLOW"}, {0x800, "AT_NO_AUTOMOUNT"}, {0x1000, "AT_EMPTY_PATH"}}
var protNames = []flagName{{1, "PROT_READ"}, {2, "PROT_WRITE"}, {4, "PROT_EXEC"}}
var mapFlagNames = []flagName{{1, "MAP_SHARED"}, {2, "MAP_PRIVATE"}, {0x10, "MAP_FIXED"}, {0x20, "MAP_ANONYMOUS"}, {0x100, "MAP_GROWSDOWN"},
	{0x4000, "MAP_NORESERVE"}, {0x8000, "MAP_POPULATE"}, {0x20000, "MAP_STACK"}, {0x100000, "MAP_FIXED_NOREPLACE"}}
var grndNames = []flagName{{1, "GRND_NONBLOCK"}, {2, "GRND_RANDOM"}, {4, "GRND_INSECURE"}}
var cloneFlagNames = []flagName{{0x100, "CLONE_VM"}, {0x200, "CLONE_FS"}, {0x400, "CLONE_FILES"}, {0x800, "CLONE_SIGHAND"},
	{0x1000, "CLONE_PIDFD"}, {0x4000, "CLONE_VFORK"}, {0x8000, "CLONE_PARENT"}, {0x10000, "CLONE_THREAD"}, {0x40000, "CLONE_SYSVSEM"},
	{0x80000, "CLONE_SETTLS"}, {0x100000, "CLONE_PARENT_SETTID"}, {0x200000, "CLONE_CHILD_CLEARTID"}, {0x1000000, "CLONE_CHILD_SETTID"}}
var rlimitNames = []string{"RLIMIT_CPU", "RLIMIT_FSIZE", "RLIMIT_DATA", "RLIMIT_STACK", "RLIMIT_CORE", "RLIMIT_RSS", "RLIMIT_NPROC",
	"RLIMIT_NOFILE", "RLIMIT_MEMLOCK", "RLIMIT_AS", "RLIMIT_LOCKS", "RLIMIT_SIGPENDING", "RLIMIT_MSGQUEUE", "RLIMIT_NICE", "RLIMIT_RTPRIO", "RLIMIT_RTTIME"}

func enumName(v uint64, names []string) string {
	if v < uint64(len(names)) {
		return names[v]
	}
	return strconv.FormatUint(v, 10)
}

func enumMap(v uint64, names map[uint64]string) string {
	if n, ok := names[v]; ok {
		return n
	}
	return fmt.Sprintf("%#x", v)
}

// ioctlArg formats ioctl's third argument for the console's requests:
// the structure or integer it points to, read after the call.
func ioctlArg(t *kernel.Task, req uint64, addr uintptr, err error) string {
	switch req {
	case 0x5401, 0x5402, 0x5403, 0x5404: // TCGETS, TCSETS*
		return structArg(t, addr, 36, req == 0x5401, err, fmtTermios)
	case 0x5413, 0x5414: // TIOCGWINSZ, TIOCSWINSZ
		return structArg(t, addr, 8, req == 0x5413, err, fmtWinsize)
	case 0x540f, 0x5410, 0x541b: // TIOCGPGRP, TIOCSPGRP, FIONREAD
		return structArg(t, addr, 4, req != 0x5410, err, fmtInts)
	}
	return cHex(uint64(addr))
}

// structArg shows the size bytes at addr with format, as strace shows a
// structure argument: NULL for a null pointer, the address itself when it
// cannot be read or when the structure is a result (out) of a call that
// failed.
func structArg(t *kernel.Task, addr uintptr, size int, out bool, err error, format func([]byte) string) string {
	if addr == 0 {
		return "NULL"
	}
	if out && err != nil {
		return cHex(uint64(addr))
	}
	b := make([]byte, size)
	if t.CopyIn(addr, b) != nil {
		return cHex(uint64(addr))
	}
	return format(b)
}
