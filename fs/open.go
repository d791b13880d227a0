package fs

import (
	pathpkg "path"

	"gvisor.dev/gvisor/pkg/errors/linuxerr"
)

// Open implements openat(2) path and flag semantics (fs/namei.c
// path_openat, do_open): O_CREAT/O_EXCL creation in RamFS directories
// (following a dangling symbolic link to create its target), O_TMPFILE,
// O_DIRECTORY, O_NOFOLLOW, O_TRUNC, O_PATH, opening directories
// read-only, EROFS for writing on a read-only mount and EACCES for devices
// on a nodev one. The caller runs as root: there are no permission checks
// but the ones root is subject to.
func (r *Root) Open(c Ctx, start Path, path string, flags uint32, mode uint32, umask uint32) (*File, error) {
	return r.open(c, start, path, flags, mode, umask, &nameidata{})
}

// OpenResolve is Open under openat2(2)'s resolve flags (RESOLVE_*),
// which the caller has checked: the walk from start is restricted as
// each flag says (see nameidata).
func (r *Root) OpenResolve(c Ctx, start Path, path string, flags, mode, umask, resolve uint32) (*File, error) {
	return r.open(c, start, path, flags, mode, umask, newNameidata(start, resolve))
}

func (r *Root) open(c Ctx, start Path, path string, flags, mode, umask uint32, nd *nameidata) (*File, error) {
	// build_open_flags' checks.
	acc := flags & O_ACCMODE
	if flags&oTmpfileBit != 0 {
		if flags&(O_TMPFILE|O_CREAT) != O_TMPFILE || (acc != O_WRONLY && acc != O_RDWR) {
			return nil, linuxerr.EINVAL
		}
		return r.openTmpfile(c, start, path, flags, mode&0o7777&^umask, nd)
	}
	if flags&(O_CREAT|O_DIRECTORY) == O_CREAT|O_DIRECTORY {
		return nil, linuxerr.EINVAL // since Linux 6.4
	}
	var p Path
	created := false
	var err error
	if flags&O_CREAT != 0 {
		p, created, err = r.openCreate(c, start, path, flags, mode&0o7777&^umask, nd)
	} else {
		lf := LookupFollow
		if flags&O_NOFOLLOW != 0 {
			lf = 0
		}
		p, err = r.walk(c, start, path, lf != 0, nd)
	}
	if err != nil {
		return nil, err
	}
	node := p.Node
	if _, ok := node.(Symlink); ok && flags&O_PATH == 0 {
		return nil, linuxerr.ELOOP // O_NOFOLLOW on a link
	}
	_, isDir := node.(Dir)
	if flags&O_DIRECTORY != 0 && !isDir {
		return nil, linuxerr.ENOTDIR
	}
	abs := r.absPath(start, path)
	if nd.resolve&RESOLVE_IN_ROOT != 0 && path[0] == '/' {
		abs = r.absPath(nd.root, "."+path) // "/" is the starting directory
	} else if nd.symlinked && !nd.magic {
		// Linux names an open file by where it is (d_path), which
		// /proc/PID/fd and /proc/PID/maps show: through a link such
		// as Debian's /lib -> usr/lib, not the path as written.
		if _, real, err := r.Realpath(c, start, path, flags&O_NOFOLLOW == 0); err == nil {
			abs = real
		}
	}
	if flags&O_PATH != 0 {
		f := NewFile(node, abs, flags&(O_PATH|O_CLOEXEC|O_DIRECTORY|O_NOFOLLOW), nil)
		f.setMount(p.Mnt)
		return f, nil
	}
	// may_open. Access mode 3 asks for both permissions and grants
	// neither (OPEN_FMODE): such a file serves only ioctl and fstat.
	if isDir && (acc != O_RDONLY || flags&O_TRUNC != 0) {
		return nil, linuxerr.EISDIR
	}
	typ := node.Attr().Mode & S_IFMT
	if (typ == S_IFCHR || typ == S_IFBLK) && p.Mnt != nil && p.Mnt.Flags()&MNT_NODEV != 0 {
		return nil, linuxerr.EACCES
	}
	reg, isReg := node.(Regular)
	if isReg && (acc == O_WRONLY || acc == O_RDWR || flags&O_TRUNC != 0) && !created {
		if err := wantWrite(p.Mnt); err != nil {
			return nil, err
		}
	}
	var ops FileOps
	if o, ok := node.(Opener); ok {
		if ops, err = o.Open(c, flags); err != nil {
			return nil, err
		}
	} else if isReg && flags&O_TRUNC != 0 && !created {
		// handle_truncate: O_TRUNC truncates whatever the access mode.
		if err := truncateOpen(reg, 0); err != nil {
			return nil, err
		}
	}
	f := NewFile(node, abs, flags, ops)
	f.setMount(p.Mnt)
	return f, nil
}

