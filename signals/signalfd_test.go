package signals

import "testing"

func TestSiginfoLayout(t *testing.T) {
	for _, c := range []struct {
		sig  int
		code int32
		want Layout
	}{
		{SIGUSR1, SI_USER, SIL_KILL},
		{SIGUSR1, SI_KERNEL, SIL_KILL},
		{SIGUSR1, SI_TKILL, SIL_RT},
		{SIGRTMIN, SI_QUEUE, SIL_RT},
		{SIGALRM, SI_TIMER, SIL_TIMER},
		{SIGIO, SI_SIGIO, SIL_POLL},
		{SIGSEGV, SEGV_MAPERR, SIL_FAULT},
		{SIGSEGV, 3, SIL_FAULT_BNDERR},
		{SIGSEGV, 4, SIL_FAULT_PKUERR},
		{SIGSEGV, 11, SIL_KILL}, // past SIGSEGV's codes and SIGPOLL's
		{SIGBUS, 4, SIL_FAULT_MCEERR},
		{SIGTRAP, 6, SIL_FAULT_PERF_EVENT},
		{SIGCHLD, CLD_EXITED, SIL_CHLD},
		{SIGCHLD, 7, SIL_KILL},
		{SIGSYS, 1, SIL_SYS},
		{SIGUSR1, 3, SIL_POLL}, // a low code of a signal without codes
		{SIGUSR1, 7, SIL_KILL},
	} {
		if got := SiginfoLayout(c.sig, c.code); got != c.want {
			t.Errorf("SiginfoLayout(%d, %d) = %d, want %d", c.sig, c.code, got, c.want)
		}
	}
}

func TestSignalfd(t *testing.T) {
	u32 := func(b []byte, off int) uint32 { return le.Uint32(b[off:]) }
	u64 := func(b []byte, off int) uint64 { return le.Uint64(b[off:]) }

	k := KillInfo(SIGUSR1, SI_USER, 42, 1000)
	r := k.Signalfd()
	if u32(r[:], 0) != SIGUSR1 || u32(r[:], 8) != SI_USER || u32(r[:], 12) != 42 || u32(r[:], 16) != 1000 {
		t.Errorf("kill: % x", r[:24])
	}

	c := ChldInfo(CLD_EXITED, 7, 0, 3, 11, 12)
	r = c.Signalfd()
	if u32(r[:], 12) != 7 || u32(r[:], 40) != 3 || u64(r[:], 56) != 11 || u64(r[:], 64) != 12 {
		t.Errorf("chld: % x", r[:72])
	}

	var q SigInfo
	q.head(SIGRTMIN+1, SI_QUEUE)
	le.PutUint32(q[16:], 9)
	le.PutUint32(q[20:], 5)
	le.PutUint64(q[24:], 0x1_0000_002a)
	r = q.Signalfd()
	if u32(r[:], 12) != 9 || u32(r[:], 16) != 5 || u32(r[:], 44) != 0x2a || u64(r[:], 48) != 0x1_0000_002a {
		t.Errorf("rt: % x", r[:56])
	}

	f := FaultInfo(SIGSEGV, SEGV_MAPERR, 0xdead000)
	r = f.Signalfd()
	if u64(r[:], 72) != 0xdead000 || u32(r[:], 12) != 0 {
		t.Errorf("fault: % x", r[:80])
	}

	var s SigInfo
	s.head(SIGSYS, 1)
	le.PutUint64(s[16:], 0x401000)
	le.PutUint32(s[24:], 39)
	le.PutUint32(s[28:], 0xc000003e)
	r = s.Signalfd()
	if u64(r[:], 88) != 0x401000 || u32(r[:], 84) != 39 || u32(r[:], 96) != 0xc000003e {
		t.Errorf("sys: % x", r[:100])
	}
}
