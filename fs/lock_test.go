package fs

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"gvisor.dev/gvisor/pkg/errors/linuxerr"
)

// lockCtx is a caller that can be interrupted while it waits.
type lockCtx struct {
	pid  int32
	intr chan struct{}
}

func newLockCtx(pid int32) *lockCtx { return &lockCtx{pid: pid, intr: make(chan struct{})} }

func (c *lockCtx) Block(ready <-chan struct{}) error {
	select {
	case <-ready:
		return nil
	case <-c.intr:
		return linuxerr.EINTR
	}
}
func (c *lockCtx) CopyIn(uintptr, []byte) error  { return linuxerr.EFAULT }
func (c *lockCtx) CopyOut(uintptr, []byte) error { return linuxerr.EFAULT }
func (c *lockCtx) PID() int32                    { return c.pid }

// proc is a process for the lock tests: a descriptor table and a caller.
type proc struct {
	fds *FDTable
	c   *lockCtx
}

func newProc(pid int32) *proc { return &proc{NewFDTable(), newLockCtx(pid)} }

// open opens n read-write into p's table.
func (p *proc) open(t *testing.T, n Inode, flags uint32) (int32, *File) {
	t.Helper()
	f := NewFile(n, "/f", flags, nil)
	fd, err := p.fds.Install(f, 0, false)
	if err != nil {
		t.Fatal(err)
	}
	return fd, f
}

func (p *proc) set(fd int32, f *File, typ int16, start, length int64) error {
	return p.fds.SetLock(p.c, fd, f, false, false, &Flock{Type: typ, Start: start, Len: length})
}

func (p *proc) get(f *File, typ int16, start, length int64) string {
	l := Flock{Type: typ, Whence: SeekCur, Start: start, Len: length, PID: 99}
	if err := p.fds.GetLock(f, false, &l); err != nil {
		return err.Error()
	}
	return flockString(l)
}

func flockString(l Flock) string {
	if l.Type == F_UNLCK {
		return "unlocked"
	}
	return fmt.Sprintf("%s %d+%d pid %d whence %d", [2]string{"rd", "wr"}[l.Type], l.Start, l.Len, l.PID, l.Whence)
}

// held lists n's POSIX locks in list order: "owner type start-end".
func held(n Inode, names map[any]string) string {
	locks.mu.Lock()
	defer locks.mu.Unlock()
	ctx := locks.ctx[n]
	if ctx == nil {
		return ""
	}
	var s []string
	for _, l := range ctx.posix {
		end := fmt.Sprint(l.end)
		if l.end == offsetMax {
			end = "max"
		}
		s = append(s, fmt.Sprintf("%s %s %d-%s", names[l.owner], [2]string{"rd", "wr"}[l.typ], l.start, end))
	}
	return strings.Join(s, ", ")
}

// noLocks checks that the manager forgot everything.
func noLocks(t *testing.T) {
	t.Helper()
	locks.mu.Lock()
	defer locks.mu.Unlock()
	if len(locks.ctx) != 0 || len(locks.blocked) != 0 || locks.contexts.Load() != 0 {
		t.Errorf("lock state left: %d contexts (count %d), %d blocked owners", len(locks.ctx), locks.contexts.Load(), len(locks.blocked))
	}
}

