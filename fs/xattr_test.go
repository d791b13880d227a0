package fs

import (
	"bytes"
	"encoding/binary"
	"strings"
	"testing"

	"gvisor.dev/gvisor/pkg/abi/linux"
	"gvisor.dev/gvisor/pkg/errors/linuxerr"
)

// userCtx is a caller with IDs and capabilities of its own (Caller).
type userCtx struct {
	testCtx
	uid, gid uint32
	caps     uint64
}

func (c *userCtx) FSIDs() (uint32, uint32)          { return c.uid, c.gid }
func (c *userCtx) Capable(cp linux.Capability) bool { return c.caps&(1<<cp) != 0 }
func (c *userCtx) InGroup(gid uint32) bool          { return gid == c.gid }

// TestXattrStore: simple_xattr_set's flags, simple_xattr_get's sizes and
// the listing order.
func TestXattrStore(t *testing.T) {
	var x Xattrs
	_, _, err := x.Get("user.a", 10)
	errIs(t, "get missing", err, linuxerr.ENODATA)
	_, err = x.Set("user.a", []byte("one"), XATTR_REPLACE)
	errIs(t, "replace missing", err, linuxerr.ENODATA)
	_, err = x.Set("user.a", []byte("one"), XATTR_CREATE)
	errIs(t, "create", err, nil)
	_, err = x.Set("user.a", []byte("two"), XATTR_CREATE)
	errIs(t, "create existing", err, linuxerr.EEXIST)
	freed, err := x.Set("user.a", []byte("three"), XATTR_REPLACE)
	errIs(t, "replace", err, nil)
	if freed != xattrSpace("user.a", 3) {
		t.Errorf("replace freed %d", freed)
	}
	if _, n, err := x.Get("user.a", 0); err != nil || n != 5 {
		t.Errorf("size query: %d %v", n, err)
	}
	_, _, err = x.Get("user.a", 4)
	errIs(t, "short buffer", err, linuxerr.ERANGE)
	if v, n, _ := x.Get("user.a", 5); string(v) != "three" || n != 5 {
		t.Errorf("get %q %d", v, n)
	}
	x.Set("user.b", []byte{}, 0)
	if v, n, err := x.Get("user.b", 10); err != nil || n != 0 || v == nil {
		t.Errorf("empty value: %v %d %v", v, n, err)
	}
	x.Set("trusted.t", []byte("x"), 0)
	x.Set("security.s", []byte("x"), 0)
	if got := strings.Join(x.List(true), " "); got != "user.b user.a trusted.t security.s" {
		t.Errorf("list %q", got)
	}
	if got := strings.Join(x.List(false), " "); got != "user.b user.a security.s" {
		t.Errorf("unprivileged list %q", got)
	}
	_, err = x.Set("user.b", nil, XATTR_REPLACE)
	errIs(t, "remove", err, nil)
	_, _, err = x.Get("user.b", 10)
	errIs(t, "get removed", err, linuxerr.ENODATA)
	if want := xattrSpace("user.a", 5) + xattrSpace("trusted.t", 1) + xattrSpace("security.s", 1); x.space != want {
		t.Errorf("space %d, want %d", x.space, want)
	}
}

