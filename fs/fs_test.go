package fs

import (
	"bytes"
	"encoding/binary"
	"os"
	"testing"

	"gvisor.dev/gvisor/pkg/errors/linuxerr"

	"oyako/fs/cpio"
	"oyako/kernel/mm"
)

// TestMain gives the tests memory for ramfs files' pages.
func TestMain(m *testing.M) {
	mm.UseHostMemory(64 << 20)
	os.Exit(m.Run())
}

// testCtx is a caller with a flat user memory.
type testCtx struct {
	mem []byte
	pid int32
}

func (c *testCtx) Block(ready <-chan struct{}) error { <-ready; return nil }
func (c *testCtx) CopyIn(addr uintptr, dst []byte) error {
	if int(addr)+len(dst) > len(c.mem) {
		return linuxerr.EFAULT
	}
	copy(dst, c.mem[addr:])
	return nil
}
func (c *testCtx) CopyOut(addr uintptr, src []byte) error {
	if int(addr)+len(src) > len(c.mem) {
		return linuxerr.EFAULT
	}
	copy(c.mem[addr:], src)
	return nil
}
func (c *testCtx) PID() int32 { return c.pid }

func archive(t *testing.T) []byte {
	var buf bytes.Buffer
	w := cpio.NewWriter(&buf)
	w.WriteFile(cpio.Header{Name: "./bin", Mode: cpio.ModeDir | 0o755}, nil)
	w.WriteFile(cpio.Header{Name: "bin/prog", Mode: cpio.ModeRegular | 0o755, MTime: 1000}, []byte("ELF..."))
	w.WriteFile(cpio.Header{Name: "bin/link", Mode: cpio.ModeSymlink | 0o777}, []byte("prog"))
	w.WriteFile(cpio.Header{Name: "etc/deep/file", Mode: cpio.ModeRegular | 0o644}, []byte("hello\n"))
	w.WriteFile(cpio.Header{Name: "loop", Mode: cpio.ModeSymlink | 0o777}, []byte("loop"))
	w.Close()
	return buf.Bytes()
}

func newTestRoot(t *testing.T) (*Root, *TTY, *bytes.Buffer) {
	var out bytes.Buffer
	tty := NewTTY(func(b []byte) { out.Write(b) })
	r, err := NewRoot(archive(t), tty, newFakeProcs())
	if err != nil {
		t.Fatal(err)
	}
	return r, tty, &out
}