func TestLockRange(t *testing.T) {
	n := NewRamFile(0o644, make([]byte, 100))
	f := NewFile(n, "/f", O_RDWR, nil)
	f.Seek(10, SeekSet)
	for _, tc := range []struct {
		whence     int16
		start, len int64
		typ        int16
		s, e       int64
		err        error
	}{
		{SeekSet, 5, 10, F_RDLCK, 5, 14, nil},
		{SeekSet, 5, 0, F_WRLCK, 5, offsetMax, nil},
		{SeekCur, -2, 4, F_UNLCK, 8, 11, nil},
		{SeekEnd, 0, 1, F_RDLCK, 100, 100, nil},
		{SeekEnd, -100, 0, F_RDLCK, 0, offsetMax, nil},
		{SeekSet, 10, -5, F_RDLCK, 5, 9, nil},
		{SeekSet, 10, -10, F_RDLCK, 0, 9, nil},
		{SeekSet, 10, -11, F_RDLCK, 0, 0, linuxerr.EINVAL},
		{SeekSet, -1, 1, F_RDLCK, 0, 0, linuxerr.EINVAL},
		{SeekEnd, -101, 1, F_RDLCK, 0, 0, linuxerr.EINVAL},
		{3, 0, 1, F_RDLCK, 0, 0, linuxerr.EINVAL},
		{SeekSet, 0, 1, 3, 0, 0, linuxerr.EINVAL},
		{SeekEnd, offsetMax, 1, F_RDLCK, 0, 0, linuxerr.EOVERFLOW},
		{SeekEnd, offsetMax - 100, 1, F_RDLCK, offsetMax, offsetMax, nil},
		{SeekSet, offsetMax, 2, F_RDLCK, 0, 0, linuxerr.EOVERFLOW},
		{SeekSet, 2, offsetMax, F_RDLCK, 0, 0, linuxerr.EOVERFLOW},
		{SeekSet, 1, offsetMax, F_RDLCK, 1, offsetMax, nil},
		{SeekSet, 0, offsetMax, F_RDLCK, 0, offsetMax - 1, nil},
		// Overflow is found before the bad type.
		{SeekSet, offsetMax, 2, 7, 0, 0, linuxerr.EOVERFLOW},
	} {
		s, e, err := f.lockRange(&Flock{Type: tc.typ, Whence: tc.whence, Start: tc.start, Len: tc.len})
		if err != tc.err || err == nil && (s != tc.s || e != tc.e) {
			t.Errorf("whence %d start %d len %d: got %d-%d %v, want %d-%d %v", tc.whence, tc.start, tc.len, s, e, err, tc.s, tc.e, tc.err)
		}
	}
}

func TestLockSplitMerge(t *testing.T) {
	n := NewRamFile(0o644, nil)
	a := newProc(10)
	names := map[any]string{a.fds: "A"}
	fd, f := a.open(t, n, O_RDWR)
	steps := []struct {
		typ         int16
		start, len  int64
		want        string
		description string
	}{
		{F_RDLCK, 0, 30, "A rd 0-29", "lock"},
		{F_UNLCK, 10, 10, "A rd 0-9, A rd 20-29", "unlock in the middle splits"},
		{F_RDLCK, 10, 10, "A rd 0-29", "filling the hole merges all three"},
		{F_WRLCK, 10, 10, "A rd 0-9, A wr 10-19, A rd 20-29", "another type in the middle splits"},
		{F_WRLCK, 20, 5, "A rd 0-9, A wr 10-24, A rd 25-29", "adjacent same type merges, other type shrinks"},
		{F_RDLCK, 5, 30, "A rd 0-34", "covering read lock replaces and merges"},
		{F_WRLCK, 35, 5, "A rd 0-34, A wr 35-39", "adjacent other type stays apart"},
		{F_RDLCK, 50, 0, "A rd 0-34, A wr 35-39, A rd 50-max", "to the end of file"},
		{F_UNLCK, 36, 20, "A rd 0-34, A wr 35-35, A rd 56-max", "unlock across two locks"},
		{F_RDLCK, 0, 0, "A rd 0-max", "one read lock over everything"},
		{F_UNLCK, 0, 0, "", "unlock all"},
	}
	for _, s := range steps {
		if err := a.set(fd, f, s.typ, s.start, s.len); err != nil {
			t.Fatalf("%s: %v", s.description, err)
		}
		if got := held(n, names); got != s.want {
			t.Errorf("%s: locks %q, want %q", s.description, got, s.want)
		}
	}
	a.fds.CloseAll()
	noLocks(t)
}

