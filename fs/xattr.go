package fs

import (
	"encoding/binary"
	"slices"
	"strings"
	"sync"

	"gvisor.dev/gvisor/pkg/abi/linux"
	"gvisor.dev/gvisor/pkg/errors/linuxerr"

	"oyako/kernel/mm"
)

// Extended attributes (xattr(7)) as fs/xattr.c, mm/shmem.c and the
// capability security module (security/commoncap.c) have them, in the
// order Linux checks:
//
//   - tmpfs (the boot root, tmpfs mounts, devtmpfs) keeps security.*,
//     trusted.* and user.* attributes per inode in memory (simple_xattrs),
//     each name at most XATTR_NAME_MAX bytes and each value at most
//     XATTR_SIZE_MAX; with an nr_inodes limit their space
//     (simple_xattr_space) comes out of the inode space that statfs's
//     f_ffree reports, ENOSPC when it runs out.
//   - ramfs, procfs, pipes and anonymous inodes have no extended
//     attributes (no IOP_XATTR): getxattr and setxattr are EOPNOTSUPP,
//     listxattr is empty.
//   - sysfs keeps security.* and trusted.* (kernfs); user.* is
//     EOPNOTSUPP.
//   - Sockets have the read-only system.sockprotoname (sockfs).
//
// POSIX ACLs (system.posix_acl_access, system.posix_acl_default) are not
// supported, as on a tmpfs built without CONFIG_TMPFS_POSIX_ACL or on
// procfs: reading, setting or removing one is EOPNOTSUPP (after a value's
// format is checked). No security module is active: security.* names
// are plain attributes, apart from security.capability, which the
// capability module checks and converts (cap_convert_nscap,
// cap_inode_getsecurity). Writing or chown-ing a file does not remove
// its security.capability (no killpriv).
//
// Permission: trusted.* needs CAP_SYS_ADMIN (to read, list or write),
// writing security.* needs CAP_SYS_ADMIN (security.capability
// CAP_SETFCAP), user.* is for regular files and directories only, and
// reading or writing user.* is checked against the file's mode as
// generic_permission does (the only place oyako checks file permission
// bits).

// Limits and flags (include/uapi/linux/limits.h, xattr.h).
const (
	XATTR_CREATE   = linux.XATTR_CREATE
	XATTR_REPLACE  = linux.XATTR_REPLACE
	XATTR_NAME_MAX = linux.XATTR_NAME_MAX
	XATTR_SIZE_MAX = linux.XATTR_SIZE_MAX
	XATTR_LIST_MAX = linux.XATTR_LIST_MAX
)

// Names with special meanings.
const (
	xattrPosixACLAccess  = "system.posix_acl_access"
	xattrPosixACLDefault = "system.posix_acl_default"
	xattrSockProtoName   = "system.sockprotoname"
)

// bogoInodeSize is what each tmpfs inode takes of the inode space
// (BOGO_INODE_SIZE), which extended attributes share.
const bogoInodeSize = 1024

// xattrSpace is the space an attribute takes of tmpfs's inode space
// (simple_xattr_space).
func xattrSpace(name string, size int) int64 { return 40 + int64(size) + int64(len(name)) }

// Xattrs holds one inode's extended attributes by full name (struct
// simple_xattrs). The zero value is empty and ready.
type Xattrs struct {
	mu    sync.RWMutex
	m     map[string][]byte
	space int64 // xattrSpace of the attributes held
	freed bool  // the inode left its file system: no more accounting
}

// Get is simple_xattr_get: name's value, copied, or ENODATA. With size 0
// only the length is returned; a value longer than size is ERANGE.
func (x *Xattrs) Get(name string, size int) ([]byte, int, error) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	v, ok := x.m[name]
	if !ok {
		return nil, 0, linuxerr.ENODATA
	}
	if size == 0 {
		return nil, len(v), nil
	}
	if size < len(v) {
		return nil, 0, linuxerr.ERANGE
	}
	return slices.Clone(v), len(v), nil
}

