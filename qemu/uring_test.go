package qemu

import (
	"context"
	"regexp"
	"strconv"
	"testing"
	"time"
)

// TestUringSQPollNoEnter proves SQPOLL's point (issue 11, acceptance 2):
// user/c/uring_sqpoll.c submits 100,000 NOPs while the SQ thread is
// awake and reaps them from the CQ ring, and the kernel's per-call
// counters must show no io_uring_enter beyond the wakeups the program
// reports: at most one before the NOPs (the thread may already sleep
// when the first one comes, as Linux's does) and none during them.
func TestUringSQPollNoEnter(t *testing.T) {
	root, dir := userPrograms(t)
	prog, err := BuildUserC(root, dir, "uring_sqpoll")
	if err != nil {
		t.Fatal(err)
	}
	const n = 100000
	oy, err := RunOyako(context.Background(), kernelImage(t), Case{Name: "uring_sqpoll-nops", Program: prog,
		Args: []string{"nops", strconv.Itoa(n)}}, 5*time.Minute, "sysstats")
	if err != nil {
		t.Fatalf("oyako: %v\noutput so far:\n%s", err, oy.Output)
	}
	if oy.Status != 0 {
		t.Fatalf("exit status %d:\n%s", oy.Status, oy.Output)
	}
	count := func(re string) int {
		m := regexp.MustCompile(`(?m)^` + re + `$`).FindSubmatch(oy.Output)
		if m == nil {
			t.Fatalf("no line %q in the output:\n%s", re, oy.Output)
		}
		v, _ := strconv.Atoi(string(m[1]))
		return v
	}
	if got := count(`nops: submitted \d+, reaped (\d+), bad 0`); got != n {
		t.Errorf("%d CQEs reaped, want %d", got, n)
	}
	warmup, during := count(`nops warm-up wakeups: (\d+)`), count(`nops wakeups: (\d+)`)
	if warmup > 1 {
		t.Errorf("the program woke the SQ thread %d times for its first NOP; want at most 1", warmup)
	}
	if during != 0 {
		t.Errorf("the program found IORING_SQ_NEED_WAKEUP set %d times while it kept the SQ thread busy; want 0", during)
	}
	enters := SyscallStats(oy.Side)["io_uring_enter"].Calls
	if enters != uint64(warmup+during) {
		t.Errorf("the kernel counted %d io_uring_enter calls; the program made %d (its wakeups)", enters, warmup+during)
	}
	t.Logf("%d NOPs, %d io_uring_enter calls (wakeups: %d before, %d during)", n, enters, warmup, during)
}
