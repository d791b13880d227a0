package fs

import (
	"strings"
	"testing"
	"time"

	"gvisor.dev/gvisor/pkg/errors/linuxerr"

	"oyako/kernel/mm"
)

// errIs fails the test unless err is want (nil for success).
func errIs(t *testing.T, what string, err, want error) {
	t.Helper()
	if err != want {
		t.Errorf("%s: %v, want %v", what, err, want)
	}
}

func lookup(t *testing.T, r *Root, path string) Path {
	t.Helper()
	p, err := r.Lookup(&testCtx{}, r.Top(), path, LookupFollow)
	if err != nil {
		t.Fatalf("lookup %s: %v", path, err)
	}
	return p
}

func TestNamespaceErrors(t *testing.T) {
	r, _, _ := newTestRoot(t)
	c := &testCtx{}
	top := r.Top()
	errIs(t, "mkdir", r.Mkdir(c, top, "/tmp/d", 0o777, 0o022), nil)
	if a := lookup(t, r, "/tmp/d").Node.Attr(); a.Mode != S_IFDIR|0o755 || a.Nlink != 2 || a.Size != 40 {
		t.Errorf("new dir: mode %o nlink %d size %d", a.Mode, a.Nlink, a.Size)
	}
	for _, tc := range []struct {
		what string
		err  error
		want error
	}{
		{"mkdir existing", r.Mkdir(c, top, "/tmp/d/", 0o755, 0), linuxerr.EEXIST},
		{"mkdir .", r.Mkdir(c, top, "/tmp/.", 0o755, 0), linuxerr.EEXIST},
		{"mkdir in a file", r.Mkdir(c, top, "/bin/prog/x", 0o755, 0), linuxerr.ENOTDIR},
		{"mkdir in /proc", r.Mkdir(c, top, "/proc/x", 0o755, 0), linuxerr.ENOENT},
		{"rmdir .", r.Rmdir(c, top, "/tmp/d/."), linuxerr.EINVAL},
		{"rmdir ..", r.Rmdir(c, top, "/tmp/d/.."), linuxerr.ENOTEMPTY},
		{"rmdir /", r.Rmdir(c, top, "/"), linuxerr.EBUSY},
		{"rmdir a mount point", r.Rmdir(c, top, "/proc"), linuxerr.EBUSY},
		{"rmdir a file", r.Rmdir(c, top, "/bin/prog"), linuxerr.ENOTDIR},
		{"rmdir a link to a dir", r.Rmdir(c, top, "/loop"), linuxerr.ENOTDIR},
		{"rmdir non-empty", r.Rmdir(c, top, "/bin"), linuxerr.ENOTEMPTY},
		{"unlink a dir", r.Unlink(c, top, "/tmp/d"), linuxerr.EISDIR},
		{"unlink file/", r.Unlink(c, top, "/bin/prog/"), linuxerr.ENOTDIR},
		{"unlink in /proc", r.Unlink(c, top, "/proc/self"), linuxerr.EPERM},
		{"link a dir", r.Link(c, lookup(t, r, "/tmp/d"), top, "/tmp/e"), linuxerr.EPERM},
		{"link across mounts", r.Link(c, lookup(t, r, "/bin/prog"), top, "/dev/prog"), linuxerr.EXDEV},
		{"rename across mounts", r.Rename(c, top, "/bin/prog", top, "/dev/prog", 0), linuxerr.EXDEV},
		{"rename into itself", r.Rename(c, top, "/etc", top, "/etc/deep/x", 0), linuxerr.EINVAL},
		{"rename over an ancestor", r.Rename(c, top, "/etc/deep/file", top, "/etc", 0), linuxerr.ENOTEMPTY},
		{"rename a dir over a file", r.Rename(c, top, "/tmp/d", top, "/bin/prog", 0), linuxerr.ENOTDIR},
		{"rename a file over a dir", r.Rename(c, top, "/bin/prog", top, "/tmp/d", 0), linuxerr.EISDIR},
		{"rename ..", r.Rename(c, top, "/tmp/..", top, "/x", 0), linuxerr.EBUSY},
		{"rename a mount point", r.Rename(c, top, "/dev", top, "/dev2", 0), linuxerr.EBUSY},
		{"noreplace", r.Rename(c, top, "/bin/link", top, "/bin/prog", RENAME_NOREPLACE), linuxerr.EEXIST},
		{"exchange with nothing", r.Rename(c, top, "/bin/link", top, "/bin/none", RENAME_EXCHANGE), linuxerr.ENOENT},
		{"bad rename flags", r.Rename(c, top, "/bin/link", top, "/bin/x", 8), linuxerr.EINVAL},
		{"mknod a dir", r.Mknod(c, top, "/tmp/x", S_IFDIR|0o755, 0, 0), linuxerr.EPERM},
		{"symlink to nothing", r.Symlink(c, "", top, "/tmp/x"), linuxerr.ENOENT},
	} {
		errIs(t, tc.what, tc.err, tc.want)
	}
	// A directory replaces only an empty one; the parents' link counts
	// follow.
	errIs(t, "mkdir", r.Mkdir(c, top, "/tmp/d/sub", 0o755, 0), nil)
	errIs(t, "mkdir", r.Mkdir(c, top, "/tmp/e", 0o755, 0), nil)
	errIs(t, "rename", r.Rename(c, top, "/tmp/e", top, "/tmp/d", 0), linuxerr.ENOTEMPTY)
	errIs(t, "rename", r.Rename(c, top, "/tmp/d/sub", top, "/tmp/e", 0), nil)
	if a, b := lookup(t, r, "/tmp/d").Node.Attr(), lookup(t, r, "/tmp").Node.Attr(); a.Nlink != 2 || b.Nlink != 4 {
		t.Errorf("link counts after replacing a dir: %d %d", a.Nlink, b.Nlink)
	}
	if p, _ := r.PathOf(lookup(t, r, "/tmp/e")); p != "/tmp/e" {
		t.Errorf("renamed dir's path %q", p)
	}
	// Renaming a name onto another link of the same file does nothing.
	errIs(t, "link", r.Link(c, lookup(t, r, "/bin/prog"), top, "/bin/prog2"), nil)
	errIs(t, "rename onto a link", r.Rename(c, top, "/bin/prog", top, "/bin/prog2", 0), nil)
	if a := lookup(t, r, "/bin/prog").Node.Attr(); a.Nlink != 2 {
		t.Errorf("nlink %d after renaming onto a hard link", a.Nlink)
	}
	errIs(t, "exchange", r.Rename(c, top, "/tmp/d", top, "/bin/prog2", RENAME_EXCHANGE), nil)
	if _, ok := lookup(t, r, "/bin/prog2").Node.(Dir); !ok {
		t.Error("exchange did not swap")
	}
	if p, _ := r.PathOf(lookup(t, r, "/bin/prog2")); p != "/bin/prog2" {
		t.Errorf("exchanged dir's path %q", p)
	}
}

