package syscalls

import (
	"encoding/binary"
	"oyako/signals"
	"strings"
	"testing"

	"gvisor.dev/gvisor/pkg/errors/linuxerr"

	"oyako/fs"
)

// The expected strings below are what strace 6.1 (Debian bookworm)
// printed for the same values on Linux.

func u64s(vs ...uint64) []byte {
	b := make([]byte, 8*len(vs))
	for i, v := range vs {
		binary.LittleEndian.PutUint64(b[8*i:], v)
	}
	return b
}

func u32s(vs ...uint32) []byte {
	b := make([]byte, 60)
	for i, v := range vs {
		binary.LittleEndian.PutUint32(b[4*i:], v)
	}
	return b
}

func TestFmtSigset(t *testing.T) {
	bit := func(s int) uint64 { return 1 << (s - 1) }
	for mask, want := range map[uint64]string{
		0:                                       "[]",
		bit(2) | bit(36):                        "[INT RT_4]",
		^uint64(0):                              "~[]",
		^(bit(32) | bit(33)):                    "~[RTMIN RT_1]",
		^(bit(9) | bit(19) | bit(32) | bit(33)): "~[KILL STOP RTMIN RT_1]",
		^(bit(15) | bit(32) | bit(33)):          "~[TERM RTMIN RT_1]",
	} {
		if got := fmtSigset(mask); got != want {
			t.Errorf("fmtSigset(%#x) = %q, want %q", mask, got, want)
		}
	}
}

func TestFmtSigaction(t *testing.T) {
	for _, c := range []struct {
		b    []byte
		want string
	}{
		{u64s(0, 0, 0, 0), "{sa_handler=SIG_DFL, sa_mask=[], sa_flags=0}"},
		{u64s(0x484180, 0x1c000004, 0x4842c0, ^uint64(0)), "{sa_handler=0x484180, sa_mask=~[], sa_flags=SA_RESTORER|SA_ONSTACK|SA_RESTART|SA_SIGINFO, sa_restorer=0x4842c0}"},
		{u64s(0x1234, 0xdc000c07, 0x5678, 0), "{sa_handler=0x1234, sa_mask=[], sa_flags=SA_RESTORER|SA_ONSTACK|SA_RESTART|SA_NODEFER|SA_RESETHAND|SA_SIGINFO|SA_NOCLDSTOP|SA_NOCLDWAIT|0xc00, sa_restorer=0x5678}"},
		{u64s(1, 0x04000000, 0x408a40, ^uint64(0)&^(1<<31|1<<32)), "{sa_handler=SIG_IGN, sa_mask=~[RTMIN RT_1], sa_flags=SA_RESTORER, sa_restorer=0x408a40}"},
	} {
		if got := fmtSigaction(c.b); got != c.want {
			t.Errorf("got  %s\nwant %s", got, c.want)
		}
	}
}

func TestFmtStack(t *testing.T) {
	if got, want := fmtStack(u64s(0, 2, 0)), "{ss_sp=NULL, ss_flags=SS_DISABLE, ss_size=0}"; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
	if got, want := fmtStack(u64s(0x130a66d0, 0, 65536)), "{ss_sp=0x130a66d0, ss_flags=0, ss_size=65536}"; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}