func TestLockTwoOwners(t *testing.T) {
	n := NewRamFile(0o644, nil)
	a, b := newProc(10), newProc(20)
	names := map[any]string{a.fds: "A", b.fds: "B"}
	fa, filea := a.open(t, n, O_RDWR)
	fb, fileb := b.open(t, n, O_RDWR)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(a.set(fa, filea, F_RDLCK, 0, 10))
	must(b.set(fb, fileb, F_RDLCK, 5, 10)) // read locks share
	must(a.set(fa, filea, F_WRLCK, 100, 0))
	if err := b.set(fb, fileb, F_WRLCK, 0, 1); err != linuxerr.EAGAIN {
		t.Errorf("write over A's read lock: %v, want EAGAIN", err)
	}
	if err := b.set(fb, fileb, F_RDLCK, 200, 1); err != linuxerr.EAGAIN {
		t.Errorf("read over A's write lock: %v, want EAGAIN", err)
	}
	if got, want := held(n, names), "A rd 0-9, A wr 100-max, B rd 5-14"; got != want {
		t.Errorf("locks %q, want %q", got, want)
	}
	// F_GETLK: the first conflict in list order; own locks never conflict.
	for _, tc := range []struct {
		p          *proc
		f          *File
		typ        int16
		start, len int64
		want       string
	}{
		{b, fileb, F_WRLCK, 0, 0, "rd 0+10 pid 10 whence 0"},
		{b, fileb, F_WRLCK, 12, 0, "wr 100+0 pid 10 whence 0"},
		{b, fileb, F_RDLCK, 0, 50, "unlocked"},
		{a, filea, F_WRLCK, 0, 100, "rd 5+10 pid 20 whence 0"},
		{a, filea, F_WRLCK, 15, 1000, "unlocked"},
		{a, filea, 7, 0, 1, "invalid argument"},
		{a, filea, F_UNLCK, 0, 1, "invalid argument"},
	} {
		if got := tc.p.get(tc.f, tc.typ, tc.start, tc.len); got != tc.want {
			t.Errorf("getlk %d %d+%d: %s, want %s", tc.typ, tc.start, tc.len, got, tc.want)
		}
	}
	// A's unlock of its read lock lets B write over 5-14's complement.
	must(a.set(fa, filea, F_UNLCK, 0, 10))
	must(b.set(fb, fileb, F_WRLCK, 0, 5))
	if got, want := held(n, names), "A wr 100-max, B wr 0-4, B rd 5-14"; got != want {
		t.Errorf("locks %q, want %q", got, want)
	}
	a.fds.CloseAll()
	b.fds.CloseAll()
	noLocks(t)
}