func TestResolve(t *testing.T) {
	r, _, _ := newTestRoot(t)
	c := &testCtx{pid: 7}
	for _, tc := range []struct {
		path   string
		follow bool
		err    error
		mode   uint32
	}{
		{"/bin/prog", true, nil, S_IFREG},
		{"/bin/link", true, nil, S_IFREG},
		{"/bin/link", false, nil, S_IFLNK},
		{"/bin/../bin/./prog", true, nil, S_IFREG},
		{"/../../bin", true, nil, S_IFDIR},
		{"bin//prog", true, nil, S_IFREG},
		{"/etc/deep/file", true, nil, S_IFREG},
		{"/bin/prog/", true, linuxerr.ENOTDIR, 0},
		{"/bin/prog/x", true, linuxerr.ENOTDIR, 0},
		{"/nope", true, linuxerr.ENOENT, 0},
		{"", true, linuxerr.ENOENT, 0},
		{"/loop", true, linuxerr.ELOOP, 0},
		{"/dev/null", true, nil, S_IFCHR},
		{"/proc/self/exe", false, nil, S_IFLNK},
		{"/proc/self/exe", true, nil, S_IFREG},
		{"/proc/9", true, linuxerr.ENOENT, 0},
		{"/tmp", true, nil, S_IFDIR},
	} {
		n, err := r.Resolve(c, r.Top(), tc.path, tc.follow)
		if tc.err != nil {
			if err != tc.err {
				t.Errorf("%q: got %v, want %v", tc.path, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", tc.path, err)
			continue
		}
		if a := n.Attr(); a.Mode&S_IFMT != tc.mode {
			t.Errorf("%q: mode %o, want %o", tc.path, a.Mode, tc.mode)
		}
	}
	long := "/" + string(bytes.Repeat([]byte("a"), 256))
	if _, err := r.Resolve(c, r.Top(), long, true); err != linuxerr.ENAMETOOLONG {
		t.Errorf("long name: %v", err)
	}
}

func TestOpenReadWriteSeek(t *testing.T) {
	r, _, _ := newTestRoot(t)
	c := &testCtx{pid: 7}
	f, err := r.Open(c, r.Top(), "/etc/deep/file", O_RDONLY, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 3)
	if n, _ := f.Read(c, buf); n != 3 || string(buf) != "hel" {
		t.Fatalf("read %q", buf[:n])
	}
	if n, _ := f.Read(c, buf); n != 3 || string(buf) != "lo\n" {
		t.Fatalf("read %q", buf[:n])
	}
	if n, _ := f.Read(c, buf); n != 0 {
		t.Fatalf("read past EOF: %d", n)
	}
	if _, err := f.Write(c, []byte("x")); err != linuxerr.EBADF {
		t.Fatalf("write to O_RDONLY: %v", err)
	}
	if off, err := f.Seek(-2, SeekEnd); off != 4 || err != nil {
		t.Fatalf("seek: %d %v", off, err)
	}
	if _, err := f.Seek(-10, SeekCur); err != linuxerr.EINVAL {
		t.Fatalf("seek before 0: %v", err)
	}
	if n, _ := f.Pread(c, buf, 1); n != 3 || string(buf) != "ell" {
		t.Fatalf("pread %q", buf[:n])
	}

	w, err := r.Open(c, r.Top(), "/tmp/new", O_WRONLY|O_CREAT|O_EXCL, 0o666, 0o022)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(c, []byte("abc"))
	w.Pwrite(c, []byte("Z"), 5)
	if a := w.Inode.Attr(); a.Size != 6 || a.Mode != S_IFREG|0o644 {
		t.Fatalf("new file size %d mode %o", a.Size, a.Mode)
	}
	if _, err := r.Open(c, r.Top(), "/tmp/new", O_WRONLY|O_CREAT|O_EXCL, 0o666, 0); err != linuxerr.EEXIST {
		t.Fatalf("O_EXCL on existing: %v", err)
	}
	a, _ := r.Open(c, r.Top(), "/tmp/new", O_WRONLY|O_APPEND, 0, 0)
	a.Write(c, []byte("!"))
	if at := a.Inode.Attr(); at.Size != 7 {
		t.Fatalf("O_APPEND size %d", at.Size)
	}
	tr, _ := r.Open(c, r.Top(), "/tmp/new", O_RDWR|O_TRUNC, 0, 0)
	if at := tr.Inode.Attr(); at.Size != 0 {
		t.Fatalf("O_TRUNC size %d", at.Size)
	}
	if _, err := r.Open(c, r.Top(), "/bin", O_WRONLY, 0, 0); err != linuxerr.EISDIR {
		t.Fatalf("write-open a dir: %v", err)
	}
	if _, err := r.Open(c, r.Top(), "/bin/prog", O_RDONLY|O_DIRECTORY, 0, 0); err != linuxerr.ENOTDIR {
		t.Fatalf("O_DIRECTORY on a file: %v", err)
	}
	if _, err := r.Open(c, r.Top(), "/bin/link", O_RDONLY|O_NOFOLLOW, 0, 0); err != linuxerr.ELOOP {
		t.Fatalf("O_NOFOLLOW on a link: %v", err)
	}
	d, _ := r.Open(c, r.Top(), "/bin", O_RDONLY, 0, 0)
	if _, err := d.Read(c, buf); err != linuxerr.EISDIR {
		t.Fatalf("read of a dir: %v", err)
	}
	var names []string
	d.ReadDir(c, func(e Dirent, _ int64) bool { names = append(names, e.Name); return true })
	if len(names) != 4 || names[0] != "." || names[1] != ".." {
		t.Fatalf("readdir %v", names)
	}
	if got, err := r.PathOf(mustDir(t, r, "/etc/deep")); got != "/etc/deep" || err != nil {
		t.Fatalf("PathOf %q %v", got, err)
	}
}

func mustDir(t *testing.T, r *Root, p string) Path {
	n, err := r.Lookup(&testCtx{}, r.Top(), p, LookupFollow)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestProcAndDevices(t *testing.T) {
	r, _, _ := newTestRoot(t)
	c := &testCtx{pid: 7}
	n, _ := r.Resolve(c, r.Top(), "/proc/self/exe", false)
	if n.(Symlink).Target() != "/bin/prog" {
		t.Fatalf("exe -> %q", n.(Symlink).Target())
	}
	f, err := r.Open(c, r.Top(), "/proc/7/cmdline", O_RDONLY, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 64)
	n2, _ := f.Read(c, buf)
	if string(buf[:n2]) != "prog\x00-v\x00" {
		t.Fatalf("cmdline %q", buf[:n2])
	}
	z, _ := r.Open(c, r.Top(), "/dev/zero", O_RDWR, 0, 0)
	buf[0] = 1
	z.Read(c, buf[:8])
	if buf[0] != 0 {
		t.Fatal("/dev/zero")
	}
	if _, err := z.Seek(0, SeekSet); err != linuxerr.ESPIPE {
		t.Fatalf("seek on a device: %v", err)
	}
	full, _ := r.Open(c, r.Top(), "/dev/full", O_WRONLY, 0, 0)
	if _, err := full.Write(c, []byte("x")); err != linuxerr.ENOSPC {
		t.Fatalf("/dev/full: %v", err)
	}
}

func TestTTYLineDiscipline(t *testing.T) {
	_, tty, out := newTestRoot(t)
	c := &testCtx{mem: make([]byte, 64)}
	tty.Input([]byte("helx\x7flo\r"))
	buf := make([]byte, 64)
	n, _ := tty.Read(c, nil, buf, 0)
	if string(buf[:n]) != "hello\n" {
		t.Fatalf("canonical read %q", buf[:n])
	}
	if got := out.String(); got != "helx\b \blo\r\n" {
		t.Fatalf("echo %q", got)
	}
	tty.Input([]byte("\x04"))
	if n, _ := tty.Read(c, nil, buf, 0); n != 0 {
		t.Fatalf("EOF read %d", n)
	}
	out.Reset()
	tty.Write(c, nil, []byte("a\nb\n"), 0)
	if out.String() != "a\r\nb\r\n" {
		t.Fatalf("ONLCR %q", out.String())
	}
	// TCGETS returns tty_std_termios.
	if _, err := tty.Ioctl(c, nil, TCGETS, 0); err != nil {
		t.Fatal(err)
	}
	if lflag := binary.LittleEndian.Uint32(c.mem[12:]); lflag != 0x8a3b {
		t.Fatalf("c_lflag %#x", lflag)
	}
	if c.mem[17+VMIN] != 1 || c.mem[17+VEOF] != 4 {
		t.Fatal("c_cc")
	}
	// Raw mode: clear ICANON and ECHO.
	binary.LittleEndian.PutUint32(c.mem[12:], 0)
	tty.Ioctl(c, nil, TCSETS, 0)
	out.Reset()
	tty.Input([]byte("xy"))
	if n, _ := tty.Read(c, nil, buf, 0); string(buf[:n]) != "xy" || out.Len() != 0 {
		t.Fatalf("raw read %q echo %q", buf[:n], out.String())
	}
	if _, err := tty.Ioctl(c, nil, 0x1234, 0); err != linuxerr.ENOTTY {
		t.Fatalf("unknown ioctl: %v", err)
	}
	if _, err := tty.Ioctl(c, nil, TCGETS, 1000); err != linuxerr.EFAULT {
		t.Fatalf("TCGETS to a bad address: %v", err)
	}
}

func TestFDTable(t *testing.T) {
	r, _, _ := newTestRoot(t)
	c := &testCtx{}
	tab := NewFDTable()
	f, _ := r.Open(c, r.Top(), "/dev/null", O_RDWR, 0, 0)
	fd0, _ := tab.Install(f, 0, false)
	f.IncRef()
	fd1, _ := tab.Install(f, 0, true)
	if fd0 != 0 || fd1 != 1 {
		t.Fatalf("fds %d %d", fd0, fd1)
	}
	if ce, _ := tab.Cloexec(1); !ce {
		t.Fatal("cloexec lost")
	}
	f.IncRef()
	if fd, _ := tab.Install(f, 10, false); fd != 10 {
		t.Fatalf("min fd: %d", fd)
	}
	tab.Close(0)
	if _, err := tab.Get(0); err != linuxerr.EBADF {
		t.Fatal("closed fd still there")
	}
	tab.CloseOnExec()
	if _, err := tab.Get(1); err != linuxerr.EBADF {
		t.Fatal("cloexec fd survived exec")
	}
	if _, err := tab.Get(10); err != nil {
		t.Fatal(err)
	}
	tab.Limit = 11
	f.IncRef()
	if _, err := tab.Install(f, 10, false); err != linuxerr.EMFILE {
		t.Fatalf("past the limit: %v", err)
	}

	// The lowest free descriptor, whatever order they were freed in
	// (next_fd is a hint, never above it).
	big := NewFDTable()
	big.Limit = 5000
	for i := 0; i < 4000; i++ {
		f.IncRef()
		if fd, err := big.Install(f, 0, false); err != nil || fd != int32(i) {
			t.Fatalf("install %d: %d, %v", i, fd, err)
		}
	}
	big.Close(3000)
	big.Close(17)
	big.CloseRange(100, 102, false)
	for _, want := range []int32{17, 100, 101, 102, 3000, 4000} {
		f.IncRef()
		if fd, _ := big.Install(f, 0, false); fd != want {
			t.Fatalf("next descriptor %d, want %d", fd, want)
		}
	}
	f.IncRef()
	if fd, _ := big.Install(f, 50, false); fd != 4001 {
		t.Fatalf("from 50: %d, want 4001", fd)
	}
	f.IncRef()
	if err := big.InstallAt(4999, f, false); err != nil {
		t.Fatal(err)
	}
	f.IncRef()
	if err := big.InstallAt(5000, f, false); err != linuxerr.EBADF {
		t.Fatalf("dup2 at the limit: %v", err)
	}
	// A fork copies what the open descriptors need (dup_fd), however
	// large the table once grew: FDSize of the child is Linux's.
	if n := big.Size(); n != 8192 {
		t.Fatalf("FDSize %d, want 8192", n)
	}
	big.CloseRange(100, 5000, false)
	child := big.Fork()
	if n, m := child.Size(), len(child.List()); n != 128 || m != 100 {
		t.Fatalf("forked table: FDSize %d with %d descriptors, want 128 with 100", n, m)
	}
	f.IncRef()
	if fd, _ := child.Install(f, 0, false); fd != 100 {
		t.Fatalf("next descriptor of the child %d, want 100", fd)
	}
	big.CloseRange(0, 5000, false)
	if n := big.Fork().Size(); n != 64 {
		t.Fatalf("fork of an empty table: FDSize %d, want 64", n)
	}
	child.CloseAll()
	if len(child.List()) != 0 {
		t.Fatal("descriptors left after CloseAll")
	}
	big.CloseAll()

	// file-max: a new file past it is refused with ENFILE.
	FileMax.Store(OpenFiles())
	defer FileMax.Store(0)
	g, _ := r.Open(c, r.Top(), "/dev/null", O_RDWR, 0, 0)
	if _, err := NewFDTable().Install(g, 0, false); err != linuxerr.ENFILE {
		t.Fatalf("past file-max: %v, want ENFILE", err)
	}
	g.DecRef()
}