func TestFmtTermios(t *testing.T) {
	for _, c := range []struct {
		b    []byte
		want string
	}{
		// A pseudo-terminal as Linux sets it up.
		{u32s(0o2400, 0o5, 0o277, 0o105073), "{c_iflag=ICRNL|IXON, c_oflag=NL0|CR0|TAB0|BS0|VT0|FF0|OPOST|ONLCR, c_cflag=B38400|CS8|CREAD, c_lflag=ISIG|ICANON|ECHO|ECHOE|ECHOK|IEXTEN|ECHOCTL|ECHOKE, ...}"},
		{u32s(0xffff, 0x1ff, 0x800000ff|0xf00|0x1000, 0x1ffff), "{c_iflag=IGNBRK|BRKINT|IGNPAR|PARMRK|INPCK|ISTRIP|INLCR|IGNCR|ICRNL|IUCLC|IXON|IXANY|IXOFF|IMAXBEL|IUTF8|0x8000, c_oflag=NL1|CR0|TAB0|BS0|VT0|FF0|OPOST|OLCUC|ONLCR|OCRNL|ONOCR|ONLRET|OFILL|OFDEL, c_cflag=B4000000|CS8|CSTOPB|CREAD|PARENB|PARODD|HUPCL|CLOCAL|CRTSCTS, c_lflag=ISIG|ICANON|XCASE|ECHO|ECHOE|ECHOK|ECHONL|NOFLSH|IEXTEN|ECHOCTL|ECHOPRT|ECHOKE|FLUSHO|PENDIN|TOSTOP|EXTPROC|0x2000, ...}"},
		{u32s(0, 0x100|0x400|0x1800|0x2000|0x4000|0x8000|1, 0, 0), "{c_iflag=, c_oflag=NL1|CR2|XTABS|BS1|VT1|FF1|OPOST, c_cflag=B0|CS5|, c_lflag=, ...}"},
		{u32s(0, 0x100|0x400|0x1800|0x2000|0x4000|0x8000|1, 0o10001, 0), "{c_iflag=, c_oflag=NL1|CR2|XTABS|BS1|VT1|FF1|OPOST, c_cflag=B57600|CS5|, c_lflag=, ...}"},
	} {
		if got := fmtTermios(c.b); got != c.want {
			t.Errorf("got  %s\nwant %s", got, c.want)
		}
	}
}

func TestFmtFcntl(t *testing.T) {
	if s, show := fmtFcntlArg(fGetfd, 0); show {
		t.Errorf("F_GETFD shows an argument %q", s)
	}
	for _, c := range []struct {
		cmd, arg uint64
		want     string
	}{
		{fSetfd, 1, "FD_CLOEXEC"},
		{fSetfl, 0o6000, "O_RDONLY|O_APPEND|O_NONBLOCK"},
		{fDupfd, 10, "10"},
	} {
		if got, _ := fmtFcntlArg(c.cmd, c.arg); got != c.want {
			t.Errorf("fmtFcntlArg(%d, %#x) = %q, want %q", c.cmd, c.arg, got, c.want)
		}
	}
	for _, c := range []struct {
		cmd, ret uint64
		want     string
	}{
		{fGetfd, 0, "0"},
		{fGetfd, 1, "0x1 (flags FD_CLOEXEC)"},
		{fGetfl, 0x8000, "0x8000 (flags O_RDONLY|O_LARGEFILE)"},
		{fDupfd, 11, "11"},
	} {
		if got := fmtFcntlRet(c.cmd, c.ret); got != c.want {
			t.Errorf("fmtFcntlRet(%d, %#x) = %q, want %q", c.cmd, c.ret, got, c.want)
		}
	}
}

func TestFmtMisc(t *testing.T) {
	for got, want := range map[string]string{
		fmtMadvise(4):                     "MADV_DONTNEED",
		fmtMadvise(15):                    "MADV_NOHUGEPAGE",
		fmtMadvise(99):                    "0x63 /* MADV_??? */",
		fmtCPUSet([]byte{3, 0, 0, 0}):     "[0 1]",
		fmtWinsize(make([]byte, 8)):       "{ws_row=0, ws_col=0, ws_xpixel=0, ws_ypixel=0}",
		cHex(0):                           "0",
		cHex(4096):                        "0x1000",
		flagList(1, mremapFlagNames, "0"): "MREMAP_MAYMOVE",
		fmtClone(0xd0f00, 0x6769baba000, 0, 0, 0x6769ba9e890): "child_stack=0x6769baba000, flags=CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD|CLONE_SYSVSEM|CLONE_SETTLS, tls=0x6769ba9e890",
		fmtClone(0x1200011, 0, 0, 0x7f00, 0):                  "child_stack=NULL, flags=CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD, child_tidptr=0x7f00",
	} {
		if got != want {
			t.Errorf("got  %s\nwant %s", got, want)
		}
	}
}