func TestLockOFD(t *testing.T) {
	n := NewRamFile(0o644, nil)
	a := newProc(10)
	fd1, f1 := a.open(t, n, O_RDWR)
	_, f2 := a.open(t, n, O_RDWR)
	ofd := func(f *File, typ int16, start, length int64, pid int32) error {
		return a.fds.SetLock(a.c, -1, f, true, false, &Flock{Type: typ, Start: start, Len: length, PID: pid})
	}
	ofdGet := func(f *File, typ int16, pid int32) string {
		l := Flock{Type: typ, Len: 0, PID: pid}
		if err := a.fds.GetLock(f, true, &l); err != nil {
			return err.Error()
		}
		return flockString(l)
	}
	if err := ofd(f1, F_WRLCK, 0, 10, 1); err != linuxerr.EINVAL {
		t.Errorf("l_pid 1: %v, want EINVAL", err)
	}
	if err := ofd(f1, F_WRLCK, 0, 10, 0); err != nil {
		t.Fatal(err)
	}
	// Two open file descriptions of one process conflict.
	if err := ofd(f2, F_RDLCK, 5, 1, 0); err != linuxerr.EAGAIN {
		t.Errorf("second description: %v, want EAGAIN", err)
	}
	if got, want := ofdGet(f2, F_RDLCK, 0), "wr 0+10 pid -1 whence 0"; got != want {
		t.Errorf("F_OFD_GETLK: %s, want %s", got, want)
	}
	if got, want := ofdGet(f2, F_RDLCK, 3), "invalid argument"; got != want {
		t.Errorf("F_OFD_GETLK l_pid 3: %s, want %s", got, want)
	}
	// F_UNLCK asks for the description's own lock.
	if got, want := ofdGet(f1, F_UNLCK, 0), "wr 0+10 pid -1 whence 0"; got != want {
		t.Errorf("F_OFD_GETLK F_UNLCK own: %s, want %s", got, want)
	}
	if got, want := ofdGet(f2, F_UNLCK, 0), "unlocked"; got != want {
		t.Errorf("F_OFD_GETLK F_UNLCK other: %s, want %s", got, want)
	}
	// The process's POSIX lock conflicts with its OFD lock, both ways.
	if err := a.set(fd1, f1, F_RDLCK, 0, 1); err != linuxerr.EAGAIN {
		t.Errorf("POSIX over own OFD lock: %v, want EAGAIN", err)
	}
	if err := a.set(fd1, f1, F_RDLCK, 20, 1); err != nil {
		t.Fatal(err)
	}
	if got, want := ofdGet(f2, F_WRLCK, 0), "wr 0+10 pid -1 whence 0"; got != want {
		t.Errorf("first conflict: %s, want %s", got, want)
	}
	l := Flock{Type: F_WRLCK, Start: 15}
	a.fds.GetLock(f2, true, &l)
	if got, want := flockString(l), "rd 20+1 pid 10 whence 0"; got != want {
		t.Errorf("POSIX lock seen from OFD: %s, want %s", got, want)
	}
	// Closing a descriptor drops the POSIX lock but not the OFD lock of
	// a description that is still open.
	g := NewFile(n, "/f", O_RDONLY, nil)
	gfd, _ := a.fds.Install(g, 0, false)
	a.fds.Close(gfd)
	if got, want := ofdGet(f2, F_WRLCK, 0), "wr 0+10 pid -1 whence 0"; got != want {
		t.Errorf("after close: %s, want %s", got, want)
	}
	l = Flock{Type: F_WRLCK, Start: 15}
	a.fds.GetLock(f2, true, &l)
	if l.Type != F_UNLCK {
		t.Errorf("POSIX lock kept after close: %s", flockString(l))
	}
	// The OFD lock goes with the description's last reference.
	f1.IncRef()
	a.fds.Close(fd1)
	if got := ofdGet(f2, F_WRLCK, 0); got == "unlocked" {
		t.Errorf("OFD lock gone while a reference remains")
	}
	f1.DecRef()
	if got := ofdGet(f2, F_WRLCK, 0); got != "unlocked" {
		t.Errorf("OFD lock after release: %s", got)
	}
	a.fds.CloseAll()
	noLocks(t)
}

func TestLockMode(t *testing.T) {
	n := NewRamFile(0o644, nil)
	a := newProc(10)
	rfd, r := a.open(t, n, O_RDONLY)
	wfd, w := a.open(t, n, O_WRONLY)
	for _, tc := range []struct {
		fd   int32
		f    *File
		typ  int16
		want error
	}{
		{rfd, r, F_WRLCK, linuxerr.EBADF},
		{wfd, w, F_RDLCK, linuxerr.EBADF},
		{rfd, r, F_RDLCK, nil},
		{wfd, w, F_WRLCK, nil},
		{rfd, r, F_UNLCK, nil},
		{wfd, w, F_UNLCK, nil},
	} {
		if err := a.set(tc.fd, tc.f, tc.typ, 0, 0); err != tc.want {
			t.Errorf("fd %d type %d: %v, want %v", tc.fd, tc.typ, err, tc.want)
		}
	}
	// The range and type are checked before the mode.
	if err := a.set(rfd, r, 5, 0, 0); err != linuxerr.EINVAL {
		t.Errorf("bad type on read-only: %v, want EINVAL", err)
	}
	// The mode before l_pid.
	if err := a.fds.SetLock(a.c, rfd, r, true, false, &Flock{Type: F_WRLCK, PID: 1}); err != linuxerr.EBADF {
		t.Errorf("OFD write lock with l_pid on read-only: %v, want EBADF", err)
	}
	// A descriptor that went away while locking: the lock is dropped.
	if err := a.set(99, r, F_RDLCK, 0, 0); err != linuxerr.EBADF {
		t.Errorf("lock through a closed descriptor: %v, want EBADF", err)
	}
	if got := held(n, nil); got != "" {
		t.Errorf("locks left: %q", got)
	}
	a.fds.CloseAll()
	noLocks(t)
}

