package syscalls

import (
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"

	"oyako/kernel/klog"
	"oyako/kernel/task"
	"oyako/signals"
	"oyako/syscalls/sysno"
)

// strace mode (oyako run --strace, kernel command line "strace"): every
// system call of a traced task is printed in strace's format, with
// decoded strings, flags and structures for the common calls, when it
// returns (strace prints the same line, split around blocking calls).
//
// Like strace, the layer shows a call's input arguments as they were
// when the call was made and its output arguments as the call left them:
// straceEnter decodes the inputs, straceExit the outputs, and then prints
// the line. The difference shows for calls that change the memory their
// inputs are in: execve replaces the whole address space, so its path,
// argv and envp are gone when it returns; rt_sigprocmask(SIG_SETMASK,
// &set, &set) writes the old mask over the new one it was given. Which
// arguments are outputs is part of each call's spec (argSpecs,
// decodedAtExit). The text decoded at entry is also what strace -f prints
// before "<unfinished ...>" when another process's line comes between a
// call's entry and its exit.

// straceCall is a traced system call between its entry and its exit.
type straceCall struct {
	nr   uint64
	args Args        // the argument registers at entry
	spec []string    // argSpecs[name], nil for a call whose arguments are not shown
	text []straceArg // one per spec entry
}

// straceArg is the text of one argument.
type straceArg struct {
	s      string
	hidden bool // strace omits this argument (the mode of an open without O_CREAT)
	atExit bool // an output: decoded when the call returns
}

func straceEnter(t *task.Task, nr uint64, a *Args) *straceCall {
	st := &straceCall{nr: nr, args: *a, spec: argSpecs[straceName(nr)]}
	st.text = make([]straceArg, len(st.spec))
	for i, spec := range st.spec {
		if decodedAtExit(spec, st.args) {
			st.text[i].atExit = true
			continue
		}
		s, show := formatArg(t, spec, st.args, i, 0, nil)
		st.text[i] = straceArg{s: s, hidden: !show}
	}
	return st
}

// decodeOutputs decodes the arguments the call wrote, now that it
// returned ret or failed with err.
func (st *straceCall) decodeOutputs(t *task.Task, ret uintptr, err error) {
	for i, spec := range st.spec {
		if a := &st.text[i]; a.atExit {
			s, show := formatArg(t, spec, st.args, i, ret, err)
			*a = straceArg{s: s, hidden: !show}
		}
	}
}

// call is the line's text up to the closing parenthesis.
func (st *straceCall) call() string {
	var parts []string
	for _, a := range st.text {
		if !a.hidden {
			parts = append(parts, a.s)
		}
	}
	return straceName(st.nr) + "(" + strings.Join(parts, ", ") + ")"
}

// entryText is the call as it stands at entry, for debuggers: the
// arguments the call writes (decoded at exit) show as the addresses or
// values their registers hold.
func (st *straceCall) entryText() string {
	var parts []string
	for i, a := range st.text {
		switch {
		case a.atExit:
			parts = append(parts, fmt.Sprintf("%#x", st.args[i]))
		case !a.hidden:
			parts = append(parts, a.s)
		}
	}
	return straceName(st.nr) + "(" + strings.Join(parts, ", ") + ")"
}

func straceName(nr uint64) string {
	if n := sysno.Name(nr); n != "" {
		return n
	}
	return "syscall_" + strconv.FormatUint(nr, 10)
}

func straceExit(t *task.Task, st *straceCall, ret uintptr, err error) {
	st.decodeOutputs(t, ret, err)
	if err != nil {
		e := Errno(err)
		if e >= 512 && e <= 516 {
			// Restarted or turned into EINTR on the way out: strace
			// shows "?" with the internal code's name.
			straceResult(t, st.call(), "? "+errnoName(e))
			return
		}
		straceResult(t, st.call(), "-1 "+errnoName(e))
		return
	}
	straceResult(t, st.call(), formatRet(st, ret))
}