// Set is simple_xattr_set: it stores value as name's value, or removes
// name if value is nil. XATTR_CREATE fails with EEXIST if name exists,
// XATTR_REPLACE with ENODATA if it does not. It returns the space of the
// value replaced or removed (0 if none).
func (x *Xattrs) Set(name string, value []byte, flags int) (int64, error) {
	x.mu.Lock()
	defer x.mu.Unlock()
	old, ok := x.m[name]
	switch {
	case ok && flags&XATTR_CREATE != 0:
		return 0, linuxerr.EEXIST
	case !ok && flags&XATTR_REPLACE != 0:
		return 0, linuxerr.ENODATA
	}
	var freed int64
	if ok {
		freed = xattrSpace(name, len(old))
		delete(x.m, name)
		x.space -= freed
	}
	if value != nil {
		if x.m == nil {
			x.m = map[string][]byte{}
		}
		x.m[name] = slices.Clone(value)
		x.space += xattrSpace(name, len(value))
	}
	return freed, nil
}

// List returns the names, leaving out trusted.* unless trusted
// (simple_xattr_list), in the order Linux 6.18's tree of them is walked:
// by descending byte order.
func (x *Xattrs) List(trusted bool) []string {
	x.mu.RLock()
	defer x.mu.RUnlock()
	names := make([]string, 0, len(x.m))
	for n := range x.m {
		if trusted || !strings.HasPrefix(n, linux.XATTR_TRUSTED_PREFIX) {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	slices.Reverse(names)
	return names
}

// release marks the attributes as no longer counted by their file system
// and returns the space they held.
func (x *Xattrs) release() int64 {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.freed {
		return 0
	}
	x.freed = true
	return x.space
}

// Caller is implemented by a Ctx that knows the caller's capabilities
// and groups, as the permission checks need them. A Ctx without it is
// root with every capability.
type Caller interface {
	Creds
	// Capable reports whether the caller has capability cp in effect.
	Capable(cp linux.Capability) bool
	// InGroup reports whether gid is the caller's file-system group or
	// one of its supplementary groups (in_group_p).
	InGroup(gid uint32) bool
}

func capable(c Ctx, cp linux.Capability) bool {
	if cl, ok := c.(Caller); ok {
		return cl.Capable(cp)
	}
	return true
}

// Access modes of permission checks (MAY_READ, MAY_WRITE).
const (
	mayWrite = 2
	mayRead  = 4
)

// permission is generic_permission for reading or writing: the owner's,
// group's or others' permission bits, whichever apply to the caller,
// then CAP_DAC_OVERRIDE, and CAP_DAC_READ_SEARCH for reading; EACCES
// otherwise.
func permission(c Ctx, a Attr, mask uint32) error {
	cl, ok := c.(Caller)
	if !ok {
		return nil
	}
	uid, _ := cl.FSIDs()
	mode := a.Mode
	switch {
	case uid == a.UID:
		mode >>= 6
	case cl.InGroup(a.GID):
		mode >>= 3
	}
	if mode&mask == mask {
		return nil
	}
	if cl.Capable(linux.CAP_DAC_OVERRIDE) || mask == mayRead && cl.Capable(linux.CAP_DAC_READ_SEARCH) {
		return nil
	}
	return linuxerr.EACCES
}

// xattrPermission is xattr_permission: trusted.* is for CAP_SYS_ADMIN
// (ENODATA to read, EPERM to write without it); user.* is only on
// regular files and directories (likewise), and on a sticky directory
// only its owner or CAP_FOWNER may write it. Then the file's own
// permission, except for security.* and system.*, which are left to the
// file system and the security module.
func xattrPermission(c Ctx, a Attr, name string, mask uint32) error {
	deny := linuxerr.ENODATA
	if mask == mayWrite {
		deny = linuxerr.EPERM
	}
	switch {
	case strings.HasPrefix(name, linux.XATTR_SECURITY_PREFIX), strings.HasPrefix(name, linux.XATTR_SYSTEM_PREFIX):
		return nil
	case strings.HasPrefix(name, linux.XATTR_TRUSTED_PREFIX):
		if !capable(c, linux.CAP_SYS_ADMIN) {
			return deny
		}
		return nil
	case strings.HasPrefix(name, linux.XATTR_USER_PREFIX):
		t := a.Mode & S_IFMT
		if t != S_IFREG && t != S_IFDIR {
			return deny
		}
		if t == S_IFDIR && a.Mode&S_ISVTX != 0 && mask == mayWrite {
			if uid, _ := fsIDs(c); uid != a.UID && !capable(c, linux.CAP_FOWNER) {
				return linuxerr.EPERM
			}
		}
	}
	return permission(c, a, mask)
}

// xattrHandlers describes what an inode's file system does with
// extended attributes (its s_xattr handlers and listxattr operation).
type xattrHandlers struct {
	// x holds the attributes: of a tmpfs inode or a sysfs node; nil for
	// sockets.
	x *Xattrs
	// ram is the tmpfs inode: its file system counts the space, its
	// change time moves.
	ram *ramInode
	// prefixes are the namespaces the file system has handlers for.
	prefixes []string
	// proto is a socket's protocol name (system.sockprotoname).
	proto string
}

var (
	shmemPrefixes  = []string{linux.XATTR_SECURITY_PREFIX, linux.XATTR_TRUSTED_PREFIX, linux.XATTR_USER_PREFIX}
	kernfsPrefixes = []string{linux.XATTR_TRUSTED_PREFIX, linux.XATTR_SECURITY_PREFIX, linux.XATTR_USER_PREFIX}
	sockfsPrefixes = []string{linux.XATTR_SECURITY_PREFIX}
)

// SockInode is implemented by the inodes of sockets: sockfs names each
// after its protocol ("UNIX-STREAM", "TCP", ...), which getxattr reads as
// system.sockprotoname.
type SockInode interface {
	Inode
	SockProtoName() string
}

// xattrsOf returns n's file system's handling of extended attributes, or
// nil if it has none (no IOP_XATTR).
func xattrsOf(n Inode) *xattrHandlers {
	switch n := n.(type) {
	case ramNode:
		m := n.meta()
		if !m.fs.typ.tmpfs {
			return nil // ramfs
		}
		return &xattrHandlers{x: &m.xattrs, ram: m, prefixes: shmemPrefixes}
	case *sysDir:
		return &xattrHandlers{x: n.fs.xattrs(n.path), prefixes: kernfsPrefixes}
	case *sysFile:
		return &xattrHandlers{x: n.fs.xattrs(n.path), prefixes: kernfsPrefixes}
	case SockInode:
		return &xattrHandlers{prefixes: sockfsPrefixes, proto: n.SockProtoName()}
	}
	return nil
}

// resolve is xattr_resolve_name: nil if a handler takes name, EINVAL for
// a bare prefix, EOPNOTSUPP if none takes it (or there are no handlers).
func (h *xattrHandlers) resolve(name string) error {
	if h == nil {
		return linuxerr.EOPNOTSUPP
	}
	if h.proto != "" && name == xattrSockProtoName {
		return nil
	}
	for _, p := range h.prefixes {
		if strings.HasPrefix(name, p) {
			if name == p {
				return linuxerr.EINVAL
			}
			return nil
		}
	}
	return linuxerr.EOPNOTSUPP
}

func isPosixACL(name string) bool { return name == xattrPosixACLAccess || name == xattrPosixACLDefault }

// GetXattr implements getxattr(2) on p for a name already read
// (do_getxattr, vfs_getxattr): the value, or with size 0 only its
// length. A size beyond XATTR_SIZE_MAX counts as XATTR_SIZE_MAX.
func GetXattr(c Ctx, p Path, name string, size uint64) ([]byte, int, error) {
	size = min(size, XATTR_SIZE_MAX)
	v, n, err := getXattr(c, p.Node, name, int(size))
	if linuxerr.Equals(linuxerr.ERANGE, err) && size >= XATTR_SIZE_MAX {
		err = linuxerr.E2BIG
	}
	return v, n, err
}

func getXattr(c Ctx, n Inode, name string, size int) ([]byte, int, error) {
	if isPosixACL(name) {
		return nil, 0, linuxerr.EOPNOTSUPP // no file system here has ACLs (IS_POSIXACL)
	}
	if err := xattrPermission(c, n.Attr(), name, mayRead); err != nil {
		return nil, 0, err
	}
	h := xattrsOf(n)
	if err := h.resolve(name); err != nil {
		return nil, 0, err
	}
	switch {
	case h.x == nil: // sockfs
		if name != xattrSockProtoName {
			return nil, 0, linuxerr.EOPNOTSUPP // its security.* handler cannot get
		}
		v := append([]byte(h.proto), 0)
		if size == 0 {
			return nil, len(v), nil
		}
		if size < len(v) {
			return nil, 0, linuxerr.ERANGE
		}
		return v, len(v), nil
	case name == linux.XATTR_SECURITY_CAPABILITY:
		return getCaps(h.x, size)
	}
	return h.x.Get(name, size)
}

// SetXattr implements setxattr(2) and, with value nil, removexattr(2) on
// p for a name and value already read (file_setxattr, vfs_setxattr,
// vfs_removexattr): EROFS on a read-only mount, then the checks of
// xattrPermission and the capability module, then the file system's
// handler. Removal is XATTR_REPLACE, as Linux does it.
func SetXattr(c Ctx, p Path, name string, value []byte, flags int) error {
	if err := wantWrite(p.Mnt); err != nil {
		return err
	}
	if value == nil {
		flags = XATTR_REPLACE
	}
	n := p.Node
	if isPosixACL(name) {
		if err := checkACL(value); err != nil {
			return err
		}
		return linuxerr.EOPNOTSUPP // set_posix_acl without IS_POSIXACL
	}
	if name == linux.XATTR_SECURITY_CAPABILITY && len(value) > 0 {
		v, err := convertCaps(c, value)
		if err != nil {
			return err
		}
		value = v
	}
	if err := xattrPermission(c, n.Attr(), name, mayWrite); err != nil {
		return err
	}
	if err := capXattr(c, name, value == nil); err != nil {
		return err
	}
	h := xattrsOf(n)
	if err := h.resolve(name); err != nil {
		return err
	}
	if h.x == nil {
		// sockfs: system.sockprotoname has no set operation; the
		// security.* handler leaves attributes to a security module
		// with EAGAIN, which setxattr turns into EOPNOTSUPP
		// (__vfs_setxattr_noperm) and removexattr returns as it is.
		if value == nil && name != xattrSockProtoName {
			return linuxerr.EAGAIN
		}
		return linuxerr.EOPNOTSUPP
	}
	if h.ram == nil && strings.HasPrefix(name, linux.XATTR_USER_PREFIX) {
		return linuxerr.EOPNOTSUPP // kernfs keeps user.* only for cgroupfs
	}
	return setXattr(h, name, value, flags)
}

// capXattr is the capability module's check of a change to name
// (cap_inode_setxattr, cap_inode_removexattr): security.* needs
// CAP_SYS_ADMIN, except security.capability, which needs CAP_SETFCAP to
// be removed (convertCaps checks a value being set; an empty one is not
// checked at all).
func capXattr(c Ctx, name string, remove bool) error {
	switch {
	case !strings.HasPrefix(name, linux.XATTR_SECURITY_PREFIX):
		return nil
	case name == linux.XATTR_SECURITY_CAPABILITY:
		if remove && !capable(c, linux.CAP_SETFCAP) {
			return linuxerr.EPERM
		}
		return nil
	case !capable(c, linux.CAP_SYS_ADMIN):
		return linuxerr.EPERM
	}
	return nil
}

// setXattr stores or removes an attribute as shmem_xattr_handler_set
// does: a new value's space must fit in what is left of the inode space
// (ENOSPC) and the kernel's heap (ENOMEM); a change moves the change
// time.
func setXattr(h *xattrHandlers, name string, value []byte, flags int) error {
	var charged int64
	var fs *RamFS
	if h.ram != nil {
		fs = h.ram.fs
	}
	if value != nil {
		if !mm.AdmitKernel(uint64(len(value)+len(name))/mm.PageSize + 1) {
			return linuxerr.ENOMEM
		}
		if fs != nil {
			charged = xattrSpace(name, len(value))
			if !fs.chargeXattr(h.x, charged) {
				return linuxerr.ENOSPC
			}
		}
	}
	freed, err := h.x.Set(name, value, flags)
	if err != nil {
		freed = charged
	}
	if fs != nil {
		fs.refundXattr(h.x, freed)
	}
	if err == nil && h.ram != nil {
		h.ram.touch(touchC)
	}
	return err
}

// chargeXattr takes n bytes of the inode space for an attribute of x,
// or reports that they are not there. Attributes of a freed inode and
// file systems without an inode limit are not limited.
func (fs *RamFS) chargeXattr(x *Xattrs, n int64) bool {
	x.mu.RLock()
	freed := x.freed
	x.mu.RUnlock()
	if freed {
		return true
	}
	for {
		used := fs.xattrBytes.Load()
		if fs.maxInos != 0 && fs.freeInodeSpace(used) < n {
			return false
		}
		if fs.xattrBytes.CompareAndSwap(used, used+n) {
			return true
		}
	}
}

// refundXattr gives back n bytes that x's attributes held.
func (fs *RamFS) refundXattr(x *Xattrs, n int64) {
	x.mu.RLock()
	freed := x.freed
	x.mu.RUnlock()
	if !freed {
		fs.xattrBytes.Add(-n)
	}
}

// freeInodeSpace is shmem's free_ispace: the inode space (nr_inodes
// times BOGO_INODE_SIZE) less the inodes and the attributes (xattrBytes
// used).
func (fs *RamFS) freeInodeSpace(used int64) int64 {
	return (fs.maxInos-fs.inodes.Load())*bogoInodeSize - used
}

// freeInode counts an inode out of its file system (shmem_free_inode):
// its place and its attributes' space become free.
func (fs *RamFS) freeInode(n *ramInode) {
	fs.inodes.Add(-1)
	fs.xattrBytes.Add(-n.xattrs.release())
}

// ListXattr implements listxattr(2) on p (listxattr, vfs_listxattr): the
// names, each followed by a NUL, or with size 0 only their length; a
// list longer than size is ERANGE (E2BIG if size is XATTR_LIST_MAX or
// more). Without extended attributes the list is empty.
func ListXattr(c Ctx, p Path, size uint64) ([]byte, int, error) {
	size = min(size, XATTR_LIST_MAX)
	var names []string
	if h := xattrsOf(p.Node); h != nil {
		if h.x != nil {
			names = h.x.List(capable(c, linux.CAP_SYS_ADMIN))
		} else {
			names = []string{xattrSockProtoName}
		}
	}
	var b []byte
	for _, n := range names {
		b = append(append(b, n...), 0)
	}
	switch {
	case size == 0:
		return nil, len(b), nil
	case uint64(len(b)) > size && size >= XATTR_LIST_MAX:
		return nil, 0, linuxerr.E2BIG
	case uint64(len(b)) > size:
		return nil, 0, linuxerr.ERANGE
	}
	return b, len(b), nil
}

// checkACL is posix_acl_from_xattr's check of a POSIX ACL's format: a
// version 2 header and entries of known tags whose user and group IDs
// are valid.
func checkACL(v []byte) error {
	if len(v) == 0 {
		return nil
	}
	le := binary.LittleEndian
	if len(v) < 4 {
		return linuxerr.EINVAL
	}
	if le.Uint32(v) != 2 { // POSIX_ACL_XATTR_VERSION
		return linuxerr.EOPNOTSUPP
	}
	if (len(v)-4)%8 != 0 {
		return linuxerr.EINVAL
	}
	for e := v[4:]; len(e) > 0; e = e[8:] {
		switch le.Uint16(e) {
		case 0x01, 0x04, 0x10, 0x20: // ACL_USER_OBJ, ACL_GROUP_OBJ, ACL_MASK, ACL_OTHER
		case 0x02, 0x08: // ACL_USER, ACL_GROUP
			if le.Uint32(e[4:]) == NoID {
				return linuxerr.EINVAL
			}
		default:
			return linuxerr.EINVAL
		}
	}
	return nil
}

// File capabilities (include/uapi/linux/capability.h): struct
// vfs_cap_data is a magic word and two permitted/inheritable pairs;
// version 3 adds the user ID that is root for them.
const (
	vfsCapRevisionMask = 0xff000000
	vfsCapRevision2    = 0x02000000
	vfsCapRevision3    = 0x03000000
	vfsCapEffective    = 0x000001
	xattrCapsSz2       = 20
	xattrCapsSz3       = 24
)

// capsVersion returns 2 or 3 for a valid security.capability value of
// that version, 0 otherwise.
func capsVersion(v []byte) int {
	if len(v) != xattrCapsSz2 && len(v) != xattrCapsSz3 {
		return 0
	}
	rev := binary.LittleEndian.Uint32(v) &^ vfsCapEffective
	switch {
	case len(v) == xattrCapsSz2 && rev == vfsCapRevision2:
		return 2
	case len(v) == xattrCapsSz3 && rev == vfsCapRevision3:
		return 3
	}
	return 0
}

// convertCaps is cap_convert_nscap in the initial user namespace: a
// value must be a version 2 or 3 header (EINVAL) and the caller needs
// CAP_SETFCAP (EPERM). Version 2 is stored as it is; version 3 keeps its
// root ID with its magic word reduced to the revision and the effective
// flag.
func convertCaps(c Ctx, v []byte) ([]byte, error) {
	ver := capsVersion(v)
	if ver == 0 {
		return nil, linuxerr.EINVAL
	}
	if !capable(c, linux.CAP_SETFCAP) {
		return nil, linuxerr.EPERM
	}
	if ver == 2 {
		return v, nil
	}
	if binary.LittleEndian.Uint32(v[20:]) == NoID { // not a valid user
		return nil, linuxerr.EINVAL
	}
	out := slices.Clone(v)
	binary.LittleEndian.PutUint32(out, vfsCapRevision3|binary.LittleEndian.Uint32(v)&vfsCapEffective)
	return out, nil
}

// getCaps reads security.capability as cap_inode_getsecurity shows it in
// the initial user namespace: a version 3 value whose root is user 0 as
// version 2 (it is the namespace's own), others as stored; a stored
// value that is neither (an empty one: setxattr checks only non-empty
// values) is EINVAL.
func getCaps(x *Xattrs, size int) ([]byte, int, error) {
	v, _, err := x.Get(linux.XATTR_SECURITY_CAPABILITY, XATTR_SIZE_MAX)
	if err != nil {
		return nil, 0, err
	}
	switch capsVersion(v) {
	case 0:
		return nil, 0, linuxerr.EINVAL
	case 3:
		if binary.LittleEndian.Uint32(v[20:]) == 0 {
			magic := vfsCapRevision2 | binary.LittleEndian.Uint32(v)&vfsCapEffective
			v = v[:xattrCapsSz2]
			binary.LittleEndian.PutUint32(v, magic)
		}
	}
	if size == 0 {
		return nil, len(v), nil
	}
	if size < len(v) {
		return nil, 0, linuxerr.ERANGE
	}
	return v, len(v), nil
}