func TestFmtStructs(t *testing.T) {
	stat := make([]byte, 144)
	binary.LittleEndian.PutUint32(stat[24:], 0o020600)
	binary.LittleEndian.PutUint64(stat[40:], 0x501)
	uts := make([]byte, 2*utsLen)
	copy(uts, "Linux")
	copy(uts[utsLen:], "oyako")
	for got, want := range map[string]string{
		openFlags(0):                            "O_RDONLY",
		openFlags(0o2000000):                    "O_RDONLY|O_CLOEXEC",
		openFlags(0o1101):                       "O_WRONLY|O_CREAT|O_TRUNC",
		fmtRlimit(u64s(8<<20, ^uint64(0))):      "{rlim_cur=8192*1024, rlim_max=RLIM64_INFINITY}",
		fmtTimespec(u64s(1, 500)):               "{tv_sec=1, tv_nsec=500}",
		fmtStat(stat):                           "{st_mode=S_IFCHR|0600, st_rdev=makedev(0x5, 0x1), ...}",
		fmtUtsname(uts):                         `{sysname="Linux", nodename="oyako", ...}`,
		fmtInts([]byte{3, 0, 0, 0, 4, 0, 0, 0}): "[3, 4]",
	} {
		if got != want {
			t.Errorf("got  %s\nwant %s", got, want)
		}
	}
}

// fakeMemory is user memory for host tests: regions at fixed addresses,
// everything else unmapped.
type fakeMemory map[uintptr][]byte

func (m fakeMemory) CopyIn(addr uintptr, dst []byte) error {
	for base, b := range m {
		if addr >= base && addr-base+uintptr(len(dst)) <= uintptr(len(b)) {
			copy(dst, b[addr-base:])
			return nil
		}
	}
	return linuxerr.EFAULT
}

func (m fakeMemory) CopyInString(addr uintptr, max int) (string, error) {
	var s []byte
	for i := 0; i < max; i++ {
		var c [1]byte
		if err := m.CopyIn(addr+uintptr(i), c[:]); err != nil {
			return "", err
		}
		if c[0] == 0 {
			return string(s), nil
		}
		s = append(s, c[0])
	}
	return "", linuxerr.ENAMETOOLONG
}

