package fs

import (
	"gvisor.dev/gvisor/pkg/errors/linuxerr"
)

// Open implements openat(2) path and flag semantics (fs/namei.c
// path_openat, do_open): O_CREAT/O_EXCL creation in ramfs directories,
// O_DIRECTORY, O_NOFOLLOW, O_TRUNC, O_PATH, and opening directories
// read-only. The caller runs as root: there are no permission checks but
// the ones root is subject to.
func (r *Root) Open(c Ctx, cwd Dir, path string, flags uint32, mode uint32, umask uint32) (*File, error) {
	// build_open_flags' checks.
	acc := flags & O_ACCMODE
	if flags&oTmpfileBit != 0 {
		if flags&(O_TMPFILE|O_CREAT) != O_TMPFILE || (acc != O_WRONLY && acc != O_RDWR) {
			return nil, linuxerr.EINVAL
		}
		// ramfs has no unnamed files (tmpfs does); Linux answers so
		// for file systems without ->tmpfile.
		return nil, linuxerr.EOPNOTSUPP
	}
	if flags&(O_CREAT|O_DIRECTORY) == O_CREAT|O_DIRECTORY {
		return nil, linuxerr.EINVAL // since Linux 6.4
	}
	follow := flags&O_NOFOLLOW == 0
	var node Inode
	if flags&O_CREAT != 0 {
		parent, name, err := r.ResolveParent(c, cwd, path)
		if err != nil {
			return nil, err
		}
		if name == "" {
			return nil, linuxerr.EISDIR
		}
		n, err := parent.Lookup(c, name)
		switch {
		case err == nil && flags&O_EXCL != 0:
			return nil, linuxerr.EEXIST
		case err == nil:
			if l, ok := n.(Symlink); ok {
				if !follow {
					return nil, linuxerr.ELOOP
				}
				_ = l
				if n, err = r.Resolve(c, parent, name, true); err != nil {
					return nil, err
				}
			}
			node = n
		case linuxerr.Equals(linuxerr.ENOENT, err):
			rd, ok := parent.(*RamDir)
			if !ok {
				return nil, linuxerr.EACCES
			}
			if path[len(path)-1] == '/' {
				return nil, linuxerr.EISDIR
			}
			f := NewRamFile(mode&^umask&0o7777, nil)
			if err := rd.Add(name, f); err != nil {
				return nil, err
			}
			node = f
		default:
			return nil, err
		}
	} else {
		n, err := r.Resolve(c, cwd, path, follow)
		if err != nil {
			return nil, err
		}
		node = n
	}
	if _, ok := node.(Symlink); ok && flags&O_PATH == 0 {
		return nil, linuxerr.ELOOP // O_NOFOLLOW on a link
	}
	_, isDir := node.(Dir)
	if flags&O_DIRECTORY != 0 && !isDir {
		return nil, linuxerr.ENOTDIR
	}
	abs := r.absPath(cwd, path)
	if flags&O_PATH != 0 {
		return NewFile(node, abs, flags&(O_PATH|O_CLOEXEC|O_DIRECTORY|O_NOFOLLOW), nil), nil
	}
	// Access mode 3 asks for both permissions and grants neither
	// (OPEN_FMODE): such a file serves only ioctl and fstat.
	if isDir && (acc != O_RDONLY || flags&O_TRUNC != 0) {
		return nil, linuxerr.EISDIR
	}
	var ops FileOps
	switch n := node.(type) {
	case Opener:
		var err error
		if ops, err = n.Open(c, flags); err != nil {
			return nil, err
		}
	case Regular:
		if flags&O_TRUNC != 0 && acc != O_RDONLY {
			if err := n.Truncate(0); err != nil {
				return nil, err
			}
		}
	}
	return NewFile(node, abs, flags, ops), nil
}

// absPath returns path made absolute against cwd (lexically; for display).
func (r *Root) absPath(cwd Dir, path string) string {
	if len(path) > 0 && path[0] == '/' {
		return cleanPath(path)
	}
	return cleanPath(r.PathOf(cwd) + "/" + path)
}

// cleanPath removes ".", "..", and repeated slashes lexically.
func cleanPath(p string) string {
	var out []string
	start := 0
	for i := 0; i <= len(p); i++ {
		if i == len(p) || p[i] == '/' {
			c := p[start:i]
			start = i + 1
			switch c {
			case "", ".":
			case "..":
				if len(out) > 0 {
					out = out[:len(out)-1]
				}
			default:
				out = append(out, c)
			}
		}
	}
	s := ""
	for _, c := range out {
		s += "/" + c
	}
	if s == "" {
		return "/"
	}
	return s
}