// TestUnlinkedOpenFile: the data of an unlinked file stays readable while
// it is open, and its frames come back when it is closed.
func TestUnlinkedOpenFile(t *testing.T) {
	r, _, _ := newTestRoot(t)
	c := &testCtx{}
	_, before, _ := mm.FrameStats()
	held := r.top.fs.(*RamFS).pages.Load()
	f, err := r.Open(c, r.Top(), "/tmp/big", O_CREAT|O_RDWR, 0o644, 0)
	if err != nil {
		t.Fatal(err)
	}
	data := make([]byte, 5*mm.PageSize)
	data[0], data[len(data)-1] = 'a', 'z'
	f.Write(c, data)
	fs := f.Inode.(*RamFile).fs
	if n := fs.pages.Load() - held; n != 5 {
		t.Errorf("pages held: %d", n)
	}
	errIs(t, "unlink", r.Unlink(c, r.Top(), "/tmp/big"), nil)
	buf := make([]byte, 1)
	if n, _ := f.Pread(c, buf, int64(len(data)-1)); n != 1 || buf[0] != 'z' {
		t.Errorf("read after unlink: %d %q", n, buf)
	}
	if a := f.Inode.Attr(); a.Nlink != 0 || a.Size != int64(len(data)) {
		t.Errorf("unlinked: nlink %d size %d", a.Nlink, a.Size)
	}
	f.DecRef()
	if n := fs.pages.Load() - held; n != 0 {
		t.Errorf("pages held after close: %d", n)
	}
	if _, after, _ := mm.FrameStats(); after != before {
		t.Errorf("frames in use: %d before, %d after", before, after)
	}
}