// TestFmtExecveArrays: execve's argv and envp decoded from memory. The
// cases are those of a C program whose execve calls strace 6.1 printed
// on Linux, with the addresses of this fake memory.
func TestFmtExecveArrays(t *testing.T) {
	const strs, arrays = 0x1000, 0x2000 // a page of strings, a page of arrays; 0x3000 is unmapped
	mem := fakeMemory{strs: make([]byte, 0x1000), arrays: make([]byte, 0x1000)}
	next := uintptr(strs)
	str := func(s string) uint64 {
		a := next
		copy(mem[strs][a-strs:], s+"\x00")
		next += uintptr(len(s)) + 1
		return uint64(a)
	}
	array := func(at uintptr, ptrs ...uint64) uintptr {
		for i, p := range ptrs {
			binary.LittleEndian.PutUint64(mem[arrays][at-arrays+uintptr(8*i):], p)
		}
		return at
	}
	x := str("x")
	many := make([]uint64, 40)
	for i := range 39 {
		many[i] = x
	}
	unterminated := array(0x2ff0, str("a"), str("b"))
	manyArr := array(0x2000, many...)
	bad := array(0x2200, str("ok"), 8, 0)
	one := array(0x2300, str("e=1"), 0)
	long := array(0x2400, str("0123456789012345678901234567890"), str("01234567890123456789012345678901"),
		str("012345678901234567890123456789012"), 0)
	for _, c := range []struct {
		argv, envp uintptr
		want       string
	}{
		{unterminated, unterminated, `["a", "b", ... /* 0x3000 */], 0x2ff0 /* 2 vars, unterminated */`},
		{manyArr, manyArr, "[" + strings.Repeat(`"x", `, 32) + "...], 0x2000 /* 39 vars */"},
		{bad, one, `["ok", 0x8], 0x2300 /* 1 var */`},
		{long, 0, `["0123456789012345678901234567890", "01234567890123456789012345678901", "01234567890123456789012345678901"...], NULL`},
		{8, 8, "0x8, 0x8"},
		{0x3000, 0x3000, "0x3000, 0x3000"},
		{^uintptr(7), ^uintptr(7), "0xfffffffffffffff8, 0xfffffffffffffff8"},
	} {
		if got := fmtArgv(mem, c.argv) + ", " + fmtEnvp(mem, c.envp); got != c.want {
			t.Errorf("got  %s\nwant %s", got, c.want)
		}
	}
	if got, want := fmtArgvStrings([]string{"hello", strings.Repeat("y", 40)}), `["hello", "yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy"...]`; got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

func TestFmtFlock(t *testing.T) {
	b := make([]byte, flockSize)
	encodeFlock(b, fs.Flock{Type: fs.F_WRLCK, Whence: 0, Start: 5, Len: 10})
	if got, want := fmtFlock(b, false), "{l_type=F_WRLCK, l_whence=SEEK_SET, l_start=5, l_len=10}"; got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	encodeFlock(b, fs.Flock{Type: fs.F_UNLCK, Whence: 1, Start: -5, Len: 0, PID: 0})
	if got, want := fmtFlock(b, true), "{l_type=F_UNLCK, l_whence=SEEK_CUR, l_start=-5, l_len=0, l_pid=0}"; got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	for v, want := range map[uint64]string{fs.LOCK_EX | fs.LOCK_NB: "LOCK_EX|LOCK_NB", 99: "LOCK_SH|LOCK_EX|LOCK_MAND|LOCK_READ", 0: "0"} {
		if got := flagList(v, flockOpNames, "0"); got != want {
			t.Errorf("flock op %d: %s, want %s", v, got, want)
		}
	}
	if got, want := flagList(closeRangeCloexec, closeRangeFlagNames, "0"), "CLOSE_RANGE_CLOEXEC"; got != want {
		t.Errorf("close_range flags: %s, want %s", got, want)
	}
}

func TestFmtSiginfoTimer(t *testing.T) {
	si := signals.TimerInfo(signals.SIGPROF, 3, 42)
	si.AddOverrun(5)
	want := "{si_signo=SIGPROF, si_code=SI_TIMER, si_timerid=0x3, si_overrun=5, si_int=42, si_ptr=0x2a}"
	if got := fmtSiginfo(si); got != want {
		t.Errorf("fmtSiginfo = %q, want %q", got, want)
	}
}

func TestFmtSockaddrInet(t *testing.T) {
	in := []byte{2, 0, 0x1f, 0x90, 127, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0}
	if got, want := fmtSockaddr(in), `{sa_family=AF_INET, sin_port=htons(8080), sin_addr=inet_addr("127.0.0.1")}`; got != want {
		t.Errorf("AF_INET: got %s, want %s", got, want)
	}
	in6 := make([]byte, 28)
	in6[0], in6[3], in6[23] = 10, 80, 1
	if got, want := fmtSockaddr(in6), `{sa_family=AF_INET6, sin6_port=htons(80), sin6_flowinfo=htonl(0), inet_pton(AF_INET6, "::1", &sin6_addr), sin6_scope_id=0}`; got != want {
		t.Errorf("AF_INET6: got %s, want %s", got, want)
	}
	nl := []byte{16, 0, 0, 0, 0xff, 0xef, 0xff, 0xff, 1, 0, 0, 0}
	if got, want := fmtSockaddr(nl), `{sa_family=AF_NETLINK, nl_pid=-4097, nl_groups=00000001}`; got != want {
		t.Errorf("AF_NETLINK: got %s, want %s", got, want)
	}
}

// TestQuote checks strings against what strace 6 printed for the same
// bytes (an ELF header read by ld.so, and the digit rule for octal).
func TestQuote(t *testing.T) {
	for in, want := range map[string]string{
		"\x7fELF\x02\x01\x01\x03\x00\x00\x00\x00\x00\x00\x00\x00\x03\x00>\x00\x01\x00\x00\x00\x10t\x02\x00": `"\177ELF\2\1\1\3\0\0\0\0\0\0\0\0\3\0>\0\1\0\0\0\20t\2\0"`,
		"\x00" + "1\x008\xff":   `"\0001\08\377"`,
		"a \"q\" \\ \n\t\r\v\f": `"a \"q\" \\ \n\t\r\v\f"`,
	} {
		if got := quote([]byte(in), 32); got != want {
			t.Errorf("quote(%q) = %s, want %s", in, got, want)
		}
	}
}