// TestLockCloseDrops checks that every way a descriptor goes away drops
// the table's POSIX locks on the file, whichever descriptor took them.
func TestLockCloseDrops(t *testing.T) {
	for _, tc := range []struct {
		name  string
		close func(p *proc, other int32)
	}{
		{"close", func(p *proc, other int32) { p.fds.Close(other) }},
		{"dup2 over", func(p *proc, other int32) {
			f := NewFile(NewRamFile(0, nil), "/g", O_RDONLY, nil)
			p.fds.InstallAt(other, f, false)
		}},
		{"close-on-exec", func(p *proc, other int32) {
			p.fds.SetCloexec(other, true)
			p.fds.CloseOnExec()
		}},
		{"close_range", func(p *proc, other int32) { p.fds.CloseRange(uint32(other), ^uint32(0), false) }},
		{"exit", func(p *proc, other int32) { p.fds.CloseAll() }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := NewRamFile(0o644, nil)
			a, b := newProc(10), newProc(20)
			fd, f := a.open(t, n, O_RDWR)
			other, _ := a.open(t, n, O_RDONLY)
			if err := a.set(fd, f, F_WRLCK, 0, 0); err != nil {
				t.Fatal(err)
			}
			_, fb := b.open(t, n, O_RDWR)
			if got := b.get(fb, F_RDLCK, 0, 0); got != "wr 0+0 pid 10 whence 0" {
				t.Fatalf("before: %s", got)
			}
			tc.close(a, other)
			if got := b.get(fb, F_RDLCK, 0, 0); got != "unlocked" {
				t.Errorf("after %s: %s", tc.name, got)
			}
			a.fds.CloseAll()
			b.fds.CloseAll()
			noLocks(t)
		})
	}
	// close_range with CLOSE_RANGE_CLOEXEC closes nothing: the lock stays.
	n := NewRamFile(0o644, nil)
	a, b := newProc(10), newProc(20)
	fd, f := a.open(t, n, O_RDWR)
	a.set(fd, f, F_WRLCK, 0, 0)
	a.fds.CloseRange(0, 100, true)
	_, fb := b.open(t, n, O_RDWR)
	if got := b.get(fb, F_RDLCK, 0, 0); got != "wr 0+0 pid 10 whence 0" {
		t.Errorf("after close_range cloexec: %s", got)
	}
	if ce, _ := a.fds.Cloexec(fd); !ce {
		t.Errorf("close_range cloexec left FD_CLOEXEC clear")
	}
	a.fds.CloseOnExec()
	if got := b.get(fb, F_RDLCK, 0, 0); got != "unlocked" {
		t.Errorf("after exec: %s", got)
	}
	a.fds.CloseAll()
	b.fds.CloseAll()
	noLocks(t)
}

// result runs fn in a goroutine; the channel gets its error.
func result(fn func() error) chan error {
	ch := make(chan error, 1)
	go func() { ch <- fn() }()
	return ch
}

// waiting reports whether ch has no result within a short time.
func waiting(ch chan error) bool {
	select {
	case err := <-ch:
		ch <- err
		return false
	case <-time.After(50 * time.Millisecond):
		return true
	}
}

// blockedOwners is how many owners have requests waiting.
func blockedOwners() int {
	locks.mu.Lock()
	defer locks.mu.Unlock()
	return len(locks.blocked)
}