func TestTmpfile(t *testing.T) {
	r, _, _ := newTestRoot(t)
	c := &testCtx{}
	f, err := r.Open(c, r.Top(), "/tmp", O_TMPFILE|O_RDWR, 0o600, 0)
	if err != nil {
		t.Fatal(err)
	}
	if a := f.Inode.Attr(); a.Nlink != 0 || a.Mode != S_IFREG|0o600 {
		t.Errorf("tmpfile: nlink %d mode %o", a.Nlink, a.Mode)
	}
	errIs(t, "link a tmpfile", r.Link(c, f.Location(), r.Top(), "/tmp/named"), nil)
	if a := lookup(t, r, "/tmp/named").Node.Attr(); a.Nlink != 1 {
		t.Errorf("named tmpfile nlink %d", a.Nlink)
	}
	x, _ := r.Open(c, r.Top(), "/tmp", O_TMPFILE|O_RDWR|O_EXCL, 0o600, 0)
	errIs(t, "link an O_EXCL tmpfile", r.Link(c, x.Location(), r.Top(), "/tmp/never"), linuxerr.ENOENT)
	_, err = r.Open(c, r.Top(), "/proc", O_TMPFILE|O_RDWR, 0o600, 0)
	errIs(t, "tmpfile in /proc", err, linuxerr.EOPNOTSUPP)
}

func TestMountsAndResolution(t *testing.T) {
	r, _, _ := newTestRoot(t)
	c := &testCtx{}
	top := r.Top()
	errIs(t, "mkdir", r.Mkdir(c, top, "/tmp/m", 0o755, 0), nil)
	errIs(t, "mount", r.Mount(c, top, "/tmp/m", MountArgs{Source: "t", Type: "tmpfs", Data: "size=64k,mode=700"}), nil)
	m := lookup(t, r, "/tmp/m")
	if a, b := m.Node.Attr(), lookup(t, r, "/tmp").Node.Attr(); a.Dev == b.Dev || a.Mode != S_IFDIR|0o700 {
		t.Errorf("mounted root: dev %d (parent %d) mode %o", a.Dev, b.Dev, a.Mode)
	}
	if up := lookup(t, r, "/tmp/m/.."); up.Node != lookup(t, r, "/tmp").Node {
		t.Error("\"..\" of a mounted root is not the mount point's parent")
	}
	errIs(t, "mkdir in the mount", r.Mkdir(c, top, "/tmp/m/sub", 0o755, 0), nil)
	if p, err := r.PathOf(lookup(t, r, "/tmp/m/sub")); p != "/tmp/m/sub" || err != nil {
		t.Errorf("PathOf across a mount: %q %v", p, err)
	}
	if !strings.Contains(r.Mounts(), "t /tmp/m tmpfs rw,relatime,size=64k,mode=700 0 0\n") {
		t.Errorf("/proc/mounts:\n%s", r.Mounts())
	}
	s := StatfsOf(m)
	if s.Type != TMPFS_MAGIC || s.Blocks != 16 || s.Bfree != 16 || s.FlagsValue != ST_VALID|ST_RELATIME {
		t.Errorf("statfs %+v", s)
	}
	errIs(t, "rmdir a mount point", r.Rmdir(c, top, "/tmp/m"), linuxerr.EBUSY)
	errIs(t, "rename across", r.Rename(c, top, "/tmp/m/sub", top, "/tmp/sub", 0), linuxerr.EXDEV)
	// A file open in the mount keeps it busy; a lazy unmount leaves the
	// file working.
	f, err := r.Open(c, top, "/tmp/m/file", O_CREAT|O_RDWR, 0o644, 0)
	if err != nil {
		t.Fatal(err)
	}
	errIs(t, "umount busy", r.Umount(m, 0), linuxerr.EBUSY)
	errIs(t, "umount a directory", r.Umount(lookup(t, r, "/tmp"), 0), linuxerr.EINVAL)
	errIs(t, "umount -l", r.Umount(m, MNT_DETACH), nil)
	if _, err := f.Write(c, []byte("still")); err != nil {
		t.Errorf("write after detach: %v", err)
	}
	if p := lookup(t, r, "/tmp/m"); p.Mnt != r.top {
		t.Error("mount still attached")
	}
	if p, _ := r.PathOf(Path{f.Mnt, f.Mnt.root}); p != "(unreachable)/" {
		t.Errorf("detached path %q", p)
	}
	f.DecRef()
	// Read-only remounts and bind mounts.
	errIs(t, "mount", r.Mount(c, top, "/tmp/m", MountArgs{Type: "ramfs"}), nil)
	errIs(t, "remount ro", r.Mount(c, top, "/tmp/m", MountArgs{Flags: MS_REMOUNT | MS_RDONLY}), nil)
	errIs(t, "mkdir on ro", r.Mkdir(c, top, "/tmp/m/x", 0o755, 0), linuxerr.EROFS)
	_, err = r.Open(c, top, "/tmp/m/x", O_CREAT|O_WRONLY, 0o644, 0)
	errIs(t, "create on ro", err, linuxerr.EROFS)
	errIs(t, "remount rw", r.Mount(c, top, "/tmp/m", MountArgs{Flags: MS_REMOUNT}), nil)
	errIs(t, "mkdir", r.Mkdir(c, top, "/tmp/m/x", 0o755, 0), nil)
	errIs(t, "mkdir", r.Mkdir(c, top, "/tmp/b", 0o755, 0), nil)
	errIs(t, "bind", r.Mount(c, top, "/tmp/b", MountArgs{Source: "/tmp/m/x", Flags: MS_BIND}), nil)
	if lookup(t, r, "/tmp/b").Node != lookup(t, r, "/tmp/m/x").Node {
		t.Error("bind mount shows another directory")
	}
	if up := lookup(t, r, "/tmp/b/.."); up.Node != lookup(t, r, "/tmp").Node {
		t.Error("\"..\" of a bind mount's root")
	}
	errIs(t, "link across bind mounts", r.Link(c, lookup(t, r, "/tmp/m/x"), top, "/tmp/b/y"), linuxerr.EXDEV)
	errIs(t, "umount", r.Umount(lookup(t, r, "/tmp/b"), 0), nil)
	errIs(t, "unknown type", r.Mount(c, top, "/tmp/b", MountArgs{Type: "ext4"}), linuxerr.ENODEV)
	errIs(t, "bad tmpfs option", r.Mount(c, top, "/tmp/b", MountArgs{Type: "tmpfs", Data: "colour=blue"}), linuxerr.EINVAL)
	errIs(t, "onto a file", r.Mount(c, top, "/bin/prog", MountArgs{Type: "tmpfs"}), linuxerr.ENOTDIR)
}