// TestXattrVFS: the namespaces and permission rules on tmpfs, ramfs,
// procfs and the kinds of inode.
func TestXattrVFS(t *testing.T) {
	r, _, _ := newTestRoot(t)
	c := &testCtx{pid: 1}
	top := r.Top()
	errIs(t, "mknod", r.Mknod(c, top, "/tmp/f", S_IFREG|0o644, 0, 0), nil)
	errIs(t, "fifo", r.Mknod(c, top, "/tmp/p", S_IFIFO|0o644, 0, 0), nil)
	errIs(t, "symlink", r.Symlink(c, "f", top, "/tmp/l"), nil)
	f := lookup(t, r, "/tmp/f")
	link, _ := r.Lookup(c, top, "/tmp/l", 0)
	fifo := lookup(t, r, "/tmp/p")

	before := f.Node.Attr().Ctime
	errIs(t, "set user", SetXattr(c, f, "user.k", []byte("v"), 0), nil)
	if !f.Node.Attr().Ctime.After(before) && !f.Node.Attr().Ctime.Equal(before) {
		t.Errorf("ctime went back")
	}
	if v, n, err := GetXattr(c, f, "user.k", 100); err != nil || string(v) != "v" || n != 1 {
		t.Errorf("get user: %q %d %v", v, n, err)
	}
	errIs(t, "bare prefix", SetXattr(c, f, "user.", []byte("v"), 0), linuxerr.EINVAL)
	errIs(t, "unknown namespace", SetXattr(c, f, "other.k", []byte("v"), 0), linuxerr.EOPNOTSUPP)
	errIs(t, "system.*", SetXattr(c, f, "system.k", []byte("v"), 0), linuxerr.EOPNOTSUPP)
	_, _, err := GetXattr(c, f, "system.posix_acl_access", 100)
	errIs(t, "get ACL", err, linuxerr.EOPNOTSUPP)
	acl := []byte{2, 0, 0, 0, 1, 0, 6, 0, 0, 0, 0, 0}
	errIs(t, "set ACL", SetXattr(c, f, "system.posix_acl_access", acl, 0), linuxerr.EOPNOTSUPP)
	errIs(t, "set a bad ACL", SetXattr(c, f, "system.posix_acl_access", acl[:6], 0), linuxerr.EINVAL)
	errIs(t, "set an ACL of another version", SetXattr(c, f, "system.posix_acl_access", []byte{1, 0, 0, 0}, 0), linuxerr.EOPNOTSUPP)
	errIs(t, "remove ACL", SetXattr(c, f, "system.posix_acl_default", nil, 0), linuxerr.EOPNOTSUPP)
	errIs(t, "remove missing", SetXattr(c, f, "user.none", nil, 0), linuxerr.ENODATA)

	// user.* only on regular files and directories.
	errIs(t, "user on a link", SetXattr(c, link, "user.k", []byte("v"), 0), linuxerr.EPERM)
	_, _, err = GetXattr(c, link, "user.k", 10)
	errIs(t, "get user on a link", err, linuxerr.ENODATA)
	errIs(t, "trusted on a link", SetXattr(c, link, "trusted.k", []byte("v"), 0), nil)
	errIs(t, "security on a fifo", SetXattr(c, fifo, "security.k", []byte("v"), 0), nil)
	if b, n, err := ListXattr(c, link, 100); err != nil || string(b) != "trusted.k\x00" || n != 10 {
		t.Errorf("list link: %q %d %v", b, n, err)
	}

	// A caller without CAP_SYS_ADMIN: trusted.* hidden, security.* not
	// writable, user.* by the file's mode.
	u := &userCtx{uid: 1000, gid: 1000}
	SetXattr(c, f, "trusted.t", []byte("x"), 0)
	_, _, err = GetXattr(u, f, "trusted.t", 10)
	errIs(t, "unprivileged trusted", err, linuxerr.ENODATA)
	errIs(t, "unprivileged set trusted", SetXattr(u, f, "trusted.t", []byte("y"), 0), linuxerr.EPERM)
	errIs(t, "unprivileged set security", SetXattr(u, f, "security.s", []byte("y"), 0), linuxerr.EPERM)
	if b, _, _ := ListXattr(u, f, 100); string(b) != "user.k\x00" {
		t.Errorf("unprivileged list %q", b)
	}
	if b, _, _ := ListXattr(c, f, 100); string(b) != "user.k\x00trusted.t\x00" {
		t.Errorf("privileged list %q", b)
	}
	if _, _, err := GetXattr(u, f, "user.k", 10); err != nil {
		t.Errorf("read user with mode 0644: %v", err)
	}
	errIs(t, "write user with mode 0644", SetXattr(u, f, "user.k", []byte("y"), 0), linuxerr.EACCES)
	u.caps = 1 << linux.CAP_DAC_OVERRIDE
	errIs(t, "write user with CAP_DAC_OVERRIDE", SetXattr(u, f, "user.k", []byte("y"), 0), nil)
	u.caps = 0
	tmp := lookup(t, r, "/tmp")
	Chmod(tmp, 0o1777)
	errIs(t, "user on another's sticky dir", SetXattr(u, tmp, "user.k", []byte("y"), 0), linuxerr.EPERM)

	// Sizes.
	_, n, err := ListXattr(c, f, 0)
	if err != nil || n != len("user.k\x00trusted.t\x00") {
		t.Errorf("list size: %d %v", n, err)
	}
	_, _, err = ListXattr(c, f, 3)
	errIs(t, "list short", err, linuxerr.ERANGE)
	SetXattr(c, f, "user.big", make([]byte, XATTR_SIZE_MAX), 0)
	if _, n, err := GetXattr(c, f, "user.big", 1<<40); err != nil || n != XATTR_SIZE_MAX {
		t.Errorf("get with a huge buffer: %d %v", n, err)
	}
	_, _, err = GetXattr(c, f, "user.big", XATTR_SIZE_MAX-1)
	errIs(t, "get short", err, linuxerr.ERANGE)

	// procfs has none; ramfs neither.
	pp := lookup(t, r, "/proc/meminfo")
	_, _, err = GetXattr(c, pp, "user.k", 10)
	errIs(t, "proc get", err, linuxerr.EOPNOTSUPP)
	errIs(t, "proc set", SetXattr(c, pp, "trusted.k", []byte("v"), 0), linuxerr.EOPNOTSUPP)
	if _, n, err := ListXattr(c, pp, 10); err != nil || n != 0 {
		t.Errorf("proc list: %d %v", n, err)
	}
	errIs(t, "mkdir", r.Mkdir(c, top, "/tmp/r", 0o755, 0), nil)
	errIs(t, "mount ramfs", r.Mount(c, top, "/tmp/r", MountArgs{Source: "r", Type: "ramfs"}), nil)
	errIs(t, "ramfs set", SetXattr(c, lookup(t, r, "/tmp/r"), "user.k", []byte("v"), 0), linuxerr.EOPNOTSUPP)
	errIs(t, "remount ro", r.Mount(c, top, "/tmp/r", MountArgs{Flags: MS_REMOUNT | MS_BIND | MS_RDONLY}), nil)
	errIs(t, "read-only mount", SetXattr(c, lookup(t, r, "/tmp/r"), "user.k", []byte("v"), 0), linuxerr.EROFS)
}