func TestLockWait(t *testing.T) {
	n := NewRamFile(0o644, nil)
	a, b, c := newProc(10), newProc(20), newProc(30)
	names := map[any]string{a.fds: "A", b.fds: "B", c.fds: "C"}
	fa, filea := a.open(t, n, O_RDWR)
	fb, fileb := b.open(t, n, O_RDWR)
	fc, filec := c.open(t, n, O_RDWR)
	if err := a.set(fa, filea, F_WRLCK, 0, 100); err != nil {
		t.Fatal(err)
	}
	wait := func(p *proc, fd int32, f *File, typ int16, start, length int64) chan error {
		return result(func() error {
			return p.fds.SetLock(p.c, fd, f, false, true, &Flock{Type: typ, Start: start, Len: length})
		})
	}
	bw := wait(b, fb, fileb, F_WRLCK, 50, 10)
	if !waiting(bw) {
		t.Fatalf("B did not wait: %v", <-bw)
	}
	// C wants a read lock that conflicts with B's request: it queues
	// behind B, so B's grant does not let C overtake.
	cw := wait(c, fc, filec, F_RDLCK, 55, 1)
	if !waiting(cw) {
		t.Fatalf("C did not wait: %v", <-cw)
	}
	// Shrinking A's lock away from B's range wakes B only.
	if err := a.set(fa, filea, F_UNLCK, 40, 0); err != nil {
		t.Fatal(err)
	}
	if err := <-bw; err != nil {
		t.Fatalf("B: %v", err)
	}
	if !waiting(cw) {
		t.Fatalf("C overtook or failed: %v", <-cw)
	}
	if got, want := held(n, names), "A wr 0-39, B wr 50-59"; got != want {
		t.Errorf("locks %q, want %q", got, want)
	}
	// B's unlock lets C in.
	if err := b.set(fb, fileb, F_UNLCK, 0, 0); err != nil {
		t.Fatal(err)
	}
	if err := <-cw; err != nil {
		t.Fatalf("C: %v", err)
	}
	if got, want := held(n, names), "A wr 0-39, C rd 55-55"; got != want {
		t.Errorf("locks %q, want %q", got, want)
	}
	// An interrupted wait is EINTR and leaves nothing behind.
	bw = wait(b, fb, fileb, F_RDLCK, 0, 1)
	if !waiting(bw) {
		t.Fatalf("B did not wait: %v", <-bw)
	}
	close(b.c.intr)
	if err := <-bw; err != linuxerr.EINTR {
		t.Errorf("interrupted: %v, want EINTR", err)
	}
	if blockedOwners() != 0 {
		t.Errorf("interrupted request still indexed")
	}
	// Exit wakes waiters too.
	dw := wait(c, fc, filec, F_WRLCK, 0, 1)
	if !waiting(dw) {
		t.Fatalf("C did not wait: %v", <-dw)
	}
	a.fds.CloseAll()
	if err := <-dw; err != nil {
		t.Errorf("C after A's exit: %v", err)
	}
	b.fds.CloseAll()
	c.fds.CloseAll()
	noLocks(t)
}

func TestLockDeadlock(t *testing.T) {
	n1, n2, n3 := NewRamFile(0o644, nil), NewRamFile(0o644, nil), NewRamFile(0o644, nil)
	a, b, c := newProc(10), newProc(20), newProc(30)
	a1, fa1 := a.open(t, n1, O_RDWR)
	a2, fa2 := a.open(t, n2, O_RDWR)
	b2, fb2 := b.open(t, n2, O_RDWR)
	b3, fb3 := b.open(t, n3, O_RDWR)
	c3, fc3 := c.open(t, n3, O_RDWR)
	c1, fc1 := c.open(t, n1, O_RDWR)
	for _, l := range []struct {
		p  *proc
		fd int32
		f  *File
	}{{a, a1, fa1}, {b, b2, fb2}, {c, c3, fc3}} {
		if err := l.p.set(l.fd, l.f, F_WRLCK, 0, 1); err != nil {
			t.Fatal(err)
		}
	}
	// A waits for B, B for C: C asking for A's lock closes the cycle.
	aw := result(func() error { return a.fds.SetLock(a.c, a2, fa2, false, true, &Flock{Type: F_WRLCK, Len: 1}) })
	if !waiting(aw) {
		t.Fatalf("A did not wait: %v", <-aw)
	}
	bw := result(func() error { return b.fds.SetLock(b.c, b3, fb3, false, true, &Flock{Type: F_WRLCK, Len: 1}) })
	if !waiting(bw) {
		t.Fatalf("B did not wait: %v", <-bw)
	}
	if err := c.fds.SetLock(c.c, c1, fc1, false, true, &Flock{Type: F_WRLCK, Len: 1}); err != linuxerr.EDEADLK {
		t.Errorf("C closing the cycle: %v, want EDEADLK", err)
	}
	// F_SETLK does not look for cycles: it fails with EAGAIN.
	if err := c.set(c1, fc1, F_WRLCK, 0, 1); err != linuxerr.EAGAIN {
		t.Errorf("F_SETLK: %v, want EAGAIN", err)
	}
	// OFD requests are never deadlocks: C's OFD request just waits.
	cw := result(func() error { return c.fds.SetLock(c.c, -1, fc1, true, true, &Flock{Type: F_WRLCK, Len: 1}) })
	if !waiting(cw) {
		t.Fatalf("C's OFD request did not wait: %v", <-cw)
	}
	close(c.c.intr)
	if err := <-cw; err != linuxerr.EINTR {
		t.Errorf("C's OFD request: %v", err)
	}
	// C's exit releases n3: B gets it, then B's exit lets A have n2.
	c.fds.CloseAll()
	if err := <-bw; err != nil {
		t.Errorf("B: %v", err)
	}
	b.fds.CloseAll()
	if err := <-aw; err != nil {
		t.Errorf("A: %v", err)
	}
	a.fds.CloseAll()
	noLocks(t)
}