func TestFIFO(t *testing.T) {
	r, _, _ := newTestRoot(t)
	c := &testCtx{}
	errIs(t, "mkfifo", r.Mknod(c, r.Top(), "/tmp/p", S_IFIFO|0o644, 0, 0), nil)
	_, err := r.Open(c, r.Top(), "/tmp/p", O_WRONLY|O_NONBLOCK, 0, 0)
	errIs(t, "writer without reader", err, linuxerr.ENXIO)
	// A blocking reader waits for a writer.
	got := make(chan *File)
	go func() {
		f, err := r.Open(c, r.Top(), "/tmp/p", O_RDONLY, 0, 0)
		if err != nil {
			t.Error(err)
		}
		got <- f
	}()
	select {
	case <-got:
		t.Fatal("reader did not wait for a writer")
	case <-time.After(20 * time.Millisecond):
	}
	w, err := r.Open(c, r.Top(), "/tmp/p", O_WRONLY, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	rd := <-got
	w.Write(c, []byte("hi"))
	buf := make([]byte, 8)
	if n, _ := rd.Read(c, buf); string(buf[:n]) != "hi" {
		t.Errorf("read %q", buf[:n])
	}
	w.DecRef()
	if n, err := rd.Read(c, buf); n != 0 || err != nil {
		t.Errorf("read after the writer left: %d %v", n, err)
	}
	rd.DecRef()
	if a := lookup(t, r, "/tmp/p").Node.Attr(); a.Mode != S_IFIFO|0o644 || a.Size != 0 {
		t.Errorf("fifo attr: mode %o size %d", a.Mode, a.Size)
	}
}

// TestReadDirWhileRemoving: entries keep their positions, so removing
// them between reads neither skips nor repeats any.
func TestReadDirWhileRemoving(t *testing.T) {
	r, _, _ := newTestRoot(t)
	c := &testCtx{}
	r.Mkdir(c, r.Top(), "/tmp/many", 0o755, 0)
	for i := 0; i < 50; i++ {
		f, _ := r.Open(c, r.Top(), "/tmp/many/f"+itoa(uint64(i)), O_CREAT|O_WRONLY, 0o644, 0)
		f.DecRef()
	}
	d, _ := r.Open(c, r.Top(), "/tmp/many", O_RDONLY, 0, 0)
	seen := map[string]bool{}
	for {
		n := 0
		d.ReadDir(c, func(e Dirent, _ int64) bool {
			if n == 3 {
				return false
			}
			n++
			if seen[e.Name] {
				t.Errorf("%s seen twice", e.Name)
			}
			seen[e.Name] = true
			if e.Name != "." && e.Name != ".." {
				r.Unlink(c, r.Top(), "/tmp/many/"+e.Name)
			}
			return true
		})
		if n == 0 {
			break
		}
	}
	if len(seen) != 52 {
		t.Errorf("saw %d entries, want 52", len(seen))
	}
	errIs(t, "rmdir", r.Rmdir(c, r.Top(), "/tmp/many"), nil)
}

func TestSetattr(t *testing.T) {
	r, _, _ := newTestRoot(t)
	c := &testCtx{}
	p := lookup(t, r, "/bin/prog")
	errIs(t, "chmod", Chmod(p, 0o6755), nil)
	errIs(t, "chown", Chown(p, NoID, NoID), nil)
	if a := p.Node.Attr(); a.Mode != S_IFREG|0o755 {
		t.Errorf("chown kept the set-ID bits: %o", a.Mode)
	}
	l, _ := r.Lookup(c, r.Top(), "/bin/link", 0)
	errIs(t, "chmod a link", Chmod(l, 0o700), linuxerr.EOPNOTSUPP)
	pe, _ := r.Lookup(&testCtx{pid: 7}, r.Top(), "/proc/self/exe", 0)
	errIs(t, "chmod in /proc", Chmod(pe, 0o700), linuxerr.EPERM)
	at := time.Unix(1000, 5)
	errIs(t, "utimes", SetTimes(p, &at, nil), nil)
	if a := p.Node.Attr(); !a.Atime.Equal(at) || a.Mtime.Equal(at) {
		t.Errorf("times %v %v", a.Atime, a.Mtime)
	}
	errIs(t, "truncate a dir", Truncate(lookup(t, r, "/bin"), 0), linuxerr.EISDIR)
	errIs(t, "truncate", Truncate(p, 2), nil)
	if a := p.Node.Attr(); a.Size != 2 {
		t.Errorf("size %d", a.Size)
	}
}

// TestTmpfsInodeLimit: a tmpfs with nr_inodes=N holds N inodes (its root
// among them); every way of making another, and a new hard link, is
// ENOSPC, and removing one makes room (shmem_reserve_inode).
func TestTmpfsInodeLimit(t *testing.T) {
	r, _, _ := newTestRoot(t)
	c := &testCtx{}
	top := r.Top()
	errIs(t, "mkdir", r.Mkdir(c, top, "/tmp/m", 0o755, 0), nil)
	errIs(t, "mount", r.Mount(c, top, "/tmp/m", MountArgs{Source: "t", Type: "tmpfs", Data: "nr_inodes=3"}), nil)
	errIs(t, "mkdir 2", r.Mkdir(c, top, "/tmp/m/d", 0o755, 0), nil)
	errIs(t, "mknod 3", r.Mknod(c, top, "/tmp/m/f", S_IFREG|0o644, 0, 0), nil)
	errIs(t, "mkdir 4", r.Mkdir(c, top, "/tmp/m/e", 0o755, 0), linuxerr.ENOSPC)
	errIs(t, "mknod 4", r.Mknod(c, top, "/tmp/m/g", S_IFIFO|0o644, 0, 0), linuxerr.ENOSPC)
	errIs(t, "symlink 4", r.Symlink(c, "f", top, "/tmp/m/s"), linuxerr.ENOSPC)
	errIs(t, "link 4", r.Link(c, lookup(t, r, "/tmp/m/f"), top, "/tmp/m/h"), linuxerr.ENOSPC)
	errIs(t, "link across mounts first", r.Link(c, lookup(t, r, "/tmp"), top, "/tmp/m/h"), linuxerr.EXDEV)
	errIs(t, "mkdir of an existing name first", r.Mkdir(c, top, "/tmp/m/d", 0o755, 0), linuxerr.EEXIST)
	if _, err := r.Open(c, top, "/tmp/m/o", O_CREAT|O_RDWR, 0o644, 0); !linuxerr.Equals(linuxerr.ENOSPC, err) {
		t.Errorf("open O_CREAT 4: %v", err)
	}
	if _, err := r.Open(c, top, "/tmp/m/d", O_TMPFILE|O_RDWR, 0o600, 0); !linuxerr.Equals(linuxerr.ENOSPC, err) {
		t.Errorf("O_TMPFILE 4: %v", err)
	}
	if f, err := r.Open(c, top, "/tmp/m/f", O_CREAT|O_RDWR, 0o644, 0); err != nil {
		t.Errorf("open O_CREAT of an existing file: %v", err)
	} else {
		f.DecRef()
	}
	if s := StatfsOf(lookup(t, r, "/tmp/m")); s.Files != 3 || s.Ffree != 0 {
		t.Errorf("statfs files %d free %d", s.Files, s.Ffree)
	}
	errIs(t, "unlink", r.Unlink(c, top, "/tmp/m/f"), nil)
	errIs(t, "mkdir after unlink", r.Mkdir(c, top, "/tmp/m/e", 0o755, 0), nil)
}

// TestOpenResolve checks openat2's resolve flags from /etc: symbolic
// links refused, the walk kept beneath or rooted in /etc, mounts not
// crossed.
func TestOpenResolve(t *testing.T) {
	r, _, _ := newTestRoot(t)
	c := &testCtx{pid: 7}
	top := r.Top()
	errIs(t, "symlink", r.Symlink(c, "../bin/prog", top, "/etc/up"), nil)
	errIs(t, "symlink", r.Symlink(c, "/deep/file", top, "/etc/abs"), nil)
	errIs(t, "symlink", r.Symlink(c, "deep/file", top, "/etc/in"), nil)
	etc := lookup(t, r, "/etc")
	for _, tc := range []struct {
		path    string
		resolve uint32
		flags   uint32
		want    error
	}{
		{"deep/file", RESOLVE_NO_SYMLINKS, 0, nil},
		{"in", 0, 0, nil},
		{"in", RESOLVE_NO_SYMLINKS, 0, linuxerr.ELOOP},
		{"in", RESOLVE_NO_SYMLINKS, O_PATH | O_NOFOLLOW, nil},
		{"in", RESOLVE_NO_SYMLINKS, O_CREAT | O_WRONLY, linuxerr.ELOOP},
		{"in", RESOLVE_BENEATH, 0, nil},
		{"up", RESOLVE_BENEATH, 0, linuxerr.EXDEV},
		{"../bin/prog", RESOLVE_BENEATH, 0, linuxerr.EXDEV},
		{"deep/../deep/file", RESOLVE_BENEATH, 0, nil},
		{"/bin/prog", RESOLVE_BENEATH, 0, linuxerr.EXDEV},
		{"abs", RESOLVE_BENEATH, 0, linuxerr.EXDEV},
		{"abs", 0, 0, linuxerr.ENOENT},
		{"abs", RESOLVE_IN_ROOT, 0, nil},
		{"/deep/file", RESOLVE_IN_ROOT, 0, nil},
		{"../../deep/file", RESOLVE_IN_ROOT, 0, nil},
		{"up", RESOLVE_IN_ROOT, 0, linuxerr.ENOENT},
		{"/new", RESOLVE_IN_ROOT, O_CREAT | O_WRONLY, nil},
		{"/etc/deep/file", RESOLVE_NO_XDEV, 0, nil}, // an absolute argument starts on the root
		{"/proc/self/exe", RESOLVE_NO_XDEV, 0, linuxerr.EXDEV},
		{"../proc/self", RESOLVE_NO_XDEV, O_PATH | O_NOFOLLOW, linuxerr.EXDEV},
		{"../bin/prog", RESOLVE_NO_XDEV, 0, nil},
		{"/proc/self/root", RESOLVE_NO_MAGICLINKS, O_DIRECTORY, linuxerr.ELOOP},
		{"/proc/self/root", RESOLVE_NO_MAGICLINKS, O_PATH | O_NOFOLLOW, nil},
		{"/proc/self/root", 0, O_DIRECTORY, nil},
	} {
		f, err := r.OpenResolve(c, etc, tc.path, tc.flags, 0o644, 0, tc.resolve)
		errIs(t, tc.path, err, tc.want)
		if f != nil {
			f.DecRef()
		}
	}
	if _, err := r.Resolve(c, top, "/etc/new", false); err != nil {
		t.Errorf("RESOLVE_IN_ROOT created /new elsewhere than /etc/new: %v", err)
	}
}