// openCreate finds or creates the file of an O_CREAT open
// (open_last_lookups, lookup_open): EISDIR for a path ending in a slash or
// naming ".", ".." or the root; EEXIST with O_EXCL for anything that
// exists, symbolic links included; a symbolic link is otherwise followed,
// and a dangling one creates its target. Creating where the directory
// cannot hold new files (procfs) is ENOENT, as its lookup answers.
func (r *Root) openCreate(c Ctx, start Path, path string, flags, mode uint32, nd *nameidata) (Path, bool, error) {
	for {
		p, err := r.parentAt(c, start, path, nd)
		if err != nil {
			return Path{}, false, err
		}
		if p.typ != lastNorm || p.trailing {
			return Path{}, false, linuxerr.EISDIR
		}
		r.ns.Lock()
		n, err := p.Dir().Lookup(c, p.name)
		if err == nil {
			r.ns.Unlock()
			if flags&O_EXCL != 0 {
				return Path{}, false, linuxerr.EEXIST
			}
			l, ok := n.(Symlink)
			if !ok {
				next := r.down(Path{p.dir.Mnt, n})
				if nd.resolve&RESOLVE_NO_XDEV != 0 && next.Mnt != p.dir.Mnt {
					return Path{}, false, linuxerr.EXDEV
				}
				return next, false, nil
			}
			if flags&O_NOFOLLOW != 0 {
				return Path{}, false, linuxerr.ELOOP
			}
			if nd.links++; nd.links > maxSymlinks || nd.resolve&RESOLVE_NO_SYMLINKS != 0 {
				return Path{}, false, linuxerr.ELOOP
			}
			accessed(Path{p.dir.Mnt, n})
			start, path = p.dir, l.Target()
			continue
		}
		f, err := r.createFile(c, p, err, mode)
		r.ns.Unlock()
		if err != nil {
			return Path{}, false, err
		}
		return Path{p.dir.Mnt, f}, true, nil
	}
}

// createFile makes the regular file an O_CREAT open asks for, given the
// error its lookup gave. The caller holds r.ns.
func (r *Root) createFile(c Ctx, p parentOf, lookupErr error, mode uint32) (*RamFile, error) {
	if !linuxerr.Equals(linuxerr.ENOENT, lookupErr) {
		return nil, lookupErr
	}
	rd, ok := p.Dir().(*RamDir)
	if !ok {
		return nil, linuxerr.ENOENT
	}
	if err := wantWrite(p.dir.Mnt); err != nil {
		return nil, err
	}
	if rd.isDead() {
		return nil, linuxerr.ENOENT
	}
	if err := rd.fs.admitInode(); err != nil {
		return nil, err
	}
	f := rd.fs.newFile(c, rd, mode)
	rd.attach(p.name, f)
	f.IncLink()
	return f, nil
}

// openTmpfile makes an unnamed regular file in the directory path names
// (do_tmpfile, shmem_tmpfile): it has no links, and linkat can give it a
// name unless O_EXCL was given. ENOTDIR if path is not a directory,
// EOPNOTSUPP where the file system has no unnamed files (procfs).
func (r *Root) openTmpfile(c Ctx, start Path, path string, flags, mode uint32, nd *nameidata) (*File, error) {
	p, err := r.walk(c, start, path, true, nd)
	if err != nil {
		return nil, err
	}
	d, ok := p.Node.(Dir)
	if !ok {
		return nil, linuxerr.ENOTDIR
	}
	if err := wantWrite(p.Mnt); err != nil {
		return nil, err
	}
	rd, ok := d.(*RamDir)
	if !ok {
		return nil, linuxerr.EOPNOTSUPP
	}
	if err := rd.fs.admitInode(); err != nil {
		return nil, err
	}
	rf := rd.fs.newFile(c, rd, mode)
	rf.linkable = flags&O_EXCL == 0
	dir := r.absPath(start, path)
	if dir == "/" {
		dir = ""
	}
	f := NewFile(rf, dir+"/#"+itoa(rf.Attr().Ino)+" (deleted)", flags&^(oTmpfileBit|O_DIRECTORY), nil)
	f.setMount(p.Mnt)
	return f, nil
}

// absPath returns path made absolute against start (lexically; for
// display).
func (r *Root) absPath(start Path, path string) string {
	if len(path) > 0 && path[0] == '/' {
		return cleanPath(path)
	}
	dir, err := r.PathOf(start)
	if err != nil {
		dir = "/"
	}
	return cleanPath(dir + "/" + path)
}

// cleanPath removes ".", "..", and repeated slashes lexically, from an
// absolute path ("/" is put in front of a relative one). path.Clean
// returns a path that is already clean without copying it.
func cleanPath(p string) string {
	if p == "" || p[0] != '/' {
		p = "/" + p
	}
	return pathpkg.Clean(p)
}