func TestFlock(t *testing.T) {
	n := NewRamFile(0o644, nil)
	a, b := newProc(10), newProc(20)
	_, f1 := a.open(t, n, O_RDONLY)
	_, f2 := a.open(t, n, O_RDWR)
	fd3, f3 := b.open(t, n, O_RDWR)
	check := func(what string, err, want error) {
		t.Helper()
		if err != want {
			t.Errorf("%s: %v, want %v", what, err, want)
		}
	}
	check("sh f1", f1.Flock(a.c, F_RDLCK, true), nil)
	check("sh f2", f2.Flock(a.c, F_RDLCK, true), nil)
	check("ex f3", f3.Flock(b.c, F_WRLCK, true), linuxerr.EWOULDBLOCK)
	// flock and fcntl locks do not see each other.
	check("fcntl write lock", b.set(fd3, f3, F_WRLCK, 0, 0), nil)
	check("fcntl unlock", b.set(fd3, f3, F_UNLCK, 0, 0), nil)
	// Upgrading f2 fails against f1's shared lock, and f2 has lost its
	// own: the conversion drops the old lock first.
	check("ex f2", f2.Flock(a.c, F_WRLCK, true), linuxerr.EWOULDBLOCK)
	check("f1 alone: ex f1", f1.Flock(a.c, F_WRLCK, true), nil)
	check("sh f2 vs ex f1", f2.Flock(a.c, F_RDLCK, true), linuxerr.EWOULDBLOCK)
	// Same description: relocking is a no-op, conversion works.
	check("ex f1 again", f1.Flock(a.c, F_WRLCK, true), nil)
	check("sh f1", f1.Flock(a.c, F_RDLCK, true), nil)
	// A blocking request waits and is woken by the unlock.
	bw := result(func() error { return f3.Flock(b.c, F_WRLCK, false) })
	if !waiting(bw) {
		t.Fatalf("f3 did not wait: %v", <-bw)
	}
	check("un f1", f1.Flock(a.c, F_UNLCK, true), nil)
	check("wait ex f3", <-bw, nil)
	// The lock goes with the description, not with a descriptor.
	f3.IncRef()
	b.fds.Close(fd3)
	check("sh f1 while f3 lives", f1.Flock(a.c, F_RDLCK, true), linuxerr.EWOULDBLOCK)
	f3.DecRef()
	check("sh f1 after f3's release", f1.Flock(a.c, F_RDLCK, true), nil)
	// Interrupted.
	_, f4 := b.open(t, n, O_WRONLY)
	bw = result(func() error { return f4.Flock(b.c, F_WRLCK, false) })
	if !waiting(bw) {
		t.Fatalf("f4 did not wait: %v", <-bw)
	}
	close(b.c.intr)
	check("interrupted", <-bw, linuxerr.EINTR)
	// Taking a lock needs a readable or writable description.
	p := NewFile(n, "/f", O_PATH, nil)
	check("O_PATH", p.Flock(a.c, F_RDLCK, true), linuxerr.EBADF)
	check("O_PATH unlock", p.Flock(a.c, F_UNLCK, true), nil)
	p.DecRef()
	a.fds.CloseAll()
	b.fds.CloseAll()
	noLocks(t)
}
