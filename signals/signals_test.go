package signals

import "testing"

func TestName(t *testing.T) {
	for sig, want := range map[int]string{1: "SIGHUP", 11: "SIGSEGV", 31: "SIGSYS", 32: "SIGRTMIN", 35: "SIGRT_3", 64: "SIGRT_32", 0: "0", 65: "65", -1: "-1"} {
		if got := Name(sig); got != want {
			t.Errorf("Name(%d) = %q, want %q", sig, got, want)
		}
	}
}

func TestApplyMask(t *testing.T) {
	usr1, kill := uint64(Bit(SIGUSR1)), uint64(Bit(SIGKILL))
	for _, c := range []struct {
		old, how, set, want uint64
		ok                  bool
	}{
		{0, SIG_BLOCK, usr1 | kill, usr1, true},
		{usr1 | Bit(SIGINT), SIG_UNBLOCK, usr1, Bit(SIGINT), true},
		{usr1, SIG_SETMASK, Bit(SIGTERM) | Bit(SIGSTOP), Bit(SIGTERM), true},
		{usr1, 3, 0, usr1, false},
	} {
		got, ok := ApplyMask(c.old, c.how, c.set)
		if got != c.want || ok != c.ok {
			t.Errorf("ApplyMask(%#x, %d, %#x) = %#x, %v; want %#x, %v", c.old, c.how, c.set, got, ok, c.want, c.ok)
		}
	}
}

func TestDefaultKills(t *testing.T) {
	for sig, want := range map[int]bool{SIGTERM: true, SIGSEGV: true, SIGCHLD: false, SIGWINCH: false, SIGSTOP: false, SIGRTMIN: true, 0: false, 65: false} {
		if DefaultKills(sig) != want {
			t.Errorf("DefaultKills(%d) = %v", sig, !want)
		}
	}
}

func TestUAPIFlags(t *testing.T) {
	// What Linux 6.18 on the host read back after storing ~0 as sa_flags.
	if UAPIFlags != 0xdc000807 {
		t.Fatalf("UAPIFlags = %#x", uint64(UAPIFlags))
	}
}

func TestTimerInfo(t *testing.T) {
	si := TimerInfo(SIGALRM, 7, 1<<40|9)
	if si.Signo() != SIGALRM || si.Code() != SI_TIMER {
		t.Fatalf("signo %d code %d", si.Signo(), si.Code())
	}
	if id := int32(le.Uint32(si[16:])); id != 7 {
		t.Errorf("si_tid %d, want 7", id)
	}
	if v := le.Uint64(si[24:]); v != 1<<40|9 {
		t.Errorf("si_value %#x", v)
	}
	si.AddOverrun(3)
	si.AddOverrun(1 << 40) // saturates at INT_MAX
	if o := int32(le.Uint32(si[20:])); o != 1<<31-1 {
		t.Errorf("si_overrun %d, want INT_MAX", o)
	}
}