// TestXattrInodeSpace: with nr_inodes set, attributes take inode space
// (ENOSPC when it is gone, fewer free inodes in statfs), and removing
// them or their inode gives it back.
func TestXattrInodeSpace(t *testing.T) {
	r, _, _ := newTestRoot(t)
	c := &testCtx{}
	top := r.Top()
	errIs(t, "mkdir", r.Mkdir(c, top, "/tmp/m", 0o755, 0), nil)
	errIs(t, "mount", r.Mount(c, top, "/tmp/m", MountArgs{Source: "t", Type: "tmpfs", Data: "nr_inodes=4"}), nil)
	errIs(t, "mknod", r.Mknod(c, top, "/tmp/m/f", S_IFREG|0o644, 0, 0), nil)
	f := lookup(t, r, "/tmp/m/f")
	if s := StatfsOf(f); s.Ffree != 2 {
		t.Fatalf("free inodes %d", s.Ffree)
	}
	v := make([]byte, 900) // 946 bytes of the 2048 left
	errIs(t, "first", SetXattr(c, f, "user.a", v, 0), nil)
	if s := StatfsOf(f); s.Ffree != 1 {
		t.Errorf("free inodes after one attribute %d", s.Ffree)
	}
	errIs(t, "second", SetXattr(c, f, "user.b", v, 0), nil)
	errIs(t, "third", SetXattr(c, f, "user.c", v, 0), linuxerr.ENOSPC)
	errIs(t, "a new inode", r.Mknod(c, top, "/tmp/m/g", S_IFREG|0o644, 0, 0), linuxerr.ENOSPC)
	errIs(t, "replace in place", SetXattr(c, f, "user.b", v[:10], XATTR_REPLACE), nil)
	errIs(t, "third after shrinking", SetXattr(c, f, "user.c", v, 0), nil)
	errIs(t, "unlink", r.Unlink(c, top, "/tmp/m/f"), nil)
	if s := StatfsOf(lookup(t, r, "/tmp/m")); s.Ffree != 3 {
		t.Errorf("free inodes after unlink %d", s.Ffree)
	}
	errIs(t, "a new inode after unlink", r.Mknod(c, top, "/tmp/m/g", S_IFREG|0o644, 0, 0), nil)
}

