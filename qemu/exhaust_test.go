package qemu

import (
	"context"
	"testing"
	"time"
)

// TestExhaustion runs user/c/exhaust.c in oyako (never natively: it
// would exhaust the host): a process touching twice the guest's RAM, a
// fork bomb, a thread bomb, a descriptor leak with the limit raised to
// nr_open, thousands of pipes filled with data, a file filling the root
// file system, mappings up to vm.max_map_count, the loops Linux bounds
// (symlinks, "#!", epoll), mounts to fs.mount-max, real-time signals
// queued with no RLIMIT_SIGPENDING, POSIX timers to the limit and
// without one, files in tmpfs after tmpfs until
// the kernel's heap is full, epoll watches to max_user_watches and a Go
// program allocating until stopped. The
// kernel must refuse or kill and go on: after each scenario a normal
// workload runs and the free memory comes back (exhaust.c states its
// slack).
func TestExhaustion(t *testing.T) {
	root, dir := userPrograms(t)
	prog, err := BuildUserC(root, dir, "exhaust")
	if err != nil {
		t.Fatal(err)
	}
	rootfs := t.TempDir()
	if _, err := BuildUserGo(root, rootfs, "hog"); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	out, err := RunOyako(ctx, kernelImage(t), Case{Program: prog, Rootfs: rootfs}, 6*time.Minute)
	if err != nil {
		t.Fatalf("oyako: %v\n%s", err, out.Output)
	}
	got := string(out.Output)
	if out.Status != 0 {
		t.Errorf("exhaust exited %d; side channel:\n%s", out.Status, out.Side)
	}
	mustContain(t, got,
		`(?m)^touch: mmap of twice RAM: ok$`,
		`(?m)^touch: child killed by KILL$`,
		`(?m)^forkbomb: fork: -1 EAGAIN # `,
		`(?m)^threads: pthread_create: EAGAIN # `,
		`(?m)^fdleak: open: -1 EMFILE # after 1020, RLIMIT_NOFILE 1024$`,
		`(?m)^fdleak: open with the limit raised: -1 ENFILE # `,
		`(?m)^pipes: (pipe2|write): -1 (ENOMEM|ENFILE) # `,
		`(?m)^pipes: thousands filled: ok$`,
		`(?m)^sockets: (socketpair|write): -1 (ENOMEM|ENFILE) # `,
		`(?m)^sockets: bounded by the kernel's memory: ok$`,
		`(?m)^uring: (io_uring_enter: -1 EAGAIN|read: -ENOMEM) # `,
		`(?m)^uring: bounded by the kernel's memory: ok$`,
		`(?m)^tmpfill: write: (short|-1 ENOSPC|-1 ENOMEM) # `,
		`(?m)^tmpfill: unlink: ok$`,
		`(?m)^mappings: mmap: -1 ENOMEM # after 40\d\d$`,
		`(?m)^loops: open of a symlink cycle: ELOOP$`,
		`(?m)^loops: 40 links: ok$`,
		`(?m)^loops: 41 links: ELOOP$`,
		`(?m)^loops: execve of a script that is its own interpreter: ELOOP$`,
		`(?m)^loops: epoll cycle: ELOOP$`,
		`(?m)^loops: epoll chain: ELOOP # at depth 5$`, // as Linux: EP_MAX_NESTS
		`(?m)^mounts: mount: -1 ENOSPC # `,
		`(?m)^mounts: all unmounted: ok$`,
		`(?m)^sigqueue: sigqueue: -1 EAGAIN # `,
		`(?m)^timers: timer_create: -1 EAGAIN # `,
		`(?m)^timers: at the limit: ok$`,
		`(?m)^timers: timer_create without a limit: -1 EAGAIN # `,
		`(?m)^inodes: create in one tmpfs: -1 ENOSPC # `,
		`(?m)^inodes: at nr_inodes: ok$`,
		`(?m)^inodes: create: -1 ENOMEM # `,
		`(?m)^inodes: all unmounted: ok$`,
		`(?m)^watches: epoll_ctl: -1 ENOSPC # `,
		`(?m)^watches: at max_user_watches: ok$`,
		`(?m)^gohog: child killed by KILL$`,
	)
	for _, s := range []string{"touch", "forkbomb", "threads", "fdleak", "pipes", "sockets", "uring", "tmpfill", "mappings", "loops", "mounts", "sigqueue", "timers", "inodes", "watches", "gohog"} {
		mustContain(t, got, `(?m)^`+s+`: then a normal workload: ok$`, `(?m)^`+s+`: free memory back: ok # `)
	}
	if testing.Verbose() {
		t.Logf("%s\nside channel:\n%s", got, out.Side)
	}
}