func straceNoReturn(t *task.Task, st *straceCall) {
	st.decodeOutputs(t, 0, nil)
	straceResult(t, st.call(), "?")
}

// pidPrefix is what strace -f puts before the lines of a process other
// than the first: "[pid  NNNN] ".
func pidPrefix(t *task.Task) string {
	if t == nil || t.TID == 1 {
		return ""
	}
	return fmt.Sprintf("[pid %5d] ", t.TID)
}

// straceResult prints a call and its result, aligned as strace aligns
// them.
func straceResult(t *task.Task, call, result string) {
	var b strings.Builder
	b.WriteString(pidPrefix(t))
	b.WriteString(call)
	pad(&b)
	b.WriteString("= " + result)
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

// StraceExited prints strace's last line for process 1.
func StraceExited(status int) { straceExitLine(nil, status) }

func straceExitLine(t *task.Task, status int) {
	if status&0x7f != 0 {
		straceLine(fmt.Sprintf("%s+++ killed by %s +++", pidPrefix(t), signals.Name(status&0x7f)))
		return
	}
	straceLine(fmt.Sprintf("%s+++ exited with %d +++", pidPrefix(t), status>>8))
}

func init() {
	task.TraceSignal = func(t *task.Task, info signals.SigInfo) {
		straceLine(pidPrefix(t) + "--- " + signals.Name(info.Signo()) + " " + fmtSiginfo(info) + " ---")
	}
	task.TraceExit = func(t *task.Task, status int) {
		if t.Proc.PID != 1 {
			straceExitLine(t, status)
		}
	}
}

// StraceExecve prints the execve line of a program the kernel started,
// as strace prints the execve that starts the program it traces (with a
// made-up address for envp).
func StraceExecve(path string, argv, envp []string) {
	straceResult(nil, "execve("+quote([]byte(path), 1<<20)+", "+fmtArgvStrings(argv)+", "+fmtEnvCount(0x7fffffffe000, len(envp), false)+")", "0")
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

// argSpecs says how strace shows each argument of a call: one kind per
// argument register (see formatArg). The kinds named "...out" are outputs,
// decoded when the call returns; all others are decoded when it is made
// (decodedAtExit).
var argSpecs = map[string][]string{
	"read":              {"fd", "bufout:2", "u"},
	"write":             {"fd", "bufin:2", "u"},
	"pread64":           {"fd", "bufout:2", "u", "d"},
	"pwrite64":          {"fd", "bufin:2", "u", "d"},
	"readv":             {"fd", "iov:2", "d"},
	"writev":            {"fd", "iov:2", "d"},
	"open":              {"path", "oflags", "mode?o"},
	"openat":            {"dirfd", "path", "oflags", "mode?o"},
	"openat2":           {"dirfd", "path", "p", "u"},
	"close":             {"fd"},
	"lseek":             {"fd", "d", "whence"},
	"fstat":             {"fd", "statout"},
	"stat":              {"path", "statout"},
	"lstat":             {"path", "statout"},
	"newfstatat":        {"dirfd", "path", "statout", "atflags"},
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
	"flock":             {"fd", "flockop"},
	"close_range":       {"u", "u", "closerange"},
	"pipe2":             {"pipefdout", "oflags"},
	"pipe":              {"pipefdout"},
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
	"msync":             {"p", "u", "msync"},
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
	"uname":             {"unameout"},
	"sethostname":       {"bufin:1", "u"},
	"setdomainname":     {"bufin:1", "u"},
	"clock_gettime":     {"clock", "timespecout"},
	"clock_getres":      {"clock", "timespecout"},
	"nanosleep":         {"timespec", "p"},
	"clock_nanosleep":   {"clock", "d", "timespec", "p"},
	"futex":             {"p", "futexop", "d", "p", "p", "d"},
	"rt_sigaction":      {"sig", "sigaction", "sigactionout", "u"},
	"rt_sigprocmask":    {"sigprocmask", "sigset", "sigsetout", "u"},
	"sigaltstack":       {"stack", "stackout"},
	"clone":             {"clone"}, // one text for all five registers
	"clone3":            {"p", "u"},
	"sched_getaffinity": {"d", "u", "cpusetout"},
	"prctl":             {"prctl", "x", "x", "x", "x"},
	"tgkill":            {"d", "d", "sig"},
	"kill":              {"d", "sig"},
	"alarm":             {"u"},
	"poll":              {"p", "u", "d"},
	"ppoll":             {"p", "u", "timespec", "sigset", "u"},
	"setitimer":         {"d", "p", "p"},
	"getitimer":         {"d", "p"},
	"timer_create":      {"clock", "p", "p"},
	"timer_settime":     {"d", "d", "p", "p"},
	"timer_gettime":     {"d", "p"},
	"timer_getoverrun":  {"d"},
	"timer_delete":      {"d"},
	"timerfd_create":    {"clock", "x"},
	"timerfd_settime":   {"fd", "d", "p", "p"},
	"timerfd_gettime":   {"fd", "p"},
	"epoll_create1":     {"oflags"},
	"epoll_ctl":         {"fd", "d", "fd", "p"},
	"epoll_pwait":       {"fd", "p", "d", "d", "p", "u"},
	"eventfd2":          {"u", "oflags"},
	"signalfd4":         {"d", "sigset", "u", "sfdflags"},
	"signalfd":          {"d", "sigset", "u"},
	"execve":            {"path", "argv", "envp"},
	"execveat":          {"dirfd", "path", "argv", "envp", "atflags"},
	"wait4":             {"d", "waitstatusout", "waitoptions", "p"},
	"access":            {"path", "amode"},
	"faccessat":         {"dirfd", "path", "amode"},
	"faccessat2":        {"dirfd", "path", "amode", "atflags"},
	"mkdir":             {"path", "o"},
	"mkdirat":           {"dirfd", "path", "o"},
	"mknod":             {"path", "fmode", "x"},
	"mknodat":           {"dirfd", "path", "fmode", "x"},
	"unlink":            {"path"},
	"unlinkat":          {"dirfd", "path", "atflags"},
	"rmdir":             {"path"},
	"rename":            {"path", "path"},
	"renameat":          {"dirfd", "path", "dirfd", "path"},
	"renameat2":         {"dirfd", "path", "dirfd", "path", "renameflags"},
	"link":              {"path", "path"},
	"linkat":            {"dirfd", "path", "dirfd", "path", "atflags"},
	"symlink":           {"path", "path"},
	"symlinkat":         {"path", "dirfd", "path"},
	"chmod":             {"path", "o"},
	"fchmod":            {"fd", "o"},
	"fchmodat":          {"dirfd", "path", "o"},
	"fchmodat2":         {"dirfd", "path", "o", "atflags"},
	"chown":             {"path", "d", "d"},
	"lchown":            {"path", "d", "d"},
	"fchown":            {"fd", "d", "d"},
	"fchownat":          {"dirfd", "path", "d", "d", "atflags"},
	"utimensat":         {"dirfd", "path", "p", "atflags"},
	"truncate":          {"path", "d"},
	"ftruncate":         {"fd", "d"},
	"fallocate":         {"fd", "falloc", "d", "d"},
	"fsync":             {"fd"},
	"fdatasync":         {"fd"},
	"fadvise64":         {"fd", "d", "d", "d"},
	"sync_file_range":   {"fd", "d", "d", "x"},
	"syncfs":            {"fd"},
	"statfs":            {"path", "p"},
	"getpriority":       {"prio_which", "d"},
	"setpriority":       {"prio_which", "d", "d"},
	"fstatfs":           {"fd", "p"},
	"mount":             {"path", "path", "path", "mountflags", "path"},
	"umount2":           {"path", "umountflags"},
}

// decodedAtExit says whether an argument is an output of its call, shown
// as the call left it: the kinds whose names end in "out", and ioctl's
// argument for the requests that return something there. Every other
// argument is decoded when the call is made.
func decodedAtExit(spec string, a Args) bool {
	kind, _, _ := strings.Cut(spec, ":")
	if kind == "ioctlarg" {
		return ioctlOut(uint64(a[1]))
	}
	return strings.HasSuffix(kind, "out")
}

// formatArg formats argument i according to spec; show is false for
// arguments strace omits (the mode of an open without O_CREAT). ret and
// err are the call's outcome for outputs (decodedAtExit), zero for
// inputs, which are formatted before the call runs.
// extraArgKinds format the argument kinds that families of calls define
// in their own files (strace_socket.go, strace_uring.go); each returns
// false for a kind it does not know.
var extraArgKinds []func(t *task.Task, kind string, n int, a Args, v uintptr, err error) (string, bool)

func formatArg(t *task.Task, spec string, a Args, i int, ret uintptr, err error) (string, bool) {
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
	case "prio_which":
		if v < 3 {
			return [...]string{"PRIO_PROCESS", "PRIO_PGRP", "PRIO_USER"}[v], true
		}
		return strconv.FormatInt(int64(int32(v)), 10), true
	case "amode": // access(2)'s mode, as strace prints it
		if v == 0 {
			return "F_OK", true
		}
		return flagList(uint64(v), accessModeNames, "0"), true
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
		if v == 0 {
			return "NULL", true
		}
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
	case "xattrvalueout":
		return fmtXattrValueOut(t, v, uint64(a[n]), ret, err), true
	case "xattrlistout":
		return fmtXattrList(t, v, uint64(a[n]), ret, err), true
	case "argv":
		return fmtArgv(t, v), true
	case "envp":
		return fmtEnvp(t, v), true
	case "clone":
		return fmtClone(uint64(a[0]), uint64(a[1]), uint64(a[2]), uint64(a[3]), uint64(a[4])), true
	case "iov":
		return fmt.Sprintf("%#x", v), true
	case "oflags":
		return openFlags(uint64(v)), true
	case "atflags":
		return flagList(uint64(v), atFlagNames, "0"), true
	case "fmode":
		return fmtFileMode(uint64(v)), true
	case "renameflags":
		return flagList(uint64(v), renameFlagNames, "0"), true
	case "sfdflags":
		return flagList(uint64(v), sfdFlagNames, "0"), true
	case "mountflags":
		return flagList(uint64(v), mountFlagNames, "0"), true
	case "umountflags":
		return flagList(uint64(v), umountFlagNames, "0"), true
	case "falloc":
		return flagList(uint64(v), fallocFlagNames, "0"), true
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
		switch cmd := int32(a[1]); cmd {
		case fGetlk, fOfdGetlk:
			return structArg(t, v, flockSize, true, err, func(b []byte) string { return fmtFlock(b, true) }), true
		case fSetlk, fSetlkw, fOfdSetlk, fOfdSetlkw:
			return structArg(t, v, flockSize, false, err, func(b []byte) string { return fmtFlock(b, false) }), true
		}
		return fmtFcntlArg(uint64(a[1]), uint64(v))
	case "flockop":
		return flagList(uint64(uint32(v)), flockOpNames, "0"), true
	case "closerange":
		return flagList(uint64(uint32(v)), closeRangeFlagNames, "0"), true
	case "ioctl":
		return enumMap(uint64(v), ioctlNames), true
	case "ioctlarg":
		return ioctlArg(t, uint64(a[1]), v, err), true
	case "madv":
		return fmtMadvise(uint64(v)), true
	case "msync":
		return flagList(uint64(v), msyncFlagNames, "0"), true
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
	case "statout":
		return structArg(t, v, 144, true, err, fmtStat), true
	case "unameout":
		return structArg(t, v, 2*utsLen, true, err, fmtUtsname), true
	case "waitstatusout":
		return structArg(t, v, 4, true, err, fmtWaitStatus), true
	case "waitoptions":
		return flagList(uint64(v), waitOptionNames, "0"), true
	case "spliceflags":
		return flagList(uint64(v), spliceFlagNames, "0"), true
	case "off":
		return structArg(t, v, 8, false, nil, fmtOffset), true
	case "pipefdout":
		return structArg(t, v, 8, true, err, fmtInts), true
	case "prctl":
		return enumMap(uint64(v), map[uint64]string{15: "PR_SET_NAME", 16: "PR_GET_NAME", 0x53564d41: "PR_SET_VMA"}), true
	}
	for _, extra := range extraArgKinds {
		if s, ok := extra(t, kind, n, a, v, err); ok {
			return s, true
		}
	}
	return fmt.Sprintf("%#x", v), true
}

// readBuf formats n bytes at addr as strace does: at most straceMaxStrlen
// bytes, then "..." after the quote.
func readBuf(t *task.Task, addr uintptr, n int) string {
	if n < 0 {
		n = 0
	}
	show := n
	if show > straceMaxStrlen {
		show = straceMaxStrlen
	}
	b := make([]byte, show)
	if t.CopyIn(addr, b) != nil {
		return fmt.Sprintf("%#x", addr)
	}
	s := quote(b, straceMaxStrlen)
	if n > show {
		s += "..."
	}
	return s
}

// quote quotes b as strace's default style does (string_quote): printable
// ASCII as is, C escapes for the usual controls, and any other byte in
// octal, with three digits only when a digit follows (so "\0" and "\20t",
// but "\0001").
func quote(b []byte, max int) string {
	if len(b) > max {
		b = b[:max]
	}
	var s strings.Builder
	s.WriteByte('"')
	for i, c := range b {
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
			if c >= 0x20 && c < 0x7f {
				s.WriteByte(c)
				continue
			}
			s.WriteByte('\\')
			if i+1 < len(b) && b[i+1] >= '0' && b[i+1] <= '7' {
				s.WriteByte('0' + c>>6)
				s.WriteByte('0' + c>>3&7)
			} else if c>>3 != 0 {
				if c>>6 != 0 {
					s.WriteByte('0' + c>>6)
				}
				s.WriteByte('0' + c>>3&7)
			}
			s.WriteByte('0' + c&7)
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
var accessModeNames = []flagName{{4, "R_OK"}, {2, "W_OK"}, {1, "X_OK"}}
var protNames = []flagName{{1, "PROT_READ"}, {2, "PROT_WRITE"}, {4, "PROT_EXEC"}}
var mapFlagNames = []flagName{{1, "MAP_SHARED"}, {2, "MAP_PRIVATE"}, {0x10, "MAP_FIXED"}, {0x20, "MAP_ANONYMOUS"}, {0x100, "MAP_GROWSDOWN"}, {0x800, "MAP_DENYWRITE"}, {0x1000, "MAP_EXECUTABLE"},
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
// the structure or integer it points to, read before the call for the
// requests that take it and after the call for those that return it.
func ioctlArg(t *task.Task, req uint64, addr uintptr, err error) string {
	out := ioctlOut(req)
	switch req {
	case 0x5401, 0x5402, 0x5403, 0x5404: // TCGETS, TCSETS*
		return structArg(t, addr, 36, out, err, fmtTermios)
	case 0x5413, 0x5414: // TIOCGWINSZ, TIOCSWINSZ
		return structArg(t, addr, 8, out, err, fmtWinsize)
	case 0x540f, 0x5410, 0x541b: // TIOCGPGRP, TIOCSPGRP, FIONREAD
		return structArg(t, addr, 4, out, err, fmtInts)
	}
	return cHex(uint64(addr))
}

// ioctlOut says whether ioctl request req returns a value through its
// argument: TCGETS, TIOCGWINSZ, TIOCGPGRP and FIONREAD.
func ioctlOut(req uint64) bool {
	switch req {
	case 0x5401, 0x5413, 0x540f, 0x541b:
		return true
	}
	return false
}

// structArg shows the size bytes at addr with format, as strace shows a
// structure argument: NULL for a null pointer, the address itself when it
// cannot be read or when the structure is a result (out) of a call that
// failed.
func structArg(t *task.Task, addr uintptr, size int, out bool, err error, format func([]byte) string) string {
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