// TestXattrCaps: security.capability's checks and its versions.
func TestXattrCaps(t *testing.T) {
	r, _, _ := newTestRoot(t)
	c := &testCtx{}
	errIs(t, "mknod", r.Mknod(c, r.Top(), "/tmp/f", S_IFREG|0o755, 0, 0), nil)
	f := lookup(t, r, "/tmp/f")
	caps := func(magic uint32, rootid ...uint32) []byte {
		b := binary.LittleEndian.AppendUint32(nil, magic)
		b = binary.LittleEndian.AppendUint32(b, 1<<10) // CAP_NET_BIND_SERVICE permitted
		b = append(b, make([]byte, 12)...)
		for _, id := range rootid {
			b = binary.LittleEndian.AppendUint32(b, id)
		}
		return b
	}
	name := linux.XATTR_SECURITY_CAPABILITY
	errIs(t, "bad size", SetXattr(c, f, name, []byte{1, 2, 3}, 0), linuxerr.EINVAL)
	errIs(t, "v2 with v3 size", SetXattr(c, f, name, caps(vfsCapRevision2, 0), 0), linuxerr.EINVAL)
	errIs(t, "unknown flags", SetXattr(c, f, name, caps(vfsCapRevision2|0x100), 0), linuxerr.EINVAL)
	errIs(t, "no CAP_SETFCAP", SetXattr(&userCtx{uid: 1}, f, name, caps(vfsCapRevision2), 0), linuxerr.EPERM)
	errIs(t, "v3 root 0", SetXattr(c, f, name, caps(vfsCapRevision3|vfsCapEffective, 0), 0), nil)
	if v, n, err := GetXattr(c, f, name, 100); err != nil || n != 20 || !bytes.Equal(v, caps(vfsCapRevision2|vfsCapEffective)) {
		t.Errorf("v3 for root reads as v2: %x %d %v", v, n, err)
	}
	errIs(t, "v3 root 1000", SetXattr(c, f, name, caps(vfsCapRevision3, 1000), 0), nil)
	if v, n, err := GetXattr(c, f, name, 100); err != nil || n != 24 || !bytes.Equal(v, caps(vfsCapRevision3, 1000)) {
		t.Errorf("v3 for user 1000: %x %d %v", v, n, err)
	}
	_, _, err := GetXattr(c, f, name, 20)
	errIs(t, "short", err, linuxerr.ERANGE)
	errIs(t, "empty", SetXattr(&userCtx{uid: 1}, f, name, []byte{}, 0), nil)
	_, _, err = GetXattr(c, f, name, 100)
	errIs(t, "read empty", err, linuxerr.EINVAL)
	errIs(t, "remove without CAP_SETFCAP", SetXattr(&userCtx{uid: 1}, f, name, nil, 0), linuxerr.EPERM)
	errIs(t, "remove", SetXattr(c, f, name, nil, 0), nil)
}
